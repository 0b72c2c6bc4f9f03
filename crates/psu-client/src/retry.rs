//! Retry policy: exponential backoff with jitter, `Retry-After`, and an injectable sleeper.
//!
//! The client repeats a request only when it is idempotent **and** the error is transient
//! ([`PsuError::is_retryable`](crate::PsuError::is_retryable)). The delay maths lives in pure
//! functions so it can be tested without clocks.

use std::time::Duration;

/// How often and how patiently the client repeats idempotent requests after transient failures.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts including the first one; `1` disables retries.
    pub max_attempts: u32,
    /// Delay before the first retry (doubled for every further retry).
    pub base_delay: Duration,
    /// Upper bound of a computed backoff delay.
    pub max_delay: Duration,
    /// Fraction of the delay that is randomised (`0.0` = none, `1.0` = "full jitter").
    pub jitter: f64,
    /// Upper bound honoured for a server's `Retry-After`; longer values give up instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts, 250 ms base delay doubling up to 5 s, half jitter, `Retry-After` ≤ 30 s.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
            jitter: 0.5,
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    #[must_use]
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// `max_attempts` attempts with no delay at all (for tests).
    #[must_use]
    pub fn immediate(max_attempts: u32) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            jitter: 0.0,
            max_retry_after: Duration::ZERO,
        }
    }

    /// Backoff before retry number `retry` (0 = first retry), without jitter:
    /// `min(base · 2^retry, max_delay)`.
    #[must_use]
    pub fn backoff(&self, retry: u32) -> Duration {
        windhcp_http_retry::backoff(self.base_delay, retry, self.max_delay)
    }

    /// Backoff with jitter: the last `jitter` fraction of [`backoff`](Self::backoff) is scaled by
    /// `unit` (a random number in `[0, 1)`). With `jitter = 0.5` the delay lies in `[d/2, d)`.
    #[must_use]
    pub fn jittered(&self, retry: u32, unit: f64) -> Duration {
        let full = self.backoff(retry);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let fixed = full.mul_f64(1.0 - jitter);
        fixed + full.saturating_sub(fixed).mul_f64(unit)
    }

    /// The delay before retry number `retry`, or `None` when the server asked for a longer
    /// pause than [`max_retry_after`](Self::max_retry_after) allows. A `Retry-After` takes
    /// precedence over the computed backoff.
    #[must_use]
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, unit: f64) -> Option<Duration> {
        match retry_after {
            Some(ra) if ra > self.max_retry_after => None,
            Some(ra) => Some(ra),
            None => Some(self.jittered(retry, unit)),
        }
    }
}

/// Parses a `Retry-After` header value: delay-seconds (`"120"`, also fractional) or an HTTP date
/// (`"Wed, 21 Oct 2026 07:28:00 GMT"`, as a reverse proxy in front of PSU may send). A date in
/// the past means "now" (zero). Anything else is ignored (`None`). Waits are capped at one day.
/// The parser is shared with the NetBox client ([`windhcp_http_retry::retry_after`]).
#[must_use]
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    windhcp_http_retry::retry_after::parse(value)
}

/// [`parse_retry_after`] with an explicit clock, for HTTP dates.
#[must_use]
pub fn parse_retry_after_at(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    windhcp_http_retry::retry_after::parse_at(value, now)
}

/// How the client waits between attempts (shared with the NetBox client); inject a fake so
/// tests run without real delays.
pub use windhcp_http_retry::Sleeper;
/// The default sleeper: `tokio::time::sleep`.
pub use windhcp_http_retry::TokioSleeper;

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            jitter: 0.5,
            max_retry_after: Duration::from_secs(10),
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = policy();
        let got: Vec<_> = (0..6).map(|r| p.backoff(r).as_millis()).collect();
        assert_eq!(got, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.backoff(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn jitter_bounds() {
        let p = policy();
        assert_eq!(p.jittered(2, 0.0), Duration::from_millis(200));
        assert_eq!(p.jittered(2, 1.0), Duration::from_millis(400));
        assert_eq!(p.jittered(2, 0.5), Duration::from_millis(300));
        assert_eq!(p.jittered(2, f64::NAN), Duration::from_millis(200));
        let none = RetryPolicy { jitter: 0.0, ..p };
        assert_eq!(none.jittered(1, 0.9), Duration::from_millis(200));
        let full = RetryPolicy {
            jitter: 1.0,
            ..none
        };
        assert_eq!(full.jittered(1, 0.25), Duration::from_millis(50));
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let p = policy();
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3)), 0.7),
            Some(Duration::from_secs(3))
        );
        assert_eq!(p.delay(0, Some(Duration::from_secs(11)), 0.7), None);
        assert_eq!(p.delay(1, None, 0.0), Some(Duration::from_millis(100)));
    }

    #[test]
    fn immediate_is_zero() {
        let p = RetryPolicy::immediate(3);
        assert_eq!(p.delay(5, None, 0.9), Some(Duration::ZERO));
        assert_eq!(RetryPolicy::immediate(0).max_attempts, 1);
    }

    #[test]
    fn parses_retry_after() {
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn parses_retry_after_http_dates() {
        let now = time::macros::datetime!(2026-10-21 07:27:30 UTC);
        let at = |v| parse_retry_after_at(v, now);
        assert_eq!(
            at("Wed, 21 Oct 2026 07:28:00 GMT"),
            Some(Duration::from_secs(30))
        );
        // In the past: retry now.
        assert_eq!(at("Wed, 21 Oct 2026 07:00:00 GMT"), Some(Duration::ZERO));
        // Far future: capped at a day.
        assert_eq!(
            at("Thu, 01 Jan 2099 00:00:00 GMT"),
            Some(Duration::from_secs(86_400))
        );
        // Not IMF-fixdate (a zone other than GMT, or no weekday): ignored.
        assert_eq!(at("Wed, 21 Oct 2026 07:28:00 +0200"), None);
        assert_eq!(at("21 Oct 2026 07:28:00 GMT"), None);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a date in the past means: retry now"
        );
    }
}
