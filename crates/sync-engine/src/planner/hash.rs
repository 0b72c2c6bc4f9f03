//! The deterministic plan id: a content hash of the snapshot.
//!
//! Definition: a 64-bit multiply-rotate hash over the standard `Hash` encoding of each part of
//! the snapshot (stable for a given toolchain and byte order). Collections
//! whose order carries no meaning (leases, reservations, exclusions, options, failovers read
//! from a server, a scope's exclusions in the inventory) are hashed element by element and
//! combined with a commutative sum of mixed element hashes, so reading the same data in another
//! order gives the same id without sorting or cloning anything.

use std::hash::{Hash, Hasher};

use crate::snapshot::{Read, Snapshot};

const SEED: u64 = 0xcbf2_9ce4_8422_2325;
const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

/// A small streaming hash (64-bit words, multiply-rotate) usable as a [`Hasher`]. The result
/// does not depend on how the input is split into `write` calls.
#[derive(Debug, Clone, Copy)]
struct Fnv {
    state: u64,
    word: u64,
    filled: u32,
    len: u64,
}

impl Fnv {
    fn new() -> Self {
        Self {
            state: SEED,
            word: 0,
            filled: 0,
            len: 0,
        }
    }

    fn absorb(&mut self, word: u64) {
        self.state = (self.state ^ word).wrapping_mul(MUL).rotate_left(29);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.len = self.len.wrapping_add(bytes.len() as u64);
        let mut rest = bytes;
        while self.filled != 0 && !rest.is_empty() {
            self.word |= u64::from(rest[0]) << (8 * self.filled);
            self.filled += 1;
            rest = &rest[1..];
            if self.filled == 8 {
                let w = self.word;
                self.absorb(w);
                self.word = 0;
                self.filled = 0;
            }
        }
        let mut chunks = rest.chunks_exact(8);
        for chunk in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            self.absorb(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.word |= u64::from(b) << (8 * self.filled);
            self.filled += 1;
        }
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    fn value<T: Hash + ?Sized>(&mut self, value: &T) {
        value.hash(self);
    }

    fn digest(&self) -> u64 {
        let mut h = *self;
        let w = h.word;
        h.absorb(w);
        let len = h.len;
        h.absorb(len);
        mix(h.state)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        self.bytes(bytes);
    }

    fn finish(&self) -> u64 {
        self.digest()
    }
}

/// splitmix64 finaliser: spreads one element hash before the commutative sum.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Order-independent hash of a collection.
fn unordered<'a, T: Hash + 'a>(items: impl IntoIterator<Item = &'a T>) -> (u64, u64) {
    let mut sum = 0u64;
    let mut count = 0u64;
    for item in items {
        let mut h = Fnv::new();
        h.value(item);
        sum = sum.wrapping_add(h.digest());
        count += 1;
    }
    (sum, count)
}

fn read_unordered<T: Hash>(out: &mut Fnv, read: &Read<Vec<T>>) {
    match read {
        Read::Ok(items) => {
            out.bytes(b"ok");
            let (sum, count) = unordered(items);
            out.u64(sum);
            out.u64(count);
        }
        Read::Failed { error } => {
            out.bytes(b"failed");
            out.value(error);
        }
    }
}

/// The content hash of a snapshot (see the module docs).
pub(crate) fn snapshot_hash(snapshot: &Snapshot) -> u64 {
    let mut h = Fnv::new();
    h.value(&snapshot.settings);

    let inv = &snapshot.inventory;
    h.value(&inv.servers);
    h.value(&inv.failovers);
    for (id, scope) in &inv.scopes {
        h.u64(*id);
        // Everything but the exclusion list, which is hashed without regard to order.
        h.value(&(
            &scope.name,
            &scope.description,
            &scope.network,
            &scope.prefix_id,
            &scope.start,
            &scope.end,
            &scope.router,
            &scope.lease_lifetime_secs,
            &scope.active,
            &scope.source,
            &scope.option_value_ids,
        ));
        let (sum, count) = unordered(&scope.exclusions);
        h.u64(sum);
        h.u64(count);
    }
    h.value(&inv.option_values);
    h.value(&inv.lease_info);

    for (name, read) in &snapshot.servers {
        h.value(name);
        h.value(&read.scopes);
        read_unordered(&mut h, &read.failovers);
        for (sid, r) in &read.leases {
            h.value(sid);
            read_unordered(&mut h, r);
        }
        h.bytes(b"reservations");
        for (sid, r) in &read.reservations {
            h.value(sid);
            read_unordered(&mut h, r);
        }
        h.bytes(b"exclusions");
        for (sid, r) in &read.exclusions {
            h.value(sid);
            read_unordered(&mut h, r);
        }
        h.bytes(b"options");
        for (sid, r) in &read.options {
            h.value(sid);
            read_unordered(&mut h, r);
        }
    }
    h.bytes(b"ipam");
    h.value(&snapshot.ipam);
    h.digest()
}
