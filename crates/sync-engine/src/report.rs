//! What the planner did not do, and why: skipped items, conflicts and counters.

use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;
use serde::{Deserialize, Serialize};

use crate::snapshot::{ObjectId, ServerName};

/// The report that accompanies a plan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Report {
    /// Items deliberately not synced (ineligible servers or scopes, protected IPs, …).
    pub skipped: Vec<Skipped>,
    /// Problems found in the data, reads that failed, and withheld deletions.
    pub conflicts: Vec<Conflict>,
    /// Counters.
    pub stats: PlanStats,
    /// Per-category results of an import (empty for a sync).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportReport>,
}

/// Something deliberately left alone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Skipped {
    /// The server has no eligible scopes: it is not contacted.
    ServerNotEligible {
        /// The server.
        server: ServerName,
    },
    /// The scope is not synced through this server (or not at all).
    ScopeNotEligible {
        /// The server being synced (or the scope's own server).
        server: ServerName,
        /// The scope.
        network: Ipv4Network,
        /// Why.
        why: IneligibleReason,
    },
    /// The IP carries the protected tag: only lease info (and perhaps the client id) changes.
    ProtectedIp {
        /// The server.
        server: ServerName,
        /// NetBox id.
        ip_id: ObjectId,
        /// Address.
        address: Ipv4Addr,
    },
    /// The IP has a status the sync does not manage (neither lease nor reservation status); the
    /// sync leaves it alone instead of overwriting a human's choice.
    ForeignStatus {
        /// The server.
        server: ServerName,
        /// NetBox id.
        ip_id: ObjectId,
        /// Address.
        address: Ipv4Addr,
        /// Its status.
        status: String,
    },
    /// A reservation-status IP without client id is not pushed.
    ReservationWithoutClientId {
        /// The server.
        server: ServerName,
        /// The scope.
        network: Ipv4Network,
        /// Address.
        address: Ipv4Addr,
    },
    /// A server-only scope is not deleted from the server in push mode (it is reported only).
    ServerOnlyScopeKept {
        /// The server.
        server: ServerName,
        /// The scope.
        network: Ipv4Network,
    },
    /// A failover's scopes were read from its partner: no server writes for them.
    ServerWritesSkippedOnPartner {
        /// The failover.
        failover: String,
        /// The partner that was read.
        partner: ServerName,
    },
    /// Import: an object already exists and is not overwritten.
    AlreadyExists {
        /// Category.
        category: ImportCategory,
        /// Label.
        label: String,
    },
}

/// Why a scope is not synced through a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IneligibleReason {
    /// The scope has neither server nor failover.
    Unassigned,
    /// Standalone scope of a server with sync-standalone off.
    StandaloneSyncDisabled,
    /// The failover's sync toggle is off.
    FailoverSyncDisabled,
    /// The scope's failover is not known to the inventory.
    UnknownFailover,
    /// The scope's server or failover primary was not read.
    ServerNotRead,
}

/// A problem the planner found and did not resolve by itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Conflict {
    /// A read failed; nothing that depends on it is deleted.
    ReadFailed {
        /// The server.
        server: ServerName,
        /// What was read.
        what: ReadKind,
        /// The scope, for per-scope reads.
        network: Option<Ipv4Network>,
        /// The error text.
        error: String,
    },
    /// Several NetBox IP objects hold one address in one VRF; none of them is touched.
    DuplicateIpObjects {
        /// The VRF.
        vrf: Option<ObjectId>,
        /// The address.
        address: Ipv4Addr,
        /// The object ids, sorted.
        ids: Vec<ObjectId>,
    },
    /// Two reserved IPs of a scope share one client id; the later ones are not pushed.
    DuplicateClientIdInScope {
        /// The server.
        server: ServerName,
        /// The scope.
        network: Ipv4Network,
        /// Canonical client id.
        client_id: String,
        /// Addresses holding it, sorted (the first is pushed).
        addresses: Vec<Ipv4Addr>,
    },
    /// A lease lies inside an exclusion range of its scope.
    LeaseInExclusion {
        /// The server.
        server: ServerName,
        /// The scope.
        network: Ipv4Network,
        /// Address.
        address: Ipv4Addr,
    },
    /// A reservation lies outside its scope's network.
    ReservationOutsideScope {
        /// The server.
        server: ServerName,
        /// The scope.
        network: Ipv4Network,
        /// Address.
        address: Ipv4Addr,
    },
    /// A hostname from the server is not a valid DNS name; the IP gets an empty dns_name.
    InvalidDnsName {
        /// The server.
        server: ServerName,
        /// Address.
        address: Ipv4Addr,
        /// The name as reported.
        name: String,
    },
    /// A client id could not be understood.
    InvalidClientId {
        /// The server.
        server: ServerName,
        /// Address.
        address: Ipv4Addr,
        /// The value as read.
        value: String,
    },
    /// A scope has no NetBox prefix: no IP is synced for it.
    ScopeWithoutPrefix {
        /// The server.
        server: ServerName,
        /// The scope.
        network: Ipv4Network,
    },
    /// Several inventory scopes claim one network for one server: none is synced.
    DuplicateScope {
        /// The server.
        server: ServerName,
        /// The network.
        network: Ipv4Network,
        /// The inventory ids, sorted.
        ids: Vec<ObjectId>,
    },
    /// The server names a failover NetBox does not know.
    UnknownFailover {
        /// The server.
        server: ServerName,
        /// The scope.
        network: Ipv4Network,
        /// The failover name.
        failover: String,
    },
    /// A read came back empty where NetBox holds many managed objects: no deletions.
    SuspiciouslyEmpty {
        /// The server.
        server: ServerName,
        /// The scope (`None`: the server's scope list).
        network: Option<Ipv4Network>,
        /// How many managed objects NetBox holds there.
        managed: u32,
    },
    /// Deletions were withheld because they exceed the deletion budget.
    DeletionsWithheld {
        /// The server (`None`: the whole run).
        server: Option<ServerName>,
        /// The scope (`None`: the whole run).
        network: Option<Ipv4Network>,
        /// Deletions that would have been planned.
        planned: u32,
        /// Candidates they were taken from.
        candidates: u32,
        /// The limit that was exceeded.
        limit: BudgetLimit,
    },
    /// A failover primary could not be read; its partner was read instead (reads only).
    FailoverReadFromPartner {
        /// The failover.
        failover: String,
        /// The unreadable primary.
        primary: ServerName,
        /// The partner read instead.
        partner: ServerName,
    },
    /// Import: an item could not be imported.
    ImportError {
        /// Category.
        category: ImportCategory,
        /// Message.
        message: String,
    },
}

/// Which read failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadKind {
    /// The server was not read at all.
    Server,
    /// The scope list.
    Scopes,
    /// The failover list.
    Failovers,
    /// A scope's leases.
    Leases,
    /// A scope's reservations.
    Reservations,
    /// A scope's exclusions.
    Exclusions,
    /// A scope's options.
    Options,
}

/// Which budget limit was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "limit", content = "value")]
pub enum BudgetLimit {
    /// Per-scope count.
    PerScopeMax(u32),
    /// Per-scope percentage.
    PerScopePercent(u8),
    /// Per-run count.
    PerRunMax(u32),
    /// Per-run percentage.
    PerRunPercent(u8),
}

/// Import result categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportCategory {
    /// Failover relationships.
    Failovers,
    /// Scopes (and their prefixes).
    Scopes,
    /// Option values.
    OptionValues,
    /// Exclusion ranges.
    ExclusionRanges,
}

/// Per-category counts of an import.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportReport {
    /// Failover relationships.
    pub failovers: ImportCounts,
    /// Scopes.
    pub scopes: ImportCounts,
    /// Option values (links to scopes).
    pub option_values: ImportCounts,
    /// Exclusion ranges.
    pub exclusion_ranges: ImportCounts,
}

/// Created / skipped / error counts of one import category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportCounts {
    /// Planned creations.
    pub created: u32,
    /// Already present.
    pub skipped: u32,
    /// Errors.
    pub errors: u32,
}

/// Counters of a planning run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlanStats {
    /// Servers whose data was planned.
    pub servers_planned: u32,
    /// Scopes whose data was planned.
    pub scopes_planned: u32,
    /// Leases considered.
    pub leases_seen: u64,
    /// Reservations considered.
    pub reservations_seen: u64,
    /// NetBox IPs considered.
    pub ips_considered: u64,
    /// Deletions withheld by the budget or the safety guards.
    pub deletions_withheld: u32,
}
