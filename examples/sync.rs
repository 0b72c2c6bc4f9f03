//! `sync` — one sync run: read every eligible DHCP server, NetBox and the inventory, plan, and
//! apply (or only show) the plan.
//!
//! ```text
//! cargo run --release --example sync -- --config windhcp.toml                 # plan and apply
//! cargo run --release --example sync -- --config windhcp.toml --dry-run       # plan only
//! cargo run --release --example sync -- --config windhcp.toml --dry-run --json > plan.json
//! cargo run --release --example sync -- --config windhcp.toml --save-plan plan.json
//! cargo run --release --example sync -- --config windhcp.toml --apply-plan plan.json
//! cargo run --release --example sync -- --config windhcp.toml --server dhcp01.corp.example
//! ```
//!
//! `--save-plan` writes the plan for review and does not apply it; `--apply-plan` applies a
//! saved plan with verification: every action whose object changed since the plan was made is
//! refused as stale, the rest is applied. Tokens come from the environment or files named in
//! the configuration, never from the command line.
//!
//! Exit codes: 0 applied (or nothing to do), 1 error, 2 usage, 3 some actions failed or were
//! skipped, 4 stale actions refused or deletions withheld by the budget, 5 changes pending
//! (`--dry-run --detailed-exitcode`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use common::config::{Config, Fallible};
use common::engine::{apply, execute_options, gather_options, plan_sync_now, sources_from_config};
use common::exit::Outcome;
use common::progress::Bars;
use common::render::{action_lines, apply_summary, plan_table};
use netbox_windhcp::sync::executor::Executor;
use netbox_windhcp::sync::saved::{apply_saved, load_plan, save_plan};

/// Sync Windows DHCP servers and NetBox once.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The configuration file (TOML).
    #[arg(short, long, value_name = "FILE", default_value = "windhcp.toml")]
    config: PathBuf,
    /// Plan only: show the plan, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON on stdout (the plan; with an apply, `{"plan": …, "apply": …}`).
    #[arg(long)]
    json: bool,
    /// Write the plan to FILE for review and do not apply it.
    #[arg(long, value_name = "FILE", conflicts_with = "apply_plan")]
    save_plan: Option<PathBuf>,
    /// Apply a plan saved with `--save-plan`, refusing actions that went stale.
    #[arg(long, value_name = "FILE")]
    apply_plan: Option<PathBuf>,
    /// Sync only this server (its standalone scopes and the failovers it is primary of).
    #[arg(long, value_name = "NAME")]
    server: Option<String>,
    /// Write what was read (the snapshot) to FILE, for the `plan` tool.
    #[arg(long, value_name = "FILE")]
    save_snapshot: Option<PathBuf>,
    /// Also list every planned action.
    #[arg(long)]
    actions: bool,
    /// With --dry-run: exit 5 when there are changes, 0 when there are none.
    #[arg(long)]
    detailed_exitcode: bool,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
    /// More logs on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    common::logging::init(args.verbose);
    match run(&args).await {
        Ok(outcome) => outcome.code(),
        Err(e) => {
            eprintln!("error: {e}");
            Outcome::Error.code()
        }
    }
}

async fn run(args: &Args) -> Fallible<Outcome> {
    let config = Config::load(&args.config)?;
    if let Some(name) = &args.server {
        config.selected_servers(Some(name))?;
    }
    let tool = sources_from_config(&config, args.server.as_deref()).await?;
    let bars = Bars::new(!args.no_progress && !args.json);
    let writes = !args.dry_run && args.save_plan.is_none();
    if writes && !tool.real_ipam {
        return Err(
            "the configuration has no [netbox] section: only --dry-run or --save-plan are possible"
                .into(),
        );
    }

    if let Some(path) = &args.apply_plan {
        let plan = load_plan(path)?;
        if !args.json {
            print!("{}", plan_table(&plan));
        }
        if args.dry_run {
            return Ok(Outcome::of_dry_run(&plan, args.detailed_exitcode));
        }
        let executor = Executor::new(tool.sources.clone()).with_options(execute_options(&config));
        let started = std::time::Instant::now();
        let report = apply_saved(&executor, &plan, &bars).await;
        bars.finish();
        if args.json {
            let out = serde_json::json!({ "plan": plan, "apply": report });
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            print!("{}", apply_summary(&report, started.elapsed()));
        }
        return Ok(Outcome::of_apply(&plan, &report));
    }

    let planned = plan_sync_now(&tool.sources, &gather_options(&config), &bars).await?;
    bars.finish();
    if let Some(path) = &args.save_snapshot {
        std::fs::write(path, serde_json::to_vec_pretty(&planned.snapshot)?)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("snapshot saved to {}", path.display());
    }
    let plan = &planned.plan;
    if !args.json {
        print!("{}", plan_table(plan));
        if args.actions {
            print!("{}", action_lines(plan, None));
        }
        println!(
            "(read in {:.1?}, planned in {:.1?})",
            planned.gather_time, planned.plan_time
        );
    }
    if let Some(path) = &args.save_plan {
        save_plan(path, plan)?;
        eprintln!(
            "plan {} saved to {}; apply it with --apply-plan",
            plan.id,
            path.display()
        );
    }
    if !writes || plan.is_empty() {
        if args.json {
            println!("{}", plan.to_json_pretty()?);
        }
        if plan.is_empty() {
            return Ok(if common::exit::withheld_deletions(plan) {
                Outcome::Refused
            } else {
                Outcome::Success
            });
        }
        return Ok(Outcome::of_dry_run(plan, args.detailed_exitcode));
    }
    let (report, took) = apply(&tool.sources, &execute_options(&config), plan, &bars).await;
    bars.finish();
    if args.json {
        let out = serde_json::json!({ "plan": plan, "apply": report });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", apply_summary(&report, took));
    }
    Ok(Outcome::of_apply(plan, &report))
}
