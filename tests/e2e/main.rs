//! End-to-end tests with every part real: the PSU simulator over HTTP (through the PSU client
//! and the sync engine's PSU adapter), the file-backed inventory, and the IPAM side — the
//! in-memory IPAM, and a real NetBox when `NETBOX_URL` / `NETBOX_TOKEN` are set.
//!
//! Every scenario runs twice: `<scenario>::memory` and `<scenario>::netbox`. Without NetBox
//! settings the NetBox runs print `SKIPPED …` and pass; with `WINDHCP_REQUIRE_NETBOX=1` they
//! fail instead. Each NetBox run works in its own VRF and address block and removes them at
//! the end, so runs can be parallel and repeated on one NetBox.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-app cargo test -p netbox-windhcp --test e2e
//! source /var/tmp/netbox-windhcp/env && WINDHCP_REQUIRE_NETBOX=1 \
//!     CARGO_TARGET_DIR=/work/target-app cargo test -p netbox-windhcp --test e2e
//! ```

// A test crate: a failed unwrap is a failed test, and skip messages go to stderr.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

#[path = "../../examples/common/mod.rs"]
mod common;
mod harness;
mod scenarios;
mod tools;

macro_rules! on_every_side {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use crate::harness::SideKind;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn memory() {
                    crate::scenarios::$name(SideKind::Memory).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn netbox() {
                    crate::scenarios::$name(SideKind::NetBox).await;
                }
            }
        )*
    };
}

on_every_side!(
    first_sync_creates_expected_ips,
    resync_follows_server_changes,
    push_mode_writes_the_server,
    psu_fault_deletes_nothing_in_that_scope,
    saved_plan_refuses_stale_actions,
);
