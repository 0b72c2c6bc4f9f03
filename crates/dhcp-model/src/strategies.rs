//! Proptest strategies for the model types (feature `proptest`).
//!
//! Every strategy yields only valid values; the string strategies yield every accepted spelling.

use proptest::prelude::*;

use crate::client_id::ClientId;
use crate::lifetime::{INFINITE_LEASE_SECS, LeaseLifetime, LifetimeUnit};

/// Any lease lifetime: finite (weighted towards whole units) or unlimited.
pub fn lease_lifetime() -> impl Strategy<Value = LeaseLifetime> {
    prop_oneof![
        1 => Just(LeaseLifetime::Unlimited),
        4 => (0..INFINITE_LEASE_SECS).prop_map(LeaseLifetime::Finite),
        4 => (1u64..=49_710, lifetime_unit()).prop_filter_map("fits", |(v, u)| LeaseLifetime::from_value_unit(v, u).ok()),
    ]
}

/// Any lifetime unit.
pub fn lifetime_unit() -> impl Strategy<Value = LifetimeUnit> {
    prop::sample::select(LifetimeUnit::LARGEST_FIRST.to_vec())
}

/// Any client id: mostly MACs, some `01`-prefixed and longer ids.
pub fn client_id() -> impl Strategy<Value = ClientId> {
    prop_oneof![
        4 => any::<[u8; 6]>().prop_map(ClientId::from_mac),
        1 => any::<[u8; 6]>().prop_map(|m| {
            let mut v = vec![1u8];
            v.extend(m);
            v
        }).prop_filter_map("len", |v| ClientId::from_bytes(v).ok()),
        1 => prop::collection::vec(any::<u8>(), 1..=32).prop_filter_map("len", |v| ClientId::from_bytes(v).ok()),
    ]
}
