//! Async client for the PowerShell Universal (PSU) endpoints in front of Windows DHCP Server.
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
    BatchOutcome, BatchStatus, DEFAULT_LEASE_PAGE_SIZE, LeasePage, LeaseQuery, MAX_BATCH_ITEMS,
    ScopeQuery,
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
