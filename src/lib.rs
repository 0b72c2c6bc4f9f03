//! # netbox-windhcp
//!
//! Keep Microsoft Windows DHCP Server (reached through PowerShell Universal) and NetBox IPAM in
//! step. This root crate re-exports the workspace's library crates under short names; each of
//! them can also be used on its own.
//!
//! | module | crate | owns |
//! |---|---|---|
//! | [`model`] | `windhcp-dhcp-model` | pure domain types, no I/O |
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use windhcp_dhcp_model as model;
