//! Proptest strategies for the model types (feature `proptest`).
//!
//! Every strategy yields only valid values. [`client_id_spelling`] yields an id together with
//! one of its accepted text spellings, for parser round-trip tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};
use proptest::prelude::*;
use time::OffsetDateTime;

use crate::client_id::ClientId;
use crate::lease::{AddressState, Lease};
use crate::lifetime::{INFINITE_LEASE_SECS, LeaseLifetime, LifetimeUnit};
use crate::option::{OptionCode, OptionData, OptionDataType, OptionValue, catalog};
use crate::range::IpRange;
use crate::reservation::{Reservation, ReservationType};
use crate::scope::{Scope, ScopeId, ScopeSource, ScopeSpec, ScopeState};

/// Any lease lifetime: finite (often a whole number of some unit) or unlimited.
pub fn lease_lifetime() -> impl Strategy<Value = LeaseLifetime> {
    prop_oneof![
        1 => Just(LeaseLifetime::Unlimited),
        4 => (0..INFINITE_LEASE_SECS).prop_map(LeaseLifetime::Finite),
        4 => (1u64..=49_710, lifetime_unit())
            .prop_filter_map("fits a finite lease", |(v, u)| LeaseLifetime::from_value_unit(v, u).ok()),
    ]
}

/// Any lifetime unit.
pub fn lifetime_unit() -> impl Strategy<Value = LifetimeUnit> {
    prop::sample::select(LifetimeUnit::LARGEST_FIRST.to_vec())
}

/// Any client id: mostly MACs, some `01`-prefixed MACs and other lengths (1–32 bytes).
pub fn client_id() -> impl Strategy<Value = ClientId> {
    prop_oneof![
        4 => any::<[u8; 6]>().prop_map(ClientId::from_mac),
        1 => any::<[u8; 6]>().prop_filter_map("valid length", |m| {
            let mut v = vec![1u8];
            v.extend(m);
            ClientId::from_bytes(v).ok()
        }),
        1 => prop::collection::vec(any::<u8>(), 1..=32)
            .prop_filter_map("valid length", |v| ClientId::from_bytes(v).ok()),
    ]
}

/// The text spellings [`ClientId::parse`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// `aa-bb-cc`.
    Hyphen,
    /// `aa:bb:cc`.
    Colon,
    /// `aa bb cc`.
    Space,
    /// `a-bb-c` (leading zero of a byte dropped where possible).
    ShortGroups,
    /// `aabbcc`.
    Bare,
    /// `0xaabbcc`.
    HexPrefix,
    /// `aabb.ccdd` (only for an even number of bytes).
    CiscoDots,
}

/// Writes `id` in `spelling`, upper-casing the hex digits where `upper[i]` is set and adding
/// `pad` spaces around.
#[must_use]
pub fn spell(id: &ClientId, spelling: Spelling, upper: &[bool], pad: usize) -> String {
    let bytes = id.as_bytes();
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let body = match spelling {
        Spelling::Hyphen => hex.join("-"),
        Spelling::Colon => hex.join(":"),
        Spelling::Space => hex.join(" "),
        Spelling::ShortGroups if bytes.len() == 1 => hex.concat(),
        Spelling::ShortGroups => bytes
            .iter()
            .map(|b| format!("{b:x}"))
            .collect::<Vec<_>>()
            .join("-"),
        Spelling::Bare => hex.concat(),
        Spelling::HexPrefix => format!("0x{}", hex.concat()),
        Spelling::CiscoDots if bytes.len().is_multiple_of(2) => hex
            .chunks(2)
            .map(<[String]>::concat)
            .collect::<Vec<_>>()
            .join("."),
        Spelling::CiscoDots => hex.join("-"),
    };
    let cased: String = body
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let up = upper.get(i % upper.len().max(1)).copied().unwrap_or(false);
            // keep the `x` of a `0x` prefix lowercase so it stays a prefix
            if up && !(i == 1 && spelling == Spelling::HexPrefix) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    let p = " ".repeat(pad);
    format!("{p}{cased}{p}")
}

/// A client id with one of its accepted spellings (random separators, case and padding).
pub fn client_id_spelling() -> impl Strategy<Value = (ClientId, String)> {
    let spelling = prop::sample::select(vec![
        Spelling::Hyphen,
        Spelling::Colon,
        Spelling::Space,
        Spelling::ShortGroups,
        Spelling::Bare,
        Spelling::HexPrefix,
        Spelling::CiscoDots,
    ]);
    (
        client_id(),
        spelling,
        prop::collection::vec(any::<bool>(), 1..8),
        0usize..3,
    )
        .prop_map(|(id, sp, upper, pad)| {
            let s = spell(&id, sp, &upper, pad);
            (id, s)
        })
}

/// Any IPv4 or IPv6 address.
pub fn ip_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(v))),
        any::<u128>().prop_map(|v| IpAddr::V6(Ipv6Addr::from(v))),
    ]
}

/// Any valid range (either family); often small, sometimes huge.
pub fn ip_range() -> impl Strategy<Value = IpRange> {
    prop_oneof![
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            (
                IpAddr::V4(Ipv4Addr::from(lo)),
                IpAddr::V4(Ipv4Addr::from(hi)),
            )
        }),
        (any::<u32>(), 0u32..1024).prop_map(|(a, n)| {
            let hi = a.saturating_add(n);
            (
                IpAddr::V4(Ipv4Addr::from(a)),
                IpAddr::V4(Ipv4Addr::from(hi)),
            )
        }),
        (any::<u128>(), any::<u128>()).prop_map(|(a, b)| {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            (
                IpAddr::V6(Ipv6Addr::from(lo)),
                IpAddr::V6(Ipv6Addr::from(hi)),
            )
        }),
    ]
    .prop_filter_map("valid range", |(s, e)| IpRange::new(s, e).ok())
}

/// Any option data type.
pub fn option_data_type() -> impl Strategy<Value = OptionDataType> {
    prop::sample::select(OptionDataType::ALL.to_vec())
}

/// Data of the given type. Strings are printable and non-empty; lists hold 1–5 elements;
/// `IpAddress`/`IpAddressList` use IPv4 (as Windows does).
pub fn option_data(data_type: OptionDataType) -> BoxedStrategy<OptionData> {
    let v4 = || any::<u32>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(v)));
    match data_type {
        OptionDataType::Byte => any::<u8>().prop_map(OptionData::Byte).boxed(),
        OptionDataType::ByteList => prop::collection::vec(any::<u8>(), 1..5)
            .prop_map(OptionData::ByteList)
            .boxed(),
        OptionDataType::DwordList => prop::collection::vec(any::<u32>(), 1..5)
            .prop_map(OptionData::DwordList)
            .boxed(),
        OptionDataType::DwordDwordList => prop::collection::vec(any::<u64>(), 1..5)
            .prop_map(OptionData::DwordDwordList)
            .boxed(),
        // Elements that survive the comma-separated text form: no commas, no outer blanks.
        OptionDataType::StringList => {
            prop::collection::vec("[!-+\\--~]([ -+\\--~]{0,20}[!-+\\--~])?", 1..4)
                .prop_map(OptionData::StringList)
                .boxed()
        }
        OptionDataType::Word => any::<u16>().prop_map(OptionData::Word).boxed(),
        OptionDataType::WordList => prop::collection::vec(any::<u16>(), 1..5)
            .prop_map(OptionData::WordList)
            .boxed(),
        OptionDataType::Dword => any::<u32>().prop_map(OptionData::Dword).boxed(),
        OptionDataType::DwordDword => any::<u64>().prop_map(OptionData::DwordDword).boxed(),
        OptionDataType::IpAddress => v4().prop_map(OptionData::IpAddress).boxed(),
        OptionDataType::IpAddressList => prop::collection::vec(v4(), 1..5)
            .prop_map(OptionData::IpAddressList)
            .boxed(),
        OptionDataType::String => "[ -~]{1,40}".prop_map(OptionData::String).boxed(),
        OptionDataType::Binary => prop::collection::vec(any::<u8>(), 0..16)
            .prop_map(OptionData::Binary)
            .boxed(),
        OptionDataType::Encapsulated => prop::collection::vec(any::<u8>(), 0..16)
            .prop_map(OptionData::Encapsulated)
            .boxed(),
        OptionDataType::Ipv6Address => any::<u128>()
            .prop_map(|v| OptionData::Ipv6Address(Ipv6Addr::from(v)))
            .boxed(),
    }
}

/// Any option data of any type.
pub fn any_option_data() -> impl Strategy<Value = OptionData> {
    option_data_type().prop_flat_map(option_data)
}

/// A default-class value for a predefined code other than 1, 3 and 51 (the codes a scope keeps
/// in dedicated fields), or for an unknown code with any data.
pub fn option_value() -> impl Strategy<Value = OptionValue> {
    let known: Vec<u8> = catalog()
        .iter()
        .map(|d| d.code)
        .filter(|c| !matches!(c, 1 | 3 | 51))
        .collect();
    let known = prop::sample::select(known).prop_flat_map(|code| {
        let t = OptionCode::from(code)
            .data_type()
            .unwrap_or(OptionDataType::Binary);
        option_data(t).prop_filter_map("matches catalog", move |d| OptionValue::new(code, d).ok())
    });
    let unknown = (
        prop::sample::select(vec![60u8, 119, 150, 249, 252]),
        any_option_data(),
    )
        .prop_filter_map("unknown code", |(c, d)| OptionValue::new(c, d).ok());
    prop_oneof![3 => known, 1 => unknown]
}

fn v4_scope_parts() -> impl Strategy<Value = (IpNetwork, IpRange, Option<IpAddr>, Vec<IpRange>)> {
    (any::<u32>(), 16u8..=30).prop_flat_map(|(base, len)| {
        let mask = u32::MAX << (32 - u32::from(len));
        let net = base & mask;
        let first = net + 1;
        let last = (net | !mask) - 1;
        (
            Just(net),
            Just(len),
            first..=last,
            first..=last,
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(move |(net, len, a, b, with_router, with_excl)| {
                let (s, e) = if a <= b { (a, b) } else { (b, a) };
                let prefix = IpNetwork::V4(
                    Ipv4Network::new(Ipv4Addr::from(net), len)
                        .unwrap_or_else(|_| unreachable_net4()),
                );
                let range =
                    IpRange::new(IpAddr::V4(Ipv4Addr::from(s)), IpAddr::V4(Ipv4Addr::from(e)))
                        .unwrap_or_else(|_| IpRange::single(IpAddr::V4(Ipv4Addr::from(s))));
                let router = with_router.then(|| IpAddr::V4(Ipv4Addr::from(net + 1)));
                let mid = s + (e - s) / 2;
                let excl = if with_excl {
                    IpRange::new(
                        IpAddr::V4(Ipv4Addr::from(s)),
                        IpAddr::V4(Ipv4Addr::from(mid)),
                    )
                    .into_iter()
                    .collect()
                } else {
                    Vec::new()
                };
                (prefix, range, router, excl)
            })
    })
}

fn unreachable_net4() -> Ipv4Network {
    Ipv4Network::from(Ipv4Addr::UNSPECIFIED)
}

fn v6_scope_parts() -> impl Strategy<Value = (IpNetwork, IpRange, Option<IpAddr>, Vec<IpRange>)> {
    (
        any::<u128>(),
        64u8..=120,
        any::<u64>(),
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(base, len, a, b, with_router)| {
            let mask = u128::MAX << (128 - u32::from(len));
            let net = base & mask;
            let host = !mask;
            let (a, b) = (u128::from(a) & host, u128::from(b) & host);
            let (s, e) = if a <= b { (a, b) } else { (b, a) };
            let prefix = IpNetwork::V6(
                Ipv6Network::new(Ipv6Addr::from(net), len)
                    .unwrap_or_else(|_| Ipv6Network::from(Ipv6Addr::UNSPECIFIED)),
            );
            let range = IpRange::new(
                IpAddr::V6(Ipv6Addr::from(net | s)),
                IpAddr::V6(Ipv6Addr::from(net | e)),
            )
            .unwrap_or_else(|_| IpRange::single(IpAddr::V6(Ipv6Addr::from(net | s))));
            let router = with_router.then(|| IpAddr::V6(Ipv6Addr::from(net | 1)));
            (prefix, range, router, Vec::new())
        })
}

/// A valid scope, IPv4 (mostly) or IPv6, with random options, lifetime, state and source.
pub fn scope() -> impl Strategy<Value = Scope> {
    let parts = prop_oneof![4 => v4_scope_parts(), 1 => v6_scope_parts()];
    let source = prop_oneof![
        Just(None),
        "[a-z]{3,8}".prop_map(|s| Some(ScopeSource::Server(format!("dhcp-{s}")))),
        "[a-z]{3,8}".prop_map(|s| Some(ScopeSource::Failover(format!("fo-{s}")))),
    ];
    (
        parts,
        "[A-Za-z][A-Za-z0-9 _-]{0,20}",
        lease_lifetime(),
        any::<bool>(),
        "[ -~]{0,30}",
        source,
        prop::collection::vec(option_value(), 0..4),
    )
        .prop_filter_map(
            "valid scope",
            |(
                (prefix, range, router, exclusions),
                name,
                lease_lifetime,
                active,
                description,
                source,
                options,
            )| {
                let mut seen = std::collections::BTreeSet::new();
                let options: Vec<OptionValue> = options
                    .into_iter()
                    .filter(|o| seen.insert(o.code().code()))
                    .collect();
                Scope::try_from(ScopeSpec {
                    id: ScopeId(prefix.network()),
                    name,
                    prefix,
                    range,
                    router,
                    lease_lifetime,
                    state: if active {
                        ScopeState::Active
                    } else {
                        ScopeState::Inactive
                    },
                    description,
                    vrf: None,
                    source,
                    options,
                    exclusions,
                })
                .ok()
            },
        )
}

/// Any address state, including an unknown one.
pub fn address_state() -> impl Strategy<Value = AddressState> {
    prop_oneof![
        Just(AddressState::Active),
        Just(AddressState::Offered),
        Just(AddressState::Declined),
        Just(AddressState::Expired),
        Just(AddressState::ActiveReservation),
        Just(AddressState::InactiveReservation),
        "[A-Z][a-z]{3,12}Pending".prop_map(AddressState::Other),
    ]
}

/// A lease inside `scope`'s range.
pub fn lease_in(scope: &Scope) -> impl Strategy<Value = Lease> + use<> {
    let id = scope.id();
    (
        ip_in_range(scope.range()),
        prop::option::of(client_id()),
        prop::option::of("[a-z][a-z0-9-]{0,15}"),
        address_state(),
        prop::option::of(0i64..4_102_444_800),
    )
        .prop_map(move |(ip, client_id, hostname, address_state, exp)| Lease {
            scope_id: id,
            ip,
            client_id,
            hostname,
            address_state,
            expires_at: exp.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()),
            description: None,
        })
}

/// A scope together with a lease in it.
pub fn lease() -> impl Strategy<Value = Lease> {
    scope().prop_flat_map(|s| lease_in(&s))
}

/// A reservation inside `scope`'s range.
pub fn reservation_in(scope: &Scope) -> impl Strategy<Value = Reservation> + use<> {
    let id = scope.id();
    (
        ip_in_range(scope.range()),
        client_id(),
        prop::option::of("[a-z][a-z0-9-]{0,15}"),
        prop::option::of("[ -~]{0,20}"),
        prop::sample::select(vec![
            ReservationType::Dhcp,
            ReservationType::Bootp,
            ReservationType::Both,
        ]),
    )
        .prop_map(
            move |(ip, client_id, name, description, kind)| Reservation {
                scope_id: id,
                ip,
                client_id,
                name,
                description,
                kind,
            },
        )
}

/// A reservation in some valid scope.
pub fn reservation() -> impl Strategy<Value = Reservation> {
    scope().prop_flat_map(|s| reservation_in(&s))
}

/// An address inside `range`.
pub fn ip_in_range(range: IpRange) -> impl Strategy<Value = IpAddr> {
    let (s, e) = (range.start(), range.end());
    let v4 = range.is_ipv4();
    let to_u = |ip: IpAddr| match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    };
    (to_u(s)..=to_u(e)).prop_map(move |n| {
        if v4 {
            IpAddr::V4(Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX)))
        } else {
            IpAddr::V6(Ipv6Addr::from(n))
        }
    })
}
