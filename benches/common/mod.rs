//! Synthetic estates shared by the benches: a snapshot of N active leases spread over /24
//! scopes of one server, in the shape the gatherer produces.

#![allow(dead_code)] // each bench binary uses a different subset

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;
use netbox_windhcp::sync::CompactString;
use netbox_windhcp::sync::compact_str::format_compact;
use netbox_windhcp::sync::planner::{apply_to_snapshot, plan_sync};
use netbox_windhcp::sync::snapshot::{
    InventoryScope, InventoryServer, IpamPrefix, LeaseState, Read, ScopeSourceRef, ServerLease,
    ServerRead, ServerScope, Snapshot,
};

/// The server every synthetic estate lives on.
pub(crate) const SERVER: &str = "dhcp01.corp.example";

/// Leases per scope in the "realistic" estates (a busy /24).
pub(crate) const PER_SCOPE: usize = 250;

/// The network of scope number `index` (`10.a.b.0/24`, up to 65 536 scopes).
pub(crate) fn scope_network(index: usize) -> Ipv4Network {
    let hi = u8::try_from((index >> 8) & 0xff).unwrap_or(0);
    let lo = u8::try_from(index & 0xff).unwrap_or(0);
    Ipv4Network::new(Ipv4Addr::new(10, hi, lo, 0), 24).unwrap_or_else(|_| unreachable!())
}

/// A client id for lease number `n` in Windows' dashed spelling: `prefix` followed by the low
/// three bytes of `n`.
fn numbered_client_id(prefix: &str, n: usize) -> CompactString {
    let b = n.to_be_bytes();
    let len = b.len();
    format_compact!(
        "{prefix}{:02x}-{:02x}-{:02x}",
        b[len - 3],
        b[len - 2],
        b[len - 1]
    )
}

/// A MAC-style client id for lease number `n`, in Windows' dashed spelling.
pub(crate) fn client_id(n: usize) -> CompactString {
    numbered_client_id("00-50-56-", n)
}

/// A 12-byte, DUID-style client id (35 characters) for lease number `n`: longer than the
/// 24 bytes a short string can hold inline.
pub(crate) fn long_client_id(n: usize) -> CompactString {
    numbered_client_id("00-01-00-01-2c-1f-00-50-56-", n)
}

/// How long the synthetic client ids and host names are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Names {
    /// MAC client ids (17 characters) and `pc-0000042.corp.example` (23): the common case, short
    /// enough to be stored inline by a small-string type.
    #[default]
    Short,
    /// 35-character client ids and 46-character host names
    /// (`desktop-0000042.branch-office.corp.example`): never inline.
    Long,
}

/// One active lease, number `n`, at host `host` of `network`.
pub(crate) fn lease(network: Ipv4Network, host: u8, n: usize) -> ServerLease {
    lease_named(network, host, n, Names::Short)
}

/// One active lease, number `n`, at host `host` of `network`, with names of length `names`.
pub(crate) fn lease_named(network: Ipv4Network, host: u8, n: usize, names: Names) -> ServerLease {
    let o = network.network().octets();
    let (client_id, hostname) = match names {
        Names::Short => (client_id(n), format_compact!("pc-{n:07}.corp.example")),
        Names::Long => (
            long_client_id(n),
            format_compact!("desktop-{n:07}.branch-office.corp.example"),
        ),
    };
    ServerLease {
        ip: Ipv4Addr::new(o[0], o[1], o[2], host),
        client_id,
        hostname,
        state: LeaseState::Active,
        expires: Some("2030-01-01T08:00:00Z".into()),
    }
}

/// A snapshot with `leases` active leases, `per_scope` per scope (the last scope may hold
/// fewer), one standalone server, the scopes and their prefixes already in NetBox and no IP
/// addresses yet: the input of a first sync.
pub(crate) fn first_sync(leases: usize, per_scope: usize) -> Snapshot {
    first_sync_named(leases, per_scope, Names::Short)
}

/// [`first_sync`] with client ids and host names of length `names`.
pub(crate) fn first_sync_named(leases: usize, per_scope: usize, names: Names) -> Snapshot {
    let per_scope = per_scope.clamp(1, 250);
    let scopes = leases.div_ceil(per_scope);
    let mut snap = Snapshot::default();
    snap.settings.sync_ip_addresses = true;
    snap.inventory.servers.insert(
        SERVER.into(),
        InventoryServer {
            id: 1,
            hostname: SERVER.into(),
            sync_standalone: true,
        },
    );
    let mut remote = BTreeMap::new();
    let mut read = ServerRead {
        scopes: Read::Ok(BTreeMap::new()),
        failovers: Read::Ok(Vec::new()),
        leases: BTreeMap::new(),
        reservations: BTreeMap::new(),
        exclusions: BTreeMap::new(),
        options: BTreeMap::new(),
    };
    let mut n = 0;
    for i in 0..scopes {
        let net = scope_network(i);
        let o = net.network().octets();
        let id = u64::try_from(i).unwrap_or(u64::MAX) + 1;
        let start = Ipv4Addr::new(o[0], o[1], o[2], 2);
        let end = Ipv4Addr::new(o[0], o[1], o[2], 254);
        snap.ipam.prefixes.insert(
            id,
            IpamPrefix {
                id,
                prefix: net,
                vrf: None,
            },
        );
        snap.inventory.scopes.insert(
            id,
            InventoryScope {
                id,
                name: format!("scope-{i}"),
                description: String::new(),
                network: net,
                prefix_id: Some(id),
                start,
                end,
                router: Some(Ipv4Addr::new(o[0], o[1], o[2], 1)),
                lease_lifetime_secs: Some(28_800),
                active: true,
                source: ScopeSourceRef::Server(SERVER.into()),
                exclusions: Vec::new(),
                option_value_ids: Default::default(),
            },
        );
        remote.insert(
            net.network(),
            ServerScope {
                network: net,
                name: format!("scope-{i}"),
                description: String::new(),
                start,
                end,
                router: Some(Ipv4Addr::new(o[0], o[1], o[2], 1)),
                lease_lifetime_secs: Some(28_800),
                active: true,
                failover: None,
            },
        );
        let here = per_scope.min(leases - n);
        let list: Vec<ServerLease> = (0..here)
            .map(|h| lease_named(net, u8::try_from(h + 3).unwrap_or(254), n + h, names))
            .collect();
        n += here;
        read.leases.insert(net.network(), Read::Ok(list));
        read.reservations
            .insert(net.network(), Read::Ok(Vec::new()));
        read.exclusions.insert(net.network(), Read::Ok(Vec::new()));
        read.options.insert(net.network(), Read::Ok(Vec::new()));
    }
    read.scopes = Read::Ok(remote);
    snap.servers.insert(SERVER.into(), read);
    snap
}

/// The same estate after a successful first sync: NetBox already matches, the plan is empty.
pub(crate) fn steady(leases: usize, per_scope: usize) -> Snapshot {
    steady_named(leases, per_scope, Names::Short)
}

/// [`steady`] with client ids and host names of length `names`.
pub(crate) fn steady_named(leases: usize, per_scope: usize, names: Names) -> Snapshot {
    let first = first_sync_named(leases, per_scope, names);
    let plan = plan_sync(&first);
    apply_to_snapshot(&first, &plan)
}

/// `snap` with `percent` % of its leases churned: a third renamed, a third released and a
/// third handed to a new client at the same address. Deterministic.
pub(crate) fn churn(snap: &Snapshot, percent: usize) -> Snapshot {
    let mut out = snap.clone();
    let Some(read) = out.servers.get_mut(SERVER) else {
        return out;
    };
    let mut k = 0usize;
    let mut fresh = 0x00a0_0000usize;
    for list in read.leases.values_mut() {
        let Read::Ok(list) = list else { continue };
        let mut keep = Vec::with_capacity(list.len());
        for mut l in list.drain(..) {
            k += 1;
            if k % 100 < percent {
                match k % 3 {
                    0 => {
                        l.hostname = format_compact!("renamed-{k}.corp.example");
                        keep.push(l);
                    }
                    1 => {} // released
                    _ => {
                        fresh += 1;
                        keep.push(ServerLease {
                            ip: l.ip,
                            client_id: client_id(fresh),
                            hostname: format_compact!("new-{fresh}.corp.example"),
                            state: LeaseState::Active,
                            expires: Some("2030-01-01T09:00:00Z".into()),
                        });
                    }
                }
            } else {
                keep.push(l);
            }
        }
        *list = keep;
    }
    out
}
