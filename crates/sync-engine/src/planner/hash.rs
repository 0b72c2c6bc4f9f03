//! The deterministic plan id: a content hash of the snapshot.
//!
//! Definition: a 64-bit multiply-rotate hash over the standard `Hash` encoding of each part of
//! the snapshot (stable for a given toolchain and byte order). Collections whose order carries
//! no meaning (leases, reservations, exclusions, options, failovers read from a server, a
//! scope's exclusions in the inventory) are hashed element by element and combined with a
//! commutative sum of mixed element hashes, so reading the same data in another order gives the
//! same id without sorting or cloning anything. The per-lease rows — leases and reservations
//! read from a server, NetBox IP addresses and lease-info rows, almost all of a big snapshot —
//! are summed the same way, but each row's hash is a fixed-layout fingerprint
//! ([`super::rows`]) instead of the generic `Hash` encoding, which is several times faster.

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

    /// Appends the low `n` bytes (`1..=8`) of `v` (little-endian) to the stream; the other
    /// bytes of `v` must be zero.
    #[inline]
    fn small(&mut self, v: u64, n: u32) {
        self.len = self.len.wrapping_add(u64::from(n));
        let shift = 8 * self.filled;
        // `shift` < 64 because `filled` < 8.
        self.word |= v << shift;
        let filled = self.filled + n;
        if filled >= 8 {
            let w = self.word;
            self.absorb(w);
            // The bytes of `v` that did not fit (none when `shift` is 0).
            self.word = if shift == 0 { 0 } else { v >> (64 - shift) };
            self.filled = filled - 8;
        } else {
            self.filled = filled;
        }
    }

    /// Appends `bytes` to the stream: the same words as feeding them one at a time, taken
    /// eight at a time.
    #[inline]
    fn bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        if self.filled == 0 {
            for chunk in &mut chunks {
                let mut w = [0u8; 8];
                w.copy_from_slice(chunk);
                self.absorb(u64::from_le_bytes(w));
            }
        } else {
            let shift = 8 * self.filled;
            for chunk in &mut chunks {
                let mut w = [0u8; 8];
                w.copy_from_slice(chunk);
                let v = u64::from_le_bytes(w);
                let word = self.word | (v << shift);
                self.absorb(word);
                self.word = v >> (64 - shift);
            }
        }
        let full = bytes.len() - chunks.remainder().len();
        self.len = self.len.wrapping_add(full as u64);
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // `rest` holds 1 to 7 bytes. After at least one full word they are the top bytes of
            // the input's last eight: one load and a shift. A shorter input is gathered byte by
            // byte (without a `memcpy` call).
            // `rest.len()` is below 8: the conversion cannot fail.
            let n = u32::try_from(rest.len()).unwrap_or(1);
            let v = match bytes.last_chunk::<8>() {
                Some(last) => u64::from_le_bytes(*last) >> (8 * (8 - n)),
                None => {
                    let mut v = 0u64;
                    for (i, &b) in rest.iter().enumerate() {
                        v |= u64::from(b) << (8 * i);
                    }
                    v
                }
            };
            self.small(v, n);
        }
    }

    fn u64(&mut self, v: u64) {
        self.small(v, 8);
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
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.bytes(bytes);
    }

    // The integer writes below feed exactly the bytes the default methods would (native
    // byte order), without the slice loop.
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.small(u64::from(i), 1);
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.small(u64::from(u16::from_le_bytes(i.to_ne_bytes())), 2);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.small(u64::from(u32::from_le_bytes(i.to_ne_bytes())), 4);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.small(u64::from_le_bytes(i.to_ne_bytes()), 8);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        match u64::try_from(i) {
            Ok(v) if size_of::<usize>() == 8 => self.write_u64(v),
            _ => self.bytes(&i.to_ne_bytes()),
        }
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

/// The generic hash of one element of an unordered collection (its standard `Hash` encoding,
/// on a hasher of its own, so the elements' hash chains do not depend on each other).
fn element<T: Hash>(item: &T) -> u64 {
    let mut h = Fnv::new();
    h.value(item);
    h.digest()
}

/// An order-independent collection: the wrapping sum of its elements' hashes (the generic
/// [`element`], or a row fingerprint of [`super::rows`] for the per-lease rows), and the count.
fn unordered<T>(out: &mut Fnv, items: impl IntoIterator<Item = T>, hash: impl Fn(T) -> u64) {
    let mut sum = 0u64;
    let mut count = 0u64;
    for item in items {
        sum = sum.wrapping_add(hash(item));
        count += 1;
    }
    out.u64(sum);
    out.u64(count);
}

/// A server read of an order-independent collection (see [`unordered`]).
fn read_unordered<T>(out: &mut Fnv, read: &Read<Vec<T>>, hash: impl Fn(&T) -> u64) {
    match read {
        Read::Ok(items) => {
            out.bytes(b"ok");
            unordered(out, items, hash);
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
        unordered(&mut h, &scope.exclusions, element);
    }
    h.value(&inv.option_values);
    h.bytes(b"lease_info");
    unordered(&mut h, &inv.lease_info, |(k, li)| {
        super::rows::lease_info(*k, li)
    });

    for (name, read) in &snapshot.servers {
        h.value(name);
        h.value(&read.scopes);
        read_unordered(&mut h, &read.failovers, element);
        for (sid, r) in &read.leases {
            h.value(sid);
            read_unordered(&mut h, r, super::rows::lease);
        }
        h.bytes(b"reservations");
        for (sid, r) in &read.reservations {
            h.value(sid);
            read_unordered(&mut h, r, super::rows::reservation);
        }
        h.bytes(b"exclusions");
        for (sid, r) in &read.exclusions {
            h.value(sid);
            read_unordered(&mut h, r, element);
        }
        h.bytes(b"options");
        for (sid, r) in &read.options {
            h.value(sid);
            read_unordered(&mut h, r, element);
        }
    }
    h.bytes(b"ipam");
    h.value(&snapshot.ipam.prefixes);
    unordered(&mut h, &snapshot.ipam.ip_addresses, |(k, ip)| {
        super::rows::ip_address(*k, ip)
    });
    h.digest()
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test data: truncation intended
mod tests {
    use super::*;

    /// The stream definition, one byte at a time.
    struct Reference {
        state: u64,
        bytes: Vec<u8>,
    }

    impl Reference {
        fn digest(&self) -> u64 {
            let mut state = self.state;
            let mut absorb = |w: u64| state = (state ^ w).wrapping_mul(MUL).rotate_left(29);
            let mut chunks = self.bytes.chunks_exact(8);
            for c in &mut chunks {
                let mut w = [0u8; 8];
                w.copy_from_slice(c);
                absorb(u64::from_le_bytes(w));
            }
            let mut w = [0u8; 8];
            w[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
            absorb(u64::from_le_bytes(w));
            absorb(self.bytes.len() as u64);
            mix(state)
        }
    }

    #[test]
    fn fast_writes_equal_the_byte_stream() {
        let mut seed = 0x1234_5678_u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            seed >> 33
        };
        for round in 0..500 {
            let mut fast = Fnv::new();
            let mut slow = Reference {
                state: SEED,
                bytes: Vec::new(),
            };
            for _ in 0..(round % 40) {
                let v = next() ^ (next() << 31);
                match next() % 7 {
                    0 => {
                        fast.write_u8(v as u8);
                        slow.bytes.push(v as u8);
                    }
                    1 => {
                        fast.write_u16(v as u16);
                        slow.bytes.extend((v as u16).to_ne_bytes());
                    }
                    2 => {
                        fast.write_u32(v as u32);
                        slow.bytes.extend((v as u32).to_ne_bytes());
                    }
                    3 => {
                        fast.write_u64(v);
                        slow.bytes.extend(v.to_ne_bytes());
                    }
                    4 => {
                        fast.write_usize(v as usize);
                        slow.bytes.extend((v as usize).to_ne_bytes());
                    }
                    5 => {
                        fast.u64(v);
                        slow.bytes.extend(v.to_le_bytes());
                    }
                    _ => {
                        let n = (next() % 40) as usize;
                        let data: Vec<u8> = (0..n).map(|_| next() as u8).collect();
                        fast.write(&data);
                        slow.bytes.extend(&data);
                    }
                }
            }
            assert_eq!(fast.digest(), slow.digest(), "round {round}");
        }
    }
}
