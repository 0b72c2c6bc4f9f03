//! Fault injection: rules that add latency, fail, hang, truncate or empty the answers of chosen
//! endpoints, set by flags, by the in-process API ([`Faults`]) or at run time through
//! `/_sim/faults`.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// What a fault does to a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaultKind {
    /// Wait `ms` milliseconds, then answer normally. Latencies of several rules add up.
    Latency {
        /// Added delay.
        ms: u64,
    },
    /// Answer `status` with an `{"error"}` body instead of running the endpoint (e.g. 500, 503).
    Status {
        /// HTTP status to answer.
        status: u16,
    },
    /// Hold the request for `ms` milliseconds (longer than the client's timeout), then answer 500.
    Hang {
        /// How long to hang.
        ms: u64,
    },
    /// Run the endpoint but send only the first `keep_fraction` of the body (invalid JSON with a
    /// consistent `Content-Length`).
    Truncate {
        /// Fraction 0.0..1.0 of the body to keep.
        #[serde(default = "half")]
        keep_fraction: f64,
    },
    /// Answer `200` with an empty list (`[]`, a grouped map of empty lists, or an empty page)
    /// — also when the real answer would have been an error. This is the failure mode of scripts
    /// that swallow cmdlet errors.
    EmptyList,
}

fn half() -> f64 {
    0.5
}
fn one() -> f64 {
    1.0
}

/// A fault rule: what to do, to which requests, how often.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The effect.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Contract endpoint id (`list_leases`, …); `None` = every endpoint.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Server name; `None` = every server.
    #[serde(default)]
    pub server: Option<String>,
    /// Only requests about this scope (path `:scope_id` or query `scope_id`); `None` = any.
    /// Note: a grouped read names no scope, so a scope-targeted rule never matches it.
    #[serde(default)]
    pub scope_id: Option<Ipv4Addr>,
    /// Probability 0.0..=1.0 that a matching request is hit (default 1).
    #[serde(default = "one")]
    pub probability: f64,
    /// Fire at most this many times, then stay armed but inert; `None` = unlimited.
    #[serde(default)]
    pub remaining: Option<u64>,
}

impl FaultRule {
    /// A rule of `kind` hitting every request.
    #[must_use]
    pub fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            endpoint: None,
            server: None,
            scope_id: None,
            probability: 1.0,
            remaining: None,
        }
    }
    /// Restricts the rule to one contract endpoint id.
    #[must_use]
    pub fn on_endpoint(mut self, id: impl Into<String>) -> Self {
        self.endpoint = Some(id.into());
        self
    }
    /// Restricts the rule to one server.
    #[must_use]
    pub fn on_server(mut self, name: impl Into<String>) -> Self {
        self.server = Some(name.into());
        self
    }
    /// Restricts the rule to requests about one scope.
    #[must_use]
    pub fn on_scope(mut self, scope: Ipv4Addr) -> Self {
        self.scope_id = Some(scope);
        self
    }
    /// Sets the hit probability.
    #[must_use]
    pub fn with_probability(mut self, p: f64) -> Self {
        self.probability = p;
        self
    }
    /// Limits the number of hits.
    #[must_use]
    pub fn times(mut self, n: u64) -> Self {
        self.remaining = Some(n);
        self
    }

    fn matches(&self, endpoint: &str, server: &str, scope: Option<Ipv4Addr>) -> bool {
        self.endpoint
            .as_deref()
            .is_none_or(|e| e == endpoint || e == "*")
            && self
                .server
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(server))
            && self.scope_id.is_none_or(|want| scope == Some(want))
            && self.remaining != Some(0)
    }
}

/// A rule as listed by [`Faults::list`] and `GET /_sim/faults`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArmedFault {
    /// Id to remove it with.
    pub id: u64,
    /// How many requests it hit so far.
    pub hits: u64,
    /// The rule.
    pub rule: FaultRule,
}

#[derive(Debug)]
struct Inner {
    rules: Vec<ArmedFault>,
    next_id: u64,
    rng: StdRng,
}

/// The fault rules of a running simulator (shared by every listener). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

/// What to do with one request, decided by [`Faults::decide`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultPlan {
    /// Total latency to add, in milliseconds.
    pub latency_ms: u64,
    /// The first terminal effect that fired (status, hang, truncate, empty list), if any.
    pub terminal: Option<FaultKind>,
}

impl Faults {
    /// No rules; `seed` makes probabilistic rules reproducible.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                rules: Vec::new(),
                next_id: 1,
                rng: StdRng::seed_from_u64(seed),
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms a rule; returns its id.
    pub fn add(&self, rule: FaultRule) -> u64 {
        let mut g = self.lock();
        let id = g.next_id;
        g.next_id += 1;
        g.rules.push(ArmedFault { id, hits: 0, rule });
        id
    }

    /// Disarms one rule; `false` when the id is unknown.
    pub fn remove(&self, id: u64) -> bool {
        let mut g = self.lock();
        let before = g.rules.len();
        g.rules.retain(|r| r.id != id);
        g.rules.len() != before
    }

    /// Disarms every rule.
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// The armed rules with their hit counts.
    #[must_use]
    pub fn list(&self) -> Vec<ArmedFault> {
        self.lock().rules.clone()
    }

    /// Decides the faults for one request (counts hits, consumes `remaining`).
    pub fn decide(&self, endpoint: &str, server: &str, scope: Option<Ipv4Addr>) -> FaultPlan {
        let mut g = self.lock();
        let Inner { rules, rng, .. } = &mut *g;
        let mut plan = FaultPlan::default();
        for armed in rules.iter_mut() {
            if !armed.rule.matches(endpoint, server, scope) {
                continue;
            }
            let p = armed.rule.probability.clamp(0.0, 1.0);
            if p < 1.0 && rng.random::<f64>() >= p {
                continue;
            }
            if let FaultKind::Latency { ms } = armed.rule.kind {
                plan.latency_ms = plan.latency_ms.saturating_add(ms);
            } else if plan.terminal.is_none() {
                plan.terminal = Some(armed.rule.kind.clone());
            } else {
                continue;
            }
            armed.hits += 1;
            if let Some(n) = armed.rule.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
        }
        plan
    }
}
