//! `import` — the one-time import from DHCP servers: failover relationships, scopes (with their
//! NetBox prefixes), scope option values and exclusion ranges. Existing objects are skipped,
//! never overwritten.
//!
//! ```text
//! cargo run --release --example import -- --config windhcp.toml                # every server
//! cargo run --release --example import -- --config windhcp.toml --server dhcp01.corp.example
//! cargo run --release --example import -- --config windhcp.toml --dry-run --json
//! ```
//!
//! Imported failovers start with sync off, for review; turn them on with a `[[failovers]]`
//! entry (`sync_enabled = true`) in the configuration, which the next run applies.
//!
//! Exit codes: 0 imported (or nothing new), 1 error, 2 usage, 3 some actions failed or were
//! skipped, 5 changes pending (`--dry-run --detailed-exitcode`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use common::config::{Config, Fallible};
use common::engine::{
    apply, execute_options, gather_options, plan_import_now, sources_from_config,
};
use common::exit::Outcome;
use common::progress::Bars;
use common::render::{action_lines, apply_summary, plan_table};

/// Import scopes and their configuration from Windows DHCP servers.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The configuration file (TOML).
    #[arg(short, long, value_name = "FILE", default_value = "windhcp.toml")]
    config: PathBuf,
    /// Import only from this server.
    #[arg(long, value_name = "NAME")]
    server: Option<String>,
    /// Plan only: show what would be imported, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON on stdout (one object per server: plan, and apply report unless dry run).
    #[arg(long)]
    json: bool,
    /// Also list every planned action.
    #[arg(long)]
    actions: bool,
    /// With --dry-run: exit 5 when something would be imported, 0 when nothing.
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
    let servers = config.selected_servers(args.server.as_deref())?;
    if servers.is_empty() {
        return Err("the configuration lists no [[servers]]".into());
    }
    let tool = sources_from_config(&config, None).await?;
    if !args.dry_run && !tool.real_ipam {
        return Err("the configuration has no [netbox] section: only --dry-run is possible".into());
    }
    let bars = Bars::new(!args.no_progress && !args.json);
    let mut worst = Outcome::Success;
    let mut json = Vec::new();
    for server in servers {
        let planned =
            plan_import_now(&tool.sources, &server.name, &gather_options(&config), &bars).await?;
        bars.finish();
        let plan = &planned.plan;
        if !args.json {
            print!("{}", plan_table(plan));
            if args.actions {
                print!("{}", action_lines(plan, None));
            }
        }
        if args.dry_run {
            worst = worst.max(Outcome::of_dry_run(plan, args.detailed_exitcode));
            json.push(serde_json::json!({ "server": server.name, "plan": plan }));
            continue;
        }
        let (report, took) = apply(&tool.sources, &execute_options(&config), plan, &bars).await;
        bars.finish();
        if !args.json {
            print!("{}", apply_summary(&report, took));
        }
        worst = worst.max(Outcome::of_apply(plan, &report));
        json.push(serde_json::json!({ "server": server.name, "plan": plan, "apply": report }));
    }
    // Failover toggles from the configuration apply to the failovers just imported.
    let mut doc = tool.inventory.load().await?;
    if !args.dry_run && config.apply_to(&mut doc) {
        tool.inventory.store(&doc).await?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    Ok(worst)
}
