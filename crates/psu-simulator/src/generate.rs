//! Deterministic, realistic generated estates.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::model::{
    AddressState, Estate, Exclusion, Failover, FailoverMode, Lease, OptionValue, Reservation,
    ReservationType, Scope, ScopeState, ServerState, UNLIMITED_LEASE_SECS, build_option,
};

/// What to generate. The same spec (including `seed`) always gives the same estate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstateSpec {
    /// Standalone servers.
    pub servers: usize,
    /// Failover pairs (two servers each, sharing their failover scopes).
    pub failover_pairs: usize,
    /// Scopes per standalone server and per pair.
    pub scopes: usize,
    /// Leases per scope (dynamic leases; reservations come on top).
    pub leases_per_scope: usize,
    /// Reservations per scope.
    pub reservations_per_scope: usize,
    /// Random seed.
    pub seed: u64,
    /// "Now" of the generated estate as Unix seconds (lease expiries are relative to it); fixed by
    /// default so that dumps are reproducible.
    pub base_time: i64,
    /// DNS domain of the servers and scopes.
    pub domain: String,
}

impl Default for EstateSpec {
    fn default() -> Self {
        Self {
            servers: 1,
            failover_pairs: 0,
            scopes: 10,
            leases_per_scope: 50,
            reservations_per_scope: 5,
            seed: 1,
            // 2030-01-01T00:00:00Z
            base_time: 1_893_456_000,
            domain: "corp.example".to_owned(),
        }
    }
}

const OUIS: &[[u8; 3]] = &[
    [0x00, 0x50, 0x56], // VMware
    [0x3c, 0x52, 0x82], // HP
    [0x00, 0x1b, 0x21], // Intel
    [0xf0, 0x1f, 0xaf], // Dell
    [0x00, 0x0e, 0x08], // Cisco/Linksys phones
    [0xac, 0xde, 0x48], // Apple-ish
    [0x00, 0x15, 0x5d], // Hyper-V
    [0x80, 0xe8, 0x2c], // HP printers
    [0x28, 0x16, 0xad], // Intel wireless
    [0x00, 0x04, 0xf2], // Polycom
];

const SITES: &[&str] = &["HQ", "BER", "MUC", "HAM", "LON", "NYC", "SIN", "PAR"];
const PURPOSES: &[&str] = &[
    "Clients",
    "Voice",
    "Printers",
    "WiFi-Corp",
    "WiFi-Guest",
    "Servers",
    "IoT",
    "Lab",
];
const FIRST: &[&str] = &[
    "jsmith",
    "amueller",
    "kweber",
    "lfischer",
    "mschulz",
    "pwagner",
    "tbecker",
    "nhoffmann",
    "dkoch",
    "srichter",
    "eklein",
    "bwolf",
];
const LEASE_CHOICES: &[u32] = &[8 * 3600, 86_400, 86_400, 3 * 86_400, 8 * 86_400, 8 * 86_400];

fn ip(v: u32) -> Ipv4Addr {
    Ipv4Addr::from(v)
}

fn prefix_for(needed: usize) -> u32 {
    let mut prefix = 24u32;
    while prefix > 8 && (1usize << (32 - prefix)) < needed {
        prefix -= 1;
    }
    prefix
}

struct Gen {
    rng: StdRng,
    next_net: u32,
    spec: EstateSpec,
}

impl Gen {
    fn mac(&mut self, used: &mut BTreeSet<String>) -> String {
        loop {
            let oui = OUIS
                .choose(&mut self.rng)
                .copied()
                .unwrap_or([0, 0x50, 0x56]);
            let nic: [u8; 3] = self.rng.random();
            let s = format!(
                "{:02x}-{:02x}-{:02x}-{:02x}-{:02x}-{:02x}",
                oui[0], oui[1], oui[2], nic[0], nic[1], nic[2]
            );
            if used.insert(s.clone()) {
                return s;
            }
        }
    }

    fn hostname(&mut self, purpose: &str, site: &str, n: usize) -> String {
        let r: u32 = self.rng.random_range(0..100);
        match purpose {
            "Voice" => format!("SEP{:012X}", self.rng.random::<u64>() & 0xFFFF_FFFF_FFFF),
            "Printers" => format!("prn-{}-{n:03}", site.to_ascii_lowercase()),
            "IoT" if r < 40 => String::new(),
            "IoT" => format!("sensor-{:04x}", self.rng.random::<u16>()),
            "WiFi-Guest" if r < 30 => String::new(),
            "WiFi-Guest" if r < 60 => format!("iPhone-{}", n % 97),
            "WiFi-Guest" => format!("android-{:016x}", self.rng.random::<u64>()),
            "Servers" => format!(
                "srv-{}-{n:03}.{}",
                site.to_ascii_lowercase(),
                self.spec.domain
            ),
            _ if r < 10 => String::new(),
            _ if r < 40 => {
                let who = FIRST.choose(&mut self.rng).copied().unwrap_or("user");
                format!(
                    "LT-{}-{:02}.{}",
                    who.to_ascii_uppercase(),
                    n % 100,
                    self.spec.domain
                )
            }
            _ => format!("WS-{site}-{n:04}.{}", self.spec.domain),
        }
    }

    fn scope(&mut self, k: usize) -> Scope {
        let spec = &self.spec;
        let needed = (spec.leases_per_scope + spec.reservations_per_scope) * 5 / 4 + 40;
        let prefix = prefix_for(needed);
        let size = 1u32 << (32 - prefix);
        let net = self.next_net.div_ceil(size) * size;
        self.next_net = net + size;
        let mask = u32::MAX << (32 - prefix);
        let site = SITES[k % SITES.len()];
        let purpose = PURPOSES[(k / SITES.len()) % PURPOSES.len()];
        let mut s = Scope::new(ip(net), ip(mask), ip(net + 10), ip(net + size - 2));
        s.name = format!("{site}-{purpose}-{:04}", k + 1);
        s.description = if self.rng.random_range(0..4) == 0 {
            String::new()
        } else {
            format!("VLAN {} {site} floor {}", 100 + k % 3900, 1 + k % 7)
        };
        s.state = if self.rng.random_range(0..25) == 0 {
            ScopeState::InActive
        } else {
            ScopeState::Active
        };
        s.lease_duration_seconds = if self.rng.random_range(0..40) == 0 {
            UNLIMITED_LEASE_SECS
        } else {
            LEASE_CHOICES
                .choose(&mut self.rng)
                .copied()
                .unwrap_or(86_400)
        };
        let mut opts: Vec<OptionValue> = Vec::new();
        let mut push = |code: u8, v: Vec<String>| {
            if let Ok(o) = build_option(code, v, None, None) {
                opts.push(o);
            }
        };
        push(3, vec![ip(net + 1).to_string()]);
        push(6, vec!["10.250.0.10".into(), "10.250.0.11".into()]);
        push(
            15,
            vec![format!(
                "{}.{}",
                site.to_ascii_lowercase(),
                self.spec.domain
            )],
        );
        if k.is_multiple_of(3) {
            push(42, vec!["10.250.0.123".into()]);
        }
        if purpose == "Voice" {
            push(66, vec!["10.250.5.20".into()]);
            push(150, vec!["10.250.5.20".into()]);
        }
        if purpose == "Lab" {
            push(67, vec!["boot\\x64\\wdsnbp.com".into()]);
        }
        for o in opts {
            let _ = s.set_option(o);
        }
        // One exclusion at the start of the range, sometimes a second block for statics.
        let _ = s.add_exclusion(Exclusion {
            start_ip: ip(net + 10),
            end_ip: ip(net + 14),
        });
        if self.rng.random_range(0..3) == 0 {
            let _ = s.add_exclusion(Exclusion {
                start_ip: ip(net + size - 12),
                end_ip: ip(net + size - 3),
            });
        }
        self.fill(&mut s, site, purpose);
        s
    }

    fn fill(&mut self, s: &mut Scope, site: &str, purpose: &str) {
        let base = self.spec.base_time;
        let lease_secs = s.lease_duration_seconds;
        let excluded = |v: u32, s: &Scope| {
            s.exclusions
                .iter()
                .any(|e| (u32::from(e.start_ip)..=u32::from(e.end_ip)).contains(&v))
        };
        let mut free: Vec<u32> = (u32::from(s.start_ip)..=u32::from(s.end_ip))
            .filter(|v| !excluded(*v, s))
            .collect();
        free.shuffle(&mut self.rng);
        let mut used_macs = BTreeSet::new();
        let nres = self.spec.reservations_per_scope.min(free.len());
        let res_ips: Vec<u32> = free.drain(..nres).collect();
        for (n, v) in res_ips.into_iter().enumerate() {
            let mac = self.mac(&mut used_macs);
            let name = self.hostname(purpose, site, n);
            let r = Reservation {
                ip_address: ip(v),
                client_id: mac.clone(),
                name: if name.is_empty() {
                    format!("res-{n:03}")
                } else {
                    name.clone()
                },
                description: if n % 4 == 0 {
                    format!("asset {}", 10_000 + n)
                } else {
                    String::new()
                },
                kind: if n % 9 == 0 {
                    ReservationType::Dhcp
                } else {
                    ReservationType::Both
                },
            };
            let active = self.rng.random_range(0..100) < 85;
            let _ = s.add_reservation(r);
            s.leases.insert(
                ip(v),
                Lease {
                    ip_address: ip(v),
                    client_id: mac,
                    hostname: if active { name } else { String::new() },
                    address_state: if active {
                        AddressState::ActiveReservation
                    } else {
                        AddressState::InactiveReservation
                    },
                    lease_expiry: None,
                },
            );
        }
        let nlease = self.spec.leases_per_scope.min(free.len());
        let mut lease_ips: Vec<u32> = free.drain(..nlease).collect();
        lease_ips.sort_unstable();
        for (n, v) in lease_ips.into_iter().enumerate() {
            let r: u32 = self.rng.random_range(0..100);
            let state = match r {
                0..90 => AddressState::Active,
                90..94 => AddressState::Offered,
                94..96 => AddressState::Declined,
                _ => AddressState::Expired,
            };
            let expiry = match state {
                _ if lease_secs == UNLIMITED_LEASE_SECS => None,
                AddressState::Expired => {
                    Some(base - i64::from(self.rng.random_range(60..86_400u32)))
                }
                AddressState::Offered => Some(base + 60),
                _ => Some(base + i64::from(self.rng.random_range(60..=lease_secs.max(61)))),
            };
            let mac = self.mac(&mut used_macs);
            let hostname = if state == AddressState::Declined {
                String::new()
            } else {
                self.hostname(purpose, site, n)
            };
            s.leases.insert(
                ip(v),
                Lease {
                    ip_address: ip(v),
                    client_id: mac,
                    hostname,
                    address_state: state,
                    lease_expiry: expiry,
                },
            );
        }
    }
}

fn server_options(domain: &str) -> Vec<OptionValue> {
    [
        (6, vec!["10.250.0.10".to_owned(), "10.250.0.11".to_owned()]),
        (15, vec![domain.to_owned()]),
        (42, vec!["10.250.0.123".to_owned()]),
    ]
    .into_iter()
    .filter_map(|(c, v)| build_option(c, v, None, None).ok())
    .collect()
}

/// Generates an estate: `servers` standalone servers named `dhcpNN.<domain>`, then
/// `failover_pairs` pairs; every fifth scope of a pair stays local to the first member, the
/// others are in the pair's LoadBalance relationship `fo-<a>-<b>` and exist on both members with
/// identical content. Scopes are consecutive aligned blocks of 10.0.0.0/8 sized for the leases.
#[must_use]
pub fn generate(spec: &EstateSpec) -> Estate {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(spec.seed),
        next_net: u32::from(Ipv4Addr::new(10, 0, 0, 0)),
        spec: spec.clone(),
    };
    let mut servers = Vec::new();
    let mut n = 0usize;
    let mut k = 0usize;
    let name = |n: &mut usize| {
        *n += 1;
        format!("dhcp{:02}.{}", *n, spec.domain)
    };
    for _ in 0..spec.servers {
        let mut s = ServerState::new(name(&mut n));
        s.server_options = server_options(&spec.domain);
        for _ in 0..spec.scopes {
            let sc = g.scope(k);
            k += 1;
            s.scopes.insert(sc.scope_id, sc);
        }
        servers.push(s);
    }
    for _ in 0..spec.failover_pairs {
        let (a_name, b_name) = (name(&mut n), name(&mut n));
        let short = |x: &str| x.split('.').next().unwrap_or(x).to_owned();
        let fo_name = format!("fo-{}-{}", short(&a_name), short(&b_name));
        let mut a = ServerState::new(a_name.clone());
        let mut b = ServerState::new(b_name.clone());
        a.server_options = server_options(&spec.domain);
        b.server_options = server_options(&spec.domain);
        let mut members = BTreeSet::new();
        for i in 0..spec.scopes {
            let sc = g.scope(k);
            k += 1;
            if i % 5 != 4 {
                members.insert(sc.scope_id);
                b.scopes.insert(sc.scope_id, sc.clone());
            }
            a.scopes.insert(sc.scope_id, sc);
        }
        let f = Failover {
            name: fo_name.clone(),
            partner_server: b_name,
            mode: FailoverMode::LoadBalance,
            scope_ids: members,
            max_client_lead_time: 3600,
            max_response_delay: 30,
            state_switchover_interval: Some(3600),
            enable_auth: false,
            shared_secret: None,
            load_balance_percent: Some(50),
            reserve_percent: None,
            server_role: None,
            state: "Normal".to_owned(),
        };
        b.failovers.insert(fo_name.clone(), f.mirrored(&a_name));
        a.failovers.insert(fo_name, f);
        servers.push(a);
        servers.push(b);
    }
    Estate { servers }
}
