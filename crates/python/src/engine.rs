//! The sync planner: snapshots in, plans out.
//!
//! Two paths lead into the planner:
//!
//! * the **convenience path** takes plain Python data (dicts and lists in the documented
//!   snapshot format, as `json.load` returns it, with `str` or `int` ids as keys) and reads it
//!   directly with a serde deserializer ([`crate::pyde`]);
//! * the **fast path** takes the snapshot as a JSON `str`/`bytes` and parses it in Rust with the
//!   GIL released. Parsing once into a [`PySnapshot`] and planning from it costs the same as
//!   planning in Rust.
//!
//! Plans come back as plain Python data (`dict`, built directly by [`crate::pyser`]), as JSON
//! text, or as a [`PyPlan`] object that converts lazily.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use windhcp_sync_engine::plan::{Plan, PlanKind};
use windhcp_sync_engine::planner;
use windhcp_sync_engine::snapshot::Snapshot;

use crate::errors::BindingError;

/// Parses JSON text into `T`, naming `what` in the error.
pub fn from_json_text<T: DeserializeOwned>(
    what: &'static str,
    text: &[u8],
) -> Result<T, BindingError> {
    serde_json::from_slice(text).map_err(|e| BindingError::json(what, e))
}

/// Serialises `value` as JSON text (compact or pretty).
pub fn to_json_text<T: Serialize>(value: &T, pretty: bool) -> Result<String, BindingError> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    text.map_err(|e| BindingError::Convert {
        what: "JSON encoding",
        message: e.to_string(),
    })
}

/// Converts plain Python data into `T` (the convenience path): the objects are read directly
/// by a serde deserializer ([`crate::pyde`]), without an intermediate JSON value.
fn from_python<T: DeserializeOwned + Send>(
    _py: Python<'_>,
    what: &'static str,
    obj: &Bound<'_, PyAny>,
) -> PyResult<T> {
    Ok(
        crate::pyde::from_py(obj).map_err(|e| BindingError::Convert {
            what,
            message: e.to_string(),
        })?,
    )
}

/// Converts `value` into plain Python data: exactly what `json.loads` gives for its JSON, built
/// directly by a serde serializer ([`crate::pyser`]).
fn to_python<'py, T: Serialize + Sync>(
    py: Python<'py>,
    what: &'static str,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let out = without_gc(py, || crate::pyser::to_py(py, value))?;
    Ok(out.map_err(|e| BindingError::Convert {
        what,
        message: e.to_string(),
    })?)
}

/// Runs `f` with Python's cyclic garbage collector paused (and restores its previous state).
///
/// Building a million plain dicts and lists triggers many collections that each walk the
/// growing (acyclic) result; pausing the collector for the duration makes conversion about
/// twice as fast. The GIL is held throughout, so no other thread runs Python code meanwhile.
fn without_gc<R>(py: Python<'_>, f: impl FnOnce() -> R) -> PyResult<R> {
    let gc = py.import("gc")?;
    let was_enabled: bool = gc.call_method0("isenabled")?.extract()?;
    if was_enabled {
        gc.call_method0("disable")?;
    }
    let out = f();
    if was_enabled {
        gc.call_method0("enable")?;
    }
    Ok(out)
}

/// Decodes JSON text given as `str` or `bytes`, with the GIL released while parsing.
/// Returns `Ok(None)` when `obj` is neither.
fn decode_text<T: DeserializeOwned + Send>(
    py: Python<'_>,
    what: &'static str,
    obj: &Bound<'_, PyAny>,
) -> PyResult<Option<T>> {
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_str()?;
        return Ok(Some(py.detach(|| from_json_text(what, text.as_bytes()))?));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        let bytes = b.as_bytes();
        return Ok(Some(py.detach(|| from_json_text(what, bytes))?));
    }
    Ok(None)
}

/// A parsed snapshot: everything one run read, ready to be planned many times.
///
/// Build one with `Snapshot.from_json(text)` (fast: parsed in Rust without the GIL) or
/// `Snapshot.from_dict(data)`; both validate the documented snapshot format and raise
/// `DecodeError` with the offending path on a mismatch.
#[pyclass(
    frozen,
    skip_from_py_object,
    module = "netbox_windhcp",
    name = "Snapshot"
)]
#[derive(Debug, Clone)]
pub struct PySnapshot {
    inner: Snapshot,
}

impl PySnapshot {
    /// The wrapped snapshot.
    #[must_use]
    pub fn snapshot(&self) -> &Snapshot {
        &self.inner
    }
}

/// A snapshot argument: a `Snapshot`, JSON text (`str`/`bytes`) or plain data.
enum SnapshotArg<'a> {
    Parsed(PyRef<'a, PySnapshot>),
    Owned(Box<Snapshot>),
}

impl SnapshotArg<'_> {
    fn get(&self) -> &Snapshot {
        match self {
            SnapshotArg::Parsed(s) => &s.inner,
            SnapshotArg::Owned(s) => s,
        }
    }
}

fn snapshot_arg<'a>(py: Python<'_>, obj: &Bound<'a, PyAny>) -> PyResult<SnapshotArg<'a>> {
    if let Ok(s) = obj.cast::<PySnapshot>() {
        return Ok(SnapshotArg::Parsed(s.borrow()));
    }
    if let Some(s) = decode_text(py, "snapshot", obj)? {
        return Ok(SnapshotArg::Owned(Box::new(s)));
    }
    if obj.cast::<PyDict>().is_err() {
        return Err(PyTypeError::new_err(
            "snapshot must be a Snapshot, a JSON str/bytes or a dict in the snapshot format",
        ));
    }
    Ok(SnapshotArg::Owned(Box::new(from_python(
        py, "snapshot", obj,
    )?)))
}

#[pymethods]
impl PySnapshot {
    /// Parses a snapshot from JSON text (`str` or `bytes`), with the GIL released.
    ///
    /// Raises `DecodeError` for invalid JSON or a document that is not a snapshot.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        match decode_text(py, "snapshot", text)? {
            Some(inner) => Ok(PySnapshot { inner }),
            None => Err(PyTypeError::new_err("snapshot JSON must be str or bytes")),
        }
    }

    /// Builds a snapshot from plain Python data (what `json.load` returns for a snapshot file).
    ///
    /// Raises `DecodeError` when the data is not in the snapshot format.
    #[staticmethod]
    fn from_dict(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PySnapshot {
            inner: from_python(py, "snapshot", data)?,
        })
    }

    /// The snapshot as JSON text (the documented format).
    #[pyo3(signature = (pretty = false))]
    fn to_json(&self, py: Python<'_>, pretty: bool) -> PyResult<String> {
        Ok(py.detach(|| to_json_text(&self.inner, pretty))?)
    }

    /// The snapshot as plain Python data.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, "snapshot", &self.inner)
    }

    /// Plans a sync of every eligible server (the GIL is released while planning).
    fn plan_sync(&self, py: Python<'_>) -> PyPlan {
        PyPlan {
            inner: py.detach(|| planner::plan_sync(&self.inner)),
        }
    }

    /// Plans a one-time import from `server` (the GIL is released while planning).
    fn plan_import(&self, py: Python<'_>, server: &str) -> PyPlan {
        PyPlan {
            inner: py.detach(|| planner::plan_import(&self.inner, server)),
        }
    }

    /// The servers a sync must read (sync-standalone servers and primaries of sync-enabled
    /// failovers), sorted.
    fn servers_to_read(&self) -> Vec<String> {
        planner::servers_to_read(&self.inner.inventory)
            .into_iter()
            .map(String::from)
            .collect()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PySnapshot>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        let leases: usize = self
            .inner
            .servers
            .values()
            .flat_map(|s| s.leases.values())
            .filter_map(|r| r.ok().map(Vec::len))
            .sum();
        format!(
            "Snapshot(servers={}, scopes={}, leases={}, ip_addresses={})",
            self.inner.servers.len(),
            self.inner.inventory.scopes.len(),
            leases,
            self.inner.ipam.ip_addresses.len()
        )
    }
}

/// A plan: ordered concrete actions plus a report of what was skipped and why.
///
/// Plans are immutable and compare equal when their content is equal. `to_dict()`/`to_json()`
/// give the documented plan format; `Plan.from_json()`/`Plan.from_dict()` read it back (for
/// example a plan saved for review and applied later).
#[pyclass(frozen, skip_from_py_object, module = "netbox_windhcp", name = "Plan")]
#[derive(Debug, Clone)]
pub struct PyPlan {
    inner: Plan,
}

impl PyPlan {
    /// The wrapped plan.
    #[must_use]
    pub fn plan(&self) -> &Plan {
        &self.inner
    }
}

#[pymethods]
impl PyPlan {
    /// Reads a plan from JSON text (`str` or `bytes`). Raises `DecodeError` if it is not one.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        match decode_text(py, "plan", text)? {
            Some(inner) => Ok(PyPlan { inner }),
            None => Err(PyTypeError::new_err("plan JSON must be str or bytes")),
        }
    }

    /// Reads a plan from plain Python data. Raises `DecodeError` if it is not one.
    #[staticmethod]
    fn from_dict(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PyPlan {
            inner: from_python(py, "plan", data)?,
        })
    }

    /// The deterministic plan id (a hash of the snapshot content).
    #[getter]
    fn id(&self) -> String {
        self.inner.id.0.clone()
    }

    /// `"sync"` or `"import"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.inner.kind {
            PlanKind::Sync => "sync",
            PlanKind::Import { .. } => "import",
        }
    }

    /// The server an import plan imports from; `None` for a sync plan.
    #[getter]
    fn import_server(&self) -> Option<String> {
        match &self.inner.kind {
            PlanKind::Sync => None,
            PlanKind::Import { server } => Some(server.as_str().to_owned()),
        }
    }

    /// The actions in execution order, as a list of dicts (each with `context`, `reason` and
    /// `action`, whose `kind` names the action).
    #[getter]
    fn actions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, "plan actions", &self.inner.actions)
    }

    /// The report (skipped items, conflicts, counters) as a dict.
    #[getter]
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, "plan report", &self.inner.report)
    }

    /// `True` when the plan has no actions.
    #[getter]
    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Number of actions per action kind (`{"create_ip": 12, …}`), sorted by kind.
    fn counts(&self) -> std::collections::BTreeMap<&'static str, usize> {
        self.inner.counts()
    }

    /// The plan as plain Python data (the documented plan format).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, "plan", &self.inner)
    }

    /// The plan as JSON text (the documented plan format), compact or pretty.
    #[pyo3(signature = (pretty = false))]
    fn to_json(&self, py: Python<'_>, pretty: bool) -> PyResult<String> {
        Ok(py.detach(|| to_json_text(&self.inner, pretty))?)
    }

    fn __len__(&self) -> usize {
        self.inner.actions.len()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyPlan>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "Plan(id='{}', kind='{}', actions={}, conflicts={}, skipped={})",
            self.inner.id,
            self.kind(),
            self.inner.actions.len(),
            self.inner.report.conflicts.len(),
            self.inner.report.skipped.len()
        )
    }
}

/// Plans a sync and returns the plan as plain Python data.
///
/// `snapshot` is a `Snapshot`, the snapshot as JSON text (`str`/`bytes`, parsed without the
/// GIL), or plain data in the snapshot format (a dict as `json.load` returns it). The result is
/// a dict with `id`, `kind`, `actions` and `report`.
///
/// Raises `DecodeError` when the snapshot is not in the documented format.
#[pyfunction]
pub fn plan_sync<'py>(
    py: Python<'py>,
    snapshot: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let arg = snapshot_arg(py, snapshot)?;
    let snap = arg.get();
    let plan = py.detach(|| planner::plan_sync(snap));
    to_python(py, "plan", &plan)
}

/// Plans a one-time import from `server` and returns the plan as plain Python data.
///
/// `snapshot` is accepted in the same forms as for `plan_sync`.
#[pyfunction]
pub fn plan_import<'py>(
    py: Python<'py>,
    snapshot: &Bound<'py, PyAny>,
    server: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let arg = snapshot_arg(py, snapshot)?;
    let snap = arg.get();
    let plan = py.detach(|| planner::plan_import(snap, server));
    to_python(py, "plan", &plan)
}

/// Plans a sync from snapshot JSON and returns the plan as JSON text: the fastest path, since
/// parsing, planning and encoding all run in Rust without the GIL.
#[pyfunction]
#[pyo3(signature = (snapshot_json, pretty = false))]
pub fn plan_sync_json(py: Python<'_>, snapshot_json: &str, pretty: bool) -> PyResult<String> {
    Ok(py.detach(|| {
        let snapshot: Snapshot = from_json_text("snapshot", snapshot_json.as_bytes())?;
        to_json_text(&planner::plan_sync(&snapshot), pretty)
    })?)
}

/// Plans an import from `server` from snapshot JSON and returns the plan as JSON text.
#[pyfunction]
#[pyo3(signature = (snapshot_json, server, pretty = false))]
pub fn plan_import_json(
    py: Python<'_>,
    snapshot_json: &str,
    server: &str,
    pretty: bool,
) -> PyResult<String> {
    Ok(py.detach(|| {
        let snapshot: Snapshot = from_json_text("snapshot", snapshot_json.as_bytes())?;
        to_json_text(&planner::plan_import(&snapshot, server), pretty)
    })?)
}

/// Encodes a plan (a `Plan` or a plan dict) as JSON text. A dict is validated against the plan
/// format first, so the text is always a readable plan.
///
/// Raises `DecodeError` when a dict is not a plan.
#[pyfunction]
#[pyo3(signature = (plan, pretty = false))]
pub fn plan_to_json(py: Python<'_>, plan: &Bound<'_, PyAny>, pretty: bool) -> PyResult<String> {
    if let Ok(p) = plan.cast::<PyPlan>() {
        let p = p.get();
        return Ok(py.detach(|| to_json_text(&p.inner, pretty))?);
    }
    let parsed: Plan = from_python(py, "plan", plan)?;
    Ok(py.detach(|| to_json_text(&parsed, pretty))?)
}

/// Decodes plan JSON text (`str` or `bytes`) into plain Python data, validating it against the
/// plan format on the way.
///
/// Raises `DecodeError` when the text is not a plan.
#[pyfunction]
pub fn plan_from_json<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    match decode_text::<Plan>(py, "plan", text)? {
        Some(plan) => to_python(py, "plan", &plan),
        None => Err(PyTypeError::new_err("plan JSON must be str or bytes")),
    }
}

/// Registers this module's functions and classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySnapshot>()?;
    m.add_class::<PyPlan>()?;
    m.add_function(wrap_pyfunction!(plan_sync, m)?)?;
    m.add_function(wrap_pyfunction!(plan_import, m)?)?;
    m.add_function(wrap_pyfunction!(plan_sync_json, m)?)?;
    m.add_function(wrap_pyfunction!(plan_import_json, m)?)?;
    m.add_function(wrap_pyfunction!(plan_to_json, m)?)?;
    m.add_function(wrap_pyfunction!(plan_from_json, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_snapshot_plans_and_round_trips_through_json() {
        let snapshot: Snapshot = from_json_text(
            "snapshot",
            br#"{"settings": {}, "inventory": {}, "ipam": {}}"#,
        )
        .unwrap();
        let plan = planner::plan_sync(&snapshot);
        let text = to_json_text(&plan, false).unwrap();
        let back: Plan = from_json_text("plan", text.as_bytes()).unwrap();
        assert_eq!(back, plan);
        assert_eq!(back.kind, PlanKind::Sync);
    }

    #[test]
    fn bad_snapshot_json_names_what_failed() {
        let err = from_json_text::<Snapshot>("snapshot", br#"{"settings": 3}"#).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("snapshot: "), "{text}");
        assert_eq!(err.kind(), crate::errors::ErrorKind::Decode);
    }
}
