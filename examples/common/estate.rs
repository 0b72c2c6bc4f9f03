//! Helpers around the PSU simulator's estates: moving a generated estate to its own address
//! block, listing its scopes, finding free addresses, and connecting to a running simulator.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;
use netbox_windhcp::model::{Secret, ServerConnection};
use serde_json::Value;
use windhcp_psu_simulator::{Estate, RunningSimulator, Scope, mask_prefix};

/// The error type: a message for a human.
pub type EstateError = Box<dyn std::error::Error + Send + Sync>;

/// Generated estates live in `10.0.0.0/8`.
const GENERATED_BASE: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 0);

fn is_generated(ip: Ipv4Addr) -> bool {
    ip.octets()[0] == 10
}

/// Move every address of a generated estate from `10.0.0.0/8` to the same offsets above
/// `base`, so that several runs (or other users of one NetBox) never share a network.
///
/// Every string in the estate's JSON (values and map keys) that is an IPv4 address inside
/// `10.0.0.0/8` moves; anything else is left alone.
pub fn rebase(estate: &Estate, base: Ipv4Addr) -> Result<Estate, EstateError> {
    let mut value = serde_json::to_value(estate)?;
    let delta = i64::from(u32::from(base)) - i64::from(u32::from(GENERATED_BASE));
    shift(&mut value, delta);
    Ok(serde_json::from_value(value)?)
}

fn shift_one(text: &str, delta: i64) -> Option<String> {
    let ip: Ipv4Addr = text.parse().ok()?;
    if !is_generated(ip) {
        return None;
    }
    let moved = u32::try_from(i64::from(u32::from(ip)) + delta).ok()?;
    Some(Ipv4Addr::from(moved).to_string())
}

fn shift(value: &mut Value, delta: i64) {
    match value {
        Value::String(s) => {
            if let Some(moved) = shift_one(s, delta) {
                *s = moved;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| shift(v, delta)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (key, mut v) in old {
                shift(&mut v, delta);
                let key = shift_one(&key, delta).unwrap_or(key);
                map.insert(key, v);
            }
        }
        _ => {}
    }
}

/// The network of a simulator scope.
pub fn network_of(scope: &Scope) -> Option<Ipv4Network> {
    let prefix = u8::try_from(mask_prefix(scope.subnet_mask)?).ok()?;
    Ipv4Network::new(scope.scope_id, prefix).ok()
}

/// Every scope network of the estate (failover scopes once), sorted.
pub fn networks(estate: &Estate) -> Vec<Ipv4Network> {
    let set: BTreeSet<Ipv4Network> = estate
        .servers
        .iter()
        .flat_map(|s| s.scopes.values())
        .filter_map(network_of)
        .collect();
    set.into_iter().collect()
}

/// Counts of (scopes, leases, reservations, exclusions, option values), failover scopes once.
pub fn counts(estate: &Estate) -> (usize, usize, usize, usize, usize) {
    let mut seen = BTreeSet::new();
    let (mut scopes, mut leases, mut reservations, mut exclusions, mut options) = (0, 0, 0, 0, 0);
    for server in &estate.servers {
        for scope in server.scopes.values() {
            if !seen.insert(scope.scope_id) {
                continue;
            }
            scopes += 1;
            leases += scope.leases.len();
            reservations += scope.reservations.len();
            exclusions += scope.exclusions.len();
            options += scope.options.len();
        }
    }
    (scopes, leases, reservations, exclusions, options)
}

/// Up to `n` addresses of the scope's range that hold no lease or reservation and are not
/// excluded, from the top of the range down.
pub fn free_addresses(scope: &Scope, n: usize) -> Vec<Ipv4Addr> {
    let excluded = |v: u32| {
        scope
            .exclusions
            .iter()
            .any(|e| (u32::from(e.start_ip)..=u32::from(e.end_ip)).contains(&v))
    };
    (u32::from(scope.start_ip)..=u32::from(scope.end_ip))
        .rev()
        .map(Ipv4Addr::from)
        .filter(|ip| {
            !excluded(u32::from(*ip))
                && !scope.leases.contains_key(ip)
                && !scope.reservations.contains_key(ip)
        })
        .take(n)
        .collect()
}

/// Plain-HTTP connections to every simulated server, with the simulator's token.
pub fn connections(sim: &RunningSimulator) -> Result<Vec<ServerConnection>, EstateError> {
    sim.servers()
        .iter()
        .map(|endpoint| {
            let mut conn = ServerConnection::new(
                &endpoint.name,
                endpoint.addr.ip().to_string(),
                Secret::new(sim.token()),
            )?;
            conn.port = endpoint.addr.port();
            conn.https = false;
            conn.verify_tls = false;
            Ok(conn)
        })
        .collect()
}
