//! Integration tests of windhcp-dhcp-model (one binary to save link time).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod client_id;
mod failover;
mod lease;
mod lifetime;
mod options;
mod props;
mod range;
mod scope;
mod server;
mod settings;
