//! Print the sync plan of a snapshot file.
//!
//! ```text
//! cargo run -p windhcp-sync-engine --example plan_file -- examples/data/snapshot.json
//! cargo run -p windhcp-sync-engine --example plan_file -- examples/data/snapshot.json --json
//! cargo run -p windhcp-sync-engine --example plan_file -- snapshot.json --import dhcp1.example.com
//! cargo run --release -p windhcp-sync-engine --example plan_file -- --bench 1000000
//! ```
//!
//! `--bench N` plans a synthetic snapshot of N active leases (one server, /16 scopes) twice:
//! "cold" (NetBox empty: every lease creates an IP) and "steady" (NetBox already matches: an
//! empty plan), and prints leases per second.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::Instant;

use windhcp_sync_engine::compact_str::format_compact;
use windhcp_sync_engine::plan::{Action, Plan};
use windhcp_sync_engine::planner::{plan_import, plan_sync};
use windhcp_sync_engine::snapshot::{
    DeletionBudget, InventoryScope, InventoryServer, IpamAddress, IpamPrefix, LeaseInfo,
    LeaseState, Read, ScopeSourceRef, ServerLease, ServerName, ServerRead, ServerScope, Snapshot,
};

fn describe(action: &Action) -> String {
    match action {
        Action::CreateIp {
            address,
            vrf,
            after,
        } => format!(
            "{address} vrf={vrf:?} status={} dns={:?} client={}",
            after.status,
            after.dns_name,
            after.dhcp_client_id.as_deref().unwrap_or("-")
        ),
        Action::UpdateIp {
            id,
            address,
            before,
            after,
            ..
        }
        | Action::DowngradeIp {
            id,
            address,
            before,
            after,
            ..
        } => format!("#{id} {address} {}", before.changes_to(after)),
        Action::DeleteIp {
            id,
            address,
            before,
            ..
        } => {
            format!("#{id} {address} ({} {:?})", before.status, before.dns_name)
        }
        other => serde_json::to_string(other).unwrap_or_else(|e| e.to_string()),
    }
}

fn print_table(plan: &Plan) {
    println!("plan {} ({:?})", plan.id, plan.kind);
    println!();
    println!("{:<28} {:>6}", "action", "count");
    for (kind, n) in plan.counts() {
        println!("{kind:<28} {n:>6}");
    }
    println!();
    for (i, a) in plan.actions.iter().enumerate() {
        let scope = a
            .context
            .scope
            .map_or_else(|| "-".to_owned(), |s| s.to_string());
        println!(
            "{i:>4}  {:<24} {:<20} {:<18} {:<30} {}",
            a.action.kind_name(),
            a.context.server,
            scope,
            format!("{:?}", a.reason),
            describe(&a.action)
        );
    }
    let r = &plan.report;
    println!();
    println!(
        "skipped: {}, conflicts: {}",
        r.skipped.len(),
        r.conflicts.len()
    );
    for c in &r.conflicts {
        println!(
            "  conflict: {}",
            serde_json::to_string(c).unwrap_or_default()
        );
    }
    for s in &r.skipped {
        println!(
            "  skipped:  {}",
            serde_json::to_string(s).unwrap_or_default()
        );
    }
}

/// A synthetic snapshot: `n` active leases spread over /16 scopes; with `steady`, NetBox already
/// holds a matching, DHCP-managed IP for every lease.
fn synthetic(n: u32, steady: bool) -> Result<Snapshot, String> {
    const PER_SCOPE: u32 = 60_000;
    let server: ServerName = "dhcp1.example.com".into();
    let mut s = Snapshot::default();
    s.settings.sync_ip_addresses = true;
    s.settings.deletion_budget = DeletionBudget::unlimited();
    s.inventory.servers.insert(
        server.clone(),
        InventoryServer {
            id: 1,
            hostname: server.clone(),
            sync_standalone: true,
        },
    );
    let mut scopes = BTreeMap::new();
    let mut leases_by_scope = BTreeMap::new();
    let scope_count = n.div_ceil(PER_SCOPE).max(1);
    for k in 0..scope_count {
        let id = u64::from(k) + 1;
        let second = u8::try_from(k + 1).map_err(|e| e.to_string())?;
        let base = Ipv4Addr::new(10, second, 0, 0);
        let network = ipnetwork::Ipv4Network::new(base, 16).map_err(|e| e.to_string())?;
        s.ipam.prefixes.insert(
            id,
            IpamPrefix {
                id,
                prefix: network,
                vrf: None,
            },
        );
        let start = Ipv4Addr::from(u32::from(base) + 1);
        let end = Ipv4Addr::from(u32::from(base) + 65_534);
        s.inventory.scopes.insert(
            id,
            InventoryScope {
                id,
                name: format!("scope-{id}"),
                description: String::new(),
                network,
                prefix_id: Some(id),
                start,
                end,
                router: None,
                lease_lifetime_secs: Some(86_400),
                active: true,
                source: ScopeSourceRef::Server(server.clone()),
                exclusions: Vec::new(),
                option_value_ids: Default::default(),
            },
        );
        scopes.insert(
            base,
            ServerScope {
                network,
                name: format!("scope-{id}"),
                description: String::new(),
                start,
                end,
                router: None,
                lease_lifetime_secs: Some(86_400),
                active: true,
                failover: None,
            },
        );
        let count = PER_SCOPE.min(n - k * PER_SCOPE);
        let mut leases = Vec::with_capacity(count as usize);
        for i in 0..count {
            let ip = Ipv4Addr::from(u32::from(base) + 2 + i);
            let b = i.to_be_bytes();
            let client = format_compact!(
                "00-16-{:02x}-{:02x}-{:02x}-{:02x}",
                second,
                b[1],
                b[2],
                b[3]
            );
            let hostname = format_compact!("host-{k}-{i}");
            if steady {
                let ip_id = u64::from(k) * 1_000_000 + u64::from(i) + 1;
                s.ipam.ip_addresses.insert(
                    ip_id,
                    IpamAddress {
                        id: ip_id,
                        address: ipnetwork::Ipv4Network::new(ip, 16).map_err(|e| e.to_string())?,
                        vrf: None,
                        status: "dhcp".into(),
                        dns_name: hostname.clone(),
                        tags: Default::default(),
                        dhcp_client_id: Some(client.clone()),
                        etag: None,
                    },
                );
                s.inventory.lease_info.insert(
                    ip_id,
                    LeaseInfo {
                        hostname: hostname.clone(),
                        active: true,
                        expires: Some("2030-01-01T00:00:00Z".into()),
                    },
                );
            }
            leases.push(ServerLease {
                ip,
                client_id: client,
                hostname,
                state: LeaseState::Active,
                expires: Some("2030-01-01T00:00:00Z".into()),
            });
        }
        leases_by_scope.insert(base, Read::Ok(leases));
    }
    let reservations = scopes.keys().map(|k| (*k, Read::Ok(Vec::new()))).collect();
    s.servers.insert(
        server,
        ServerRead {
            scopes: Read::Ok(scopes),
            failovers: Read::Ok(Vec::new()),
            leases: leases_by_scope,
            reservations,
            exclusions: BTreeMap::new(),
            options: BTreeMap::new(),
        },
    );
    Ok(s)
}

fn bench(n: u32) -> Result<(), String> {
    for steady in [false, true] {
        let snapshot = synthetic(n, steady)?;
        let mut best = f64::MAX;
        let mut actions = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let plan = plan_sync(&snapshot);
            best = best.min(t.elapsed().as_secs_f64());
            actions = plan.actions.len();
        }
        let t = Instant::now();
        let id = windhcp_sync_engine::planner::plan_id(&snapshot);
        let hash = t.elapsed().as_secs_f64();
        println!(
            "{:<6} leases={n} actions={actions} plan={:.3}s ({:.2} M leases/s; of which plan id {:.3}s) id={id}",
            if steady { "steady" } else { "cold" },
            best,
            f64::from(n) / best / 1e6,
            hash,
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--bench") {
        let n = args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        return match bench(n) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    let json = args.iter().any(|a| a == "--json");
    let import = args
        .iter()
        .position(|a| a == "--import")
        .and_then(|i| args.get(i + 1).cloned());
    let Some(path) = args
        .iter()
        .find(|a| !a.starts_with("--") && Some(*a) != import.as_ref())
    else {
        eprintln!("usage: plan <snapshot.json> [--json] [--import <server>]");
        return ExitCode::from(2);
    };
    let snapshot: Snapshot = match std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let plan = match &import {
        Some(server) => plan_import(&snapshot, server),
        None => plan_sync(&snapshot),
    };
    if json {
        match plan.to_json_pretty() {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print_table(&plan);
    }
    ExitCode::SUCCESS
}
