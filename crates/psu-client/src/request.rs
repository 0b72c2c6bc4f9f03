//! Request bodies of the write endpoints, with constructors from the domain types.
//!
//! The contract is IPv4-only; constructors from domain types fail with
//! [`PsuError::InvalidRequest`](crate::PsuError::InvalidRequest) for IPv6 values.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Serialize, Serializer};
use windhcp_dhcp_model::{
    ClientId, ExclusionRange, Failover, FailoverAuth, FailoverMode, OptionValue, Reservation,
    ReservationType, Scope, ScopeId, ScopeState, Secret, ServerRole,
};

/// An address the contract cannot carry (IPv6).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {addr} is not IPv4; the PSU contract is IPv4-only")]
pub struct NotIpv4 {
    /// Which value.
    pub field: &'static str,
    /// The address.
    pub addr: IpAddr,
}

pub(crate) fn ipv4(field: &'static str, addr: IpAddr) -> Result<Ipv4Addr, NotIpv4> {
    match addr {
        IpAddr::V4(v4) => Ok(v4),
        IpAddr::V6(_) => Err(NotIpv4 { field, addr }),
    }
}

pub(crate) fn scope_v4(id: ScopeId) -> Result<Ipv4Addr, NotIpv4> {
    ipv4("scope id", id.0)
}

fn state_name(state: ScopeState) -> &'static str {
    match state {
        ScopeState::Active => "Active",
        ScopeState::Inactive => "InActive",
    }
}

fn reservation_type_name(kind: ReservationType) -> &'static str {
    match kind {
        ReservationType::Dhcp => "Dhcp",
        ReservationType::Bootp => "Bootp",
        ReservationType::Both => "Both",
    }
}

fn ser_display<T: std::fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn ser_opt_display<T: std::fmt::Display, S: Serializer>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// One option to set inside a scope create/update body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionSet {
    /// Option code.
    pub code: u8,
    /// Values as text, in order.
    pub value: Vec<String>,
}

impl From<&OptionValue> for OptionSet {
    fn from(v: &OptionValue) -> Self {
        Self {
            code: v.code().code(),
            value: v.data().values(),
        }
    }
}

/// Option changes carried inside scope bodies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OptionsPatch {
    /// Options to set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<OptionSet>,
    /// Option codes to remove (update only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<u8>,
}

/// Failover membership change inside scope bodies (on update, `remove` runs before `enroll`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FailoverPatch {
    /// Relationship to take the scope out of (update only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove: Option<String>,
    /// Relationship to add the scope to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enroll: Option<String>,
}

/// `POST /scopes` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeCreate {
    /// Network address (must equal `start_ip & subnet_mask`).
    pub scope_id: Ipv4Addr,
    /// Name.
    pub name: String,
    /// Range start.
    pub start_ip: Ipv4Addr,
    /// Range end.
    pub end_ip: Ipv4Addr,
    /// Subnet mask.
    pub subnet_mask: Ipv4Addr,
    /// Description (omitted when empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Initial state (`Active` / `InActive`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
    /// Lease duration in seconds (`4294967295` = unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_duration_seconds: Option<u64>,
    /// Router (option 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub router: Option<Ipv4Addr>,
    /// Options to set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<OptionsPatch>,
    /// Failover enrolment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover: Option<FailoverPatch>,
}

impl ScopeCreate {
    /// The body that creates `scope` with its router, lease time, state, options (except 3 and
    /// 51, which are carried by their own fields) and failover enrolment.
    ///
    /// # Errors
    /// [`NotIpv4`] for an IPv6 scope.
    pub fn from_scope(scope: &Scope) -> Result<Self, NotIpv4> {
        let range = scope.range();
        let options: Vec<OptionSet> = scope
            .options()
            .iter()
            .filter(|o| o.vendor_class().is_none() && o.user_class().is_none())
            .filter(|o| !matches!(o.code().code(), 3 | 51))
            .map(OptionSet::from)
            .collect();
        Ok(Self {
            scope_id: scope_v4(scope.id())?,
            name: scope.name().to_owned(),
            start_ip: ipv4("range start", range.start())?,
            end_ip: ipv4("range end", range.end())?,
            subnet_mask: ipv4("subnet mask", scope.mask())?,
            description: scope.description().to_owned(),
            state: Some(state_name(scope.state())),
            lease_duration_seconds: Some(u64::from(scope.lease_lifetime().as_dhcp_secs())),
            router: scope.router().map(|r| ipv4("router", r)).transpose()?,
            options: (!options.is_empty()).then(|| OptionsPatch {
                set: options,
                remove: Vec::new(),
            }),
            failover: scope.failover_name().map(|name| FailoverPatch {
                remove: None,
                enroll: Some(name.to_owned()),
            }),
        })
    }
}

/// `PUT /scopes/:scope_id` body: only the fields that are `Some` are sent and applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScopeUpdate {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New range start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_ip: Option<Ipv4Addr>,
    /// New range end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_ip: Option<Ipv4Addr>,
    /// New description (`Some("")` clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New state.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_state")]
    pub state: Option<ScopeState>,
    /// New lease duration in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_duration_seconds: Option<u64>,
    /// `Some(Some(ip))` sets option 3, `Some(None)` removes it, `None` leaves it.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_router")]
    pub router: Option<Option<Ipv4Addr>>,
    /// Options to set/remove.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<OptionsPatch>,
    /// Failover membership change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover: Option<FailoverPatch>,
}

#[allow(clippy::ref_option)] // serde's `serialize_with` hands us `&Option<_>`.
fn ser_state<S: Serializer>(v: &Option<ScopeState>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(st) => s.serialize_str(state_name(*st)),
        None => s.serialize_none(),
    }
}

#[allow(clippy::ref_option)] // serde's `serialize_with` hands us `&Option<_>`.
fn ser_router<S: Serializer>(v: &Option<Option<Ipv4Addr>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(Some(ip)) => s.collect_str(ip),
        Some(None) => s.serialize_str(""),
        None => s.serialize_none(),
    }
}

impl ScopeUpdate {
    /// `true` when nothing would be changed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// `POST /reservations` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReservationCreate {
    /// Scope.
    pub scope_id: Ipv4Addr,
    /// Reserved address.
    pub ip_address: Ipv4Addr,
    /// Client id (sent in canonical `aa-bb-..` form).
    #[serde(serialize_with = "ser_display")]
    pub client_id: ClientId,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Type.
    #[serde(rename = "type", serialize_with = "ser_kind")]
    pub kind: ReservationType,
}

fn ser_kind<S: Serializer>(v: &ReservationType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(reservation_type_name(*v))
}

#[allow(clippy::ref_option)] // serde's `serialize_with` hands us `&Option<_>`.
fn ser_opt_kind<S: Serializer>(v: &Option<ReservationType>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(k) => s.serialize_str(reservation_type_name(*k)),
        None => s.serialize_none(),
    }
}

impl ReservationCreate {
    /// The body that creates `r`.
    ///
    /// # Errors
    /// [`NotIpv4`] for IPv6 addresses.
    pub fn from_reservation(r: &Reservation) -> Result<Self, NotIpv4> {
        Ok(Self {
            scope_id: scope_v4(r.scope_id)?,
            ip_address: ipv4("reservation address", r.ip)?,
            client_id: r.client_id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            kind: r.kind,
        })
    }
}

/// `PUT /reservations/:client_id` body: only `Some` fields are applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReservationUpdate {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New type.
    #[serde(
        rename = "type",
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_kind"
    )]
    pub kind: Option<ReservationType>,
}

/// One operation of a reservation batch (`POST /reservations/batch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationOp {
    /// Create this reservation.
    Create(Reservation),
    /// Update the reservation at (`scope_id`, `ip`); `None` fields stay unchanged.
    Update {
        /// Scope.
        scope_id: ScopeId,
        /// Reservation address.
        ip: IpAddr,
        /// New client id.
        client_id: Option<ClientId>,
        /// New name.
        name: Option<String>,
        /// New description.
        description: Option<String>,
        /// New type.
        kind: Option<ReservationType>,
    },
    /// Delete the reservation at (`scope_id`, `ip`).
    Delete {
        /// Scope.
        scope_id: ScopeId,
        /// Reservation address.
        ip: IpAddr,
    },
}

/// Wire form of one batch item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct BatchItem {
    op: &'static str,
    scope_id: Ipv4Addr,
    ip_address: Ipv4Addr,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_display"
    )]
    client_id: Option<ClientId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(
        rename = "type",
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_kind"
    )]
    kind: Option<ReservationType>,
}

impl TryFrom<&ReservationOp> for BatchItem {
    type Error = NotIpv4;
    fn try_from(op: &ReservationOp) -> Result<Self, NotIpv4> {
        Ok(match op {
            ReservationOp::Create(r) => Self {
                op: "create",
                scope_id: scope_v4(r.scope_id)?,
                ip_address: ipv4("reservation address", r.ip)?,
                client_id: Some(r.client_id.clone()),
                name: r.name.clone(),
                description: r.description.clone(),
                kind: Some(r.kind),
            },
            ReservationOp::Update {
                scope_id,
                ip,
                client_id,
                name,
                description,
                kind,
            } => Self {
                op: "update",
                scope_id: scope_v4(*scope_id)?,
                ip_address: ipv4("reservation address", *ip)?,
                client_id: client_id.clone(),
                name: name.clone(),
                description: description.clone(),
                kind: *kind,
            },
            ReservationOp::Delete { scope_id, ip } => Self {
                op: "delete",
                scope_id: scope_v4(*scope_id)?,
                ip_address: ipv4("reservation address", *ip)?,
                client_id: None,
                name: None,
                description: None,
                kind: None,
            },
        })
    }
}

/// `POST /failover` body. `Debug` never shows the shared secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailoverCreate {
    /// Relationship name.
    pub name: String,
    /// Partner server (sent as both `partner_server` and the seed's `secondary_server`).
    pub partner_server: String,
    /// Seed alias of `partner_server`.
    pub secondary_server: String,
    /// Scopes to put into the relationship (non-empty).
    pub scope_ids: Vec<Ipv4Addr>,
    /// `LoadBalance` / `HotStandby`.
    pub mode: &'static str,
    /// LoadBalance share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balance_percent: Option<u8>,
    /// HotStandby reserve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserve_percent: Option<u8>,
    /// HotStandby role of this server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_role: Option<&'static str>,
    /// MCLT in seconds.
    pub max_client_lead_time: u64,
    /// Max response delay in seconds.
    pub max_response_delay: u64,
    /// Auto state switchover interval in seconds, `None` = off.
    pub state_switchover_interval: Option<u64>,
    /// Message authentication.
    pub enable_auth: bool,
    /// Shared secret (write-only).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_secret")]
    pub shared_secret: Option<Secret>,
}

#[allow(clippy::ref_option)] // serde's `serialize_with` hands us `&Option<_>`.
fn ser_secret<S: Serializer>(v: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(secret) => s.serialize_str(secret.expose()),
        None => s.serialize_none(),
    }
}

impl FailoverCreate {
    /// The body that creates `f` on its primary server.
    ///
    /// # Errors
    /// [`NotIpv4`] for an IPv6 scope id.
    pub fn from_failover(f: &Failover) -> Result<Self, NotIpv4> {
        let (load_balance_percent, reserve_percent, server_role) = match f.mode() {
            FailoverMode::LoadBalance {
                load_balance_percent,
            } => (Some(load_balance_percent), None, None),
            FailoverMode::HotStandby {
                reserve_percent,
                server_role,
            } => (
                None,
                Some(reserve_percent),
                Some(match server_role {
                    ServerRole::Active => "Active",
                    ServerRole::Standby => "Standby",
                }),
            ),
        };
        let shared_secret = match f.auth() {
            FailoverAuth::Enabled { shared_secret } => Some(shared_secret.clone()),
            FailoverAuth::Disabled => None,
        };
        Ok(Self {
            name: f.name().to_owned(),
            partner_server: f.partner_server().to_owned(),
            secondary_server: f.partner_server().to_owned(),
            scope_ids: f
                .scope_ids()
                .iter()
                .map(|s| scope_v4(*s))
                .collect::<Result<_, _>>()?,
            mode: f.mode().name(),
            load_balance_percent,
            reserve_percent,
            server_role,
            max_client_lead_time: f.mclt_secs(),
            max_response_delay: f.max_response_delay_secs(),
            state_switchover_interval: f.state_switchover_interval_secs(),
            enable_auth: f.auth().is_enabled(),
            shared_secret,
        })
    }
}

/// `PUT /options/scope/:scope_id/:code` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct OptionPut {
    pub(crate) value: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) vendor_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_class: Option<String>,
}

impl From<&OptionValue> for OptionPut {
    fn from(v: &OptionValue) -> Self {
        Self {
            value: v.data().values(),
            vendor_class: v.vendor_class().map(str::to_owned),
            user_class: v.user_class().map(str::to_owned),
        }
    }
}

/// `POST`/`DELETE /exclusions` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ExclusionBody {
    pub(crate) scope_id: Ipv4Addr,
    pub(crate) start_ip: Ipv4Addr,
    pub(crate) end_ip: Ipv4Addr,
}

impl TryFrom<&ExclusionRange> for ExclusionBody {
    type Error = NotIpv4;
    fn try_from(e: &ExclusionRange) -> Result<Self, NotIpv4> {
        Ok(Self {
            scope_id: scope_v4(e.scope_id)?,
            start_ip: ipv4("exclusion start", e.range.start())?,
            end_ip: ipv4("exclusion end", e.range.end())?,
        })
    }
}
