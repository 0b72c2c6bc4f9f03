//! The pure, synchronous planner: [`plan_sync`], [`plan_import`] and the server pre-flight.
//!
//! Nothing here does I/O, reads a clock or draws random numbers: the same snapshot always gives
//! the same plan, byte for byte.

mod hash;
mod import;
mod index;
mod ips;
mod phased;
mod rows;
mod scopes;
mod simulate;
mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;

pub use simulate::apply_to_snapshot;

use crate::plan::{
    Action, ActionContext, OptionValueSpec, Plan, PlanId, PlanKind, Reason, ScopeChange,
};
use crate::report::{BudgetLimit, Conflict, IneligibleReason, ReadKind, Report, Skipped};
use crate::snapshot::{
    AddressRange, InventoryFailover, InventoryScope, Read, ScopeSourceRef, ServerName, ServerRead,
    ServerScope, Snapshot,
};
use index::IpIndex;
use ips::{ScopeIps, plan_scope_ips};
use phased::{Mark, Phased};
use scopes::{
    attribute_changes, canonical_network, exclusion_diff, import_scope, local_options,
    pull_options, push, push_option_diff, spec_of_local,
};

/// Execution phases: actions are ordered by phase, then by generation order (server, scope,
/// address), which is itself deterministic.
pub(crate) mod phase {
    pub(crate) const PREFIX: u8 = 0;
    pub(crate) const FAILOVER: u8 = 1;
    pub(crate) const OPTION_CREATE: u8 = 2;
    pub(crate) const INVENTORY_CREATE: u8 = 3;
    pub(crate) const INVENTORY: u8 = 4;
    pub(crate) const IP: u8 = 5;
    pub(crate) const LEASE_INFO: u8 = 6;
    pub(crate) const INVENTORY_DELETE: u8 = 7;
    pub(crate) const SERVER_SCOPE: u8 = 8;
    pub(crate) const SERVER_DELETE: u8 = 9;
    pub(crate) const SERVER_UPDATE: u8 = 10;
    pub(crate) const SERVER_CREATE: u8 = 11;
    pub(crate) const REPLICATE: u8 = 12;
    /// Number of phases.
    pub(crate) const COUNT: usize = 13;
}

/// Actions and report entries under construction.
///
/// A scope's `Out` holds the run's action lists themselves (moved out of the planner and back,
/// which moves no action): its own actions are those after `since`. This writes every action
/// once, where it stays, instead of into a scope list first.
#[derive(Debug, Default)]
pub(crate) struct Out {
    pub(crate) actions: Phased,
    pub(crate) report: Report,
    since: Mark,
}

/// The servers a sync must read: those with sync-standalone on, and the primaries of failovers
/// with sync enabled. Every other server is skipped without any connection (server pre-flight).
///
/// The result is sorted and free of duplicates.
pub fn servers_to_read(inventory: &crate::snapshot::Inventory) -> Vec<ServerName> {
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
    inventory: &crate::snapshot::Inventory,
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

/// The deterministic plan id of a snapshot (a content hash, 16 hex digits).
pub fn plan_id(snapshot: &Snapshot) -> PlanId {
    PlanId(format!("{:016x}", hash::snapshot_hash(snapshot)))
}

/// Plan a sync of every eligible server in the snapshot.
pub fn plan_sync(snapshot: &Snapshot) -> Plan {
    let mut planner = Planner::new(snapshot);
    planner
        .out
        .actions
        .reserve_for_addresses(lease_and_reservation_count(snapshot));
    planner.report_ineligible_scopes();
    let inv = &snapshot.inventory;
    for (name, server) in &inv.servers {
        let primary_of: Vec<&InventoryFailover> = inv
            .failovers
            .values()
            .filter(|f| f.sync_enabled && f.primary == *name)
            .collect();
        if !server.sync_standalone && primary_of.is_empty() {
            planner.out.report.skipped.push(Skipped::ServerNotEligible {
                server: name.clone(),
            });
            continue;
        }
        match snapshot.servers.get(name) {
            Some(
                read @ ServerRead {
                    scopes: Read::Ok(remote),
                    ..
                },
            ) => {
                planner.out.report.stats.servers_planned += 1;
                planner.plan_server(
                    name,
                    read,
                    remote,
                    true,
                    server.sync_standalone,
                    &primary_of,
                );
            }
            other => {
                let (what, error) = match other {
                    None => (ReadKind::Server, "not read".to_owned()),
                    Some(read) => (
                        ReadKind::Scopes,
                        read.scopes.error().unwrap_or_default().to_owned(),
                    ),
                };
                planner.out.report.conflicts.push(Conflict::ReadFailed {
                    server: name.clone(),
                    what,
                    network: None,
                    error,
                });
                for failover in primary_of {
                    planner.fallback(failover);
                }
            }
        }
    }
    planner.finish(PlanKind::Sync)
}

/// The number of leases and reservations read, over every server: the usual upper bound of the
/// IP and lease-info actions of a sync.
fn lease_and_reservation_count(snapshot: &Snapshot) -> usize {
    fn total<T>(reads: &BTreeMap<Ipv4Addr, Read<Vec<T>>>) -> usize {
        reads.values().filter_map(Read::ok).map(Vec::len).sum()
    }
    snapshot
        .servers
        .values()
        .map(|read| total(&read.leases) + total(&read.reservations))
        .sum()
}

/// Plan a one-time import from `server` (rules: crate documentation, "Import").
pub fn plan_import(snapshot: &Snapshot, server: &str) -> Plan {
    let mut planner = Planner::new(snapshot);
    import::plan(&mut planner, server);
    planner.finish(PlanKind::Import {
        server: server.into(),
    })
}

/// Deletions planned in one scope (or one run), with the size they are measured against.
#[derive(Debug, Default)]
struct Bucket {
    candidates: u32,
}

pub(crate) struct Planner<'a> {
    pub(crate) snap: &'a Snapshot,
    index: IpIndex<'a>,
    pub(crate) out: Out,
    pub(crate) created_options: BTreeSet<OptionValueSpec>,
    pub(crate) created_prefixes: BTreeSet<Ipv4Network>,
    /// Inventory scope ids whose network overlaps another scope's in the same VRF.
    shared: BTreeSet<u64>,
    run_candidates: u64,
}

impl std::fmt::Debug for Planner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Planner").finish_non_exhaustive()
    }
}

fn scope_vrf(snap: &Snapshot, scope: &InventoryScope) -> Option<Option<u64>> {
    scope
        .prefix_id
        .and_then(|id| snap.ipam.prefixes.get(&id))
        .map(|p| p.vrf)
}

fn overlaps(a: Ipv4Network, b: Ipv4Network) -> bool {
    a.network() <= b.broadcast() && b.network() <= a.broadcast()
}

impl<'a> Planner<'a> {
    fn new(snap: &'a Snapshot) -> Self {
        // Scopes sharing address space (same VRF, overlapping networks): cleanup is limited to
        // each scope's own range. Sorted by (VRF, first address), a scope can only overlap the
        // scopes after it that start before it ends, so the scan stops there.
        let mut scopes: Vec<(Option<Option<u64>>, Ipv4Addr, u64, Ipv4Network)> = snap
            .inventory
            .scopes
            .values()
            .map(|s| (scope_vrf(snap, s), s.network.network(), s.id, s.network))
            .collect();
        scopes.sort_unstable();
        let mut shared = BTreeSet::new();
        for (i, a) in scopes.iter().enumerate() {
            for b in scopes.iter().skip(i + 1) {
                if b.0 != a.0 || b.1 > a.3.broadcast() {
                    break;
                }
                if overlaps(a.3, b.3) {
                    shared.insert(a.2);
                    shared.insert(b.2);
                }
            }
        }
        Self {
            snap,
            index: IpIndex::new(&snap.ipam, &snap.inventory.lease_info),
            out: Out::default(),
            created_options: BTreeSet::new(),
            created_prefixes: BTreeSet::new(),
            shared,
            run_candidates: 0,
        }
    }

    fn report_ineligible_scopes(&mut self) {
        let inv = &self.snap.inventory;
        for scope in inv.scopes.values() {
            let (server, why) = match &scope.source {
                ScopeSourceRef::Unassigned => (ServerName::default(), IneligibleReason::Unassigned),
                ScopeSourceRef::Server(name) => match inv.servers.get(name) {
                    None => (name.clone(), IneligibleReason::ServerNotRead),
                    Some(s) if !s.sync_standalone => {
                        (name.clone(), IneligibleReason::StandaloneSyncDisabled)
                    }
                    Some(_) => continue,
                },
                ScopeSourceRef::Failover(name) => match inv.failovers.get(name) {
                    None => (ServerName::default(), IneligibleReason::UnknownFailover),
                    Some(f) if !f.sync_enabled => {
                        (f.primary.clone(), IneligibleReason::FailoverSyncDisabled)
                    }
                    Some(_) => continue,
                },
            };
            self.out.report.skipped.push(Skipped::ScopeNotEligible {
                server,
                network: scope.network,
                why,
            });
        }
    }

    /// A failover whose primary could not be read: read its scopes from the partner, if that
    /// partner was read, and plan NetBox-side changes only.
    fn fallback(&mut self, failover: &InventoryFailover) {
        let Some(
            read @ ServerRead {
                scopes: Read::Ok(remote),
                ..
            },
        ) = self.snap.servers.get(&failover.partner)
        else {
            return;
        };
        self.out
            .report
            .conflicts
            .push(Conflict::FailoverReadFromPartner {
                failover: failover.name.clone(),
                primary: failover.primary.clone(),
                partner: failover.partner.clone(),
            });
        let st = &self.snap.settings;
        if st.push_reservations || st.push_scope_info {
            self.out
                .report
                .skipped
                .push(Skipped::ServerWritesSkippedOnPartner {
                    failover: failover.name.clone(),
                    partner: failover.partner.clone(),
                });
        }
        self.plan_server(&failover.partner, read, remote, false, false, &[failover]);
    }

    /// Plan one server's scopes. `writer` is false when a partner stands in for reads.
    fn plan_server(
        &mut self,
        server: &str,
        read: &'a ServerRead,
        remote: &'a BTreeMap<Ipv4Addr, ServerScope>,
        writer: bool,
        standalone: bool,
        failovers: &[&InventoryFailover],
    ) {
        let snap = self.snap;
        let mut by_net: BTreeMap<Ipv4Addr, Vec<&'a InventoryScope>> = BTreeMap::new();
        for scope in snap.inventory.scopes.values() {
            let ours = match &scope.source {
                ScopeSourceRef::Server(n) => standalone && writer && n == server,
                ScopeSourceRef::Failover(f) => failovers.iter().any(|x| x.name == *f),
                ScopeSourceRef::Unassigned => false,
            };
            if ours {
                by_net
                    .entry(scope.network.network())
                    .or_default()
                    .push(scope);
            }
        }
        for (net, scopes) in &by_net {
            if scopes.len() > 1 {
                let network = scopes
                    .first()
                    .map_or_else(|| Ipv4Network::from(*net), |s| canonical_network(s.network));
                self.out.report.conflicts.push(Conflict::DuplicateScope {
                    server: server.into(),
                    network,
                    ids: scopes.iter().map(|s| s.id).collect(),
                });
            }
        }
        let mut replicate: BTreeSet<Ipv4Network> = BTreeSet::new();
        for (sid, rs) in remote {
            match by_net.get(sid).map(Vec::as_slice) {
                Some([local]) => {
                    self.matched(server, writer, local, *sid, rs, read, &mut replicate);
                }
                Some(_) => {}
                None => self.server_only(server, writer, standalone, failovers, *sid, rs),
            }
        }
        let local_count = by_net.values().filter(|v| v.len() == 1).count();
        let guard = snap.settings.empty_guard.min_scopes;
        let suspicious = !snap.settings.push_scope_info
            && remote.is_empty()
            && guard > 0
            && local_count >= guard as usize;
        if suspicious && writer {
            self.out.report.conflicts.push(Conflict::SuspiciouslyEmpty {
                server: server.into(),
                network: None,
                managed: u32::try_from(local_count).unwrap_or(u32::MAX),
            });
        }
        for (sid, scopes) in &by_net {
            if let [local] = scopes.as_slice()
                && !remote.contains_key(sid)
                && writer
                && !suspicious
            {
                self.netbox_only(server, local, &mut replicate);
            }
        }
        if writer && !replicate.is_empty() {
            push(
                &mut self.out,
                phase::REPLICATE,
                &ActionContext {
                    server: server.into(),
                    scope: None,
                    vrf: None,
                },
                Reason::FailoverReplication,
                Action::ReplicateFailover {
                    networks: replicate.into_iter().collect(),
                },
            );
        }
    }

    /// A scope on the server that NetBox does not have.
    fn server_only(
        &mut self,
        server: &str,
        writer: bool,
        standalone: bool,
        failovers: &[&InventoryFailover],
        sid: Ipv4Addr,
        rs: &ServerScope,
    ) {
        let snap = self.snap;
        let network = canonical_network(rs.network);
        let source = match &rs.failover {
            Some(name) => {
                if !snap.inventory.failovers.contains_key(name) {
                    self.out.report.conflicts.push(Conflict::UnknownFailover {
                        server: server.into(),
                        network,
                        failover: name.clone(),
                    });
                    return;
                }
                if !failovers.iter().any(|f| f.name == *name) {
                    return;
                }
                ScopeSourceRef::Failover(name.clone())
            }
            None => {
                if !(standalone && writer) {
                    return;
                }
                ScopeSourceRef::Server(server.into())
            }
        };
        // A scope NetBox knows under another owner is never duplicated.
        if snap
            .inventory
            .scopes
            .values()
            .any(|s| s.network.network() == sid)
        {
            return;
        }
        if snap.settings.push_scope_info {
            self.out.report.skipped.push(Skipped::ServerOnlyScopeKept {
                server: server.into(),
                network,
            });
            return;
        }
        self.out.report.stats.scopes_planned += 1;
        let mut scope_out = self.scope_out();
        let outcome = import_scope(
            snap,
            server,
            sid,
            rs,
            source,
            &mut self.created_options,
            &mut self.created_prefixes,
            &mut scope_out,
        );
        if let Some((vrf, prefix_len)) = outcome.prefix {
            let exclusions = remote_exclusions(self.snap.servers.get(server), sid);
            let domain = if self.overlaps_inventory(network, vrf) {
                AddressRange {
                    start: rs.start,
                    end: rs.end,
                }
            } else {
                net_range(network)
            };
            let bucket = self.scope_ips(
                server,
                network,
                vrf,
                prefix_len,
                &exclusions,
                domain,
                writer,
                sid,
                &mut scope_out,
            );
            self.budget_scope(server, network, vrf, bucket, scope_out);
        } else {
            self.append(scope_out);
        }
    }

    fn overlaps_inventory(&self, network: Ipv4Network, vrf: Option<u64>) -> bool {
        self.snap
            .inventory
            .scopes
            .values()
            .any(|s| scope_vrf(self.snap, s) == Some(vrf) && overlaps(s.network, network))
    }

    /// A scope both sides have.
    #[allow(clippy::too_many_arguments)]
    fn matched(
        &mut self,
        server: &str,
        writer: bool,
        local: &InventoryScope,
        sid: Ipv4Addr,
        rs: &ServerScope,
        read: &ServerRead,
        replicate: &mut BTreeSet<Ipv4Network>,
    ) {
        let snap = self.snap;
        let st = &snap.settings;
        let network = canonical_network(local.network);
        let prefix = local.prefix_id.and_then(|id| snap.ipam.prefixes.get(&id));
        let vrf = prefix.and_then(|p| p.vrf);
        let context = ActionContext {
            server: server.into(),
            scope: Some(network),
            vrf,
        };
        self.out.report.stats.scopes_planned += 1;
        let mut so = self.scope_out();
        let mut candidates = 0u32;
        let local_failover = match &local.source {
            ScopeSourceRef::Failover(f) => Some(f.clone()),
            _ => None,
        };
        if !st.push_scope_info {
            // Pull: the server wins.
            let mut changes = attribute_changes(local, rs, true);
            let wanted_source = match &rs.failover {
                None if writer => Some(ScopeSourceRef::Server(server.into())),
                None => None,
                Some(name) if snap.inventory.failovers.contains_key(name) => {
                    Some(ScopeSourceRef::Failover(name.clone()))
                }
                Some(name) => {
                    so.report.conflicts.push(Conflict::UnknownFailover {
                        server: server.into(),
                        network,
                        failover: name.clone(),
                    });
                    None
                }
            };
            if let Some(after) = wanted_source
                && after != local.source
            {
                changes.push(ScopeChange::Source {
                    before: local.source.clone(),
                    after,
                });
            }
            if !changes.is_empty() {
                push(
                    &mut so,
                    phase::INVENTORY,
                    &context,
                    Reason::ScopeAttributesDiffer,
                    Action::UpdateInventoryScope {
                        id: local.id,
                        changes,
                    },
                );
            }
            if let Some(remote) = self.read_part(
                &mut so,
                server,
                read.exclusions.get(&sid),
                ReadKind::Exclusions,
                network,
            ) {
                candidates +=
                    u32::try_from(remote.len() + local.exclusions.len()).unwrap_or(u32::MAX);
                let (only_remote, only_local) = exclusion_diff(local, remote);
                for e in only_remote {
                    push(
                        &mut so,
                        phase::INVENTORY,
                        &context,
                        Reason::ExclusionOnlyOnServer,
                        Action::CreateInventoryExclusion {
                            scope: crate::plan::ScopeRef::Existing(local.id),
                            start: e.start,
                            end: e.end,
                        },
                    );
                }
                for (id, e) in only_local {
                    push(
                        &mut so,
                        phase::INVENTORY_DELETE,
                        &context,
                        Reason::ExclusionOnlyInNetBox,
                        Action::DeleteInventoryExclusion {
                            id,
                            start: e.start,
                            end: e.end,
                        },
                    );
                }
            }
            if let Some(remote) = self.read_part(
                &mut so,
                server,
                read.options.get(&sid),
                ReadKind::Options,
                network,
            ) {
                pull_options(
                    &snap.inventory,
                    local,
                    remote,
                    &mut self.created_options,
                    &mut so,
                    &context,
                );
            }
        } else if writer {
            // Push: NetBox wins.
            let mut changes = attribute_changes(local, rs, false);
            if local_failover != rs.failover {
                changes.push(ScopeChange::Failover {
                    before: rs.failover.clone(),
                    after: local_failover.clone(),
                });
            }
            let (set_options, remove_options) = match self.read_part(
                &mut so,
                server,
                read.options.get(&sid),
                ReadKind::Options,
                network,
            ) {
                Some(remote) => push_option_diff(&snap.inventory, local, remote),
                None => (Vec::new(), Vec::new()),
            };
            let mut changed = false;
            if !changes.is_empty() || !set_options.is_empty() || !remove_options.is_empty() {
                changed = true;
                push(
                    &mut so,
                    phase::SERVER_SCOPE,
                    &context,
                    Reason::ScopeAttributesDiffer,
                    Action::UpdateServerScope {
                        network,
                        changes,
                        set_options,
                        remove_options,
                    },
                );
            }
            if let Some(remote) = self.read_part(
                &mut so,
                server,
                read.exclusions.get(&sid),
                ReadKind::Exclusions,
                network,
            ) {
                candidates +=
                    u32::try_from(remote.len() + local.exclusions.len()).unwrap_or(u32::MAX);
                let (only_remote, only_local) = exclusion_diff(local, remote);
                for e in only_remote {
                    changed = true;
                    push(
                        &mut so,
                        phase::SERVER_DELETE,
                        &context,
                        Reason::ExclusionOnlyOnServer,
                        Action::DeleteServerExclusion {
                            network,
                            start: e.start,
                            end: e.end,
                        },
                    );
                }
                for (_, e) in only_local {
                    changed = true;
                    push(
                        &mut so,
                        phase::SERVER_CREATE,
                        &context,
                        Reason::ExclusionOnlyInNetBox,
                        Action::CreateServerExclusion {
                            network,
                            start: e.start,
                            end: e.end,
                        },
                    );
                }
            }
            if changed && local_failover.is_some() {
                replicate.insert(network);
            }
        }

        if st.sync_ip_addresses || st.push_reservations {
            match prefix {
                None => so.report.conflicts.push(Conflict::ScopeWithoutPrefix {
                    server: server.into(),
                    network,
                }),
                Some(prefix) => {
                    let (start, end, exclusions) = if st.push_scope_info {
                        let ex = local
                            .exclusions
                            .iter()
                            .map(|e| AddressRange {
                                start: e.start,
                                end: e.end,
                            })
                            .collect();
                        (local.start, local.end, ex)
                    } else {
                        (rs.start, rs.end, remote_exclusions(Some(read), sid))
                    };
                    let domain = if self.shared.contains(&local.id) {
                        AddressRange { start, end }
                    } else {
                        net_range(network)
                    };
                    let b = self.scope_ips(
                        server,
                        network,
                        vrf,
                        prefix.prefix.prefix(),
                        &exclusions,
                        domain,
                        writer,
                        sid,
                        &mut so,
                    );
                    candidates += b.candidates;
                }
            }
        }
        self.budget_scope(server, network, vrf, Bucket { candidates }, so);
    }

    /// A read part of a matched scope: the value, or `None` with a report of a failed read.
    fn read_part<'r, T>(
        &self,
        out: &mut Out,
        server: &str,
        read: Option<&'r Read<T>>,
        what: ReadKind,
        network: Ipv4Network,
    ) -> Option<&'r T> {
        match read {
            Some(Read::Ok(v)) => Some(v),
            Some(Read::Failed { error }) => {
                out.report.conflicts.push(Conflict::ReadFailed {
                    server: server.into(),
                    what,
                    network: Some(network),
                    error: error.clone(),
                });
                None
            }
            None => None,
        }
    }

    /// The IP part of a scope: needs both lease and reservation reads (or only reservations
    /// when only pushing).
    #[allow(clippy::too_many_arguments)]
    fn scope_ips(
        &mut self,
        server: &str,
        network: Ipv4Network,
        vrf: Option<u64>,
        prefix_len: u8,
        exclusions: &[AddressRange],
        domain: AddressRange,
        writer: bool,
        sid: Ipv4Addr,
        so: &mut Out,
    ) -> Bucket {
        let snap = self.snap;
        let st = &snap.settings;
        let read = snap.servers.get(server);
        let leases = read.and_then(|r| r.leases.get(&sid));
        let reservations = read.and_then(|r| r.reservations.get(&sid));
        let mut failed = false;
        for (part, what) in [
            (leases.map(|r| r.error()), ReadKind::Leases),
            (reservations.map(|r| r.error()), ReadKind::Reservations),
        ] {
            if what == ReadKind::Leases && !st.sync_ip_addresses {
                continue;
            }
            let error = match part {
                None => Some("not read"),
                Some(e) => e,
            };
            if let Some(error) = error {
                failed = true;
                so.report.conflicts.push(Conflict::ReadFailed {
                    server: server.into(),
                    what,
                    network: Some(network),
                    error: error.to_owned(),
                });
            }
        }
        if failed {
            return Bucket::default();
        }
        let empty_l = Vec::new();
        let empty_r = Vec::new();
        let leases = leases.and_then(Read::ok).unwrap_or(&empty_l);
        let reservations = reservations.and_then(Read::ok).unwrap_or(&empty_r);
        // Suspiciously empty: no active lease (or no reservation) on the server while NetBox
        // holds many DHCP-managed IPs that only such entries keep alive.
        let mut cleanup = true;
        let guard = st.empty_guard.min_managed_ips;
        let no_leases = !leases.iter().any(|l| l.state.is_active());
        let no_reservations = reservations.is_empty() && !st.push_reservations;
        if guard > 0 && st.sync_ip_addresses && (no_leases || no_reservations) {
            // Only IPs that would actually lose their backing count: a `dhcp` IP the server
            // reserves (or a `reserved` IP with an active lease) is kept alive by that entry and
            // merely changes status, so counting it would make the guard flip once the plan has
            // been applied (two-step convergence, found by the apply-then-replan property).
            // Sorted address lists (binary search); the lease-info lookup, the expensive part,
            // only for IPs that count towards a figure the guard uses.
            let mut reserved: Vec<Ipv4Addr> = reservations.iter().map(|r| r.ip).collect();
            reserved.sort_unstable();
            let mut leased: Vec<Ipv4Addr> = leases
                .iter()
                .filter(|l| l.state.is_active())
                .map(|l| l.ip)
                .collect();
            if !leased.is_sorted() {
                leased.sort_unstable();
            }
            let (mut by_lease, mut by_reservation) = (0usize, 0usize);
            for (addr, slot) in self.index.range(vrf, domain.start, domain.end) {
                let addr = Ipv4Addr::from(addr);
                let index::Slot::One(ip, li) = slot else {
                    continue;
                };
                if ip.status == st.lease_status && reserved.binary_search(&addr).is_err() {
                    if no_leases && li.is_some() {
                        by_lease += 1;
                    }
                } else if ip.status == st.reservation_status
                    && leased.binary_search(&addr).is_err()
                    && no_reservations
                    && li.is_some()
                {
                    by_reservation += 1;
                }
            }
            let managed = if no_leases { by_lease } else { 0 }.max(if no_reservations {
                by_reservation
            } else {
                0
            });
            if managed >= guard as usize {
                cleanup = false;
                so.report.conflicts.push(Conflict::SuspiciouslyEmpty {
                    server: server.into(),
                    network: Some(network),
                    managed: u32::try_from(managed).unwrap_or(u32::MAX),
                });
            }
        }
        let s = ScopeIps {
            server,
            network,
            vrf,
            prefix_len,
            exclusions,
            domain,
            writer,
            sync_ips: st.sync_ip_addresses,
            leases,
            reservations,
        };
        let counts = plan_scope_ips(&s, st, &self.index, cleanup, so);
        let stats = &mut self.out.report.stats;
        stats.leases_seen += counts.leases;
        stats.reservations_seen += counts.reservations;
        stats.ips_considered += counts.ips;
        Bucket {
            candidates: counts
                .candidates
                .saturating_add(u32::try_from(reservations.len()).unwrap_or(u32::MAX)),
        }
    }

    /// A NetBox scope its server no longer reports.
    fn netbox_only(
        &mut self,
        server: &str,
        local: &InventoryScope,
        replicate: &mut BTreeSet<Ipv4Network>,
    ) {
        let snap = self.snap;
        let st = &snap.settings;
        let network = canonical_network(local.network);
        let prefix = local.prefix_id.and_then(|id| snap.ipam.prefixes.get(&id));
        let vrf = prefix.and_then(|p| p.vrf);
        let context = ActionContext {
            server: server.into(),
            scope: Some(network),
            vrf,
        };
        self.out.report.stats.scopes_planned += 1;
        let mut so = self.scope_out();
        let failover = match &local.source {
            ScopeSourceRef::Failover(f) => Some(f.clone()),
            _ => None,
        };
        if st.push_scope_info {
            let options = local_options(&snap.inventory, local)
                .into_iter()
                .map(|((code, vendor_class), (_, values))| OptionValueSpec {
                    code,
                    vendor_class,
                    values,
                })
                .collect();
            push(
                &mut so,
                phase::SERVER_SCOPE,
                &context,
                Reason::ScopeMissingOnServer,
                Action::CreateServerScope {
                    scope: Box::new(spec_of_local(local)),
                    options,
                    failover: failover.clone(),
                },
            );
            let exclusions: BTreeSet<AddressRange> = local
                .exclusions
                .iter()
                .map(|e| AddressRange {
                    start: e.start,
                    end: e.end,
                })
                .collect();
            for e in exclusions {
                push(
                    &mut so,
                    phase::SERVER_CREATE,
                    &context,
                    Reason::ExclusionOnlyInNetBox,
                    Action::CreateServerExclusion {
                        network,
                        start: e.start,
                        end: e.end,
                    },
                );
            }
            if failover.is_some() {
                replicate.insert(network);
            }
            if st.push_reservations
                && let Some(prefix) = prefix
            {
                let domain = net_range(network);
                let s = ScopeIps {
                    server,
                    network,
                    vrf,
                    prefix_len: prefix.prefix.prefix(),
                    exclusions: &[],
                    domain,
                    writer: true,
                    sync_ips: false,
                    leases: &[],
                    reservations: &[],
                };
                plan_scope_ips(&s, st, &self.index, false, &mut so);
            }
            self.append(so);
        } else {
            push(
                &mut so,
                phase::INVENTORY_DELETE,
                &context,
                Reason::ScopeGoneFromServer,
                Action::DeleteInventoryScope {
                    id: local.id,
                    network,
                },
            );
            self.budget_scope(server, network, vrf, Bucket { candidates: 1 }, so);
        }
    }

    /// Apply the per-scope deletion budget, then append the scope's actions.
    fn budget_scope(
        &mut self,
        server: &str,
        network: Ipv4Network,
        _vrf: Option<u64>,
        bucket: Bucket,
        mut so: Out,
    ) {
        let b = &self.snap.settings.deletion_budget;
        let deletions = count_deletions(&so);
        self.run_candidates += u64::from(bucket.candidates);
        if let Some(limit) = exceeded(
            deletions,
            bucket.candidates,
            b.per_scope_max.map(BudgetLimit::PerScopeMax),
            b.per_scope_percent.map(BudgetLimit::PerScopePercent),
            b.percent_floor,
        ) {
            so.actions.retain_non_deletions_since(&so.since);
            so.report.conflicts.push(Conflict::DeletionsWithheld {
                server: Some(server.into()),
                network: Some(network),
                planned: deletions,
                candidates: bucket.candidates,
                limit,
            });
            self.out.report.stats.deletions_withheld += deletions;
        }
        self.append(so);
    }

    /// An `Out` for one scope: takes the run's action lists (moved back by [`Self::append`]).
    fn scope_out(&mut self) -> Out {
        let actions = std::mem::take(&mut self.out.actions);
        let since = actions.mark();
        Out {
            actions,
            report: Report::default(),
            since,
        }
    }

    pub(crate) fn append(&mut self, mut so: Out) {
        self.out.actions.append(&mut so.actions);
        let Report {
            skipped, conflicts, ..
        } = so.report;
        self.out.report.skipped.extend(skipped);
        self.out.report.conflicts.extend(conflicts);
    }

    pub(crate) fn finish(mut self, kind: PlanKind) -> Plan {
        // Per-run budget (sync only; an import never deletes).
        if kind == PlanKind::Sync {
            let b = &self.snap.settings.deletion_budget;
            let deletions = count_deletions(&self.out);
            let candidates = u32::try_from(self.run_candidates).unwrap_or(u32::MAX);
            if let Some(limit) = exceeded(
                deletions,
                candidates,
                b.per_run_max.map(BudgetLimit::PerRunMax),
                b.per_run_percent.map(BudgetLimit::PerRunPercent),
                b.percent_floor,
            ) {
                self.out.actions.retain_non_deletions_since(&self.out.since);
                self.out.report.conflicts.push(Conflict::DeletionsWithheld {
                    server: None,
                    network: None,
                    planned: deletions,
                    candidates,
                    limit,
                });
                self.out.report.stats.deletions_withheld += deletions;
            }
        }
        let actions = self.out.actions.into_vec();
        let mut report = self.out.report;
        report.skipped.sort();
        report.skipped.dedup();
        report.conflicts.sort();
        report.conflicts.dedup();
        Plan {
            id: plan_id(self.snap),
            kind,
            actions,
            report,
        }
    }
}

fn count_deletions(out: &Out) -> u32 {
    let n = out.actions.deletions_since(&out.since);
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The first limit `deletions` exceeds, if any.
fn exceeded(
    deletions: u32,
    candidates: u32,
    max: Option<BudgetLimit>,
    percent: Option<BudgetLimit>,
    floor: u32,
) -> Option<BudgetLimit> {
    if deletions == 0 {
        return None;
    }
    if let Some(limit @ (BudgetLimit::PerScopeMax(m) | BudgetLimit::PerRunMax(m))) = max
        && deletions > m
    {
        return Some(limit);
    }
    if let Some(limit @ (BudgetLimit::PerScopePercent(p) | BudgetLimit::PerRunPercent(p))) = percent
        && deletions > floor
        && u64::from(deletions) * 100 > u64::from(p) * u64::from(candidates)
    {
        return Some(limit);
    }
    None
}

fn net_range(network: Ipv4Network) -> AddressRange {
    AddressRange {
        start: network.network(),
        end: network.broadcast(),
    }
}

fn remote_exclusions(read: Option<&ServerRead>, sid: Ipv4Addr) -> Vec<AddressRange> {
    read.and_then(|r| r.exclusions.get(&sid))
        .and_then(Read::ok)
        .cloned()
        .unwrap_or_default()
}
