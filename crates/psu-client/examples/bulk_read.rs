//! Measures a bulk lease read: 200 scopes × 500 leases served by the in-process PSU simulator,
//! read with `GET /leases?format=grouped` (and, for comparison, with paging).
//!
//! `cargo run --release -p windhcp-psu-client --example bulk_read [scopes] [leases_per_scope]`
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use windhcp_psu_client::{LeaseQuery, PsuClient};
use windhcp_psu_simulator::{EstateSpec, SimulatorBuilder};

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let scopes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let per_scope: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let spec = EstateSpec {
        servers: 1,
        failover_pairs: 0,
        scopes,
        leases_per_scope: per_scope,
        reservations_per_scope: 0,
        ..EstateSpec::default()
    };
    let sim = SimulatorBuilder::new()
        .generated(&spec)
        .token("bench-token")
        .start()
        .await
        .expect("simulator");
    let ep = &sim.servers()[0];
    let client = PsuClient::builder(ep.addr.ip().to_string())
        .port(ep.addr.port())
        .https(false)
        .token("bench-token")
        .build()
        .expect("client");
    let before = vm_hwm_kib();
    println!("estate: {scopes} scopes x {per_scope} leases; VmHWM before reads: {before:?} KiB");

    for round in 1..=3 {
        let t = Instant::now();
        let grouped = client.leases_by_scope().await.expect("grouped read");
        let elapsed = t.elapsed();
        let n: usize = grouped.values().map(Vec::len).sum();
        println!(
            "grouped read #{round}: {n} leases in {} scopes, {:.3} s, VmHWM {:?} KiB",
            grouped.len(),
            elapsed.as_secs_f64(),
            vm_hwm_kib()
        );
    }
    let t = Instant::now();
    let paged = client
        .list_all_leases(LeaseQuery::default(), 5000)
        .await
        .expect("paged read");
    println!(
        "paged read (5000/page): {} leases, {:.3} s, VmHWM {:?} KiB",
        paged.len(),
        t.elapsed().as_secs_f64(),
        vm_hwm_kib()
    );
    sim.shutdown().await;

    // Client-side cost alone: decode a synthetic grouped body of the same size.
    let mut body = String::from("{");
    for s in 0..scopes {
        let (a, b) = (10 + s / 256, s % 256);
        if s > 0 {
            body.push(',');
        }
        body.push_str(&format!("\"{a}.{b}.0.0\":["));
        for l in 0..per_scope {
            if l > 0 {
                body.push(',');
            }
            body.push_str(&format!(
                "{{\"ip_address\":\"{a}.{b}.{}.{}\",\"scope_id\":\"{a}.{b}.0.0\",\
                 \"client_id\":\"00-50-56-{:02x}-{:02x}-{:02x}\",\"hostname\":\"pc-{l}\",\
                 \"address_state\":\"Active\",\"lease_expiry\":\"2030-01-01T00:00:00Z\"}}",
                l / 256,
                l % 256,
                s % 256,
                l / 256,
                l % 256
            ));
        }
        body.push(']');
    }
    body.push('}');
    let t = Instant::now();
    let decoded = windhcp_psu_client::decode::leases_grouped(body.as_bytes()).expect("decode");
    println!(
        "decode only: {} leases from {} MiB in {:.3} s, VmHWM {:?} KiB",
        decoded.values().map(Vec::len).sum::<usize>(),
        body.len() / (1024 * 1024),
        t.elapsed().as_secs_f64(),
        vm_hwm_kib()
    );
}
