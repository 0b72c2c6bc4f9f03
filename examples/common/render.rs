//! Human-readable plans, reports and apply results.
//!
//! Everything renders to a `String` so that the tools decide where it goes (stdout) and the
//! output stays testable. The JSON forms are the engine's own serde formats.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use netbox_windhcp::sync::executor::{ActionStatus, ApplyReport};
use netbox_windhcp::sync::plan::{Action, Plan, PlanKind, PlannedAction};
use serde_json::Value;

/// Which system an action writes to.
pub fn target_of(action: &Action) -> &'static str {
    if action.writes_server() {
        return "DHCP server";
    }
    match action {
        Action::CreatePrefix { .. }
        | Action::CreateIp { .. }
        | Action::UpdateIp { .. }
        | Action::DowngradeIp { .. }
        | Action::DeleteIp { .. } => "NetBox IPAM",
        _ => "inventory",
    }
}

/// The plan header and a table of action counts per kind, grouped by target.
pub fn plan_table(plan: &Plan) -> String {
    let mut out = String::new();
    let kind = match &plan.kind {
        PlanKind::Sync => "sync".to_owned(),
        PlanKind::Import { server } => format!("import from {server}"),
    };
    let _ = writeln!(
        out,
        "Plan {} ({kind}): {} action(s)",
        plan.id,
        plan.actions.len()
    );
    let stats = &plan.report.stats;
    let _ = writeln!(
        out,
        "  read: {} server(s), {} scope(s), {} lease(s), {} reservation(s); {} NetBox IP(s) considered",
        stats.servers_planned,
        stats.scopes_planned,
        stats.leases_seen,
        stats.reservations_seen,
        stats.ips_considered
    );
    if plan.is_empty() {
        let _ = writeln!(out, "  Nothing to do.");
    } else {
        let mut rows: BTreeMap<(&'static str, &'static str), usize> = BTreeMap::new();
        for planned in &plan.actions {
            *rows
                .entry((target_of(&planned.action), planned.action.kind_name()))
                .or_insert(0) += 1;
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "  {:<12} {:<28} {:>7}", "target", "action", "count");
        let _ = writeln!(out, "  {:-<12} {:-<28} {:->7}", "", "", "");
        for ((target, kind), count) in &rows {
            let _ = writeln!(out, "  {target:<12} {kind:<28} {count:>7}");
        }
        let _ = writeln!(out, "  {:-<12} {:-<28} {:->7}", "", "", "");
        let _ = writeln!(
            out,
            "  {:<12} {:<28} {:>7}",
            "total",
            "",
            plan.actions.len()
        );
    }
    if stats.deletions_withheld > 0 {
        let _ = writeln!(
            out,
            "  {} deletion(s) withheld by the deletion budget",
            stats.deletions_withheld
        );
    }
    out.push_str(&report_summary(plan));
    out
}

/// Counts of skipped items and conflicts by kind, then the first `conflict_lines` conflicts.
pub fn report_summary(plan: &Plan) -> String {
    let mut out = String::new();
    let report = &plan.report;
    let skipped = tally(report.skipped.iter().map(kind_of));
    if !skipped.is_empty() {
        let _ = writeln!(out, "  skipped: {}", join_counts(&skipped));
    }
    let conflicts = tally(report.conflicts.iter().map(kind_of));
    if !conflicts.is_empty() {
        let _ = writeln!(out, "  conflicts: {}", join_counts(&conflicts));
        for conflict in report.conflicts.iter().take(8) {
            let _ = writeln!(out, "    - {}", one_line(conflict));
        }
        if report.conflicts.len() > 8 {
            let _ = writeln!(out, "    … and {} more", report.conflicts.len() - 8);
        }
    }
    if let Some(import) = &report.import {
        let _ = writeln!(
            out,
            "  import: failovers {}/{}/{}, scopes {}/{}/{}, option values {}/{}/{}, exclusions {}/{}/{} (created/skipped/errors)",
            import.failovers.created,
            import.failovers.skipped,
            import.failovers.errors,
            import.scopes.created,
            import.scopes.skipped,
            import.scopes.errors,
            import.option_values.created,
            import.option_values.skipped,
            import.option_values.errors,
            import.exclusion_ranges.created,
            import.exclusion_ranges.skipped,
            import.exclusion_ranges.errors,
        );
    }
    out
}

/// One line per action, at most `limit` lines (`None`: all).
pub fn action_lines(plan: &Plan, limit: Option<usize>) -> String {
    let mut out = String::new();
    let limit = limit.unwrap_or(usize::MAX);
    for planned in plan.actions.iter().take(limit) {
        let _ = writeln!(out, "    {}", action_line(planned));
    }
    if plan.actions.len() > limit {
        let _ = writeln!(out, "    … and {} more", plan.actions.len() - limit);
    }
    out
}

/// `kind  object  [server scope]  (reason)` for one action.
pub fn action_line(planned: &PlannedAction) -> String {
    let value = serde_json::to_value(&planned.action).unwrap_or(Value::Null);
    let object = object_of(&value)
        .or_else(|| planned.context.scope.map(|s| s.to_string()))
        .or_else(|| {
            ["name", "id"]
                .iter()
                .find_map(|k| value.get(*k).map(scalar))
        })
        .unwrap_or_default();
    let detail = match &planned.action {
        Action::UpdateIp { before, after, .. } => before.changes_to(after),
        Action::CreateIp { after, .. } => format!(
            "{} {:?} {}",
            after.status,
            after.dns_name,
            after.dhcp_client_id.as_deref().unwrap_or("-")
        ),
        Action::UpdateInventoryScope { changes, .. }
        | Action::UpdateServerScope { changes, .. } => changes
            .iter()
            .filter_map(|c| serde_json::to_value(c).ok())
            .map(|c| {
                format!(
                    "{} {} → {}",
                    c.get("field").map(scalar).unwrap_or_default(),
                    c.get("before")
                        .map(scalar)
                        .unwrap_or_else(|| "-".to_owned()),
                    c.get("after").map(scalar).unwrap_or_else(|| "-".to_owned())
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    let scope = planned
        .context
        .scope
        .map(|s| format!(" {s}"))
        .unwrap_or_default();
    let reason = serde_json::to_value(planned.reason)
        .ok()
        .map(|v| scalar(&v))
        .unwrap_or_default();
    format!(
        "{:<26} {:<18} {:<40} [{}{}] ({reason})",
        planned.action.kind_name(),
        object,
        detail,
        planned.context.server,
        scope
    )
}

/// The result of an apply: counts per status, then the problems.
pub fn apply_summary(report: &ApplyReport, elapsed: std::time::Duration) -> String {
    let mut out = String::new();
    let c = &report.counts;
    let _ = writeln!(
        out,
        "Applied plan {} in {:.2?}: {} applied, {} failed, {} stale, {} skipped",
        report.plan_id, elapsed, c.applied, c.failed, c.stale, c.skipped
    );
    let mut shown = 0;
    for outcome in &report.outcomes {
        let text = match &outcome.status {
            ActionStatus::Applied => continue,
            ActionStatus::Failed {
                error,
                may_have_applied,
            } => {
                let maybe = if *may_have_applied {
                    " (may have applied)"
                } else {
                    ""
                };
                format!("failed{maybe}: {error}")
            }
            ActionStatus::Stale { reason } => format!("stale: {reason}"),
            ActionStatus::Skipped { reason } => format!("skipped: {reason}"),
        };
        if shown < 10 {
            let _ = writeln!(
                out,
                "    #{:<5} {:<26} {text}",
                outcome.action_index, outcome.kind
            );
        }
        shown += 1;
    }
    if shown > 10 {
        let _ = writeln!(out, "    … and {} more", shown - 10);
    }
    out
}

/// The address, IP reference, network or prefix an action is about, if it names one.
fn object_of(value: &Value) -> Option<String> {
    if let Some(address) = value.get("address") {
        return Some(scalar(address));
    }
    if let Some(ip) = value.get("ip") {
        return match ip {
            Value::Object(map) => map
                .get("new")
                .and_then(|n| n.get("address"))
                .map(scalar)
                .or_else(|| map.get("existing").map(|id| format!("ip #{}", scalar(id)))),
            other => Some(scalar(other)),
        };
    }
    ["network", "prefix"]
        .iter()
        .find_map(|k| value.get(*k).map(scalar))
        .or_else(|| {
            value
                .get("scope")
                .and_then(|s| s.get("network"))
                .map(scalar)
        })
}

fn kind_of<T: serde::Serialize>(item: &T) -> String {
    serde_json::to_value(item)
        .ok()
        .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "other".to_owned())
}

fn tally(kinds: impl Iterator<Item = String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for kind in kinds {
        *counts.entry(kind).or_insert(0) += 1;
    }
    counts
}

fn join_counts(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `kind: key=value, …` for any serde-tagged item.
fn one_line<T: serde::Serialize>(item: &T) -> String {
    let Ok(Value::Object(map)) = serde_json::to_value(item) else {
        return String::new();
    };
    let kind = map.get("kind").map(scalar).unwrap_or_default();
    let fields: Vec<String> = map
        .iter()
        .filter(|(k, v)| k.as_str() != "kind" && !v.is_null())
        .map(|(k, v)| format!("{k}={}", scalar(v)))
        .collect();
    format!("{kind}: {}", fields.join(", "))
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
