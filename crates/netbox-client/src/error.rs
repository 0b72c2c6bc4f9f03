//! Typed errors, and the parsing of NetBox's error bodies.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// Field name → messages, as NetBox reports validation problems.
///
/// Non-field errors use the key [`FieldErrors::NON_FIELD`] (`__all__`); a bare JSON array body
/// and a `{"detail": …}` body are filed under the same key. Nested objects (for example
/// `{"custom_fields": {"nope": "…"}}`) are flattened to dotted keys (`custom_fields.nope`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// The key NetBox (Django REST framework) uses for errors that belong to no single field.
    pub const NON_FIELD: &'static str = "__all__";

    /// Parses any NetBox 400 body shape: `{field: [msg]}`, `{field: msg}`, `[msg]`,
    /// `{"detail": msg}`, nested objects. Anything else becomes one non-field message.
    pub fn from_json(body: &Value) -> Self {
        let mut out = BTreeMap::new();
        collect(body, "", &mut out);
        FieldErrors(out)
    }

    /// Builds from explicit pairs (mainly for tests and callers that synthesise errors).
    pub fn from_pairs<I, K, M>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, M)>,
        K: Into<String>,
        M: Into<String>,
    {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, m) in pairs {
            out.entry(k.into()).or_default().push(m.into());
        }
        FieldErrors(out)
    }

    /// The messages for one field (empty slice when the field has none).
    pub fn get(&self, field: &str) -> &[String] {
        self.0.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every field with its messages, sorted by field name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Whether there is no message at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (field, msgs) in &self.0 {
            for m in msgs {
                if !first {
                    f.write_str("; ")?;
                }
                first = false;
                write!(f, "{field}: {m}")?;
            }
        }
        if first {
            f.write_str("(no details)")?;
        }
        Ok(())
    }
}

fn collect(v: &Value, prefix: &str, out: &mut BTreeMap<String, Vec<String>>) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(map) => {
            for (k, inner) in map {
                let name = if prefix.is_empty() && k == "detail" {
                    FieldErrors::NON_FIELD.to_owned()
                } else {
                    key(k)
                };
                match inner {
                    Value::Object(_) => collect(inner, &name, out),
                    Value::Array(items) => {
                        for item in items {
                            match item {
                                Value::Object(_) => collect(item, &name, out),
                                other => out.entry(name.clone()).or_default().push(text(other)),
                            }
                        }
                    }
                    other => out.entry(name).or_default().push(text(other)),
                }
            }
        }
        Value::Array(items) => {
            let name = if prefix.is_empty() {
                FieldErrors::NON_FIELD.to_owned()
            } else {
                prefix.to_owned()
            };
            for item in items {
                out.entry(name.clone()).or_default().push(text(item));
            }
        }
        other => {
            let name = if prefix.is_empty() {
                FieldErrors::NON_FIELD.to_owned()
            } else {
                prefix.to_owned()
            };
            out.entry(name).or_default().push(text(other));
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One rejected record of a bulk request, as NetBox reports it in
/// `{"detail": …, "errors": [{"index"|"id": …, "errors": {…}}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkItemError {
    /// Position in the request list (bulk create, and updates that fail validation early).
    pub index: Option<usize>,
    /// Object id (bulk update/delete).
    pub id: Option<u64>,
    /// What is wrong with it.
    pub errors: FieldErrors,
}

/// Parses the structured bulk error body; `None` when the body has no `errors` list.
pub(crate) fn parse_bulk_errors(body: &Value) -> Option<(String, Vec<BulkItemError>)> {
    let obj = body.as_object()?;
    let list = obj.get("errors")?.as_array()?;
    let detail = obj
        .get("detail")
        .map(text)
        .unwrap_or_else(|| "bulk request rejected".to_owned());
    let mut items = Vec::with_capacity(list.len());
    for entry in list {
        let e = entry.as_object()?;
        let index = e
            .get("index")
            .and_then(Value::as_u64)
            .and_then(|i| usize::try_from(i).ok());
        let id = e.get("id").and_then(Value::as_u64);
        if index.is_none() && id.is_none() {
            return None;
        }
        let errors = e
            .get("errors")
            .map(FieldErrors::from_json)
            .unwrap_or_default();
        items.push(BulkItemError { index, id, errors });
    }
    Some((detail, items))
}

/// Everything that can go wrong talking to NetBox.
///
/// No variant ever contains the API token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration is unusable (bad base URL, unreadable CA PEM, …).
    #[error("invalid client configuration: {0}")]
    Config(String),

    /// The token was missing, malformed or rejected (NetBox answers 403, sometimes 401).
    #[error("authentication failed (HTTP {status}): {detail}")]
    Auth {
        /// HTTP status (403 or 401).
        status: u16,
        /// NetBox's `detail`, e.g. `Invalid v2 token`.
        detail: String,
    },

    /// The token is valid but lacks the permission (e.g. a read-only token on a write).
    #[error("permission denied: {detail}")]
    Permission {
        /// NetBox's `detail`.
        detail: String,
    },

    /// The object or endpoint does not exist (an unknown API path gives an HTML 404).
    #[error("not found: {path}: {detail}")]
    NotFound {
        /// Request path.
        path: String,
        /// NetBox's `detail` (or a body excerpt).
        detail: String,
    },

    /// NetBox rejected the data (HTTP 400).
    #[error("validation failed: {errors}")]
    Validation {
        /// Field → messages (`__all__` for non-field errors).
        errors: FieldErrors,
        /// The per-record errors of a bulk request, when NetBox sent them.
        items: Vec<BulkItemError>,
        /// `X-Request-ID` of the failed request.
        request_id: Option<String>,
    },

    /// The object changed since the caller read it: `If-Match` did not match (HTTP 412).
    #[error("precondition failed: the object changed (current ETag {current_etag:?})")]
    PreconditionFailed {
        /// The object's current ETag, from the response header.
        current_etag: Option<String>,
        /// NetBox's `detail`.
        detail: String,
    },

    /// The request conflicts with the server state (HTTP 409).
    #[error("conflict: {detail}")]
    Conflict {
        /// NetBox's `detail`.
        detail: String,
    },

    /// Any other unexpected status (5xx, 429 after the retries, 415, …).
    #[error("server error HTTP {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// `detail`/`error` from the body, or the status text.
        message: String,
        /// The first bytes of the body (at most 512 characters).
        body_excerpt: String,
        /// `Retry-After` the server asked for, if any.
        retry_after: Option<Duration>,
    },

    /// The request could not be sent or the response could not be read.
    #[error(
        "transport error on {method} {path} (may have been sent: {may_have_been_sent}): {source}"
    )]
    Transport {
        /// HTTP method.
        method: String,
        /// Request path (no query string).
        path: String,
        /// `false` only when the request certainly never reached the server (connect failure):
        /// a write with `true` may have been applied.
        may_have_been_sent: bool,
        /// Whether it was a timeout.
        timeout: bool,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// A request body could not be serialized to JSON.
    #[error("cannot encode the request body: {0}")]
    Encode(String),

    /// The response body is not what we expected.
    #[error("cannot decode response of {path} at JSON path `{json_path}`: {message}")]
    Decode {
        /// Request path.
        path: String,
        /// Where in the document decoding failed (e.g. `results[3].address`).
        json_path: String,
        /// What was wrong.
        message: String,
    },

    /// A pagination `next` link points to another origin than the configured base URL.
    #[error("refusing to follow pagination link to a foreign origin: {next}")]
    ForeignNext {
        /// The offending link (NetBox builds it from the Host header; usually a proxy misconfiguration).
        next: String,
    },

    /// A pagination `next` link repeats a page already fetched.
    #[error("pagination loop detected at {next}")]
    PaginationLoop {
        /// The repeated link.
        next: String,
    },
}

impl Error {
    /// The HTTP status behind this error, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Auth { status, .. } | Error::Server { status, .. } => Some(*status),
            Error::Permission { .. } => Some(403),
            Error::NotFound { .. } => Some(404),
            Error::Validation { .. } => Some(400),
            Error::PreconditionFailed { .. } => Some(412),
            Error::Conflict { .. } => Some(409),
            _ => None,
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

const AUTH_MARKERS: &[&str] = &[
    "invalid v1 token",
    "invalid v2 token",
    "invalid token",
    "token expired",
    "authentication credentials were not provided",
    "invalid authorization header",
    "invalid username/password",
    "user inactive",
    "source ip",
];

/// Maps a non-success response to an [`Error`].
pub(crate) fn from_response(
    status: u16,
    path: &str,
    body: &[u8],
    request_id: Option<String>,
    etag: Option<String>,
    retry_after: Option<Duration>,
) -> Error {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let detail = json
        .as_ref()
        .and_then(|v| v.as_object())
        .and_then(|o| o.get("detail").or_else(|| o.get("error")))
        .map(text)
        .unwrap_or_else(|| excerpt(body, 200));
    match status {
        400 => {
            let (errors, items) = match &json {
                Some(v) => match parse_bulk_errors(v) {
                    Some((d, items)) => (
                        FieldErrors::from_pairs([(FieldErrors::NON_FIELD, d)]),
                        items,
                    ),
                    None => (FieldErrors::from_json(v), Vec::new()),
                },
                None => (
                    FieldErrors::from_pairs([(FieldErrors::NON_FIELD, excerpt(body, 200))]),
                    Vec::new(),
                ),
            };
            Error::Validation {
                errors,
                items,
                request_id,
            }
        }
        401 => Error::Auth { status, detail },
        403 => {
            let lower = detail.to_ascii_lowercase();
            if AUTH_MARKERS.iter().any(|m| lower.contains(m)) {
                Error::Auth { status, detail }
            } else {
                Error::Permission { detail }
            }
        }
        404 => Error::NotFound {
            path: path.to_owned(),
            detail,
        },
        409 => Error::Conflict { detail },
        412 => Error::PreconditionFailed {
            current_etag: etag,
            detail,
        },
        _ => Error::Server {
            status,
            message: detail,
            body_excerpt: excerpt(body, 512),
            retry_after,
        },
    }
}

/// At most `max` characters of a body, lossily decoded.
pub(crate) fn excerpt(body: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(body);
    let mut out: String = s.chars().take(max).collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_field_array_nested_and_bare_bodies() {
        let e = FieldErrors::from_json(&json!({"address": ["bad"], "status": ["nope", "x"]}));
        assert_eq!(e.get("address"), ["bad"]);
        assert_eq!(e.get("status").len(), 2);
        let e = FieldErrors::from_json(&json!(["'start' and 'offset' are mutually exclusive."]));
        assert_eq!(
            e.get("__all__"),
            ["'start' and 'offset' are mutually exclusive."]
        );
        let e = FieldErrors::from_json(&json!({"custom_fields": {"nope": "does not exist"}}));
        assert_eq!(e.get("custom_fields.nope"), ["does not exist"]);
        let e = FieldErrors::from_json(&json!({"detail": "JSON parse error"}));
        assert_eq!(e.get("__all__"), ["JSON parse error"]);
        assert!(e.to_string().contains("JSON parse error"));
    }

    #[test]
    fn bulk_body_needs_index_or_id() {
        let body =
            json!({"detail": "1 of 2", "errors": [{"index": 1, "errors": {"address": ["dup"]}}]});
        let (d, items) = parse_bulk_errors(&body).unwrap();
        assert_eq!(d, "1 of 2");
        assert_eq!(items[0].index, Some(1));
        assert_eq!(items[0].errors.get("address"), ["dup"]);
        assert!(parse_bulk_errors(&json!({"errors": [{"errors": {}}]})).is_none());
        assert!(parse_bulk_errors(&json!({"address": ["x"]})).is_none());
    }

    #[test]
    fn forbidden_is_auth_or_permission_by_body() {
        let auth = from_response(
            403,
            "/p",
            br#"{"detail":"Invalid v2 token"}"#,
            None,
            None,
            None,
        );
        assert!(matches!(auth, Error::Auth { status: 403, .. }));
        let perm = from_response(
            403,
            "/p",
            br#"{"detail":"You do not have permission to perform this action."}"#,
            None,
            None,
            None,
        );
        assert!(matches!(perm, Error::Permission { .. }));
    }

    #[test]
    fn excerpt_is_bounded() {
        let long = "x".repeat(2000);
        assert_eq!(excerpt(long.as_bytes(), 10).chars().count(), 11);
        assert_eq!(excerpt(b"short", 10), "short");
    }
}
