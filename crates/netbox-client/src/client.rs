//! The client core: one place that sends requests, retries, limits concurrency and decodes.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

use crate::config::{ClientBuilder, RetryPolicy, Sleeper};
use crate::error::{self, Error, Result};

/// Counters of one client, for benchmarks and logs. Times are cumulative over all requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent (each retry counts).
    pub requests: u64,
    /// Retries among them.
    pub retries: u64,
    /// Request body bytes sent.
    pub bytes_sent: u64,
    /// Response body bytes received.
    pub bytes_received: u64,
    /// Time spent serializing request bodies (our code).
    pub encode_time: Duration,
    /// Time spent decoding response bodies (our code).
    pub decode_time: Duration,
    /// Time from sending a request to having its whole body (server + network).
    pub wait_time: Duration,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
    encode_ns: AtomicU64,
    decode_ns: AtomicU64,
    wait_ns: AtomicU64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// What a response told us besides its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseMeta {
    /// HTTP status.
    pub status: u16,
    /// `X-Request-ID`: NetBox stamps it on every change-log row the request wrote.
    pub request_id: Option<String>,
    /// `ETag` (detail GETs and single-object writes), for `If-Match`.
    pub etag: Option<String>,
}

/// A decoded value plus the response metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Written<T> {
    /// The decoded body.
    pub value: T,
    /// Request id and ETag.
    pub meta: ResponseMeta,
}

/// Per-call options of a write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Change-log message for this write (overrides the client default).
    pub changelog_message: Option<String>,
    /// `If-Match` ETag for single-object PATCH/DELETE: a stale one gives
    /// [`Error::PreconditionFailed`].
    pub if_match: Option<String>,
}

impl WriteOptions {
    /// Options with a change-log message.
    pub fn message(msg: impl Into<String>) -> Self {
        WriteOptions {
            changelog_message: Some(msg.into()),
            if_match: None,
        }
    }

    /// Adds an `If-Match` precondition.
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base: Url,
    pub(crate) retry: RetryPolicy,
    pub(crate) sleeper: Arc<dyn Sleeper>,
    pub(crate) sem: Semaphore,
    pub(crate) max_concurrency: usize,
    pub(crate) page_size: usize,
    pub(crate) bulk_chunk: usize,
    pub(crate) bulk_parallelism: usize,
    pub(crate) max_body_bytes: usize,
    pub(crate) changelog_message: Option<String>,
    pub(crate) plugin_path: String,
    counters: Counters,
}

/// An async NetBox REST client. Cheap to clone (shared connection pool, limits and counters).
#[derive(Clone)]
pub struct NetBoxClient {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for NetBoxClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetBoxClient")
            .field("base", &self.inner.base.as_str())
            .field("page_size", &self.inner.page_size)
            .field("bulk_chunk", &self.inner.bulk_chunk)
            .field("max_concurrency", &self.inner.max_concurrency)
            .finish_non_exhaustive()
    }
}

/// A raw response.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) body: Bytes,
    pub(crate) meta: ResponseMeta,
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    windhcp_http_retry::retry_after::parse(&header(resp, "retry-after")?)
}

impl NetBoxClient {
    /// Starts a [`ClientBuilder`].
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url)
    }

    pub(crate) fn from_parts(
        b: ClientBuilder,
        base: Url,
        http: reqwest::Client,
        plugin_path: String,
    ) -> Self {
        NetBoxClient {
            inner: Arc::new(Inner {
                http,
                base,
                retry: b.retry,
                sleeper: b.sleeper,
                sem: Semaphore::new(b.max_concurrency),
                max_concurrency: b.max_concurrency,
                page_size: b.page_size,
                bulk_chunk: b.bulk_chunk,
                bulk_parallelism: b.bulk_parallelism.min(b.max_concurrency),
                max_body_bytes: b.max_body_bytes,
                changelog_message: b.changelog_message,
                plugin_path,
                counters: Counters::default(),
            }),
        }
    }

    /// The normalised base URL (always ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// A snapshot of the request counters.
    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        ClientStats {
            requests: c.requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            bytes_sent: c.bytes_sent.load(Ordering::Relaxed),
            bytes_received: c.bytes_received.load(Ordering::Relaxed),
            encode_time: Duration::from_nanos(c.encode_ns.load(Ordering::Relaxed)),
            decode_time: Duration::from_nanos(c.decode_ns.load(Ordering::Relaxed)),
            wait_time: Duration::from_nanos(c.wait_ns.load(Ordering::Relaxed)),
        }
    }

    /// `GET api/status/`: the server's status document (also a cheap token check).
    pub async fn status(&self) -> Result<Value> {
        let url = self.url("api/status/")?;
        let raw = self.send(Method::GET, url, None, None).await?;
        self.decode("api/status/", &raw.body)
    }

    /// A typed handle on any list endpoint (`path` relative to the base URL, e.g.
    /// `api/dcim/sites/`). The typed accessors (`ip_addresses()`, …) are built on this.
    pub fn endpoint<T>(&self, path: impl Into<String>) -> Endpoint<T> {
        let mut path: String = path.into();
        path = path.trim_start_matches('/').to_owned();
        if !path.ends_with('/') {
            path.push('/');
        }
        Endpoint {
            client: self.clone(),
            path,
            _t: PhantomData,
        }
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url> {
        self.inner
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::Config(format!("bad path {path:?}: {e}")))
    }

    pub(crate) fn encode<B: Serialize + ?Sized>(&self, body: &B) -> Result<Bytes> {
        let t = Instant::now();
        let out = serde_json::to_vec(body).map_err(|e| Error::Encode(e.to_string()));
        self.inner
            .counters
            .encode_ns
            .fetch_add(nanos(t.elapsed()), Ordering::Relaxed);
        out.map(Bytes::from)
    }

    pub(crate) fn to_value<B: Serialize + ?Sized>(&self, body: &B) -> Result<Value> {
        let t = Instant::now();
        let out = serde_json::to_value(body).map_err(|e| Error::Encode(e.to_string()));
        self.inner
            .counters
            .encode_ns
            .fetch_add(nanos(t.elapsed()), Ordering::Relaxed);
        out
    }

    pub(crate) fn decode<T: DeserializeOwned>(&self, path: &str, body: &[u8]) -> Result<T> {
        let t = Instant::now();
        let mut de = serde_json::Deserializer::from_slice(body);
        let out = serde_path_to_error::deserialize(&mut de).map_err(|e| Error::Decode {
            path: path.to_owned(),
            json_path: e.path().to_string(),
            message: e.into_inner().to_string(),
        });
        self.inner
            .counters
            .decode_ns
            .fetch_add(nanos(t.elapsed()), Ordering::Relaxed);
        out
    }

    pub(crate) fn changelog<'a>(&'a self, opts: &'a WriteOptions) -> Option<&'a str> {
        opts.changelog_message
            .as_deref()
            .or(self.inner.changelog_message.as_deref())
    }

    /// Sends one request with retries. `if_match` adds the precondition header.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        if_match: Option<&str>,
    ) -> Result<RawResponse> {
        let read_only = method == Method::GET || method == Method::HEAD;
        let path = url.path().to_owned();
        let c = &self.inner.counters;
        let mut attempt: u32 = 0;
        loop {
            let permit = self
                .inner
                .sem
                .acquire()
                .await
                .map_err(|_| Error::Config("the client was shut down".into()))?;
            let mut rb = self.inner.http.request(method.clone(), url.clone());
            if let Some(b) = &body {
                rb = rb
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(b.clone());
                c.bytes_sent.fetch_add(b.len() as u64, Ordering::Relaxed);
            }
            if let Some(tag) = if_match {
                rb = rb.header(http::header::IF_MATCH, tag);
            }
            c.requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let outcome = match rb.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let meta = ResponseMeta {
                        status,
                        request_id: header(&resp, "x-request-id"),
                        etag: header(&resp, "etag"),
                    };
                    let ra = retry_after(&resp);
                    match resp.bytes().await {
                        Ok(b) => Ok((meta, ra, b)),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            c.wait_ns
                .fetch_add(nanos(started.elapsed()), Ordering::Relaxed);
            drop(permit);
            let retry_in = match outcome {
                Ok((meta, ra, body_bytes)) => {
                    c.bytes_received
                        .fetch_add(body_bytes.len() as u64, Ordering::Relaxed);
                    if (200..300).contains(&meta.status) {
                        return Ok(RawResponse {
                            body: body_bytes,
                            meta,
                        });
                    }
                    let retryable =
                        meta.status == 429 || (read_only && matches!(meta.status, 502..=504));
                    if !retryable || attempt >= self.inner.retry.max_retries {
                        tracing::debug!(status = meta.status, %path, "NetBox request failed");
                        return Err(error::from_response(
                            meta.status,
                            &path,
                            &body_bytes,
                            meta.request_id,
                            meta.etag,
                            ra,
                        ));
                    }
                    self.inner.retry.delay(attempt, ra)
                }
                Err(e) => {
                    let never_sent = e.is_connect();
                    let retryable = never_sent
                        || (read_only && (e.is_timeout() || e.is_request() || e.is_body()));
                    if !retryable || attempt >= self.inner.retry.max_retries {
                        return Err(Error::Transport {
                            method: method.to_string(),
                            path,
                            may_have_been_sent: !never_sent,
                            timeout: e.is_timeout(),
                            source: e.without_url(),
                        });
                    }
                    self.inner.retry.delay(attempt, None)
                }
            };
            tracing::debug!(%path, attempt, delay = ?retry_in, "retrying NetBox request");
            c.retries.fetch_add(1, Ordering::Relaxed);
            self.inner.sleeper.sleep(retry_in).await;
            attempt += 1;
        }
    }
}

/// A typed handle on one NetBox list endpoint (`…/ip-addresses/`, a plugin endpoint, …).
pub struct Endpoint<T> {
    pub(crate) client: NetBoxClient,
    pub(crate) path: String,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Endpoint<T> {
    fn clone(&self) -> Self {
        Endpoint {
            client: self.client.clone(),
            path: self.path.clone(),
            _t: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Endpoint<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("path", &self.path)
            .finish()
    }
}

impl<T> Endpoint<T> {
    /// The endpoint path relative to the base URL (ends with `/`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The client behind this endpoint.
    pub fn client(&self) -> &NetBoxClient {
        &self.client
    }

    pub(crate) fn object_path(&self, id: u64) -> String {
        format!("{}{id}/", self.path)
    }
}

/// Adds `changelog_message` to a JSON object body unless the caller already set one.
pub(crate) fn with_changelog(mut v: Value, msg: Option<&str>) -> Value {
    if let (Some(m), Value::Object(map)) = (msg, &mut v) {
        map.entry("changelog_message")
            .or_insert_with(|| Value::String(m.to_owned()));
    }
    v
}

impl<T: DeserializeOwned> Endpoint<T> {
    /// `GET <path><id>/`, with the object's ETag in the metadata.
    pub async fn get(&self, id: u64) -> Result<Written<T>> {
        let p = self.object_path(id);
        let raw = self
            .client
            .send(Method::GET, self.client.url(&p)?, None, None)
            .await?;
        Ok(Written {
            value: self.client.decode(&p, &raw.body)?,
            meta: raw.meta,
        })
    }

    /// `POST <path>` of one object.
    pub async fn create<B: Serialize + ?Sized>(
        &self,
        body: &B,
        opts: &WriteOptions,
    ) -> Result<Written<T>> {
        let v = with_changelog(self.client.to_value(body)?, self.client.changelog(opts));
        let bytes = self.client.encode(&v)?;
        let raw = self
            .client
            .send(
                Method::POST,
                self.client.url(&self.path)?,
                Some(bytes),
                None,
            )
            .await?;
        Ok(Written {
            value: self.client.decode(&self.path, &raw.body)?,
            meta: raw.meta,
        })
    }

    /// `PATCH <path><id>/` with only the fields in `body` (fields we don't own stay untouched).
    /// With `opts.if_match`, a stale ETag gives [`Error::PreconditionFailed`].
    pub async fn patch<B: Serialize + ?Sized>(
        &self,
        id: u64,
        body: &B,
        opts: &WriteOptions,
    ) -> Result<Written<T>> {
        let p = self.object_path(id);
        let v = with_changelog(self.client.to_value(body)?, self.client.changelog(opts));
        let bytes = self.client.encode(&v)?;
        let raw = self
            .client
            .send(
                Method::PATCH,
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

    /// `DELETE <path><id>/` (with the change-log message in the body and optional `If-Match`).
    pub async fn delete(&self, id: u64, opts: &WriteOptions) -> Result<ResponseMeta> {
        let p = self.object_path(id);
        let body = match self.client.changelog(opts) {
            Some(m) => Some(
                self.client
                    .encode(&serde_json::json!({ "changelog_message": m }))?,
            ),
            None => None,
        };
        let raw = self
            .client
            .send(
                Method::DELETE,
                self.client.url(&p)?,
                body,
                opts.if_match.as_deref(),
            )
            .await?;
        Ok(raw.meta)
    }
}
