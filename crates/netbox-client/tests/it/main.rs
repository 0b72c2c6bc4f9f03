//! Integration tests of `windhcp-netbox-client`: `live` against a real NetBox, `mock` with
//! wiremock. See the crate README for the environment variables.

mod common;
mod live;
mod mock;
