//! `demo` — the whole sync, end to end, on embedded defaults: `cargo run --release --example demo`.
//!
//! With no arguments everything runs in this process and nothing leaves the machine:
//!
//! * a PSU simulator (the same HTTP contract a real PowerShell Universal server answers) with a
//!   generated estate — two standalone servers and one failover pair, 21 scopes, a few thousand
//!   leases and reservations, exclusions and option values;
//! * the sync's inventory in a JSON file under a temporary directory (`--keep DIR` keeps it);
//! * NetBox IPAM in memory.
//!
//! It imports every server, shows and applies the first sync plan, changes the simulated
//! servers (leases expire, a reservation is added and one removed, a scope's lease time
//! changes, a pre-staged IP gets its lease, a protected IP sees a conflicting lease), shows
//! and applies the incremental plan, checks that a third plan is empty and prints a summary.
//!
//! With `--netbox-url` and a token (`NETBOX_URL` / `NETBOX_TOKEN` in the environment work
//! too) the IP addresses go to that NetBox instead, into the VRF `windhcp-demo` (emptied at
//! the start of each run, left filled at the end for you to browse). NetBox writes cost about
//! 25 ms per object, so that mode uses a small estate (4 scopes, about 60 IPs).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use common::config::Fallible;
use common::engine::{apply, netbox_client, netbox_ipam, plan_import_now, plan_sync_now};
use common::estate::{connections, counts, free_addresses, networks, rebase};
use common::exit::Outcome;
use common::progress::Bars;
use common::render::{action_lines, apply_summary, plan_table};
use common::side::IpamSide;
use ipnetwork::Ipv4Network;
use netbox_windhcp::model::Secret;
use netbox_windhcp::sync::adapters::psu::PsuConnector;
use netbox_windhcp::sync::executor::ExecuteOptions;
use netbox_windhcp::sync::gather::GatherOptions;
use netbox_windhcp::sync::inventory_file::{FileInventory, InventoryDocument};
use netbox_windhcp::sync::plan::IpFields;
use netbox_windhcp::sync::snapshot::SyncSettings;
use netbox_windhcp::sync::source::Sources;
use windhcp_psu_simulator::{
    AddressState, EstateSpec, Reservation, ReservationType, RunningSimulator, SimulatorBuilder,
    generate,
};

/// The sync-protected tag of the demo.
const PROTECT_TAG: &str = "sync-protected";

/// Run the whole sync against a simulated estate.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// A small estate (4 scopes, about 60 IPs); implied by NetBox mode.
    #[arg(long)]
    small: bool,
    /// Write IP addresses to this NetBox instead of memory.
    #[arg(long, env = "NETBOX_URL")]
    netbox_url: Option<String>,
    /// NetBox API token (prefer the NETBOX_TOKEN environment variable).
    #[arg(long, env = "NETBOX_TOKEN", hide_env_values = true)]
    netbox_token: Option<String>,
    /// The NetBox VRF the demo owns (emptied at start).
    #[arg(long, default_value = "windhcp-demo")]
    netbox_vrf: String,
    /// Seed of the generated estate.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Keep the inventory file in DIR instead of a temporary directory.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
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

/// What the demo seeded by hand in IPAM and changed on the servers.
#[derive(Debug, Default)]
struct Story {
    prestaged: Option<Ipv4Addr>,
    protected: Option<Ipv4Addr>,
    protected_fields: Option<IpFields>,
}

fn step(n: u32, title: &str) {
    println!();
    println!("[{n}/7] {title}");
}

async fn run(args: &Args) -> Fallible<Outcome> {
    let wall = Instant::now();
    let netbox = args.netbox_url.is_some();
    let small = args.small || netbox;
    let bars = Bars::new(!args.no_progress);

    // --- 1. the estate ----------------------------------------------------------------------
    let spec = if small {
        EstateSpec {
            servers: 1,
            failover_pairs: 1,
            scopes: 2,
            leases_per_scope: 10,
            reservations_per_scope: 3,
            seed: args.seed,
            ..EstateSpec::default()
        }
    } else {
        EstateSpec {
            servers: 2,
            failover_pairs: 1,
            scopes: 7,
            leases_per_scope: 120,
            reservations_per_scope: 15,
            seed: args.seed,
            ..EstateSpec::default()
        }
    };
    let mut estate = generate(&spec);
    if netbox {
        // Its own address block, so that nothing else in that NetBox shares a prefix.
        estate = rebase(&estate, Ipv4Addr::new(100, 127, 0, 0))?;
    }
    let (n_scopes, n_leases, n_res, n_excl, n_opts) = counts(&estate);
    let sim = SimulatorBuilder::new()
        .estate(estate.clone())
        .token(format!("demo-{}", std::process::id()))
        .start()
        .await?;
    println!("netbox-windhcp demo — the sync end to end, on a simulated Windows DHCP estate");
    step(1, "Start the PSU simulator");
    println!(
        "      {} servers ({} standalone, {} failover pair), {n_scopes} scopes, {n_leases} leases, {n_res} reservations, {n_excl} exclusion ranges, {n_opts} scope option values",
        sim.servers().len(),
        spec.servers,
        spec.failover_pairs
    );
    for endpoint in sim.servers() {
        println!(
            "      {:<22} {}/api/dhcp",
            endpoint.name,
            endpoint.base_url()
        );
    }

    // --- sources ----------------------------------------------------------------------------
    let temp = tempfile::tempdir()?;
    let dir = args
        .keep
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let inventory_path = dir.join("inventory.json");
    let inventory = Arc::new(FileInventory::new(&inventory_path));
    let mut doc = InventoryDocument {
        settings: SyncSettings {
            sync_ip_addresses: true,
            protect_tag: Some(PROTECT_TAG.to_owned()),
            ..SyncSettings::default()
        },
        ..InventoryDocument::default()
    };
    for endpoint in sim.servers() {
        doc.upsert_server(&endpoint.name, true);
    }
    inventory.store(&doc).await?;

    let side = if let Some(url) = &args.netbox_url {
        let token = args
            .netbox_token
            .clone()
            .map(Secret::new)
            .ok_or("NetBox mode needs a token: set NETBOX_TOKEN")?;
        let client = netbox_client(url, &token, "netbox-windhcp demo", Duration::from_secs(120))?;
        let ipam = netbox_ipam(&client)?;
        let side = IpamSide::netbox(client, ipam, &args.netbox_vrf, &[PROTECT_TAG]).await?;
        side.cleanup(true).await?;
        side.prepare_prefixes(&networks(&estate)).await?;
        side
    } else {
        IpamSide::memory(None)
    };
    println!("      inventory file: {}", inventory_path.display());
    println!("      IPAM: {}", side.describe());

    let sources = Sources {
        dhcp: Arc::new(PsuConnector::new(connections(&sim)?)),
        ipam: side.ipam(),
        inventory: inventory.clone(),
    };
    let gather_options = GatherOptions::default();
    let exec_options = ExecuteOptions {
        changelog_prefix: "netbox-windhcp demo".to_owned(),
        ..ExecuteOptions::default()
    };

    // --- 2. import --------------------------------------------------------------------------
    step(
        2,
        "Import scopes, failovers, exclusions and options from every server",
    );
    for endpoint in sim.servers() {
        let planned = plan_import_now(&sources, &endpoint.name, &gather_options, &bars).await?;
        let (report, took) = apply(&sources, &exec_options, &planned.plan, &bars).await;
        bars.finish();
        let counts = planned.plan.counts();
        let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!(
            "      {:<22} {:>4} actions, {:>4} applied in {:>8.1?}  ({})",
            endpoint.name,
            planned.plan.actions.len(),
            report.counts.applied,
            took,
            if summary.is_empty() {
                "nothing new".to_owned()
            } else {
                summary.join(", ")
            }
        );
    }
    let failovers = inventory
        .update(|doc| {
            let mut names = Vec::new();
            for failover in doc.inventory.failovers.values_mut() {
                failover.sync_enabled = true;
                names.push(failover.name.clone());
            }
            names
        })
        .await?;
    for name in failovers {
        println!(
            "      failover {name} was imported with sync off; the demo turns it on (as an admin would after review)"
        );
    }

    // Two IPs created by hand in NetBox before the first sync.
    let mut story = Story::default();
    seed_by_hand(&sim, &side, &mut story).await?;

    // --- 3 and 4. first sync ----------------------------------------------------------------
    step(3, "First sync: the plan");
    let planned = plan_sync_now(&sources, &gather_options, &bars).await?;
    bars.finish();
    print!("{}", indent(&plan_table(&planned.plan)));
    println!(
        "      (read in {:.1?}, planned in {:.1?})",
        planned.gather_time, planned.plan_time
    );
    step(4, "First sync: apply");
    let (report, took) = apply(&sources, &exec_options, &planned.plan, &bars).await;
    bars.finish();
    print!("{}", indent(&apply_summary(&report, took)));
    let mut worst = Outcome::of_apply(&planned.plan, &report);

    // --- 5. the world moves on --------------------------------------------------------------
    step(5, "Meanwhile, on the DHCP servers");
    mutate(&sim, &mut story)?;

    // --- 6. incremental sync ----------------------------------------------------------------
    step(6, "Incremental sync: plan and apply");
    let planned = plan_sync_now(&sources, &gather_options, &bars).await?;
    bars.finish();
    print!("{}", indent(&plan_table(&planned.plan)));
    print!("{}", indent(&action_lines(&planned.plan, Some(40))));
    let (report, took) = apply(&sources, &exec_options, &planned.plan, &bars).await;
    bars.finish();
    print!("{}", indent(&apply_summary(&report, took)));
    worst = worst.max(Outcome::of_apply(&planned.plan, &report));

    // --- 7. converged? ----------------------------------------------------------------------
    step(7, "Converged? Plan once more");
    let planned = plan_sync_now(&sources, &gather_options, &bars).await?;
    bars.finish();
    if planned.plan.is_empty() {
        println!("      nothing to do — NetBox and the DHCP servers agree");
    } else {
        println!(
            "      {} action(s) still planned (see the plan above)",
            planned.plan.actions.len()
        );
        print!("{}", indent(&action_lines(&planned.plan, Some(10))));
        worst = worst.max(Outcome::Partial);
    }

    summary(&side, &inventory, &story).await?;
    println!();
    println!("Done in {:.1?}.", wall.elapsed());
    if args.keep.is_some() {
        println!("The inventory file stays at {}.", inventory_path.display());
    }
    sim.shutdown().await;
    Ok(worst)
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// The first standalone server and its first active scopes with finite lease times.
fn pick_scopes(sim: &RunningSimulator, n: usize) -> Fallible<(String, Vec<Ipv4Addr>)> {
    sim.state().read(|estate| {
        let server = estate
            .servers
            .iter()
            .find(|s| s.failovers.is_empty())
            .ok_or("the estate has no standalone server")?;
        let scopes: Vec<Ipv4Addr> = server
            .scopes
            .values()
            .filter(|s| {
                s.leases.len() >= 4
                    && s.lease_duration_seconds != windhcp_psu_simulator::UNLIMITED_LEASE_SECS
            })
            .map(|s| s.scope_id)
            .take(n)
            .collect();
        if scopes.len() < n {
            return Err(format!("{} has fewer than {n} usable scopes", server.name).into());
        }
        Ok((server.name.clone(), scopes))
    })
}

async fn seed_by_hand(sim: &RunningSimulator, side: &IpamSide, story: &mut Story) -> Fallible<()> {
    let (server, scopes) = pick_scopes(sim, 2)?;
    let Some(&scope_id) = scopes.first() else {
        return Err("no scope to seed".into());
    };
    let (scope, free) = sim.state().read(|e| {
        let scope = e.server(&server).and_then(|s| s.scope(scope_id)).cloned();
        scope.map(|s| {
            let free = free_addresses(&s, 2);
            (s, free)
        })
    })?;
    let [prestaged, protected] = free[..] else {
        return Err("the scope has no free addresses".into());
    };
    let prefix = common::estate::network_of(&scope)
        .ok_or("bad scope mask")?
        .prefix();
    let prestaged_fields = IpFields {
        status: "reserved".into(),
        dns_name: "planned-printer".into(),
        dhcp_client_id: None,
    };
    let protected_fields = IpFields {
        status: "active".into(),
        dns_name: "core-switch".into(),
        dhcp_client_id: Some("02-00-00-00-00-01".into()),
    };
    side.insert_ip(Ipv4Network::new(prestaged, prefix)?, &prestaged_fields, &[])
        .await?;
    side.insert_ip(
        Ipv4Network::new(protected, prefix)?,
        &protected_fields,
        &[PROTECT_TAG],
    )
    .await?;
    println!(
        "      by hand in IPAM: {prestaged} reserved \"planned-printer\" without client id (pre-staged)"
    );
    println!(
        "      by hand in IPAM: {protected} active \"core-switch\" tagged {PROTECT_TAG} (protected)"
    );
    story.prestaged = Some(prestaged);
    story.protected = Some(protected);
    story.protected_fields = Some(protected_fields);
    Ok(())
}

fn mutate(sim: &RunningSimulator, story: &mut Story) -> Fallible<()> {
    let state = sim.state();
    let (server, scopes) = pick_scopes(sim, 2)?;
    let (Some(&first), Some(&second)) = (scopes.first(), scopes.get(1)) else {
        return Err("not enough scopes".into());
    };

    // Some leases expire.
    let now = windhcp_psu_simulator::now_unix();
    let expired = state.write(|e| -> Fallible<usize> {
        let scope = e.server_mut(&server)?.scope_mut(first)?;
        let mut n = 0;
        for lease in scope.leases.values_mut() {
            if n < 4 && lease.address_state == AddressState::Active {
                lease.address_state = AddressState::Expired;
                lease.lease_expiry = Some(now - 60);
                n += 1;
            }
        }
        Ok(n)
    })?;
    println!("      {expired} leases in {first} expired");

    // A reservation is removed; its client keeps a lease.
    let removed = state.read(|e| {
        e.server(&server)
            .and_then(|s| s.scope(second))
            .map(|s| s.reservations.values().next().cloned())
    })?;
    if let Some(r) = removed {
        state.remove_reservation(&server, second, r.ip_address)?;
        state.add_active_lease(&server, second, r.ip_address, &r.client_id, &r.name)?;
        println!(
            "      reservation {} ({}) removed; the client keeps a lease",
            r.ip_address, r.name
        );
    }

    // A reservation is added.
    let free = state.read(|e| {
        e.server(&server)
            .and_then(|s| s.scope(second))
            .map(|s| free_addresses(s, 1))
    })?;
    if let Some(&ip) = free.first() {
        state.add_reservation(
            &server,
            second,
            Reservation {
                ip_address: ip,
                client_id: "00-15-5d-de-40-01".to_owned(),
                name: "build-agent-07".to_owned(),
                description: "added by the demo".to_owned(),
                kind: ReservationType::Both,
            },
        )?;
        println!("      reservation {ip} (build-agent-07) added");
    }

    // A scope's lease time changes.
    state.set_lease_duration(&server, second, 4 * 3600)?;
    println!("      lease time of {second} changed to 4 hours");

    // The pre-staged IP gets its lease, the protected IP a conflicting one.
    if let Some(ip) = story.prestaged {
        state.add_active_lease(&server, first, ip, "00-1b-21-aa-00-01", "PRN-HQ-FLOOR2")?;
        println!("      pre-staged {ip} got a lease from 00-1b-21-aa-00-01");
    }
    if let Some(ip) = story.protected {
        state.add_active_lease(&server, first, ip, "ac-de-48-00-66-66", "rogue-laptop")?;
        println!("      protected {ip} got a lease from another client (ac-de-48-00-66-66)");
    }
    Ok(())
}

async fn summary(side: &IpamSide, inventory: &FileInventory, story: &Story) -> Fallible<()> {
    println!();
    println!("Summary");
    let ips = side.all_ips().await?;
    let mut by_status = std::collections::BTreeMap::<&str, usize>::new();
    for ip in &ips {
        *by_status.entry(ip.status.as_str()).or_insert(0) += 1;
    }
    let statuses: Vec<String> = by_status.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!(
        "      IPAM: {} IP addresses ({})",
        ips.len(),
        statuses.join(", ")
    );
    let doc = inventory.load().await?;
    let inv = &doc.inventory;
    let exclusions: usize = inv.scopes.values().map(|s| s.exclusions.len()).sum();
    println!(
        "      inventory: {} servers, {} failovers, {} scopes, {exclusions} exclusion ranges, {} option values, {} lease-info rows",
        inv.servers.len(),
        inv.failovers.len(),
        inv.scopes.len(),
        inv.option_values.len(),
        inv.lease_info.len()
    );
    if let Some(ip) = story.prestaged
        && let Some(found) = side.ip_at(ip).await?
    {
        println!(
            "      pre-staged {ip}: status {}, dns {:?}, client id {}",
            found.status,
            found.dns_name,
            found.dhcp_client_id.as_deref().unwrap_or("-")
        );
    }
    if let (Some(ip), Some(before)) = (story.protected, &story.protected_fields)
        && let Some(found) = side.ip_at(ip).await?
    {
        let untouched = found.status == before.status
            && found.dns_name == before.dns_name
            && found.dhcp_client_id == before.dhcp_client_id;
        println!(
            "      protected {ip}: status {}, dns {:?}, client id {} ({})",
            found.status,
            found.dns_name,
            found.dhcp_client_id.as_deref().unwrap_or("-"),
            if untouched { "untouched" } else { "CHANGED" }
        );
    }
    Ok(())
}
