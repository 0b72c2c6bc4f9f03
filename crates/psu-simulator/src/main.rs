//! `psu-simulator`: serve a simulated Windows DHCP estate behind the PSU contract.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use windhcp_psu_simulator::{
    EstateSpec, FaultKind, FaultRule, SimError, SimulatorBuilder, generate, load_estate,
};

/// Simulated PowerShell Universal + Windows DHCP servers for tests, demos and benchmarks.
/// Never use it in production.
#[derive(Debug, Parser)]
#[command(name = "psu-simulator", version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// First port; server k listens on port+k (0 = ephemeral ports, printed at start).
    #[arg(long, default_value_t = 8480)]
    port: u16,
    /// App token with the writer role.
    #[arg(long, env = "PSU_SIM_TOKEN", default_value = windhcp_psu_simulator::DEFAULT_TOKEN, hide_env_values = true)]
    token: String,
    /// Optional app token with the reader role only.
    #[arg(long, env = "PSU_SIM_READER_TOKEN", hide_env_values = true)]
    reader_token: Option<String>,
    /// Load the estate from this JSON file instead of generating one.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Write the estate to this JSON file before serving.
    #[arg(long)]
    dump: Option<PathBuf>,
    /// Write the estate (see --dump, or stdout) and exit without serving.
    #[arg(long)]
    dump_only: bool,
    /// Standalone servers to generate.
    #[arg(long, default_value_t = 1)]
    servers: usize,
    /// Failover pairs to generate (two servers each).
    #[arg(long, default_value_t = 0)]
    failover_pairs: usize,
    /// Scopes per standalone server and per pair.
    #[arg(long, default_value_t = 10)]
    scopes: usize,
    /// Dynamic leases per scope.
    #[arg(long, default_value_t = 50)]
    leases_per_scope: usize,
    /// Reservations per scope.
    #[arg(long, default_value_t = 5)]
    reservations_per_scope: usize,
    /// Random seed of the generated estate.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Added latency on every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share (0..1) of requests answered with --error-status.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Status used by --error-rate.
    #[arg(long, default_value_t = 500)]
    error_status: u16,
    /// Share (0..1) of requests that hang for --hang-ms.
    #[arg(long, default_value_t = 0.0)]
    hang_rate: f64,
    /// Hang duration in milliseconds.
    #[arg(long, default_value_t = 120_000)]
    hang_ms: u64,
    /// Share (0..1) of answers cut in half.
    #[arg(long, default_value_t = 0.0)]
    truncate_rate: f64,
    /// Share (0..1) of list answers replaced by an empty list.
    #[arg(long, default_value_t = 0.0)]
    empty_list_rate: f64,
    /// Restrict the flag-defined faults to this contract endpoint id (e.g. list_leases).
    #[arg(long)]
    fault_endpoint: Option<String>,
    /// Restrict the flag-defined faults to this scope id.
    #[arg(long)]
    fault_scope: Option<std::net::Ipv4Addr>,
    /// Extra fault rule as JSON (repeatable), e.g. '{"kind":"status","status":503,"endpoint":"list_leases"}'.
    #[arg(long = "fault")]
    faults: Vec<String>,
    /// Seed of the fault dice.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
}

impl Cli {
    fn fault_rules(&self) -> Result<Vec<FaultRule>, SimError> {
        let mut rules = Vec::new();
        let mut push = |kind: FaultKind, p: f64| {
            let mut r = FaultRule::new(kind).with_probability(p);
            r.endpoint.clone_from(&self.fault_endpoint);
            r.scope_id = self.fault_scope;
            rules.push(r);
        };
        if self.latency_ms > 0 {
            push(
                FaultKind::Latency {
                    ms: self.latency_ms,
                },
                1.0,
            );
        }
        if self.error_rate > 0.0 {
            push(
                FaultKind::Status {
                    status: self.error_status,
                },
                self.error_rate,
            );
        }
        if self.hang_rate > 0.0 {
            push(FaultKind::Hang { ms: self.hang_ms }, self.hang_rate);
        }
        if self.truncate_rate > 0.0 {
            push(
                FaultKind::Truncate { keep_fraction: 0.5 },
                self.truncate_rate,
            );
        }
        if self.empty_list_rate > 0.0 {
            push(FaultKind::EmptyList, self.empty_list_rate);
        }
        for f in &self.faults {
            rules.push(serde_json::from_str(f)?);
        }
        Ok(rules)
    }
}

#[allow(clippy::print_stdout, clippy::print_stderr)]
async fn run(cli: Cli) -> Result<(), SimError> {
    let estate = match &cli.state {
        Some(path) => load_estate(path)?,
        None => generate(&EstateSpec {
            servers: cli.servers,
            failover_pairs: cli.failover_pairs,
            scopes: cli.scopes,
            leases_per_scope: cli.leases_per_scope,
            reservations_per_scope: cli.reservations_per_scope,
            seed: cli.seed,
            ..EstateSpec::default()
        }),
    };
    if cli.dump.is_some() || cli.dump_only {
        let json = serde_json::to_string_pretty(&estate)?;
        match &cli.dump {
            Some(path) => std::fs::write(path, json).map_err(|source| SimError::StateFile {
                path: path.clone(),
                source,
            })?,
            None => println!("{json}"),
        }
        if cli.dump_only {
            return Ok(());
        }
    }
    let mut b = SimulatorBuilder::new()
        .estate(estate)
        .bind(cli.bind)
        .port(cli.port)
        .token(cli.token.clone())
        .fault_seed(cli.fault_seed);
    if let Some(r) = &cli.reader_token {
        b = b.reader_token(r.clone());
    }
    for r in cli.fault_rules()? {
        b = b.fault(r);
    }
    let sim = b.start().await?;
    for s in sim.servers() {
        let leases = sim.state().lease_count(&s.name).unwrap_or(0);
        println!("{} {}/api/dhcp leases={leases}", s.name, s.base_url());
    }
    eprintln!("psu-simulator ready (admin under /_sim); Ctrl-C to stop");
    sim.run_until_ctrl_c().await;
    Ok(())
}

#[tokio::main]
#[allow(clippy::print_stderr)]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("psu-simulator: {e}");
            ExitCode::FAILURE
        }
    }
}
