//! Client configuration: token, retry policy, injectable sleeping, the builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::client::NetBoxClient;
use crate::error::{Error, Result};

/// The largest page NetBox serves by default (`MAX_PAGE_SIZE`).
pub const DEFAULT_PAGE_SIZE: usize = 1000;
/// Records per bulk write request by default.
pub const DEFAULT_BULK_CHUNK: usize = 250;
/// Largest bulk request body we send (NetBox's `DATA_UPLOAD_MAX_MEMORY_SIZE` is 2.5 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Default base path of the Windows DHCP plugin API.
pub const DEFAULT_PLUGIN_PATH: &str = "api/plugins/windows-dhcp/";

/// A NetBox API token. The secret never appears in `Debug` or `Display`.
///
/// v2 tokens (`nbt_<key>.<secret>`) are sent as `Authorization: Bearer …`, v1 tokens (40 hex
/// characters) as `Authorization: Token …`.
#[derive(Clone)]
pub struct Token(SecretString);

impl Token {
    /// Wraps a raw token (with or without a `Bearer `/`Token ` keyword in front).
    pub fn new(raw: impl Into<String>) -> Self {
        let raw: String = raw.into();
        let trimmed = raw.trim();
        let bare = ["Bearer ", "bearer ", "Token ", "token "]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p))
            .unwrap_or(trimmed);
        Token(SecretString::from(bare.trim().to_owned()))
    }

    /// Whether this is a v2 token (`nbt_` prefix).
    pub fn is_v2(&self) -> bool {
        self.0.expose_secret().starts_with("nbt_")
    }

    /// The `Authorization` header value (marked sensitive so HTTP logging skips it).
    pub(crate) fn header_value(&self) -> Result<http::HeaderValue> {
        let scheme = if self.is_v2() { "Bearer" } else { "Token" };
        let mut v = http::HeaderValue::from_str(&format!("{scheme} {}", self.0.expose_secret()))
            .map_err(|_| {
                Error::Config("the token contains characters not allowed in a header".into())
            })?;
        v.set_sensitive(true);
        Ok(v)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Token({}, <redacted>)",
            if self.is_v2() { "v2" } else { "v1" }
        )
    }
}

/// A boxed future that completes after a delay.
pub use windhcp_http_retry::SleepFuture;
/// How the client waits between retries (shared with the PSU client). Inject a fake in tests so
/// they don't sleep.
pub use windhcp_http_retry::Sleeper;
/// The real sleeper (`tokio::time::sleep`).
pub use windhcp_http_retry::TokioSleeper;

/// When and how often a request is retried.
///
/// Only requests that are safe to repeat are retried: reads (`GET`) on 429/502/503/504 and
/// timeouts; writes only when NetBox certainly did not apply them (connection refused before
/// sending, or 429, which NetBox answers before doing any work).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// First backoff delay; doubles each retry.
    pub base_delay: Duration,
    /// Upper bound of one backoff delay (and of an honoured `Retry-After`).
    pub max_delay: Duration,
    /// Randomise each delay to 50–100 % of its value, so parallel clients spread out.
    pub jitter: bool,
    /// Wait as long as the server's `Retry-After` says (capped by `max_delay`).
    pub honour_retry_after: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            jitter: true,
            honour_retry_after: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The delay before retry number `attempt` (0-based), given an optional `Retry-After`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if self.honour_retry_after
            && let Some(ra) = retry_after
        {
            return ra.min(self.max_delay);
        }
        let base = windhcp_http_retry::backoff(self.base_delay, attempt, self.max_delay);
        if self.jitter {
            let frac: f64 = rand::random_range(0.5..=1.0);
            base.mul_f64(frac)
        } else {
            base
        }
    }
}

/// Builds a [`NetBoxClient`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    pub(crate) base_url: String,
    pub(crate) token: Option<Token>,
    pub(crate) verify_tls: bool,
    pub(crate) ca_pem: Option<Vec<u8>>,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) sleeper: Arc<dyn Sleeper>,
    pub(crate) max_concurrency: usize,
    pub(crate) page_size: usize,
    pub(crate) bulk_chunk: usize,
    pub(crate) bulk_parallelism: usize,
    pub(crate) max_body_bytes: usize,
    pub(crate) changelog_message: Option<String>,
    pub(crate) plugin_path: String,
    pub(crate) user_agent: String,
}

impl ClientBuilder {
    /// Starts a builder for the NetBox at `base_url` (e.g. `https://netbox.example.com/`;
    /// a sub-path such as `https://host/netbox/` works too).
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientBuilder {
            base_url: base_url.into(),
            token: None,
            verify_tls: true,
            ca_pem: None,
            timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            sleeper: Arc::new(TokioSleeper),
            max_concurrency: 4,
            page_size: DEFAULT_PAGE_SIZE,
            bulk_chunk: DEFAULT_BULK_CHUNK,
            bulk_parallelism: 1,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            changelog_message: None,
            plugin_path: DEFAULT_PLUGIN_PATH.to_owned(),
            user_agent: concat!("windhcp-netbox-client/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    /// The API token (v1 or v2; the scheme is chosen by the `nbt_` prefix).
    pub fn token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }

    /// Turns TLS certificate verification off (default: on). For lab use only.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.verify_tls = !accept;
        self
    }

    /// Trusts only the CA certificate(s) in this PEM bundle (for an internal CA).
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Whole-request timeout (default 300 s: a bulk write of 1000 objects takes ~30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// TCP/TLS connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How to wait between retries (tests inject one that does not sleep).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// Most requests in flight at once from this client (default 4; at least 1).
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n.max(1);
        self
    }

    /// Objects per list page (1–1000, default 1000; NetBox caps it at its `MAX_PAGE_SIZE`).
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.clamp(1, DEFAULT_PAGE_SIZE);
        self
    }

    /// Records per bulk write request (default 250, at least 1). Smaller chunks keep each
    /// request well inside the timeout; NetBox gains nothing from chunks above ~1000.
    pub fn bulk_chunk(mut self, n: usize) -> Self {
        self.bulk_chunk = n.max(1);
        self
    }

    /// Bulk chunks sent at once (default 1). NetBox is CPU-bound per object written, so on a
    /// small server parallel chunks only compete (measured: 4 parallel 500-record deletes on 2
    /// cores ran past a 300 s timeout). Also capped by [`ClientBuilder::max_concurrency`].
    pub fn bulk_parallelism(mut self, n: usize) -> Self {
        self.bulk_parallelism = n.max(1);
        self
    }

    /// Largest bulk request body in bytes (default 2 MiB, below NetBox's 2.5 MiB limit).
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n.max(1024);
        self
    }

    /// The change-log message attached to every write unless a call overrides it.
    pub fn changelog_message(mut self, message: impl Into<String>) -> Self {
        self.changelog_message = Some(message.into());
        self
    }

    /// Base path of the Windows DHCP plugin API (default `api/plugins/windows-dhcp/`).
    pub fn plugin_path(mut self, path: impl Into<String>) -> Self {
        self.plugin_path = path.into();
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<NetBoxClient> {
        let mut base = Url::parse(&self.base_url)
            .map_err(|e| Error::Config(format!("bad base URL {:?}: {e}", self.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "unsupported URL scheme {:?}",
                base.scheme()
            )));
        }
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        base.set_query(None);
        base.set_fragment(None);
        let token = self
            .token
            .clone()
            .ok_or_else(|| Error::Config("no API token given".into()))?;
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, token.header_value()?);
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        let mut rb = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(self.user_agent.clone())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(self.max_concurrency.max(4))
            .tls_danger_accept_invalid_certs(!self.verify_tls);
        if let Some(pem) = &self.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| Error::Config(format!("cannot read the CA PEM: {e}")))?;
            if certs.is_empty() {
                return Err(Error::Config("the CA PEM holds no certificate".into()));
            }
            rb = rb.tls_certs_only(certs);
        }
        let http = rb
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        let mut plugin = self.plugin_path.trim_start_matches('/').to_owned();
        if !plugin.ends_with('/') {
            plugin.push('/');
        }
        Ok(NetBoxClient::from_parts(self, base, http, plugin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_scheme_and_redaction() {
        let v2 = Token::new("nbt_abcdefghijkl.0123456789012345678901234567890123456789");
        assert!(v2.is_v2());
        assert!(
            v2.header_value()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("Bearer nbt_")
        );
        let v1 = Token::new("Token 0123456789abcdef0123456789abcdef01234567");
        assert!(!v1.is_v2());
        assert_eq!(
            v1.header_value().unwrap().to_str().unwrap(),
            "Token 0123456789abcdef0123456789abcdef01234567"
        );
        let dbg = format!("{v1:?} {v2:?}");
        assert!(!dbg.contains("0123456789"), "{dbg}");
        let b = ClientBuilder::new("http://x/").token(v2);
        assert!(!format!("{b:?}").contains("abcdefghijkl"));
    }

    #[test]
    fn backoff_grows_caps_and_honours_retry_after() {
        let p = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        };
        assert_eq!(p.delay(0, None), Duration::from_millis(250));
        assert_eq!(p.delay(2, None), Duration::from_millis(1000));
        assert_eq!(p.delay(30, None), Duration::from_secs(30));
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(700))),
            Duration::from_secs(30)
        );
        let j = RetryPolicy::default();
        for _ in 0..50 {
            let d = j.delay(1, None);
            assert!(
                d >= Duration::from_millis(250) && d <= Duration::from_millis(500),
                "{d:?}"
            );
        }
    }

    #[test]
    fn build_rejects_bad_config() {
        assert!(matches!(
            ClientBuilder::new("not a url").build(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            ClientBuilder::new("http://x/").build(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            ClientBuilder::new("ftp://x/")
                .token(Token::new("a"))
                .build(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            ClientBuilder::new("http://x/")
                .token(Token::new("a"))
                .ca_pem("nope")
                .build(),
            Err(Error::Config(_))
        ));
    }
}
