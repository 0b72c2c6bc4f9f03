//! The Python exception hierarchy and the crate's own error type.
//!
//! Every error raised by `netbox_windhcp` is a subclass of `WindhcpError`:
//!
//! ```text
//! WindhcpError
//! ├── ValidationError        a value was rejected by the model's rules
//! │   └── ConfigError        a client was configured wrongly (bad host, bad URL, …)
//! ├── DecodeError            input or a response could not be decoded (JSON, shape)
//! ├── TransportError         the request did not get an answer (connect, TLS, I/O)
//! │   └── RequestTimeoutError the request or the connection timed out
//! ├── AuthError              401/403: missing, wrong or under-privileged token
//! ├── NotFoundError          404: the object or endpoint does not exist
//! ├── ConflictError          409/412: the object exists or changed underneath us
//! ├── RateLimitedError       429: the server asked us to slow down
//! └── RemoteError            the server answered with an error (5xx, PowerShell failure, …)
//! ```
//!
//! Messages never contain a token or a shared secret: the wrapped Rust errors are built to
//! redact them, and this module adds nothing but their text.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use windhcp_dhcp_model::ModelError;

create_exception!(
    netbox_windhcp,
    WindhcpError,
    PyException,
    "Base class of every error raised by netbox_windhcp."
);
create_exception!(
    netbox_windhcp,
    ValidationError,
    WindhcpError,
    "A value was rejected by the domain rules (bad MAC, lease lifetime, option value, range, …)."
);
create_exception!(
    netbox_windhcp,
    ConfigError,
    ValidationError,
    "A client was configured wrongly (empty host, malformed URL, unusable CA, zero timeout, …)."
);
create_exception!(
    netbox_windhcp,
    DecodeError,
    WindhcpError,
    "Input or a server response could not be decoded (JSON syntax, wrong shape or field types)."
);
create_exception!(
    netbox_windhcp,
    TransportError,
    WindhcpError,
    "The request got no HTTP answer (DNS, connect, TLS, connection reset)."
);
create_exception!(
    netbox_windhcp,
    RequestTimeoutError,
    TransportError,
    "The connection or the request timed out."
);
create_exception!(
    netbox_windhcp,
    AuthError,
    WindhcpError,
    "The server refused the credentials (HTTP 401/403): missing, wrong or under-privileged token."
);
create_exception!(
    netbox_windhcp,
    NotFoundError,
    WindhcpError,
    "The object or endpoint does not exist (HTTP 404)."
);
create_exception!(
    netbox_windhcp,
    ConflictError,
    WindhcpError,
    "The object already exists or changed since it was read (HTTP 409/412)."
);
create_exception!(
    netbox_windhcp,
    RateLimitedError,
    WindhcpError,
    "The server asked the client to slow down (HTTP 429) and retries were exhausted."
);
create_exception!(
    netbox_windhcp,
    RemoteError,
    WindhcpError,
    "The server answered with an error that fits no other class (HTTP 5xx, a PowerShell failure)."
);

/// The Python exception class an error maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `ValidationError`.
    Validation,
    /// `ConfigError`.
    Config,
    /// `DecodeError`.
    Decode,
    /// `TransportError`.
    Transport,
    /// `RequestTimeoutError`.
    Timeout,
    /// `AuthError`.
    Auth,
    /// `NotFoundError`.
    NotFound,
    /// `ConflictError`.
    Conflict,
    /// `RateLimitedError`.
    RateLimited,
    /// `RemoteError`.
    Remote,
}

impl ErrorKind {
    /// The kind for an HTTP status the server answered with.
    #[must_use]
    pub fn from_status(status: u16) -> Self {
        match status {
            401 | 403 => ErrorKind::Auth,
            404 | 410 => ErrorKind::NotFound,
            409 | 412 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            408 | 504 => ErrorKind::Timeout,
            400 | 422 => ErrorKind::Validation,
            _ => ErrorKind::Remote,
        }
    }

    /// The Python exception class name (as exported by `netbox_windhcp`).
    #[must_use]
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "ValidationError",
            ErrorKind::Config => "ConfigError",
            ErrorKind::Decode => "DecodeError",
            ErrorKind::Transport => "TransportError",
            ErrorKind::Timeout => "RequestTimeoutError",
            ErrorKind::Auth => "AuthError",
            ErrorKind::NotFound => "NotFoundError",
            ErrorKind::Conflict => "ConflictError",
            ErrorKind::RateLimited => "RateLimitedError",
            ErrorKind::Remote => "RemoteError",
        }
    }

    /// A Python exception of this kind carrying `message`.
    #[must_use]
    pub fn to_pyerr(self, message: String) -> PyErr {
        match self {
            ErrorKind::Validation => ValidationError::new_err(message),
            ErrorKind::Config => ConfigError::new_err(message),
            ErrorKind::Decode => DecodeError::new_err(message),
            ErrorKind::Transport => TransportError::new_err(message),
            ErrorKind::Timeout => RequestTimeoutError::new_err(message),
            ErrorKind::Auth => AuthError::new_err(message),
            ErrorKind::NotFound => NotFoundError::new_err(message),
            ErrorKind::Conflict => ConflictError::new_err(message),
            ErrorKind::RateLimited => RateLimitedError::new_err(message),
            ErrorKind::Remote => RemoteError::new_err(message),
        }
    }
}

/// Everything the bindings can fail with before it becomes a Python exception.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindingError {
    /// A model value was rejected (maps to `ValidationError`).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// JSON text could not be parsed or did not have the expected shape (maps to `DecodeError`).
    #[error("{what}: {source}")]
    Json {
        /// What was being decoded (`"snapshot"`, `"plan"`, …).
        what: &'static str,
        /// The parser's error (line and column included).
        source: serde_json::Error,
    },
    /// A Python object could not be converted to or from the Rust data (maps to `DecodeError`).
    #[error("{what}: {message}")]
    Convert {
        /// What was being converted.
        what: &'static str,
        /// Why it failed.
        message: String,
    },
    /// An argument was out of range or of the wrong kind (maps to `ValidationError`).
    #[error("{0}")]
    Argument(String),
    /// The shared async runtime could not be started (maps to `TransportError`).
    #[error("could not start the I/O runtime: {0}")]
    Runtime(String),
    /// A NetBox call failed with details Python code can inspect (`status`, `field_errors`,
    /// `request_id` attributes on the exception).
    #[error("{}", .0.message)]
    Http(Box<HttpFailure>),
    /// A PSU or NetBox client call failed; `kind` is the exception class it maps to.
    #[error("{message}")]
    Client {
        /// The exception class.
        kind: ErrorKind,
        /// The client's error text (credentials are never part of it).
        message: String,
    },
}

impl BindingError {
    /// The exception class this error maps to.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            BindingError::Model(_) | BindingError::Argument(_) => ErrorKind::Validation,
            BindingError::Json { .. } | BindingError::Convert { .. } => ErrorKind::Decode,
            BindingError::Runtime(_) => ErrorKind::Transport,
            BindingError::Client { kind, .. } => *kind,
            BindingError::Http(f) => f.kind,
        }
    }

    /// A JSON error while decoding `what`.
    #[must_use]
    pub fn json(what: &'static str, source: serde_json::Error) -> Self {
        BindingError::Json { what, source }
    }
}

/// A failed HTTP call, with what the server said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpFailure {
    /// The exception class.
    pub kind: ErrorKind,
    /// The error text (credentials are never part of it).
    pub message: String,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
    /// Field name → messages of a validation error (`__all__` for non-field messages).
    pub field_errors: Vec<(String, Vec<String>)>,
    /// `X-Request-ID` of the failed request, when the server sent one.
    pub request_id: Option<String>,
}

impl From<BindingError> for PyErr {
    fn from(err: BindingError) -> PyErr {
        let kind = err.kind();
        let BindingError::Http(failure) = err else {
            return kind.to_pyerr(err.to_string());
        };
        let HttpFailure {
            message,
            status,
            field_errors,
            request_id,
            ..
        } = *failure;
        let py_err = kind.to_pyerr(message);
        Python::attach(|py| {
            let value = py_err.value(py);
            let fields = PyDict::new(py);
            for (field, messages) in &field_errors {
                // Setting attributes on a fresh exception instance cannot fail short of memory
                // exhaustion; the exception is raised either way.
                let _ = fields.set_item(field, messages);
            }
            let _ = value.setattr("status", status);
            let _ = value.setattr("field_errors", fields);
            let _ = value.setattr("request_id", request_id);
        });
        py_err
    }
}

/// Sets the class-level defaults of the detail attributes on `WindhcpError`, so every
/// exception of the hierarchy has `status`, `field_errors` and `request_id`.
pub(crate) fn install_defaults(py: Python<'_>) -> PyResult<()> {
    let base = py.get_type::<WindhcpError>();
    base.setattr("status", py.None())?;
    // Read-only, so the default shared by every instance cannot be changed by accident.
    let empty = py
        .import("types")?
        .getattr("MappingProxyType")?
        .call1((PyDict::new(py),))?;
    base.setattr("field_errors", empty)?;
    base.setattr("request_id", py.None())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_documented_classes() {
        let cases = [
            (401, "AuthError"),
            (403, "AuthError"),
            (404, "NotFoundError"),
            (409, "ConflictError"),
            (412, "ConflictError"),
            (429, "RateLimitedError"),
            (504, "RequestTimeoutError"),
            (422, "ValidationError"),
            (500, "RemoteError"),
            (502, "RemoteError"),
        ];
        for (status, class) in cases {
            assert_eq!(
                ErrorKind::from_status(status).class_name(),
                class,
                "{status}"
            );
        }
    }

    #[test]
    fn binding_errors_pick_their_class() {
        let model = BindingError::from(ModelError::EmptyField { field: "name" });
        assert_eq!(model.kind(), ErrorKind::Validation);
        let json = serde_json::from_str::<serde_json::Value>("{").map(|_| ());
        let Err(source) = json else {
            unreachable!("`{{` is not JSON")
        };
        let err = BindingError::json("snapshot", source);
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.to_string().starts_with("snapshot: "), "{err}");
    }
}
