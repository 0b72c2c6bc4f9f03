use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use windhcp_psu_client::{PsuClient, RetryPolicy, Sleeper};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A token distinctive enough to be searched for in output.
pub const TOKEN: &str = "tok-7f3a9c1e-NEVER-PRINT-ME";

/// Records the delays it was asked to sleep, without sleeping.
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    pub delays: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    pub fn delays(&self) -> Vec<Duration> {
        self.delays.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        self.delays.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

/// A mock server whose unmatched requests fail loudly (status 599).
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599).set_body_string("unmatched request in test"))
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

pub fn port_of(server: &MockServer) -> u16 {
    server.address().port()
}

/// A client for the mock server, no retries.
pub fn client(server: &MockServer) -> PsuClient {
    client_with(
        server,
        RetryPolicy::none(),
        Arc::new(RecordingSleeper::default()),
    )
}

pub fn client_with(
    server: &MockServer,
    policy: RetryPolicy,
    sleeper: Arc<RecordingSleeper>,
) -> PsuClient {
    PsuClient::builder("127.0.0.1")
        .port(port_of(server))
        .https(false)
        .token(format!("  {TOKEN}\n"))
        .retry_policy(policy)
        .sleeper(sleeper)
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

pub fn resource(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn sid(s: &str) -> windhcp_dhcp_model::ScopeId {
    s.parse().unwrap()
}

pub fn ip(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}
