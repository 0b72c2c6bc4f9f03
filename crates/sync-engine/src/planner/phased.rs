//! Actions under construction, one list per execution phase.
//!
//! Concatenating the lists in phase order gives the same order as a stable sort by phase,
//! without moving the (large) actions around more than once.
//!
//! The lease-info phase is kept apart, in a compact form: a first sync plans one lease-info
//! action per lease, and they all come after every IP action, so they cannot be written where
//! they end up until the last IP action is known. Holding them as [`LeaseInfoRow`]s (half the
//! size of a [`PlannedAction`], the context shared by all rows of a scope) and building the
//! actions once, straight into the final list, saves writing each of them twice at full size.

use compact_str::CompactString;

use super::phase;
use crate::plan::{Action, ActionContext, IpRef, PlannedAction, Reason};

/// A planned [`Action::UpsertLeaseInfo`] without its context (held by [`LeaseInfoRows`]).
#[derive(Debug)]
struct LeaseInfoRow {
    ip: IpRef,
    hostname: CompactString,
    expires: Option<CompactString>,
    active: bool,
    reason: Reason,
}

impl LeaseInfoRow {
    fn into_planned(self, context: ActionContext) -> PlannedAction {
        PlannedAction {
            context,
            reason: self.reason,
            action: Action::UpsertLeaseInfo {
                ip: self.ip,
                hostname: self.hostname,
                active: self.active,
                expires: self.expires,
            },
        }
    }
}

/// The lease-info phase: rows in generation order, and their contexts run-length encoded (each
/// context with the number of consecutive rows it applies to).
#[derive(Debug, Default)]
struct LeaseInfoRows {
    rows: Vec<LeaseInfoRow>,
    contexts: Vec<(ActionContext, usize)>,
}

impl LeaseInfoRows {
    fn push(&mut self, context: &ActionContext, row: LeaseInfoRow) {
        match self.contexts.last_mut() {
            Some((last, n)) if last == context => *n += 1,
            _ => self.contexts.push((context.clone(), 1)),
        }
        self.rows.push(row);
    }

    fn append(&mut self, other: &mut Self) {
        if self.rows.is_empty() {
            std::mem::swap(self, other);
        } else {
            self.rows.append(&mut other.rows);
            self.contexts.append(&mut other.contexts);
        }
    }

    /// Appends the rows to `out` as actions, in order.
    fn build_into(self, out: &mut Vec<PlannedAction>) {
        let mut rows = self.rows.into_iter();
        for (context, n) in self.contexts {
            // Every run has at least one row; its last row takes the context itself.
            for row in rows.by_ref().take(n.saturating_sub(1)) {
                out.push(row.into_planned(context.clone()));
            }
            if n > 0
                && let Some(row) = rows.next()
            {
                out.push(row.into_planned(context));
            }
        }
    }
}

/// Actions under construction, one list per phase, each in generation order.
#[derive(Debug, Default)]
pub(crate) struct Phased {
    lists: [Vec<PlannedAction>; phase::COUNT],
    lease_info: LeaseInfoRows,
    /// How many of the actions in `lists` are deletions (counted as they come, so that the
    /// budget never scans the whole plan).
    deletions: usize,
}

/// Where each phase list stood when a scope began, and how many deletions there were.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    lens: [usize; phase::COUNT],
    deletions: usize,
}

impl Phased {
    /// Appends `action` to its phase's list (an [`Action::UpsertLeaseInfo`] in the lease-info
    /// phase as a compact row; the planner plans no other action in that phase).
    pub(crate) fn push(&mut self, phase: u8, action: PlannedAction) {
        if phase == phase::LEASE_INFO
            && let PlannedAction {
                context,
                reason,
                action:
                    Action::UpsertLeaseInfo {
                        ip,
                        hostname,
                        active,
                        expires,
                    },
            } = action
        {
            self.push_lease_info(&context, reason, ip, hostname, active, expires);
            return;
        }
        let i = usize::from(phase).min(phase::COUNT - 1);
        debug_assert!(usize::from(phase) < phase::COUNT, "unknown phase {phase}");
        if let Some(list) = self.lists.get_mut(i) {
            self.deletions += usize::from(action.action.is_deletion());
            list.push(action);
        }
    }

    /// Appends an [`Action::UpsertLeaseInfo`] to the lease-info phase.
    pub(crate) fn push_lease_info(
        &mut self,
        context: &ActionContext,
        reason: Reason,
        ip: IpRef,
        hostname: CompactString,
        active: bool,
        expires: Option<CompactString>,
    ) {
        self.lease_info.push(
            context,
            LeaseInfoRow {
                ip,
                hostname,
                expires,
                active,
                reason,
            },
        );
    }

    /// Reserves room for `addresses` actions in the IP phase and as many in the lease-info
    /// phase (the usual maximum: one of each per lease or reservation), so neither list is
    /// regrown and copied while planning. The IP list also gets room for the lease-info
    /// actions, which [`Self::into_vec`] builds at its end without reallocating. Unused room
    /// is address space only: no page of it is touched. A reservation the allocator refuses
    /// is skipped (the lists then grow as needed).
    pub(crate) fn reserve_for_addresses(&mut self, addresses: usize) {
        if let Some(list) = self.lists.get_mut(usize::from(phase::IP)) {
            let _ = list.try_reserve(addresses.saturating_mul(2));
        }
        let _ = self.lease_info.rows.try_reserve(addresses);
    }

    /// Moves every action of `other` to the end of its phase's list here.
    pub(crate) fn append(&mut self, other: &mut Phased) {
        for (mine, theirs) in self.lists.iter_mut().zip(&mut other.lists) {
            if mine.is_empty() {
                std::mem::swap(mine, theirs);
            } else {
                mine.append(theirs);
            }
        }
        self.lease_info.append(&mut other.lease_info);
        self.deletions += std::mem::take(&mut other.deletions);
    }

    /// The length of each list (where a scope's actions start).
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            lens: self.lists.each_ref().map(Vec::len),
            deletions: self.deletions,
        }
    }

    /// The number of deletions after `since` (lease-info actions are never deletions).
    pub(crate) fn deletions_since(&self, since: &Mark) -> usize {
        self.deletions.saturating_sub(since.deletions)
    }

    /// Drops every deletion after `since`; the actions before it stay as they are.
    pub(crate) fn retain_non_deletions_since(&mut self, since: &Mark) {
        if self.deletions_since(since) == 0 {
            return;
        }
        for (list, &from) in self.lists.iter_mut().zip(&since.lens) {
            if list.iter().skip(from).any(|a| a.action.is_deletion()) {
                let tail = list.split_off(from.min(list.len()));
                list.extend(tail.into_iter().filter(|a| !a.action.is_deletion()));
            }
        }
        self.deletions = since.deletions;
    }

    /// The actions in phase order. The first non-empty list is grown in place (no copy of
    /// its elements), the others are appended, and the lease-info actions are built at their
    /// place.
    pub(crate) fn into_vec(self) -> Vec<PlannedAction> {
        let Phased {
            lists, lease_info, ..
        } = self;
        let total = lists.iter().map(Vec::len).sum::<usize>() + lease_info.rows.len();
        let mut out: Vec<PlannedAction> = Vec::new();
        let mut lease_info = Some(lease_info);
        for (i, mut list) in lists.into_iter().enumerate() {
            if i == usize::from(phase::LEASE_INFO)
                && let Some(rows) = lease_info.take()
            {
                out.reserve_exact(total - out.len());
                rows.build_into(&mut out);
            }
            if list.is_empty() {
                continue;
            }
            if out.is_empty() {
                out = list;
            } else {
                out.reserve_exact(total - out.len());
                out.append(&mut list);
            }
        }
        // Give back the room reserved for actions that were not planned (shrinks in place).
        if out.capacity() - out.len() > out.len() / 8 {
            out.shrink_to_fit();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use ipnetwork::Ipv4Network;

    use super::*;
    use crate::plan::IpFields;

    fn context(server: &str, scope: u8) -> ActionContext {
        ActionContext {
            server: server.into(),
            scope: Ipv4Network::new([10, 0, scope, 0].into(), 24).ok(),
            vrf: scope.is_multiple_of(2).then_some(u64::from(scope)),
        }
    }

    fn create(context: &ActionContext, host: u8) -> PlannedAction {
        PlannedAction {
            context: context.clone(),
            reason: Reason::ActiveLease,
            action: Action::CreateIp {
                address: Ipv4Network::new([10, 0, 0, host].into(), 24)
                    .unwrap_or_else(|e| panic!("{e}")),
                vrf: context.vrf,
                after: IpFields {
                    status: "dhcp".into(),
                    dns_name: format!("h{host}").into(),
                    dhcp_client_id: None,
                },
            },
        }
    }

    fn lease_info(context: &ActionContext, id: u64, active: bool) -> PlannedAction {
        PlannedAction {
            context: context.clone(),
            reason: if active {
                Reason::LeaseMetadata
            } else {
                Reason::LeaseNoLongerActive
            },
            action: Action::UpsertLeaseInfo {
                ip: IpRef::Existing(id),
                hostname: format!("host-{id}").into(),
                active,
                expires: active.then(|| CompactString::from("2026-01-01T00:00:00Z")),
            },
        }
    }

    fn delete_scope(context: &ActionContext, id: u64) -> PlannedAction {
        PlannedAction {
            context: context.clone(),
            reason: Reason::ScopeGoneFromServer,
            action: Action::DeleteInventoryScope {
                id,
                network: context
                    .scope
                    .unwrap_or_else(|| panic!("test contexts have a scope")),
            },
        }
    }

    /// Pushes `(phase, action)` into `phased`, lease-info actions alternately through
    /// [`Phased::push`] and [`Phased::push_lease_info`].
    fn push_all(phased: &mut Phased, items: &[(u8, PlannedAction)]) {
        for (i, (phase, planned)) in items.iter().enumerate() {
            match (&planned.action, i % 2) {
                (
                    Action::UpsertLeaseInfo {
                        ip,
                        hostname,
                        active,
                        expires,
                    },
                    0,
                ) => phased.push_lease_info(
                    &planned.context,
                    planned.reason,
                    ip.clone(),
                    hostname.clone(),
                    *active,
                    expires.clone(),
                ),
                _ => phased.push(*phase, planned.clone()),
            }
        }
    }

    /// The reference order: a stable sort by phase of the generation order.
    fn stable_by_phase(items: &[(u8, PlannedAction)]) -> Vec<PlannedAction> {
        let mut sorted = items.to_vec();
        sorted.sort_by_key(|(phase, _)| *phase);
        sorted.into_iter().map(|(_, a)| a).collect()
    }

    /// Scopes on two servers, each planning lease-info, IP, inventory and deletion actions
    /// interleaved; several runs of lease info share a context, some contexts come back later.
    fn sample() -> Vec<(u8, PlannedAction)> {
        let mut items = Vec::new();
        let mut id = 0;
        for (server, scope) in [("a", 1), ("a", 2), ("b", 2), ("a", 1), ("b", 3)] {
            let ctx = context(server, scope);
            for host in 0..scope + 2 {
                id += 1;
                items.push((phase::LEASE_INFO, lease_info(&ctx, id, host % 3 != 0)));
                items.push((phase::IP, create(&ctx, host)));
                if host == 1 {
                    items.push((phase::INVENTORY_DELETE, delete_scope(&ctx, id)));
                    items.push((phase::PREFIX, create(&ctx, 200 + host)));
                }
            }
        }
        items
    }

    #[test]
    fn into_vec_is_a_stable_sort_by_phase() {
        let items = sample();
        let mut phased = Phased::default();
        phased.reserve_for_addresses(7);
        push_all(&mut phased, &items);
        let expected = stable_by_phase(&items);
        assert!(expected.len() > 40, "sample too small: {}", expected.len());
        assert_eq!(phased.into_vec(), expected);
    }

    #[test]
    fn only_lease_info_or_nothing() {
        let items: Vec<_> = sample()
            .into_iter()
            .filter(|(phase, _)| *phase == phase::LEASE_INFO)
            .collect();
        let mut phased = Phased::default();
        push_all(&mut phased, &items);
        assert_eq!(phased.into_vec(), stable_by_phase(&items));
        assert!(Phased::default().into_vec().is_empty());
    }

    #[test]
    fn append_and_deletions_since_work_per_scope() {
        let items = sample();
        let (first, second) = items.split_at(items.len() / 2);
        let mut run = Phased::default();
        push_all(&mut run, first);
        // A scope takes the run's lists, plans after its mark, and gives them back.
        let mut scope = std::mem::take(&mut run);
        let since = scope.mark();
        push_all(&mut scope, second);
        let deletions = |part: &[(u8, PlannedAction)]| {
            part.iter().filter(|(_, a)| a.action.is_deletion()).count()
        };
        assert_eq!(scope.deletions_since(&since), deletions(second));
        assert_eq!(scope.deletions_since(&Mark::default()), deletions(&items));
        // The count agrees with the lists.
        assert_eq!(
            scope
                .lists
                .iter()
                .flatten()
                .filter(|a| a.action.is_deletion())
                .count(),
            deletions(&items)
        );
        scope.retain_non_deletions_since(&since);
        assert_eq!(scope.deletions_since(&since), 0);
        assert_eq!(scope.deletions_since(&Mark::default()), deletions(first));
        run.append(&mut scope);
        assert_eq!(run.deletions_since(&Mark::default()), deletions(first));
        assert_eq!(scope.deletions_since(&Mark::default()), 0);
        let kept: Vec<_> = first
            .iter()
            .chain(second.iter().filter(|(_, a)| !a.action.is_deletion()))
            .cloned()
            .collect();
        assert_eq!(run.into_vec(), stable_by_phase(&kept));
    }
}
