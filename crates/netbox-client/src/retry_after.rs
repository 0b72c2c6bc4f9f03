//! Reading a `Retry-After` header (RFC 9110 §10.2.3).
//!
//! NetBox itself sends delay-seconds when it throttles, but the reverse proxies users put in
//! front of it (nginx, a load balancer, an API gateway) may send an HTTP date instead. Both
//! forms are honoured; anything else is ignored and the normal backoff applies.

use std::time::Duration;

use time::OffsetDateTime;

/// Longest wait a header can ask for; larger values are capped (the retry policy applies its own,
/// usually much smaller, cap on top).
const MAX_WAIT: Duration = Duration::from_secs(86_400);

/// Parses a header value against the current clock.
pub(crate) fn parse(value: &str) -> Option<Duration> {
    parse_at(value, OffsetDateTime::now_utc())
}

/// Parses a header value: delay-seconds (fractions allowed) or an IMF-fixdate HTTP date, which
/// is turned into the time left until then (zero when it has passed).
pub(crate) fn parse_at(value: &str, now: OffsetDateTime) -> Option<Duration> {
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
    fn seconds() {
        assert_eq!(parse_at(" 7 ", NOW), Some(Duration::from_secs(7)));
        assert_eq!(parse_at("0.25", NOW), Some(Duration::from_millis(250)));
        assert_eq!(parse_at("-3", NOW), None);
        assert_eq!(parse_at("NaN", NOW), None);
        assert_eq!(parse_at("1e9", NOW), Some(MAX_WAIT));
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_at("Wed, 21 Oct 2026 07:28:00 GMT", NOW),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_at("Wed, 21 Oct 2026 06:00:00 GMT", NOW),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_at("Thu, 01 Jan 2099 00:00:00 GMT", NOW),
            Some(MAX_WAIT)
        );
    }

    #[test]
    fn garbage_is_ignored() {
        assert_eq!(parse_at("", NOW), None);
        assert_eq!(parse_at("later", NOW), None);
        assert_eq!(parse_at("Wed, 21 Oct 2026 07:28:00 +0000", NOW), None);
    }
}
