//! wiremock tests: retries, pagination guards, decode paths, error classes, bulk splitting and
//! the plugin endpoints.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{Value, json};
use windhcp_netbox_client::{
    BulkFailureReason, Error, IpAddress, IpAddressWrite, ListQuery, NetBoxClient, RetryPolicy,
    Token, WriteOptions,
};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::RecordingSleeper;

const TOKEN: &str = "nbt_abcdefghijkl.0123456789abcdef0123456789abcdef01234567";

fn fixture(name: &str, server: &MockServer) -> Value {
    let p = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    serde_json::from_str(&text.replace("{{BASE}}", &server.uri())).unwrap()
}

fn client(server: &MockServer, sleeper: &RecordingSleeper) -> NetBoxClient {
    NetBoxClient::builder(server.uri())
        .token(Token::new(TOKEN))
        .retry(RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        })
        .sleeper(Arc::new(sleeper.clone()))
        .build()
        .unwrap()
}

async fn setup() -> (MockServer, NetBoxClient, RecordingSleeper) {
    let server = MockServer::start().await;
    let sleeper = RecordingSleeper::default();
    let nb = client(&server, &sleeper);
    (server, nb, sleeper)
}

#[tokio::test]
async fn sends_bearer_for_v2_and_retries_429_with_retry_after() {
    let (server, nb, sleeper) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/status/"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/status/"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"netbox-version": "4.7.3"})))
        .mount(&server)
        .await;
    let st = nb.status().await.unwrap();
    assert_eq!(st["netbox-version"], "4.7.3");
    assert_eq!(sleeper.delays(), [Duration::from_secs(7)]);
    assert_eq!(nb.stats().retries, 1);
    assert_eq!(nb.stats().requests, 2);
}

#[tokio::test]
async fn retry_after_as_an_http_date_in_the_past_retries_at_once() {
    // A proxy in front of NetBox may send an HTTP date instead of seconds.
    let (server, nb, sleeper) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/status/"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/status/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"netbox-version": "4.7.3"})))
        .mount(&server)
        .await;
    nb.status().await.unwrap();
    assert_eq!(sleeper.delays(), [Duration::ZERO]);
    assert_eq!(nb.stats().retries, 1);
}

#[tokio::test]
async fn v1_token_uses_token_scheme() {
    let server = MockServer::start().await;
    let v1 = "0123456789abcdef0123456789abcdef01234567";
    Mock::given(method("GET"))
        .and(path("/api/status/"))
        .and(header("authorization", format!("Token {v1}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let nb = NetBoxClient::builder(server.uri())
        .token(Token::new(v1))
        .build()
        .unwrap();
    nb.status().await.unwrap();
}

#[tokio::test]
async fn get_503_backs_off_exponentially_then_gives_up() {
    let (server, nb, sleeper) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/ipam/ip-addresses/5/"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"detail": "maintenance"})))
        .expect(5)
        .mount(&server)
        .await;
    let err = nb.ip_addresses().get(5).await.unwrap_err();
    match err {
        Error::Server {
            status: 503,
            message,
            ..
        } => assert_eq!(message, "maintenance"),
        other => panic!("{other:?}"),
    }
    let ms: Vec<u128> = sleeper.delays().iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [250, 500, 1000, 2000]);
}

#[tokio::test]
async fn writes_are_not_retried_on_503_but_are_on_429() {
    let (server, nb, sleeper) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/ipam/ip-addresses/"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let w = IpAddressWrite::new("10.0.0.1/24".parse().unwrap());
    let err = nb
        .ip_addresses()
        .create(&w, &WriteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(sleeper.delays().is_empty());
    server.verify().await;
    server.reset().await;

    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": 9, "address": "10.0.0.1/24"})),
        )
        .mount(&server)
        .await;
    let ok = nb
        .ip_addresses()
        .create(&w, &WriteOptions::default())
        .await
        .unwrap();
    assert_eq!(ok.value.id, 9);
    assert_eq!(sleeper.delays(), [Duration::from_secs(1)]);
}

#[tokio::test]
async fn pages_are_followed_lazily_and_decoded() {
    let (server, nb, _) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/ipam/ip-addresses/"))
        .and(query_param("offset", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("ip_page_2.json", &server)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/ipam/ip-addresses/"))
        .and(query_param("limit", "1000"))
        .and(query_param(
            "fields",
            windhcp_netbox_client::IP_SYNC_FIELDS.join(",").as_str(),
        ))
        .and(query_param("vrf_id", "null"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("ip_page_1.json", &server)))
        .expect(1)
        .mount(&server)
        .await;
    let q = ListQuery::new().vrf(windhcp_netbox_client::VrfFilter::Global);
    let ips: Vec<IpAddress> = nb.ip_addresses_sync_view(&q).try_collect().await.unwrap();
    assert_eq!(ips.iter().map(|i| i.id).collect::<Vec<_>>(), [11, 12, 13]);
    assert_eq!(ips[1].vrf.as_ref().unwrap().rd.as_deref(), Some("65000:1"));
    assert_eq!(ips[1].dhcp_client_id(), Some("aa-bb-cc-dd-ee-ff"));
    assert_eq!(ips[2].status.as_deref(), Some("reserved"));
}

#[tokio::test]
async fn a_next_loop_is_detected() {
    let (server, nb, _) = setup().await;
    let looping = json!({"count": 4, "next": format!("{}/api/ipam/ip-addresses/?limit=1000", server.uri()),
                         "results": [{"id": 1, "address": "10.0.0.1/32"}]});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(looping))
        .mount(&server)
        .await;
    let mut s = nb.ip_addresses().list(&ListQuery::new());
    assert_eq!(s.try_next().await.unwrap().unwrap().id, 1);
    assert!(matches!(
        s.try_next().await,
        Err(Error::PaginationLoop { .. })
    ));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "the repeated page is not fetched"
    );
}

#[tokio::test]
async fn an_empty_page_pointing_onwards_stops() {
    let (server, nb, _) = setup().await;
    let body = json!({"count": null, "next": format!("{}/api/ipam/ip-addresses/?start=99", server.uri()), "results": []});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let r: Result<Vec<IpAddress>, _> = nb.ip_addresses().list_all(&ListQuery::new()).await;
    assert!(matches!(r, Err(Error::PaginationLoop { .. })));
}

#[tokio::test]
async fn a_foreign_next_is_refused() {
    let (server, nb, _) = setup().await;
    let body = json!({"count": 2, "next": "http://internal-netbox:8080/api/ipam/ip-addresses/?offset=1",
                      "results": [{"id": 1, "address": "10.0.0.1/32"}]});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let err = nb
        .ip_addresses()
        .list_all(&ListQuery::new())
        .await
        .unwrap_err();
    match err {
        Error::ForeignNext { next } => assert!(next.contains("internal-netbox")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    let (server, nb, _) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("ip_page_bad_address.json", &server)),
        )
        .mount(&server)
        .await;
    let err = nb
        .ip_addresses()
        .list_all(&ListQuery::new())
        .await
        .unwrap_err();
    match err {
        Error::Decode {
            json_path, path, ..
        } => {
            assert_eq!(json_path, "results[1].address");
            assert_eq!(path, "api/ipam/ip-addresses/");
        }
        other => panic!("{other:?}"),
    }
}

async fn error_for(status: u16, body: ResponseTemplate) -> Error {
    let (server, nb, _) = setup().await;
    Mock::given(method("PATCH"))
        .respond_with(body)
        .mount(&server)
        .await;
    let _ = status;
    nb.ip_addresses()
        .patch(
            1,
            &IpAddressWrite::default().description("x"),
            &WriteOptions::default(),
        )
        .await
        .unwrap_err()
}

#[tokio::test]
async fn every_error_class() {
    let e = error_for(
        403,
        ResponseTemplate::new(403).set_body_json(json!({"detail": "Invalid v1 token"})),
    )
    .await;
    assert!(matches!(e, Error::Auth { status: 403, .. }), "{e:?}");
    let e = error_for(
        401,
        ResponseTemplate::new(401).set_body_json(json!({"detail": "nope"})),
    )
    .await;
    assert!(matches!(e, Error::Auth { status: 401, .. }), "{e:?}");
    let e = error_for(
        403,
        ResponseTemplate::new(403)
            .set_body_json(json!({"detail": "You do not have permission to perform this action."})),
    )
    .await;
    assert!(matches!(e, Error::Permission { .. }), "{e:?}");
    let e = error_for(
        404,
        ResponseTemplate::new(404).set_body_string("<html><body>Page not found</body></html>"),
    )
    .await;
    match e {
        Error::NotFound { path, detail } => {
            assert_eq!(path, "/api/ipam/ip-addresses/1/");
            assert!(detail.contains("Page not found"));
        }
        other => panic!("{other:?}"),
    }
    let e = error_for(
        400,
        ResponseTemplate::new(400).set_body_json(
            json!({"__all__": ["Invalid value for custom field"], "status": ["bad"]}),
        ),
    )
    .await;
    match e {
        Error::Validation { errors, .. } => {
            assert_eq!(errors.get("__all__"), ["Invalid value for custom field"]);
            assert_eq!(errors.get("status"), ["bad"]);
        }
        other => panic!("{other:?}"),
    }
    let e = error_for(
        400,
        ResponseTemplate::new(400).set_body_json(json!(["bare array message"])),
    )
    .await;
    assert!(
        matches!(&e, Error::Validation { errors, .. } if errors.get("__all__") == ["bare array message"])
    );
    let e = error_for(
        409,
        ResponseTemplate::new(409).set_body_json(json!({"detail": "locked"})),
    )
    .await;
    assert!(
        matches!(e, Error::Conflict { ref detail } if detail == "locked"),
        "{e:?}"
    );
    let e = error_for(
        412,
        ResponseTemplate::new(412)
            .insert_header("ETag", "W/\"2026-01-01T00:00:00+00:00\"")
            .set_body_json(json!({"detail": "Precondition failed."})),
    )
    .await;
    match e {
        Error::PreconditionFailed { current_etag, .. } => {
            assert_eq!(
                current_etag.as_deref(),
                Some("W/\"2026-01-01T00:00:00+00:00\"")
            );
        }
        other => panic!("{other:?}"),
    }
    let long = format!(
        "{{\"error\": \"boom\", \"trace\": \"{}\"}}",
        "x".repeat(5000)
    );
    let e = error_for(500, ResponseTemplate::new(500).set_body_string(long)).await;
    match e {
        Error::Server {
            status: 500,
            message,
            body_excerpt,
            ..
        } => {
            assert_eq!(message, "boom");
            assert!(body_excerpt.chars().count() <= 513);
        }
        other => panic!("{other:?}"),
    }
    let e = error_for(
        415,
        ResponseTemplate::new(415).set_body_json(json!({"detail": "Unsupported media type"})),
    )
    .await;
    assert_eq!(e.status(), Some(415));
}

#[tokio::test]
async fn connect_failure_is_transport_not_sent() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sleeper = RecordingSleeper::default();
    let nb = NetBoxClient::builder(format!("http://127.0.0.1:{port}/"))
        .token(Token::new(TOKEN))
        .retry(RetryPolicy {
            max_retries: 1,
            jitter: false,
            ..RetryPolicy::default()
        })
        .sleeper(Arc::new(sleeper.clone()))
        .build()
        .unwrap();
    let err = nb
        .ip_addresses()
        .delete(3, &WriteOptions::default())
        .await
        .unwrap_err();
    match &err {
        Error::Transport {
            may_have_been_sent,
            method,
            ..
        } => {
            assert!(!may_have_been_sent);
            assert_eq!(method, "DELETE");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        sleeper.delays().len(),
        1,
        "a never-sent write may be retried"
    );
    assert!(
        !format!("{err:?}{err}").contains("0123456789abcdef"),
        "no token in errors"
    );
}

#[tokio::test]
async fn timeouts_are_transport_errors_that_may_have_been_sent() {
    let (server, _, sleeper) = setup().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let nb = NetBoxClient::builder(server.uri())
        .token(Token::new(TOKEN))
        .timeout(Duration::from_millis(200))
        .sleeper(Arc::new(sleeper.clone()))
        .build()
        .unwrap();
    let err = nb
        .ip_addresses()
        .create(
            &IpAddressWrite::new("10.0.0.1/32".parse().unwrap()),
            &WriteOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                may_have_been_sent: true,
                timeout: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        sleeper.delays().is_empty(),
        "a write that may have landed is not retried"
    );
}

#[tokio::test]
async fn writes_carry_changelog_message_and_if_match_and_expose_request_id() {
    let (server, _, _) = setup().await;
    let nb = NetBoxClient::builder(server.uri())
        .token(Token::new(TOKEN))
        .changelog_message("default message")
        .build()
        .unwrap();
    Mock::given(method("PATCH"))
        .and(path("/api/ipam/ip-addresses/4/"))
        .and(header("if-match", "W/\"t1\""))
        .and(body_partial_json(
            json!({"description": "d", "changelog_message": "per call"}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Request-ID", "5b8c7c3e-0000-4000-8000-000000000001")
                .insert_header("ETag", "W/\"t2\"")
                .set_body_json(json!({"id": 4, "address": "10.0.0.4/24", "description": "d"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/ipam/ip-addresses/4/"))
        .and(body_partial_json(
            json!({"changelog_message": "default message"}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let w = nb
        .ip_addresses()
        .patch(
            4,
            &IpAddressWrite::default().description("d"),
            &WriteOptions::message("per call").if_match("W/\"t1\""),
        )
        .await
        .unwrap();
    assert_eq!(
        w.meta.request_id.as_deref(),
        Some("5b8c7c3e-0000-4000-8000-000000000001")
    );
    assert_eq!(w.meta.etag.as_deref(), Some("W/\"t2\""));
    let body: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(
        body.as_object().unwrap().len(),
        2,
        "only the fields we set: {body}"
    );
    nb.ip_addresses()
        .delete(4, &WriteOptions::default())
        .await
        .unwrap();
}

/// A fake bulk endpoint: rejects any list containing a record whose `status` is `"bad"`
/// (structured errors when `structured`, otherwise a plain field error), else echoes the list
/// with ids — in reverse order for PATCH, as NetBox does not keep request order there.
struct FakeBulk {
    structured: bool,
    calls: Arc<AtomicUsize>,
}

impl Respond for FakeBulk {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let items: Vec<Value> = serde_json::from_slice(&req.body).unwrap();
        let bad: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, v)| v["status"] == "bad")
            .map(|(i, _)| i)
            .collect();
        if !bad.is_empty() {
            if self.structured {
                let errors: Vec<Value> = bad
                    .iter()
                    .map(|i| json!({"index": i, "errors": {"status": ["bad is not a valid choice."]}}))
                    .collect();
                return ResponseTemplate::new(400)
                    .set_body_json(json!({"detail": "rejected", "errors": errors}));
            }
            return ResponseTemplate::new(400)
                .set_body_json(json!({"status": ["bad is not a valid choice."]}));
        }
        let mut out: Vec<Value> = items
            .iter()
            .map(|v| {
                let id = v.get("id").and_then(Value::as_u64).unwrap_or_else(|| {
                    let host: u64 = v["address"].as_str().unwrap().split(['.', '/']).nth(3).unwrap().parse().unwrap();
                    1000 + host
                });
                json!({"id": id, "address": v.get("address").cloned().unwrap_or(json!("10.0.0.1/24")),
                       "description": v.get("description").cloned().unwrap_or(json!(""))})
            })
            .collect();
        if req.method.as_str() == "PATCH" {
            out.reverse();
            return ResponseTemplate::new(200).set_body_json(out);
        }
        ResponseTemplate::new(201).set_body_json(out)
    }
}

async fn bulk_with_bad(structured: bool) -> (usize, windhcp_netbox_client::BulkOutcome<IpAddress>) {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/api/ipam/ip-addresses/"))
        .respond_with(FakeBulk {
            structured,
            calls: Arc::clone(&calls),
        })
        .mount(&server)
        .await;
    let nb = NetBoxClient::builder(server.uri())
        .token(Token::new(TOKEN))
        .bulk_chunk(8)
        .build()
        .unwrap();
    let writes: Vec<IpAddressWrite> = (1..=20u32)
        .map(|i| {
            let w = IpAddressWrite::new(format!("10.0.0.{i}/24").parse().unwrap());
            if i == 4 || i == 11 || i == 12 {
                w.status("bad")
            } else {
                w
            }
        })
        .collect();
    let out = nb
        .ip_addresses()
        .bulk_create(&writes, &WriteOptions::default())
        .await
        .unwrap();
    (calls.load(Ordering::SeqCst), out)
}

#[tokio::test]
async fn bulk_drops_named_bad_records_and_resends_the_rest_once() {
    let (calls, out) = bulk_with_bad(true).await;
    assert_eq!(out.succeeded.len(), 17);
    assert_eq!(
        out.failed.iter().map(|f| f.index).collect::<Vec<_>>(),
        [3, 10, 11]
    );
    for f in &out.failed {
        assert!(matches!(&f.reason, BulkFailureReason::Rejected(e) if !e.get("status").is_empty()));
    }
    // chunks [0..8) [8..16) [16..20): two rejected once each, then resent: 3 + 2.
    assert_eq!(calls, 5);
    assert_eq!(out.requests, 5);
    for s in &out.succeeded {
        assert_eq!(
            s.value.id,
            1000 + s.index as u64 + 1,
            "results mapped to input indices"
        );
    }
}

#[tokio::test]
async fn bulk_bisects_when_the_error_names_no_record() {
    let (calls, out) = bulk_with_bad(false).await;
    assert_eq!(out.succeeded.len(), 17);
    assert_eq!(
        out.failed.iter().map(|f| f.index).collect::<Vec<_>>(),
        [3, 10, 11]
    );
    assert!(calls > 5, "bisection needs more requests ({calls})");
    assert!(calls <= 3 + 2 * 3 * 3, "but stays logarithmic ({calls})");
}

#[tokio::test]
async fn bulk_patch_matches_out_of_order_results_by_id() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(FakeBulk {
            structured: true,
            calls: Arc::default(),
        })
        .mount(&server)
        .await;
    let nb = NetBoxClient::builder(server.uri())
        .token(Token::new(TOKEN))
        .build()
        .unwrap();
    let patches: Vec<(u64, IpAddressWrite)> = (0..6u64)
        .map(|i| {
            (
                50 + i,
                IpAddressWrite::default().description(format!("d{i}")),
            )
        })
        .collect();
    let out = nb
        .ip_addresses()
        .bulk_patch(&patches, &WriteOptions::default())
        .await
        .unwrap();
    assert!(out.is_complete());
    for s in &out.succeeded {
        assert_eq!(s.value.id, 50 + s.index as u64);
        assert_eq!(s.value.description, format!("d{}", s.index));
    }
}

#[tokio::test]
async fn bulk_auth_failure_fails_every_record_without_more_requests() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"detail": "Invalid v2 token"})),
        )
        .mount(&server)
        .await;
    let nb = NetBoxClient::builder(server.uri())
        .token(Token::new(TOKEN))
        .bulk_chunk(2)
        .max_concurrency(1)
        .build()
        .unwrap();
    let out = nb
        .ip_addresses()
        .bulk_delete(&[1, 2, 3, 4, 5], &WriteOptions::default())
        .await
        .unwrap();
    assert!(out.succeeded.is_empty());
    assert_eq!(out.failed.len(), 5);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "stops after the auth error"
    );
}

#[tokio::test]
async fn bulk_error_fixture_parses_into_items() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(fixture("bulk_create_errors.json", &server)),
        )
        .mount(&server)
        .await;
    let nb = NetBoxClient::builder(server.uri())
        .token(Token::new(TOKEN))
        .build()
        .unwrap();
    let err = nb
        .ip_addresses()
        .create(&json!({"address": "x"}), &WriteOptions::default())
        .await
        .unwrap_err();
    match err {
        Error::Validation { items, .. } => {
            assert_eq!(items.len(), 2);
            assert_eq!(items[0].index, Some(1));
            assert_eq!(items[1].errors.get("status"), ["x is not a valid choice."]);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn plugin_endpoints_decode() {
    let (server, nb, _) = setup().await;
    for (p, f) in [
        ("/api/plugins/windows-dhcp/scopes/", "plugin_scopes.json"),
        ("/api/plugins/windows-dhcp/servers/", "plugin_servers.json"),
        (
            "/api/plugins/windows-dhcp/failover/",
            "plugin_failover.json",
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(fixture(f, &server)))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/plugins/windows-dhcp/settings/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("plugin_settings.json", &server)),
        )
        .mount(&server)
        .await;
    let plugin = nb.plugin();
    let scopes = plugin.scopes().list_all(&ListQuery::new()).await.unwrap();
    let s = &scopes[0];
    assert_eq!(s.exclusion_ranges.len(), 1);
    assert_eq!(
        s.exclusion_ranges[0].start_ip,
        "10.1.0.20".parse::<std::net::IpAddr>().unwrap()
    );
    assert!(s.exclusion_ranges[0].range().is_ok());
    assert_eq!(s.lifetime().and_then(|l| l.as_secs()), Some(691_200));
    assert_eq!(s.scope_network(), Some("10.1.0.0".parse().unwrap()));
    assert_eq!(s.failover.as_ref().map(|f| f.id), Some(2));
    assert_eq!(
        s.option_values[0]
            .option_definition
            .as_ref()
            .and_then(|d| d.code),
        Some(6)
    );
    assert!(s.range().is_ok());
    let servers = plugin.servers().list_all(&ListQuery::new()).await.unwrap();
    assert_eq!(servers[0].port, Some(443));
    let fo = plugin
        .failovers()
        .list_all(&ListQuery::new())
        .await
        .unwrap();
    assert_eq!(fo[0].secondary_server.as_ref().map(|x| x.id), Some(3));
    assert_eq!(fo[0].state_switchover_interval, None);
    let settings = plugin.settings().await.unwrap().value;
    assert!(settings.sync_ip_addresses);
    assert_eq!(
        settings.sync_protect_tag.map(|t| t.slug),
        Some("protected".to_owned())
    );
}

#[tokio::test]
async fn plugin_writes_and_custom_base_path() {
    let server = MockServer::start().await;
    let nb = NetBoxClient::builder(format!("{}/netbox/", server.uri()))
        .token(Token::new(TOKEN))
        .plugin_path("/api/plugins/dhcp2")
        .build()
        .unwrap();
    Mock::given(method("POST"))
        .and(path("/netbox/api/plugins/dhcp2/exclusion-ranges/"))
        .and(body_partial_json(json!({"scope_id": 5, "start_ip": "10.1.0.20", "end_ip": "10.1.0.29"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"id": 78, "scope": {"id": 5, "name": "Office"}, "start_ip": "10.1.0.20", "end_ip": "10.1.0.29"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/netbox/api/plugins/dhcp2/settings/"))
        .and(body_partial_json(json!({"push_reservations": true})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("plugin_settings.json", &server)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/netbox/api/plugins/dhcp2/servers/"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(
                json!({"detail": "The Windows DHCP plugin API is currently disabled."}),
            ),
        )
        .mount(&server)
        .await;
    let plugin = nb.plugin();
    let w = windhcp_netbox_client::plugin::ExclusionRangeWrite {
        scope_id: Some(5),
        start_ip: Some("10.1.0.20".parse().unwrap()),
        end_ip: Some("10.1.0.29".parse().unwrap()),
    };
    let ex = plugin
        .exclusion_ranges()
        .create(&w, &WriteOptions::default())
        .await
        .unwrap()
        .value;
    assert_eq!(ex.scope.map(|s| s.id), Some(5));
    let mut changes = serde_json::Map::new();
    changes.insert("push_reservations".into(), json!(true));
    plugin
        .update_settings(&changes, &WriteOptions::default())
        .await
        .unwrap();
    let nb_fast = NetBoxClient::builder(format!("{}/netbox/", server.uri()))
        .token(Token::new(TOKEN))
        .plugin_path("api/plugins/dhcp2/")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = nb_fast
        .plugin()
        .servers()
        .list_all(&ListQuery::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Server { status: 503, message, .. } if message.contains("disabled")),
        "{err:?}"
    );
}
