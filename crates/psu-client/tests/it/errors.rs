//! Every error class: status mapping, transport failures, decode paths, configuration, and the
//! token never showing up in Debug/Display/logs.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use windhcp_psu_client::{PsuClient, PsuError, RetryPolicy, ScopeQuery};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{TOKEN, client, server, sid};

async fn answer(status: u16, body: ResponseTemplate) -> PsuError {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/scopes"))
        .respond_with(body)
        .expect(1)
        .mount(&s)
        .await;
    let err = client(&s)
        .list_scopes(ScopeQuery::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(status), "{err:?}");
    assert!(err.may_have_reached_server());
    assert_eq!(err.endpoint().unwrap().to_string(), "GET /api/dhcp/scopes");
    err
}

#[tokio::test]
async fn unauthorized_and_forbidden_carry_a_role_hint() {
    let e = answer(401, ResponseTemplate::new(401)).await;
    assert!(matches!(e, PsuError::Unauthorized { .. }));
    assert!(e.is_auth_error() && !e.is_retryable());
    assert!(e.to_string().contains("app token"));
    let e = answer(403, ResponseTemplate::new(403).set_body_string("Forbidden")).await;
    assert!(matches!(e, PsuError::Forbidden { .. }));
    assert!(e.to_string().contains("DHCPReader"));
}

#[tokio::test]
async fn not_found_conflict_bad_request_use_the_error_envelope() {
    let e = answer(
        404,
        ResponseTemplate::new(404).set_body_json(json!({"error": "Scope not found."})),
    )
    .await;
    assert!(e.is_not_found());
    assert!(e.to_string().contains("Scope not found."));
    let e = answer(
        409,
        ResponseTemplate::new(409).set_body_json(json!({"error": "overlaps 10.1.0.0"})),
    )
    .await;
    assert!(matches!(&e, PsuError::Conflict { message, .. } if message == "overlaps 10.1.0.0"));
    let e = answer(
        400,
        ResponseTemplate::new(400)
            .set_body_json(json!({"error": "'scope_id' must be a valid IPv4 address."})),
    )
    .await;
    assert!(matches!(&e, PsuError::BadRequest { message, .. } if message.contains("valid IPv4")));
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn server_errors_keep_status_message_and_truncated_excerpt() {
    let long = format!("<html>{}</html>", "x".repeat(5000));
    let e = answer(
        500,
        ResponseTemplate::new(500).set_body_string(long.clone()),
    )
    .await;
    let PsuError::Server {
        status,
        body_excerpt,
        message,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*status, 500);
    assert!(body_excerpt.chars().count() <= windhcp_psu_client::error::BODY_EXCERPT_CHARS + 1);
    assert!(body_excerpt.starts_with("<html>xxx"));
    assert_eq!(message, body_excerpt);
    assert!(!e.is_retryable());
    let e = answer(
        503,
        ResponseTemplate::new(503).set_body_json(json!({"error": "DHCP module unavailable"})),
    )
    .await;
    assert!(matches!(&e, PsuError::Server { message, .. } if message == "DHCP module unavailable"));
    assert!(e.is_retryable());
    let e = answer(
        429,
        ResponseTemplate::new(429).insert_header("Retry-After", "7"),
    )
    .await;
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn decode_errors_name_the_json_path_and_the_endpoint() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/leases"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"ip_address": "10.1.0.5", "scope_id": "10.1.0.0", "client_id": "aa-bb-cc-dd-ee-01",
             "hostname": "", "address_state": "Active", "lease_expiry": "2030-01-01T00:00:00Z"},
            {"ip_address": "10.1.0.6", "scope_id": "10.1.0.0", "client_id": "aa-bb-cc-dd-ee-02",
             "hostname": "", "address_state": "Active", "lease_expiry": "next tuesday"},
        ])))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/reservations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"ip_address": "10.1.0.7", "scope_id": "10.1.0.0", "client_id": "not-a-mac!",
             "name": "", "description": "", "type": "Dhcp"},
        ])))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/failover"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>login</html>"))
        .mount(&s)
        .await;
    let c = client(&s);
    let e = c.list_leases(sid("10.1.0.0")).await.unwrap_err();
    let PsuError::Decode {
        path,
        endpoint,
        message,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(path, "[1].lease_expiry");
    assert_eq!(endpoint.path, "/api/dhcp/leases");
    assert!(message.contains("next tuesday"), "{message}");
    assert!(e.to_string().contains("[1].lease_expiry"));

    let e = c.list_reservations(None).await.unwrap_err();
    assert!(
        matches!(&e, PsuError::Decode { path, .. } if path == "[0].client_id"),
        "{e:?}"
    );

    let e = c.list_failovers().await.unwrap_err();
    assert!(matches!(&e, PsuError::Decode { .. }), "{e:?}");
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn unreachable_never_reached_the_server() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = PsuClient::builder("127.0.0.1")
        .port(port)
        .https(false)
        .token(TOKEN)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.health().await.unwrap_err();
    assert!(matches!(e, PsuError::Unreachable { .. }), "{e:?}");
    assert!(!e.may_have_reached_server());
    assert!(e.is_retryable());
    assert!(!format!("{e} {e:?}").contains(TOKEN));
}

#[tokio::test]
async fn slow_answers_time_out() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/health"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&s)
        .await;
    let c = PsuClient::builder("127.0.0.1")
        .port(s.address().port())
        .https(false)
        .request_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.health().await.unwrap_err();
    assert!(
        matches!(
            e,
            PsuError::Timeout {
                during_connect: false,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.may_have_reached_server());
    assert!(e.is_retryable());
}

#[test]
fn invalid_configuration_is_rejected() {
    let cases = [
        PsuClient::builder("").build(),
        PsuClient::builder("https://dhcp01").build(),
        PsuClient::builder("dhcp01/api").build(),
        PsuClient::builder("dhcp01")
            .request_timeout(Duration::ZERO)
            .build(),
        PsuClient::builder("dhcp01")
            .extra_ca_pem("not a pem")
            .build(),
        PsuClient::builder("dhcp01").token("bad\ntoken").build(),
    ];
    for (i, c) in cases.into_iter().enumerate() {
        let e = c.unwrap_err();
        assert!(
            matches!(e, PsuError::InvalidConfig { .. }),
            "case {i}: {e:?}"
        );
        assert!(!e.may_have_reached_server());
    }
    let ok = PsuClient::builder("fe80::1").port(8443).build().unwrap();
    assert_eq!(ok.base_url().as_str(), "https://[fe80::1]:8443/api/dhcp/");
    let ok = PsuClient::builder("dhcp01.corp.example").build().unwrap();
    assert_eq!(
        ok.base_url().as_str(),
        "https://dhcp01.corp.example/api/dhcp/"
    );
}

#[test]
fn from_connection_uses_host_port_scheme_and_token() {
    let mut conn = windhcp_dhcp_model::ServerConnection::new(
        "dhcp01",
        "dhcp01.corp.example",
        windhcp_dhcp_model::Secret::new(TOKEN),
    )
    .unwrap();
    conn.port = 8443;
    conn.https = false;
    let c = PsuClient::from_connection(&conn).unwrap();
    assert_eq!(
        c.base_url().as_str(),
        "http://dhcp01.corp.example:8443/api/dhcp/"
    );
    assert!(!format!("{c:?}").contains(TOKEN));
    conn.host = "https://x".into();
    assert!(matches!(
        PsuClient::from_connection(&conn),
        Err(PsuError::InvalidConfig { .. })
    ));
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once) a global TRACE subscriber writing into a buffer. Global, because a
/// thread-local default races with the callsite-interest cache of concurrently running tests.
fn captured_logs() -> Buf {
    static LOGS: std::sync::OnceLock<Buf> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        buf
    })
    .clone()
}

#[tokio::test]
async fn token_never_in_debug_errors_or_logs() {
    let buf = captured_logs();

    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/api/dhcp/scopes"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"error": "busy"})))
        .mount(&s)
        .await;
    let sleeper = Arc::new(crate::common::RecordingSleeper::default());
    let c = crate::common::client_with(&s, RetryPolicy::immediate(2), sleeper);
    let builder_dbg = format!("{:?}", PsuClient::builder("h").token(TOKEN));
    let err = c.list_scopes(ScopeQuery::default()).await.unwrap_err();
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("psu.request"), "spans were logged: {logs}");
    assert!(logs.contains("status=503"), "status recorded: {logs}");
    assert!(logs.contains("attempt=2"), "attempt recorded: {logs}");
    assert!(
        logs.contains("path=/api/dhcp/scopes"),
        "path recorded: {logs}"
    );
    for text in [
        format!("{c:?}"),
        format!("{err:?}"),
        err.to_string(),
        builder_dbg,
        logs,
    ] {
        assert!(!text.contains(TOKEN), "token leaked in: {text}");
        assert!(!text.contains("NEVER-PRINT"), "token leaked in: {text}");
    }
    assert!(format!("{c:?}").contains("REDACTED"));
}
