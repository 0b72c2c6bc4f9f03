//! Failover relationships between two Windows DHCP servers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::scope::ScopeId;
use crate::server::Secret;

/// This server's role in a hot-standby relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ServerRole {
    /// Serves clients.
    #[default]
    Active,
    /// Takes over when the active server fails.
    Standby,
}

impl FromStr for ServerRole {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" => Ok(ServerRole::Active),
            "standby" => Ok(ServerRole::Standby),
            _ => Err(ModelError::UnknownKeyword {
                kind: "failover server role",
                input: s.to_owned(),
            }),
        }
    }
}

/// Failover mode with its mode-specific parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "mode")]
pub enum FailoverMode {
    /// Both servers serve clients; this server answers `load_balance_percent` % (Windows default 50).
    LoadBalance {
        /// This server's share, 0–100.
        load_balance_percent: u8,
    },
    /// One server serves, the other waits.
    HotStandby {
        /// Addresses held back for the standby, 0–100 (Windows default 5).
        reserve_percent: u8,
        /// This server's role.
        server_role: ServerRole,
    },
}

impl FailoverMode {
    /// The Windows mode name: `LoadBalance` or `HotStandby`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            FailoverMode::LoadBalance { .. } => "LoadBalance",
            FailoverMode::HotStandby { .. } => "HotStandby",
        }
    }
}

impl Default for FailoverMode {
    /// Load balance 50/50.
    fn default() -> Self {
        FailoverMode::LoadBalance {
            load_balance_percent: 50,
        }
    }
}

/// Message authentication between the partners.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailoverAuth {
    /// No authentication. Serde: `"disabled"`.
    #[default]
    Disabled,
    /// Authenticated with a shared secret (never shown in `Debug`).
    /// Serde: `{"enabled": {"shared_secret": "…"}}` — the secret is serialised in clear, see [`Secret`].
    Enabled {
        /// The shared secret.
        shared_secret: Secret,
    },
}

impl fmt::Debug for FailoverAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailoverAuth::Disabled => f.write_str("Disabled"),
            FailoverAuth::Enabled { .. } => f.write_str("Enabled { shared_secret: [redacted] }"),
        }
    }
}

impl FailoverAuth {
    /// `true` if enabled.
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        matches!(self, FailoverAuth::Enabled { .. })
    }
}

fn default_true() -> bool {
    true
}

fn default_mclt() -> u64 {
    3_600
}

fn default_delay() -> u64 {
    30
}

/// The unvalidated parts of a [`Failover`] (also its serde shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverSpec {
    /// Relationship name (the key Windows and NetBox match on).
    pub name: String,
    /// The server this relationship was read from / is configured on.
    pub primary_server: String,
    /// The partner server.
    pub partner_server: String,
    /// Mode and parameters.
    #[serde(flatten)]
    pub mode: FailoverMode,
    /// Maximum client lead time, seconds (Windows default 3600).
    #[serde(default = "default_mclt")]
    pub mclt_secs: u64,
    /// Maximum response delay, seconds (Windows default 30).
    #[serde(default = "default_delay")]
    pub max_response_delay_secs: u64,
    /// Automatic switch to partner-down after this many seconds; `None` = off.
    #[serde(default)]
    pub state_switchover_interval_secs: Option<u64>,
    /// Authentication.
    #[serde(default)]
    pub auth: FailoverAuth,
    /// Scopes replicated by the relationship.
    #[serde(default)]
    pub scope_ids: Vec<ScopeId>,
    /// Whether the sync manages this relationship (default true).
    #[serde(default = "default_true")]
    pub sync_enabled: bool,
    /// Live state as Windows reports it (`Normal`, `CommunicationInterrupted`, …), if known.
    #[serde(default)]
    pub state: Option<String>,
}

/// A validated failover relationship.
///
/// Rules: name, primary and partner not blank (trimmed); primary and partner differ
/// (case-insensitive, as Windows host names are); percentages 0–100; enabled authentication has
/// a non-empty secret; a switchover interval of `Some(0)` is normalised to `None`;
/// `scope_ids` are sorted and deduplicated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FailoverSpec", into = "FailoverSpec")]
pub struct Failover {
    spec: FailoverSpec,
}

fn percent(field: &'static str, v: u8) -> Result<(), ModelError> {
    if v > 100 {
        return Err(ModelError::OutOfRange {
            field,
            value: u64::from(v),
            min: 0,
            max: 100,
        });
    }
    Ok(())
}

impl TryFrom<FailoverSpec> for Failover {
    type Error = ModelError;

    fn try_from(mut spec: FailoverSpec) -> Result<Self, Self::Error> {
        spec.name = spec.name.trim().to_owned();
        spec.primary_server = spec.primary_server.trim().to_owned();
        spec.partner_server = spec.partner_server.trim().to_owned();
        if spec.name.is_empty() {
            return Err(ModelError::EmptyField {
                field: "failover name",
            });
        }
        if spec.primary_server.is_empty() {
            return Err(ModelError::EmptyField {
                field: "failover primary server",
            });
        }
        if spec.partner_server.is_empty() {
            return Err(ModelError::EmptyField {
                field: "failover partner server",
            });
        }
        if spec
            .primary_server
            .eq_ignore_ascii_case(&spec.partner_server)
        {
            return Err(ModelError::SamePartner {
                name: spec.name,
                server: spec.partner_server,
            });
        }
        match spec.mode {
            FailoverMode::LoadBalance {
                load_balance_percent,
            } => {
                percent("load_balance_percent", load_balance_percent)?;
            }
            FailoverMode::HotStandby {
                reserve_percent, ..
            } => {
                percent("reserve_percent", reserve_percent)?;
            }
        }
        if let FailoverAuth::Enabled { shared_secret } = &spec.auth
            && shared_secret.is_empty()
        {
            return Err(ModelError::MissingSharedSecret { name: spec.name });
        }
        if spec.state_switchover_interval_secs == Some(0) {
            spec.state_switchover_interval_secs = None;
        }
        spec.scope_ids.sort();
        spec.scope_ids.dedup();
        spec.state = spec
            .state
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        Ok(Failover { spec })
    }
}

impl From<Failover> for FailoverSpec {
    fn from(f: Failover) -> Self {
        f.spec
    }
}

impl Failover {
    /// The parts, for editing and re-validating.
    #[must_use]
    pub fn to_spec(&self) -> FailoverSpec {
        self.spec.clone()
    }
    /// Relationship name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.spec.name
    }
    /// Primary (local) server.
    #[must_use]
    pub fn primary_server(&self) -> &str {
        &self.spec.primary_server
    }
    /// Partner server.
    #[must_use]
    pub fn partner_server(&self) -> &str {
        &self.spec.partner_server
    }
    /// Mode and parameters.
    #[must_use]
    pub fn mode(&self) -> FailoverMode {
        self.spec.mode
    }
    /// Maximum client lead time in seconds.
    #[must_use]
    pub fn mclt_secs(&self) -> u64 {
        self.spec.mclt_secs
    }
    /// Maximum response delay in seconds.
    #[must_use]
    pub fn max_response_delay_secs(&self) -> u64 {
        self.spec.max_response_delay_secs
    }
    /// Auto switchover interval in seconds, `None` when off.
    #[must_use]
    pub fn state_switchover_interval_secs(&self) -> Option<u64> {
        self.spec.state_switchover_interval_secs
    }
    /// Authentication.
    #[must_use]
    pub fn auth(&self) -> &FailoverAuth {
        &self.spec.auth
    }
    /// Replicated scopes, sorted.
    #[must_use]
    pub fn scope_ids(&self) -> &[ScopeId] {
        &self.spec.scope_ids
    }
    /// Whether the sync manages the relationship.
    #[must_use]
    pub fn sync_enabled(&self) -> bool {
        self.spec.sync_enabled
    }
    /// Live state, if known.
    #[must_use]
    pub fn state(&self) -> Option<&str> {
        self.spec.state.as_deref()
    }
    /// `true` if `server` is one of the two partners (case-insensitive).
    #[must_use]
    pub fn involves(&self, server: &str) -> bool {
        let s = server.trim();
        self.spec.primary_server.eq_ignore_ascii_case(s)
            || self.spec.partner_server.eq_ignore_ascii_case(s)
    }
}
