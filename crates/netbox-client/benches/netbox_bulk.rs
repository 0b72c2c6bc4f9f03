//! Bulk throughput against a real NetBox (not a test): creates, lists, updates and deletes N IP
//! addresses in bulk (default 10 000), and creates M one by one (default 1 000) for the ratio.
//! Prints wall time, requests and the client-side split per phase.
//!
//! ```text
//! eval "$(scripts/netbox/netbox-up.sh)"
//! cargo bench -p windhcp-netbox-client --bench netbox_bulk -- --n 10000 --single 1000
//! ```
//! `NETBOX_BENCH_N` / `NETBOX_BENCH_SINGLE` work too. Everything happens in a fresh VRF that is
//! deleted at the end.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a benchmark binary prints its results and aborts on failure"
)]

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use windhcp_netbox_client::{
    ClientStats, IpAddressWrite, ListQuery, NetBoxClient, Pagination, Token, VrfFilter, VrfWrite,
    WriteOptions,
};

fn arg(name: &str, env: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    let flag = format!("--{name}");
    if let Some(pos) = args.iter().position(|a| *a == flag)
        && let Some(v) = args.get(pos + 1)
    {
        return v.parse().expect("a number");
    }
    std::env::var(env)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn addr(i: usize) -> ipnetwork::IpNetwork {
    // 10.128.0.0/12 holds 1 M addresses; host numbers stay clear of .0 and .255.
    let (b, c, d) = (128 + i / 62_500, (i / 250) % 250, i % 250 + 1);
    format!("10.{b}.{c}.{d}/12").parse().unwrap()
}

struct Phase {
    name: String,
    objects: usize,
    wall: Duration,
    delta: ClientStats,
}

fn diff(a: ClientStats, b: ClientStats) -> ClientStats {
    ClientStats {
        requests: b.requests - a.requests,
        retries: b.retries - a.retries,
        bytes_sent: b.bytes_sent - a.bytes_sent,
        bytes_received: b.bytes_received - a.bytes_received,
        encode_time: b.encode_time - a.encode_time,
        decode_time: b.decode_time - a.decode_time,
        wait_time: b.wait_time - a.wait_time,
    }
}

async fn phase<F, Fut>(nb: &NetBoxClient, phases: &mut Vec<Phase>, name: &str, objects: usize, f: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    eprintln!("[bench] {name} ({objects} objects)…");
    let before = nb.stats();
    let t = Instant::now();
    f().await;
    let wall = t.elapsed();
    let delta = diff(before, nb.stats());
    eprintln!(
        "[bench]   {:.1} s, {} requests",
        wall.as_secs_f64(),
        delta.requests
    );
    phases.push(Phase {
        name: name.to_owned(),
        objects,
        wall,
        delta,
    });
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (Ok(url), Ok(token)) = (std::env::var("NETBOX_URL"), std::env::var("NETBOX_TOKEN")) else {
        eprintln!(
            "netbox_bulk: NETBOX_URL/NETBOX_TOKEN not set; run `eval \"$(scripts/netbox/netbox-up.sh)\"` first"
        );
        return;
    };
    let n = arg("n", "NETBOX_BENCH_N", 10_000);
    let single = arg("single", "NETBOX_BENCH_SINGLE", 1_000);
    let chunk = arg("chunk", "NETBOX_BENCH_CHUNK", 250);
    let conc = arg("concurrency", "NETBOX_BENCH_CONCURRENCY", 1);
    let nb = NetBoxClient::builder(url)
        .token(Token::new(token))
        .bulk_chunk(chunk)
        .max_concurrency(conc)
        .bulk_parallelism(conc)
        .changelog_message("netbox_bulk benchmark")
        .build()
        .unwrap();
    let status = nb.status().await.unwrap();
    let opts = WriteOptions::default();
    let vrf_name = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let vrf = nb
        .vrfs()
        .create(
            &VrfWrite {
                name: Some(vrf_name),
                enforce_unique: Some(true),
                ..VrfWrite::default()
            },
            &opts,
        )
        .await
        .unwrap()
        .value;
    let in_vrf = ListQuery::new().vrf(VrfFilter::Id(vrf.id));
    let mut phases = Vec::new();
    let writes: Vec<IpAddressWrite> = (0..n)
        .map(|i| {
            IpAddressWrite::new(addr(i))
                .vrf(Some(vrf.id))
                .status("active")
        })
        .collect();

    let mut ids = Vec::new();
    phase(&nb, &mut phases, "bulk create", n, || async {
        let out = nb.ip_addresses().bulk_create(&writes, &opts).await.unwrap();
        assert!(out.is_complete(), "{:?}", out.failed.first());
        ids = out.succeeded.iter().map(|s| s.value.id).collect();
    })
    .await;

    phase(
        &nb,
        &mut phases,
        "list full objects (offset, 1000/page)",
        n,
        || async {
            let v = nb.ip_addresses().list_all(&in_vrf).await.unwrap();
            assert_eq!(v.len(), n);
        },
    )
    .await;
    phase(
        &nb,
        &mut phases,
        "list sync view (fields=, offset)",
        n,
        || async {
            let v: Vec<_> = nb
                .ip_addresses_sync_view(&in_vrf)
                .try_collect()
                .await
                .unwrap();
            assert_eq!(v.len(), n);
        },
    )
    .await;
    phase(
        &nb,
        &mut phases,
        "list sync view (fields=, cursor)",
        n,
        || async {
            let q = in_vrf.clone().pagination(Pagination::Cursor);
            let v: Vec<_> = nb.ip_addresses_sync_view(&q).try_collect().await.unwrap();
            assert_eq!(v.len(), n);
        },
    )
    .await;
    phase(&nb, &mut phases, "list ids only (fields=id)", n, || async {
        let v: Vec<u64> = nb.ip_addresses().ids(&in_vrf).try_collect().await.unwrap();
        assert_eq!(v.len(), n);
    })
    .await;

    let patches: Vec<(u64, IpAddressWrite)> = ids
        .iter()
        .map(|id| (*id, IpAddressWrite::default().description("bench patched")))
        .collect();
    phase(&nb, &mut phases, "bulk patch", n, || async {
        let out = nb.ip_addresses().bulk_patch(&patches, &opts).await.unwrap();
        assert!(out.is_complete(), "{:?}", out.failed.first());
    })
    .await;
    phase(&nb, &mut phases, "bulk delete", n, || async {
        let out = nb.ip_addresses().bulk_delete(&ids, &opts).await.unwrap();
        assert!(out.is_complete(), "{:?}", out.failed.first());
    })
    .await;

    let mut single_ids = Vec::new();
    phase(
        &nb,
        &mut phases,
        "create one by one (sequential)",
        single,
        || async {
            for w in writes.iter().take(single) {
                single_ids.push(nb.ip_addresses().create(w, &opts).await.unwrap().value.id);
            }
        },
    )
    .await;
    phase(
        &nb,
        &mut phases,
        "bulk delete (cleanup of one-by-one)",
        single_ids.len(),
        || async {
            let out = nb
                .ip_addresses()
                .bulk_delete(&single_ids, &opts)
                .await
                .unwrap();
            assert!(out.is_complete());
        },
    )
    .await;
    nb.vrfs().delete(vrf.id, &opts).await.unwrap();

    println!(
        "\nnetbox_bulk: NetBox {} at {}, N={n}, one-by-one={single}, chunk={chunk}, concurrency={conc}",
        status["netbox-version"].as_str().unwrap_or("?"),
        nb.base_url()
    );
    println!(
        "{:<40} {:>7} {:>9} {:>9} {:>6} {:>10} {:>10} {:>9} {:>9} {:>9}",
        "phase",
        "objects",
        "wall s",
        "ms/obj",
        "reqs",
        "sent KiB",
        "recv KiB",
        "enc ms",
        "dec ms",
        "client %"
    );
    for p in &phases {
        let d = &p.delta;
        let client = d.encode_time + d.decode_time;
        println!(
            "{:<40} {:>7} {:>9.2} {:>9.3} {:>6} {:>10} {:>10} {:>9.1} {:>9.1} {:>8.2}%",
            p.name,
            p.objects,
            p.wall.as_secs_f64(),
            p.wall.as_secs_f64() * 1000.0 / p.objects.max(1) as f64,
            d.requests,
            d.bytes_sent / 1024,
            d.bytes_received / 1024,
            d.encode_time.as_secs_f64() * 1000.0,
            d.decode_time.as_secs_f64() * 1000.0,
            100.0 * client.as_secs_f64() / p.wall.as_secs_f64().max(1e-9),
        );
    }
    let bulk = phases
        .iter()
        .find(|p| p.name == "bulk create")
        .map(|p| p.wall.as_secs_f64() / p.objects as f64);
    let one = phases
        .iter()
        .find(|p| p.name.starts_with("create one by one"))
        .map(|p| p.wall.as_secs_f64() / p.objects.max(1) as f64);
    if let (Some(b), Some(o)) = (bulk, one) {
        println!(
            "one-by-one create costs {:.1}x bulk create per object",
            o / b
        );
    }
    println!("(client % = time in our JSON encode+decode / wall; the rest is waiting on NetBox)");
}
