//! [`DhcpServer`] over [`windhcp_psu_client::PsuClient`] (feature `psu`).
//!
//! * Reads use the grouped bulk endpoints; the grouped exclusion reply of older scripts omits
//!   scopes without exclusions, so the adapter fills those in from the scope list. It uses the
//!   scope list of its last [`list_scopes`](DhcpServer::list_scopes) (which a gather reads
//!   first anyway) and reads it only when it has none, so a sync costs five reads per server
//!   (scopes + four grouped reads) whatever the number of scopes.
//! * Reservation writes go through one batch call per chunk; each item's batch status becomes
//!   that item's result.
//! * Only IPv4 is carried (the PSU contract is IPv4-only); IPv6 objects are left out of reads.
//! * Option values with a vendor class cannot be carried by the scope bodies of the contract:
//!   such writes fail with [`DhcpError::Unsupported`] instead of being applied without their
//!   class.
//! * Errors keep the client's classification: anything that may have reached the server
//!   becomes [`DhcpError::Indeterminate`]. The client never puts the token in its errors.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use compact_str::{CompactString, ToCompactString};
use ipnetwork::{IpNetwork, Ipv4Network};
use time::format_description::well_known::Rfc3339;
use windhcp_dhcp_model::{
    AddressState, ClientId, ExclusionRange, IpRange, Lease, LeaseLifetime, OptionCode, OptionValue,
    Reservation, ReservationType, Scope, ScopeId, ScopeState, ServerConnection,
};
use windhcp_psu_client::request::FailoverPatch;
use windhcp_psu_client::{
    BatchStatus, OptionSet, OptionsPatch, PsuClient, PsuError, ReservationOp, ScopeCreate,
    ScopeQuery, ScopeUpdate,
};

use crate::plan::{OptionValueSpec, ScopeChange, ScopeSpec};
use crate::snapshot::{
    AddressRange, LeaseState, ServerFailover, ServerLease, ServerName, ServerOption,
    ServerReservation, ServerScope,
};
use crate::source::{
    ByScope, DhcpConnector, DhcpError, DhcpServer, ItemResult, ReservationKey, ReservationWrite,
};

/// Lease time Windows uses for "unlimited".
const UNLIMITED_SECS: u64 = 4_294_967_295;

/// One DHCP server reached through its PSU endpoints.
pub struct PsuServer {
    name: ServerName,
    client: PsuClient,
    /// Scope ids of the last successful scope listing.
    known_scopes: Mutex<Option<Vec<Ipv4Addr>>>,
}

impl fmt::Debug for PsuServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PsuServer")
            .field("name", &self.name)
            .field("base_url", &self.client.base_url().as_str())
            .finish_non_exhaustive()
    }
}

impl PsuServer {
    /// The server `name` (its inventory hostname) reached through `client`.
    pub fn new(name: impl Into<ServerName>, client: PsuClient) -> Self {
        Self {
            name: name.into(),
            client,
            known_scopes: Mutex::new(None),
        }
    }

    /// The scope ids of the last successful [`list_scopes`](DhcpServer::list_scopes), or of a
    /// fresh listing when there was none.
    async fn scope_ids(&self) -> Result<Vec<Ipv4Addr>, DhcpError> {
        let cached = self
            .known_scopes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match cached {
            Some(ids) => Ok(ids),
            None => Ok(self.list_scopes().await?.into_keys().collect()),
        }
    }

    fn error(&self, e: PsuError) -> DhcpError {
        map_error(&self.name, &e)
    }
}

/// Connects to the servers of a list of [`ServerConnection`]s, by name.
pub struct PsuConnector {
    connections: BTreeMap<ServerName, ServerConnection>,
}

impl fmt::Debug for PsuConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Connections hold tokens: list the names only.
        f.debug_struct("PsuConnector")
            .field("servers", &self.connections.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl PsuConnector {
    /// A connector for these servers (keyed by [`ServerConnection::name`]).
    pub fn new(connections: impl IntoIterator<Item = ServerConnection>) -> Self {
        Self {
            connections: connections
                .into_iter()
                .map(|c| (c.name.as_str().into(), c))
                .collect(),
        }
    }
}

#[async_trait]
impl DhcpConnector for PsuConnector {
    async fn connect(&self, server: &str) -> Result<Arc<dyn DhcpServer>, DhcpError> {
        let Some(connection) = self.connections.get(server) else {
            return Err(DhcpError::Unreachable {
                server: server.into(),
                message: "no connection settings for this server".to_owned(),
            });
        };
        let client = PsuClient::from_connection(connection).map_err(|e| map_error(server, &e))?;
        Ok(Arc::new(PsuServer::new(server, client)))
    }
}

/// The engine's error for a client error.
pub fn map_error(server: &str, e: &PsuError) -> DhcpError {
    let message = e.to_string();
    match e {
        PsuError::Unauthorized { .. } | PsuError::Forbidden { .. } => DhcpError::Unauthorized {
            server: server.into(),
            message,
        },
        PsuError::NotFound { .. } => DhcpError::NotFound { what: message },
        PsuError::Conflict { .. }
        | PsuError::BadRequest { .. }
        | PsuError::InvalidRequest { .. } => DhcpError::Rejected { message },
        _ if e.may_have_reached_server() => DhcpError::Indeterminate { message },
        _ => DhcpError::Unreachable {
            server: server.into(),
            message,
        },
    }
}

fn v4(ip: IpAddr) -> Option<Ipv4Addr> {
    match ip {
        IpAddr::V4(v) => Some(v),
        IpAddr::V6(_) => None,
    }
}

fn sid(scope: Ipv4Addr) -> ScopeId {
    ScopeId(IpAddr::V4(scope))
}

fn secs(lifetime: LeaseLifetime) -> Option<u64> {
    match lifetime {
        LeaseLifetime::Finite(s) => Some(s),
        LeaseLifetime::Unlimited => None,
    }
}

fn scope_of(s: &Scope) -> Option<ServerScope> {
    let network = match s.prefix() {
        IpNetwork::V4(n) => n,
        IpNetwork::V6(_) => return None,
    };
    let range = s.range();
    Some(ServerScope {
        network,
        name: s.name().to_owned(),
        description: s.description().to_owned(),
        start: v4(range.start())?,
        end: v4(range.end())?,
        router: s.router().and_then(v4),
        lease_lifetime_secs: secs(s.lease_lifetime()),
        active: s.state() == ScopeState::Active,
        failover: s.failover_name().map(str::to_owned),
    })
}

fn lease_of(l: &Lease) -> Option<ServerLease> {
    Some(ServerLease {
        ip: v4(l.ip)?,
        client_id: l
            .client_id
            .as_ref()
            .map(ToCompactString::to_compact_string)
            .unwrap_or_default(),
        hostname: l.hostname.as_deref().unwrap_or_default().into(),
        state: match &l.address_state {
            AddressState::Active => LeaseState::Active,
            AddressState::ActiveReservation => LeaseState::ActiveReservation,
            AddressState::Offered => LeaseState::Offered,
            AddressState::Declined => LeaseState::Declined,
            AddressState::Expired => LeaseState::Expired,
            AddressState::InactiveReservation => LeaseState::InactiveReservation,
            _ => LeaseState::Other,
        },
        expires: l
            .expires_at
            .and_then(|t| t.format(&Rfc3339).ok())
            .map(CompactString::from),
    })
}

fn reservation_of(r: &Reservation) -> Option<ServerReservation> {
    Some(ServerReservation {
        ip: v4(r.ip)?,
        client_id: r.client_id.to_compact_string(),
        name: r.name.as_deref().unwrap_or_default().into(),
        description: r.description.as_deref().unwrap_or_default().into(),
    })
}

fn option_of(o: &OptionValue) -> ServerOption {
    ServerOption {
        code: o.code().code(),
        vendor_class: o.vendor_class().unwrap_or_default().to_owned(),
        name: o.code().name().unwrap_or_default().to_owned(),
        values: o.data().values(),
    }
}

fn range_of(e: &ExclusionRange) -> Option<AddressRange> {
    Some(AddressRange {
        start: v4(e.range.start())?,
        end: v4(e.range.end())?,
    })
}

fn group<M, T>(map: BTreeMap<ScopeId, Vec<M>>, convert: impl Fn(&M) -> Option<T>) -> ByScope<T> {
    map.into_iter()
        .filter_map(|(id, items)| Some((v4(id.0)?, items.iter().filter_map(&convert).collect())))
        .collect()
}

fn exclusion_of(scope: Ipv4Addr, range: AddressRange) -> Result<ExclusionRange, DhcpError> {
    let range = IpRange::new(IpAddr::V4(range.start), IpAddr::V4(range.end)).map_err(|e| {
        DhcpError::Rejected {
            message: e.to_string(),
        }
    })?;
    Ok(ExclusionRange {
        scope_id: sid(scope),
        range,
    })
}

fn option_sets(options: &[OptionValueSpec]) -> Result<Vec<OptionSet>, DhcpError> {
    options
        .iter()
        .map(|o| {
            if o.vendor_class.is_empty() {
                Ok(OptionSet {
                    code: o.code,
                    value: o.values.clone(),
                })
            } else {
                Err(DhcpError::Unsupported {
                    operation: format!(
                        "setting option {} of vendor class {:?} through a scope body",
                        o.code, o.vendor_class
                    ),
                })
            }
        })
        .collect()
}

fn client_id(text: &str) -> Result<ClientId, DhcpError> {
    ClientId::parse(text).map_err(|e| DhcpError::Rejected {
        message: format!("client id {text:?}: {e}"),
    })
}

fn batch_result(
    status: &BatchStatus,
    error: Option<&str>,
    what: &str,
) -> ItemResult<(), DhcpError> {
    let message = || format!("{what}: {}", error.unwrap_or("no detail"));
    match status {
        BatchStatus::Ok => Ok(()),
        BatchStatus::NotFound => Err(DhcpError::NotFound { what: message() }),
        BatchStatus::Invalid | BatchStatus::Conflict | BatchStatus::Error => {
            Err(DhcpError::Rejected { message: message() })
        }
        BatchStatus::NotSent => Err(DhcpError::Rejected {
            message: format!("{what}: not sent"),
        }),
        _ => Err(DhcpError::Indeterminate { message: message() }),
    }
}

impl PsuServer {
    async fn batch(
        &self,
        ops: Vec<ReservationOp>,
        labels: Vec<String>,
    ) -> Result<Vec<ItemResult<(), DhcpError>>, DhcpError> {
        let outcomes = self
            .client
            .batch_reservations(&ops)
            .await
            .map_err(|e| self.error(e))?;
        let mut out: Vec<ItemResult<(), DhcpError>> = labels
            .iter()
            .map(|label| {
                Err(DhcpError::Indeterminate {
                    message: format!("{label}: no result in the batch reply"),
                })
            })
            .collect();
        for outcome in outcomes {
            if let (Some(slot), Some(label)) =
                (out.get_mut(outcome.index), labels.get(outcome.index))
            {
                *slot = batch_result(&outcome.status, outcome.error.as_deref(), label);
            }
        }
        Ok(out)
    }

    fn reservation_op_create(item: &ReservationWrite) -> Result<ReservationOp, DhcpError> {
        Ok(ReservationOp::Create(Reservation {
            scope_id: sid(item.scope),
            ip: IpAddr::V4(item.ip),
            client_id: client_id(&item.client_id)?,
            name: Some(item.name.clone()),
            description: None,
            kind: ReservationType::Both,
        }))
    }

    async fn writes(
        &self,
        items: &[ReservationWrite],
        op: impl Fn(&ReservationWrite) -> Result<ReservationOp, DhcpError>,
    ) -> Result<Vec<ItemResult<(), DhcpError>>, DhcpError> {
        // Items that cannot even be encoded fail alone; the rest go in one batch.
        let mut results: Vec<Option<ItemResult<(), DhcpError>>> = Vec::with_capacity(items.len());
        let mut ops = Vec::new();
        let mut labels = Vec::new();
        let mut positions = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match op(item) {
                Ok(o) => {
                    ops.push(o);
                    labels.push(format!("reservation {}", item.ip));
                    positions.push(i);
                    results.push(None);
                }
                Err(e) => results.push(Some(Err(e))),
            }
        }
        if !ops.is_empty() {
            let batch = self.batch(ops, labels).await?;
            for (position, result) in positions.into_iter().zip(batch) {
                results[position] = Some(result);
            }
        }
        Ok(results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(DhcpError::Indeterminate {
                        message: "missing batch result".to_owned(),
                    })
                })
            })
            .collect())
    }
}

#[async_trait]
impl DhcpServer for PsuServer {
    fn name(&self) -> &str {
        &self.name
    }

    async fn list_scopes(&self) -> Result<BTreeMap<Ipv4Addr, ServerScope>, DhcpError> {
        let scopes = self
            .client
            .list_scopes(ScopeQuery::default())
            .await
            .map_err(|e| self.error(e))?;
        let scopes: BTreeMap<Ipv4Addr, ServerScope> = scopes
            .iter()
            .filter_map(scope_of)
            .map(|s| (s.network.network(), s))
            .collect();
        *self
            .known_scopes
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(scopes.keys().copied().collect());
        Ok(scopes)
    }

    async fn list_failovers(&self) -> Result<Vec<ServerFailover>, DhcpError> {
        let list = self
            .client
            .list_failovers()
            .await
            .map_err(|e| self.error(e))?;
        Ok(list
            .iter()
            .map(|f| ServerFailover {
                name: f.failover.name().to_owned(),
                primary_server: f.failover.primary_server().to_owned(),
                partner_server: f.failover.partner_server().to_owned(),
                mode: f.failover.mode().name().to_owned(),
                scope_ids: f
                    .failover
                    .scope_ids()
                    .iter()
                    .filter_map(|s| v4(s.0))
                    .collect(),
            })
            .collect())
    }

    async fn list_leases(&self, scope: Ipv4Addr) -> Result<Vec<ServerLease>, DhcpError> {
        let list = self
            .client
            .list_leases(sid(scope))
            .await
            .map_err(|e| self.error(e))?;
        Ok(list.iter().filter_map(lease_of).collect())
    }

    async fn list_reservations(
        &self,
        scope: Ipv4Addr,
    ) -> Result<Vec<ServerReservation>, DhcpError> {
        let list = self
            .client
            .list_reservations(Some(sid(scope)))
            .await
            .map_err(|e| self.error(e))?;
        Ok(list.iter().filter_map(reservation_of).collect())
    }

    async fn list_exclusions(&self, scope: Ipv4Addr) -> Result<Vec<AddressRange>, DhcpError> {
        let list = self
            .client
            .list_exclusions(sid(scope))
            .await
            .map_err(|e| self.error(e))?;
        Ok(list.iter().filter_map(range_of).collect())
    }

    async fn list_options(&self, scope: Ipv4Addr) -> Result<Vec<ServerOption>, DhcpError> {
        let list = self
            .client
            .list_scope_options(sid(scope))
            .await
            .map_err(|e| self.error(e))?;
        Ok(list.iter().map(option_of).collect())
    }

    async fn leases_by_scope(&self) -> Result<ByScope<ServerLease>, DhcpError> {
        let map = self
            .client
            .leases_by_scope()
            .await
            .map_err(|e| self.error(e))?;
        Ok(group(map, lease_of))
    }

    async fn reservations_by_scope(&self) -> Result<ByScope<ServerReservation>, DhcpError> {
        let map = self
            .client
            .reservations_by_scope()
            .await
            .map_err(|e| self.error(e))?;
        Ok(group(map, reservation_of))
    }

    async fn exclusions_by_scope(&self) -> Result<ByScope<AddressRange>, DhcpError> {
        let map = self
            .client
            .exclusions_by_scope()
            .await
            .map_err(|e| self.error(e))?;
        let mut out = group(map, range_of);
        // Older scripts leave out scopes without exclusions: those are empty, not unread. The
        // scope list is the one just read by the caller (no second listing); a scope created
        // since is left out, which a caller treats as "not read", never as "no exclusions".
        for scope in self.scope_ids().await? {
            out.entry(scope).or_default();
        }
        Ok(out)
    }

    async fn options_by_scope(&self) -> Result<ByScope<ServerOption>, DhcpError> {
        let map = self
            .client
            .options_by_scope()
            .await
            .map_err(|e| self.error(e))?;
        Ok(group(map, |o| Some(option_of(o))))
    }

    async fn create_scope(
        &self,
        scope: &ScopeSpec,
        options: &[OptionValueSpec],
        failover: Option<&str>,
    ) -> Result<(), DhcpError> {
        let set = option_sets(options)?;
        let body = ScopeCreate {
            scope_id: scope.network.network(),
            name: scope.name.clone(),
            start_ip: scope.start,
            end_ip: scope.end,
            subnet_mask: scope.network.mask(),
            description: scope.description.clone(),
            state: Some(if scope.active { "Active" } else { "InActive" }),
            lease_duration_seconds: Some(scope.lease_lifetime_secs.unwrap_or(UNLIMITED_SECS)),
            router: scope.router,
            options: (!set.is_empty()).then(|| OptionsPatch {
                set,
                remove: Vec::new(),
            }),
            failover: failover.map(|name| FailoverPatch {
                remove: None,
                enroll: Some(name.to_owned()),
            }),
        };
        self.client
            .create_scope(&body)
            .await
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    async fn update_scope(
        &self,
        network: Ipv4Network,
        changes: &[ScopeChange],
        set_options: &[OptionValueSpec],
        remove_options: &[(u8, String)],
    ) -> Result<(), DhcpError> {
        let mut body = ScopeUpdate::default();
        let mut failover = FailoverPatch::default();
        for change in changes {
            match change {
                ScopeChange::Name { after, .. } => body.name = Some(after.clone()),
                ScopeChange::Description { after, .. } => body.description = Some(after.clone()),
                ScopeChange::Start { after, .. } => body.start_ip = Some(*after),
                ScopeChange::End { after, .. } => body.end_ip = Some(*after),
                ScopeChange::Router { after, .. } => body.router = Some(*after),
                ScopeChange::LeaseLifetime { after, .. } => {
                    body.lease_duration_seconds = Some(after.unwrap_or(UNLIMITED_SECS));
                }
                ScopeChange::Active { after, .. } => {
                    body.state = Some(if *after {
                        ScopeState::Active
                    } else {
                        ScopeState::Inactive
                    });
                }
                ScopeChange::Failover { before, after } => {
                    failover.remove.clone_from(before);
                    failover.enroll.clone_from(after);
                }
                // Which server syncs a scope is NetBox-side only.
                ScopeChange::Source { .. } => {}
            }
        }
        let set = option_sets(set_options)?;
        let (plain, classed): (Vec<_>, Vec<_>) =
            remove_options.iter().partition(|(_, vc)| vc.is_empty());
        if !set.is_empty() || !plain.is_empty() {
            body.options = Some(OptionsPatch {
                set,
                remove: plain.iter().map(|(code, _)| *code).collect(),
            });
        }
        if failover.remove.is_some() || failover.enroll.is_some() {
            body.failover = Some(failover);
        }
        let scope = sid(network.network());
        if !body.is_empty() {
            self.client
                .update_scope(scope, &body)
                .await
                .map_err(|e| self.error(e))?;
        }
        for (code, vendor_class) in classed {
            self.client
                .remove_scope_option(scope, OptionCode::from(*code), Some(vendor_class), None)
                .await
                .map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    async fn delete_scope(&self, scope: Ipv4Addr) -> Result<(), DhcpError> {
        self.client
            .delete_scope(sid(scope))
            .await
            .map_err(|e| self.error(e))
    }

    async fn create_exclusion(
        &self,
        scope: Ipv4Addr,
        range: AddressRange,
    ) -> Result<(), DhcpError> {
        let exclusion = exclusion_of(scope, range)?;
        self.client
            .create_exclusion(&exclusion)
            .await
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    async fn delete_exclusion(
        &self,
        scope: Ipv4Addr,
        range: AddressRange,
    ) -> Result<(), DhcpError> {
        let exclusion = exclusion_of(scope, range)?;
        self.client
            .delete_exclusion(&exclusion)
            .await
            .map_err(|e| self.error(e))
    }

    async fn create_reservations(
        &self,
        items: &[ReservationWrite],
    ) -> Result<Vec<ItemResult<(), DhcpError>>, DhcpError> {
        self.writes(items, Self::reservation_op_create).await
    }

    async fn update_reservations(
        &self,
        items: &[ReservationWrite],
    ) -> Result<Vec<ItemResult<(), DhcpError>>, DhcpError> {
        self.writes(items, |item| {
            Ok(ReservationOp::Update {
                scope_id: sid(item.scope),
                ip: IpAddr::V4(item.ip),
                client_id: Some(client_id(&item.client_id)?),
                name: Some(item.name.clone()),
                description: None,
                kind: None,
            })
        })
        .await
    }

    async fn delete_reservations(
        &self,
        items: &[ReservationKey],
    ) -> Result<Vec<ItemResult<(), DhcpError>>, DhcpError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let ops: Vec<ReservationOp> = items
            .iter()
            .map(|k| ReservationOp::Delete {
                scope_id: sid(k.scope),
                ip: IpAddr::V4(k.ip),
            })
            .collect();
        let labels = items
            .iter()
            .map(|k| format!("reservation {}", k.ip))
            .collect();
        self.batch(ops, labels).await
    }

    async fn replicate_failover(&self, scopes: &[Ipv4Addr]) -> Result<(), DhcpError> {
        let ids: Vec<ScopeId> = scopes.iter().copied().map(sid).collect();
        self.client
            .replicate_scopes(&ids)
            .await
            .map(|_| ())
            .map_err(|e| self.error(e))
    }
}
