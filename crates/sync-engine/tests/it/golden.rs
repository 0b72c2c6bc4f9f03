//! Plan byte-identity across planner optimisations.
//!
//! The planner was rewritten for speed (issue 7); the plans must not change. Each case below
//! builds a deterministic snapshot, plans it, serialises the plan to pretty JSON and compares a
//! fingerprint of the bytes (FNV-1a 64 and length) with the value recorded from the planner
//! *before* the rewrite. A mismatch means the plan format or the action order changed.
//!
//! The plan id (a content hash of the snapshot) is pinned on its own: its definition changed
//! once on purpose (per-lease rows fingerprinted field by field, see `planner/rows.rs`), and
//! the fingerprints below are of the JSON with the id blanked, recorded by the planner that
//! also matched the original whole-JSON fingerprints.
//!
//! To see what changed, dump the JSON of the old and new planner with
//! `GOLDEN_DUMP=/some/dir cargo test -p windhcp-sync-engine --test it golden` and diff the files.

use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;
use windhcp_sync_engine::CompactString;
use windhcp_sync_engine::compact_str::format_compact;
use windhcp_sync_engine::planner::{apply_to_snapshot, plan_sync};
use windhcp_sync_engine::snapshot::{
    AddressRange, InventoryScope, IpamAddress, IpamPrefix, LeaseInfo, LeaseState, Read,
    ScopeSourceRef, ServerLease, ServerReservation, ServerScope, Snapshot,
};

use crate::builder::*;

/// FNV-1a 64 of `bytes`: a fingerprint whose definition does not depend on the toolchain.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn client(n: u64, spelling: u64) -> CompactString {
    let b = n.to_be_bytes();
    match spelling % 4 {
        0 => format_compact!("00-50-56-{:02x}-{:02x}-{:02x}", b[5], b[6], b[7]),
        1 => format_compact!("00:50:56:{:02X}:{:02X}:{:02X}", b[5], b[6], b[7]),
        2 => format_compact!("0050.56{:02x}.{:02x}{:02x}", b[5], b[6], b[7]),
        _ => "not-a-client-id".into(),
    }
}

fn hostname(rng: &mut Rng, n: u64) -> CompactString {
    match rng.below(10) {
        0 => CompactString::default(),
        1 => format_compact!("Bad Host {n}"),
        2 => format_compact!("PC-{n}.Corp.Example"),
        _ => format_compact!("pc-{n}.corp.example"),
    }
}

/// A varied estate of about `leases` leases on one standalone server: existing NetBox IPs in
/// every status, managed and unmanaged, protected, duplicated, stale; reservations, expired
/// leases, invalid names and client ids, exclusions, a second VRF.
fn estate(seed: u64, leases: usize, push: bool) -> Snapshot {
    let mut rng = Rng(seed);
    let mut b = B::empty().server(S1, true);
    b.snap.settings.push_reservations = push;
    b.snap.settings.protect_tag = Some("keep".to_owned());
    b.snap.settings.update_client_id_for_protected = seed.is_multiple_of(2);
    let per_scope = 200usize;
    let scopes = leases.div_ceil(per_scope).max(1);
    let mut next_ip_id = 1u64;
    let mut n = 0u64;
    for i in 0..scopes {
        let hi = u8::try_from((i >> 8) & 0xff).unwrap();
        let lo = u8::try_from(i & 0xff).unwrap();
        let network = Ipv4Network::new(Ipv4Addr::new(10, hi, lo, 0), 24).unwrap();
        let id = u64::try_from(i).unwrap() + 1;
        let vrf = if i % 7 == 3 { Some(9) } else { None };
        let addr = |h: u8| Ipv4Addr::new(10, hi, lo, h);
        b.snap.ipam.prefixes.insert(
            id,
            IpamPrefix {
                id,
                prefix: network,
                vrf,
            },
        );
        let exclusions = if i % 5 == 1 {
            vec![AddressRange {
                start: addr(240),
                end: addr(250),
            }]
        } else {
            Vec::new()
        };
        b.snap.inventory.scopes.insert(
            id,
            InventoryScope {
                id,
                name: format!("scope-{i}"),
                description: String::new(),
                network,
                prefix_id: Some(id),
                start: addr(2),
                end: addr(254),
                router: Some(addr(1)),
                lease_lifetime_secs: Some(28_800),
                active: true,
                source: ScopeSourceRef::Server(S1.into()),
                exclusions: Vec::new(),
                option_value_ids: Default::default(),
            },
        );
        let mut scope_leases = Vec::new();
        let mut scope_res = Vec::new();
        for h in 3..=(3 + u8::try_from(per_scope.min(250)).unwrap()) {
            n += 1;
            let a = addr(h);
            let cid = n + 1000 * rng.below(2);
            let spelling = if rng.chance(5) { 3 } else { rng.below(3) };
            match rng.below(20) {
                0..=12 => scope_leases.push(ServerLease {
                    ip: a,
                    client_id: client(cid, spelling),
                    hostname: hostname(&mut rng, n),
                    state: if rng.chance(90) {
                        LeaseState::Active
                    } else {
                        LeaseState::Expired
                    },
                    expires: if rng.chance(90) {
                        Some(format_compact!("2030-01-01T08:{:02}:00Z", rng.below(60)))
                    } else {
                        None
                    },
                }),
                13..=14 => {
                    scope_res.push(ServerReservation {
                        ip: a,
                        client_id: client(cid, spelling),
                        name: hostname(&mut rng, n),
                        description: CompactString::default(),
                    });
                    if rng.chance(50) {
                        scope_leases.push(ServerLease {
                            ip: a,
                            client_id: client(cid, spelling),
                            hostname: hostname(&mut rng, n),
                            state: LeaseState::ActiveReservation,
                            expires: None,
                        });
                    }
                }
                _ => {}
            }
            // The NetBox side at this address.
            let existing = rng.below(10);
            if existing < 5 {
                let status = match rng.below(10) {
                    0..=5 => "dhcp",
                    6..=8 => "reserved",
                    _ => "active",
                };
                let copies = if rng.chance(1) { 2 } else { 1 };
                for _ in 0..copies {
                    let ip_id = next_ip_id;
                    next_ip_id += 1;
                    let mut tags = std::collections::BTreeSet::new();
                    if rng.chance(5) {
                        tags.insert("keep".to_owned());
                    }
                    let dhcp_client_id = match rng.below(6) {
                        0 => None,
                        1 => Some(CompactString::default()),
                        _ => Some(client(n + 1000 * rng.below(2), rng.below(4))),
                    };
                    b.snap.ipam.ip_addresses.insert(
                        ip_id,
                        IpamAddress {
                            id: ip_id,
                            address: Ipv4Network::new(a, 24).unwrap(),
                            vrf,
                            status: status.into(),
                            dns_name: if rng.chance(50) {
                                format_compact!("pc-{n}.corp.example")
                            } else {
                                CompactString::default()
                            },
                            tags,
                            dhcp_client_id,
                            etag: if rng.chance(50) {
                                Some(format_compact!("W/\"{ip_id}\""))
                            } else {
                                None
                            },
                        },
                    );
                    if rng.chance(70) {
                        b.snap.inventory.lease_info.insert(
                            ip_id,
                            LeaseInfo {
                                hostname: if rng.chance(50) {
                                    format_compact!("pc-{n}.corp.example")
                                } else {
                                    CompactString::default()
                                },
                                active: rng.chance(60),
                                expires: if rng.chance(50) {
                                    Some(format_compact!("2030-01-01T08:{:02}:00Z", rng.below(60)))
                                } else {
                                    None
                                },
                            },
                        );
                    }
                }
            }
        }
        let read = b.read_mut(S1);
        if let Read::Ok(remote) = &mut read.scopes {
            remote.insert(
                network.network(),
                ServerScope {
                    network,
                    name: format!("scope-{i}"),
                    description: String::new(),
                    start: addr(2),
                    end: addr(254),
                    router: Some(addr(1)),
                    lease_lifetime_secs: Some(28_800),
                    active: true,
                    failover: None,
                },
            );
        }
        // Input order must not matter; shuffle a little.
        if i % 3 == 0 {
            scope_leases.reverse();
        }
        read.leases
            .insert(network.network(), Read::Ok(scope_leases));
        read.reservations
            .insert(network.network(), Read::Ok(scope_res));
        read.exclusions
            .insert(network.network(), Read::Ok(exclusions));
        read.options.insert(network.network(), Read::Ok(Vec::new()));
    }
    b.snap
}

/// `(fnv1a, length)` of the pretty plan JSON with the id blanked, and the id; the JSON is
/// dumped to `$GOLDEN_DUMP/<name>.json` if set.
fn fingerprint(name: &str, snap: &Snapshot) -> (u64, usize, String) {
    let mut plan = plan_sync(snap);
    let id = std::mem::replace(&mut plan.id.0, "0".repeat(16));
    assert_eq!(id.len(), 16, "{name}: a plan id is 16 hex digits");
    let json = plan.to_json_pretty().unwrap();
    if let Ok(dir) = std::env::var("GOLDEN_DUMP") {
        std::fs::write(format!("{dir}/{name}.json"), &json).unwrap();
    }
    (fnv1a(json.as_bytes()), json.len(), id)
}

fn example() -> Snapshot {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/data/snapshot.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn cases() -> Vec<(&'static str, Snapshot)> {
    let pull = estate(11, 10_000, false);
    let push = estate(12, 10_000, true);
    let pull_after = apply_to_snapshot(&pull, &plan_sync(&pull));
    let mut budget = estate(13, 4_000, false);
    budget.settings.deletion_budget.per_scope_max = Some(3);
    budget.settings.deletion_budget.per_run_max = Some(40);
    vec![
        ("example", example()),
        ("estate_pull_10k", pull),
        ("estate_push_10k", push),
        ("estate_pull_10k_applied", pull_after),
        ("estate_budget_4k", budget),
    ]
}

/// Plan JSON with the id blanked: recorded from the planner whose whole-JSON fingerprints equal
/// those of commit dccdd57 (before the issue-7 rewrite).
const GOLDEN: &[(&str, u64, usize)] = &[
    ("example", 5_273_194_025_911_409_016, 5_868),
    ("estate_pull_10k", 4_409_824_975_629_903_495, 6_338_615),
    ("estate_push_10k", 11_343_615_378_469_582_107, 6_648_142),
    ("estate_pull_10k_applied", 260_460_191_363_612_598, 365_103),
    ("estate_budget_4k", 13_151_419_180_662_368_126, 2_343_272),
];

/// The plan ids (id definition of `planner/rows.rs`).
const IDS: &[(&str, &str)] = &[
    ("example", "14aa04a2b2f2b6c8"),
    ("estate_pull_10k", "ddeffc1587ceab87"),
    ("estate_push_10k", "3a26c89465dc3cda"),
    ("estate_pull_10k_applied", "8f90d027855d5d0f"),
    ("estate_budget_4k", "7ef8c4de73f17944"),
];

#[test]
fn plans_are_byte_identical_to_the_pre_optimisation_planner() {
    let got: Vec<(&str, u64, usize, String)> = cases()
        .iter()
        .map(|(name, snap)| {
            let (h, len, id) = fingerprint(name, snap);
            (*name, h, len, id)
        })
        .collect();
    // Every case produces a non-trivial plan (the generator is not silently degenerate).
    for (name, _, len, _) in &got {
        assert!(*len > 200, "{name}: plan unexpectedly small ({len} bytes)");
    }
    let content: Vec<(&str, u64, usize)> = got.iter().map(|(n, h, l, _)| (*n, *h, *l)).collect();
    let ids: Vec<(&str, &str)> = got.iter().map(|(n, _, _, id)| (*n, id.as_str())).collect();
    assert_eq!(
        content, GOLDEN,
        "plan JSON changed: dump with GOLDEN_DUMP and diff"
    );
    assert_eq!(
        ids, IDS,
        "plan ids changed: the id definition or the snapshot changed"
    );
}
