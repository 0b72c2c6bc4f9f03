//! The HTTP face of one simulated server: the contract's routes, auth, faults and `/_sim` admin.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::Ipv4Addr;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::{SimError, SimResult};
use crate::faults::{FaultKind, FaultRule, Faults};
use crate::model::{
    Estate, Exclusion, Failover, FailoverMode, Reservation, ReservationType, Scope, ScopeState,
    Secret, ServerRole, ServerState, build_option, canonical_client_id, parse_ip,
};
use crate::wire::{
    self, BatchBody, ExclusionBody, ExclusionOut, FailoverBody, FailoverOut, LeaseOut,
    OptionPutBody, ReplicateBody, ReservationBody, ReservationOut, ScopeBody, ScopeOut,
};

/// The estate shared by every listener.
pub(crate) type SharedEstate = Arc<RwLock<Estate>>;

pub(crate) fn read(e: &SharedEstate) -> RwLockReadGuard<'_, Estate> {
    e.read().unwrap_or_else(PoisonError::into_inner)
}
pub(crate) fn write(e: &SharedEstate) -> RwLockWriteGuard<'_, Estate> {
    e.write().unwrap_or_else(PoisonError::into_inner)
}

/// Tokens accepted by the simulator.
#[derive(Debug)]
pub(crate) struct Auth {
    pub(crate) writer: Secret,
    pub(crate) reader: Option<Secret>,
}

/// State of one listener.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) estate: SharedEstate,
    pub(crate) server: usize,
    pub(crate) server_name: Arc<str>,
    pub(crate) faults: Faults,
    pub(crate) auth: Arc<Auth>,
    /// Flips to `true` on shutdown (cuts hangs and latencies short).
    pub(crate) stop: tokio::sync::watch::Receiver<bool>,
}

/// Contract endpoints: (id, method, path under `/api/dhcp`, PSU syntax).
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("health", "GET", "/health"),
    ("write_ping", "POST", "/health"),
    ("list_scopes", "GET", "/scopes"),
    ("get_scope", "GET", "/scopes/:scope_id"),
    ("create_scope", "POST", "/scopes"),
    ("update_scope", "PUT", "/scopes/:scope_id"),
    ("delete_scope", "DELETE", "/scopes/:scope_id"),
    ("list_leases", "GET", "/leases"),
    ("list_reservations", "GET", "/reservations"),
    ("create_reservation", "POST", "/reservations"),
    ("update_reservation", "PUT", "/reservations/:client_id"),
    ("delete_reservation", "DELETE", "/reservations/:client_id"),
    ("batch_reservations", "POST", "/reservations/batch"),
    ("list_failover", "GET", "/failover"),
    ("create_failover", "POST", "/failover"),
    ("delete_failover", "DELETE", "/failover/:name"),
    ("replicate_scopes", "POST", "/failover/replicate"),
    ("replicate_failover", "POST", "/failover/:name/replicate"),
    ("list_server_options", "GET", "/options/server"),
    ("list_all_scope_options", "GET", "/options"),
    ("list_scope_options", "GET", "/options/scope/:scope_id"),
    ("set_scope_option", "PUT", "/options/scope/:scope_id/:code"),
    (
        "remove_scope_option",
        "DELETE",
        "/options/scope/:scope_id/:code",
    ),
    ("list_exclusions", "GET", "/exclusions"),
    ("create_exclusion", "POST", "/exclusions"),
    ("delete_exclusion", "DELETE", "/exclusions"),
];

/// Base path of the contract.
pub const BASE_PATH: &str = "/api/dhcp";

/// Maps a request to its contract endpoint id and the scope named in its path, if any.
#[must_use]
pub fn classify(method: &str, path: &str) -> Option<(&'static str, Option<Ipv4Addr>)> {
    let rest = path.strip_prefix(BASE_PATH)?;
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').skip(1).collect();
    for (id, m, pattern) in ROUTES {
        if !m.eq_ignore_ascii_case(method) {
            continue;
        }
        let pat: Vec<&str> = pattern.split('/').skip(1).collect();
        if pat.len() != segs.len() {
            continue;
        }
        let mut scope = None;
        let ok = pat.iter().zip(&segs).all(|(p, s)| {
            if let Some(name) = p.strip_prefix(':') {
                if name == "scope_id" {
                    scope = s.parse().ok();
                }
                // Static siblings (`/failover/replicate`, `/reservations/batch`) win over params.
                let shadowed = matches!((name, *s), ("name", "replicate") | ("client_id", "batch"));
                !s.is_empty() && !shadowed
            } else {
                p == s
            }
        });
        if ok {
            return Some((id, scope));
        }
    }
    None
}

// ------------------------------------------------------------------------------------ responses

/// An error answered as `{"error": ...}`.
#[derive(Debug)]
pub(crate) struct ApiError(SimError);

impl From<SimError> for ApiError {
    fn from(e: SimError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(self.0.status(), &self.0.to_string())
    }
}

type ApiResult = Result<Response, ApiError>;

pub(crate) fn error_response(status: u16, msg: &str) -> Response {
    let body = json!({ "error": msg }).to_string();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

fn json_response<T: Serialize + ?Sized>(status: StatusCode, v: &T) -> ApiResult {
    let bytes = serde_json::to_vec(v)
        .map_err(|e| SimError::Windows(format!("serialization failed: {e}")))?;
    Ok(json_bytes(status, bytes))
}

fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn parse_body<T: DeserializeOwned + Default>(body: &Bytes, required: bool) -> SimResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        if required {
            return Err(SimError::invalid("Body is required."));
        }
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| SimError::invalid(format!("Body is not valid JSON for this endpoint: {e}")))
}

fn truthy(v: Option<&String>) -> Option<bool> {
    v.map(|s| {
        matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

type Q = Query<HashMap<String, String>>;

fn query_scope(q: &HashMap<String, String>) -> SimResult<Option<Ipv4Addr>> {
    q.get("scope_id")
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_ip("scope_id", s))
        .transpose()
}

fn grouped(q: &HashMap<String, String>) -> SimResult<bool> {
    match q.get("format").map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(f) if f.is_empty() => Ok(false),
        Some(f) if f == "grouped" => Ok(true),
        Some(f) => Err(SimError::invalid(format!(
            "'format' must be 'grouped' (got {f:?})."
        ))),
    }
}

// --------------------------------------------------------------------------------------- router

/// Builds the router of one listener.
pub(crate) fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(health).post(write_ping))
        .route("/scopes", get(list_scopes).post(create_scope))
        .route(
            "/scopes/{scope_id}",
            get(get_scope).put(update_scope).delete(delete_scope),
        )
        .route("/leases", get(list_leases))
        .route(
            "/reservations",
            get(list_reservations).post(create_reservation),
        )
        .route("/reservations/batch", post(batch_reservations))
        .route(
            "/reservations/{client_id}",
            put(update_reservation).delete(delete_reservation),
        )
        .route("/failover", get(list_failover).post(create_failover))
        .route("/failover/replicate", post(replicate_scopes))
        .route("/failover/{name}", delete(delete_failover))
        .route("/failover/{name}/replicate", post(replicate_failover))
        .route("/options", get(list_all_scope_options))
        .route("/options/server", get(list_server_options))
        .route("/options/scope/{scope_id}", get(list_scope_options))
        .route(
            "/options/scope/{scope_id}/{code}",
            put(set_scope_option).delete(remove_scope_option),
        )
        .route(
            "/exclusions",
            get(list_exclusions)
                .post(create_exclusion)
                .delete(delete_exclusion),
        )
        .layer(from_fn_with_state(state.clone(), fault_mw));
    let admin = Router::new()
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/faults/{id}", delete(remove_fault))
        .route("/state", get(dump_state))
        .route("/servers", get(list_servers));
    Router::new()
        .nest(BASE_PATH, api)
        .nest("/_sim", admin)
        .fallback(unknown_route)
        .layer(from_fn_with_state(state.clone(), auth_mw))
        .with_state(state)
}

async fn unknown_route(method: Method, uri: axum::http::Uri) -> Response {
    let mut r = error_response(404, &format!("no endpoint {method} {}", uri.path()));
    r.headers_mut()
        .insert("x-sim-unmatched", HeaderValue::from_static("1"));
    r
}

// ----------------------------------------------------------------------------------- middleware

fn token_matches(given: &str, want: &Secret) -> bool {
    let (a, b) = (given.as_bytes(), want.expose().as_bytes());
    // Length leaks, content does not: compare every byte.
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn auth_mw(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_owned())
        });
    let Some(given) = given else {
        return error_response(401, "missing app token (Authorization: Bearer <token>).");
    };
    let writer = token_matches(&given, &st.auth.writer);
    let reader = st
        .auth
        .reader
        .as_ref()
        .is_some_and(|r| token_matches(&given, r));
    if !writer && !reader {
        return error_response(401, "invalid app token.");
    }
    let is_read = req.method() == Method::GET || req.method() == Method::HEAD;
    if !writer && !is_read {
        return error_response(403, "the app token lacks the DHCPWriter role.");
    }
    next.run(req).await
}

async fn fault_mw(State(st): State<AppState>, req: Request, next: Next) -> Response {
    // Inside the nested router the URI lost its `/api/dhcp` prefix; the original one has it.
    let path = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| req.uri().path().to_owned(), |u| u.path().to_owned());
    let Some((endpoint, path_scope)) = classify(req.method().as_str(), &path) else {
        return next.run(req).await;
    };
    let scope = path_scope.or_else(|| {
        req.uri().query().and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "scope_id")
                .and_then(|(_, v)| v.parse().ok())
        })
    });
    let plan = st.faults.decide(endpoint, &st.server_name, scope);
    // Sleeps end early when the simulator shuts down, so a hang never delays shutdown.
    let mut stop = st.stop.clone();
    let pause = |ms: u64| async move {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms)) => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    };
    if plan.latency_ms > 0 {
        pause.clone()(plan.latency_ms).await;
    }
    match plan.terminal {
        None => next.run(req).await,
        Some(FaultKind::Status { status }) => error_response(
            status,
            &format!("simulated fault: HTTP {status} on {endpoint}."),
        ),
        Some(FaultKind::Hang { ms }) => {
            pause(ms).await;
            error_response(500, &format!("simulated hang of {ms} ms on {endpoint}."))
        }
        Some(FaultKind::Truncate { keep_fraction }) => {
            let resp = next.run(req).await;
            let (mut parts, body) = resp.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                return error_response(500, "simulated truncation failed to read the body.");
            };
            let keep = keep_fraction.clamp(0.0, 1.0);
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let n = ((bytes.len() as f64) * keep) as usize;
            let cut = bytes.slice(..n.min(bytes.len()));
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(cut))
        }
        Some(FaultKind::EmptyList) => {
            let resp = next.run(req).await;
            let status = resp.status();
            let Ok(bytes) = axum::body::to_bytes(resp.into_body(), usize::MAX).await else {
                return json_bytes(StatusCode::OK, b"[]".to_vec());
            };
            let emptied = if status.is_success() {
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(Value::Object(mut m)) if m.contains_key("items") => {
                        m.insert("items".into(), json!([]));
                        m.insert("next_cursor".into(), Value::Null);
                        Value::Object(m)
                    }
                    Ok(Value::Object(m)) => {
                        Value::Object(m.into_iter().map(|(k, _)| (k, json!([]))).collect())
                    }
                    _ => json!([]),
                }
            } else {
                json!([])
            };
            json_bytes(StatusCode::OK, emptied.to_string().into_bytes())
        }
        Some(other) => error_response(500, &format!("unsupported fault {other:?}")),
    }
}

// ----------------------------------------------------------------------------------- endpoints

async fn health(State(st): State<AppState>) -> ApiResult {
    json_response(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "contract_version": wire::CONTRACT_VERSION,
            "dhcp_module": true,
            "server": &*st.server_name,
        }),
    )
}

async fn write_ping() -> ApiResult {
    json_response(StatusCode::OK, &json!({ "status": "ok" }))
}

fn with_server<T>(st: &AppState, f: impl FnOnce(&ServerState) -> SimResult<T>) -> SimResult<T> {
    let g = read(&st.estate);
    let s = g
        .servers
        .get(st.server)
        .ok_or_else(|| SimError::Windows("server vanished".into()))?;
    f(s)
}

fn with_server_mut<T>(
    st: &AppState,
    f: impl FnOnce(&mut ServerState) -> SimResult<T>,
) -> SimResult<T> {
    let mut g = write(&st.estate);
    let s = g
        .servers
        .get_mut(st.server)
        .ok_or_else(|| SimError::Windows("server vanished".into()))?;
    f(s)
}

fn scope_json(s: &ServerState, id: Ipv4Addr) -> SimResult<Vec<u8>> {
    let scope = s.scope(id)?;
    serde_json::to_vec(&ScopeOut::new(scope, s.failover_of(id), true))
        .map_err(|e| SimError::Windows(e.to_string()))
}

async fn list_scopes(State(st): State<AppState>, Query(q): Q) -> ApiResult {
    let active_only = truthy(q.get("active_only")).unwrap_or(false);
    let include_router = truthy(q.get("include_router")).unwrap_or(true);
    let bytes = with_server(&st, |s| {
        let mut member: HashMap<Ipv4Addr, &Failover> = HashMap::new();
        for f in s.failovers.values() {
            for id in &f.scope_ids {
                member.insert(*id, f);
            }
        }
        let out: Vec<ScopeOut<'_>> = s
            .scopes
            .values()
            .filter(|x| !active_only || x.state == ScopeState::Active)
            .map(|x| ScopeOut::new(x, member.get(&x.scope_id).copied(), include_router))
            .collect();
        serde_json::to_vec(&out).map_err(|e| SimError::Windows(e.to_string()))
    })?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

async fn get_scope(State(st): State<AppState>, Path(scope_id): Path<String>) -> ApiResult {
    let id = parse_ip("scope_id", &scope_id)?;
    let bytes = with_server(&st, |s| scope_json(s, id))?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

fn apply_options(scope: &mut Scope, patch: Option<&wire::OptionsPatch>) -> SimResult<()> {
    let Some(p) = patch else { return Ok(()) };
    for o in &p.set {
        let code = u8::try_from(o.code).map_err(|_| {
            SimError::invalid(format!("option code {} is out of range 1..254.", o.code))
        })?;
        let v = build_option(
            code,
            wire::values_of(&o.value)?,
            o.vendor_class.clone(),
            o.user_class.clone(),
        )?;
        scope.set_option(v)?;
    }
    for code in &p.remove {
        let code = u8::try_from(*code).map_err(|_| {
            SimError::invalid(format!("option code {code} is out of range 1..254."))
        })?;
        // Removing an option that is not set is not an error inside a scope update.
        match scope.remove_option(code, None, None) {
            Ok(()) | Err(SimError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn apply_router(scope: &mut Scope, router: Option<&Option<String>>) -> SimResult<()> {
    match router {
        None => Ok(()),
        Some(Some(r)) if !r.trim().is_empty() && r.trim() != "0.0.0.0" => {
            let ip = parse_ip("router", r)?;
            scope.set_option(build_option(3, vec![ip.to_string()], None, None)?)?;
            Ok(())
        }
        Some(_) => match scope.remove_option(3, None, None) {
            Ok(()) | Err(SimError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        },
    }
}

async fn create_scope(State(st): State<AppState>, body: Bytes) -> ApiResult {
    let b: ScopeBody = parse_body(&body, true)?;
    let (Some(sid), Some(start), Some(end), Some(mask)) =
        (&b.scope_id, &b.start_ip, &b.end_ip, &b.subnet_mask)
    else {
        return Err(
            SimError::invalid("scope_id, start_ip, end_ip, and subnet_mask are required.").into(),
        );
    };
    let (sid, start, end, mask) = (
        parse_ip("scope_id", sid)?,
        parse_ip("start_ip", start)?,
        parse_ip("end_ip", end)?,
        parse_ip("subnet_mask", mask)?,
    );
    if u32::from(start) & u32::from(mask) != u32::from(sid) {
        return Err(SimError::invalid(format!(
            "scope_id {sid} does not match start_ip {start} and subnet_mask {mask}."
        ))
        .into());
    }
    let mut scope = Scope::new(sid, mask, start, end);
    scope.name = b.name.clone().unwrap_or_default();
    scope.description = b.description.clone().unwrap_or_default();
    if let Some(s) = &b.state {
        scope.state = ScopeState::parse(s)?;
    }
    if let Some(secs) = wire::lease_secs(b.lease_duration_seconds)? {
        scope.lease_duration_seconds = secs;
    }
    scope.check_range()?;
    apply_router(&mut scope, b.router.as_ref())?;
    apply_options(&mut scope, b.options.as_ref())?;
    let enroll = b
        .failover
        .as_ref()
        .and_then(|f| f.enroll.clone())
        .filter(|n| !n.trim().is_empty());
    let mut g = write(&st.estate);
    g.servers
        .get_mut(st.server)
        .ok_or_else(|| SimError::Windows("server vanished".into()))?
        .insert_scope(scope)?;
    if let Some(name) = enroll
        && let Err(e) = g.failover_add_scope(st.server, &name, sid)
    {
        if let Some(s) = g.servers.get_mut(st.server) {
            s.scopes.remove(&sid);
        }
        return Err(e.into());
    }
    let s = g
        .servers
        .get(st.server)
        .ok_or_else(|| SimError::Windows("server vanished".into()))?;
    Ok(json_bytes(StatusCode::CREATED, scope_json(s, sid)?))
}

async fn update_scope(
    State(st): State<AppState>,
    Path(scope_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = parse_ip("scope_id", &scope_id)?;
    let b: ScopeBody = parse_body(&body, false)?;
    let mut g = write(&st.estate);
    let server = g
        .servers
        .get_mut(st.server)
        .ok_or_else(|| SimError::Windows("server vanished".into()))?;
    let mut scope = server.scope(id)?.clone();
    if let Some(n) = &b.name {
        scope.name.clone_from(n);
    }
    if let Some(d) = &b.description {
        scope.description.clone_from(d);
    }
    if let Some(s) = &b.state {
        scope.state = ScopeState::parse(s)?;
    }
    if let Some(secs) = wire::lease_secs(b.lease_duration_seconds)? {
        scope.lease_duration_seconds = secs;
    }
    if let Some(ip) = wire::opt_ip("start_ip", b.start_ip.as_ref())? {
        scope.start_ip = ip;
    }
    if let Some(ip) = wire::opt_ip("end_ip", b.end_ip.as_ref())? {
        scope.end_ip = ip;
    }
    apply_router(&mut scope, b.router.as_ref())?;
    apply_options(&mut scope, b.options.as_ref())?;
    scope.check_all()?;
    match &b.failover {
        None => {
            server.scopes.insert(id, scope);
        }
        Some(fp) => {
            // Membership changes touch the partner too: apply everything to a copy and keep it
            // only if every step succeeds, so a failed PUT changes nothing.
            let mut staged = g.clone();
            if let Some(s) = staged.servers.get_mut(st.server) {
                s.scopes.insert(id, scope);
            }
            if let Some(name) = fp.remove.as_deref().filter(|n| !n.trim().is_empty()) {
                staged.failover_remove_scope(st.server, name, id)?;
            }
            if let Some(name) = fp.enroll.as_deref().filter(|n| !n.trim().is_empty()) {
                staged.failover_add_scope(st.server, name, id)?;
            }
            *g = staged;
        }
    }
    let s = g
        .servers
        .get(st.server)
        .ok_or_else(|| SimError::Windows("server vanished".into()))?;
    Ok(json_bytes(StatusCode::OK, scope_json(s, id)?))
}

async fn delete_scope(State(st): State<AppState>, Path(scope_id): Path<String>) -> ApiResult {
    let id = parse_ip("scope_id", &scope_id)?;
    with_server_mut(&st, |s| {
        s.scope(id)?;
        if let Some(f) = s.failover_of(id) {
            return Err(SimError::conflict(format!(
                "scope {id} is in failover relationship {}; remove it from the relationship first.",
                f.name
            )));
        }
        s.scopes.remove(&id);
        Ok(())
    })?;
    no_content()
}

// ---------------------------------------------------------------------------------------- leases

/// Page size limit of the paged lease list.
pub const MAX_PAGE: usize = 10_000;

fn encode_cursor(scope: Ipv4Addr, ip: Ipv4Addr) -> String {
    format!("c1.{:08x}.{:08x}", u32::from(scope), u32::from(ip))
}

fn decode_cursor(c: &str) -> SimResult<(Ipv4Addr, Ipv4Addr)> {
    let bad = || SimError::invalid("'cursor' is malformed; pass next_cursor back unchanged.");
    let mut it = c.trim().split('.');
    if it.next() != Some("c1") {
        return Err(bad());
    }
    let a = it
        .next()
        .and_then(|x| u32::from_str_radix(x, 16).ok())
        .ok_or_else(bad)?;
    let b = it
        .next()
        .and_then(|x| u32::from_str_radix(x, 16).ok())
        .ok_or_else(bad)?;
    if it.next().is_some() {
        return Err(bad());
    }
    Ok((Ipv4Addr::from(a), Ipv4Addr::from(b)))
}

async fn list_leases(State(st): State<AppState>, Query(q): Q) -> ApiResult {
    let scope = query_scope(&q)?;
    let grouped = grouped(&q)?;
    let all_states = truthy(q.get("all_states")).unwrap_or(false);
    let limit = q
        .get("limit")
        .map(|l| {
            l.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| SimError::invalid(format!("'limit' must be 1..{MAX_PAGE}.")))
        })
        .transpose()?;
    let cursor = q.get("cursor").map(|c| decode_cursor(c)).transpose()?;
    let paged = limit.is_some() || cursor.is_some();
    if grouped && (scope.is_some() || paged) {
        return Err(SimError::invalid(
            "format=grouped cannot be combined with scope_id, limit or cursor.",
        )
        .into());
    }
    if paged {
        let limit = limit.unwrap_or(1000);
        let bytes = with_server(&st, |s| {
            if let Some(id) = scope {
                s.scope(id)?;
            }
            lease_page(s, scope, cursor, limit, all_states)
        })?;
        return Ok(json_bytes(StatusCode::OK, bytes));
    }
    if let Some(id) = scope {
        let bytes = with_server(&st, |s| {
            let sc = s.scope(id)?;
            let out: Vec<LeaseOut<'_>> = sc
                .leases
                .values()
                .filter(|l| all_states || l.address_state.is_listed_by_default())
                .map(|l| LeaseOut::new(id, l))
                .collect();
            serde_json::to_vec(&out).map_err(|e| SimError::Windows(e.to_string()))
        })?;
        return Ok(json_bytes(StatusCode::OK, bytes));
    }
    let ids: Vec<Ipv4Addr> = with_server(&st, |s| Ok(s.scopes.keys().copied().collect()))?;
    Ok(stream_scopes(st, ids, grouped, move |scope, out, first| {
        for l in scope
            .leases
            .values()
            .filter(|l| all_states || l.address_state.is_listed_by_default())
        {
            if !*first {
                out.push(b',');
            }
            *first = false;
            let _ = serde_json::to_writer(&mut *out, &LeaseOut::new(scope.scope_id, l));
        }
    }))
}

fn lease_page(
    s: &ServerState,
    scope: Option<Ipv4Addr>,
    cursor: Option<(Ipv4Addr, Ipv4Addr)>,
    limit: usize,
    all_states: bool,
) -> SimResult<Vec<u8>> {
    use std::ops::Bound::{Excluded, Included, Unbounded};
    let mut items: Vec<LeaseOut<'_>> = Vec::with_capacity(limit);
    let mut more = false;
    let mut last = None;
    let scope_lo = match (scope, cursor) {
        (Some(id), _) => Included(id),
        (None, Some((c, _))) => Included(c),
        (None, None) => Unbounded,
    };
    let scope_hi = scope.map_or(Unbounded, Included);
    'outer: for (sid, sc) in s.scopes.range((scope_lo, scope_hi)) {
        let lo = match cursor {
            Some((c, ip)) if c == *sid => Excluded(ip),
            Some((c, _)) if c > *sid => continue,
            _ => Unbounded,
        };
        for l in sc
            .leases
            .range((lo, Unbounded))
            .map(|(_, l)| l)
            .filter(|l| all_states || l.address_state.is_listed_by_default())
        {
            if items.len() == limit {
                more = true;
                break 'outer;
            }
            items.push(LeaseOut::new(*sid, l));
            last = Some((*sid, l.ip_address));
        }
    }
    let next_cursor = if more {
        // The last item returned marks where the next page starts.
        last.map(|(sid, ip)| encode_cursor(sid, ip))
    } else {
        None
    };
    #[derive(Serialize)]
    struct Page<'a> {
        items: Vec<LeaseOut<'a>>,
        next_cursor: Option<String>,
    }
    serde_json::to_vec(&Page { items, next_cursor }).map_err(|e| SimError::Windows(e.to_string()))
}

/// Streams a flat array or a grouped map over `ids`, serializing scope by scope on a blocking
/// thread and taking the read lock once per scope (writers are never blocked for long).
fn stream_scopes(
    st: AppState,
    ids: Vec<Ipv4Addr>,
    grouped: bool,
    write_items: impl Fn(&Scope, &mut Vec<u8>, &mut bool) + Send + 'static,
) -> Response {
    const CHUNK: usize = 256 * 1024;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    tokio::task::spawn_blocking(move || {
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 64 * 1024);
        buf.push(if grouped { b'{' } else { b'[' });
        let mut first_item = true;
        let mut first_key = true;
        for id in ids {
            {
                let g = read(&st.estate);
                let Some(scope) = g.servers.get(st.server).and_then(|s| s.scopes.get(&id)) else {
                    continue;
                };
                if grouped {
                    if !first_key {
                        buf.push(b',');
                    }
                    first_key = false;
                    buf.extend_from_slice(format!("\"{id}\":[").as_bytes());
                    first_item = true;
                }
                write_items(scope, &mut buf, &mut first_item);
                if grouped {
                    buf.push(b']');
                }
            }
            if buf.len() >= CHUNK {
                let chunk = Bytes::from(std::mem::take(&mut buf));
                if tx.blocking_send(chunk).is_err() {
                    return;
                }
                buf.reserve(CHUNK + 64 * 1024);
            }
        }
        buf.push(if grouped { b'}' } else { b']' });
        let _ = tx.blocking_send(Bytes::from(buf));
    });
    let stream = futures::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|o| o.map(Ok::<Bytes, Infallible>))
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

// ---------------------------------------------------------------------------------- reservations

async fn list_reservations(State(st): State<AppState>, Query(q): Q) -> ApiResult {
    let scope = query_scope(&q)?;
    let grouped = grouped(&q)?;
    if grouped && scope.is_some() {
        return Err(SimError::invalid("format=grouped cannot be combined with scope_id.").into());
    }
    let bytes = with_server(&st, |s| {
        let enc = |v: &dyn erased::Ser| v.to_vec();
        if let Some(id) = scope {
            let sc = s.scope(id)?;
            let out: Vec<_> = sc
                .reservations
                .values()
                .map(|r| ReservationOut::new(id, r))
                .collect();
            return enc(&out);
        }
        if grouped {
            let out: std::collections::BTreeMap<String, Vec<ReservationOut<'_>>> = s
                .scopes
                .values()
                .map(|sc| {
                    (
                        sc.scope_id.to_string(),
                        sc.reservations
                            .values()
                            .map(|r| ReservationOut::new(sc.scope_id, r))
                            .collect(),
                    )
                })
                .collect();
            return enc(&ordered(out, s));
        }
        let out: Vec<_> = s
            .scopes
            .values()
            .flat_map(|sc| {
                sc.reservations
                    .values()
                    .map(|r| ReservationOut::new(sc.scope_id, r))
            })
            .collect();
        enc(&out)
    })?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

/// Re-keys a grouped map in numeric scope order (string order would put 10.10 before 10.2).
fn ordered<T: Serialize>(
    mut m: std::collections::BTreeMap<String, T>,
    s: &ServerState,
) -> OrderedMap<T> {
    OrderedMap(
        s.scopes
            .keys()
            .filter_map(|id| {
                let k = id.to_string();
                m.remove(&k).map(|v| (k, v))
            })
            .collect(),
    )
}

/// A JSON object that keeps insertion order.
pub(crate) struct OrderedMap<T>(Vec<(String, T)>);

impl<T: Serialize> Serialize for OrderedMap<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

mod erased {
    use crate::error::{SimError, SimResult};

    pub(crate) trait Ser {
        fn to_vec(&self) -> SimResult<Vec<u8>>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_vec(&self) -> SimResult<Vec<u8>> {
            serde_json::to_vec(self).map_err(|e| SimError::Windows(e.to_string()))
        }
    }
}

fn new_reservation(b: &ReservationBody) -> SimResult<(Ipv4Addr, Reservation)> {
    let (Some(sid), Some(ip), Some(cid)) = (&b.scope_id, &b.ip_address, &b.client_id) else {
        return Err(SimError::invalid(
            "scope_id, ip_address, and client_id are required.",
        ));
    };
    let sid = parse_ip("scope_id", sid)?;
    let r = Reservation {
        ip_address: parse_ip("ip_address", ip)?,
        client_id: canonical_client_id(cid)?,
        name: b.name.clone().unwrap_or_default(),
        description: b.description.clone().unwrap_or_default(),
        kind: wire::opt_kind(b.kind.as_ref())?.unwrap_or(ReservationType::Both),
    };
    Ok((sid, r))
}

async fn create_reservation(State(st): State<AppState>, body: Bytes) -> ApiResult {
    let b: ReservationBody = parse_body(&body, true)?;
    let (sid, r) = new_reservation(&b)?;
    let bytes = with_server_mut(&st, |s| {
        let scope = s.scope_mut(sid)?;
        let ip = r.ip_address;
        scope.add_reservation(r)?;
        let r = scope
            .reservations
            .get(&ip)
            .ok_or_else(|| SimError::Windows("reservation vanished".into()))?;
        serde_json::to_vec(&ReservationOut::new(sid, r))
            .map_err(|e| SimError::Windows(e.to_string()))
    })?;
    Ok(json_bytes(StatusCode::CREATED, bytes))
}

fn locate_client(
    s: &ServerState,
    raw: &str,
    q: &HashMap<String, String>,
) -> SimResult<(Ipv4Addr, Ipv4Addr)> {
    let cid = canonical_client_id(raw)?;
    let scope = query_scope(q)?;
    if let Some(id) = scope {
        s.scope(id)?;
    }
    let found = s.reservations_of_client(&cid, scope);
    match found.as_slice() {
        [] => Err(SimError::not_found(format!(
            "Reservation with client_id '{cid}' not found."
        ))),
        [one] => Ok(*one),
        _ => Err(SimError::conflict(format!(
            "client_id '{cid}' is reserved in {} scopes; give scope_id.",
            found.len()
        ))),
    }
}

async fn update_reservation(
    State(st): State<AppState>,
    Path(client_id): Path<String>,
    Query(q): Q,
    body: Bytes,
) -> ApiResult {
    let b: ReservationBody = parse_body(&body, false)?;
    let kind = wire::opt_kind(b.kind.as_ref())?;
    let bytes = with_server_mut(&st, |s| {
        let (sid, ip) = locate_client(s, &client_id, &q)?;
        let r = s.scope_mut(sid)?.update_reservation(
            ip,
            None,
            b.name.clone(),
            b.description.clone(),
            kind,
        )?;
        serde_json::to_vec(&ReservationOut::new(sid, r))
            .map_err(|e| SimError::Windows(e.to_string()))
    })?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

async fn delete_reservation(
    State(st): State<AppState>,
    Path(client_id): Path<String>,
    Query(q): Q,
) -> ApiResult {
    with_server_mut(&st, |s| {
        let (sid, ip) = locate_client(s, &client_id, &q)?;
        s.scope_mut(sid)?.remove_reservation(ip)?;
        Ok(())
    })?;
    no_content()
}

/// Maximum items in one reservation batch.
pub const MAX_BATCH: usize = 1000;

fn batch_item(s: &mut ServerState, item: &Value) -> SimResult<Option<Value>> {
    let b: ReservationBody = serde_json::from_value(item.clone())
        .map_err(|e| SimError::invalid(format!("item is not a valid batch item: {e}")))?;
    let op =
        b.op.as_deref()
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| SimError::invalid("'op' is required (create, update or delete)."))?;
    let to_value = |sid: Ipv4Addr, r: &Reservation| {
        serde_json::to_value(ReservationOut::new(sid, r))
            .map_err(|e| SimError::Windows(e.to_string()))
    };
    match op.as_str() {
        "create" => {
            let (sid, r) = new_reservation(&b)?;
            let ip = r.ip_address;
            let scope = s.scope_mut(sid)?;
            scope.add_reservation(r)?;
            let r = scope
                .reservations
                .get(&ip)
                .ok_or_else(|| SimError::Windows("reservation vanished".into()))?;
            Ok(Some(to_value(sid, r)?))
        }
        "update" | "delete" => {
            let (Some(sid), Some(ip)) = (&b.scope_id, &b.ip_address) else {
                return Err(SimError::invalid("scope_id and ip_address are required."));
            };
            let (sid, ip) = (parse_ip("scope_id", sid)?, parse_ip("ip_address", ip)?);
            let scope = s.scope_mut(sid)?;
            if op == "delete" {
                scope.remove_reservation(ip)?;
                return Ok(None);
            }
            let cid = b
                .client_id
                .as_deref()
                .map(canonical_client_id)
                .transpose()?;
            let kind = wire::opt_kind(b.kind.as_ref())?;
            let r =
                scope.update_reservation(ip, cid, b.name.clone(), b.description.clone(), kind)?;
            Ok(Some(to_value(sid, r)?))
        }
        other => Err(SimError::invalid(format!(
            "'op' must be create, update or delete (got {other:?})."
        ))),
    }
}

async fn batch_reservations(State(st): State<AppState>, body: Bytes) -> ApiResult {
    let items = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(a)) => a,
        Ok(v @ Value::Object(_)) => {
            serde_json::from_value::<BatchBody>(v)
                .map_err(|_| SimError::invalid("Body must be {\"items\": [...]}."))?
                .items
        }
        _ => return Err(SimError::invalid("Body must be {\"items\": [...]}.").into()),
    };
    if items.len() > MAX_BATCH {
        return Err(SimError::invalid(format!(
            "a batch holds at most {MAX_BATCH} items (got {}).",
            items.len()
        ))
        .into());
    }
    let results = with_server_mut(&st, |s| {
        Ok(items
            .iter()
            .enumerate()
            .map(|(index, item)| match batch_item(s, item) {
                Ok(r) => {
                    let mut v = json!({ "index": index, "status": "ok" });
                    if let Some(r) = r {
                        v["reservation"] = r;
                    }
                    v
                }
                Err(e) => {
                    let status = match e.status() {
                        400 => "invalid",
                        404 => "not_found",
                        409 => "conflict",
                        _ => "error",
                    };
                    json!({ "index": index, "status": status, "error": e.to_string() })
                }
            })
            .collect::<Vec<_>>())
    })?;
    json_response(StatusCode::OK, &results)
}

// -------------------------------------------------------------------------------------- failover

async fn list_failover(State(st): State<AppState>) -> ApiResult {
    let bytes = with_server(&st, |s| {
        let out: Vec<_> = s
            .failovers
            .values()
            .map(|f| FailoverOut::new(&s.name, f))
            .collect();
        serde_json::to_vec(&out).map_err(|e| SimError::Windows(e.to_string()))
    })?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

fn failover_from_body(b: &FailoverBody) -> SimResult<Failover> {
    let partner = b.secondary_server.as_ref().or(b.partner_server.as_ref());
    let (Some(name), Some(partner), Some(ids)) = (&b.name, partner, &b.scope_ids) else {
        return Err(SimError::invalid(
            "name, secondary_server, and scope_ids are required.",
        ));
    };
    if name.trim().is_empty() || partner.trim().is_empty() || ids.is_empty() {
        return Err(SimError::invalid(
            "name, secondary_server, and scope_ids are required.",
        ));
    }
    let mode = match b.mode.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("loadbalance") => FailoverMode::LoadBalance,
        Some("hotstandby") => FailoverMode::HotStandby,
        Some(m) => {
            return Err(SimError::invalid(format!(
                "'mode' must be LoadBalance or HotStandby (got {m:?})."
            )));
        }
    };
    let role = match b
        .server_role
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => None,
        Some("active") => Some(ServerRole::Active),
        Some("standby") => Some(ServerRole::Standby),
        Some(r) => {
            return Err(SimError::invalid(format!(
                "'server_role' must be Active or Standby (got {r:?})."
            )));
        }
    };
    let lb = wire::percent("load_balance_percent", b.load_balance_percent)?;
    let reserve = wire::percent("reserve_percent", b.reserve_percent)?;
    let enable_auth = b.enable_auth.unwrap_or(false);
    let secret = b
        .shared_secret
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(Secret::new);
    if enable_auth && secret.is_none() {
        return Err(SimError::invalid("enable_auth requires a shared_secret."));
    }
    let (lb, reserve, role) = match mode {
        FailoverMode::LoadBalance => (Some(lb.unwrap_or(50)), None, None),
        FailoverMode::HotStandby => (
            None,
            Some(reserve.unwrap_or(5)),
            Some(role.unwrap_or(ServerRole::Active)),
        ),
    };
    Ok(Failover {
        name: name.trim().to_owned(),
        partner_server: partner.trim().to_owned(),
        mode,
        scope_ids: wire::ip_list("scope_ids", ids)?.into_iter().collect(),
        max_client_lead_time: wire::secs("max_client_lead_time", b.max_client_lead_time)?
            .unwrap_or(3600),
        max_response_delay: wire::secs("max_response_delay", b.max_response_delay)?.unwrap_or(30),
        state_switchover_interval: wire::secs(
            "state_switchover_interval",
            b.state_switchover_interval,
        )?
        .filter(|s| *s > 0),
        enable_auth,
        shared_secret: secret,
        load_balance_percent: lb,
        reserve_percent: reserve,
        server_role: role,
        state: "Normal".to_owned(),
    })
}

async fn create_failover(State(st): State<AppState>, body: Bytes) -> ApiResult {
    let b: FailoverBody = parse_body(&body, true)?;
    let f = failover_from_body(&b)?;
    let name = f.name.clone();
    let mut g = write(&st.estate);
    g.create_failover(st.server, f)?;
    let s = g
        .servers
        .get(st.server)
        .ok_or_else(|| SimError::Windows("server vanished".into()))?;
    let f = s
        .failovers
        .get(&name)
        .ok_or_else(|| SimError::Windows("relationship vanished".into()))?;
    json_response(StatusCode::CREATED, &FailoverOut::new(&s.name, f))
}

async fn delete_failover(State(st): State<AppState>, Path(name): Path<String>) -> ApiResult {
    write(&st.estate).delete_failover(st.server, &name)?;
    no_content()
}

async fn replicate_scopes(State(st): State<AppState>, body: Bytes) -> ApiResult {
    let b: ReplicateBody = parse_body(&body, false)?;
    let ids = match &b.scope_ids {
        Some(v) if !v.is_empty() => wire::ip_list("scope_ids", v)?,
        _ => {
            return Err(
                SimError::invalid("scope_ids is required and must be a non-empty array.").into(),
            );
        }
    };
    let done = write(&st.estate).replicate(st.server, &ids)?;
    json_response(StatusCode::OK, &json!({ "replicated": done }))
}

async fn replicate_failover(
    State(st): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    let b: ReplicateBody = parse_body(&body, false)?;
    let mut g = write(&st.estate);
    let s = g
        .servers
        .get(st.server)
        .ok_or_else(|| SimError::Windows("server vanished".into()))?;
    let Some(f) = s.failovers.get(&name) else {
        return Err(SimError::not_found(format!(
            "failover relationship {name} not found on {}.",
            s.name
        ))
        .into());
    };
    let ids = match &b.scope_ids {
        Some(v) if !v.is_empty() => {
            let ids = wire::ip_list("scope_ids", v)?;
            if let Some(x) = ids.iter().find(|x| !f.scope_ids.contains(x)) {
                return Err(SimError::not_found(format!(
                    "scope {x} is not in failover relationship {name}."
                ))
                .into());
            }
            ids
        }
        _ => f.scope_ids.iter().copied().collect(),
    };
    let done = g.replicate(st.server, &ids)?;
    json_response(StatusCode::OK, &json!({ "replicated": done }))
}

// --------------------------------------------------------------------------------------- options

async fn list_server_options(State(st): State<AppState>) -> ApiResult {
    let bytes = with_server(&st, |s| {
        serde_json::to_vec(&s.server_options).map_err(|e| SimError::Windows(e.to_string()))
    })?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

async fn list_all_scope_options(State(st): State<AppState>, Query(q): Q) -> ApiResult {
    grouped(&q)?;
    let bytes = with_server(&st, |s| {
        let out = OrderedMap(
            s.scopes
                .values()
                .map(|sc| (sc.scope_id.to_string(), sc.listed_options()))
                .collect(),
        );
        serde_json::to_vec(&out).map_err(|e| SimError::Windows(e.to_string()))
    })?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

async fn list_scope_options(State(st): State<AppState>, Path(scope_id): Path<String>) -> ApiResult {
    let id = parse_ip("scope_id", &scope_id)?;
    let bytes = with_server(&st, |s| {
        serde_json::to_vec(&s.scope(id)?.listed_options())
            .map_err(|e| SimError::Windows(e.to_string()))
    })?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

fn option_code(raw: &str) -> SimResult<u8> {
    raw.trim()
        .parse::<u8>()
        .ok()
        .filter(|c| (1..=254).contains(c))
        .ok_or_else(|| SimError::invalid(format!("option code {raw:?} must be 1..254.")))
}

async fn set_scope_option(
    State(st): State<AppState>,
    Path((scope_id, code)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let id = parse_ip("scope_id", &scope_id)?;
    let code = option_code(&code)?;
    let b: OptionPutBody = serde_json::from_slice(&body)
        .map_err(|e| SimError::invalid(format!("Body is not valid JSON for this endpoint: {e}")))?;
    let v = build_option(
        code,
        wire::values_of(&b.value)?,
        b.vendor_class,
        b.user_class,
    )?;
    let out = with_server_mut(&st, |s| s.scope_mut(id)?.set_option(v))?;
    json_response(StatusCode::OK, &out)
}

async fn remove_scope_option(
    State(st): State<AppState>,
    Path((scope_id, code)): Path<(String, String)>,
    Query(q): Q,
) -> ApiResult {
    let id = parse_ip("scope_id", &scope_id)?;
    let code = option_code(&code)?;
    with_server_mut(&st, |s| {
        s.scope_mut(id)?.remove_option(
            code,
            q.get("vendor_class").map(String::as_str),
            q.get("user_class").map(String::as_str),
        )
    })?;
    no_content()
}

// ------------------------------------------------------------------------------------ exclusions

async fn list_exclusions(State(st): State<AppState>, Query(q): Q) -> ApiResult {
    let scope = query_scope(&q)?;
    let grouped = grouped(&q)?;
    let bytes = with_server(&st, |s| match (scope, grouped) {
        (Some(_), true) => Err(SimError::invalid(
            "format=grouped cannot be combined with scope_id.",
        )),
        (Some(id), false) => {
            let sc = s.scope(id)?;
            let out: Vec<_> = sc
                .exclusions
                .iter()
                .map(|e| ExclusionOut::new(id, e))
                .collect();
            serde_json::to_vec(&out).map_err(|e| SimError::Windows(e.to_string()))
        }
        (None, true) => {
            let out = OrderedMap(
                s.scopes
                    .values()
                    .map(|sc| {
                        (
                            sc.scope_id.to_string(),
                            sc.exclusions
                                .iter()
                                .map(|e| ExclusionOut::new(sc.scope_id, e))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect(),
            );
            serde_json::to_vec(&out).map_err(|e| SimError::Windows(e.to_string()))
        }
        (None, false) => Err(SimError::invalid("scope_id query parameter is required.")),
    })?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

fn exclusion_of(b: &ExclusionBody) -> SimResult<(Ipv4Addr, Exclusion)> {
    let (Some(sid), Some(start), Some(end)) = (&b.scope_id, &b.start_ip, &b.end_ip) else {
        return Err(SimError::invalid(
            "scope_id, start_ip, and end_ip are required.",
        ));
    };
    Ok((
        parse_ip("scope_id", sid)?,
        Exclusion {
            start_ip: parse_ip("start_ip", start)?,
            end_ip: parse_ip("end_ip", end)?,
        },
    ))
}

async fn create_exclusion(State(st): State<AppState>, body: Bytes) -> ApiResult {
    let b: ExclusionBody = parse_body(&body, true)?;
    let (sid, e) = exclusion_of(&b)?;
    with_server_mut(&st, |s| s.scope_mut(sid)?.add_exclusion(e))?;
    json_response(StatusCode::CREATED, &ExclusionOut::new(sid, &e))
}

async fn delete_exclusion(State(st): State<AppState>, body: Bytes) -> ApiResult {
    let b: ExclusionBody = parse_body(&body, true)?;
    let (sid, e) = exclusion_of(&b)?;
    with_server_mut(&st, |s| {
        s.scope_mut(sid)?.remove_exclusion(e.start_ip, e.end_ip)
    })?;
    no_content()
}

// ------------------------------------------------------------------------------------------ admin

async fn list_faults(State(st): State<AppState>) -> ApiResult {
    json_response(StatusCode::OK, &st.faults.list())
}

async fn add_fault(State(st): State<AppState>, body: Bytes) -> ApiResult {
    let rule: FaultRule = serde_json::from_slice(&body)
        .map_err(|e| SimError::invalid(format!("not a fault rule: {e}")))?;
    let id = st.faults.add(rule);
    json_response(StatusCode::CREATED, &json!({ "id": id }))
}

async fn clear_faults(State(st): State<AppState>) -> ApiResult {
    st.faults.clear();
    no_content()
}

async fn remove_fault(State(st): State<AppState>, Path(id): Path<u64>) -> ApiResult {
    if st.faults.remove(id) {
        no_content()
    } else {
        Err(SimError::not_found(format!("no fault rule {id}.")).into())
    }
}

async fn dump_state(State(st): State<AppState>) -> ApiResult {
    let bytes =
        serde_json::to_vec(&*read(&st.estate)).map_err(|e| SimError::Windows(e.to_string()))?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

async fn list_servers(State(st): State<AppState>) -> ApiResult {
    let g = read(&st.estate);
    let out: Vec<Value> = g
        .servers
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "scopes": s.scopes.len(),
                "leases": s.lease_count(),
                "failovers": s.failovers.keys().collect::<Vec<_>>(),
                "this": s.name == *st.server_name,
            })
        })
        .collect();
    json_response(StatusCode::OK, &out)
}
