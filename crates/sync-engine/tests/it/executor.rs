//! Executor and gatherer over the in-memory implementations.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use windhcp_sync_engine::executor::{ActionStatus, ExecuteOptions, Executor};
use windhcp_sync_engine::gather::{GatherOptions, gather};
use windhcp_sync_engine::memory::{DhcpOp, Fault, InventoryOp, IpamOp};
use windhcp_sync_engine::plan::{
    Action, ActionContext, IpRef, Plan, PlanId, PlanKind, PlannedAction, PrefixRef, Reason,
    ScopeRef, ScopeSpec,
};
use windhcp_sync_engine::planner::plan_sync;
use windhcp_sync_engine::report::{Conflict, Report};
use windhcp_sync_engine::snapshot::{Read, ScopeSourceRef, Snapshot};
use windhcp_sync_engine::source::{
    DhcpError, InventoryError, IpamError, NoProgress, ProgressEvent,
};

use crate::exec_estate::{D1, D2, D3, Estate, FO, fields, ip, net};

async fn snapshot(estate: &Estate) -> Snapshot {
    gather(&estate.sources(), &GatherOptions::default(), &NoProgress)
        .await
        .unwrap()
}

fn kinds(plan: &Plan) -> BTreeSet<&'static str> {
    plan.actions.iter().map(|p| p.action.kind_name()).collect()
}

fn describe(plan: &Plan) -> String {
    plan.actions
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{i}: {:?}", p.action))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn gather_plan_apply_then_plan_is_empty() {
    let estate = Estate::new();
    let first = plan_sync(&snapshot(&estate).await);
    let k = kinds(&first);
    for expected in [
        "create_ip",
        "delete_ip",
        "update_ip",
        "upsert_lease_info",
        "update_inventory_scope",
        "create_inventory_exclusion",
        "create_option_value",
        "link_option_value",
    ] {
        assert!(
            k.contains(expected),
            "no {expected} in\n{}",
            describe(&first)
        );
    }

    let report = Executor::new(estate.sources())
        .apply(&first, &NoProgress)
        .await;
    assert_eq!(report.outcomes.len(), first.actions.len());
    assert!(
        report.is_complete(),
        "not all applied: {:#?}",
        report
            .outcomes
            .iter()
            .filter(|o| o.status != ActionStatus::Applied)
            .collect::<Vec<_>>()
    );

    let second = plan_sync(&snapshot(&estate).await);
    assert!(second.is_empty(), "second plan:\n{}", describe(&second));

    // The effects, checked on the stores themselves.
    let lease_ip = estate.ipam.ip_at(ip("10.0.1.20"), None).unwrap();
    assert_eq!(lease_ip.status, "dhcp");
    assert_eq!(lease_ip.dns_name, "pc20");
    assert_eq!(lease_ip.address, net("10.0.1.20/24"));
    let reserved = estate.ipam.ip_at(ip("10.0.1.50"), None).unwrap();
    assert_eq!(reserved.status, "reserved");
    assert!(
        estate.ipam.ip(estate.managed_gone).is_none(),
        "stale lease IP kept"
    );
    let protected = estate.ipam.ip(estate.protected).unwrap();
    assert_eq!(protected.status, "active");
    assert_eq!(protected.dns_name, "server21");
    let prestaged = estate.ipam.ip(estate.prestaged).unwrap();
    assert_eq!(prestaged.status, "reserved");
    assert_eq!(prestaged.dns_name, "planned-host");
    assert!(prestaged.dhcp_client_id.is_some(), "client id not filled");
    assert!(estate.ipam.ip(estate.manual_reserved).is_some());
    // Failover scope B was synced through the primary.
    assert_eq!(
        estate.ipam.ip_at(ip("10.0.2.30"), None).unwrap().status,
        "dhcp"
    );
    let doc = estate.inventory.document();
    assert_eq!(doc.inventory.scopes[&estate.scope_a].name, "Office");
    assert_eq!(doc.inventory.scopes[&estate.scope_a].exclusions.len(), 1);
    // Lease info follows the IPs: the deleted IP's row is gone, the new IPs have rows.
    assert!(!doc.inventory.lease_info.contains_key(&estate.managed_gone));
    assert!(doc.inventory.lease_info.contains_key(&lease_ip.id));
    // The server with nothing eligible was never contacted.
    assert!(!estate.fleet.connections().iter().any(|c| c == D3));
}

#[tokio::test]
async fn every_changelog_message_carries_the_plan_id() {
    let estate = Estate::new();
    let plan = plan_sync(&snapshot(&estate).await);
    assert!(!plan.id.0.is_empty());
    let report = Executor::new(estate.sources())
        .apply(&plan, &NoProgress)
        .await;
    assert!(report.counts.applied > 0);
    let ipam_log = estate.ipam.changelog();
    let inventory_log = estate.inventory.changelog();
    assert!(!ipam_log.is_empty() && !inventory_log.is_empty());
    for record in ipam_log.iter().chain(&inventory_log) {
        assert!(
            record.message.contains(&plan.id.0),
            "{record:?} lacks plan id {}",
            plan.id
        );
    }
    // IPAM messages also say why.
    assert!(ipam_log.iter().any(|r| r.message.ends_with("active_lease")));
}

fn ctx(server: &str, scope: Option<&str>) -> ActionContext {
    ActionContext {
        server: server.into(),
        scope: scope.map(net),
        vrf: None,
    }
}

fn planned(server: &str, scope: Option<&str>, reason: Reason, action: Action) -> PlannedAction {
    PlannedAction {
        context: ctx(server, scope),
        reason,
        action,
    }
}

fn hand_plan(actions: Vec<PlannedAction>) -> Plan {
    Plan {
        id: PlanId("feedfacecafebeef".to_owned()),
        kind: PlanKind::Sync,
        actions,
        report: Report::default(),
    }
}

fn spec(network: &str, name: &str) -> ScopeSpec {
    let s = crate::exec_estate::server_scope(network, name, None);
    ScopeSpec {
        network: s.network,
        name: s.name,
        description: s.description,
        start: s.start,
        end: s.end,
        router: s.router,
        lease_lifetime_secs: s.lease_lifetime_secs,
        active: s.active,
    }
}

/// A plan listing children before parents and creates before deletes: the executor must
/// still create parents first and delete children before their parents.
fn misordered_plan(estate: &Estate) -> Plan {
    let n9 = "10.0.9.0/24";
    let excl = estate.inventory.edit(|doc| {
        doc.apply(
            &windhcp_sync_engine::source::InventoryWrite::CreateExclusion {
                scope_id: estate.scope_b,
                range: windhcp_sync_engine::snapshot::AddressRange {
                    start: ip("10.0.2.150"),
                    end: ip("10.0.2.160"),
                },
            },
        )
        .unwrap()
        .unwrap()
    });
    hand_plan(vec![
        // 0: the IP's lease info, before the IP exists.
        planned(
            D1,
            Some(n9),
            Reason::LeaseMetadata,
            Action::UpsertLeaseInfo {
                ip: IpRef::New {
                    address: net("10.0.9.20/24"),
                    vrf: None,
                },
                hostname: "h20".into(),
                active: true,
                expires: None,
            },
        ),
        // 1: the IP, before its prefix.
        planned(
            D1,
            Some(n9),
            Reason::ActiveLease,
            Action::CreateIp {
                address: net("10.0.9.20/24"),
                vrf: None,
                after: fields("dhcp", "h20", Some("aa-00-00-00-09-20")),
            },
        ),
        // 2: an exclusion of a scope created later in the list.
        planned(
            D1,
            Some(n9),
            Reason::ImportExclusion,
            Action::CreateInventoryExclusion {
                scope: ScopeRef::New(net(n9)),
                start: ip("10.0.9.100"),
                end: ip("10.0.9.110"),
            },
        ),
        // 3: the inventory scope, before its prefix.
        planned(
            D1,
            Some(n9),
            Reason::ImportScope,
            Action::CreateInventoryScope {
                scope: Box::new(spec(n9, "Nine")),
                prefix: PrefixRef::New {
                    prefix: net(n9),
                    vrf: None,
                },
                source: ScopeSourceRef::Server(D1.into()),
            },
        ),
        // 4: the prefix.
        planned(
            D1,
            Some(n9),
            Reason::ImportPrefix,
            Action::CreatePrefix {
                prefix: net(n9),
                vrf: None,
                status: "active".to_owned(),
            },
        ),
        // 5: a reservation in a server scope created later in the list.
        planned(
            D1,
            Some("10.0.8.0/24"),
            Reason::ReservationMissingOnServer,
            Action::PushReservation {
                network: net("10.0.8.0/24"),
                ip: ip("10.0.8.50"),
                client_id: "aa-00-00-00-08-50".into(),
                name: "eight".into(),
            },
        ),
        // 6: the server scope.
        planned(
            D1,
            Some("10.0.8.0/24"),
            Reason::ScopeMissingOnServer,
            Action::CreateServerScope {
                scope: Box::new(spec("10.0.8.0/24", "Eight")),
                options: Vec::new(),
                failover: None,
            },
        ),
        // 7: a client id moves from .40 to .41: the create is listed before the delete.
        planned(
            D1,
            Some("10.0.2.0/24"),
            Reason::ReservationMissingOnServer,
            Action::PushReservation {
                network: net("10.0.2.0/24"),
                ip: ip("10.0.2.41"),
                client_id: "bb-00-00-00-00-40".into(),
                name: "moved".into(),
            },
        ),
        // 8
        planned(
            D1,
            Some("10.0.2.0/24"),
            Reason::ReservationNotInNetBox,
            Action::DeleteReservation {
                network: net("10.0.2.0/24"),
                ip: ip("10.0.2.40"),
                client_id: "bb-00-00-00-00-40".into(),
            },
        ),
        // 9: the inventory scope before its exclusion.
        planned(
            D1,
            Some("10.0.2.0/24"),
            Reason::ScopeGoneFromServer,
            Action::DeleteInventoryScope {
                id: estate.scope_b,
                network: net("10.0.2.0/24"),
            },
        ),
        // 10
        planned(
            D1,
            Some("10.0.2.0/24"),
            Reason::ExclusionOnlyInNetBox,
            Action::DeleteInventoryExclusion {
                id: excl,
                start: ip("10.0.2.150"),
                end: ip("10.0.2.160"),
            },
        ),
    ])
}

fn position(log: &[String], needle: &str) -> usize {
    log.iter()
        .position(|e| e.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in log:\n{}", log.join("\n")))
}

#[tokio::test]
async fn parents_are_created_first_and_deleted_last() {
    let estate = Estate::new();
    let plan = misordered_plan(&estate);
    estate.log.clear();
    let report = Executor::new(estate.sources())
        .apply(&plan, &NoProgress)
        .await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);

    let log = estate.log.entries();
    let prefix = position(&log, "ipam:create_prefix 10.0.9.0/24");
    let scope = position(&log, "inventory:create_scope");
    let exclusion = position(&log, "inventory:create_exclusion");
    let create_ip = position(&log, "ipam:create_ips");
    let lease_info = position(&log, "inventory:update_lease_info");
    assert!(prefix < scope && scope < exclusion, "{log:#?}");
    assert!(prefix < create_ip && create_ip < lease_info, "{log:#?}");
    let server_scope = position(&log, "dhcp:dhcp1:create_scope 10.0.8.0");
    let reservation = position(&log, "dhcp:dhcp1:create_reservation 10.0.8.0");
    assert!(server_scope < reservation, "{log:#?}");
    let freed = position(&log, "dhcp:dhcp1:delete_reservation 10.0.2.0 10.0.2.40");
    let taken = position(&log, "dhcp:dhcp1:create_reservation 10.0.2.0 10.0.2.41");
    assert!(freed < taken, "{log:#?}");
    let child = position(&log, "inventory:delete_exclusion");
    let parent = position(&log, "inventory:delete_scope");
    assert!(child < parent, "{log:#?}");

    // The references were resolved to the new objects.
    let doc = estate.inventory.document();
    let nine = doc
        .inventory
        .scopes
        .values()
        .find(|s| s.network == net("10.0.9.0/24"))
        .unwrap();
    let new_prefix = estate
        .ipam
        .prefixes()
        .into_values()
        .find(|p| p.prefix == net("10.0.9.0/24"))
        .unwrap();
    assert_eq!(nine.prefix_id, Some(new_prefix.id));
    assert_eq!(nine.exclusions.len(), 1);
    let new_ip = estate.ipam.ip_at(ip("10.0.9.20"), None).unwrap();
    assert_eq!(doc.inventory.lease_info[&new_ip.id].hostname, "h20");
    assert!(!doc.inventory.scopes.contains_key(&estate.scope_b));
    let moved = estate.d1.scope(ip("10.0.2.0")).unwrap();
    assert_eq!(
        moved.reservations[&ip("10.0.2.41")].client_id,
        "bb-00-00-00-00-40"
    );
    assert!(!moved.reservations.contains_key(&ip("10.0.2.40")));
}

#[tokio::test]
async fn failures_do_not_stop_the_run_and_every_outcome_is_reported() {
    let estate = Estate::new();
    let plan = plan_sync(&snapshot(&estate).await);
    let create_20 = plan
        .actions
        .iter()
        .position(|p| matches!(&p.action, Action::CreateIp { address, .. } if address.ip() == ip("10.0.1.20")))
        .expect("plan creates 10.0.1.20");
    let lease_info_20 = plan
        .actions
        .iter()
        .position(|p| matches!(&p.action, Action::UpsertLeaseInfo { ip: IpRef::New { address, .. }, .. } if address.ip() == ip("10.0.1.20")))
        .expect("plan records lease info of 10.0.1.20");
    let rename = plan
        .actions
        .iter()
        .position(|p| matches!(p.action, Action::UpdateInventoryScope { .. }))
        .expect("plan renames scope A");

    // NetBox refuses one IP (its bulk call is atomic: the others must still be created), and
    // the inventory refuses every write to scope A.
    estate.ipam.fail(
        Fault::new(
            IpamOp::CreateIp,
            IpamError::Rejected {
                message: "custom validation says no".to_owned(),
            },
        )
        .at(ip("10.0.1.20")),
    );
    estate.inventory.fail(
        Fault::new(
            InventoryOp::Write,
            InventoryError::Unavailable {
                message: "database is locked".to_owned(),
            },
        )
        .for_id(estate.scope_a),
    );

    let report = Executor::new(estate.sources())
        .apply(&plan, &NoProgress)
        .await;
    assert_eq!(report.outcomes.len(), plan.actions.len());
    for (i, outcome) in report.outcomes.iter().enumerate() {
        assert_eq!(outcome.action_index, i);
        assert_eq!(outcome.kind, plan.actions[i].action.kind_name());
    }
    let c = report.counts;
    assert_eq!(
        c.applied + c.failed + c.stale + c.skipped,
        plan.actions.len()
    );
    assert!(matches!(
        &report.outcomes[create_20].status,
        ActionStatus::Failed { error, may_have_applied: false } if error.contains("custom validation")
    ));
    assert!(matches!(
        report.outcomes[lease_info_20].status,
        ActionStatus::Skipped { .. }
    ));
    assert!(matches!(
        &report.outcomes[rename].status,
        ActionStatus::Failed { error, .. } if error.contains("database is locked")
    ));
    // Every inventory write to scope A failed (rename, its exclusion, its option link), and
    // only those, the refused IP and the lease info that depended on it.
    let scope_a_writes: Vec<usize> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(_, p)| match &p.action {
            Action::UpdateInventoryScope { id, .. } => *id == estate.scope_a,
            Action::CreateInventoryExclusion { scope, .. }
            | Action::LinkOptionValue { scope, .. } => *scope == ScopeRef::Existing(estate.scope_a),
            _ => false,
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(scope_a_writes.len(), 3, "{}", describe(&plan));
    for i in &scope_a_writes {
        assert!(matches!(
            &report.outcomes[*i].status,
            ActionStatus::Failed { error, may_have_applied: false } if error.contains("database is locked")
        ));
    }
    assert_eq!(c.failed, 4, "{:#?}", report.outcomes);
    assert_eq!(c.skipped, 1, "{:#?}", report.outcomes);
    assert_eq!(c.applied, plan.actions.len() - 5);
    // The other IPs of the refused bulk call were created.
    assert!(estate.ipam.ip_at(ip("10.0.1.20"), None).is_none());
    assert!(estate.ipam.ip_at(ip("10.0.1.50"), None).is_some());
    assert!(estate.ipam.ip_at(ip("10.0.2.30"), None).is_some());

    // Once the faults are gone, the next run finishes the job.
    estate.ipam.clear_faults();
    estate.inventory.clear_faults();
    let retry = plan_sync(&snapshot(&estate).await);
    let report = Executor::new(estate.sources())
        .apply(&retry, &NoProgress)
        .await;
    assert!(report.is_complete());
    assert!(plan_sync(&snapshot(&estate).await).is_empty());
}

#[tokio::test]
async fn a_server_write_failure_is_isolated_to_its_action() {
    let estate = Estate::new();
    let plan = misordered_plan(&estate);
    estate.d1.fail(
        Fault::new(
            DhcpOp::CreateScope,
            DhcpError::Indeterminate {
                message: "timed out".to_owned(),
            },
        )
        .in_scope(ip("10.0.8.0")),
    );
    let report = Executor::new(estate.sources())
        .apply(&plan, &NoProgress)
        .await;
    // 6 = the server scope, 5 = its reservation (skipped: parent failed).
    assert!(matches!(
        report.outcomes[6].status,
        ActionStatus::Failed {
            may_have_applied: true,
            ..
        }
    ));
    assert!(matches!(
        report.outcomes[5].status,
        ActionStatus::Skipped { .. }
    ));
    assert_eq!(report.counts.applied, plan.actions.len() - 2);
}

#[tokio::test]
async fn a_failed_read_on_one_scope_deletes_nothing_there() {
    let estate = Estate::new();
    // The bulk lease read fails, then scope A's own lease read fails too; scope B reads fine.
    estate.d1.fail(Fault::new(
        DhcpOp::LeasesByScope,
        DhcpError::Indeterminate {
            message: "bulk timed out".to_owned(),
        },
    ));
    estate.d1.fail(
        Fault::new(
            DhcpOp::ListLeases,
            DhcpError::Indeterminate {
                message: "scope timed out".to_owned(),
            },
        )
        .in_scope(ip("10.0.1.0")),
    );
    let snap = snapshot(&estate).await;
    let read = &snap.servers[D1];
    assert!(read.leases[&ip("10.0.1.0")].error().is_some());
    assert!(read.leases[&ip("10.0.2.0")].is_ok());

    let plan = plan_sync(&snap);
    let in_a = |p: &PlannedAction| p.context.scope == Some(net("10.0.1.0/24"));
    assert!(
        !plan
            .actions
            .iter()
            .any(|p| in_a(p) && p.action.is_deletion()),
        "{}",
        describe(&plan)
    );
    assert!(plan.report.conflicts.iter().any(|c| matches!(
        c,
        Conflict::ReadFailed { network: Some(n), .. } if *n == net("10.0.1.0/24")
    )));
    let report = Executor::new(estate.sources())
        .apply(&plan, &NoProgress)
        .await;
    assert!(report.is_complete());
    assert!(
        estate.ipam.ip(estate.managed_gone).is_some(),
        "deleted an IP of an unread scope"
    );
    // Scope B was still synced.
    assert!(estate.ipam.ip_at(ip("10.0.2.30"), None).is_some());
}

#[tokio::test]
async fn an_unreadable_failover_primary_is_replaced_by_its_partner_for_reads() {
    let estate = Estate::new();
    estate.d1.fail(Fault::new(
        DhcpOp::ListScopes,
        DhcpError::Unreachable {
            server: D1.into(),
            message: "connection refused".to_owned(),
        },
    ));
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let progress = move |e: ProgressEvent| sink.lock().unwrap().push(e);
    let snap = gather(&estate.sources(), &GatherOptions::default(), &progress)
        .await
        .unwrap();

    assert!(snap.servers[D1].scopes.error().is_some());
    let partner = snap.servers.get(D2).expect("partner read");
    let scopes = partner.scopes.ok().unwrap();
    assert!(scopes.contains_key(&ip("10.0.2.0")));
    assert!(partner.leases[&ip("10.0.2.0")].is_ok());
    assert!(
        events
            .lock()
            .unwrap()
            .contains(&ProgressEvent::ReadingPartner {
                failover: FO.to_owned(),
                primary: D1.into(),
                partner: D2.into(),
            })
    );
    let connections = estate.fleet.connections();
    assert!(connections.iter().any(|c| c == D2));
    assert!(!connections.iter().any(|c| c == D3));

    let plan = plan_sync(&snap);
    assert!(plan.report.conflicts.iter().any(|c| matches!(
        c,
        Conflict::FailoverReadFromPartner { failover, .. } if failover == FO
    )));
    assert!(!plan.actions.iter().any(|p| p.action.writes_server()));
    let report = Executor::new(estate.sources())
        .apply(&plan, &NoProgress)
        .await;
    assert!(report.is_complete());
    // Scope B's lease reached NetBox through the partner; scope A (standalone on the dead
    // primary) was left alone.
    assert!(estate.ipam.ip_at(ip("10.0.2.30"), None).is_some());
    assert!(estate.ipam.ip(estate.managed_gone).is_some());
    assert!(estate.ipam.ip_at(ip("10.0.1.20"), None).is_none());
    assert!(estate.d2.log().matching("dhcp:dhcp2:create").is_empty());
}

#[tokio::test]
async fn a_saved_plan_refuses_stale_actions_and_applies_the_rest() {
    let estate = Estate::new();
    let plan = plan_sync(&snapshot(&estate).await);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    windhcp_sync_engine::saved::save_plan(&path, &plan).unwrap();

    // Meanwhile a user edits the IP the plan deletes, and creates one the plan would create.
    let delete_gone = plan
        .actions
        .iter()
        .position(|p| matches!(p.action, Action::DeleteIp { id, .. } if id == estate.managed_gone))
        .expect("plan deletes the stale lease IP");
    let create_50 = plan
        .actions
        .iter()
        .position(|p| matches!(&p.action, Action::CreateIp { address, .. } if address.ip() == ip("10.0.1.50")))
        .expect("plan creates the reservation IP");
    estate
        .ipam
        .edit_ip(
            estate.managed_gone,
            fields("dhcp", "now-in-use-by-alice", Some("aa-00-00-00-00-22")),
        )
        .unwrap();
    estate
        .ipam
        .insert_ip(
            net("10.0.1.50/24"),
            None,
            fields("active", "alice-printer", None),
            &[],
        )
        .unwrap();

    let loaded = windhcp_sync_engine::saved::load_plan(&path).unwrap();
    assert_eq!(loaded, plan);
    let report = windhcp_sync_engine::saved::apply_saved(
        &Executor::new(estate.sources()),
        &loaded,
        &NoProgress,
    )
    .await;
    assert!(
        matches!(&report.outcomes[delete_gone].status, ActionStatus::Stale { reason } if reason.contains("dns_name")),
        "{:?}",
        report.outcomes[delete_gone]
    );
    assert!(matches!(
        report.outcomes[create_50].status,
        ActionStatus::Stale { .. }
    ));
    assert_eq!(report.counts.stale, 2, "{:#?}", report.outcomes);
    assert_eq!(report.counts.failed, 0, "{:#?}", report.outcomes);
    // The user's objects are untouched; everything else was applied.
    assert_eq!(
        estate.ipam.ip(estate.managed_gone).unwrap().dns_name,
        "now-in-use-by-alice"
    );
    assert_eq!(
        estate.ipam.ip_at(ip("10.0.1.50"), None).unwrap().dns_name,
        "alice-printer"
    );
    assert!(estate.ipam.ip_at(ip("10.0.1.20"), None).is_some());
}

#[tokio::test]
async fn a_stale_etag_is_refused_by_the_ipam() {
    let estate = Estate::new();
    let current = estate.ipam.ip(estate.managed_gone).unwrap();
    let before = fields("dhcp", "old-host", Some("aa-00-00-00-00-22"));
    let plan = hand_plan(vec![planned(
        D1,
        Some("10.0.1.0/24"),
        Reason::ActiveLease,
        Action::UpdateIp {
            id: estate.managed_gone,
            address: current.address,
            etag: Some("W/\"999999\"".into()),
            before: Box::new(before.clone()),
            after: Box::new(fields("dhcp", "new-host", Some("aa-00-00-00-00-22"))),
        },
    )]);
    // Without verification the write itself carries If-Match and fails.
    let report = Executor::new(estate.sources())
        .apply(&plan, &NoProgress)
        .await;
    assert!(matches!(
        report.outcomes[0].status,
        ActionStatus::Stale { .. }
    ));
    assert_eq!(
        estate.ipam.ip(estate.managed_gone).unwrap().dns_name,
        "old-host"
    );

    // With the current ETag it applies.
    let mut fresh = plan.clone();
    if let Action::UpdateIp { etag, .. } = &mut fresh.actions[0].action {
        *etag = current.etag.clone();
    }
    let report = Executor::new(estate.sources())
        .with_options(ExecuteOptions {
            verify: true,
            ..ExecuteOptions::default()
        })
        .apply(&fresh, &NoProgress)
        .await;
    assert!(report.is_complete(), "{:?}", report.outcomes);
    assert_eq!(
        estate.ipam.ip(estate.managed_gone).unwrap().dns_name,
        "new-host"
    );
}

#[tokio::test]
async fn ipam_writes_are_chunked_into_bulk_calls() {
    let estate = Estate::new();
    let plan = plan_sync(&snapshot(&estate).await);
    let creates = plan
        .actions
        .iter()
        .filter(|p| matches!(p.action, Action::CreateIp { .. }))
        .count();
    assert!(creates >= 3, "{}", describe(&plan));
    estate.log.clear();
    let report = Executor::new(estate.sources())
        .with_options(ExecuteOptions {
            ipam_chunk_size: 2,
            ..ExecuteOptions::default()
        })
        .apply(&plan, &NoProgress)
        .await;
    assert!(report.is_complete());
    let calls = estate.log.matching("ipam:create_ips");
    assert_eq!(calls.len(), creates.div_ceil(2), "{calls:?}");
    assert!(
        calls
            .iter()
            .all(|c| c == "ipam:create_ips 2" || c == "ipam:create_ips 1")
    );
}

#[tokio::test]
async fn gather_records_a_dead_server_without_failing() {
    let estate = Estate::new();
    // Standalone-only server that cannot be reached: recorded, the rest still read.
    estate.inventory.edit(|doc| {
        doc.upsert_server("ghost", true);
    });
    let snap = snapshot(&estate).await;
    assert!(matches!(snap.servers["ghost"].scopes, Read::Failed { .. }));
    assert!(snap.servers[D1].scopes.is_ok());
    assert_eq!(snap.ipam.ip_addresses.len(), 4);
}

#[tokio::test]
async fn gather_fails_only_when_netbox_cannot_be_read() {
    let estate = Estate::new();
    estate.ipam.fail(Fault::new(
        IpamOp::ListIps,
        IpamError::Unreachable {
            message: "netbox down".to_owned(),
        },
    ));
    let err = gather(&estate.sources(), &GatherOptions::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("netbox down"), "{err}");
}
