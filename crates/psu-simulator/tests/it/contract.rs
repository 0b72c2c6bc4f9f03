//! The simulator against `psu/contract.json`: every endpoint routed, answers shaped as declared.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use reqwest::Method;
use serde_json::{Value, json};
use windhcp_psu_simulator::{ROUTES, RunningSimulator};

use crate::{TOKEN, call_with, small_spec, start};

pub(crate) fn contract() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../psu/contract.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn is_client_id(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|p| {
            p.len() == 2
                && p.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Checks `v` against a contract type expression; returns the first mismatch.
pub(crate) fn check(c: &Value, ty: &str, v: &Value, at: &str) -> Result<(), String> {
    let err = |what: &str| Err(format!("{at}: expected {what}, got {v}"));
    if let Some(inner) = ty.strip_prefix("array<").and_then(|t| t.strip_suffix('>')) {
        let Some(a) = v.as_array() else {
            return err(ty);
        };
        for (i, x) in a.iter().enumerate() {
            check(c, inner, x, &format!("{at}[{i}]"))?;
        }
        return Ok(());
    }
    if let Some(inner) = ty.strip_prefix("map<").and_then(|t| t.strip_suffix('>')) {
        let Some(m) = v.as_object() else {
            return err(ty);
        };
        for (k, x) in m {
            if k.parse::<Ipv4Addr>().is_err() {
                return Err(format!("{at}: map key {k:?} is not a scope id"));
            }
            check(c, inner, x, &format!("{at}.{k}"))?;
        }
        return Ok(());
    }
    match ty {
        "string" => v
            .is_string()
            .then_some(())
            .map_or_else(|| err("string"), Ok),
        "integer" => (v.is_i64() || v.is_u64())
            .then_some(())
            .map_or_else(|| err("integer"), Ok),
        "seconds" => v.is_u64().then_some(()).map_or_else(|| err("seconds"), Ok),
        "boolean" => v
            .is_boolean()
            .then_some(())
            .map_or_else(|| err("boolean"), Ok),
        "ipv4" => v
            .as_str()
            .and_then(|s| s.parse::<Ipv4Addr>().ok())
            .map_or_else(|| err("ipv4"), |_| Ok(())),
        "client_id" => v
            .as_str()
            .filter(|s| is_client_id(s))
            .map_or_else(|| err("client_id"), |_| Ok(())),
        "datetime" => v
            .as_str()
            .filter(|s| is_datetime(s))
            .map_or_else(|| err("datetime"), |_| Ok(())),
        "secret" => Err(format!("{at}: a secret must never be returned")),
        name => {
            let Some(schema) = c["schemas"].get(name) else {
                return Err(format!("{at}: unknown schema {name}"));
            };
            let Some(obj) = v.as_object() else {
                return err(name);
            };
            let fields = schema["fields"].as_array().unwrap();
            for k in obj.keys() {
                if !fields.iter().any(|f| f["name"] == *k) {
                    return Err(format!("{at}: field {k:?} is not in schema {name}"));
                }
            }
            for f in fields {
                let fname = f["name"].as_str().unwrap();
                let here = format!("{at}.{fname}");
                match obj.get(fname) {
                    None if f["required"] == true => {
                        return Err(format!("{here}: required field missing"));
                    }
                    None => {}
                    Some(Value::Null) if f["nullable"] == true => {}
                    Some(Value::Null) => return Err(format!("{here}: null not allowed")),
                    Some(x) if f["type"] == "enum" => {
                        let values = f["values"].as_array().unwrap();
                        if !values.contains(x) {
                            return Err(format!("{here}: {x} not in {values:?}"));
                        }
                    }
                    Some(x) => check(c, f["type"].as_str().unwrap(), x, &here)?,
                }
            }
            Ok(())
        }
    }
}

#[test]
fn routes_table_matches_the_contract() {
    let c = contract();
    let from_contract: BTreeSet<(String, String, String)> = c["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["method"].as_str().unwrap().to_owned(),
                e["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let ours: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .map(|(a, b, p)| ((*a).to_owned(), (*b).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(from_contract, ours);
    assert_eq!(c["base_path"], windhcp_psu_simulator::BASE_PATH);
    assert_eq!(c["version"], windhcp_psu_simulator::CONTRACT_VERSION);
}

#[test]
fn classify_maps_paths_to_endpoint_ids() {
    use windhcp_psu_simulator::classify;
    assert_eq!(
        classify("GET", "/api/dhcp/scopes/10.0.0.0"),
        Some(("get_scope", Some(Ipv4Addr::new(10, 0, 0, 0))))
    );
    assert_eq!(
        classify("POST", "/api/dhcp/reservations/batch").map(|x| x.0),
        Some("batch_reservations")
    );
    assert_eq!(
        classify("PUT", "/api/dhcp/reservations/aa-bb").map(|x| x.0),
        Some("update_reservation")
    );
    assert_eq!(
        classify("POST", "/api/dhcp/failover/replicate").map(|x| x.0),
        Some("replicate_scopes")
    );
    assert_eq!(
        classify("POST", "/api/dhcp/failover/fo1/replicate").map(|x| x.0),
        Some("replicate_failover")
    );
    assert_eq!(
        classify("DELETE", "/api/dhcp/options/scope/10.0.0.0/6").map(|x| x.0),
        Some("remove_scope_option")
    );
    assert_eq!(classify("GET", "/api/dhcp/nope"), None);
    assert_eq!(classify("PATCH", "/api/dhcp/scopes"), None);
}

/// Sample objects of the generated estate used to fill path params and bodies.
struct Sample {
    s0: Ipv4Addr,
    range_start: Ipv4Addr,
    free_ip: Ipv4Addr,
    res_ip: Ipv4Addr,
    res_client: String,
    fo_name: String,
    fo_scope: Ipv4Addr,
}

fn sample(sim: &RunningSimulator) -> Sample {
    sim.state().read(|e| {
        let s = &e.servers[0];
        let scope = s.scopes.values().next().unwrap();
        let (res_ip, res) = scope.reservations.iter().next().unwrap();
        let free = (u32::from(scope.start_ip)..=u32::from(scope.end_ip))
            .map(Ipv4Addr::from)
            .find(|ip| {
                !scope.reservations.contains_key(ip)
                    && !scope.leases.contains_key(ip)
                    && !scope.exclusions.iter().any(|x| {
                        (u32::from(x.start_ip)..=u32::from(x.end_ip)).contains(&u32::from(*ip))
                    })
            })
            .unwrap();
        let f = e.servers[1].failovers.values().next().unwrap();
        Sample {
            s0: scope.scope_id,
            range_start: scope.start_ip,
            free_ip: free,
            res_ip: *res_ip,
            res_client: res.client_id.clone(),
            fo_name: f.name.clone(),
            fo_scope: *f.scope_ids.iter().next().unwrap(),
        }
    })
}

fn plus(ip: Ipv4Addr, n: u32) -> String {
    Ipv4Addr::from(u32::from(ip) + n).to_string()
}

/// (server index, path+query, body) for one endpoint id.
fn request_for(id: &str, x: &Sample) -> (usize, String, Option<Value>) {
    let s0 = x.s0;
    match id {
        "health"
        | "list_scopes"
        | "list_leases"
        | "list_reservations"
        | "list_server_options"
        | "list_all_scope_options" => (0, String::new(), None),
        "write_ping" => (0, String::new(), Some(json!({}))),
        "get_scope" | "delete_scope" | "list_scope_options" => (0, format!("/{s0}"), None),
        "create_scope" => (
            0,
            String::new(),
            Some(
                json!({"scope_id": "192.168.50.0", "name": "new", "start_ip": "192.168.50.10",
                "end_ip": "192.168.50.200", "subnet_mask": "255.255.255.0", "router": "192.168.50.1",
                "lease_duration_seconds": 3600}),
            ),
        ),
        "update_scope" => (0, format!("/{s0}"), Some(json!({"description": "changed"}))),
        "create_reservation" => (
            0,
            String::new(),
            Some(
                json!({"scope_id": s0.to_string(), "ip_address": x.free_ip.to_string(),
                "client_id": "02:00:00:00:00:01", "name": "new-host", "type": "Dhcp"}),
            ),
        ),
        "update_reservation" => (
            0,
            format!(
                "/{}?scope_id={s0}",
                x.res_client.to_uppercase().replace('-', ":")
            ),
            Some(json!({"name": "renamed"})),
        ),
        "delete_reservation" => (0, format!("/{}?scope_id={s0}", x.res_client), None),
        "batch_reservations" => (
            0,
            String::new(),
            Some(
                json!({"items": [{"op": "delete", "scope_id": s0.to_string(), "ip_address": x.res_ip.to_string()}]}),
            ),
        ),
        "list_failover" => (1, String::new(), None),
        "create_failover" => (
            0,
            String::new(),
            Some(
                json!({"name": "fo-new", "partner_server": "dhcp99.corp.example", "scope_ids": [s0.to_string()],
                "mode": "HotStandby", "enable_auth": true, "shared_secret": "s3cr3t-value"}),
            ),
        ),
        "delete_failover" => (1, format!("/{}", x.fo_name), None),
        "replicate_scopes" => (
            1,
            String::new(),
            Some(json!({"scope_ids": [x.fo_scope.to_string()]})),
        ),
        "replicate_failover" => (1, format!("/{}/replicate", x.fo_name), Some(json!({}))),
        "set_scope_option" => (
            0,
            format!("/{s0}/42"),
            Some(json!({"value": ["10.1.1.1", "10.1.1.2"]})),
        ),
        "remove_scope_option" => (0, format!("/{s0}/6"), None),
        "list_exclusions" => (0, format!("?scope_id={s0}"), None),
        "create_exclusion" => (
            0,
            String::new(),
            Some(
                json!({"scope_id": s0.to_string(), "start_ip": plus(x.range_start, 20), "end_ip": plus(x.range_start, 22)}),
            ),
        ),
        "delete_exclusion" => (
            0,
            String::new(),
            Some(
                json!({"scope_id": s0.to_string(), "start_ip": plus(x.range_start, 0), "end_ip": plus(x.range_start, 4)}),
            ),
        ),
        other => panic!("no sample request for contract endpoint {other}"),
    }
}

fn concrete_path(path: &str) -> String {
    // Path params are appended by `request_for`; keep only the static prefix.
    path.split("/:").next().unwrap().to_owned()
}

#[tokio::test]
async fn every_contract_endpoint_is_routed_and_answers_its_success_shape() {
    let c = contract();
    for e in c["endpoints"].as_array().unwrap() {
        let id = e["id"].as_str().unwrap();
        // A fresh estate per endpoint so that deletes do not disturb the others.
        let sim = start(&small_spec()).await;
        let x = sample(&sim);
        let (server, suffix, body) = request_for(id, &x);
        let base = format!(
            "{}{}",
            sim.servers()[server].base_url(),
            c["base_path"].as_str().unwrap()
        );
        let method = Method::from_bytes(e["method"].as_str().unwrap().as_bytes()).unwrap();
        let path = format!("{}{}", concrete_path(e["path"].as_str().unwrap()), suffix);
        let r = call_with(&base, Some(TOKEN), method.clone(), &path, body.as_ref()).await;
        assert!(
            r.headers.get("x-sim-unmatched").is_none(),
            "{id}: {method} {path} is not routed"
        );
        assert_ne!(r.status, 405, "{id}: method not allowed on {path}");
        assert_eq!(
            r.status.as_u16(),
            u16::try_from(e["success_status"].as_u64().unwrap()).unwrap(),
            "{id}: {method} {path} -> {}",
            r.text
        );
        let statuses: Vec<u64> = e["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_u64().unwrap())
            .collect();
        assert!(
            statuses.contains(&u64::from(r.status.as_u16())),
            "{id}: undeclared status"
        );
        match e["response_forms"]["default"].as_str() {
            Some(ty) => {
                check(&c, ty, &r.json, id).unwrap_or_else(|m| panic!("{m}\nbody: {}", r.text));
            }
            None => assert!(r.text.is_empty(), "{id}: 204 must have no body"),
        }
        assert!(!r.text.contains("s3cr3t-value"), "{id}: secret leaked");
    }
}

#[tokio::test]
async fn unknown_routes_are_flagged_404() {
    let sim = start(&small_spec()).await;
    let r = call_with(
        &sim.api_url(),
        Some(TOKEN),
        Method::GET,
        "/no-such-thing",
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    assert!(r.headers.get("x-sim-unmatched").is_some());
    assert!(r.json["error"].is_string());
}
