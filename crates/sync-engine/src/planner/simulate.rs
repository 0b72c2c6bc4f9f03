//! A pure simulation of a plan's effect on a snapshot, for convergence checks without I/O.

use std::collections::BTreeMap;

use compact_str::CompactString;
use ipnetwork::Ipv4Network;

use crate::plan::{Action, IpRef, OptionValueRef, Plan, PrefixRef, ScopeChange, ScopeRef};
use crate::snapshot::{
    InventoryExclusion, InventoryFailover, InventoryOptionValue, InventoryScope, IpamAddress,
    IpamPrefix, LeaseInfo, ObjectId, Read, ServerOption, ServerRead, ServerReservation,
    ServerScope, Snapshot,
};

fn next_id<V>(map: &BTreeMap<ObjectId, V>) -> ObjectId {
    map.keys().next_back().map_or(1, |k| k + 1)
}

/// The snapshot as it would read after the plan was executed successfully.
///
/// New objects get fresh ids (one above the largest in use). Server writes change the server
/// reads of the action's server; a new server scope gets empty, successful per-scope reads.
/// Failover replication and the partner's data are not simulated. Actions whose target cannot
/// be found are ignored, like an executor that finds an object gone.
pub fn apply_to_snapshot(snapshot: &Snapshot, plan: &Plan) -> Snapshot {
    let mut s = snapshot.clone();
    let mut new_ips: BTreeMap<(Ipv4Network, Option<ObjectId>), ObjectId> = BTreeMap::new();
    let mut new_scopes: BTreeMap<Ipv4Network, ObjectId> = BTreeMap::new();
    let mut new_prefixes: BTreeMap<(Ipv4Network, Option<ObjectId>), ObjectId> = BTreeMap::new();
    let mut next_exclusion = s
        .inventory
        .scopes
        .values()
        .flat_map(|sc| sc.exclusions.iter().map(|e| e.id))
        .max()
        .unwrap_or(0)
        + 1;

    for planned in &plan.actions {
        let server = planned.context.server.clone();
        match &planned.action {
            Action::CreatePrefix { prefix, vrf, .. } => {
                let id = next_id(&s.ipam.prefixes);
                s.ipam.prefixes.insert(
                    id,
                    IpamPrefix {
                        id,
                        prefix: *prefix,
                        vrf: *vrf,
                    },
                );
                new_prefixes.insert((*prefix, *vrf), id);
            }
            Action::CreateIp {
                address,
                vrf,
                after,
            } => {
                let id = next_id(&s.ipam.ip_addresses);
                s.ipam.ip_addresses.insert(
                    id,
                    IpamAddress {
                        id,
                        address: *address,
                        vrf: *vrf,
                        status: after.status.clone(),
                        dns_name: after.dns_name.clone(),
                        tags: Default::default(),
                        dhcp_client_id: after.dhcp_client_id.clone(),
                        etag: None,
                    },
                );
                new_ips.insert((*address, *vrf), id);
            }
            Action::UpdateIp { id, after, .. } | Action::DowngradeIp { id, after, .. } => {
                if let Some(ip) = s.ipam.ip_addresses.get_mut(id) {
                    ip.status.clone_from(&after.status);
                    ip.dns_name.clone_from(&after.dns_name);
                    ip.dhcp_client_id.clone_from(&after.dhcp_client_id);
                }
            }
            Action::DeleteIp { id, .. } => {
                s.ipam.ip_addresses.remove(id);
                s.inventory.lease_info.remove(id);
            }
            Action::UpsertLeaseInfo {
                ip,
                hostname,
                active,
                expires,
            } => {
                let id = match ip {
                    IpRef::Existing(id) => Some(*id),
                    IpRef::New { address, vrf } => new_ips.get(&(*address, *vrf)).copied(),
                };
                if let Some(id) = id.filter(|id| s.ipam.ip_addresses.contains_key(id)) {
                    s.inventory.lease_info.insert(
                        id,
                        LeaseInfo {
                            hostname: hostname.clone(),
                            active: *active,
                            expires: expires.clone(),
                        },
                    );
                }
            }
            Action::CreateFailover {
                name,
                primary,
                partner,
                ..
            } => {
                let id = s
                    .inventory
                    .failovers
                    .values()
                    .map(|f| f.id)
                    .max()
                    .unwrap_or(0)
                    + 1;
                s.inventory.failovers.insert(
                    name.clone(),
                    InventoryFailover {
                        id,
                        name: name.clone(),
                        primary: primary.clone(),
                        partner: partner.clone(),
                        sync_enabled: true,
                    },
                );
            }
            Action::CreateInventoryScope {
                scope,
                prefix,
                source,
            } => {
                let prefix_id = match prefix {
                    PrefixRef::Existing(id) => Some(*id),
                    PrefixRef::New { prefix, vrf } => new_prefixes.get(&(*prefix, *vrf)).copied(),
                };
                let id = next_id(&s.inventory.scopes);
                s.inventory.scopes.insert(
                    id,
                    InventoryScope {
                        id,
                        name: scope.name.clone(),
                        description: scope.description.clone(),
                        network: scope.network,
                        prefix_id,
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
                new_scopes.insert(scope.network, id);
            }
            Action::UpdateInventoryScope { id, changes } => {
                if let Some(scope) = s.inventory.scopes.get_mut(id) {
                    for change in changes {
                        apply_inventory_change(scope, change);
                    }
                }
            }
            Action::DeleteInventoryScope { id, .. } => {
                s.inventory.scopes.remove(id);
            }
            Action::CreateInventoryExclusion { scope, start, end } => {
                let id = resolve_scope(scope, &new_scopes);
                if let Some(sc) = id.and_then(|id| s.inventory.scopes.get_mut(&id)) {
                    sc.exclusions.push(InventoryExclusion {
                        id: next_exclusion,
                        start: *start,
                        end: *end,
                    });
                    next_exclusion += 1;
                }
            }
            Action::DeleteInventoryExclusion { id, .. } => {
                for sc in s.inventory.scopes.values_mut() {
                    sc.exclusions.retain(|e| e.id != *id);
                }
            }
            Action::CreateOptionValue { value, .. } => {
                let id = next_id(&s.inventory.option_values);
                s.inventory.option_values.insert(
                    id,
                    InventoryOptionValue {
                        id,
                        code: value.code,
                        vendor_class: value.vendor_class.clone(),
                        values: value.values.clone(),
                    },
                );
            }
            Action::LinkOptionValue { scope, value } => {
                let value_id = match value {
                    OptionValueRef::Existing(id) => Some(*id),
                    OptionValueRef::New(spec) => s
                        .inventory
                        .option_values
                        .values()
                        .find(|v| {
                            v.code == spec.code
                                && v.vendor_class == spec.vendor_class
                                && v.values == spec.values
                        })
                        .map(|v| v.id),
                };
                let scope_id = resolve_scope(scope, &new_scopes);
                if let (Some(v), Some(sc)) = (
                    value_id,
                    scope_id.and_then(|id| s.inventory.scopes.get_mut(&id)),
                ) {
                    sc.option_value_ids.insert(v);
                }
            }
            Action::UnlinkOptionValue { scope, value } => {
                if let Some(sc) = s.inventory.scopes.get_mut(scope) {
                    sc.option_value_ids.remove(value);
                }
            }
            Action::CreateServerScope {
                scope,
                options,
                failover,
            } => {
                let read = server_read(&mut s, &server);
                let sid = scope.network.network();
                if let Read::Ok(scopes) = &mut read.scopes {
                    scopes.insert(
                        sid,
                        ServerScope {
                            network: scope.network,
                            name: scope.name.clone(),
                            description: scope.description.clone(),
                            start: scope.start,
                            end: scope.end,
                            router: scope.router,
                            lease_lifetime_secs: scope.lease_lifetime_secs,
                            active: scope.active,
                            failover: failover.clone(),
                        },
                    );
                }
                read.leases.entry(sid).or_insert(Read::Ok(Vec::new()));
                read.reservations.entry(sid).or_insert(Read::Ok(Vec::new()));
                read.exclusions.entry(sid).or_insert(Read::Ok(Vec::new()));
                read.options.insert(
                    sid,
                    Read::Ok(
                        options
                            .iter()
                            .map(|o| ServerOption {
                                code: o.code,
                                vendor_class: o.vendor_class.clone(),
                                name: String::new(),
                                values: o.values.clone(),
                            })
                            .collect(),
                    ),
                );
            }
            Action::UpdateServerScope {
                network,
                changes,
                set_options,
                remove_options,
            } => {
                let read = server_read(&mut s, &server);
                let sid = network.network();
                if let Read::Ok(scopes) = &mut read.scopes
                    && let Some(rs) = scopes.get_mut(&sid)
                {
                    for change in changes {
                        apply_server_change(rs, change);
                    }
                }
                if let Some(Read::Ok(options)) = read.options.get_mut(&sid) {
                    options.retain(|o| {
                        !remove_options
                            .iter()
                            .any(|(c, v)| o.code == *c && o.vendor_class == *v)
                            && !set_options
                                .iter()
                                .any(|n| o.code == n.code && o.vendor_class == n.vendor_class)
                    });
                    options.extend(set_options.iter().map(|o| ServerOption {
                        code: o.code,
                        vendor_class: o.vendor_class.clone(),
                        name: String::new(),
                        values: o.values.clone(),
                    }));
                }
            }
            Action::CreateServerExclusion {
                network,
                start,
                end,
            } => {
                let read = server_read(&mut s, &server);
                if let Some(Read::Ok(ex)) = read.exclusions.get_mut(&network.network()) {
                    ex.push(crate::snapshot::AddressRange {
                        start: *start,
                        end: *end,
                    });
                }
            }
            Action::DeleteServerExclusion {
                network,
                start,
                end,
            } => {
                let read = server_read(&mut s, &server);
                if let Some(Read::Ok(ex)) = read.exclusions.get_mut(&network.network()) {
                    ex.retain(|e| !(e.start == *start && e.end == *end));
                }
            }
            Action::PushReservation {
                network,
                ip,
                client_id,
                name,
            } => {
                let read = server_read(&mut s, &server);
                if let Some(Read::Ok(list)) = read.reservations.get_mut(&network.network()) {
                    list.push(ServerReservation {
                        ip: *ip,
                        client_id: client_id.clone(),
                        name: name.clone(),
                        description: CompactString::default(),
                    });
                }
            }
            Action::UpdateReservation {
                network,
                ip,
                client_id,
                name,
                ..
            } => {
                let read = server_read(&mut s, &server);
                if let Some(Read::Ok(list)) = read.reservations.get_mut(&network.network()) {
                    for r in list.iter_mut().filter(|r| r.ip == *ip) {
                        r.client_id.clone_from(client_id);
                        r.name.clone_from(name);
                    }
                }
            }
            Action::DeleteReservation { network, ip, .. } => {
                let read = server_read(&mut s, &server);
                if let Some(Read::Ok(list)) = read.reservations.get_mut(&network.network()) {
                    list.retain(|r| r.ip != *ip);
                }
            }
            Action::ReplicateFailover { .. } => {}
        }
    }
    s
}

fn resolve_scope(
    scope: &ScopeRef,
    new_scopes: &BTreeMap<Ipv4Network, ObjectId>,
) -> Option<ObjectId> {
    match scope {
        ScopeRef::Existing(id) => Some(*id),
        ScopeRef::New(net) => new_scopes.get(net).copied(),
    }
}

fn server_read<'s>(s: &'s mut Snapshot, server: &str) -> &'s mut ServerRead {
    s.servers
        .entry(server.into())
        .or_insert_with(|| ServerRead::unreachable("not read"))
}

fn apply_inventory_change(scope: &mut InventoryScope, change: &ScopeChange) {
    match change {
        ScopeChange::Name { after, .. } => scope.name.clone_from(after),
        ScopeChange::Description { after, .. } => scope.description.clone_from(after),
        ScopeChange::Start { after, .. } => scope.start = *after,
        ScopeChange::End { after, .. } => scope.end = *after,
        ScopeChange::Router { after, .. } => scope.router = *after,
        ScopeChange::LeaseLifetime { after, .. } => scope.lease_lifetime_secs = *after,
        ScopeChange::Active { after, .. } => scope.active = *after,
        ScopeChange::Source { after, .. } => scope.source = after.clone(),
        ScopeChange::Failover { .. } => {}
    }
}

fn apply_server_change(scope: &mut ServerScope, change: &ScopeChange) {
    match change {
        ScopeChange::Name { after, .. } => scope.name.clone_from(after),
        ScopeChange::Description { after, .. } => scope.description.clone_from(after),
        ScopeChange::Start { after, .. } => scope.start = *after,
        ScopeChange::End { after, .. } => scope.end = *after,
        ScopeChange::Router { after, .. } => scope.router = *after,
        ScopeChange::LeaseLifetime { after, .. } => scope.lease_lifetime_secs = *after,
        ScopeChange::Active { after, .. } => scope.active = *after,
        ScopeChange::Failover { after, .. } => scope.failover = after.clone(),
        ScopeChange::Source { .. } => {}
    }
}
