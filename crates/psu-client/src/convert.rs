//! Validated conversion of [`wire`](crate::wire) shapes into `windhcp_dhcp_model` types.
//!
//! Every conversion is a `TryFrom` whose error names the offending field; the client adds the
//! JSON path of the item and the endpoint (see [`PsuError::Decode`](crate::PsuError::Decode)).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use windhcp_dhcp_model::{
    AddressState, ClientId, ExclusionRange, Failover, FailoverAuth, FailoverMode, FailoverSpec,
    IpRange, Lease, LeaseLifetime, OptionCode, OptionData, OptionDataType, OptionValue,
    Reservation, ReservationType, Scope, ScopeId, ScopeSource, ScopeSpec, ScopeState, ServerRole,
    scope::prefix_from_id_and_mask,
};

use crate::flex::{FlexString, FlexU32};
use crate::wire::{
    WireExclusion, WireFailover, WireHealth, WireLease, WireOption, WireReservation, WireScope,
};

/// A wire value that decoded but is not valid in the domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConvertError {
    /// The offending field (wire name).
    pub field: &'static str,
    /// Why it was rejected.
    pub message: String,
}

impl ConvertError {
    fn new(field: &'static str, message: impl fmt::Display) -> Self {
        Self {
            field,
            message: message.to_string(),
        }
    }
}

fn text(v: Option<FlexString>) -> String {
    v.map(|s| s.0).unwrap_or_default()
}

fn non_blank(v: Option<FlexString>) -> Option<String> {
    v.map(|s| s.0.trim().to_owned()).filter(|s| !s.is_empty())
}

fn v4(ip: Ipv4Addr) -> IpAddr {
    IpAddr::V4(ip)
}

fn scope_id(ip: Ipv4Addr) -> ScopeId {
    ScopeId(v4(ip))
}

/// Fills a missing `scope_id` from the context (request parameter or group key).
pub(crate) fn require_scope(
    own: Option<Ipv4Addr>,
    context: Option<ScopeId>,
) -> Result<ScopeId, ConvertError> {
    own.map(scope_id)
        .or(context)
        .ok_or_else(|| ConvertError::new("scope_id", "missing"))
}

impl TryFrom<WireScope> for Scope {
    type Error = ConvertError;

    fn try_from(w: WireScope) -> Result<Self, Self::Error> {
        let id = scope_id(w.scope_id.0);
        let prefix = prefix_from_id_and_mask(id, v4(w.subnet_mask.0))
            .map_err(|e| ConvertError::new("subnet_mask", e))?;
        let range = IpRange::new(v4(w.start_ip.0), v4(w.end_ip.0))
            .map_err(|e| ConvertError::new("end_ip", e))?;
        let state = match non_blank(w.state) {
            Some(s) => s
                .parse::<ScopeState>()
                .map_err(|e| ConvertError::new("state", e))?,
            None => ScopeState::default(),
        };
        let lease_lifetime = w
            .lease_duration_seconds
            .map_or_else(LeaseLifetime::default, |s| LeaseLifetime::from_secs(s.0));
        let spec = ScopeSpec {
            id,
            name: text(w.name),
            prefix,
            range,
            router: w.router.and_then(|r| r.0).map(v4),
            lease_lifetime,
            state,
            description: text(w.description),
            vrf: None,
            source: non_blank(w.failover_name).map(ScopeSource::Failover),
            options: Vec::new(),
            exclusions: Vec::new(),
        };
        Scope::try_from(spec).map_err(|e| ConvertError::new("scope", e))
    }
}

/// Converts a lease, taking the scope from `context` when the object has none.
pub(crate) fn lease(w: WireLease, context: Option<ScopeId>) -> Result<Lease, ConvertError> {
    let scope_id = require_scope(w.scope_id.map(|s| s.0), context)?;
    let client_id = match non_blank(w.client_id) {
        Some(s) => Some(ClientId::parse(&s).map_err(|e| ConvertError::new("client_id", e))?),
        None => None,
    };
    let address_state = match non_blank(w.address_state) {
        Some(s) => match s.parse::<AddressState>() {
            Ok(st) => st,
            Err(never) => match never {},
        },
        None => AddressState::Active,
    };
    let lease = Lease {
        scope_id,
        ip: v4(w.ip_address.0),
        client_id,
        hostname: non_blank(w.hostname),
        address_state,
        expires_at: w.lease_expiry.map(|d| d.0),
        description: None,
    };
    lease
        .validate()
        .map_err(|e| ConvertError::new("ip_address", e))?;
    Ok(lease)
}

impl TryFrom<WireLease> for Lease {
    type Error = ConvertError;
    fn try_from(w: WireLease) -> Result<Self, Self::Error> {
        lease(w, None)
    }
}

/// Converts a reservation, taking the scope from `context` when the object has none.
pub(crate) fn reservation(
    w: WireReservation,
    context: Option<ScopeId>,
) -> Result<Reservation, ConvertError> {
    let scope_id = require_scope(w.scope_id.map(|s| s.0), context)?;
    let client_id =
        ClientId::parse(w.client_id.0.trim()).map_err(|e| ConvertError::new("client_id", e))?;
    let kind = match non_blank(w.kind) {
        Some(s) => s
            .parse::<ReservationType>()
            .map_err(|e| ConvertError::new("type", e))?,
        None => ReservationType::default(),
    };
    Ok(Reservation {
        scope_id,
        ip: v4(w.ip_address.0),
        client_id,
        name: non_blank(w.name),
        description: non_blank(w.description),
        kind,
    })
}

impl TryFrom<WireReservation> for Reservation {
    type Error = ConvertError;
    fn try_from(w: WireReservation) -> Result<Self, Self::Error> {
        reservation(w, None)
    }
}

/// Converts an exclusion range, taking the scope from `context` when the object has none.
pub(crate) fn exclusion(
    w: WireExclusion,
    context: Option<ScopeId>,
) -> Result<ExclusionRange, ConvertError> {
    let scope_id = require_scope(w.scope_id.map(|s| s.0), context)?;
    let range = IpRange::new(v4(w.start_ip.0), v4(w.end_ip.0))
        .map_err(|e| ConvertError::new("end_ip", e))?;
    Ok(ExclusionRange { scope_id, range })
}

impl TryFrom<WireExclusion> for ExclusionRange {
    type Error = ConvertError;
    fn try_from(w: WireExclusion) -> Result<Self, Self::Error> {
        exclusion(w, None)
    }
}

fn percent(v: Option<FlexU32>, default: u8, field: &'static str) -> Result<u8, ConvertError> {
    match v {
        None => Ok(default),
        Some(FlexU32(p)) => u8::try_from(p)
            .ok()
            .filter(|p| *p <= 100)
            .ok_or_else(|| ConvertError::new(field, format!("{p} is not a percentage"))),
    }
}

/// A failover relationship as reported by the server.
///
/// The server never returns the shared secret, so the relationship's
/// [`auth`](Failover::auth) is always [`FailoverAuth::Disabled`] here and whether authentication
/// is on is reported separately in [`auth_enabled`](Self::auth_enabled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFailover {
    /// The relationship (validated).
    pub failover: Failover,
    /// Whether message authentication is enabled on the server.
    pub auth_enabled: bool,
}

impl TryFrom<WireFailover> for ServerFailover {
    type Error = ConvertError;
    fn try_from(w: WireFailover) -> Result<Self, Self::Error> {
        failover(w, None)
    }
}

/// Converts a failover relationship; `default_primary` stands in for a missing
/// `primary_server` (raw cmdlet output run locally has none).
pub(crate) fn failover(
    w: WireFailover,
    default_primary: Option<&str>,
) -> Result<ServerFailover, ConvertError> {
    {
        let mode_name = non_blank(w.mode).unwrap_or_else(|| "LoadBalance".to_owned());
        let mode = match mode_name.to_ascii_lowercase().as_str() {
            "loadbalance" | "load_balance" => FailoverMode::LoadBalance {
                load_balance_percent: percent(w.load_balance_percent, 50, "load_balance_percent")?,
            },
            "hotstandby" | "hot_standby" => FailoverMode::HotStandby {
                reserve_percent: percent(w.reserve_percent, 5, "reserve_percent")?,
                server_role: match non_blank(w.server_role) {
                    Some(r) => r
                        .parse::<ServerRole>()
                        .map_err(|e| ConvertError::new("server_role", e))?,
                    None => ServerRole::default(),
                },
            },
            _ => {
                return Err(ConvertError::new(
                    "mode",
                    format!("unknown failover mode `{mode_name}`"),
                ));
            }
        };
        let partner = non_blank(w.secondary_server)
            .or_else(|| non_blank(w.partner_server))
            .unwrap_or_default();
        let spec = FailoverSpec {
            name: w.name.0,
            primary_server: non_blank(w.primary_server)
                .or_else(|| default_primary.map(str::to_owned))
                .unwrap_or_default(),
            partner_server: partner,
            mode,
            mclt_secs: w.max_client_lead_time.map_or(3600, |s| s.0),
            max_response_delay_secs: w.max_response_delay.map_or(0, |s| s.0),
            state_switchover_interval_secs: w.state_switchover_interval.map(|s| s.0),
            auth: FailoverAuth::Disabled,
            scope_ids: w.scope_ids.0.into_iter().map(|ip| scope_id(ip.0)).collect(),
            sync_enabled: true,
            state: non_blank(w.state),
        };
        let failover = Failover::try_from(spec).map_err(|e| ConvertError::new("failover", e))?;
        Ok(ServerFailover {
            failover,
            auth_enabled: w.enable_auth.is_some_and(|b| b.0),
        })
    }
}

impl TryFrom<WireOption> for OptionValue {
    type Error = ConvertError;

    fn try_from(w: WireOption) -> Result<Self, Self::Error> {
        let code = u8::try_from(w.code.0)
            .ok()
            .filter(|c| *c != 0 && *c != 255)
            .ok_or_else(|| ConvertError::new("code", format!("{} is not 1..254", w.code.0)))?;
        let code = OptionCode::from(code);
        let vendor_class = non_blank(w.vendor_class);
        let user_class = non_blank(w.user_class);
        let values: Vec<serde_json::Value> = w
            .value
            .0
            .into_iter()
            .map(|s| serde_json::Value::String(s.0))
            .collect();
        let data_type = match (vendor_class.is_none(), code.data_type()) {
            (true, Some(t)) => t,
            _ => {
                let name = non_blank(w.kind).ok_or_else(|| {
                    ConvertError::new("type", "missing for a code without a predefined type")
                })?;
                OptionDataType::from_windows(&name, values.len() > 1)
                    .map_err(|e| ConvertError::new("type", e))?
            }
        };
        let data = OptionData::from_json(data_type, &serde_json::Value::Array(values))
            .map_err(|e| ConvertError::new("value", e))?;
        OptionValue::with_classes(code, vendor_class, user_class, data)
            .map_err(|e| ConvertError::new("value", e))
    }
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Health {
    /// `true` when the server reported `ok`.
    pub ok: bool,
    /// The status text as reported (`ok`, `degraded`, …).
    pub status: String,
    /// Version of the PSU script.
    pub version: Option<String>,
    /// Contract version the script implements (absent on seed scripts).
    pub contract_version: Option<String>,
    /// Whether the DhcpServer module loaded (absent on seed scripts).
    pub dhcp_module: Option<bool>,
    /// FQDN of the Windows host.
    pub server: Option<String>,
}

impl From<WireHealth> for Health {
    fn from(w: WireHealth) -> Self {
        let status = w.status.0.trim().to_owned();
        Self {
            ok: status.eq_ignore_ascii_case("ok"),
            status,
            version: non_blank(w.version),
            contract_version: non_blank(w.contract_version),
            dhcp_module: w.dhcp_module.map(|b| b.0),
            server: non_blank(w.server),
        }
    }
}
