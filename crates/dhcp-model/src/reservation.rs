//! Reservations: an address pinned to a client id.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::client_id::ClientId;
use crate::error::ModelError;
use crate::scope::{Scope, ScopeId};

/// Which protocols a reservation answers (Windows `Type`). Serde: `"Dhcp"`, `"Bootp"`, `"Both"`
/// (upper- and lower-case spellings accepted).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum ReservationType {
    /// DHCP only (the Windows default).
    #[default]
    #[serde(alias = "DHCP", alias = "dhcp")]
    Dhcp,
    /// BOOTP only.
    #[serde(alias = "BOOTP", alias = "bootp", alias = "BootP")]
    Bootp,
    /// DHCP and BOOTP.
    #[serde(alias = "BOTH", alias = "both")]
    Both,
}

impl FromStr for ReservationType {
    type Err = ModelError;
    /// Case-insensitive `Dhcp` / `Bootp` / `Both`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dhcp" => Ok(ReservationType::Dhcp),
            "bootp" => Ok(ReservationType::Bootp),
            "both" => Ok(ReservationType::Both),
            _ => Err(ModelError::UnknownKeyword {
                kind: "reservation type",
                input: s.to_owned(),
            }),
        }
    }
}

impl fmt::Display for ReservationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReservationType::Dhcp => "Dhcp",
            ReservationType::Bootp => "Bootp",
            ReservationType::Both => "Both",
        })
    }
}

/// A reservation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reservation {
    /// The scope the address belongs to.
    pub scope_id: ScopeId,
    /// The reserved address.
    pub ip: IpAddr,
    /// The client it is reserved for.
    pub client_id: ClientId,
    /// Windows reservation name.
    #[serde(default)]
    pub name: Option<String>,
    /// Windows reservation description.
    #[serde(default)]
    pub description: Option<String>,
    /// DHCP, BOOTP or both.
    #[serde(default, rename = "type")]
    pub kind: ReservationType,
}

impl Reservation {
    /// Checks that the reservation fits `scope`: same scope id, and the address inside the
    /// scope's prefix but not its IPv4 network or broadcast address. (Windows allows reserving
    /// addresses outside the pool and inside exclusions, so those are accepted.)
    pub fn validate_in(&self, scope: &Scope) -> Result<(), ModelError> {
        if self.scope_id != scope.id()
            || !scope.in_prefix(self.ip)
            || crate::scope::is_v4_network_or_broadcast(&scope.prefix(), self.ip)
        {
            return Err(ModelError::OutOfBounds {
                field: "reservation",
                value: self.ip.to_string(),
                container: format!("scope {} ({})", scope.id(), scope.prefix()),
            });
        }
        Ok(())
    }
}
