//! Async client for the PowerShell Universal (PSU) endpoints in front of Windows DHCP Server.
//!
//! Every endpoint of the contract (`psu/contract.json`, base path `/api/dhcp`) is a typed async
//! method on [`PsuClient`] returning `windhcp_dhcp_model` types. Responses are decoded
//! tolerantly (see [`flex`] and [`wire`]): our script's snake_case shape and raw cmdlet output
//! from Windows PowerShell 5.1 or PowerShell 7 both work, and a bad value is reported as
//! [`PsuError::Decode`] with its JSON path and the endpoint.
//!
//! Idempotent requests (GET, and the PUT/DELETE/replicate calls the contract marks idempotent)
//! are retried on transient failures with exponential backoff, jitter and `Retry-After`
//! ([`RetryPolicy`]); `POST` writes never are. Every error says whether the request may have
//! reached the server ([`PsuError::may_have_reached_server`]). The app token is a secret: it
//! never appears in `Debug`, errors or logs.
//!
//! ```no_run
//! # async fn demo() -> windhcp_psu_client::Result<()> {
//! use std::time::Duration;
//! use windhcp_psu_client::{PsuClient, RetryPolicy, ScopeQuery};
//!
//! let client = PsuClient::builder("dhcp01.corp.example")
//!     .port(443)
//!     .token("app-token-from-psu")
//!     .request_timeout(Duration::from_secs(60))
//!     .retry_policy(RetryPolicy::default())
//!     .build()?;
//! let health = client.health().await?;
//! let scopes = client.list_scopes(ScopeQuery::default()).await?;
//! let leases = client.leases_by_scope().await?; // BTreeMap<ScopeId, Vec<Lease>>
//! for scope in &scopes {
//!     let n = leases.get(&scope.id()).map_or(0, Vec::len);
//!     println!("{} {}: {n} leases", scope.id(), scope.name());
//! }
//! # let _ = health; Ok(()) }
//! ```
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod client;
pub mod convert;
pub mod error;
pub mod flex;
pub mod request;
pub mod retry;
pub mod wire;

pub use api::decode;
pub use api::{
    BatchOutcome, BatchStatus, DEFAULT_LEASE_PAGE_SIZE, ENDPOINTS, LeasePage, LeaseQuery,
    MAX_BATCH_ITEMS, ScopeQuery,
};
pub use client::{
    DEFAULT_BASE_PATH, DEFAULT_CONNECT_TIMEOUT, DEFAULT_PORT, DEFAULT_REQUEST_TIMEOUT, PsuClient,
    PsuClientBuilder,
};
pub use convert::{ConvertError, Health, ServerFailover};
pub use error::{Endpoint, PsuError, Result};
pub use request::{
    FailoverCreate, FailoverPatch, OptionSet, OptionsPatch, ReservationCreate, ReservationOp,
    ReservationUpdate, ScopeCreate, ScopeUpdate,
};
pub use retry::{RetryPolicy, Sleeper, TokioSleeper};
