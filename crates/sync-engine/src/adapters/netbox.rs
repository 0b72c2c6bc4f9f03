//! [`Ipam`] over [`windhcp_netbox_client::NetBoxClient`] (feature `netbox`).
//!
//! * [`list_ips`](Ipam::list_ips) uses the client's trimmed sync view (`fields=`), so one VRF
//!   costs a few paged GETs; every address comes back with its tags (the planner needs the
//!   protected tag) and an ETag derived from `last_updated`, usable for `If-Match`.
//! * Bulk writes are grouped by change-log message (NetBox takes one message per request) and
//!   sent through the client's chunked bulk calls, which let every good record land and report
//!   each bad one; results come back per item, in input order.
//! * Updates and deletes that carry an ETag honour it. NetBox's bulk endpoints have no
//!   `If-Match`, so by default ([`EtagMode::Exact`]) such items go one request each with
//!   `If-Match` (a stale one gives [`IpamError::PreconditionFailed`] and nothing is written).
//!   [`EtagMode::Prechecked`] trades that for speed: one listing of the current ETags, then bulk
//!   writes of the items that still match — a change landing between the two is not detected.
//! * The `dhcp_client_id` custom field is made sure of once, before the first write (or by
//!   [`NetBoxIpam::bootstrap`]).
//! * Only IPv4 is carried: IPv6 objects are left out of reads.
//! * Errors keep the client's classification: anything that may have reached NetBox and has no
//!   definite answer becomes [`IpamError::Indeterminate`]. The client never puts the token in its
//!   errors, and this adapter never logs it.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use compact_str::CompactString;
use futures::stream::{self, StreamExt, TryStreamExt};
use ipnetwork::IpNetwork;
use serde_json::{Map, Value};
use tokio::sync::OnceCell;
use windhcp_netbox_client::{
    BulkFailureReason, BulkOutcome, DHCP_CLIENT_ID_FIELD, Error as NbError, FieldErrors, IpAddress,
    IpAddressWrite, ListQuery, NetBoxClient, PrefixWrite, VrfFilter, WriteOptions,
};

use crate::plan::IpFields;
use crate::snapshot::{IpamAddress, IpamPrefix, ObjectId};
use crate::source::{IpDelete, IpUpdate, Ipam, IpamError, ItemResult, NewIp, NewPrefix};

/// Ids per ETag pre-check listing (keeps the query string short).
const PRECHECK_CHUNK: usize = 100;

/// How updates and deletes that carry an ETag are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EtagMode {
    /// One `PATCH`/`DELETE` per item with `If-Match` (NetBox checks the ETag atomically).
    /// Items without an ETag still go in bulk.
    #[default]
    Exact,
    /// List the current ETags of the items first, fail the stale ones with
    /// [`IpamError::PreconditionFailed`], bulk-write the rest. Much faster on large plans; a
    /// change made between the listing and the write is not detected.
    Prechecked,
}

/// NetBox IPAM (IP addresses and prefixes) for the sync engine.
///
/// Cheap to share behind an `Arc`; holds a VRF-name cache and the "custom field ensured" flag.
pub struct NetBoxIpam {
    client: NetBoxClient,
    etag_mode: EtagMode,
    parallelism: usize,
    field_ready: OnceCell<()>,
    vrf_names: Mutex<HashMap<String, Option<ObjectId>>>,
}

impl fmt::Debug for NetBoxIpam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetBoxIpam")
            .field("base_url", &self.client.base_url().as_str())
            .field("etag_mode", &self.etag_mode)
            .field("parallelism", &self.parallelism)
            .field("field_ready", &self.field_ready.initialized())
            .finish_non_exhaustive()
    }
}

impl NetBoxIpam {
    /// An adapter over `client` ([`EtagMode::Exact`], 4 single writes in flight).
    pub fn new(client: NetBoxClient) -> Self {
        NetBoxIpam {
            client,
            etag_mode: EtagMode::default(),
            parallelism: 4,
            field_ready: OnceCell::new(),
            vrf_names: Mutex::new(HashMap::new()),
        }
    }

    /// Chooses how ETag-carrying updates and deletes are sent.
    #[must_use]
    pub fn with_etag_mode(mut self, mode: EtagMode) -> Self {
        self.etag_mode = mode;
        self
    }

    /// How many single-object writes ([`EtagMode::Exact`]) run at once (at least 1). The
    /// client's own concurrency limit still applies.
    #[must_use]
    pub fn with_parallelism(mut self, n: usize) -> Self {
        self.parallelism = n.max(1);
        self
    }

    /// The client behind the adapter.
    pub fn client(&self) -> &NetBoxClient {
        &self.client
    }

    /// Makes sure the `dhcp_client_id` custom field exists on IP addresses (once per adapter;
    /// the first write calls it anyway).
    pub async fn bootstrap(&self) -> Result<(), IpamError> {
        self.field_ready
            .get_or_try_init(|| async {
                self.client
                    .ensure_dhcp_client_id_field(&WriteOptions::message(
                        "netbox-windhcp: dhcp_client_id custom field",
                    ))
                    .await
                    .map(|_| ())
                    .map_err(|e| map_error(&e, None))
            })
            .await?;
        Ok(())
    }

    /// The id of the VRF named `name` (`Ok(None)` if NetBox has none), cached after the first
    /// successful lookup.
    pub async fn vrf_id(&self, name: &str) -> Result<Option<ObjectId>, IpamError> {
        if let Some(hit) = lock(&self.vrf_names).get(name) {
            return Ok(*hit);
        }
        let q = ListQuery::new().param("name", name).fields(["id", "name"]);
        let found = self
            .client
            .vrfs()
            .first(&q)
            .await
            .map_err(|e| map_error(&e, None))?
            .map(|v| v.id);
        lock(&self.vrf_names).insert(name.to_owned(), found);
        Ok(found)
    }

    /// PATCH one address with `If-Match`.
    async fn update_one(&self, item: &IpUpdate, etag: &str) -> ItemResult<(), IpamError> {
        let opts = WriteOptions::message(item.changelog_message.clone()).if_match(etag);
        self.client
            .ip_addresses()
            .patch(item.id, &update_body(&item.fields), &opts)
            .await
            .map(|_| ())
            .map_err(|e| map_error(&e, Some(item.id)))
    }

    /// DELETE one address with `If-Match`.
    async fn delete_one(&self, item: &IpDelete, etag: &str) -> ItemResult<(), IpamError> {
        let opts = WriteOptions::message(item.changelog_message.clone()).if_match(etag);
        self.client
            .ip_addresses()
            .delete(item.id, &opts)
            .await
            .map(|_| ())
            .map_err(|e| map_error(&e, Some(item.id)))
    }

    /// The current ETag of each of `ids` that still exists.
    async fn current_etags(
        &self,
        ids: &[ObjectId],
    ) -> Result<HashMap<ObjectId, Option<String>>, IpamError> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(PRECHECK_CHUNK) {
            let mut q = ListQuery::new().fields(["id", "address", "last_updated"]);
            for id in chunk {
                q = q.param("id", id);
            }
            let found: Vec<IpAddress> = self
                .client
                .ip_addresses()
                .list(&q)
                .try_collect()
                .await
                .map_err(|e| map_error(&e, None))?;
            out.extend(found.into_iter().map(|ip| (ip.id, ip.etag())));
        }
        Ok(out)
    }

    /// Splits ETag-carrying items by the pre-check: `Ok(index)` to write in bulk, or the item's
    /// error. Items without an ETag always pass.
    /// Split etag-carrying writes by [`EtagMode`]: returns the outcomes already settled (one slot
    /// per item) and the indices that still go out in bulk. `Exact` sends every item with an
    /// etag on its own through `single` (NetBox checks `If-Match` per request); `Prechecked`
    /// compares etags once and lets the fresh ones through to the bulk call.
    async fn route_by_etag<'i, T, K, S, F>(
        &self,
        items: &'i [T],
        key: K,
        single: S,
    ) -> Result<(Vec<Option<ItemResult<(), IpamError>>>, Vec<usize>), IpamError>
    where
        T: Sync,
        K: Fn(&'i T) -> (ObjectId, Option<&'i str>) + Clone,
        S: Fn(&'i T, &'i str) -> F,
        F: Future<Output = ItemResult<(), IpamError>>,
    {
        let mut out: Vec<Option<ItemResult<(), IpamError>>> =
            std::iter::repeat_with(|| None).take(items.len()).collect();
        let mut bulk: Vec<usize> = Vec::new();
        match self.etag_mode {
            EtagMode::Exact => {
                let mut singles: Vec<(usize, &'i T, &'i str)> = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    match key(it).1 {
                        Some(etag) => singles.push((i, it, etag)),
                        None => bulk.push(i),
                    }
                }
                // Futures built up front: a `map` closure over borrowed items trips the
                // higher-ranked `Send` check of the `async_trait` callers.
                let singles: Vec<_> = singles
                    .into_iter()
                    .map(|(i, it, etag)| {
                        let fut = single(it, etag);
                        async move { (i, fut.await) }
                    })
                    .collect();
                let results: Vec<(usize, ItemResult<(), IpamError>)> = stream::iter(singles)
                    .buffered(self.parallelism)
                    .collect()
                    .await;
                for (i, r) in results {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = Some(r);
                    }
                }
            }
            EtagMode::Prechecked => {
                let verdicts = self
                    .precheck(items.iter().enumerate().map(move |(i, it)| {
                        let (id, etag) = key(it);
                        (i, id, etag)
                    }))
                    .await?;
                for (i, v) in verdicts {
                    match v {
                        Ok(()) => bulk.push(i),
                        Err(e) => {
                            if let Some(slot) = out.get_mut(i) {
                                *slot = Some(Err(e));
                            }
                        }
                    }
                }
            }
        }
        Ok((out, bulk))
    }

    async fn precheck<'a>(
        &self,
        items: impl Iterator<Item = (usize, ObjectId, Option<&'a str>)> + Clone,
    ) -> Result<Vec<(usize, Result<(), IpamError>)>, IpamError> {
        let ids: Vec<ObjectId> = items
            .clone()
            .filter(|(_, _, etag)| etag.is_some())
            .map(|(_, id, _)| id)
            .collect();
        let current = if ids.is_empty() {
            HashMap::new()
        } else {
            self.current_etags(&ids).await?
        };
        Ok(items
            .map(|(index, id, etag)| {
                let verdict = match etag {
                    None => Ok(()),
                    Some(want) => match current.get(&id) {
                        None => Err(IpamError::NotFound { id }),
                        Some(Some(now)) if now == want => Ok(()),
                        Some(_) => Err(IpamError::PreconditionFailed { id }),
                    },
                };
                (index, verdict)
            })
            .collect())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Maps a client error to an [`IpamError`]; `id` is the object the call was about, if any.
pub fn map_error(e: &NbError, id: Option<ObjectId>) -> IpamError {
    let message = e.to_string();
    match e {
        NbError::Auth { .. } | NbError::Permission { .. } => IpamError::Unauthorized { message },
        NbError::NotFound { .. } => match id {
            Some(id) => IpamError::NotFound { id },
            None => IpamError::Rejected { message },
        },
        NbError::PreconditionFailed { .. } => IpamError::PreconditionFailed {
            id: id.unwrap_or_default(),
        },
        NbError::Validation { errors, items, .. } => {
            let fields = items.first().map_or(errors, |i| &i.errors);
            rejected(fields)
        }
        NbError::Conflict { .. } | NbError::Config(_) | NbError::Encode(_) => {
            IpamError::Rejected { message }
        }
        NbError::Server { status, .. } if *status < 500 => IpamError::Rejected { message },
        NbError::Transport {
            may_have_been_sent: false,
            ..
        } => IpamError::Unreachable { message },
        // 5xx, a sent request without an answer, an undecodable answer, pagination trouble.
        _ => IpamError::Indeterminate { message },
    }
}

/// A 400 as an [`IpamError`]: the duplicate-address message becomes [`IpamError::Duplicate`]
/// when its address can be read back, anything else [`IpamError::Rejected`].
fn rejected(fields: &FieldErrors) -> IpamError {
    for msg in fields.get("address") {
        if msg.contains("Duplicate IP address")
            && let Some(net) = msg.rsplit(' ').next()
            && let Ok(IpNetwork::V4(n)) = net.parse::<IpNetwork>()
        {
            return IpamError::Duplicate {
                address: n.ip(),
                vrf: None,
            };
        }
    }
    IpamError::Rejected {
        message: fields.to_string(),
    }
}

fn bulk_failure(reason: &BulkFailureReason, id: Option<ObjectId>) -> IpamError {
    match reason {
        BulkFailureReason::Rejected(fields) => rejected(fields),
        BulkFailureReason::RequestFailed(e) => map_error(e, id),
        other => IpamError::Indeterminate {
            message: format!("{other:?}"),
        },
    }
}

/// The engine's view of a NetBox address; `None` for IPv6.
fn to_address(ip: &IpAddress, etag: Option<String>) -> Option<IpamAddress> {
    let IpNetwork::V4(address) = ip.address else {
        return None;
    };
    Some(IpamAddress {
        id: ip.id,
        address,
        vrf: ip.vrf.as_ref().map(|v| v.id),
        status: ip
            .status
            .as_deref()
            .map(CompactString::from)
            .unwrap_or_default(),
        dns_name: ip.dns_name.as_str().into(),
        tags: ip.tags.iter().map(|t| t.slug.clone()).collect(),
        dhcp_client_id: ip.dhcp_client_id().map(CompactString::from),
        etag: etag.or_else(|| ip.etag()).map(CompactString::from),
    })
}

fn client_id_value(id: Option<&str>) -> Value {
    id.map_or(Value::Null, |s| Value::String(s.to_owned()))
}

/// The PATCH body of the managed fields (other fields stay untouched).
fn update_body(fields: &IpFields) -> IpAddressWrite {
    let mut cf = Map::new();
    cf.insert(
        DHCP_CLIENT_ID_FIELD.to_owned(),
        client_id_value(fields.dhcp_client_id.as_deref()),
    );
    IpAddressWrite {
        status: Some(fields.status.as_str().to_owned()),
        dns_name: Some(fields.dns_name.as_str().to_owned()),
        custom_fields: Some(cf),
        ..IpAddressWrite::default()
    }
}

fn create_body(item: &NewIp) -> IpAddressWrite {
    let mut w = IpAddressWrite::new(IpNetwork::V4(item.address))
        .vrf(item.vrf)
        .status(item.fields.status.as_str())
        .dns_name(item.fields.dns_name.as_str());
    if let Some(cid) = &item.fields.dhcp_client_id {
        w = w.custom_field(DHCP_CLIENT_ID_FIELD, Value::String(cid.as_str().to_owned()));
    }
    w
}

/// Input indices grouped by change-log message, in first-seen order of the messages.
fn by_message<'a>(items: impl Iterator<Item = (usize, &'a str)>) -> Vec<(&'a str, Vec<usize>)> {
    let mut order: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut pos: HashMap<&str, usize> = HashMap::new();
    for (i, msg) in items {
        let p = *pos.entry(msg).or_insert_with(|| {
            order.push((msg, Vec::new()));
            order.len() - 1
        });
        if let Some((_, v)) = order.get_mut(p) {
            v.push(i);
        }
    }
    order
}

/// Copies a bulk outcome over the group's input indices into `out`.
fn scatter<T, U>(
    outcome: BulkOutcome<T>,
    group: &[usize],
    ids: impl Fn(usize) -> Option<ObjectId>,
    ok: impl Fn(T) -> Result<U, IpamError>,
    out: &mut [Option<ItemResult<U, IpamError>>],
) {
    for s in outcome.succeeded {
        if let Some(&i) = group.get(s.index)
            && let Some(slot) = out.get_mut(i)
        {
            *slot = Some(ok(s.value));
        }
    }
    for f in outcome.failed {
        if let Some(&i) = group.get(f.index)
            && let Some(slot) = out.get_mut(i)
        {
            *slot = Some(Err(bulk_failure(&f.reason, f.id.or_else(|| ids(i)))));
        }
    }
}

fn finish<U>(out: Vec<Option<ItemResult<U, IpamError>>>) -> Vec<ItemResult<U, IpamError>> {
    out.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(IpamError::Indeterminate {
                    message: "NetBox reported no outcome for this item".to_owned(),
                })
            })
        })
        .collect()
}

#[async_trait]
impl Ipam for NetBoxIpam {
    async fn list_prefixes(&self) -> Result<Vec<IpamPrefix>, IpamError> {
        let q = ListQuery::new()
            .param("family", 4)
            .fields(["id", "prefix", "vrf"]);
        let all: Vec<_> = self
            .client
            .prefixes()
            .list(&q)
            .try_collect()
            .await
            .map_err(|e| map_error(&e, None))?;
        Ok(all
            .into_iter()
            .filter_map(|p| match p.prefix {
                IpNetwork::V4(prefix) => Some(IpamPrefix {
                    id: p.id,
                    prefix,
                    vrf: p.vrf.map(|v| v.id),
                }),
                IpNetwork::V6(_) => None,
            })
            .collect())
    }

    async fn list_ips(&self, vrf: Option<ObjectId>) -> Result<Vec<IpamAddress>, IpamError> {
        let q = ListQuery::new()
            .param("family", 4)
            .vrf(vrf.map_or(VrfFilter::Global, VrfFilter::Id));
        let all: Vec<IpAddress> = self
            .client
            .ip_addresses_sync_view(&q)
            .try_collect()
            .await
            .map_err(|e| map_error(&e, None))?;
        Ok(all.iter().filter_map(|ip| to_address(ip, None)).collect())
    }

    async fn get_ip(&self, id: ObjectId) -> Result<Option<IpamAddress>, IpamError> {
        match self.client.ip_addresses().get(id).await {
            Ok(w) => match to_address(&w.value, w.meta.etag) {
                Some(a) => Ok(Some(a)),
                None => Err(IpamError::Rejected {
                    message: format!("IP address {id} is not IPv4"),
                }),
            },
            Err(NbError::NotFound { .. }) => Ok(None),
            Err(e) => Err(map_error(&e, Some(id))),
        }
    }

    async fn create_ips(
        &self,
        items: &[NewIp],
    ) -> Result<Vec<ItemResult<IpamAddress, IpamError>>, IpamError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        self.bootstrap().await?;
        let mut out: Vec<Option<ItemResult<IpamAddress, IpamError>>> =
            std::iter::repeat_with(|| None).take(items.len()).collect();
        let groups = by_message(
            items
                .iter()
                .enumerate()
                .map(|(i, it)| (i, it.changelog_message.as_str())),
        );
        for (msg, group) in groups {
            let bodies: Vec<IpAddressWrite> = group
                .iter()
                .filter_map(|&i| items.get(i).map(create_body))
                .collect();
            let outcome = self
                .client
                .ip_addresses()
                .bulk_create(&bodies, &WriteOptions::message(msg))
                .await
                .map_err(|e| map_error(&e, None))?;
            scatter(
                outcome,
                &group,
                |_| None,
                |ip: IpAddress| {
                    to_address(&ip, None).ok_or_else(|| IpamError::Indeterminate {
                        message: format!("NetBox answered a non-IPv4 address for {}", ip.address),
                    })
                },
                &mut out,
            );
        }
        // A duplicate's VRF is the one the item asked for.
        for (slot, item) in out.iter_mut().zip(items) {
            if let Some(Err(IpamError::Duplicate { vrf, .. })) = slot {
                *vrf = item.vrf;
            }
        }
        Ok(finish(out))
    }

    async fn update_ips(
        &self,
        items: &[IpUpdate],
    ) -> Result<Vec<ItemResult<(), IpamError>>, IpamError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        self.bootstrap().await?;
        let (mut out, bulk) = self
            .route_by_etag(
                items,
                |it| (it.id, it.etag.as_deref()),
                |it, etag| self.update_one(it, etag),
            )
            .await?;
        let groups = by_message(
            bulk.iter()
                .filter_map(|&i| items.get(i).map(|it| (i, it.changelog_message.as_str()))),
        );
        for (msg, group) in groups {
            let bodies: Vec<(u64, IpAddressWrite)> = group
                .iter()
                .filter_map(|&i| items.get(i).map(|it| (it.id, update_body(&it.fields))))
                .collect();
            let outcome = self
                .client
                .ip_addresses()
                .bulk_patch(&bodies, &WriteOptions::message(msg))
                .await
                .map_err(|e| map_error(&e, None))?;
            scatter(
                outcome,
                &group,
                |i| items.get(i).map(|it| it.id),
                |_| Ok(()),
                &mut out,
            );
        }
        Ok(finish(out))
    }

    async fn delete_ips(
        &self,
        items: &[IpDelete],
    ) -> Result<Vec<ItemResult<(), IpamError>>, IpamError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let (mut out, bulk) = self
            .route_by_etag(
                items,
                |it| (it.id, it.etag.as_deref()),
                |it, etag| self.delete_one(it, etag),
            )
            .await?;
        let groups = by_message(
            bulk.iter()
                .filter_map(|&i| items.get(i).map(|it| (i, it.changelog_message.as_str()))),
        );
        for (msg, group) in groups {
            let ids: Vec<u64> = group
                .iter()
                .filter_map(|&i| items.get(i).map(|it| it.id))
                .collect();
            let outcome = self
                .client
                .ip_addresses()
                .bulk_delete(&ids, &WriteOptions::message(msg))
                .await
                .map_err(|e| map_error(&e, None))?;
            scatter(
                outcome,
                &group,
                |i| items.get(i).map(|it| it.id),
                |_| Ok(()),
                &mut out,
            );
        }
        Ok(finish(out))
    }

    async fn create_prefix(&self, prefix: &NewPrefix) -> Result<IpamPrefix, IpamError> {
        let body = PrefixWrite {
            prefix: Some(IpNetwork::V4(prefix.prefix)),
            vrf: Some(prefix.vrf),
            status: Some(prefix.status.clone()),
            ..PrefixWrite::default()
        };
        let w = self
            .client
            .prefixes()
            .create(
                &body,
                &WriteOptions::message(prefix.changelog_message.clone()),
            )
            .await
            .map_err(|e| map_error(&e, None))?;
        match w.value.prefix {
            IpNetwork::V4(p) => Ok(IpamPrefix {
                id: w.value.id,
                prefix: p,
                vrf: w.value.vrf.map(|v| v.id),
            }),
            IpNetwork::V6(_) => Err(IpamError::Indeterminate {
                message: format!("NetBox answered a non-IPv4 prefix for {}", prefix.prefix),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_message_becomes_duplicate() {
        let f = FieldErrors::from_pairs([(
            "address",
            "Duplicate IP address found in global table: 10.0.2.1/24",
        )]);
        assert_eq!(
            rejected(&f),
            IpamError::Duplicate {
                address: "10.0.2.1".parse().unwrap(),
                vrf: None
            }
        );
        let other = FieldErrors::from_pairs([("status", "not a valid choice")]);
        assert!(matches!(rejected(&other), IpamError::Rejected { .. }));
    }

    #[test]
    fn groups_keep_first_seen_order() {
        let g = by_message([(0, "a"), (1, "b"), (2, "a"), (3, "c")].into_iter());
        assert_eq!(g, vec![("a", vec![0, 2]), ("b", vec![1]), ("c", vec![3])]);
    }

    #[test]
    fn ipv6_is_left_out() {
        let ip: IpAddress = serde_json::from_value(serde_json::json!({
            "id": 3, "address": "2001:db8::1/64"
        }))
        .unwrap();
        assert!(to_address(&ip, None).is_none());
        let ip: IpAddress = serde_json::from_value(serde_json::json!({
            "id": 4, "address": "10.0.0.4/24", "tags": [{"id": 1, "name": "P", "slug": "p"}],
            "custom_fields": {"dhcp_client_id": "aa-bb-cc-dd-ee-ff"},
            "last_updated": "2026-11-22T10:51:50.423194Z"
        }))
        .unwrap();
        let a = to_address(&ip, None).unwrap();
        assert!(a.tags.contains("p"));
        assert_eq!(a.dhcp_client_id.as_deref(), Some("aa-bb-cc-dd-ee-ff"));
        assert_eq!(
            a.etag.as_deref(),
            Some("W/\"2026-11-22T10:51:50.423194+00:00\"")
        );
    }
}
