//! Retry timing shared by the netbox-windhcp HTTP clients (`windhcp-psu-client` and
//! `windhcp-netbox-client`).
//!
//! Each client keeps its own retry *policy* (which requests may be repeated, how many times,
//! how jitter is drawn): those rules differ between a PSU endpoint and NetBox. What they share
//! lives here, once:
//!
//! * [`retry_after`] — reading a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an
//!   HTTP date, capped at [`retry_after::MAX_WAIT`];
//! * [`backoff`] — the capped exponential delay `min(base · 2^retry, cap)`;
//! * [`Sleeper`] — how a client waits, injectable so tests never sleep ([`TokioSleeper`] is the
//!   real one).
//!
//! ```
//! use std::time::Duration;
//! use windhcp_http_retry::{backoff, retry_after};
//!
//! assert_eq!(retry_after::parse("120"), Some(Duration::from_secs(120)));
//! let base = Duration::from_millis(250);
//! assert_eq!(backoff(base, 3, Duration::from_secs(5)), Duration::from_secs(2));
//! ```
#![deny(missing_docs)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub mod retry_after;

/// A boxed future that completes after a delay.
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// How a client waits between attempts. Inject a fake in tests so they do not sleep.
pub trait Sleeper: Send + Sync + fmt::Debug {
    /// Returns a future that completes after `delay`.
    fn sleep(&self, delay: Duration) -> SleepFuture;
}

/// The real sleeper: `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, delay: Duration) -> SleepFuture {
        Box::pin(tokio::time::sleep(delay))
    }
}

/// The delay before retry number `retry` (0 = the first retry), without jitter:
/// `min(base · 2^retry, cap)`. Never overflows: a huge `retry` gives `cap`.
#[must_use]
pub fn backoff(base: Duration, retry: u32, cap: Duration) -> Duration {
    let factor = 2u32.checked_pow(retry.min(31)).unwrap_or(u32::MAX);
    base.checked_mul(factor).unwrap_or(cap).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(1);
        let got: Vec<u128> = (0..6).map(|r| backoff(base, r, cap).as_millis()).collect();
        assert_eq!(got, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff(base, u32::MAX, cap), cap);
        assert_eq!(
            backoff(Duration::from_secs(u64::MAX / 2), 5, Duration::MAX),
            Duration::MAX,
            "an overflowing product is capped, not a panic"
        );
        assert_eq!(backoff(Duration::ZERO, 7, cap), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn tokio_sleeper_waits_the_delay() {
        let start = tokio::time::Instant::now();
        TokioSleeper.sleep(Duration::from_secs(3)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }
}
