//! The planner's output: an ordered list of concrete actions plus a report.
//!
//! A [`Plan`] is specific enough that the executor makes no choices: every update carries the
//! values before and after, every delete names the object, every create carries the full object.
//! Actions are listed in execution order (NetBox inventory first, then IP addresses, then lease
//! info, then server writes) and within a kind by server, scope and address.

use std::fmt;
use std::net::Ipv4Addr;

use compact_str::CompactString;
use ipnetwork::Ipv4Network;
use serde::{Deserialize, Serialize};

use crate::report::Report;
use crate::snapshot::{ObjectId, ScopeSourceRef, ServerName};

/// A deterministic plan id: a hash of the snapshot's content (16 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlanId(pub String);

impl fmt::Display for PlanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of run produced the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PlanKind {
    /// A periodic sync of every eligible server.
    Sync,
    /// A one-time import from one server.
    Import {
        /// The server imported from.
        server: ServerName,
    },
}

/// A plan: ordered actions and the report of what was not done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Deterministic id (hash of the snapshot content).
    pub id: PlanId,
    /// Sync or import.
    pub kind: PlanKind,
    /// Actions, in execution order.
    pub actions: Vec<PlannedAction>,
    /// Skipped items, conflicts and counters.
    pub report: Report,
}

impl Plan {
    /// Whether the plan has no actions.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Number of actions per kind name, sorted by kind name.
    pub fn counts(&self) -> std::collections::BTreeMap<&'static str, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for planned in &self.actions {
            *counts.entry(planned.action.kind_name()).or_insert(0) += 1;
        }
        counts
    }

    /// The plan as pretty-printed JSON (the documented plan format).
    pub fn to_json_pretty(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}

/// One action with its context and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedAction {
    /// Where the action belongs.
    pub context: ActionContext,
    /// Why it is planned.
    pub reason: Reason,
    /// What to do.
    pub action: Action,
}

/// The server, scope and VRF an action belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ActionContext {
    /// The server whose data caused the action (or that is written to).
    pub server: ServerName,
    /// The scope (network), when the action belongs to one.
    pub scope: Option<Ipv4Network>,
    /// The VRF of the scope's prefix (`None`: global or not applicable).
    pub vrf: Option<ObjectId>,
}

/// The fields of a NetBox IP address that the sync manages.
///
/// [`CompactString`]s (build them with `.into()`): short values are stored inline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IpFields {
    /// Status slug.
    pub status: CompactString,
    /// DNS name.
    pub dns_name: CompactString,
    /// The `dhcp_client_id` custom field.
    pub dhcp_client_id: Option<CompactString>,
}

impl IpFields {
    /// The fields that differ from `self` in `after`, for display: `status dhcp → reserved,
    /// dns "a" → "b", client id - → 00-11-22-33-44-55` (a missing client id shows as `-`).
    /// Empty when nothing differs.
    pub fn changes_to(&self, after: &IpFields) -> String {
        let mut parts = Vec::new();
        if self.status != after.status {
            parts.push(format!("status {} → {}", self.status, after.status));
        }
        if self.dns_name != after.dns_name {
            parts.push(format!("dns {:?} → {:?}", self.dns_name, after.dns_name));
        }
        if self.dhcp_client_id != after.dhcp_client_id {
            parts.push(format!(
                "client id {} → {}",
                self.dhcp_client_id.as_deref().unwrap_or("-"),
                after.dhcp_client_id.as_deref().unwrap_or("-")
            ));
        }
        parts.join(", ")
    }
}

/// An IP address that exists, or one created earlier in the same plan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IpRef {
    /// An existing NetBox IP address.
    Existing(ObjectId),
    /// The IP created by a [`Action::CreateIp`] earlier in this plan.
    New {
        /// Its address.
        address: Ipv4Network,
        /// Its VRF.
        vrf: Option<ObjectId>,
    },
}

/// A scope that exists in the inventory, or one created earlier in the same plan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeRef {
    /// An existing inventory scope.
    Existing(ObjectId),
    /// The scope created by an [`Action::CreateInventoryScope`] earlier in this plan.
    New(Ipv4Network),
}

/// A prefix that exists, or one created earlier in the same plan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrefixRef {
    /// An existing NetBox prefix.
    Existing(ObjectId),
    /// The prefix created by an [`Action::CreatePrefix`] earlier in this plan.
    New {
        /// The prefix.
        prefix: Ipv4Network,
        /// Its VRF.
        vrf: Option<ObjectId>,
    },
}

/// An option value that exists, or one created earlier in the same plan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionValueRef {
    /// An existing option value.
    Existing(ObjectId),
    /// The value created by an [`Action::CreateOptionValue`] earlier in this plan.
    New(OptionValueSpec),
}

/// The content of an option value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OptionValueSpec {
    /// Option code.
    pub code: u8,
    /// Vendor class (`""` for standard options).
    pub vendor_class: String,
    /// Values, in order.
    pub values: Vec<String>,
}

/// A complete scope, as created in the inventory or on a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSpec {
    /// Network (scope id + mask).
    pub network: Ipv4Network,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// First address of the range.
    pub start: Ipv4Addr,
    /// Last address of the range.
    pub end: Ipv4Addr,
    /// Router (option 3).
    pub router: Option<Ipv4Addr>,
    /// Lease lifetime in seconds (`None`: unlimited).
    pub lease_lifetime_secs: Option<u64>,
    /// Whether the scope is active.
    pub active: bool,
}

/// One field-level difference of a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "field")]
pub enum ScopeChange {
    /// Name changed.
    Name {
        /// Before.
        before: String,
        /// After.
        after: String,
    },
    /// Description changed.
    Description {
        /// Before.
        before: String,
        /// After.
        after: String,
    },
    /// Range start changed.
    Start {
        /// Before.
        before: Ipv4Addr,
        /// After.
        after: Ipv4Addr,
    },
    /// Range end changed.
    End {
        /// Before.
        before: Ipv4Addr,
        /// After.
        after: Ipv4Addr,
    },
    /// Router changed.
    Router {
        /// Before.
        before: Option<Ipv4Addr>,
        /// After.
        after: Option<Ipv4Addr>,
    },
    /// Lease lifetime changed.
    LeaseLifetime {
        /// Before (`None`: unlimited).
        before: Option<u64>,
        /// After (`None`: unlimited).
        after: Option<u64>,
    },
    /// Active state changed.
    Active {
        /// Before.
        before: bool,
        /// After.
        after: bool,
    },
    /// Scope source (standalone server or failover) changed.
    Source {
        /// Before.
        before: ScopeSourceRef,
        /// After.
        after: ScopeSourceRef,
    },
    /// Failover membership on the server changed (push).
    Failover {
        /// Before.
        before: Option<String>,
        /// After.
        after: Option<String>,
    },
}

/// A concrete action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Action {
    // --- NetBox IPAM -------------------------------------------------------------------------
    /// Create a NetBox prefix.
    CreatePrefix {
        /// The prefix.
        prefix: Ipv4Network,
        /// Its VRF.
        vrf: Option<ObjectId>,
        /// Status slug (`active`).
        status: String,
    },
    /// Create a NetBox IP address.
    CreateIp {
        /// Address with the scope prefix's length.
        address: Ipv4Network,
        /// VRF of the scope's prefix.
        vrf: Option<ObjectId>,
        /// The new fields.
        after: IpFields,
    },
    /// Update a NetBox IP address.
    UpdateIp {
        /// NetBox id.
        id: ObjectId,
        /// Address (for display and checks).
        address: Ipv4Network,
        /// ETag read with the snapshot, if any.
        etag: Option<CompactString>,
        /// The fields before (boxed, like `after`, to keep every action small).
        before: Box<IpFields>,
        /// The fields after (boxed to keep every action small).
        after: Box<IpFields>,
    },
    /// Downgrade a reservation-status IP to the lease status.
    DowngradeIp {
        /// NetBox id.
        id: ObjectId,
        /// Address.
        address: Ipv4Network,
        /// ETag read with the snapshot, if any.
        etag: Option<CompactString>,
        /// The fields before (boxed, like `after`, to keep every action small).
        before: Box<IpFields>,
        /// The fields after (boxed to keep every action small).
        after: Box<IpFields>,
    },
    /// Delete a NetBox IP address.
    DeleteIp {
        /// NetBox id.
        id: ObjectId,
        /// Address.
        address: Ipv4Network,
        /// ETag read with the snapshot, if any.
        etag: Option<CompactString>,
        /// The fields before (boxed to keep every action small).
        before: Box<IpFields>,
    },
    /// Create or update the lease-info row of an IP (marks it DHCP-managed; not change-logged).
    UpsertLeaseInfo {
        /// The IP.
        ip: IpRef,
        /// Hostname from the server.
        hostname: CompactString,
        /// Whether a lease is active.
        active: bool,
        /// Expiry, if any.
        expires: Option<CompactString>,
    },

    // --- NetBox plugin inventory ----------------------------------------------------------
    /// Create a failover relationship (import).
    CreateFailover {
        /// Name.
        name: String,
        /// Primary server (inventory hostname).
        primary: ServerName,
        /// Partner server (inventory hostname).
        partner: ServerName,
        /// Mode as reported.
        mode: String,
    },
    /// Create a scope in the inventory.
    CreateInventoryScope {
        /// The scope (boxed to keep every action small).
        scope: Box<ScopeSpec>,
        /// Its prefix.
        prefix: PrefixRef,
        /// Its source.
        source: ScopeSourceRef,
    },
    /// Update scope attributes in the inventory (field-level).
    UpdateInventoryScope {
        /// Scope id.
        id: ObjectId,
        /// The differing fields.
        changes: Vec<ScopeChange>,
    },
    /// Delete a scope from the inventory (its exclusions go with it).
    DeleteInventoryScope {
        /// Scope id.
        id: ObjectId,
        /// Its network.
        network: Ipv4Network,
    },
    /// Create an exclusion range in the inventory.
    CreateInventoryExclusion {
        /// The scope.
        scope: ScopeRef,
        /// First address.
        start: Ipv4Addr,
        /// Last address.
        end: Ipv4Addr,
    },
    /// Delete an exclusion range from the inventory.
    DeleteInventoryExclusion {
        /// Exclusion id.
        id: ObjectId,
        /// First address.
        start: Ipv4Addr,
        /// Last address.
        end: Ipv4Addr,
    },
    /// Create an option value in the library.
    CreateOptionValue {
        /// The value.
        value: OptionValueSpec,
        /// Option name from the server (for a new option code definition).
        name: String,
    },
    /// Link an option value to a scope.
    LinkOptionValue {
        /// The scope.
        scope: ScopeRef,
        /// The value.
        value: OptionValueRef,
    },
    /// Unlink an option value from a scope (the value itself is kept).
    UnlinkOptionValue {
        /// Scope id.
        scope: ObjectId,
        /// Option value id.
        value: ObjectId,
    },

    // --- DHCP server writes -----------------------------------------------------------------
    /// Create a scope on the server.
    CreateServerScope {
        /// The scope (boxed to keep every action small).
        scope: Box<ScopeSpec>,
        /// Option values to set.
        options: Vec<OptionValueSpec>,
        /// Failover relationship to enrol in.
        failover: Option<String>,
    },
    /// Update a scope on the server (field-level).
    UpdateServerScope {
        /// Scope network.
        network: Ipv4Network,
        /// The differing fields.
        changes: Vec<ScopeChange>,
        /// Option values to set.
        set_options: Vec<OptionValueSpec>,
        /// Option codes (with vendor class) to remove.
        remove_options: Vec<(u8, String)>,
    },
    /// Create an exclusion range on the server.
    CreateServerExclusion {
        /// Scope network.
        network: Ipv4Network,
        /// First address.
        start: Ipv4Addr,
        /// Last address.
        end: Ipv4Addr,
    },
    /// Delete an exclusion range from the server.
    DeleteServerExclusion {
        /// Scope network.
        network: Ipv4Network,
        /// First address.
        start: Ipv4Addr,
        /// Last address.
        end: Ipv4Addr,
    },
    /// Create a reservation on the server.
    PushReservation {
        /// Scope network.
        network: Ipv4Network,
        /// Reserved address.
        ip: Ipv4Addr,
        /// Canonical client id (`aa-bb-cc-dd-ee-ff`).
        client_id: CompactString,
        /// Name (from the NetBox dns_name).
        name: CompactString,
    },
    /// Update a reservation on the server.
    UpdateReservation {
        /// Scope network.
        network: Ipv4Network,
        /// Reserved address.
        ip: Ipv4Addr,
        /// Client id before (boxed, like `before_name`, to keep every action small).
        before_client_id: Box<CompactString>,
        /// Client id after (canonical).
        client_id: CompactString,
        /// Name before (boxed to keep every action small).
        before_name: Box<CompactString>,
        /// Name after.
        name: CompactString,
    },
    /// Delete a reservation from the server.
    DeleteReservation {
        /// Scope network.
        network: Ipv4Network,
        /// Reserved address.
        ip: Ipv4Addr,
        /// Client id (as on the server).
        client_id: CompactString,
    },
    /// Replicate changed failover scopes to the partner.
    ReplicateFailover {
        /// Scope networks, sorted.
        networks: Vec<Ipv4Network>,
    },
}

impl Action {
    /// The action's kind name (the JSON `kind` tag).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::CreatePrefix { .. } => "create_prefix",
            Self::CreateIp { .. } => "create_ip",
            Self::UpdateIp { .. } => "update_ip",
            Self::DowngradeIp { .. } => "downgrade_ip",
            Self::DeleteIp { .. } => "delete_ip",
            Self::UpsertLeaseInfo { .. } => "upsert_lease_info",
            Self::CreateFailover { .. } => "create_failover",
            Self::CreateInventoryScope { .. } => "create_inventory_scope",
            Self::UpdateInventoryScope { .. } => "update_inventory_scope",
            Self::DeleteInventoryScope { .. } => "delete_inventory_scope",
            Self::CreateInventoryExclusion { .. } => "create_inventory_exclusion",
            Self::DeleteInventoryExclusion { .. } => "delete_inventory_exclusion",
            Self::CreateOptionValue { .. } => "create_option_value",
            Self::LinkOptionValue { .. } => "link_option_value",
            Self::UnlinkOptionValue { .. } => "unlink_option_value",
            Self::CreateServerScope { .. } => "create_server_scope",
            Self::UpdateServerScope { .. } => "update_server_scope",
            Self::CreateServerExclusion { .. } => "create_server_exclusion",
            Self::DeleteServerExclusion { .. } => "delete_server_exclusion",
            Self::PushReservation { .. } => "push_reservation",
            Self::UpdateReservation { .. } => "update_reservation",
            Self::DeleteReservation { .. } => "delete_reservation",
            Self::ReplicateFailover { .. } => "replicate_failover",
        }
    }

    /// Whether the action deletes something (counted against the deletion budget).
    pub fn is_deletion(&self) -> bool {
        matches!(
            self,
            Self::DeleteIp { .. }
                | Self::DeleteInventoryScope { .. }
                | Self::DeleteInventoryExclusion { .. }
                | Self::DeleteServerExclusion { .. }
                | Self::DeleteReservation { .. }
        )
    }

    /// Whether the action writes to a DHCP server (as opposed to NetBox).
    pub fn writes_server(&self) -> bool {
        matches!(
            self,
            Self::CreateServerScope { .. }
                | Self::UpdateServerScope { .. }
                | Self::CreateServerExclusion { .. }
                | Self::DeleteServerExclusion { .. }
                | Self::PushReservation { .. }
                | Self::UpdateReservation { .. }
                | Self::DeleteReservation { .. }
                | Self::ReplicateFailover { .. }
        )
    }
}

/// Why an action is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// An active lease: create/update the IP with the lease status.
    ActiveLease,
    /// A server reservation: create/update the IP with the reservation status.
    ServerReservation,
    /// A lease on a reserved IP without client id: fill the client id only.
    PrestagedClientIdFill,
    /// A lease on a protected IP: update the client id only (allowed by the settings).
    ProtectedClientIdUpdate,
    /// Record lease metadata in the side table.
    LeaseMetadata,
    /// The lease-info row no longer matches an active lease: mark it inactive.
    LeaseNoLongerActive,
    /// Lease-status IP whose lease expired or is gone.
    LeaseExpiredOrGone,
    /// Sync-managed reserved IP: reservation gone but a lease remains.
    ReservationGoneLeaseRemains,
    /// Sync-managed reserved IP: neither reservation nor lease remains.
    ReservationAndLeaseGone,
    /// A reserved IP in NetBox is missing on the server (push reservations).
    ReservationMissingOnServer,
    /// A server reservation differs from NetBox (push reservations).
    ReservationDiffersOnServer,
    /// A server reservation has no reserved IP in NetBox (push reservations).
    ReservationNotInNetBox,
    /// A scope in NetBox is no longer reported by its server (pull: delete).
    ScopeGoneFromServer,
    /// A scope in NetBox is missing on its server (push: create).
    ScopeMissingOnServer,
    /// A scope on the server is missing in NetBox (pull: import it).
    ScopeOnlyOnServer,
    /// Scope attributes differ (pull: server wins; push: NetBox wins).
    ScopeAttributesDiffer,
    /// An exclusion exists only on the server.
    ExclusionOnlyOnServer,
    /// An exclusion exists only in NetBox.
    ExclusionOnlyInNetBox,
    /// An option value differs between server and NetBox.
    OptionValueDiffers,
    /// A failover scope changed on the server and must be replicated.
    FailoverReplication,
    /// Import: a failover relationship is missing in NetBox.
    ImportFailover,
    /// Import: a scope is missing in NetBox.
    ImportScope,
    /// Import: the scope's prefix is missing in NetBox.
    ImportPrefix,
    /// Import: a scope option value.
    ImportOptionValue,
    /// Import: an exclusion range.
    ImportExclusion,
}

#[cfg(test)]
mod tests {
    use super::{Action, IpFields, PlannedAction};

    #[test]
    fn ip_field_changes_name_only_what_differs() {
        let before = IpFields {
            status: "dhcp".into(),
            dns_name: "pc-1".into(),
            dhcp_client_id: None,
        };
        assert_eq!(before.changes_to(&before), "");
        let after = IpFields {
            status: "reserved".into(),
            dns_name: "pc-1".into(),
            dhcp_client_id: Some("00-11-22-33-44-55".into()),
        };
        assert_eq!(
            before.changes_to(&after),
            "status dhcp → reserved, client id - → 00-11-22-33-44-55"
        );
        let renamed = IpFields {
            dns_name: "pc-2".into(),
            ..before.clone()
        };
        assert_eq!(before.changes_to(&renamed), r#"dns "pc-1" → "pc-2""#);
    }

    /// A first sync writes two actions per lease (`CreateIp` + `UpsertLeaseInfo`), millions of
    /// them, so every byte of `PlannedAction` is paid per lease in page faults and copies. The
    /// rare large payloads are boxed so that `CreateIp` sets the size; this pins it so a new
    /// large variant (or field) cannot grow every action again unnoticed. Box it instead.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn actions_stay_small() {
        assert!(
            size_of::<Action>() <= 104,
            "Action is {} bytes",
            size_of::<Action>()
        );
        assert!(
            size_of::<PlannedAction>() <= 160,
            "PlannedAction is {} bytes",
            size_of::<PlannedAction>()
        );
    }
}
