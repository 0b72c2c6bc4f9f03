//! Chunked bulk writes that let every good record land and report each bad one.
//!
//! NetBox runs a bulk request in one transaction: one bad record rolls back its whole chunk. On a
//! 400 the client drops the records NetBox named (`errors[].index` / `errors[].id`) and resends
//! the rest in one go; when the body names no record, it bisects the chunk until each bad record
//! stands alone.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::stream::{self, StreamExt};
use http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::{Endpoint, NetBoxClient, WriteOptions, with_changelog};
use crate::error::{Error, FieldErrors, Result};

/// Objects that carry a NetBox id (needed to match bulk update responses, which come back in
/// NetBox's ordering, not ours).
pub trait HasId {
    /// The object's primary key.
    fn id(&self) -> u64;
}

/// One record that landed.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkSuccess<T> {
    /// Position in the caller's input.
    pub index: usize,
    /// NetBox's representation of the record (for deletes: the id).
    pub value: T,
}

/// Why a record did not land.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum BulkFailureReason {
    /// NetBox rejected this record with these field errors.
    Rejected(FieldErrors),
    /// The request carrying this record failed as a whole (auth, server error, transport…).
    /// For a transport error with `may_have_been_sent`, the record may in fact exist.
    RequestFailed(Arc<Error>),
}

/// One record that did not land.
#[derive(Debug, Clone)]
pub struct BulkFailure {
    /// Position in the caller's input.
    pub index: usize,
    /// The object id (updates and deletes).
    pub id: Option<u64>,
    /// What went wrong.
    pub reason: BulkFailureReason,
}

/// The result of a bulk write: which records landed, which did not and why.
#[derive(Debug, Clone)]
pub struct BulkOutcome<T> {
    /// Records that landed, sorted by input index.
    pub succeeded: Vec<BulkSuccess<T>>,
    /// Records that did not, sorted by input index.
    pub failed: Vec<BulkFailure>,
    /// `X-Request-ID` of every successful request (each is one change set in the change log).
    pub request_ids: Vec<String>,
    /// HTTP requests made (including the ones resent after a rejection).
    pub requests: usize,
}

impl<T> Default for BulkOutcome<T> {
    fn default() -> Self {
        BulkOutcome {
            succeeded: Vec::new(),
            failed: Vec::new(),
            request_ids: Vec::new(),
            requests: 0,
        }
    }
}

impl<T> BulkOutcome<T> {
    /// Whether every record landed.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }

    fn merge(&mut self, other: BulkOutcome<T>) {
        self.succeeded.extend(other.succeeded);
        self.failed.extend(other.failed);
        self.request_ids.extend(other.request_ids);
        self.requests += other.requests;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    Update,
    Delete,
}

impl Kind {
    fn method(self) -> Method {
        match self {
            Kind::Create => Method::POST,
            Kind::Update => Method::PATCH,
            Kind::Delete => Method::DELETE,
        }
    }
}

/// One record on its way: input index, object id (update/delete), JSON body.
#[derive(Debug, Clone)]
struct Item {
    index: usize,
    id: Option<u64>,
    body: Value,
}

/// Splits items into chunks by count and by encoded size.
fn chunk(items: Vec<(Item, usize)>, max_count: usize, max_bytes: usize) -> Vec<Vec<Item>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut size = 2usize;
    for (item, len) in items {
        if !cur.is_empty() && (cur.len() >= max_count || size + len + 1 > max_bytes) {
            out.push(std::mem::take(&mut cur));
            size = 2;
        }
        size += len + 1;
        cur.push(item);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn fail_all<T>(out: &mut BulkOutcome<T>, items: &[Item], err: &Arc<Error>) {
    out.failed.extend(items.iter().map(|it| BulkFailure {
        index: it.index,
        id: it.id,
        reason: BulkFailureReason::RequestFailed(Arc::clone(err)),
    }));
}

impl<T: DeserializeOwned + HasId + Send + 'static> Endpoint<T> {
    /// Creates many objects with list POSTs of at most the configured chunk size.
    ///
    /// Never fails as a whole once sending started: every record ends up in
    /// [`BulkOutcome::succeeded`] (in input order, NetBox answers creates in request order) or
    /// in [`BulkOutcome::failed`]. Only an encoding error is returned as `Err`.
    pub async fn bulk_create<B: Serialize>(
        &self,
        items: &[B],
        opts: &WriteOptions,
    ) -> Result<BulkOutcome<T>> {
        let msg = self.client.changelog(opts);
        let mut prepared = Vec::with_capacity(items.len());
        for (index, b) in items.iter().enumerate() {
            let body = with_changelog(self.client.to_value(b)?, msg);
            prepared.push(Item {
                index,
                id: None,
                body,
            });
        }
        self.run(Kind::Create, prepared).await
    }

    /// Partially updates many objects (`PATCH` of a list of `{"id": …, <fields>}`); only the
    /// fields in each body change. Responses are matched to inputs by id.
    pub async fn bulk_patch<B: Serialize>(
        &self,
        items: &[(u64, B)],
        opts: &WriteOptions,
    ) -> Result<BulkOutcome<T>> {
        let msg = self.client.changelog(opts);
        let mut prepared = Vec::with_capacity(items.len());
        for (index, (id, b)) in items.iter().enumerate() {
            let mut body = with_changelog(self.client.to_value(b)?, msg);
            match &mut body {
                Value::Object(map) => {
                    map.insert("id".into(), Value::from(*id));
                }
                _ => {
                    return Err(Error::Encode(
                        "a bulk PATCH body must be a JSON object".into(),
                    ));
                }
            }
            prepared.push(Item {
                index,
                id: Some(*id),
                body,
            });
        }
        self.run(Kind::Update, prepared).await
    }
}

impl<T> Endpoint<T> {
    /// Deletes many objects by id (`DELETE` of a list of `{"id": …}`). Successes carry the id.
    pub async fn bulk_delete(&self, ids: &[u64], opts: &WriteOptions) -> Result<BulkOutcome<u64>> {
        let msg = self.client.changelog(opts);
        let prepared = ids
            .iter()
            .enumerate()
            .map(|(index, id)| Item {
                index,
                id: Some(*id),
                body: with_changelog(serde_json::json!({ "id": id }), msg),
            })
            .collect();
        let ep: Endpoint<DeletedId> = self.client.endpoint(self.path.clone());
        let out = ep.run(Kind::Delete, prepared).await?;
        Ok(BulkOutcome {
            succeeded: out
                .succeeded
                .into_iter()
                .map(|s| BulkSuccess {
                    index: s.index,
                    value: s.value.0,
                })
                .collect(),
            failed: out.failed,
            request_ids: out.request_ids,
            requests: out.requests,
        })
    }
}

/// Placeholder result of a delete (NetBox answers 204 without a body).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
struct DeletedId(u64);

impl HasId for DeletedId {
    fn id(&self) -> u64 {
        self.0
    }
}

impl<T: DeserializeOwned + HasId + Send + 'static> Endpoint<T> {
    async fn run(&self, kind: Kind, items: Vec<Item>) -> Result<BulkOutcome<T>> {
        // Measure each record once to keep request bodies under the size limit.
        let mut sized = Vec::with_capacity(items.len());
        for it in items {
            let len = self.client.encode(&it.body)?.len();
            sized.push((it, len));
        }
        let chunks = chunk(
            sized,
            self.client.inner.bulk_chunk,
            self.client.inner.max_body_bytes,
        );
        let abort = Arc::new(AtomicBool::new(false));
        let parallel = self.client.inner.bulk_parallelism;
        let results: Vec<BulkOutcome<T>> = stream::iter(chunks)
            .map(|c| {
                let abort = Arc::clone(&abort);
                async move { self.run_chunk(kind, c, &abort).await }
            })
            .buffer_unordered(parallel)
            .collect()
            .await;
        let mut out = BulkOutcome::default();
        for r in results {
            out.merge(r);
        }
        out.succeeded.sort_by_key(|s| s.index);
        out.failed.sort_by_key(|f| f.index);
        Ok(out)
    }

    async fn run_chunk(&self, kind: Kind, items: Vec<Item>, abort: &AtomicBool) -> BulkOutcome<T> {
        let mut out = BulkOutcome::default();
        let mut queue: VecDeque<Vec<Item>> = VecDeque::from([items]);
        while let Some(batch) = queue.pop_front() {
            if batch.is_empty() {
                continue;
            }
            if abort.load(Ordering::Relaxed) {
                let err = Arc::new(Error::Config(
                    "skipped: an earlier chunk failed authentication".into(),
                ));
                fail_all(&mut out, &batch, &err);
                continue;
            }
            out.requests += 1;
            match self.send_batch(kind, &batch).await {
                Ok((values, request_id)) => {
                    out.request_ids.extend(request_id);
                    self.collect_success(kind, &batch, values, &mut out);
                }
                Err(Error::Validation {
                    errors,
                    items: item_errors,
                    ..
                }) => {
                    if batch.len() == 1 {
                        let reason = match item_errors.into_iter().next() {
                            Some(ie) if !ie.errors.is_empty() => ie.errors,
                            _ => errors,
                        };
                        out.failed.push(BulkFailure {
                            index: batch[0].index,
                            id: batch[0].id,
                            reason: BulkFailureReason::Rejected(reason),
                        });
                        continue;
                    }
                    // Drop the records NetBox named, resend the rest in one request.
                    let mut bad: HashMap<usize, FieldErrors> = HashMap::new();
                    for ie in item_errors {
                        let pos = match (ie.index, ie.id) {
                            (Some(i), _) if i < batch.len() => Some(i),
                            (_, Some(id)) => batch.iter().position(|it| it.id == Some(id)),
                            _ => None,
                        };
                        if let Some(p) = pos {
                            bad.insert(p, ie.errors);
                        }
                    }
                    if bad.is_empty() {
                        let mut batch = batch;
                        let second = batch.split_off(batch.len() / 2);
                        queue.push_front(second);
                        queue.push_front(batch);
                        continue;
                    }
                    let mut rest = Vec::with_capacity(batch.len() - bad.len());
                    for (pos, it) in batch.into_iter().enumerate() {
                        match bad.remove(&pos) {
                            Some(errors) => out.failed.push(BulkFailure {
                                index: it.index,
                                id: it.id,
                                reason: BulkFailureReason::Rejected(errors),
                            }),
                            None => rest.push(it),
                        }
                    }
                    queue.push_front(rest);
                }
                Err(e @ (Error::Auth { .. } | Error::Permission { .. })) => {
                    abort.store(true, Ordering::Relaxed);
                    let err = Arc::new(e);
                    fail_all(&mut out, &batch, &err);
                }
                Err(Error::Server {
                    status: 500,
                    ref body_excerpt,
                    ..
                }) if batch.len() > 1 && body_excerpt.contains("RequestDataTooBig") => {
                    let mut batch = batch;
                    let second = batch.split_off(batch.len() / 2);
                    queue.push_front(second);
                    queue.push_front(batch);
                }
                Err(e) => {
                    let err = Arc::new(e);
                    fail_all(&mut out, &batch, &err);
                }
            }
        }
        out
    }

    async fn send_batch(&self, kind: Kind, batch: &[Item]) -> Result<(Vec<T>, Option<String>)> {
        let bodies: Vec<&Value> = batch.iter().map(|it| &it.body).collect();
        let bytes = self.client.encode(&bodies)?;
        let url = self.client.url(&self.path)?;
        let raw = self
            .client
            .send(kind.method(), url, Some(bytes), None)
            .await?;
        let values = if kind == Kind::Delete {
            Vec::new()
        } else {
            self.client.decode(&self.path, &raw.body)?
        };
        Ok((values, raw.meta.request_id))
    }

    fn collect_success(
        &self,
        kind: Kind,
        batch: &[Item],
        values: Vec<T>,
        out: &mut BulkOutcome<T>,
    ) {
        match kind {
            Kind::Delete => {
                // The body is empty: report the ids we sent.
                for it in batch {
                    if let Some(id) = it.id
                        && let Ok(v) = serde_json::from_value::<T>(Value::from(id))
                    {
                        out.succeeded.push(BulkSuccess {
                            index: it.index,
                            value: v,
                        });
                    }
                }
            }
            Kind::Create => {
                // Request order is kept for creates.
                let n = values.len();
                for (it, v) in batch.iter().zip(values) {
                    out.succeeded.push(BulkSuccess {
                        index: it.index,
                        value: v,
                    });
                }
                if n != batch.len() {
                    let err = Arc::new(Error::Decode {
                        path: self.path.clone(),
                        json_path: String::new(),
                        message: format!("sent {} records, NetBox returned {n}", batch.len()),
                    });
                    fail_all(out, &batch[n.min(batch.len())..], &err);
                }
            }
            Kind::Update => {
                let mut by_id: HashMap<u64, T> = values.into_iter().map(|v| (v.id(), v)).collect();
                for it in batch {
                    match it.id.and_then(|id| by_id.remove(&id)) {
                        Some(v) => out.succeeded.push(BulkSuccess {
                            index: it.index,
                            value: v,
                        }),
                        None => {
                            let err = Arc::new(Error::Decode {
                                path: self.path.clone(),
                                json_path: String::new(),
                                message: format!("NetBox's answer lacks object {:?}", it.id),
                            });
                            fail_all(out, std::slice::from_ref(it), &err);
                        }
                    }
                }
            }
        }
    }
}

impl NetBoxClient {
    /// The configured bulk chunk size.
    pub fn bulk_chunk(&self) -> usize {
        self.inner.bulk_chunk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_by_count_and_size() {
        let items: Vec<(Item, usize)> = (0..10)
            .map(|i| {
                (
                    Item {
                        index: i,
                        id: None,
                        body: Value::Null,
                    },
                    100,
                )
            })
            .collect();
        let c = chunk(items.clone(), 4, 1_000_000);
        assert_eq!(c.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
        let c = chunk(items, 100, 350);
        assert_eq!(c.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 3, 1]);
        // One oversized record still goes out alone.
        let c = chunk(
            vec![(
                Item {
                    index: 0,
                    id: None,
                    body: Value::Null,
                },
                5000,
            )],
            10,
            100,
        );
        assert_eq!(c.len(), 1);
        assert!(chunk(Vec::new(), 10, 100).is_empty());
    }
}
