//! JSON shapes of the contract: borrowed output views of the model and request bodies.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::{SimError, SimResult};
use crate::model::{
    AddressState, Exclusion, Failover, FailoverMode, Lease, Reservation, ReservationType, Scope,
    ScopeState, ServerRole, parse_ip,
};
use crate::timefmt::format_utc;

/// Contract version implemented by the simulator.
pub const CONTRACT_VERSION: &str = "1.0.0";

// ------------------------------------------------------------------------------------- output

/// `Scope` as sent on the wire.
#[derive(Debug, Serialize)]
pub(crate) struct ScopeOut<'a> {
    scope_id: Ipv4Addr,
    name: &'a str,
    start_ip: Ipv4Addr,
    end_ip: Ipv4Addr,
    subnet_mask: Ipv4Addr,
    description: &'a str,
    state: ScopeState,
    lease_duration_seconds: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    router: Option<Option<&'a str>>,
    failover_name: Option<&'a str>,
}

impl<'a> ScopeOut<'a> {
    pub(crate) fn new(s: &'a Scope, failover: Option<&'a Failover>, include_router: bool) -> Self {
        Self {
            scope_id: s.scope_id,
            name: &s.name,
            start_ip: s.start_ip,
            end_ip: s.end_ip,
            subnet_mask: s.subnet_mask,
            description: &s.description,
            state: s.state,
            lease_duration_seconds: s.lease_duration_seconds,
            router: include_router.then(|| s.router()),
            failover_name: failover.map(|f| f.name.as_str()),
        }
    }
}

/// A timestamp serialized as `yyyy-MM-ddTHH:mm:ssZ`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Utc(pub(crate) i64);

impl Serialize for Utc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_utc(self.0))
    }
}

/// `Lease` as sent on the wire.
#[derive(Debug, Serialize)]
pub(crate) struct LeaseOut<'a> {
    ip_address: Ipv4Addr,
    scope_id: Ipv4Addr,
    client_id: &'a str,
    hostname: &'a str,
    address_state: AddressState,
    lease_expiry: Option<Utc>,
}

impl<'a> LeaseOut<'a> {
    pub(crate) fn new(scope_id: Ipv4Addr, l: &'a Lease) -> Self {
        Self {
            ip_address: l.ip_address,
            scope_id,
            client_id: &l.client_id,
            hostname: &l.hostname,
            address_state: l.address_state,
            lease_expiry: l.lease_expiry.map(Utc),
        }
    }
}

/// `Reservation` as sent on the wire.
#[derive(Debug, Serialize)]
pub(crate) struct ReservationOut<'a> {
    ip_address: Ipv4Addr,
    scope_id: Ipv4Addr,
    client_id: &'a str,
    name: &'a str,
    description: &'a str,
    #[serde(rename = "type")]
    kind: ReservationType,
}

impl<'a> ReservationOut<'a> {
    pub(crate) fn new(scope_id: Ipv4Addr, r: &'a Reservation) -> Self {
        Self {
            ip_address: r.ip_address,
            scope_id,
            client_id: &r.client_id,
            name: &r.name,
            description: &r.description,
            kind: r.kind,
        }
    }
}

/// `Exclusion` as sent on the wire.
#[derive(Debug, Serialize)]
pub(crate) struct ExclusionOut {
    scope_id: Ipv4Addr,
    start_ip: Ipv4Addr,
    end_ip: Ipv4Addr,
}

impl ExclusionOut {
    pub(crate) fn new(scope_id: Ipv4Addr, e: &Exclusion) -> Self {
        Self {
            scope_id,
            start_ip: e.start_ip,
            end_ip: e.end_ip,
        }
    }
}

/// `Failover` as sent on the wire (never with the shared secret).
#[derive(Debug, Serialize)]
pub(crate) struct FailoverOut<'a> {
    name: &'a str,
    primary_server: &'a str,
    secondary_server: &'a str,
    partner_server: &'a str,
    mode: FailoverMode,
    scope_ids: &'a BTreeSet<Ipv4Addr>,
    max_client_lead_time: u32,
    max_response_delay: u32,
    state_switchover_interval: Option<u32>,
    enable_auth: bool,
    load_balance_percent: Option<u8>,
    reserve_percent: Option<u8>,
    server_role: Option<ServerRole>,
    auto_state_transition: bool,
    state: &'a str,
}

impl<'a> FailoverOut<'a> {
    pub(crate) fn new(server: &'a str, f: &'a Failover) -> Self {
        Self {
            name: &f.name,
            primary_server: server,
            secondary_server: &f.partner_server,
            partner_server: &f.partner_server,
            mode: f.mode,
            scope_ids: &f.scope_ids,
            max_client_lead_time: f.max_client_lead_time,
            max_response_delay: f.max_response_delay,
            state_switchover_interval: f.state_switchover_interval,
            enable_auth: f.enable_auth,
            load_balance_percent: f.load_balance_percent,
            reserve_percent: f.reserve_percent,
            server_role: f.server_role,
            auto_state_transition: f.state_switchover_interval.is_some(),
            state: &f.state,
        }
    }
}

// -------------------------------------------------------------------------------------- input

/// Present-but-null vs absent: `Some(None)` = `null`, `None` = key missing.
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Optional IPv4 field.
pub(crate) fn opt_ip(field: &str, v: Option<&String>) -> SimResult<Option<Ipv4Addr>> {
    v.map(|s| parse_ip(field, s)).transpose()
}

/// Option values given as an array (of strings or numbers) or a single scalar.
pub(crate) fn values_of(v: &Value) -> SimResult<Vec<String>> {
    let one = |x: &Value| -> SimResult<String> {
        match x {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(SimError::invalid(
                "option values must be strings or numbers.",
            )),
        }
    };
    match v {
        Value::Array(a) => a.iter().map(one).collect(),
        Value::Null => Ok(Vec::new()),
        x => Ok(vec![one(x)?]),
    }
}

/// Positive seconds that fit a u32; `None` for ≤ 0 (ignored, as the seed did).
pub(crate) fn lease_secs(v: Option<i64>) -> SimResult<Option<u32>> {
    match v {
        None => Ok(None),
        Some(s) if s <= 0 => Ok(None),
        Some(s) => u32::try_from(s).map(Some).map_err(|_| {
            SimError::invalid("'lease_duration_seconds' must be at most 4294967295 (Unlimited).")
        }),
    }
}

/// One option to set inside scope bodies.
#[derive(Debug, Deserialize)]
pub(crate) struct OptionSetBody {
    pub(crate) code: i64,
    #[serde(default)]
    pub(crate) value: Value,
    #[serde(default)]
    pub(crate) vendor_class: Option<String>,
    #[serde(default)]
    pub(crate) user_class: Option<String>,
}

/// `options` inside scope bodies.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OptionsPatch {
    #[serde(default)]
    pub(crate) set: Vec<OptionSetBody>,
    #[serde(default)]
    pub(crate) remove: Vec<i64>,
}

/// `failover` inside scope bodies.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FailoverPatch {
    #[serde(default)]
    pub(crate) remove: Option<String>,
    #[serde(default)]
    pub(crate) enroll: Option<String>,
}

/// `POST /scopes` and `PUT /scopes/:id` body (every key optional at this level).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ScopeBody {
    #[serde(default)]
    pub(crate) scope_id: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) start_ip: Option<String>,
    #[serde(default)]
    pub(crate) end_ip: Option<String>,
    #[serde(default)]
    pub(crate) subnet_mask: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) state: Option<String>,
    #[serde(default)]
    pub(crate) lease_duration_seconds: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    pub(crate) router: Option<Option<String>>,
    #[serde(default)]
    pub(crate) options: Option<OptionsPatch>,
    #[serde(default)]
    pub(crate) failover: Option<FailoverPatch>,
}

/// `POST /reservations` body and batch items.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReservationBody {
    #[serde(default)]
    pub(crate) op: Option<String>,
    #[serde(default)]
    pub(crate) scope_id: Option<String>,
    #[serde(default)]
    pub(crate) ip_address: Option<String>,
    #[serde(default)]
    pub(crate) client_id: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<String>,
}

/// `POST /reservations/batch` body.
#[derive(Debug, Deserialize)]
pub(crate) struct BatchBody {
    pub(crate) items: Vec<Value>,
}

/// Exclusion create/delete body.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ExclusionBody {
    #[serde(default)]
    pub(crate) scope_id: Option<String>,
    #[serde(default)]
    pub(crate) start_ip: Option<String>,
    #[serde(default)]
    pub(crate) end_ip: Option<String>,
}

/// `PUT /options/scope/:id/:code` body.
#[derive(Debug, Deserialize)]
pub(crate) struct OptionPutBody {
    #[serde(default)]
    pub(crate) value: Value,
    #[serde(default)]
    pub(crate) vendor_class: Option<String>,
    #[serde(default)]
    pub(crate) user_class: Option<String>,
}

/// `POST /failover` body.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FailoverBody {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) secondary_server: Option<String>,
    #[serde(default)]
    pub(crate) partner_server: Option<String>,
    #[serde(default)]
    pub(crate) scope_ids: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) mode: Option<String>,
    #[serde(default)]
    pub(crate) load_balance_percent: Option<i64>,
    #[serde(default)]
    pub(crate) reserve_percent: Option<i64>,
    #[serde(default)]
    pub(crate) server_role: Option<String>,
    #[serde(default)]
    pub(crate) max_client_lead_time: Option<i64>,
    #[serde(default)]
    pub(crate) max_response_delay: Option<i64>,
    #[serde(default)]
    pub(crate) state_switchover_interval: Option<i64>,
    #[serde(default)]
    pub(crate) enable_auth: Option<bool>,
    #[serde(default)]
    pub(crate) shared_secret: Option<String>,
}

/// Replicate bodies.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReplicateBody {
    #[serde(default)]
    pub(crate) scope_ids: Option<Vec<String>>,
}

/// Parses a list of IPv4 strings.
pub(crate) fn ip_list(field: &str, v: &[String]) -> SimResult<Vec<Ipv4Addr>> {
    v.iter().map(|s| parse_ip(field, s)).collect()
}

/// Parses an optional reservation type.
pub(crate) fn opt_kind(v: Option<&String>) -> SimResult<Option<ReservationType>> {
    v.map(|s| ReservationType::parse(s)).transpose()
}

/// A percentage 0..=100.
pub(crate) fn percent(field: &str, v: Option<i64>) -> SimResult<Option<u8>> {
    v.map(|p| {
        u8::try_from(p)
            .ok()
            .filter(|p| *p <= 100)
            .ok_or_else(|| SimError::invalid(format!("'{field}' must be 0..100.")))
    })
    .transpose()
}

/// Non-negative seconds fitting u32.
pub(crate) fn secs(field: &str, v: Option<i64>) -> SimResult<Option<u32>> {
    v.map(|s| {
        u32::try_from(s)
            .map_err(|_| SimError::invalid(format!("'{field}' must be 0..4294967295 seconds.")))
    })
    .transpose()
}
