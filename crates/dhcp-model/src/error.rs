//! The single error type of this crate.

use std::net::IpAddr;

/// Everything that can be wrong with a value handed to the model.
///
/// Every variant carries the offending value so a report can say *what* was rejected.
/// No variant ever carries a secret (tokens and shared secrets are never echoed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A lease lifetime string could not be parsed (`"3 Days"`, `"Unlimited"`, `"3600"` are valid).
    #[error("invalid lease lifetime {input:?}: {reason}")]
    InvalidLifetime {
        /// The rejected text.
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// `value × unit` does not fit a finite DHCP lease (`< 0xFFFF_FFFF` seconds) or overflowed.
    #[error("lease lifetime {value} {unit:?} is too long for a finite DHCP lease")]
    LifetimeOverflow {
        /// The rejected count.
        value: u64,
        /// The unit the count was given in.
        unit: crate::lifetime::LifetimeUnit,
    },
    /// A client id (MAC address or DHCP client identifier) could not be parsed.
    #[error("invalid client id {input:?}: {reason}")]
    InvalidClientId {
        /// The rejected text.
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// An IP address could not be parsed.
    #[error("invalid IP address {input:?} for {field}")]
    InvalidIpAddress {
        /// The rejected text.
        input: String,
        /// What the address was meant to be (`"scope id"`, `"range start"`, …).
        field: &'static str,
    },
    /// Two addresses that must share a family (IPv4 or IPv6) do not.
    #[error("address family mismatch for {field}: {left} vs {right}")]
    FamilyMismatch {
        /// What was being compared.
        field: &'static str,
        /// The first address.
        left: IpAddr,
        /// The second address.
        right: IpAddr,
    },
    /// A range whose start lies after its end.
    #[error("range start {start} is after range end {end}")]
    RangeReversed {
        /// The start address.
        start: IpAddr,
        /// The end address.
        end: IpAddr,
    },
    /// A range string was not of the form `start-end`.
    #[error("invalid IP range {input:?}: expected \"start-end\"")]
    InvalidRangeSyntax {
        /// The rejected text.
        input: String,
    },
    /// A subnet mask whose one-bits are not contiguous (e.g. `255.0.255.0`).
    #[error("subnet mask {mask} is not contiguous")]
    NonContiguousMask {
        /// The rejected mask.
        mask: IpAddr,
    },
    /// A prefix that has host bits set (e.g. `10.0.0.5/24` instead of `10.0.0.0/24`).
    #[error("prefix {prefix} is not a network address (expected {expected})")]
    PrefixNotNetwork {
        /// The rejected prefix as written.
        prefix: String,
        /// The network address it should start with.
        expected: IpAddr,
    },
    /// A scope id that is not the network address of the scope's prefix.
    #[error("scope id {scope_id} is not the network address of prefix {prefix}")]
    ScopeIdMismatch {
        /// The scope id given.
        scope_id: IpAddr,
        /// The prefix given.
        prefix: String,
    },
    /// An address or range that must lie inside a container (prefix or range) does not.
    #[error("{field} {value} is outside {container}")]
    OutOfBounds {
        /// What was checked (`"scope range"`, `"exclusion"`, `"reservation"`, …).
        field: &'static str,
        /// The offending address or range, formatted.
        value: String,
        /// The container it must lie in, formatted.
        container: String,
    },
    /// Two ranges that must not overlap do.
    #[error("{field} {first} overlaps {second}")]
    Overlap {
        /// What kind of ranges overlap.
        field: &'static str,
        /// One range.
        first: String,
        /// The other range.
        second: String,
    },
    /// A required text field is empty (after trimming).
    #[error("{field} must not be empty")]
    EmptyField {
        /// The field name.
        field: &'static str,
    },
    /// A value outside its allowed range (percentages, intervals, ports, …).
    #[error("{field} = {value} is outside {min}..={max}")]
    OutOfRange {
        /// The field name.
        field: &'static str,
        /// The rejected value.
        value: u64,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// A keyword (state, mode, queue, type name …) that is not one of the known spellings.
    #[error("unknown {kind} {input:?}")]
    UnknownKeyword {
        /// What was being parsed.
        kind: &'static str,
        /// The rejected text.
        input: String,
    },
    /// A scope source given with both or neither of `server` and `failover`.
    #[error("scope source needs exactly one of server or failover (got {got})")]
    InvalidScopeSource {
        /// `"both"` or `"neither"`.
        got: &'static str,
    },
    /// A failover relationship whose two partners are the same server.
    #[error("failover {name:?}: primary and partner are the same server {server:?}")]
    SamePartner {
        /// Relationship name.
        name: String,
        /// The server named twice.
        server: String,
    },
    /// Failover authentication enabled without a shared secret. The secret itself is never shown.
    #[error("failover {name:?}: authentication is enabled but the shared secret is empty")]
    MissingSharedSecret {
        /// Relationship name.
        name: String,
    },
    /// An option value that could not be parsed as its data type.
    #[error("invalid {data_type} option value {input:?}: {reason}")]
    InvalidOptionValue {
        /// The data type expected (Windows name).
        data_type: &'static str,
        /// The rejected text.
        input: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An option value whose data does not have the type the catalog defines for its code.
    #[error("option {code} expects {expected} data, got {actual}")]
    OptionTypeMismatch {
        /// The option code.
        code: u8,
        /// The catalog's data type (Windows name).
        expected: &'static str,
        /// The data type given (Windows name).
        actual: &'static str,
    },
    /// The same option (code + vendor class + user class) appears twice in one scope.
    #[error(
        "option {code} appears more than once (vendor class {vendor_class:?}, user class {user_class:?})"
    )]
    DuplicateOption {
        /// The option code.
        code: u8,
        /// Its vendor class, if any.
        vendor_class: Option<String>,
        /// Its user class, if any.
        user_class: Option<String>,
    },
    /// An option that a scope carries in a dedicated field (1 = mask, 3 = router, 51 = lease time).
    #[error(
        "option {code} is managed by the scope's own {field} field and must not be listed in options"
    )]
    OptionManagedByScope {
        /// The option code.
        code: u8,
        /// The scope field that owns it.
        field: &'static str,
    },
    /// A server connection host that is empty or contains a scheme, path or whitespace.
    #[error("invalid server host {host:?}: {reason}")]
    InvalidHost {
        /// The rejected host.
        host: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// Two settings that must differ are equal (e.g. lease and reservation IP status).
    #[error("settings {first} and {second} must differ (both {value:?})")]
    ConflictingSettings {
        /// First field.
        first: &'static str,
        /// Second field.
        second: &'static str,
        /// The shared value.
        value: String,
    },
}
