//! One end-to-end environment: a PSU simulator with a small generated estate in its own
//! address block, the file-backed inventory in a temporary directory, and an IPAM side (memory
//! or a real NetBox confined to its own VRF). Scenarios are written once against [`Env`].

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ipnetwork::Ipv4Network;
use netbox_windhcp::sync::adapters::psu::PsuConnector;
use netbox_windhcp::sync::executor::{ApplyReport, ExecuteOptions, Executor};
use netbox_windhcp::sync::gather::{GatherOptions, gather, gather_for_import};
use netbox_windhcp::sync::inventory_file::{FileInventory, InventoryDocument};
use netbox_windhcp::sync::plan::{Action, Plan};
use netbox_windhcp::sync::planner::{plan_import, plan_sync};
use netbox_windhcp::sync::snapshot::{DeletionBudget, EmptyReadGuard, SyncSettings};
use netbox_windhcp::sync::source::{NoProgress, Sources};
use tempfile::TempDir;
use windhcp_psu_simulator::{
    AddressState, EstateSpec, RunningSimulator, Scope, SimulatorBuilder, generate,
};

use crate::common::engine::{netbox_client, netbox_ipam};
use crate::common::estate::{connections, free_addresses, network_of, networks, rebase};
use crate::common::side::IpamSide;

/// The protected tag used by every scenario.
pub(crate) const PROTECT_TAG: &str = "sync-protected";

/// Which IPAM a scenario runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SideKind {
    /// The in-memory IPAM.
    Memory,
    /// The NetBox from `NETBOX_URL` / `NETBOX_TOKEN`.
    NetBox,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A unique number for this test run (VRF names, address blocks).
fn unique() -> u32 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| {
            d.subsec_nanos()
                ^ u32::try_from(d.as_secs() % (1 << 32))
                    .unwrap_or(0)
                    .rotate_left(13)
        })
        .unwrap_or(0);
    nanos
        ^ std::process::id().rotate_left(7)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(2_654_435_761)
}

/// A /22 in 100.64.0.0/10 (4096 blocks) for one environment.
fn address_block(n: u32) -> Ipv4Addr {
    let base = u32::from(Ipv4Addr::new(100, 64, 0, 0));
    Ipv4Addr::from(base + (n % 4096) * 1024)
}

/// The NetBox side for `test`, or `None` (with a visible message) when NetBox is not
/// configured or not reachable — unless `WINDHCP_REQUIRE_NETBOX=1`, which turns both into a
/// failure.
pub(crate) async fn netbox_side(test: &str) -> Option<IpamSide> {
    let required = std::env::var("WINDHCP_REQUIRE_NETBOX").is_ok_and(|v| v == "1");
    let skip = |why: String| {
        assert!(!required, "{test}: WINDHCP_REQUIRE_NETBOX=1 but {why}");
        eprintln!("SKIPPED {test}: {why} (set NETBOX_URL and NETBOX_TOKEN to run it)");
        None
    };
    let (Ok(url), Ok(token)) = (std::env::var("NETBOX_URL"), std::env::var("NETBOX_TOKEN")) else {
        return skip("NETBOX_URL / NETBOX_TOKEN are not set".to_owned());
    };
    let token = netbox_windhcp::model::Secret::new(token);
    let client = match netbox_client(&url, &token, "netbox-windhcp e2e", Duration::from_secs(120)) {
        Ok(c) => c,
        Err(e) => return skip(format!("cannot build a NetBox client: {e}")),
    };
    if let Err(e) = client.status().await {
        return skip(format!("NetBox at {url} is not reachable: {e}"));
    }
    let ipam = netbox_ipam(&client).expect("the NetBox IPAM adapter is built");
    let vrf = format!("windhcp-e2e-{test}-{:08x}", unique());
    Some(
        IpamSide::netbox(client, ipam, &vrf, &[PROTECT_TAG])
            .await
            .expect("NetBox setup (custom field, tag, VRF)"),
    )
}

/// Everything a scenario drives and inspects.
#[derive(Debug)]
pub(crate) struct Env {
    /// The simulator (its state is the DHCP truth).
    pub(crate) sim: RunningSimulator,
    /// The IPAM side.
    pub(crate) side: IpamSide,
    /// The inventory file.
    pub(crate) inventory: Arc<FileInventory>,
    /// The three sources.
    pub(crate) sources: Sources,
    _dir: TempDir,
}

/// Settings for the scenarios: IP sync on, protection on, no budget surprises.
pub(crate) fn settings() -> SyncSettings {
    SyncSettings {
        sync_ip_addresses: true,
        protect_tag: Some(PROTECT_TAG.to_owned()),
        deletion_budget: DeletionBudget::unlimited(),
        empty_guard: EmptyReadGuard {
            min_managed_ips: 0,
            min_scopes: 0,
        },
        ..SyncSettings::default()
    }
}

impl Env {
    /// A small estate (one standalone server with 2 scopes, one failover pair with 2 scopes,
    /// 6 leases and 2 reservations per scope) on `side`, imported, failovers enabled.
    pub(crate) async fn start(side: IpamSide, seed: u64) -> Self {
        let spec = EstateSpec {
            servers: 1,
            failover_pairs: 1,
            scopes: 2,
            leases_per_scope: 6,
            reservations_per_scope: 2,
            seed,
            ..EstateSpec::default()
        };
        let estate = rebase(&generate(&spec), address_block(unique())).expect("rebase");
        let sim = SimulatorBuilder::new()
            .estate(estate.clone())
            .token(format!("e2e-{:x}", unique()))
            .start()
            .await
            .expect("simulator starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let inventory = Arc::new(FileInventory::new(dir.path().join("inventory.json")));
        let mut doc = InventoryDocument {
            settings: settings(),
            ..InventoryDocument::default()
        };
        for endpoint in sim.servers() {
            doc.upsert_server(&endpoint.name, true);
        }
        inventory.store(&doc).await.expect("store inventory");
        side.prepare_prefixes(&networks(&estate))
            .await
            .expect("prepare prefixes");
        let sources = Sources {
            dhcp: Arc::new(PsuConnector::new(connections(&sim).expect("connections"))),
            ipam: side.ipam(),
            inventory: inventory.clone(),
        };
        let env = Self {
            sim,
            side,
            inventory,
            sources,
            _dir: dir,
        };
        for name in env.server_names() {
            let snapshot =
                gather_for_import(&env.sources, &name, &GatherOptions::default(), &NoProgress)
                    .await
                    .expect("gather for import");
            let plan = plan_import(&snapshot, &name);
            let report = env.apply(&plan).await;
            assert!(report.is_complete(), "import from {name}: {report:?}");
        }
        env.inventory
            .update(|doc| {
                for failover in doc.inventory.failovers.values_mut() {
                    failover.sync_enabled = true;
                }
            })
            .await
            .expect("enable failovers");
        env
    }

    /// The simulated servers' names.
    pub(crate) fn server_names(&self) -> Vec<String> {
        self.sim.servers().iter().map(|s| s.name.clone()).collect()
    }

    /// The standalone server (the first one, not in a failover).
    pub(crate) fn standalone(&self) -> String {
        self.sim.state().read(|e| {
            e.servers
                .iter()
                .find(|s| s.failovers.is_empty())
                .map(|s| s.name.clone())
                .expect("a standalone server")
        })
    }

    /// A scope of `server` as the simulator holds it now.
    pub(crate) fn scope(&self, server: &str, id: Ipv4Addr) -> Scope {
        self.sim
            .state()
            .read(|e| e.server(server).and_then(|s| s.scope(id)).cloned())
            .expect("scope exists")
    }

    /// The ids of `server`'s scopes, sorted.
    pub(crate) fn scope_ids(&self, server: &str) -> Vec<Ipv4Addr> {
        self.sim.state().read(|e| {
            e.server(server)
                .map(|s| s.scopes.keys().copied().collect())
                .expect("server exists")
        })
    }

    /// The network of a scope.
    pub(crate) fn network(&self, server: &str, id: Ipv4Addr) -> Ipv4Network {
        network_of(&self.scope(server, id)).expect("scope network")
    }

    /// `n` free addresses of a scope (with its prefix length).
    pub(crate) fn free(&self, server: &str, id: Ipv4Addr, n: usize) -> Vec<Ipv4Network> {
        let scope = self.scope(server, id);
        let prefix = network_of(&scope).expect("network").prefix();
        free_addresses(&scope, n)
            .into_iter()
            .map(|ip| Ipv4Network::new(ip, prefix).expect("address"))
            .collect()
    }

    /// Addresses of the scope's leases in `state`, sorted.
    pub(crate) fn leases_in_state(
        &self,
        server: &str,
        id: Ipv4Addr,
        state: AddressState,
    ) -> Vec<Ipv4Addr> {
        self.scope(server, id)
            .leases
            .values()
            .filter(|l| l.address_state == state)
            .map(|l| l.ip_address)
            .collect()
    }

    /// Read everything and plan a sync.
    pub(crate) async fn plan(&self) -> Plan {
        let snapshot = gather(&self.sources, &GatherOptions::default(), &NoProgress)
            .await
            .expect("gather");
        plan_sync(&snapshot)
    }

    /// Apply a plan with default options.
    pub(crate) async fn apply(&self, plan: &Plan) -> ApplyReport {
        Executor::new(self.sources.clone())
            .with_options(ExecuteOptions {
                changelog_prefix: "netbox-windhcp e2e".to_owned(),
                ..ExecuteOptions::default()
            })
            .apply(plan, &NoProgress)
            .await
    }

    /// Plan and apply; the apply must be complete.
    pub(crate) async fn sync(&self) -> Plan {
        let plan = self.plan().await;
        let report = self.apply(&plan).await;
        assert!(
            report.is_complete(),
            "apply of {} actions: {:?}",
            plan.actions.len(),
            report.counts
        );
        plan
    }

    /// Change the sync settings in the inventory.
    pub(crate) async fn set_settings(
        &self,
        change: impl FnOnce(&mut SyncSettings) + Send + 'static,
    ) {
        self.inventory
            .update(move |doc| change(&mut doc.settings))
            .await
            .expect("settings");
    }

    /// Remove the environment's NetBox objects (nothing for memory).
    pub(crate) async fn cleanup(self) {
        self.side.cleanup(false).await.expect("cleanup");
        self.sim.shutdown().await;
    }
}

/// Kind names of the plan's actions whose scope context is `network`.
pub(crate) fn kinds_in(plan: &Plan, network: Ipv4Network) -> Vec<&'static str> {
    plan.actions
        .iter()
        .filter(|a| a.context.scope == Some(network))
        .map(|a| a.action.kind_name())
        .collect()
}

/// Whether the plan deletes anything.
pub(crate) fn deletes_anything(plan: &Plan) -> bool {
    plan.actions.iter().any(|a| a.action.is_deletion())
}

/// The addresses of the plan's `DeleteIp` actions.
pub(crate) fn deleted_ips(plan: &Plan) -> Vec<Ipv4Addr> {
    plan.actions
        .iter()
        .filter_map(|a| match &a.action {
            Action::DeleteIp { address, .. } => Some(address.ip()),
            _ => None,
        })
        .collect()
}
