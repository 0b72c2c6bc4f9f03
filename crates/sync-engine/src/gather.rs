//! Reading everything the planner needs into a [`Snapshot`].
//!
//! [`gather`] reads the inventory and settings, the NetBox prefixes and IP addresses (of every
//! VRF a scope's prefix lives in, plus the global table), and the DHCP servers the server
//! pre-flight ([`servers_to_read`]) selects — no connection is made to any other server.
//!
//! * Servers are read concurrently, at most [`GatherOptions::server_concurrency`] at a time.
//! * Per-scope data is read with the bulk calls; if a bulk call fails for a reason other than
//!   an unreachable server, the scopes are read one by one instead.
//! * A failed read is **recorded** in the snapshot ([`Read::Failed`], or a scope left out of a
//!   per-scope map), never turned into an empty list, and never aborts the gather.
//! * When a failover primary cannot be read, its partner is read instead ([`fallback_servers`])
//!   and stored under the partner's name; the planner uses it for reads only.
//! * A sync reads at most five things per server, whatever its scope count: the scope list and
//!   the grouped leases, reservations, exclusions and options ([`ReadSet::for_sync`]). The
//!   server's failover list is **not** read for a sync: a scope's relationship comes with the
//!   scope list ([`ServerScope::failover`](crate::snapshot::ServerScope::failover)), and
//!   which servers are primaries and partners — hence the partner fallback — comes from the
//!   inventory, so the sync planner never looks at it. An import reads it (it creates the
//!   inventory's failovers from it). When it is not read, [`ServerRead::failovers`] says so
//!   ([`FAILOVERS_NOT_READ`]) instead of claiming an empty list.
//!
//! Only a failed inventory, settings or IPAM read is fatal ([`GatherError`]): without them no
//! safe plan can be made.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

use futures::stream::{self, StreamExt as _};

use crate::planner::{fallback_servers, servers_to_read};
use crate::snapshot::{
    Inventory as InventoryData, Ipam as IpamData, ObjectId, Read, ServerName, ServerRead, Snapshot,
    SyncSettings,
};
use crate::source::{
    ByScope, DhcpConnector, DhcpError, InventoryError, IpamError, Progress, ProgressEvent, Sources,
};

/// How to gather.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatherOptions {
    /// Servers read at the same time (at least 1).
    pub server_concurrency: usize,
    /// Per-scope reads of one server at the same time, when a bulk read failed (at least 1).
    pub scope_concurrency: usize,
    /// VRFs whose IP addresses are read at the same time (at least 1).
    pub vrf_concurrency: usize,
    /// Read a failover's partner when its primary cannot be read.
    pub read_partners: bool,
}

impl Default for GatherOptions {
    fn default() -> Self {
        Self {
            server_concurrency: 4,
            scope_concurrency: 4,
            vrf_concurrency: 4,
            read_partners: true,
        }
    }
}

/// The error text of [`ServerRead::failovers`] when the failover list was not wanted.
pub const FAILOVERS_NOT_READ: &str = "not read: a sync does not use the server's failover list";

/// Which data to read from each server (besides the scope list, which is always read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadSet {
    /// The server's failover relationships.
    pub failovers: bool,
    /// Leases.
    pub leases: bool,
    /// Reservations.
    pub reservations: bool,
    /// Exclusion ranges.
    pub exclusions: bool,
    /// Scope option values.
    pub options: bool,
}

impl ReadSet {
    /// Everything.
    pub const ALL: Self = Self {
        failovers: true,
        leases: true,
        reservations: true,
        exclusions: true,
        options: true,
    };

    /// What a sync with `settings` needs: leases only when syncing IP addresses, reservations
    /// when syncing IP addresses or pushing reservations, exclusions and options always, the
    /// failover list never (see the module documentation).
    pub fn for_sync(settings: &SyncSettings) -> Self {
        Self {
            failovers: false,
            leases: settings.sync_ip_addresses,
            reservations: settings.sync_ip_addresses || settings.push_reservations,
            exclusions: true,
            options: true,
        }
    }

    /// What an import needs: failovers and scope configuration, no leases or reservations.
    pub fn for_import() -> Self {
        Self {
            failovers: true,
            leases: false,
            reservations: false,
            exclusions: true,
            options: true,
        }
    }
}

/// A gather that could not produce a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatherError {
    /// The inventory or the settings could not be read.
    #[error("cannot read the inventory: {0}")]
    Inventory(#[source] InventoryError),
    /// The NetBox prefixes or IP addresses could not be read.
    #[error("cannot read the IPAM: {0}")]
    Ipam(#[source] IpamError),
}

/// Read everything a sync needs.
///
/// # Errors
///
/// Only when the inventory, the settings or the IPAM cannot be read; server failures are
/// recorded in the snapshot.
pub async fn gather(
    sources: &Sources,
    options: &GatherOptions,
    progress: &dyn Progress,
) -> Result<Snapshot, GatherError> {
    let (inventory, settings) = read_inventory(sources).await?;
    let servers = servers_to_read(&inventory);
    let reads = ReadSet::for_sync(&settings);
    gather_with(
        sources, options, progress, inventory, settings, servers, reads,
    )
    .await
}

/// Read everything an import from `server` needs: the inventory, the IPAM and that one server
/// (scope configuration only), whatever its sync settings.
///
/// # Errors
///
/// As [`gather`].
pub async fn gather_for_import(
    sources: &Sources,
    server: &str,
    options: &GatherOptions,
    progress: &dyn Progress,
) -> Result<Snapshot, GatherError> {
    let (inventory, settings) = read_inventory(sources).await?;
    let options = GatherOptions {
        read_partners: false,
        ..options.clone()
    };
    let servers = vec![server.into()];
    let reads = ReadSet::for_import();
    gather_with(
        sources, &options, progress, inventory, settings, servers, reads,
    )
    .await
}

async fn read_inventory(sources: &Sources) -> Result<(InventoryData, SyncSettings), GatherError> {
    let (inventory, settings) = futures::join!(
        sources.inventory.read_inventory(),
        sources.inventory.read_settings()
    );
    Ok((
        inventory.map_err(GatherError::Inventory)?,
        settings.map_err(GatherError::Inventory)?,
    ))
}

async fn gather_with(
    sources: &Sources,
    options: &GatherOptions,
    progress: &dyn Progress,
    inventory: InventoryData,
    settings: SyncSettings,
    servers: Vec<ServerName>,
    reads: ReadSet,
) -> Result<Snapshot, GatherError> {
    progress.event(ProgressEvent::GatherStarted {
        servers: servers.len(),
    });
    let ipam_read = read_ipam(sources, &inventory, options);
    let servers_read = read_servers(sources, options, progress, servers, reads);
    let (ipam, mut server_reads) = futures::join!(ipam_read, servers_read);
    let ipam = ipam?;

    if options.read_partners {
        let unreadable: BTreeSet<ServerName> = server_reads
            .iter()
            .filter(|(_, read)| !read.scopes.is_ok())
            .map(|(name, _)| name.clone())
            .collect();
        let partners: Vec<ServerName> = fallback_servers(&inventory, &unreadable)
            .into_iter()
            .filter(|p| !server_reads.contains_key(p))
            .collect();
        if !partners.is_empty() {
            for failover in inventory.failovers.values() {
                if failover.sync_enabled
                    && unreadable.contains(&failover.primary)
                    && partners.contains(&failover.partner)
                {
                    tracing::warn!(
                        failover = %failover.name,
                        primary = %failover.primary,
                        partner = %failover.partner,
                        "failover primary unreadable; reading its partner instead"
                    );
                    progress.event(ProgressEvent::ReadingPartner {
                        failover: failover.name.clone(),
                        primary: failover.primary.clone(),
                        partner: failover.partner.clone(),
                    });
                }
            }
            let more = read_servers(sources, options, progress, partners, reads).await;
            server_reads.extend(more);
        }
    }

    Ok(Snapshot {
        settings,
        inventory,
        servers: server_reads,
        ipam,
    })
}

/// The prefixes, and the IP addresses of the global table and of every VRF a scope's prefix
/// lives in.
async fn read_ipam(
    sources: &Sources,
    inventory: &InventoryData,
    options: &GatherOptions,
) -> Result<IpamData, GatherError> {
    let prefixes = sources
        .ipam
        .list_prefixes()
        .await
        .map_err(GatherError::Ipam)?;
    let prefixes: BTreeMap<ObjectId, _> = prefixes.into_iter().map(|p| (p.id, p)).collect();
    let mut vrfs: BTreeSet<Option<ObjectId>> = BTreeSet::from([None]);
    for scope in inventory.scopes.values() {
        if let Some(prefix) = scope.prefix_id.and_then(|id| prefixes.get(&id)) {
            vrfs.insert(prefix.vrf);
        }
    }
    let ipam = Arc::clone(&sources.ipam);
    let lists: Vec<Result<Vec<_>, IpamError>> = stream::iter(vrfs)
        .map(|vrf| {
            let ipam = Arc::clone(&ipam);
            async move { ipam.list_ips(vrf).await }
        })
        .buffer_unordered(options.vrf_concurrency.max(1))
        .collect()
        .await;
    let mut ip_addresses = BTreeMap::new();
    for list in lists {
        for ip in list.map_err(GatherError::Ipam)? {
            ip_addresses.insert(ip.id, ip);
        }
    }
    Ok(IpamData {
        ip_addresses,
        prefixes,
    })
}

async fn read_servers(
    sources: &Sources,
    options: &GatherOptions,
    progress: &dyn Progress,
    servers: Vec<ServerName>,
    reads: ReadSet,
) -> BTreeMap<ServerName, ServerRead> {
    stream::iter(servers)
        .map(|name| async move {
            let read = read_server(
                sources.dhcp.as_ref(),
                &name,
                reads,
                options.scope_concurrency,
            )
            .await;
            progress.event(ProgressEvent::ServerRead {
                server: name.clone(),
                reachable: read.scopes.is_ok(),
                failed_reads: failed_reads(&read, reads),
            });
            (name, read)
        })
        .buffer_unordered(options.server_concurrency.max(1))
        .collect()
        .await
}

fn failed_reads(read: &ServerRead, reads: ReadSet) -> usize {
    fn count<T>(map: &BTreeMap<Ipv4Addr, Read<T>>) -> usize {
        map.values().filter(|r| !r.is_ok()).count()
    }
    usize::from(!read.scopes.is_ok())
        + usize::from(reads.failovers && !read.failovers.is_ok())
        + count(&read.leases)
        + count(&read.reservations)
        + count(&read.exclusions)
        + count(&read.options)
}

/// Read one server; every failure ends up in the returned record.
///
/// Requests: one connection, the scope list, then what `reads` asks for, each with one bulk
/// call (per scope only when a bulk call fails for a reason other than an unreachable or
/// unauthorised server).
pub async fn read_server(
    dhcp: &dyn DhcpConnector,
    name: &str,
    reads: ReadSet,
    scope_concurrency: usize,
) -> ServerRead {
    let server = match dhcp.connect(name).await {
        Ok(server) => server,
        Err(e) => {
            tracing::warn!(server = name, error = %e, "cannot connect");
            return ServerRead::unreachable(e.to_string());
        }
    };
    let scopes = match server.list_scopes().await {
        Ok(scopes) => scopes,
        Err(e) => {
            tracing::warn!(server = name, error = %e, "cannot list scopes");
            return ServerRead::unreachable(e.to_string());
        }
    };
    let ids: Vec<Ipv4Addr> = scopes.keys().copied().collect();
    let server = server.as_ref();
    let failovers = async {
        if !reads.failovers {
            return Read::Failed {
                error: FAILOVERS_NOT_READ.to_owned(),
            };
        }
        match server.list_failovers().await {
            Ok(list) => Read::Ok(list),
            Err(e) => Read::Failed {
                error: e.to_string(),
            },
        }
    };
    let leases = per_scope(
        reads.leases,
        &ids,
        scope_concurrency,
        server.leases_by_scope(),
        |sid| server.list_leases(sid),
    );
    let reservations = per_scope(
        reads.reservations,
        &ids,
        scope_concurrency,
        server.reservations_by_scope(),
        |sid| server.list_reservations(sid),
    );
    let exclusions = per_scope(
        reads.exclusions,
        &ids,
        scope_concurrency,
        server.exclusions_by_scope(),
        |sid| server.list_exclusions(sid),
    );
    let options = per_scope(
        reads.options,
        &ids,
        scope_concurrency,
        server.options_by_scope(),
        |sid| server.list_options(sid),
    );
    let (failovers, leases, reservations, exclusions, options) =
        futures::join!(failovers, leases, reservations, exclusions, options);
    ServerRead {
        scopes: Read::Ok(scopes),
        failovers,
        leases,
        reservations,
        exclusions,
        options,
    }
}

/// One kind of per-scope data: the bulk call, or scope by scope if the bulk call fails.
async fn per_scope<T, Bulk, One, OneFut>(
    wanted: bool,
    ids: &[Ipv4Addr],
    concurrency: usize,
    bulk: Bulk,
    one: One,
) -> BTreeMap<Ipv4Addr, Read<Vec<T>>>
where
    Bulk: Future<Output = Result<ByScope<T>, DhcpError>>,
    One: Fn(Ipv4Addr) -> OneFut,
    OneFut: Future<Output = Result<Vec<T>, DhcpError>>,
{
    if !wanted {
        return BTreeMap::new();
    }
    let error = match bulk.await {
        Ok(mut by_scope) => {
            // Only scopes of the scope list, and only those the bulk reply covered.
            return ids
                .iter()
                .filter_map(|sid| by_scope.remove(sid).map(|list| (*sid, Read::Ok(list))))
                .collect();
        }
        Err(e) => e,
    };
    if matches!(
        error,
        DhcpError::Unreachable { .. } | DhcpError::Unauthorized { .. }
    ) {
        // Scope-by-scope reads would fail the same way.
        let text = error.to_string();
        return ids
            .iter()
            .map(|sid| {
                (
                    *sid,
                    Read::Failed {
                        error: text.clone(),
                    },
                )
            })
            .collect();
    }
    tracing::warn!(error = %error, "bulk read failed; reading scope by scope");
    stream::iter(ids.iter().copied())
        .map(|sid| {
            let fut = one(sid);
            async move {
                let read = match fut.await {
                    Ok(list) => Read::Ok(list),
                    Err(e) => Read::Failed {
                        error: e.to_string(),
                    },
                };
                (sid, read)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}
