//! One test per row of the seed README's tables (plus our documented improvements).

use windhcp_sync_engine::CompactString;
use windhcp_sync_engine::plan::{Action, IpFields, IpRef, Reason, ScopeChange};
use windhcp_sync_engine::planner::{fallback_servers, plan_sync, servers_to_read};
use windhcp_sync_engine::report::{BudgetLimit, Conflict, IneligibleReason, Skipped};
use windhcp_sync_engine::snapshot::{LeaseState, ScopeSourceRef};

use crate::builder::*;

const MAC: &str = "00-11-22-33-44-55";
const MAC2: &str = "aa-bb-cc-dd-ee-ff";

fn fields(status: &str, dns: &str, client: Option<&str>) -> IpFields {
    IpFields {
        status: status.into(),
        dns_name: dns.into(),
        dhcp_client_id: client.map(Into::into),
    }
}

// ---------------------------------------------------------------------------------------------
// Settings table
// ---------------------------------------------------------------------------------------------

#[test]
fn setting_sync_ip_addresses_off_syncs_scope_config_only() {
    let mut b = B::std().lease(S1, NET, "10.0.1.50", MAC, "PC1");
    b.snap.settings.sync_ip_addresses = false;
    let plan = b.plan();
    assert!(ip_actions(&plan).is_empty());
    assert!(of_kind(&plan, "upsert_lease_info").is_empty());
    // Scope config is still pulled (the server's empty name is ignored, its range is taken).
    b.scope_mut(1).start = ip("10.0.1.20");
    assert_eq!(of_kind(&b.plan(), "update_inventory_scope").len(), 1);
}

#[test]
fn setting_sync_ip_addresses_on_creates_updates_deletes_ips() {
    let plan = B::std()
        .lease(S1, NET, "10.0.1.50", MAC, "pc1")
        .nb_ip(7, "10.0.1.60/24", None, "dhcp", "old", Some(MAC2), &[])
        .nb_ip(8, "10.0.1.70/24", None, "dhcp", "x", Some(MAC2), &[])
        .lease(S1, NET, "10.0.1.70", MAC2, "new")
        .plan();
    let kinds: Vec<_> = ip_actions(&plan).iter().map(|a| a.kind_name()).collect();
    assert_eq!(kinds, ["create_ip", "delete_ip", "update_ip"]);
}

#[test]
fn setting_push_reservations_pushes_reserved_ips() {
    let mut b = B::std().nb_ip(
        5,
        "10.0.1.100/24",
        None,
        "reserved",
        "printer",
        Some("AA:BB:CC:DD:EE:FF"),
        &[],
    );
    b.snap.settings.push_reservations = true;
    let plan = b.plan();
    let pushes = of_kind(&plan, "push_reservation");
    assert_eq!(pushes.len(), 1);
    match &pushes[0].action {
        Action::PushReservation {
            ip: a,
            client_id,
            name,
            ..
        } => {
            assert_eq!(*a, ip("10.0.1.100"));
            assert_eq!(client_id, MAC2);
            assert_eq!(name, "printer");
        }
        other => panic!("{other:?}"),
    }
    b.snap.settings.push_reservations = false;
    assert!(of_kind(&b.plan(), "push_reservation").is_empty());
}

#[test]
fn setting_push_scope_info_pushes_scope_changes() {
    let mut b = B::std().same_names();
    b.scope_mut(1).end = ip("10.0.1.200");
    b.snap.settings.push_scope_info = true;
    let plan = b.plan();
    let up = of_kind(&plan, "update_server_scope");
    assert_eq!(up.len(), 1);
    match &up[0].action {
        Action::UpdateServerScope { changes, .. } => assert_eq!(
            changes,
            &[ScopeChange::End {
                before: ip("10.0.1.254"),
                after: ip("10.0.1.200")
            }]
        ),
        other => panic!("{other:?}"),
    }
    assert!(of_kind(&plan, "update_inventory_scope").is_empty());
}

#[test]
fn setting_protected_tag_shields_ip() {
    let mut b = B::std()
        .nb_ip(
            5,
            "10.0.1.50/24",
            None,
            "dhcp",
            "mine",
            Some(MAC2),
            &["keep"],
        )
        .nb_ip(
            6,
            "10.0.1.51/24",
            None,
            "dhcp",
            "gone",
            Some(MAC2),
            &["keep"],
        )
        .lease(S1, NET, "10.0.1.50", MAC, "other");
    b.snap.settings.protect_tag = Some("keep".into());
    let plan = b.plan();
    assert!(ip_actions(&plan).is_empty(), "{:?}", plan.actions);
    // Without the tag setting, both IPs are synced.
    b.snap.settings.protect_tag = None;
    assert_eq!(ip_actions(&b.plan()).len(), 2);
}

#[test]
fn setting_update_client_id_for_protected_ips() {
    let mut b = B::std()
        .nb_ip(
            5,
            "10.0.1.50/24",
            None,
            "dhcp",
            "mine",
            Some(MAC2),
            &["keep"],
        )
        .lease(S1, NET, "10.0.1.50", MAC, "other");
    b.snap.settings.protect_tag = Some("keep".into());
    b.snap.settings.update_client_id_for_protected = true;
    let plan = b.plan();
    let ups = ip_actions(&plan);
    assert_eq!(ups.len(), 1);
    match ups[0] {
        Action::UpdateIp { before, after, .. } => {
            assert_eq!(**before, fields("dhcp", "mine", Some(MAC2)));
            assert_eq!(**after, fields("dhcp", "mine", Some(MAC)));
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Scope eligibility table + pre-flight + per-failover control
// ---------------------------------------------------------------------------------------------

#[test]
fn eligibility_standalone_synced_when_sync_standalone_on_and_server_matches() {
    let plan = B::std().lease(S1, NET, "10.0.1.50", MAC, "pc1").plan();
    assert_eq!(of_kind(&plan, "create_ip").len(), 1);
    assert_eq!(plan.report.stats.scopes_planned, 1);
}

#[test]
fn eligibility_standalone_not_synced_when_sync_standalone_off() {
    let mut b = B::std().lease(S1, NET, "10.0.1.50", MAC, "pc1");
    b.snap
        .inventory
        .servers
        .get_mut(S1)
        .unwrap()
        .sync_standalone = false;
    let plan = b.plan();
    assert!(plan.is_empty());
    assert!(
        plan.report
            .skipped
            .contains(&Skipped::ServerNotEligible { server: S1.into() })
    );
    assert!(plan.report.skipped.contains(&Skipped::ScopeNotEligible {
        server: S1.into(),
        network: net(NET),
        why: IneligibleReason::StandaloneSyncDisabled
    }));
}

#[test]
fn eligibility_standalone_not_synced_on_other_server() {
    // The scope belongs to S1; S2 reports the same network and leases.
    let b = B::std().server(S2, true).remote_scope(S2, NET, None).lease(
        S2,
        NET,
        "10.0.1.50",
        MAC,
        "pc1",
    );
    let plan = b.plan();
    assert!(ip_actions(&plan).is_empty(), "{:?}", plan.actions);
    // And S2 does not import it again (NetBox already has it under S1).
    assert!(of_kind(&plan, "create_inventory_scope").is_empty());
}

fn failover_fixture(enabled: bool) -> B {
    B::empty()
        .server(S1, false)
        .server(S2, false)
        .failover("fo", S1, S2, enabled)
        .prefix(1, NET, None)
        .scope(1, NET, Some(1), ScopeSourceRef::Failover("fo".into()))
        .remote_scope(S1, NET, Some("fo"))
        .remote_scope(S2, NET, Some("fo"))
        .lease(S1, NET, "10.0.1.50", MAC, "pc1")
        .lease(S2, NET, "10.0.1.50", MAC, "pc1")
}

#[test]
fn eligibility_failover_synced_on_primary_when_sync_enabled() {
    let plan = failover_fixture(true).plan();
    let creates = of_kind(&plan, "create_ip");
    assert_eq!(creates.len(), 1);
    assert_eq!(creates[0].context.server, S1);
}

#[test]
fn eligibility_failover_not_synced_on_secondary() {
    let b = failover_fixture(true);
    assert_eq!(servers_to_read(&b.snap.inventory), vec![S1.to_owned()]);
    let plan = b.plan();
    assert!(plan.actions.iter().all(|a| a.context.server == S1));
    assert!(
        plan.report
            .skipped
            .contains(&Skipped::ServerNotEligible { server: S2.into() })
    );
}

#[test]
fn eligibility_failover_not_synced_when_sync_disabled() {
    let plan = failover_fixture(false).plan();
    assert!(plan.is_empty(), "{:?}", plan.actions);
    assert!(plan.report.skipped.iter().any(|s| matches!(
        s,
        Skipped::ScopeNotEligible {
            why: IneligibleReason::FailoverSyncDisabled,
            ..
        }
    )));
}

#[test]
fn eligibility_neither_assigned_never_synced() {
    let b = B::empty()
        .server(S1, true)
        .prefix(1, NET, None)
        .scope(1, NET, Some(1), ScopeSourceRef::Unassigned)
        .remote_scope(S1, NET, None)
        .lease(S1, NET, "10.0.1.50", MAC, "pc1");
    let plan = b.plan();
    assert!(ip_actions(&plan).is_empty());
    assert!(of_kind(&plan, "create_inventory_scope").is_empty());
    assert!(plan.report.skipped.iter().any(|s| matches!(
        s,
        Skipped::ScopeNotEligible {
            why: IneligibleReason::Unassigned,
            ..
        }
    )));
}

#[test]
fn preflight_server_without_eligible_scopes_is_not_read() {
    let b = B::empty()
        .server(S1, false)
        .server(S2, true)
        .server("dhcp3", false)
        .failover("fo", "dhcp3", S1, true)
        .failover("off", S1, "dhcp3", false);
    assert_eq!(
        servers_to_read(&b.snap.inventory),
        vec![S2.to_owned(), "dhcp3".to_owned()]
    );
}

// ---------------------------------------------------------------------------------------------
// IP address lifecycle (creating and updating)
// ---------------------------------------------------------------------------------------------

#[test]
fn lifecycle_active_lease_creates_dhcp_ip_with_lowercased_hostname_and_mac() {
    let plan = B::std()
        .lease(S1, NET, "10.0.1.50", "00:11:22:33:44:55", "Desktop-ABC")
        .plan();
    match ip_actions(&plan)[..] {
        [
            Action::CreateIp {
                address,
                vrf,
                after,
            },
        ] => {
            assert_eq!(*address, net("10.0.1.50/24"));
            assert_eq!(*vrf, None);
            assert_eq!(after, &fields("dhcp", "desktop-abc", Some(MAC)));
        }
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn lifecycle_reservation_creates_reserved_ip_with_lowercased_name_and_mac() {
    let plan = B::std()
        .reservation(S1, NET, "10.0.1.100", "AA-BB-CC-DD-EE-FF", "Printer-01")
        .plan();
    match ip_actions(&plan)[..] {
        [Action::CreateIp { after, .. }] => {
            assert_eq!(after, &fields("reserved", "printer-01", Some(MAC2)));
        }
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn lifecycle_reservation_takes_precedence_over_lease() {
    let plan = B::std()
        .reservation(S1, NET, "10.0.1.100", MAC2, "printer-01")
        .lease_state(
            S1,
            NET,
            "10.0.1.100",
            MAC2,
            "printer-host",
            LeaseState::ActiveReservation,
        )
        .plan();
    match ip_actions(&plan)[..] {
        [Action::CreateIp { after, .. }] => {
            assert_eq!(after, &fields("reserved", "printer-01", Some(MAC2)));
        }
        ref other => panic!("{other:?}"),
    }
    // Lease info takes the lease's hostname and is active.
    match &of_kind(&plan, "upsert_lease_info")[0].action {
        Action::UpsertLeaseInfo {
            hostname, active, ..
        } => {
            assert_eq!(hostname, "printer-host");
            assert!(*active);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn lifecycle_lease_does_not_overwrite_reserved_ip() {
    let plan = B::std()
        .nb_ip(
            5,
            "10.0.1.100/24",
            None,
            "reserved",
            "printer-01",
            Some(MAC2),
            &[],
        )
        .managed(5)
        .reservation(S1, NET, "10.0.1.100", MAC2, "printer-01")
        .lease(S1, NET, "10.0.1.100", MAC, "someone-else")
        .plan();
    assert!(ip_actions(&plan).is_empty(), "{:?}", plan.actions);
}

#[test]
fn lifecycle_reserved_without_client_id_gets_client_id_from_lease_only() {
    let plan = B::std()
        .nb_ip(
            5,
            "10.0.1.100/24",
            None,
            "reserved",
            "planned-host",
            None,
            &[],
        )
        .lease(S1, NET, "10.0.1.100", "00:11:22:33:44:55", "dhcp-name")
        .plan();
    match ip_actions(&plan)[..] {
        [Action::UpdateIp { before, after, .. }] => {
            assert_eq!(**before, fields("reserved", "planned-host", None));
            assert_eq!(**after, fields("reserved", "planned-host", Some(MAC)));
        }
        ref other => panic!("{other:?}"),
    }
    assert!(
        ip_actions(&plan)
            .iter()
            .all(|a| !matches!(a, Action::DeleteIp { .. }))
    );
}

#[test]
fn lifecycle_new_ip_uses_scope_prefix_length() {
    // The scope is a /24 inside a /16 prefix: new IPs get /16.
    let b = B::empty()
        .server(S1, true)
        .prefix(1, "10.0.0.0/16", None)
        .scope(1, NET, Some(1), ScopeSourceRef::Server(S1.into()))
        .remote_scope(S1, NET, None)
        .lease(S1, NET, "10.0.1.50", MAC, "pc1");
    match ip_actions(&b.plan())[..] {
        [Action::CreateIp { address, .. }] => assert_eq!(*address, net("10.0.1.50/16")),
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn lifecycle_client_id_stored_in_windows_format() {
    let plan = B::std()
        .lease(S1, NET, "10.0.1.50", "0011.2233.4455", "pc1")
        .plan();
    match ip_actions(&plan)[..] {
        [Action::CreateIp { after, .. }] => assert_eq!(after.dhcp_client_id.as_deref(), Some(MAC)),
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn lifecycle_lease_info_recorded_for_synced_ips() {
    let plan = B::std().lease(S1, NET, "10.0.1.50", MAC, "PC1").plan();
    match &of_kind(&plan, "upsert_lease_info")[..] {
        [a] => match &a.action {
            Action::UpsertLeaseInfo {
                ip: IpRef::New { address, .. },
                hostname,
                active,
                expires,
            } => {
                assert_eq!(*address, net("10.0.1.50/24"));
                assert_eq!(hostname, "PC1");
                assert!(*active);
                assert_eq!(expires.as_deref(), Some("2030-01-01T00:00:00Z"));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Cleanup table (one test per row) + the push-reservations note
// ---------------------------------------------------------------------------------------------

#[test]
fn cleanup_dhcp_lease_still_active_no_change() {
    let plan = B::std()
        .nb_ip(5, "10.0.1.50/24", None, "dhcp", "pc1", Some(MAC), &[])
        .lease(S1, NET, "10.0.1.50", MAC, "pc1")
        .plan();
    assert!(ip_actions(&plan).is_empty());
}

#[test]
fn cleanup_dhcp_lease_expired_or_gone_is_deleted() {
    let plan = B::std()
        .nb_ip(5, "10.0.1.50/24", None, "dhcp", "pc1", Some(MAC), &[])
        .nb_ip(6, "10.0.1.51/24", None, "dhcp", "pc2", Some(MAC2), &[])
        .lease_state(S1, NET, "10.0.1.51", MAC2, "pc2", LeaseState::Expired)
        .plan();
    let deleted: Vec<u64> = ip_actions(&plan)
        .iter()
        .filter_map(|a| match a {
            Action::DeleteIp { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(deleted, [5, 6]);
    assert!(
        plan.actions
            .iter()
            .all(|a| a.reason == Reason::LeaseExpiredOrGone)
    );
}

#[test]
fn cleanup_reserved_without_client_id_never_deleted() {
    let plan = B::std()
        .nb_ip(5, "10.0.1.100/24", None, "reserved", "planned", None, &[])
        .managed(5)
        .plan();
    assert!(ip_actions(&plan).is_empty());
}

#[test]
fn cleanup_reserved_with_client_id_not_managed_never_deleted() {
    let plan = B::std()
        .nb_ip(
            5,
            "10.0.1.100/24",
            None,
            "reserved",
            "manual",
            Some(MAC),
            &[],
        )
        .nb_ip(
            6,
            "10.0.1.101/24",
            None,
            "reserved",
            "manual2",
            Some(MAC2),
            &[],
        )
        .lease(S1, NET, "10.0.1.101", MAC2, "x")
        .plan();
    assert!(ip_actions(&plan).is_empty(), "{:?}", plan.actions);
}

#[test]
fn cleanup_reserved_managed_reservation_exists_no_change() {
    let plan = B::std()
        .nb_ip(
            5,
            "10.0.1.100/24",
            None,
            "reserved",
            "printer",
            Some(MAC),
            &[],
        )
        .managed(5)
        .reservation(S1, NET, "10.0.1.100", MAC, "printer")
        .plan();
    assert!(ip_actions(&plan).is_empty());
}

#[test]
fn cleanup_reserved_managed_no_reservation_but_lease_downgraded_to_dhcp() {
    let plan = B::std()
        .nb_ip(
            5,
            "10.0.1.100/24",
            None,
            "reserved",
            "printer",
            Some(MAC),
            &[],
        )
        .managed(5)
        .lease(S1, NET, "10.0.1.100", MAC, "printer")
        .plan();
    match ip_actions(&plan)[..] {
        [
            Action::DowngradeIp {
                id: 5,
                before,
                after,
                ..
            },
        ] => {
            assert_eq!(**before, fields("reserved", "printer", Some(MAC)));
            assert_eq!(**after, fields("dhcp", "printer", Some(MAC)));
        }
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn cleanup_reserved_managed_neither_reservation_nor_lease_deleted() {
    let plan = B::std()
        .nb_ip(
            5,
            "10.0.1.100/24",
            None,
            "reserved",
            "printer",
            Some(MAC),
            &[],
        )
        .managed(5)
        .plan();
    match ip_actions(&plan)[..] {
        [Action::DeleteIp { id: 5, .. }] => {}
        ref other => panic!("{other:?}"),
    }
    assert_eq!(plan.actions[0].reason, Reason::ReservationAndLeaseGone);
}

#[test]
fn cleanup_push_reservations_on_reserved_with_client_id_never_deleted_or_downgraded() {
    let mut b = B::std()
        .nb_ip(
            5,
            "10.0.1.100/24",
            None,
            "reserved",
            "printer",
            Some(MAC),
            &[],
        )
        .managed(5)
        .nb_ip(
            6,
            "10.0.1.101/24",
            None,
            "reserved",
            "scanner",
            Some(MAC2),
            &[],
        )
        .managed(6)
        .lease(S1, NET, "10.0.1.101", MAC2, "scanner");
    b.snap.settings.push_reservations = true;
    let plan = b.plan();
    assert!(ip_actions(&plan).is_empty(), "{:?}", plan.actions);
    assert_eq!(of_kind(&plan, "push_reservation").len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Scope cleanup and safety
// ---------------------------------------------------------------------------------------------

#[test]
fn scope_cleanup_pull_scope_missing_on_server_deleted_from_netbox() {
    let b = B::std().with(|s| {
        s.servers.get_mut(S1).unwrap().scopes =
            windhcp_sync_engine::snapshot::Read::Ok(Default::default());
    });
    let plan = b.plan();
    match &of_kind(&plan, "delete_inventory_scope")[..] {
        [a] => assert_eq!(
            a.action,
            Action::DeleteInventoryScope {
                id: 1,
                network: net(NET)
            }
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn scope_cleanup_push_scope_missing_on_server_created_on_server() {
    let mut b = B::std()
        .inventory_exclusion(1, 1, "10.0.1.20", "10.0.1.29")
        .with(|s| {
            s.servers.get_mut(S1).unwrap().scopes =
                windhcp_sync_engine::snapshot::Read::Ok(Default::default());
        });
    b.snap.settings.push_scope_info = true;
    let plan = b.plan();
    assert_eq!(
        kinds(&plan),
        ["create_server_scope", "create_server_exclusion"]
    );
    assert!(of_kind(&plan, "delete_inventory_scope").is_empty());
}

#[test]
fn scope_cleanup_only_scopes_linked_to_this_server() {
    // Scope 2 belongs to S2, which is not read: S1's empty scope list must not delete it.
    let b = B::std()
        .server(S2, true)
        .prefix(2, "10.0.2.0/24", None)
        .scope(2, "10.0.2.0/24", Some(2), ScopeSourceRef::Server(S2.into()))
        .with(|s| {
            s.servers.get_mut(S1).unwrap().scopes =
                windhcp_sync_engine::snapshot::Read::Ok(Default::default());
        });
    let plan = b.plan();
    let deleted: Vec<_> = of_kind(&plan, "delete_inventory_scope")
        .iter()
        .map(|a| a.action.clone())
        .collect();
    assert_eq!(
        deleted,
        [Action::DeleteInventoryScope {
            id: 1,
            network: net(NET)
        }]
    );
}

#[test]
fn safety_failed_lease_read_skips_cleanup_for_scope() {
    let plan = B::std()
        .nb_ip(5, "10.0.1.50/24", None, "dhcp", "pc1", Some(MAC), &[])
        .fail_leases(S1, NET)
        .plan();
    assert!(ip_actions(&plan).is_empty());
    assert!(plan.report.conflicts.iter().any(|c| matches!(
        c,
        Conflict::ReadFailed {
            network: Some(_),
            ..
        }
    )));
}

#[test]
fn safety_failed_scope_list_no_cleanup_at_all() {
    let plan = B::std()
        .nb_ip(5, "10.0.1.50/24", None, "dhcp", "pc1", Some(MAC), &[])
        .fail_scopes(S1)
        .plan();
    assert!(plan.is_empty());
    assert!(
        plan.report
            .conflicts
            .iter()
            .any(|c| matches!(c, Conflict::ReadFailed { network: None, .. }))
    );
}

// ---------------------------------------------------------------------------------------------
// Pre-staging and protection
// ---------------------------------------------------------------------------------------------

#[test]
fn prestage_lifecycle_fill_then_push_in_one_run() {
    let mut b = B::std()
        .nb_ip(
            5,
            "10.0.1.100/24",
            None,
            "reserved",
            "planned-host",
            None,
            &[],
        )
        .lease(S1, NET, "10.0.1.100", MAC, "whatever");
    b.snap.settings.push_reservations = true;
    let plan = b.plan();
    assert_eq!(kinds(&plan), ["update_ip", "push_reservation"]);
    match &plan.actions[1].action {
        Action::PushReservation {
            client_id, name, ..
        } => {
            assert_eq!(client_id, MAC);
            assert_eq!(name, "planned-host");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn protected_ip_lease_info_still_updated() {
    let mut b = B::std()
        .nb_ip(
            5,
            "10.0.1.50/24",
            None,
            "dhcp",
            "mine",
            Some(MAC2),
            &["keep"],
        )
        .lease(S1, NET, "10.0.1.50", MAC, "other");
    b.snap.settings.protect_tag = Some("keep".into());
    let plan = b.plan();
    assert_eq!(kinds(&plan), ["upsert_lease_info"]);
}

#[test]
fn protected_client_id_not_updated_when_disabled() {
    let mut b = B::std()
        .nb_ip(
            5,
            "10.0.1.50/24",
            None,
            "dhcp",
            "mine",
            Some(MAC2),
            &["keep"],
        )
        .lease(S1, NET, "10.0.1.50", MAC, "other");
    b.snap.settings.protect_tag = Some("keep".into());
    assert!(ip_actions(&b.plan()).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Scope attributes, exclusions and options (pull and push)
// ---------------------------------------------------------------------------------------------

#[test]
fn scope_pull_attributes_field_level_diff() {
    let mut b = B::std().same_names();
    b.scope_mut(1).lease_lifetime_secs = Some(3600);
    b.scope_mut(1).router = Some(ip("10.0.1.1"));
    let plan = b.plan();
    match &of_kind(&plan, "update_inventory_scope")[..] {
        [a] => assert_eq!(
            a.action,
            Action::UpdateInventoryScope {
                id: 1,
                changes: vec![
                    ScopeChange::Router {
                        before: Some(ip("10.0.1.1")),
                        after: None
                    },
                    ScopeChange::LeaseLifetime {
                        before: Some(3600),
                        after: Some(86_400)
                    },
                ]
            }
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn exclusion_pull_creates_and_deletes_in_netbox() {
    let plan = B::std()
        .same_names()
        .inventory_exclusion(1, 9, "10.0.1.200", "10.0.1.210")
        .remote_exclusion(S1, NET, "10.0.1.20", "10.0.1.29")
        .plan();
    assert_eq!(
        kinds(&plan),
        ["create_inventory_exclusion", "delete_inventory_exclusion"]
    );
}

#[test]
fn exclusion_push_deletes_then_creates_on_server() {
    let mut b = B::std()
        .same_names()
        .inventory_exclusion(1, 9, "10.0.1.200", "10.0.1.210")
        .remote_exclusion(S1, NET, "10.0.1.20", "10.0.1.29");
    b.snap.settings.push_scope_info = true;
    assert_eq!(
        kinds(&b.plan()),
        ["delete_server_exclusion", "create_server_exclusion"]
    );
}

// ---------------------------------------------------------------------------------------------
// Improvements over the anchor
// ---------------------------------------------------------------------------------------------

#[test]
fn vrf_same_address_in_other_vrf_untouched() {
    let plan = B::std()
        .nb_ip(
            5,
            "10.0.1.50/24",
            Some(42),
            "dhcp",
            "other-vrf",
            Some(MAC2),
            &[],
        )
        .nb_ip(
            6,
            "10.0.1.60/24",
            Some(42),
            "dhcp",
            "other-vrf2",
            Some(MAC2),
            &[],
        )
        .lease(S1, NET, "10.0.1.50", MAC, "pc1")
        .plan();
    match ip_actions(&plan)[..] {
        [Action::CreateIp { vrf: None, .. }] => {}
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn cleanup_limited_to_range_when_scopes_share_prefix() {
    // Two scopes of one network on two servers (split scope): S1 serves .10–.127.
    let b = B::std()
        .server(S2, true)
        .scope(2, NET, Some(1), ScopeSourceRef::Server(S2.into()))
        .with(|s| {
            s.inventory.scopes.get_mut(&1).unwrap().end = ip("10.0.1.127");
            s.inventory.scopes.get_mut(&2).unwrap().start = ip("10.0.1.128");
        })
        .with(|s| {
            if let windhcp_sync_engine::snapshot::Read::Ok(m) =
                &mut s.servers.get_mut(S1).unwrap().scopes
            {
                m.values_mut().for_each(|r| r.end = ip("10.0.1.127"));
            }
        })
        .nb_ip(5, "10.0.1.50/24", None, "dhcp", "a", Some(MAC), &[])
        .nb_ip(6, "10.0.1.150/24", None, "dhcp", "b", Some(MAC2), &[]);
    // S2 is not read: only S1's range is cleaned.
    let plan = b.plan();
    let deleted: Vec<u64> = ip_actions(&plan)
        .iter()
        .filter_map(|a| match a {
            Action::DeleteIp { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(deleted, [5]);
}

#[test]
fn client_id_compared_canonically() {
    let plan = B::std()
        .nb_ip(
            5,
            "10.0.1.50/24",
            None,
            "dhcp",
            "pc1",
            Some("00:11:22:33:44:55"),
            &[],
        )
        .lease(S1, NET, "10.0.1.50", "001122334455", "pc1")
        .plan();
    assert!(ip_actions(&plan).is_empty());
}

#[test]
fn inactive_lease_states_do_not_count() {
    for state in [
        LeaseState::Offered,
        LeaseState::Declined,
        LeaseState::Expired,
        LeaseState::InactiveReservation,
    ] {
        let plan = B::std()
            .lease_state(S1, NET, "10.0.1.50", MAC, "pc1", state)
            .plan();
        assert!(ip_actions(&plan).is_empty(), "{state:?}");
    }
}

#[test]
fn failover_primary_unreadable_partner_read_for_reads_only() {
    let mut b = failover_fixture(true).fail_scopes(S1).nb_ip(
        5,
        "10.0.1.100/24",
        None,
        "reserved",
        "printer",
        Some(MAC2),
        &[],
    );
    b.snap.settings.push_reservations = true;
    let unreadable = [CompactString::from(S1)].into_iter().collect();
    assert_eq!(
        fallback_servers(&b.snap.inventory, &unreadable),
        vec![S2.to_owned()]
    );
    let plan = b.plan();
    assert!(
        plan.report
            .conflicts
            .contains(&Conflict::FailoverReadFromPartner {
                failover: "fo".into(),
                primary: S1.into(),
                partner: S2.into()
            })
    );
    // NetBox learns from the partner's lease…
    assert_eq!(of_kind(&plan, "create_ip").len(), 1);
    // …but nothing is written to any server.
    assert!(
        plan.actions.iter().all(|a| !a.action.writes_server()),
        "{:?}",
        plan.actions
    );
}

#[test]
fn deletion_budget_withholds_scope_deletions() {
    let mut b = B::std();
    for i in 0..20u64 {
        b = b.nb_ip(
            100 + i,
            &format!("10.0.1.{}/24", 20 + i),
            None,
            "dhcp",
            "x",
            Some(MAC),
            &[],
        );
    }
    b.snap.settings.deletion_budget.per_scope_max = Some(5);
    let plan = b.plan();
    assert!(plan.actions.iter().all(|a| !a.action.is_deletion()));
    assert!(plan.report.conflicts.iter().any(|c| matches!(
        c,
        Conflict::DeletionsWithheld {
            planned: 20,
            limit: BudgetLimit::PerScopeMax(5),
            ..
        }
    )));
    assert_eq!(plan.report.stats.deletions_withheld, 20);
    b.snap.settings.deletion_budget.per_scope_max = Some(20);
    assert_eq!(of_kind(&b.plan(), "delete_ip").len(), 20);
}

#[test]
fn deletion_budget_percentage_per_run() {
    let mut b = B::std();
    for i in 0..20u64 {
        b = b.nb_ip(
            100 + i,
            &format!("10.0.1.{}/24", 20 + i),
            None,
            "dhcp",
            "x",
            Some(MAC),
            &[],
        );
    }
    for i in 0..10u64 {
        b = b.lease(S1, NET, &format!("10.0.1.{}", 20 + i), MAC, "x");
    }
    // 10 of 20 candidates deleted = 50 % > 25 %.
    b.snap.settings.deletion_budget.per_run_percent = Some(25);
    b.snap.settings.deletion_budget.percent_floor = 5;
    let plan = b.plan();
    assert!(of_kind(&plan, "delete_ip").is_empty());
    assert!(plan.report.conflicts.iter().any(|c| matches!(
        c,
        Conflict::DeletionsWithheld {
            server: None,
            planned: 10,
            limit: BudgetLimit::PerRunPercent(25),
            ..
        }
    )));
    b.snap.settings.deletion_budget.per_run_percent = Some(50);
    assert_eq!(of_kind(&b.plan(), "delete_ip").len(), 10);
}

#[test]
fn suspiciously_empty_scope_yields_no_deletions() {
    let mut b = B::std();
    for i in 0..6u64 {
        b = b
            .nb_ip(
                100 + i,
                &format!("10.0.1.{}/24", 20 + i),
                None,
                "dhcp",
                "x",
                Some(MAC),
                &[],
            )
            .managed(100 + i);
    }
    b.snap.settings.empty_guard.min_managed_ips = 5;
    let plan = b.plan();
    assert!(of_kind(&plan, "delete_ip").is_empty());
    assert!(
        plan.report
            .conflicts
            .iter()
            .any(|c| matches!(c, Conflict::SuspiciouslyEmpty { managed: 6, .. }))
    );
    b.snap.settings.empty_guard.min_managed_ips = 7;
    assert_eq!(of_kind(&b.plan(), "delete_ip").len(), 6);
}

#[test]
fn duplicate_ip_objects_reported_untouched() {
    let plan = B::std()
        .nb_ip(5, "10.0.1.50/24", None, "dhcp", "a", Some(MAC2), &[])
        .nb_ip(6, "10.0.1.50/32", None, "dhcp", "b", Some(MAC2), &[])
        .lease(S1, NET, "10.0.1.50", MAC, "pc1")
        .plan();
    assert!(plan.is_empty(), "{:?}", plan.actions);
    assert!(
        plan.report
            .conflicts
            .contains(&Conflict::DuplicateIpObjects {
                vrf: None,
                address: ip("10.0.1.50"),
                ids: vec![5, 6]
            })
    );
}

#[test]
fn duplicate_mac_in_scope_skipped_and_reported() {
    let mut b = B::std()
        .nb_ip(5, "10.0.1.100/24", None, "reserved", "a", Some(MAC), &[])
        .nb_ip(
            6,
            "10.0.1.101/24",
            None,
            "reserved",
            "b",
            Some("00:11:22:33:44:55"),
            &[],
        );
    b.snap.settings.push_reservations = true;
    let plan = b.plan();
    match &of_kind(&plan, "push_reservation")[..] {
        [a] => assert!(
            matches!(a.action, Action::PushReservation { ip: x, .. } if x == ip("10.0.1.100"))
        ),
        other => panic!("{other:?}"),
    }
    assert!(plan.report.conflicts.iter().any(|c| matches!(c, Conflict::DuplicateClientIdInScope { addresses, .. } if addresses.len() == 2)));
}

#[test]
fn invalid_dns_name_reported_not_written() {
    let plan = B::std()
        .lease(S1, NET, "10.0.1.50", MAC, "Test Device With Spaces")
        .plan();
    match ip_actions(&plan)[..] {
        [Action::CreateIp { after, .. }] => assert_eq!(after.dns_name, ""),
        ref other => panic!("{other:?}"),
    }
    assert!(
        plan.report
            .conflicts
            .iter()
            .any(|c| matches!(c, Conflict::InvalidDnsName { .. }))
    );
}

#[test]
fn reservation_outside_scope_reported() {
    let plan = B::std().reservation(S1, NET, "10.0.9.9", MAC, "x").plan();
    assert!(ip_actions(&plan).is_empty());
    assert!(
        plan.report
            .conflicts
            .iter()
            .any(|c| matches!(c, Conflict::ReservationOutsideScope { .. }))
    );
}

#[test]
fn lease_in_exclusion_reported() {
    let plan = B::std()
        .remote_exclusion(S1, NET, "10.0.1.40", "10.0.1.60")
        .lease(S1, NET, "10.0.1.50", MAC, "pc1")
        .plan();
    assert!(
        plan.report
            .conflicts
            .iter()
            .any(|c| matches!(c, Conflict::LeaseInExclusion { .. }))
    );
}

#[test]
fn scope_without_prefix_reported() {
    let plan = B::std()
        .with(|s| s.inventory.scopes.get_mut(&1).unwrap().prefix_id = None)
        .lease(S1, NET, "10.0.1.50", MAC, "pc1")
        .plan();
    assert!(ip_actions(&plan).is_empty());
    assert!(
        plan.report
            .conflicts
            .iter()
            .any(|c| matches!(c, Conflict::ScopeWithoutPrefix { .. }))
    );
}

#[test]
fn foreign_status_ip_left_alone() {
    let plan = B::std()
        .nb_ip(5, "10.0.1.50/24", None, "active", "static-host", None, &[])
        .lease(S1, NET, "10.0.1.50", MAC, "pc1")
        .plan();
    assert!(plan.is_empty(), "{:?}", plan.actions);
    assert!(
        plan.report
            .skipped
            .iter()
            .any(|s| matches!(s, Skipped::ForeignStatus { ip_id: 5, .. }))
    );
}

#[test]
fn pull_mode_server_only_scope_is_imported_with_its_ips() {
    let plan = B::std()
        .remote_scope(S1, "10.0.2.0/24", None)
        .lease(S1, "10.0.2.0/24", "10.0.2.50", MAC, "pc1")
        .plan();
    let k = kinds(&plan);
    assert!(k.contains(&"create_prefix"), "{k:?}");
    assert!(k.contains(&"create_inventory_scope"), "{k:?}");
    assert!(k.contains(&"create_ip"), "{k:?}");
}

#[test]
fn push_mode_server_only_scope_is_kept_and_reported() {
    let mut b = B::std().same_names().remote_scope(S1, "10.0.2.0/24", None);
    b.snap.settings.push_scope_info = true;
    let plan = b.plan();
    assert!(plan.is_empty(), "{:?}", plan.actions);
    assert!(
        plan.report
            .skipped
            .iter()
            .any(|s| matches!(s, Skipped::ServerOnlyScopeKept { .. }))
    );
}

#[test]
fn plan_is_deterministic_and_id_is_content_hash() {
    let b = B::std().lease(S1, NET, "10.0.1.50", MAC, "pc1");
    let p1 = plan_sync(&b.snap);
    let copy = b.snap.clone();
    let p2 = plan_sync(&copy);
    drop(b);
    assert_eq!(
        serde_json::to_string(&p1).unwrap(),
        serde_json::to_string(&p2).unwrap()
    );
    let other = B::std().lease(S1, NET, "10.0.1.51", MAC, "pc1");
    assert_ne!(p1.id, plan_sync(&other.snap).id);
    assert_eq!(p1.id.0.len(), 16);
}

/// The planner reserves room for one IP and one lease-info action per lease; a plan that uses
/// little of it gives the rest back, so a small plan of a large estate holds no large buffer.
#[test]
fn plans_hold_no_reserved_room() {
    let mut b = B::std();
    for h in 10..=209u32 {
        let addr = format!("10.0.1.{h}");
        let mac = format!("00-50-56-00-00-{:02x}", h);
        b = b.lease(S1, NET, &addr, &mac, &format!("pc{h}"));
    }
    let first = b.plan();
    assert_eq!(first.counts().get("create_ip"), Some(&200));
    assert_eq!(first.counts().get("upsert_lease_info"), Some(&200));
    assert!(first.actions.capacity() <= first.actions.len() * 9 / 8);

    let mut steady = windhcp_sync_engine::planner::apply_to_snapshot(&b.snap, &first);
    assert!(plan_sync(&steady).actions.is_empty());
    // One renamed host: one IP update and one lease-info update out of 400 reserved slots.
    if let Some(leases) = steady
        .servers
        .get_mut(S1)
        .and_then(|r| r.leases.get_mut(&ip("10.0.1.0")))
        .and_then(|r| match r {
            windhcp_sync_engine::snapshot::Read::Ok(v) => Some(v),
            windhcp_sync_engine::snapshot::Read::Failed { .. } => None,
        })
    {
        leases[0].hostname = "renamed".into();
    }
    let churn = plan_sync(&steady);
    assert_eq!(kinds(&churn), ["update_ip", "upsert_lease_info"]);
    assert!(
        churn.actions.capacity() <= 4,
        "capacity {} for {} actions",
        churn.actions.capacity(),
        churn.actions.len()
    );
}
