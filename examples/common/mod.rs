//! Code shared by the example tools (`import`, `sync`, `plan`) and the demo.
//!
//! Each binary includes this module with `mod common;`, and each uses a different subset of
//! it, hence the `dead_code` allowance below.
#![allow(dead_code, unreachable_pub)]

pub mod config;
pub mod engine;
pub mod estate;
pub mod exit;
pub mod logging;
pub mod progress;
pub mod render;
pub mod side;
