//! The blocking Python wrapper around the async NetBox client.
//!
//! Objects travel as plain Python data (NetBox's own JSON shape), so every field NetBox returns
//! is available and the wrapper needs no per-model code. Calls run on the shared runtime of
//! [`crate::clients`] with the GIL released.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use windhcp_netbox_client::{
    BulkFailureReason, BulkOutcome, Endpoint, Error as NbError, HasId, IP_SYNC_FIELDS, ListQuery,
    NetBoxClient, Pagination, Token, WriteOptions, etag_from_last_updated,
};

use crate::clients::{block_on, seconds};
use crate::convert::{py_to_value, value_to_py};
use crate::errors::{BindingError, ErrorKind, HttpFailure};

/// The variable the token is read from when the constructor gets none.
pub const TOKEN_ENV: &str = "NETBOX_TOKEN";
/// The variable the URL is read from when the constructor gets none.
pub const URL_ENV: &str = "NETBOX_URL";

const IP_ADDRESSES: &str = "api/ipam/ip-addresses/";
const PREFIXES: &str = "api/ipam/prefixes/";
const IP_RANGES: &str = "api/ipam/ip-ranges/";

/// Any NetBox object as JSON, with its id for bulk writes.
#[derive(Debug, Clone, PartialEq)]
struct Obj(Value);

impl<'de> Deserialize<'de> for Obj {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(Obj)
    }
}

impl HasId for Obj {
    fn id(&self) -> u64 {
        self.0.get("id").and_then(Value::as_u64).unwrap_or(0)
    }
}

/// The exception class a NetBox error maps to.
#[must_use]
pub fn netbox_error_kind(err: &NbError) -> ErrorKind {
    match err {
        NbError::Config(_) => ErrorKind::Config,
        NbError::Auth { .. } | NbError::Permission { .. } => ErrorKind::Auth,
        NbError::NotFound { .. } => ErrorKind::NotFound,
        NbError::Validation { .. } | NbError::Encode(_) => ErrorKind::Validation,
        NbError::PreconditionFailed { .. } | NbError::Conflict { .. } => ErrorKind::Conflict,
        NbError::Transport { timeout: true, .. } => ErrorKind::Timeout,
        NbError::Transport { .. } => ErrorKind::Transport,
        NbError::Decode { .. } => ErrorKind::Decode,
        NbError::Server { status, .. } => ErrorKind::from_status(*status),
        _ => err
            .status()
            .map_or(ErrorKind::Remote, ErrorKind::from_status),
    }
}

impl From<NbError> for BindingError {
    fn from(err: NbError) -> Self {
        let (field_errors, request_id) = match &err {
            NbError::Validation {
                errors, request_id, ..
            } => (
                errors
                    .iter()
                    .map(|(f, m)| (f.to_owned(), m.to_vec()))
                    .collect(),
                request_id.clone(),
            ),
            _ => (Vec::new(), None),
        };
        BindingError::Http(Box::new(HttpFailure {
            kind: netbox_error_kind(&err),
            message: err.to_string(),
            status: err.status(),
            field_errors,
            request_id,
        }))
    }
}

/// One filter value as NetBox query text (`None` → `null`, `True` → `true`).
fn filter_text(key: &str, v: &Bound<'_, PyAny>) -> PyResult<String> {
    if v.is_none() {
        return Ok("null".to_owned());
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(if b.is_true() { "true" } else { "false" }.to_owned());
    }
    if v.is_instance_of::<PyString>() || v.is_instance_of::<PyInt>() {
        return Ok(v.str()?.to_str()?.to_owned());
    }
    Err(PyTypeError::new_err(format!(
        "filter {key}: expected str, int, bool, None or a list of them, not {}",
        v.get_type().name()?
    )))
}

/// Keyword filters as a query: a list or tuple value repeats the key (NetBox ORs most repeated
/// filters, ANDs `tag`).
fn list_query(filters: Option<&Bound<'_, PyDict>>) -> PyResult<ListQuery> {
    let mut q = ListQuery::new();
    let Some(filters) = filters else {
        return Ok(q);
    };
    for (k, v) in filters.iter() {
        let key: String = k.extract()?;
        if matches!(
            key.as_str(),
            "limit" | "offset" | "start" | "fields" | "brief"
        ) {
            return Err(PyValueError::new_err(format!(
                "filter {key} is managed by the client (pages are followed automatically)"
            )));
        }
        if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
            for item in v.try_iter()? {
                q = q.param(key.clone(), filter_text(&key, &item?)?);
            }
        } else {
            q = q.param(key.clone(), filter_text(&key, &v)?);
        }
    }
    Ok(q)
}

fn object_arg(what: &'static str, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let value = py_to_value(obj)?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(PyTypeError::new_err(format!("{what} must be a dict")))
    }
}

fn outcome_to_py<'py, T>(
    py: Python<'py>,
    out: BulkOutcome<T>,
    value: impl Fn(T) -> Value,
) -> PyResult<Bound<'py, PyAny>> {
    let succeeded: Vec<Value> = out
        .succeeded
        .into_iter()
        .map(|s| serde_json::json!({ "index": s.index, "value": value(s.value) }))
        .collect();
    let failed: Vec<Value> = out
        .failed
        .iter()
        .map(|f| {
            let (reason, errors, message) = match &f.reason {
                BulkFailureReason::Rejected(errors) => {
                    let map: serde_json::Map<String, Value> = errors
                        .iter()
                        .map(|(k, m)| (k.to_owned(), Value::from(m.to_vec())))
                        .collect();
                    ("rejected", Value::Object(map), errors.to_string())
                }
                BulkFailureReason::RequestFailed(e) => (
                    "request_failed",
                    Value::Object(serde_json::Map::new()),
                    e.to_string(),
                ),
                _ => (
                    "other",
                    Value::Object(serde_json::Map::new()),
                    String::new(),
                ),
            };
            serde_json::json!({
                "index": f.index, "id": f.id, "reason": reason, "errors": errors,
                "message": message,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "succeeded": succeeded,
        "failed": failed,
        "request_ids": out.request_ids,
        "requests": out.requests,
    });
    value_to_py(py, &doc)
}

fn write_options(message: Option<&str>, if_match: Option<&str>) -> WriteOptions {
    WriteOptions {
        changelog_message: message.map(str::to_owned),
        if_match: if_match.map(str::to_owned),
    }
}

/// A blocking client for the NetBox REST API (IPAM and the Windows DHCP plugin API).
///
/// ```python
/// nb = NetBoxClient("https://netbox.example.com")        # token from NETBOX_TOKEN
/// for ip in nb.list_ip_addresses(parent="10.0.0.0/16", status="dhcp"):
///     print(ip["address"], ip["dns_name"])
/// ```
///
/// Objects are plain dicts in NetBox's JSON shape. Lists follow every page. Calls release the
/// GIL and may be made from several threads. The token is never shown by `repr()` or in error
/// messages. Errors: `AuthError` (bad token or missing permission), `ValidationError` (HTTP 400;
/// `field_errors` holds NetBox's messages per field), `NotFoundError`, `ConflictError`
/// (409, or 412 when `if_match` is stale), `RateLimitedError`, `TransportError` /
/// `RequestTimeoutError`, `DecodeError`, `RemoteError`.
#[pyclass(
    frozen,
    skip_from_py_object,
    module = "netbox_windhcp",
    name = "NetBoxClient"
)]
#[derive(Debug)]
pub struct PyNetBoxClient {
    inner: NetBoxClient,
}

impl PyNetBoxClient {
    fn ep(&self, path: &str) -> Endpoint<Obj> {
        self.inner.endpoint(path.to_owned())
    }

    fn list_at<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        query: ListQuery,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ep = self.ep(path);
        let items = block_on(py, async { Ok(ep.list_all(&query).await?) })?;
        let list = PyList::empty(py);
        for Obj(v) in &items {
            list.append(value_to_py(py, v)?)?;
        }
        Ok(list.into_any())
    }

    fn get_at<'py>(&self, py: Python<'py>, path: &str, id: u64) -> PyResult<Bound<'py, PyAny>> {
        let ep = self.ep(path);
        let got = block_on(py, async { Ok(ep.get(id).await?) })?;
        value_to_py(py, &got.value.0)
    }

    fn create_at<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        data: &Bound<'py, PyAny>,
        message: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let body = object_arg("data", data)?;
        let ep = self.ep(path);
        let opts = write_options(message, None);
        let made = block_on(py, async { Ok(ep.create(&body, &opts).await?) })?;
        value_to_py(py, &made.value.0)
    }

    fn update_at<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        id: u64,
        data: &Bound<'py, PyAny>,
        if_match: Option<&str>,
        message: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let body = object_arg("data", data)?;
        let ep = self.ep(path);
        let opts = write_options(message, if_match);
        let done = block_on(py, async { Ok(ep.patch(id, &body, &opts).await?) })?;
        value_to_py(py, &done.value.0)
    }

    fn delete_at(
        &self,
        py: Python<'_>,
        path: &str,
        id: u64,
        if_match: Option<&str>,
        message: Option<&str>,
    ) -> PyResult<()> {
        let ep = self.ep(path);
        let opts = write_options(message, if_match);
        block_on(py, async {
            ep.delete(id, &opts).await?;
            Ok(())
        })
    }
}

fn api_path(path: &str) -> PyResult<String> {
    let trimmed = path.trim().trim_start_matches('/');
    if trimmed.is_empty() || trimmed.contains("://") || trimmed.contains('?') {
        return Err(PyValueError::new_err(
            "path must be an API path such as 'api/dcim/sites/' (no scheme, host or query)",
        ));
    }
    let mut p = trimmed.to_owned();
    if !p.ends_with('/') {
        p.push('/');
    }
    Ok(p)
}

#[pymethods]
impl PyNetBoxClient {
    /// Builds a client for the NetBox at `url` (default: the `NETBOX_URL` variable).
    ///
    /// `token` defaults to the `NETBOX_TOKEN` variable; v2 (`nbt_…`) and v1 tokens both work.
    /// `timeout` (per request) and `connect_timeout` are in seconds. `verify_tls=False` is for
    /// lab servers only; `ca_pem` adds trusted CA certificates. `changelog_message` is stamped
    /// on every write unless a call passes its own `message`. `page_size` sets the list page
    /// size, `max_retries` how often reads (and writes that certainly were not applied) are
    /// retried on 429/502/503/504 and timeouts.
    ///
    /// Raises `ConfigError` for a missing or malformed URL, a bad CA or timeout.
    #[new]
    #[pyo3(signature = (url = None, token = None, *, verify_tls = true, timeout = None,
        connect_timeout = None, ca_pem = None, changelog_message = None, page_size = None,
        max_retries = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        url: Option<String>,
        token: Option<String>,
        verify_tls: bool,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        ca_pem: Option<&str>,
        changelog_message: Option<String>,
        page_size: Option<usize>,
        max_retries: Option<u32>,
    ) -> PyResult<Self> {
        let config = |message: String| BindingError::Client {
            kind: ErrorKind::Config,
            message,
        };
        let url = url
            .or_else(|| std::env::var(URL_ENV).ok())
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| config(format!("no NetBox URL given and {URL_ENV} is not set")))?;
        let mut b = NetBoxClient::builder(url).danger_accept_invalid_certs(!verify_tls);
        if let Some(token) = token
            .or_else(|| std::env::var(TOKEN_ENV).ok())
            .filter(|t| !t.trim().is_empty())
        {
            b = b.token(Token::new(token));
        }
        if let Some(t) = seconds("timeout", timeout).map_err(|e| config(e.to_string()))? {
            b = b.timeout(t);
        }
        if let Some(t) =
            seconds("connect_timeout", connect_timeout).map_err(|e| config(e.to_string()))?
        {
            b = b.connect_timeout(t);
        }
        if let Some(pem) = ca_pem {
            b = b.ca_pem(pem.as_bytes().to_vec());
        }
        if let Some(m) = changelog_message {
            b = b.changelog_message(m);
        }
        if let Some(n) = page_size {
            if n == 0 {
                return Err(config("page_size must be positive".to_owned()).into());
            }
            b = b.page_size(n);
        }
        if let Some(n) = max_retries {
            b = b.retry(windhcp_netbox_client::RetryPolicy {
                max_retries: n,
                ..windhcp_netbox_client::RetryPolicy::default()
            });
        }
        Ok(PyNetBoxClient {
            inner: b.build().map_err(BindingError::from)?,
        })
    }

    /// The API base URL the client calls.
    #[getter]
    fn base_url(&self) -> String {
        self.inner.base_url().to_string()
    }

    /// `GET api/status/`: NetBox's status document (`netbox-version`, plugins, workers, …).
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = block_on(py, async { Ok(self.inner.status().await?) })?;
        value_to_py(py, &value)
    }

    /// The NetBox version (`"4.4.1"`), from `api/status/`.
    fn version(&self, py: Python<'_>) -> PyResult<String> {
        let value = block_on(py, async { Ok(self.inner.status().await?) })?;
        value
            .get("netbox-version")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                BindingError::Convert {
                    what: "NetBox status",
                    message: "no netbox-version in api/status/".to_owned(),
                }
                .into()
            })
    }

    // ------------------------------------------------------------------ generic

    /// Every object of any API list endpoint (`path` like `"api/dcim/sites/"`), all pages.
    /// Keyword arguments are NetBox filters; a list value repeats the filter, `None` sends
    /// `null`.
    #[pyo3(signature = (path, **filters))]
    fn list_objects<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        filters: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.list_at(py, &api_path(path)?, list_query(filters)?)
    }

    /// How many objects of `path` match the filters (one small request).
    #[pyo3(signature = (path, **filters))]
    fn count_objects(
        &self,
        py: Python<'_>,
        path: &str,
        filters: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<u64> {
        let ep = self.ep(&api_path(path)?);
        let q = list_query(filters)?;
        block_on(py, async { Ok(ep.count(&q).await?) })
    }

    /// One object of `path` by id. Raises `NotFoundError` when it does not exist.
    fn get_object<'py>(&self, py: Python<'py>, path: &str, id: u64) -> PyResult<Bound<'py, PyAny>> {
        self.get_at(py, &api_path(path)?, id)
    }

    /// Creates one object at `path` from `data`; returns NetBox's representation.
    #[pyo3(signature = (path, data, *, message = None))]
    fn create_object<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        data: &Bound<'py, PyAny>,
        message: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.create_at(py, &api_path(path)?, data, message)
    }

    /// Changes only the fields in `data` of object `id` at `path` (`PATCH`). With `if_match`
    /// (an ETag, see `etag()`), a concurrent change raises `ConflictError`.
    #[pyo3(signature = (path, id, data, *, if_match = None, message = None))]
    fn update_object<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        id: u64,
        data: &Bound<'py, PyAny>,
        if_match: Option<&str>,
        message: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.update_at(py, &api_path(path)?, id, data, if_match, message)
    }

    /// Deletes object `id` at `path`. With `if_match`, a concurrent change raises
    /// `ConflictError`.
    #[pyo3(signature = (path, id, *, if_match = None, message = None))]
    fn delete_object(
        &self,
        py: Python<'_>,
        path: &str,
        id: u64,
        if_match: Option<&str>,
        message: Option<&str>,
    ) -> PyResult<()> {
        self.delete_at(py, &api_path(path)?, id, if_match, message)
    }

    /// The ETag NetBox uses for `obj` (derived from its `last_updated`), for `if_match`;
    /// `None` when the object has no `last_updated`.
    #[staticmethod]
    fn etag(obj: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        let value = obj.get_item("last_updated").ok();
        match value {
            Some(v) if !v.is_none() => {
                let text: String = v.extract()?;
                Ok(Some(etag_from_last_updated(&text)))
            }
            _ => Ok(None),
        }
    }

    // ------------------------------------------------------------------ IPAM

    /// Every prefix matching the filters (e.g. `within="10.0.0.0/8"`, `vrf_id=None`).
    #[pyo3(signature = (**filters))]
    fn list_prefixes<'py>(
        &self,
        py: Python<'py>,
        filters: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.list_at(py, PREFIXES, list_query(filters)?)
    }

    /// One prefix by id.
    fn get_prefix<'py>(&self, py: Python<'py>, id: u64) -> PyResult<Bound<'py, PyAny>> {
        self.get_at(py, PREFIXES, id)
    }

    /// Every IP range matching the filters (e.g. `parent="10.0.0.0/16"`).
    #[pyo3(signature = (**filters))]
    fn list_ip_ranges<'py>(
        &self,
        py: Python<'py>,
        filters: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.list_at(py, IP_RANGES, list_query(filters)?)
    }

    /// One IP range by id.
    fn get_ip_range<'py>(&self, py: Python<'py>, id: u64) -> PyResult<Bound<'py, PyAny>> {
        self.get_at(py, IP_RANGES, id)
    }

    /// Every IP address matching the filters (e.g. `parent="10.0.0.0/16"`, `vrf_id=None`,
    /// `status=["dhcp", "active"]`, `cf_dhcp_client_id="aa-bb-…"`), full representation.
    #[pyo3(signature = (**filters))]
    fn list_ip_addresses<'py>(
        &self,
        py: Python<'py>,
        filters: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.list_at(py, IP_ADDRESSES, list_query(filters)?)
    }

    /// Like `list_ip_addresses`, trimmed to the fields the sync reads (`id`, `address`, `vrf`,
    /// `status`, `dns_name`, `description`, `tags`, `custom_fields`, …): much faster on big
    /// tables.
    #[pyo3(signature = (**filters))]
    fn list_ip_addresses_sync_view<'py>(
        &self,
        py: Python<'py>,
        filters: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let q = list_query(filters)?.fields(IP_SYNC_FIELDS.iter().copied());
        self.list_at(py, IP_ADDRESSES, q)
    }

    /// How many IP addresses match the filters.
    #[pyo3(signature = (**filters))]
    fn count_ip_addresses(
        &self,
        py: Python<'_>,
        filters: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<u64> {
        let ep = self.ep(IP_ADDRESSES);
        let q = list_query(filters)?.pagination(Pagination::Offset);
        block_on(py, async { Ok(ep.count(&q).await?) })
    }

    /// One IP address by id. Raises `NotFoundError` when it does not exist.
    fn get_ip_address<'py>(&self, py: Python<'py>, id: u64) -> PyResult<Bound<'py, PyAny>> {
        self.get_at(py, IP_ADDRESSES, id)
    }

    /// Creates an IP address (`{"address": "10.0.0.5/24", "status": "dhcp", …}`); returns it.
    /// Raises `ValidationError` (with `field_errors`) when NetBox rejects the data.
    #[pyo3(signature = (data, *, message = None))]
    fn create_ip_address<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        message: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.create_at(py, IP_ADDRESSES, data, message)
    }

    /// Changes only the fields in `data` of IP address `id`; returns it.
    #[pyo3(signature = (id, data, *, if_match = None, message = None))]
    fn update_ip_address<'py>(
        &self,
        py: Python<'py>,
        id: u64,
        data: &Bound<'py, PyAny>,
        if_match: Option<&str>,
        message: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.update_at(py, IP_ADDRESSES, id, data, if_match, message)
    }

    /// Deletes IP address `id`.
    #[pyo3(signature = (id, *, if_match = None, message = None))]
    fn delete_ip_address(
        &self,
        py: Python<'_>,
        id: u64,
        if_match: Option<&str>,
        message: Option<&str>,
    ) -> PyResult<()> {
        self.delete_at(py, IP_ADDRESSES, id, if_match, message)
    }

    /// Creates many IP addresses in chunks. Never raises for rejected records: returns
    /// `{"succeeded": [{"index", "value"}], "failed": [{"index", "id", "reason", "errors",
    /// "message"}], "request_ids": [...], "requests": n}` with every input index in exactly one
    /// list (`reason` is `"rejected"` with NetBox's field `errors`, or `"request_failed"`).
    #[pyo3(signature = (items, *, message = None))]
    fn bulk_create_ip_addresses<'py>(
        &self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
        message: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let bodies = items
            .try_iter()?
            .map(|item| object_arg("each item", &item?))
            .collect::<PyResult<Vec<_>>>()?;
        let ep = self.ep(IP_ADDRESSES);
        let opts = write_options(message, None);
        let out = block_on(py, async { Ok(ep.bulk_create(&bodies, &opts).await?) })?;
        outcome_to_py(py, out, |o| o.0)
    }

    /// Updates many IP addresses: each item is a dict with `id` plus the fields to change.
    /// Returns the same outcome dict as `bulk_create_ip_addresses`.
    #[pyo3(signature = (items, *, message = None))]
    fn bulk_update_ip_addresses<'py>(
        &self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
        message: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut pairs = Vec::new();
        for item in items.try_iter()? {
            let mut body = object_arg("each item", &item?)?;
            let id = body
                .as_object_mut()
                .and_then(|m| m.remove("id"))
                .and_then(|v| v.as_u64())
                .ok_or_else(|| PyValueError::new_err("each item needs an integer \"id\""))?;
            pairs.push((id, body));
        }
        let ep = self.ep(IP_ADDRESSES);
        let opts = write_options(message, None);
        let out = block_on(py, async { Ok(ep.bulk_patch(&pairs, &opts).await?) })?;
        outcome_to_py(py, out, |o| o.0)
    }

    /// Deletes many IP addresses by id. Returns the outcome dict (`value` is the deleted id).
    #[pyo3(signature = (ids, *, message = None))]
    fn bulk_delete_ip_addresses<'py>(
        &self,
        py: Python<'py>,
        ids: Vec<u64>,
        message: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ep = self.ep(IP_ADDRESSES);
        let opts = write_options(message, None);
        let out = block_on(py, async { Ok(ep.bulk_delete(&ids, &opts).await?) })?;
        outcome_to_py(py, out, Value::from)
    }

    // ------------------------------------------------------------------ plugin

    /// Every lease-info record of the Windows DHCP plugin matching the filters.
    #[pyo3(signature = (**filters))]
    fn list_lease_info<'py>(
        &self,
        py: Python<'py>,
        filters: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let path = self.inner.plugin().lease_info().path().to_owned();
        self.list_at(py, &path, list_query(filters)?)
    }

    /// Creates a lease-info record (`{"ip_address_id": 17, "lease_hostname": …, "active": True,
    /// "lease_expiration": …}`).
    #[pyo3(signature = (data, *, message = None))]
    fn create_lease_info<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        message: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let path = self.inner.plugin().lease_info().path().to_owned();
        self.create_at(py, &path, data, message)
    }

    /// Changes the fields in `data` of lease-info record `id`.
    #[pyo3(signature = (id, data, *, message = None))]
    fn update_lease_info<'py>(
        &self,
        py: Python<'py>,
        id: u64,
        data: &Bound<'py, PyAny>,
        message: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let path = self.inner.plugin().lease_info().path().to_owned();
        self.update_at(py, &path, id, data, None, message)
    }

    /// Deletes lease-info record `id`.
    #[pyo3(signature = (id, *, message = None))]
    fn delete_lease_info(&self, py: Python<'_>, id: u64, message: Option<&str>) -> PyResult<()> {
        let path = self.inner.plugin().lease_info().path().to_owned();
        self.delete_at(py, &path, id, None, message)
    }

    fn __repr__(&self) -> String {
        format!("NetBoxClient('{}')", self.inner.base_url())
    }
}

/// Registers this module's classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyNetBoxClient>()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netbox_errors_map_to_classes() {
        let cases = [
            (NbError::Config("x".into()), ErrorKind::Config),
            (
                NbError::Auth {
                    status: 403,
                    detail: "Invalid v2 token".into(),
                },
                ErrorKind::Auth,
            ),
            (
                NbError::Permission {
                    detail: "no".into(),
                },
                ErrorKind::Auth,
            ),
            (
                NbError::PreconditionFailed {
                    current_etag: None,
                    detail: String::new(),
                },
                ErrorKind::Conflict,
            ),
            (
                NbError::Server {
                    status: 429,
                    message: String::new(),
                    body_excerpt: String::new(),
                    retry_after: Some(std::time::Duration::from_secs(1)),
                },
                ErrorKind::RateLimited,
            ),
            (
                NbError::Server {
                    status: 503,
                    message: String::new(),
                    body_excerpt: String::new(),
                    retry_after: None,
                },
                ErrorKind::Remote,
            ),
        ];
        for (err, kind) in cases {
            assert_eq!(netbox_error_kind(&err), kind, "{err}");
            assert_eq!(BindingError::from(err).kind(), kind);
        }
    }

    #[test]
    fn validation_errors_keep_field_messages() {
        let err = NbError::Validation {
            errors: windhcp_netbox_client::FieldErrors::from_pairs([(
                "address",
                "Enter a valid IPv4 or IPv6 address.",
            )]),
            items: Vec::new(),
            request_id: Some("req-1".into()),
        };
        let BindingError::Http(f) = BindingError::from(err) else {
            unreachable!("NetBox errors become Http failures")
        };
        assert_eq!(f.kind, ErrorKind::Validation);
        assert_eq!(f.status, Some(400));
        assert_eq!(f.request_id.as_deref(), Some("req-1"));
        assert_eq!(f.field_errors.len(), 1);
        assert_eq!(f.field_errors[0].0, "address");
    }

    #[test]
    fn api_paths_are_normalised_and_checked() {
        assert_eq!(api_path("/api/dcim/sites").unwrap(), "api/dcim/sites/");
        assert_eq!(api_path("api/ipam/vrfs/").unwrap(), "api/ipam/vrfs/");
        assert!(api_path("https://evil.example/api/").is_err());
        assert!(api_path("api/ipam/vrfs/?limit=1").is_err());
        assert!(api_path("  ").is_err());
    }
}
