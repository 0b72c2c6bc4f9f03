//! A faithful in-memory simulator of Windows DHCP Server behind the PowerShell Universal contract.
//!
//! It serves the whole contract of `psu/contract.json` (`/api/dhcp/...`) for one or several
//! simulated servers (one loopback listener each), enforces the rules Windows enforces (scope
//! ranges, overlaps, exclusions, reservations, failover membership), checks the app token and
//! injects faults on demand. It is a test double: never use it in production.
//!
//! ```no_run
//! # async fn demo() -> Result<(), windhcp_psu_simulator::SimError> {
//! use windhcp_psu_simulator::{EstateSpec, FaultKind, FaultRule, SimulatorBuilder};
//! let sim = SimulatorBuilder::new()
//!     .generated(&EstateSpec { scopes: 5, ..EstateSpec::default() })
//!     .token("secret")
//!     .start()
//!     .await?;
//! let url = sim.api_url(); // http://127.0.0.1:PORT/api/dhcp
//! sim.faults().add(FaultRule::new(FaultKind::Status { status: 503 }).on_endpoint("list_leases"));
//! sim.shutdown().await;
//! # let _ = url; Ok(()) }
//! ```

mod error;
mod faults;
mod generate;
mod http;
mod model;
mod sim;
mod timefmt;
mod wire;

pub use error::{SimError, SimResult};
pub use faults::{ArmedFault, FaultKind, FaultPlan, FaultRule, Faults};
pub use generate::{EstateSpec, generate};
pub use http::{BASE_PATH, MAX_BATCH, MAX_PAGE, ROUTES, classify};
pub use model::{
    AddressState, DEFAULT_LEASE_SECS, Estate, Exclusion, Failover, FailoverMode, Lease,
    OPTION_CATALOG, OptionValue, Reservation, ReservationType, Scope, ScopeState, Secret,
    ServerRole, ServerState, UNLIMITED_LEASE_SECS, build_option, canonical_client_id, mask_prefix,
    option_definition, parse_ip,
};
pub use sim::{
    DEFAULT_TOKEN, RunningSimulator, ServerEndpoint, SimHandle, SimulatorBuilder, load_estate,
};
pub use timefmt::{format_utc, now_unix, parse_utc};
pub use wire::CONTRACT_VERSION;
