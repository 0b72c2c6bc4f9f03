//! The `psu-simulator` binary: generated dumps are deterministic and loadable.

use std::process::Command;

use windhcp_psu_simulator::{Estate, EstateSpec, generate};

fn dump(seed: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_psu-simulator"))
        .args([
            "--dump-only",
            "--scopes",
            "3",
            "--leases-per-scope",
            "8",
            "--reservations-per-scope",
            "2",
        ])
        .args(["--failover-pairs", "1", "--seed", seed])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn dump_only_is_deterministic_and_matches_the_library() {
    let a = dump("11");
    assert_eq!(a, dump("11"));
    assert_ne!(a, dump("12"));
    let parsed: Estate = serde_json::from_str(&a).unwrap();
    parsed.check_all().unwrap();
    let spec = EstateSpec {
        servers: 1,
        failover_pairs: 1,
        scopes: 3,
        leases_per_scope: 8,
        reservations_per_scope: 2,
        seed: 11,
        ..EstateSpec::default()
    };
    assert_eq!(parsed, generate(&spec));
    assert_eq!(parsed.servers.len(), 3);
}

#[test]
fn a_broken_state_file_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    std::fs::write(&path, r#"{"servers":[{"name":"a","scopes":[{"scope_id":"10.0.0.0","subnet_mask":"255.255.255.0","start_ip":"10.0.0.10","end_ip":"10.0.1.5"}]}]}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_psu-simulator"))
        .arg("--state")
        .arg(&path)
        .arg("--dump-only")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("outside the subnet"), "{err}");
}
