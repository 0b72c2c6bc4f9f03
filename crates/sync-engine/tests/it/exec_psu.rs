//! The PSU adapter against the PSU simulator (feature `psu`).

use std::net::Ipv4Addr;

use windhcp_psu_client::PsuClient;
use windhcp_psu_simulator::{EstateSpec, SimulatorBuilder};
use windhcp_sync_engine::adapters::psu::PsuServer;
use windhcp_sync_engine::snapshot::AddressRange;
use windhcp_sync_engine::source::{DhcpError, DhcpServer, ReservationKey, ReservationWrite};

#[tokio::test]
async fn psu_adapter_reads_and_writes_through_the_simulator() {
    let sim = SimulatorBuilder::new()
        .generated(&EstateSpec {
            servers: 1,
            failover_pairs: 0,
            scopes: 3,
            leases_per_scope: 5,
            reservations_per_scope: 2,
            ..EstateSpec::default()
        })
        .token("t0ken")
        .start()
        .await
        .unwrap();
    let endpoint = sim.servers()[0].clone();
    let client = PsuClient::builder(endpoint.addr.ip().to_string())
        .port(endpoint.addr.port())
        .https(false)
        .token("t0ken")
        .build()
        .unwrap();
    let server = PsuServer::new(endpoint.name.clone(), client);
    // The token never shows in Debug.
    assert!(!format!("{server:?}").contains("t0ken"));

    let scopes = server.list_scopes().await.unwrap();
    assert_eq!(scopes.len(), 3);
    let leases = server.leases_by_scope().await.unwrap();
    let reservations = server.reservations_by_scope().await.unwrap();
    let exclusions = server.exclusions_by_scope().await.unwrap();
    for id in scopes.keys() {
        assert!(leases[id].len() >= 5, "{id}: {:?}", leases[id]);
        assert_eq!(reservations[id].len(), 2, "{id}");
        // Every scope is covered, even without exclusions.
        assert!(exclusions.contains_key(id));
    }
    // The bulk and the per-scope reads agree.
    let (first, scope) = scopes.iter().next().unwrap();
    let mut one = server.list_reservations(*first).await.unwrap();
    one.sort();
    let mut bulk = reservations[first].clone();
    bulk.sort();
    assert_eq!(one, bulk);

    // Write a reservation at a free address of the range, then update and delete it.
    let taken: Vec<Ipv4Addr> = leases[first]
        .iter()
        .map(|l| l.ip)
        .chain(reservations[first].iter().map(|r| r.ip))
        .collect();
    let free = (u32::from(scope.start)..=u32::from(scope.end))
        .map(Ipv4Addr::from)
        .find(|ip| !taken.contains(ip) && !exclusions[first].iter().any(|r| r.contains(*ip)))
        .unwrap();
    let write = |name: &str| ReservationWrite {
        scope: *first,
        ip: free,
        client_id: "0a-0b-0c-0d-0e-0f".to_owned(),
        name: name.to_owned(),
    };
    let created = server
        .create_reservations(&[write("new-one")])
        .await
        .unwrap();
    assert!(created[0].is_ok(), "{created:?}");
    let updated = server
        .update_reservations(&[write("renamed")])
        .await
        .unwrap();
    assert!(updated[0].is_ok(), "{updated:?}");
    let now = server.list_reservations(*first).await.unwrap();
    let mine = now.iter().find(|r| r.ip == free).unwrap();
    assert_eq!(mine.name, "renamed");
    assert_eq!(mine.client_id, "0a-0b-0c-0d-0e-0f");
    let key = ReservationKey {
        scope: *first,
        ip: free,
    };
    let deleted = server.delete_reservations(&[key]).await.unwrap();
    assert!(deleted[0].is_ok(), "{deleted:?}");
    let again = server.delete_reservations(&[key]).await.unwrap();
    assert!(
        matches!(again[0], Err(DhcpError::NotFound { .. })),
        "{again:?}"
    );

    // An exclusion round trip.
    let range = AddressRange {
        start: free,
        end: free,
    };
    server.create_exclusion(*first, range).await.unwrap();
    assert!(
        server
            .list_exclusions(*first)
            .await
            .unwrap()
            .contains(&range)
    );
    server.delete_exclusion(*first, range).await.unwrap();
    assert!(
        !server
            .list_exclusions(*first)
            .await
            .unwrap()
            .contains(&range)
    );

    // A wrong token is an authorisation error, not a missing scope.
    let bad = PsuServer::new(
        endpoint.name.clone(),
        PsuClient::builder(endpoint.addr.ip().to_string())
            .port(endpoint.addr.port())
            .https(false)
            .token("wrong")
            .build()
            .unwrap(),
    );
    let err = bad.list_scopes().await.unwrap_err();
    assert!(matches!(err, DhcpError::Unauthorized { .. }), "{err:?}");
    assert!(!err.to_string().contains("wrong"));
    sim.shutdown().await;
}
