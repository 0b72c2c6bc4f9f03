//! Indexes built once per planning run.

use std::net::Ipv4Addr;

use crate::snapshot::{Ipam, IpamAddress, ObjectId};

/// NetBox IP addresses sorted by (VRF, address, id): point and range lookups by binary search,
/// duplicates adjacent.
#[derive(Debug)]
pub(crate) struct IpIndex<'a> {
    entries: Vec<Entry<'a>>,
}

/// One index entry: (VRF, address as integer, object).
pub(crate) type Entry<'a> = (Option<ObjectId>, u32, &'a IpamAddress);

/// What NetBox holds at one (VRF, address).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot<'a> {
    /// Exactly one IP object.
    One(&'a IpamAddress),
    /// Several IP objects (a conflict: none of them is touched).
    Many(&'a [Entry<'a>]),
}

impl<'a> Slot<'a> {
    /// The ids of all objects in the slot, sorted.
    pub(crate) fn ids(&self) -> Vec<ObjectId> {
        match self {
            Slot::One(ip) => vec![ip.id],
            Slot::Many(entries) => entries.iter().map(|e| e.2.id).collect(),
        }
    }
}

impl<'a> IpIndex<'a> {
    pub(crate) fn new(ipam: &'a Ipam) -> Self {
        let mut entries: Vec<_> = ipam
            .ip_addresses
            .values()
            .map(|ip| (ip.vrf, u32::from(ip.address.ip()), ip))
            .collect();
        // NetBox hands out ids in creation order, which is often address order: skip the sort
        // then.
        if !entries.is_sorted_by_key(|e| (e.0, e.1, e.2.id)) {
            entries.sort_unstable_by_key(|e| (e.0, e.1, e.2.id));
        }
        Self { entries }
    }

    /// All slots of `vrf` with addresses in `first..=last`, in address order.
    pub(crate) fn range(
        &self,
        vrf: Option<ObjectId>,
        first: Ipv4Addr,
        last: Ipv4Addr,
    ) -> SlotIter<'_> {
        let lo = (vrf, u32::from(first));
        let hi = (vrf, u32::from(last));
        let start = self.entries.partition_point(|e| (e.0, e.1) < lo);
        let end = self.entries.partition_point(|e| (e.0, e.1) <= hi);
        SlotIter {
            rest: &self.entries[start..end.max(start)],
        }
    }
}

/// Iterator over the slots of a range.
#[derive(Debug)]
pub(crate) struct SlotIter<'s> {
    rest: &'s [Entry<'s>],
}

impl<'s> Iterator for SlotIter<'s> {
    type Item = (u32, Slot<'s>);

    fn next(&mut self) -> Option<Self::Item> {
        let first = self.rest.first()?;
        let key = first.1;
        let n = self.rest.iter().take_while(|e| e.1 == key).count();
        let (group, rest) = self.rest.split_at(n);
        self.rest = rest;
        let slot = if n == 1 {
            Slot::One(first.2)
        } else {
            Slot::Many(group)
        };
        Some((key, slot))
    }
}
