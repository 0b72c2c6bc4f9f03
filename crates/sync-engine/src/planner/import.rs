//! The one-time import from a server: failovers, scopes (with prefixes), option values and
//! exclusions. It never overwrites and never deletes: what exists is skipped and reported.

use std::collections::BTreeSet;

use super::scopes::{canonical_network, import_scope, push, skipped};
use super::{Planner, phase};
use crate::plan::{Action, ActionContext, Reason, ScopeRef};
use crate::report::{Conflict, ImportCategory, ImportReport};
use crate::snapshot::{AddressRange, Inventory, Read, ScopeSourceRef, ServerName};

/// Match a hostname reported by the PSU to an inventory server: exact (case-insensitive) first,
/// then by the first DNS label when exactly one server has it.
fn match_server(inv: &Inventory, reported: &str) -> Option<ServerName> {
    let reported = reported.trim().trim_end_matches('.');
    if reported.is_empty() {
        return None;
    }
    if let Some(s) = inv
        .servers
        .keys()
        .find(|h| h.trim_end_matches('.').eq_ignore_ascii_case(reported))
    {
        return Some(s.clone());
    }
    let short = |h: &str| h.split('.').next().unwrap_or("").to_ascii_lowercase();
    let wanted = short(reported);
    let mut found = inv.servers.keys().filter(|h| short(h) == wanted);
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one.clone()),
        _ => None,
    }
}

pub(super) fn plan(p: &mut Planner<'_>, server: &str) {
    let snap = p.snap;
    let inv = &snap.inventory;
    let mut counts = ImportReport::default();
    let context = ActionContext {
        server: server.into(),
        scope: None,
        vrf: None,
    };
    let Some(read) = snap.servers.get(server) else {
        p.out.report.conflicts.push(Conflict::ImportError {
            category: ImportCategory::Scopes,
            message: format!("{server}: server was not read"),
        });
        p.out.report.import = Some(counts);
        return;
    };

    // 1. Failovers, matched to inventory servers by hostname.
    let mut known_failovers: BTreeSet<String> = inv.failovers.keys().cloned().collect();
    match &read.failovers {
        Read::Failed { error } => {
            counts.failovers.errors += 1;
            p.out.report.conflicts.push(Conflict::ImportError {
                category: ImportCategory::Failovers,
                message: format!("could not fetch failover list: {error}"),
            });
        }
        Read::Ok(list) => {
            let mut list: Vec<_> = list.iter().collect();
            list.sort();
            list.dedup_by(|a, b| a.name == b.name);
            for f in list {
                if f.name.trim().is_empty() {
                    counts.failovers.errors += 1;
                    p.out.report.conflicts.push(Conflict::ImportError {
                        category: ImportCategory::Failovers,
                        message: "failover record has no name — skipped".to_owned(),
                    });
                    continue;
                }
                if inv.failovers.contains_key(&f.name) {
                    counts.failovers.skipped += 1;
                    skipped(&mut p.out, ImportCategory::Failovers, f.name.clone());
                    continue;
                }
                let primary = match_server(inv, &f.primary_server);
                let partner = match_server(inv, &f.partner_server);
                let (Some(primary), Some(partner)) = (primary, partner) else {
                    counts.failovers.errors += 1;
                    p.out.report.conflicts.push(Conflict::ImportError {
                        category: ImportCategory::Failovers,
                        message: format!(
                            "{}: server \"{}\" or \"{}\" not found — add it as a DHCP server first",
                            f.name, f.primary_server, f.partner_server
                        ),
                    });
                    continue;
                };
                push(
                    &mut p.out,
                    phase::FAILOVER,
                    &context,
                    Reason::ImportFailover,
                    Action::CreateFailover {
                        name: f.name.clone(),
                        primary,
                        partner,
                        mode: f.mode.clone(),
                    },
                );
                counts.failovers.created += 1;
                known_failovers.insert(f.name.clone());
            }
        }
    }

    // 2. Scopes, with their prefixes, options and exclusions.
    match &read.scopes {
        Read::Failed { error } => {
            counts.scopes.errors += 1;
            p.out.report.conflicts.push(Conflict::ImportError {
                category: ImportCategory::Scopes,
                message: format!("could not fetch scope list: {error}"),
            });
        }
        Read::Ok(remote) => {
            for (sid, rs) in remote {
                let network = canonical_network(rs.network);
                let label = format!("{} ({network})", rs.name);
                if let Some(existing) = inv.scopes.values().find(|s| s.network.network() == *sid) {
                    // Never overwritten; only missing exclusions are added.
                    counts.scopes.skipped += 1;
                    skipped(&mut p.out, ImportCategory::Scopes, label);
                    if let Some(Read::Ok(remote_ex)) = read.exclusions.get(sid) {
                        let have: BTreeSet<AddressRange> = existing
                            .exclusions
                            .iter()
                            .map(|e| AddressRange {
                                start: e.start,
                                end: e.end,
                            })
                            .collect();
                        let want: BTreeSet<AddressRange> = remote_ex.iter().copied().collect();
                        let scope_ctx = ActionContext {
                            scope: Some(network),
                            ..context.clone()
                        };
                        for e in want {
                            if have.contains(&e) {
                                counts.exclusion_ranges.skipped += 1;
                            } else {
                                counts.exclusion_ranges.created += 1;
                                push(
                                    &mut p.out,
                                    phase::INVENTORY,
                                    &scope_ctx,
                                    Reason::ImportExclusion,
                                    Action::CreateInventoryExclusion {
                                        scope: ScopeRef::Existing(existing.id),
                                        start: e.start,
                                        end: e.end,
                                    },
                                );
                            }
                        }
                    }
                    continue;
                }
                let source = match &rs.failover {
                    Some(name) if known_failovers.contains(name) => {
                        ScopeSourceRef::Failover(name.clone())
                    }
                    Some(name) => {
                        // Never imported as standalone: that would sync it from the wrong server.
                        counts.scopes.errors += 1;
                        p.out.report.conflicts.push(Conflict::ImportError {
                            category: ImportCategory::Scopes,
                            message: format!(
                                "{label}: failover \"{name}\" is not in NetBox — skipped; import the failover first"
                            ),
                        });
                        continue;
                    }
                    None => ScopeSourceRef::Server(server.into()),
                };
                let outcome = import_scope(
                    snap,
                    server,
                    *sid,
                    rs,
                    source,
                    &mut p.created_options,
                    &mut p.created_prefixes,
                    &mut p.out,
                );
                add(&mut counts.scopes, outcome.scopes);
                add(&mut counts.option_values, outcome.options);
                add(&mut counts.exclusion_ranges, outcome.exclusions);
            }
        }
    }
    p.out.report.import = Some(counts);
}

fn add(total: &mut crate::report::ImportCounts, more: crate::report::ImportCounts) {
    total.created += more.created;
    total.skipped += more.skipped;
    total.errors += more.errors;
}
