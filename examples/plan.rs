//! `plan` — plan a sync (or an import) from a snapshot file, without touching any system.
//!
//! A snapshot is everything one run read (inventory, settings, DHCP servers, NetBox IPAM) as
//! JSON; `sync --save-snapshot FILE` writes one. The planner is pure, so the same snapshot always
//! gives the same plan (same id, same actions), which makes this tool the place to review,
//! diff or debug a sync offline.
//!
//! ```text
//! cargo run --example plan -- snapshot.json                 # table of actions per kind
//! cargo run --example plan -- snapshot.json --actions       # … and one line per action
//! cargo run --example plan -- snapshot.json --json          # the plan as JSON (stdout)
//! cargo run --example plan -- snapshot.json --import dhcp01.corp.example
//! cargo run --example plan -- snapshot.json --save-plan plan.json
//! ```
//!
//! Exit codes: 0 planned (with `--detailed-exitcode`: nothing to do), 1 error, 2 usage,
//! 5 changes pending (`--detailed-exitcode` only).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use common::config::Fallible;
use common::exit::Outcome;
use netbox_windhcp::sync::planner::{plan_import, plan_sync};
use netbox_windhcp::sync::saved::save_plan;
use netbox_windhcp::sync::snapshot::Snapshot;

/// Plan a sync or an import from a snapshot file.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The snapshot (JSON), e.g. written by `sync --save-snapshot`.
    snapshot: PathBuf,
    /// Plan a one-time import from this server instead of a sync.
    #[arg(long, value_name = "SERVER")]
    import: Option<String>,
    /// Print the plan as JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Also list every action, one per line.
    #[arg(long)]
    actions: bool,
    /// Write the plan to FILE (for `sync --apply-plan FILE`).
    #[arg(long, value_name = "FILE")]
    save_plan: Option<PathBuf>,
    /// Exit with 5 when the plan has actions, 0 when it has none.
    #[arg(long)]
    detailed_exitcode: bool,
    /// More logs on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::logging::init(args.verbose);
    match run(&args) {
        Ok(outcome) => outcome.code(),
        Err(e) => {
            eprintln!("error: {e}");
            Outcome::Error.code()
        }
    }
}

fn run(args: &Args) -> Fallible<Outcome> {
    let text = std::fs::read(&args.snapshot)
        .map_err(|e| format!("cannot read {}: {e}", args.snapshot.display()))?;
    let snapshot: Snapshot = serde_json::from_slice(&text)
        .map_err(|e| format!("{} is not a snapshot: {e}", args.snapshot.display()))?;
    let started = std::time::Instant::now();
    let plan = match &args.import {
        Some(server) => plan_import(&snapshot, server),
        None => plan_sync(&snapshot),
    };
    tracing::info!(elapsed = ?started.elapsed(), actions = plan.actions.len(), "planned");
    if args.json {
        println!("{}", plan.to_json_pretty()?);
    } else {
        print!("{}", common::render::plan_table(&plan));
        if args.actions {
            print!("{}", common::render::action_lines(&plan, None));
        }
    }
    if let Some(path) = &args.save_plan {
        save_plan(path, &plan)?;
        eprintln!("plan {} saved to {}", plan.id, path.display());
    }
    Ok(Outcome::of_dry_run(&plan, args.detailed_exitcode))
}
