//! Every Windows rule the simulator enforces answers 400 or 409 with `{"error"}`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{assert_error, call, start_empty};

async fn post(
    sim: &windhcp_psu_simulator::RunningSimulator,
    path: &str,
    body: Value,
) -> crate::Resp {
    call(sim, Method::POST, path, Some(&body)).await
}

fn scope(id: &str, start: &str, end: &str, mask: &str) -> Value {
    json!({"scope_id": id, "name": "t", "start_ip": start, "end_ip": end, "subnet_mask": mask})
}

#[tokio::test]
async fn scope_rules() {
    let sim = start_empty().await;
    let ok = post(
        &sim,
        "/scopes",
        scope("10.1.0.0", "10.1.0.10", "10.1.0.200", "255.255.255.0"),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(ok.json["lease_duration_seconds"], 691_200);

    // Missing fields, bad addresses.
    assert_error(
        &post(&sim, "/scopes", json!({"scope_id": "10.2.0.0"})).await,
        400,
    );
    assert_error(
        &post(
            &sim,
            "/scopes",
            scope("10.2.0.0", "10.2.0.300", "10.2.0.20", "255.255.255.0"),
        )
        .await,
        400,
    );
    // Range outside the subnet.
    assert_error(
        &post(
            &sim,
            "/scopes",
            scope("10.2.0.0", "10.2.0.10", "10.2.1.20", "255.255.255.0"),
        )
        .await,
        400,
    );
    // scope_id is not start & mask.
    assert_error(
        &post(
            &sim,
            "/scopes",
            scope("10.2.0.0", "10.3.0.10", "10.3.0.20", "255.255.255.0"),
        )
        .await,
        400,
    );
    // Non-contiguous mask.
    assert_error(
        &post(
            &sim,
            "/scopes",
            scope("10.2.0.0", "10.2.0.10", "10.2.0.20", "255.0.255.0"),
        )
        .await,
        400,
    );
    // start > end.
    assert_error(
        &post(
            &sim,
            "/scopes",
            scope("10.2.0.0", "10.2.0.30", "10.2.0.20", "255.255.255.0"),
        )
        .await,
        400,
    );
    // Network / broadcast address in the range.
    assert_error(
        &post(
            &sim,
            "/scopes",
            scope("10.2.0.0", "10.2.0.0", "10.2.0.20", "255.255.255.0"),
        )
        .await,
        400,
    );
    assert_error(
        &post(
            &sim,
            "/scopes",
            scope("10.2.0.0", "10.2.0.1", "10.2.0.255", "255.255.255.0"),
        )
        .await,
        400,
    );
    // Same scope again, and an overlapping (bigger) subnet.
    assert_error(
        &post(
            &sim,
            "/scopes",
            scope("10.1.0.0", "10.1.0.10", "10.1.0.200", "255.255.255.0"),
        )
        .await,
        409,
    );
    assert_error(
        &post(
            &sim,
            "/scopes",
            scope("10.0.0.0", "10.0.0.10", "10.0.0.200", "255.254.0.0"),
        )
        .await,
        409,
    );
    // Bad state, bad lease duration.
    let mut b = scope("10.5.0.0", "10.5.0.10", "10.5.0.20", "255.255.255.0");
    b["state"] = json!("Sleeping");
    assert_error(&post(&sim, "/scopes", b).await, 400);
    let mut b = scope("10.5.0.0", "10.5.0.10", "10.5.0.20", "255.255.255.0");
    b["lease_duration_seconds"] = json!(5_000_000_000_i64);
    assert_error(&post(&sim, "/scopes", b).await, 400);
    // Enrolling into an unknown relationship: 404, and the scope is not left behind.
    let mut b = scope("10.6.0.0", "10.6.0.10", "10.6.0.20", "255.255.255.0");
    b["failover"] = json!({"enroll": "nope"});
    assert_error(&post(&sim, "/scopes", b).await, 404);
    assert_error(
        &call(&sim, Method::GET, "/scopes/10.6.0.0", None).await,
        404,
    );
    // Malformed JSON.
    let r = crate::call_with(
        &sim.api_url(),
        Some(crate::TOKEN),
        Method::PUT,
        "/scopes/10.1.0.0",
        None,
    )
    .await;
    assert_eq!(
        r.status, 200,
        "an empty PUT body changes nothing: {}",
        r.text
    );

    // Shrinking the range past a reservation / exclusion is refused; nothing changes.
    let r = post(&sim, "/reservations", json!({"scope_id": "10.1.0.0", "ip_address": "10.1.0.150", "client_id": "aa:bb:cc:00:00:01"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = call(
        &sim,
        Method::PUT,
        "/scopes/10.1.0.0",
        Some(&json!({"end_ip": "10.1.0.100", "name": "renamed"})),
    )
    .await;
    assert_error(&r, 400);
    let now = call(&sim, Method::GET, "/scopes/10.1.0.0", None).await.json;
    assert_eq!(now["end_ip"], "10.1.0.200");
    assert_eq!(now["name"], "t");
    let r = call(
        &sim,
        Method::PUT,
        "/scopes/10.1.0.0",
        Some(&json!({"start_ip": "10.0.255.10"})),
    )
    .await;
    assert_error(&r, 400);
    assert_error(
        &call(
            &sim,
            Method::PUT,
            "/scopes/10.9.0.0",
            Some(&json!({"name": "x"})),
        )
        .await,
        404,
    );
    assert_error(
        &call(&sim, Method::DELETE, "/scopes/10.9.0.0", None).await,
        404,
    );
}

#[tokio::test]
async fn exclusion_rules() {
    let sim = start_empty().await;
    post(
        &sim,
        "/scopes",
        scope("10.1.0.0", "10.1.0.10", "10.1.0.200", "255.255.255.0"),
    )
    .await;
    let ex = |a: &str, b: &str| json!({"scope_id": "10.1.0.0", "start_ip": a, "end_ip": b});
    let r = post(&sim, "/exclusions", ex("10.1.0.10", "10.1.0.20")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Outside the range, reversed, overlapping, unknown scope, missing field.
    assert_error(
        &post(&sim, "/exclusions", ex("10.1.0.5", "10.1.0.12")).await,
        400,
    );
    assert_error(
        &post(&sim, "/exclusions", ex("10.1.0.190", "10.1.0.220")).await,
        400,
    );
    assert_error(
        &post(&sim, "/exclusions", ex("10.1.0.40", "10.1.0.30")).await,
        400,
    );
    assert_error(
        &post(&sim, "/exclusions", ex("10.1.0.20", "10.1.0.25")).await,
        409,
    );
    assert_error(
        &post(&sim, "/exclusions", ex("10.1.0.10", "10.1.0.20")).await,
        409,
    );
    assert_error(
        &post(
            &sim,
            "/exclusions",
            json!({"scope_id": "10.7.0.0", "start_ip": "10.7.0.1", "end_ip": "10.7.0.2"}),
        )
        .await,
        404,
    );
    assert_error(
        &post(&sim, "/exclusions", json!({"scope_id": "10.1.0.0"})).await,
        400,
    );
    // Delete needs the exact bounds.
    assert_error(
        &call(
            &sim,
            Method::DELETE,
            "/exclusions",
            Some(&ex("10.1.0.10", "10.1.0.19")),
        )
        .await,
        404,
    );
    let r = call(
        &sim,
        Method::DELETE,
        "/exclusions",
        Some(&ex("10.1.0.10", "10.1.0.20")),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_error(
        &call(
            &sim,
            Method::DELETE,
            "/exclusions",
            Some(&ex("10.1.0.10", "10.1.0.20")),
        )
        .await,
        404,
    );
}

#[tokio::test]
async fn reservation_rules() {
    let sim = start_empty().await;
    post(
        &sim,
        "/scopes",
        scope("10.1.0.0", "10.1.0.10", "10.1.0.200", "255.255.255.0"),
    )
    .await;
    post(
        &sim,
        "/scopes",
        scope("10.2.0.0", "10.2.0.10", "10.2.0.200", "255.255.255.0"),
    )
    .await;
    let res = |sid: &str, ip: &str, cid: &str| json!({"scope_id": sid, "ip_address": ip, "client_id": cid});
    let r = post(
        &sim,
        "/reservations",
        res("10.1.0.0", "10.1.0.50", "AA-BB-CC-DD-EE-01"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["client_id"], "aa-bb-cc-dd-ee-01");
    assert_eq!(r.json["type"], "Both");
    // Outside the scope range (but inside the subnet), outside the subnet.
    assert_error(
        &post(
            &sim,
            "/reservations",
            res("10.1.0.0", "10.1.0.250", "aa-bb-cc-dd-ee-02"),
        )
        .await,
        400,
    );
    assert_error(
        &post(
            &sim,
            "/reservations",
            res("10.1.0.0", "10.2.0.50", "aa-bb-cc-dd-ee-02"),
        )
        .await,
        400,
    );
    // Same address twice; same client twice in one scope.
    assert_error(
        &post(
            &sim,
            "/reservations",
            res("10.1.0.0", "10.1.0.50", "aa-bb-cc-dd-ee-02"),
        )
        .await,
        409,
    );
    assert_error(
        &post(
            &sim,
            "/reservations",
            res("10.1.0.0", "10.1.0.51", "aa:bb:cc:dd:ee:01"),
        )
        .await,
        409,
    );
    // The same client in another scope is allowed (Windows allows it).
    let r = post(
        &sim,
        "/reservations",
        res("10.2.0.0", "10.2.0.51", "aabb.ccdd.ee01"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Bad client id, bad type, unknown scope, missing fields.
    assert_error(
        &post(&sim, "/reservations", res("10.1.0.0", "10.1.0.52", "zz-zz")).await,
        400,
    );
    let mut b = res("10.1.0.0", "10.1.0.52", "aa-bb-cc-dd-ee-03");
    b["type"] = json!("Carrier pigeon");
    assert_error(&post(&sim, "/reservations", b).await, 400);
    assert_error(
        &post(
            &sim,
            "/reservations",
            res("10.9.0.0", "10.9.0.52", "aa-bb-cc-dd-ee-03"),
        )
        .await,
        404,
    );
    assert_error(
        &post(&sim, "/reservations", json!({"scope_id": "10.1.0.0"})).await,
        400,
    );
    // The client is reserved in two scopes: PUT/DELETE by client id need scope_id.
    assert_error(
        &call(
            &sim,
            Method::DELETE,
            "/reservations/aa-bb-cc-dd-ee-01",
            None,
        )
        .await,
        409,
    );
    let r = call(
        &sim,
        Method::DELETE,
        "/reservations/AA:BB:CC:DD:EE:01?scope_id=10.2.0.0",
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = call(
        &sim,
        Method::PUT,
        "/reservations/aa-bb-cc-dd-ee-01",
        Some(&json!({"description": "d", "type": "bootp"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["type"], "Bootp");
    assert_eq!(r.json["description"], "d");
    assert_error(
        &call(
            &sim,
            Method::DELETE,
            "/reservations/aa-bb-cc-dd-ee-99",
            None,
        )
        .await,
        404,
    );
}

#[tokio::test]
async fn failover_rules() {
    let sim = start_empty().await;
    post(
        &sim,
        "/scopes",
        scope("10.1.0.0", "10.1.0.10", "10.1.0.200", "255.255.255.0"),
    )
    .await;
    post(
        &sim,
        "/scopes",
        scope("10.2.0.0", "10.2.0.10", "10.2.0.200", "255.255.255.0"),
    )
    .await;
    let fo = |name: &str, ids: Value| json!({"name": name, "partner_server": "dhcp99.corp.example", "scope_ids": ids});
    let r = post(&sim, "/failover", fo("fo1", json!(["10.1.0.0"]))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["load_balance_percent"], 50);
    // A scope belongs to at most one relationship; names are unique.
    assert_error(
        &post(&sim, "/failover", fo("fo2", json!(["10.1.0.0"]))).await,
        409,
    );
    assert_error(
        &post(&sim, "/failover", fo("fo1", json!(["10.2.0.0"]))).await,
        409,
    );
    // A relationship needs a partner and scopes; scopes must exist.
    assert_error(
        &post(
            &sim,
            "/failover",
            json!({"name": "fo3", "scope_ids": ["10.2.0.0"]}),
        )
        .await,
        400,
    );
    assert_error(&post(&sim, "/failover", fo("fo3", json!([]))).await, 400);
    assert_error(
        &post(&sim, "/failover", fo("fo3", json!(["10.9.0.0"]))).await,
        404,
    );
    let mut b = fo("fo3", json!(["10.2.0.0"]));
    b["load_balance_percent"] = json!(150);
    assert_error(&post(&sim, "/failover", b).await, 400);
    let mut b = fo("fo3", json!(["10.2.0.0"]));
    b["enable_auth"] = json!(true);
    assert_error(&post(&sim, "/failover", b).await, 400);
    // A server cannot partner itself.
    let b =
        json!({"name": "fo4", "partner_server": "dhcp01.corp.example", "scope_ids": ["10.2.0.0"]});
    assert_error(&post(&sim, "/failover", b).await, 400);
    // A failover scope cannot be deleted; it can after leaving the relationship.
    assert_error(
        &call(&sim, Method::DELETE, "/scopes/10.1.0.0", None).await,
        409,
    );
    // Enrolling into another relationship while in one: 409; removing from a wrong one: 409.
    assert_error(
        &call(
            &sim,
            Method::PUT,
            "/scopes/10.2.0.0",
            Some(&json!({"name": "changed", "failover": {"remove": "fo1"}})),
        )
        .await,
        409,
    );
    // A failed PUT changes nothing, not even the keys that were valid on their own.
    let now = call(&sim, Method::GET, "/scopes/10.2.0.0", None).await;
    assert_eq!(now.json["name"], "t");
    let r = call(
        &sim,
        Method::PUT,
        "/scopes/10.1.0.0",
        Some(&json!({"failover": {"remove": "fo1"}})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json["failover_name"].is_null());
    assert_eq!(
        call(&sim, Method::DELETE, "/scopes/10.1.0.0", None)
            .await
            .status,
        204
    );
    // Replication of a scope outside any relationship is a conflict.
    assert_error(
        &post(
            &sim,
            "/failover/replicate",
            json!({"scope_ids": ["10.2.0.0"]}),
        )
        .await,
        409,
    );
    assert_error(
        &post(&sim, "/failover/replicate", json!({"scope_ids": []})).await,
        400,
    );
    assert_error(
        &post(&sim, "/failover/nope/replicate", json!({})).await,
        404,
    );
    assert_error(
        &call(&sim, Method::DELETE, "/failover/nope", None).await,
        404,
    );
}

#[tokio::test]
async fn option_rules() {
    let sim = start_empty().await;
    post(
        &sim,
        "/scopes",
        scope("10.1.0.0", "10.1.0.10", "10.1.0.200", "255.255.255.0"),
    )
    .await;
    let put = |code: &str, v: Value| {
        let sim = &sim;
        let path = format!("/options/scope/10.1.0.0/{code}");
        async move { call(sim, Method::PUT, &path, Some(&v)).await }
    };
    assert_error(&put("3", json!({"value": ["not-an-ip"]})).await, 400);
    assert_error(&put("0", json!({"value": ["1"]})).await, 400);
    assert_error(&put("300", json!({"value": ["1"]})).await, 400);
    assert_error(&put("46", json!({"value": ["999"]})).await, 400);
    assert_error(&put("6", json!({"value": []})).await, 400);
    assert_error(&put("1", json!({"value": ["255.0.0.0"]})).await, 400);
    assert_error(&put("200", json!({"value": ["x"]})).await, 404);
    let r = put("51", json!({"value": ["7200"]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let s = call(&sim, Method::GET, "/scopes/10.1.0.0", None).await.json;
    assert_eq!(s["lease_duration_seconds"], 7200);
    assert_error(
        &call(&sim, Method::DELETE, "/options/scope/10.1.0.0/6", None).await,
        404,
    );
    assert_error(
        &call(&sim, Method::DELETE, "/options/scope/10.1.0.0/51", None).await,
        400,
    );
}
