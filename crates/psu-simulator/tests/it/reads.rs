//! Read endpoints: flat, grouped and paged forms agree with each other and with the contract.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;
use windhcp_psu_simulator::EstateSpec;

use crate::contract::{check, contract};
use crate::{assert_error, call, small_spec, start};

fn scope_ids(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["scope_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn grouped_reads_have_every_scope_and_match_per_scope_reads() {
    let c = contract();
    let sim = start(&small_spec()).await;
    let scopes = call(&sim, Method::GET, "/scopes", None).await.json;
    check(&c, "array<Scope>", &scopes, "scopes").unwrap();
    let ids = scope_ids(&scopes);
    assert_eq!(ids.len(), 5);

    for (path, ty, per_scope) in [
        (
            "/leases?format=grouped",
            "map<array<Lease>>",
            "/leases?scope_id=",
        ),
        (
            "/reservations?format=grouped",
            "map<array<Reservation>>",
            "/reservations?scope_id=",
        ),
        (
            "/exclusions?format=grouped",
            "map<array<Exclusion>>",
            "/exclusions?scope_id=",
        ),
        (
            "/options?format=grouped",
            "map<array<Option>>",
            "/options/scope/",
        ),
    ] {
        let r = call(&sim, Method::GET, path, None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        check(&c, ty, &r.json, path).unwrap();
        let keys: BTreeSet<String> = r.json.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ids, "{path}: every scope must be a key");
        for id in &ids {
            let one = call(&sim, Method::GET, &format!("{per_scope}{id}"), None).await;
            assert_eq!(one.status, 200);
            assert_eq!(one.json, r.json[id], "{path} vs {per_scope}{id}");
        }
    }
    // The flat lease list is the concatenation of the grouped one, in scope order.
    let flat = call(&sim, Method::GET, "/leases", None).await.json;
    let grouped = call(&sim, Method::GET, "/leases?format=grouped", None)
        .await
        .json;
    let concat: Vec<Value> = ids
        .iter()
        .flat_map(|id| grouped[id].as_array().unwrap().clone())
        .collect();
    assert_eq!(flat.as_array().unwrap(), &concat);
    assert!(!concat.is_empty());
}

#[tokio::test]
async fn default_lease_list_hides_other_states_and_all_states_shows_them() {
    let sim = start(&small_spec()).await;
    let def = call(&sim, Method::GET, "/leases", None).await.json;
    let states: BTreeSet<&str> = def
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["address_state"].as_str().unwrap())
        .collect();
    assert!(
        states
            .iter()
            .all(|s| *s == "Active" || *s == "ActiveReservation"),
        "{states:?}"
    );
    let all = call(&sim, Method::GET, "/leases?all_states=true", None)
        .await
        .json;
    let expected = sim.state().read(|e| e.servers[0].lease_count());
    assert_eq!(all.as_array().unwrap().len(), expected);
    assert!(all.as_array().unwrap().len() > def.as_array().unwrap().len());
}

#[tokio::test]
async fn paging_walks_every_lease_exactly_once() {
    let sim = start(&small_spec()).await;
    let flat = call(&sim, Method::GET, "/leases?all_states=true", None)
        .await
        .json;
    let mut got = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            None => "/leases?all_states=true&limit=7".to_owned(),
            Some(c) => format!("/leases?all_states=true&limit=7&cursor={c}"),
        };
        let r = call(&sim, Method::GET, &path, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        check(&contract(), "Page<Lease>", &r.json, "page").unwrap();
        let items = r.json["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        got.extend(items.iter().cloned());
        pages += 1;
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 1000, "paging does not terminate");
    }
    assert_eq!(&got, flat.as_array().unwrap());
    assert_eq!(pages, flat.as_array().unwrap().len().div_ceil(7));

    // Paging inside one scope.
    let sid = flat[0]["scope_id"].as_str().unwrap();
    let one = call(
        &sim,
        Method::GET,
        &format!("/leases?scope_id={sid}&all_states=true"),
        None,
    )
    .await
    .json;
    let p = call(
        &sim,
        Method::GET,
        &format!("/leases?scope_id={sid}&all_states=true&limit=10000"),
        None,
    )
    .await;
    assert_eq!(p.json["items"], one);
    assert!(p.json["next_cursor"].is_null());
}

#[tokio::test]
async fn bad_read_parameters_are_400_and_unknown_scope_is_404() {
    let sim = start(&small_spec()).await;
    for path in [
        "/leases?cursor=garbage",
        "/leases?limit=0",
        "/leases?limit=10001",
        "/leases?format=grouped&scope_id=10.0.0.0",
        "/leases?format=grouped&limit=5",
        "/leases?format=flat",
        "/leases?scope_id=10.0.0.999",
        "/exclusions",
        "/scopes/not-an-ip",
    ] {
        let r = call(&sim, Method::GET, path, None).await;
        assert_error(&r, 400);
    }
    for path in [
        "/leases?scope_id=172.31.0.0",
        "/reservations?scope_id=172.31.0.0",
        "/scopes/172.31.0.0",
        "/options/scope/172.31.0.0",
        "/exclusions?scope_id=172.31.0.0",
    ] {
        let r = call(&sim, Method::GET, path, None).await;
        assert_error(&r, 404);
    }
}

#[tokio::test]
async fn scope_list_flags_and_failover_fields() {
    let spec = EstateSpec {
        scopes: 30,
        ..small_spec()
    };
    let sim = start(&spec).await;
    let all = call(&sim, Method::GET, "/scopes", None).await.json;
    let active = call(&sim, Method::GET, "/scopes?active_only=true", None)
        .await
        .json;
    let inactive = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["state"] == "InActive")
        .count();
    assert_eq!(
        active.as_array().unwrap().len() + inactive,
        all.as_array().unwrap().len()
    );
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|s| s["router"].is_string())
    );
    let no_router = call(&sim, Method::GET, "/scopes?include_router=false", None)
        .await
        .json;
    assert!(
        no_router
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s.get("router").is_none())
    );

    // On the pair's first member, 4 of 5 scopes are in the relationship.
    let base = format!("{}/api/dhcp", sim.servers()[1].base_url());
    let r = crate::call_with(&base, Some(crate::TOKEN), Method::GET, "/scopes", None).await;
    let with_fo = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["failover_name"].is_string())
        .count();
    assert_eq!(with_fo, 24);
    let fo = crate::call_with(&base, Some(crate::TOKEN), Method::GET, "/failover", None)
        .await
        .json;
    check(&contract(), "array<Failover>", &fo, "failover").unwrap();
    assert_eq!(fo[0]["primary_server"], sim.servers()[1].name.as_str());
    assert_eq!(fo[0]["secondary_server"], sim.servers()[2].name.as_str());
    assert_eq!(fo[0]["scope_ids"].as_array().unwrap().len(), 24);
}
