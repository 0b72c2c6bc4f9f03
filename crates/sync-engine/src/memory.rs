//! In-memory implementations of the three sides, for tests and for the demo.
//!
//! * [`MemoryDhcpServer`] — a simple Windows DHCP server (scopes, leases, reservations,
//!   exclusions, options, failovers) with the server's own rules (a reservation lies in its
//!   scope, one client id per scope, exclusions do not overlap). Failover partners share their
//!   failover scopes. [`MemoryFleet`] connects to them by name.
//! * [`MemoryIpam`] — NetBox IPAM as far as the sync sees it: ids, ETags, uniqueness of an
//!   address per VRF, atomic bulk writes, a change log.
//! * [`MemoryInventory`] — the inventory, with the same semantics as the file-backed one.
//!
//! Every implementation takes injected faults ([`Fault`]) per operation, optionally limited to
//! a scope, an address or an object id and to a number of calls, and records its calls in a
//! shared [`CallLog`] so that tests can check what was called and in which order.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use compact_str::{CompactString, format_compact};
use ipnetwork::Ipv4Network;

use crate::inventory_file::InventoryDocument;
use crate::plan::{IpFields, OptionValueSpec, ScopeChange, ScopeSpec};
use crate::snapshot::{
    AddressRange, Inventory as InventoryData, IpamAddress, IpamPrefix, ObjectId, ServerFailover,
    ServerLease, ServerName, ServerOption, ServerReservation, ServerScope, SyncSettings,
};
use crate::source::{
    ByScope, DhcpConnector, DhcpError, DhcpServer, Inventory, InventoryError, InventoryWrite,
    IpDelete, IpUpdate, Ipam, IpamError, ItemResult, NewIp, NewPrefix, ReservationKey,
    ReservationWrite,
};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks can only come from a test; keep going.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

// =============================================================================================
// Call log and faults
// =============================================================================================

/// A shared, ordered record of calls (`"dhcp:<server>:<op> <detail>"`, `"ipam:<op> <detail>"`,
/// `"inventory:<op> <detail>"`). Clones share the same record.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<String>>>);

impl CallLog {
    /// A new, empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append an entry.
    pub fn push(&self, entry: impl Into<String>) {
        lock(&self.0).push(entry.into());
    }

    /// Every entry so far.
    pub fn entries(&self) -> Vec<String> {
        lock(&self.0).clone()
    }

    /// Entries that start with `prefix`.
    pub fn matching(&self, prefix: &str) -> Vec<String> {
        lock(&self.0)
            .iter()
            .filter(|e| e.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Forget every entry.
    pub fn clear(&self) {
        lock(&self.0).clear();
    }
}

/// An injected failure: calls of `op` matching the optional filters fail with `error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault<Op, E> {
    /// The operation.
    pub op: Op,
    /// Only calls about this scope (DHCP) — `None`: any.
    pub scope: Option<Ipv4Addr>,
    /// Only items with this address — `None`: any.
    pub address: Option<Ipv4Addr>,
    /// Only items with this object id (IPAM, inventory) — `None`: any.
    pub id: Option<ObjectId>,
    /// How many more matching calls fail (`None`: all of them).
    pub remaining: Option<u32>,
    /// The error returned.
    pub error: E,
}

impl<Op, E> Fault<Op, E> {
    /// Every call of `op` fails with `error`.
    pub fn new(op: Op, error: E) -> Self {
        Self {
            op,
            scope: None,
            address: None,
            id: None,
            remaining: None,
            error,
        }
    }

    /// Only calls about `scope`.
    pub fn in_scope(mut self, scope: Ipv4Addr) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Only items with `address`.
    pub fn at(mut self, address: Ipv4Addr) -> Self {
        self.address = Some(address);
        self
    }

    /// Only items with object id `id`.
    pub fn for_id(mut self, id: ObjectId) -> Self {
        self.id = Some(id);
        self
    }

    /// Only the next `times` matching calls.
    pub fn times(mut self, times: u32) -> Self {
        self.remaining = Some(times);
        self
    }
}

#[derive(Debug)]
struct Faults<Op, E>(Mutex<Vec<Fault<Op, E>>>);

impl<Op, E> Default for Faults<Op, E> {
    fn default() -> Self {
        Self(Mutex::new(Vec::new()))
    }
}

impl<Op: PartialEq + Copy, E: Clone> Faults<Op, E> {
    fn add(&self, fault: Fault<Op, E>) {
        lock(&self.0).push(fault);
    }

    fn clear(&self) {
        lock(&self.0).clear();
    }

    /// The error for a call, consuming one use of the matching fault.
    fn check(
        &self,
        op: Op,
        scope: Option<Ipv4Addr>,
        address: Option<Ipv4Addr>,
        id: Option<ObjectId>,
    ) -> Result<(), E> {
        let mut faults = lock(&self.0);
        let hit = faults.iter_mut().position(|f| {
            f.op == op
                && f.remaining != Some(0)
                && (f.scope.is_none() || f.scope == scope)
                && (f.address.is_none() || f.address == address)
                && (f.id.is_none() || f.id == id)
        });
        match hit {
            Some(index) => {
                let fault = &mut faults[index];
                if let Some(left) = fault.remaining.as_mut() {
                    *left -= 1;
                }
                Err(fault.error.clone())
            }
            None => Ok(()),
        }
    }
}

// =============================================================================================
// DHCP
// =============================================================================================

/// The operations of a [`MemoryDhcpServer`] (for faults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DhcpOp {
    /// [`DhcpConnector::connect`].
    Connect,
    /// [`DhcpServer::list_scopes`].
    ListScopes,
    /// [`DhcpServer::list_failovers`].
    ListFailovers,
    /// [`DhcpServer::list_leases`].
    ListLeases,
    /// [`DhcpServer::list_reservations`].
    ListReservations,
    /// [`DhcpServer::list_exclusions`].
    ListExclusions,
    /// [`DhcpServer::list_options`].
    ListOptions,
    /// [`DhcpServer::leases_by_scope`].
    LeasesByScope,
    /// [`DhcpServer::reservations_by_scope`].
    ReservationsByScope,
    /// [`DhcpServer::exclusions_by_scope`].
    ExclusionsByScope,
    /// [`DhcpServer::options_by_scope`].
    OptionsByScope,
    /// [`DhcpServer::create_scope`].
    CreateScope,
    /// [`DhcpServer::update_scope`].
    UpdateScope,
    /// [`DhcpServer::delete_scope`].
    DeleteScope,
    /// [`DhcpServer::create_exclusion`].
    CreateExclusion,
    /// [`DhcpServer::delete_exclusion`].
    DeleteExclusion,
    /// One item of [`DhcpServer::create_reservations`].
    CreateReservation,
    /// One item of [`DhcpServer::update_reservations`].
    UpdateReservation,
    /// One item of [`DhcpServer::delete_reservations`].
    DeleteReservation,
    /// [`DhcpServer::replicate_failover`].
    ReplicateFailover,
}

/// A fault of a [`MemoryDhcpServer`].
pub type DhcpFault = Fault<DhcpOp, DhcpError>;

/// A scope held by a [`MemoryDhcpServer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryScope {
    /// The scope's attributes (its `failover` names the relationship, if any).
    pub scope: ServerScope,
    /// Leases by address.
    pub leases: BTreeMap<Ipv4Addr, ServerLease>,
    /// Reservations by address.
    pub reservations: BTreeMap<Ipv4Addr, ServerReservation>,
    /// Exclusion ranges.
    pub exclusions: BTreeSet<AddressRange>,
    /// Scope-level option values.
    pub options: Vec<ServerOption>,
    /// The servers that hold the scope (both partners of a failover scope).
    pub holders: BTreeSet<ServerName>,
}

#[derive(Debug, Default)]
struct DhcpData {
    scopes: BTreeMap<Ipv4Addr, MemoryScope>,
    failovers: Vec<ServerFailover>,
}

/// An in-memory Windows DHCP server.
///
/// Clones share everything. [`Self::partner`] makes a second server that shares the failover
/// scopes (but has its own standalone scopes, faults and connection).
#[derive(Debug, Clone)]
pub struct MemoryDhcpServer {
    name: ServerName,
    data: Arc<Mutex<DhcpData>>,
    faults: Arc<Faults<DhcpOp, DhcpError>>,
    log: CallLog,
}

impl MemoryDhcpServer {
    /// An empty server called `name`.
    pub fn new(name: impl Into<ServerName>) -> Self {
        Self {
            name: name.into(),
            data: Arc::default(),
            faults: Arc::default(),
            log: CallLog::new(),
        }
    }

    /// Record calls in `log` (shared with other memory implementations).
    pub fn with_log(mut self, log: CallLog) -> Self {
        self.log = log;
        self
    }

    /// A failover partner called `name`: it shares this server's data and log, and sees the
    /// scopes of the relationships that name it, but has its own faults.
    pub fn partner(&self, name: impl Into<ServerName>) -> Self {
        Self {
            name: name.into(),
            data: Arc::clone(&self.data),
            faults: Arc::default(),
            log: self.log.clone(),
        }
    }

    /// The server's name.
    pub fn server_name(&self) -> &str {
        &self.name
    }

    /// Inject a fault.
    pub fn fail(&self, fault: DhcpFault) {
        self.faults.add(fault);
    }

    /// Remove every injected fault.
    pub fn clear_faults(&self) {
        self.faults.clear();
    }

    /// The call log.
    pub fn log(&self) -> &CallLog {
        &self.log
    }

    /// Add a failover relationship between this server (primary) and `partner`.
    pub fn add_failover(&self, name: &str, partner: &str) {
        let mut data = lock(&self.data);
        data.failovers.retain(|f| f.name != name);
        data.failovers.push(ServerFailover {
            name: name.to_owned(),
            primary_server: self.name.as_str().to_owned(),
            partner_server: partner.to_owned(),
            mode: "LoadBalance".to_owned(),
            scope_ids: BTreeSet::new(),
        });
        let members: Vec<Ipv4Addr> = data
            .scopes
            .iter()
            .filter(|(_, s)| s.scope.failover.as_deref() == Some(name))
            .map(|(id, _)| *id)
            .collect();
        for id in members {
            if let Some(scope) = data.scopes.get_mut(&id) {
                scope.holders.insert(partner.into());
            }
        }
        refresh_failover_scope_ids(&mut data);
    }

    /// Add (or replace) a scope held by this server (and by the partner of its failover).
    pub fn add_scope(&self, scope: ServerScope) {
        let mut data = lock(&self.data);
        let id = scope.network.network();
        let holders = holders_for(&data, &self.name, scope.failover.as_deref());
        data.scopes.insert(
            id,
            MemoryScope {
                scope,
                leases: BTreeMap::new(),
                reservations: BTreeMap::new(),
                exclusions: BTreeSet::new(),
                options: Vec::new(),
                holders,
            },
        );
        refresh_failover_scope_ids(&mut data);
    }

    /// Add (or replace) a lease; the scope must exist.
    pub fn add_lease(&self, scope: Ipv4Addr, lease: ServerLease) {
        if let Some(s) = lock(&self.data).scopes.get_mut(&scope) {
            s.leases.insert(lease.ip, lease);
        }
    }

    /// Remove a lease (it expired).
    pub fn remove_lease(&self, scope: Ipv4Addr, ip: Ipv4Addr) {
        if let Some(s) = lock(&self.data).scopes.get_mut(&scope) {
            s.leases.remove(&ip);
        }
    }

    /// Add (or replace) a reservation, bypassing validation; the scope must exist.
    pub fn add_reservation(&self, scope: Ipv4Addr, reservation: ServerReservation) {
        if let Some(s) = lock(&self.data).scopes.get_mut(&scope) {
            s.reservations.insert(reservation.ip, reservation);
        }
    }

    /// Add an exclusion range, bypassing validation; the scope must exist.
    pub fn add_exclusion(&self, scope: Ipv4Addr, range: AddressRange) {
        if let Some(s) = lock(&self.data).scopes.get_mut(&scope) {
            s.exclusions.insert(range);
        }
    }

    /// Add (or replace) an option value; the scope must exist.
    pub fn add_option(&self, scope: Ipv4Addr, option: ServerOption) {
        if let Some(s) = lock(&self.data).scopes.get_mut(&scope) {
            upsert_option(&mut s.options, option);
        }
    }

    /// A copy of one scope as held.
    pub fn scope(&self, scope: Ipv4Addr) -> Option<MemoryScope> {
        lock(&self.data).scopes.get(&scope).cloned()
    }

    /// The scope ids this server holds.
    pub fn scope_ids(&self) -> Vec<Ipv4Addr> {
        lock(&self.data)
            .scopes
            .iter()
            .filter(|(_, s)| s.holders.contains(&self.name))
            .map(|(id, _)| *id)
            .collect()
    }

    fn record(&self, op: &str, detail: impl std::fmt::Display) {
        self.log.push(format!("dhcp:{}:{op} {detail}", self.name));
    }

    fn check(
        &self,
        op: DhcpOp,
        scope: Option<Ipv4Addr>,
        ip: Option<Ipv4Addr>,
    ) -> Result<(), DhcpError> {
        self.faults.check(op, scope, ip, None)
    }

    /// Run `f` on a scope this server holds.
    fn with_scope<T>(
        &self,
        scope: Ipv4Addr,
        f: impl FnOnce(&mut MemoryScope) -> Result<T, DhcpError>,
    ) -> Result<T, DhcpError> {
        let mut data = lock(&self.data);
        match data.scopes.get_mut(&scope) {
            Some(s) if s.holders.contains(&self.name) => f(s),
            _ => Err(DhcpError::NotFound {
                what: format!("scope {scope}"),
            }),
        }
    }

    fn held<T>(&self, pick: impl Fn(&MemoryScope) -> Vec<T>) -> ByScope<T> {
        lock(&self.data)
            .scopes
            .iter()
            .filter(|(_, s)| s.holders.contains(&self.name))
            .map(|(id, s)| (*id, pick(s)))
            .collect()
    }
}

fn holders_for(data: &DhcpData, server: &str, failover: Option<&str>) -> BTreeSet<ServerName> {
    let mut holders = BTreeSet::from([ServerName::from(server)]);
    if let Some(name) = failover
        && let Some(f) = data.failovers.iter().find(|f| f.name == name)
    {
        holders.insert(f.primary_server.as_str().into());
        holders.insert(f.partner_server.as_str().into());
    }
    holders
}

fn refresh_failover_scope_ids(data: &mut DhcpData) {
    let DhcpData { scopes, failovers } = data;
    for failover in failovers.iter_mut() {
        failover.scope_ids = scopes
            .iter()
            .filter(|(_, s)| s.scope.failover.as_deref() == Some(failover.name.as_str()))
            .map(|(id, _)| *id)
            .collect();
    }
}

fn upsert_option(options: &mut Vec<ServerOption>, option: ServerOption) {
    options.retain(|o| !(o.code == option.code && o.vendor_class == option.vendor_class));
    options.push(option);
    options.sort_by(|a, b| (a.code, &a.vendor_class).cmp(&(b.code, &b.vendor_class)));
}

fn rejected(message: String) -> DhcpError {
    DhcpError::Rejected { message }
}

fn check_reservation(scope: &MemoryScope, item: &ReservationWrite) -> Result<(), DhcpError> {
    if !scope.scope.network.contains(item.ip) {
        return Err(rejected(format!(
            "{} is outside scope {}",
            item.ip, scope.scope.network
        )));
    }
    if let Some(other) = scope
        .reservations
        .values()
        .find(|r| r.ip != item.ip && r.client_id.eq_ignore_ascii_case(&item.client_id))
    {
        return Err(rejected(format!(
            "client id {} is already reserved for {} in scope {}",
            item.client_id, other.ip, scope.scope.network
        )));
    }
    Ok(())
}

#[async_trait]
impl DhcpServer for MemoryDhcpServer {
    fn name(&self) -> &str {
        &self.name
    }

    async fn list_scopes(&self) -> Result<BTreeMap<Ipv4Addr, ServerScope>, DhcpError> {
        self.record("list_scopes", "");
        self.check(DhcpOp::ListScopes, None, None)?;
        Ok(lock(&self.data)
            .scopes
            .iter()
            .filter(|(_, s)| s.holders.contains(&self.name))
            .map(|(id, s)| (*id, s.scope.clone()))
            .collect())
    }

    async fn list_failovers(&self) -> Result<Vec<ServerFailover>, DhcpError> {
        self.record("list_failovers", "");
        self.check(DhcpOp::ListFailovers, None, None)?;
        let data = lock(&self.data);
        Ok(data
            .failovers
            .iter()
            .filter(|f| f.primary_server == self.name || f.partner_server == self.name)
            .map(|f| {
                let mut f = f.clone();
                // Windows reports the answering host as the "primary".
                if f.primary_server != self.name {
                    std::mem::swap(&mut f.primary_server, &mut f.partner_server);
                }
                f
            })
            .collect())
    }

    async fn list_leases(&self, scope: Ipv4Addr) -> Result<Vec<ServerLease>, DhcpError> {
        self.record("list_leases", scope);
        self.check(DhcpOp::ListLeases, Some(scope), None)?;
        self.with_scope(scope, |s| Ok(s.leases.values().cloned().collect()))
    }

    async fn list_reservations(
        &self,
        scope: Ipv4Addr,
    ) -> Result<Vec<ServerReservation>, DhcpError> {
        self.record("list_reservations", scope);
        self.check(DhcpOp::ListReservations, Some(scope), None)?;
        self.with_scope(scope, |s| Ok(s.reservations.values().cloned().collect()))
    }

    async fn list_exclusions(&self, scope: Ipv4Addr) -> Result<Vec<AddressRange>, DhcpError> {
        self.record("list_exclusions", scope);
        self.check(DhcpOp::ListExclusions, Some(scope), None)?;
        self.with_scope(scope, |s| Ok(s.exclusions.iter().copied().collect()))
    }

    async fn list_options(&self, scope: Ipv4Addr) -> Result<Vec<ServerOption>, DhcpError> {
        self.record("list_options", scope);
        self.check(DhcpOp::ListOptions, Some(scope), None)?;
        self.with_scope(scope, |s| Ok(s.options.clone()))
    }

    async fn leases_by_scope(&self) -> Result<ByScope<ServerLease>, DhcpError> {
        self.record("leases_by_scope", "");
        self.check(DhcpOp::LeasesByScope, None, None)?;
        Ok(self.held(|s| s.leases.values().cloned().collect()))
    }

    async fn reservations_by_scope(&self) -> Result<ByScope<ServerReservation>, DhcpError> {
        self.record("reservations_by_scope", "");
        self.check(DhcpOp::ReservationsByScope, None, None)?;
        Ok(self.held(|s| s.reservations.values().cloned().collect()))
    }

    async fn exclusions_by_scope(&self) -> Result<ByScope<AddressRange>, DhcpError> {
        self.record("exclusions_by_scope", "");
        self.check(DhcpOp::ExclusionsByScope, None, None)?;
        Ok(self.held(|s| s.exclusions.iter().copied().collect()))
    }

    async fn options_by_scope(&self) -> Result<ByScope<ServerOption>, DhcpError> {
        self.record("options_by_scope", "");
        self.check(DhcpOp::OptionsByScope, None, None)?;
        Ok(self.held(|s| s.options.clone()))
    }

    async fn create_scope(
        &self,
        scope: &ScopeSpec,
        options: &[OptionValueSpec],
        failover: Option<&str>,
    ) -> Result<(), DhcpError> {
        let id = scope.network.network();
        self.record("create_scope", id);
        self.check(DhcpOp::CreateScope, Some(id), None)?;
        if !(scope.network.contains(scope.start)
            && scope.network.contains(scope.end)
            && scope.start <= scope.end)
        {
            return Err(rejected(format!(
                "range {}-{} does not fit scope {}",
                scope.start, scope.end, scope.network
            )));
        }
        let mut data = lock(&self.data);
        if data.scopes.contains_key(&id) {
            return Err(rejected(format!("scope {id} already exists")));
        }
        if let Some(name) = failover
            && !data.failovers.iter().any(|f| f.name == name)
        {
            return Err(rejected(format!("failover {name} does not exist")));
        }
        let holders = holders_for(&data, &self.name, failover);
        let mut held = MemoryScope {
            scope: ServerScope {
                network: scope.network,
                name: scope.name.clone(),
                description: scope.description.clone(),
                start: scope.start,
                end: scope.end,
                router: scope.router,
                lease_lifetime_secs: scope.lease_lifetime_secs,
                active: scope.active,
                failover: failover.map(str::to_owned),
            },
            leases: BTreeMap::new(),
            reservations: BTreeMap::new(),
            exclusions: BTreeSet::new(),
            options: Vec::new(),
            holders,
        };
        for option in options {
            upsert_option(&mut held.options, option_from_spec(option));
        }
        data.scopes.insert(id, held);
        refresh_failover_scope_ids(&mut data);
        Ok(())
    }

    async fn update_scope(
        &self,
        network: Ipv4Network,
        changes: &[ScopeChange],
        set_options: &[OptionValueSpec],
        remove_options: &[(u8, String)],
    ) -> Result<(), DhcpError> {
        let id = network.network();
        self.record("update_scope", id);
        self.check(DhcpOp::UpdateScope, Some(id), None)?;
        self.with_scope(id, |s| {
            let mut next = s.scope.clone();
            for change in changes {
                match change {
                    ScopeChange::Name { after, .. } => next.name.clone_from(after),
                    ScopeChange::Description { after, .. } => next.description.clone_from(after),
                    ScopeChange::Start { after, .. } => next.start = *after,
                    ScopeChange::End { after, .. } => next.end = *after,
                    ScopeChange::Router { after, .. } => next.router = *after,
                    ScopeChange::LeaseLifetime { after, .. } => next.lease_lifetime_secs = *after,
                    ScopeChange::Active { after, .. } => next.active = *after,
                    ScopeChange::Failover { after, .. } => next.failover.clone_from(after),
                    ScopeChange::Source { .. } => {}
                }
            }
            if !(next.network.contains(next.start)
                && next.network.contains(next.end)
                && next.start <= next.end)
            {
                return Err(rejected(format!(
                    "range {}-{} does not fit scope {}",
                    next.start, next.end, next.network
                )));
            }
            s.scope = next;
            for option in set_options {
                upsert_option(&mut s.options, option_from_spec(option));
            }
            s.options.retain(|o| {
                !remove_options
                    .iter()
                    .any(|(c, v)| *c == o.code && *v == o.vendor_class)
            });
            Ok(())
        })?;
        let mut data = lock(&self.data);
        let failover = data.scopes.get(&id).and_then(|s| s.scope.failover.clone());
        let holders = holders_for(&data, &self.name, failover.as_deref());
        if let Some(s) = data.scopes.get_mut(&id) {
            s.holders = holders;
        }
        refresh_failover_scope_ids(&mut data);
        Ok(())
    }

    async fn delete_scope(&self, scope: Ipv4Addr) -> Result<(), DhcpError> {
        self.record("delete_scope", scope);
        self.check(DhcpOp::DeleteScope, Some(scope), None)?;
        self.with_scope(scope, |_| Ok(()))?;
        let mut data = lock(&self.data);
        data.scopes.remove(&scope);
        refresh_failover_scope_ids(&mut data);
        Ok(())
    }

    async fn create_exclusion(
        &self,
        scope: Ipv4Addr,
        range: AddressRange,
    ) -> Result<(), DhcpError> {
        self.record(
            "create_exclusion",
            format!("{scope} {}-{}", range.start, range.end),
        );
        self.check(DhcpOp::CreateExclusion, Some(scope), Some(range.start))?;
        self.with_scope(scope, |s| {
            if range.start > range.end
                || !s.scope.network.contains(range.start)
                || !s.scope.network.contains(range.end)
            {
                return Err(rejected(format!(
                    "exclusion {}-{} does not fit scope {scope}",
                    range.start, range.end
                )));
            }
            if s.exclusions
                .iter()
                .any(|e| e.start <= range.end && range.start <= e.end)
            {
                return Err(rejected(format!(
                    "exclusion {}-{} overlaps an existing range",
                    range.start, range.end
                )));
            }
            s.exclusions.insert(range);
            Ok(())
        })
    }

    async fn delete_exclusion(
        &self,
        scope: Ipv4Addr,
        range: AddressRange,
    ) -> Result<(), DhcpError> {
        self.record(
            "delete_exclusion",
            format!("{scope} {}-{}", range.start, range.end),
        );
        self.check(DhcpOp::DeleteExclusion, Some(scope), Some(range.start))?;
        self.with_scope(scope, |s| {
            if s.exclusions.remove(&range) {
                Ok(())
            } else {
                Err(DhcpError::NotFound {
                    what: format!("exclusion {}-{} in scope {scope}", range.start, range.end),
                })
            }
        })
    }

    async fn create_reservations(
        &self,
        items: &[ReservationWrite],
    ) -> Result<Vec<ItemResult<(), DhcpError>>, DhcpError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            self.record("create_reservation", format!("{} {}", item.scope, item.ip));
            let result = self
                .check(DhcpOp::CreateReservation, Some(item.scope), Some(item.ip))
                .and_then(|()| {
                    self.with_scope(item.scope, |s| {
                        if s.reservations.contains_key(&item.ip) {
                            return Err(rejected(format!("{} is already reserved", item.ip)));
                        }
                        check_reservation(s, item)?;
                        s.reservations.insert(
                            item.ip,
                            ServerReservation {
                                ip: item.ip,
                                client_id: item.client_id.as_str().into(),
                                name: item.name.as_str().into(),
                                description: CompactString::default(),
                            },
                        );
                        Ok(())
                    })
                });
            out.push(result);
        }
        Ok(out)
    }

    async fn update_reservations(
        &self,
        items: &[ReservationWrite],
    ) -> Result<Vec<ItemResult<(), DhcpError>>, DhcpError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            self.record("update_reservation", format!("{} {}", item.scope, item.ip));
            let result = self
                .check(DhcpOp::UpdateReservation, Some(item.scope), Some(item.ip))
                .and_then(|()| {
                    self.with_scope(item.scope, |s| {
                        check_reservation(s, item)?;
                        let Some(existing) = s.reservations.get_mut(&item.ip) else {
                            return Err(DhcpError::NotFound {
                                what: format!("reservation {}", item.ip),
                            });
                        };
                        existing.client_id = item.client_id.as_str().into();
                        existing.name = item.name.as_str().into();
                        Ok(())
                    })
                });
            out.push(result);
        }
        Ok(out)
    }

    async fn delete_reservations(
        &self,
        items: &[ReservationKey],
    ) -> Result<Vec<ItemResult<(), DhcpError>>, DhcpError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            self.record("delete_reservation", format!("{} {}", item.scope, item.ip));
            let result = self
                .check(DhcpOp::DeleteReservation, Some(item.scope), Some(item.ip))
                .and_then(|()| {
                    self.with_scope(item.scope, |s| {
                        s.reservations.remove(&item.ip).map(|_| ()).ok_or_else(|| {
                            DhcpError::NotFound {
                                what: format!("reservation {}", item.ip),
                            }
                        })
                    })
                });
            out.push(result);
        }
        Ok(out)
    }

    async fn replicate_failover(&self, scopes: &[Ipv4Addr]) -> Result<(), DhcpError> {
        let list: Vec<String> = scopes.iter().map(ToString::to_string).collect();
        self.record("replicate_failover", list.join(","));
        self.check(DhcpOp::ReplicateFailover, None, None)?;
        // Partners share their failover scopes here: replication has nothing to copy.
        Ok(())
    }
}

fn option_from_spec(spec: &OptionValueSpec) -> ServerOption {
    ServerOption {
        code: spec.code,
        vendor_class: spec.vendor_class.clone(),
        name: String::new(),
        values: spec.values.clone(),
    }
}

/// Connects to [`MemoryDhcpServer`]s by name and counts the connections.
#[derive(Debug, Clone, Default)]
pub struct MemoryFleet {
    servers: Arc<Mutex<BTreeMap<ServerName, MemoryDhcpServer>>>,
    connections: Arc<Mutex<Vec<ServerName>>>,
}

impl MemoryFleet {
    /// An empty fleet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a server (replacing one with the same name).
    pub fn add(&self, server: MemoryDhcpServer) {
        lock(&self.servers).insert(server.name.clone(), server);
    }

    /// The server called `name`.
    pub fn server(&self, name: &str) -> Option<MemoryDhcpServer> {
        lock(&self.servers).get(name).cloned()
    }

    /// Every successful and failed connection attempt so far, in order.
    pub fn connections(&self) -> Vec<ServerName> {
        lock(&self.connections).clone()
    }
}

#[async_trait]
impl DhcpConnector for MemoryFleet {
    async fn connect(&self, server: &str) -> Result<Arc<dyn DhcpServer>, DhcpError> {
        lock(&self.connections).push(server.into());
        let found = lock(&self.servers).get(server).cloned();
        let Some(found) = found else {
            return Err(DhcpError::Unreachable {
                server: server.into(),
                message: "no such server".to_owned(),
            });
        };
        found.check(DhcpOp::Connect, None, None)?;
        Ok(Arc::new(found))
    }
}

// =============================================================================================
// IPAM
// =============================================================================================

/// The operations of a [`MemoryIpam`] (for faults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IpamOp {
    /// [`Ipam::list_prefixes`].
    ListPrefixes,
    /// [`Ipam::list_ips`].
    ListIps,
    /// [`Ipam::get_ip`].
    GetIp,
    /// One item of [`Ipam::create_ips`] (matched by address).
    CreateIp,
    /// One item of [`Ipam::update_ips`] (matched by id).
    UpdateIp,
    /// One item of [`Ipam::delete_ips`] (matched by id).
    DeleteIp,
    /// [`Ipam::create_prefix`].
    CreatePrefix,
}

/// A fault of a [`MemoryIpam`].
pub type IpamFault = Fault<IpamOp, IpamError>;

/// One change-log row of a [`MemoryIpam`] or [`MemoryInventory`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    /// `create`, `update` or `delete`.
    pub action: &'static str,
    /// Object type (`ipam.ipaddress`, `ipam.prefix`, `inventory.<kind>`).
    pub object_type: String,
    /// Object id (`0` when unknown).
    pub object_id: ObjectId,
    /// The change-log message sent with the write.
    pub message: String,
}

#[derive(Debug, Clone)]
struct StoredIp {
    ip: IpamAddress,
    version: u64,
}

#[derive(Debug, Default, Clone)]
struct IpamData {
    ips: BTreeMap<ObjectId, StoredIp>,
    prefixes: BTreeMap<ObjectId, IpamPrefix>,
    /// Uniqueness index: (VRF, host address) to IP id.
    by_address: BTreeMap<(Option<ObjectId>, Ipv4Addr), ObjectId>,
    next_id: ObjectId,
    clock: u64,
    changelog: Vec<ChangeRecord>,
}

impl IpamData {
    fn allocate(&mut self) -> ObjectId {
        self.next_id += 1;
        self.next_id
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn duplicate_of(
        &self,
        address: Ipv4Addr,
        vrf: Option<ObjectId>,
        except: Option<ObjectId>,
    ) -> bool {
        self.by_address
            .get(&(vrf, address))
            .is_some_and(|id| Some(*id) != except)
    }

    fn insert_stored(&mut self, stored: StoredIp) {
        self.by_address
            .insert((stored.ip.vrf, stored.ip.address.ip()), stored.ip.id);
        self.ips.insert(stored.ip.id, stored);
    }

    fn remove_stored(&mut self, id: ObjectId) -> bool {
        match self.ips.remove(&id) {
            Some(stored) => {
                self.by_address
                    .remove(&(stored.ip.vrf, stored.ip.address.ip()));
                true
            }
            None => false,
        }
    }

    fn check_etag(&self, id: ObjectId, etag: Option<&str>) -> Result<&StoredIp, IpamError> {
        let stored = self.ips.get(&id).ok_or(IpamError::NotFound { id })?;
        match etag {
            Some(tag) if tag != etag_of(stored.version) => {
                Err(IpamError::PreconditionFailed { id })
            }
            _ => Ok(stored),
        }
    }
}

fn etag_of(version: u64) -> CompactString {
    format_compact!("W/\"{version}\"")
}

/// In-memory NetBox IPAM.
///
/// Like NetBox: ids are assigned from 1 and never reused; an address is unique per VRF whatever
/// its mask; a detail read carries an ETag (`W/"<version>"`) that changes with every write, and
/// a write with a stale ETag fails with [`IpamError::PreconditionFailed`]; list reads carry no
/// ETag; bulk writes are atomic (one bad item fails the whole call) unless
/// [`Self::with_atomic_bulk`]`(false)`.
#[derive(Debug, Clone)]
pub struct MemoryIpam {
    data: Arc<Mutex<IpamData>>,
    faults: Arc<Faults<IpamOp, IpamError>>,
    log: CallLog,
    atomic_bulk: bool,
}

impl Default for MemoryIpam {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryIpam {
    /// An empty IPAM with atomic bulk writes.
    pub fn new() -> Self {
        Self {
            data: Arc::default(),
            faults: Arc::default(),
            log: CallLog::new(),
            atomic_bulk: true,
        }
    }

    /// Record calls in `log`.
    pub fn with_log(mut self, log: CallLog) -> Self {
        self.log = log;
        self
    }

    /// Whether a bulk write with one bad item fails as a whole (NetBox) or item by item.
    pub fn with_atomic_bulk(mut self, atomic: bool) -> Self {
        self.atomic_bulk = atomic;
        self
    }

    /// Inject a fault.
    pub fn fail(&self, fault: IpamFault) {
        self.faults.add(fault);
    }

    /// Remove every injected fault.
    pub fn clear_faults(&self) {
        self.faults.clear();
    }

    /// The call log.
    pub fn log(&self) -> &CallLog {
        &self.log
    }

    /// Add a prefix directly (setup); returns its id.
    pub fn insert_prefix(&self, prefix: Ipv4Network, vrf: Option<ObjectId>) -> ObjectId {
        let mut data = lock(&self.data);
        let id = data.allocate();
        data.prefixes.insert(id, IpamPrefix { id, prefix, vrf });
        id
    }

    /// Add an IP address directly (setup, or a user's edit); returns its id.
    ///
    /// # Errors
    ///
    /// [`IpamError::Duplicate`] if the address exists in that VRF.
    pub fn insert_ip(
        &self,
        address: Ipv4Network,
        vrf: Option<ObjectId>,
        fields: IpFields,
        tags: &[&str],
    ) -> Result<ObjectId, IpamError> {
        let mut data = lock(&self.data);
        if data.duplicate_of(address.ip(), vrf, None) {
            return Err(IpamError::Duplicate {
                address: address.ip(),
                vrf,
            });
        }
        let id = data.allocate();
        let version = data.tick();
        data.insert_stored(StoredIp {
            ip: IpamAddress {
                id,
                address,
                vrf,
                status: fields.status,
                dns_name: fields.dns_name,
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                dhcp_client_id: fields.dhcp_client_id,
                etag: None,
            },
            version,
        });
        Ok(id)
    }

    /// Change an IP's managed fields directly, as a user would (its ETag changes).
    ///
    /// # Errors
    ///
    /// [`IpamError::NotFound`] if there is no such IP.
    pub fn edit_ip(&self, id: ObjectId, fields: IpFields) -> Result<(), IpamError> {
        let mut data = lock(&self.data);
        let version = data.tick();
        let stored = data.ips.get_mut(&id).ok_or(IpamError::NotFound { id })?;
        stored.ip.status = fields.status;
        stored.ip.dns_name = fields.dns_name;
        stored.ip.dhcp_client_id = fields.dhcp_client_id;
        stored.version = version;
        Ok(())
    }

    /// Delete an IP directly, as a user would.
    pub fn remove_ip(&self, id: ObjectId) -> bool {
        lock(&self.data).remove_stored(id)
    }

    /// One IP address (with its ETag).
    pub fn ip(&self, id: ObjectId) -> Option<IpamAddress> {
        lock(&self.data).ips.get(&id).map(with_etag)
    }

    /// The IP holding `address` in `vrf`.
    pub fn ip_at(&self, address: Ipv4Addr, vrf: Option<ObjectId>) -> Option<IpamAddress> {
        let data = lock(&self.data);
        let id = data.by_address.get(&(vrf, address))?;
        data.ips.get(id).map(with_etag)
    }

    /// Every IP address, by id.
    pub fn ips(&self) -> BTreeMap<ObjectId, IpamAddress> {
        lock(&self.data)
            .ips
            .iter()
            .map(|(id, s)| (*id, with_etag(s)))
            .collect()
    }

    /// Every prefix, by id.
    pub fn prefixes(&self) -> BTreeMap<ObjectId, IpamPrefix> {
        lock(&self.data).prefixes.clone()
    }

    /// The change log so far.
    pub fn changelog(&self) -> Vec<ChangeRecord> {
        lock(&self.data).changelog.clone()
    }

    /// Apply `op` to every item on a scratch copy; commit per the bulk mode.
    fn bulk<I, T>(
        &self,
        items: &[I],
        mut op: impl FnMut(&mut IpamData, &I) -> Result<T, IpamError>,
    ) -> Result<Vec<ItemResult<T, IpamError>>, IpamError> {
        let mut data = lock(&self.data);
        let mut scratch = data.clone();
        let results: Vec<ItemResult<T, IpamError>> =
            items.iter().map(|item| op(&mut scratch, item)).collect();
        if self.atomic_bulk
            && let Some(Err(first)) = results.iter().find(|r| r.is_err())
        {
            return Err(first.clone());
        }
        *data = scratch;
        Ok(results)
    }
}

fn with_etag(stored: &StoredIp) -> IpamAddress {
    let mut ip = stored.ip.clone();
    ip.etag = Some(etag_of(stored.version));
    ip
}

#[async_trait]
impl Ipam for MemoryIpam {
    async fn list_prefixes(&self) -> Result<Vec<IpamPrefix>, IpamError> {
        self.log.push("ipam:list_prefixes");
        self.faults.check(IpamOp::ListPrefixes, None, None, None)?;
        Ok(lock(&self.data).prefixes.values().cloned().collect())
    }

    async fn list_ips(&self, vrf: Option<ObjectId>) -> Result<Vec<IpamAddress>, IpamError> {
        self.log.push(format!("ipam:list_ips {vrf:?}"));
        self.faults.check(IpamOp::ListIps, None, None, vrf)?;
        Ok(lock(&self.data)
            .ips
            .values()
            .filter(|s| s.ip.vrf == vrf)
            .map(|s| s.ip.clone())
            .collect())
    }

    async fn get_ip(&self, id: ObjectId) -> Result<Option<IpamAddress>, IpamError> {
        self.log.push(format!("ipam:get_ip {id}"));
        self.faults.check(IpamOp::GetIp, None, None, Some(id))?;
        Ok(lock(&self.data).ips.get(&id).map(with_etag))
    }

    async fn create_ips(
        &self,
        items: &[NewIp],
    ) -> Result<Vec<ItemResult<IpamAddress, IpamError>>, IpamError> {
        self.log.push(format!("ipam:create_ips {}", items.len()));
        let faults = Arc::clone(&self.faults);
        self.bulk(items, |data, item| {
            faults.check(IpamOp::CreateIp, None, Some(item.address.ip()), None)?;
            if data.duplicate_of(item.address.ip(), item.vrf, None) {
                return Err(IpamError::Duplicate {
                    address: item.address.ip(),
                    vrf: item.vrf,
                });
            }
            let id = data.allocate();
            let version = data.tick();
            let ip = IpamAddress {
                id,
                address: item.address,
                vrf: item.vrf,
                status: item.fields.status.clone(),
                dns_name: item.fields.dns_name.clone(),
                tags: BTreeSet::new(),
                dhcp_client_id: item.fields.dhcp_client_id.clone(),
                etag: None,
            };
            let stored = StoredIp { ip, version };
            let out = with_etag(&stored);
            data.insert_stored(stored);
            data.changelog.push(ChangeRecord {
                action: "create",
                object_type: "ipam.ipaddress".to_owned(),
                object_id: id,
                message: item.changelog_message.clone(),
            });
            Ok(out)
        })
    }

    async fn update_ips(
        &self,
        items: &[IpUpdate],
    ) -> Result<Vec<ItemResult<(), IpamError>>, IpamError> {
        self.log.push(format!("ipam:update_ips {}", items.len()));
        let faults = Arc::clone(&self.faults);
        self.bulk(items, |data, item| {
            faults.check(IpamOp::UpdateIp, None, None, Some(item.id))?;
            data.check_etag(item.id, item.etag.as_deref())?;
            let version = data.tick();
            if let Some(stored) = data.ips.get_mut(&item.id) {
                stored.ip.status.clone_from(&item.fields.status);
                stored.ip.dns_name.clone_from(&item.fields.dns_name);
                stored
                    .ip
                    .dhcp_client_id
                    .clone_from(&item.fields.dhcp_client_id);
                stored.version = version;
            }
            data.changelog.push(ChangeRecord {
                action: "update",
                object_type: "ipam.ipaddress".to_owned(),
                object_id: item.id,
                message: item.changelog_message.clone(),
            });
            Ok(())
        })
    }

    async fn delete_ips(
        &self,
        items: &[IpDelete],
    ) -> Result<Vec<ItemResult<(), IpamError>>, IpamError> {
        self.log.push(format!("ipam:delete_ips {}", items.len()));
        let faults = Arc::clone(&self.faults);
        self.bulk(items, |data, item| {
            faults.check(IpamOp::DeleteIp, None, None, Some(item.id))?;
            data.check_etag(item.id, item.etag.as_deref())?;
            data.remove_stored(item.id);
            data.changelog.push(ChangeRecord {
                action: "delete",
                object_type: "ipam.ipaddress".to_owned(),
                object_id: item.id,
                message: item.changelog_message.clone(),
            });
            Ok(())
        })
    }

    async fn create_prefix(&self, prefix: &NewPrefix) -> Result<IpamPrefix, IpamError> {
        self.log
            .push(format!("ipam:create_prefix {}", prefix.prefix));
        self.faults
            .check(IpamOp::CreatePrefix, None, Some(prefix.prefix.ip()), None)?;
        let mut data = lock(&self.data);
        if data
            .prefixes
            .values()
            .any(|p| p.prefix == prefix.prefix && p.vrf == prefix.vrf)
        {
            return Err(IpamError::Rejected {
                message: format!("prefix {} exists in VRF {:?}", prefix.prefix, prefix.vrf),
            });
        }
        let id = data.allocate();
        let created = IpamPrefix {
            id,
            prefix: prefix.prefix,
            vrf: prefix.vrf,
        };
        data.prefixes.insert(id, created.clone());
        data.changelog.push(ChangeRecord {
            action: "create",
            object_type: "ipam.prefix".to_owned(),
            object_id: id,
            message: prefix.changelog_message.clone(),
        });
        Ok(created)
    }
}

// =============================================================================================
// Inventory
// =============================================================================================

/// The operations of a [`MemoryInventory`] (for faults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InventoryOp {
    /// [`Inventory::read_inventory`].
    Read,
    /// [`Inventory::read_settings`].
    ReadSettings,
    /// A whole [`Inventory::apply`] call.
    Apply,
    /// One write of [`Inventory::apply`] (matched by the id it touches, if any).
    Write,
}

/// A fault of a [`MemoryInventory`].
pub type InventoryFault = Fault<InventoryOp, InventoryError>;

/// The in-memory inventory. Clones share the same state.
#[derive(Debug, Clone, Default)]
pub struct MemoryInventory {
    document: Arc<Mutex<InventoryDocument>>,
    changelog: Arc<Mutex<Vec<ChangeRecord>>>,
    faults: Arc<Faults<InventoryOp, InventoryError>>,
    log: CallLog,
}

impl MemoryInventory {
    /// An empty inventory with default settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// An inventory holding `document`.
    pub fn from_document(document: InventoryDocument) -> Self {
        Self {
            document: Arc::new(Mutex::new(document)),
            ..Self::default()
        }
    }

    /// Record calls in `log`.
    pub fn with_log(mut self, log: CallLog) -> Self {
        self.log = log;
        self
    }

    /// Inject a fault.
    pub fn fail(&self, fault: InventoryFault) {
        self.faults.add(fault);
    }

    /// Remove every injected fault.
    pub fn clear_faults(&self) {
        self.faults.clear();
    }

    /// Read or change the document directly (setup).
    pub fn edit<R>(&self, change: impl FnOnce(&mut InventoryDocument) -> R) -> R {
        change(&mut lock(&self.document))
    }

    /// A copy of the document.
    pub fn document(&self) -> InventoryDocument {
        lock(&self.document).clone()
    }

    /// Replace the settings.
    pub fn set_settings(&self, settings: SyncSettings) {
        lock(&self.document).settings = settings;
    }

    /// The change log of applied writes (lease-info writes are not change-logged).
    pub fn changelog(&self) -> Vec<ChangeRecord> {
        lock(&self.changelog).clone()
    }
}

fn write_target(write: &InventoryWrite) -> (&'static str, &'static str, Option<ObjectId>) {
    match write {
        InventoryWrite::CreateFailover { .. } => ("create", "failover", None),
        InventoryWrite::CreateScope { .. } => ("create", "scope", None),
        InventoryWrite::UpdateScope { id, .. } => ("update", "scope", Some(*id)),
        InventoryWrite::DeleteScope { id } => ("delete", "scope", Some(*id)),
        InventoryWrite::CreateExclusion { scope_id, .. } => {
            ("create", "exclusion", Some(*scope_id))
        }
        InventoryWrite::DeleteExclusion { id } => ("delete", "exclusion", Some(*id)),
        InventoryWrite::CreateOptionValue { .. } => ("create", "option_value", None),
        InventoryWrite::LinkOptionValue { scope_id, .. } => ("update", "scope", Some(*scope_id)),
        InventoryWrite::UnlinkOptionValue { scope_id, .. } => ("update", "scope", Some(*scope_id)),
        InventoryWrite::UpsertLeaseInfo { ip_id, .. } => ("update", "lease_info", Some(*ip_id)),
        InventoryWrite::DeleteLeaseInfo { ip_id } => ("delete", "lease_info", Some(*ip_id)),
    }
}

#[async_trait]
impl Inventory for MemoryInventory {
    async fn read_inventory(&self) -> Result<InventoryData, InventoryError> {
        self.log.push("inventory:read");
        self.faults.check(InventoryOp::Read, None, None, None)?;
        Ok(lock(&self.document).inventory.clone())
    }

    async fn read_settings(&self) -> Result<SyncSettings, InventoryError> {
        self.log.push("inventory:read_settings");
        self.faults
            .check(InventoryOp::ReadSettings, None, None, None)?;
        Ok(lock(&self.document).settings.clone())
    }

    async fn apply(
        &self,
        writes: &[InventoryWrite],
        changelog_message: &str,
    ) -> Result<Vec<ItemResult<Option<ObjectId>, InventoryError>>, InventoryError> {
        self.log.push(format!("inventory:apply {}", writes.len()));
        self.faults.check(InventoryOp::Apply, None, None, None)?;
        let mut document = lock(&self.document);
        let mut changelog = lock(&self.changelog);
        let mut out = Vec::with_capacity(writes.len());
        for write in writes {
            let (action, kind, target) = write_target(write);
            self.log
                .push(format!("inventory:{action}_{kind} {target:?}"));
            let result = self
                .faults
                .check(InventoryOp::Write, None, None, target)
                .and_then(|()| document.apply(write));
            if let Ok(created) = &result
                && kind != "lease_info"
            {
                changelog.push(ChangeRecord {
                    action,
                    object_type: format!("inventory.{kind}"),
                    object_id: created.or(target).unwrap_or(0),
                    message: changelog_message.to_owned(),
                });
            }
            out.push(result);
        }
        Ok(out)
    }
}
