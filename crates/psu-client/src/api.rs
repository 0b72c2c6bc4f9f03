//! The typed endpoints of the PSU contract (`psu/contract.json`).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use reqwest::Method;
use serde::de::DeserializeOwned;
use windhcp_dhcp_model::{
    ClientId, ExclusionRange, Failover, Lease, OptionCode, OptionValue, Reservation, Scope, ScopeId,
};

use crate::client::{Call, PsuClient, Reply, decode, is_empty_body, trim_body};
use crate::convert::{self, ConvertError, Health, ServerFailover};
use crate::error::{Endpoint, PsuError, Result};
use crate::flex::{FlexIp, OneOrMany};
use crate::request::{
    BatchItem, ExclusionBody, FailoverCreate, NotIpv4, OptionPut, ReservationCreate, ReservationOp,
    ReservationUpdate, ScopeCreate, ScopeUpdate, scope_v4,
};
use crate::wire::{
    WireBatchResult, WireExclusion, WireFailover, WireHealth, WireLease, WireOption, WirePage,
    WireReplicated, WireReservation, WireScope,
};

/// The contract endpoints this client implements: (id, method, path, idempotent, method name
/// on [`PsuClient`]). Idempotent ones are retried on transient failures.
pub const ENDPOINTS: &[(&str, &str, &str, bool, &str)] = &[
    ("health", "GET", "/health", true, "health"),
    ("write_ping", "POST", "/health", false, "write_ping"),
    ("list_scopes", "GET", "/scopes", true, "list_scopes"),
    ("get_scope", "GET", "/scopes/:scope_id", true, "get_scope"),
    ("create_scope", "POST", "/scopes", false, "create_scope"),
    (
        "update_scope",
        "PUT",
        "/scopes/:scope_id",
        true,
        "update_scope",
    ),
    (
        "delete_scope",
        "DELETE",
        "/scopes/:scope_id",
        true,
        "delete_scope",
    ),
    (
        "list_leases",
        "GET",
        "/leases",
        true,
        "list_leases, list_leases_page, list_all_leases, leases_by_scope",
    ),
    (
        "list_reservations",
        "GET",
        "/reservations",
        true,
        "list_reservations, reservations_by_scope",
    ),
    (
        "create_reservation",
        "POST",
        "/reservations",
        false,
        "create_reservation",
    ),
    (
        "update_reservation",
        "PUT",
        "/reservations/:client_id",
        true,
        "update_reservation",
    ),
    (
        "delete_reservation",
        "DELETE",
        "/reservations/:client_id",
        true,
        "delete_reservation",
    ),
    (
        "batch_reservations",
        "POST",
        "/reservations/batch",
        false,
        "batch_reservations",
    ),
    ("list_failover", "GET", "/failover", true, "list_failovers"),
    (
        "create_failover",
        "POST",
        "/failover",
        false,
        "create_failover",
    ),
    (
        "delete_failover",
        "DELETE",
        "/failover/:name",
        true,
        "delete_failover",
    ),
    (
        "replicate_scopes",
        "POST",
        "/failover/replicate",
        true,
        "replicate_scopes",
    ),
    (
        "replicate_failover",
        "POST",
        "/failover/:name/replicate",
        true,
        "replicate_failover",
    ),
    (
        "list_server_options",
        "GET",
        "/options/server",
        true,
        "list_server_options",
    ),
    (
        "list_all_scope_options",
        "GET",
        "/options",
        true,
        "options_by_scope",
    ),
    (
        "list_scope_options",
        "GET",
        "/options/scope/:scope_id",
        true,
        "list_scope_options",
    ),
    (
        "set_scope_option",
        "PUT",
        "/options/scope/:scope_id/:code",
        true,
        "set_scope_option",
    ),
    (
        "remove_scope_option",
        "DELETE",
        "/options/scope/:scope_id/:code",
        true,
        "remove_scope_option",
    ),
    (
        "list_exclusions",
        "GET",
        "/exclusions",
        true,
        "list_exclusions, exclusions_by_scope",
    ),
    (
        "create_exclusion",
        "POST",
        "/exclusions",
        false,
        "create_exclusion",
    ),
    (
        "delete_exclusion",
        "DELETE",
        "/exclusions",
        true,
        "delete_exclusion",
    ),
];

/// Largest batch the contract accepts in one `POST /reservations/batch`.
pub const MAX_BATCH_ITEMS: usize = 1000;

/// Default page size for paged lease reads.
pub const DEFAULT_LEASE_PAGE_SIZE: u32 = 5000;

/// Upper bound on pages followed in one paged read (a loop guard).
const MAX_PAGES: usize = 100_000;

/// Options of `GET /scopes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeQuery {
    /// Only `Active` scopes.
    pub active_only: bool,
    /// Read option 3 per scope (slower on the server); `false` leaves `router` empty.
    pub include_router: bool,
}

impl Default for ScopeQuery {
    /// All scopes, with routers.
    fn default() -> Self {
        Self {
            active_only: false,
            include_router: true,
        }
    }
}

/// Filter of the lease reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeaseQuery {
    /// One scope, or all scopes.
    pub scope: Option<ScopeId>,
    /// Every address state, not only `Active` and `ActiveReservation`.
    pub all_states: bool,
}

/// One page of a paged lease read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeasePage {
    /// The leases of this page.
    pub leases: Vec<Lease>,
    /// Cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Outcome of one reservation batch item.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchStatus {
    /// Applied (or nothing to change).
    Ok,
    /// The item itself is malformed.
    Invalid,
    /// Scope or reservation missing (on delete: already gone).
    NotFound,
    /// Violates existing state.
    Conflict,
    /// Windows failed to apply it.
    Error,
    /// The call carrying this item failed in a way that may have reached the server: the item
    /// may or may not have been applied. Re-read before retrying.
    Unknown,
    /// The item was not sent (an earlier chunk failed, or the call certainly did not reach the
    /// server).
    NotSent,
    /// A status this client does not know.
    Other(String),
}

impl BatchStatus {
    fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "ok" => Self::Ok,
            "invalid" => Self::Invalid,
            "not_found" | "notfound" => Self::NotFound,
            "conflict" => Self::Conflict,
            "error" => Self::Error,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// Result of one item of [`PsuClient::batch_reservations`], in item order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Index of the item in the caller's slice.
    pub index: usize,
    /// What happened.
    pub status: BatchStatus,
    /// Message when not `Ok`.
    pub error: Option<String>,
    /// The reservation after create/update when `Ok`.
    pub reservation: Option<Reservation>,
}

fn bad_request(endpoint: Endpoint, e: &NotIpv4) -> PsuError {
    PsuError::InvalidRequest {
        endpoint,
        reason: e.to_string(),
    }
}

fn decode_failure(endpoint: &Endpoint, path: String, e: &ConvertError) -> PsuError {
    PsuError::Decode {
        endpoint: endpoint.clone(),
        path,
        message: e.message.clone(),
    }
}

fn join_path(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Decodes a list that may also be a single object, `null`, empty or 204 (all meaning "none").
fn list<W, D>(reply: &Reply, mut conv: impl FnMut(W) -> Result<D, ConvertError>) -> Result<Vec<D>>
where
    W: DeserializeOwned,
{
    if is_empty_body(reply.status, &reply.body) {
        return Ok(Vec::new());
    }
    let items: OneOrMany<W> = decode(&reply.endpoint, &reply.body)?;
    items
        .0
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            conv(w).map_err(|e| decode_failure(&reply.endpoint, format!("[{i}].{}", e.field), &e))
        })
        .collect()
}

/// Decodes one object; an empty body is an error.
fn one<W, D>(reply: &Reply, conv: impl FnOnce(W) -> Result<D, ConvertError>) -> Result<D>
where
    W: DeserializeOwned,
{
    if is_empty_body(reply.status, &reply.body) {
        return Err(PsuError::Decode {
            endpoint: reply.endpoint.clone(),
            path: ".".into(),
            message: "expected a JSON object, got an empty body".into(),
        });
    }
    let w: W = decode(&reply.endpoint, &reply.body)?;
    conv(w).map_err(|e| decode_failure(&reply.endpoint, e.field.to_owned(), &e))
}

/// Decodes `{scope_id: [items]}`; a flat array (older scripts) is grouped by each item's scope.
fn grouped<W, D>(
    reply: &Reply,
    mut conv: impl FnMut(W, Option<ScopeId>) -> Result<D, ConvertError>,
    scope_of: impl Fn(&D) -> Option<ScopeId>,
) -> Result<BTreeMap<ScopeId, Vec<D>>>
where
    W: DeserializeOwned,
{
    let mut out: BTreeMap<ScopeId, Vec<D>> = BTreeMap::new();
    if is_empty_body(reply.status, &reply.body) {
        return Ok(out);
    }
    if trim_body(&reply.body).first() == Some(&b'[') {
        for (i, item) in list(reply, |w| conv(w, None))?.into_iter().enumerate() {
            let Some(sid) = scope_of(&item) else {
                return Err(PsuError::Decode {
                    endpoint: reply.endpoint.clone(),
                    path: format!("[{i}]"),
                    message: "expected an object keyed by scope id, got a flat list".into(),
                });
            };
            out.entry(sid).or_default().push(item);
        }
        return Ok(out);
    }
    let map: BTreeMap<String, OneOrMany<W>> = decode(&reply.endpoint, &reply.body)?;
    for (key, items) in map {
        let ip: Ipv4Addr = key.trim().parse().map_err(|_| PsuError::Decode {
            endpoint: reply.endpoint.clone(),
            path: key.clone(),
            message: format!("group key `{key}` is not an IPv4 scope id"),
        })?;
        let sid = ScopeId(ip.into());
        let entry = out.entry(sid).or_default();
        entry.reserve(items.0.len());
        for (i, w) in items.0.into_iter().enumerate() {
            let item = conv(w, Some(sid)).map_err(|e| {
                decode_failure(
                    &reply.endpoint,
                    join_path(&format!("{key}[{i}]"), e.field),
                    &e,
                )
            })?;
            entry.push(item);
        }
    }
    Ok(out)
}

fn expect_none(reply: &Reply) -> Result<()> {
    tracing::trace!(status = reply.status.as_u16(), "no content expected");
    Ok(())
}

impl PsuClient {
    fn endpoint_of(&self, call: &Call) -> Endpoint {
        let path = self
            .url_for(call)
            .map_or_else(|_| call.segments.join("/"), |u| u.path().to_owned());
        Endpoint::new(
            match call.method {
                Method::GET => "GET",
                Method::POST => "POST",
                Method::PUT => "PUT",
                Method::DELETE => "DELETE",
                _ => "OTHER",
            },
            path,
        )
    }

    fn v4(&self, call: &Call, id: ScopeId) -> Result<Ipv4Addr> {
        scope_v4(id).map_err(|e| bad_request(self.endpoint_of(call), &e))
    }

    fn body<B: serde::Serialize + ?Sized>(&self, call: Call, body: &B) -> Result<Call> {
        call.json(body)
    }

    // ---------------------------------------------------------------- health

    /// `GET /health`: liveness and script version.
    ///
    /// # Errors
    /// Any [`PsuError`]; 401/403 mean the token is wrong or lacks the reader role.
    pub async fn health(&self) -> Result<Health> {
        let reply = self.send(&Call::new(Method::GET, &["health"])).await?;
        one(&reply, |w: WireHealth| Ok(Health::from(w)))
    }

    /// `POST /health`: succeeds only with a token holding the writer role
    /// ([`PsuError::Forbidden`] with a reader token). No side effect.
    ///
    /// # Errors
    /// Any [`PsuError`].
    pub async fn write_ping(&self) -> Result<()> {
        let call = Call::new(Method::POST, &["health"]).json(&serde_json::json!({}))?;
        self.send(&call).await.map(|_| ())
    }

    // ---------------------------------------------------------------- scopes

    /// `GET /scopes`: every scope (with router and failover name unless disabled in `query`).
    ///
    /// # Errors
    /// Any [`PsuError`].
    pub async fn list_scopes(&self, query: ScopeQuery) -> Result<Vec<Scope>> {
        let mut call = Call::new(Method::GET, &["scopes"]);
        if query.active_only {
            call = call.query("active_only", "true");
        }
        if !query.include_router {
            call = call.query("include_router", "false");
        }
        let reply = self.send(&call).await?;
        list(&reply, |w: WireScope| Scope::try_from(w))
    }

    /// `GET /scopes/:scope_id`.
    ///
    /// # Errors
    /// [`PsuError::NotFound`] for an unknown scope; any other [`PsuError`].
    pub async fn get_scope(&self, id: ScopeId) -> Result<Scope> {
        let base = Call::new(Method::GET, &["scopes"]);
        let seg = self.v4(&base, id)?.to_string();
        let call = base.segment(seg);
        let reply = self.send(&call).await?;
        one(&reply, |w: WireScope| Scope::try_from(w))
    }

    /// `POST /scopes` (not idempotent: never retried).
    ///
    /// # Errors
    /// [`PsuError::Conflict`] when it overlaps an existing scope; any other [`PsuError`].
    pub async fn create_scope(&self, body: &ScopeCreate) -> Result<Scope> {
        let call = self.body(Call::new(Method::POST, &["scopes"]), body)?;
        let reply = self.send(&call).await?;
        one(&reply, |w: WireScope| Scope::try_from(w))
    }

    /// `POST /scopes` from a domain scope (see [`ScopeCreate::from_scope`]).
    ///
    /// # Errors
    /// [`PsuError::InvalidRequest`] for an IPv6 scope; otherwise as [`create_scope`](Self::create_scope).
    pub async fn create_scope_from(&self, scope: &Scope) -> Result<Scope> {
        let body = ScopeCreate::from_scope(scope).map_err(|e| {
            bad_request(self.endpoint_of(&Call::new(Method::POST, &["scopes"])), &e)
        })?;
        self.create_scope(&body).await
    }

    /// `PUT /scopes/:scope_id`: applies the `Some` fields (idempotent: retried on transient
    /// failures).
    ///
    /// # Errors
    /// [`PsuError::NotFound`], [`PsuError::BadRequest`], [`PsuError::Conflict`]; any other.
    pub async fn update_scope(&self, id: ScopeId, body: &ScopeUpdate) -> Result<Scope> {
        let base = Call::new(Method::PUT, &["scopes"]).idempotent(true);
        let seg = self.v4(&base, id)?.to_string();
        let call = self.body(base.segment(seg), body)?;
        let reply = self.send(&call).await?;
        one(&reply, |w: WireScope| Scope::try_from(w))
    }

    /// `DELETE /scopes/:scope_id` (with its leases, reservations, exclusions and options).
    ///
    /// # Errors
    /// [`PsuError::NotFound`]; [`PsuError::Conflict`] while it is in a failover relationship.
    pub async fn delete_scope(&self, id: ScopeId) -> Result<()> {
        let base = Call::new(Method::DELETE, &["scopes"]).idempotent(true);
        let seg = self.v4(&base, id)?.to_string();
        let reply = self.send(&base.segment(seg)).await?;
        expect_none(&reply)
    }

    // ---------------------------------------------------------------- leases

    /// `GET /leases?scope_id=`: the active leases of one scope.
    ///
    /// # Errors
    /// [`PsuError::NotFound`] (or a 500 from seed scripts) for an unknown scope; any other.
    pub async fn list_leases(&self, scope: ScopeId) -> Result<Vec<Lease>> {
        let base = Call::new(Method::GET, &["leases"]);
        let sid = self.v4(&base, scope)?;
        let reply = self.send(&base.query("scope_id", sid.to_string())).await?;
        list(&reply, |w: WireLease| convert::lease(w, Some(scope)))
    }

    /// `GET /leases?limit=&cursor=`: one page of leases. A server that ignores paging (seed
    /// scripts) answers with the whole list and no cursor.
    ///
    /// # Errors
    /// Any [`PsuError`].
    pub async fn list_leases_page(
        &self,
        query: LeaseQuery,
        page_size: u32,
        cursor: Option<&str>,
    ) -> Result<LeasePage> {
        let mut call = Call::new(Method::GET, &["leases"]).query("limit", page_size.to_string());
        if let Some(scope) = query.scope {
            let sid = self.v4(&call, scope)?;
            call = call.query("scope_id", sid.to_string());
        }
        if query.all_states {
            call = call.query("all_states", "true");
        }
        if let Some(c) = cursor {
            call = call.query("cursor", c);
        }
        let reply = self.send(&call).await?;
        page(&reply, query.scope)
    }
}

/// Decodes a lease page, or a plain list from a server that ignores paging.
fn page(reply: &Reply, ctx: Option<ScopeId>) -> Result<LeasePage> {
    if is_empty_body(reply.status, &reply.body) || trim_body(&reply.body).first() == Some(&b'[') {
        let leases = list(reply, |w: WireLease| convert::lease(w, ctx))?;
        return Ok(LeasePage {
            leases,
            next_cursor: None,
        });
    }
    let page: WirePage<WireLease> = decode(&reply.endpoint, &reply.body)?;
    let leases = page
        .items
        .0
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            convert::lease(w, ctx)
                .map_err(|e| decode_failure(&reply.endpoint, format!("items[{i}].{}", e.field), &e))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(LeasePage {
        leases,
        next_cursor: page
            .next_cursor
            .map(|c| c.0)
            .filter(|c| !c.trim().is_empty()),
    })
}

impl PsuClient {
    /// Every lease matching `query`, following the paging cursor to the end.
    ///
    /// # Errors
    /// Any [`PsuError`]; [`PsuError::Decode`] when the server repeats a cursor.
    pub async fn list_all_leases(&self, query: LeaseQuery, page_size: u32) -> Result<Vec<Lease>> {
        let page_size = page_size.max(1);
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .list_leases_page(query, page_size, cursor.as_deref())
                .await?;
            out.extend(page.leases);
            match page.next_cursor {
                None => return Ok(out),
                Some(next) if cursor.as_deref() == Some(next.as_str()) => {
                    return Err(PsuError::Decode {
                        endpoint: Endpoint::new(
                            "GET",
                            self.base_url().path().to_owned() + "leases",
                        ),
                        path: "next_cursor".into(),
                        message: format!("the server repeated cursor `{next}`"),
                    });
                }
                Some(next) => cursor = Some(next),
            }
        }
        Err(PsuError::Decode {
            endpoint: Endpoint::new("GET", self.base_url().path().to_owned() + "leases"),
            path: "next_cursor".into(),
            message: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// `GET /leases?format=grouped`: the active leases of every scope in one call, keyed by
    /// scope (scopes without leases map to an empty list).
    ///
    /// # Errors
    /// Any [`PsuError`].
    pub async fn leases_by_scope(&self) -> Result<BTreeMap<ScopeId, Vec<Lease>>> {
        let call = Call::new(Method::GET, &["leases"]).query("format", "grouped");
        let reply = self.send(&call).await?;
        grouped(&reply, convert::lease, |l: &Lease| Some(l.scope_id))
    }

    // ---------------------------------------------------------------- reservations

    /// `GET /reservations[?scope_id=]`: the reservations of one scope, or of all scopes.
    ///
    /// # Errors
    /// Any [`PsuError`].
    pub async fn list_reservations(&self, scope: Option<ScopeId>) -> Result<Vec<Reservation>> {
        let mut call = Call::new(Method::GET, &["reservations"]);
        if let Some(s) = scope {
            let sid = self.v4(&call, s)?;
            call = call.query("scope_id", sid.to_string());
        }
        let reply = self.send(&call).await?;
        list(&reply, |w: WireReservation| convert::reservation(w, scope))
    }

    /// `GET /reservations?format=grouped`: reservations of every scope, keyed by scope.
    ///
    /// # Errors
    /// Any [`PsuError`].
    pub async fn reservations_by_scope(&self) -> Result<BTreeMap<ScopeId, Vec<Reservation>>> {
        let call = Call::new(Method::GET, &["reservations"]).query("format", "grouped");
        let reply = self.send(&call).await?;
        grouped(&reply, convert::reservation, |r: &Reservation| {
            Some(r.scope_id)
        })
    }

    /// `POST /reservations`: create one reservation (never retried).
    ///
    /// # Errors
    /// [`PsuError::Conflict`] when the address or client id is already reserved; any other.
    pub async fn create_reservation(&self, body: &ReservationCreate) -> Result<Reservation> {
        let call = self.body(Call::new(Method::POST, &["reservations"]), body)?;
        let reply = self.send(&call).await?;
        let ctx = Some(ScopeId(body.scope_id.into()));
        one(&reply, |w: WireReservation| convert::reservation(w, ctx))
    }

    /// `POST /reservations` from a domain reservation.
    ///
    /// # Errors
    /// [`PsuError::InvalidRequest`] for IPv6; otherwise as [`create_reservation`](Self::create_reservation).
    pub async fn create_reservation_from(&self, r: &Reservation) -> Result<Reservation> {
        let body = ReservationCreate::from_reservation(r).map_err(|e| {
            bad_request(
                self.endpoint_of(&Call::new(Method::POST, &["reservations"])),
                &e,
            )
        })?;
        self.create_reservation(&body).await
    }

    /// `PUT /reservations/:client_id[?scope_id=]`: update name/description/type.
    ///
    /// # Errors
    /// [`PsuError::NotFound`]; [`PsuError::Conflict`] when ambiguous without `scope`.
    pub async fn update_reservation(
        &self,
        client_id: &ClientId,
        scope: Option<ScopeId>,
        body: &ReservationUpdate,
    ) -> Result<Reservation> {
        let mut call = Call::new(Method::PUT, &["reservations"])
            .idempotent(true)
            .segment(client_id.to_string());
        if let Some(s) = scope {
            let sid = self.v4(&call, s)?;
            call = call.query("scope_id", sid.to_string());
        }
        let call = self.body(call, body)?;
        let reply = self.send(&call).await?;
        one(&reply, |w: WireReservation| convert::reservation(w, scope))
    }

    /// `DELETE /reservations/:client_id[?scope_id=]` (the lease, if any, stays).
    ///
    /// # Errors
    /// [`PsuError::NotFound`]; [`PsuError::Conflict`] when ambiguous without `scope`.
    pub async fn delete_reservation(
        &self,
        client_id: &ClientId,
        scope: Option<ScopeId>,
    ) -> Result<()> {
        let mut call = Call::new(Method::DELETE, &["reservations"])
            .idempotent(true)
            .segment(client_id.to_string());
        if let Some(s) = scope {
            let sid = self.v4(&call, s)?;
            call = call.query("scope_id", sid.to_string());
        }
        let reply = self.send(&call).await?;
        expect_none(&reply)
    }

    /// `POST /reservations/batch`: applies `ops` in order, in chunks of [`MAX_BATCH_ITEMS`].
    /// Returns one outcome per op, in order. A failed call does not abort with an error: its
    /// items are reported as [`BatchStatus::Unknown`] (or [`BatchStatus::NotSent`] when the call
    /// certainly did not reach the server) and later chunks are [`BatchStatus::NotSent`].
    ///
    /// # Errors
    /// [`PsuError::InvalidRequest`] for IPv6 values (nothing is sent).
    pub async fn batch_reservations(&self, ops: &[ReservationOp]) -> Result<Vec<BatchOutcome>> {
        let probe = Call::new(Method::POST, &["reservations", "batch"]);
        let items: Vec<BatchItem> = ops
            .iter()
            .map(BatchItem::try_from)
            .collect::<Result<_, _>>()
            .map_err(|e| bad_request(self.endpoint_of(&probe), &e))?;
        let mut out: Vec<BatchOutcome> = Vec::with_capacity(ops.len());
        let mut failed: Option<String> = None;
        for (chunk_no, chunk) in items.chunks(MAX_BATCH_ITEMS).enumerate() {
            let offset = chunk_no * MAX_BATCH_ITEMS;
            if let Some(reason) = &failed {
                out.extend(
                    (0..chunk.len()).map(|i| not_applied(offset + i, BatchStatus::NotSent, reason)),
                );
                continue;
            }
            let call = Call::new(Method::POST, &["reservations", "batch"])
                .json(&serde_json::json!({ "items": chunk }))?;
            match self.send(&call).await {
                Ok(reply) => out.extend(batch_results(&reply, ops, offset, chunk.len())?),
                Err(e) => {
                    let status = if e.may_have_reached_server() {
                        BatchStatus::Unknown
                    } else {
                        BatchStatus::NotSent
                    };
                    let reason = e.to_string();
                    out.extend(
                        (0..chunk.len()).map(|i| not_applied(offset + i, status.clone(), &reason)),
                    );
                    failed = Some(format!("an earlier batch call failed: {reason}"));
                }
            }
        }
        Ok(out)
    }

    // ---------------------------------------------------------------- failover

    /// `GET /failover`: every relationship of the server.
    ///
    /// # Errors
    /// Any [`PsuError`].
    pub async fn list_failovers(&self) -> Result<Vec<ServerFailover>> {
        let reply = self.send(&Call::new(Method::GET, &["failover"])).await?;
        let host = self.base_url().host_str().map(str::to_owned);
        list(&reply, |w: WireFailover| {
            convert::failover(w, host.as_deref())
        })
    }

    /// `POST /failover`: create a relationship (never retried).
    ///
    /// # Errors
    /// [`PsuError::Conflict`] when the name exists or a scope is already in one; any other.
    pub async fn create_failover(&self, body: &FailoverCreate) -> Result<ServerFailover> {
        let call = self.body(Call::new(Method::POST, &["failover"]), body)?;
        let reply = self.send(&call).await?;
        let host = self.base_url().host_str().map(str::to_owned);
        one(&reply, |w: WireFailover| {
            convert::failover(w, host.as_deref())
        })
    }

    /// `POST /failover` from a domain relationship (see [`FailoverCreate::from_failover`]).
    ///
    /// # Errors
    /// [`PsuError::InvalidRequest`] for IPv6; otherwise as [`create_failover`](Self::create_failover).
    pub async fn create_failover_from(&self, f: &Failover) -> Result<ServerFailover> {
        let body = FailoverCreate::from_failover(f).map_err(|e| {
            bad_request(
                self.endpoint_of(&Call::new(Method::POST, &["failover"])),
                &e,
            )
        })?;
        self.create_failover(&body).await
    }

    /// `DELETE /failover/:name` (the scopes stay on this server).
    ///
    /// # Errors
    /// [`PsuError::NotFound`]; any other.
    pub async fn delete_failover(&self, name: &str) -> Result<()> {
        let call = Call::new(Method::DELETE, &["failover"])
            .idempotent(true)
            .segment(name);
        let reply = self.send(&call).await?;
        expect_none(&reply)
    }

    /// `POST /failover/replicate`: replicate these failover scopes to their partners.
    /// Returns the replicated scopes.
    ///
    /// # Errors
    /// [`PsuError::InvalidRequest`] for an empty list; [`PsuError::NotFound`],
    /// [`PsuError::Conflict`] (scope not in a relationship); any other.
    pub async fn replicate_scopes(&self, scopes: &[ScopeId]) -> Result<Vec<ScopeId>> {
        let base = Call::new(Method::POST, &["failover", "replicate"]).idempotent(true);
        if scopes.is_empty() {
            return Err(PsuError::InvalidRequest {
                endpoint: self.endpoint_of(&base),
                reason: "at least one scope is required".into(),
            });
        }
        let ids = scopes
            .iter()
            .map(|s| self.v4(&base, *s))
            .collect::<Result<Vec<_>>>()?;
        let call = base.json(&serde_json::json!({ "scope_ids": ids }))?;
        let reply = self.send(&call).await?;
        replicated(&reply)
    }

    /// `POST /failover/:name/replicate`: replicate all (`None`) or some scopes of a relationship.
    ///
    /// # Errors
    /// [`PsuError::NotFound`]; any other.
    pub async fn replicate_failover(
        &self,
        name: &str,
        scopes: Option<&[ScopeId]>,
    ) -> Result<Vec<ScopeId>> {
        let base = Call::new(Method::POST, &["failover"])
            .idempotent(true)
            .segment(name)
            .segment("replicate");
        let body = match scopes {
            Some(s) => {
                let ids = s
                    .iter()
                    .map(|x| self.v4(&base, *x))
                    .collect::<Result<Vec<_>>>()?;
                serde_json::json!({ "scope_ids": ids })
            }
            None => serde_json::json!({}),
        };
        let reply = self.send(&base.json(&body)?).await?;
        replicated(&reply)
    }

    // ---------------------------------------------------------------- options

    /// `GET /options/server`: server-level option values.
    ///
    /// # Errors
    /// Any [`PsuError`].
    pub async fn list_server_options(&self) -> Result<Vec<OptionValue>> {
        let reply = self
            .send(&Call::new(Method::GET, &["options", "server"]))
            .await?;
        list(&reply, |w: WireOption| OptionValue::try_from(w))
    }

    /// `GET /options/scope/:scope_id`: option values of one scope (all codes and classes).
    ///
    /// # Errors
    /// [`PsuError::NotFound`]; any other.
    pub async fn list_scope_options(&self, scope: ScopeId) -> Result<Vec<OptionValue>> {
        let base = Call::new(Method::GET, &["options", "scope"]);
        let sid = self.v4(&base, scope)?;
        let reply = self.send(&base.segment(sid.to_string())).await?;
        list(&reply, |w: WireOption| OptionValue::try_from(w))
    }

    /// `GET /options?format=grouped`: option values of every scope, keyed by scope. Also
    /// accepts the 2.0.1 envelope `{"scope_options": {...}}`.
    ///
    /// # Errors
    /// Any [`PsuError`].
    pub async fn options_by_scope(&self) -> Result<BTreeMap<ScopeId, Vec<OptionValue>>> {
        let call = Call::new(Method::GET, &["options"]).query("format", "grouped");
        let mut reply = self.send(&call).await?;
        if let Some(inner) = envelope_field(&reply.body, "scope_options") {
            reply.body = inner;
        }
        grouped(
            &reply,
            |w: WireOption, _| OptionValue::try_from(w),
            |_| None,
        )
    }

    /// `PUT /options/scope/:scope_id/:code`: set (create or replace) one option value.
    ///
    /// # Errors
    /// [`PsuError::BadRequest`] for a value the server rejects; [`PsuError::NotFound`]; any other.
    pub async fn set_scope_option(
        &self,
        scope: ScopeId,
        value: &OptionValue,
    ) -> Result<OptionValue> {
        let base = Call::new(Method::PUT, &["options", "scope"]).idempotent(true);
        let sid = self.v4(&base, scope)?;
        let call = base
            .segment(sid.to_string())
            .segment(value.code().code().to_string())
            .json(&OptionPut::from(value))?;
        let reply = self.send(&call).await?;
        one(&reply, |w: WireOption| OptionValue::try_from(w))
    }

    /// `DELETE /options/scope/:scope_id/:code[?vendor_class=&user_class=]`.
    ///
    /// # Errors
    /// [`PsuError::NotFound`] when the scope is unknown or the option not set; any other.
    pub async fn remove_scope_option(
        &self,
        scope: ScopeId,
        code: OptionCode,
        vendor_class: Option<&str>,
        user_class: Option<&str>,
    ) -> Result<()> {
        let base = Call::new(Method::DELETE, &["options", "scope"]).idempotent(true);
        let sid = self.v4(&base, scope)?;
        let mut call = base
            .segment(sid.to_string())
            .segment(code.code().to_string());
        if let Some(v) = vendor_class.filter(|v| !v.trim().is_empty()) {
            call = call.query("vendor_class", v);
        }
        if let Some(u) = user_class.filter(|u| !u.trim().is_empty()) {
            call = call.query("user_class", u);
        }
        let reply = self.send(&call).await?;
        expect_none(&reply)
    }

    // ---------------------------------------------------------------- exclusions

    /// `GET /exclusions?scope_id=`: exclusion ranges of one scope.
    ///
    /// # Errors
    /// [`PsuError::NotFound`]; any other.
    pub async fn list_exclusions(&self, scope: ScopeId) -> Result<Vec<ExclusionRange>> {
        let base = Call::new(Method::GET, &["exclusions"]);
        let sid = self.v4(&base, scope)?;
        let reply = self.send(&base.query("scope_id", sid.to_string())).await?;
        list(&reply, |w: WireExclusion| {
            convert::exclusion(w, Some(scope))
        })
    }

    /// `GET /exclusions?format=grouped`: exclusion ranges of every scope, keyed by scope.
    /// Scopes without exclusions may be absent (2.0.1 scripts) or map to an empty list.
    ///
    /// # Errors
    /// Any [`PsuError`].
    pub async fn exclusions_by_scope(&self) -> Result<BTreeMap<ScopeId, Vec<ExclusionRange>>> {
        let call = Call::new(Method::GET, &["exclusions"]).query("format", "grouped");
        let reply = self.send(&call).await?;
        grouped(&reply, convert::exclusion, |e: &ExclusionRange| {
            Some(e.scope_id)
        })
    }

    /// `POST /exclusions`: add an exclusion range (never retried).
    ///
    /// # Errors
    /// [`PsuError::Conflict`] when it overlaps another; [`PsuError::NotFound`]; any other.
    pub async fn create_exclusion(&self, exclusion: &ExclusionRange) -> Result<ExclusionRange> {
        let base = Call::new(Method::POST, &["exclusions"]);
        let body = ExclusionBody::try_from(exclusion)
            .map_err(|e| bad_request(self.endpoint_of(&base), &e))?;
        let reply = self.send(&base.json(&body)?).await?;
        let ctx = Some(exclusion.scope_id);
        one(&reply, |w: WireExclusion| convert::exclusion(w, ctx))
    }

    /// `DELETE /exclusions` (JSON body): remove the exclusion with exactly these bounds.
    ///
    /// # Errors
    /// [`PsuError::NotFound`]; any other.
    pub async fn delete_exclusion(&self, exclusion: &ExclusionRange) -> Result<()> {
        let base = Call::new(Method::DELETE, &["exclusions"]).idempotent(true);
        let body = ExclusionBody::try_from(exclusion)
            .map_err(|e| bad_request(self.endpoint_of(&base), &e))?;
        let reply = self.send(&base.json(&body)?).await?;
        expect_none(&reply)
    }
}

fn not_applied(index: usize, status: BatchStatus, reason: &str) -> BatchOutcome {
    BatchOutcome {
        index,
        status,
        error: Some(reason.to_owned()),
        reservation: None,
    }
}

/// Maps a batch answer (array, or 2.0.1's `{"results": [...]}`) onto the chunk's items.
fn batch_results(
    reply: &Reply,
    ops: &[ReservationOp],
    offset: usize,
    len: usize,
) -> Result<Vec<BatchOutcome>> {
    let body = envelope_field(&reply.body, "results");
    let body_ref = body.as_deref().unwrap_or(&reply.body);
    let results: OneOrMany<WireBatchResult> = if is_empty_body(reply.status, body_ref) {
        OneOrMany(Vec::new())
    } else {
        decode(&reply.endpoint, body_ref)?
    };
    let mut slots: Vec<Option<BatchOutcome>> = vec![None; len];
    for (pos, r) in results.0.into_iter().enumerate() {
        let local = r
            .index
            .map_or(pos, |i| usize::try_from(i.0).unwrap_or(usize::MAX));
        let Some(slot) = slots.get_mut(local) else {
            return Err(PsuError::Decode {
                endpoint: reply.endpoint.clone(),
                path: format!("[{pos}].index"),
                message: format!("index {local} is outside the batch of {len}"),
            });
        };
        let context = ops.get(offset + local).map(|op| match op {
            ReservationOp::Create(r) => r.scope_id,
            ReservationOp::Update { scope_id, .. } | ReservationOp::Delete { scope_id, .. } => {
                *scope_id
            }
        });
        let reservation = match r.reservation {
            Some(w) => Some(convert::reservation(w, context).map_err(|e| {
                decode_failure(
                    &reply.endpoint,
                    format!("[{pos}].reservation.{}", e.field),
                    &e,
                )
            })?),
            None => None,
        };
        *slot = Some(BatchOutcome {
            index: offset + local,
            status: BatchStatus::parse(&r.status.0),
            error: r.error.map(|e| e.0),
            reservation,
        });
    }
    Ok(slots
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            s.unwrap_or_else(|| {
                not_applied(
                    offset + i,
                    BatchStatus::Unknown,
                    "no result returned for this item",
                )
            })
        })
        .collect())
}

fn replicated(reply: &Reply) -> Result<Vec<ScopeId>> {
    if is_empty_body(reply.status, &reply.body) {
        return Ok(Vec::new());
    }
    let w: WireReplicated = decode(&reply.endpoint, &reply.body)?;
    Ok(w.replicated
        .0
        .into_iter()
        .map(|FlexIp(ip)| ScopeId(ip.into()))
        .collect())
}

/// If `body` is an object with `field`, returns that field's JSON text.
fn envelope_field(body: &[u8], field: &str) -> Option<Vec<u8>> {
    let trimmed = trim_body(body);
    if trimmed.first() != Some(&b'{') {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_slice(trimmed).ok()?;
    let inner = value.as_object_mut()?.remove(field)?;
    serde_json::to_vec(&inner).ok()
}

/// The response decoders of the client, usable without HTTP (fixtures, replay, fuzzing).
///
/// Each takes a response body (as a 200 answer) and returns the domain values, or a
/// [`PsuError::Decode`] naming the JSON path; none of them panics on any input.
pub mod decode {
    use super::{
        BTreeMap, ExclusionRange, Health, Lease, LeasePage, OptionValue, Reply, Reservation,
        Result, Scope, ScopeId, ServerFailover, convert, grouped, list, one,
    };
    use crate::error::Endpoint;
    use crate::wire::{
        WireExclusion, WireFailover, WireHealth, WireLease, WireOption, WireReservation, WireScope,
    };

    fn reply(path: &str, body: &[u8]) -> Reply {
        Reply {
            endpoint: Endpoint::new("GET", format!("/api/dhcp/{path}")),
            status: reqwest::StatusCode::OK,
            body: body.to_vec(),
        }
    }

    /// `GET /health`.
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn health(body: &[u8]) -> Result<Health> {
        one(&reply("health", body), |w: WireHealth| Ok(Health::from(w)))
    }

    /// A scope list (`GET /scopes`).
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn scopes(body: &[u8]) -> Result<Vec<Scope>> {
        list(&reply("scopes", body), |w: WireScope| Scope::try_from(w))
    }

    /// A lease list; `scope` fills in a missing `scope_id`.
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn leases(body: &[u8], scope: Option<ScopeId>) -> Result<Vec<Lease>> {
        list(&reply("leases", body), |w: WireLease| {
            convert::lease(w, scope)
        })
    }

    /// A grouped lease answer (`GET /leases?format=grouped`).
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn leases_grouped(body: &[u8]) -> Result<BTreeMap<ScopeId, Vec<Lease>>> {
        grouped(&reply("leases", body), convert::lease, |l: &Lease| {
            Some(l.scope_id)
        })
    }

    /// A lease page (`{"items": [...], "next_cursor": ...}`).
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn lease_page(body: &[u8]) -> Result<LeasePage> {
        super::page(&reply("leases", body), None)
    }

    /// A reservation list.
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn reservations(body: &[u8], scope: Option<ScopeId>) -> Result<Vec<Reservation>> {
        list(&reply("reservations", body), |w: WireReservation| {
            convert::reservation(w, scope)
        })
    }

    /// A grouped reservation answer.
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn reservations_grouped(body: &[u8]) -> Result<BTreeMap<ScopeId, Vec<Reservation>>> {
        grouped(
            &reply("reservations", body),
            convert::reservation,
            |r: &Reservation| Some(r.scope_id),
        )
    }

    /// A failover list.
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn failovers(body: &[u8]) -> Result<Vec<ServerFailover>> {
        list(&reply("failover", body), |w: WireFailover| {
            ServerFailover::try_from(w)
        })
    }

    /// An option value list.
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn options(body: &[u8]) -> Result<Vec<OptionValue>> {
        list(&reply("options/server", body), |w: WireOption| {
            OptionValue::try_from(w)
        })
    }

    /// A grouped option answer.
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn options_grouped(body: &[u8]) -> Result<BTreeMap<ScopeId, Vec<OptionValue>>> {
        grouped(
            &reply("options", body),
            |w: WireOption, _| OptionValue::try_from(w),
            |_| None,
        )
    }

    /// An exclusion list; `scope` fills in a missing `scope_id`.
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn exclusions(body: &[u8], scope: Option<ScopeId>) -> Result<Vec<ExclusionRange>> {
        list(&reply("exclusions", body), |w: WireExclusion| {
            convert::exclusion(w, scope)
        })
    }

    /// A grouped exclusion answer.
    ///
    /// # Errors
    /// [`PsuError::Decode`](crate::PsuError::Decode).
    pub fn exclusions_grouped(body: &[u8]) -> Result<BTreeMap<ScopeId, Vec<ExclusionRange>>> {
        grouped(
            &reply("exclusions", body),
            convert::exclusion,
            |e: &ExclusionRange| Some(e.scope_id),
        )
    }
}
