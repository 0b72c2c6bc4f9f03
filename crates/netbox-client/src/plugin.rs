//! The REST API of the Windows DHCP NetBox plugin (`api/plugins/windows-dhcp/` by default).
//!
//! Field names follow the plugin's serializers. Nested read-only objects (`server`, `prefix`, …)
//! have write-only `…_id` counterparts in the `…Write` types. Secrets (`api_key`,
//! `shared_secret`) are write-only on the server and never printed here.

use std::fmt;
use std::net::IpAddr;

use ipnetwork::IpNetwork;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use windhcp_dhcp_model::{IpRange, LeaseLifetime, ModelError};

use crate::bulk::HasId;
use crate::client::{Endpoint, NetBoxClient, WriteOptions, Written, with_changelog};
use crate::error::Result;
use crate::ipam::TagRef;

fn null_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A secret sent to the plugin (API key, failover shared secret). Serializes to its value,
/// prints as `<redacted>`.
#[derive(Clone)]
pub struct WriteSecret(SecretString);

impl WriteSecret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        WriteSecret(SecretString::from(s.into()))
    }
}

impl fmt::Debug for WriteSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl PartialEq for WriteSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.expose_secret() == other.0.expose_secret()
    }
}

impl Serialize for WriteSecret {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.0.expose_secret())
    }
}

/// A related object as the plugin nests it (`id`, `name`, `display`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NestedRef {
    /// Primary key.
    pub id: u64,
    /// Name, when the nested serializer has one.
    #[serde(default)]
    pub name: Option<String>,
    /// Display string.
    #[serde(default)]
    pub display: Option<String>,
}

/// A DHCP server (`servers/`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DhcpServer {
    /// Primary key.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// Host name or address of the PSU endpoint.
    #[serde(default)]
    pub hostname: String,
    /// Port (default 443).
    #[serde(default)]
    pub port: Option<u16>,
    /// HTTPS or HTTP.
    #[serde(default)]
    pub use_https: Option<bool>,
    /// Verify the server's TLS certificate.
    #[serde(default)]
    pub verify_ssl: Option<bool>,
    /// Sync scopes bound directly to this server (not through a failover).
    #[serde(default)]
    pub sync_standalone_scopes: Option<bool>,
    /// Tags.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<TagRef>,
    /// Custom fields.
    #[serde(default, deserialize_with = "null_default")]
    pub custom_fields: Map<String, Value>,
}

/// Fields to write on a DHCP server.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DhcpServerWrite {
    /// Unique name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Host name or address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// HTTPS or HTTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_https: Option<bool>,
    /// PSU app token (write-only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<WriteSecret>,
    /// Verify TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_ssl: Option<bool>,
    /// Sync standalone scopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_standalone_scopes: Option<bool>,
}

/// A failover relationship (`failover/`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DhcpFailover {
    /// Primary key.
    pub id: u64,
    /// Unique name (matches the Windows relationship name).
    pub name: String,
    /// Primary server.
    #[serde(default)]
    pub primary_server: Option<NestedRef>,
    /// Secondary server.
    #[serde(default)]
    pub secondary_server: Option<NestedRef>,
    /// `LoadBalance` or `HotStandby`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Maximum client lead time, seconds.
    #[serde(default)]
    pub max_client_lead_time: Option<u32>,
    /// Maximum response delay, seconds.
    #[serde(default)]
    pub max_response_delay: Option<u32>,
    /// State switchover interval, seconds (`None` = off).
    #[serde(default)]
    pub state_switchover_interval: Option<u32>,
    /// Whether the sync manages this relationship.
    #[serde(default)]
    pub sync_enabled: Option<bool>,
    /// Whether message authentication is on.
    #[serde(default)]
    pub enable_auth: Option<bool>,
    /// Tags.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<TagRef>,
}

/// Fields to write on a failover relationship.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DhcpFailoverWrite {
    /// Unique name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Primary server id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_server_id: Option<u64>,
    /// Secondary server id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_server_id: Option<u64>,
    /// `LoadBalance` or `HotStandby`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Maximum client lead time, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_client_lead_time: Option<u32>,
    /// Maximum response delay, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_response_delay: Option<u32>,
    /// State switchover interval (`Some(None)` turns it off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_switchover_interval: Option<Option<u32>>,
    /// Whether the sync manages it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_enabled: Option<bool>,
    /// Message authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_auth: Option<bool>,
    /// Shared secret (write-only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_secret: Option<WriteSecret>,
}

/// A DHCP option definition (`option-codes/`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OptionCodeDefinition {
    /// Primary key.
    pub id: u64,
    /// Option code (1–254).
    pub code: u16,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Data type (`String`, `IPAddress`, `IPAddressList`, `DWORD`, …).
    #[serde(default)]
    pub data_type: Option<String>,
    /// Description.
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    /// Seeded by the plugin (cannot be deleted).
    #[serde(default)]
    pub is_builtin: bool,
    /// Vendor class.
    #[serde(default, deserialize_with = "null_default")]
    pub vendor_class: String,
}

/// Fields to write on an option definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OptionCodeWrite {
    /// Option code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Data type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Vendor class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_class: Option<String>,
}

/// An option definition as nested in an option value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NestedOptionCode {
    /// Primary key.
    pub id: u64,
    /// Option code.
    #[serde(default)]
    pub code: Option<u16>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
}

/// An option value (`option-values/`), shareable between scopes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OptionValue {
    /// Primary key.
    pub id: u64,
    /// The option it sets.
    #[serde(default)]
    pub option_definition: Option<NestedOptionCode>,
    /// Value (several items joined by `", "`).
    #[serde(default)]
    pub value: String,
    /// Friendly name.
    #[serde(default, deserialize_with = "null_default")]
    pub friendly_name: String,
}

/// Fields to write on an option value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OptionValueWrite {
    /// Option definition id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option_definition_id: Option<u64>,
    /// Value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
}

/// A NetBox prefix as nested in a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NestedPrefix {
    /// Primary key.
    pub id: u64,
    /// The network.
    #[serde(default)]
    pub prefix: Option<IpNetwork>,
}

/// An exclusion range (`exclusion-ranges/`, and nested in scopes).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExclusionRange {
    /// Primary key.
    pub id: u64,
    /// The scope it belongs to (absent when nested inside that scope).
    #[serde(default)]
    pub scope: Option<NestedRef>,
    /// First excluded address.
    pub start_ip: IpAddr,
    /// Last excluded address.
    pub end_ip: IpAddr,
}

impl ExclusionRange {
    /// The range as a validated model range.
    pub fn range(&self) -> std::result::Result<IpRange, ModelError> {
        IpRange::new(self.start_ip, self.end_ip)
    }
}

/// Fields to write on an exclusion range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExclusionRangeWrite {
    /// Scope id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_id: Option<u64>,
    /// First excluded address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_ip: Option<IpAddr>,
    /// Last excluded address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_ip: Option<IpAddr>,
}

/// A DHCP scope (`scopes/`), bound to one server XOR one failover relationship.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Scope {
    /// Primary key.
    pub id: u64,
    /// Name (not unique).
    pub name: String,
    /// The NetBox prefix; its network address is the Windows scope id.
    #[serde(default)]
    pub prefix: Option<NestedPrefix>,
    /// First address handed out.
    pub start_ip: IpAddr,
    /// Last address handed out.
    pub end_ip: IpAddr,
    /// Default gateway (option 3).
    #[serde(default)]
    pub router: Option<IpAddr>,
    /// Lease lifetime in seconds (`0xFFFF_FFFF` = unlimited).
    #[serde(default)]
    pub lease_lifetime: Option<u64>,
    /// Standalone server.
    #[serde(default)]
    pub server: Option<NestedRef>,
    /// Failover relationship.
    #[serde(default)]
    pub failover: Option<NestedRef>,
    /// Option values of the scope.
    #[serde(default, deserialize_with = "null_default")]
    pub option_values: Vec<OptionValue>,
    /// Exclusion ranges of the scope.
    #[serde(default, deserialize_with = "null_default")]
    pub exclusion_ranges: Vec<ExclusionRange>,
    /// Tags.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<TagRef>,
}

impl Scope {
    /// The lease lifetime as a model value.
    pub fn lifetime(&self) -> Option<LeaseLifetime> {
        self.lease_lifetime.map(LeaseLifetime::from_secs)
    }

    /// The handed-out range as a validated model range.
    pub fn range(&self) -> std::result::Result<IpRange, ModelError> {
        IpRange::new(self.start_ip, self.end_ip)
    }

    /// The Windows scope id: the network address of the prefix.
    pub fn scope_network(&self) -> Option<IpAddr> {
        self.prefix
            .as_ref()
            .and_then(|p| p.prefix)
            .map(|n| n.network())
    }
}

/// Fields to write on a scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScopeWrite {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Prefix id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_id: Option<u64>,
    /// First address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_ip: Option<IpAddr>,
    /// Last address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_ip: Option<IpAddr>,
    /// Router (`Some(None)` clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub router: Option<Option<IpAddr>>,
    /// Lease lifetime, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_lifetime: Option<u64>,
    /// Server id (`Some(None)` unbinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_id: Option<Option<u64>>,
    /// Failover id (`Some(None)` unbinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover_id: Option<Option<u64>>,
    /// The complete set of option value ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option_value_ids: Option<Vec<u64>>,
}

impl ScopeWrite {
    /// Sets the lease lifetime from a model value.
    pub fn lifetime(mut self, l: LeaseLifetime) -> Self {
        self.lease_lifetime = Some(u64::from(l.as_dhcp_secs()));
        self
    }
}

/// DHCP state the sync keeps for an IP address (`lease-info/`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LeaseInfo {
    /// Primary key.
    pub id: u64,
    /// The IP address it describes.
    #[serde(default)]
    pub ip_address: Option<NestedRef>,
    /// Host name from the lease.
    #[serde(default, deserialize_with = "null_default")]
    pub lease_hostname: String,
    /// Whether the lease is active.
    #[serde(default)]
    pub active: bool,
    /// Expiry (ISO 8601; `None` for reservations).
    #[serde(default)]
    pub lease_expiration: Option<String>,
}

/// Fields to write on a lease info record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LeaseInfoWrite {
    /// IP address id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address_id: Option<u64>,
    /// Host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_hostname: Option<String>,
    /// Active flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Expiry (`Some(None)` clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_expiration: Option<Option<String>>,
}

/// The plugin's settings singleton (`settings/`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PluginSettings {
    /// Pull leases and reservations into IP addresses.
    #[serde(default)]
    pub sync_ip_addresses: bool,
    /// Status written for leases.
    #[serde(default)]
    pub lease_status: Option<String>,
    /// Status written for reservations.
    #[serde(default)]
    pub reservation_status: Option<String>,
    /// Push reservations from NetBox to Windows.
    #[serde(default)]
    pub push_reservations: bool,
    /// NetBox is the source of truth for scopes.
    #[serde(default)]
    pub push_scope_info: bool,
    /// Only sync active scopes.
    #[serde(default)]
    pub sync_active_scopes_only: bool,
    /// Minutes between syncs.
    #[serde(default)]
    pub sync_interval: Option<u32>,
    /// Job queue name.
    #[serde(default)]
    pub sync_queue: Option<String>,
    /// Job timeout, seconds.
    #[serde(default)]
    pub sync_job_timeout: Option<u32>,
    /// Tag shielding objects from the sync.
    #[serde(default)]
    pub sync_protect_tag: Option<TagRef>,
    /// Allow client-id updates on protected addresses.
    #[serde(default)]
    pub sync_protect_update_client_id: bool,
    /// Create missing prefixes on import.
    #[serde(default)]
    pub create_missing_prefixes: bool,
    /// Whether the plugin API is enabled.
    #[serde(default)]
    pub api_enabled: bool,
}

macro_rules! has_id {
    ($($t:ty),*) => {$(
        impl HasId for $t {
            fn id(&self) -> u64 {
                self.id
            }
        }
    )*};
}
has_id!(
    DhcpServer,
    DhcpFailover,
    OptionCodeDefinition,
    OptionValue,
    ExclusionRange,
    Scope,
    LeaseInfo
);

/// Handle on the plugin API. Get one with [`NetBoxClient::plugin`].
#[derive(Debug, Clone)]
pub struct PluginApi {
    client: NetBoxClient,
}

impl NetBoxClient {
    /// The Windows DHCP plugin API under the configured base path.
    pub fn plugin(&self) -> PluginApi {
        PluginApi {
            client: self.clone(),
        }
    }
}

impl PluginApi {
    fn ep<T>(&self, name: &str) -> Endpoint<T> {
        self.client
            .endpoint(format!("{}{name}/", self.client.inner.plugin_path))
    }

    /// `servers/`.
    pub fn servers(&self) -> Endpoint<DhcpServer> {
        self.ep("servers")
    }

    /// `failover/`.
    pub fn failovers(&self) -> Endpoint<DhcpFailover> {
        self.ep("failover")
    }

    /// `option-codes/`.
    pub fn option_codes(&self) -> Endpoint<OptionCodeDefinition> {
        self.ep("option-codes")
    }

    /// `option-values/`.
    pub fn option_values(&self) -> Endpoint<OptionValue> {
        self.ep("option-values")
    }

    /// `scopes/` (each with its nested `exclusion_ranges`).
    pub fn scopes(&self) -> Endpoint<Scope> {
        self.ep("scopes")
    }

    /// `exclusion-ranges/`.
    pub fn exclusion_ranges(&self) -> Endpoint<ExclusionRange> {
        self.ep("exclusion-ranges")
    }

    /// `lease-info/`.
    pub fn lease_info(&self) -> Endpoint<LeaseInfo> {
        self.ep("lease-info")
    }

    fn settings_path(&self) -> String {
        format!("{}settings/", self.client.inner.plugin_path)
    }

    /// `GET settings/`.
    pub async fn settings(&self) -> Result<Written<PluginSettings>> {
        let p = self.settings_path();
        let raw = self
            .client
            .send(http::Method::GET, self.client.url(&p)?, None, None)
            .await?;
        Ok(Written {
            value: self.client.decode(&p, &raw.body)?,
            meta: raw.meta,
        })
    }

    /// `PATCH settings/` with only the given keys (e.g. `{"push_reservations": true}`).
    pub async fn update_settings(
        &self,
        changes: &Map<String, Value>,
        opts: &WriteOptions,
    ) -> Result<Written<PluginSettings>> {
        let p = self.settings_path();
        let body = with_changelog(Value::Object(changes.clone()), self.client.changelog(opts));
        let bytes = self.client.encode(&body)?;
        let raw = self
            .client
            .send(
                http::Method::PATCH,
                self.client.url(&p)?,
                Some(bytes),
                opts.if_match.as_deref(),
            )
            .await?;
        Ok(Written {
            value: self.client.decode(&p, &raw.body)?,
            meta: raw.meta,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_serialize_but_do_not_print() {
        let w = DhcpServerWrite {
            name: Some("dc1".into()),
            api_key: Some(WriteSecret::new("app-token-123")),
            ..DhcpServerWrite::default()
        };
        assert!(!format!("{w:?}").contains("app-token-123"));
        assert_eq!(
            serde_json::to_value(&w).unwrap()["api_key"],
            "app-token-123"
        );
    }
}
