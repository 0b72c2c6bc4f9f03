//! Applying a [`Plan`] through the source traits, with no choices of its own.
//!
//! The executor runs the plan's actions in **stages** so that parents exist before their
//! children and children are gone before their parents:
//!
//! | stage | actions |
//! |---|---|
//! | 1 | create prefix, create failover, create option value |
//! | 2 | create inventory scope, create / update server scope, update inventory scope |
//! | 3 | deletes of children: reservations, server and inventory exclusions, option links, IPs |
//! | 4 | updates: reservations, IPs (incl. downgrades); inventory exclusions and option links |
//! | 5 | creates of children: reservations, server exclusions, IPs |
//! | 6 | lease-info rows (they need the ids of the IPs created in stage 5) |
//! | 7 | delete inventory scope |
//! | 8 | replicate failover |
//!
//! Deleting before creating within the leaves matters on Windows: a client id moving from one
//! reservation to another must be freed first, and a changed exclusion range must not overlap
//! its old self. Within a stage, actions keep their plan order.
//!
//! * IPAM writes are batched into bulk calls of [`ExecuteOptions::ipam_chunk_size`]; when a bulk
//!   call is refused as a whole (NetBox bulk writes are atomic), its items are retried one by
//!   one so that one bad item does not hold back the rest.
//! * Servers are written concurrently, at most [`ExecuteOptions::server_concurrency`] at a time;
//!   one server's writes are sequential, reservations batched.
//! * A failed action does not stop the run. An action whose parent failed (an IP whose creation
//!   failed, a scope that could not be created) is [`ActionStatus::Skipped`].
//! * Every NetBox write carries the plan id in its change-log message.
//! * With [`ExecuteOptions::verify`] (used for saved plans, see [`crate::saved`]) everything the
//!   plan touches is re-read first, and an action whose recorded before-state no longer holds
//!   is reported [`ActionStatus::Stale`] and not applied. IP updates and deletes then carry the
//!   freshly read ETag (`If-Match`), closing the window between the check and the write.
//!
//! The [`ApplyReport`] has exactly one [`ActionOutcome`] per action.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

use compact_str::CompactString;
use futures::future::BoxFuture;
use futures::stream::{self, StreamExt as _};
use ipnetwork::Ipv4Network;
use serde::{Deserialize, Serialize};

use crate::plan::{
    Action, IpFields, IpRef, OptionValueRef, OptionValueSpec, Plan, PlanId, PlannedAction,
    PrefixRef, Reason, ScopeChange, ScopeRef, ScopeSpec,
};
use crate::snapshot::{
    AddressRange, Inventory as InventoryData, InventoryScope, IpamAddress, LeaseInfo, ObjectId,
    ServerName, ServerScope,
};
use crate::source::{
    DhcpError, DhcpServer, InventoryError, InventoryWrite, IpDelete, IpUpdate, Ipam, IpamError,
    NewIp, NewPrefix, Progress, ProgressEvent, ReservationKey, ReservationWrite, Sources,
};

// =============================================================================================
// Options and report
// =============================================================================================

/// How to apply a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteOptions {
    /// Servers written at the same time (at least 1).
    pub server_concurrency: usize,
    /// Items per IPAM bulk call (at least 1; NetBox handles about 1000 well).
    pub ipam_chunk_size: usize,
    /// Items per reservation batch call (at least 1; the PSU script takes 100).
    pub reservation_chunk_size: usize,
    /// Items per inventory batch call (at least 1).
    pub inventory_chunk_size: usize,
    /// Re-read what each action touches first and refuse stale actions (saved plans).
    pub verify: bool,
    /// Start of every change-log message (followed by `plan <id>`).
    pub changelog_prefix: String,
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        Self {
            server_concurrency: 4,
            ipam_chunk_size: 500,
            reservation_chunk_size: 100,
            inventory_chunk_size: 1000,
            verify: false,
            changelog_prefix: "netbox-windhcp sync".to_owned(),
        }
    }
}

/// What happened to one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ActionStatus {
    /// The action took effect.
    Applied,
    /// The action failed.
    Failed {
        /// The error.
        error: String,
        /// Whether it may have taken effect anyway (the outcome is unknown).
        may_have_applied: bool,
    },
    /// The action was refused because what it would change is no longer as planned.
    Stale {
        /// What changed.
        reason: String,
    },
    /// The action was not attempted (its parent failed or was stale).
    Skipped {
        /// Why.
        reason: String,
    },
}

/// The outcome of one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOutcome {
    /// Index of the action in [`Plan::actions`].
    pub action_index: usize,
    /// The action's kind name.
    pub kind: String,
    /// What happened.
    pub status: ActionStatus,
}

/// How many actions ended in each status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// Applied.
    pub applied: usize,
    /// Failed.
    pub failed: usize,
    /// Stale.
    pub stale: usize,
    /// Skipped.
    pub skipped: usize,
}

/// The result of applying a plan: one outcome per action, in plan order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// The plan applied.
    pub plan_id: PlanId,
    /// One outcome per action, ordered by action index.
    pub outcomes: Vec<ActionOutcome>,
    /// Counts per status.
    pub counts: OutcomeCounts,
}

impl ApplyReport {
    /// Whether every action was applied.
    pub fn is_complete(&self) -> bool {
        self.counts.applied == self.outcomes.len()
    }

    /// The outcome of action `index`.
    pub fn outcome(&self, index: usize) -> Option<&ActionOutcome> {
        self.outcomes.get(index)
    }

    fn from_statuses(plan: &Plan, statuses: Vec<Option<ActionStatus>>) -> Self {
        let mut counts = OutcomeCounts::default();
        let outcomes: Vec<ActionOutcome> = statuses
            .into_iter()
            .zip(&plan.actions)
            .enumerate()
            .map(|(index, (status, planned))| {
                let status = status.unwrap_or_else(|| ActionStatus::Skipped {
                    reason: "not reached".to_owned(),
                });
                match status {
                    ActionStatus::Applied => counts.applied += 1,
                    ActionStatus::Failed { .. } => counts.failed += 1,
                    ActionStatus::Stale { .. } => counts.stale += 1,
                    ActionStatus::Skipped { .. } => counts.skipped += 1,
                }
                ActionOutcome {
                    action_index: index,
                    kind: planned.action.kind_name().to_owned(),
                    status,
                }
            })
            .collect();
        Self {
            plan_id: plan.id.clone(),
            outcomes,
            counts,
        }
    }
}

// =============================================================================================
// Executor
// =============================================================================================

/// Applies plans through [`Sources`].
#[derive(Debug, Clone)]
pub struct Executor {
    sources: Sources,
    options: ExecuteOptions,
}

/// The stage of an action (see the module documentation).
pub fn stage_of(action: &Action) -> u8 {
    match action {
        Action::CreatePrefix { .. }
        | Action::CreateFailover { .. }
        | Action::CreateOptionValue { .. } => 1,
        Action::CreateInventoryScope { .. }
        | Action::UpdateInventoryScope { .. }
        | Action::CreateServerScope { .. }
        | Action::UpdateServerScope { .. } => 2,
        Action::DeleteReservation { .. }
        | Action::DeleteServerExclusion { .. }
        | Action::DeleteInventoryExclusion { .. }
        | Action::UnlinkOptionValue { .. }
        | Action::DeleteIp { .. } => 3,
        Action::UpdateReservation { .. }
        | Action::CreateInventoryExclusion { .. }
        | Action::LinkOptionValue { .. }
        | Action::UpdateIp { .. }
        | Action::DowngradeIp { .. } => 4,
        Action::PushReservation { .. }
        | Action::CreateServerExclusion { .. }
        | Action::CreateIp { .. } => 5,
        Action::UpsertLeaseInfo { .. } => 6,
        Action::DeleteInventoryScope { .. } => 7,
        Action::ReplicateFailover { .. } => 8,
    }
}

const STAGES: std::ops::RangeInclusive<u8> = 1..=8;

impl Executor {
    /// An executor with default options.
    pub fn new(sources: Sources) -> Self {
        Self {
            sources,
            options: ExecuteOptions::default(),
        }
    }

    /// Replace the options.
    pub fn with_options(mut self, options: ExecuteOptions) -> Self {
        self.options = options;
        self
    }

    /// The options.
    pub fn options(&self) -> &ExecuteOptions {
        &self.options
    }

    /// The sources written to.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// The change-log message for an action of `plan` planned for `reason`.
    pub fn changelog_message(&self, plan: &PlanId, reason: Reason) -> String {
        format!(
            "{} plan {plan}: {}",
            self.options.changelog_prefix,
            reason_slug(reason)
        )
    }

    /// Apply `plan`. Never fails as a whole: every action's outcome is in the report.
    pub async fn apply(&self, plan: &Plan, progress: &dyn Progress) -> ApplyReport {
        progress.event(ProgressEvent::ApplyStarted {
            actions: plan.actions.len(),
        });
        let mut run = Run::new(plan);
        if self.options.verify {
            let stale = verify::check(self, plan, &mut run).await;
            progress.event(ProgressEvent::ActionsDone { count: stale });
        }
        for stage in STAGES {
            let indices: Vec<usize> = plan
                .actions
                .iter()
                .enumerate()
                .filter(|(i, p)| stage_of(&p.action) == stage && run.statuses[*i].is_none())
                .map(|(i, _)| i)
                .collect();
            if indices.is_empty() && stage != 6 {
                continue;
            }
            let before = run.finished();
            self.run_stage(plan, &mut run, &indices).await;
            progress.event(ProgressEvent::ActionsDone {
                count: run.finished() - before,
            });
        }
        ApplyReport::from_statuses(plan, run.statuses)
    }

    async fn run_stage(&self, plan: &Plan, run: &mut Run, indices: &[usize]) {
        let mut ipam_items: Vec<(usize, IpamWork)> = Vec::new();
        let mut inventory_items: Vec<(usize, InventoryWrite)> = Vec::new();
        let mut server_items: BTreeMap<ServerName, Vec<(usize, ServerWork)>> = BTreeMap::new();

        for &index in indices {
            let planned = &plan.actions[index];
            match self.prepare(plan, run, planned) {
                Ok(Work::Ipam(work)) => ipam_items.push((index, work)),
                Ok(Work::Inventory(write)) => inventory_items.push((index, write)),
                Ok(Work::Server(work)) => server_items
                    .entry(planned.context.server.clone())
                    .or_default()
                    .push((index, work)),
                Err(status) => run.statuses[index] = Some(status),
            }
        }
        // Lease-info rows of IPs deleted earlier in this run go with them (NetBox cascades).
        let cascade: Vec<InventoryWrite> = std::mem::take(&mut run.deleted_ips)
            .into_iter()
            .map(|ip_id| InventoryWrite::DeleteLeaseInfo { ip_id })
            .collect();

        for server in server_items.keys() {
            if !run.connections.contains_key(server) {
                let connection = self.sources.dhcp.connect(server).await;
                run.connections.insert(server.clone(), connection);
            }
        }
        let connections = &run.connections;
        let message = format!("{} plan {}", self.options.changelog_prefix, plan.id);
        let ipam = self.run_ipam(ipam_items);
        let inventory = self.run_inventory(inventory_items, cascade, &message);
        let servers = stream::iter(server_items)
            .map(|(server, items)| {
                let connection = connections.get(&server).cloned();
                self.run_server(server, connection, items)
            })
            .buffer_unordered(self.options.server_concurrency.max(1))
            .collect::<Vec<_>>();
        let (ipam, inventory, servers) = futures::join!(ipam, inventory, servers);
        for (index, status, created) in ipam
            .into_iter()
            .chain(inventory)
            .chain(servers.into_iter().flatten())
        {
            if let Some(created) = created {
                run.record(created);
            }
            run.statuses[index] = Some(status);
        }
    }

    /// Resolve an action's references and turn it into work, or give its final status.
    fn prepare(
        &self,
        plan: &Plan,
        run: &Run,
        planned: &PlannedAction,
    ) -> Result<Work, ActionStatus> {
        let message = || self.changelog_message(&plan.id, planned.reason);
        let server = &planned.context.server;
        let work = match &planned.action {
            Action::CreatePrefix {
                prefix,
                vrf,
                status,
            } => Work::Ipam(IpamWork::CreatePrefix(NewPrefix {
                prefix: *prefix,
                vrf: *vrf,
                status: status.clone(),
                changelog_message: message(),
            })),
            Action::CreateIp {
                address,
                vrf,
                after,
            } => Work::Ipam(IpamWork::Create(NewIp {
                address: *address,
                vrf: *vrf,
                fields: after.clone(),
                changelog_message: message(),
            })),
            Action::UpdateIp {
                id, etag, after, ..
            }
            | Action::DowngradeIp {
                id, etag, after, ..
            } => Work::Ipam(IpamWork::Update(IpUpdate {
                id: *id,
                etag: run.etags.get(id).cloned().or_else(|| etag.clone()),
                fields: IpFields::clone(after),
                changelog_message: message(),
            })),
            Action::DeleteIp { id, etag, .. } => Work::Ipam(IpamWork::Delete(IpDelete {
                id: *id,
                etag: run.etags.get(id).cloned().or_else(|| etag.clone()),
                changelog_message: message(),
            })),
            Action::UpsertLeaseInfo {
                ip,
                hostname,
                active,
                expires,
            } => Work::Inventory(InventoryWrite::UpsertLeaseInfo {
                ip_id: run.resolve_ip(ip)?,
                info: LeaseInfo {
                    hostname: hostname.clone(),
                    active: *active,
                    expires: expires.clone(),
                },
            }),
            Action::CreateFailover {
                name,
                primary,
                partner,
                mode,
            } => Work::Inventory(InventoryWrite::CreateFailover {
                name: name.clone(),
                primary: primary.clone(),
                partner: partner.clone(),
                mode: mode.clone(),
            }),
            Action::CreateInventoryScope {
                scope,
                prefix,
                source,
            } => Work::Inventory(InventoryWrite::CreateScope {
                scope: ScopeSpec::clone(scope),
                prefix_id: Some(run.resolve_prefix(prefix)?),
                source: source.clone(),
            }),
            Action::UpdateInventoryScope { id, changes } => {
                Work::Inventory(InventoryWrite::UpdateScope {
                    id: *id,
                    changes: changes.clone(),
                })
            }
            Action::DeleteInventoryScope { id, .. } => {
                Work::Inventory(InventoryWrite::DeleteScope { id: *id })
            }
            Action::CreateInventoryExclusion { scope, start, end } => {
                Work::Inventory(InventoryWrite::CreateExclusion {
                    scope_id: run.resolve_scope(scope)?,
                    range: AddressRange {
                        start: *start,
                        end: *end,
                    },
                })
            }
            Action::DeleteInventoryExclusion { id, .. } => {
                Work::Inventory(InventoryWrite::DeleteExclusion { id: *id })
            }
            Action::CreateOptionValue { value, name } => {
                Work::Inventory(InventoryWrite::CreateOptionValue {
                    value: value.clone(),
                    name: name.clone(),
                })
            }
            Action::LinkOptionValue { scope, value } => {
                Work::Inventory(InventoryWrite::LinkOptionValue {
                    scope_id: run.resolve_scope(scope)?,
                    value_id: run.resolve_option(value)?,
                })
            }
            Action::UnlinkOptionValue { scope, value } => {
                Work::Inventory(InventoryWrite::UnlinkOptionValue {
                    scope_id: *scope,
                    value_id: *value,
                })
            }
            Action::CreateServerScope {
                scope,
                options,
                failover,
            } => Work::Server(ServerWork::CreateScope {
                scope: ScopeSpec::clone(scope),
                options: options.clone(),
                failover: failover.clone(),
            }),
            Action::UpdateServerScope {
                network,
                changes,
                set_options,
                remove_options,
            } => {
                run.check_server_scope(server, *network)?;
                Work::Server(ServerWork::UpdateScope {
                    network: *network,
                    changes: changes.clone(),
                    set_options: set_options.clone(),
                    remove_options: remove_options.clone(),
                })
            }
            Action::CreateServerExclusion {
                network,
                start,
                end,
            } => {
                run.check_server_scope(server, *network)?;
                Work::Server(ServerWork::CreateExclusion {
                    scope: network.network(),
                    range: AddressRange {
                        start: *start,
                        end: *end,
                    },
                })
            }
            Action::DeleteServerExclusion {
                network,
                start,
                end,
            } => Work::Server(ServerWork::DeleteExclusion {
                scope: network.network(),
                range: AddressRange {
                    start: *start,
                    end: *end,
                },
            }),
            Action::PushReservation {
                network,
                ip,
                client_id,
                name,
            } => {
                run.check_server_scope(server, *network)?;
                Work::Server(ServerWork::CreateReservation(ReservationWrite {
                    scope: network.network(),
                    ip: *ip,
                    client_id: client_id.as_str().to_owned(),
                    name: name.as_str().to_owned(),
                }))
            }
            Action::UpdateReservation {
                network,
                ip,
                client_id,
                name,
                ..
            } => Work::Server(ServerWork::UpdateReservation(ReservationWrite {
                scope: network.network(),
                ip: *ip,
                client_id: client_id.as_str().to_owned(),
                name: name.as_str().to_owned(),
            })),
            Action::DeleteReservation { network, ip, .. } => {
                Work::Server(ServerWork::DeleteReservation(ReservationKey {
                    scope: network.network(),
                    ip: *ip,
                }))
            }
            Action::ReplicateFailover { networks } => Work::Server(ServerWork::Replicate(
                networks.iter().map(Ipv4Network::network).collect(),
            )),
        };
        Ok(work)
    }

    // ----- IPAM ------------------------------------------------------------------------------

    async fn run_ipam(&self, items: Vec<(usize, IpamWork)>) -> Vec<Finished> {
        let mut prefixes = Vec::new();
        let mut creates = Vec::new();
        let mut updates = Vec::new();
        let mut deletes = Vec::new();
        for (index, work) in items {
            match work {
                IpamWork::CreatePrefix(p) => prefixes.push((index, p)),
                IpamWork::Create(c) => creates.push((index, c)),
                IpamWork::Update(u) => updates.push((index, u)),
                IpamWork::Delete(d) => deletes.push((index, d)),
            }
        }
        let ipam: &dyn Ipam = self.sources.ipam.as_ref();
        let chunk = self.options.ipam_chunk_size.max(1);
        let mut out = Vec::new();

        for (index, prefix) in prefixes {
            let result = ipam.create_prefix(&prefix).await;
            out.push(match result {
                Ok(created) => (
                    index,
                    ActionStatus::Applied,
                    Some(Created::Prefix {
                        key: (prefix.prefix, prefix.vrf),
                        id: created.id,
                    }),
                ),
                Err(e) => (index, ipam_status(&e), None),
            });
        }
        for (index, result) in bulk(creates, chunk, |items: Vec<NewIp>| {
            ipam.create_ips_boxed(items)
        })
        .await
        {
            out.push(match result {
                Ok(created) => (
                    index,
                    ActionStatus::Applied,
                    Some(Created::Ip {
                        key: (created.address, created.vrf),
                        id: created.id,
                    }),
                ),
                Err(e) => (index, ipam_status(&e), None),
            });
        }
        for (index, result) in bulk(updates, chunk, |items: Vec<IpUpdate>| {
            ipam.update_ips_boxed(items)
        })
        .await
        {
            out.push(match result {
                Ok(()) => (index, ActionStatus::Applied, None),
                Err(e) => (index, ipam_status(&e), None),
            });
        }
        let ids: BTreeMap<usize, ObjectId> = deletes.iter().map(|(i, d)| (*i, d.id)).collect();
        for (index, result) in bulk(deletes, chunk, |items: Vec<IpDelete>| {
            ipam.delete_ips_boxed(items)
        })
        .await
        {
            out.push(match result {
                Ok(()) => (
                    index,
                    ActionStatus::Applied,
                    ids.get(&index).map(|id| Created::IpDeleted(*id)),
                ),
                Err(e) => (index, ipam_status(&e), None),
            });
        }
        out
    }

    // ----- Inventory -------------------------------------------------------------------------

    async fn run_inventory(
        &self,
        items: Vec<(usize, InventoryWrite)>,
        cascade: Vec<InventoryWrite>,
        message: &str,
    ) -> Vec<Finished> {
        let inventory = self.sources.inventory.as_ref();
        let mut out = Vec::new();
        for chunk in items.chunks(self.options.inventory_chunk_size.max(1)) {
            let writes: Vec<InventoryWrite> = chunk.iter().map(|(_, w)| w.clone()).collect();
            match inventory.apply(&writes, message).await {
                Ok(results) if results.len() == writes.len() => {
                    for ((index, write), result) in chunk.iter().zip(results) {
                        out.push(match result {
                            Ok(id) => (
                                *index,
                                ActionStatus::Applied,
                                id.and_then(|id| created_by(write, id)),
                            ),
                            Err(e) => (*index, inventory_status(&e), None),
                        });
                    }
                }
                Ok(results) => {
                    let error = InventoryError::Indeterminate {
                        message: format!("{} results for {} writes", results.len(), writes.len()),
                    };
                    out.extend(
                        chunk
                            .iter()
                            .map(|(i, _)| (*i, inventory_status(&error), None)),
                    );
                }
                Err(e) => out.extend(chunk.iter().map(|(i, _)| (*i, inventory_status(&e), None))),
            }
        }
        if !cascade.is_empty() {
            // Best effort: a leftover row only marks a deleted IP as managed.
            if let Err(e) = inventory.apply(&cascade, message).await {
                tracing::warn!(error = %e, "could not remove lease info of deleted IPs");
            }
        }
        out
    }

    // ----- DHCP servers ----------------------------------------------------------------------

    async fn run_server(
        &self,
        server: ServerName,
        connection: Option<Result<Arc<dyn DhcpServer>, DhcpError>>,
        items: Vec<(usize, ServerWork)>,
    ) -> Vec<Finished> {
        let handle = match connection {
            Some(Ok(handle)) => handle,
            Some(Err(e)) => {
                return items
                    .into_iter()
                    .map(|(i, _)| (i, dhcp_status(&e), None))
                    .collect();
            }
            None => {
                let e = DhcpError::Unreachable {
                    server,
                    message: "not connected".to_owned(),
                };
                return items
                    .into_iter()
                    .map(|(i, _)| (i, dhcp_status(&e), None))
                    .collect();
            }
        };
        let dhcp = handle.as_ref();
        let chunk = self.options.reservation_chunk_size.max(1);
        let mut out = Vec::new();
        let mut deletes = Vec::new();
        let mut updates = Vec::new();
        let mut creates = Vec::new();
        let mut singles = Vec::new();
        for (index, work) in items {
            match work {
                ServerWork::DeleteReservation(key) => deletes.push((index, key)),
                ServerWork::UpdateReservation(write) => updates.push((index, write)),
                ServerWork::CreateReservation(write) => creates.push((index, write)),
                other => singles.push((index, other)),
            }
        }
        // One server's writes are sequential: deletes, updates, creates, then the rest.
        for (index, result) in bulk(deletes, chunk, |items: Vec<ReservationKey>| {
            dhcp.delete_reservations_boxed(items)
        })
        .await
        {
            out.push((index, dhcp_result(result), None));
        }
        for (index, result) in bulk(updates, chunk, |items: Vec<ReservationWrite>| {
            dhcp.update_reservations_boxed(items)
        })
        .await
        {
            out.push((index, dhcp_result(result), None));
        }
        for (index, result) in bulk(creates, chunk, |items: Vec<ReservationWrite>| {
            dhcp.create_reservations_boxed(items)
        })
        .await
        {
            out.push((index, dhcp_result(result), None));
        }
        for (index, work) in singles {
            let (result, failed_scope) = match work {
                ServerWork::CreateScope {
                    scope,
                    options,
                    failover,
                } => (
                    dhcp.create_scope(&scope, &options, failover.as_deref())
                        .await,
                    Some(scope.network),
                ),
                ServerWork::UpdateScope {
                    network,
                    changes,
                    set_options,
                    remove_options,
                } => (
                    dhcp.update_scope(network, &changes, &set_options, &remove_options)
                        .await,
                    None,
                ),
                ServerWork::CreateExclusion { scope, range } => {
                    (dhcp.create_exclusion(scope, range).await, None)
                }
                ServerWork::DeleteExclusion { scope, range } => {
                    (dhcp.delete_exclusion(scope, range).await, None)
                }
                ServerWork::Replicate(scopes) => (dhcp.replicate_failover(&scopes).await, None),
                ServerWork::DeleteReservation(_)
                | ServerWork::UpdateReservation(_)
                | ServerWork::CreateReservation(_) => continue,
            };
            let created = match (&result, failed_scope) {
                (Err(_), Some(network)) => Some(Created::ServerScopeFailed {
                    server: server.clone(),
                    network,
                }),
                _ => None,
            };
            out.push((index, dhcp_result(result), created));
        }
        out
    }
}

// =============================================================================================
// Run state
// =============================================================================================

type Finished = (usize, ActionStatus, Option<Created>);

/// A prefix or an IP address with its VRF.
type VrfKey = (Ipv4Network, Option<ObjectId>);

/// Something an action created (or broke) that later actions refer to.
#[derive(Debug, Clone)]
enum Created {
    Prefix {
        key: VrfKey,
        id: ObjectId,
    },
    Ip {
        key: VrfKey,
        id: ObjectId,
    },
    IpDeleted(ObjectId),
    Scope {
        network: Ipv4Network,
        id: ObjectId,
    },
    OptionValue {
        spec: OptionValueSpec,
        id: ObjectId,
    },
    ServerScopeFailed {
        server: ServerName,
        network: Ipv4Network,
    },
}

fn created_by(write: &InventoryWrite, id: ObjectId) -> Option<Created> {
    match write {
        InventoryWrite::CreateScope { scope, .. } => Some(Created::Scope {
            network: scope.network,
            id,
        }),
        InventoryWrite::CreateOptionValue { value, .. } => Some(Created::OptionValue {
            spec: value.clone(),
            id,
        }),
        _ => None,
    }
}

#[derive(Debug)]
enum Work {
    Ipam(IpamWork),
    Inventory(InventoryWrite),
    Server(ServerWork),
}

#[derive(Debug)]
enum IpamWork {
    CreatePrefix(NewPrefix),
    Create(NewIp),
    Update(IpUpdate),
    Delete(IpDelete),
}

#[derive(Debug)]
enum ServerWork {
    CreateScope {
        scope: ScopeSpec,
        options: Vec<OptionValueSpec>,
        failover: Option<String>,
    },
    UpdateScope {
        network: Ipv4Network,
        changes: Vec<ScopeChange>,
        set_options: Vec<OptionValueSpec>,
        remove_options: Vec<(u8, String)>,
    },
    CreateExclusion {
        scope: Ipv4Addr,
        range: AddressRange,
    },
    DeleteExclusion {
        scope: Ipv4Addr,
        range: AddressRange,
    },
    CreateReservation(ReservationWrite),
    UpdateReservation(ReservationWrite),
    DeleteReservation(ReservationKey),
    Replicate(Vec<Ipv4Addr>),
}

struct Run {
    statuses: Vec<Option<ActionStatus>>,
    prefix_ids: BTreeMap<VrfKey, ObjectId>,
    ip_ids: BTreeMap<VrfKey, ObjectId>,
    scope_ids: BTreeMap<Ipv4Network, ObjectId>,
    option_ids: BTreeMap<OptionValueSpec, ObjectId>,
    failed_server_scopes: BTreeSet<(ServerName, Ipv4Network)>,
    deleted_ips: Vec<ObjectId>,
    etags: BTreeMap<ObjectId, CompactString>,
    connections: BTreeMap<ServerName, Result<Arc<dyn DhcpServer>, DhcpError>>,
}

fn skipped(reason: String) -> ActionStatus {
    ActionStatus::Skipped { reason }
}

impl Run {
    fn new(plan: &Plan) -> Self {
        Self {
            statuses: vec![None; plan.actions.len()],
            prefix_ids: BTreeMap::new(),
            ip_ids: BTreeMap::new(),
            scope_ids: BTreeMap::new(),
            option_ids: BTreeMap::new(),
            failed_server_scopes: BTreeSet::new(),
            deleted_ips: Vec::new(),
            etags: BTreeMap::new(),
            connections: BTreeMap::new(),
        }
    }

    fn finished(&self) -> usize {
        self.statuses.iter().filter(|s| s.is_some()).count()
    }

    fn record(&mut self, created: Created) {
        match created {
            Created::Prefix { key, id } => {
                self.prefix_ids.insert(key, id);
            }
            Created::Ip { key, id } => {
                self.ip_ids.insert(key, id);
            }
            Created::IpDeleted(id) => self.deleted_ips.push(id),
            Created::Scope { network, id } => {
                self.scope_ids.insert(network, id);
            }
            Created::OptionValue { spec, id } => {
                self.option_ids.insert(spec, id);
            }
            Created::ServerScopeFailed { server, network } => {
                self.failed_server_scopes.insert((server, network));
            }
        }
    }

    fn resolve_ip(&self, ip: &IpRef) -> Result<ObjectId, ActionStatus> {
        match ip {
            IpRef::Existing(id) => Ok(*id),
            IpRef::New { address, vrf } => self
                .ip_ids
                .get(&(*address, *vrf))
                .copied()
                .ok_or_else(|| skipped(format!("IP {address} (VRF {vrf:?}) was not created"))),
        }
    }

    fn resolve_prefix(&self, prefix: &PrefixRef) -> Result<ObjectId, ActionStatus> {
        match prefix {
            PrefixRef::Existing(id) => Ok(*id),
            PrefixRef::New { prefix, vrf } => self
                .prefix_ids
                .get(&(*prefix, *vrf))
                .copied()
                .ok_or_else(|| skipped(format!("prefix {prefix} (VRF {vrf:?}) was not created"))),
        }
    }

    fn resolve_scope(&self, scope: &ScopeRef) -> Result<ObjectId, ActionStatus> {
        match scope {
            ScopeRef::Existing(id) => Ok(*id),
            ScopeRef::New(network) => self
                .scope_ids
                .get(network)
                .copied()
                .ok_or_else(|| skipped(format!("inventory scope {network} was not created"))),
        }
    }

    fn resolve_option(&self, value: &OptionValueRef) -> Result<ObjectId, ActionStatus> {
        match value {
            OptionValueRef::Existing(id) => Ok(*id),
            OptionValueRef::New(spec) => self
                .option_ids
                .get(spec)
                .copied()
                .ok_or_else(|| skipped(format!("option value {} was not created", spec.code))),
        }
    }

    fn check_server_scope(&self, server: &str, network: Ipv4Network) -> Result<(), ActionStatus> {
        if self
            .failed_server_scopes
            .contains(&(server.into(), network))
        {
            Err(skipped(format!(
                "scope {network} could not be created on {server}"
            )))
        } else {
            Ok(())
        }
    }
}

// =============================================================================================
// Helpers
// =============================================================================================

/// The snake-case name of a reason (its JSON form).
pub fn reason_slug(reason: Reason) -> String {
    match serde_json::to_value(reason) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{reason:?}"),
    }
}

/// Errors that say "the world is not as planned".
fn ipam_status(error: &IpamError) -> ActionStatus {
    match error {
        IpamError::PreconditionFailed { .. }
        | IpamError::NotFound { .. }
        | IpamError::Duplicate { .. } => ActionStatus::Stale {
            reason: error.to_string(),
        },
        _ => ActionStatus::Failed {
            error: error.to_string(),
            may_have_applied: error.may_have_applied(),
        },
    }
}

fn inventory_status(error: &InventoryError) -> ActionStatus {
    match error {
        InventoryError::NotFound { .. } | InventoryError::Conflict { .. } => ActionStatus::Stale {
            reason: error.to_string(),
        },
        _ => ActionStatus::Failed {
            error: error.to_string(),
            may_have_applied: error.may_have_applied(),
        },
    }
}

fn dhcp_status(error: &DhcpError) -> ActionStatus {
    match error {
        DhcpError::NotFound { .. } => ActionStatus::Stale {
            reason: error.to_string(),
        },
        _ => ActionStatus::Failed {
            error: error.to_string(),
            may_have_applied: error.may_have_applied(),
        },
    }
}

fn dhcp_result(result: Result<(), DhcpError>) -> ActionStatus {
    match result {
        Ok(()) => ActionStatus::Applied,
        Err(e) => dhcp_status(&e),
    }
}

/// An error that a batch call can report for the whole batch.
trait BatchError: Clone {
    fn may_have_applied(&self) -> bool;
    fn count_mismatch(expected: usize, got: usize) -> Self;
}

impl BatchError for IpamError {
    fn may_have_applied(&self) -> bool {
        IpamError::may_have_applied(self)
    }
    fn count_mismatch(expected: usize, got: usize) -> Self {
        IpamError::Indeterminate {
            message: format!("{got} results for {expected} items"),
        }
    }
}

impl BatchError for DhcpError {
    fn may_have_applied(&self) -> bool {
        DhcpError::may_have_applied(self)
    }
    fn count_mismatch(expected: usize, got: usize) -> Self {
        DhcpError::Indeterminate {
            message: format!("{got} results for {expected} items"),
        }
    }
}

type BatchFuture<'a, T, E> = BoxFuture<'a, Result<Vec<Result<T, E>>, E>>;

/// Run `items` through a batch call in chunks. A chunk refused as a whole (and certainly not
/// applied) is retried item by item.
async fn bulk<'a, I, T, E, F>(
    items: Vec<(usize, I)>,
    chunk: usize,
    call: F,
) -> Vec<(usize, Result<T, E>)>
where
    I: Clone,
    E: BatchError,
    F: Fn(Vec<I>) -> BatchFuture<'a, T, E>,
{
    let mut out = Vec::with_capacity(items.len());
    for part in items.chunks(chunk) {
        let batch: Vec<I> = part.iter().map(|(_, item)| item.clone()).collect();
        match call(batch).await {
            Ok(results) if results.len() == part.len() => {
                out.extend(part.iter().map(|(i, _)| *i).zip(results));
            }
            Ok(results) => {
                let e = E::count_mismatch(part.len(), results.len());
                out.extend(part.iter().map(|(i, _)| (*i, Err(e.clone()))));
            }
            Err(e) if part.len() > 1 && !e.may_have_applied() => {
                for (index, item) in part {
                    let result = match call(vec![item.clone()]).await {
                        Ok(mut results) if results.len() == 1 => match results.pop() {
                            Some(r) => r,
                            None => Err(E::count_mismatch(1, 0)),
                        },
                        Ok(results) => Err(E::count_mismatch(1, results.len())),
                        Err(e) => Err(e),
                    };
                    out.push((*index, result));
                }
            }
            Err(e) => out.extend(part.iter().map(|(i, _)| (*i, Err(e.clone())))),
        }
    }
    out
}

/// Boxed forms of the batch calls, for [`bulk`].
trait IpamBoxed {
    fn create_ips_boxed(&self, items: Vec<NewIp>) -> BatchFuture<'_, IpamAddress, IpamError>;
    fn update_ips_boxed(&self, items: Vec<IpUpdate>) -> BatchFuture<'_, (), IpamError>;
    fn delete_ips_boxed(&self, items: Vec<IpDelete>) -> BatchFuture<'_, (), IpamError>;
}

impl IpamBoxed for dyn Ipam + '_ {
    fn create_ips_boxed(&self, items: Vec<NewIp>) -> BatchFuture<'_, IpamAddress, IpamError> {
        Box::pin(async move { self.create_ips(&items).await })
    }
    fn update_ips_boxed(&self, items: Vec<IpUpdate>) -> BatchFuture<'_, (), IpamError> {
        Box::pin(async move { self.update_ips(&items).await })
    }
    fn delete_ips_boxed(&self, items: Vec<IpDelete>) -> BatchFuture<'_, (), IpamError> {
        Box::pin(async move { self.delete_ips(&items).await })
    }
}

trait DhcpBoxed {
    fn create_reservations_boxed(
        &self,
        items: Vec<ReservationWrite>,
    ) -> BatchFuture<'_, (), DhcpError>;
    fn update_reservations_boxed(
        &self,
        items: Vec<ReservationWrite>,
    ) -> BatchFuture<'_, (), DhcpError>;
    fn delete_reservations_boxed(
        &self,
        items: Vec<ReservationKey>,
    ) -> BatchFuture<'_, (), DhcpError>;
}

impl DhcpBoxed for dyn DhcpServer + '_ {
    fn create_reservations_boxed(
        &self,
        items: Vec<ReservationWrite>,
    ) -> BatchFuture<'_, (), DhcpError> {
        Box::pin(async move { self.create_reservations(&items).await })
    }
    fn update_reservations_boxed(
        &self,
        items: Vec<ReservationWrite>,
    ) -> BatchFuture<'_, (), DhcpError> {
        Box::pin(async move { self.update_reservations(&items).await })
    }
    fn delete_reservations_boxed(
        &self,
        items: Vec<ReservationKey>,
    ) -> BatchFuture<'_, (), DhcpError> {
        Box::pin(async move { self.delete_reservations(&items).await })
    }
}

// =============================================================================================
// Verification (saved plans)
// =============================================================================================

mod verify {
    //! Re-read what each action touches and mark the actions whose before-state changed.

    use super::*;

    /// Fresh state, read once per run.
    #[derive(Default)]
    struct Fresh {
        inventory: Option<Result<InventoryData, String>>,
        prefixes: Option<Result<BTreeSet<VrfKey>, String>>,
        /// IPs by VRF, for create checks.
        ips_by_vrf: BTreeMap<Option<ObjectId>, Result<BTreeSet<Ipv4Addr>, String>>,
        /// IPs by id, for update and delete checks (`Ok(None)`: gone).
        ips: BTreeMap<ObjectId, Result<Option<IpamAddress>, String>>,
        servers: BTreeMap<ServerName, ServerState>,
    }

    #[derive(Default)]
    struct ServerState {
        scopes: Option<Result<BTreeMap<Ipv4Addr, ServerScope>, String>>,
        reservations: BTreeMap<Ipv4Addr, Result<Vec<crate::snapshot::ServerReservation>, String>>,
        exclusions: BTreeMap<Ipv4Addr, Result<Vec<AddressRange>, String>>,
    }

    /// Check every action; returns how many got a final status.
    pub(super) async fn check(exec: &Executor, plan: &Plan, run: &mut Run) -> usize {
        let fresh = read(exec, plan, run).await;
        let mut marked = 0;
        for (index, planned) in plan.actions.iter().enumerate() {
            if let Some(status) = judge(&fresh, planned, run) {
                run.statuses[index] = Some(status);
                marked += 1;
            }
        }
        marked
    }

    async fn read(exec: &Executor, plan: &Plan, run: &mut Run) -> Fresh {
        let sources = &exec.sources;
        let mut fresh = Fresh::default();
        let mut ip_ids = BTreeSet::new();
        let mut create_vrfs = BTreeSet::new();
        let mut needs_inventory = false;
        let mut needs_prefixes = false;
        let mut server_needs: BTreeMap<ServerName, (BTreeSet<Ipv4Addr>, BTreeSet<Ipv4Addr>)> =
            BTreeMap::new();
        for planned in &plan.actions {
            let server = &planned.context.server;
            match &planned.action {
                Action::UpdateIp { id, .. }
                | Action::DowngradeIp { id, .. }
                | Action::DeleteIp { id, .. } => {
                    ip_ids.insert(*id);
                }
                Action::CreateIp { vrf, .. } => {
                    create_vrfs.insert(*vrf);
                }
                Action::CreatePrefix { .. } => needs_prefixes = true,
                Action::CreateFailover { .. }
                | Action::CreateInventoryScope { .. }
                | Action::UpdateInventoryScope { .. }
                | Action::DeleteInventoryScope { .. }
                | Action::CreateInventoryExclusion { .. }
                | Action::DeleteInventoryExclusion { .. }
                | Action::LinkOptionValue { .. }
                | Action::UnlinkOptionValue { .. } => needs_inventory = true,
                Action::CreateServerScope { .. } | Action::UpdateServerScope { .. } => {
                    server_needs.entry(server.clone()).or_default();
                }
                Action::CreateServerExclusion { network, .. }
                | Action::DeleteServerExclusion { network, .. } => {
                    server_needs
                        .entry(server.clone())
                        .or_default()
                        .1
                        .insert(network.network());
                }
                Action::PushReservation { network, .. }
                | Action::UpdateReservation { network, .. }
                | Action::DeleteReservation { network, .. } => {
                    server_needs
                        .entry(server.clone())
                        .or_default()
                        .0
                        .insert(network.network());
                }
                Action::UpsertLeaseInfo { .. }
                | Action::CreateOptionValue { .. }
                | Action::ReplicateFailover { .. } => {}
            }
        }
        if needs_inventory {
            fresh.inventory = Some(
                sources
                    .inventory
                    .read_inventory()
                    .await
                    .map_err(|e| e.to_string()),
            );
        }
        if needs_prefixes {
            fresh.prefixes = Some(
                sources
                    .ipam
                    .list_prefixes()
                    .await
                    .map(|list| list.into_iter().map(|p| (p.prefix, p.vrf)).collect())
                    .map_err(|e| e.to_string()),
            );
        }
        for vrf in create_vrfs {
            let list = sources
                .ipam
                .list_ips(vrf)
                .await
                .map(|list| list.into_iter().map(|ip| ip.address.ip()).collect())
                .map_err(|e| e.to_string());
            fresh.ips_by_vrf.insert(vrf, list);
        }
        let ipam = Arc::clone(&sources.ipam);
        let got: Vec<(ObjectId, Result<Option<IpamAddress>, String>)> = stream::iter(ip_ids)
            .map(|id| {
                let ipam = Arc::clone(&ipam);
                async move { (id, ipam.get_ip(id).await.map_err(|e| e.to_string())) }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        fresh.ips = got.into_iter().collect();

        for (server, (reservation_scopes, exclusion_scopes)) in server_needs {
            let connection = sources.dhcp.connect(&server).await;
            let mut state = ServerState::default();
            match &connection {
                Ok(dhcp) => {
                    let scopes = dhcp.list_scopes().await.map_err(|e| e.to_string());
                    // Scopes the plan creates have nothing in them yet: read only existing ones.
                    let exists = |scope: &Ipv4Addr| match &scopes {
                        Ok(map) => map.contains_key(scope),
                        Err(_) => false,
                    };
                    let reservation_scopes: Vec<Ipv4Addr> =
                        reservation_scopes.into_iter().filter(exists).collect();
                    let exclusion_scopes: Vec<Ipv4Addr> =
                        exclusion_scopes.into_iter().filter(exists).collect();
                    state.scopes = Some(scopes);
                    for scope in reservation_scopes {
                        let list = dhcp
                            .list_reservations(scope)
                            .await
                            .map_err(|e| e.to_string());
                        state.reservations.insert(scope, list);
                    }
                    for scope in exclusion_scopes {
                        let list = dhcp.list_exclusions(scope).await.map_err(|e| e.to_string());
                        state.exclusions.insert(scope, list);
                    }
                }
                Err(e) => state.scopes = Some(Err(e.to_string())),
            }
            run.connections.insert(server.clone(), connection);
            fresh.servers.insert(server, state);
        }
        fresh
    }

    fn stale(reason: impl Into<String>) -> Option<ActionStatus> {
        Some(ActionStatus::Stale {
            reason: reason.into(),
        })
    }

    fn unverifiable(error: &str) -> Option<ActionStatus> {
        Some(ActionStatus::Failed {
            error: format!("not applied: cannot re-read its target: {error}"),
            may_have_applied: false,
        })
    }

    /// The final status of an action that must not run, or `None` if it may.
    fn judge(fresh: &Fresh, planned: &PlannedAction, run: &mut Run) -> Option<ActionStatus> {
        let server = &planned.context.server;
        match &planned.action {
            Action::CreatePrefix { prefix, vrf, .. } => match fresh.prefixes.as_ref()? {
                Err(e) => unverifiable(e),
                Ok(set) if set.contains(&(*prefix, *vrf)) => {
                    stale(format!("prefix {prefix} now exists"))
                }
                Ok(_) => None,
            },
            Action::CreateIp { address, vrf, .. } => match fresh.ips_by_vrf.get(vrf)? {
                Err(e) => unverifiable(e),
                Ok(set) if set.contains(&address.ip()) => {
                    stale(format!("IP {} now exists", address.ip()))
                }
                Ok(_) => None,
            },
            Action::UpdateIp {
                id, etag, before, ..
            }
            | Action::DowngradeIp {
                id, etag, before, ..
            }
            | Action::DeleteIp {
                id, etag, before, ..
            } => match fresh.ips.get(id)? {
                Err(e) => unverifiable(e),
                Ok(None) => stale(format!("IP {id} no longer exists")),
                Ok(Some(current)) => {
                    let now = IpFields {
                        status: current.status.clone(),
                        dns_name: current.dns_name.clone(),
                        dhcp_client_id: current.dhcp_client_id.clone(),
                    };
                    if now != **before {
                        return stale(format!(
                            "IP {} changed since the plan was made ({})",
                            current.address.ip(),
                            describe_ip_diff(before, &now)
                        ));
                    }
                    if let (Some(planned_tag), Some(current_tag)) = (etag, &current.etag)
                        && planned_tag != current_tag
                    {
                        return stale(format!(
                            "IP {} was modified since the plan was made (ETag)",
                            current.address.ip()
                        ));
                    }
                    if let Some(tag) = &current.etag {
                        run.etags.insert(*id, tag.clone());
                    }
                    None
                }
            },
            Action::CreateFailover { name, .. } => with_inventory(fresh, |inv| {
                inv.failovers
                    .contains_key(name)
                    .then(|| format!("failover {name} now exists"))
            }),
            Action::CreateInventoryScope { scope, source, .. } => with_inventory(fresh, |inv| {
                inv.scopes
                    .values()
                    .any(|s| s.network == scope.network && &s.source == source)
                    .then(|| format!("inventory scope {} now exists", scope.network))
            }),
            Action::UpdateInventoryScope { id, changes } => {
                with_inventory(fresh, |inv| match inv.scopes.get(id) {
                    None => Some(format!("inventory scope {id} no longer exists")),
                    Some(scope) => changes
                        .iter()
                        .find(|c| !inventory_before_holds(scope, c))
                        .map(|c| format!("inventory scope {} changed: {c:?}", scope.network)),
                })
            }
            Action::DeleteInventoryScope { id, network } => {
                with_inventory(fresh, |inv| match inv.scopes.get(id) {
                    None => Some(format!("inventory scope {id} no longer exists")),
                    Some(scope) if scope.network != *network => Some(format!(
                        "inventory scope {id} is now {}, not {network}",
                        scope.network
                    )),
                    Some(_) => None,
                })
            }
            Action::CreateInventoryExclusion { scope, start, end } => match scope {
                ScopeRef::New(_) => None,
                ScopeRef::Existing(id) => with_inventory(fresh, |inv| match inv.scopes.get(id) {
                    None => Some(format!("inventory scope {id} no longer exists")),
                    Some(s)
                        if s.exclusions
                            .iter()
                            .any(|e| e.start == *start && e.end == *end) =>
                    {
                        Some(format!("exclusion {start}-{end} now exists"))
                    }
                    Some(_) => None,
                }),
            },
            Action::DeleteInventoryExclusion { id, start, end } => with_inventory(fresh, |inv| {
                let found = inv
                    .scopes
                    .values()
                    .flat_map(|s| s.exclusions.iter())
                    .find(|e| e.id == *id);
                match found {
                    None => Some(format!("exclusion {id} no longer exists")),
                    Some(e) if e.start != *start || e.end != *end => {
                        Some(format!("exclusion {id} is now {}-{}", e.start, e.end))
                    }
                    Some(_) => None,
                }
            }),
            Action::LinkOptionValue { scope, .. } => match scope {
                ScopeRef::New(_) => None,
                ScopeRef::Existing(id) => with_inventory(fresh, |inv| {
                    (!inv.scopes.contains_key(id))
                        .then(|| format!("inventory scope {id} no longer exists"))
                }),
            },
            Action::UnlinkOptionValue { scope, .. } => with_inventory(fresh, |inv| {
                (!inv.scopes.contains_key(scope))
                    .then(|| format!("inventory scope {scope} no longer exists"))
            }),
            Action::CreateServerScope { scope, .. } => with_scopes(fresh, server, |scopes| {
                scopes
                    .contains_key(&scope.network.network())
                    .then(|| format!("scope {} now exists on {server}", scope.network))
            }),
            Action::UpdateServerScope {
                network, changes, ..
            } => with_scopes(fresh, server, |scopes| {
                match scopes.get(&network.network()) {
                    None => Some(format!("scope {network} no longer exists on {server}")),
                    Some(current) => changes
                        .iter()
                        .find(|c| !server_before_holds(current, c))
                        .map(|c| format!("scope {network} changed on {server}: {c:?}")),
                }
            }),
            Action::CreateServerExclusion {
                network,
                start,
                end,
            } => with_exclusions(fresh, server, *network, |list| {
                list.iter()
                    .any(|r| r.start == *start && r.end == *end)
                    .then(|| format!("exclusion {start}-{end} now exists on {server}"))
            }),
            Action::DeleteServerExclusion {
                network,
                start,
                end,
            } => with_exclusions(fresh, server, *network, |list| {
                (!list.iter().any(|r| r.start == *start && r.end == *end))
                    .then(|| format!("exclusion {start}-{end} no longer exists on {server}"))
            }),
            Action::PushReservation { network, ip, .. } => {
                with_reservations(fresh, server, *network, |list| {
                    list.iter()
                        .any(|r| r.ip == *ip)
                        .then(|| format!("reservation {ip} now exists on {server}"))
                })
            }
            Action::UpdateReservation {
                network,
                ip,
                before_client_id,
                before_name,
                ..
            } => with_reservations(fresh, server, *network, |list| {
                match list.iter().find(|r| r.ip == *ip) {
                    None => Some(format!("reservation {ip} no longer exists on {server}")),
                    Some(r)
                        if !same_client_id(&r.client_id, before_client_id)
                            || r.name != **before_name =>
                    {
                        Some(format!("reservation {ip} changed on {server}"))
                    }
                    Some(_) => None,
                }
            }),
            Action::DeleteReservation {
                network,
                ip,
                client_id,
            } => with_reservations(fresh, server, *network, |list| {
                match list.iter().find(|r| r.ip == *ip) {
                    None => Some(format!("reservation {ip} no longer exists on {server}")),
                    Some(r) if !same_client_id(&r.client_id, client_id) => Some(format!(
                        "reservation {ip} now belongs to {} on {server}",
                        r.client_id
                    )),
                    Some(_) => None,
                }
            }),
            Action::UpsertLeaseInfo { .. }
            | Action::CreateOptionValue { .. }
            | Action::ReplicateFailover { .. } => None,
        }
    }

    fn with_inventory(
        fresh: &Fresh,
        check: impl FnOnce(&InventoryData) -> Option<String>,
    ) -> Option<ActionStatus> {
        match fresh.inventory.as_ref()? {
            Err(e) => unverifiable(e),
            Ok(inv) => check(inv).and_then(stale),
        }
    }

    fn with_scopes(
        fresh: &Fresh,
        server: &str,
        check: impl FnOnce(&BTreeMap<Ipv4Addr, ServerScope>) -> Option<String>,
    ) -> Option<ActionStatus> {
        match fresh.servers.get(server)?.scopes.as_ref()? {
            Err(e) => unverifiable(e),
            Ok(scopes) => check(scopes).and_then(stale),
        }
    }

    fn with_reservations(
        fresh: &Fresh,
        server: &str,
        network: Ipv4Network,
        check: impl FnOnce(&[crate::snapshot::ServerReservation]) -> Option<String>,
    ) -> Option<ActionStatus> {
        let state = fresh.servers.get(server)?;
        if let Some(Err(e)) = &state.scopes {
            return unverifiable(e);
        }
        match state.reservations.get(&network.network()) {
            Some(Err(e)) => unverifiable(e),
            Some(Ok(list)) => check(list).and_then(stale),
            // The scope does not exist (yet): nothing in it can conflict.
            None => check(&[]).and_then(stale),
        }
    }

    fn with_exclusions(
        fresh: &Fresh,
        server: &str,
        network: Ipv4Network,
        check: impl FnOnce(&[AddressRange]) -> Option<String>,
    ) -> Option<ActionStatus> {
        let state = fresh.servers.get(server)?;
        if let Some(Err(e)) = &state.scopes {
            return unverifiable(e);
        }
        match state.exclusions.get(&network.network()) {
            Some(Err(e)) => unverifiable(e),
            Some(Ok(list)) => check(list).and_then(stale),
            // The scope does not exist (yet): nothing in it can conflict.
            None => check(&[]).and_then(stale),
        }
    }

    fn same_client_id(a: &str, b: &str) -> bool {
        let norm = |s: &str| -> String {
            s.chars()
                .filter(char::is_ascii_hexdigit)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        norm(a) == norm(b)
    }

    fn describe_ip_diff(before: &IpFields, now: &IpFields) -> String {
        let mut parts = Vec::new();
        if before.status != now.status {
            parts.push(format!("status {:?} -> {:?}", before.status, now.status));
        }
        if before.dns_name != now.dns_name {
            parts.push(format!(
                "dns_name {:?} -> {:?}",
                before.dns_name, now.dns_name
            ));
        }
        if before.dhcp_client_id != now.dhcp_client_id {
            parts.push(format!(
                "dhcp_client_id {:?} -> {:?}",
                before.dhcp_client_id, now.dhcp_client_id
            ));
        }
        parts.join(", ")
    }

    fn inventory_before_holds(scope: &InventoryScope, change: &ScopeChange) -> bool {
        match change {
            ScopeChange::Name { before, .. } => &scope.name == before,
            ScopeChange::Description { before, .. } => &scope.description == before,
            ScopeChange::Start { before, .. } => &scope.start == before,
            ScopeChange::End { before, .. } => &scope.end == before,
            ScopeChange::Router { before, .. } => &scope.router == before,
            ScopeChange::LeaseLifetime { before, .. } => &scope.lease_lifetime_secs == before,
            ScopeChange::Active { before, .. } => &scope.active == before,
            ScopeChange::Source { before, .. } => &scope.source == before,
            ScopeChange::Failover { .. } => true,
        }
    }

    fn server_before_holds(scope: &ServerScope, change: &ScopeChange) -> bool {
        match change {
            ScopeChange::Name { before, .. } => &scope.name == before,
            ScopeChange::Description { before, .. } => &scope.description == before,
            ScopeChange::Start { before, .. } => &scope.start == before,
            ScopeChange::End { before, .. } => &scope.end == before,
            ScopeChange::Router { before, .. } => &scope.router == before,
            ScopeChange::LeaseLifetime { before, .. } => &scope.lease_lifetime_secs == before,
            ScopeChange::Active { before, .. } => &scope.active == before,
            ScopeChange::Failover { before, .. } => &scope.failover == before,
            ScopeChange::Source { .. } => true,
        }
    }
}
