//! UTC timestamps in the contract's `yyyy-MM-ddTHH:mm:ssZ` form.

use std::fmt::Write;

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// Appends `secs` (Unix time) as `yyyy-MM-ddTHH:mm:ssZ`.
pub(crate) fn write_utc(out: &mut String, secs: i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
}

/// `secs` (Unix time) as `yyyy-MM-ddTHH:mm:ssZ`.
#[must_use]
pub fn format_utc(secs: i64) -> String {
    let mut s = String::with_capacity(20);
    write_utc(&mut s, secs);
    s
}

/// Parses an RFC 3339 timestamp (the contract form or any offset) to Unix seconds.
pub fn parse_utc(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

/// The current time as Unix seconds.
#[must_use]
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// serde helper for `Option<i64>` Unix seconds stored as contract timestamps.
pub(crate) mod opt_utc {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as `yyyy-MM-ddTHH:mm:ssZ` or null.
    pub(crate) fn serialize<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(t) => s.serialize_str(&super::format_utc(*t)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes from an RFC 3339 string or null.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        match v {
            None => Ok(None),
            Some(s) => super::parse_utc(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("bad timestamp {s:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        for t in [
            0_i64,
            951_782_400,
            1_893_456_000,
            4_102_444_799,
            1_709_164_800,
        ] {
            let s = format_utc(t);
            assert_eq!(parse_utc(&s), Some(t), "{s}");
            let expect = time::OffsetDateTime::from_unix_timestamp(t)
                .ok()
                .and_then(|d| {
                    d.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                });
            assert_eq!(Some(s), expect);
        }
    }
}
