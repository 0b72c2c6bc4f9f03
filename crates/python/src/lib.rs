//! Python bindings for netbox-windhcp (PyO3, one abi3 wheel for CPython ≥ 3.10).
//!
//! The native extension is `netbox_windhcp._native`; the pure-Python package
//! `netbox_windhcp` re-exports it and ships type stubs. This crate owns the translation only:
//! every rule lives in the engine crates, so Python and Rust give the same answers.
//!
//! * [`model`]: lease lifetimes, client ids, the option catalog and typed option values;
//! * [`engine`]: `plan_sync` / `plan_import` from plain data or JSON, `Snapshot` and `Plan`;
//! * [`clients`]: the blocking `PsuClient` (GIL released, one shared tokio runtime);
//! * [`netbox`]: the blocking `NetBoxClient` (same runtime);
//! * [`errors`]: the `WindhcpError` exception hierarchy.

pub mod clients;
pub mod convert;
pub mod engine;
pub mod errors;
pub mod model;
pub mod netbox;
pub mod pyde;
pub mod pyser;

use pyo3::prelude::*;

/// The native module `netbox_windhcp._native`.
#[pymodule]
#[pyo3(name = "_native")]
pub fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("WindhcpError", py.get_type::<errors::WindhcpError>())?;
    m.add("ValidationError", py.get_type::<errors::ValidationError>())?;
    m.add("ConfigError", py.get_type::<errors::ConfigError>())?;
    m.add("DecodeError", py.get_type::<errors::DecodeError>())?;
    m.add("TransportError", py.get_type::<errors::TransportError>())?;
    m.add(
        "RequestTimeoutError",
        py.get_type::<errors::RequestTimeoutError>(),
    )?;
    m.add("AuthError", py.get_type::<errors::AuthError>())?;
    m.add("NotFoundError", py.get_type::<errors::NotFoundError>())?;
    m.add("ConflictError", py.get_type::<errors::ConflictError>())?;
    m.add(
        "RateLimitedError",
        py.get_type::<errors::RateLimitedError>(),
    )?;
    m.add("RemoteError", py.get_type::<errors::RemoteError>())?;
    model::register(m)?;
    engine::register(m)?;
    clients::register(m)?;
    netbox::register(m)?;
    errors::install_defaults(py)?;
    Ok(())
}
