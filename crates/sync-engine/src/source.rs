//! The three sides the engine reads from and writes to, as dyn-compatible async traits.
//!
//! * [`DhcpServer`] — one Windows DHCP server (through PSU in production), reached via a
//!   [`DhcpConnector`] so that a server with nothing eligible is never contacted;
//! * [`Ipam`] — NetBox IP addresses and prefixes;
//! * [`Inventory`] — the sync's own objects (servers, failovers, scopes, exclusions, option
//!   values, the lease-info side table) and its settings.
//!
//! The traits speak the engine's own data types ([`crate::snapshot`], [`crate::plan`]); the
//! adapters translate to and from the HTTP clients. Every side has one error type whose
//! [`may_have_applied`](DhcpError::may_have_applied) tells whether a failed write can have taken
//! effect anyway (a timeout after the request was sent), which the executor reports.
//!
//! Objects are shared as `Arc<dyn Trait>`; every trait requires `Send + Sync`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

use async_trait::async_trait;
use compact_str::CompactString;
use ipnetwork::Ipv4Network;
use serde::{Deserialize, Serialize};

use crate::plan::{IpFields, OptionValueSpec, ScopeChange, ScopeSpec};
use crate::snapshot::{
    AddressRange, Inventory as InventoryData, IpamAddress, IpamPrefix, LeaseInfo, ObjectId,
    ScopeSourceRef, ServerFailover, ServerLease, ServerName, ServerOption, ServerReservation,
    ServerScope, SyncSettings,
};

/// Per-scope data returned by a bulk read, keyed by scope id (network address).
///
/// A bulk read returns an entry for **every** scope the server had when it answered (an empty
/// list for a scope with nothing in it). A scope missing from the map was not read.
pub type ByScope<T> = BTreeMap<Ipv4Addr, Vec<T>>;

/// The result of one item of a batched write: `Ok` or the item's own error.
pub type ItemResult<T, E> = Result<T, E>;

// =============================================================================================
// DHCP
// =============================================================================================

/// An error from a DHCP server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DhcpError {
    /// The server could not be reached (connection refused, DNS, TLS); nothing was sent.
    #[error("server {server} unreachable: {message}")]
    Unreachable {
        /// The server.
        server: ServerName,
        /// What went wrong.
        message: String,
    },
    /// Credentials were refused (401/403); nothing was applied.
    #[error("server {server} refused the credentials: {message}")]
    Unauthorized {
        /// The server.
        server: ServerName,
        /// What the server said.
        message: String,
    },
    /// The object the call refers to does not exist.
    #[error("not found: {what}")]
    NotFound {
        /// The missing object.
        what: String,
    },
    /// The server rejected the request (validation, conflict); nothing was applied.
    #[error("rejected: {message}")]
    Rejected {
        /// What the server said.
        message: String,
    },
    /// The outcome is unknown: the request was sent but no usable answer came back (timeout,
    /// 5xx, broken connection). The write may have been applied.
    #[error("outcome unknown: {message}")]
    Indeterminate {
        /// What went wrong.
        message: String,
    },
    /// The server (or its script version) does not support the operation.
    #[error("unsupported operation: {operation}")]
    Unsupported {
        /// The operation.
        operation: String,
    },
}

impl DhcpError {
    /// Whether a failed write may nevertheless have been applied.
    pub fn may_have_applied(&self) -> bool {
        matches!(self, Self::Indeterminate { .. })
    }
}

/// A reservation to create or update on a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationWrite {
    /// Scope id (network address).
    pub scope: Ipv4Addr,
    /// Reserved address.
    pub ip: Ipv4Addr,
    /// Canonical client id (`aa-bb-cc-dd-ee-ff`).
    pub client_id: String,
    /// Reservation name.
    pub name: String,
}

/// A reservation to delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReservationKey {
    /// Scope id (network address).
    pub scope: Ipv4Addr,
    /// Reserved address.
    pub ip: Ipv4Addr,
}

/// One Windows DHCP server.
///
/// Reads come in a per-scope form and a bulk form (`*_by_scope`); the default bulk methods loop
/// over the scope list, adapters override them with one call when the server offers one.
/// Batched writes return one result per item, in input order; the outer `Err` means the whole
/// batch failed.
#[async_trait]
pub trait DhcpServer: fmt::Debug + Send + Sync {
    /// The server's inventory name.
    fn name(&self) -> &str;

    /// All scopes, by scope id.
    async fn list_scopes(&self) -> Result<BTreeMap<Ipv4Addr, ServerScope>, DhcpError>;
    /// The server's failover relationships.
    async fn list_failovers(&self) -> Result<Vec<ServerFailover>, DhcpError>;
    /// Leases of one scope.
    async fn list_leases(&self, scope: Ipv4Addr) -> Result<Vec<ServerLease>, DhcpError>;
    /// Reservations of one scope.
    async fn list_reservations(&self, scope: Ipv4Addr)
    -> Result<Vec<ServerReservation>, DhcpError>;
    /// Exclusion ranges of one scope.
    async fn list_exclusions(&self, scope: Ipv4Addr) -> Result<Vec<AddressRange>, DhcpError>;
    /// Scope-level option values of one scope.
    async fn list_options(&self, scope: Ipv4Addr) -> Result<Vec<ServerOption>, DhcpError>;

    /// Leases of every scope.
    async fn leases_by_scope(&self) -> Result<ByScope<ServerLease>, DhcpError> {
        let mut out = BTreeMap::new();
        for scope in self.list_scopes().await?.into_keys() {
            out.insert(scope, self.list_leases(scope).await?);
        }
        Ok(out)
    }
    /// Reservations of every scope.
    async fn reservations_by_scope(&self) -> Result<ByScope<ServerReservation>, DhcpError> {
        let mut out = BTreeMap::new();
        for scope in self.list_scopes().await?.into_keys() {
            out.insert(scope, self.list_reservations(scope).await?);
        }
        Ok(out)
    }
    /// Exclusion ranges of every scope.
    async fn exclusions_by_scope(&self) -> Result<ByScope<AddressRange>, DhcpError> {
        let mut out = BTreeMap::new();
        for scope in self.list_scopes().await?.into_keys() {
            out.insert(scope, self.list_exclusions(scope).await?);
        }
        Ok(out)
    }
    /// Scope-level option values of every scope.
    async fn options_by_scope(&self) -> Result<ByScope<ServerOption>, DhcpError> {
        let mut out = BTreeMap::new();
        for scope in self.list_scopes().await?.into_keys() {
            out.insert(scope, self.list_options(scope).await?);
        }
        Ok(out)
    }

    /// Create a scope, with its option values, enrolled in `failover` if given.
    async fn create_scope(
        &self,
        scope: &ScopeSpec,
        options: &[OptionValueSpec],
        failover: Option<&str>,
    ) -> Result<(), DhcpError>;
    /// Change scope fields and option values (only the listed changes are applied).
    async fn update_scope(
        &self,
        network: Ipv4Network,
        changes: &[ScopeChange],
        set_options: &[OptionValueSpec],
        remove_options: &[(u8, String)],
    ) -> Result<(), DhcpError>;
    /// Delete a scope (and everything in it).
    async fn delete_scope(&self, scope: Ipv4Addr) -> Result<(), DhcpError>;
    /// Add an exclusion range to a scope.
    async fn create_exclusion(&self, scope: Ipv4Addr, range: AddressRange)
    -> Result<(), DhcpError>;
    /// Remove an exclusion range from a scope.
    async fn delete_exclusion(&self, scope: Ipv4Addr, range: AddressRange)
    -> Result<(), DhcpError>;
    /// Create reservations.
    async fn create_reservations(
        &self,
        items: &[ReservationWrite],
    ) -> Result<Vec<ItemResult<(), DhcpError>>, DhcpError>;
    /// Update reservations (found by scope and address).
    async fn update_reservations(
        &self,
        items: &[ReservationWrite],
    ) -> Result<Vec<ItemResult<(), DhcpError>>, DhcpError>;
    /// Delete reservations.
    async fn delete_reservations(
        &self,
        items: &[ReservationKey],
    ) -> Result<Vec<ItemResult<(), DhcpError>>, DhcpError>;
    /// Replicate failover scopes to the partner server.
    async fn replicate_failover(&self, scopes: &[Ipv4Addr]) -> Result<(), DhcpError>;
}

/// Opens connections to DHCP servers by inventory name.
///
/// Connecting may be cheap (building a client) or not; the gatherer only connects to servers
/// that have something eligible, and the executor only to servers it writes to.
#[async_trait]
pub trait DhcpConnector: fmt::Debug + Send + Sync {
    /// A handle on `server`.
    async fn connect(&self, server: &str) -> Result<Arc<dyn DhcpServer>, DhcpError>;
}

// =============================================================================================
// IPAM
// =============================================================================================

/// An error from the IPAM (NetBox).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IpamError {
    /// NetBox could not be reached; nothing was sent.
    #[error("IPAM unreachable: {message}")]
    Unreachable {
        /// What went wrong.
        message: String,
    },
    /// Credentials were refused; nothing was applied.
    #[error("IPAM refused the credentials: {message}")]
    Unauthorized {
        /// What NetBox said.
        message: String,
    },
    /// The object does not exist.
    #[error("IPAM object {id} not found")]
    NotFound {
        /// The object id.
        id: ObjectId,
    },
    /// The address already exists in that VRF (NetBox uniqueness).
    #[error("duplicate address {address} in VRF {vrf:?}")]
    Duplicate {
        /// The address.
        address: Ipv4Addr,
        /// The VRF (`None`: global).
        vrf: Option<ObjectId>,
    },
    /// The object changed since its ETag was read (HTTP 412).
    #[error("IPAM object {id} changed since it was read")]
    PreconditionFailed {
        /// The object id.
        id: ObjectId,
    },
    /// NetBox rejected the request (validation); nothing was applied.
    #[error("IPAM rejected the request: {message}")]
    Rejected {
        /// What NetBox said.
        message: String,
    },
    /// The request was sent but no usable answer came back; it may have been applied.
    #[error("IPAM outcome unknown: {message}")]
    Indeterminate {
        /// What went wrong.
        message: String,
    },
}

impl IpamError {
    /// Whether a failed write may nevertheless have been applied.
    pub fn may_have_applied(&self) -> bool {
        matches!(self, Self::Indeterminate { .. })
    }
}

/// A NetBox IP address to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIp {
    /// Address with prefix length.
    pub address: Ipv4Network,
    /// VRF (`None`: global).
    pub vrf: Option<ObjectId>,
    /// The managed fields.
    pub fields: IpFields,
    /// The change-log message.
    pub changelog_message: String,
}

/// An update of a NetBox IP address's managed fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpUpdate {
    /// NetBox id.
    pub id: ObjectId,
    /// If set, the update only applies while the object still has this ETag (`If-Match`).
    pub etag: Option<CompactString>,
    /// The new values.
    pub fields: IpFields,
    /// The change-log message.
    pub changelog_message: String,
}

/// A NetBox IP address to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpDelete {
    /// NetBox id.
    pub id: ObjectId,
    /// If set, the delete only applies while the object still has this ETag (`If-Match`).
    pub etag: Option<CompactString>,
    /// The change-log message.
    pub changelog_message: String,
}

/// A NetBox prefix to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPrefix {
    /// The prefix.
    pub prefix: Ipv4Network,
    /// VRF (`None`: global).
    pub vrf: Option<ObjectId>,
    /// Status slug.
    pub status: String,
    /// The change-log message.
    pub changelog_message: String,
}

/// NetBox IPAM: IP addresses and prefixes, with only the fields the sync needs.
///
/// Bulk writes return one result per item, in input order. An implementation over an atomic
/// bulk API (NetBox) returns the outer `Err` when the whole request was refused; the executor
/// then retries the items one by one so that one bad item does not hold back the others.
#[async_trait]
pub trait Ipam: fmt::Debug + Send + Sync {
    /// Every prefix (all VRFs).
    async fn list_prefixes(&self) -> Result<Vec<IpamPrefix>, IpamError>;
    /// The IP addresses of one VRF (`None`: the global table).
    async fn list_ips(&self, vrf: Option<ObjectId>) -> Result<Vec<IpamAddress>, IpamError>;
    /// One IP address with its current ETag; `Ok(None)` if it does not exist.
    async fn get_ip(&self, id: ObjectId) -> Result<Option<IpamAddress>, IpamError>;
    /// Create IP addresses; each successful item returns the new object.
    async fn create_ips(
        &self,
        items: &[NewIp],
    ) -> Result<Vec<ItemResult<IpamAddress, IpamError>>, IpamError>;
    /// Update IP addresses.
    async fn update_ips(
        &self,
        items: &[IpUpdate],
    ) -> Result<Vec<ItemResult<(), IpamError>>, IpamError>;
    /// Delete IP addresses.
    async fn delete_ips(
        &self,
        items: &[IpDelete],
    ) -> Result<Vec<ItemResult<(), IpamError>>, IpamError>;
    /// Create a prefix; returns the new object.
    async fn create_prefix(&self, prefix: &NewPrefix) -> Result<IpamPrefix, IpamError>;
}

// =============================================================================================
// Inventory
// =============================================================================================

/// An error from the inventory store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    /// The store could not be read or written (I/O, network); nothing was applied.
    #[error("inventory store unavailable: {message}")]
    Unavailable {
        /// What went wrong.
        message: String,
    },
    /// The stored data could not be understood.
    #[error("inventory store corrupt: {message}")]
    Corrupt {
        /// What went wrong.
        message: String,
    },
    /// The object the write refers to does not exist.
    #[error("inventory object not found: {what}")]
    NotFound {
        /// The missing object.
        what: String,
    },
    /// The write conflicts with an existing object (duplicate name, network, range).
    #[error("inventory conflict: {message}")]
    Conflict {
        /// What conflicts.
        message: String,
    },
    /// The write was sent but no usable answer came back; it may have been applied.
    #[error("inventory outcome unknown: {message}")]
    Indeterminate {
        /// What went wrong.
        message: String,
    },
}

impl InventoryError {
    /// Whether a failed write may nevertheless have been applied.
    pub fn may_have_applied(&self) -> bool {
        matches!(self, Self::Indeterminate { .. })
    }
}

/// One write to the inventory, with every reference resolved to an object id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum InventoryWrite {
    /// Create a failover relationship (created with sync disabled, for review).
    CreateFailover {
        /// Name.
        name: String,
        /// Primary server.
        primary: ServerName,
        /// Partner server.
        partner: ServerName,
        /// Mode as reported.
        mode: String,
    },
    /// Create a scope.
    CreateScope {
        /// The scope.
        scope: ScopeSpec,
        /// Its prefix.
        prefix_id: Option<ObjectId>,
        /// Its source.
        source: ScopeSourceRef,
    },
    /// Change scope fields.
    UpdateScope {
        /// Scope id.
        id: ObjectId,
        /// The changes (their `after` values are written).
        changes: Vec<ScopeChange>,
    },
    /// Delete a scope and its exclusions.
    DeleteScope {
        /// Scope id.
        id: ObjectId,
    },
    /// Add an exclusion range to a scope.
    CreateExclusion {
        /// Scope id.
        scope_id: ObjectId,
        /// The range.
        range: AddressRange,
    },
    /// Delete an exclusion range.
    DeleteExclusion {
        /// Exclusion id.
        id: ObjectId,
    },
    /// Add a value to the option library.
    CreateOptionValue {
        /// The value.
        value: OptionValueSpec,
        /// Option name from the server.
        name: String,
    },
    /// Link an option value to a scope.
    LinkOptionValue {
        /// Scope id.
        scope_id: ObjectId,
        /// Option value id.
        value_id: ObjectId,
    },
    /// Unlink an option value from a scope.
    UnlinkOptionValue {
        /// Scope id.
        scope_id: ObjectId,
        /// Option value id.
        value_id: ObjectId,
    },
    /// Create or replace the lease-info row of an IP address.
    UpsertLeaseInfo {
        /// IP address id.
        ip_id: ObjectId,
        /// The row.
        info: LeaseInfo,
    },
    /// Remove the lease-info row of an IP address (its IP was deleted).
    DeleteLeaseInfo {
        /// IP address id.
        ip_id: ObjectId,
    },
}

/// The sync's own inventory: the plugin objects in NetBox, or an embedded store.
#[async_trait]
pub trait Inventory: fmt::Debug + Send + Sync {
    /// Every inventory object.
    async fn read_inventory(&self) -> Result<InventoryData, InventoryError>;
    /// The sync settings.
    async fn read_settings(&self) -> Result<SyncSettings, InventoryError>;
    /// Apply writes in order. Each item returns the id of the object it created, if any.
    /// `changelog_message` is recorded with every change-logged write.
    async fn apply(
        &self,
        writes: &[InventoryWrite],
        changelog_message: &str,
    ) -> Result<Vec<ItemResult<Option<ObjectId>, InventoryError>>, InventoryError>;
}

// =============================================================================================
// Bundles and progress
// =============================================================================================

/// The three sides a run reads from and writes to.
#[derive(Debug, Clone)]
pub struct Sources {
    /// DHCP servers.
    pub dhcp: Arc<dyn DhcpConnector>,
    /// NetBox IPAM.
    pub ipam: Arc<dyn Ipam>,
    /// The sync inventory.
    pub inventory: Arc<dyn Inventory>,
}

/// A step of a gather or an apply, for progress bars and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// Gathering starts: this many servers will be read.
    GatherStarted {
        /// Servers to read.
        servers: usize,
    },
    /// A server's reads finished.
    ServerRead {
        /// The server.
        server: ServerName,
        /// Whether its scope list could be read.
        reachable: bool,
        /// How many reads failed.
        failed_reads: usize,
    },
    /// A failover primary could not be read; its partner is read instead.
    ReadingPartner {
        /// The failover.
        failover: String,
        /// The unreadable primary.
        primary: ServerName,
        /// The partner.
        partner: ServerName,
    },
    /// Applying starts: this many actions.
    ApplyStarted {
        /// Actions in the plan.
        actions: usize,
    },
    /// Some actions finished (any status).
    ActionsDone {
        /// How many finished in this step.
        count: usize,
    },
}

/// Receives [`ProgressEvent`]s. Called from the tasks doing the work: keep it cheap.
pub trait Progress: Send + Sync {
    /// One event.
    fn event(&self, event: ProgressEvent);
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _event: ProgressEvent) {}
}

impl<F: Fn(ProgressEvent) + Send + Sync> Progress for F {
    fn event(&self, event: ProgressEvent) {
        self(event);
    }
}
