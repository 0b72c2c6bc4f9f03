//! DHCP scopes.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ModelError;
use crate::exclusion::ExclusionRange;
use crate::lifetime::LeaseLifetime;
use crate::option::{OptionCode, OptionValue};
use crate::range::{IpRange, same_family};

/// A scope's identity: the network address of its prefix (Windows `ScopeId`).
///
/// `Display`/`FromStr`/serde use the plain address string (`"10.0.0.0"`). Ordered by address
/// (all IPv4 before all IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub IpAddr);

impl ScopeId {
    /// The address.
    #[must_use]
    pub fn ip(self) -> IpAddr {
        self.0
    }
}

impl From<IpAddr> for ScopeId {
    fn from(ip: IpAddr) -> Self {
        ScopeId(ip)
    }
}

impl fmt::Display for ScopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for ScopeId {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse()
            .map(ScopeId)
            .map_err(|_| ModelError::InvalidIpAddress {
                input: s.to_owned(),
                field: "scope id",
            })
    }
}

impl Serialize for ScopeId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ScopeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether the server hands out addresses from the scope.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum ScopeState {
    /// Serving leases (the default).
    #[default]
    #[serde(alias = "active", alias = "ACTIVE")]
    Active,
    /// Defined but not serving.
    #[serde(
        alias = "InActive",
        alias = "inactive",
        alias = "INACTIVE",
        alias = "Disabled"
    )]
    Inactive,
}

impl FromStr for ScopeState {
    type Err = ModelError;
    /// Case-insensitive `Active` / `Inactive` (Windows spells it `InActive`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" => Ok(ScopeState::Active),
            "inactive" | "disabled" => Ok(ScopeState::Inactive),
            _ => Err(ModelError::UnknownKeyword {
                kind: "scope state",
                input: s.to_owned(),
            }),
        }
    }
}

impl fmt::Display for ScopeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScopeState::Active => "Active",
            ScopeState::Inactive => "Inactive",
        })
    }
}

/// Where a scope lives: on one server (standalone), or in a failover relationship.
///
/// Serde uses [`crate::wire::ScopeSourceWire`] `{"server": …, "failover": …}` and rejects both
/// or neither being set, and blank names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(
    try_from = "crate::wire::ScopeSourceWire",
    into = "crate::wire::ScopeSourceWire"
)]
pub enum ScopeSource {
    /// A standalone scope on the named server.
    Server(String),
    /// A scope replicated by the named failover relationship.
    Failover(String),
}

impl fmt::Display for ScopeSource {
    /// `server <name>` or `failover <name>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeSource::Server(n) => write!(f, "server {n}"),
            ScopeSource::Failover(n) => write!(f, "failover {n}"),
        }
    }
}

impl ScopeSource {
    /// The failover relationship name, if the scope is in one.
    #[must_use]
    pub fn failover_name(&self) -> Option<&str> {
        match self {
            ScopeSource::Failover(n) => Some(n),
            ScopeSource::Server(_) => None,
        }
    }

    /// The server name, if the scope is standalone.
    #[must_use]
    pub fn server_name(&self) -> Option<&str> {
        match self {
            ScopeSource::Server(n) => Some(n),
            ScopeSource::Failover(_) => None,
        }
    }
}

/// The mask of a prefix length in the given family (`24` → `255.255.255.0`).
fn mask_of(prefix: &IpNetwork) -> IpAddr {
    prefix.mask()
}

/// The prefix length of a contiguous subnet mask (`255.255.255.0` → 24).
pub fn mask_to_prefix_len(mask: IpAddr) -> Result<u8, ModelError> {
    let (bits, width) = match mask {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32u32),
        IpAddr::V6(v6) => (u128::from(v6), 128u32),
    };
    let ones = bits.leading_ones();
    if bits.checked_shl(ones).unwrap_or(0) != 0 || ones > width {
        return Err(ModelError::NonContiguousMask { mask });
    }
    u8::try_from(ones).map_err(|_| ModelError::NonContiguousMask { mask })
}

/// The prefix of a scope from its id and subnet mask (the form Windows reports), checking that
/// the mask is contiguous, of the id's family, and that the id is the network address.
pub fn prefix_from_id_and_mask(id: ScopeId, mask: IpAddr) -> Result<IpNetwork, ModelError> {
    if !same_family(id.0, mask) {
        return Err(ModelError::FamilyMismatch {
            field: "scope id and subnet mask",
            left: id.0,
            right: mask,
        });
    }
    let len = mask_to_prefix_len(mask)?;
    let net = IpNetwork::new(id.0, len).map_err(|_| ModelError::NonContiguousMask { mask })?;
    if net.network() != id.0 {
        return Err(ModelError::ScopeIdMismatch {
            scope_id: id.0,
            prefix: net.to_string(),
        });
    }
    Ok(net)
}

/// The unvalidated parts of a [`Scope`]: build one, then `Scope::try_from(spec)`.
///
/// This is also the serde shape of `Scope`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSpec {
    /// Must equal `prefix`'s network address.
    pub id: ScopeId,
    /// Scope name; must not be blank.
    pub name: String,
    /// The subnet, in network form (`10.0.0.0/24`, not `10.0.0.5/24`).
    pub prefix: IpNetwork,
    /// The address pool.
    pub range: IpRange,
    /// Option 3, first router. Same family as the prefix.
    #[serde(default)]
    pub router: Option<IpAddr>,
    /// Lease duration.
    #[serde(default)]
    pub lease_lifetime: LeaseLifetime,
    /// Active or inactive.
    #[serde(default)]
    pub state: ScopeState,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// NetBox VRF name of the prefix, if any.
    #[serde(default)]
    pub vrf: Option<String>,
    /// Standalone server or failover relationship; `None` when not yet assigned.
    #[serde(default)]
    pub source: Option<ScopeSource>,
    /// Scope option values, excluding options 1, 3 and 51 of the default class.
    #[serde(default)]
    pub options: Vec<OptionValue>,
    /// Exclusion ranges.
    #[serde(default)]
    pub exclusions: Vec<IpRange>,
}

impl ScopeSpec {
    /// A spec with the id derived from `prefix` and defaults for everything else (no router,
    /// one-day lease, active, no description, VRF, source, options or exclusions).
    #[must_use]
    pub fn new(name: impl Into<String>, prefix: IpNetwork, range: IpRange) -> Self {
        ScopeSpec {
            id: ScopeId(prefix.network()),
            name: name.into(),
            prefix,
            range,
            router: None,
            lease_lifetime: LeaseLifetime::default(),
            state: ScopeState::Active,
            description: String::new(),
            vrf: None,
            source: None,
            options: Vec::new(),
            exclusions: Vec::new(),
        }
    }
}

/// `true` if `ip` is the network or broadcast address of an IPv4 prefix of length ≤ 30
/// (addresses no client can hold).
pub(crate) fn is_v4_network_or_broadcast(prefix: &IpNetwork, ip: IpAddr) -> bool {
    match prefix {
        IpNetwork::V4(v4) if v4.prefix() <= 30 => {
            ip == IpAddr::V4(v4.network()) || ip == IpAddr::V4(v4.broadcast())
        }
        _ => false,
    }
}

/// A validated DHCP scope.
///
/// Rules checked by [`Scope::try_from`] (and by deserialisation):
/// * `name` is not blank (it is trimmed);
/// * `prefix` is in network form and `id` is its network address; the mask is derived from it
///   ([`Scope::mask`]), so it is contiguous by construction;
/// * `range` lies inside `prefix`, same family; for IPv4 prefixes up to /30 the range must not
///   include the network or broadcast address (Windows refuses such pools);
/// * `router`, if set, is of the prefix's family (it is **not** required to lie in the prefix:
///   Windows accepts such routers and the sync must be able to read them);
/// * `options` hold at most one value per (code, vendor class, user class), and none for options
///   1 (mask, from `prefix`), 3 (router, from `router`) or 51 (lease time, from `lease_lifetime`)
///   in the default class — each fact has one home;
/// * `exclusions` lie inside `range` and do not overlap; they are stored sorted.
///
/// Options are stored sorted by (code, vendor class, user class) and exclusions by address, so
/// two scopes with the same content compare equal whatever order they were read in.
///
/// Change a scope by `scope.to_spec()`, editing, and `Scope::try_from` again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ScopeSpec", into = "ScopeSpec")]
pub struct Scope {
    spec: ScopeSpec,
}

impl TryFrom<ScopeSpec> for Scope {
    type Error = ModelError;

    fn try_from(mut spec: ScopeSpec) -> Result<Self, Self::Error> {
        spec.name = spec.name.trim().to_owned();
        if spec.name.is_empty() {
            return Err(ModelError::EmptyField {
                field: "scope name",
            });
        }
        let net = spec.prefix.network();
        if spec.prefix.ip() != net {
            return Err(ModelError::PrefixNotNetwork {
                prefix: spec.prefix.to_string(),
                expected: net,
            });
        }
        if spec.id.0 != net {
            return Err(ModelError::ScopeIdMismatch {
                scope_id: spec.id.0,
                prefix: spec.prefix.to_string(),
            });
        }
        if !same_family(spec.range.start(), net) {
            return Err(ModelError::FamilyMismatch {
                field: "scope range and prefix",
                left: spec.range.start(),
                right: net,
            });
        }
        if !(spec.prefix.contains(spec.range.start()) && spec.prefix.contains(spec.range.end())) {
            return Err(ModelError::OutOfBounds {
                field: "scope range",
                value: spec.range.to_string(),
                container: spec.prefix.to_string(),
            });
        }
        if let IpNetwork::V4(v4) = spec.prefix
            && v4.prefix() <= 30
        {
            let (n, b) = (IpAddr::V4(v4.network()), IpAddr::V4(v4.broadcast()));
            if spec.range.contains(n) || spec.range.contains(b) {
                return Err(ModelError::OutOfBounds {
                    field: "scope range",
                    value: spec.range.to_string(),
                    container: format!(
                        "the usable hosts of {} (network and broadcast excluded)",
                        spec.prefix
                    ),
                });
            }
        }
        if let Some(router) = spec.router
            && !same_family(router, net)
        {
            return Err(ModelError::FamilyMismatch {
                field: "router and prefix",
                left: router,
                right: net,
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for o in &spec.options {
            if o.vendor_class().is_none() && o.user_class().is_none() {
                let field = match o.code() {
                    OptionCode::SubnetMask => Some("prefix"),
                    OptionCode::Router => Some("router"),
                    OptionCode::Lease => Some("lease_lifetime"),
                    _ => None,
                };
                if let Some(field) = field {
                    return Err(ModelError::OptionManagedByScope {
                        code: o.code().code(),
                        field,
                    });
                }
            }
            if !seen.insert(o.key()) {
                return Err(ModelError::DuplicateOption {
                    code: o.code().code(),
                    vendor_class: o.vendor_class().map(str::to_owned),
                    user_class: o.user_class().map(str::to_owned),
                });
            }
        }
        spec.options.sort_by(|a, b| a.key().cmp(&b.key()));
        spec.lease_lifetime = spec.lease_lifetime.normalize();
        spec.exclusions.sort();
        for ex in &spec.exclusions {
            if !spec.range.contains_range(ex) {
                return Err(ModelError::OutOfBounds {
                    field: "exclusion",
                    value: ex.to_string(),
                    container: spec.range.to_string(),
                });
            }
        }
        for pair in spec.exclusions.windows(2) {
            if let [a, b] = pair
                && a.overlaps(b)
            {
                return Err(ModelError::Overlap {
                    field: "exclusion",
                    first: a.to_string(),
                    second: b.to_string(),
                });
            }
        }
        spec.vrf = spec
            .vrf
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        Ok(Scope { spec })
    }
}

impl From<Scope> for ScopeSpec {
    fn from(s: Scope) -> Self {
        s.spec
    }
}

impl Scope {
    /// The parts, for editing and re-validating.
    #[must_use]
    pub fn to_spec(&self) -> ScopeSpec {
        self.spec.clone()
    }

    /// The parts, by value.
    #[must_use]
    pub fn into_spec(self) -> ScopeSpec {
        self.spec
    }

    /// The scope id (network address).
    #[must_use]
    pub fn id(&self) -> ScopeId {
        self.spec.id
    }

    /// The name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// The prefix.
    #[must_use]
    pub fn prefix(&self) -> IpNetwork {
        self.spec.prefix
    }

    /// The subnet mask, derived from the prefix (`/24` → `255.255.255.0`).
    #[must_use]
    pub fn mask(&self) -> IpAddr {
        mask_of(&self.spec.prefix)
    }

    /// The address pool.
    #[must_use]
    pub fn range(&self) -> IpRange {
        self.spec.range
    }

    /// The router (option 3), if any.
    #[must_use]
    pub fn router(&self) -> Option<IpAddr> {
        self.spec.router
    }

    /// The lease lifetime.
    #[must_use]
    pub fn lease_lifetime(&self) -> LeaseLifetime {
        self.spec.lease_lifetime
    }

    /// Active or inactive.
    #[must_use]
    pub fn state(&self) -> ScopeState {
        self.spec.state
    }

    /// The description.
    #[must_use]
    pub fn description(&self) -> &str {
        &self.spec.description
    }

    /// The NetBox VRF name, if any.
    #[must_use]
    pub fn vrf(&self) -> Option<&str> {
        self.spec.vrf.as_deref()
    }

    /// Where the scope lives.
    #[must_use]
    pub fn source(&self) -> Option<&ScopeSource> {
        self.spec.source.as_ref()
    }

    /// The failover relationship name, if the scope is in one.
    #[must_use]
    pub fn failover_name(&self) -> Option<&str> {
        self.spec
            .source
            .as_ref()
            .and_then(ScopeSource::failover_name)
    }

    /// Option values (never options 1, 3 or 51 of the default class).
    #[must_use]
    pub fn options(&self) -> &[OptionValue] {
        &self.spec.options
    }

    /// The option value for a default-class code, if set.
    #[must_use]
    pub fn option(&self, code: impl Into<OptionCode>) -> Option<&OptionValue> {
        let code = code.into();
        self.spec
            .options
            .iter()
            .find(|o| o.code() == code && o.vendor_class().is_none() && o.user_class().is_none())
    }

    /// Exclusion ranges, sorted.
    #[must_use]
    pub fn exclusions(&self) -> &[IpRange] {
        &self.spec.exclusions
    }

    /// The exclusions as [`ExclusionRange`]s of this scope.
    pub fn exclusion_ranges(&self) -> impl Iterator<Item = ExclusionRange> + '_ {
        self.spec.exclusions.iter().map(|r| ExclusionRange {
            scope_id: self.spec.id,
            range: *r,
        })
    }

    /// Checks that an exclusion belongs to this scope, lies inside its range and does not
    /// overlap an existing exclusion (an identical one is accepted: adding it is a no-op).
    pub fn validate_exclusion(&self, exclusion: &ExclusionRange) -> Result<(), ModelError> {
        if exclusion.scope_id != self.spec.id {
            return Err(ModelError::OutOfBounds {
                field: "exclusion",
                value: exclusion.range.to_string(),
                container: format!("scope {}", self.spec.id),
            });
        }
        if !self.spec.range.contains_range(&exclusion.range) {
            return Err(ModelError::OutOfBounds {
                field: "exclusion",
                value: exclusion.range.to_string(),
                container: self.spec.range.to_string(),
            });
        }
        if let Some(other) = self
            .spec
            .exclusions
            .iter()
            .find(|e| **e != exclusion.range && e.overlaps(&exclusion.range))
        {
            return Err(ModelError::Overlap {
                field: "exclusion",
                first: exclusion.range.to_string(),
                second: other.to_string(),
            });
        }
        Ok(())
    }

    /// `true` if `ip` is inside the pool and not excluded.
    #[must_use]
    pub fn is_leasable(&self, ip: IpAddr) -> bool {
        self.spec.range.contains(ip) && !self.spec.exclusions.iter().any(|e| e.contains(ip))
    }

    /// `true` if `ip` lies in the scope's prefix.
    #[must_use]
    pub fn in_prefix(&self, ip: IpAddr) -> bool {
        same_family(ip, self.spec.prefix.network()) && self.spec.prefix.contains(ip)
    }
}
