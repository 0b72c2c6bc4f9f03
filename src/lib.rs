//! # netbox-windhcp
//!
//! Keep Microsoft Windows DHCP Server (reached through PowerShell Universal) and NetBox IPAM in
//! step. This root crate re-exports the workspace's library crates under short names; each of
//! them can also be used on its own.
//!
//! | module | crate | owns |
//! |---|---|---|
//! | [`model`] | `windhcp-dhcp-model` | pure domain types: scopes, options, lease lifetimes, leases, reservations, client ids; no I/O |
//! | [`psu`] | `windhcp-psu-client` | async client for the PowerShell Universal endpoints in front of Windows DHCP |
//! | [`netbox`] | `windhcp-netbox-client` | async NetBox REST client: IPAM and the plugin API |
//! | [`sync`] | `windhcp-sync-engine` | snapshot → plan (pure), and the executor that applies a plan |
//!
//! The PSU simulator (`windhcp-psu-simulator`) is a separate crate used by tests, examples and
//! benchmarks; it is not re-exported here.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use windhcp_dhcp_model as model;
pub use windhcp_netbox_client as netbox;
pub use windhcp_psu_client as psu;
pub use windhcp_sync_engine as sync;
