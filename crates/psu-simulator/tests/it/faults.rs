//! Fault injection through the in-process API, the admin endpoint and builder flags.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use windhcp_psu_simulator::{FaultKind, FaultRule, Faults, SimulatorBuilder};

use crate::{TOKEN, assert_error, call, call_with, small_spec, start};

fn scopes(sim: &windhcp_psu_simulator::RunningSimulator) -> Vec<Ipv4Addr> {
    sim.state()
        .read(|e| e.servers[0].scopes.keys().copied().collect())
}

#[tokio::test]
async fn status_fault_targets_one_scope_of_one_endpoint() {
    let sim = start(&small_spec()).await;
    let ids = scopes(&sim);
    sim.faults().add(
        FaultRule::new(FaultKind::Status { status: 500 })
            .on_endpoint("list_leases")
            .on_scope(ids[1]),
    );
    let bad = call(
        &sim,
        Method::GET,
        &format!("/leases?scope_id={}", ids[1]),
        None,
    )
    .await;
    assert_error(&bad, 500);
    let good = call(
        &sim,
        Method::GET,
        &format!("/leases?scope_id={}", ids[0]),
        None,
    )
    .await;
    assert_eq!(good.status, 200);
    let other = call(
        &sim,
        Method::GET,
        &format!("/reservations?scope_id={}", ids[1]),
        None,
    )
    .await;
    assert_eq!(other.status, 200);
    assert_eq!(sim.faults().list()[0].hits, 1);
}

#[tokio::test]
async fn latency_hang_and_times() {
    let sim = start(&small_spec()).await;
    sim.faults()
        .add(FaultRule::new(FaultKind::Latency { ms: 150 }).on_endpoint("health"));
    let t = Instant::now();
    assert_eq!(call(&sim, Method::GET, "/health", None).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
    sim.faults().clear();

    // A hang outlasts the client's timeout.
    sim.faults().add(
        FaultRule::new(FaultKind::Hang { ms: 5_000 })
            .on_endpoint("list_scopes")
            .times(1),
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = client
        .get(format!("{}/scopes", sim.api_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    // `times(1)` is used up: the next call succeeds.
    assert_eq!(call(&sim, Method::GET, "/scopes", None).await.status, 200);
}

#[tokio::test]
async fn truncated_and_emptied_bodies() {
    let sim = start(&small_spec()).await;
    let ids = scopes(&sim);
    let full = call(&sim, Method::GET, "/leases?format=grouped", None).await;
    let id = sim
        .faults()
        .add(FaultRule::new(FaultKind::Truncate { keep_fraction: 0.5 }).on_endpoint("list_leases"));
    let cut = call(&sim, Method::GET, "/leases?format=grouped", None).await;
    assert_eq!(cut.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&cut.text).is_err());
    assert_eq!(cut.text.len(), full.text.len() / 2);
    assert!(full.text.starts_with(&cut.text));
    assert!(sim.faults().remove(id));

    sim.faults()
        .add(FaultRule::new(FaultKind::EmptyList).on_endpoint("list_leases"));
    let r = call(&sim, Method::GET, "/leases", None).await;
    assert_eq!(r.json, json!([]));
    let r = call(&sim, Method::GET, "/leases?format=grouped", None).await;
    let m = r.json.as_object().unwrap();
    assert_eq!(m.len(), ids.len());
    assert!(m.values().all(|v| v == &json!([])));
    let r = call(&sim, Method::GET, "/leases?limit=3", None).await;
    assert_eq!(r.json, json!({"items": [], "next_cursor": null}));
    // Even an error (unknown scope) becomes an empty list: the seed's failure mode.
    let r = call(&sim, Method::GET, "/leases?scope_id=172.16.0.0", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json, json!([]));
}

#[tokio::test]
async fn admin_endpoint_arms_lists_and_disarms_rules() {
    let sim = start(&small_spec()).await;
    let base = sim.base_url();
    let rule = json!({"kind": "status", "status": 503, "endpoint": "list_scopes"});
    let r = call_with(
        &base,
        Some(TOKEN),
        Method::POST,
        "/_sim/faults",
        Some(&rule),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_u64().unwrap();
    assert_error(&call(&sim, Method::GET, "/scopes", None).await, 503);
    let list = call_with(&base, Some(TOKEN), Method::GET, "/_sim/faults", None)
        .await
        .json;
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["hits"], 1);
    assert_eq!(list[0]["rule"]["kind"], "status");
    let r = call_with(
        &base,
        Some(TOKEN),
        Method::DELETE,
        &format!("/_sim/faults/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(call(&sim, Method::GET, "/scopes", None).await.status, 200);
    let r = call_with(
        &base,
        Some(TOKEN),
        Method::DELETE,
        &format!("/_sim/faults/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let bad = call_with(
        &base,
        Some(TOKEN),
        Method::POST,
        "/_sim/faults",
        Some(&json!({"kind": "explode"})),
    )
    .await;
    assert_error(&bad, 400);
    // Faults never apply to the admin endpoints themselves.
    sim.faults()
        .add(FaultRule::new(FaultKind::Status { status: 500 }));
    assert_eq!(
        call_with(&base, Some(TOKEN), Method::GET, "/_sim/faults", None)
            .await
            .status,
        200
    );
    assert_eq!(
        call_with(&base, Some(TOKEN), Method::DELETE, "/_sim/faults", None)
            .await
            .status,
        204
    );
    assert!(sim.faults().list().is_empty());
}

#[test]
fn probabilistic_rate_is_close_and_reproducible() {
    let dice = |seed: u64| {
        let f = Faults::new(seed);
        f.add(FaultRule::new(FaultKind::Status { status: 503 }).with_probability(0.3));
        (0..2000)
            .map(|_| f.decide("health", "dhcp01", None).terminal.is_some())
            .collect::<Vec<_>>()
    };
    let a = dice(42);
    assert_eq!(a, dice(42), "same fault seed, same dice");
    assert_ne!(a, dice(43));
    let hits = a.iter().filter(|x| **x).count();
    assert!((500..=700).contains(&hits), "{hits} of 2000 at p=0.3");
}

#[tokio::test]
async fn builder_faults_apply_over_http() {
    let sim = SimulatorBuilder::new()
        .token(TOKEN)
        .fault_seed(42)
        .fault(FaultRule::new(FaultKind::Status { status: 503 }).with_probability(0.5))
        .start()
        .await
        .unwrap();
    let mut codes = Vec::new();
    for _ in 0..40 {
        codes.push(
            call(&sim, Method::GET, "/health", None)
                .await
                .status
                .as_u16(),
        );
    }
    assert!(codes.iter().all(|c| *c == 200 || *c == 503), "{codes:?}");
    assert!(codes.contains(&200) && codes.contains(&503), "{codes:?}");
    let hits = sim.faults().list()[0].hits;
    assert_eq!(hits, codes.iter().filter(|c| **c == 503).count() as u64);
}

#[tokio::test]
async fn faults_can_target_one_server() {
    let sim = start(&small_spec()).await;
    let target = sim.servers()[2].name.clone();
    sim.faults()
        .add(FaultRule::new(FaultKind::Status { status: 500 }).on_server(target));
    assert_eq!(call(&sim, Method::GET, "/health", None).await.status, 200);
    let api = format!("{}/api/dhcp", sim.servers()[2].base_url());
    assert_error(
        &call_with(&api, Some(TOKEN), Method::GET, "/health", None).await,
        500,
    );
}

#[tokio::test]
async fn shutdown_is_not_held_up_by_a_hang() {
    let sim = start(&small_spec()).await;
    sim.faults()
        .add(FaultRule::new(FaultKind::Hang { ms: 60_000 }).on_endpoint("health"));
    let url = format!("{}/health", sim.api_url());
    let pending = tokio::spawn(async move {
        reqwest::Client::new()
            .get(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .map(|r| r.status())
    });
    // Wait until the request reaches the hang.
    let waited = Instant::now();
    while sim.faults().list()[0].hits == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "request never arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), sim.shutdown())
        .await
        .expect("shutdown hung");
    assert!(t.elapsed() < Duration::from_secs(10));
    // The hung request ends (with the hang's 500) instead of waiting a minute.
    let status = tokio::time::timeout(Duration::from_secs(10), pending)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.map(|s| s.as_u16()).unwrap_or(500), 500);
}
