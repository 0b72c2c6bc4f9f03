//! End-to-end sync benchmark against a real NetBox and the in-process PSU simulator.
//!
//! For an estate of N leases (default 10 000, `--leases N`, 250 per scope) it runs, in one
//! process and one after the other so that the ratios are honest on a noisy machine:
//!
//! * **engine** — the real path: `gather` → `plan_sync` → `Executor::apply`, with the PSU
//!   adapter of `windhcp-sync-engine` and a small `Ipam` over `windhcp-netbox-client` written
//!   here (see `BENCHMARKS.md`: the engine had no NetBox adapter yet). The plugin inventory is
//!   in memory (the NetBox here has no plugin installed).
//! * **naive** — the same work with one request per object (per-scope PSU reads, one lookup
//!   GET per lease, one POST/PATCH/DELETE per changed object).
//! * **floor** — one raw bulk POST per 1 000 IP addresses (first sync) or one raw trimmed
//!   listing (resync), with `reqwest` directly.
//!
//! each for (a) the first sync, (b) a resync with no change and (c) a resync after 5 % churn.
//! Every HTTP request goes through a counting proxy on loopback (one in front of NetBox, one in
//! front of the simulator), which counts requests per method, bytes and NetBox objects written.
//!
//! ```text
//! source /var/tmp/netbox-windhcp/env      # NETBOX_URL, NETBOX_TOKEN
//! CARGO_TARGET_DIR=/work/target-bench nice cargo bench --bench e2e_sync -- --leases 1000
//! ```
//!
//! Each variant writes into its own VRF (`windhcp-bench-engine`, `-naive`, `-floor`), emptied
//! before and after the run.
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

use async_trait::async_trait;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use ipnetwork::{IpNetwork, Ipv4Network};
use netbox_windhcp::model::{Secret, ServerConnection};
use netbox_windhcp::netbox::{
    BulkFailureReason, BulkOutcome, DHCP_CLIENT_ID_FIELD, Error as NbError, IpAddress,
    IpAddressWrite, ListQuery, NetBoxClient, PrefixWrite, Token, VrfFilter, WriteOptions,
};
use netbox_windhcp::sync::adapters::psu::PsuConnector;
use netbox_windhcp::sync::executor::Executor;
use netbox_windhcp::sync::gather::{GatherOptions, gather};
use netbox_windhcp::sync::memory::MemoryInventory;
use netbox_windhcp::sync::planner::plan_sync;
use netbox_windhcp::sync::snapshot::{
    InventoryScope, InventoryServer, IpamAddress, IpamPrefix, ObjectId, ScopeSourceRef,
    SyncSettings,
};
use netbox_windhcp::sync::source::{
    IpDelete, IpUpdate, Ipam, IpamError, ItemResult, NewIp, NewPrefix, NoProgress, Sources,
};
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

// =============================================================================================
// An `Ipam` over the NetBox client (the engine had no NetBox adapter when this was written)
// =============================================================================================

#[derive(Debug)]
struct NetBoxIpam {
    client: NetBoxClient,
}

fn map_nb(e: &NbError) -> IpamError {
    match e {
        NbError::Auth { .. } | NbError::Permission { .. } => IpamError::Unauthorized {
            message: e.to_string(),
        },
        NbError::Transport {
            may_have_been_sent: false,
            ..
        } => IpamError::Unreachable {
            message: e.to_string(),
        },
        NbError::Transport { .. } | NbError::Server { .. } => IpamError::Indeterminate {
            message: e.to_string(),
        },
        _ => IpamError::Rejected {
            message: e.to_string(),
        },
    }
}

fn to_ipam(ip: &IpAddress) -> Option<IpamAddress> {
    let IpNetwork::V4(address) = ip.address else {
        return None;
    };
    Some(IpamAddress {
        id: ip.id,
        address,
        vrf: ip.vrf.as_ref().map(|v| v.id),
        status: ip.status.clone().unwrap_or_default(),
        dns_name: ip.dns_name.clone(),
        tags: ip.tags.iter().map(|t| t.slug.clone()).collect(),
        dhcp_client_id: ip.dhcp_client_id().map(str::to_owned),
        etag: ip.etag(),
    })
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

fn per_item<T, U>(
    n: usize,
    outcome: BulkOutcome<T>,
    ok: impl Fn(T) -> Option<U>,
) -> Vec<ItemResult<U, IpamError>> {
    let mut out: Vec<ItemResult<U, IpamError>> = (0..n)
        .map(|_| {
            Err(IpamError::Indeterminate {
                message: "no answer for this item".to_owned(),
            })
        })
        .collect();
    for s in outcome.succeeded {
        if let Some(slot) = out.get_mut(s.index) {
            *slot = ok(s.value).ok_or(IpamError::Rejected {
                message: "NetBox answered a non-IPv4 object".to_owned(),
            });
        }
    }
    for f in outcome.failed {
        if let Some(slot) = out.get_mut(f.index) {
            *slot = Err(match f.reason {
                BulkFailureReason::RequestFailed(e) => map_nb(&e),
                other => IpamError::Rejected {
                    message: format!("{other:?}"),
                },
            });
        }
    }
    out
}

fn message_of<'a>(mut it: impl Iterator<Item = &'a String>) -> WriteOptions {
    it.next()
        .map_or_else(WriteOptions::default, |m| WriteOptions::message(m.clone()))
}

#[async_trait]
impl Ipam for NetBoxIpam {
    async fn list_prefixes(&self) -> Result<Vec<IpamPrefix>, IpamError> {
        let q = ListQuery::new().fields(["id", "prefix", "vrf"]);
        let all: Vec<_> = self
            .client
            .prefixes()
            .list(&q)
            .try_collect()
            .await
            .map_err(|e| map_nb(&e))?;
        Ok(all
            .into_iter()
            .filter_map(|p| match p.prefix {
                IpNetwork::V4(prefix) => Some(IpamPrefix {
                    id: p.id,
                    prefix,
                    vrf: p.vrf.map(|v| v.id),
                }),
                IpNetwork::V6(_) => None,
            })
            .collect())
    }

    async fn list_ips(&self, vrf: Option<ObjectId>) -> Result<Vec<IpamAddress>, IpamError> {
        let q = ListQuery::new().vrf(vrf.map_or(VrfFilter::Global, VrfFilter::Id));
        let all: Vec<IpAddress> = self
            .client
            .ip_addresses_sync_view(&q)
            .try_collect()
            .await
            .map_err(|e| map_nb(&e))?;
        Ok(all.iter().filter_map(to_ipam).collect())
    }

    async fn get_ip(&self, id: ObjectId) -> Result<Option<IpamAddress>, IpamError> {
        match self.client.ip_addresses().get(id).await {
            Ok(w) => Ok(to_ipam(&w.value)),
            Err(NbError::NotFound { .. }) => Ok(None),
            Err(e) => Err(map_nb(&e)),
        }
    }

    async fn create_ips(
        &self,
        items: &[NewIp],
    ) -> Result<Vec<ItemResult<IpamAddress, IpamError>>, IpamError> {
        let bodies: Vec<IpAddressWrite> = items
            .iter()
            .map(|n| {
                write_of(
                    &n.fields.status,
                    &n.fields.dns_name,
                    n.fields.dhcp_client_id.as_ref(),
                    IpAddressWrite::new(IpNetwork::V4(n.address)).vrf(n.vrf),
                )
            })
            .collect();
        let opts = message_of(items.iter().map(|n| &n.changelog_message));
        let outcome = self
            .client
            .ip_addresses()
            .bulk_create(&bodies, &opts)
            .await
            .map_err(|e| map_nb(&e))?;
        Ok(per_item(items.len(), outcome, |ip| to_ipam(&ip)))
    }

    async fn update_ips(
        &self,
        items: &[IpUpdate],
    ) -> Result<Vec<ItemResult<(), IpamError>>, IpamError> {
        let bodies: Vec<(u64, IpAddressWrite)> = items
            .iter()
            .map(|u| {
                (
                    u.id,
                    write_of(
                        &u.fields.status,
                        &u.fields.dns_name,
                        u.fields.dhcp_client_id.as_ref(),
                        IpAddressWrite::default(),
                    ),
                )
            })
            .collect();
        let opts = message_of(items.iter().map(|n| &n.changelog_message));
        let outcome = self
            .client
            .ip_addresses()
            .bulk_patch(&bodies, &opts)
            .await
            .map_err(|e| map_nb(&e))?;
        Ok(per_item(items.len(), outcome, |_| Some(())))
    }

    async fn delete_ips(
        &self,
        items: &[IpDelete],
    ) -> Result<Vec<ItemResult<(), IpamError>>, IpamError> {
        let ids: Vec<u64> = items.iter().map(|d| d.id).collect();
        let opts = message_of(items.iter().map(|n| &n.changelog_message));
        let outcome = self
            .client
            .ip_addresses()
            .bulk_delete(&ids, &opts)
            .await
            .map_err(|e| map_nb(&e))?;
        Ok(per_item(items.len(), outcome, |_| Some(())))
    }

    async fn create_prefix(&self, prefix: &NewPrefix) -> Result<IpamPrefix, IpamError> {
        let body = PrefixWrite {
            prefix: Some(IpNetwork::V4(prefix.prefix)),
            vrf: Some(prefix.vrf),
            status: Some(prefix.status.clone()),
            ..PrefixWrite::default()
        };
        let opts = WriteOptions::message(prefix.changelog_message.clone());
        let p = self
            .client
            .prefixes()
            .create(&body, &opts)
            .await
            .map_err(|e| map_nb(&e))?
            .value;
        Ok(IpamPrefix {
            id: p.id,
            prefix: prefix.prefix,
            vrf: p.vrf.map(|v| v.id),
        })
    }
}

// =============================================================================================
// Setup
// =============================================================================================

struct Args {
    leases: usize,
    skip_naive: bool,
    skip_floor: bool,
}

fn args() -> Args {
    let mut out = Args {
        leases: 10_000,
        skip_naive: false,
        skip_floor: false,
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

fn netbox_client(url: &str, token: &str) -> NetBoxClient {
    NetBoxClient::builder(url)
        .token(Token::new(token))
        .timeout(Duration::from_secs(300))
        .build()
        .expect("NetBox client")
}

const VRFS: [&str; 3] = [
    "windhcp-bench-engine",
    "windhcp-bench-naive",
    "windhcp-bench-floor",
];

async fn empty_vrf(nb: &NetBoxClient, vrf: u64) -> usize {
    let q = ListQuery::new()
        .vrf(VrfFilter::Id(vrf))
        .fields(["id", "address"]);
    let ips: Vec<IpAddress> = nb
        .ip_addresses()
        .list(&q)
        .try_collect()
        .await
        .expect("list bench IPs");
    let ids: Vec<u64> = ips.iter().map(|i| i.id).collect();
    if !ids.is_empty() {
        let out = nb
            .ip_addresses()
            .bulk_delete(&ids, &WriteOptions::message("windhcp bench cleanup"))
            .await
            .expect("bulk delete");
        assert!(out.is_complete(), "cleanup left {} IPs", out.failed.len());
    }
    ids.len()
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
            "  {variant:<6} {phase:<10} {:>9.2} s  PSU {:>5} req ({})  NetBox {:>5} req ({}), {} objects written  {}",
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

fn engine_sources(b: &Bench, inventory: &Arc<MemoryInventory>) -> Sources {
    let mut conn = ServerConnection::new(b.server.clone(), "127.0.0.1", Secret::new(PSU_TOKEN))
        .expect("connection");
    conn.port = b.psu_proxy.addr.port();
    conn.https = false;
    Sources {
        dhcp: Arc::new(PsuConnector::new([conn])),
        ipam: Arc::new(NetBoxIpam {
            client: netbox_client(&b.nb_proxy.url(), &b.nb_token),
        }),
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
                source: ScopeSourceRef::Server(b.server.clone()),
                exclusions: Vec::new(),
                option_value_ids: BTreeSet::new(),
            },
        );
    }
    let server = b.server.clone();
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

async fn engine_run(b: &mut Bench, sources: &Sources, phase: &'static str) {
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
    b.record("engine", phase, wall, detail);
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
                    let same = old.dns_name == dns
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
    rt.block_on(run(args, nb_url, nb_token));
}

async fn run(args: Args, nb_url: String, nb_token: String) {
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
        let removed = empty_vrf(&direct, v.id).await;
        if removed > 0 {
            eprintln!("  (removed {removed} leftover IPs from {name})");
        }
        vrfs.insert(name, v.id);
    }
    let leases = sim_leases(&sim).len();
    let psu_proxy = Proxy::start(&sim.servers()[0].base_url()).await;
    let nb_proxy = Proxy::start(&nb_url).await;
    let mut b = Bench {
        psu_proxy,
        nb_proxy,
        nb_url,
        nb_token,
        server: server.clone(),
        scopes: sim_scope_list,
        vrfs,
        runs: Vec::new(),
    };
    println!(
        "e2e_sync: {leases} active leases in {} scopes on {server}; NetBox {}",
        b.scopes.len(),
        b.nb_url
    );

    let inventory = engine_inventory(&b, &direct).await;
    let sources = engine_sources(&b, &inventory);

    // (a) first sync
    engine_run(&mut b, &sources, "first").await;
    if !args.skip_naive {
        naive_run(&mut b, "first", true).await;
    }
    if !args.skip_floor {
        floor_run(&mut b, &sim, "first", true).await;
    }
    // (b) resync, no change
    engine_run(&mut b, &sources, "nochange").await;
    if !args.skip_naive {
        naive_run(&mut b, "nochange", false).await;
    }
    if !args.skip_floor {
        floor_run(&mut b, &sim, "nochange", false).await;
    }
    // (c) resync after 5 % churn
    let changed = churn(&sim, &server);
    eprintln!("  churned {changed} leases");
    engine_run(&mut b, &sources, "churn5").await;
    if !args.skip_naive {
        naive_run(&mut b, "churn5", false).await;
    }

    report(&b, leases);

    for (name, id) in &b.vrfs {
        let n = empty_vrf(&direct, *id).await;
        eprintln!("  cleanup: {n} IPs removed from {name}");
    }
    sim.shutdown().await;
}

fn report(b: &Bench, leases: usize) {
    println!();
    println!(
        "| variant | phase | wall s | PSU requests | NetBox requests (by method) | NetBox bytes up / down | objects written | IP GETs trimmed/full |"
    );
    println!("|---|---|---:|---:|---|---:|---:|---:|");
    for r in &b.runs {
        println!(
            "| {} | {} | {:.2} | {} | {} ({}) | {} / {} | {} | {}/{} |",
            r.variant,
            r.phase,
            r.wall.as_secs_f64(),
            r.psu.requests(),
            r.netbox.requests(),
            r.netbox.methods(),
            r.netbox.bytes_up,
            r.netbox.bytes_down,
            r.netbox.objects_written,
            r.netbox.ip_gets_trimmed,
            r.netbox.ip_gets_full
        );
    }
    let find = |v: &str, p: &str| b.runs.iter().find(|r| r.variant == v && r.phase == p);
    println!();
    println!("budgets ({leases} leases):");
    if let (Some(first), Some(nochange)) = (find("engine", "first"), find("engine", "nochange")) {
        let ratio = nochange.wall.as_secs_f64() / first.wall.as_secs_f64();
        println!(
            "  no-change resync: {} NetBox writes (budget 0) {}; {:.1} % of the first sync's time (budget < 10 %) {}; IP listings trimmed {}/{}",
            nochange.netbox.writes(),
            verdict(nochange.netbox.writes() == 0),
            ratio * 100.0,
            verdict(ratio < 0.10),
            nochange.netbox.ip_gets_trimmed,
            nochange.netbox.ip_gets_trimmed + nochange.netbox.ip_gets_full,
        );
        println!(
            "  PSU reads per server: first {} / no-change {} requests (budget ≤ 5) {}",
            first.psu.requests(),
            nochange.psu.requests(),
            verdict(first.psu.by_method.get("GET").copied().unwrap_or(0) <= 5)
        );
    }
    if let (Some(first), Some(floor)) = (find("engine", "first"), find("floor", "first")) {
        let ratio = first.wall.as_secs_f64() / floor.wall.as_secs_f64();
        println!(
            "  first sync vs bulk floor: {ratio:.2}× (budget ≤ 1.5×) {}",
            verdict(ratio <= 1.5)
        );
    }
    if let (Some(first), Some(naive)) = (find("engine", "first"), find("naive", "first")) {
        println!(
            "  first sync vs naive: {:.1}× faster, {} vs {} NetBox requests",
            naive.wall.as_secs_f64() / first.wall.as_secs_f64(),
            first.netbox.requests(),
            naive.netbox.requests()
        );
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}
