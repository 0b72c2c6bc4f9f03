//! Client configuration and the HTTP transport (auth, timeouts, retries, tracing, decoding).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::error::{Endpoint, PsuError, Result};
use crate::retry::{RetryPolicy, Sleeper, TokioSleeper, parse_retry_after};

/// Default PSU port (PowerShell Universal's default HTTPS listener).
pub const DEFAULT_PORT: u16 = 443;
/// Default path prefix of the DHCP endpoints.
pub const DEFAULT_BASE_PATH: &str = "/api/dhcp";
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default whole-request timeout (bulk reads of large servers take a while in PowerShell).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Builds a [`PsuClient`]. HTTPS and certificate verification are on by default.
pub struct PsuClientBuilder {
    host: String,
    port: Option<u16>,
    https: bool,
    base_path: String,
    token: Option<SecretString>,
    verify_tls: bool,
    extra_ca_pem: Option<Vec<u8>>,
    connect_timeout: Duration,
    request_timeout: Duration,
    retry: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
}

impl fmt::Debug for PsuClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PsuClientBuilder")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("https", &self.https)
            .field("base_path", &self.base_path)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("verify_tls", &self.verify_tls)
            .field("extra_ca_pem", &self.extra_ca_pem.as_ref().map(Vec::len))
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl PsuClientBuilder {
    /// Starts a builder for `host` (a DNS name, IPv4 or IPv6 literal; no scheme, no port).
    pub fn new(host: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: None,
            https: true,
            base_path: DEFAULT_BASE_PATH.to_owned(),
            token: None,
            verify_tls: true,
            extra_ca_pem: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            sleeper: Arc::new(TokioSleeper),
        }
    }

    /// TCP port; defaults to 443 with HTTPS and 80 without.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Use HTTPS (default `true`).
    #[must_use]
    pub fn https(mut self, https: bool) -> Self {
        self.https = https;
        self
    }

    /// Path prefix of the DHCP endpoints (default `/api/dhcp`).
    #[must_use]
    pub fn base_path(mut self, path: impl Into<String>) -> Self {
        self.base_path = path.into();
        self
    }

    /// PSU app token, sent as `Authorization: Bearer <token>` (surrounding whitespace is
    /// trimmed; an empty token means "no token").
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        let raw: String = token.into();
        let trimmed = raw.trim();
        self.token = (!trimmed.is_empty()).then(|| SecretString::from(trimmed.to_owned()));
        self
    }

    /// PSU app token given as a secret already.
    #[must_use]
    pub fn token_secret(self, token: &SecretString) -> Self {
        self.token(token.expose_secret())
    }

    /// Verify the server certificate (default `true`). Turn off only for lab servers with
    /// self-signed certificates; prefer [`extra_ca_pem`](Self::extra_ca_pem).
    #[must_use]
    pub fn verify_tls(mut self, verify: bool) -> Self {
        self.verify_tls = verify;
        self
    }

    /// Trust these PEM certificates (e.g. an internal CA) in addition to the platform roots.
    #[must_use]
    pub fn extra_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_ca_pem = Some(pem.into());
        self
    }

    /// Connect timeout (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whole-request timeout per attempt (default 120 s).
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Retry policy for idempotent requests (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Replaces the sleeper used between retries (tests inject a recording one).
    #[must_use]
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The base URL the client will use, e.g. `https://dhcp01:443/api/dhcp/`.
    ///
    /// # Errors
    /// [`PsuError::InvalidConfig`] for an empty or malformed host.
    pub fn base_url(&self) -> Result<Url> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err(invalid("host is empty"));
        }
        if host.contains("://") || host.contains('/') || host.contains('@') {
            return Err(invalid(format!(
                "host `{host}` must be a bare host name or IP address (no scheme, path or user)"
            )));
        }
        let host_part = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let scheme = if self.https { "https" } else { "http" };
        let port = self
            .port
            .unwrap_or(if self.https { DEFAULT_PORT } else { 80 });
        let path = self.base_path.trim().trim_matches('/');
        let text = if path.is_empty() {
            format!("{scheme}://{host_part}:{port}/")
        } else {
            format!("{scheme}://{host_part}:{port}/{path}/")
        };
        let url = Url::parse(&text).map_err(|e| invalid(format!("bad base URL: {e}")))?;
        if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(format!("bad base URL `{text}`")));
        }
        Ok(url)
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`PsuError::InvalidConfig`] for a bad host, an unreadable CA or a TLS setup failure.
    pub fn build(self) -> Result<PsuClient> {
        let base = self.base_url()?;
        if self.request_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(invalid("timeouts must be greater than zero"));
        }
        let mut http = reqwest::Client::builder()
            .user_agent(concat!("windhcp-psu-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .tls_danger_accept_invalid_certs(!self.verify_tls);
        if let Some(pem) = &self.extra_ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| invalid(format!("extra CA is not valid PEM: {e}")))?;
            if certs.is_empty() {
                return Err(invalid("extra CA PEM contains no certificate"));
            }
            http = http.tls_certs_merge(certs);
        }
        let http = http
            .build()
            .map_err(|e| invalid(format!("cannot set up HTTP client: {e}")))?;
        let auth = match &self.token {
            Some(token) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                    .map_err(|_| invalid("token contains characters not allowed in a header"))?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        Ok(PsuClient {
            inner: Arc::new(Inner {
                http,
                base,
                auth,
                retry: self.retry,
                sleeper: self.sleeper,
            }),
        })
    }
}

fn invalid(reason: impl Into<String>) -> PsuError {
    PsuError::InvalidConfig {
        reason: reason.into(),
    }
}

/// Async client for the PSU DHCP endpoints. Cheap to clone (shared connection pool).
#[derive(Clone)]
pub struct PsuClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    /// `Bearer <token>`, marked sensitive.
    auth: Option<HeaderValue>,
    retry: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
}

impl fmt::Debug for PsuClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PsuClient")
            .field("base_url", &self.inner.base.as_str())
            .field("token", &self.inner.auth.as_ref().map(|_| "[REDACTED]"))
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// One logical request (possibly sent several times).
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) segments: Vec<String>,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) idempotent: bool,
}

impl Call {
    pub(crate) fn new(method: Method, segments: &[&str]) -> Self {
        let idempotent = matches!(method, Method::GET | Method::HEAD);
        Self {
            method,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: None,
            idempotent,
        }
    }

    pub(crate) fn segment(mut self, segment: impl Into<String>) -> Self {
        self.segments.push(segment.into());
        self
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    pub(crate) fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    pub(crate) fn json<B: serde::Serialize + ?Sized>(mut self, body: &B) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| PsuError::InvalidRequest {
            endpoint: Endpoint::new(method_name(&self.method), self.segments.join("/")),
            reason: format!("cannot encode body: {e}"),
        })?;
        self.body = Some(bytes);
        Ok(self)
    }
}

/// A successful response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) endpoint: Endpoint,
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        _ => "OTHER",
    }
}

impl PsuClient {
    /// Starts a builder for `host`.
    pub fn builder(host: impl Into<String>) -> PsuClientBuilder {
        PsuClientBuilder::new(host)
    }

    /// The base URL of the DHCP endpoints (ends with `/`).
    #[must_use]
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    pub(crate) fn url_for(&self, call: &Call) -> Result<Url> {
        let mut url = self.inner.base.clone();
        {
            let mut segs = url
                .path_segments_mut()
                .map_err(|()| PsuError::InvalidConfig {
                    reason: "base URL cannot have path segments".into(),
                })?;
            segs.pop_if_empty();
            for s in &call.segments {
                segs.push(s);
            }
        }
        if !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    /// Sends `call`, retrying idempotent calls on transient failures; returns the 2xx reply.
    pub(crate) async fn send(&self, call: &Call) -> Result<Reply> {
        let url = self.url_for(call)?;
        let endpoint = Endpoint::new(method_name(&call.method), url.path().to_owned());
        let policy = &self.inner.retry;
        let mut attempt: u32 = 1;
        loop {
            let span = tracing::debug_span!(
                "psu.request",
                method = endpoint.method,
                path = %endpoint.path,
                attempt,
                status = tracing::field::Empty,
                elapsed_ms = tracing::field::Empty,
            );
            let result = self
                .attempt(call, &url, &endpoint)
                .instrument(span.clone())
                .await;
            let err = match result {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            let retryable = call.idempotent && err.is_retryable() && attempt < policy.max_attempts;
            if !retryable {
                span.in_scope(|| {
                    tracing::debug!(error = %err, "PSU request failed");
                });
                return Err(err);
            }
            let unit: f64 = rand::random();
            let Some(delay) = policy.delay(attempt - 1, err.retry_after(), unit) else {
                span.in_scope(|| {
                    tracing::debug!(error = %err, "Retry-After exceeds the policy; giving up");
                });
                return Err(err);
            };
            span.in_scope(|| {
                tracing::info!(error = %err, delay_ms = delay.as_millis(), "retrying PSU request");
            });
            self.inner.sleeper.sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, call: &Call, url: &Url, endpoint: &Endpoint) -> Result<Reply> {
        let started = Instant::now();
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), url.clone())
            .header(ACCEPT, "application/json");
        if let Some(auth) = &self.inner.auth {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        if let Some(body) = &call.body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let span = tracing::Span::current();
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                span.record("elapsed_ms", elapsed_ms(started));
                return Err(transport_error(endpoint, &e, started.elapsed()));
            }
        };
        let status = response.status();
        span.record("status", status.as_u16());
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = match response.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => {
                span.record("elapsed_ms", elapsed_ms(started));
                return Err(transport_error(endpoint, &e, started.elapsed()));
            }
        };
        span.record("elapsed_ms", elapsed_ms(started));
        tracing::debug!(bytes = body.len(), "PSU response");
        if status.is_success() {
            Ok(Reply {
                endpoint: endpoint.clone(),
                status,
                body,
            })
        } else {
            Err(PsuError::from_status(
                endpoint.clone(),
                status.as_u16(),
                &body,
                retry_after,
            ))
        }
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn transport_error(endpoint: &Endpoint, err: &reqwest::Error, elapsed: Duration) -> PsuError {
    if err.is_timeout() {
        return PsuError::Timeout {
            endpoint: endpoint.clone(),
            elapsed,
            during_connect: err.is_connect(),
        };
    }
    let message = error_chain(err);
    if err.is_connect() {
        PsuError::Unreachable {
            endpoint: endpoint.clone(),
            message,
        }
    } else {
        PsuError::Transport {
            endpoint: endpoint.clone(),
            message,
        }
    }
}

/// The error and its sources, without the URL (the endpoint is reported separately).
fn error_chain(err: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut parts = Vec::new();
    let mut source = err.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    let head = if err.is_connect() {
        "connection failed"
    } else if err.is_body() || err.is_decode() {
        "reading the response failed"
    } else {
        "sending the request failed"
    };
    if parts.is_empty() {
        head.to_owned()
    } else {
        format!("{head}: {}", parts.join(": "))
    }
}

/// Strips a UTF-8 byte-order mark and surrounding whitespace.
pub(crate) fn trim_body(body: &[u8]) -> &[u8] {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    body.trim_ascii()
}

/// Decodes a JSON body into `T`, reporting the JSON path of the first bad value.
pub(crate) fn decode<T: DeserializeOwned>(endpoint: &Endpoint, body: &[u8]) -> Result<T> {
    let body = trim_body(body);
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        PsuError::Decode {
            endpoint: endpoint.clone(),
            path,
            message: e.into_inner().to_string(),
        }
    })?;
    de.end().map_err(|e| PsuError::Decode {
        endpoint: endpoint.clone(),
        path: ".".into(),
        message: e.to_string(),
    })?;
    Ok(value)
}

/// `true` when a successful body means "nothing" (204, empty, or `null`).
pub(crate) fn is_empty_body(status: StatusCode, body: &[u8]) -> bool {
    let body = trim_body(body);
    status == StatusCode::NO_CONTENT || body.is_empty() || body == b"null"
}

impl PsuClientBuilder {
    /// A builder preset from a NetBox-side server definition (host, port, scheme, token, TLS
    /// verification, extra CA).
    ///
    /// # Errors
    /// [`PsuError::InvalidConfig`] when the connection does not validate.
    pub fn from_connection(conn: &windhcp_dhcp_model::ServerConnection) -> Result<Self> {
        conn.validate().map_err(|e| invalid(e.to_string()))?;
        let mut b = Self::new(conn.host.trim_start_matches('[').trim_end_matches(']'))
            .port(conn.port)
            .https(conn.https)
            .token(conn.token.expose())
            .verify_tls(conn.verify_tls);
        if let Some(pem) = conn.ca_pem.as_deref().filter(|p| !p.trim().is_empty()) {
            b = b.extra_ca_pem(pem.as_bytes().to_vec());
        }
        Ok(b)
    }
}

impl PsuClient {
    /// A client for a NetBox-side server definition, with default timeouts and retries.
    ///
    /// # Errors
    /// [`PsuError::InvalidConfig`] when the connection does not validate or TLS setup fails.
    pub fn from_connection(conn: &windhcp_dhcp_model::ServerConnection) -> Result<Self> {
        PsuClientBuilder::from_connection(conn)?.build()
    }
}
