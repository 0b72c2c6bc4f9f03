//! Typed errors of the PSU client.
//!
//! Every error that comes from a request names the [`Endpoint`] it came from, says whether the
//! request may have reached the server ([`PsuError::may_have_reached_server`]) and whether it is
//! worth repeating ([`PsuError::is_retryable`]). No variant ever carries the app token.

use std::fmt;
use std::time::Duration;

/// Maximum number of characters of a response body kept in an error.
pub const BODY_EXCERPT_CHARS: usize = 512;

/// Hint attached to 401/403 errors.
const AUTH_HINT: &str = "check the PSU app token and that its identity holds the DHCPReader role \
     (reads) or DHCPWriter role (writes) in PowerShell Universal";

/// The request an error belongs to: HTTP method and path (never the host or the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// HTTP method, upper case (`GET`, `POST`, …).
    pub method: &'static str,
    /// Path below the server root, e.g. `/api/dhcp/leases`.
    pub path: String,
}

impl Endpoint {
    /// Builds an endpoint description.
    pub fn new(method: &'static str, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Everything that can go wrong talking to a PSU DHCP endpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PsuError {
    /// The client configuration is unusable (bad host, unreadable CA certificate, …).
    #[error("invalid PSU client configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },

    /// The arguments of a call were rejected before anything was sent.
    #[error("invalid request to {endpoint}: {reason}")]
    InvalidRequest {
        /// The endpoint that would have been called.
        endpoint: Endpoint,
        /// What is wrong.
        reason: String,
    },

    /// The TCP/TLS connection could not be established; the request never reached the server.
    #[error("PSU server unreachable for {endpoint}: {message}")]
    Unreachable {
        /// The endpoint that was called.
        endpoint: Endpoint,
        /// Transport error text (no secrets).
        message: String,
    },

    /// The request (or the connection attempt) took longer than the configured timeout.
    #[error("timeout after {elapsed:?} calling {endpoint}")]
    Timeout {
        /// The endpoint that was called.
        endpoint: Endpoint,
        /// Time spent on the attempt that timed out.
        elapsed: Duration,
        /// `false` only when the timeout happened while connecting.
        during_connect: bool,
    },

    /// Sending the request or reading the response failed after the connection was made.
    #[error("transport error calling {endpoint}: {message}")]
    Transport {
        /// The endpoint that was called.
        endpoint: Endpoint,
        /// Transport error text (no secrets).
        message: String,
    },

    /// HTTP 401: PSU did not accept the app token.
    #[error("unauthorized (401) calling {endpoint}: {hint}")]
    Unauthorized {
        /// The endpoint that was called.
        endpoint: Endpoint,
        /// What to check.
        hint: &'static str,
    },

    /// HTTP 403: the token is valid but its roles do not allow this endpoint.
    #[error("forbidden (403) calling {endpoint}: {hint}")]
    Forbidden {
        /// The endpoint that was called.
        endpoint: Endpoint,
        /// What to check.
        hint: &'static str,
    },

    /// HTTP 404: the scope/reservation/exclusion does not exist (the script also answers 404
    /// for other CIM failures, see the message).
    #[error("not found (404) calling {endpoint}: {message}")]
    NotFound {
        /// The endpoint that was called.
        endpoint: Endpoint,
        /// The script's `{"error"}` message or a body excerpt.
        message: String,
    },

    /// HTTP 409: the object already exists or clashes with another one.
    #[error("conflict (409) calling {endpoint}: {message}")]
    Conflict {
        /// The endpoint that was called.
        endpoint: Endpoint,
        /// The script's `{"error"}` message or a body excerpt.
        message: String,
    },

    /// HTTP 400 or 422: the script rejected the input.
    #[error("bad request ({status}) calling {endpoint}: {message}")]
    BadRequest {
        /// The endpoint that was called.
        endpoint: Endpoint,
        /// 400 or 422.
        status: u16,
        /// The script's `{"error"}` message or a body excerpt.
        message: String,
    },

    /// HTTP 429: PSU throttled the request.
    #[error("rate limited (429) calling {endpoint}")]
    RateLimited {
        /// The endpoint that was called.
        endpoint: Endpoint,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },

    /// HTTP 5xx or any other unexpected status.
    #[error("server error ({status}) calling {endpoint}: {message}")]
    Server {
        /// The endpoint that was called.
        endpoint: Endpoint,
        /// HTTP status code.
        status: u16,
        /// The script's `{"error"}` message, or a body excerpt when there is none.
        message: String,
        /// The start of the response body (at most [`BODY_EXCERPT_CHARS`] characters).
        body_excerpt: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },

    /// The response body could not be decoded into the expected shape.
    #[error("cannot decode response of {endpoint} at `{path}`: {message}")]
    Decode {
        /// The endpoint that was called.
        endpoint: Endpoint,
        /// JSON path of the offending value (`.` when the whole body is wrong).
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

impl PsuError {
    /// `false` only when the request certainly did not reach the server (bad configuration,
    /// rejected arguments, connection refused, connect timeout). A write that failed with an
    /// error answering `true` may or may not have been applied.
    #[must_use]
    pub fn may_have_reached_server(&self) -> bool {
        match self {
            Self::InvalidConfig { .. } | Self::InvalidRequest { .. } | Self::Unreachable { .. } => {
                false
            }
            Self::Timeout { during_connect, .. } => !during_connect,
            _ => true,
        }
    }

    /// Whether the failure is transient: connect errors, timeouts, dropped connections, 429,
    /// 502, 503, 504. The client only repeats requests that are also idempotent.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unreachable { .. }
            | Self::Timeout { .. }
            | Self::Transport { .. }
            | Self::RateLimited { .. } => true,
            Self::Server { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }

    /// The server's `Retry-After`, if it sent one.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Server { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// HTTP status of the response, if one was received.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { .. } => Some(401),
            Self::Forbidden { .. } => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::Conflict { .. } => Some(409),
            Self::RateLimited { .. } => Some(429),
            Self::BadRequest { status, .. } | Self::Server { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// `true` for 404.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// `true` for 401 and 403.
    #[must_use]
    pub fn is_auth_error(&self) -> bool {
        matches!(self, Self::Unauthorized { .. } | Self::Forbidden { .. })
    }

    /// The endpoint this error belongs to, if it came from a request.
    #[must_use]
    pub fn endpoint(&self) -> Option<&Endpoint> {
        match self {
            Self::InvalidConfig { .. } => None,
            Self::InvalidRequest { endpoint, .. }
            | Self::Unreachable { endpoint, .. }
            | Self::Timeout { endpoint, .. }
            | Self::Transport { endpoint, .. }
            | Self::Unauthorized { endpoint, .. }
            | Self::Forbidden { endpoint, .. }
            | Self::NotFound { endpoint, .. }
            | Self::Conflict { endpoint, .. }
            | Self::BadRequest { endpoint, .. }
            | Self::RateLimited { endpoint, .. }
            | Self::Server { endpoint, .. }
            | Self::Decode { endpoint, .. } => Some(endpoint),
        }
    }

    /// Builds the error for a non-success HTTP status from the body the server sent.
    pub(crate) fn from_status(
        endpoint: Endpoint,
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
    ) -> Self {
        let excerpt = body_excerpt(body);
        let message = error_message(body).unwrap_or_else(|| excerpt.clone());
        match status {
            401 => Self::Unauthorized {
                endpoint,
                hint: AUTH_HINT,
            },
            403 => Self::Forbidden {
                endpoint,
                hint: AUTH_HINT,
            },
            404 => Self::NotFound { endpoint, message },
            409 => Self::Conflict { endpoint, message },
            400 | 422 => Self::BadRequest {
                endpoint,
                status,
                message,
            },
            429 => Self::RateLimited {
                endpoint,
                retry_after,
            },
            _ => Self::Server {
                endpoint,
                status,
                message,
                body_excerpt: excerpt,
                retry_after,
            },
        }
    }
}

/// Convenient result alias.
pub type Result<T, E = PsuError> = std::result::Result<T, E>;

/// The `error` (or `message`) string of a `{"error": "..."}` body, if any.
fn error_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = value.as_object()?;
    ["error", "Error", "message", "Message"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(|v| v.as_str()))
        .map(|s| truncate_chars(s, BODY_EXCERPT_CHARS))
}

/// The first [`BODY_EXCERPT_CHARS`] characters of a body, lossily decoded.
pub(crate) fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    truncate_chars(text.trim(), BODY_EXCERPT_CHARS)
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((idx, _)) => format!("{}…", &s[..idx]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep() -> Endpoint {
        Endpoint::new("GET", "/api/dhcp/scopes")
    }

    #[test]
    fn status_mapping_uses_error_envelope() {
        let e = PsuError::from_status(ep(), 404, br#"{"error":"Scope not found."}"#, None);
        assert!(e.is_not_found());
        assert!(e.to_string().contains("Scope not found."));
        assert!(e.to_string().contains("GET /api/dhcp/scopes"));
        let e = PsuError::from_status(ep(), 500, b"<html>boom</html>", None);
        match e {
            PsuError::Server {
                status,
                message,
                body_excerpt,
                ..
            } => {
                assert_eq!(status, 500);
                assert_eq!(message, "<html>boom</html>");
                assert_eq!(body_excerpt, "<html>boom</html>");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn excerpt_is_truncated_on_char_boundary() {
        let body = "é".repeat(BODY_EXCERPT_CHARS + 10);
        let e = PsuError::from_status(ep(), 502, body.as_bytes(), None);
        let PsuError::Server { body_excerpt, .. } = &e else {
            panic!("unexpected {e:?}");
        };
        assert_eq!(body_excerpt.chars().count(), BODY_EXCERPT_CHARS + 1);
        assert!(e.is_retryable());
    }

    #[test]
    fn classification() {
        let unreachable = PsuError::Unreachable {
            endpoint: ep(),
            message: "refused".into(),
        };
        assert!(!unreachable.may_have_reached_server());
        assert!(unreachable.is_retryable());
        let connect_timeout = PsuError::Timeout {
            endpoint: ep(),
            elapsed: Duration::from_secs(1),
            during_connect: true,
        };
        assert!(!connect_timeout.may_have_reached_server());
        let read_timeout = PsuError::Timeout {
            endpoint: ep(),
            elapsed: Duration::from_secs(1),
            during_connect: false,
        };
        assert!(read_timeout.may_have_reached_server());
        for (status, retry) in [
            (500, false),
            (502, true),
            (503, true),
            (504, true),
            (501, false),
        ] {
            assert_eq!(
                PsuError::from_status(ep(), status, b"", None).is_retryable(),
                retry,
                "{status}"
            );
        }
        let e = PsuError::from_status(ep(), 429, b"", Some(Duration::from_secs(3)));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert!(e.is_retryable());
        let e = PsuError::from_status(ep(), 403, b"", None);
        assert!(e.is_auth_error());
        assert!(e.to_string().contains("DHCPWriter"));
        assert!(!PsuError::from_status(ep(), 400, b"", None).is_retryable());
        assert!(!PsuError::from_status(ep(), 409, b"", None).is_retryable());
    }
}
