//! Retry behaviour: only idempotent requests, only transient failures, delays from the policy
//! or `Retry-After`, recorded by an injected sleeper (no real waiting).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use windhcp_psu_client::{PsuError, RetryPolicy, ScopeCreate, ScopeQuery, ScopeUpdate};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{RecordingSleeper, client_with, server, sid};

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
        jitter: 0.0,
        max_retry_after: Duration::from_secs(10),
    }
}

fn scope_body() -> serde_json::Value {
    json!({"scope_id": "10.1.0.0", "name": "a", "start_ip": "10.1.0.10", "end_ip": "10.1.0.20",
           "subnet_mask": "255.255.255.0", "description": "", "state": "Active",
           "lease_duration_seconds": 3600})
}

async fn flaky(
    s: &MockServer,
    m: &str,
    p: &str,
    failures: u64,
    fail: ResponseTemplate,
    ok: ResponseTemplate,
) {
    Mock::given(method(m))
        .and(path(p))
        .respond_with(fail)
        .up_to_n_times(failures)
        .expect(failures)
        .mount(s)
        .await;
    Mock::given(method(m))
        .and(path(p))
        .respond_with(ok)
        .expect(1)
        .mount(s)
        .await;
}

#[tokio::test]
async fn get_is_retried_with_exponential_backoff() {
    let s = server().await;
    flaky(
        &s,
        "GET",
        "/api/dhcp/scopes",
        2,
        ResponseTemplate::new(503),
        ResponseTemplate::new(200).set_body_json(json!([scope_body()])),
    )
    .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let c = client_with(&s, policy(), sleeper.clone());
    let scopes = c.list_scopes(ScopeQuery::default()).await.unwrap();
    assert_eq!(scopes.len(), 1);
    assert_eq!(
        sleeper.delays(),
        [Duration::from_millis(100), Duration::from_millis(200)]
    );
}

#[tokio::test]
async fn retry_after_is_honoured_for_429() {
    let s = server().await;
    flaky(
        &s,
        "GET",
        "/api/dhcp/health",
        1,
        ResponseTemplate::new(429).insert_header("Retry-After", "3"),
        ResponseTemplate::new(200).set_body_json(json!({"status": "ok", "version": "1"})),
    )
    .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let c = client_with(&s, policy(), sleeper.clone());
    assert!(c.health().await.unwrap().ok);
    assert_eq!(sleeper.delays(), [Duration::from_secs(3)]);
}

#[tokio::test]
async fn too_long_retry_after_gives_up() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/health"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&s)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let e = client_with(&s, policy(), sleeper.clone())
        .health()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn attempts_are_bounded() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/failover"))
        .respond_with(ResponseTemplate::new(502))
        .expect(4)
        .mount(&s)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let e = client_with(&s, policy(), sleeper.clone())
        .list_failovers()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(502));
    assert_eq!(sleeper.delays().len(), 3);
}

#[tokio::test]
async fn post_is_never_retried() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/api/dhcp/scopes"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&s)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let body = ScopeCreate {
        scope_id: "10.1.0.0".parse().unwrap(),
        name: "a".into(),
        start_ip: "10.1.0.10".parse().unwrap(),
        end_ip: "10.1.0.20".parse().unwrap(),
        subnet_mask: "255.255.255.0".parse().unwrap(),
        description: String::new(),
        state: None,
        lease_duration_seconds: None,
        router: None,
        options: None,
        failover: None,
    };
    let e = client_with(&s, policy(), sleeper.clone())
        .create_scope(&body)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert!(e.is_retryable(), "transient, but POST is not idempotent");
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn idempotent_put_and_delete_are_retried() {
    let s = server().await;
    flaky(
        &s,
        "PUT",
        "/api/dhcp/scopes/10.1.0.0",
        1,
        ResponseTemplate::new(504),
        ResponseTemplate::new(200).set_body_json(scope_body()),
    )
    .await;
    flaky(
        &s,
        "DELETE",
        "/api/dhcp/scopes/10.1.0.0",
        1,
        ResponseTemplate::new(503),
        ResponseTemplate::new(204),
    )
    .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let c = client_with(&s, policy(), sleeper.clone());
    let update = ScopeUpdate {
        name: Some("a".into()),
        ..ScopeUpdate::default()
    };
    assert_eq!(
        c.update_scope(sid("10.1.0.0"), &update)
            .await
            .unwrap()
            .name(),
        "a"
    );
    c.delete_scope(sid("10.1.0.0")).await.unwrap();
    assert_eq!(sleeper.delays().len(), 2);
}

#[tokio::test]
async fn permanent_errors_are_not_retried() {
    let s = server().await;
    for status in [400u16, 401, 403, 404, 409, 500] {
        let p = format!("/api/dhcp/scopes/10.{}.0.0", status % 250);
        Mock::given(method("GET"))
            .and(path(p.as_str()))
            .respond_with(ResponseTemplate::new(status))
            .expect(1)
            .mount(&s)
            .await;
    }
    let sleeper = Arc::new(RecordingSleeper::default());
    let c = client_with(&s, policy(), sleeper.clone());
    for status in [400u16, 401, 403, 404, 409, 500] {
        let id = sid(&format!("10.{}.0.0", status % 250));
        let e = c.get_scope(id).await.unwrap_err();
        assert_eq!(e.status(), Some(status));
        assert!(!matches!(e, PsuError::Decode { .. }));
    }
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn connection_refused_is_retried_for_reads() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sleeper = Arc::new(RecordingSleeper::default());
    let c = windhcp_psu_client::PsuClient::builder("127.0.0.1")
        .port(port)
        .https(false)
        .retry_policy(policy())
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    let e = c.health().await.unwrap_err();
    assert!(matches!(e, PsuError::Unreachable { .. }), "{e:?}");
    assert_eq!(sleeper.delays().len(), 3);
}
