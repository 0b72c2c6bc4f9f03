//! Scope-level planning: attribute pull/push with field-level diffs, exclusions, option values,
//! and the scope creation shared by the import and the pull-mode auto-import.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;

use super::{Out, phase};
use crate::plan::{
    Action, ActionContext, OptionValueRef, OptionValueSpec, PlannedAction, PrefixRef, Reason,
    ScopeChange, ScopeRef, ScopeSpec,
};
use crate::report::{Conflict, ImportCategory, ImportCounts, Skipped};
use crate::snapshot::{
    AddressRange, Inventory, InventoryScope, Ipam, Read, ScopeSourceRef, ServerOption, ServerScope,
    Snapshot,
};

/// Option codes kept on the scope object itself (router, lease time): never synced as values.
pub(crate) const SCOPE_FIELD_OPTIONS: [u8; 2] = [3, 51];

pub(crate) fn push(
    out: &mut Out,
    phase: u8,
    context: &ActionContext,
    reason: Reason,
    action: Action,
) {
    out.actions.push(
        phase,
        PlannedAction {
            context: context.clone(),
            reason,
            action,
        },
    );
}

/// The attribute differences, `from` → `to` (server → NetBox in pull mode, the reverse in push
/// mode). An empty name or range bound on the server never clears NetBox (pull rule).
pub(crate) fn attribute_changes(
    local: &InventoryScope,
    remote: &ServerScope,
    pull: bool,
) -> Vec<ScopeChange> {
    let mut c = Vec::new();
    let (l, r) = (local, remote);
    if pull {
        if !r.name.is_empty() && r.name != l.name {
            c.push(ScopeChange::Name {
                before: l.name.clone(),
                after: r.name.clone(),
            });
        }
        if r.description != l.description {
            c.push(ScopeChange::Description {
                before: l.description.clone(),
                after: r.description.clone(),
            });
        }
        if r.start != l.start {
            c.push(ScopeChange::Start {
                before: l.start,
                after: r.start,
            });
        }
        if r.end != l.end {
            c.push(ScopeChange::End {
                before: l.end,
                after: r.end,
            });
        }
        if r.router != l.router {
            c.push(ScopeChange::Router {
                before: l.router,
                after: r.router,
            });
        }
        if r.lease_lifetime_secs != l.lease_lifetime_secs {
            c.push(ScopeChange::LeaseLifetime {
                before: l.lease_lifetime_secs,
                after: r.lease_lifetime_secs,
            });
        }
        if r.active != l.active {
            c.push(ScopeChange::Active {
                before: l.active,
                after: r.active,
            });
        }
    } else {
        if l.name != r.name {
            c.push(ScopeChange::Name {
                before: r.name.clone(),
                after: l.name.clone(),
            });
        }
        if l.description != r.description {
            c.push(ScopeChange::Description {
                before: r.description.clone(),
                after: l.description.clone(),
            });
        }
        if l.start != r.start {
            c.push(ScopeChange::Start {
                before: r.start,
                after: l.start,
            });
        }
        if l.end != r.end {
            c.push(ScopeChange::End {
                before: r.end,
                after: l.end,
            });
        }
        if l.router != r.router {
            c.push(ScopeChange::Router {
                before: r.router,
                after: l.router,
            });
        }
        if l.lease_lifetime_secs != r.lease_lifetime_secs {
            c.push(ScopeChange::LeaseLifetime {
                before: r.lease_lifetime_secs,
                after: l.lease_lifetime_secs,
            });
        }
        if l.active != r.active {
            c.push(ScopeChange::Active {
                before: r.active,
                after: l.active,
            });
        }
    }
    c
}

/// Exclusions: server-only and NetBox-only ranges, each sorted and deduplicated.
pub(crate) fn exclusion_diff(
    local: &InventoryScope,
    remote: &[AddressRange],
) -> (Vec<AddressRange>, Vec<(u64, AddressRange)>) {
    let remote: BTreeSet<AddressRange> = remote.iter().copied().collect();
    let mut local_set: BTreeMap<AddressRange, u64> = BTreeMap::new();
    for e in &local.exclusions {
        let range = AddressRange {
            start: e.start,
            end: e.end,
        };
        // Keep the smallest id of a duplicated range; the others are extra copies.
        local_set
            .entry(range)
            .and_modify(|id| *id = (*id).min(e.id))
            .or_insert(e.id);
    }
    let only_remote = remote
        .iter()
        .filter(|r| !local_set.contains_key(r))
        .copied()
        .collect();
    let only_local = local_set
        .iter()
        .filter(|(r, _)| !remote.contains(r))
        .map(|(r, id)| (*id, *r))
        .collect();
    (only_remote, only_local)
}

/// The scope's option values keyed by (code, vendor class), without codes 3 and 51.
pub(crate) fn local_options(
    inv: &Inventory,
    scope: &InventoryScope,
) -> BTreeMap<(u8, String), (u64, Vec<String>)> {
    let mut m = BTreeMap::new();
    for id in &scope.option_value_ids {
        if let Some(v) = inv.option_values.get(id)
            && !SCOPE_FIELD_OPTIONS.contains(&v.code)
        {
            m.entry((v.code, v.vendor_class.clone()))
                .or_insert((v.id, v.values.clone()));
        }
    }
    m
}

/// The server's option values keyed by (code, vendor class), without codes 3 and 51.
pub(crate) fn remote_options(remote: &[ServerOption]) -> BTreeMap<(u8, String), &ServerOption> {
    let mut sorted: Vec<&ServerOption> = remote
        .iter()
        .filter(|o| !SCOPE_FIELD_OPTIONS.contains(&o.code))
        .collect();
    sorted.sort();
    let mut m = BTreeMap::new();
    for o in sorted {
        m.insert((o.code, o.vendor_class.clone()), o);
    }
    m
}

/// Finds an existing library value, or plans its creation once per plan.
pub(crate) fn option_value_ref(
    inv: &Inventory,
    created: &mut BTreeSet<OptionValueSpec>,
    out: &mut Out,
    context: &ActionContext,
    reason: Reason,
    option: &ServerOption,
) -> (OptionValueRef, bool) {
    if let Some(v) = inv.option_values.values().find(|v| {
        v.code == option.code && v.vendor_class == option.vendor_class && v.values == option.values
    }) {
        return (OptionValueRef::Existing(v.id), false);
    }
    let spec = OptionValueSpec {
        code: option.code,
        vendor_class: option.vendor_class.clone(),
        values: option.values.clone(),
    };
    let fresh = created.insert(spec.clone());
    if fresh {
        push(
            out,
            phase::OPTION_CREATE,
            context,
            reason,
            Action::CreateOptionValue {
                value: spec.clone(),
                name: option.name.clone(),
            },
        );
    }
    (OptionValueRef::New(spec), fresh)
}

/// Pull the option values of a matched scope (server wins).
pub(crate) fn pull_options(
    inv: &Inventory,
    scope: &InventoryScope,
    remote: &[ServerOption],
    created: &mut BTreeSet<OptionValueSpec>,
    out: &mut Out,
    context: &ActionContext,
) {
    let local = local_options(inv, scope);
    let remote = remote_options(remote);
    for (key, option) in &remote {
        let differs = local
            .get(key)
            .is_none_or(|(_, values)| *values != option.values);
        if !differs {
            continue;
        }
        let (value, _) = option_value_ref(
            inv,
            created,
            out,
            context,
            Reason::OptionValueDiffers,
            option,
        );
        if let Some((old, _)) = local.get(key) {
            push(
                out,
                phase::INVENTORY,
                context,
                Reason::OptionValueDiffers,
                Action::UnlinkOptionValue {
                    scope: scope.id,
                    value: *old,
                },
            );
        }
        push(
            out,
            phase::INVENTORY,
            context,
            Reason::OptionValueDiffers,
            Action::LinkOptionValue {
                scope: ScopeRef::Existing(scope.id),
                value,
            },
        );
    }
    for (key, (id, _)) in &local {
        if !remote.contains_key(key) {
            push(
                out,
                phase::INVENTORY,
                context,
                Reason::OptionValueDiffers,
                Action::UnlinkOptionValue {
                    scope: scope.id,
                    value: *id,
                },
            );
        }
    }
}

/// Option pushes of a matched scope (NetBox wins): values to set and keys to remove.
pub(crate) fn push_option_diff(
    inv: &Inventory,
    scope: &InventoryScope,
    remote: &[ServerOption],
) -> (Vec<OptionValueSpec>, Vec<(u8, String)>) {
    let local = local_options(inv, scope);
    let remote = remote_options(remote);
    let set = local
        .iter()
        .filter(|(key, (_, values))| remote.get(*key).is_none_or(|o| o.values != *values))
        .map(|((code, vendor), (_, values))| OptionValueSpec {
            code: *code,
            vendor_class: vendor.clone(),
            values: values.clone(),
        })
        .collect();
    let remove = remote
        .keys()
        .filter(|k| !local.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}

/// The scope as a [`ScopeSpec`].
pub(crate) fn spec_of_local(scope: &InventoryScope) -> ScopeSpec {
    ScopeSpec {
        network: scope.network,
        name: scope.name.clone(),
        description: scope.description.clone(),
        start: scope.start,
        end: scope.end,
        router: scope.router,
        lease_lifetime_secs: scope.lease_lifetime_secs,
        active: scope.active,
    }
}

/// The remote scope as a [`ScopeSpec`] (an empty name becomes the scope id).
pub(crate) fn spec_of_remote(network: Ipv4Network, remote: &ServerScope) -> ScopeSpec {
    ScopeSpec {
        network,
        name: if remote.name.is_empty() {
            network.network().to_string()
        } else {
            remote.name.clone()
        },
        description: remote.description.clone(),
        start: remote.start,
        end: remote.end,
        router: remote.router,
        lease_lifetime_secs: remote.lease_lifetime_secs,
        active: remote.active,
    }
}

/// The canonical network of a scope: the network address with the mask's length.
pub(crate) fn canonical_network(net: Ipv4Network) -> Ipv4Network {
    Ipv4Network::new(net.network(), net.prefix()).unwrap_or(net)
}

/// Result of planning the creation of one scope in the inventory.
#[derive(Debug, Default)]
pub(crate) struct ImportOutcome {
    pub(crate) scopes: ImportCounts,
    pub(crate) options: ImportCounts,
    pub(crate) exclusions: ImportCounts,
    /// The prefix of the created scope (for the IP sync of a freshly imported scope).
    pub(crate) prefix: Option<(Option<u64>, u8)>,
}

/// Plan the creation of `remote` in the inventory with its prefix, options and exclusions.
#[allow(clippy::too_many_arguments)]
pub(crate) fn import_scope(
    snapshot: &Snapshot,
    server: &str,
    scope_id: Ipv4Addr,
    remote: &ServerScope,
    source: ScopeSourceRef,
    created_options: &mut BTreeSet<OptionValueSpec>,
    created_prefixes: &mut BTreeSet<Ipv4Network>,
    out: &mut Out,
) -> ImportOutcome {
    let mut outcome = ImportOutcome::default();
    let network = canonical_network(remote.network);
    let context = ActionContext {
        server: server.into(),
        scope: Some(network),
        vrf: None,
    };
    let prefix = match find_prefix(&snapshot.ipam, network) {
        PrefixMatch::One(id, vrf) => {
            outcome.prefix = Some((vrf, network.prefix()));
            PrefixRef::Existing(id)
        }
        PrefixMatch::Many => {
            outcome.scopes.errors += 1;
            out.report.conflicts.push(Conflict::ImportError {
                category: ImportCategory::Scopes,
                message: format!("{scope_id}: prefix {network} exists in several VRFs — skipped"),
            });
            return outcome;
        }
        PrefixMatch::None => {
            if !snapshot.settings.create_missing_prefixes {
                outcome.scopes.errors += 1;
                out.report.conflicts.push(Conflict::ImportError {
                    category: ImportCategory::Scopes,
                    message: format!(
                        "{scope_id}: prefix {network} does not exist in NetBox and creating missing prefixes is disabled — skipped"
                    ),
                });
                return outcome;
            }
            if created_prefixes.insert(network) {
                push(
                    out,
                    phase::PREFIX,
                    &context,
                    Reason::ImportPrefix,
                    Action::CreatePrefix {
                        prefix: network,
                        vrf: None,
                        status: "active".to_owned(),
                    },
                );
            }
            outcome.prefix = Some((None, network.prefix()));
            PrefixRef::New {
                prefix: network,
                vrf: None,
            }
        }
    };
    push(
        out,
        phase::INVENTORY_CREATE,
        &context,
        Reason::ImportScope,
        Action::CreateInventoryScope {
            scope: Box::new(spec_of_remote(network, remote)),
            prefix,
            source,
        },
    );
    outcome.scopes.created += 1;
    let read = snapshot.servers.get(server);
    match read.and_then(|r| r.options.get(&scope_id)) {
        Some(Read::Ok(options)) => {
            for option in remote_options(options).values() {
                let (value, fresh) = option_value_ref(
                    &snapshot.inventory,
                    created_options,
                    out,
                    &context,
                    Reason::ImportOptionValue,
                    option,
                );
                if fresh {
                    outcome.options.created += 1;
                } else {
                    outcome.options.skipped += 1;
                }
                push(
                    out,
                    phase::INVENTORY,
                    &context,
                    Reason::ImportOptionValue,
                    Action::LinkOptionValue {
                        scope: ScopeRef::New(network),
                        value,
                    },
                );
            }
        }
        other => {
            outcome.options.errors += 1;
            let error = other.and_then(Read::error).unwrap_or("not read");
            out.report.conflicts.push(Conflict::ImportError {
                category: ImportCategory::OptionValues,
                message: format!("scope {network}: could not fetch options: {error}"),
            });
        }
    }
    match read.and_then(|r| r.exclusions.get(&scope_id)) {
        Some(Read::Ok(exclusions)) => {
            let set: BTreeSet<AddressRange> = exclusions.iter().copied().collect();
            for e in set {
                push(
                    out,
                    phase::INVENTORY,
                    &context,
                    Reason::ImportExclusion,
                    Action::CreateInventoryExclusion {
                        scope: ScopeRef::New(network),
                        start: e.start,
                        end: e.end,
                    },
                );
                outcome.exclusions.created += 1;
            }
        }
        other => {
            outcome.exclusions.errors += 1;
            let error = other.and_then(Read::error).unwrap_or("not read");
            out.report.conflicts.push(Conflict::ImportError {
                category: ImportCategory::ExclusionRanges,
                message: format!("scope {network}: could not fetch exclusions: {error}"),
            });
        }
    }
    outcome
}

/// The result of looking up a scope's prefix in IPAM.
pub(crate) enum PrefixMatch {
    None,
    One(u64, Option<u64>),
    Many,
}

/// Finds the NetBox prefix equal to `network` (any VRF; several VRFs is ambiguous).
pub(crate) fn find_prefix(ipam: &Ipam, network: Ipv4Network) -> PrefixMatch {
    let mut found = PrefixMatch::None;
    for p in ipam.prefixes.values() {
        if canonical_network(p.prefix) == network {
            found = match found {
                PrefixMatch::None => PrefixMatch::One(p.id, p.vrf),
                _ => return PrefixMatch::Many,
            };
        }
    }
    found
}

/// Reports an existing object as skipped by the import.
pub(crate) fn skipped(out: &mut Out, category: ImportCategory, label: String) {
    out.report
        .skipped
        .push(Skipped::AlreadyExists { category, label });
}
