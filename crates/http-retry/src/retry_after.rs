//! Reading a `Retry-After` header (RFC 9110 §10.2.3).
//!
//! NetBox and PSU send delay-seconds when they throttle, but a reverse proxy, load balancer or
//! API gateway in front of them may send an HTTP date instead. Both forms are honoured;
//! anything else is `None`, and the caller's normal backoff applies.

use std::time::Duration;

use time::OffsetDateTime;

/// The longest wait a header can ask for; larger values are capped to it (the clients apply
/// their own, much smaller, limits on top).
pub const MAX_WAIT: Duration = Duration::from_secs(86_400);

/// Parses a header value against the current clock (see [`parse_at`]).
#[must_use]
pub fn parse(value: &str) -> Option<Duration> {
    parse_at(value, OffsetDateTime::now_utc())
}

/// Parses a header value: delay-seconds (`"120"`, fractions allowed) or an IMF-fixdate HTTP
/// date (`"Wed, 21 Oct 2026 07:28:00 GMT"`, the only date form HTTP/1.1 senders may generate),
/// which becomes the time left until `now` reaches it — zero when it has passed. Negative or
/// non-finite numbers and any other text give `None`. Waits are capped at [`MAX_WAIT`].
#[must_use]
pub fn parse_at(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(MAX_WAIT.as_secs_f64())));
    }
    let fixdate = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, fixdate)
        .ok()?
        .assume_utc();
    let wait = at - now;
    Some(if wait.is_negative() {
        Duration::ZERO
    } else {
        Duration::try_from(wait).map_or(MAX_WAIT, |d| d.min(MAX_WAIT))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: OffsetDateTime = time::macros::datetime!(2026-10-21 07:27:30 UTC);

    #[test]
    fn delay_seconds() {
        assert_eq!(parse_at(" 7 ", NOW), Some(Duration::from_secs(7)));
        assert_eq!(parse_at("0", NOW), Some(Duration::ZERO));
        assert_eq!(parse_at("0.25", NOW), Some(Duration::from_millis(250)));
        assert_eq!(parse_at("1e9", NOW), Some(MAX_WAIT));
        assert_eq!(parse_at("-3", NOW), None);
        assert_eq!(parse_at("NaN", NOW), None);
        assert_eq!(parse_at("inf", NOW), None);
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_at("Wed, 21 Oct 2026 07:28:00 GMT", NOW),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_at("Wed, 21 Oct 2026 06:00:00 GMT", NOW),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(
            parse_at("Thu, 01 Jan 2099 00:00:00 GMT", NOW),
            Some(MAX_WAIT)
        );
    }

    #[test]
    fn anything_else_is_ignored() {
        assert_eq!(parse_at("", NOW), None);
        assert_eq!(parse_at("later", NOW), None);
        assert_eq!(parse_at("Wed, 21 Oct 2026 07:28:00 +0000", NOW), None);
        assert_eq!(parse_at("2026-10-21T07:28:00Z", NOW), None);
    }

    #[test]
    fn the_clock_form_agrees_for_seconds() {
        assert_eq!(parse("42"), Some(Duration::from_secs(42)));
        assert_eq!(parse("soon"), None);
    }
}
