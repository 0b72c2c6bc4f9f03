//! Lease lifetimes: finite durations in whole seconds, or Windows' explicit "Unlimited".

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ModelError;

/// The DHCP "infinite lease" marker (RFC 2132 §9.2): `0xFFFF_FFFF` seconds.
///
/// Any duration of at least this many seconds cannot be a finite DHCP lease, so
/// [`LeaseLifetime::from_secs`] maps it to [`LeaseLifetime::Unlimited`].
pub const INFINITE_LEASE_SECS: u64 = 0xFFFF_FFFF;

/// How long a lease lasts.
///
/// `Unlimited` is explicit rather than a very large number: Windows shows it as "Unlimited"
/// and hands out `0xFFFFFFFF` on the wire.
///
/// # Serde
///
/// A finite lifetime serialises as its integer number of seconds (`86400`), the unlimited one as
/// the string `"unlimited"`. Deserialisation accepts an integer (through [`LeaseLifetime::from_secs`],
/// so `4294967295` and above become `Unlimited`) or any string [`FromStr`] accepts
/// (`"unlimited"`, `"3 Days"`, `"3600"`).
///
/// ```
/// use windhcp_dhcp_model::lifetime::{LeaseLifetime, LifetimeUnit};
/// let l = LeaseLifetime::from_value_unit(3, LifetimeUnit::Days)?;
/// assert_eq!(l.to_string(), "3 Days");
/// assert_eq!("73 hours".parse::<LeaseLifetime>()?.as_secs(), Some(73 * 3600));
/// # Ok::<(), windhcp_dhcp_model::ModelError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeaseLifetime {
    /// A finite lease of this many seconds. Values of [`INFINITE_LEASE_SECS`] and more cannot
    /// be a finite DHCP lease; [`LeaseLifetime::from_secs`], [`LeaseLifetime::normalize`] and
    /// serde turn them into `Unlimited`, so build lifetimes through those.
    Finite(u64),
    /// A lease that never expires (Windows "Unlimited").
    Unlimited,
}

/// The units a lifetime is entered and shown in, as in the Windows and NetBox UIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LifetimeUnit {
    /// 1 second.
    Seconds,
    /// 60 seconds.
    Minutes,
    /// 3 600 seconds.
    Hours,
    /// 86 400 seconds.
    Days,
}

impl LifetimeUnit {
    /// All units, largest first (the order [`LeaseLifetime::decompose`] tries them in).
    pub const LARGEST_FIRST: [LifetimeUnit; 4] = [
        LifetimeUnit::Days,
        LifetimeUnit::Hours,
        LifetimeUnit::Minutes,
        LifetimeUnit::Seconds,
    ];

    /// Number of seconds in one of this unit.
    #[must_use]
    pub const fn seconds(self) -> u64 {
        match self {
            LifetimeUnit::Seconds => 1,
            LifetimeUnit::Minutes => 60,
            LifetimeUnit::Hours => 3_600,
            LifetimeUnit::Days => 86_400,
        }
    }

    /// The English name, singular (`"Day"`) or plural (`"Days"`) for `count`.
    #[must_use]
    pub const fn label(self, count: u64) -> &'static str {
        let one = count == 1;
        match self {
            LifetimeUnit::Seconds if one => "Second",
            LifetimeUnit::Seconds => "Seconds",
            LifetimeUnit::Minutes if one => "Minute",
            LifetimeUnit::Minutes => "Minutes",
            LifetimeUnit::Hours if one => "Hour",
            LifetimeUnit::Hours => "Hours",
            LifetimeUnit::Days if one => "Day",
            LifetimeUnit::Days => "Days",
        }
    }
}

impl FromStr for LifetimeUnit {
    type Err = ModelError;

    /// Accepts singular or plural English names and the short forms `s`, `m`/`min`, `h`, `d`,
    /// in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" => Ok(LifetimeUnit::Seconds),
            "m" | "min" | "mins" | "minute" | "minutes" => Ok(LifetimeUnit::Minutes),
            "h" | "hr" | "hrs" | "hour" | "hours" => Ok(LifetimeUnit::Hours),
            "d" | "day" | "days" => Ok(LifetimeUnit::Days),
            _ => Err(ModelError::UnknownKeyword {
                kind: "lifetime unit",
                input: s.to_owned(),
            }),
        }
    }
}

impl LeaseLifetime {
    /// One day, the Windows and NetBox default.
    pub const ONE_DAY: LeaseLifetime = LeaseLifetime::Finite(86_400);

    /// A lifetime from a number of seconds. `secs >= 0xFFFF_FFFF` ([`INFINITE_LEASE_SECS`]) is
    /// `Unlimited`, because DHCP cannot express a longer finite lease.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        if secs >= INFINITE_LEASE_SECS {
            LeaseLifetime::Unlimited
        } else {
            LeaseLifetime::Finite(secs)
        }
    }

    /// The canonical form: a `Finite` of [`INFINITE_LEASE_SECS`] or more becomes `Unlimited`.
    #[must_use]
    pub const fn normalize(self) -> Self {
        match self {
            LeaseLifetime::Finite(s) => LeaseLifetime::from_secs(s),
            LeaseLifetime::Unlimited => LeaseLifetime::Unlimited,
        }
    }

    /// Seconds of a finite lifetime; `None` for `Unlimited`.
    #[must_use]
    pub const fn as_secs(self) -> Option<u64> {
        match self {
            LeaseLifetime::Finite(s) => Some(s),
            LeaseLifetime::Unlimited => None,
        }
    }

    /// `true` for [`LeaseLifetime::Unlimited`].
    #[must_use]
    pub const fn is_unlimited(self) -> bool {
        matches!(self, LeaseLifetime::Unlimited)
    }

    /// The lifetime as the DHCP wire value of option 51 (`0xFFFF_FFFF` = unlimited, saturating).
    #[must_use]
    pub fn as_dhcp_secs(self) -> u32 {
        match self {
            LeaseLifetime::Finite(s) => u32::try_from(s).unwrap_or(u32::MAX),
            LeaseLifetime::Unlimited => u32::MAX,
        }
    }

    /// The count and the largest unit that divides the lifetime exactly
    /// (`259200 s` → `(3, Days)`, `262800 s` → `(73, Hours)`, `0 s` → `(0, Seconds)`).
    /// `None` for `Unlimited`.
    #[must_use]
    pub fn decompose(self) -> Option<(u64, LifetimeUnit)> {
        let secs = self.as_secs()?;
        if secs == 0 {
            return Some((0, LifetimeUnit::Seconds));
        }
        LifetimeUnit::LARGEST_FIRST
            .into_iter()
            .find(|u| secs.is_multiple_of(u.seconds()))
            .map(|u| (secs / u.seconds(), u))
    }

    /// `value × unit`, as entered in a form. Fails with [`ModelError::LifetimeOverflow`] if the
    /// product overflows or reaches [`INFINITE_LEASE_SECS`] (use `Unlimited` for that).
    pub fn from_value_unit(value: u64, unit: LifetimeUnit) -> Result<Self, ModelError> {
        match value.checked_mul(unit.seconds()) {
            Some(secs) if secs < INFINITE_LEASE_SECS => Ok(LeaseLifetime::Finite(secs)),
            _ => Err(ModelError::LifetimeOverflow { value, unit }),
        }
    }
}

impl Default for LeaseLifetime {
    /// One day.
    fn default() -> Self {
        LeaseLifetime::ONE_DAY
    }
}

impl fmt::Display for LeaseLifetime {
    /// `"1 Day"`, `"3 Days"`, `"73 Hours"`, `"1 Minute"`, `"45 Seconds"`, `"Unlimited"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.decompose() {
            Some((n, unit)) => write!(f, "{n} {}", unit.label(n)),
            None => f.write_str("Unlimited"),
        }
    }
}

impl FromStr for LeaseLifetime {
    type Err = ModelError;

    /// Parses the [`Display`](fmt::Display) form (`"3 Days"`, `"1 hour"`, `"Unlimited"`, any
    /// case, singular or plural), a value glued to a short unit (`"8h"`), or a bare number of
    /// seconds (`"3600"`). A bare number goes through [`LeaseLifetime::from_secs`]; a number
    /// with a unit through [`LeaseLifetime::from_value_unit`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let bad = |reason| ModelError::InvalidLifetime {
            input: s.to_owned(),
            reason,
        };
        if t.eq_ignore_ascii_case("unlimited") || t.eq_ignore_ascii_case("infinite") {
            return Ok(LeaseLifetime::Unlimited);
        }
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (digits, rest) = t.split_at(split);
        if digits.is_empty() {
            return Err(bad("expected a number or \"Unlimited\""));
        }
        let value: u64 = digits.parse().map_err(|_| bad("number too large"))?;
        let rest = rest.trim();
        if rest.is_empty() {
            return Ok(LeaseLifetime::from_secs(value));
        }
        let unit: LifetimeUnit = rest.parse().map_err(|_| bad("unknown unit"))?;
        LeaseLifetime::from_value_unit(value, unit)
    }
}

impl Serialize for LeaseLifetime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            LeaseLifetime::Finite(s) => serializer.serialize_u64(*s),
            LeaseLifetime::Unlimited => serializer.serialize_str("unlimited"),
        }
    }
}

impl<'de> Deserialize<'de> for LeaseLifetime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = LeaseLifetime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds or \"unlimited\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LeaseLifetime::from_secs(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map(LeaseLifetime::from_secs)
                    .map_err(|_| E::custom(format!("negative lease lifetime {v}")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
