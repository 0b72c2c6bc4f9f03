//! A file-backed [`Inventory`]: the embedded default when no NetBox plugin holds the inventory.
//!
//! The whole inventory lives in one JSON file ([`InventoryDocument`]): the settings, the
//! servers, failovers, scopes (with exclusions and linked option values), the option library
//! and the lease-info side table. Every operation reads the file (so hand edits between runs
//! are seen), and every batch of writes is persisted atomically: the new document is written to
//! a temporary file in the same directory, flushed to disk, and renamed over the old one. A
//! crash leaves either the old or the new file, never a torn one.
//!
//! One process is expected to write the file at a time; writes within a process are
//! serialised.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::plan::ScopeChange;
use crate::snapshot::{
    Inventory as InventoryData, InventoryExclusion, InventoryFailover, InventoryOptionValue,
    InventoryScope, InventoryServer, ObjectId, ScopeSourceRef, SyncSettings,
};
use crate::source::{Inventory, InventoryError, InventoryWrite, ItemResult};

/// The current [`InventoryDocument::format`].
pub const INVENTORY_FORMAT: u32 = 1;

/// The content of an inventory file (and the state of the in-memory inventory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryDocument {
    /// Format version ([`INVENTORY_FORMAT`]).
    pub format: u32,
    /// The sync settings.
    #[serde(default)]
    pub settings: SyncSettings,
    /// The inventory objects.
    #[serde(default)]
    pub inventory: InventoryData,
    /// The next object id to hand out.
    #[serde(default = "first_id")]
    pub next_id: ObjectId,
}

fn first_id() -> ObjectId {
    1
}

impl Default for InventoryDocument {
    fn default() -> Self {
        Self {
            format: INVENTORY_FORMAT,
            settings: SyncSettings::default(),
            inventory: InventoryData::default(),
            next_id: first_id(),
        }
    }
}

impl InventoryDocument {
    /// A new id, larger than every id in the document.
    fn allocate_id(&mut self) -> ObjectId {
        let max_used = self.max_used_id();
        let id = self.next_id.max(max_used.saturating_add(1));
        self.next_id = id.saturating_add(1);
        id
    }

    fn max_used_id(&self) -> ObjectId {
        let inv = &self.inventory;
        let servers = inv.servers.values().map(|s| s.id);
        let failovers = inv.failovers.values().map(|f| f.id);
        let scopes = inv.scopes.keys().copied();
        let exclusions = inv
            .scopes
            .values()
            .flat_map(|s| s.exclusions.iter().map(|e| e.id));
        let values = inv.option_values.keys().copied();
        servers
            .chain(failovers)
            .chain(scopes)
            .chain(exclusions)
            .chain(values)
            .max()
            .unwrap_or(0)
    }

    /// Add a DHCP server (or change its sync-standalone flag); returns its id.
    pub fn upsert_server(&mut self, hostname: &str, sync_standalone: bool) -> ObjectId {
        if let Some(server) = self.inventory.servers.get_mut(hostname) {
            server.sync_standalone = sync_standalone;
            return server.id;
        }
        let id = self.allocate_id();
        self.inventory.servers.insert(
            hostname.into(),
            InventoryServer {
                id,
                hostname: hostname.into(),
                sync_standalone,
            },
        );
        id
    }

    /// Add a failover relationship (or update its members and toggle); returns its id.
    pub fn upsert_failover(
        &mut self,
        name: &str,
        primary: &str,
        partner: &str,
        sync_enabled: bool,
    ) -> ObjectId {
        let id = match self.inventory.failovers.get(name) {
            Some(existing) => existing.id,
            None => self.allocate_id(),
        };
        self.inventory.failovers.insert(
            name.to_owned(),
            InventoryFailover {
                id,
                name: name.to_owned(),
                primary: primary.into(),
                partner: partner.into(),
                sync_enabled,
            },
        );
        id
    }

    /// Apply one write. Returns the id of a created object.
    ///
    /// # Errors
    ///
    /// [`InventoryError::NotFound`] when the write refers to a missing object and
    /// [`InventoryError::Conflict`] when it would duplicate one; the document is then unchanged.
    pub fn apply(&mut self, write: &InventoryWrite) -> Result<Option<ObjectId>, InventoryError> {
        match write {
            InventoryWrite::CreateFailover {
                name,
                primary,
                partner,
                mode: _,
            } => {
                if self.inventory.failovers.contains_key(name) {
                    return Err(conflict(format!("failover {name} already exists")));
                }
                let id = self.allocate_id();
                self.inventory.failovers.insert(
                    name.clone(),
                    InventoryFailover {
                        id,
                        name: name.clone(),
                        primary: primary.clone(),
                        partner: partner.clone(),
                        sync_enabled: false,
                    },
                );
                Ok(Some(id))
            }
            InventoryWrite::CreateScope {
                scope,
                prefix_id,
                source,
            } => {
                if self
                    .inventory
                    .scopes
                    .values()
                    .any(|s| s.network == scope.network && &s.source == source)
                {
                    return Err(conflict(format!(
                        "scope {} already exists for {source:?}",
                        scope.network
                    )));
                }
                let id = self.allocate_id();
                self.inventory.scopes.insert(
                    id,
                    InventoryScope {
                        id,
                        name: scope.name.clone(),
                        description: scope.description.clone(),
                        network: scope.network,
                        prefix_id: *prefix_id,
                        start: scope.start,
                        end: scope.end,
                        router: scope.router,
                        lease_lifetime_secs: scope.lease_lifetime_secs,
                        active: scope.active,
                        source: source.clone(),
                        exclusions: Vec::new(),
                        option_value_ids: Default::default(),
                    },
                );
                Ok(Some(id))
            }
            InventoryWrite::UpdateScope { id, changes } => {
                let scope = self.scope_mut(*id)?;
                for change in changes {
                    apply_scope_change(scope, change);
                }
                Ok(None)
            }
            InventoryWrite::DeleteScope { id } => self
                .inventory
                .scopes
                .remove(id)
                .map(|_| None)
                .ok_or_else(|| not_found(format!("scope {id}"))),
            InventoryWrite::CreateExclusion { scope_id, range } => {
                let id = self.allocate_id();
                let scope = self.scope_mut(*scope_id)?;
                if let Some(other) = scope
                    .exclusions
                    .iter()
                    .find(|e| e.start <= range.end && range.start <= e.end)
                {
                    return Err(conflict(format!(
                        "exclusion {}-{} overlaps {}-{} in scope {scope_id}",
                        range.start, range.end, other.start, other.end
                    )));
                }
                scope.exclusions.push(InventoryExclusion {
                    id,
                    start: range.start,
                    end: range.end,
                });
                scope.exclusions.sort_by_key(|e| (e.start, e.end));
                Ok(Some(id))
            }
            InventoryWrite::DeleteExclusion { id } => {
                for scope in self.inventory.scopes.values_mut() {
                    if let Some(pos) = scope.exclusions.iter().position(|e| e.id == *id) {
                        scope.exclusions.remove(pos);
                        return Ok(None);
                    }
                }
                Err(not_found(format!("exclusion {id}")))
            }
            InventoryWrite::CreateOptionValue { value, name: _ } => {
                // get-or-create: an identical value is shared, never duplicated.
                if let Some(existing) = self.inventory.option_values.values().find(|v| {
                    v.code == value.code
                        && v.vendor_class == value.vendor_class
                        && v.values == value.values
                }) {
                    return Ok(Some(existing.id));
                }
                let id = self.allocate_id();
                self.inventory.option_values.insert(
                    id,
                    InventoryOptionValue {
                        id,
                        code: value.code,
                        vendor_class: value.vendor_class.clone(),
                        values: value.values.clone(),
                    },
                );
                Ok(Some(id))
            }
            InventoryWrite::LinkOptionValue { scope_id, value_id } => {
                if !self.inventory.option_values.contains_key(value_id) {
                    return Err(not_found(format!("option value {value_id}")));
                }
                self.scope_mut(*scope_id)?
                    .option_value_ids
                    .insert(*value_id);
                Ok(None)
            }
            InventoryWrite::UnlinkOptionValue { scope_id, value_id } => {
                self.scope_mut(*scope_id)?.option_value_ids.remove(value_id);
                Ok(None)
            }
            InventoryWrite::UpsertLeaseInfo { ip_id, info } => {
                self.inventory.lease_info.insert(*ip_id, info.clone());
                Ok(None)
            }
            InventoryWrite::DeleteLeaseInfo { ip_id } => {
                self.inventory.lease_info.remove(ip_id);
                Ok(None)
            }
        }
    }

    fn scope_mut(&mut self, id: ObjectId) -> Result<&mut InventoryScope, InventoryError> {
        self.inventory
            .scopes
            .get_mut(&id)
            .ok_or_else(|| not_found(format!("scope {id}")))
    }

    /// Apply a batch: each item is applied on its own (a failed item changes nothing).
    pub fn apply_all(
        &mut self,
        writes: &[InventoryWrite],
    ) -> Vec<ItemResult<Option<ObjectId>, InventoryError>> {
        writes.iter().map(|w| self.apply(w)).collect()
    }
}

fn apply_scope_change(scope: &mut InventoryScope, change: &ScopeChange) {
    match change {
        ScopeChange::Name { after, .. } => scope.name.clone_from(after),
        ScopeChange::Description { after, .. } => scope.description.clone_from(after),
        ScopeChange::Start { after, .. } => scope.start = *after,
        ScopeChange::End { after, .. } => scope.end = *after,
        ScopeChange::Router { after, .. } => scope.router = *after,
        ScopeChange::LeaseLifetime { after, .. } => scope.lease_lifetime_secs = *after,
        ScopeChange::Active { after, .. } => scope.active = *after,
        ScopeChange::Source { after, .. } => scope.source = after.clone(),
        ScopeChange::Failover { after, .. } => {
            // Server-side membership; in the inventory it shows as the scope's source.
            if let Some(name) = after {
                scope.source = ScopeSourceRef::Failover(name.clone());
            }
        }
    }
}

fn conflict(message: String) -> InventoryError {
    InventoryError::Conflict { message }
}

fn not_found(what: String) -> InventoryError {
    InventoryError::NotFound { what }
}

/// The inventory stored in one JSON file.
#[derive(Debug)]
pub struct FileInventory {
    path: PathBuf,
    lock: tokio::sync::Mutex<()>,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FileInventory {
    /// Use the inventory file at `path`. A missing file reads as an empty inventory with
    /// default settings and is created by the first write.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read the document.
    ///
    /// # Errors
    ///
    /// [`InventoryError::Unavailable`] if the file cannot be read, [`InventoryError::Corrupt`]
    /// if it is not a valid inventory document.
    pub async fn load(&self) -> Result<InventoryDocument, InventoryError> {
        let path = self.path.clone();
        run_blocking(move || load_document(&path)).await
    }

    /// Replace the document (for setup tools: servers, failovers, settings).
    ///
    /// # Errors
    ///
    /// [`InventoryError::Unavailable`] if the file cannot be written.
    pub async fn store(&self, document: &InventoryDocument) -> Result<(), InventoryError> {
        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        let document = document.clone();
        run_blocking(move || store_document(&path, &document)).await
    }

    /// Read, change and store the document under the write lock.
    ///
    /// # Errors
    ///
    /// As [`Self::load`] and [`Self::store`].
    pub async fn update<R: Send + 'static>(
        &self,
        change: impl FnOnce(&mut InventoryDocument) -> R + Send + 'static,
    ) -> Result<R, InventoryError> {
        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        run_blocking(move || {
            let mut document = load_document(&path)?;
            let out = change(&mut document);
            store_document(&path, &document)?;
            Ok(out)
        })
        .await
    }
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, InventoryError> + Send + 'static,
) -> Result<T, InventoryError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| InventoryError::Unavailable {
            message: format!("inventory file task failed: {e}"),
        })?
}

fn load_document(path: &Path) -> Result<InventoryDocument, InventoryError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(InventoryDocument::default());
        }
        Err(e) => {
            return Err(InventoryError::Unavailable {
                message: format!("cannot read {}: {e}", path.display()),
            });
        }
    };
    let document: InventoryDocument =
        serde_json::from_slice(&bytes).map_err(|e| InventoryError::Corrupt {
            message: format!("{}: {e}", path.display()),
        })?;
    if document.format != INVENTORY_FORMAT {
        return Err(InventoryError::Corrupt {
            message: format!(
                "{}: unsupported format {} (expected {INVENTORY_FORMAT})",
                path.display(),
                document.format
            ),
        });
    }
    Ok(document)
}

/// Write `document` to `path` atomically (temporary file, flush, rename, flush directory).
fn store_document(path: &Path, document: &InventoryDocument) -> Result<(), InventoryError> {
    use std::io::Write as _;

    let unavailable = |what: &str, e: std::io::Error| InventoryError::Unavailable {
        message: format!("cannot {what} {}: {e}", path.display()),
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "inventory.json".to_owned());
    let temp = dir.join(format!(
        ".{file_name}.tmp.{}.{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut text = serde_json::to_vec_pretty(document).map_err(|e| InventoryError::Corrupt {
        message: format!("cannot encode the inventory: {e}"),
    })?;
    text.push(b'\n');
    let result = (|| {
        let mut file = std::fs::File::create(&temp).map_err(|e| unavailable("create", e))?;
        file.write_all(&text).map_err(|e| unavailable("write", e))?;
        file.sync_all().map_err(|e| unavailable("flush", e))?;
        drop(file);
        std::fs::rename(&temp, path).map_err(|e| unavailable("replace", e))?;
        // Make the rename itself durable; not every platform can open a directory.
        if let Ok(dir) = std::fs::File::open(&dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[async_trait]
impl Inventory for FileInventory {
    async fn read_inventory(&self) -> Result<InventoryData, InventoryError> {
        Ok(self.load().await?.inventory)
    }

    async fn read_settings(&self) -> Result<SyncSettings, InventoryError> {
        Ok(self.load().await?.settings)
    }

    async fn apply(
        &self,
        writes: &[InventoryWrite],
        _changelog_message: &str,
    ) -> Result<Vec<ItemResult<Option<ObjectId>, InventoryError>>, InventoryError> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let writes = writes.to_vec();
        self.update(move |document| document.apply_all(&writes))
            .await
    }
}
