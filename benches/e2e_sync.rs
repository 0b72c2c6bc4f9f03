//! End-to-end sync benchmark against a real NetBox and the in-process PSU simulator.
//!
//! For an estate of N leases (default 10 000, `--leases N`, 250 per scope) it runs, in one
//! process and one after the other so that the ratios are honest on a noisy machine:
//!
//! * **engine** — the product, exactly as the `sync` tool drives it: `gather` → `plan_sync` →
//!   `Executor::apply` with the sync engine's own adapters (`adapters::psu::PsuConnector`,
//!   `adapters::netbox::NetBoxIpam`) and the tool's defaults (`GatherOptions::default()`,
//!   `ExecuteOptions::default()`, `EtagMode::Exact` — `--etag-mode prechecked` measures the
//!   other mode). The plugin inventory is in memory (the NetBox here has no plugin installed).
//! * **naive** — the same work with one request per object (per-scope PSU reads, one lookup
//!   GET per lease, one POST/PATCH/DELETE per changed object). It compares what it finds with
//!   what it would write (as NetBox stores it: DNS names lower-cased) and writes only
//!   differences, so a no-change pass writes nothing.
//! * **floor** — one raw bulk POST per 1 000 IP addresses (first sync) or one raw trimmed
//!   listing (resync), with `reqwest` directly.
//!
//! each for (a) the first sync, (b) a resync with no change and (c) a resync after 5 % churn.
//! Every HTTP request goes through a counting proxy on loopback (one in front of NetBox, one in
//! front of the simulator), which counts requests per method, bytes, NetBox objects written and
//! keeps the request paths (printed for the engine, to show the `fields=` trimming).
//!
//! ```text
//! source /var/tmp/netbox-windhcp/env      # NETBOX_URL, NETBOX_TOKEN
//! CARGO_TARGET_DIR=/work/target-bench nice cargo bench --bench e2e_sync -- --leases 1000
//! ```
//!
//! Clean IPAM: each variant writes into its own VRF (`windhcp-bench-engine`, `-naive`,
//! `-floor`). Before the run the bench deletes every IP address and prefix in those VRFs
//! (whatever an earlier, possibly crashed, run left) and checks they are empty; after the run —
//! also when a variant panicked — it deletes them again and checks again.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use ipnetwork::{IpNetwork, Ipv4Network};
use netbox_windhcp::model::{Secret, ServerConnection};
use netbox_windhcp::netbox::{
    DHCP_CLIENT_ID_FIELD, IpAddress, IpAddressWrite, ListQuery, NetBoxClient, Token, VrfFilter,
    WriteOptions,
};
use netbox_windhcp::sync::adapters::netbox::{EtagMode, NetBoxIpam};
use netbox_windhcp::sync::adapters::psu::PsuConnector;
use netbox_windhcp::sync::executor::{ExecuteOptions, Executor};
use netbox_windhcp::sync::gather::{GatherOptions, gather};
use netbox_windhcp::sync::memory::MemoryInventory;
use netbox_windhcp::sync::planner::plan_sync;
use netbox_windhcp::sync::snapshot::{
    InventoryScope, InventoryServer, ScopeSourceRef, ServerName, SyncSettings,
};
use netbox_windhcp::sync::source::{NoProgress, Sources};
use serde_json::{Value, json};
use windhcp_psu_simulator::{EstateSpec, RunningSimulator, SimulatorBuilder};

const PSU_TOKEN: &str = "bench-psu-token";
const PER_SCOPE: usize = 250;
const FLOOR_CHUNK: usize = 1000;

// =============================================================================================
// Counting proxy
// =============================================================================================

/// What went through one proxy.
#[derive(Debug, Default, Clone)]
struct Counts {
    by_method: BTreeMap<String, u64>,
    bytes_up: u64,
    bytes_down: u64,
    /// Objects in write bodies (a JSON array counts its items, anything else 1).
    objects_written: u64,
    /// GETs of `ip-addresses` with and without a `fields=` trim.
    ip_gets_trimmed: u64,
    ip_gets_full: u64,
    /// `METHOD path?query` of every request, in order.
    paths: Vec<String>,
}

impl Counts {
    fn requests(&self) -> u64 {
        self.by_method.values().sum()
    }

    fn writes(&self) -> u64 {
        self.by_method
            .iter()
            .filter(|(m, _)| m.as_str() != "GET")
            .map(|(_, n)| n)
            .sum()
    }

    fn methods(&self) -> String {
        if self.by_method.is_empty() {
            return "-".to_owned();
        }
        self.by_method
            .iter()
            .map(|(m, n)| format!("{m} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    http: reqwest::Client,
    counts: Arc<Mutex<Counts>>,
}

struct Proxy {
    addr: SocketAddr,
    counts: Arc<Mutex<Counts>>,
}

impl Proxy {
    async fn start(upstream: &str) -> Self {
        let counts = Arc::new(Mutex::new(Counts::default()));
        let state = ProxyState {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(32)
                .build()
                .expect("proxy client"),
            counts: Arc::clone(&counts),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, counts }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn take(&self) -> Counts {
        std::mem::take(&mut *self.counts.lock().expect("counts"))
    }
}

/// Headers not forwarded. `Host` is kept, so that NetBox's `next` links point at the proxy.
const HOP_BY_HOP: [&str; 4] = [
    "connection",
    "transfer-encoding",
    "content-length",
    "keep-alive",
];

async fn forward(State(st): State<ProxyState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body: Bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let pq = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    {
        let mut c = st.counts.lock().expect("counts");
        *c.by_method.entry(parts.method.to_string()).or_insert(0) += 1;
        c.paths.push(format!("{} {pq}", parts.method));
        c.bytes_up += body.len() as u64;
        if parts.method != Method::GET {
            c.objects_written += match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Array(items)) => items.len() as u64,
                _ => 1,
            };
        } else if pq.contains("/ipam/ip-addresses/") {
            if pq.contains("fields=") || pq.contains("brief=") {
                c.ip_gets_trimmed += 1;
            } else {
                c.ip_gets_full += 1;
            }
        }
    }
    let mut out = st
        .http
        .request(parts.method.clone(), format!("{}{pq}", st.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            out = out.header(name, value);
        }
    }
    let answer = match out.send().await {
        Ok(a) => a,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = answer.status();
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            headers.append(HeaderName::from(name), value.clone());
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    st.counts.lock().expect("counts").bytes_down += bytes.len() as u64;
    (status, headers, bytes).into_response()
}

fn write_of(
    status: &str,
    dns: &str,
    client_id: Option<&String>,
    base: IpAddressWrite,
) -> IpAddressWrite {
    base.status(status).dns_name(dns).custom_field(
        DHCP_CLIENT_ID_FIELD,
        client_id.map_or(Value::Null, |c| Value::String(c.clone())),
    )
}

// =============================================================================================
// Setup
// =============================================================================================

struct Args {
    leases: usize,
    skip_naive: bool,
    skip_floor: bool,
    etag_mode: EtagMode,
}

fn args() -> Args {
    let mut out = Args {
        leases: 10_000,
        skip_naive: false,
        skip_floor: false,
        // What the `sync` tool uses (`NetBoxIpam::new`).
        etag_mode: EtagMode::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--leases" => {
                out.leases = it
                    .next()
                    .and_then(|v| v.replace('_', "").parse().ok())
                    .expect("--leases takes a number");
            }
            "--skip-naive" => out.skip_naive = true,
            "--skip-floor" => out.skip_floor = true,
            "--etag-mode" => {
                out.etag_mode = match it.next().as_deref() {
                    Some("exact") => EtagMode::Exact,
                    Some("prechecked") => EtagMode::Prechecked,
                    other => panic!("--etag-mode takes exact or prechecked, not {other:?}"),
                };
            }
            // `cargo bench` passes `--bench`; ignore it and anything else criterion-shaped.
            _ => {}
        }
    }
    out
}

/// NETBOX_URL and NETBOX_TOKEN from the environment, or from `/var/tmp/netbox-windhcp/env`.
fn netbox_env() -> Option<(String, String)> {
    let from_env = || {
        Some((
            std::env::var("NETBOX_URL").ok()?,
            std::env::var("NETBOX_TOKEN").ok()?,
        ))
    };
    if let Some(v) = from_env() {
        return Some(v);
    }
    let text = std::fs::read_to_string("/var/tmp/netbox-windhcp/env").ok()?;
    let mut vars = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches("export ").trim();
        if let Some((k, v)) = line.split_once('=') {
            vars.insert(
                k.trim().to_owned(),
                v.trim().trim_matches(['"', '\'']).to_owned(),
            );
        }
    }
    Some((
        vars.get("NETBOX_URL")?.clone(),
        vars.get("NETBOX_TOKEN")?.clone(),
    ))
}

/// A NetBox client as the `sync` tool builds one with its defaults (change-log prefix, 60 s
/// timeout).
fn netbox_client(url: &str, token: &str) -> NetBoxClient {
    NetBoxClient::builder(url)
        .token(Token::new(token))
        .changelog_message("netbox-windhcp sync")
        .timeout(Duration::from_secs(60))
        .build()
        .expect("NetBox client")
}

const VRFS: [&str; 3] = [
    "windhcp-bench-engine",
    "windhcp-bench-naive",
    "windhcp-bench-floor",
];

/// Delete every IP address and prefix of the VRF `vrf`, then check that none is left.
/// Returns how many IP addresses and prefixes were deleted.
async fn empty_vrf(nb: &NetBoxClient, vrf: u64) -> (usize, usize) {
    let opts = WriteOptions::message("windhcp bench cleanup");
    let mut removed = (0, 0);
    for _pass in 0..3 {
        let q = ListQuery::new().vrf(VrfFilter::Id(vrf));
        let ips: Vec<u64> = nb
            .ip_addresses()
            .ids(&q)
            .try_collect()
            .await
            .expect("list bench IPs");
        if !ips.is_empty() {
            let out = nb
                .ip_addresses()
                .bulk_delete(&ips, &opts)
                .await
                .expect("bulk delete IPs");
            removed.0 += out.succeeded.len();
        }
        let q = ListQuery::new().param("vrf_id", vrf);
        let prefixes: Vec<u64> = nb
            .prefixes()
            .ids(&q)
            .try_collect()
            .await
            .expect("list bench prefixes");
        if !prefixes.is_empty() {
            let out = nb
                .prefixes()
                .bulk_delete(&prefixes, &opts)
                .await
                .expect("bulk delete prefixes");
            removed.1 += out.succeeded.len();
        }
        if ips.is_empty() && prefixes.is_empty() {
            return removed;
        }
    }
    panic!("VRF {vrf} still holds objects after three cleanup passes");
}

/// A simulated scope as the bench sees it.
#[derive(Debug, Clone)]
struct SimScope {
    network: Ipv4Network,
    name: String,
    start: Ipv4Addr,
    end: Ipv4Addr,
    lifetime: Option<u64>,
}

fn sim_scopes(sim: &RunningSimulator) -> (String, Vec<SimScope>) {
    let estate = sim.state().snapshot();
    let server = estate.servers.first().expect("one server");
    let scopes = server
        .scopes
        .values()
        .map(|s| {
            let len = ipnetwork::ipv4_mask_to_prefix(s.subnet_mask).expect("mask");
            SimScope {
                network: Ipv4Network::new(s.scope_id, len).expect("network"),
                name: s.name.clone(),
                start: s.start_ip,
                end: s.end_ip,
                lifetime: (s.lease_duration_seconds != windhcp_psu_simulator::UNLIMITED_LEASE_SECS)
                    .then_some(u64::from(s.lease_duration_seconds)),
            }
        })
        .collect();
    (server.name.clone(), scopes)
}

/// Every active lease of the simulator: (scope network, ip, client id, hostname).
fn sim_leases(sim: &RunningSimulator) -> Vec<(Ipv4Network, Ipv4Addr, String, String)> {
    let (_, scopes) = sim_scopes(sim);
    let estate = sim.state().snapshot();
    let server = estate.servers.first().expect("one server");
    let mut out = Vec::new();
    for sc in &scopes {
        if let Some(s) = server.scopes.get(&sc.network.network()) {
            for l in s.leases.values() {
                if l.address_state == windhcp_psu_simulator::AddressState::Active {
                    out.push((
                        sc.network,
                        l.ip_address,
                        l.client_id.clone(),
                        l.hostname.clone(),
                    ));
                }
            }
        }
    }
    out
}

/// 5 % churn: of every 20 leases, one is renamed, released or handed to a new client
/// (rotating). Returns how many leases changed.
fn churn(sim: &RunningSimulator, server: &str) -> usize {
    let leases = sim_leases(sim);
    let mut changed = 0;
    for (k, (net, ip, _, _)) in leases.iter().enumerate() {
        if k % 20 != 7 {
            continue;
        }
        changed += 1;
        let scope = net.network();
        match (k / 20) % 3 {
            0 => sim
                .state()
                .add_active_lease(
                    server,
                    scope,
                    *ip,
                    &format!("02-00-00-00-{:02x}-{:02x}", (k >> 8) & 0xff, k & 0xff),
                    &format!("renamed-{k}.corp.example"),
                )
                .expect("rename"),
            1 => {
                sim.state()
                    .remove_lease(server, scope, *ip)
                    .expect("release");
            }
            _ => sim
                .state()
                .add_active_lease(
                    server,
                    scope,
                    *ip,
                    &format!("02-11-00-00-{:02x}-{:02x}", (k >> 8) & 0xff, k & 0xff),
                    &format!("new-{k}.corp.example"),
                )
                .expect("new client"),
        }
    }
    changed
}

// =============================================================================================
// Runs
// =============================================================================================

/// One measured run.
#[derive(Debug, Clone)]
struct Run {
    variant: &'static str,
    phase: &'static str,
    wall: Duration,
    psu: Counts,
    netbox: Counts,
    detail: String,
}

struct Bench {
    psu_proxy: Proxy,
    nb_proxy: Proxy,
    nb_url: String,
    nb_token: String,
    server: String,
    scopes: Vec<SimScope>,
    vrfs: BTreeMap<&'static str, u64>,
    runs: Vec<Run>,
}

impl Bench {
    fn record(
        &mut self,
        variant: &'static str,
        phase: &'static str,
        wall: Duration,
        detail: String,
    ) {
        let run = Run {
            variant,
            phase,
            wall,
            psu: self.psu_proxy.take(),
            netbox: self.nb_proxy.take(),
            detail,
        };
        eprintln!(
            "  {variant:<17} {phase:<8} {:>9.2} s  PSU {:>5} req ({})  NetBox {:>5} req ({}), {} objects written  {}",
            run.wall.as_secs_f64(),
            run.psu.requests(),
            run.psu.methods(),
            run.netbox.requests(),
            run.netbox.methods(),
            run.netbox.objects_written,
            run.detail
        );
        self.runs.push(run);
    }

    fn psu_client(&self) -> netbox_windhcp::psu::PsuClient {
        netbox_windhcp::psu::PsuClient::builder("127.0.0.1")
            .port(self.psu_proxy.addr.port())
            .https(false)
            .token(PSU_TOKEN)
            .build()
            .expect("PSU client")
    }
}

/// The sources as the `sync` tool builds them (`examples/common/engine.rs`): the PSU
/// connector and the sync engine's NetBox adapter, here with the in-memory inventory.
fn engine_sources(b: &Bench, inventory: &Arc<MemoryInventory>, etag_mode: EtagMode) -> Sources {
    let mut conn = ServerConnection::new(b.server.clone(), "127.0.0.1", Secret::new(PSU_TOKEN))
        .expect("connection");
    conn.port = b.psu_proxy.addr.port();
    conn.https = false;
    Sources {
        dhcp: Arc::new(PsuConnector::new([conn])),
        ipam: Arc::new(
            NetBoxIpam::new(netbox_client(&b.nb_proxy.url(), &b.nb_token))
                .with_etag_mode(etag_mode),
        ),
        inventory: Arc::clone(inventory) as Arc<dyn netbox_windhcp::sync::source::Inventory>,
    }
}

async fn engine_inventory(b: &Bench, direct: &NetBoxClient) -> Arc<MemoryInventory> {
    let vrf = b.vrfs["windhcp-bench-engine"];
    let inventory = MemoryInventory::new();
    let mut scopes = BTreeMap::new();
    for (i, sc) in b.scopes.iter().enumerate() {
        let prefix = direct
            .get_or_create_prefix(
                IpNetwork::V4(sc.network),
                Some(vrf),
                &WriteOptions::message("windhcp bench setup"),
            )
            .await
            .expect("prefix");
        let id = 1000 + i as u64;
        scopes.insert(
            id,
            InventoryScope {
                id,
                name: sc.name.clone(),
                description: String::new(),
                network: sc.network,
                prefix_id: Some(prefix.id),
                start: sc.start,
                end: sc.end,
                router: None,
                lease_lifetime_secs: sc.lifetime,
                active: true,
                source: ScopeSourceRef::Server(b.server.as_str().into()),
                exclusions: Vec::new(),
                option_value_ids: BTreeSet::new(),
            },
        );
    }
    let server: ServerName = b.server.as_str().into();
    inventory.edit(|doc| {
        doc.settings = SyncSettings {
            sync_ip_addresses: true,
            ..SyncSettings::default()
        };
        doc.inventory.servers.insert(
            server.clone(),
            InventoryServer {
                id: 1,
                hostname: server,
                sync_standalone: true,
            },
        );
        doc.inventory.scopes = scopes;
        doc.next_id = 1_000_000;
    });
    Arc::new(inventory)
}

async fn engine_run(b: &mut Bench, sources: &Sources, variant: &'static str, phase: &'static str) {
    let t0 = Instant::now();
    let snapshot = gather(sources, &GatherOptions::default(), &NoProgress)
        .await
        .expect("gather");
    let t_gather = t0.elapsed();
    let t1 = Instant::now();
    let plan = plan_sync(&snapshot);
    let t_plan = t1.elapsed();
    let t2 = Instant::now();
    let report = Executor::new(sources.clone())
        .with_options(ExecuteOptions::default())
        .apply(&plan, &NoProgress)
        .await;
    let t_apply = t2.elapsed();
    let wall = t0.elapsed();
    let counts = plan.counts();
    assert_eq!(
        report.counts.failed,
        0,
        "engine run {phase} had failures: {:?}",
        report.outcomes.iter().find(|o| !matches!(
            o.status,
            netbox_windhcp::sync::executor::ActionStatus::Applied
        ))
    );
    let detail = format!(
        "gather {:.2}s plan {:.3}s apply {:.2}s; plan {:?}; applied {}",
        t_gather.as_secs_f64(),
        t_plan.as_secs_f64(),
        t_apply.as_secs_f64(),
        counts,
        report.counts.applied
    );
    b.record(variant, phase, wall, detail);
}

/// The naive way: PSU scope list + one lease read per scope; per lease one NetBox lookup GET
/// (skipped on the first sync, where the VRF is known empty) and one POST or PATCH if needed;
/// stale IPs found by one listing per scope and deleted one DELETE each.
async fn naive_run(b: &mut Bench, phase: &'static str, first: bool) {
    let vrf = b.vrfs["windhcp-bench-naive"];
    let psu = b.psu_client();
    let nb = netbox_client(&b.nb_proxy.url(), &b.nb_token);
    let t0 = Instant::now();
    let scopes = psu
        .list_scopes(netbox_windhcp::psu::ScopeQuery::default())
        .await
        .expect("scopes");
    let (mut created, mut patched, mut deleted) = (0, 0, 0);
    for scope in &scopes {
        let leases = psu.list_leases(scope.id()).await.expect("leases");
        let net: Ipv4Network = b
            .scopes
            .iter()
            .find(|s| std::net::IpAddr::V4(s.network.network()) == scope.id().ip())
            .map(|s| s.network)
            .expect("known scope");
        let mut seen = BTreeSet::new();
        for l in &leases {
            if !l.address_state.is_active() {
                continue;
            }
            let std::net::IpAddr::V4(ip) = l.ip else {
                continue;
            };
            seen.insert(ip);
            let address = Ipv4Network::new(ip, net.prefix()).expect("address");
            let client_id = l.client_id.as_ref().map(ToString::to_string);
            let dns = l.hostname.clone().unwrap_or_default();
            let body = write_of("dhcp", &dns, client_id.as_ref(), IpAddressWrite::default());
            let existing = if first {
                None
            } else {
                nb.find_ip_address(std::net::IpAddr::V4(ip), VrfFilter::Id(vrf))
                    .await
                    .expect("lookup")
            };
            match existing {
                None => {
                    let mut create = body;
                    create.address = Some(IpNetwork::V4(address));
                    create.vrf = Some(Some(vrf));
                    nb.ip_addresses()
                        .create(&create, &WriteOptions::message("naive"))
                        .await
                        .expect("create");
                    created += 1;
                }
                Some(old) => {
                    // NetBox stores DNS names lower-cased: compare as it stores them.
                    let same = old.dns_name.eq_ignore_ascii_case(&dns)
                        && old.status.as_deref() == Some("dhcp")
                        && old.dhcp_client_id() == client_id.as_deref();
                    if !same {
                        nb.ip_addresses()
                            .patch(old.id, &body, &WriteOptions::message("naive"))
                            .await
                            .expect("patch");
                        patched += 1;
                    }
                }
            }
        }
        if !first {
            let q = ListQuery::new()
                .parent(IpNetwork::V4(net))
                .vrf(VrfFilter::Id(vrf))
                .fields(["id", "address"]);
            let present: Vec<IpAddress> = nb
                .ip_addresses()
                .list(&q)
                .try_collect()
                .await
                .expect("list");
            for ip in present {
                if let IpNetwork::V4(a) = ip.address
                    && !seen.contains(&a.ip())
                {
                    nb.ip_addresses()
                        .delete(ip.id, &WriteOptions::message("naive"))
                        .await
                        .expect("delete");
                    deleted += 1;
                }
            }
        }
    }
    let wall = t0.elapsed();
    b.record(
        "naive",
        phase,
        wall,
        format!("created {created} patched {patched} deleted {deleted}"),
    );
}

/// The floor: the same IP addresses in raw bulk POSTs of 1 000 (first sync), or one raw
/// trimmed listing of the VRF (resync), with reqwest and no client library.
async fn floor_run(b: &mut Bench, sim: &RunningSimulator, phase: &'static str, first: bool) {
    let vrf = b.vrfs["windhcp-bench-floor"];
    let http = reqwest::Client::new();
    let base = b.nb_proxy.url();
    let auth = format!("Token {}", b.nb_token);
    let leases = sim_leases(sim);
    let t0 = Instant::now();
    let mut requests = 0;
    if first {
        for chunk in leases.chunks(FLOOR_CHUNK) {
            let body: Vec<Value> = chunk
                .iter()
                .map(|(net, ip, client, host)| {
                    json!({
                        "address": format!("{ip}/{}", net.prefix()),
                        "vrf": vrf,
                        "status": "dhcp",
                        "dns_name": host,
                        "custom_fields": { DHCP_CLIENT_ID_FIELD: client },
                    })
                })
                .collect();
            let r = http
                .post(format!("{base}/api/ipam/ip-addresses/"))
                .header("Authorization", &auth)
                .json(&body)
                .send()
                .await
                .expect("floor POST");
            assert!(r.status().is_success(), "floor POST: {}", r.status());
            let _ = r.bytes().await;
            requests += 1;
        }
    } else {
        let mut url = Some(format!(
            "{base}/api/ipam/ip-addresses/?vrf_id={vrf}&limit=1000&fields=id,address,status,dns_name,custom_fields"
        ));
        let mut n = 0usize;
        while let Some(u) = url.take() {
            let page: Value = http
                .get(&u)
                .header("Authorization", &auth)
                .send()
                .await
                .expect("floor GET")
                .json()
                .await
                .expect("floor page");
            requests += 1;
            n += page["results"].as_array().map_or(0, Vec::len);
            // NetBox's `next` carries its own origin; keep going through the proxy.
            url = page["next"].as_str().map(|next| {
                let path = next.find("/api/").map_or(next, |i| &next[i..]);
                format!("{base}{path}")
            });
        }
        assert_eq!(n, leases.len(), "floor listing saw every IP");
    }
    let wall = t0.elapsed();
    b.record("floor", phase, wall, format!("{requests} raw requests"));
}

// =============================================================================================
// Main
// =============================================================================================

fn main() {
    let args = args();
    let Some((nb_url, nb_token)) = netbox_env() else {
        eprintln!(
            "e2e_sync: NOT RUN — no NetBox: set NETBOX_URL/NETBOX_TOKEN (or start one with \
             scripts/netbox/netbox-up.sh, which writes /var/tmp/netbox-windhcp/env)"
        );
        std::process::exit(2);
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let ok = rt.block_on(run(args, nb_url, nb_token));
    if !ok {
        std::process::exit(1);
    }
}

/// The load average, as `uptime` shows it.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// Empty the bench VRFs and say what was removed.
async fn clean_ipam(direct: &NetBoxClient, vrfs: &BTreeMap<&'static str, u64>, when: &str) {
    let mut total = (0, 0);
    for (name, id) in vrfs {
        let (ips, prefixes) = empty_vrf(direct, *id).await;
        if ips + prefixes > 0 {
            eprintln!(
                "  clean IPAM ({when}): removed {ips} IPs and {prefixes} prefixes from {name}"
            );
        }
        total.0 += ips;
        total.1 += prefixes;
    }
    eprintln!(
        "  clean IPAM ({when}): {} IPs and {} prefixes removed; the {} bench VRFs are empty",
        total.0,
        total.1,
        vrfs.len()
    );
}

/// Run the bench; `false` when a variant failed (the IPAM is cleaned up anyway).
async fn run(args: Args, nb_url: String, nb_token: String) -> bool {
    let scopes = args.leases.div_ceil(PER_SCOPE).max(1);
    let per_scope = args.leases.div_ceil(scopes);
    let sim = SimulatorBuilder::new()
        .generated(&EstateSpec {
            scopes,
            leases_per_scope: per_scope,
            reservations_per_scope: 0,
            ..EstateSpec::default()
        })
        .token(PSU_TOKEN)
        .start()
        .await
        .expect("simulator");
    let (server, sim_scope_list) = sim_scopes(&sim);
    let direct = netbox_client(&nb_url, &nb_token);
    direct
        .ensure_dhcp_client_id_field(&WriteOptions::message("windhcp bench setup"))
        .await
        .expect("dhcp_client_id custom field");
    let mut vrfs = BTreeMap::new();
    for name in VRFS {
        let v = direct
            .get_or_create_vrf(name, &WriteOptions::message("windhcp bench setup"))
            .await
            .expect("vrf");
        vrfs.insert(name, v.id);
    }
    clean_ipam(&direct, &vrfs, "before").await;
    let leases = sim_leases(&sim).len();
    let psu_proxy = Proxy::start(&sim.servers()[0].base_url()).await;
    let nb_proxy = Proxy::start(&nb_url).await;
    let b = Bench {
        psu_proxy,
        nb_proxy,
        nb_url,
        nb_token,
        server: server.clone(),
        scopes: sim_scope_list,
        vrfs: vrfs.clone(),
        runs: Vec::new(),
    };
    let load_before = load();
    println!(
        "e2e_sync: {leases} active leases in {} scopes on {server}; NetBox {}; etag mode {:?}; load average {load_before}",
        b.scopes.len(),
        b.nb_url,
        args.etag_mode
    );

    // The measured part runs in its own task so that a panic still reaches the cleanup.
    let setup = direct.clone();
    let measured = tokio::spawn(async move {
        let mut b = b;
        measure(&mut b, &sim, &setup, &args).await;
        sim.shutdown().await;
        b
    })
    .await;
    let ok = match &measured {
        Ok(b) => {
            report(b, leases);
            true
        }
        Err(e) => {
            eprintln!("e2e_sync: FAILED: {e}");
            false
        }
    };
    println!("load average at the end: {}", load());
    clean_ipam(&direct, &vrfs, "after").await;
    ok
}

async fn measure(b: &mut Bench, sim: &RunningSimulator, direct: &NetBoxClient, args: &Args) {
    let server = b.server.clone();
    let inventory = engine_inventory(b, direct).await;
    let sources = engine_sources(b, &inventory, args.etag_mode);

    // (a) first sync
    engine_run(b, &sources, "engine", "first").await;
    if !args.skip_naive {
        naive_run(b, "first", true).await;
    }
    if !args.skip_floor {
        floor_run(b, sim, "first", true).await;
    }
    // (b) resync, no change
    engine_run(b, &sources, "engine", "nochange").await;
    if !args.skip_naive {
        naive_run(b, "nochange", false).await;
    }
    if !args.skip_floor {
        floor_run(b, sim, "nochange", false).await;
    }
    // (c) resync after 5 % churn
    let changed = churn(sim, &server);
    eprintln!("  churned {changed} leases");
    engine_run(b, &sources, "engine", "churn5").await;
    if !args.skip_naive {
        naive_run(b, "churn5", false).await;
    }
    // (d) for comparison: another 5 % churn, applied with the other ETag mode.
    let other = match args.etag_mode {
        EtagMode::Prechecked => EtagMode::Exact,
        _ => EtagMode::Prechecked,
    };
    let changed = churn(sim, &server);
    eprintln!("  churned {changed} more leases; applying them with etag mode {other:?}");
    let sources = engine_sources(b, &inventory, other);
    let variant = if other == EtagMode::Prechecked {
        "engine-prechecked"
    } else {
        "engine-exact"
    };
    engine_run(b, &sources, variant, "churn5b").await;
}

fn report(b: &Bench, leases: usize) {
    println!();
    println!(
        "| variant | phase | wall s | PSU requests (by method) | NetBox requests (by method) | NetBox bytes up / down | objects written | IP GETs trimmed/full |"
    );
    println!("|---|---|---:|---|---|---:|---:|---:|");
    for r in &b.runs {
        println!(
            "| {} | {} | {:.2} | {} ({}) | {} ({}) | {} / {} | {} | {}/{} |",
            r.variant,
            r.phase,
            r.wall.as_secs_f64(),
            r.psu.requests(),
            r.psu.methods(),
            r.netbox.requests(),
            r.netbox.methods(),
            r.netbox.bytes_up,
            r.netbox.bytes_down,
            r.netbox.objects_written,
            r.netbox.ip_gets_trimmed,
            r.netbox.ip_gets_full
        );
    }
    for r in b.runs.iter().filter(|r| r.variant.starts_with("engine")) {
        println!();
        println!("engine {} — PSU requests:", r.phase);
        for p in &r.psu.paths {
            println!("    {p}");
        }
        println!("engine {} — NetBox requests:", r.phase);
        print_paths(&r.netbox.paths);
    }
    let find = |v: &str, p: &str| b.runs.iter().find(|r| r.variant == v && r.phase == p);
    let mut verdicts = Vec::new();
    println!();
    println!("budgets ({leases} leases, 1 server):");
    if let (Some(first), Some(nochange)) = (find("engine", "first"), find("engine", "nochange")) {
        let writes = nochange.netbox.writes();
        verdicts.push(line(
            writes == 0,
            &format!("no-change resync makes zero NetBox writes: {writes} writes"),
        ));
        let ip_gets: Vec<&String> = nochange
            .netbox
            .paths
            .iter()
            .filter(|p| p.starts_with("GET ") && p.contains("/api/ipam/ip-addresses/"))
            .collect();
        let trimmed = ip_gets
            .iter()
            .filter(|p| p.contains("fields=") || p.contains("brief="))
            .count();
        verdicts.push(line(
            !ip_gets.is_empty() && trimmed == ip_gets.len(),
            &format!(
                "no-change resync reads IPAM with trimmed fields: {trimmed} of {} ip-addresses GETs carry fields=/brief= (paths above)",
                ip_gets.len()
            ),
        ));
        let ratio = nochange.wall.as_secs_f64() / first.wall.as_secs_f64();
        verdicts.push(line(
            ratio < 0.10,
            &format!(
                "no-change resync < 10 % of the first sync's time: {:.2} s / {:.2} s = {:.1} %",
                nochange.wall.as_secs_f64(),
                first.wall.as_secs_f64(),
                ratio * 100.0
            ),
        ));
    }
    if let (Some(first), Some(floor)) = (find("engine", "first"), find("floor", "first")) {
        let ratio = first.wall.as_secs_f64() / floor.wall.as_secs_f64();
        verdicts.push(line(
            ratio <= 1.5,
            &format!(
                "first sync within 1.5× of the bulk floor: {:.2} s / {:.2} s = {ratio:.2}×",
                first.wall.as_secs_f64(),
                floor.wall.as_secs_f64()
            ),
        ));
    }
    for r in b.runs.iter().filter(|r| r.variant.starts_with("engine")) {
        let gets = r.psu.by_method.get("GET").copied().unwrap_or(0);
        verdicts.push(line(
            gets <= 5,
            &format!(
                "PSU reads ≤ 5 per server ({} {}): {gets} GETs for {} scopes",
                r.variant,
                r.phase,
                b.scopes.len()
            ),
        ));
    }
    if let Some(naive) = find("naive", "nochange") {
        let writes = naive.netbox.writes();
        verdicts.push(line(
            writes == 0,
            &format!("(check) naive no-change pass writes nothing: {writes} writes"),
        ));
    }
    if let (Some(first), Some(naive)) = (find("engine", "first"), find("naive", "first")) {
        println!(
            "  info  first sync vs naive: {:.1}× faster, {} vs {} NetBox requests",
            naive.wall.as_secs_f64() / first.wall.as_secs_f64(),
            first.netbox.requests(),
            naive.netbox.requests()
        );
    }
    let failed = verdicts.iter().filter(|ok| !**ok).count();
    println!("budgets: {} PASS, {failed} FAIL", verdicts.len() - failed);
}

/// Print request paths, collapsing runs of the same path that differ only in `offset=`.
fn print_paths(paths: &[String]) {
    // Same method and path up to numeric ids and the page offset.
    let key = |p: &str| {
        p.split(['?', '&'])
            .filter(|part| !part.starts_with("offset="))
            .map(|part| {
                part.split('/')
                    .map(|seg| {
                        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                            "{id}"
                        } else {
                            seg
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect::<Vec<_>>()
            .join("&")
    };
    let mut i = 0;
    while i < paths.len() {
        let k = key(&paths[i]);
        let mut j = i + 1;
        while j < paths.len() && key(&paths[j]) == k {
            j += 1;
        }
        let shown: String = paths[i].chars().take(220).collect();
        if j - i > 1 {
            println!("    {shown}  (+{} more like it)", j - i - 1);
        } else {
            println!("    {shown}");
        }
        i = j;
    }
}

fn line(ok: bool, text: &str) -> bool {
    println!("  {} {text}", if ok { "PASS" } else { "FAIL" });
    ok
}
