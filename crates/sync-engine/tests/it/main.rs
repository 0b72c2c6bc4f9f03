//! Integration tests of the planner (one binary: `cargo test -p windhcp-sync-engine --test it`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod builder;
mod example_data;
mod exec_estate;
#[cfg(feature = "netbox")]
mod exec_netbox;
#[cfg(feature = "psu")]
mod exec_psu;
mod exec_stores;
mod executor;
mod golden;
mod import;
mod props;
mod rules;
