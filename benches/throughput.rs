//! Criterion benches of the CPU-bound hot paths: planning a sync (10 k / 100 k / 1 M leases,
//! first sync and steady state, and the same lease count over different scope counts),
//! decoding 100 k PSU leases from the simulator's JSON through `psu::decode`, and client-id
//! normalisation over every accepted spelling.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench nice cargo bench --bench throughput
//! CARGO_TARGET_DIR=/work/target-bench nice cargo bench --bench throughput -- plan_sync/first
//! ```
//!
//! See `BENCHMARKS.md` for the figures and the budget.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use netbox_windhcp::model::ClientId;
use netbox_windhcp::psu::decode;
use netbox_windhcp::sync::planner::plan_sync;

mod common;

/// Lease counts of the scaling series.
const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

fn label(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n.is_multiple_of(1_000_000) => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n.is_multiple_of(1_000) => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

fn elements(n: usize) -> Throughput {
    Throughput::Elements(u64::try_from(n).unwrap_or(u64::MAX))
}

fn planning(c: &mut Criterion) {
    for (name, build) in [
        (
            "plan_sync/first",
            common::first_sync as fn(usize, usize) -> _,
        ),
        ("plan_sync/steady", common::steady as fn(usize, usize) -> _),
    ] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        for n in SIZES {
            let snap = build(n, common::PER_SCOPE);
            // The benches measure the planner, not an accident: check the plan's size first.
            let plan = plan_sync(&snap);
            let creates = plan.counts().get("create_ip").copied().unwrap_or(0);
            if name.ends_with("first") {
                assert_eq!(creates, n, "first sync must create one IP per lease");
            } else {
                assert!(plan.is_empty(), "steady state must plan nothing");
            }
            group.throughput(elements(n));
            group.measurement_time(Duration::from_secs(if n >= 1_000_000 { 20 } else { 5 }));
            group.bench_with_input(BenchmarkId::from_parameter(label(n)), &snap, |b, s| {
                b.iter(|| black_box(plan_sync(black_box(s))));
            });
        }
        group.finish();
    }

    // The same 100 k leases over 10 000, 2 000 and 400 scopes (10 / 50 / 250 leases each): a
    // flat per-lease cost means nothing in the planner grows with the scope count.
    let mut group = c.benchmark_group("plan_sync/scopes_100k");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    let n = 100_000;
    group.throughput(elements(n));
    for per_scope in [10, 50, 250] {
        let snap = common::steady(n, per_scope);
        group.bench_with_input(
            BenchmarkId::new("steady", format!("{}_scopes", n / per_scope)),
            &snap,
            |b, s| b.iter(|| black_box(plan_sync(black_box(s)))),
        );
    }
    group.finish();
}

mod sim {
    use windhcp_psu_simulator::{EstateSpec, SimulatorBuilder};

    /// The raw bodies of `GET /api/dhcp/leases` and `GET /api/dhcp/leases?format=grouped`
    /// served by the PSU simulator for a generated estate (the real wire shape).
    pub(super) fn lease_bodies(leases_per_scope: usize, scopes: usize) -> (Vec<u8>, Vec<u8>) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        rt.block_on(async {
            let sim = SimulatorBuilder::new()
                .generated(&EstateSpec {
                    scopes,
                    leases_per_scope,
                    reservations_per_scope: 0,
                    ..EstateSpec::default()
                })
                .token("bench")
                .start()
                .await
                .expect("simulator starts");
            let http = reqwest::Client::new();
            let get = |query: &'static str| {
                let url = format!("{}/leases{query}", sim.api_url());
                let http = http.clone();
                async move {
                    http.get(url)
                        .bearer_auth("bench")
                        .send()
                        .await
                        .expect("GET leases")
                        .error_for_status()
                        .expect("200")
                        .bytes()
                        .await
                        .expect("body")
                        .to_vec()
                }
            };
            let flat = get("").await;
            let grouped = get("?format=grouped").await;
            sim.shutdown().await;
            (flat, grouped)
        })
    }
}

fn decoding(c: &mut Criterion) {
    let (per_scope, scopes) = (250, 400);
    let asked = per_scope * scopes;
    let (flat, grouped) = sim::lease_bodies(per_scope, scopes);
    // The generator leaves some addresses free in small scopes: count what was served.
    let n = decode::leases(&flat, None)
        .expect("flat body decodes")
        .len();
    assert!(
        n * 10 >= asked * 8,
        "the simulator served {n} of {asked} leases"
    );
    let by_scope = decode::leases_grouped(&grouped).expect("grouped body decodes");
    assert_eq!(by_scope.values().map(Vec::len).sum::<usize>(), n);

    let mut group = c.benchmark_group("psu_decode");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.throughput(elements(n));
    group.bench_function(format!("leases_flat_{n}_{}MB", flat.len() >> 20), |b| {
        b.iter(|| black_box(decode::leases(black_box(&flat), None)));
    });
    group.bench_function(
        format!("leases_grouped_{n}_{}MB", grouped.len() >> 20),
        |b| b.iter(|| black_box(decode::leases_grouped(black_box(&grouped)))),
    );
    group.finish();
}

/// Every spelling `ClientId::parse` accepts, plus two it rejects.
const SPELLINGS: [&str; 12] = [
    "aa-bb-cc-dd-ee-ff",
    "AA-BB-CC-DD-EE-FF",
    "aa:bb:cc:dd:ee:ff",
    "aa bb cc dd ee ff",
    "aabb.ccdd.eeff",
    "aabbccddeeff",
    "0xAABBCCDDEEFF",
    "  a-b-c-d-e-f  ",
    "01-aa-bb-cc-dd-ee-ff",
    "ff-00-00-00-01-00-01-2a-3b-4c-5d-00-50-56-aa-bb-cc",
    "aa-bb:cc-dd-ee-ff",
    "not a client id",
];

fn client_ids(c: &mut Criterion) {
    let accepted = SPELLINGS
        .iter()
        .filter(|s| ClientId::parse(s).is_ok())
        .count();
    assert_eq!(
        accepted,
        SPELLINGS.len() - 2,
        "exactly the two bad ones fail"
    );
    let mut group = c.benchmark_group("client_id");
    group.throughput(elements(SPELLINGS.len()));
    group.bench_function("parse_all_spellings", |b| {
        b.iter(|| {
            for s in SPELLINGS {
                let _ = black_box(ClientId::parse(black_box(s)));
            }
        });
    });
    group.throughput(elements(1));
    group.bench_function("parse_and_format_windows", |b| {
        b.iter(|| {
            black_box(ClientId::parse(black_box("AA:BB:CC:DD:EE:FF")).map(|c| c.to_string()))
        });
    });
    group.finish();
}

criterion_group!(benches, planning, decoding, client_ids);
criterion_main!(benches);
