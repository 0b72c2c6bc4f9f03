//! The scenarios, each written once and run against every IPAM side (see `main.rs`).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use netbox_windhcp::sync::executor::{ActionStatus, Executor};
use netbox_windhcp::sync::inventory_file::InventoryDocument;
use netbox_windhcp::sync::plan::{Action, IpFields};
use netbox_windhcp::sync::report::{Conflict, ReadKind, Skipped};
use netbox_windhcp::sync::saved::{apply_saved, load_plan, save_plan};
use netbox_windhcp::sync::snapshot::AddressRange;
use netbox_windhcp::sync::source::{InventoryWrite, NoProgress};
use windhcp_psu_simulator::{AddressState, FaultKind, FaultRule, Reservation, ReservationType};

use crate::common::side::IpamSide;
use crate::harness::{
    Env, PROTECT_TAG, SideKind, deleted_ips, deletes_anything, kinds_in, netbox_side,
};

/// The side for `kind`, or `None` when the NetBox scenario is skipped.
async fn side(kind: SideKind, test: &str) -> Option<IpamSide> {
    match kind {
        // A made-up VRF id, so that the VRF handling is exercised in memory too.
        SideKind::Memory => Some(IpamSide::memory(Some(4242))),
        SideKind::NetBox => netbox_side(test).await,
    }
}

fn fields(status: &str, dns: &str, client: Option<&str>) -> IpFields {
    IpFields {
        status: status.into(),
        dns_name: dns.into(),
        dhcp_client_id: client.map(Into::into),
    }
}

/// The first sync creates one IP per reservation and per active lease, with the right
/// status, DNS name, client id, VRF and prefix length, and nothing else; the second sync plans
/// nothing.
pub(crate) async fn first_sync_creates_expected_ips(kind: SideKind) {
    let Some(side) = side(kind, "first-sync").await else {
        return;
    };
    let env = Env::start(side, 11).await;
    let plan = env.sync().await;
    assert!(
        plan.actions
            .iter()
            .any(|a| matches!(a.action, Action::CreateIp { .. })),
        "the first sync creates IPs"
    );

    let vrf = env.side.vrf();
    let mut expected = 0usize;
    let mut seen_scopes = BTreeSet::new();
    let servers = env.server_names();
    for server in &servers {
        for id in env.scope_ids(server) {
            if !seen_scopes.insert(id) {
                continue; // a failover scope, already checked on the other member
            }
            let scope = env.scope(server, id);
            let prefix = env.network(server, id).prefix();
            for r in scope.reservations.values() {
                expected += 1;
                let ip = env
                    .side
                    .ip_at(r.ip_address)
                    .await
                    .expect("read back")
                    .unwrap_or_else(|| panic!("reservation {} has an IP", r.ip_address));
                assert_eq!(ip.status, "reserved", "{}", r.ip_address);
                assert_eq!(ip.dns_name, r.name.to_lowercase(), "{}", r.ip_address);
                assert_eq!(ip.dhcp_client_id.as_deref(), Some(r.client_id.as_str()));
                assert_eq!(ip.vrf, vrf, "{} is in the scope prefix's VRF", r.ip_address);
                assert_eq!(
                    ip.address.prefix(),
                    prefix,
                    "{} has the scope's prefix length",
                    r.ip_address
                );
            }
            for lease in scope.leases.values() {
                if scope.reservations.contains_key(&lease.ip_address) {
                    continue;
                }
                let found = env.side.ip_at(lease.ip_address).await.expect("read back");
                if lease.address_state == AddressState::Active {
                    expected += 1;
                    let ip =
                        found.unwrap_or_else(|| panic!("lease {} has an IP", lease.ip_address));
                    assert_eq!(ip.status, "dhcp", "{}", lease.ip_address);
                    assert_eq!(
                        ip.dns_name,
                        lease.hostname.to_lowercase(),
                        "{}",
                        lease.ip_address
                    );
                    assert_eq!(ip.dhcp_client_id.as_deref(), Some(lease.client_id.as_str()));
                    assert_eq!(ip.vrf, vrf);
                    assert_eq!(ip.address.prefix(), prefix);
                } else {
                    assert!(
                        found.is_none(),
                        "a {:?} lease ({}) creates no IP",
                        lease.address_state,
                        lease.ip_address
                    );
                }
            }
        }
    }
    let all = env.side.all_ips().await.expect("list");
    assert_eq!(all.len(), expected, "exactly the expected IPs exist");
    assert!(
        expected >= 20,
        "the estate is not trivially small ({expected})"
    );

    let again = env.plan().await;
    assert!(
        again.is_empty(),
        "second sync plans nothing: {:?}",
        again.counts()
    );
    env.cleanup().await;
}

/// After changes on the server: an expired lease's IP is deleted, a removed reservation whose
/// client keeps a lease is downgraded, one with neither is deleted, a pre-staged IP gets its
/// client id but keeps status and name, and a protected IP is left alone.
pub(crate) async fn resync_follows_server_changes(kind: SideKind) {
    let Some(side) = side(kind, "resync").await else {
        return;
    };
    let env = Env::start(side, 12).await;
    let server = env.standalone();
    let ids = env.scope_ids(&server);
    let (a, b) = (ids[0], ids[1]);
    let free = env.free(&server, a, 2);
    let (prestaged, protected) = (free[0], free[1]);
    let prestaged_fields = fields("reserved", "planned-host", None);
    let protected_fields = fields("active", "keep-me", Some("02-00-00-00-00-09"));
    env.side
        .insert_ip(prestaged, &prestaged_fields, &[])
        .await
        .expect("seed");
    env.side
        .insert_ip(protected, &protected_fields, &[PROTECT_TAG])
        .await
        .expect("seed");
    env.sync().await;

    // --- the world moves on -------------------------------------------------------------
    let state = env.sim.state();
    let expired = env.leases_in_state(&server, a, AddressState::Active)[0];
    let now = windhcp_psu_simulator::now_unix();
    state
        .write(|e| {
            let lease = e
                .server_mut(&server)?
                .scope_mut(a)?
                .leases
                .get_mut(&expired);
            if let Some(lease) = lease {
                lease.address_state = AddressState::Expired;
                lease.lease_expiry = Some(now - 60);
            }
            Ok::<_, windhcp_psu_simulator::SimError>(())
        })
        .expect("expire");
    let reservations: Vec<Reservation> = env
        .scope(&server, b)
        .reservations
        .values()
        .cloned()
        .collect();
    let (downgraded, vanished) = (&reservations[0], &reservations[1]);
    state
        .remove_reservation(&server, b, downgraded.ip_address)
        .expect("remove reservation");
    state
        .add_active_lease(
            &server,
            b,
            downgraded.ip_address,
            &downgraded.client_id,
            &downgraded.name,
        )
        .expect("lease stays");
    state
        .remove_reservation(&server, b, vanished.ip_address)
        .expect("remove reservation");
    let _ = state.remove_lease(&server, b, vanished.ip_address);
    state
        .add_active_lease(
            &server,
            a,
            prestaged.ip(),
            "00-1b-21-aa-00-01",
            "Whatever-Host",
        )
        .expect("lease on the pre-staged IP");
    state
        .add_active_lease(&server, a, protected.ip(), "ac-de-48-00-66-66", "rogue")
        .expect("lease on the protected IP");

    let plan = env.sync().await;
    assert!(
        plan.report.skipped.iter().any(|s| matches!(
            s,
            Skipped::ProtectedIp { address, .. } if *address == protected.ip()
        )),
        "the protected IP is reported as skipped"
    );

    assert!(
        env.side.ip_at(expired).await.unwrap().is_none(),
        "expired lease's IP deleted"
    );
    let ip = env
        .side
        .ip_at(downgraded.ip_address)
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(
        ip.status, "dhcp",
        "reservation gone, lease remains: downgraded"
    );
    assert_eq!(
        ip.dhcp_client_id.as_deref(),
        Some(downgraded.client_id.as_str())
    );
    assert!(
        env.side.ip_at(vanished.ip_address).await.unwrap().is_none(),
        "neither reservation nor lease: deleted"
    );
    let ip = env.side.ip_at(prestaged.ip()).await.unwrap().expect("kept");
    assert_eq!(ip.status, "reserved", "pre-staged keeps its status");
    assert_eq!(ip.dns_name, "planned-host", "pre-staged keeps its name");
    assert_eq!(ip.dhcp_client_id.as_deref(), Some("00-1b-21-aa-00-01"));
    let ip = env.side.ip_at(protected.ip()).await.unwrap().expect("kept");
    assert_eq!(
        fields(&ip.status, &ip.dns_name, ip.dhcp_client_id.as_deref()),
        protected_fields,
        "protected IP untouched"
    );
    assert!(ip.tags.contains(PROTECT_TAG));

    let again = env.plan().await;
    assert!(again.is_empty(), "converged: {:?}", again.counts());
    env.cleanup().await;
}

/// Push mode: a reserved IP with a client id in NetBox becomes a reservation on the server, and
/// an exclusion added to the inventory becomes an exclusion on the server.
pub(crate) async fn push_mode_writes_the_server(kind: SideKind) {
    let Some(side) = side(kind, "push").await else {
        return;
    };
    let env = Env::start(side, 13).await;
    env.sync().await;
    let server = env.standalone();
    let a = env.scope_ids(&server)[0];
    let network = env.network(&server, a);
    let free = env.free(&server, a, 2);
    let (reserved, excluded) = (free[0], free[1].ip());
    env.side
        .insert_ip(
            reserved,
            &fields("reserved", "push-me", Some("00-15-5d-00-00-42")),
            &[],
        )
        .await
        .expect("seed");
    env.inventory
        .update(move |doc: &mut InventoryDocument| {
            let scope_id = doc
                .inventory
                .scopes
                .values()
                .find(|s| s.network == network)
                .map(|s| s.id)
                .expect("imported scope");
            doc.apply(&InventoryWrite::CreateExclusion {
                scope_id,
                range: AddressRange {
                    start: excluded,
                    end: excluded,
                },
            })
        })
        .await
        .expect("inventory")
        .expect("exclusion added");
    env.set_settings(|s| {
        s.push_reservations = true;
        s.push_scope_info = true;
    })
    .await;

    let plan = env.sync().await;
    let kinds = kinds_in(&plan, network);
    assert!(kinds.contains(&"push_reservation"), "{kinds:?}");
    assert!(kinds.contains(&"create_server_exclusion"), "{kinds:?}");
    let scope = env.scope(&server, a);
    let r = scope
        .reservations
        .get(&reserved.ip())
        .expect("reservation pushed to the server");
    assert_eq!(r.client_id, "00-15-5d-00-00-42");
    assert_eq!(r.name, "push-me");
    assert!(
        scope
            .exclusions
            .iter()
            .any(|e| e.start_ip == excluded && e.end_ip == excluded),
        "exclusion pushed to the server: {:?}",
        scope.exclusions
    );
    let again = env.plan().await;
    assert!(again.is_empty(), "converged: {:?}", again.counts());
    env.cleanup().await;
}

/// A PSU fault (HTTP 500) on one scope's leases in the middle of a sync: nothing in that scope
/// is deleted, the other scope is synced, and the next clean run converges.
pub(crate) async fn psu_fault_deletes_nothing_in_that_scope(kind: SideKind) {
    let Some(side) = side(kind, "fault").await else {
        return;
    };
    let env = Env::start(side, 14).await;
    env.sync().await;
    let server = env.standalone();
    let ids = env.scope_ids(&server);
    let (a, b) = (ids[0], ids[1]);
    let (net_a, net_b) = (env.network(&server, a), env.network(&server, b));
    let gone_a = env.leases_in_state(&server, a, AddressState::Active)[0];
    let gone_b = env.leases_in_state(&server, b, AddressState::Active)[0];
    for (scope, ip) in [(a, gone_a), (b, gone_b)] {
        env.sim
            .state()
            .remove_lease(&server, scope, ip)
            .expect("lease gone");
    }
    // The grouped read of every lease fails once (the PSU client does not repeat a read that
    // answered 500; if it ever does, the `ReadFailed` assertion below says so), then the
    // per-scope read of scope A keeps failing.
    let faults = env.sim.faults();
    faults.add(
        FaultRule::new(FaultKind::Status { status: 500 })
            .on_endpoint("list_leases")
            .on_server(&server)
            .on_scope(a),
    );
    let grouped = faults.add(
        FaultRule::new(FaultKind::Status { status: 500 })
            .on_endpoint("list_leases")
            .on_server(&server)
            .times(1),
    );

    let plan = env.plan().await;
    assert!(
        plan.report.conflicts.iter().any(|c| matches!(
            c,
            Conflict::ReadFailed { what: ReadKind::Leases, network: Some(n), .. } if *n == net_a
        )),
        "the failed read is reported: {:?}",
        plan.report.conflicts
    );
    let deleted = deleted_ips(&plan);
    assert!(
        !deleted.contains(&gone_a),
        "nothing deleted in the failed scope"
    );
    assert!(
        !kinds_in(&plan, net_a)
            .iter()
            .any(|k| k.starts_with("delete")),
        "no deletion in {net_a}: {:?}",
        kinds_in(&plan, net_a)
    );
    assert!(
        deleted.contains(&gone_b),
        "the healthy scope {net_b} is synced: {:?} / faults {:?}",
        plan.report.conflicts,
        faults.list()
    );
    let report = env.apply(&plan).await;
    assert!(report.is_complete());
    assert!(
        env.side.ip_at(gone_a).await.unwrap().is_some(),
        "kept while unreadable"
    );
    assert!(env.side.ip_at(gone_b).await.unwrap().is_none());
    let _ = faults.remove(grouped);

    faults.clear();
    let plan = env.sync().await;
    assert!(
        deleted_ips(&plan).contains(&gone_a),
        "the clean run catches up"
    );
    assert!(env.side.ip_at(gone_a).await.unwrap().is_none());
    let again = env.plan().await;
    assert!(again.is_empty(), "converged: {:?}", again.counts());
    assert!(!deletes_anything(&again));
    env.cleanup().await;
}

/// A saved plan applied after NetBox changed under it: the stale action is refused, the rest
/// is applied.
pub(crate) async fn saved_plan_refuses_stale_actions(kind: SideKind) {
    let Some(side) = side(kind, "saved-plan").await else {
        return;
    };
    let env = Env::start(side, 15).await;
    env.sync().await;
    let server = env.standalone();
    let ids = env.scope_ids(&server);
    let (a, b) = (ids[0], ids[1]);
    let active = env.leases_in_state(&server, a, AddressState::Active);
    let (edited, deleted) = (active[0], active[1]);
    for ip in [edited, deleted] {
        env.sim
            .state()
            .remove_lease(&server, a, ip)
            .expect("lease gone");
    }
    let new_ip = env.free(&server, b, 1)[0].ip();
    env.sim
        .state()
        .add_reservation(
            &server,
            b,
            Reservation {
                ip_address: new_ip,
                client_id: "00-15-5d-00-00-77".to_owned(),
                name: "new-box".to_owned(),
                description: String::new(),
                kind: ReservationType::Both,
            },
        )
        .expect("reservation");

    let plan = env.plan().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    save_plan(&path, &plan).expect("save");
    let saved = load_plan(&path).expect("load");
    assert_eq!(saved, plan, "the saved plan reads back identical");

    // NetBox changes under the saved plan.
    let before = env.side.ip_at(edited).await.unwrap().expect("exists");
    env.side
        .edit_ip(
            before.id,
            &fields(
                &before.status,
                "edited-by-hand",
                before.dhcp_client_id.as_deref(),
            ),
        )
        .await
        .expect("edit");

    let report = apply_saved(&Executor::new(env.sources.clone()), &saved, &NoProgress).await;
    let status_of = |address: Ipv4Addr| {
        saved
            .actions
            .iter()
            .position(|a| match &a.action {
                Action::DeleteIp { address: net, .. } | Action::CreateIp { address: net, .. } => {
                    net.ip() == address
                }
                _ => false,
            })
            .and_then(|i| report.outcome(i))
            .map(|o| o.status.clone())
            .expect("action in the plan")
    };
    assert!(
        matches!(status_of(edited), ActionStatus::Stale { .. }),
        "the edited IP's delete is refused: {:?}",
        status_of(edited)
    );
    assert_eq!(status_of(deleted), ActionStatus::Applied);
    assert_eq!(status_of(new_ip), ActionStatus::Applied);
    assert!(report.counts.stale >= 1 && report.counts.failed == 0);

    let ip = env.side.ip_at(edited).await.unwrap().expect("still there");
    assert_eq!(ip.dns_name, "edited-by-hand");
    assert!(env.side.ip_at(deleted).await.unwrap().is_none());
    let ip = env.side.ip_at(new_ip).await.unwrap().expect("created");
    assert_eq!(ip.status, "reserved");
    env.cleanup().await;
}
