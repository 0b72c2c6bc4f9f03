//! Integration tests of the PSU client (one binary: wiremock, fixtures, properties, simulator).
#![allow(missing_docs, unreachable_pub)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;
mod conformance;
mod endpoints;
mod errors;
mod fixtures;
mod props;
mod retries;
