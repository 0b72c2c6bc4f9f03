//! Pure sync planner and plan executor for Windows DHCP <-> NetBox IPAM.
//!
//! The engine works in three steps: a gatherer reads everything into an immutable
//! [`snapshot::Snapshot`], the pure [`planner`] turns it into a [`plan::Plan`] (ordered concrete
//! actions plus a [`report::Report`]), and an executor applies the plan.
#![doc = include_str!("rules.md")]

/// The small-string crate behind the per-lease strings of the snapshot and the plan
/// ([`snapshot::ServerName`], lease client ids, host names, IP statuses, …), re-exported so that
/// callers need no direct dependency. A [`CompactString`] stores up to 24 bytes inline, derefs
/// to `str`, hashes and serialises exactly like a `String`; build one with `.into()`.
pub use compact_str::{self, CompactString};

#[cfg(feature = "psu")]
pub mod adapters;
pub mod executor;
pub mod gather;
pub mod inventory_file;
pub mod memory;
pub mod plan;
pub mod planner;
pub mod report;
pub mod saved;
pub mod snapshot;
pub mod source;
