//! Generated estates: determinism, realism, dump/load, multi-server layout, scale.

use std::collections::BTreeSet;

use reqwest::Method;
use windhcp_psu_simulator::{
    AddressState, Estate, EstateSpec, SimulatorBuilder, UNLIMITED_LEASE_SECS, generate, load_estate,
};

use crate::{TOKEN, call, small_spec};

#[test]
fn same_seed_same_json_other_seed_other_json() {
    let spec = small_spec();
    let a = serde_json::to_string(&generate(&spec)).unwrap();
    let b = serde_json::to_string(&generate(&spec)).unwrap();
    assert_eq!(a, b);
    let c = serde_json::to_string(&generate(&EstateSpec { seed: 8, ..spec })).unwrap();
    assert_ne!(a, c);
}

#[test]
fn generated_estate_is_valid_and_realistic() {
    let spec = EstateSpec {
        servers: 2,
        failover_pairs: 1,
        scopes: 40,
        leases_per_scope: 60,
        reservations_per_scope: 6,
        seed: 3,
        ..EstateSpec::default()
    };
    let e = generate(&spec);
    e.check_all().unwrap();
    assert_eq!(e.servers.len(), 4);
    let names: BTreeSet<_> = e.servers.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names.len(), 4);
    // Standalone servers hold every lease they were asked for, plus the reservations' leases.
    for s in &e.servers[..2] {
        assert_eq!(s.scopes.len(), 40);
        assert_eq!(s.lease_count(), 40 * (60 + 6));
    }
    let states: BTreeSet<String> = e.servers[0]
        .scopes
        .values()
        .flat_map(|s| s.leases.values().map(|l| format!("{:?}", l.address_state)))
        .collect();
    for want in [
        "Active",
        "ActiveReservation",
        "InactiveReservation",
        "Offered",
        "Declined",
        "Expired",
    ] {
        assert!(states.contains(want), "missing {want} in {states:?}");
    }
    let all_scopes: Vec<_> = e.servers[0].scopes.values().collect();
    assert!(
        all_scopes
            .iter()
            .all(|s| !s.exclusions.is_empty() && s.router().is_some())
    );
    assert!(
        all_scopes
            .iter()
            .any(|s| s.leases.values().any(|l| l.hostname.is_empty()))
    );
    assert!(
        all_scopes
            .iter()
            .any(|s| s.leases.values().any(|l| l.hostname.starts_with("WS-")))
    );
    // Unlimited leases have no expiry.
    for s in all_scopes
        .iter()
        .filter(|s| s.lease_duration_seconds == UNLIMITED_LEASE_SECS)
    {
        assert!(s.leases.values().all(|l| l.lease_expiry.is_none()));
    }
    let active_with_expiry = all_scopes
        .iter()
        .filter(|s| s.lease_duration_seconds != UNLIMITED_LEASE_SECS)
        .flat_map(|s| s.leases.values())
        .filter(|l| l.address_state == AddressState::Active)
        .all(|l| l.lease_expiry.is_some_and(|t| t > spec.base_time));
    assert!(active_with_expiry);
    // No scope overlaps another across the whole estate either (distinct blocks).
    let mut nets = BTreeSet::new();
    for s in &e.servers[..3] {
        for id in s.scopes.keys() {
            assert!(nets.insert(*id), "scope {id} generated twice");
        }
    }
    // The pair: every fifth scope is local to the first member; members hold identical copies.
    let (a, b) = (&e.servers[2], &e.servers[3]);
    let f = a.failovers.values().next().unwrap();
    assert_eq!(f.scope_ids.len(), 32);
    assert_eq!(b.scopes.len(), 32);
    for id in &f.scope_ids {
        assert_eq!(a.scopes[id], b.scopes[id]);
    }
    assert_eq!(b.failovers[&f.name].partner_server, a.name);
}

#[tokio::test]
async fn dump_and_load_round_trip_and_serve_the_same_answers() {
    let spec = small_spec();
    let sim = SimulatorBuilder::new()
        .generated(&spec)
        .token(TOKEN)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    sim.state().save(&path).unwrap();
    let loaded: Estate = load_estate(&path).unwrap();
    assert_eq!(loaded, generate(&spec));
    let sim2 = SimulatorBuilder::new()
        .state_file(&path)
        .unwrap()
        .token(TOKEN)
        .start()
        .await
        .unwrap();
    for path in [
        "/leases?format=grouped&all_states=true",
        "/scopes",
        "/reservations?format=grouped",
    ] {
        assert_eq!(
            call(&sim, Method::GET, path, None).await.text,
            call(&sim2, Method::GET, path, None).await.text
        );
    }
    // The admin dump is the same document.
    let dump = crate::call_with(
        &sim.base_url(),
        Some(TOKEN),
        Method::GET,
        "/_sim/state",
        None,
    )
    .await
    .json;
    assert_eq!(serde_json::from_value::<Estate>(dump).unwrap(), loaded);
}

#[test]
fn loading_a_state_that_breaks_a_rule_fails() {
    let mut e = generate(&small_spec());
    let s = e.servers[0].scopes.values_mut().next().unwrap();
    s.end_ip = std::net::Ipv4Addr::from(u32::from(s.scope_id) + 100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, serde_json::to_string(&e).unwrap()).unwrap();
    let err = load_estate(&path).unwrap_err();
    assert_eq!(err.status(), 400, "{err}");
    std::fs::write(&path, "{not json").unwrap();
    assert!(load_estate(&path).is_err());
}

#[tokio::test]
async fn streamed_bulk_read_is_complete_at_moderate_scale() {
    let spec = EstateSpec {
        scopes: 40,
        leases_per_scope: 500,
        reservations_per_scope: 10,
        ..EstateSpec::default()
    };
    let sim = SimulatorBuilder::new()
        .generated(&spec)
        .token(TOKEN)
        .start()
        .await
        .unwrap();
    let r = call(
        &sim,
        Method::GET,
        "/leases?format=grouped&all_states=true",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let m = r.json.as_object().unwrap();
    assert_eq!(m.len(), 40);
    let n: usize = m.values().map(|v| v.as_array().unwrap().len()).sum();
    assert_eq!(n, 40 * 510);
    // Bigger than one stream chunk, so the chunking was exercised.
    assert!(r.text.len() > 256 * 1024);
}
