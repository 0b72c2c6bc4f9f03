//! Peak memory and single-core throughput of planning, which criterion does not measure.
//!
//! Builds a synthetic snapshot of N active leases (250 per /24 scope, one server), plans the
//! first sync and the steady-state resync once each, and prints wall time, leases per second
//! and the process's resident memory (`VmRSS` / peak `VmHWM` from `/proc/self/status`) before
//! and after each step. After the measured plan it also times `plan_id` (the snapshot's content
//! hash, which `plan_sync` computes for every plan) on its own, to show its share.
//!
//! `--only first` or `--only steady` runs one of the two cases (for a profiler). With
//! `--long-names` the client ids (35 characters) and host names (46) are too long for a
//! small-string type to hold inline, to check that the heap case does not regress.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench nice cargo bench --bench plan_memory -- 1000000
//! CARGO_TARGET_DIR=/work/target-bench nice cargo bench --bench plan_memory -- 1000000 --long-names
//! /usr/bin/time -v target/release/deps/plan_memory-* 1000000     # cross-check the peak
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use netbox_windhcp::sync::planner::{plan_id, plan_sync};

mod common;

/// `(VmRSS, VmHWM)` in KiB, from `/proc/self/status` (zeros where unavailable).
fn rss_kib() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak (`VmHWM`) to the current RSS (Linux ≥ 4.0: `echo 5 > /proc/self/clear_refs`).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    let leases: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let names = if std::env::args().any(|a| a == "--long-names") {
        common::Names::Long
    } else {
        common::Names::Short
    };
    let (rss0, _) = rss_kib();
    println!(
        "plan_memory: {leases} leases, {} per scope, {} names; baseline RSS {:.1} MiB",
        common::PER_SCOPE,
        if names == common::Names::Long {
            "long"
        } else {
            "short"
        },
        mib(rss0)
    );

    // `--only first` / `--only steady`: one case alone (for a profiler).
    let only = std::env::args()
        .skip_while(|a| a != "--only")
        .nth(1)
        .unwrap_or_default();
    for steady in [false, true] {
        if (only == "first" && steady) || (only == "steady" && !steady) {
            continue;
        }
        let label = if steady { "steady" } else { "first" };
        let t = Instant::now();
        let snap = if steady {
            common::steady_named(leases, common::PER_SCOPE, names)
        } else {
            common::first_sync_named(leases, common::PER_SCOPE, names)
        };
        let built = t.elapsed();
        let (rss_snap, hwm_build) = rss_kib();
        let reset = reset_peak();
        let t = Instant::now();
        let plan = black_box(plan_sync(black_box(&snap)));
        let took = t.elapsed();
        let (rss_plan, hwm_after) = rss_kib();
        let actions = plan.actions.len();
        if steady {
            assert_eq!(actions, 0, "steady state plans nothing");
        } else {
            let creates = plan.counts().get("create_ip").copied().unwrap_or(0);
            assert_eq!(creates, leases, "first sync creates one IP per lease");
        }
        println!(
            "{label:>6}: snapshot built in {:.2} s, RSS {:.1} MiB | plan_sync {:.3} s = {:.2} M leases/s, \
             {actions} actions | RSS after {:.1} MiB, peak while planning {:.1} MiB{} (+{:.1} MiB over the \
             snapshot; peak while building {:.1} MiB)",
            built.as_secs_f64(),
            mib(rss_snap),
            took.as_secs_f64(),
            leases as f64 / took.as_secs_f64() / 1e6,
            mib(rss_plan),
            mib(hwm_after),
            if reset {
                ""
            } else {
                " (peak reset unsupported: process peak)"
            },
            mib(hwm_after.saturating_sub(rss_snap)),
            mib(hwm_build),
        );
        drop(plan);
        let t = Instant::now();
        black_box(plan_id(black_box(&snap)));
        let hashed = t.elapsed();
        println!(
            "{label:>6}: of which plan_id (content hash of the snapshot) ~{:.3} s = {:.0} %; \
             planning without it would run at {:.2} M leases/s",
            hashed.as_secs_f64(),
            100.0 * hashed.as_secs_f64() / took.as_secs_f64(),
            leases as f64 / (took.as_secs_f64() - hashed.as_secs_f64()).max(1e-9) / 1e6,
        );
        drop(snap);
    }
}
