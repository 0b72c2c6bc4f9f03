//! Leases as Windows reports them (`Get-DhcpServerv4Lease`).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use crate::client_id::ClientId;
use crate::error::ModelError;
use crate::scope::ScopeId;

/// A lease's `AddressState` as Windows reports it (`Get-DhcpServerv4Lease`).
///
/// The named variants are the six values Microsoft documents for the `DhcpServerv4Lease` class
/// (`Offered`, `Active`, `Declined`, `Expired`, `ActiveReservation`, `InactiveReservation`).
/// Anything else a server may report (for example failover or DNS clean-up sub-states on newer
/// builds) is kept verbatim in `Other`, so it round-trips and is never mistaken for an active
/// lease. Known names parse case-insensitively. Serde: the Windows name as a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AddressState {
    /// Leased to a client.
    Active,
    /// Offered to a client that has not yet requested it.
    Offered,
    /// Declined by a client (it found the address in use).
    Declined,
    /// Lease expired; kept for the grace period before deletion.
    Expired,
    /// A reservation currently in use by its client.
    ActiveReservation,
    /// A reservation not currently in use.
    InactiveReservation,
    /// Any other state, verbatim.
    Other(String),
}

const NAMES: &[(&str, AddressState)] = &[
    ("Active", AddressState::Active),
    ("Offered", AddressState::Offered),
    ("Declined", AddressState::Declined),
    ("Expired", AddressState::Expired),
    ("ActiveReservation", AddressState::ActiveReservation),
    ("InactiveReservation", AddressState::InactiveReservation),
];

impl AddressState {
    /// The Windows name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        if let AddressState::Other(s) = self {
            return s;
        }
        NAMES
            .iter()
            .find(|(_, st)| st == self)
            .map_or("", |(n, _)| n)
    }

    /// `true` only when a client holds the address right now: `Active` and
    /// `ActiveReservation`. Offered, declined, expired, inactive reservations and unknown
    /// states are not active.
    #[must_use]
    pub fn is_active(&self) -> bool {
        matches!(self, AddressState::Active | AddressState::ActiveReservation)
    }

    /// `true` for `ActiveReservation` and `InactiveReservation`, and for an unknown state whose
    /// name contains `Reservation` (a reservation in some sub-state is still a reservation).
    #[must_use]
    pub fn is_reservation(&self) -> bool {
        match self {
            AddressState::ActiveReservation | AddressState::InactiveReservation => true,
            AddressState::Other(s) => s.to_ascii_lowercase().contains("reservation"),
            _ => false,
        }
    }
}

impl FromStr for AddressState {
    type Err = std::convert::Infallible;

    /// Never fails: unknown names become `Other`. Case-insensitive for known names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Ok(NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(t))
            .map_or_else(|| AddressState::Other(t.to_owned()), |(_, st)| st.clone()))
    }
}

impl fmt::Display for AddressState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AddressState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AddressState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let Ok(st) = s.parse();
        Ok(st)
    }
}

/// A lease (including reservations in use, which Windows lists as leases too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The scope the address belongs to.
    pub scope_id: ScopeId,
    /// The leased address.
    pub ip: IpAddr,
    /// The client, if Windows reports one.
    #[serde(default)]
    pub client_id: Option<ClientId>,
    /// The client's host name (`None` when blank).
    #[serde(default)]
    pub hostname: Option<String>,
    /// Windows' state.
    pub address_state: AddressState,
    /// When the lease expires; `None` for reservations and unlimited leases. RFC 3339 in serde.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Windows lease description.
    #[serde(default)]
    pub description: Option<String>,
}

impl Lease {
    /// `true` if the state is active and the lease has not expired at `now`
    /// (a lease without expiry counts as not expired).
    #[must_use]
    pub fn is_active_at(&self, now: OffsetDateTime) -> bool {
        self.address_state.is_active() && self.expires_at.is_none_or(|e| e > now)
    }

    /// Checks that the address is of the scope id's family.
    pub fn validate(&self) -> Result<(), ModelError> {
        if crate::range::same_family(self.ip, self.scope_id.0) {
            Ok(())
        } else {
            Err(ModelError::FamilyMismatch {
                field: "lease address and scope id",
                left: self.ip,
                right: self.scope_id.0,
            })
        }
    }
}
