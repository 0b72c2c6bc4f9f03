//! Inclusive IP address ranges (IPv4 or IPv6).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// An inclusive range of addresses `start..=end` of one family.
///
/// Construction ([`IpRange::new`], [`FromStr`], serde) guarantees that `start` and `end` are of
/// the same family and `start <= end`.
///
/// Serde shape: `{"start": "10.0.0.10", "end": "10.0.0.200"}`, validated on deserialisation.
/// [`Display`](fmt::Display) / [`FromStr`] use `start-end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(
    try_from = "crate::wire::IpRangeWire",
    into = "crate::wire::IpRangeWire"
)]
pub struct IpRange {
    start: IpAddr,
    end: IpAddr,
}

/// The address as a 128-bit number (IPv4 in the low 32 bits).
pub(crate) fn ip_to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

pub(crate) fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

impl IpRange {
    /// A validated range: same family, `start <= end`.
    pub fn new(start: IpAddr, end: IpAddr) -> Result<Self, ModelError> {
        if !same_family(start, end) {
            return Err(ModelError::FamilyMismatch {
                field: "range",
                left: start,
                right: end,
            });
        }
        if start > end {
            return Err(ModelError::RangeReversed { start, end });
        }
        Ok(IpRange { start, end })
    }

    /// The range holding exactly one address.
    #[must_use]
    pub fn single(ip: IpAddr) -> Self {
        IpRange { start: ip, end: ip }
    }

    /// First address (inclusive).
    #[must_use]
    pub fn start(&self) -> IpAddr {
        self.start
    }

    /// Last address (inclusive).
    #[must_use]
    pub fn end(&self) -> IpAddr {
        self.end
    }

    /// `true` for an IPv4 range.
    #[must_use]
    pub fn is_ipv4(&self) -> bool {
        self.start.is_ipv4()
    }

    /// `true` if `ip` lies in the range (an address of the other family never does).
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        same_family(self.start, ip) && self.start <= ip && ip <= self.end
    }

    /// `true` if every address of `other` lies in this range.
    #[must_use]
    pub fn contains_range(&self, other: &IpRange) -> bool {
        self.contains(other.start) && self.contains(other.end)
    }

    /// `true` if the ranges share at least one address.
    #[must_use]
    pub fn overlaps(&self, other: &IpRange) -> bool {
        same_family(self.start, other.start) && self.start <= other.end && other.start <= self.end
    }

    /// Number of addresses in the range. Saturates at `u128::MAX` for the one range that has
    /// 2¹²⁸ addresses (`::` to `ffff:…:ffff`).
    #[must_use]
    pub fn len(&self) -> u128 {
        (ip_to_u128(self.end) - ip_to_u128(self.start)).saturating_add(1)
    }

    /// Always `false`: a range holds at least one address. Present for symmetry with `len`.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl fmt::Display for IpRange {
    /// `start-end`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

impl FromStr for IpRange {
    type Err = ModelError;

    /// Parses `start-end` (spaces around the dash allowed) or a single address.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parse = |t: &str, field| {
            t.trim()
                .parse::<IpAddr>()
                .map_err(|_| ModelError::InvalidIpAddress {
                    input: t.trim().to_owned(),
                    field,
                })
        };
        match s.split_once('-') {
            Some((a, b)) => IpRange::new(parse(a, "range start")?, parse(b, "range end")?),
            None if !s.trim().is_empty() => Ok(IpRange::single(parse(s, "range")?)),
            None => Err(ModelError::InvalidRangeSyntax {
                input: s.to_owned(),
            }),
        }
    }
}
