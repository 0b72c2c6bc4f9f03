//! Driving the engine: gather, plan, apply — the steps every tool and the demo share.

use std::sync::Arc;
use std::time::{Duration, Instant};

use netbox_windhcp::model::Secret;
use netbox_windhcp::netbox::{NetBoxClient, Token};
use netbox_windhcp::sync::executor::{ApplyReport, ExecuteOptions, Executor};
use netbox_windhcp::sync::gather::{GatherOptions, gather, gather_for_import};
use netbox_windhcp::sync::plan::Plan;
use netbox_windhcp::sync::planner::{plan_import, plan_sync};
use netbox_windhcp::sync::snapshot::Snapshot;
use netbox_windhcp::sync::source::{Ipam, Progress, Sources};

use super::config::Fallible;

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
    let _ = client;
    Err("this build has no NetBox IPAM adapter (sync-engine feature `netbox`)".into())
}
