use reqwest::Method;
use serde_json::json;

use crate::{READER, TOKEN, assert_error, call_with, small_spec, start};

#[tokio::test]
async fn missing_or_wrong_token_is_401_and_reader_cannot_write() {
    let sim = start(&small_spec()).await;
    let base = sim.api_url();

    let r = call_with(&base, None, Method::GET, "/scopes", None).await;
    assert_error(&r, 401);
    let r = call_with(&base, Some("nope"), Method::GET, "/scopes", None).await;
    assert_error(&r, 401);
    // A prefix of the right token is still wrong.
    let r = call_with(
        &base,
        Some(&TOKEN[..TOKEN.len() - 1]),
        Method::GET,
        "/health",
        None,
    )
    .await;
    assert_error(&r, 401);
    // The token must never be echoed.
    assert!(!r.text.contains(TOKEN));

    let r = call_with(&base, Some(READER), Method::GET, "/scopes", None).await;
    assert_eq!(r.status, 200);
    let r = call_with(
        &base,
        Some(READER),
        Method::POST,
        "/health",
        Some(&json!({})),
    )
    .await;
    assert_error(&r, 403);
    let r = call_with(
        &base,
        Some(TOKEN),
        Method::POST,
        "/health",
        Some(&json!({})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["status"], "ok");

    // Admin endpoints are protected too.
    let r = call_with(&sim.base_url(), None, Method::GET, "/_sim/faults", None).await;
    assert_error(&r, 401);
}

#[tokio::test]
async fn debug_output_hides_tokens() {
    let sim = start(&small_spec()).await;
    let dbg = format!("{sim:?}");
    assert!(!dbg.contains(TOKEN), "{dbg}");
    assert!(!dbg.contains(READER), "{dbg}");
    assert_eq!(sim.token(), TOKEN);
    assert_eq!(sim.reader_token(), Some(READER));
}
