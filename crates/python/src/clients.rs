//! Blocking Python wrappers around the async PSU client.
//!
//! Every call runs on one shared multi-threaded tokio runtime and releases the GIL while it
//! waits (`py.detach(|| runtime.block_on(…))`), so other Python threads keep running and several
//! threads may call the same client at once.
//!
//! The runtime is created on first use. A process forked after that (gunicorn, RQ and Celery
//! workers fork) does not inherit working runtime threads, so the runtime records the process
//! id and a child builds its own on first use. Create clients after forking: pooled connections
//! of a client made before the fork belong to the parent's runtime.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use pyo3::prelude::*;
use serde::Serialize;
use tokio::runtime::Runtime;

use windhcp_dhcp_model::{
    ClientId, ExclusionRange, Failover, OptionCode, OptionValue, Reservation, ReservationType,
    Scope, ScopeId, ScopeState,
};
use windhcp_psu_client::{
    Health, LeaseQuery, PsuClient, PsuError, ReservationUpdate, ScopeQuery, ScopeUpdate,
    ServerFailover,
};

use crate::errors::{BindingError, ErrorKind};

/// The shared runtime and the process it was built in.
static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// The shared runtime, built on first use (and again in a forked child).
///
/// # Errors
/// [`BindingError::Runtime`] when tokio cannot start its threads.
pub fn runtime() -> Result<&'static Runtime, BindingError> {
    let pid = std::process::id();
    let mut slot = RUNTIME
        .lock()
        .map_err(|_| BindingError::Runtime("runtime lock poisoned".to_owned()))?;
    if let Some((owner, rt)) = *slot
        && owner == pid
    {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("netbox-windhcp-io")
        .enable_all()
        .build()
        .map_err(|e| BindingError::Runtime(e.to_string()))?;
    // Leaked on purpose: the runtime lives as long as the process, and one left behind by a
    // fork must not be dropped (its threads do not exist in the child).
    let rt: &'static Runtime = Box::leak(Box::new(rt));
    *slot = Some((pid, rt));
    Ok(rt)
}

/// Runs `fut` to completion on the shared runtime with the GIL released.
pub(crate) fn block_on<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = Result<T, BindingError>> + Send,
    T: Send,
{
    let rt = runtime()?;
    Ok(py.detach(|| rt.block_on(fut))?)
}

/// The exception class a PSU error maps to.
#[must_use]
pub fn psu_error_kind(err: &PsuError) -> ErrorKind {
    match err {
        PsuError::InvalidConfig { .. } => ErrorKind::Config,
        PsuError::InvalidRequest { .. } | PsuError::BadRequest { .. } => ErrorKind::Validation,
        PsuError::Unreachable { .. } | PsuError::Transport { .. } => ErrorKind::Transport,
        PsuError::Timeout { .. } => ErrorKind::Timeout,
        PsuError::Unauthorized { .. } | PsuError::Forbidden { .. } => ErrorKind::Auth,
        PsuError::NotFound { .. } => ErrorKind::NotFound,
        PsuError::Conflict { .. } => ErrorKind::Conflict,
        PsuError::RateLimited { .. } => ErrorKind::RateLimited,
        PsuError::Decode { .. } => ErrorKind::Decode,
        _ => err
            .status()
            .map_or(ErrorKind::Remote, ErrorKind::from_status),
    }
}

impl From<PsuError> for BindingError {
    fn from(err: PsuError) -> Self {
        BindingError::Http(Box::new(crate::errors::HttpFailure {
            kind: psu_error_kind(&err),
            message: err.to_string(),
            status: err.status(),
            field_errors: Vec::new(),
            request_id: None,
        }))
    }
}

fn plain<T: Serialize>(value: &T) -> Result<serde_json::Value, BindingError> {
    serde_json::to_value(value).map_err(|e| BindingError::Convert {
        what: "PSU response",
        message: e.to_string(),
    })
}

fn health_json(h: &Health) -> serde_json::Value {
    serde_json::json!({
        "ok": h.ok,
        "status": h.status,
        "version": h.version,
        "contract_version": h.contract_version,
        "dhcp_module": h.dhcp_module,
        "server": h.server,
    })
}

fn failover_json(f: &ServerFailover) -> Result<serde_json::Value, BindingError> {
    let mut value = plain(&f.failover)?;
    if let Some(map) = value.as_object_mut() {
        map.insert("auth_enabled".to_owned(), f.auth_enabled.into());
    }
    Ok(value)
}

fn scope_id(text: &str) -> Result<ScopeId, BindingError> {
    text.parse::<ScopeId>().map_err(BindingError::from)
}

pub(crate) fn seconds(name: &str, value: Option<f64>) -> Result<Option<Duration>, BindingError> {
    value
        .map(|s| {
            Duration::try_from_secs_f64(s)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    BindingError::Argument(format!("{name} must be a positive number of seconds"))
                })
        })
        .transpose()
}

/// A blocking client for the PowerShell Universal endpoints in front of one Windows DHCP
/// server.
///
/// ```python
/// psu = PsuClient("dhcp01.example.com", token=os.environ["PSU_TOKEN"])
/// for scope in psu.list_scopes():
///     print(scope["id"], scope["name"], len(psu.list_leases(scope["id"])))
/// ```
///
/// Calls release the GIL and may be made from several threads. Results are plain Python data
/// in the model's JSON shape. The token is never shown by `repr()` or in error messages.
/// Errors raise `AuthError` (401/403), `NotFoundError`, `ConflictError`, `TransportError` /
/// `RequestTimeoutError`, `RateLimitedError`, `DecodeError` or `RemoteError`.
#[pyclass(
    frozen,
    skip_from_py_object,
    module = "netbox_windhcp",
    name = "PsuClient"
)]
#[derive(Debug)]
pub struct PyPsuClient {
    inner: PsuClient,
}

#[pymethods]
impl PyPsuClient {
    /// Builds a client for `host` (a DNS name or IP literal, without scheme or port).
    ///
    /// `port` defaults to 443 with HTTPS and 80 without; `base_path` to `/api/dhcp`.
    /// `timeout` is the whole-request timeout per attempt and `connect_timeout` the TCP/TLS
    /// connect timeout, both in seconds (defaults 120 and 10). `ca_pem` adds trusted CA
    /// certificates (PEM text); `verify_tls=False` is for lab servers only.
    ///
    /// Raises `ConfigError` for an unusable host, base path, timeout or CA.
    #[new]
    #[pyo3(signature = (host, *, token = None, port = None, https = true, verify_tls = true,
        base_path = None, timeout = None, connect_timeout = None, ca_pem = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        host: &str,
        token: Option<&str>,
        port: Option<u16>,
        https: bool,
        verify_tls: bool,
        base_path: Option<&str>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        ca_pem: Option<&str>,
    ) -> PyResult<Self> {
        let config = |e: BindingError| BindingError::Client {
            kind: ErrorKind::Config,
            message: e.to_string(),
        };
        let mut b = PsuClient::builder(host).https(https).verify_tls(verify_tls);
        if let Some(token) = token {
            b = b.token(token);
        }
        if let Some(port) = port {
            b = b.port(port);
        }
        if let Some(path) = base_path {
            b = b.base_path(path);
        }
        if let Some(t) = seconds("timeout", timeout).map_err(config)? {
            b = b.request_timeout(t);
        }
        if let Some(t) = seconds("connect_timeout", connect_timeout).map_err(config)? {
            b = b.connect_timeout(t);
        }
        if let Some(pem) = ca_pem {
            b = b.extra_ca_pem(pem.as_bytes().to_vec());
        }
        Ok(PyPsuClient {
            inner: b.build().map_err(BindingError::from)?,
        })
    }

    /// The base URL the client calls (e.g. `https://dhcp01:443/api/dhcp/`).
    #[getter]
    fn base_url(&self) -> String {
        self.inner.base_url().to_string()
    }

    /// `GET /health`: a dict with `ok`, `status`, `version`, `contract_version`, `dhcp_module`
    /// and `server`.
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = block_on(py, async { Ok(health_json(&self.inner.health().await?)) })?;
        crate::convert::value_to_py(py, &value)
    }

    /// `POST /health`: succeeds only when the token holds the writer role (`AuthError`
    /// otherwise). Changes nothing.
    fn write_ping(&self, py: Python<'_>) -> PyResult<()> {
        block_on(py, async { Ok(self.inner.write_ping().await?) })
    }

    /// Every scope as a list of dicts (`active_only` filters; `include_router=False` is faster
    /// on big servers and leaves `router` empty).
    #[pyo3(signature = (*, active_only = false, include_router = true))]
    fn list_scopes<'py>(
        &self,
        py: Python<'py>,
        active_only: bool,
        include_router: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let query = ScopeQuery {
            active_only,
            include_router,
        };
        let value = block_on(py, async { plain(&self.inner.list_scopes(query).await?) })?;
        crate::convert::value_to_py(py, &value)
    }

    /// One scope by id (`"10.0.0.0"`). Raises `NotFoundError` when the server has no such scope.
    fn get_scope<'py>(&self, py: Python<'py>, scope_id: &str) -> PyResult<Bound<'py, PyAny>> {
        let id = scope_id_arg(scope_id)?;
        let value = block_on(py, async { plain(&self.inner.get_scope(id).await?) })?;
        crate::convert::value_to_py(py, &value)
    }

    /// The leases of one scope, or of every scope when `scope_id` is `None`. Only active
    /// leases unless `all_states=True`.
    #[pyo3(signature = (scope_id = None, *, all_states = false))]
    fn list_leases<'py>(
        &self,
        py: Python<'py>,
        scope_id: Option<&str>,
        all_states: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scope = scope_id.map(scope_id_arg).transpose()?;
        let query = LeaseQuery { scope, all_states };
        let value = block_on(py, async {
            let leases = if query.all_states || query.scope.is_none() {
                self.inner
                    .list_all_leases(query, windhcp_psu_client::DEFAULT_LEASE_PAGE_SIZE)
                    .await?
            } else {
                let id = query
                    .scope
                    .ok_or_else(|| BindingError::Argument("a scope id is required".to_owned()))?;
                self.inner.list_leases(id).await?
            };
            plain(&leases)
        })?;
        crate::convert::value_to_py(py, &value)
    }

    /// The reservations of one scope, or of every scope when `scope_id` is `None`.
    #[pyo3(signature = (scope_id = None))]
    fn list_reservations<'py>(
        &self,
        py: Python<'py>,
        scope_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scope = scope_id.map(scope_id_arg).transpose()?;
        let value = block_on(py, async {
            plain(&self.inner.list_reservations(scope).await?)
        })?;
        crate::convert::value_to_py(py, &value)
    }

    /// The exclusion ranges of one scope.
    fn list_exclusions<'py>(&self, py: Python<'py>, scope_id: &str) -> PyResult<Bound<'py, PyAny>> {
        let id = scope_id_arg(scope_id)?;
        let value = block_on(py, async { plain(&self.inner.list_exclusions(id).await?) })?;
        crate::convert::value_to_py(py, &value)
    }

    /// The option values set on one scope.
    fn list_scope_options<'py>(
        &self,
        py: Python<'py>,
        scope_id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = scope_id_arg(scope_id)?;
        let value = block_on(py, async {
            plain(&self.inner.list_scope_options(id).await?)
        })?;
        crate::convert::value_to_py(py, &value)
    }

    /// The server-level option values.
    fn list_server_options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = block_on(py, async {
            plain(&self.inner.list_server_options().await?)
        })?;
        crate::convert::value_to_py(py, &value)
    }

    /// The server's failover relationships (each with `auth_enabled`; secrets are never read).
    fn list_failovers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = block_on(py, async {
            self.inner
                .list_failovers()
                .await?
                .iter()
                .map(failover_json)
                .collect::<Result<Vec<_>, _>>()
                .map(serde_json::Value::Array)
        })?;
        crate::convert::value_to_py(py, &value)
    }

    // ------------------------------------------------------------------ writes

    /// Creates a scope from a dict in the shape `list_scopes()` returns (`id`, `name`, `start`,
    /// `end`, `subnet_mask`, …); returns the scope as the server reports it.
    ///
    /// Raises `ConflictError` when it overlaps an existing scope, `ValidationError` for a
    /// malformed dict or an IPv6 scope.
    fn create_scope<'py>(
        &self,
        py: Python<'py>,
        scope: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scope: Scope = model_arg("scope", scope)?;
        let made = block_on(py, async {
            Ok(self.inner.create_scope_from(&scope).await?)
        })?;
        to_py(py, &made)
    }

    /// Changes the given fields of a scope and returns it. `state` is `"Active"` or
    /// `"Inactive"`; `router=""` removes option 3; omitted arguments stay unchanged.
    #[pyo3(signature = (scope_id, *, name = None, start = None, end = None, description = None,
        state = None, lease_duration_seconds = None, router = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_scope<'py>(
        &self,
        py: Python<'py>,
        scope_id: &str,
        name: Option<String>,
        start: Option<&str>,
        end: Option<&str>,
        description: Option<String>,
        state: Option<&str>,
        lease_duration_seconds: Option<u64>,
        router: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = scope_id_arg(scope_id)?;
        let body = ScopeUpdate {
            name,
            start_ip: start.map(|s| ipv4_arg("start", s)).transpose()?,
            end_ip: end.map(|s| ipv4_arg("end", s)).transpose()?,
            description,
            state: state
                .map(|s| parse_arg::<ScopeState>("state", s))
                .transpose()?,
            lease_duration_seconds,
            router: router
                .map(|r| {
                    if r.trim().is_empty() {
                        Ok(None)
                    } else {
                        ipv4_arg("router", r).map(Some)
                    }
                })
                .transpose()?,
            ..ScopeUpdate::default()
        };
        let done = block_on(py, async { Ok(self.inner.update_scope(id, &body).await?) })?;
        to_py(py, &done)
    }

    /// Deletes a scope with its leases, reservations, exclusions and options.
    /// Raises `NotFoundError`, or `ConflictError` while it is in a failover relationship.
    fn delete_scope(&self, py: Python<'_>, scope_id: &str) -> PyResult<()> {
        let id = scope_id_arg(scope_id)?;
        block_on(py, async { Ok(self.inner.delete_scope(id).await?) })
    }

    /// Creates a reservation from a dict in the shape `list_reservations()` returns
    /// (`scope_id`, `ip`, `client_id`, optional `name`, `description`, `type`); returns it.
    ///
    /// Raises `ConflictError` when the address or client id is already reserved.
    fn create_reservation<'py>(
        &self,
        py: Python<'py>,
        reservation: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let r: Reservation = model_arg("reservation", reservation)?;
        let made = block_on(py, async {
            Ok(self.inner.create_reservation_from(&r).await?)
        })?;
        to_py(py, &made)
    }

    /// Changes the name, description or type (`"Dhcp"`, `"Bootp"`, `"Both"`) of the
    /// reservation of `client_id` (optionally only in `scope_id`); returns it.
    #[pyo3(signature = (client_id, *, scope_id = None, name = None, description = None,
        type_ = None))]
    fn update_reservation<'py>(
        &self,
        py: Python<'py>,
        client_id: &str,
        scope_id: Option<&str>,
        name: Option<String>,
        description: Option<String>,
        type_: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let cid = ClientId::parse(client_id).map_err(BindingError::from)?;
        let scope = scope_id.map(scope_id_arg).transpose()?;
        let body = ReservationUpdate {
            name,
            description,
            kind: type_
                .map(|t| parse_arg::<ReservationType>("type", t))
                .transpose()?,
        };
        let done = block_on(py, async {
            Ok(self.inner.update_reservation(&cid, scope, &body).await?)
        })?;
        to_py(py, &done)
    }

    /// Deletes the reservation of `client_id` (optionally only in `scope_id`).
    /// Raises `NotFoundError` when there is none.
    #[pyo3(signature = (client_id, scope_id = None))]
    fn delete_reservation(
        &self,
        py: Python<'_>,
        client_id: &str,
        scope_id: Option<&str>,
    ) -> PyResult<()> {
        let cid = ClientId::parse(client_id).map_err(BindingError::from)?;
        let scope = scope_id.map(scope_id_arg).transpose()?;
        block_on(py, async {
            Ok(self.inner.delete_reservation(&cid, scope).await?)
        })
    }

    /// Adds an exclusion range (`{"scope_id": …, "start": …, "end": …}`, the shape
    /// `list_exclusions()` returns); returns it.
    fn create_exclusion<'py>(
        &self,
        py: Python<'py>,
        exclusion: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let e: ExclusionRange = model_arg("exclusion", exclusion)?;
        let made = block_on(py, async { Ok(self.inner.create_exclusion(&e).await?) })?;
        to_py(py, &made)
    }

    /// Removes an exclusion range (same dict shape as `create_exclusion`).
    fn delete_exclusion(&self, py: Python<'_>, exclusion: &Bound<'_, PyAny>) -> PyResult<()> {
        let e: ExclusionRange = model_arg("exclusion", exclusion)?;
        block_on(py, async { Ok(self.inner.delete_exclusion(&e).await?) })
    }

    /// Sets one option value on a scope (a dict in the shape `list_scope_options()` returns);
    /// returns it as the server stored it.
    fn set_scope_option<'py>(
        &self,
        py: Python<'py>,
        scope_id: &str,
        option: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = scope_id_arg(scope_id)?;
        let value: OptionValue = model_arg("option", option)?;
        let done = block_on(py, async {
            Ok(self.inner.set_scope_option(id, &value).await?)
        })?;
        to_py(py, &done)
    }

    /// Removes option `code` from a scope (optionally only for a vendor or user class).
    #[pyo3(signature = (scope_id, code, *, vendor_class = None, user_class = None))]
    fn remove_scope_option(
        &self,
        py: Python<'_>,
        scope_id: &str,
        code: u8,
        vendor_class: Option<&str>,
        user_class: Option<&str>,
    ) -> PyResult<()> {
        let id = scope_id_arg(scope_id)?;
        block_on(py, async {
            Ok(self
                .inner
                .remove_scope_option(id, OptionCode::from(code), vendor_class, user_class)
                .await?)
        })
    }

    /// Creates a failover relationship from a dict in the model's failover shape (as
    /// `list_failovers()` returns, plus the shared secret when authentication is on).
    fn create_failover<'py>(
        &self,
        py: Python<'py>,
        failover: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let f: Failover = model_arg("failover", failover)?;
        let made = block_on(py, async { Ok(self.inner.create_failover_from(&f).await?) })?;
        crate::convert::value_to_py(py, &failover_json(&made)?)
    }

    /// Deletes the failover relationship `name` (its scopes stay on both servers).
    fn delete_failover(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        block_on(py, async { Ok(self.inner.delete_failover(name).await?) })
    }

    /// Replicates the given scopes to their failover partner; returns the replicated ids.
    fn replicate_scopes(&self, py: Python<'_>, scope_ids: Vec<String>) -> PyResult<Vec<String>> {
        let ids = scope_ids
            .iter()
            .map(|s| scope_id_arg(s))
            .collect::<PyResult<Vec<_>>>()?;
        let done = block_on(py, async { Ok(self.inner.replicate_scopes(&ids).await?) })?;
        Ok(done.iter().map(ToString::to_string).collect())
    }

    /// Replicates relationship `name` (all its scopes, or only `scope_ids`) to the partner;
    /// returns the replicated scope ids.
    #[pyo3(signature = (name, scope_ids = None))]
    fn replicate_failover(
        &self,
        py: Python<'_>,
        name: &str,
        scope_ids: Option<Vec<String>>,
    ) -> PyResult<Vec<String>> {
        let ids = scope_ids
            .map(|v| {
                v.iter()
                    .map(|s| scope_id_arg(s))
                    .collect::<PyResult<Vec<_>>>()
            })
            .transpose()?;
        let done = block_on(py, async {
            Ok(self.inner.replicate_failover(name, ids.as_deref()).await?)
        })?;
        Ok(done.iter().map(ToString::to_string).collect())
    }

    fn __repr__(&self) -> String {
        format!("PsuClient('{}')", self.inner.base_url())
    }
}

/// Decodes a model value (the shape the list calls return) from plain Python data.
fn model_arg<T: serde::de::DeserializeOwned>(
    what: &'static str,
    obj: &Bound<'_, PyAny>,
) -> PyResult<T> {
    let value = crate::convert::py_to_value(obj)?;
    serde_json::from_value(value).map_err(|e| BindingError::Argument(format!("{what}: {e}")).into())
}

fn parse_arg<T: std::str::FromStr>(what: &str, text: &str) -> PyResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>()
        .map_err(|e| BindingError::Argument(format!("{what}: {e}")).into())
}

fn ipv4_arg(what: &str, text: &str) -> PyResult<std::net::Ipv4Addr> {
    parse_arg(what, text)
}

fn to_py<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    crate::convert::value_to_py(py, &plain(value)?)
}

fn scope_id_arg(text: &str) -> PyResult<ScopeId> {
    Ok(scope_id(text)?)
}

/// Registers this module's classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPsuClient>()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_is_shared_within_a_process() {
        let a = runtime().unwrap();
        let b = runtime().unwrap();
        assert!(std::ptr::eq(a, b));
        assert_eq!(a.block_on(async { 40 + 2 }), 42);
    }

    #[test]
    fn psu_errors_map_to_classes() {
        let err = PsuClient::builder("").build().unwrap_err();
        assert_eq!(psu_error_kind(&err), ErrorKind::Config);
        let binding = BindingError::from(err);
        assert_eq!(binding.kind(), ErrorKind::Config);
    }

    #[test]
    fn timeouts_must_be_positive() {
        assert!(seconds("timeout", Some(0.0)).is_err());
        assert!(seconds("timeout", Some(-1.0)).is_err());
        assert_eq!(
            seconds("timeout", Some(1.5)).unwrap(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(seconds("timeout", None).unwrap(), None);
    }
}
