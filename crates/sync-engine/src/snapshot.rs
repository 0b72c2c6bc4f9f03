//! The planner's input: an immutable record of everything one run has read.
//!
//! A [`Snapshot`] is plain data. It holds four parts:
//!
//! * [`SyncSettings`] — the plugin settings plus this crate's safety settings (the
//!   [`DeletionBudget`] and the [`EmptyReadGuard`]);
//! * [`Inventory`] — the plugin objects stored in NetBox (servers, failovers, scopes with their
//!   exclusions and linked option values, and the lease-info side table);
//! * [`ServerRead`] per DHCP server — what was read from the server, each part wrapped in
//!   [`Read`] so that a failed read is recorded instead of looking empty;
//! * [`Ipam`] — the NetBox IP addresses and prefixes.
//!
//! Every collection is a [`BTreeMap`] keyed by a stable id, or a vector whose order the planner
//! ignores, so the plan never depends on the order in which things were read.
//!
//! Only IPv4 is modelled: the PSU contract is IPv4-only, and the gatherer leaves IPv6 objects out.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use compact_str::CompactString;
use ipnetwork::Ipv4Network;
use serde::{Deserialize, Serialize};

/// A DHCP server's name as stored in the inventory (its hostname / FQDN).
///
/// A [`CompactString`]: names up to 24 bytes are stored inline, so the copy of the server name
/// that every planned action carries costs no allocation. Build one with `.into()` from a `&str`
/// or a `String`; it dereferences to `str` and looks up `BTreeMap<ServerName, _>` by `&str`.
pub type ServerName = CompactString;

/// The id of a NetBox object (IP address, prefix, VRF, plugin object).
pub type ObjectId = u64;

/// Everything one run read, plus the settings it runs with.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Plugin settings and safety thresholds.
    pub settings: SyncSettings,
    /// The plugin's objects in NetBox.
    pub inventory: Inventory,
    /// What was read from each DHCP server. A server missing from this map was not read at all
    /// (for example because it is not eligible, see [`crate::planner::servers_to_read`]).
    #[serde(default)]
    pub servers: BTreeMap<ServerName, ServerRead>,
    /// NetBox IPAM objects.
    pub ipam: Ipam,
}

/// The outcome of one read: the value, or the error that made it fail.
///
/// A failed read is never treated as "empty": the planner plans no deletion from it.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Read<T> {
    /// The read succeeded.
    Ok(T),
    /// The read failed; nothing may be concluded from it.
    Failed {
        /// The error text (never contains credentials).
        error: String,
    },
}

impl<T> Read<T> {
    /// The value if the read succeeded.
    pub fn ok(&self) -> Option<&T> {
        match self {
            Self::Ok(value) => Some(value),
            Self::Failed { .. } => None,
        }
    }

    /// The error text if the read failed.
    pub fn error(&self) -> Option<&str> {
        match self {
            Self::Ok(_) => None,
            Self::Failed { error } => Some(error),
        }
    }

    /// Whether the read succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok(_))
    }
}

impl<T: Default> Default for Read<T> {
    fn default() -> Self {
        Self::Ok(T::default())
    }
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/// The settings a run is planned with.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSettings {
    /// Pull leases and reservations and create/update/delete NetBox IP addresses.
    pub sync_ip_addresses: bool,
    /// NetBox is the source of truth for reservations: push them to the server.
    pub push_reservations: bool,
    /// NetBox is the source of truth for scope configuration: push it to the server.
    pub push_scope_info: bool,
    /// The NetBox status given to IPs that hold an active lease (default `dhcp`).
    pub lease_status: CompactString,
    /// The NetBox status given to IPs that hold a reservation (default `reserved`).
    pub reservation_status: CompactString,
    /// Slug of the sync-protected tag; `None` disables protection.
    pub protect_tag: Option<String>,
    /// Allow the sync to update `dhcp_client_id` on a protected IP from its active lease.
    pub update_client_id_for_protected: bool,
    /// Import: create a missing NetBox prefix for an imported scope.
    pub create_missing_prefixes: bool,
    /// Limits above which planned deletions are withheld and reported.
    pub deletion_budget: DeletionBudget,
    /// Thresholds that make an empty read look suspicious.
    pub empty_guard: EmptyReadGuard,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            sync_ip_addresses: false,
            push_reservations: false,
            push_scope_info: false,
            lease_status: "dhcp".into(),
            reservation_status: "reserved".into(),
            protect_tag: None,
            update_client_id_for_protected: false,
            create_missing_prefixes: true,
            deletion_budget: DeletionBudget::default(),
            empty_guard: EmptyReadGuard::default(),
        }
    }
}

/// How many deletions one run (and one scope) may plan before they are withheld.
///
/// A deletion is any `Delete…` action of the plan. When a scope's deletions exceed a per-scope
/// limit, **all** deletions of that scope are withheld; when the run's remaining deletions
/// exceed a per-run limit, **all** deletions of the run are withheld. Withheld deletions are
/// listed in the report. Percentages are taken of the objects the planner considered for
/// deletion (see the crate documentation) and only apply above [`Self::percent_floor`]
/// deletions, so that a scope of three leases can still lose one.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeletionBudget {
    /// Maximum number of deletions in one run (`None`: unlimited).
    pub per_run_max: Option<u32>,
    /// Maximum share of the run's candidates deleted, in percent (`None`: unlimited).
    pub per_run_percent: Option<u8>,
    /// Maximum number of deletions in one scope (`None`: unlimited).
    pub per_scope_max: Option<u32>,
    /// Maximum share of a scope's candidates deleted, in percent (`None`: unlimited).
    pub per_scope_percent: Option<u8>,
    /// Percentage limits are only applied when more than this many deletions are planned.
    pub percent_floor: u32,
}

impl Default for DeletionBudget {
    fn default() -> Self {
        Self {
            per_run_max: None,
            per_run_percent: Some(25),
            per_scope_max: None,
            per_scope_percent: Some(50),
            percent_floor: 10,
        }
    }
}

impl DeletionBudget {
    /// A budget that never withholds anything.
    pub fn unlimited() -> Self {
        Self {
            per_run_max: None,
            per_run_percent: None,
            per_scope_max: None,
            per_scope_percent: None,
            percent_floor: 0,
        }
    }
}

/// When an empty read is treated as suspicious (and so yields no deletions).
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmptyReadGuard {
    /// A scope whose leases and reservations both came back empty while NetBox holds at least
    /// this many DHCP-managed IPs in its range yields no deletions (`0` disables the guard).
    pub min_managed_ips: u32,
    /// A server whose scope list came back empty while the inventory links at least this many
    /// scopes to it yields no scope deletions (`0` disables the guard).
    pub min_scopes: u32,
}

impl Default for EmptyReadGuard {
    fn default() -> Self {
        Self {
            min_managed_ips: 5,
            min_scopes: 2,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Inventory (plugin objects in NetBox)
// ---------------------------------------------------------------------------------------------

/// The plugin's objects stored in NetBox.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Inventory {
    /// DHCP servers, by hostname.
    pub servers: BTreeMap<ServerName, InventoryServer>,
    /// Failover relationships, by name.
    pub failovers: BTreeMap<String, InventoryFailover>,
    /// Scopes, by NetBox object id.
    pub scopes: BTreeMap<ObjectId, InventoryScope>,
    /// The global library of option values, by NetBox object id.
    pub option_values: BTreeMap<ObjectId, InventoryOptionValue>,
    /// The lease-info side table, by the id of the IP address it describes. An IP with a row
    /// here is **DHCP-managed** (created or updated by the sync).
    pub lease_info: BTreeMap<ObjectId, LeaseInfo>,
}

/// A DHCP server object.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryServer {
    /// NetBox object id.
    pub id: ObjectId,
    /// Hostname (the key used everywhere else).
    pub hostname: ServerName,
    /// Sync the standalone scopes assigned to this server.
    pub sync_standalone: bool,
}

/// A failover relationship object.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryFailover {
    /// NetBox object id.
    pub id: ObjectId,
    /// Relationship name (unique on the Windows side).
    pub name: String,
    /// The primary server: the only one the sync writes to.
    pub primary: ServerName,
    /// The partner (secondary) server.
    pub partner: ServerName,
    /// Per-failover sync toggle.
    pub sync_enabled: bool,
}

/// Which server is responsible for a scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeSourceRef {
    /// A standalone scope of this server.
    Server(ServerName),
    /// A scope of this failover relationship (synced through its primary).
    Failover(String),
    /// Neither (legacy data): never synced.
    Unassigned,
}

/// A DHCP scope object in NetBox.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryScope {
    /// NetBox object id.
    pub id: ObjectId,
    /// Scope name.
    pub name: String,
    /// Scope description.
    #[serde(default)]
    pub description: String,
    /// The scope's network (its Windows scope id is the network address).
    pub network: Ipv4Network,
    /// The NetBox prefix the scope belongs to (its VRF is the scope's VRF).
    pub prefix_id: Option<ObjectId>,
    /// First address of the dynamic range.
    pub start: Ipv4Addr,
    /// Last address of the dynamic range.
    pub end: Ipv4Addr,
    /// Default gateway (option 3), if any.
    #[serde(default)]
    pub router: Option<Ipv4Addr>,
    /// Lease lifetime in seconds; `None` means unlimited.
    pub lease_lifetime_secs: Option<u64>,
    /// Whether the scope is active.
    #[serde(default = "yes")]
    pub active: bool,
    /// Which server syncs the scope.
    pub source: ScopeSourceRef,
    /// Exclusion ranges of the scope.
    #[serde(default)]
    pub exclusions: Vec<InventoryExclusion>,
    /// Linked option values (ids into [`Inventory::option_values`]).
    #[serde(default)]
    pub option_value_ids: BTreeSet<ObjectId>,
}

fn yes() -> bool {
    true
}

/// An exclusion range object in NetBox.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryExclusion {
    /// NetBox object id.
    pub id: ObjectId,
    /// First excluded address.
    pub start: Ipv4Addr,
    /// Last excluded address.
    pub end: Ipv4Addr,
}

/// An option value in the plugin's global library.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryOptionValue {
    /// NetBox object id.
    pub id: ObjectId,
    /// DHCP option code.
    pub code: u8,
    /// Vendor class (`""` for standard options).
    #[serde(default)]
    pub vendor_class: String,
    /// The values, in server order (kept as a list: never joined and split on `", "`).
    pub values: Vec<String>,
}

/// A row of the lease-info side table.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseInfo {
    /// Hostname reported by the server.
    pub hostname: CompactString,
    /// Whether the address holds an active lease.
    pub active: bool,
    /// Lease expiry as reported (RFC 3339), if any.
    #[serde(default)]
    pub expires: Option<CompactString>,
}

// ---------------------------------------------------------------------------------------------
// Server reads
// ---------------------------------------------------------------------------------------------

/// What was read from one DHCP server, at the granularity the reads happen.
///
/// Per-scope maps are keyed by scope id (network address). A scope missing from a per-scope map
/// was **not read**, which the planner treats like a failed read (never as empty).
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerRead {
    /// The server-wide scope list, by scope id.
    pub scopes: Read<BTreeMap<Ipv4Addr, ServerScope>>,
    /// The server's failover relationships.
    #[serde(default)]
    pub failovers: Read<Vec<ServerFailover>>,
    /// Leases per scope.
    #[serde(default)]
    pub leases: BTreeMap<Ipv4Addr, Read<Vec<ServerLease>>>,
    /// Reservations per scope.
    #[serde(default)]
    pub reservations: BTreeMap<Ipv4Addr, Read<Vec<ServerReservation>>>,
    /// Exclusion ranges per scope.
    #[serde(default)]
    pub exclusions: BTreeMap<Ipv4Addr, Read<Vec<AddressRange>>>,
    /// Scope-level option values per scope.
    #[serde(default)]
    pub options: BTreeMap<Ipv4Addr, Read<Vec<ServerOption>>>,
}

impl ServerRead {
    /// A server whose scope list could not be read.
    pub fn unreachable(error: impl Into<String>) -> Self {
        Self {
            scopes: Read::Failed {
                error: error.into(),
            },
            failovers: Read::Ok(Vec::new()),
            leases: BTreeMap::new(),
            reservations: BTreeMap::new(),
            exclusions: BTreeMap::new(),
            options: BTreeMap::new(),
        }
    }
}

/// An inclusive address range (`start ≤ end` is expected; the planner reports violations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressRange {
    /// First address.
    pub start: Ipv4Addr,
    /// Last address.
    pub end: Ipv4Addr,
}

impl AddressRange {
    /// Whether `ip` lies in the range.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.start <= ip && ip <= self.end
    }
}

/// A scope as the server reports it.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerScope {
    /// The scope's network (scope id + subnet mask).
    pub network: Ipv4Network,
    /// Scope name.
    pub name: String,
    /// Scope description.
    #[serde(default)]
    pub description: String,
    /// First address of the range.
    pub start: Ipv4Addr,
    /// Last address of the range.
    pub end: Ipv4Addr,
    /// Router (option 3), if reported.
    #[serde(default)]
    pub router: Option<Ipv4Addr>,
    /// Lease lifetime in seconds; `None` means unlimited.
    pub lease_lifetime_secs: Option<u64>,
    /// Whether the scope is active.
    #[serde(default = "yes")]
    pub active: bool,
    /// The failover relationship the scope belongs to, if any.
    #[serde(default)]
    pub failover: Option<String>,
}

/// Address state of a lease, as Windows reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseState {
    /// An active dynamic lease.
    Active,
    /// A reservation currently in use.
    ActiveReservation,
    /// Offered, not yet acknowledged.
    Offered,
    /// Declined by the client.
    Declined,
    /// Expired (kept for the grace period).
    Expired,
    /// A reservation not in use.
    InactiveReservation,
    /// Any other state.
    Other,
}

impl LeaseState {
    /// Whether the lease counts as active (`Active` or `ActiveReservation`).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Active | Self::ActiveReservation)
    }
}

/// A lease as the server reports it.
///
/// The strings are [`CompactString`]s (build them with `.into()`): a MAC client id, an RFC 3339
/// expiry and most host names fit inline, so a lease usually owns no heap memory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerLease {
    /// Leased address.
    pub ip: Ipv4Addr,
    /// Client id as reported (canonicalised by the planner).
    pub client_id: CompactString,
    /// Client hostname as reported.
    #[serde(default)]
    pub hostname: CompactString,
    /// Address state.
    pub state: LeaseState,
    /// Expiry (RFC 3339), if any.
    #[serde(default)]
    pub expires: Option<CompactString>,
}

/// A reservation as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerReservation {
    /// Reserved address.
    pub ip: Ipv4Addr,
    /// Client id as reported (canonicalised by the planner).
    pub client_id: CompactString,
    /// Reservation name.
    #[serde(default)]
    pub name: CompactString,
    /// Reservation description.
    #[serde(default)]
    pub description: CompactString,
}

/// A failover relationship as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFailover {
    /// Relationship name.
    pub name: String,
    /// Primary server as reported (the host that answered).
    pub primary_server: String,
    /// Partner server as reported.
    pub partner_server: String,
    /// Mode (`LoadBalance` / `HotStandby`).
    #[serde(default)]
    pub mode: String,
    /// Scope ids in the relationship.
    #[serde(default)]
    pub scope_ids: BTreeSet<Ipv4Addr>,
}

/// A scope-level option value as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerOption {
    /// Option code.
    pub code: u8,
    /// Vendor class (`""` for standard options).
    #[serde(default)]
    pub vendor_class: String,
    /// Option name as reported.
    #[serde(default)]
    pub name: String,
    /// Values, in server order.
    pub values: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// IPAM
// ---------------------------------------------------------------------------------------------

/// NetBox IPAM objects relevant to the sync.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ipam {
    /// IP addresses, by NetBox id.
    pub ip_addresses: BTreeMap<ObjectId, IpamAddress>,
    /// Prefixes, by NetBox id.
    pub prefixes: BTreeMap<ObjectId, IpamPrefix>,
}

/// A NetBox IP address.
///
/// The per-address strings are [`CompactString`]s (build them with `.into()`); tags stay
/// `String`s.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpamAddress {
    /// NetBox id.
    pub id: ObjectId,
    /// Address with prefix length (`10.0.1.5/24`).
    pub address: Ipv4Network,
    /// VRF id; `None` is the global table.
    #[serde(default)]
    pub vrf: Option<ObjectId>,
    /// Status slug.
    pub status: CompactString,
    /// DNS name.
    #[serde(default)]
    pub dns_name: CompactString,
    /// Tag slugs.
    #[serde(default)]
    pub tags: BTreeSet<String>,
    /// The `dhcp_client_id` custom field.
    #[serde(default)]
    pub dhcp_client_id: Option<CompactString>,
    /// ETag for optimistic concurrency, if the reader captured one.
    #[serde(default)]
    pub etag: Option<CompactString>,
}

/// A NetBox prefix.
#[derive(Debug, Clone, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpamPrefix {
    /// NetBox id.
    pub id: ObjectId,
    /// The prefix.
    pub prefix: Ipv4Network,
    /// VRF id; `None` is the global table.
    #[serde(default)]
    pub vrf: Option<ObjectId>,
}
