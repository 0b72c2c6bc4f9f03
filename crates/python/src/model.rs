//! Model helpers: lease lifetimes, client ids and the DHCP option catalog.
//!
//! The functions here are thin: every rule lives in `windhcp-dhcp-model`, so Python and Rust
//! agree on every spelling, limit and error.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyList};

use windhcp_dhcp_model::lifetime::INFINITE_LEASE_SECS;
use windhcp_dhcp_model::{
    ClientId, LeaseLifetime, LifetimeUnit, OptionCode, OptionData, OptionDataType,
    OptionDefinition, OptionValue, catalog,
};

use crate::errors::BindingError;

// ---------------------------------------------------------------------------------------------
// Lease lifetimes
// ---------------------------------------------------------------------------------------------

/// The lowercase unit name used on the Python side (`"days"`, `"hours"`, …).
#[must_use]
pub fn unit_name(unit: LifetimeUnit) -> &'static str {
    match unit {
        LifetimeUnit::Seconds => "seconds",
        LifetimeUnit::Minutes => "minutes",
        LifetimeUnit::Hours => "hours",
        LifetimeUnit::Days => "days",
    }
}

/// A lifetime from the Python convention: `None` is unlimited, an int is seconds.
fn lifetime_arg(seconds: &Bound<'_, PyAny>) -> PyResult<LeaseLifetime> {
    if seconds.is_none() {
        return Ok(LeaseLifetime::Unlimited);
    }
    if seconds.is_instance_of::<PyBool>() || !seconds.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(
            "a lease lifetime is an int number of seconds or None (unlimited)",
        ));
    }
    match seconds.extract::<u64>() {
        Ok(secs) => Ok(LeaseLifetime::from_secs(secs)),
        // Ints too large for u64 are longer than any finite DHCP lease.
        Err(_) if seconds.gt(0)? => Ok(LeaseLifetime::Unlimited),
        Err(_) => Err(BindingError::Argument(format!(
            "a lease lifetime cannot be negative (got {seconds})"
        ))
        .into()),
    }
}

/// Formats a lease lifetime the way Windows and NetBox show it.
///
/// `seconds` is a number of seconds, or `None` for an unlimited lease. Values of
/// `0xFFFFFFFF` seconds and above are unlimited too (DHCP cannot express a longer finite
/// lease).
///
/// >>> format_lifetime(86400), format_lifetime(262800), format_lifetime(None)
/// ('1 Day', '73 Hours', 'Unlimited')
///
/// Raises `ValidationError` for a negative number and `TypeError` for a non-int.
#[pyfunction]
#[pyo3(signature = (seconds))]
pub fn format_lifetime(seconds: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(lifetime_arg(seconds)?.to_string())
}

/// Splits a lease lifetime into `(count, unit)` with the largest unit that divides it exactly.
///
/// `unit` is one of `"days"`, `"hours"`, `"minutes"`, `"seconds"`. Returns `None` for an
/// unlimited lifetime (`None`, or `0xFFFFFFFF` seconds and above).
///
/// >>> decompose_lifetime(259200), decompose_lifetime(262800), decompose_lifetime(0)
/// ((3, 'days'), (73, 'hours'), (0, 'seconds'))
#[pyfunction]
#[pyo3(signature = (seconds))]
pub fn decompose_lifetime(seconds: &Bound<'_, PyAny>) -> PyResult<Option<(u64, &'static str)>> {
    Ok(lifetime_arg(seconds)?
        .decompose()
        .map(|(n, unit)| (n, unit_name(unit))))
}

/// Parses a lease lifetime and returns its seconds, or `None` for an unlimited lifetime.
///
/// Accepts the display form in any case (`"3 Days"`, `"1 hour"`), a count glued to a short
/// unit (`"8h"`, `"30m"`), a bare number of seconds (`"3600"`), and `"Unlimited"`.
///
/// >>> parse_lifetime("3 Days"), parse_lifetime("8h"), parse_lifetime("unlimited")
/// (259200, 28800, None)
///
/// Raises `ValidationError` for anything else.
#[pyfunction]
pub fn parse_lifetime(text: &str) -> PyResult<Option<u64>> {
    let lifetime: LeaseLifetime = text.parse().map_err(BindingError::from)?;
    Ok(lifetime.as_secs())
}

/// Seconds of `value × unit`, as entered in a form (`lifetime_seconds(3, "days") == 259200`).
///
/// `unit` is a unit name in any case, singular or plural, or a short form (`"d"`, `"h"`,
/// `"min"`, `"s"`). Raises `ValidationError` for an unknown unit or a product that reaches
/// `0xFFFFFFFF` seconds (use `None` for an unlimited lease).
#[pyfunction]
pub fn lifetime_seconds(value: u64, unit: &str) -> PyResult<u64> {
    let unit: LifetimeUnit = unit.parse().map_err(BindingError::from)?;
    let lifetime = LeaseLifetime::from_value_unit(value, unit).map_err(BindingError::from)?;
    // `from_value_unit` only returns finite lifetimes; this arm is unreachable in practice.
    lifetime
        .as_secs()
        .ok_or_else(|| BindingError::Argument("lifetime is unlimited".to_owned()).into())
}

// ---------------------------------------------------------------------------------------------
// Client ids
// ---------------------------------------------------------------------------------------------

/// Normalises a DHCP client id (usually a MAC address) to the canonical Windows spelling.
///
/// Accepts `aa-bb-cc-dd-ee-ff`, `AA:BB:CC:DD:EE:FF`, `aabb.ccdd.eeff`, `aabbccddeeff`,
/// `0xaabbccddeeff` and longer ids such as `01-aa-bb-cc-dd-ee-ff`, with surrounding spaces.
///
/// >>> normalize_client_id("AABB.CCDD.EEFF")
/// 'aa-bb-cc-dd-ee-ff'
///
/// Raises `ValidationError` when the text is not a client id.
#[pyfunction]
pub fn normalize_client_id(text: &str) -> PyResult<String> {
    Ok(ClientId::parse(text)
        .map_err(BindingError::from)?
        .to_string())
}

/// A DHCP client identifier with one canonical spelling (`aa-bb-cc-dd-ee-ff`).
///
/// Every spelling of the same bytes compares and hashes equal. `01-aa-bb-cc-dd-ee-ff`
/// (Ethernet hardware type + MAC) is a different id than `aa-bb-cc-dd-ee-ff`, because Windows
/// matches reservations on the exact bytes; `same_hardware` answers "same network card?".
#[pyclass(
    frozen,
    skip_from_py_object,
    eq,
    ord,
    hash,
    module = "netbox_windhcp",
    name = "ClientId"
)]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PyClientId {
    inner: ClientId,
}

#[pymethods]
impl PyClientId {
    /// Parses a client id from any accepted spelling (see `normalize_client_id`).
    ///
    /// Raises `ValidationError` when the text is not a client id.
    #[new]
    fn new(text: &str) -> PyResult<Self> {
        Ok(PyClientId {
            inner: ClientId::parse(text).map_err(BindingError::from)?,
        })
    }

    /// A client id from its raw bytes (1 to 255 of them).
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        Ok(PyClientId {
            inner: ClientId::from_bytes(data.to_vec()).map_err(BindingError::from)?,
        })
    }

    /// The raw bytes.
    #[getter]
    fn bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.as_bytes())
    }

    /// `True` when the id is exactly six bytes (a plain MAC address).
    #[getter]
    fn is_mac(&self) -> bool {
        self.inner.is_mac()
    }

    /// The MAC address inside the id in canonical form: the id itself when it has six bytes,
    /// the last six bytes of a seven-byte id starting with `01`, otherwise `None`.
    #[getter]
    fn mac(&self) -> Option<String> {
        self.inner
            .mac_bytes()
            .map(|mac| ClientId::from_mac(mac).to_string())
    }

    /// `True` when both ids name the same hardware (equal, or the same MAC with or without the
    /// `01` hardware-type prefix).
    fn same_hardware(&self, other: PyRef<'_, PyClientId>) -> bool {
        self.inner.same_hardware(&other.inner)
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!("ClientId('{}')", self.inner)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

fn definition_dict<'py>(py: Python<'py>, def: &OptionDefinition) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("code", def.code)?;
    d.set_item("name", def.name)?;
    d.set_item("data_type", def.data_type.to_string())?;
    d.set_item("windows_type", def.data_type.windows_name())?;
    d.set_item("multi_valued", def.data_type.is_multi_valued())?;
    d.set_item("description", def.description)?;
    Ok(d)
}

/// Every DHCPv4 option Windows predefines, ordered by code, as a list of dicts.
///
/// Each dict has `code` (int), `name` (the Windows console name), `data_type` (e.g.
/// `"IPv4Address[]"`), `windows_type` (`"IPv4Address"`), `multi_valued` (bool) and
/// `description`.
#[pyfunction]
pub fn option_catalog(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for def in catalog() {
        list.append(definition_dict(py, def)?)?;
    }
    Ok(list)
}

/// The predefined definition of option `code` (a dict shaped like the `option_catalog`
/// entries), or `None` when Windows does not predefine the code.
#[pyfunction]
pub fn option_definition(py: Python<'_>, code: u8) -> PyResult<Option<Bound<'_, PyDict>>> {
    OptionCode::from(code)
        .definition()
        .map(|def| definition_dict(py, def))
        .transpose()
}

fn data_value<'py>(py: Python<'py>, data: &OptionData) -> PyResult<Bound<'py, PyAny>> {
    Ok(match data {
        OptionData::Byte(v) => v.into_pyobject(py)?.into_any(),
        OptionData::Word(v) => v.into_pyobject(py)?.into_any(),
        OptionData::Dword(v) => v.into_pyobject(py)?.into_any(),
        OptionData::DwordDword(v) => v.into_pyobject(py)?.into_any(),
        OptionData::ByteList(v) => PyList::new(py, v)?.into_any(),
        OptionData::WordList(v) => PyList::new(py, v)?.into_any(),
        OptionData::DwordList(v) => PyList::new(py, v)?.into_any(),
        OptionData::DwordDwordList(v) => PyList::new(py, v)?.into_any(),
        OptionData::StringList(v) => PyList::new(py, v)?.into_any(),
        OptionData::IpAddress(ip) => ip.to_string().into_pyobject(py)?.into_any(),
        OptionData::Ipv6Address(ip) => ip.to_string().into_pyobject(py)?.into_any(),
        OptionData::IpAddressList(v) => {
            PyList::new(py, v.iter().map(ToString::to_string))?.into_any()
        }
        OptionData::String(s) => s.into_pyobject(py)?.into_any(),
        OptionData::Binary(b) | OptionData::Encapsulated(b) => PyBytes::new(py, b).into_any(),
        other => other.format().into_pyobject(py)?.into_any(),
    })
}

/// Parses the text form of an option value and returns it typed, as a dict.
///
/// For a predefined code the data type comes from the catalog and `data_type` may be left
/// out; it is required for other codes (and under a vendor class, which reuses codes). Type
/// names are Windows' (`"IPv4Address"`, `"DWord"`, `"BinaryData"`, `"IPv4Address[]"` for a
/// list, …) in any case.
///
/// The result has `code`, `name` (or `None`), `vendor_class`, `user_class`, `data_type`,
/// `value` (an int, a str, bytes, or for a multi-valued type a list of ints, of str addresses
/// or of str), `text`
/// (the canonical text form) and `values` (the list Windows shows, one str per element).
///
/// >>> parse_option_value(6, "10.0.0.53,10.0.0.54")["value"]
/// ['10.0.0.53', '10.0.0.54']
///
/// Raises `ValidationError` when the text does not fit the type or the type does not fit the
/// catalog.
#[pyfunction]
#[pyo3(signature = (code, text, data_type = None, vendor_class = None, user_class = None))]
pub fn parse_option_value<'py>(
    py: Python<'py>,
    code: u8,
    text: &str,
    data_type: Option<&str>,
    vendor_class: Option<String>,
    user_class: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let option_code = OptionCode::from(code);
    let data_type: OptionDataType = match data_type {
        Some(name) => name.parse().map_err(BindingError::from)?,
        None if vendor_class.is_some() => {
            return Err(BindingError::Argument(format!(
                "option {code} under a vendor class needs an explicit data_type"
            ))
            .into());
        }
        None => option_code.data_type().ok_or_else(|| {
            BindingError::Argument(format!(
                "option {code} is not predefined by Windows: pass data_type"
            ))
        })?,
    };
    let data = OptionData::parse(data_type, text).map_err(BindingError::from)?;
    let value = OptionValue::with_classes(option_code, vendor_class, user_class, data)
        .map_err(BindingError::from)?;
    let d = PyDict::new(py);
    d.set_item("code", value.code().code())?;
    d.set_item("name", value.code().name())?;
    d.set_item("vendor_class", value.vendor_class())?;
    d.set_item("user_class", value.user_class())?;
    d.set_item("data_type", value.data().data_type().to_string())?;
    d.set_item("value", data_value(py, value.data())?)?;
    d.set_item("text", value.data().format())?;
    d.set_item("values", value.data().values())?;
    Ok(d)
}

/// The DHCP wire value for an unlimited lease (`0xFFFFFFFF`), exported for callers.
pub const UNLIMITED_LEASE_SECONDS: u64 = INFINITE_LEASE_SECS;

/// Registers this module's functions and classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(format_lifetime, m)?)?;
    m.add_function(wrap_pyfunction!(decompose_lifetime, m)?)?;
    m.add_function(wrap_pyfunction!(parse_lifetime, m)?)?;
    m.add_function(wrap_pyfunction!(lifetime_seconds, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_client_id, m)?)?;
    m.add_function(wrap_pyfunction!(option_catalog, m)?)?;
    m.add_function(wrap_pyfunction!(option_definition, m)?)?;
    m.add_function(wrap_pyfunction!(parse_option_value, m)?)?;
    m.add_class::<PyClientId>()?;
    m.add("UNLIMITED_LEASE_SECONDS", UNLIMITED_LEASE_SECONDS)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_round_trip_through_the_model_parser() {
        for unit in LifetimeUnit::LARGEST_FIRST {
            let parsed: LifetimeUnit = unit_name(unit).parse().unwrap_or(LifetimeUnit::Seconds);
            assert_eq!(parsed, unit);
        }
    }
}
