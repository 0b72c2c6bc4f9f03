//! The pure, synchronous planner: [`plan_sync`], [`plan_import`] and the server pre-flight.

use std::collections::BTreeSet;

use crate::plan::{Plan, PlanId, PlanKind};
use crate::report::Report;
use crate::snapshot::{Inventory, ServerName, Snapshot};

/// The servers a sync must read: those with sync-standalone on, and the primaries of failovers
/// with sync enabled. Every other server is skipped without any connection (server pre-flight).
///
/// The result is sorted and free of duplicates.
pub fn servers_to_read(inventory: &Inventory) -> Vec<ServerName> {
    let mut out: BTreeSet<&ServerName> = BTreeSet::new();
    for server in inventory.servers.values() {
        if server.sync_standalone {
            out.insert(&server.hostname);
        }
    }
    for failover in inventory.failovers.values() {
        if failover.sync_enabled && inventory.servers.contains_key(&failover.primary) {
            out.insert(&failover.primary);
        }
    }
    out.into_iter().cloned().collect()
}

/// The partners to read, for reads only, when these servers could not be read: the partner of
/// every sync-enabled failover whose primary is in `unreadable`.
///
/// The result is sorted, free of duplicates, and never contains an unreadable server.
pub fn fallback_servers(
    inventory: &Inventory,
    unreadable: &BTreeSet<ServerName>,
) -> Vec<ServerName> {
    let mut out: BTreeSet<&ServerName> = BTreeSet::new();
    for failover in inventory.failovers.values() {
        if failover.sync_enabled
            && unreadable.contains(&failover.primary)
            && !unreadable.contains(&failover.partner)
            && inventory.servers.contains_key(&failover.partner)
        {
            out.insert(&failover.partner);
        }
    }
    out.into_iter().cloned().collect()
}

/// Plan a sync of every eligible server in the snapshot.
pub fn plan_sync(snapshot: &Snapshot) -> Plan {
    Plan {
        id: PlanId(String::new()),
        kind: PlanKind::Sync,
        actions: Vec::new(),
        report: Report::default(),
    }
    .with_snapshot(snapshot)
}

/// Plan a one-time import from `server`.
pub fn plan_import(snapshot: &Snapshot, server: &str) -> Plan {
    Plan {
        id: PlanId(String::new()),
        kind: PlanKind::Import {
            server: server.to_owned(),
        },
        actions: Vec::new(),
        report: Report::default(),
    }
    .with_snapshot(snapshot)
}

impl Plan {
    fn with_snapshot(self, _snapshot: &Snapshot) -> Self {
        self
    }
}
