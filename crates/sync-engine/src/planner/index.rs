//! Indexes built once per planning run.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use crate::snapshot::{Ipam, IpamAddress, LeaseInfo, ObjectId};

/// NetBox IP addresses sorted by (VRF, address, id): point and range lookups by binary search,
/// duplicates adjacent. Each entry carries the IP's lease-info row, joined once when the index
/// is built (both maps are in id order), so the planner never searches the lease-info map.
#[derive(Debug)]
pub(crate) struct IpIndex<'a> {
    entries: Vec<Entry<'a>>,
}

/// One index entry: (VRF, address as integer, object, its lease-info row).
pub(crate) type Entry<'a> = (
    Option<ObjectId>,
    u32,
    &'a IpamAddress,
    Option<&'a LeaseInfo>,
);

/// What NetBox holds at one (VRF, address).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot<'a> {
    /// Exactly one IP object, with its lease-info row if it has one.
    One(&'a IpamAddress, Option<&'a LeaseInfo>),
    /// Several IP objects (a conflict: none of them is touched).
    Many(&'a [Entry<'a>]),
}

impl<'a> Slot<'a> {
    /// The ids of all objects in the slot, sorted.
    pub(crate) fn ids(&self) -> Vec<ObjectId> {
        match self {
            Slot::One(ip, _) => vec![ip.id],
            Slot::Many(entries) => entries.iter().map(|e| e.2.id).collect(),
        }
    }
}

impl<'a> IpIndex<'a> {
    pub(crate) fn new(ipam: &'a Ipam, lease_info: &'a BTreeMap<ObjectId, LeaseInfo>) -> Self {
        // A merge join: both maps iterate in id order.
        let mut rows = lease_info.iter().peekable();
        let mut entries: Vec<Entry<'a>> = Vec::with_capacity(ipam.ip_addresses.len());
        for (&id, ip) in &ipam.ip_addresses {
            while rows.next_if(|(row, _)| **row < id).is_some() {}
            let li = rows.next_if(|(row, _)| **row == id).map(|(_, li)| li);
            entries.push((ip.vrf, u32::from(ip.address.ip()), ip, li));
        }
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
            Slot::One(first.2, first.3)
        } else {
            Slot::Many(group)
        };
        Some((key, slot))
    }
}
