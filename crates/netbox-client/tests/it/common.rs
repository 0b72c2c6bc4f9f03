//! Shared helpers: the live NetBox gate, unique names, cleanup, a sleeper that records.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use windhcp_netbox_client::{
    ListQuery, NetBoxClient, RetryPolicy, SleepFuture, Sleeper, Token, Vrf, VrfFilter, VrfWrite,
    WriteOptions,
};

/// A client for the real NetBox from `NETBOX_URL`/`NETBOX_TOKEN`, or `None` (test skipped, with
/// a visible message) when it is not configured or not reachable. With
/// `WINDHCP_REQUIRE_NETBOX=1` a missing or unreachable NetBox fails the test instead.
pub(crate) async fn live(test: &str) -> Option<NetBoxClient> {
    live_with_token(test, "NETBOX_TOKEN").await
}

/// Like [`live`], with the token from another variable (e.g. `NETBOX_TOKEN_V1`).
pub(crate) async fn live_with_token(test: &str, token_var: &str) -> Option<NetBoxClient> {
    let require = std::env::var("WINDHCP_REQUIRE_NETBOX").is_ok_and(|v| v == "1");
    let url = std::env::var("NETBOX_URL").ok().filter(|s| !s.is_empty());
    let token = std::env::var(token_var).ok().filter(|s| !s.is_empty());
    let (Some(url), Some(token)) = (url, token) else {
        assert!(
            !require,
            "{test}: WINDHCP_REQUIRE_NETBOX=1 but NETBOX_URL/{token_var} are not set \
             (run `eval \"$(scripts/netbox/netbox-up.sh)\"`)"
        );
        eprintln!(
            "SKIPPED {test}: NETBOX_URL/{token_var} not set (set WINDHCP_REQUIRE_NETBOX=1 to make this a failure)"
        );
        return None;
    };
    let nb = NetBoxClient::builder(url.clone())
        .token(Token::new(token))
        .changelog_message(format!("windhcp-netbox-client it: {test}"))
        .retry(RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        })
        .build()
        .expect("client");
    match nb.status().await {
        Ok(_) => Some(nb),
        Err(e) => {
            assert!(
                !require,
                "{test}: WINDHCP_REQUIRE_NETBOX=1 but NetBox at {url} is not usable: {e}"
            );
            eprintln!("SKIPPED {test}: NetBox at {url} is not usable: {e}");
            None
        }
    }
}

/// A unique, short, test-specific name.
pub(crate) fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..12])
}

/// A private VRF (enforce_unique) for one test.
pub(crate) async fn test_vrf(nb: &NetBoxClient, test: &str) -> Vrf {
    let body = VrfWrite {
        name: Some(unique(test)),
        enforce_unique: Some(true),
        ..VrfWrite::default()
    };
    nb.vrfs()
        .create(&body, &WriteOptions::default())
        .await
        .expect("create vrf")
        .value
}

/// Deletes every IP address, IP range and prefix in these VRFs, then the VRFs.
pub(crate) async fn cleanup(nb: &NetBoxClient, vrfs: &[u64]) {
    let opts = WriteOptions::message("windhcp-netbox-client it: cleanup");
    for &v in vrfs {
        let q = ListQuery::new().vrf(VrfFilter::Id(v));
        let ips: Vec<u64> = nb.ip_addresses().ids(&q).try_collect().await.expect("list");
        let out = nb
            .ip_addresses()
            .bulk_delete(&ips, &opts)
            .await
            .expect("bulk delete");
        assert!(
            out.is_complete(),
            "cleanup left {} IPs, first: {:?}",
            out.failed.len(),
            out.failed.first()
        );
        let ranges: Vec<u64> = nb.ip_ranges().ids(&q).try_collect().await.expect("ranges");
        nb.ip_ranges()
            .bulk_delete(&ranges, &opts)
            .await
            .expect("ranges delete");
        let prefixes: Vec<u64> = nb.prefixes().ids(&q).try_collect().await.expect("prefixes");
        nb.prefixes()
            .bulk_delete(&prefixes, &opts)
            .await
            .expect("prefix delete");
        nb.vrfs().delete(v, &opts).await.expect("delete vrf");
    }
}

/// A sleeper that returns at once and records the delays asked for.
#[derive(Debug, Default, Clone)]
pub(crate) struct RecordingSleeper(pub(crate) Arc<Mutex<Vec<Duration>>>);

impl RecordingSleeper {
    /// The delays requested so far.
    pub(crate) fn delays(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, delay: Duration) -> SleepFuture {
        self.0.lock().unwrap().push(delay);
        Box::pin(async {})
    }
}
