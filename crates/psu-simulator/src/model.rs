//! The in-memory Windows DHCP model: one [`ServerState`] per simulated server, grouped in an
//! [`Estate`]. Every mutation goes through a method that enforces the rules Windows enforces.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::error::{SimError, SimResult};

/// `lease_duration_seconds` value meaning "Unlimited" (RFC 2131 infinity, 0xFFFFFFFF).
pub const UNLIMITED_LEASE_SECS: u32 = u32::MAX;

/// Windows' default lease duration for a new scope (8 days).
pub const DEFAULT_LEASE_SECS: u32 = 8 * 86_400;

/// State of a scope (`Active` / `InActive`, spelled as Windows does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ScopeState {
    /// The scope hands out addresses.
    #[default]
    Active,
    /// The scope is disabled.
    InActive,
}

impl ScopeState {
    /// Parses `Active` / `InActive` case-insensitively (also `inactive`, `Disabled` is refused).
    pub fn parse(s: &str) -> SimResult<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" => Ok(Self::Active),
            "inactive" => Ok(Self::InActive),
            _ => Err(SimError::invalid("'state' must be Active or InActive.")),
        }
    }
}

/// Windows `AddressState` of a lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AddressState {
    /// A dynamic lease in use.
    Active,
    /// A lease held by the reserved client.
    ActiveReservation,
    /// A reservation whose client holds no lease.
    InactiveReservation,
    /// Offered, not yet acknowledged.
    Offered,
    /// The client declined the address (conflict detected).
    Declined,
    /// Past its expiry, kept for the grace period.
    Expired,
    /// Released by the client.
    Released,
}

impl AddressState {
    /// Whether the seed's default lease listing returns this state (`Active`, `ActiveReservation`).
    #[must_use]
    pub fn is_listed_by_default(self) -> bool {
        matches!(self, Self::Active | Self::ActiveReservation)
    }
}

/// Which protocols a reservation answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ReservationType {
    /// DHCP only.
    Dhcp,
    /// BOOTP only.
    Bootp,
    /// Both (the Windows default).
    #[default]
    Both,
}

impl ReservationType {
    /// Parses `Dhcp` / `Bootp` / `Both` case-insensitively.
    pub fn parse(s: &str) -> SimResult<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dhcp" => Ok(Self::Dhcp),
            "bootp" => Ok(Self::Bootp),
            "both" => Ok(Self::Both),
            _ => Err(SimError::invalid("'type' must be Dhcp, Bootp or Both.")),
        }
    }
}

/// Failover mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum FailoverMode {
    /// Both servers answer, split by `load_balance_percent`.
    #[default]
    LoadBalance,
    /// One active server, one standby holding `reserve_percent` of the addresses.
    HotStandby,
}

/// Role of a server in a hot-standby relationship.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerRole {
    /// Serves clients.
    Active,
    /// Takes over when the partner is down.
    Standby,
}

impl ServerRole {
    fn other(self) -> Self {
        match self {
            Self::Active => Self::Standby,
            Self::Standby => Self::Active,
        }
    }
}

/// A write-only secret (failover shared secret). Never printed, serialized or returned.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself (for comparisons in the simulator only).
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// An option value on a scope or the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionValue {
    /// Option code 1..=254.
    pub code: u8,
    /// Name from the definition (`""` when unknown).
    #[serde(default)]
    pub name: String,
    /// Windows data type name (`IPv4Address`, `String`, `DWord`, …).
    #[serde(rename = "type")]
    pub data_type: String,
    /// Values as strings.
    pub value: Vec<String>,
    /// Vendor class (`None` = standard).
    #[serde(default)]
    pub vendor_class: Option<String>,
    /// User class (`None` = default).
    #[serde(default)]
    pub user_class: Option<String>,
}

impl OptionValue {
    fn same_slot(&self, code: u8, vendor: Option<&str>, user: Option<&str>) -> bool {
        self.code == code
            && norm_class(self.vendor_class.as_deref()) == norm_class(vendor)
            && norm_class(self.user_class.as_deref()) == norm_class(user)
    }
}

fn norm_class(c: Option<&str>) -> Option<String> {
    c.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
}

/// An exclusion range (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    /// First excluded address.
    pub start_ip: Ipv4Addr,
    /// Last excluded address.
    pub end_ip: Ipv4Addr,
}

/// A reservation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// Reserved address.
    pub ip_address: Ipv4Addr,
    /// Canonical client id (`aa-bb-…`).
    pub client_id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Protocols answered.
    #[serde(rename = "type", default)]
    pub kind: ReservationType,
}

/// A lease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Leased address.
    pub ip_address: Ipv4Addr,
    /// Canonical client id.
    pub client_id: String,
    /// Host name (`""` when none).
    #[serde(default)]
    pub hostname: String,
    /// Windows address state.
    pub address_state: AddressState,
    /// Expiry as Unix seconds (UTC); `None` for no expiry.
    #[serde(default, with = "crate::timefmt::opt_utc")]
    pub lease_expiry: Option<i64>,
}

/// A scope with everything Windows keeps under it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Network address.
    pub scope_id: Ipv4Addr,
    /// Contiguous mask.
    pub subnet_mask: Ipv4Addr,
    /// Range start.
    pub start_ip: Ipv4Addr,
    /// Range end.
    pub end_ip: Ipv4Addr,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// State.
    #[serde(default)]
    pub state: ScopeState,
    /// Lease duration in seconds ([`UNLIMITED_LEASE_SECS`] = unlimited).
    #[serde(default = "default_lease")]
    pub lease_duration_seconds: u32,
    /// Option values (option 51 is derived from the lease duration and not stored).
    #[serde(default)]
    pub options: Vec<OptionValue>,
    /// Exclusion ranges, sorted by start.
    #[serde(default)]
    pub exclusions: Vec<Exclusion>,
    /// Reservations by address.
    #[serde(default, with = "ip_map")]
    pub reservations: BTreeMap<Ipv4Addr, Reservation>,
    /// Leases by address.
    #[serde(default, with = "ip_map")]
    pub leases: BTreeMap<Ipv4Addr, Lease>,
}

fn default_lease() -> u32 {
    DEFAULT_LEASE_SECS
}

/// A failover relationship, as stored on one server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failover {
    /// Relationship name.
    pub name: String,
    /// The partner server's name.
    pub partner_server: String,
    /// Mode.
    #[serde(default)]
    pub mode: FailoverMode,
    /// Member scopes.
    #[serde(default)]
    pub scope_ids: BTreeSet<Ipv4Addr>,
    /// MCLT seconds.
    #[serde(default = "default_mclt")]
    pub max_client_lead_time: u32,
    /// Max response delay seconds (kept for the seed contract).
    #[serde(default = "default_mrd")]
    pub max_response_delay: u32,
    /// Auto state switchover interval seconds, `None` when disabled.
    #[serde(default)]
    pub state_switchover_interval: Option<u32>,
    /// Message authentication on.
    #[serde(default)]
    pub enable_auth: bool,
    /// Shared secret: never serialized.
    #[serde(skip)]
    pub shared_secret: Option<Secret>,
    /// LoadBalance share of this server.
    #[serde(default)]
    pub load_balance_percent: Option<u8>,
    /// HotStandby reserve percent.
    #[serde(default)]
    pub reserve_percent: Option<u8>,
    /// HotStandby role of this server.
    #[serde(default)]
    pub server_role: Option<ServerRole>,
    /// Relationship state (`Normal`, …).
    #[serde(default = "default_fo_state")]
    pub state: String,
}

fn default_mclt() -> u32 {
    3600
}
fn default_mrd() -> u32 {
    30
}
fn default_fo_state() -> String {
    "Normal".to_owned()
}

impl Failover {
    /// The same relationship as the partner stores it (roles and shares mirrored).
    #[must_use]
    pub fn mirrored(&self, this_server: &str) -> Self {
        let mut m = self.clone();
        m.partner_server = this_server.to_owned();
        m.load_balance_percent = self.load_balance_percent.map(|p| 100 - p.min(100));
        m.server_role = self.server_role.map(ServerRole::other);
        m
    }
}

/// One simulated Windows DHCP server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerState {
    /// FQDN of the server (what `primary_server` reports).
    pub name: String,
    /// Scopes by id.
    #[serde(default, with = "ip_map")]
    pub scopes: BTreeMap<Ipv4Addr, Scope>,
    /// Server-level option values.
    #[serde(default)]
    pub server_options: Vec<OptionValue>,
    /// Failover relationships by name.
    #[serde(default, with = "name_map")]
    pub failovers: BTreeMap<String, Failover>,
}

/// Every simulated server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estate {
    /// The servers, in listener order.
    pub servers: Vec<ServerState>,
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Parses a dotted-quad IPv4 address, naming the field in the error.
pub fn parse_ip(field: &str, s: &str) -> SimResult<Ipv4Addr> {
    s.trim()
        .parse::<Ipv4Addr>()
        .map_err(|_| SimError::invalid(format!("'{field}' must be a valid IPv4 address.")))
}

/// Canonical client id (lower-case hex bytes joined by `-`), parsed with
/// [`windhcp_dhcp_model::ClientId`]: `-`, `:`, space or Cisco-dotted separators, any case.
pub fn canonical_client_id(s: &str) -> SimResult<String> {
    windhcp_dhcp_model::ClientId::parse(s)
        .map(|c| c.to_string())
        .map_err(|e| SimError::invalid(format!("'client_id' {s:?} is not a valid client id: {e}")))
}

/// Prefix length of a contiguous mask, or `None`.
#[must_use]
pub fn mask_prefix(mask: Ipv4Addr) -> Option<u32> {
    let m = u32::from(mask);
    let ones = m.leading_ones();
    (m.checked_shl(ones).unwrap_or(0) == 0).then_some(ones)
}

fn u(ip: Ipv4Addr) -> u32 {
    u32::from(ip)
}

/// (name, Windows type) of the option definitions the simulated servers know.
pub const OPTION_CATALOG: &[(u8, &str, &str)] = &[
    (1, "Subnet Mask", "IPv4Address"),
    (2, "Time Offset", "DWord"),
    (3, "Router", "IPv4Address"),
    (4, "Time Server", "IPv4Address"),
    (5, "Name Servers", "IPv4Address"),
    (6, "DNS Servers", "IPv4Address"),
    (12, "Host Name", "String"),
    (15, "DNS Domain Name", "String"),
    (26, "MTU Option", "Word"),
    (28, "Broadcast Address", "IPv4Address"),
    (33, "Static Route Option", "IPv4Address"),
    (42, "NTP Servers", "IPv4Address"),
    (43, "Vendor Specific Info", "BinaryData"),
    (44, "WINS/NBNS Servers", "IPv4Address"),
    (46, "WINS/NBT Node Type", "Byte"),
    (51, "Lease", "DWord"),
    (58, "Renewal (T1) Time Value", "DWord"),
    (59, "Rebinding (T2) Time Value", "DWord"),
    (60, "PXEClient", "String"),
    (66, "Boot Server Host Name", "String"),
    (67, "Bootfile Name", "String"),
    (119, "DNS Domain Search List", "String"),
    (150, "TFTP Server Address", "IPv4Address"),
    (252, "WPAD", "String"),
];

/// Looks an option code up in [`OPTION_CATALOG`].
#[must_use]
pub fn option_definition(code: u8) -> Option<(&'static str, &'static str)> {
    OPTION_CATALOG
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, n, t)| (*n, *t))
}

/// Checks option values against the definition's data type and builds the stored value.
pub fn build_option(
    code: u8,
    values: Vec<String>,
    vendor_class: Option<String>,
    user_class: Option<String>,
) -> SimResult<OptionValue> {
    if code == 0 || code == 255 {
        return Err(SimError::invalid(format!(
            "option code {code} is out of range 1..254."
        )));
    }
    let Some((name, data_type)) = option_definition(code) else {
        return Err(SimError::not_found(format!(
            "option definition {code} does not exist on this server."
        )));
    };
    if values.is_empty() {
        return Err(SimError::invalid(format!(
            "option {code} needs at least one value."
        )));
    }
    for v in &values {
        let ok = match data_type {
            "IPv4Address" => v.trim().parse::<Ipv4Addr>().is_ok(),
            "DWord" => v.trim().parse::<u32>().is_ok(),
            "Word" => v.trim().parse::<u16>().is_ok(),
            "Byte" => v.trim().parse::<u8>().is_ok(),
            "BinaryData" => {
                let h = v.trim().trim_start_matches("0x");
                h.len() % 2 == 0 && h.bytes().all(|b| b.is_ascii_hexdigit())
            }
            _ => true,
        };
        if !ok {
            return Err(SimError::invalid(format!(
                "value {v:?} is not a valid {data_type} for option {code} ({name})."
            )));
        }
    }
    Ok(OptionValue {
        code,
        name: name.to_owned(),
        data_type: data_type.to_owned(),
        value: values,
        vendor_class: vendor_class.filter(|s| !s.trim().is_empty()),
        user_class: user_class.filter(|s| !s.trim().is_empty()),
    })
}

// ---------------------------------------------------------------------------------------------
// Scope rules

impl Scope {
    /// A new scope with no options, exclusions, reservations or leases.
    #[must_use]
    pub fn new(
        scope_id: Ipv4Addr,
        subnet_mask: Ipv4Addr,
        start_ip: Ipv4Addr,
        end_ip: Ipv4Addr,
    ) -> Self {
        Self {
            scope_id,
            subnet_mask,
            start_ip,
            end_ip,
            name: String::new(),
            description: String::new(),
            state: ScopeState::Active,
            lease_duration_seconds: DEFAULT_LEASE_SECS,
            options: Vec::new(),
            exclusions: Vec::new(),
            reservations: BTreeMap::new(),
            leases: BTreeMap::new(),
        }
    }

    /// First address of the subnet.
    #[must_use]
    pub fn network(&self) -> u32 {
        u(self.scope_id)
    }

    /// Last address (broadcast) of the subnet.
    #[must_use]
    pub fn broadcast(&self) -> u32 {
        u(self.scope_id) | !u(self.subnet_mask)
    }

    /// Whether `ip` lies in the distribution range.
    #[must_use]
    pub fn in_range(&self, ip: Ipv4Addr) -> bool {
        (u(self.start_ip)..=u(self.end_ip)).contains(&u(ip))
    }

    /// Whether `ip` lies in the subnet.
    #[must_use]
    pub fn in_subnet(&self, ip: Ipv4Addr) -> bool {
        u(ip) & u(self.subnet_mask) == u(self.scope_id)
    }

    /// Checks mask, range and subnet (the part of the rules that needs no other object).
    pub fn check_range(&self) -> SimResult<()> {
        let Some(prefix) = mask_prefix(self.subnet_mask) else {
            return Err(SimError::invalid(format!(
                "subnet mask {} is not contiguous.",
                self.subnet_mask
            )));
        };
        if prefix == 0 || prefix > 30 {
            return Err(SimError::invalid(format!(
                "subnet mask {} (/{prefix}) is not usable for a scope (/1../30).",
                self.subnet_mask
            )));
        }
        if u(self.scope_id) & u(self.subnet_mask) != u(self.scope_id) {
            return Err(SimError::invalid(format!(
                "scope_id {} is not the network address of its subnet (/{prefix}).",
                self.scope_id
            )));
        }
        if u(self.start_ip) > u(self.end_ip) {
            return Err(SimError::invalid(format!(
                "start_ip {} is after end_ip {}.",
                self.start_ip, self.end_ip
            )));
        }
        let (net, bcast) = (self.network(), self.broadcast());
        for (field, ip) in [("start_ip", self.start_ip), ("end_ip", self.end_ip)] {
            if !self.in_subnet(ip) {
                return Err(SimError::invalid(format!(
                    "{field} {ip} is outside the subnet {}/{prefix}.",
                    self.scope_id
                )));
            }
            if u(ip) == net || u(ip) == bcast {
                return Err(SimError::invalid(format!(
                    "{field} {ip} is the network or broadcast address of {}/{prefix}.",
                    self.scope_id
                )));
            }
        }
        if self.lease_duration_seconds == 0 {
            return Err(SimError::invalid("lease duration must be positive."));
        }
        Ok(())
    }

    /// Checks every rule of the scope and its children.
    pub fn check_all(&self) -> SimResult<()> {
        self.check_range()?;
        let mut prev: Option<Exclusion> = None;
        let mut sorted = self.exclusions.clone();
        sorted.sort_by_key(|e| u(e.start_ip));
        for e in &sorted {
            self.check_exclusion_bounds(e)?;
            if let Some(p) = prev
                && u(e.start_ip) <= u(p.end_ip)
            {
                return Err(SimError::conflict(format!(
                    "exclusion {}-{} overlaps {}-{} in scope {}.",
                    e.start_ip, e.end_ip, p.start_ip, p.end_ip, self.scope_id
                )));
            }
            prev = Some(*e);
        }
        let mut clients = BTreeSet::new();
        for (ip, r) in &self.reservations {
            if *ip != r.ip_address {
                return Err(SimError::invalid(format!(
                    "reservation key {ip} differs from its address {}.",
                    r.ip_address
                )));
            }
            self.check_reservation_ip(r.ip_address)?;
            if !clients.insert(r.client_id.as_str()) {
                return Err(SimError::conflict(format!(
                    "client id {} is reserved twice in scope {}.",
                    r.client_id, self.scope_id
                )));
            }
        }
        for (ip, l) in &self.leases {
            if *ip != l.ip_address || !self.in_subnet(*ip) {
                return Err(SimError::invalid(format!(
                    "lease {ip} is outside scope {}.",
                    self.scope_id
                )));
            }
        }
        Ok(())
    }

    fn check_exclusion_bounds(&self, e: &Exclusion) -> SimResult<()> {
        if u(e.start_ip) > u(e.end_ip) {
            return Err(SimError::invalid(format!(
                "exclusion start {} is after its end {}.",
                e.start_ip, e.end_ip
            )));
        }
        if !self.in_range(e.start_ip) || !self.in_range(e.end_ip) {
            return Err(SimError::invalid(format!(
                "exclusion {}-{} is outside the range {}-{} of scope {}.",
                e.start_ip, e.end_ip, self.start_ip, self.end_ip, self.scope_id
            )));
        }
        Ok(())
    }

    fn check_reservation_ip(&self, ip: Ipv4Addr) -> SimResult<()> {
        if !self.in_range(ip) {
            return Err(SimError::invalid(format!(
                "{ip} is outside the range {}-{} of scope {}.",
                self.start_ip, self.end_ip, self.scope_id
            )));
        }
        Ok(())
    }

    /// Adds an exclusion (bounds inside the range, no overlap with another exclusion).
    pub fn add_exclusion(&mut self, e: Exclusion) -> SimResult<()> {
        self.check_exclusion_bounds(&e)?;
        if let Some(o) = self
            .exclusions
            .iter()
            .find(|o| u(e.start_ip) <= u(o.end_ip) && u(o.start_ip) <= u(e.end_ip))
        {
            return Err(SimError::conflict(format!(
                "exclusion {}-{} overlaps the existing exclusion {}-{} in scope {}.",
                e.start_ip, e.end_ip, o.start_ip, o.end_ip, self.scope_id
            )));
        }
        self.exclusions.push(e);
        self.exclusions.sort_by_key(|x| u(x.start_ip));
        Ok(())
    }

    /// Removes the exclusion with exactly these bounds.
    pub fn remove_exclusion(&mut self, start: Ipv4Addr, end: Ipv4Addr) -> SimResult<()> {
        let before = self.exclusions.len();
        self.exclusions
            .retain(|e| !(e.start_ip == start && e.end_ip == end));
        if self.exclusions.len() == before {
            return Err(SimError::not_found(format!(
                "no exclusion {start}-{end} in scope {}.",
                self.scope_id
            )));
        }
        Ok(())
    }

    /// Adds a reservation (inside the range, address and client id not yet reserved). An
    /// `Active` lease of the same client at the address becomes `ActiveReservation`.
    pub fn add_reservation(&mut self, r: Reservation) -> SimResult<()> {
        self.check_reservation_ip(r.ip_address)?;
        if let Some(o) = self.reservations.get(&r.ip_address) {
            return Err(SimError::conflict(format!(
                "{} is already reserved for {} in scope {}.",
                r.ip_address, o.client_id, self.scope_id
            )));
        }
        if let Some(o) = self
            .reservations
            .values()
            .find(|o| o.client_id == r.client_id)
        {
            return Err(SimError::conflict(format!(
                "client id {} is already used by {} in scope {}.",
                r.client_id, o.ip_address, self.scope_id
            )));
        }
        if let Some(l) = self.leases.get_mut(&r.ip_address)
            && l.client_id == r.client_id
            && l.address_state == AddressState::Active
        {
            l.address_state = AddressState::ActiveReservation;
            l.lease_expiry = None;
        }
        self.reservations.insert(r.ip_address, r);
        Ok(())
    }

    /// Updates a reservation in place. `client_id` must stay unique in the scope.
    pub fn update_reservation(
        &mut self,
        ip: Ipv4Addr,
        client_id: Option<String>,
        name: Option<String>,
        description: Option<String>,
        kind: Option<ReservationType>,
    ) -> SimResult<&Reservation> {
        let scope_id = self.scope_id;
        if let Some(cid) = &client_id
            && let Some(o) = self
                .reservations
                .values()
                .find(|o| &o.client_id == cid && o.ip_address != ip)
        {
            return Err(SimError::conflict(format!(
                "client_id {cid} is already used by {} in scope {scope_id}.",
                o.ip_address
            )));
        }
        let Some(r) = self.reservations.get_mut(&ip) else {
            return Err(SimError::not_found(format!(
                "no reservation at {ip} in scope {scope_id}."
            )));
        };
        if let Some(c) = client_id {
            r.client_id = c;
        }
        if let Some(n) = name {
            r.name = n;
        }
        if let Some(d) = description {
            r.description = d;
        }
        if let Some(k) = kind {
            r.kind = k;
        }
        Ok(r)
    }

    /// Removes a reservation; an `ActiveReservation` lease falls back to `Active`.
    pub fn remove_reservation(&mut self, ip: Ipv4Addr) -> SimResult<Reservation> {
        let Some(r) = self.reservations.remove(&ip) else {
            return Err(SimError::not_found(format!(
                "no reservation at {ip} in scope {}.",
                self.scope_id
            )));
        };
        if let Some(l) = self.leases.get_mut(&ip) {
            match l.address_state {
                AddressState::ActiveReservation => l.address_state = AddressState::Active,
                AddressState::InactiveReservation => {
                    self.leases.remove(&ip);
                }
                _ => {}
            }
        }
        Ok(r)
    }

    /// Sets an option value (replacing the same code/vendor/user class). Option 51 sets the lease
    /// duration; option 1 is refused (it is the subnet mask).
    pub fn set_option(&mut self, o: OptionValue) -> SimResult<OptionValue> {
        match o.code {
            1 => Err(SimError::invalid(
                "option 1 is the scope's subnet mask and cannot be set.",
            )),
            51 => {
                let secs = o
                    .value
                    .first()
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .filter(|s| *s > 0)
                    .ok_or_else(|| SimError::invalid("option 51 needs a positive DWord."))?;
                self.lease_duration_seconds = secs;
                Ok(self.lease_option())
            }
            _ => {
                if let Some(slot) = self.options.iter_mut().find(|x| {
                    x.same_slot(o.code, o.vendor_class.as_deref(), o.user_class.as_deref())
                }) {
                    *slot = o.clone();
                } else {
                    self.options.push(o.clone());
                    self.options.sort_by_key(|x| x.code);
                }
                Ok(o)
            }
        }
    }

    /// Removes an option value.
    pub fn remove_option(
        &mut self,
        code: u8,
        vendor: Option<&str>,
        user: Option<&str>,
    ) -> SimResult<()> {
        if code == 51 || code == 1 {
            return Err(SimError::invalid(format!(
                "option {code} belongs to the scope definition and cannot be removed."
            )));
        }
        let before = self.options.len();
        self.options.retain(|x| !x.same_slot(code, vendor, user));
        if before == self.options.len() {
            return Err(SimError::not_found(format!(
                "option {code} is not set on scope {}.",
                self.scope_id
            )));
        }
        Ok(())
    }

    /// The synthesized option 51 (lease time).
    #[must_use]
    pub fn lease_option(&self) -> OptionValue {
        OptionValue {
            code: 51,
            name: "Lease".to_owned(),
            data_type: "DWord".to_owned(),
            value: vec![self.lease_duration_seconds.to_string()],
            vendor_class: None,
            user_class: None,
        }
    }

    /// All option values as Windows lists them: stored ones plus option 51, by code.
    #[must_use]
    pub fn listed_options(&self) -> Vec<OptionValue> {
        let mut v = self.options.clone();
        v.push(self.lease_option());
        v.sort_by_key(|x| x.code);
        v
    }

    /// The router (first option-3 value of the standard class).
    #[must_use]
    pub fn router(&self) -> Option<&str> {
        self.options
            .iter()
            .find(|o| o.code == 3 && o.vendor_class.is_none() && o.user_class.is_none())
            .and_then(|o| o.value.first())
            .map(String::as_str)
    }
}

// ---------------------------------------------------------------------------------------------
// Server rules

impl ServerState {
    /// An empty server.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            scopes: BTreeMap::new(),
            server_options: Vec::new(),
            failovers: BTreeMap::new(),
        }
    }

    /// The scope, or 404.
    pub fn scope(&self, id: Ipv4Addr) -> SimResult<&Scope> {
        self.scopes
            .get(&id)
            .ok_or_else(|| SimError::not_found(format!("scope {id} not found on {}.", self.name)))
    }

    /// The scope for mutation, or 404.
    pub fn scope_mut(&mut self, id: Ipv4Addr) -> SimResult<&mut Scope> {
        let name = &self.name;
        self.scopes
            .get_mut(&id)
            .ok_or_else(|| SimError::not_found(format!("scope {id} not found on {name}.")))
    }

    /// The relationship a scope belongs to.
    #[must_use]
    pub fn failover_of(&self, id: Ipv4Addr) -> Option<&Failover> {
        self.failovers.values().find(|f| f.scope_ids.contains(&id))
    }

    /// Inserts a new scope after checking every rule (409 on duplicate id or subnet overlap).
    pub fn insert_scope(&mut self, scope: Scope) -> SimResult<()> {
        scope.check_all()?;
        if self.scopes.contains_key(&scope.scope_id) {
            return Err(SimError::conflict(format!(
                "scope {} already exists on {}.",
                scope.scope_id, self.name
            )));
        }
        if let Some(o) = self
            .scopes
            .values()
            .find(|o| scope.network() <= o.broadcast() && o.network() <= scope.broadcast())
        {
            return Err(SimError::conflict(format!(
                "scope {}/{} overlaps the existing scope {}/{}.",
                scope.scope_id, scope.subnet_mask, o.scope_id, o.subnet_mask
            )));
        }
        self.scopes.insert(scope.scope_id, scope);
        Ok(())
    }

    /// Checks the server-wide rules (used after loading a state file).
    pub fn check_all(&self) -> SimResult<()> {
        let mut seen = ServerState::new(self.name.clone());
        for s in self.scopes.values() {
            if seen.scopes.contains_key(&s.scope_id) {
                return Err(SimError::conflict(format!("scope {} twice", s.scope_id)));
            }
            seen.insert_scope(s.clone())?;
        }
        let mut members = BTreeSet::new();
        for f in self.failovers.values() {
            if f.partner_server.trim().is_empty() {
                return Err(SimError::invalid(format!(
                    "failover {} has no partner server.",
                    f.name
                )));
            }
            for id in &f.scope_ids {
                self.scope(*id)?;
                if !members.insert(*id) {
                    return Err(SimError::conflict(format!(
                        "scope {id} is in more than one failover relationship."
                    )));
                }
            }
        }
        Ok(())
    }

    /// Finds reservations by client id, optionally in one scope.
    #[must_use]
    pub fn reservations_of_client(
        &self,
        client_id: &str,
        scope: Option<Ipv4Addr>,
    ) -> Vec<(Ipv4Addr, Ipv4Addr)> {
        self.scopes
            .values()
            .filter(|s| scope.is_none_or(|x| x == s.scope_id))
            .flat_map(|s| {
                s.reservations
                    .values()
                    .filter(|r| r.client_id == client_id)
                    .map(|r| (s.scope_id, r.ip_address))
            })
            .collect()
    }

    /// Total number of leases.
    #[must_use]
    pub fn lease_count(&self) -> usize {
        self.scopes.values().map(|s| s.leases.len()).sum()
    }
}

// ---------------------------------------------------------------------------------------------
// Estate: cross-server operations (failover)

impl Estate {
    /// Index of a server by name (case-insensitive; the short host name also matches).
    #[must_use]
    pub fn server_index(&self, name: &str) -> Option<usize> {
        let want = name.trim().to_ascii_lowercase();
        let short = |s: &str| s.split('.').next().unwrap_or(s).to_owned();
        self.servers
            .iter()
            .position(|s| s.name.to_ascii_lowercase() == want)
            .or_else(|| {
                self.servers
                    .iter()
                    .position(|s| short(&s.name.to_ascii_lowercase()) == short(&want))
            })
    }

    /// The server by name.
    pub fn server(&self, name: &str) -> SimResult<&ServerState> {
        self.server_index(name)
            .and_then(|i| self.servers.get(i))
            .ok_or_else(|| SimError::UnknownServer(name.to_owned()))
    }

    /// The server by name, for mutation.
    pub fn server_mut(&mut self, name: &str) -> SimResult<&mut ServerState> {
        match self.server_index(name) {
            Some(i) => self
                .servers
                .get_mut(i)
                .ok_or_else(|| SimError::UnknownServer(name.to_owned())),
            None => Err(SimError::UnknownServer(name.to_owned())),
        }
    }

    /// Checks every rule of every server and that server names are unique.
    pub fn check_all(&self) -> SimResult<()> {
        let mut names = BTreeSet::new();
        for s in &self.servers {
            if !names.insert(s.name.to_ascii_lowercase()) {
                return Err(SimError::conflict(format!("server {} twice", s.name)));
            }
            s.check_all()?;
        }
        Ok(())
    }

    fn srv(&self, i: usize) -> SimResult<&ServerState> {
        self.servers
            .get(i)
            .ok_or_else(|| SimError::Windows(format!("server index {i} vanished")))
    }

    fn srv_mut(&mut self, i: usize) -> SimResult<&mut ServerState> {
        self.servers
            .get_mut(i)
            .ok_or_else(|| SimError::Windows(format!("server index {i} vanished")))
    }

    /// The partner server index of a relationship on server `i`, if it is simulated here.
    #[must_use]
    pub fn partner_index(&self, i: usize, failover: &str) -> Option<usize> {
        let f = self.servers.get(i)?.failovers.get(failover)?;
        self.server_index(&f.partner_server).filter(|p| *p != i)
    }

    /// Creates a relationship on server `i` (and on the partner when simulated). Scopes must exist
    /// and be in no relationship; the partner must not already hold a conflicting scope.
    pub fn create_failover(&mut self, i: usize, f: Failover) -> SimResult<()> {
        let this = self.srv(i)?;
        if f.partner_server.trim().is_empty() {
            return Err(SimError::invalid(
                "a failover relationship needs a partner server.",
            ));
        }
        if f.scope_ids.is_empty() {
            return Err(SimError::invalid("scope_ids must name at least one scope."));
        }
        if this.failovers.contains_key(&f.name) {
            return Err(SimError::conflict(format!(
                "failover relationship {} already exists on {}.",
                f.name, this.name
            )));
        }
        if self.server_index(&f.partner_server) == Some(i) {
            return Err(SimError::invalid(
                "a server cannot be its own failover partner.",
            ));
        }
        for id in &f.scope_ids {
            this.scope(*id)?;
            if let Some(o) = this.failover_of(*id) {
                return Err(SimError::conflict(format!(
                    "scope {id} is already in failover relationship {}.",
                    o.name
                )));
            }
        }
        let this_name = this.name.clone();
        if let Some(p) = self.server_index(&f.partner_server) {
            let partner = self.srv(p)?;
            if partner.failovers.contains_key(&f.name) {
                return Err(SimError::conflict(format!(
                    "failover relationship {} already exists on the partner {}.",
                    f.name, partner.name
                )));
            }
            for id in &f.scope_ids {
                if partner.scopes.contains_key(id) {
                    return Err(SimError::conflict(format!(
                        "scope {id} already exists on the partner {}.",
                        partner.name
                    )));
                }
            }
            let copies: Vec<Scope> = f
                .scope_ids
                .iter()
                .filter_map(|id| this.scopes.get(id).cloned())
                .collect();
            let partner = self.srv_mut(p)?;
            let mut staged = partner.clone();
            for s in copies {
                staged.insert_scope(s)?;
            }
            staged
                .failovers
                .insert(f.name.clone(), f.mirrored(&this_name));
            *partner = staged;
        }
        self.srv_mut(i)?.failovers.insert(f.name.clone(), f);
        Ok(())
    }

    /// Deletes a relationship: the scopes stay on server `i` and are removed from the partner.
    pub fn delete_failover(&mut self, i: usize, name: &str) -> SimResult<()> {
        let p = self.partner_index(i, name);
        let this = self.srv_mut(i)?;
        let Some(f) = this.failovers.remove(name) else {
            return Err(SimError::not_found(format!(
                "failover relationship {name} not found on {}.",
                this.name
            )));
        };
        if let Some(p) = p {
            let partner = self.srv_mut(p)?;
            partner.failovers.remove(name);
            for id in &f.scope_ids {
                partner.scopes.remove(id);
            }
        }
        Ok(())
    }

    /// Takes a scope out of a relationship (the partner loses the scope, as on Windows).
    pub fn failover_remove_scope(&mut self, i: usize, name: &str, id: Ipv4Addr) -> SimResult<()> {
        let p = self.partner_index(i, name);
        let this = self.srv_mut(i)?;
        let server_name = this.name.clone();
        let Some(f) = this.failovers.get_mut(name) else {
            return Err(SimError::not_found(format!(
                "failover relationship {name} not found on {server_name}."
            )));
        };
        if !f.scope_ids.remove(&id) {
            return Err(SimError::conflict(format!(
                "scope {id} is not in failover relationship {name}."
            )));
        }
        if let Some(p) = p {
            let partner = self.srv_mut(p)?;
            if let Some(pf) = partner.failovers.get_mut(name) {
                pf.scope_ids.remove(&id);
            }
            partner.scopes.remove(&id);
        }
        Ok(())
    }

    /// Adds a scope of server `i` to a relationship (the partner receives a copy).
    pub fn failover_add_scope(&mut self, i: usize, name: &str, id: Ipv4Addr) -> SimResult<()> {
        let p = self.partner_index(i, name);
        let this = self.srv(i)?;
        let scope = this.scope(id)?.clone();
        if !this.failovers.contains_key(name) {
            return Err(SimError::not_found(format!(
                "failover relationship {name} not found on {}.",
                this.name
            )));
        }
        if let Some(o) = this.failover_of(id) {
            return Err(SimError::conflict(format!(
                "scope {id} is already in failover relationship {}.",
                o.name
            )));
        }
        if let Some(p) = p {
            let partner = self.srv_mut(p)?;
            if partner.scopes.contains_key(&id) {
                return Err(SimError::conflict(format!(
                    "scope {id} already exists on the partner {}.",
                    partner.name
                )));
            }
            partner.insert_scope(scope)?;
            if let Some(pf) = partner.failovers.get_mut(name) {
                pf.scope_ids.insert(id);
            }
        }
        if let Some(f) = self.srv_mut(i)?.failovers.get_mut(name) {
            f.scope_ids.insert(id);
        }
        Ok(())
    }

    /// Copies the named failover scopes (whole configuration and leases) from server `i` to the
    /// partner. Returns the replicated scope ids.
    pub fn replicate(&mut self, i: usize, ids: &[Ipv4Addr]) -> SimResult<Vec<Ipv4Addr>> {
        let this = self.srv(i)?;
        let mut work = Vec::new();
        for id in ids {
            let scope = this.scope(*id)?;
            let Some(f) = this.failover_of(*id) else {
                return Err(SimError::conflict(format!(
                    "scope {id} is not in a failover relationship."
                )));
            };
            work.push((scope.clone(), f.name.clone()));
        }
        let mut done = Vec::new();
        for (scope, fname) in work {
            let id = scope.scope_id;
            if let Some(p) = self.partner_index(i, &fname) {
                self.srv_mut(p)?.scopes.insert(id, scope);
            }
            done.push(id);
        }
        Ok(done)
    }

    /// Applies `f` to the scope on server `i` and, when it is a failover scope whose partner is
    /// simulated, to the partner's copy too (lease traffic is synchronised by the failover
    /// protocol, not by replication).
    pub fn on_scope_and_partner<T>(
        &mut self,
        i: usize,
        id: Ipv4Addr,
        mut f: impl FnMut(&mut Scope) -> SimResult<T>,
    ) -> SimResult<T> {
        let partner = self
            .srv(i)?
            .failover_of(id)
            .map(|fo| fo.name.clone())
            .and_then(|n| self.partner_index(i, &n));
        let out = f(self.srv_mut(i)?.scope_mut(id)?)?;
        if let Some(p) = partner
            && let Ok(s) = self.srv_mut(p)?.scope_mut(id)
        {
            f(s)?;
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// serde helpers: maps stored as arrays of their values

pub(crate) trait Keyed {
    type Key: Ord + Clone;
    fn key(&self) -> Self::Key;
}
impl Keyed for Lease {
    type Key = Ipv4Addr;
    fn key(&self) -> Ipv4Addr {
        self.ip_address
    }
}
impl Keyed for Reservation {
    type Key = Ipv4Addr;
    fn key(&self) -> Ipv4Addr {
        self.ip_address
    }
}
impl Keyed for Scope {
    type Key = Ipv4Addr;
    fn key(&self) -> Ipv4Addr {
        self.scope_id
    }
}
impl Keyed for Failover {
    type Key = String;
    fn key(&self) -> String {
        self.name.clone()
    }
}

mod ip_map {
    use super::Keyed;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub(crate) fn serialize<K, V: Serialize, S: Serializer>(
        m: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.values())
    }

    pub(crate) fn deserialize<'de, V, D>(d: D) -> Result<BTreeMap<V::Key, V>, D::Error>
    where
        V: Keyed + Deserialize<'de>,
        D: Deserializer<'de>,
    {
        let v: Vec<V> = Vec::deserialize(d)?;
        let mut m = BTreeMap::new();
        for x in v {
            if m.insert(x.key(), x).is_some() {
                return Err(serde::de::Error::custom("duplicate key in list"));
            }
        }
        Ok(m)
    }
}

use ip_map as name_map;
