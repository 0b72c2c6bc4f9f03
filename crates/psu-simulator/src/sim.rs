//! Starting and controlling a simulator in-process.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, RwLock};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{SimError, SimResult};
use crate::faults::{FaultRule, Faults};
use crate::generate::{EstateSpec, generate};
use crate::http::{self, AppState, Auth, SharedEstate};
use crate::model::{AddressState, Estate, Lease, Reservation, Secret, ServerState};
use crate::timefmt::now_unix;

/// Default writer token when none is configured.
pub const DEFAULT_TOKEN: &str = "sim-token";

/// Builder of a [`RunningSimulator`].
#[derive(Debug)]
pub struct SimulatorBuilder {
    estate: Estate,
    bind: IpAddr,
    base_port: u16,
    writer: Secret,
    reader: Option<Secret>,
    faults: Vec<FaultRule>,
    fault_seed: u64,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        Self {
            estate: Estate {
                servers: vec![ServerState::new("dhcp01.corp.example")],
            },
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: 0,
            writer: Secret::new(DEFAULT_TOKEN),
            reader: None,
            faults: Vec::new(),
            fault_seed: 0,
        }
    }
}

impl SimulatorBuilder {
    /// One empty server `dhcp01.corp.example` on an ephemeral loopback port, token
    /// [`DEFAULT_TOKEN`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves this estate (one listener per server).
    #[must_use]
    pub fn estate(mut self, estate: Estate) -> Self {
        self.estate = estate;
        self
    }

    /// Serves a generated estate.
    #[must_use]
    pub fn generated(self, spec: &EstateSpec) -> Self {
        self.estate(generate(spec))
    }

    /// Loads the estate from a JSON state file (as written by [`SimHandle::save`]).
    pub fn state_file(self, path: &Path) -> SimResult<Self> {
        Ok(self.estate(load_estate(path)?))
    }

    /// Address to bind (default 127.0.0.1).
    #[must_use]
    pub fn bind(mut self, ip: IpAddr) -> Self {
        self.bind = ip;
        self
    }

    /// First port; server *k* listens on `port + k`. 0 (default) = ephemeral ports.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.base_port = port;
        self
    }

    /// The token with the writer role.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.writer = Secret::new(token);
        self
    }

    /// An additional token with the reader role only.
    #[must_use]
    pub fn reader_token(mut self, token: impl Into<String>) -> Self {
        self.reader = Some(Secret::new(token));
        self
    }

    /// A fault rule armed from the start.
    #[must_use]
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// Seed of the fault dice (probabilistic rules).
    #[must_use]
    pub fn fault_seed(mut self, seed: u64) -> Self {
        self.fault_seed = seed;
        self
    }

    /// Checks the estate, binds one listener per server and starts serving.
    pub async fn start(self) -> SimResult<RunningSimulator> {
        self.estate.check_all()?;
        if self.estate.servers.is_empty() {
            return Err(SimError::invalid("the estate has no server."));
        }
        let names: Vec<String> = self.estate.servers.iter().map(|s| s.name.clone()).collect();
        let estate: SharedEstate = Arc::new(RwLock::new(self.estate));
        let faults = Faults::new(self.fault_seed);
        for r in self.faults {
            faults.add(r);
        }
        let auth = Arc::new(Auth {
            writer: self.writer.clone(),
            reader: self.reader.clone(),
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut servers = Vec::new();
        let mut tasks = Vec::new();
        for (i, name) in names.into_iter().enumerate() {
            let port = if self.base_port == 0 {
                0
            } else {
                u16::try_from(usize::from(self.base_port) + i).map_err(|_| SimError::Bind {
                    addr: format!("{}:{}+{i}", self.bind, self.base_port),
                    source: std::io::Error::other("port out of range"),
                })?
            };
            let addr = SocketAddr::new(self.bind, port);
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| SimError::Bind {
                    addr: addr.to_string(),
                    source,
                })?;
            let local = listener.local_addr().map_err(|source| SimError::Bind {
                addr: addr.to_string(),
                source,
            })?;
            let app = http::router(AppState {
                estate: estate.clone(),
                server: i,
                server_name: Arc::from(name.as_str()),
                faults: faults.clone(),
                auth: auth.clone(),
                stop: stop_rx.clone(),
            });
            let mut rx = stop_rx.clone();
            tasks.push(tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = rx.wait_for(|stop| *stop).await;
                    })
                    .await;
            }));
            servers.push(ServerEndpoint { name, addr: local });
        }
        Ok(RunningSimulator {
            servers,
            handle: SimHandle { estate },
            faults,
            writer: self.writer,
            reader: self.reader,
            stop: stop_tx,
            tasks,
        })
    }
}

/// Reads an estate from a JSON file.
pub fn load_estate(path: &Path) -> SimResult<Estate> {
    let text = std::fs::read_to_string(path).map_err(|source| SimError::StateFile {
        path: path.to_owned(),
        source,
    })?;
    let e: Estate = serde_json::from_str(&text)?;
    e.check_all()?;
    Ok(e)
}

/// Where one simulated server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerEndpoint {
    /// Server name (FQDN).
    pub name: String,
    /// Socket address.
    pub addr: SocketAddr,
}

impl ServerEndpoint {
    /// `http://ip:port` (append `/api/dhcp/...`).
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A started simulator. Dropping it stops accepting connections as well.
pub struct RunningSimulator {
    servers: Vec<ServerEndpoint>,
    handle: SimHandle,
    faults: Faults,
    writer: Secret,
    reader: Option<Secret>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl fmt::Debug for RunningSimulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningSimulator")
            .field("servers", &self.servers)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl RunningSimulator {
    /// `http://ip:port` of the first server.
    #[must_use]
    pub fn base_url(&self) -> String {
        self.servers
            .first()
            .map(ServerEndpoint::base_url)
            .unwrap_or_default()
    }

    /// `http://ip:port/api/dhcp` of the first server.
    #[must_use]
    pub fn api_url(&self) -> String {
        format!("{}{}", self.base_url(), http::BASE_PATH)
    }

    /// Every server and its address, in estate order.
    #[must_use]
    pub fn servers(&self) -> &[ServerEndpoint] {
        &self.servers
    }

    /// The endpoint of a server by name.
    pub fn server(&self, name: &str) -> SimResult<&ServerEndpoint> {
        let i = self.handle.read(|e| e.server_index(name));
        i.and_then(|i| self.servers.get(i))
            .ok_or_else(|| SimError::UnknownServer(name.to_owned()))
    }

    /// The writer token (send as `Authorization: Bearer <token>`).
    #[must_use]
    pub fn token(&self) -> &str {
        self.writer.expose()
    }

    /// The reader-only token, if configured.
    #[must_use]
    pub fn reader_token(&self) -> Option<&str> {
        self.reader.as_ref().map(Secret::expose)
    }

    /// The state handle (read and mutate the estate directly).
    #[must_use]
    pub fn state(&self) -> &SimHandle {
        &self.handle
    }

    /// The fault rules.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Stops every listener and waits for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }

    /// Serves until Ctrl-C, then shuts down.
    pub async fn run_until_ctrl_c(self) {
        let _ = tokio::signal::ctrl_c().await;
        self.shutdown().await;
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Direct access to the simulated estate, for tests that change it behind the API's back (a
/// client arrives, a lease expires, an admin edits a reservation in the MMC…). Cheap to clone.
///
/// Changes to a failover scope's leases are applied on the partner too (Windows synchronises
/// leases continuously); configuration changes are not (that is what replication is for).
#[derive(Clone, Debug)]
pub struct SimHandle {
    estate: SharedEstate,
}

impl SimHandle {
    /// A handle over an estate that is not served (for unit tests of estate logic).
    #[must_use]
    pub fn detached(estate: Estate) -> Self {
        Self {
            estate: Arc::new(RwLock::new(estate)),
        }
    }

    /// Runs `f` with read access.
    pub fn read<T>(&self, f: impl FnOnce(&Estate) -> T) -> T {
        f(&http::read(&self.estate))
    }

    /// Runs `f` with write access (no rule is checked for you; use the model's methods).
    pub fn write<T>(&self, f: impl FnOnce(&mut Estate) -> T) -> T {
        f(&mut http::write(&self.estate))
    }

    /// A copy of the whole estate.
    #[must_use]
    pub fn snapshot(&self) -> Estate {
        self.read(Clone::clone)
    }

    /// The estate as pretty JSON (the `--state` file format; shared secrets are left out).
    pub fn to_json(&self) -> SimResult<String> {
        Ok(self.read(serde_json::to_string_pretty)?)
    }

    /// Writes the estate to a JSON file.
    pub fn save(&self, path: &Path) -> SimResult<()> {
        std::fs::write(path, self.to_json()?).map_err(|source| SimError::StateFile {
            path: path.to_owned(),
            source,
        })
    }

    fn server_index(&self, server: &str) -> SimResult<usize> {
        self.read(|e| e.server_index(server))
            .ok_or_else(|| SimError::UnknownServer(server.to_owned()))
    }

    /// Adds or replaces a lease (the address must be in the scope's subnet; the client id is
    /// normalised). A failover partner gets it too.
    pub fn add_lease(&self, server: &str, scope: Ipv4Addr, lease: Lease) -> SimResult<()> {
        let i = self.server_index(server)?;
        let mut lease = lease;
        lease.client_id = crate::model::canonical_client_id(&lease.client_id)?;
        self.write(|e| {
            e.on_scope_and_partner(i, scope, |s| {
                if !s.in_subnet(lease.ip_address) {
                    return Err(SimError::invalid(format!(
                        "{} is outside scope {}.",
                        lease.ip_address, s.scope_id
                    )));
                }
                s.leases.insert(lease.ip_address, lease.clone());
                Ok(())
            })
        })
    }

    /// Adds an `Active` lease expiring after the scope's lease duration from now.
    pub fn add_active_lease(
        &self,
        server: &str,
        scope: Ipv4Addr,
        ip: Ipv4Addr,
        client_id: &str,
        hostname: &str,
    ) -> SimResult<()> {
        let i = self.server_index(server)?;
        let secs = self.read(|e| {
            e.servers
                .get(i)
                .ok_or_else(|| SimError::UnknownServer(server.to_owned()))
                .and_then(|s| s.scope(scope).map(|s| s.lease_duration_seconds))
        })?;
        let expiry =
            (secs != crate::model::UNLIMITED_LEASE_SECS).then(|| now_unix() + i64::from(secs));
        self.add_lease(
            server,
            scope,
            Lease {
                ip_address: ip,
                client_id: client_id.to_owned(),
                hostname: hostname.to_owned(),
                address_state: AddressState::Active,
                lease_expiry: expiry,
            },
        )
    }

    /// Removes a lease (404 when there is none); the partner's copy goes too.
    pub fn remove_lease(&self, server: &str, scope: Ipv4Addr, ip: Ipv4Addr) -> SimResult<Lease> {
        let i = self.server_index(server)?;
        self.write(|e| {
            let mut removed = None;
            e.on_scope_and_partner(i, scope, |s| {
                let l = s.leases.remove(&ip);
                if removed.is_none() {
                    removed = l;
                }
                Ok(())
            })?;
            removed.ok_or_else(|| SimError::not_found(format!("no lease {ip} in scope {scope}.")))
        })
    }

    /// Marks every `Active` lease of a scope (or of every scope with `None`) `Expired` with an
    /// expiry in the past. Returns how many leases changed on `server`.
    pub fn expire_leases(&self, server: &str, scope: Option<Ipv4Addr>) -> SimResult<usize> {
        let i = self.server_index(server)?;
        let now = now_unix();
        let ids: Vec<Ipv4Addr> = match scope {
            Some(s) => vec![s],
            None => self.read(|e| {
                e.servers
                    .get(i)
                    .map(|s| s.scopes.keys().copied().collect())
                    .unwrap_or_default()
            }),
        };
        let mut total = 0;
        for id in ids {
            let mut first = true;
            self.write(|e| {
                e.on_scope_and_partner(i, id, |s| {
                    let mut n = 0;
                    for l in s.leases.values_mut() {
                        if l.address_state == AddressState::Active {
                            l.address_state = AddressState::Expired;
                            l.lease_expiry = Some(now - 1);
                            n += 1;
                        }
                    }
                    if first {
                        total += n;
                        first = false;
                    }
                    Ok(())
                })
            })?;
        }
        Ok(total)
    }

    /// Adds a reservation with every rule checked (on `server` only).
    pub fn add_reservation(&self, server: &str, scope: Ipv4Addr, r: Reservation) -> SimResult<()> {
        let mut r = r;
        r.client_id = crate::model::canonical_client_id(&r.client_id)?;
        self.write(|e| e.server_mut(server)?.scope_mut(scope)?.add_reservation(r))
    }

    /// Removes a reservation (on `server` only).
    pub fn remove_reservation(
        &self,
        server: &str,
        scope: Ipv4Addr,
        ip: Ipv4Addr,
    ) -> SimResult<Reservation> {
        self.write(|e| {
            e.server_mut(server)?
                .scope_mut(scope)?
                .remove_reservation(ip)
        })
    }

    /// Sets a scope's lease duration (on `server` only).
    pub fn set_lease_duration(&self, server: &str, scope: Ipv4Addr, secs: u32) -> SimResult<()> {
        if secs == 0 {
            return Err(SimError::invalid("lease duration must be positive."));
        }
        self.write(|e| {
            e.server_mut(server)?
                .scope_mut(scope)?
                .lease_duration_seconds = secs;
            Ok(())
        })
    }

    /// Number of leases on a server.
    pub fn lease_count(&self, server: &str) -> SimResult<usize> {
        self.read(|e| e.server(server).map(ServerState::lease_count))
    }

    /// Names of the servers.
    #[must_use]
    pub fn server_names(&self) -> Vec<String> {
        self.read(|e| e.servers.iter().map(|s| s.name.clone()).collect())
    }
}
