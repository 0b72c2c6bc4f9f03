//! Errors of the simulator: rule violations (answered as HTTP errors) and start-up failures.

use std::path::PathBuf;

/// Everything that can go wrong in the simulator.
///
/// The first four variants are the Windows-side outcomes of an operation and map one-to-one onto
/// the HTTP statuses of the contract (see [`SimError::status`]). Their message is the `error` text
/// of the response body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The request itself is wrong (malformed address, missing field, range outside its subnet…): 400.
    #[error("{0}")]
    Invalid(String),
    /// The addressed object does not exist: 404.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with existing state (overlap, duplicate, membership): 409.
    #[error("{0}")]
    Conflict(String),
    /// A simulated Windows / cmdlet failure: 500.
    #[error("{0}")]
    Windows(String),
    /// A listener could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: String,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A state file could not be read or written.
    #[error("state file {path}: {source}")]
    StateFile {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A state document is not valid JSON for an [`crate::Estate`].
    #[error("state JSON: {0}")]
    StateJson(#[from] serde_json::Error),
    /// A server name that the estate does not contain.
    #[error("unknown server {0:?}")]
    UnknownServer(String),
}

impl SimError {
    /// The HTTP status this error is answered with.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) | Self::StateJson(_) => 400,
            Self::NotFound(_) | Self::UnknownServer(_) => 404,
            Self::Conflict(_) => 409,
            Self::Windows(_) | Self::Bind { .. } | Self::StateFile { .. } => 500,
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }
    pub(crate) fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }
    pub(crate) fn conflict(msg: impl Into<String>) -> Self {
        Self::Conflict(msg.into())
    }
}

/// Result alias of the simulator.
pub type SimResult<T> = Result<T, SimError>;
