//! Integration tests of the PSU simulator (one binary, several modules).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth;
mod cli;
mod contract;
mod estate;
mod faults;
mod reads;
mod rules;
mod writes;

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;
use windhcp_psu_simulator::{EstateSpec, RunningSimulator, SimulatorBuilder};

pub(crate) const TOKEN: &str = "test-writer-token";
pub(crate) const READER: &str = "test-reader-token";

/// A small generated estate: one standalone server and one failover pair.
pub(crate) fn small_spec() -> EstateSpec {
    EstateSpec {
        servers: 1,
        failover_pairs: 1,
        scopes: 5,
        leases_per_scope: 12,
        reservations_per_scope: 3,
        seed: 7,
        ..EstateSpec::default()
    }
}

pub(crate) async fn start(spec: &EstateSpec) -> RunningSimulator {
    SimulatorBuilder::new()
        .generated(spec)
        .token(TOKEN)
        .reader_token(READER)
        .start()
        .await
        .unwrap()
}

pub(crate) async fn start_empty() -> RunningSimulator {
    SimulatorBuilder::new()
        .token(TOKEN)
        .reader_token(READER)
        .start()
        .await
        .unwrap()
}

/// A response: status, headers and the body parsed as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub(crate) struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

pub(crate) async fn call_with(
    base: &str,
    token: Option<&str>,
    method: Method,
    path_and_query: &str,
    body: Option<&Value>,
) -> Resp {
    thread_local! {
        // Building a client loads the system roots: once per test thread, not per call.
        static CLIENT: Client = Client::new();
    }
    let client = CLIENT.with(Client::clone);
    let mut req = client.request(method, format!("{base}{path_and_query}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        json,
    }
}

/// Calls the first server with the writer token; `path` is under `/api/dhcp`.
pub(crate) async fn call(
    sim: &RunningSimulator,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Resp {
    call_with(&sim.api_url(), Some(TOKEN), method, path, body).await
}

/// Asserts an error answer with the contract's `{"error": "..."}` body.
pub(crate) fn assert_error(r: &Resp, status: u16) {
    assert_eq!(r.status.as_u16(), status, "body: {}", r.text);
    let msg = r.json.get("error").and_then(Value::as_str);
    assert!(
        msg.is_some_and(|m| !m.is_empty()),
        "error body must be {{\"error\": ...}}: {}",
        r.text
    );
}
