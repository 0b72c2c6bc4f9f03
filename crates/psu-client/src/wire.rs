//! Wire shapes of the PSU contract, decoded tolerantly.
//!
//! Each struct accepts our script's snake_case keys **and** the PascalCase property names of raw
//! `Get-DhcpServerv4*` cmdlet output (plus the aliases older scripts used). Every field goes
//! through a [`flex`](crate::flex) type, so Windows PowerShell 5.1 (`/Date(..)/`, TimeSpan
//! objects, IPAddress objects) and PowerShell 7 (ISO dates) both decode. Unknown keys are
//! ignored. Conversion into `windhcp_dhcp_model` types (with validation) is done by `TryFrom`
//! impls in [`convert`](crate::convert).

use serde::{Deserialize, Serialize};

use crate::flex::{FlexBool, FlexDateTime, FlexIp, FlexSeconds, FlexString, FlexU32, OneOrMany};

/// A scope (`ConvertTo-ScopeObject` or raw `Get-DhcpServerv4Scope`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WireScope {
    /// Network address.
    #[serde(alias = "ScopeId", alias = "network_address")]
    pub scope_id: FlexIp,
    /// Name.
    #[serde(default, alias = "Name")]
    pub name: Option<FlexString>,
    /// Range start.
    #[serde(alias = "StartRange")]
    pub start_ip: FlexIp,
    /// Range end.
    #[serde(alias = "EndRange")]
    pub end_ip: FlexIp,
    /// Subnet mask.
    #[serde(alias = "SubnetMask")]
    pub subnet_mask: FlexIp,
    /// Description.
    #[serde(default, alias = "Description")]
    pub description: Option<FlexString>,
    /// `Active` / `InActive` (any case).
    #[serde(default, alias = "State")]
    pub state: Option<FlexString>,
    /// Lease duration.
    #[serde(default, alias = "LeaseDuration", alias = "lease_duration")]
    pub lease_duration_seconds: Option<FlexSeconds>,
    /// First router (option 3).
    #[serde(default, alias = "Router")]
    pub router: Option<FlexRouter>,
    /// Failover relationship name.
    #[serde(default, alias = "FailoverName", alias = "FailoverRelationshipName")]
    pub failover_name: Option<FlexString>,
}

/// A router value: an IPv4 address, or an empty string (meaning none), or a list whose first
/// element counts (raw option output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FlexRouter(pub Option<std::net::Ipv4Addr>);

impl<'de> Deserialize<'de> for FlexRouter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        let first = match &value {
            serde_json::Value::Array(items) => items.first().cloned().unwrap_or_default(),
            other => other.clone(),
        };
        match &first {
            serde_json::Value::Null => Ok(Self(None)),
            serde_json::Value::String(s) if s.trim().is_empty() => Ok(Self(None)),
            other => crate::flex::ip_from_value(other)
                .map(|ip| Self(Some(ip)))
                .map_err(serde::de::Error::custom),
        }
    }
}

/// A lease (`ConvertTo-LeaseObject` or raw `Get-DhcpServerv4Lease`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WireLease {
    /// Leased address.
    #[serde(alias = "IPAddress")]
    pub ip_address: FlexIp,
    /// Scope (absent in a few older shapes; filled from the request or group key).
    #[serde(default, alias = "ScopeId")]
    pub scope_id: Option<FlexIp>,
    /// Client id / MAC in any spelling.
    #[serde(default, alias = "ClientId")]
    pub client_id: Option<FlexString>,
    /// Host name.
    #[serde(default, alias = "HostName")]
    pub hostname: Option<FlexString>,
    /// Windows address state.
    #[serde(default, alias = "AddressState")]
    pub address_state: Option<FlexString>,
    /// Expiry (null for reservations / unlimited leases).
    #[serde(default, alias = "LeaseExpiryTime", alias = "LeaseExpiry")]
    pub lease_expiry: Option<FlexDateTime>,
}

/// A reservation (`ConvertTo-ReservationObject` or raw `Get-DhcpServerv4Reservation`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WireReservation {
    /// Reserved address.
    #[serde(alias = "IPAddress")]
    pub ip_address: FlexIp,
    /// Scope.
    #[serde(default, alias = "ScopeId")]
    pub scope_id: Option<FlexIp>,
    /// Client id / MAC.
    #[serde(alias = "ClientId")]
    pub client_id: FlexString,
    /// Name.
    #[serde(default, alias = "Name")]
    pub name: Option<FlexString>,
    /// Description.
    #[serde(default, alias = "Description")]
    pub description: Option<FlexString>,
    /// `Dhcp` / `Bootp` / `Both`.
    #[serde(default, rename = "type", alias = "Type")]
    pub kind: Option<FlexString>,
}

/// A failover relationship (`ConvertTo-FailoverObject` or raw `Get-DhcpServerv4Failover`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WireFailover {
    /// Relationship name.
    #[serde(alias = "Name")]
    pub name: FlexString,
    /// The answering server (raw cmdlet output only has `PSComputerName`).
    #[serde(default, alias = "PrimaryServer", alias = "PSComputerName")]
    pub primary_server: Option<FlexString>,
    /// Partner server (seed name).
    #[serde(default, alias = "SecondaryServer")]
    pub secondary_server: Option<FlexString>,
    /// Partner server (Windows name).
    #[serde(default, alias = "PartnerServer")]
    pub partner_server: Option<FlexString>,
    /// `LoadBalance` / `HotStandby`.
    #[serde(default, alias = "Mode")]
    pub mode: Option<FlexString>,
    /// Scopes in the relationship.
    #[serde(default, alias = "ScopeId", alias = "ScopeIds")]
    pub scope_ids: OneOrMany<FlexIp>,
    /// MCLT.
    #[serde(default, alias = "MaxClientLeadTime")]
    pub max_client_lead_time: Option<FlexSeconds>,
    /// Max response delay (seed field).
    #[serde(default, alias = "MaxResponseDelay")]
    pub max_response_delay: Option<FlexSeconds>,
    /// Auto state switchover interval.
    #[serde(
        default,
        alias = "StateSwitchInterval",
        alias = "AutoStateTransitionInterval"
    )]
    pub state_switchover_interval: Option<FlexSeconds>,
    /// Message authentication enabled.
    #[serde(default, alias = "EnableAuth")]
    pub enable_auth: Option<FlexBool>,
    /// LoadBalance share of this server.
    #[serde(default, alias = "LoadBalancePercent")]
    pub load_balance_percent: Option<FlexU32>,
    /// HotStandby reserve percent.
    #[serde(default, alias = "ReservePercent")]
    pub reserve_percent: Option<FlexU32>,
    /// HotStandby role of this server.
    #[serde(default, alias = "ServerRole")]
    pub server_role: Option<FlexString>,
    /// Automatic state transition enabled.
    #[serde(default, alias = "AutoStateTransition")]
    pub auto_state_transition: Option<FlexBool>,
    /// Relationship state.
    #[serde(default, alias = "State")]
    pub state: Option<FlexString>,
}

/// An option value (`ConvertTo-OptionValueObject` or raw `Get-DhcpServerv4OptionValue`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WireOption {
    /// Option code.
    #[serde(alias = "OptionId", alias = "option_id")]
    pub code: FlexU32,
    /// Option name.
    #[serde(default, alias = "Name")]
    pub name: Option<FlexString>,
    /// Windows data type name.
    #[serde(default, rename = "type", alias = "Type")]
    pub kind: Option<FlexString>,
    /// Values as text.
    #[serde(default, alias = "Value")]
    pub value: OneOrMany<FlexString>,
    /// Vendor class.
    #[serde(default, alias = "VendorClass")]
    pub vendor_class: Option<FlexString>,
    /// User class.
    #[serde(default, alias = "UserClass")]
    pub user_class: Option<FlexString>,
}

/// An exclusion range (`ConvertTo-ExclusionRangeObject` or raw `Get-DhcpServerv4ExclusionRange`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WireExclusion {
    /// Scope (absent in raw output of a single-scope query; filled from the request).
    #[serde(default, alias = "ScopeId")]
    pub scope_id: Option<FlexIp>,
    /// First excluded address.
    #[serde(alias = "StartRange")]
    pub start_ip: FlexIp,
    /// Last excluded address.
    #[serde(alias = "EndRange")]
    pub end_ip: FlexIp,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WireHealth {
    /// `ok` or `degraded`.
    #[serde(alias = "Status")]
    pub status: FlexString,
    /// Script version.
    #[serde(default, alias = "Version")]
    pub version: Option<FlexString>,
    /// Contract version.
    #[serde(default)]
    pub contract_version: Option<FlexString>,
    /// Whether the DhcpServer module loaded.
    #[serde(default)]
    pub dhcp_module: Option<FlexBool>,
    /// FQDN of the Windows host.
    #[serde(default)]
    pub server: Option<FlexString>,
}

/// One entry of a reservation batch answer.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WireBatchResult {
    /// Index of the item in the request (absent in 2.0.1-style answers).
    #[serde(default)]
    pub index: Option<FlexU32>,
    /// `ok`, `invalid`, `not_found`, `conflict`, `error`.
    pub status: FlexString,
    /// Message.
    #[serde(default)]
    pub error: Option<FlexString>,
    /// The reservation after create/update.
    #[serde(default)]
    pub reservation: Option<WireReservation>,
}

/// `{"replicated": [...]}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WireReplicated {
    /// Replicated scopes.
    #[serde(default)]
    pub replicated: OneOrMany<FlexIp>,
}

/// `{"items": [...], "next_cursor": ...}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WirePage<T> {
    /// Items of this page.
    #[serde(
        default = "empty",
        bound(deserialize = "T: serde::de::DeserializeOwned")
    )]
    pub items: OneOrMany<T>,
    /// Cursor of the next page, `None` on the last one.
    #[serde(default)]
    pub next_cursor: Option<FlexString>,
}

fn empty<T>() -> OneOrMany<T> {
    OneOrMany(Vec::new())
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
