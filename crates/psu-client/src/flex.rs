//! Tolerant decoders for the JSON that PowerShell actually produces.
//!
//! `ConvertTo-Json` output differs between Windows PowerShell 5.1 and PowerShell 7, and between
//! our script's hand-built objects and raw cmdlet output. Each newtype here accepts every
//! spelling we know of and rejects anything else with a message (never a panic):
//!
//! | type | accepts |
//! |---|---|
//! | [`FlexIp`] | `"10.0.0.1"`, `{"IPAddressToString": "10.0.0.1"}`, `{"Address": 16777226}` |
//! | [`FlexDateTime`] | ISO-8601 with or without offset, `"/Date(1714557600000)/"`, `{"value": …}` |
//! | [`FlexSeconds`] | `3600`, `3600.0`, `"3600"`, `"1.02:03:04"`, `"02:03:04.5"`, TimeSpan objects |
//! | [`FlexString`] | strings, numbers and booleans (rendered as text) |
//! | [`FlexBool`] | `true`, `"True"`, `"false"`, `1`, `0` |
//! | [`FlexU32`] | integers and integer strings |
//! | [`OneOrMany`] | an array, a single value, or `null` (empty) |

use std::fmt;
use std::marker::PhantomData;
use std::net::Ipv4Addr;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// .NET ticks (100 ns) per second.
const TICKS_PER_SECOND: i64 = 10_000_000;

/// An IPv4 address in any of PowerShell's spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct FlexIp(pub Ipv4Addr);

/// A point in time in any of PowerShell's spellings (offset-less values are taken as UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlexDateTime(pub OffsetDateTime);

/// A non-negative duration in whole seconds, in any of PowerShell's spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct FlexSeconds(pub u64);

/// Text; numbers and booleans are accepted and rendered as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct FlexString(pub String);

/// A boolean; also `"True"`/`"false"` strings and `0`/`1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct FlexBool(pub bool);

/// An unsigned 32-bit integer; also as a decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct FlexU32(pub u32);

/// A list that PowerShell may have flattened: an array, a single element, or `null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> From<OneOrMany<T>> for Vec<T> {
    fn from(v: OneOrMany<T>) -> Self {
        v.0
    }
}

/// Parses an IPv4 address from a JSON value.
///
/// # Errors
/// A message describing why the value is not an IPv4 address.
pub fn ip_from_value(value: &Value) -> Result<Ipv4Addr, String> {
    match value {
        Value::String(s) => parse_ip(s),
        Value::Object(map) => {
            if let Some(Value::String(s)) = map
                .get("IPAddressToString")
                .or_else(|| map.get("ipAddressToString"))
            {
                return parse_ip(s);
            }
            if let Some(addr) = map.get("Address").and_then(Value::as_u64) {
                // .NET keeps the four network-order bytes in a little-endian integer.
                let addr = u32::try_from(addr)
                    .map_err(|_| format!("IPv4 `Address` {addr} does not fit 32 bits"))?;
                return Ok(Ipv4Addr::from(addr.to_le_bytes()));
            }
            Err("an IP address object needs `IPAddressToString` or `Address`".to_owned())
        }
        other => Err(format!(
            "expected an IPv4 address, found {}",
            kind_of(other)
        )),
    }
}

fn parse_ip(s: &str) -> Result<Ipv4Addr, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{}` is not an IPv4 address", excerpt(s)))
}

/// Parses a PowerShell date: `/Date(ms[+hhmm])/`, ISO-8601 / RFC 3339 with or without an offset
/// (without one it is taken as UTC).
///
/// # Errors
/// A message describing why the text is not a date.
pub fn parse_ps_datetime(text: &str) -> Result<OffsetDateTime, String> {
    let s = text.trim();
    if let Some(inner) = s
        .strip_prefix("/Date(")
        .or_else(|| s.strip_prefix("\\/Date("))
        .and_then(|rest| {
            rest.strip_suffix(")/")
                .or_else(|| rest.strip_suffix(")\\/"))
        })
    {
        // The milliseconds are UTC; a trailing `+hhmm`/`-hhmm` is only informational.
        let digits_end = inner
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '+' || *c == '-')
            .map_or(inner.len(), |(i, _)| i);
        let ms: i64 = inner[..digits_end]
            .parse()
            .map_err(|_| format!("`{}` is not a /Date(ms)/ value", excerpt(s)))?;
        let nanos = i128::from(ms) * 1_000_000;
        return OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .map_err(|_| format!("`{}` is out of range", excerpt(s)));
    }
    if let Ok(dt) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(dt);
    }
    if let Ok(dt) = OffsetDateTime::parse(s, &Iso8601::DEFAULT) {
        return Ok(dt);
    }
    if let Ok(dt) = PrimitiveDateTime::parse(s, &Iso8601::DEFAULT) {
        return Ok(dt.assume_offset(UtcOffset::UTC));
    }
    Err(format!("`{}` is not a recognised date", excerpt(s)))
}

/// Parses a date from a JSON value (string, or a PS 5.1 `{"value": …, "DateTime": …}` object).
///
/// # Errors
/// A message describing why the value is not a date.
pub fn datetime_from_value(value: &Value) -> Result<OffsetDateTime, String> {
    match value {
        Value::String(s) => parse_ps_datetime(s),
        Value::Object(map) => match map.get("value").or_else(|| map.get("Value")) {
            Some(inner @ Value::String(_)) => datetime_from_value(inner),
            _ => Err("a date object needs a string `value`".to_owned()),
        },
        other => Err(format!("expected a date, found {}", kind_of(other))),
    }
}

/// Parses a .NET TimeSpan string `[-][d.]hh:mm[:ss[.fffffff]]` (or plain seconds) into whole
/// seconds (fractions are truncated).
///
/// # Errors
/// A message for malformed or negative spans.
pub fn parse_timespan(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let bad = || format!("`{}` is not a duration", excerpt(s));
    if s.starts_with('-') {
        return Err(format!("negative duration `{}`", excerpt(s)));
    }
    if !s.contains(':') {
        return s.parse::<u64>().map_err(|_| bad());
    }
    let (days, clock) = match s.split_once('.') {
        Some((d, rest)) if !d.contains(':') => (d.parse::<u64>().map_err(|_| bad())?, rest),
        _ => (0, s),
    };
    let mut parts = clock.split(':');
    let hours: u64 = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
    let minutes: u64 = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
    let seconds: u64 = match parts.next() {
        Some(sec) => {
            let whole = sec.split_once('.').map_or(sec, |(w, frac)| {
                if frac.bytes().all(|b| b.is_ascii_digit()) {
                    w
                } else {
                    ""
                }
            });
            whole.parse().map_err(|_| bad())?
        }
        None => 0,
    };
    if parts.next().is_some() || hours > 23 || minutes > 59 || seconds > 59 {
        return Err(bad());
    }
    days.checked_mul(86_400)
        .and_then(|d| d.checked_add(hours * 3600 + minutes * 60 + seconds))
        .ok_or_else(|| format!("duration `{}` is too large", excerpt(s)))
}

/// Parses a duration in seconds from a JSON value: a number, a TimeSpan string, or a TimeSpan
/// object (`Ticks` preferred, then `TotalSeconds`, then `Days`/`Hours`/`Minutes`/`Seconds`).
///
/// # Errors
/// A message for malformed, negative or non-finite durations.
pub fn seconds_from_value(value: &Value) -> Result<u64, String> {
    match value {
        Value::Number(n) => number_to_secs(n),
        Value::String(s) => parse_timespan(s),
        Value::Object(map) => {
            if let Some(ticks) = map.get("Ticks").and_then(Value::as_i64) {
                if ticks < 0 {
                    return Err(format!("negative TimeSpan ({ticks} ticks)"));
                }
                return u64::try_from(ticks / TICKS_PER_SECOND)
                    .map_err(|_| "TimeSpan out of range".to_owned());
            }
            if let Some(Value::Number(n)) = map.get("TotalSeconds") {
                return number_to_secs(n);
            }
            let part = |k: &str| map.get(k).and_then(Value::as_u64);
            match (
                part("Days"),
                part("Hours"),
                part("Minutes"),
                part("Seconds"),
            ) {
                (None, None, None, None) => {
                    Err("a TimeSpan object needs `Ticks` or `TotalSeconds`".to_owned())
                }
                (d, h, m, s) => d
                    .unwrap_or(0)
                    .checked_mul(86_400)
                    .and_then(|x| x.checked_add(h.unwrap_or(0).checked_mul(3600)?))
                    .and_then(|x| x.checked_add(m.unwrap_or(0).checked_mul(60)?))
                    .and_then(|x| x.checked_add(s.unwrap_or(0)))
                    .ok_or_else(|| "TimeSpan out of range".to_owned()),
            }
        }
        other => Err(format!("expected a duration, found {}", kind_of(other))),
    }
}

fn number_to_secs(n: &serde_json::Number) -> Result<u64, String> {
    if let Some(u) = n.as_u64() {
        return Ok(u);
    }
    if n.as_i64().is_some() {
        return Err(format!("negative duration {n}"));
    }
    match n.as_f64() {
        Some(f) if f.is_finite() && (0.0..1.8e19).contains(&f) => {
            // Range checked just above; truncation of the fraction is intended.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let secs = f.trunc() as u64;
            Ok(secs)
        }
        _ => Err(format!("duration {n} is negative or out of range")),
    }
}

/// Renders a scalar as text (strings as-is, numbers and booleans via `to_string`).
///
/// # Errors
/// A message for arrays and objects.
pub fn string_from_value(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("expected text, found {}", kind_of(other))),
    }
}

/// Reads a boolean leniently.
///
/// # Errors
/// A message for anything that is not recognisably true or false.
pub fn bool_from_value(value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(format!("expected a boolean, found {n}")),
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" | "" => Ok(false),
            _ => Err(format!("`{}` is not a boolean", excerpt(s))),
        },
        other => Err(format!("expected a boolean, found {}", kind_of(other))),
    }
}

/// Reads an unsigned 32-bit integer (number or decimal string).
///
/// # Errors
/// A message for anything else or out-of-range values.
pub fn u32_from_value(value: &Value) -> Result<u32, String> {
    let n = match value {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| format!("expected an unsigned integer, found {n}"))?,
        Value::String(s) => s
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("`{}` is not an unsigned integer", excerpt(s)))?,
        other => {
            return Err(format!(
                "expected an unsigned integer, found {}",
                kind_of(other)
            ));
        }
    };
    u32::try_from(n).map_err(|_| format!("{n} does not fit 32 bits"))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn excerpt(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

macro_rules! value_based {
    ($ty:ident, $f:path) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = Value::deserialize(d)?;
                $f(&value).map($ty).map_err(de::Error::custom)
            }
        }
    };
}

value_based!(FlexIp, ip_from_value);
value_based!(FlexDateTime, datetime_from_value);
value_based!(FlexSeconds, seconds_from_value);
value_based!(FlexString, string_from_value);
value_based!(FlexBool, bool_from_value);
value_based!(FlexU32, u32_from_value);

impl Serialize for FlexDateTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.0.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: DeserializeOwned> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array, a single object or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneOrMany(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneOrMany(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(item) = seq.next_element::<T>()? {
                    out.push(item);
                }
                Ok(OneOrMany(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let one = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(OneOrMany(vec![one]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let one = T::deserialize(de::value::StrDeserializer::<E>::new(v))?;
                Ok(OneOrMany(vec![one]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                let one = T::deserialize(de::value::U64Deserializer::<E>::new(v))?;
                Ok(OneOrMany(vec![one]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                let one = T::deserialize(de::value::I64Deserializer::<E>::new(v))?;
                Ok(OneOrMany(vec![one]))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                let one = T::deserialize(de::value::BoolDeserializer::<E>::new(v))?;
                Ok(OneOrMany(vec![one]))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ips() {
        let ten = Ipv4Addr::new(10, 0, 0, 1);
        assert_eq!(ip_from_value(&json!(" 10.0.0.1 ")), Ok(ten));
        assert_eq!(
            ip_from_value(&json!({"IPAddressToString": "10.0.0.1", "Address": 1})),
            Ok(ten)
        );
        assert_eq!(ip_from_value(&json!({"Address": 16_777_226u32})), Ok(ten));
        assert!(ip_from_value(&json!({"Address": 1u64 << 40})).is_err());
        assert!(ip_from_value(&json!("fe80::1")).is_err());
        assert!(ip_from_value(&json!(17)).is_err());
    }

    #[test]
    fn dates() {
        let want = time::macros::datetime!(2024-05-01 10:00:00 UTC);
        for s in [
            "/Date(1714557600000)/",
            "\\/Date(1714557600000)\\/",
            "/Date(1714557600000+0200)/",
            "2024-05-01T10:00:00Z",
            "2024-05-01T12:00:00+02:00",
            "2024-05-01T12:00:00.0000000+02:00",
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:00.0000000",
        ] {
            assert_eq!(parse_ps_datetime(s), Ok(want), "{s}");
        }
        assert_eq!(
            datetime_from_value(&json!({"value": "/Date(1714557600000)/", "DisplayHint": 2})),
            Ok(want)
        );
        assert_eq!(
            parse_ps_datetime("/Date(-1000)/"),
            Ok(time::macros::datetime!(1969-12-31 23:59:59 UTC))
        );
        for bad in [
            "",
            "/Date()/",
            "/Date(abc)/",
            "yesterday",
            "2024-13-01T00:00:00Z",
        ] {
            assert!(parse_ps_datetime(bad).is_err(), "{bad}");
        }
        assert!(datetime_from_value(&json!(5)).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(seconds_from_value(&json!(86_400)), Ok(86_400));
        assert_eq!(seconds_from_value(&json!(90.9)), Ok(90));
        assert_eq!(seconds_from_value(&json!("8.00:00:00")), Ok(691_200));
        assert_eq!(seconds_from_value(&json!("01:02:03")), Ok(3723));
        assert_eq!(seconds_from_value(&json!("1.01:02:03.5000000")), Ok(90_123));
        assert_eq!(seconds_from_value(&json!("00:30")), Ok(1800));
        assert_eq!(seconds_from_value(&json!("3600")), Ok(3600));
        assert_eq!(
            seconds_from_value(&json!({"Ticks": 8_640_000_000_000i64, "Days": 10})),
            Ok(864_000)
        );
        assert_eq!(
            seconds_from_value(&json!({"TotalSeconds": 3600.0})),
            Ok(3600)
        );
        assert_eq!(
            seconds_from_value(&json!({"Days": 1, "Hours": 2, "Minutes": 3, "Seconds": 4})),
            Ok(93_784)
        );
        for bad in [
            json!(-1),
            json!(-0.5),
            json!("-01:00:00"),
            json!("25:00:00"),
            json!("1:2:3:4"),
            json!("abc"),
            json!({"Ticks": -5}),
            json!({}),
            json!(null),
            json!([1]),
        ] {
            assert!(seconds_from_value(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(string_from_value(&json!(12)), Ok("12".to_owned()));
        assert!(string_from_value(&json!([])).is_err());
        assert_eq!(bool_from_value(&json!("True")), Ok(true));
        assert_eq!(bool_from_value(&json!(0)), Ok(false));
        assert!(bool_from_value(&json!(2)).is_err());
        assert_eq!(u32_from_value(&json!("51")), Ok(51));
        assert!(u32_from_value(&json!(-3)).is_err());
        assert!(u32_from_value(&json!(1u64 << 33)).is_err());
    }

    #[test]
    fn one_or_many() {
        let v: OneOrMany<FlexString> = serde_json::from_value(json!(["a", 1])).unwrap();
        assert_eq!(v.0, vec![FlexString("a".into()), FlexString("1".into())]);
        let v: OneOrMany<FlexString> = serde_json::from_value(json!("a")).unwrap();
        assert_eq!(v.0.len(), 1);
        let v: OneOrMany<FlexString> = serde_json::from_value(json!(null)).unwrap();
        assert!(v.0.is_empty());
        let v: OneOrMany<FlexIp> =
            serde_json::from_value(json!({"IPAddressToString": "1.2.3.4"})).unwrap();
        assert_eq!(v.0, vec![FlexIp(Ipv4Addr::new(1, 2, 3, 4))]);
    }
}
