//! Happy path of every endpoint against wiremock: method, path, query, auth header and body
//! are checked by the mocks; decoded values by the assertions.

use serde_json::json;
use windhcp_dhcp_model::{
    AddressState, ClientId, ExclusionRange, FailoverMode, LeaseLifetime, OptionCode, OptionData,
    OptionValue, Reservation, ReservationType, ScopeState,
};
use windhcp_psu_client::{
    BatchStatus, LeaseQuery, ReservationCreate, ReservationOp, ReservationUpdate, ScopeCreate,
    ScopeQuery, ScopeUpdate,
};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{TOKEN, client, ip, server, sid};

fn scope_json(id: &str, start: &str, end: &str) -> serde_json::Value {
    json!({"scope_id": id, "name": "Office", "start_ip": start, "end_ip": end,
           "subnet_mask": "255.255.255.0", "description": "", "state": "Active",
           "lease_duration_seconds": 86400, "router": "10.1.0.1", "failover_name": null})
}

fn lease_json(ip: &str, scope: &str, mac: &str) -> serde_json::Value {
    json!({"ip_address": ip, "scope_id": scope, "client_id": mac, "hostname": "PC1",
           "address_state": "Active", "lease_expiry": "2030-01-01T00:00:00Z"})
}

fn reservation_json(ip: &str, mac: &str) -> serde_json::Value {
    json!({"ip_address": ip, "scope_id": "10.1.0.0", "client_id": mac, "name": "printer",
           "description": "", "type": "Dhcp"})
}

async fn mount(server: &MockServer, m: &str, p: &str, resp: ResponseTemplate) {
    Mock::given(method(m))
        .and(path(p))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(resp)
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn health_and_write_ping() {
    let s = server().await;
    mount(
        &s,
        "GET",
        "/api/dhcp/health",
        ResponseTemplate::new(200).set_body_json(json!({"status": "ok", "version": "1.0.0",
            "contract_version": "1.0.0", "dhcp_module": true, "server": "dhcp01.corp.example"})),
    )
    .await;
    mount(
        &s,
        "POST",
        "/api/dhcp/health",
        ResponseTemplate::new(200).set_body_json(json!({"status": "ok"})),
    )
    .await;
    let c = client(&s);
    let h = c.health().await.unwrap();
    assert!(h.ok);
    assert_eq!(h.version.as_deref(), Some("1.0.0"));
    assert_eq!(h.dhcp_module, Some(true));
    assert_eq!(h.server.as_deref(), Some("dhcp01.corp.example"));
    c.write_ping().await.unwrap();
}

#[tokio::test]
async fn scopes_crud() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/scopes"))
        .and(query_param("include_router", "false"))
        .and(query_param("active_only", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            scope_json("10.1.0.0", "10.1.0.10", "10.1.0.200"),
            scope_json("10.2.0.0", "10.2.0.10", "10.2.0.200"),
        ])))
        .expect(1)
        .mount(&s)
        .await;
    mount(
        &s,
        "GET",
        "/api/dhcp/scopes/10.1.0.0",
        ResponseTemplate::new(200).set_body_json(scope_json("10.1.0.0", "10.1.0.10", "10.1.0.200")),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/dhcp/scopes"))
        .and(body_json(
            json!({"scope_id": "10.9.0.0", "name": "New", "start_ip": "10.9.0.10",
            "end_ip": "10.9.0.99", "subnet_mask": "255.255.255.0", "state": "Active",
            "lease_duration_seconds": 3600, "router": "10.9.0.1"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(scope_json(
            "10.9.0.0",
            "10.9.0.10",
            "10.9.0.99",
        )))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/dhcp/scopes/10.1.0.0"))
        .and(body_json(json!({"name": "Renamed", "state": "InActive", "router": ""})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "scope_id": "10.1.0.0", "name": "Renamed", "start_ip": "10.1.0.10", "end_ip": "10.1.0.200",
            "subnet_mask": "255.255.255.0", "description": "", "state": "InActive",
            "lease_duration_seconds": 86400, "router": null, "failover_name": null})))
        .expect(1)
        .mount(&s)
        .await;
    mount(
        &s,
        "DELETE",
        "/api/dhcp/scopes/10.2.0.0",
        ResponseTemplate::new(204),
    )
    .await;

    let c = client(&s);
    let scopes = c
        .list_scopes(ScopeQuery {
            active_only: true,
            include_router: false,
        })
        .await
        .unwrap();
    assert_eq!(scopes.len(), 2);
    assert_eq!(scopes[1].id(), sid("10.2.0.0"));
    assert_eq!(scopes[0].router(), Some(ip("10.1.0.1")));
    assert_eq!(scopes[0].lease_lifetime(), LeaseLifetime::Finite(86_400));

    let one = c.get_scope(sid("10.1.0.0")).await.unwrap();
    assert_eq!(one.range().end(), ip("10.1.0.200"));

    let created = c
        .create_scope(&ScopeCreate {
            scope_id: "10.9.0.0".parse().unwrap(),
            name: "New".into(),
            start_ip: "10.9.0.10".parse().unwrap(),
            end_ip: "10.9.0.99".parse().unwrap(),
            subnet_mask: "255.255.255.0".parse().unwrap(),
            description: String::new(),
            state: Some("Active"),
            lease_duration_seconds: Some(3600),
            router: Some("10.9.0.1".parse().unwrap()),
            options: None,
            failover: None,
        })
        .await
        .unwrap();
    assert_eq!(created.id(), sid("10.9.0.0"));

    let updated = c
        .update_scope(
            sid("10.1.0.0"),
            &ScopeUpdate {
                name: Some("Renamed".into()),
                state: Some(ScopeState::Inactive),
                router: Some(None),
                ..ScopeUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name(), "Renamed");
    assert_eq!(updated.state(), ScopeState::Inactive);
    assert_eq!(updated.router(), None);

    c.delete_scope(sid("10.2.0.0")).await.unwrap();
}

#[tokio::test]
async fn create_scope_from_domain_scope() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/api/dhcp/scopes"))
        .and(body_json(
            json!({"scope_id": "10.1.0.0", "name": "Office", "start_ip": "10.1.0.10",
            "end_ip": "10.1.0.200", "subnet_mask": "255.255.255.0", "state": "Active",
            "lease_duration_seconds": 86400, "router": "10.1.0.1",
            "options": {"set": [{"code": 6, "value": ["10.1.0.53", "10.1.0.54"]}]},
            "failover": {"enroll": "pair-a"}}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(scope_json(
            "10.1.0.0",
            "10.1.0.10",
            "10.1.0.200",
        )))
        .expect(1)
        .mount(&s)
        .await;
    let scope = windhcp_dhcp_model::Scope::try_from(windhcp_dhcp_model::ScopeSpec {
        id: sid("10.1.0.0"),
        name: "Office".into(),
        prefix: "10.1.0.0/24".parse().unwrap(),
        range: "10.1.0.10-10.1.0.200".parse().unwrap(),
        router: Some(ip("10.1.0.1")),
        lease_lifetime: LeaseLifetime::Finite(86_400),
        state: ScopeState::Active,
        description: String::new(),
        vrf: None,
        source: Some(windhcp_dhcp_model::ScopeSource::Failover("pair-a".into())),
        options: vec![OptionValue::parse(6, "10.1.0.53, 10.1.0.54").unwrap()],
        exclusions: vec![],
    })
    .unwrap();
    let created = client(&s).create_scope_from(&scope).await.unwrap();
    assert_eq!(created.id(), scope.id());
}

#[tokio::test]
async fn leases_single_scope_grouped_and_paged() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/leases"))
        .and(query_param("scope_id", "10.1.0.0"))
        .and(query_param_is_missing("format"))
        .and(query_param_is_missing("limit"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([lease_json(
            "10.1.0.20",
            "10.1.0.0",
            "AA:BB:CC:00:00:01"
        ),])))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/leases"))
        .and(query_param("format", "grouped"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "10.1.0.0": [lease_json("10.1.0.20", "10.1.0.0", "aa-bb-cc-00-00-01"),
                         lease_json("10.1.0.21", "10.1.0.0", "aa-bb-cc-00-00-02")],
            "10.2.0.0": [],
        })))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/leases"))
        .and(query_param("limit", "2"))
        .and(query_param_is_missing("cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [lease_json("10.1.0.20", "10.1.0.0", "aa-bb-cc-00-00-01"),
                      lease_json("10.1.0.21", "10.1.0.0", "aa-bb-cc-00-00-02")],
            "next_cursor": "c1"})))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/leases"))
        .and(query_param("limit", "2"))
        .and(query_param("cursor", "c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [lease_json("10.2.0.20", "10.2.0.0", "aa-bb-cc-00-00-03")],
            "next_cursor": null})))
        .expect(1)
        .mount(&s)
        .await;

    let c = client(&s);
    let one = c.list_leases(sid("10.1.0.0")).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(
        one[0].client_id.as_ref().unwrap().to_string(),
        "aa-bb-cc-00-00-01"
    );
    assert_eq!(one[0].address_state, AddressState::Active);
    assert_eq!(one[0].hostname.as_deref(), Some("PC1"));
    assert_eq!(
        one[0].expires_at,
        Some(time::macros::datetime!(2030-01-01 00:00:00 UTC))
    );

    let grouped = c.leases_by_scope().await.unwrap();
    assert_eq!(grouped.len(), 2);
    assert_eq!(grouped[&sid("10.1.0.0")].len(), 2);
    assert!(grouped[&sid("10.2.0.0")].is_empty());

    let all = c.list_all_leases(LeaseQuery::default(), 2).await.unwrap();
    let ips: Vec<String> = all.iter().map(|l| l.ip.to_string()).collect();
    assert_eq!(ips, ["10.1.0.20", "10.1.0.21", "10.2.0.20"]);
}

#[tokio::test]
async fn paging_stops_on_a_repeated_cursor() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/leases"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [], "next_cursor": "same"})))
        .mount(&s)
        .await;
    let err = client(&s)
        .list_all_leases(LeaseQuery::default(), 10)
        .await
        .unwrap_err();
    assert!(
        matches!(err, windhcp_psu_client::PsuError::Decode { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("same"));
}

#[tokio::test]
async fn reservations_all_calls() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/reservations"))
        .and(query_param_is_missing("scope_id"))
        .and(query_param_is_missing("format"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([reservation_json("10.1.0.30", "aa-bb-cc-00-00-30")])),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/reservations"))
        .and(query_param("format", "grouped"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"10.1.0.0": [reservation_json("10.1.0.30", "aa-bb-cc-00-00-30")], "10.2.0.0": []})))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/dhcp/reservations"))
        .and(body_json(
            json!({"scope_id": "10.1.0.0", "ip_address": "10.1.0.31",
            "client_id": "aa-bb-cc-00-00-31", "name": "cam", "type": "Both"}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"ip_address": "10.1.0.31",
            "scope_id": "10.1.0.0", "client_id": "aa-bb-cc-00-00-31", "name": "cam",
            "description": "", "type": "Both"})),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/dhcp/reservations/aa-bb-cc-00-00-30"))
        .and(query_param("scope_id", "10.1.0.0"))
        .and(body_json(json!({"name": "printer-2", "type": "Bootp"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"ip_address": "10.1.0.30",
            "scope_id": "10.1.0.0", "client_id": "aa-bb-cc-00-00-30", "name": "printer-2",
            "description": "", "type": "Bootp"})),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/dhcp/reservations/aa-bb-cc-00-00-30"))
        .and(query_param_is_missing("scope_id"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;

    let c = client(&s);
    let all = c.list_reservations(None).await.unwrap();
    assert_eq!(all[0].kind, ReservationType::Dhcp);
    assert_eq!(all[0].name.as_deref(), Some("printer"));
    assert_eq!(all[0].description, None);
    let grouped = c.reservations_by_scope().await.unwrap();
    assert_eq!(grouped[&sid("10.1.0.0")][0].ip, ip("10.1.0.30"));
    assert!(grouped[&sid("10.2.0.0")].is_empty());

    let mac: ClientId = "AA:BB:CC:00:00:31".parse().unwrap();
    let created = c
        .create_reservation(&ReservationCreate {
            scope_id: "10.1.0.0".parse().unwrap(),
            ip_address: "10.1.0.31".parse().unwrap(),
            client_id: mac.clone(),
            name: Some("cam".into()),
            description: None,
            kind: ReservationType::Both,
        })
        .await
        .unwrap();
    assert_eq!(created.client_id, mac);

    let old: ClientId = "aabbcc000030".parse().unwrap();
    let updated = c
        .update_reservation(
            &old,
            Some(sid("10.1.0.0")),
            &ReservationUpdate {
                name: Some("printer-2".into()),
                description: None,
                kind: Some(ReservationType::Bootp),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.kind, ReservationType::Bootp);
    c.delete_reservation(&old, None).await.unwrap();
}

#[tokio::test]
async fn reservation_batch_maps_results_by_index() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/api/dhcp/reservations/batch"))
        .and(body_json(json!({"items": [
            {"op": "create", "scope_id": "10.1.0.0", "ip_address": "10.1.0.40",
             "client_id": "aa-bb-cc-00-00-40", "name": "a", "type": "Dhcp"},
            {"op": "update", "scope_id": "10.1.0.0", "ip_address": "10.1.0.41", "name": "b"},
            {"op": "delete", "scope_id": "10.1.0.0", "ip_address": "10.1.0.42"},
        ]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"index": 2, "status": "not_found", "error": "No reservation at 10.1.0.42"},
            {"index": 0, "status": "ok", "reservation": {"ip_address": "10.1.0.40",
              "scope_id": "10.1.0.0", "client_id": "aa-bb-cc-00-00-40", "name": "a",
              "description": "", "type": "Dhcp"}},
            {"index": 1, "status": "conflict", "error": "client id in use"},
        ])))
        .expect(1)
        .mount(&s)
        .await;
    let ops = vec![
        ReservationOp::Create(Reservation {
            scope_id: sid("10.1.0.0"),
            ip: ip("10.1.0.40"),
            client_id: "aa-bb-cc-00-00-40".parse().unwrap(),
            name: Some("a".into()),
            description: None,
            kind: ReservationType::Dhcp,
        }),
        ReservationOp::Update {
            scope_id: sid("10.1.0.0"),
            ip: ip("10.1.0.41"),
            client_id: None,
            name: Some("b".into()),
            description: None,
            kind: None,
        },
        ReservationOp::Delete {
            scope_id: sid("10.1.0.0"),
            ip: ip("10.1.0.42"),
        },
    ];
    let out = client(&s).batch_reservations(&ops).await.unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(out[0].status, BatchStatus::Ok);
    assert_eq!(out[0].reservation.as_ref().unwrap().ip, ip("10.1.0.40"));
    assert_eq!(out[1].status, BatchStatus::Conflict);
    assert_eq!(out[2].status, BatchStatus::NotFound);
    assert_eq!(out[2].error.as_deref(), Some("No reservation at 10.1.0.42"));
    assert_eq!(out.iter().map(|o| o.index).collect::<Vec<_>>(), [0, 1, 2]);
}

#[tokio::test]
async fn reservation_batch_chunks_and_reports_failed_chunks() {
    let s = server().await;
    // First chunk (1000 items) succeeds with "ok" for everything; the second fails with 500.
    let ok: Vec<serde_json::Value> = (0..1000)
        .map(|i| json!({"index": i, "status": "ok"}))
        .collect();
    Mock::given(method("POST"))
        .and(path("/api/dhcp/reservations/batch"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::Value::Array(ok)))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/dhcp/reservations/batch"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": "boom"})))
        .expect(1)
        .mount(&s)
        .await;
    let ops: Vec<ReservationOp> = (0..1500u32)
        .map(|i| ReservationOp::Delete {
            scope_id: sid("10.0.0.0"),
            ip: std::net::IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)),
        })
        .collect();
    let out = client(&s).batch_reservations(&ops).await.unwrap();
    assert_eq!(out.len(), 1500);
    assert!(out[..1000].iter().all(|o| o.status == BatchStatus::Ok));
    assert!(out[1000..].iter().all(|o| o.status == BatchStatus::Unknown));
    assert!(out[1000].error.as_deref().unwrap().contains("boom"));
}

#[tokio::test]
async fn failover_calls() {
    let s = server().await;
    mount(
        &s,
        "GET",
        "/api/dhcp/failover",
        ResponseTemplate::new(200).set_body_json(json!([
            {"name": "pair-a", "primary_server": "dhcp01", "secondary_server": "dhcp02",
             "mode": "HotStandby", "scope_ids": ["10.1.0.0"], "max_client_lead_time": 3600,
             "max_response_delay": 30, "state_switchover_interval": null, "enable_auth": true,
             "reserve_percent": 10, "server_role": "Standby", "state": "Normal"}
        ])),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/dhcp/failover"))
        .and(body_json(
            json!({"name": "pair-b", "partner_server": "dhcp03", "secondary_server": "dhcp03",
            "scope_ids": ["10.2.0.0"], "mode": "LoadBalance", "load_balance_percent": 50,
            "max_client_lead_time": 3600, "max_response_delay": 30,
            "state_switchover_interval": null, "enable_auth": true, "shared_secret": "hunter2"}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"name": "pair-b",
            "primary_server": "dhcp01", "secondary_server": "dhcp03", "mode": "LoadBalance",
            "scope_ids": ["10.2.0.0"], "max_client_lead_time": 3600, "max_response_delay": 30,
            "state_switchover_interval": null, "enable_auth": true, "load_balance_percent": 50})),
        )
        .expect(1)
        .mount(&s)
        .await;
    mount(
        &s,
        "DELETE",
        "/api/dhcp/failover/pair%20b",
        ResponseTemplate::new(204),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/dhcp/failover/replicate"))
        .and(body_json(json!({"scope_ids": ["10.1.0.0", "10.2.0.0"]})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"replicated": ["10.1.0.0", "10.2.0.0"]})),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/dhcp/failover/pair-a/replicate"))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"replicated": ["10.1.0.0"]})))
        .expect(1)
        .mount(&s)
        .await;

    let c = client(&s);
    let list = c.list_failovers().await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].auth_enabled);
    assert_eq!(
        list[0].failover.mode(),
        FailoverMode::HotStandby {
            reserve_percent: 10,
            server_role: windhcp_dhcp_model::ServerRole::Standby
        }
    );
    assert_eq!(list[0].failover.partner_server(), "dhcp02");
    assert_eq!(list[0].failover.state(), Some("Normal"));

    let spec = windhcp_dhcp_model::FailoverSpec {
        name: "pair-b".into(),
        primary_server: "dhcp01".into(),
        partner_server: "dhcp03".into(),
        mode: FailoverMode::default(),
        mclt_secs: 3600,
        max_response_delay_secs: 30,
        state_switchover_interval_secs: None,
        auth: windhcp_dhcp_model::FailoverAuth::Enabled {
            shared_secret: windhcp_dhcp_model::Secret::new("hunter2"),
        },
        scope_ids: vec![sid("10.2.0.0")],
        sync_enabled: true,
        state: None,
    };
    let f = windhcp_dhcp_model::Failover::try_from(spec).unwrap();
    let body = windhcp_psu_client::FailoverCreate::from_failover(&f).unwrap();
    assert!(!format!("{body:?}").contains("hunter2"), "secret in Debug");
    let created = c.create_failover(&body).await.unwrap();
    assert_eq!(created.failover.name(), "pair-b");

    c.delete_failover("pair b").await.unwrap();
    let rep = c
        .replicate_scopes(&[sid("10.1.0.0"), sid("10.2.0.0")])
        .await
        .unwrap();
    assert_eq!(rep, [sid("10.1.0.0"), sid("10.2.0.0")]);
    let rep = c.replicate_failover("pair-a", None).await.unwrap();
    assert_eq!(rep, [sid("10.1.0.0")]);
    assert!(
        c.replicate_scopes(&[])
            .await
            .unwrap_err()
            .to_string()
            .contains("at least one")
    );
}

#[tokio::test]
async fn option_calls() {
    let s = server().await;
    let opt6 = json!({"code": 6, "name": "DNS Servers", "type": "IPv4Address",
                      "value": ["10.0.0.53", "10.0.0.54"], "vendor_class": null, "user_class": null});
    mount(
        &s,
        "GET",
        "/api/dhcp/options/server",
        ResponseTemplate::new(200).set_body_json(json!([opt6.clone()])),
    )
    .await;
    mount(&s, "GET", "/api/dhcp/options/scope/10.1.0.0", ResponseTemplate::new(200).set_body_json(json!([
        {"code": 15, "name": "DNS Domain Name", "type": "String", "value": ["corp.example"], "vendor_class": ""},
        {"code": 200, "name": "", "type": "DWord", "value": ["7"], "vendor_class": null},
        {"code": 201, "name": "Search list", "type": "String",
         "value": ["corp.example", "lab, east"], "vendor_class": null},
    ]))).await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/options"))
        .and(query_param("format", "grouped"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"10.1.0.0": [opt6.clone()], "10.2.0.0": []})),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/dhcp/options/scope/10.1.0.0/6"))
        .and(body_json(json!({"value": ["10.0.0.53", "10.0.0.54"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(opt6.clone()))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/dhcp/options/scope/10.1.0.0/60"))
        .and(query_param("vendor_class", "PXEClient"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;

    let c = client(&s);
    let server_opts = c.list_server_options().await.unwrap();
    assert_eq!(
        server_opts[0].data(),
        &OptionData::IpAddressList(vec![ip("10.0.0.53"), ip("10.0.0.54")])
    );
    let scope_opts = c.list_scope_options(sid("10.1.0.0")).await.unwrap();
    assert_eq!(
        scope_opts[0].data(),
        &OptionData::String("corp.example".into())
    );
    assert_eq!(scope_opts[1].code(), OptionCode::from(200));
    assert_eq!(scope_opts[1].data(), &OptionData::Dword(7));
    // A custom multi-valued string option keeps its elements whole (a comma is data).
    assert_eq!(
        scope_opts[2].data(),
        &OptionData::StringList(vec!["corp.example".into(), "lab, east".into()])
    );
    let grouped = c.options_by_scope().await.unwrap();
    assert_eq!(grouped[&sid("10.1.0.0")].len(), 1);
    assert!(grouped[&sid("10.2.0.0")].is_empty());
    let set = c
        .set_scope_option(sid("10.1.0.0"), &server_opts[0])
        .await
        .unwrap();
    assert_eq!(set, server_opts[0]);
    c.remove_scope_option(
        sid("10.1.0.0"),
        OptionCode::from(60),
        Some("PXEClient"),
        None,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn exclusion_calls() {
    let s = server().await;
    let ex = json!({"scope_id": "10.1.0.0", "start_ip": "10.1.0.10", "end_ip": "10.1.0.19"});
    Mock::given(method("GET"))
        .and(path("/api/dhcp/exclusions"))
        .and(query_param("scope_id", "10.1.0.0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([ex.clone()])))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/exclusions"))
        .and(query_param("format", "grouped"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"10.1.0.0": [ex.clone()]})))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/dhcp/exclusions"))
        .and(body_json(ex.clone()))
        .respond_with(ResponseTemplate::new(201).set_body_json(ex.clone()))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/dhcp/exclusions"))
        .and(body_json(ex.clone()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let want = ExclusionRange {
        scope_id: sid("10.1.0.0"),
        range: "10.1.0.10-10.1.0.19".parse().unwrap(),
    };
    assert_eq!(c.list_exclusions(sid("10.1.0.0")).await.unwrap(), [want]);
    let grouped = c.exclusions_by_scope().await.unwrap();
    assert_eq!(grouped[&sid("10.1.0.0")], [want]);
    assert_eq!(c.create_exclusion(&want).await.unwrap(), want);
    c.delete_exclusion(&want).await.unwrap();
}

#[tokio::test]
async fn empty_answers_are_empty_lists_only_for_lists() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/failover"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/reservations"))
        .respond_with(ResponseTemplate::new(200).set_body_string("null"))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/exclusions"))
        .respond_with(ResponseTemplate::new(200).set_body_string(""))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/scopes/10.1.0.0"))
        .respond_with(ResponseTemplate::new(200).set_body_string(""))
        .mount(&s)
        .await;
    let c = client(&s);
    assert!(c.list_failovers().await.unwrap().is_empty());
    assert!(c.list_reservations(None).await.unwrap().is_empty());
    assert!(c.exclusions_by_scope().await.unwrap().is_empty());
    let err = c.get_scope(sid("10.1.0.0")).await.unwrap_err();
    assert!(
        matches!(err, windhcp_psu_client::PsuError::Decode { .. }),
        "{err}"
    );
}
