//! Secrets and PSU server connections.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ModelError;

/// A secret string (API token, failover shared secret).
///
/// `Debug` and `Display` print `[redacted]`; only [`Secret::expose`] gives the value.
/// [`Secret::new`] trims surrounding whitespace (a pasted token often carries a newline).
///
/// # Serde
///
/// Deserialises from a string (trimmed). **Serialises as the plain string**: this is needed to
/// write a server inventory file back. Do not serialise a `Secret` into logs, reports or API
/// answers; wrap it or skip the field there.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// A secret from a string, trimmed.
    pub fn new(value: impl Into<String>) -> Self {
        let s: String = value.into();
        Secret(s.trim().to_owned())
    }

    /// The secret value. Call only where it leaves the process on purpose (an HTTP header).
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `true` if the secret is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

fn default_port() -> u16 {
    443
}

/// How to reach one Windows DHCP server's PSU endpoints.
///
/// Serde defaults: `port` 443, `https` true, `verify_tls` true, `sync_standalone` true,
/// `token` empty, `ca_pem` none. Deserialisation validates (see [`ServerConnection::validate`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "crate::wire::ServerConnectionWire")]
pub struct ServerConnection {
    /// Display name (unique in an inventory); also the name [`crate::ScopeSource::Server`] refers to.
    pub name: String,
    /// Host name or IP address of the PSU server (no scheme, no port, no path).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Use HTTPS (default true).
    pub https: bool,
    /// PSU app token, sent as `Authorization: Bearer`.
    pub token: Secret,
    /// Verify the TLS certificate (default true).
    pub verify_tls: bool,
    /// A pinned CA / server certificate in PEM, trusted instead of the system store.
    pub ca_pem: Option<String>,
    /// Sync scopes that are not in a failover relationship (default true).
    pub sync_standalone: bool,
}

impl ServerConnection {
    /// A connection with the defaults (HTTPS on 443, TLS verified, standalone scopes synced).
    pub fn new(
        name: impl Into<String>,
        host: impl Into<String>,
        token: Secret,
    ) -> Result<Self, ModelError> {
        let c = ServerConnection {
            name: name.into().trim().to_owned(),
            host: host.into().trim().to_owned(),
            port: default_port(),
            https: true,
            token,
            verify_tls: true,
            ca_pem: None,
            sync_standalone: true,
        };
        c.validate()?;
        Ok(c)
    }

    /// Checks: name not blank; host not blank, without scheme, path, whitespace or port; port not 0.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.name.trim().is_empty() {
            return Err(ModelError::EmptyField {
                field: "server name",
            });
        }
        let host = self.host.as_str();
        let bad = |reason| ModelError::InvalidHost {
            host: host.to_owned(),
            reason,
        };
        if host.is_empty() {
            return Err(bad("empty"));
        }
        if host.contains("://") {
            return Err(bad("contains a scheme; set `https` instead"));
        }
        if host.contains(['/', '?', '#', '@']) || host.chars().any(char::is_whitespace) {
            return Err(bad("contains a path, query, user or whitespace"));
        }
        let is_v6 = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::Ipv6Addr>()
            .is_ok();
        if !is_v6 && host.contains(':') {
            return Err(bad("contains a port; set `port` instead"));
        }
        if self.port == 0 {
            return Err(ModelError::OutOfRange {
                field: "port",
                value: 0,
                min: 1,
                max: 65_535,
            });
        }
        Ok(())
    }

    /// The origin, `https://host:port` (IPv6 hosts in brackets). No trailing slash, no path.
    #[must_use]
    pub fn base_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<std::net::Ipv6Addr>().is_ok() {
            format!("{scheme}://[{bare}]:{}", self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }

    /// The DHCP endpoint root, `base_url() + "/api/dhcp"`.
    #[must_use]
    pub fn api_base_url(&self) -> String {
        format!("{}/api/dhcp", self.base_url())
    }
}
