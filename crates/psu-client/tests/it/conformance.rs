//! Conformance: the client against the in-process PSU simulator, every endpoint, reads and
//! writes, compared with the simulator's own state.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use windhcp_dhcp_model::{
    ExclusionRange, OptionCode, OptionValue, Reservation, ReservationType, ScopeId, ScopeState,
};
use windhcp_psu_client::{
    BatchStatus, LeaseQuery, PsuClient, PsuError, ReservationCreate, ReservationOp,
    ReservationUpdate, RetryPolicy, ScopeCreate, ScopeQuery, ScopeUpdate,
};
use windhcp_psu_simulator::{
    EstateSpec, FaultKind, FaultRule, RunningSimulator, ServerEndpoint, SimulatorBuilder,
};

use crate::common::RecordingSleeper;

const WRITER: &str = "writer-token-conformance";
const READER: &str = "reader-token-conformance";

fn client_for(ep: &ServerEndpoint, token: &str) -> PsuClient {
    PsuClient::builder(ep.addr.ip().to_string())
        .port(ep.addr.port())
        .https(false)
        .token(token)
        .retry_policy(RetryPolicy::immediate(3))
        .sleeper(Arc::new(RecordingSleeper::default()))
        .build()
        .unwrap()
}

fn sid(ip: Ipv4Addr) -> ScopeId {
    ScopeId(IpAddr::V4(ip))
}

async fn start() -> RunningSimulator {
    SimulatorBuilder::new()
        .generated(&EstateSpec {
            servers: 1,
            failover_pairs: 1,
            scopes: 5,
            leases_per_scope: 40,
            reservations_per_scope: 3,
            ..EstateSpec::default()
        })
        .token(WRITER)
        .reader_token(READER)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn reads_match_the_simulator_state() {
    let sim = start().await;
    let estate = sim.state().snapshot();
    for (i, ep) in sim.servers().iter().enumerate() {
        let state = &estate.servers[i];
        let c = client_for(ep, WRITER);

        let h = c.health().await.unwrap();
        assert!(h.ok, "{h:?}");
        assert!(h.version.is_some());

        let scopes = c.list_scopes(ScopeQuery::default()).await.unwrap();
        let got: BTreeSet<ScopeId> = scopes.iter().map(|s| s.id()).collect();
        let want: BTreeSet<ScopeId> = state.scopes.keys().map(|k| sid(*k)).collect();
        assert_eq!(got, want, "{}", ep.name);
        for s in &scopes {
            let w = &state.scopes[&match s.id().0 {
                IpAddr::V4(v) => v,
                IpAddr::V6(_) => unreachable!(),
            }];
            assert_eq!(s.range().start(), IpAddr::V4(w.start_ip));
            assert_eq!(s.range().end(), IpAddr::V4(w.end_ip));
            assert_eq!(s.name(), w.name);
            let one = c.get_scope(s.id()).await.unwrap();
            assert_eq!(one.id(), s.id());
            assert_eq!(one.range(), s.range());
        }
        let no_router = c
            .list_scopes(ScopeQuery {
                active_only: false,
                include_router: false,
            })
            .await
            .unwrap();
        assert_eq!(no_router.len(), scopes.len());
        assert!(no_router.iter().all(|s| s.router().is_none()));

        // Leases: grouped, per scope and paged must agree with each other and the estate.
        let grouped = c.leases_by_scope().await.unwrap();
        assert_eq!(grouped.keys().copied().collect::<BTreeSet<_>>(), want);
        let listed: usize = state
            .scopes
            .values()
            .map(|s| {
                s.leases
                    .values()
                    .filter(|l| l.address_state.is_listed_by_default())
                    .count()
            })
            .sum();
        assert_eq!(grouped.values().map(Vec::len).sum::<usize>(), listed);
        assert!(listed > 0);
        for (scope, leases) in &grouped {
            assert_eq!(&c.list_leases(*scope).await.unwrap(), leases);
            assert!(
                leases
                    .iter()
                    .all(|l| l.scope_id == *scope && l.client_id.is_some())
            );
        }
        let paged = c.list_all_leases(LeaseQuery::default(), 7).await.unwrap();
        let flat: Vec<_> = grouped.values().flatten().cloned().collect();
        assert_eq!(paged.len(), flat.len());
        assert_eq!(
            paged.iter().map(|l| l.ip).collect::<BTreeSet<_>>(),
            flat.iter().map(|l| l.ip).collect::<BTreeSet<_>>()
        );
        let every_state = c
            .list_all_leases(
                LeaseQuery {
                    scope: None,
                    all_states: true,
                },
                500,
            )
            .await
            .unwrap();
        let total: usize = state.scopes.values().map(|s| s.leases.len()).sum();
        assert_eq!(every_state.len(), total);

        // Reservations.
        let all = c.list_reservations(None).await.unwrap();
        let total_res: usize = state.scopes.values().map(|s| s.reservations.len()).sum();
        assert_eq!(all.len(), total_res);
        let by_scope = c.reservations_by_scope().await.unwrap();
        assert_eq!(by_scope.values().map(Vec::len).sum::<usize>(), total_res);
        if let Some((scope, rs)) = by_scope.iter().find(|(_, v)| !v.is_empty()) {
            assert_eq!(&c.list_reservations(Some(*scope)).await.unwrap(), rs);
        }

        // Options and exclusions.
        let server_opts = c.list_server_options().await.unwrap();
        assert_eq!(server_opts.len(), state.server_options.len());
        let opts = c.options_by_scope().await.unwrap();
        assert_eq!(opts.keys().copied().collect::<BTreeSet<_>>(), want);
        for (scope, o) in &opts {
            assert_eq!(&c.list_scope_options(*scope).await.unwrap(), o);
        }
        let ex = c.exclusions_by_scope().await.unwrap();
        let total_ex: usize = state.scopes.values().map(|s| s.exclusions.len()).sum();
        assert_eq!(ex.values().map(Vec::len).sum::<usize>(), total_ex);
        for scope in &want {
            let e = c.list_exclusions(*scope).await.unwrap();
            assert_eq!(e, ex.get(scope).cloned().unwrap_or_default());
        }

        // Failover.
        let fo = c.list_failovers().await.unwrap();
        assert_eq!(fo.len(), state.failovers.len());
        for f in &fo {
            let w = &state.failovers[f.failover.name()];
            assert_eq!(f.failover.partner_server(), w.partner_server);
            assert_eq!(f.failover.scope_ids().len(), w.scope_ids.len());
            assert_eq!(f.failover.primary_server(), state.name);
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn roles_and_auth_are_enforced() {
    let sim = start().await;
    let ep = &sim.servers()[0];
    client_for(ep, WRITER).write_ping().await.unwrap();
    let reader = client_for(ep, READER);
    assert!(
        !reader
            .list_scopes(ScopeQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    let e = reader.write_ping().await.unwrap_err();
    assert!(matches!(e, PsuError::Forbidden { .. }), "{e:?}");
    let e = client_for(ep, "wrong").health().await.unwrap_err();
    assert!(matches!(e, PsuError::Unauthorized { .. }), "{e:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn transient_faults_are_retried_and_reported() {
    let sim = start().await;
    let ep = &sim.servers()[0];
    let c = client_for(ep, WRITER);
    sim.faults().add(
        FaultRule::new(FaultKind::Status { status: 503 })
            .on_endpoint("list_leases")
            .times(2),
    );
    assert!(!c.leases_by_scope().await.unwrap().is_empty());
    assert_eq!(
        sim.faults().list()[0].hits,
        2,
        "both 503s were served and retried"
    );
    sim.faults().add(
        FaultRule::new(FaultKind::Status { status: 500 })
            .on_endpoint("list_scopes")
            .times(1),
    );
    let e = c.list_scopes(ScopeQuery::default()).await.unwrap_err();
    assert_eq!(e.status(), Some(500));
    sim.faults().add(
        FaultRule::new(FaultKind::Truncate { keep_fraction: 0.5 })
            .on_endpoint("list_reservations")
            .times(1),
    );
    let e = c.list_reservations(None).await.unwrap_err();
    assert!(
        matches!(e, PsuError::Decode { .. } | PsuError::Transport { .. }),
        "{e:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn writes_round_trip() {
    let sim = start().await;
    let ep = &sim.servers()[0];
    let c = client_for(ep, WRITER);
    let net = Ipv4Addr::new(172, 16, 5, 0);
    let id = sid(net);
    let ip = |last: u8| Ipv4Addr::new(172, 16, 5, last);

    // Scope create / get / update.
    let body = ScopeCreate {
        scope_id: net,
        name: "conformance".into(),
        start_ip: ip(10),
        end_ip: ip(200),
        subnet_mask: Ipv4Addr::new(255, 255, 255, 0),
        description: "made by the client".into(),
        state: Some("Active"),
        lease_duration_seconds: Some(7200),
        router: Some(ip(1)),
        options: None,
        failover: None,
    };
    let created = c.create_scope(&body).await.unwrap();
    assert_eq!(created.id(), id);
    assert_eq!(created.router(), Some(IpAddr::V4(ip(1))));
    let e = c.create_scope(&body).await.unwrap_err();
    assert!(matches!(e, PsuError::Conflict { .. }), "{e:?}");
    let updated = c
        .update_scope(
            id,
            &ScopeUpdate {
                name: Some("renamed".into()),
                state: Some(ScopeState::Inactive),
                router: Some(None),
                lease_duration_seconds: Some(3600),
                ..ScopeUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name(), "renamed");
    assert_eq!(updated.state(), ScopeState::Inactive);
    assert_eq!(updated.router(), None);
    assert_eq!(c.get_scope(id).await.unwrap().name(), "renamed");

    // Options.
    let dns = OptionValue::parse(6, "10.9.9.53, 10.9.9.54").unwrap();
    let set = c.set_scope_option(id, &dns).await.unwrap();
    assert_eq!(set.data(), dns.data());
    assert!(c.list_scope_options(id).await.unwrap().contains(&dns));
    c.remove_scope_option(id, OptionCode::from(6), None, None)
        .await
        .unwrap();
    let e = c
        .remove_scope_option(id, OptionCode::from(6), None, None)
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");

    // Exclusions.
    let ex = ExclusionRange {
        scope_id: id,
        range: "172.16.5.10-172.16.5.19".parse().unwrap(),
    };
    assert_eq!(c.create_exclusion(&ex).await.unwrap(), ex);
    assert_eq!(c.list_exclusions(id).await.unwrap(), [ex]);
    let e = c.create_exclusion(&ex).await.unwrap_err();
    assert!(matches!(e, PsuError::Conflict { .. }), "{e:?}");
    c.delete_exclusion(&ex).await.unwrap();
    assert!(c.list_exclusions(id).await.unwrap().is_empty());
    assert!(c.delete_exclusion(&ex).await.unwrap_err().is_not_found());

    // Reservations: single calls.
    let mac: windhcp_dhcp_model::ClientId = "00:11:22:33:44:55".parse().unwrap();
    let r = c
        .create_reservation(&ReservationCreate {
            scope_id: net,
            ip_address: ip(50),
            client_id: mac.clone(),
            name: Some("printer".into()),
            description: None,
            kind: ReservationType::Dhcp,
        })
        .await
        .unwrap();
    assert_eq!(r.client_id, mac);
    assert_eq!(r.kind, ReservationType::Dhcp);
    let r = c
        .update_reservation(
            &mac,
            Some(id),
            &ReservationUpdate {
                name: Some("printer-2".into()),
                ..ReservationUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.name.as_deref(), Some("printer-2"));
    let dup = Reservation {
        ip: IpAddr::V4(ip(51)),
        ..r.clone()
    };
    let e = c.create_reservation_from(&dup).await.unwrap_err();
    assert!(matches!(e, PsuError::Conflict { .. }), "{e:?}");
    c.delete_reservation(&mac, Some(id)).await.unwrap();
    assert!(
        c.delete_reservation(&mac, Some(id))
            .await
            .unwrap_err()
            .is_not_found()
    );

    // Reservations: batch.
    let new = |last: u8, m: &str| Reservation {
        scope_id: id,
        ip: IpAddr::V4(ip(last)),
        client_id: m.parse().unwrap(),
        name: Some(format!("host-{last}")),
        description: None,
        kind: ReservationType::Both,
    };
    let out = c
        .batch_reservations(&[
            ReservationOp::Create(new(60, "aa-00-00-00-00-60")),
            ReservationOp::Create(new(61, "aa-00-00-00-00-61")),
            ReservationOp::Update {
                scope_id: id,
                ip: IpAddr::V4(ip(60)),
                client_id: None,
                name: Some("renamed-60".into()),
                description: None,
                kind: None,
            },
            ReservationOp::Delete {
                scope_id: id,
                ip: IpAddr::V4(ip(99)),
            },
            ReservationOp::Delete {
                scope_id: id,
                ip: IpAddr::V4(ip(61)),
            },
        ])
        .await
        .unwrap();
    let statuses: Vec<BatchStatus> = out.iter().map(|o| o.status.clone()).collect();
    assert_eq!(
        statuses,
        [
            BatchStatus::Ok,
            BatchStatus::Ok,
            BatchStatus::Ok,
            BatchStatus::NotFound,
            BatchStatus::Ok
        ]
    );
    assert_eq!(
        out[2].reservation.as_ref().unwrap().name.as_deref(),
        Some("renamed-60")
    );
    let left = c.list_reservations(Some(id)).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].ip, IpAddr::V4(ip(60)));

    // Failover create / replicate / delete on a standalone scope pair.
    let partner = sim.servers()[1].name.clone();
    let f = windhcp_dhcp_model::Failover::try_from(windhcp_dhcp_model::FailoverSpec {
        name: "conf-pair".into(),
        primary_server: ep.name.clone(),
        partner_server: partner.clone(),
        mode: windhcp_dhcp_model::FailoverMode::default(),
        mclt_secs: 3600,
        max_response_delay_secs: 30,
        state_switchover_interval_secs: None,
        auth: windhcp_dhcp_model::FailoverAuth::Disabled,
        scope_ids: vec![id],
        sync_enabled: true,
        state: None,
    })
    .unwrap();
    let created = c.create_failover_from(&f).await.unwrap();
    assert_eq!(created.failover.name(), "conf-pair");
    assert_eq!(created.failover.scope_ids(), [id]);
    assert!(
        c.list_failovers()
            .await
            .unwrap()
            .iter()
            .any(|x| x.failover.name() == "conf-pair")
    );
    assert_eq!(
        c.get_scope(id).await.unwrap().failover_name(),
        Some("conf-pair")
    );
    assert_eq!(c.replicate_scopes(&[id]).await.unwrap(), [id]);
    assert_eq!(c.replicate_failover("conf-pair", None).await.unwrap(), [id]);
    let e = c.delete_scope(id).await.unwrap_err();
    assert!(
        matches!(e, PsuError::Conflict { .. }),
        "scope in a relationship: {e:?}"
    );
    c.delete_failover("conf-pair").await.unwrap();
    assert!(
        c.delete_failover("conf-pair")
            .await
            .unwrap_err()
            .is_not_found()
    );

    // Scope delete.
    c.delete_scope(id).await.unwrap();
    assert!(c.get_scope(id).await.unwrap_err().is_not_found());
    sim.shutdown().await;
}
