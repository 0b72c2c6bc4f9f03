//! Driving the engine: gather, plan, apply — the steps every tool and the demo share.

use std::sync::Arc;
use std::time::{Duration, Instant};

use netbox_windhcp::model::Secret;
use netbox_windhcp::netbox::{NetBoxClient, Token};
use netbox_windhcp::sync::adapters::netbox::NetBoxIpam;
use netbox_windhcp::sync::adapters::psu::PsuConnector;
use netbox_windhcp::sync::executor::{ApplyReport, ExecuteOptions, Executor};
use netbox_windhcp::sync::gather::{GatherOptions, gather, gather_for_import};
use netbox_windhcp::sync::inventory_file::FileInventory;
use netbox_windhcp::sync::memory::MemoryIpam;
use netbox_windhcp::sync::plan::Plan;
use netbox_windhcp::sync::planner::{plan_import, plan_sync};
use netbox_windhcp::sync::snapshot::Snapshot;
use netbox_windhcp::sync::snapshot::{Inventory as InventoryData, ObjectId, SyncSettings};
use netbox_windhcp::sync::source::{
    Inventory, InventoryError, InventoryWrite, Ipam, ItemResult, Progress, Sources,
};

use super::config::{Config, Fallible};

/// A plan with the snapshot it was made from and how long reading and planning took.
#[derive(Debug)]
pub struct Planned {
    /// What was read.
    pub snapshot: Snapshot,
    /// What to do.
    pub plan: Plan,
    /// Time spent reading.
    pub gather_time: Duration,
    /// Time spent planning.
    pub plan_time: Duration,
}

/// Read everything and plan a sync.
pub async fn plan_sync_now(
    sources: &Sources,
    options: &GatherOptions,
    progress: &dyn Progress,
) -> Fallible<Planned> {
    let started = Instant::now();
    let snapshot = gather(sources, options, progress).await?;
    let gather_time = started.elapsed();
    let started = Instant::now();
    let plan = plan_sync(&snapshot);
    Ok(Planned {
        snapshot,
        plan,
        gather_time,
        plan_time: started.elapsed(),
    })
}

/// Read one server's configuration and plan its import.
pub async fn plan_import_now(
    sources: &Sources,
    server: &str,
    options: &GatherOptions,
    progress: &dyn Progress,
) -> Fallible<Planned> {
    let started = Instant::now();
    let snapshot = gather_for_import(sources, server, options, progress).await?;
    let gather_time = started.elapsed();
    let started = Instant::now();
    let plan = plan_import(&snapshot, server);
    Ok(Planned {
        snapshot,
        plan,
        gather_time,
        plan_time: started.elapsed(),
    })
}

/// Apply `plan`; returns the report and the time it took.
pub async fn apply(
    sources: &Sources,
    options: &ExecuteOptions,
    plan: &Plan,
    progress: &dyn Progress,
) -> (ApplyReport, Duration) {
    let started = Instant::now();
    let executor = Executor::new(sources.clone()).with_options(options.clone());
    let report = executor.apply(plan, progress).await;
    (report, started.elapsed())
}

/// A NetBox client for `url` with `token`.
pub fn netbox_client(
    url: &str,
    token: &Secret,
    changelog: &str,
    timeout: Duration,
) -> Fallible<NetBoxClient> {
    Ok(NetBoxClient::builder(url)
        .token(Token::new(token.expose()))
        .changelog_message(changelog)
        .timeout(timeout)
        .build()?)
}

/// The sync's IPAM adapter over a NetBox client.
pub fn netbox_ipam(client: &NetBoxClient) -> Fallible<Arc<dyn Ipam>> {
    Ok(Arc::new(NetBoxIpam::new(client.clone())))
}

/// An [`Inventory`] that narrows sync eligibility to one server: every other server's
/// standalone scopes and every failover it is not the primary of read as "sync off", so the
/// gather contacts only that server and the planner plans only its scopes (others are reported
/// as not eligible, never deleted). Writes go to the real inventory unchanged.
#[derive(Debug)]
pub struct OnlyServer {
    inner: Arc<dyn Inventory>,
    server: String,
}

impl OnlyServer {
    /// Narrow `inner` to `server`.
    pub fn new(inner: Arc<dyn Inventory>, server: impl Into<String>) -> Self {
        Self {
            inner,
            server: server.into(),
        }
    }
}

#[async_trait::async_trait]
impl Inventory for OnlyServer {
    async fn read_inventory(&self) -> Result<InventoryData, InventoryError> {
        let mut inventory = self.inner.read_inventory().await?;
        for server in inventory.servers.values_mut() {
            if !server.hostname.eq_ignore_ascii_case(&self.server) {
                server.sync_standalone = false;
            }
        }
        for failover in inventory.failovers.values_mut() {
            if !failover.primary.eq_ignore_ascii_case(&self.server) {
                failover.sync_enabled = false;
            }
        }
        Ok(inventory)
    }

    async fn read_settings(&self) -> Result<SyncSettings, InventoryError> {
        self.inner.read_settings().await
    }

    async fn apply(
        &self,
        writes: &[InventoryWrite],
        changelog_message: &str,
    ) -> Result<Vec<ItemResult<Option<ObjectId>, InventoryError>>, InventoryError> {
        self.inner.apply(writes, changelog_message).await
    }
}

/// The sources a tool run uses, built from the configuration.
#[derive(Debug)]
pub struct ToolSources {
    /// The three sides.
    pub sources: Sources,
    /// The inventory file.
    pub inventory: Arc<FileInventory>,
    /// Whether IPAM is a real NetBox (otherwise an empty in-memory store).
    pub real_ipam: bool,
}

/// Build the sources from `config`: the configured PSU servers, the inventory file (brought
/// in line with the configuration first), and NetBox (or an empty in-memory IPAM when the
/// configuration has no `[netbox]`). With `only`, sync eligibility is narrowed to that server.
pub async fn sources_from_config(config: &Config, only: Option<&str>) -> Fallible<ToolSources> {
    let connections = config
        .servers
        .iter()
        .map(super::config::ServerConfig::connection)
        .collect::<Fallible<Vec<_>>>()?;
    let inventory = Arc::new(FileInventory::new(&config.inventory.file));
    let mut doc = inventory.load().await?;
    if config.apply_to(&mut doc) {
        tracing::info!(file = %config.inventory.file.display(), "inventory updated from the configuration");
        inventory.store(&doc).await?;
    }
    let (ipam, real_ipam): (Arc<dyn Ipam>, bool) = match &config.netbox {
        Some(nb) => {
            let client = netbox_client(
                &nb.url,
                &nb.token()?,
                &config.run.changelog_prefix,
                nb.timeout(),
            )?;
            (netbox_ipam(&client)?, true)
        }
        None => (Arc::new(MemoryIpam::new()), false),
    };
    let inventory_side: Arc<dyn Inventory> = match only {
        Some(server) => Arc::new(OnlyServer::new(inventory.clone(), server)),
        None => inventory.clone(),
    };
    Ok(ToolSources {
        sources: Sources {
            dhcp: Arc::new(PsuConnector::new(connections)),
            ipam,
            inventory: inventory_side,
        },
        inventory,
        real_ipam,
    })
}

/// Executor options from the configuration.
pub fn execute_options(config: &Config) -> ExecuteOptions {
    ExecuteOptions {
        server_concurrency: config.run.server_concurrency,
        ipam_chunk_size: config.run.ipam_chunk_size,
        changelog_prefix: config.run.changelog_prefix.clone(),
        ..ExecuteOptions::default()
    }
}

/// Gather options from the configuration.
pub fn gather_options(config: &Config) -> GatherOptions {
    GatherOptions {
        server_concurrency: config.run.server_concurrency,
        ..GatherOptions::default()
    }
}
