//! Print the sync plan of a snapshot file.
//!
//! ```text
//! cargo run -p windhcp-sync-engine --example plan -- examples/data/snapshot.json
//! cargo run -p windhcp-sync-engine --example plan -- examples/data/snapshot.json --json
//! cargo run -p windhcp-sync-engine --example plan -- snapshot.json --import dhcp1.example.com
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use windhcp_sync_engine::plan::{Action, Plan};
use windhcp_sync_engine::planner::{plan_import, plan_sync};
use windhcp_sync_engine::snapshot::Snapshot;

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
        } => {
            let mut parts = Vec::new();
            if before.status != after.status {
                parts.push(format!("status {}→{}", before.status, after.status));
            }
            if before.dns_name != after.dns_name {
                parts.push(format!("dns {:?}→{:?}", before.dns_name, after.dns_name));
            }
            if before.dhcp_client_id != after.dhcp_client_id {
                parts.push(format!(
                    "client {}→{}",
                    before.dhcp_client_id.as_deref().unwrap_or("-"),
                    after.dhcp_client_id.as_deref().unwrap_or("-")
                ));
            }
            format!("#{id} {address} {}", parts.join(", "))
        }
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
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
