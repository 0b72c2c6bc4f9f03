//! `examples/data/snapshot.json` and `examples/data/plan.json` (repo root) are generated from
//! this code; this test fails when they drift. Regenerate with
//! `UPDATE_EXAMPLES=1 cargo test -p windhcp-sync-engine --test it example_data`.

use std::path::PathBuf;

use windhcp_sync_engine::planner::plan_sync;
use windhcp_sync_engine::snapshot::{LeaseState, ScopeSourceRef, Snapshot};

use crate::builder::*;

/// A small but complete example: a standalone server and a failover pair, two scopes, leases,
/// a reservation, a pre-staged IP, a protected IP, a stale IP and an IP in another VRF.
pub fn example_snapshot() -> Snapshot {
    let mut b = B::empty()
        .server(S1, true)
        .server(S2, false)
        .failover("dhcp1-dhcp2", S1, S2, true)
        .prefix(1, NET, None)
        .prefix(2, "10.0.2.0/24", Some(7))
        .scope(1, NET, Some(1), ScopeSourceRef::Server(S1.into()))
        .scope(
            2,
            "10.0.2.0/24",
            Some(2),
            ScopeSourceRef::Failover("dhcp1-dhcp2".into()),
        )
        .remote_scope(S1, NET, None)
        .remote_scope(S1, "10.0.2.0/24", Some("dhcp1-dhcp2"))
        .same_names()
        .lease(S1, NET, "10.0.1.50", "00-11-22-33-44-55", "Desktop-ABC")
        .lease(S1, NET, "10.0.1.51", "00-11-22-33-44-66", "laptop-7")
        .lease_state(
            S1,
            NET,
            "10.0.1.52",
            "00-11-22-33-44-77",
            "gone-pc",
            LeaseState::Expired,
        )
        .reservation(S1, NET, "10.0.1.100", "aa-bb-cc-dd-ee-ff", "Printer-01")
        .lease(
            S1,
            "10.0.2.0/24",
            "10.0.2.20",
            "00-11-22-33-44-88",
            "phone-1",
        )
        .lease(S1, NET, "10.0.1.101", "00-11-22-33-44-bb", "whatever")
        .lease(S1, NET, "10.0.1.70", "00-11-22-33-44-cc", "hands-off")
        .remote_exclusion(S1, NET, "10.0.1.200", "10.0.1.210")
        .nb_ip(
            10,
            "10.0.1.51/24",
            None,
            "dhcp",
            "old-name",
            Some("00:11:22:33:44:66"),
            &[],
        )
        .managed(10)
        .nb_ip(
            11,
            "10.0.1.60/24",
            None,
            "dhcp",
            "stale",
            Some("00-11-22-33-44-99"),
            &[],
        )
        .managed(11)
        .nb_ip(
            12,
            "10.0.1.101/24",
            None,
            "reserved",
            "planned-host",
            None,
            &[],
        )
        .nb_ip(
            13,
            "10.0.1.70/24",
            None,
            "dhcp",
            "hands-off",
            Some("00-11-22-33-44-aa"),
            &["dhcp-protected"],
        )
        .nb_ip(
            14,
            "10.0.2.20/24",
            None,
            "dhcp",
            "global-vrf-twin",
            None,
            &[],
        );
    b.snap.settings.protect_tag = Some("dhcp-protected".into());
    b.snap.settings.deletion_budget = Default::default();
    b.snap.settings.empty_guard = Default::default();
    b.snap
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/data")
}

fn check(name: &str, content: &str) {
    let path = data_dir().join(name);
    if std::env::var_os("UPDATE_EXAMPLES").is_some() {
        std::fs::create_dir_all(data_dir()).unwrap();
        std::fs::write(&path, content).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (regenerate with UPDATE_EXAMPLES=1)",
            path.display()
        )
    });
    assert!(
        on_disk == content,
        "{} is out of date; regenerate with UPDATE_EXAMPLES=1",
        path.display()
    );
}

#[test]
fn example_files_are_in_sync() {
    let snapshot = example_snapshot();
    let snapshot_json = serde_json::to_string_pretty(&snapshot).unwrap() + "\n";
    check("snapshot.json", &snapshot_json);
    // The checked-in snapshot parses back to the same value, and plans to the checked-in plan.
    let parsed: Snapshot = serde_json::from_str(&snapshot_json).unwrap();
    assert_eq!(parsed, snapshot);
    let plan = plan_sync(&parsed);
    check("plan.json", &(plan.to_json_pretty().unwrap() + "\n"));
    assert!(!plan.is_empty());
}
