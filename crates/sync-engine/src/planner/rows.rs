//! Fingerprints of the per-lease rows of a snapshot, for the plan id.
//!
//! Leases, reservations, IP addresses and lease-info rows are almost all of a big snapshot
//! (one to three of each per lease). Hashing them through the generic [`Hash`](std::hash::Hash)
//! encoding costs a dozen small, serially dependent writes per row; here each row is read
//! field by field into a few independent 64-bit values folded with a 64 × 64 → 128-bit multiply,
//! several times faster and just as deterministic.
//!
//! Every function destructures its row **exhaustively**: a field added to one of these types
//! does not compile here until it is part of the fingerprint, so the plan id can never ignore
//! a field by accident.

use crate::snapshot::{
    IpamAddress, LeaseInfo, LeaseState, ObjectId, ServerLease, ServerReservation,
};

const K0: u64 = 0xa076_1d64_78bd_642f;
const K1: u64 = 0xe703_7ed1_a0b4_28db;
const K2: u64 = 0x8ebc_6af0_9c88_c6e3;
const K3: u64 = 0x5899_65cc_7537_4cc3;

/// Multiply-fold: the two halves of the 128-bit product of `a` and `b` (each first whitened),
/// xored together.
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a ^ K0).wrapping_mul(u128::from(b ^ K1));
    // Truncations intended: the low and the high half of the product.
    #[allow(clippy::cast_possible_truncation)]
    let (lo, hi) = (p as u64, (p >> 64) as u64);
    lo ^ hi
}

#[inline]
fn word(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(src) = bytes.get(at..at + 8) {
        w.copy_from_slice(src);
    }
    u64::from_le_bytes(w)
}

#[inline]
fn half(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    if let Some(src) = bytes.get(at..at + 4) {
        w.copy_from_slice(src);
    }
    u64::from(u32::from_le_bytes(w))
}

/// A string's fingerprint under `seed` (its length is part of it).
#[inline]
fn text(s: &str, seed: u64) -> u64 {
    let b = s.as_bytes();
    let n = b.len();
    let (a, c) = if n >= 16 {
        // Full 16-byte blocks, then the last 16 bytes (overlapping the last block).
        let mut acc = seed;
        let mut at = 0;
        while at + 16 < n {
            acc = fold(word(b, at) ^ acc, word(b, at + 8) ^ K2);
            at += 16;
        }
        (word(b, n - 16) ^ acc, word(b, n - 8))
    } else if n >= 8 {
        (word(b, 0), word(b, n - 8))
    } else if n >= 4 {
        (half(b, 0), half(b, n - 4))
    } else {
        let first = b.first().map_or(0, |&x| u64::from(x));
        let mid = b.get(n / 2).map_or(0, |&x| u64::from(x));
        let last = b.last().map_or(0, |&x| u64::from(x));
        (first | (mid << 8) | (last << 16), 0)
    };
    fold(a ^ seed ^ K3, c ^ (n as u64).rotate_left(32))
}

#[inline]
fn opt_text(s: Option<&str>, seed: u64) -> u64 {
    s.map_or(K2 ^ seed, |s| text(s, seed).wrapping_add(1))
}

#[inline]
fn opt_id(v: Option<ObjectId>) -> u64 {
    v.map_or(K3, |v| fold(v, K2))
}

fn state_code(state: LeaseState) -> u64 {
    match state {
        LeaseState::Active => 1,
        LeaseState::ActiveReservation => 2,
        LeaseState::Offered => 3,
        LeaseState::Declined => 4,
        LeaseState::Expired => 5,
        LeaseState::InactiveReservation => 6,
        LeaseState::Other => 7,
    }
}

/// A lease read from a server.
pub(super) fn lease(l: &ServerLease) -> u64 {
    let ServerLease {
        ip,
        client_id,
        hostname,
        state,
        expires,
    } = l;
    let head = (u64::from(u32::from(*ip)) << 8) | state_code(*state);
    let a = fold(head, text(client_id, 1));
    let b = fold(text(hostname, 2), opt_text(expires.as_deref(), 3));
    fold(a, b ^ 0x1ea5e)
}

/// A reservation read from a server.
pub(super) fn reservation(r: &ServerReservation) -> u64 {
    let ServerReservation {
        ip,
        client_id,
        name,
        description,
    } = r;
    let a = fold(u64::from(u32::from(*ip)), text(client_id, 4));
    let b = fold(text(name, 5), text(description, 6));
    fold(a, b ^ 0x7e5e7)
}

/// A NetBox IP address under its map key.
pub(super) fn ip_address(key: ObjectId, ip: &IpamAddress) -> u64 {
    let IpamAddress {
        id,
        address,
        vrf,
        status,
        dns_name,
        tags,
        dhcp_client_id,
        etag,
    } = ip;
    let place = (u64::from(u32::from(address.ip())) << 8) | u64::from(address.prefix());
    let a = fold(key ^ id.rotate_left(17), place ^ opt_id(*vrf));
    let b = fold(text(status, 7), text(dns_name, 8));
    let c = fold(
        opt_text(dhcp_client_id.as_deref(), 9),
        opt_text(etag.as_deref(), 10),
    );
    let mut t = tags.len() as u64;
    for tag in tags {
        t = fold(t, text(tag, 11));
    }
    fold(a ^ t, fold(b, c) ^ 0x1b)
}

/// A lease-info row under its map key (the IP's id).
pub(super) fn lease_info(key: ObjectId, li: &LeaseInfo) -> u64 {
    let LeaseInfo {
        hostname,
        active,
        expires,
    } = li;
    let a = fold(key, u64::from(*active) | 0x1f0 << 8);
    fold(a, text(hostname, 12) ^ opt_text(expires.as_deref(), 13))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_of_every_length_differ() {
        // Every prefix of a string, and a one-byte change at each position, fingerprints
        // differently: the length and every byte count.
        let base: String = "abcdefghijklmnopqrstuvwxyz0123456789-.ABCDEFGHIJ".to_owned();
        let mut seen = std::collections::BTreeSet::new();
        for n in 0..=base.len() {
            let s = &base[..n];
            assert!(seen.insert(text(s, 1)), "prefix of length {n} collides");
            for i in 0..n {
                let mut changed = s.as_bytes().to_vec();
                changed[i] ^= 0x20;
                let changed = String::from_utf8(changed).unwrap_or_default();
                assert_ne!(
                    text(&changed, 1),
                    text(s, 1),
                    "byte {i} of length {n} ignored"
                );
            }
        }
        assert_ne!(text("dhcp", 1), text("dhcp", 2), "the seed counts");
        assert_ne!(opt_text(None, 3), opt_text(Some(""), 3));
    }

    #[test]
    fn every_field_of_a_lease_counts() {
        let l = ServerLease {
            ip: "10.0.0.5"
                .parse()
                .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
            client_id: "00-50-56-aa-bb-cc".into(),
            hostname: "pc-1.corp.example".into(),
            state: LeaseState::Active,
            expires: Some("2030-01-01T08:00:00Z".into()),
        };
        let base = lease(&l);
        let variants = [
            ServerLease {
                ip: std::net::Ipv4Addr::new(10, 0, 0, 6),
                ..l.clone()
            },
            ServerLease {
                client_id: "00-50-56-aa-bb-cd".into(),
                ..l.clone()
            },
            ServerLease {
                hostname: "pc-2.corp.example".into(),
                ..l.clone()
            },
            ServerLease {
                state: LeaseState::Expired,
                ..l.clone()
            },
            ServerLease {
                expires: None,
                ..l.clone()
            },
            // The same text moved from one field to another.
            ServerLease {
                client_id: "pc-1.corp.example".into(),
                hostname: "00-50-56-aa-bb-cc".into(),
                ..l.clone()
            },
        ];
        for v in &variants {
            assert_ne!(lease(v), base, "{v:?}");
        }
        assert_eq!(lease(&l), base, "deterministic");
    }
}
