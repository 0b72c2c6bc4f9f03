//! Serde shapes that differ from the validated domain types.
//!
//! Deserialisation goes wire → `TryFrom` → domain type, so serde can never build an invalid
//! value; serialisation goes domain → wire. These types are public so other crates can name the
//! JSON shapes, but they carry no invariants of their own.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::option::{OptionCode, OptionData, OptionDataType, OptionValue};
use crate::range::IpRange;
use crate::scope::ScopeSource;
use crate::server::{Secret, ServerConnection};
use crate::settings::{JobQueue, JobTimeout, Settings, SyncInterval};

/// `{"start": …, "end": …}` of an [`IpRange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpRangeWire {
    /// First address.
    pub start: IpAddr,
    /// Last address.
    pub end: IpAddr,
}

impl TryFrom<IpRangeWire> for IpRange {
    type Error = ModelError;
    fn try_from(w: IpRangeWire) -> Result<Self, Self::Error> {
        IpRange::new(w.start, w.end)
    }
}

impl From<IpRange> for IpRangeWire {
    fn from(r: IpRange) -> Self {
        IpRangeWire {
            start: r.start(),
            end: r.end(),
        }
    }
}

/// `{"server": …, "failover": …}` of a [`ScopeSource`]: exactly one must be a non-blank string.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScopeSourceWire {
    /// Standalone server name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Failover relationship name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<String>,
}

impl TryFrom<ScopeSourceWire> for ScopeSource {
    type Error = ModelError;
    fn try_from(w: ScopeSourceWire) -> Result<Self, Self::Error> {
        let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        match (clean(w.server), clean(w.failover)) {
            (Some(s), None) => Ok(ScopeSource::Server(s)),
            (None, Some(f)) => Ok(ScopeSource::Failover(f)),
            (Some(_), Some(_)) => Err(ModelError::InvalidScopeSource { got: "both" }),
            (None, None) => Err(ModelError::InvalidScopeSource { got: "neither" }),
        }
    }
}

impl From<ScopeSource> for ScopeSourceWire {
    fn from(s: ScopeSource) -> Self {
        match s {
            ScopeSource::Server(n) => ScopeSourceWire {
                server: Some(n),
                failover: None,
            },
            ScopeSource::Failover(n) => ScopeSourceWire {
                server: None,
                failover: Some(n),
            },
        }
    }
}

/// The JSON shape of an [`OptionValue`].
///
/// `data_type` accepts every spelling [`OptionDataType`]'s `FromStr` does and may be omitted for
/// predefined codes in the default class. `value` is the text form or a JSON array of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionValueWire {
    /// Option code.
    pub code: u8,
    /// Vendor class, `None` for the standard class.
    #[serde(default)]
    pub vendor_class: Option<String>,
    /// User class, `None` for the default user class.
    #[serde(default)]
    pub user_class: Option<String>,
    /// Data type name (serialised as the `Display` form, e.g. `IPv4Address[]`).
    #[serde(default)]
    pub data_type: Option<String>,
    /// The value: text form or array.
    pub value: serde_json::Value,
}

impl TryFrom<OptionValueWire> for OptionValue {
    type Error = ModelError;
    fn try_from(w: OptionValueWire) -> Result<Self, Self::Error> {
        let code = OptionCode::from(w.code);
        let data_type = match &w.data_type {
            Some(t) => t.parse::<OptionDataType>()?,
            None => code.data_type().ok_or_else(|| ModelError::UnknownKeyword {
                kind: "option code without a predefined type (give data_type)",
                input: w.code.to_string(),
            })?,
        };
        let data = OptionData::from_json(data_type, &w.value)?;
        OptionValue::with_classes(code, w.vendor_class, w.user_class, data)
    }
}

impl From<OptionValue> for OptionValueWire {
    fn from(v: OptionValue) -> Self {
        OptionValueWire {
            code: v.code().code(),
            vendor_class: v.vendor_class().map(str::to_owned),
            user_class: v.user_class().map(str::to_owned),
            data_type: Some(v.data().data_type().to_string()),
            value: serde_json::Value::String(v.data().format()),
        }
    }
}

fn default_true() -> bool {
    true
}
fn default_port() -> u16 {
    443
}

/// The JSON shape of a [`ServerConnection`] (same fields, with defaults, unvalidated).
#[derive(Debug, Clone, Deserialize)]
pub struct ServerConnectionWire {
    /// See [`ServerConnection::name`].
    pub name: String,
    /// See [`ServerConnection::host`].
    pub host: String,
    /// See [`ServerConnection::port`].
    #[serde(default = "default_port")]
    pub port: u16,
    /// See [`ServerConnection::https`].
    #[serde(default = "default_true")]
    pub https: bool,
    /// See [`ServerConnection::token`].
    #[serde(default)]
    pub token: Secret,
    /// See [`ServerConnection::verify_tls`].
    #[serde(default = "default_true")]
    pub verify_tls: bool,
    /// See [`ServerConnection::ca_pem`].
    #[serde(default)]
    pub ca_pem: Option<String>,
    /// See [`ServerConnection::sync_standalone`].
    #[serde(default = "default_true")]
    pub sync_standalone: bool,
}

impl TryFrom<ServerConnectionWire> for ServerConnection {
    type Error = ModelError;
    fn try_from(w: ServerConnectionWire) -> Result<Self, Self::Error> {
        let c = ServerConnection {
            name: w.name.trim().to_owned(),
            host: w.host.trim().to_owned(),
            port: w.port,
            https: w.https,
            token: w.token,
            verify_tls: w.verify_tls,
            ca_pem: w.ca_pem.filter(|p| !p.trim().is_empty()),
            sync_standalone: w.sync_standalone,
        };
        c.validate()?;
        Ok(c)
    }
}

/// The JSON shape of [`Settings`]: every field optional with the default of [`Settings::default`].
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct SettingsWire {
    pub sync_ip_addresses: bool,
    pub push_reservations: bool,
    pub push_scope_info: bool,
    pub reservation_placeholders: bool,
    pub sync_interval: SyncInterval,
    pub sync_job_timeout: JobTimeout,
    pub queue: JobQueue,
    pub protected_tag: Option<String>,
    pub update_client_id_for_protected: bool,
    pub create_missing_prefixes: bool,
    pub lease_status: String,
    pub reservation_status: String,
}

impl Default for SettingsWire {
    fn default() -> Self {
        let d = Settings::default();
        SettingsWire {
            sync_ip_addresses: d.sync_ip_addresses,
            push_reservations: d.push_reservations,
            push_scope_info: d.push_scope_info,
            reservation_placeholders: d.reservation_placeholders,
            sync_interval: d.sync_interval,
            sync_job_timeout: d.sync_job_timeout,
            queue: d.queue,
            protected_tag: d.protected_tag,
            update_client_id_for_protected: d.update_client_id_for_protected,
            create_missing_prefixes: d.create_missing_prefixes,
            lease_status: d.lease_status,
            reservation_status: d.reservation_status,
        }
    }
}

impl TryFrom<SettingsWire> for Settings {
    type Error = ModelError;
    fn try_from(w: SettingsWire) -> Result<Self, Self::Error> {
        let s = Settings {
            sync_ip_addresses: w.sync_ip_addresses,
            push_reservations: w.push_reservations,
            push_scope_info: w.push_scope_info,
            reservation_placeholders: w.reservation_placeholders,
            sync_interval: w.sync_interval,
            sync_job_timeout: w.sync_job_timeout,
            queue: w.queue,
            protected_tag: w
                .protected_tag
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            update_client_id_for_protected: w.update_client_id_for_protected,
            create_missing_prefixes: w.create_missing_prefixes,
            lease_status: w.lease_status.trim().to_owned(),
            reservation_status: w.reservation_status.trim().to_owned(),
        };
        s.validate()?;
        Ok(s)
    }
}
