//! The tools' TOML configuration file (see `examples/data/windhcp.example.toml`).
//!
//! Secrets never come from the command line or the file itself: every token is read from an
//! environment variable (`token_env`) or a file (`token_file`, e.g. a container secret), and is
//! held in a [`Secret`] that prints as `[redacted]`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use netbox_windhcp::model::{Secret, ServerConnection};
use netbox_windhcp::sync::inventory_file::InventoryDocument;
use netbox_windhcp::sync::snapshot::SyncSettings;
use serde::Deserialize;

/// The error type of the tools: a message for a human.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// `Result` with [`Error`].
pub type Fallible<T> = Result<T, Error>;

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where NetBox is. Without it, the IPAM side is an in-memory store (dry runs, demos).
    #[serde(default)]
    pub netbox: Option<NetBoxConfig>,
    /// Where the sync's own objects live.
    #[serde(default)]
    pub inventory: InventoryConfig,
    /// The sync settings. When present they replace the settings stored in the inventory.
    #[serde(default)]
    pub settings: Option<SyncSettings>,
    /// Tuning.
    #[serde(default)]
    pub run: RunConfig,
    /// The DHCP servers (PSU endpoints).
    #[serde(default)]
    pub servers: Vec<ServerConfig>,
    /// Per-failover sync toggles (failovers are created by an import, with sync off).
    #[serde(default)]
    pub failovers: Vec<FailoverConfig>,
}

/// `[netbox]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetBoxConfig {
    /// Base URL, e.g. `https://netbox.example.com/`.
    pub url: String,
    /// Environment variable holding the API token (default `NETBOX_TOKEN`).
    #[serde(default)]
    pub token_env: Option<String>,
    /// File holding the API token.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Verify the TLS certificate.
    #[serde(default = "yes")]
    pub verify_tls: bool,
    /// Request timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

/// `[inventory]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryConfig {
    /// The inventory file (JSON, written atomically).
    #[serde(default = "default_inventory_file")]
    pub file: PathBuf,
}

impl Default for InventoryConfig {
    fn default() -> Self {
        Self {
            file: default_inventory_file(),
        }
    }
}

/// `[run]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Servers read and written at the same time.
    #[serde(default = "default_concurrency")]
    pub server_concurrency: usize,
    /// IP addresses per NetBox bulk request.
    #[serde(default = "default_chunk")]
    pub ipam_chunk_size: usize,
    /// Start of every NetBox change-log message.
    #[serde(default = "default_changelog")]
    pub changelog_prefix: String,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            server_concurrency: default_concurrency(),
            ipam_chunk_size: default_chunk(),
            changelog_prefix: default_changelog(),
        }
    }
}

/// One `[[servers]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Inventory name (what failovers report as primary/partner, usually the FQDN).
    pub name: String,
    /// Host to connect to (default: `name`).
    #[serde(default)]
    pub host: Option<String>,
    /// TCP port.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Use HTTPS.
    #[serde(default = "yes")]
    pub https: bool,
    /// Verify the TLS certificate.
    #[serde(default = "yes")]
    pub verify_tls: bool,
    /// A PEM file with the CA (or the server certificate) to trust.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Environment variable holding the PSU app token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// File holding the PSU app token.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Sync this server's standalone scopes.
    #[serde(default = "yes")]
    pub sync_standalone: bool,
}

/// One `[[failovers]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailoverConfig {
    /// The relationship name as Windows reports it.
    pub name: String,
    /// Sync the relationship's scopes (through its primary).
    #[serde(default = "yes")]
    pub sync_enabled: bool,
}

fn yes() -> bool {
    true
}
fn default_timeout() -> u64 {
    60
}
fn default_port() -> u16 {
    443
}
fn default_concurrency() -> usize {
    4
}
fn default_chunk() -> usize {
    500
}
fn default_changelog() -> String {
    "netbox-windhcp sync".to_owned()
}
fn default_inventory_file() -> PathBuf {
    PathBuf::from("windhcp-inventory.json")
}

impl Config {
    /// Read and check a configuration file.
    pub fn load(path: &Path) -> Fallible<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()).into())
    }

    /// Parse and check configuration text. Relative paths stay relative to the working
    /// directory.
    pub fn parse(text: &str) -> Fallible<Self> {
        // The parser's own message quotes the offending line, which could hold a token
        // pasted by mistake: report the line number and the reason only.
        let config: Self = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .and_then(|span| text.get(..span.start))
                .map(|before| before.matches('\n').count() + 1);
            match line {
                Some(line) => format!("line {line}: {}", e.message().trim()),
                None => e.message().trim().to_owned(),
            }
        })?;
        let mut names = std::collections::BTreeSet::new();
        for server in &config.servers {
            if !names.insert(server.name.as_str()) {
                return Err(format!("server {:?} is listed twice", server.name).into());
            }
            if server.token_env.is_some() && server.token_file.is_some() {
                return Err(format!(
                    "server {:?}: set token_env or token_file, not both",
                    server.name
                )
                .into());
            }
        }
        if config.run.server_concurrency == 0 || config.run.ipam_chunk_size == 0 {
            return Err("run.server_concurrency and run.ipam_chunk_size must be at least 1".into());
        }
        Ok(config)
    }

    /// The servers to act on: all, or only `only` (which must be configured).
    pub fn selected_servers(&self, only: Option<&str>) -> Fallible<Vec<&ServerConfig>> {
        match only {
            None => Ok(self.servers.iter().collect()),
            Some(name) => self
                .servers
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(name))
                .map(|s| vec![s])
                .ok_or_else(|| format!("server {name:?} is not in the configuration").into()),
        }
    }

    /// Bring the inventory document in line with the configuration: every configured server
    /// exists with its standalone flag, configured failover toggles are set, and the settings
    /// are replaced when the file has a `[settings]` table. Returns whether anything changed.
    pub fn apply_to(&self, doc: &mut InventoryDocument) -> bool {
        let before = doc.clone();
        for server in &self.servers {
            doc.upsert_server(&server.name, server.sync_standalone);
        }
        for failover in &self.failovers {
            if let Some(existing) = doc.inventory.failovers.get_mut(&failover.name) {
                existing.sync_enabled = failover.sync_enabled;
            } else {
                tracing::info!(
                    failover = %failover.name,
                    "failover not in the inventory yet (an import creates it)"
                );
            }
        }
        if let Some(settings) = &self.settings {
            doc.settings = settings.clone();
        }
        *doc != before
    }
}

impl NetBoxConfig {
    /// The API token, from `token_file`, `token_env` or `NETBOX_TOKEN`.
    pub fn token(&self) -> Fallible<Secret> {
        let env = self.token_env.as_deref().unwrap_or("NETBOX_TOKEN");
        read_secret("netbox", Some(env), self.token_file.as_deref())
    }

    /// The request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }
}

impl ServerConfig {
    /// The connection, with its token read from the environment or a file.
    pub fn connection(&self) -> Fallible<ServerConnection> {
        let token = read_secret(
            &self.name,
            self.token_env.as_deref(),
            self.token_file.as_deref(),
        )?;
        let host = self.host.clone().unwrap_or_else(|| self.name.clone());
        let mut conn = ServerConnection::new(&self.name, host, token)
            .map_err(|e| format!("server {:?}: {e}", self.name))?;
        conn.port = self.port;
        conn.https = self.https;
        conn.verify_tls = self.verify_tls;
        conn.sync_standalone = self.sync_standalone;
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "server {:?}: cannot read {}: {e}",
                    self.name,
                    path.display()
                )
            })?;
            conn.ca_pem = Some(pem);
        }
        conn.validate()
            .map_err(|e| format!("server {:?}: {e}", self.name))?;
        Ok(conn)
    }
}

/// A secret from a file (first) or an environment variable. The value is trimmed; an empty
/// value is an error. The error names the source, never the value.
pub fn read_secret(owner: &str, env: Option<&str>, file: Option<&Path>) -> Fallible<Secret> {
    let value = if let Some(path) = file {
        std::fs::read_to_string(path).map_err(|e| {
            format!(
                "{owner}: cannot read token file {}: {}",
                path.display(),
                e.kind()
            )
        })?
    } else if let Some(var) = env {
        std::env::var(var).map_err(|_| format!("{owner}: environment variable {var} is not set"))?
    } else {
        return Err(format!("{owner}: set token_env or token_file").into());
    };
    let secret = Secret::new(value);
    if secret.is_empty() {
        return Err(format!("{owner}: the token is empty").into());
    }
    Ok(secret)
}
