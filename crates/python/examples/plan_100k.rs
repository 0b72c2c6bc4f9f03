//! The Rust side of the Python planning benchmark (`bench/plan_bench.py`).
//!
//! ```text
//! cargo run --release -p windhcp-python --example plan_100k [-- SNAPSHOT.json] [RUNS]
//! ```
//!
//! Without a file it generates the same 100 000-lease snapshot as the Python benchmark (same
//! shape, same numbers); with one it plans that file. Prints the median time of `plan_sync` on
//! a parsed snapshot, and of JSON parsing and plan encoding for reference.

use std::net::Ipv4Addr;
use std::time::Instant;

use serde_json::{Map, Value, json};
use windhcp_sync_engine::planner::plan_sync;
use windhcp_sync_engine::snapshot::Snapshot;

const SERVER: &str = "dhcp01.example.com";

fn ip(n: u32) -> String {
    Ipv4Addr::from(n).to_string()
}

/// Mirrors `build_snapshot` in `bench/plan_bench.py`.
fn build_snapshot(leases: u64, per_scope: u64) -> Value {
    let mut scopes_inv = Map::new();
    let mut prefixes = Map::new();
    let mut ips = Map::new();
    let mut lease_info = Map::new();
    let mut scope_read = Map::new();
    let mut lease_read = Map::new();
    let mut next_id: u64 = 1_000_000;
    let scopes = leases.div_ceil(per_scope);
    let mut made: u64 = 0;
    let base0 = u32::from(Ipv4Addr::new(10, 0, 0, 0));
    for s in 0..scopes {
        let s32 = u32::try_from(s).unwrap_or(u32::MAX);
        let base = base0 + s32 * 1024;
        let net = format!("{}/22", ip(base));
        let sid = ip(base);
        let (start, end) = (ip(base + 10), ip(base + 1000));
        let (scope_id, prefix_id) = (10 + s, 500_000 + s);
        scopes_inv.insert(
            scope_id.to_string(),
            json!({"id": scope_id, "name": format!("scope-{s}"), "network": net,
                   "prefix_id": prefix_id, "start": start, "end": end,
                   "lease_lifetime_secs": 86400, "source": {"server": SERVER}}),
        );
        prefixes.insert(
            prefix_id.to_string(),
            json!({"id": prefix_id, "prefix": net, "vrf": null}),
        );
        scope_read.insert(
            sid.clone(),
            json!({"network": net, "name": format!("scope-{s}"), "start": start, "end": end,
                   "lease_lifetime_secs": 86400}),
        );
        let count = per_scope.min(leases - made);
        let mut rows = Vec::new();
        for j in 0..count {
            let j32 = u32::try_from(j).unwrap_or(u32::MAX);
            let addr = ip(base + 10 + j32);
            let n = made + j;
            let mac = n.to_be_bytes()[2..]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join("-");
            let host = format!("host-{n}");
            rows.push(
                json!({"ip": addr, "client_id": mac, "hostname": host, "state": "active",
                             "expires": "2026-12-04T08:00:00Z"}),
            );
            if j % 2 == 0 {
                next_id += 1;
                let dns = if j % 4 == 0 {
                    host.clone()
                } else {
                    format!("old-{n}")
                };
                ips.insert(
                    next_id.to_string(),
                    json!({"id": next_id, "address": format!("{addr}/22"), "status": "dhcp",
                           "dns_name": dns, "dhcp_client_id": mac}),
                );
                lease_info.insert(
                    next_id.to_string(),
                    json!({"hostname": host, "active": true, "expires": "2026-12-04T08:00:00Z"}),
                );
            }
        }
        made += count;
        lease_read.insert(sid, json!({"ok": rows}));
        for k in 0..3u32 {
            next_id += 1;
            ips.insert(
                next_id.to_string(),
                json!({"id": next_id, "address": format!("{}/22", ip(base + 1001 + k)),
                       "status": "dhcp", "dns_name": format!("gone-{s}-{k}")}),
            );
            lease_info.insert(
                next_id.to_string(),
                json!({"hostname": format!("gone-{s}-{k}"), "active": true}),
            );
        }
    }
    let empty: Map<String, Value> = scope_read
        .keys()
        .map(|k| (k.clone(), json!({"ok": []})))
        .collect();
    json!({
        "settings": {"sync_ip_addresses": true},
        "inventory": {
            "servers": {SERVER: {"id": 1, "hostname": SERVER, "sync_standalone": true}},
            "scopes": scopes_inv,
            "lease_info": lease_info,
        },
        "servers": {SERVER: {
            "scopes": {"ok": scope_read}, "failovers": {"ok": []}, "leases": lease_read,
            "reservations": &empty, "exclusions": &empty, "options": &empty,
        }},
        "ipam": {"ip_addresses": ips, "prefixes": prefixes},
    })
}

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

#[allow(clippy::print_stdout)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args.next().filter(|a| a != "-");
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5);
    let text = match file {
        Some(path) => std::fs::read_to_string(path)?,
        None => serde_json::to_string(&build_snapshot(100_000, 250))?,
    };
    let snapshot: Snapshot = serde_json::from_str(&text)?;
    let plan = plan_sync(&snapshot);
    println!(
        "snapshot: {:.1} MB JSON; plan: {} actions {:?}",
        text.len() as f64 / 1e6,
        plan.actions.len(),
        plan.counts()
    );
    let plan_ms = median_ms(runs, || {
        std::hint::black_box(plan_sync(std::hint::black_box(&snapshot)));
    });
    let parse_ms = median_ms(runs, || {
        let s: Result<Snapshot, _> = serde_json::from_str(&text);
        std::hint::black_box(s.is_ok());
    });
    let encode_ms = median_ms(runs, || {
        std::hint::black_box(serde_json::to_string(&plan).map(|t| t.len()).unwrap_or(0));
    });
    println!("{plan_ms:9.1} ms  plan_sync (parsed snapshot -> Plan)");
    println!("{parse_ms:9.1} ms  serde_json parse of the snapshot");
    println!("{encode_ms:9.1} ms  serde_json encode of the plan");
    println!(
        "{:9.1} ms  parse + plan + encode (the plan_sync_json equivalent)",
        parse_ms + plan_ms + encode_ms
    );
    Ok(())
}
