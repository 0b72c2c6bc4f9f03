//! Integration tests of `windhcp-netbox-client`: `live` against a real NetBox, `mock` with
//! wiremock. See the crate README for the environment variables.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "test helpers outside #[test] functions may fail loudly and print skip notices"
)]

mod common;
mod live;
mod mock;
