//! Write endpoints and the in-process state helpers.

use std::net::Ipv4Addr;

use reqwest::Method;
use serde_json::json;
use windhcp_psu_simulator::{AddressState, Reservation, ReservationType};

use crate::{TOKEN, call, call_with, small_spec, start, start_empty};

#[tokio::test]
async fn batch_reports_each_item() {
    let sim = start_empty().await;
    let r = call(
        &sim,
        Method::POST,
        "/scopes",
        Some(&json!({"scope_id": "10.1.0.0", "start_ip": "10.1.0.10",
        "end_ip": "10.1.0.200", "subnet_mask": "255.255.255.0"})),
    )
    .await;
    assert_eq!(r.status, 201);
    let items = json!({"items": [
        {"op": "create", "scope_id": "10.1.0.0", "ip_address": "10.1.0.20", "client_id": "02-00-00-00-00-01", "name": "a"},
        {"op": "create", "scope_id": "10.1.0.0", "ip_address": "10.1.0.21", "client_id": "02-00-00-00-00-01"},
        {"op": "create", "scope_id": "10.1.0.0", "ip_address": "10.1.0.250", "client_id": "02-00-00-00-00-02"},
        {"op": "update", "scope_id": "10.1.0.0", "ip_address": "10.1.0.20", "name": "b", "type": "Dhcp"},
        {"op": "update", "scope_id": "10.1.0.0", "ip_address": "10.1.0.99", "name": "c"},
        {"op": "delete", "scope_id": "10.9.0.0", "ip_address": "10.9.0.1"},
        {"op": "frobnicate", "scope_id": "10.1.0.0", "ip_address": "10.1.0.20"},
        "not an object",
        {"op": "create", "scope_id": "10.1.0.0", "ip_address": "10.1.0.22", "client_id": "02-00-00-00-00-03"},
        {"op": "delete", "scope_id": "10.1.0.0", "ip_address": "10.1.0.22"}
    ]});
    let r = call(&sim, Method::POST, "/reservations/batch", Some(&items)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let statuses: Vec<&str> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "ok",
            "conflict",
            "invalid",
            "ok",
            "not_found",
            "not_found",
            "invalid",
            "invalid",
            "ok",
            "ok"
        ]
    );
    for (i, x) in r.json.as_array().unwrap().iter().enumerate() {
        assert_eq!(x["index"], i);
        assert_eq!(x.get("error").is_some(), x["status"] != "ok", "{x}");
    }
    assert_eq!(r.json[3]["reservation"]["name"], "b");
    assert_eq!(r.json[3]["reservation"]["type"], "Dhcp");
    let now = call(&sim, Method::GET, "/reservations?scope_id=10.1.0.0", None)
        .await
        .json;
    assert_eq!(now.as_array().unwrap().len(), 1);

    // Too many items, wrong envelope.
    let big: Vec<_> = (0..1001).map(|_| json!({"op": "delete"})).collect();
    let r = call(
        &sim,
        Method::POST,
        "/reservations/batch",
        Some(&json!({"items": big})),
    )
    .await;
    crate::assert_error(&r, 400);
    let r = call(
        &sim,
        Method::POST,
        "/reservations/batch",
        Some(&json!({"things": []})),
    )
    .await;
    crate::assert_error(&r, 400);
}

#[tokio::test]
async fn replication_makes_the_partner_equal() {
    let sim = start(&small_spec()).await;
    let (a, b) = (sim.servers()[1].clone(), sim.servers()[2].clone());
    let (fo, sid) = sim.state().read(|e| {
        let f = e.servers[1].failovers.values().next().unwrap();
        (f.name.clone(), *f.scope_ids.iter().next().unwrap())
    });
    let api_a = format!("{}/api/dhcp", a.base_url());
    let api_b = format!("{}/api/dhcp", b.base_url());
    let get = |api: String, path: String| async move {
        call_with(&api, Some(TOKEN), Method::GET, &path, None)
            .await
            .json
    };
    let res_path = format!("/reservations?scope_id={sid}");
    assert_eq!(
        get(api_a.clone(), res_path.clone()).await,
        get(api_b.clone(), res_path.clone()).await
    );

    // A configuration change on A is not on B until replication.
    let free = sim.state().read(|e| {
        let s = &e.servers[1].scopes[&sid];
        (u32::from(s.start_ip)..=u32::from(s.end_ip))
            .map(Ipv4Addr::from)
            .find(|ip| {
                !s.reservations.contains_key(ip)
                    && !s.leases.contains_key(ip)
                    && u32::from(*ip) > u32::from(s.start_ip) + 5
            })
            .unwrap()
    });
    let body = json!({"scope_id": sid.to_string(), "ip_address": free.to_string(), "client_id": "02-11-22-33-44-55"});
    let r = call_with(
        &api_a,
        Some(TOKEN),
        Method::POST,
        "/reservations",
        Some(&body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = call_with(
        &api_a,
        Some(TOKEN),
        Method::PUT,
        &format!("/scopes/{sid}"),
        Some(&json!({"description": "new"})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_ne!(
        get(api_a.clone(), res_path.clone()).await,
        get(api_b.clone(), res_path.clone()).await
    );

    let r = call_with(
        &api_a,
        Some(TOKEN),
        Method::POST,
        &format!("/failover/{fo}/replicate"),
        Some(&json!({})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.json["replicated"]
            .as_array()
            .unwrap()
            .contains(&json!(sid.to_string()))
    );
    assert_eq!(
        get(api_a.clone(), res_path.clone()).await,
        get(api_b.clone(), res_path.clone()).await
    );
    assert_eq!(
        get(api_b.clone(), format!("/scopes/{sid}")).await["description"],
        "new"
    );

    // Leases are synchronised without replication.
    sim.state()
        .add_active_lease(
            &a.name,
            sid,
            Ipv4Addr::from(u32::from(free) + 1),
            "02:aa:bb:cc:dd:ee",
            "new-pc",
        )
        .unwrap();
    let lease_path = format!("/leases?scope_id={sid}");
    assert_eq!(
        get(api_a.clone(), lease_path.clone()).await,
        get(api_b.clone(), lease_path.clone()).await
    );

    // Taking the scope out of the relationship removes it from the partner.
    let r = call_with(
        &api_a,
        Some(TOKEN),
        Method::PUT,
        &format!("/scopes/{sid}"),
        Some(&json!({"failover": {"remove": fo}})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = call_with(
        &api_b,
        Some(TOKEN),
        Method::GET,
        &format!("/scopes/{sid}"),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    // And enrolling it again copies it back.
    let r = call_with(
        &api_a,
        Some(TOKEN),
        Method::PUT,
        &format!("/scopes/{sid}"),
        Some(&json!({"failover": {"enroll": fo}})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["failover_name"], fo.as_str());
    assert_eq!(
        call_with(
            &api_b,
            Some(TOKEN),
            Method::GET,
            &format!("/scopes/{sid}"),
            None
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn creating_a_failover_with_a_simulated_partner_copies_scopes() {
    let sim = start(&small_spec()).await;
    let sid = sim
        .state()
        .read(|e| *e.servers[0].scopes.keys().next().unwrap());
    let partner = sim.servers()[1].name.clone();
    let body = json!({"name": "fo-x", "secondary_server": partner, "scope_ids": [sid.to_string()], "mode": "HotStandby",
        "reserve_percent": 10, "state_switchover_interval": 600});
    let r = call(&sim, Method::POST, "/failover", Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["server_role"], "Active");
    assert_eq!(r.json["auto_state_transition"], true);
    let api_p = format!("{}/api/dhcp", sim.servers()[1].base_url());
    let fo = call_with(&api_p, Some(TOKEN), Method::GET, "/failover", None)
        .await
        .json;
    let mirrored = fo
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "fo-x")
        .unwrap();
    assert_eq!(mirrored["server_role"], "Standby");
    assert_eq!(mirrored["partner_server"], sim.servers()[0].name.as_str());
    let a = call(&sim, Method::GET, &format!("/leases?scope_id={sid}"), None)
        .await
        .json;
    let b = call_with(
        &api_p,
        Some(TOKEN),
        Method::GET,
        &format!("/leases?scope_id={sid}"),
        None,
    )
    .await
    .json;
    assert_eq!(a, b);
    // Deleting the relationship removes the scope from the partner only.
    assert_eq!(
        call(&sim, Method::DELETE, "/failover/fo-x", None)
            .await
            .status,
        204
    );
    assert_eq!(
        call(&sim, Method::GET, &format!("/scopes/{sid}"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        call_with(
            &api_p,
            Some(TOKEN),
            Method::GET,
            &format!("/scopes/{sid}"),
            None
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn router_and_options_round_trip() {
    let sim = start_empty().await;
    let r = call(&sim, Method::POST, "/scopes", Some(&json!({"scope_id": "10.1.0.0", "start_ip": "10.1.0.10",
        "end_ip": "10.1.0.200", "subnet_mask": "255.255.255.0", "router": "10.1.0.1",
        "options": {"set": [{"code": 6, "value": ["10.0.0.53"]}, {"code": 15, "value": "corp.example"}]}}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["router"], "10.1.0.1");
    let opts = call(&sim, Method::GET, "/options/scope/10.1.0.0", None)
        .await
        .json;
    let codes: Vec<u64> = opts
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [3, 6, 15, 51]);
    assert_eq!(opts[2]["value"], json!(["corp.example"]));
    let r = call(
        &sim,
        Method::PUT,
        "/options/scope/10.1.0.0/6",
        Some(&json!({"value": ["10.0.0.54", "10.0.0.55"]})),
    )
    .await;
    assert_eq!(r.json["value"], json!(["10.0.0.54", "10.0.0.55"]));
    assert_eq!(
        call(&sim, Method::DELETE, "/options/scope/10.1.0.0/15", None)
            .await
            .status,
        204
    );
    let r = call(
        &sim,
        Method::PUT,
        "/scopes/10.1.0.0",
        Some(&json!({"router": ""})),
    )
    .await;
    assert!(r.json["router"].is_null(), "{}", r.text);
    let r = call(
        &sim,
        Method::PUT,
        "/scopes/10.1.0.0",
        Some(&json!({"options": {"remove": [6]}, "state": "inactive"})),
    )
    .await;
    assert_eq!(r.json["state"], "InActive");
    let opts = call(&sim, Method::GET, "/options/scope/10.1.0.0", None)
        .await
        .json;
    assert_eq!(
        opts.as_array().unwrap().len(),
        1,
        "only option 51 is left: {opts}"
    );
}

#[tokio::test]
async fn state_helpers_change_what_the_api_serves() {
    let sim = start_empty().await;
    let name = sim.servers()[0].name.clone();
    call(
        &sim,
        Method::POST,
        "/scopes",
        Some(&json!({"scope_id": "10.1.0.0", "start_ip": "10.1.0.10",
        "end_ip": "10.1.0.200", "subnet_mask": "255.255.255.0"})),
    )
    .await;
    let sid = Ipv4Addr::new(10, 1, 0, 0);
    let st = sim.state();
    st.add_active_lease(
        &name,
        sid,
        Ipv4Addr::new(10, 1, 0, 20),
        "AA:00:00:00:00:01",
        "pc1",
    )
    .unwrap();
    st.add_active_lease(
        &name,
        sid,
        Ipv4Addr::new(10, 1, 0, 21),
        "aa-00-00-00-00-02",
        "pc2",
    )
    .unwrap();
    assert!(
        st.add_active_lease(
            &name,
            sid,
            Ipv4Addr::new(10, 2, 0, 21),
            "aa-00-00-00-00-03",
            "x"
        )
        .is_err()
    );
    let leases = call(&sim, Method::GET, "/leases", None).await.json;
    assert_eq!(leases.as_array().unwrap().len(), 2);
    assert_eq!(leases[0]["client_id"], "aa-00-00-00-00-01");

    // Reserving the address of an active lease of the same client makes it ActiveReservation.
    st.add_reservation(
        &name,
        sid,
        Reservation {
            ip_address: Ipv4Addr::new(10, 1, 0, 20),
            client_id: "aa-00-00-00-00-01".into(),
            name: "pc1".into(),
            description: String::new(),
            kind: ReservationType::Both,
        },
    )
    .unwrap();
    let leases = call(&sim, Method::GET, "/leases", None).await.json;
    assert_eq!(leases[0]["address_state"], "ActiveReservation");
    assert!(leases[0]["lease_expiry"].is_null());

    assert_eq!(st.expire_leases(&name, Some(sid)).unwrap(), 1);
    let leases = call(&sim, Method::GET, "/leases", None).await.json;
    assert_eq!(
        leases.as_array().unwrap().len(),
        1,
        "the expired lease is hidden by default"
    );
    let all = call(&sim, Method::GET, "/leases?all_states=1", None)
        .await
        .json;
    assert_eq!(all[1]["address_state"], "Expired");

    st.remove_reservation(&name, sid, Ipv4Addr::new(10, 1, 0, 20))
        .unwrap();
    let l =
        st.read(|e| e.servers[0].scopes[&sid].leases[&Ipv4Addr::new(10, 1, 0, 20)].address_state);
    assert_eq!(l, AddressState::Active);
    st.remove_lease(&name, sid, Ipv4Addr::new(10, 1, 0, 20))
        .unwrap();
    assert!(
        st.remove_lease(&name, sid, Ipv4Addr::new(10, 1, 0, 20))
            .is_err()
    );
    st.set_lease_duration(&name, sid, 1800).unwrap();
    assert_eq!(
        call(&sim, Method::GET, "/scopes/10.1.0.0", None).await.json["lease_duration_seconds"],
        1800
    );
    assert!(st.set_lease_duration("nope.example", sid, 1800).is_err());
}
