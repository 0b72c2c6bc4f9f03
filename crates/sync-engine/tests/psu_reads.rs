//! How many HTTP requests a gather sends to each PSU server (feature `psu`).
//!
//! Every request to the simulator goes through a small counting TCP proxy (plain threads, no
//! extra dependencies), which records the request line of each HTTP request it forwards. The
//! budget (issue 7): a sync reads each server with at most five requests, and that number does
//! not grow with the scope count.
#![cfg(feature = "psu")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use windhcp_dhcp_model::{Secret, ServerConnection};
use windhcp_psu_client::PsuClient;
use windhcp_psu_simulator::{EstateSpec, RunningSimulator, SimulatorBuilder};
use windhcp_sync_engine::adapters::psu::{PsuConnector, PsuServer};
use windhcp_sync_engine::gather::{FAILOVERS_NOT_READ, GatherOptions, gather, gather_for_import};
use windhcp_sync_engine::memory::{MemoryInventory, MemoryIpam};
use windhcp_sync_engine::snapshot::{
    InventoryFailover, InventoryServer, ServerName, Snapshot, SyncSettings,
};
use windhcp_sync_engine::source::{DhcpServer, NoProgress, Sources};

const TOKEN: &str = "reads-t0ken";

// ---------------------------------------------------------------------------------------------
// Counting proxy
// ---------------------------------------------------------------------------------------------

/// A loopback TCP proxy in front of one simulated server, recording `METHOD /path?query` of
/// every HTTP/1.1 request it forwards.
struct CountingProxy {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl CountingProxy {
    fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let log = Arc::clone(&log);
                let (mut client_r, mut client_w) = (client.try_clone().unwrap(), client);
                let (mut server_r, mut server_w) = (server.try_clone().unwrap(), server);
                thread::spawn(move || {
                    let _ = std::io::copy(&mut server_r, &mut client_w);
                    let _ = client_w.shutdown(Shutdown::Write);
                });
                thread::spawn(move || {
                    let mut pending = Vec::new();
                    let mut buf = [0u8; 16 * 1024];
                    loop {
                        let n = match client_r.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        pending.extend_from_slice(&buf[..n]);
                        record_requests(&mut pending, &log);
                        if server_w.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = server_w.shutdown(Shutdown::Write);
                });
            }
        });
        Self { addr, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    fn reset(&self) {
        self.requests.lock().unwrap().clear();
    }
}

/// Take every complete request (head + `Content-Length` body) off the front of `pending`.
fn record_requests(pending: &mut Vec<u8>, log: &Mutex<Vec<String>>) {
    loop {
        let Some(head_end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
            return;
        };
        let head = String::from_utf8_lossy(&pending[..head_end]).into_owned();
        let body = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let total = head_end + 4 + body;
        if pending.len() < total {
            return;
        }
        let line = head.lines().next().unwrap_or_default();
        let mut parts = line.split(' ');
        let method = parts.next().unwrap_or_default();
        let target = parts.next().unwrap_or_default();
        log.lock().unwrap().push(format!("{method} {target}"));
        pending.drain(..total);
    }
}

// ---------------------------------------------------------------------------------------------
// Estate
// ---------------------------------------------------------------------------------------------

/// A running simulator with a counting proxy in front of each server.
struct Counted {
    sim: RunningSimulator,
    proxies: BTreeMap<ServerName, CountingProxy>,
}

impl Counted {
    async fn start(spec: &EstateSpec) -> Self {
        let sim = SimulatorBuilder::new()
            .generated(spec)
            .token(TOKEN)
            .start()
            .await
            .unwrap();
        let proxies = sim
            .servers()
            .iter()
            .map(|e| (e.name.as_str().into(), CountingProxy::start(e.addr)))
            .collect();
        Self { sim, proxies }
    }

    fn names(&self) -> Vec<ServerName> {
        self.proxies.keys().cloned().collect()
    }

    /// `(primary, partner)` of the simulator's failover pairs.
    fn pairs(&self) -> Vec<(ServerName, ServerName, String)> {
        let estate = self.sim.state().snapshot();
        let mut out = Vec::new();
        for server in &estate.servers {
            for f in server.failovers.values() {
                if server.name < f.partner_server {
                    out.push((
                        server.name.as_str().into(),
                        f.partner_server.as_str().into(),
                        f.name.clone(),
                    ));
                }
            }
        }
        out
    }

    /// Connections through the proxies; servers in `down` point at a closed port.
    fn connector(&self, down: &[&str]) -> PsuConnector {
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        PsuConnector::new(self.proxies.iter().map(|(name, proxy)| {
            let mut c =
                ServerConnection::new(name.clone(), "127.0.0.1", Secret::new(TOKEN)).unwrap();
            c.port = if down.contains(&name.as_str()) {
                closed
            } else {
                proxy.addr.port()
            };
            c.https = false;
            c.verify_tls = false;
            c
        }))
    }

    fn per_server(&self) -> BTreeMap<ServerName, Vec<String>> {
        self.proxies
            .iter()
            .map(|(name, p)| (name.clone(), p.requests()))
            .collect()
    }

    fn reset(&self) {
        for p in self.proxies.values() {
            p.reset();
        }
    }
}

/// Sources: the simulator's servers (standalone ones with sync on, the failover pairs' primaries
/// with sync on), an empty IPAM.
fn sources(counted: &Counted, down: &[&str]) -> Sources {
    let inventory = MemoryInventory::new();
    let pairs = counted.pairs();
    let names = counted.names();
    inventory.edit(|doc| {
        doc.settings = SyncSettings {
            sync_ip_addresses: true,
            ..SyncSettings::default()
        };
        for (i, name) in names.iter().enumerate() {
            let in_pair = pairs.iter().any(|(a, b, _)| a == name || b == name);
            doc.inventory.servers.insert(
                name.clone(),
                InventoryServer {
                    id: 1 + i as u64,
                    hostname: name.clone(),
                    sync_standalone: !in_pair,
                },
            );
        }
        for (i, (primary, partner, fo)) in pairs.iter().enumerate() {
            doc.inventory.failovers.insert(
                fo.clone(),
                InventoryFailover {
                    id: 100 + i as u64,
                    name: fo.clone(),
                    primary: primary.clone(),
                    partner: partner.clone(),
                    sync_enabled: true,
                },
            );
        }
        doc.next_id = 1000;
    });
    Sources {
        dhcp: Arc::new(counted.connector(down)),
        ipam: Arc::new(MemoryIpam::new()),
        inventory: Arc::new(inventory),
    }
}

async fn sync_gather(counted: &Counted, down: &[&str]) -> Snapshot {
    counted.reset();
    gather(
        &sources(counted, down),
        &GatherOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap()
}

fn spec(servers: usize, pairs: usize, scopes: usize) -> EstateSpec {
    EstateSpec {
        servers,
        failover_pairs: pairs,
        scopes,
        leases_per_scope: 3,
        reservations_per_scope: 1,
        ..EstateSpec::default()
    }
}

/// The requests, sorted (concurrent reads arrive in any order).
fn shape(requests: &[String]) -> Vec<String> {
    let mut out = requests.to_vec();
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_reads_each_server_with_five_requests_whatever_the_scope_count() {
    let mut shapes = Vec::new();
    for scopes in [1, 10, 200] {
        let counted = Counted::start(&spec(1, 0, scopes)).await;
        let snap = sync_gather(&counted, &[]).await;
        let per_server = counted.per_server();
        assert_eq!(per_server.len(), 1);
        let (name, requests) = per_server.into_iter().next().unwrap();
        // The read is complete: every scope, with its per-scope data.
        let read = &snap.servers[&name];
        let listed = read.scopes.ok().unwrap();
        assert_eq!(listed.len(), scopes, "{name}");
        for map in [read.leases.len(), read.reservations.len()] {
            assert_eq!(map, scopes);
        }
        assert_eq!(read.exclusions.len(), scopes);
        assert_eq!(read.options.len(), scopes);
        assert!(read.leases.values().all(|r| r.ok().is_some()));
        assert!(read.exclusions.values().all(|r| r.ok().is_some()));
        // ≤ 5 requests, all reads.
        assert!(
            requests.len() <= 5,
            "{scopes} scopes: {} requests: {requests:#?}",
            requests.len()
        );
        assert!(
            requests.iter().all(|r| r.starts_with("GET ")),
            "{requests:?}"
        );
        // Grouped bulk reads, no per-scope read, no failover list, the scope list once.
        assert_eq!(
            requests
                .iter()
                .filter(|r| r.contains("format=grouped"))
                .count(),
            4,
            "{requests:?}"
        );
        assert!(
            !requests.iter().any(|r| r.contains("scope_id=")),
            "{requests:?}"
        );
        assert!(
            !requests.iter().any(|r| r.contains("/failover")),
            "{requests:?}"
        );
        assert_eq!(
            requests.iter().filter(|r| r.contains("/scopes")).count(),
            1,
            "{requests:?}"
        );
        // The failover list was not read, and the snapshot says so instead of "none".
        assert_eq!(read.failovers.error(), Some(FAILOVERS_NOT_READ));
        shapes.push((scopes, shape(&requests)));
        counted.sim.shutdown().await;
    }
    // The same requests for 1, 10 and 200 scopes: nothing grows with the scope count.
    let (_, first) = &shapes[0];
    for (scopes, s) in &shapes[1..] {
        assert_eq!(s, first, "{scopes} scopes read differently from 1 scope");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_primaries_cost_the_same_and_partners_are_not_contacted() {
    let counted = Counted::start(&spec(1, 1, 10)).await;
    let pairs = counted.pairs();
    assert_eq!(pairs.len(), 1);
    let (primary, partner, _) = pairs[0].clone();
    let snap = sync_gather(&counted, &[]).await;
    let per_server = counted.per_server();
    assert_eq!(per_server.len(), 3);
    for (name, requests) in &per_server {
        if *name == partner {
            assert!(requests.is_empty(), "partner {name} was read: {requests:?}");
        } else {
            assert!(
                (1..=5).contains(&requests.len()),
                "{name}: {} requests: {requests:#?}",
                requests.len()
            );
        }
    }
    // The primary's failover scopes carry their relationship from the scope list alone.
    let scopes = snap.servers[&primary].scopes.ok().unwrap();
    assert!(
        scopes.values().any(|s| s.failover.is_some()),
        "no failover scope on {primary}: {scopes:?}"
    );
    counted.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_primary_is_replaced_by_its_partner_within_the_same_budget() {
    let counted = Counted::start(&spec(0, 1, 10)).await;
    let (primary, partner, _) = counted.pairs()[0].clone();
    let snap = sync_gather(&counted, &[primary.as_str()]).await;
    // The primary could not be read; its partner was read instead, completely.
    assert!(snap.servers[&primary].scopes.error().is_some());
    let read = &snap.servers[&partner];
    let scopes = read.scopes.ok().unwrap();
    assert!(!scopes.is_empty());
    assert_eq!(read.leases.len(), scopes.len());
    assert!(read.leases.values().all(|r| r.ok().is_some()));
    let per_server = counted.per_server();
    assert!(
        per_server[&primary].is_empty(),
        "the primary's port is closed"
    );
    let requests = &per_server[&partner];
    assert!((1..=5).contains(&requests.len()), "partner: {requests:#?}");
    counted.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_reads_the_failover_list_and_no_leases() {
    let counted = Counted::start(&spec(0, 1, 10)).await;
    let (primary, _, fo) = counted.pairs()[0].clone();
    counted.reset();
    let snap = gather_for_import(
        &sources(&counted, &[]),
        &primary,
        &GatherOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    let read = &snap.servers[&primary];
    let failovers = read.failovers.ok().unwrap();
    assert!(failovers.iter().any(|f| f.name == fo), "{failovers:?}");
    assert!(read.leases.is_empty() && read.reservations.is_empty());
    let requests = &counted.per_server()[&primary];
    assert_eq!(requests.len(), 4, "{requests:#?}");
    assert!(
        requests.iter().any(|r| r.ends_with("/failover")),
        "{requests:?}"
    );
    assert!(
        !requests.iter().any(|r| r.contains("/leases")),
        "{requests:?}"
    );
    counted.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouped_exclusions_reuse_the_scope_list_already_read() {
    let counted = Counted::start(&spec(1, 0, 10)).await;
    let (name, proxy) = counted.proxies.iter().next().unwrap();
    let client = || {
        PsuClient::builder("127.0.0.1")
            .port(proxy.addr.port())
            .https(false)
            .token(TOKEN)
            .build()
            .unwrap()
    };

    // Without a scope list read first, the adapter lists the scopes itself: two requests.
    let fresh = PsuServer::new(name.clone(), client());
    proxy.reset();
    let alone = fresh.exclusions_by_scope().await.unwrap();
    assert_eq!(proxy.requests().len(), 2, "{:?}", proxy.requests());
    assert_eq!(alone.len(), 10);

    // After a scope listing (what a gather does first), one request, same answer.
    let server = PsuServer::new(name.clone(), client());
    let scopes = server.list_scopes().await.unwrap();
    proxy.reset();
    let after = server.exclusions_by_scope().await.unwrap();
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].contains("/exclusions") && requests[0].contains("format=grouped"));
    assert_eq!(after, alone);
    assert!(scopes.keys().all(|id| after.contains_key(id)));
    counted.sim.shutdown().await;
}
