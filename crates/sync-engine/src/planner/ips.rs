//! IP address sync for one scope: upserts from reservations and leases, stale cleanup, lease
//! info, and reservation push. See the crate documentation ("Rules") for the tables.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use compact_str::CompactString;
use ipnetwork::Ipv4Network;

use super::Out;
use super::index::{IpIndex, Slot};
use super::phase;
use super::text::{
    DnsName, canonical_client_id, classify_dns_name, equals_lowercased, same_client_id,
};
use crate::plan::{Action, ActionContext, IpFields, IpRef, PlannedAction, Reason};
use crate::report::{Conflict, Skipped};
use crate::snapshot::{
    AddressRange, IpamAddress, LeaseInfo, ObjectId, ServerLease, ServerReservation, SyncSettings,
};

/// Everything the IP sync of one scope needs.
#[derive(Debug)]
pub(crate) struct ScopeIps<'a> {
    /// The server whose reads are used (the writer, or a partner standing in for reads).
    pub(crate) server: &'a str,
    /// The scope's network.
    pub(crate) network: Ipv4Network,
    /// VRF of the scope's prefix.
    pub(crate) vrf: Option<ObjectId>,
    /// Prefix length for new IPs.
    pub(crate) prefix_len: u8,
    /// Exclusion ranges (for reporting leases inside them).
    pub(crate) exclusions: &'a [AddressRange],
    /// Addresses whose NetBox IPs are cleanup candidates.
    pub(crate) domain: AddressRange,
    /// Whether server writes may be planned (false while a partner stands in).
    pub(crate) writer: bool,
    /// Whether NetBox IPs are created/updated/deleted (the "sync IP addresses" setting).
    pub(crate) sync_ips: bool,
    /// Leases read (any order).
    pub(crate) leases: &'a [ServerLease],
    /// Reservations read (any order).
    pub(crate) reservations: &'a [ServerReservation],
}

/// Counters the caller needs for the budget and the report.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IpCounts {
    /// Cleanup candidates (lease/reservation status IPs in the domain).
    pub(crate) candidates: u32,
    /// Active leases considered.
    pub(crate) leases: u64,
    /// Reservations considered.
    pub(crate) reservations: u64,
    /// NetBox IPs considered.
    pub(crate) ips: u64,
}

/// A NetBox reserved IP that should exist as a reservation on the server.
struct Wanted {
    address: Ipv4Addr,
    client_id: CompactString,
    name: CompactString,
}

fn sorted_by_ip<T, F>(items: &[T], ip: F, keep: impl Fn(&T) -> bool) -> Vec<&T>
where
    T: Ord,
    F: Fn(&T) -> Ipv4Addr,
{
    let mut v: Vec<&T> = items.iter().filter(|x| keep(x)).collect();
    // Servers usually report in address order: then there is nothing to sort or merge.
    if v.is_sorted_by(|a, b| ip(a) < ip(b)) {
        return v;
    }
    v.sort_unstable_by(|a, b| ip(a).cmp(&ip(b)).then_with(|| a.cmp(b)));
    // Keep the greatest entry per address (deterministic whatever the input order).
    let mut out: Vec<&T> = Vec::with_capacity(v.len());
    for item in v {
        match out.last_mut() {
            Some(last) if ip(last) == ip(item) => *last = item,
            _ => out.push(item),
        }
    }
    out
}

fn ctx(s: &ScopeIps<'_>) -> ActionContext {
    ActionContext {
        server: s.server.into(),
        scope: Some(s.network),
        vrf: s.vrf,
    }
}

fn fields(ip: &IpamAddress) -> IpFields {
    IpFields {
        status: ip.status.clone(),
        dns_name: ip.dns_name.clone(),
        dhcp_client_id: ip.dhcp_client_id.clone(),
    }
}

fn client_is_empty(ip: &IpamAddress) -> bool {
    ip.dhcp_client_id
        .as_deref()
        .is_none_or(|c| c.trim().is_empty())
}

fn has_tag(ip: &IpamAddress, tag: Option<&str>) -> bool {
    tag.is_some_and(|t| ip.tags.contains(t))
}

/// The planner's state for one scope's IP sync.
struct Run<'a, 'o> {
    s: &'a ScopeIps<'a>,
    settings: &'a SyncSettings,
    out: &'o mut Out,
    context: ActionContext,
    cleanup: bool,
    /// NetBox reserved IPs wanted on the server, by canonical client id (first address wins).
    wanted_by_client: BTreeMap<CompactString, Ipv4Addr>,
    /// The fields the current address will have after this plan (when the plan changes them).
    after: Option<IpFields>,
    /// Server reservations this plan deletes as stale; the push pass must not update them too
    /// (an update of a deleted reservation would fail and leave the address unreserved).
    deleted_reservations: BTreeSet<Ipv4Addr>,
    /// Whether `after` is needed (the push pass reads it); otherwise it is never cloned.
    track_after: bool,
    /// The lease-info row of the current address's NetBox IP, joined by the IP index (`None`
    /// when the IP is not DHCP-managed, or there is no IP).
    li: Option<&'a LeaseInfo>,
}

/// A field of an IP that an update may set; `None` keeps the current value.
type NewValue = Option<CompactString>;

impl<'a> Run<'a, '_> {
    fn push(&mut self, phase: u8, reason: Reason, action: Action) {
        self.out.actions.push(
            phase,
            PlannedAction {
                context: self.context.clone(),
                reason,
                action,
            },
        );
    }

    /// Plan an [`Action::UpsertLeaseInfo`] (its context is the scope's, shared, not copied).
    fn push_lease_info(
        &mut self,
        reason: Reason,
        ip: IpRef,
        hostname: CompactString,
        active: bool,
        expires: Option<CompactString>,
    ) {
        self.out
            .actions
            .push_lease_info(&self.context, reason, ip, hostname, active, expires);
    }

    /// Canonical client id from the server, reporting an unparsable one.
    fn server_client_id(&mut self, address: Ipv4Addr, raw: &str) -> Option<CompactString> {
        let c = canonical_client_id(raw);
        if c.is_none() && !raw.trim().is_empty() {
            self.out.report.conflicts.push(Conflict::InvalidClientId {
                server: self.s.server.into(),
                address,
                value: raw.to_owned(),
            });
        }
        c
    }

    /// Set only the IP's client id, from the server's `raw` one (status and dns_name kept).
    /// `false` when `raw` is no usable client id (reported by [`Self::server_client_id`]).
    fn set_client_id_only(
        &mut self,
        ip: &IpamAddress,
        address: Ipv4Addr,
        raw: &str,
        reason: Reason,
    ) -> bool {
        let Some(c) = self.server_client_id(address, raw) else {
            return false;
        };
        self.update(ip, reason, ip.status.as_str(), None, Some(c), false);
        true
    }

    /// The dns_name the server's name asks for: `Some(lowercased)` to write, `None` to keep.
    fn wanted_dns(&mut self, address: Ipv4Addr, raw: &str, current: &str) -> Option<CompactString> {
        match classify_dns_name(raw) {
            DnsName::Empty => None,
            DnsName::Invalid => {
                self.out.report.conflicts.push(Conflict::InvalidDnsName {
                    server: self.s.server.into(),
                    address,
                    name: raw.to_owned(),
                });
                None
            }
            DnsName::Valid(name) => {
                if equals_lowercased(current, name) {
                    None
                } else {
                    // Lowercased in place: no intermediate `String`, no heap for short names.
                    let mut lower = CompactString::from(name);
                    lower.make_ascii_lowercase();
                    Some(lower)
                }
            }
        }
    }

    /// Plan the lease-info row of an existing IP if it differs.
    fn lease_info(
        &mut self,
        ip: &IpamAddress,
        hostname: &str,
        active: bool,
        expires: Option<&str>,
    ) {
        let same = self.li.is_some_and(|li| {
            li.hostname == hostname && li.active == active && li.expires.as_deref() == expires
        });
        if !same {
            self.push_lease_info(
                if active {
                    Reason::LeaseMetadata
                } else {
                    Reason::LeaseNoLongerActive
                },
                IpRef::Existing(ip.id),
                hostname.into(),
                active,
                expires.map(CompactString::from),
            );
        }
    }

    /// Mark a managed IP's lease info inactive when nothing on the server backs it any more.
    fn lease_info_inactive(&mut self, ip: &IpamAddress) {
        if let Some(li) = self.li
            && (li.active || li.expires.is_some())
        {
            let hostname = li.hostname.clone();
            self.push_lease_info(
                Reason::LeaseNoLongerActive,
                IpRef::Existing(ip.id),
                hostname,
                false,
                None,
            );
        }
    }

    fn create(
        &mut self,
        address: Ipv4Addr,
        reason: Reason,
        after: IpFields,
        li: (&str, bool, Option<&str>),
    ) {
        let Ok(net) = Ipv4Network::new(address, self.s.prefix_len) else {
            return;
        };
        if self.track_after {
            self.after = Some(after.clone());
        }
        self.push(
            phase::IP,
            reason,
            Action::CreateIp {
                address: net,
                vrf: self.s.vrf,
                after,
            },
        );
        self.push_lease_info(
            Reason::LeaseMetadata,
            IpRef::New {
                address: net,
                vrf: self.s.vrf,
            },
            li.0.into(),
            li.1,
            li.2.map(CompactString::from),
        );
    }

    /// Plan an update of `ip` to `status` and, where given, a new dns_name and client id —
    /// nothing (and no allocation) when that changes no field.
    fn update(
        &mut self,
        ip: &IpamAddress,
        reason: Reason,
        status: &str,
        dns_name: NewValue,
        client_id: NewValue,
        downgrade: bool,
    ) {
        let unchanged = status == ip.status
            && dns_name.as_ref().is_none_or(|d| *d == ip.dns_name)
            && client_id
                .as_ref()
                .is_none_or(|c| ip.dhcp_client_id.as_ref() == Some(c));
        if unchanged {
            return;
        }
        let after = IpFields {
            status: status.into(),
            dns_name: dns_name.unwrap_or_else(|| ip.dns_name.clone()),
            dhcp_client_id: client_id.or_else(|| ip.dhcp_client_id.clone()),
        };
        let before = Box::new(fields(ip));
        if self.track_after {
            self.after = Some(after.clone());
        }
        let after = Box::new(after);
        let action = if downgrade {
            Action::DowngradeIp {
                id: ip.id,
                address: ip.address,
                etag: ip.etag.clone(),
                before,
                after,
            }
        } else {
            Action::UpdateIp {
                id: ip.id,
                address: ip.address,
                etag: ip.etag.clone(),
                before,
                after,
            }
        };
        self.push(phase::IP, reason, action);
    }

    fn skip_protected(&mut self, ip: &IpamAddress, address: Ipv4Addr) {
        self.out.report.skipped.push(Skipped::ProtectedIp {
            server: self.s.server.into(),
            ip_id: ip.id,
            address,
        });
    }

    fn skip_foreign(&mut self, ip: &IpamAddress, address: Ipv4Addr) {
        self.out.report.skipped.push(Skipped::ForeignStatus {
            server: self.s.server.into(),
            ip_id: ip.id,
            address,
            status: ip.status.as_str().to_owned(),
        });
    }

    /// A server reservation at `address` (with perhaps an active lease too).
    fn reservation(
        &mut self,
        address: Ipv4Addr,
        existing: Option<&IpamAddress>,
        r: &ServerReservation,
        lease: Option<&ServerLease>,
    ) {
        let st = self.settings;
        let (li_host, li_active, li_exp) = match lease {
            Some(l) => (l.hostname.as_str(), true, l.expires.as_deref()),
            None => (r.name.as_str(), false, None),
        };
        // When NetBox reserves *this* address (for another client), the push pass rewrites the
        // server reservation in place — an update, not a deletion — and the address follows the
        // ordinary path below.
        let wanted_here = st.push_reservations
            && existing.is_some_and(|ip| {
                ip.status == st.reservation_status
                    && ip
                        .dhcp_client_id
                        .as_deref()
                        .and_then(canonical_client_id)
                        .is_some()
            });
        if st.push_reservations
            && !wanted_here
            && let Some(c) = canonical_client_id(&r.client_id)
            && let Some(&other) = self.wanted_by_client.get(&c)
            && other != address
        {
            // NetBox wins: a reservation whose client id NetBox reserves at another address is
            // stale. It is deleted (never while a partner stands in) and the address is then
            // treated as if it had no reservation.
            if self.s.writer {
                self.deleted_reservations.insert(address);
                self.push(
                    phase::SERVER_DELETE,
                    Reason::ReservationNotInNetBox,
                    Action::DeleteReservation {
                        network: self.s.network,
                        ip: address,
                        client_id: r.client_id.clone(),
                    },
                );
                match (lease, existing) {
                    (Some(l), existing) => self.lease(address, existing, l),
                    (None, Some(ip)) if self.s.domain.contains(address) => self.stale(ip),
                    _ => {}
                }
            }
            return;
        }
        let Some(ip) = existing else {
            let client = self.server_client_id(address, &r.client_id);
            let dns = self.wanted_dns(address, &r.name, "").unwrap_or_default();
            self.create(
                address,
                Reason::ServerReservation,
                IpFields {
                    status: st.reservation_status.clone(),
                    dns_name: dns,
                    dhcp_client_id: client,
                },
                (li_host, li_active, li_exp),
            );
            return;
        };
        let row = self.li;
        let managed = row.is_some();
        // Without a lease, an existing row keeps its hostname (it only turns inactive).
        let li_host = match (lease, row) {
            (None, Some(li)) => li.hostname.as_str(),
            _ => li_host,
        };
        if has_tag(ip, st.protect_tag.as_deref()) {
            self.skip_protected(ip, address);
            // Lease metadata is always recorded for protected IPs; a bare reservation only
            // refreshes an existing row.
            if lease.is_some() || managed {
                self.lease_info(ip, li_host, li_active, li_exp);
            }
            return;
        }
        if ip.status == st.reservation_status {
            if client_is_empty(ip) {
                // Pre-staged: fill the client id only; status and dns_name stay. A server
                // reservation now backs the IP, so it becomes DHCP-managed.
                let filled = self.set_client_id_only(
                    ip,
                    address,
                    &r.client_id,
                    Reason::PrestagedClientIdFill,
                );
                if filled || managed {
                    self.lease_info(ip, li_host, li_active, li_exp);
                }
                return;
            }
            if st.push_reservations {
                // NetBox wins: the server reservation is corrected by the push pass.
                if managed {
                    self.lease_info(ip, li_host, li_active, li_exp);
                }
                return;
            }
        } else if ip.status != st.lease_status {
            self.skip_foreign(ip, address);
            if managed {
                self.lease_info(ip, li_host, li_active, li_exp);
            }
            return;
        }
        // Lease-status IP, or sync-owned reserved IP with push off: the reservation wins.
        let dns = self.wanted_dns(address, &r.name, &ip.dns_name);
        let stored = ip.dhcp_client_id.as_deref().unwrap_or("");
        let client = if same_client_id(stored, &r.client_id) {
            None
        } else {
            self.server_client_id(address, &r.client_id)
        };
        let status = st.reservation_status.as_str();
        self.update(ip, Reason::ServerReservation, status, dns, client, false);
        self.lease_info(ip, li_host, li_active, li_exp);
    }

    /// An active lease at `address` without a server reservation.
    fn lease(&mut self, address: Ipv4Addr, existing: Option<&IpamAddress>, l: &ServerLease) {
        let st = self.settings;
        let exp = l.expires.as_deref();
        let Some(ip) = existing else {
            let client = self.server_client_id(address, &l.client_id);
            let dns = self
                .wanted_dns(address, &l.hostname, "")
                .unwrap_or_default();
            self.create(
                address,
                Reason::ActiveLease,
                IpFields {
                    status: st.lease_status.clone(),
                    dns_name: dns,
                    dhcp_client_id: client,
                },
                (&l.hostname, true, exp),
            );
            return;
        };
        let managed = self.li.is_some();
        let stored = ip.dhcp_client_id.as_deref().unwrap_or("");
        if has_tag(ip, st.protect_tag.as_deref()) {
            self.skip_protected(ip, address);
            if st.update_client_id_for_protected && !same_client_id(stored, &l.client_id) {
                self.set_client_id_only(ip, address, &l.client_id, Reason::ProtectedClientIdUpdate);
            }
            self.lease_info(ip, &l.hostname, true, exp);
            return;
        }
        if ip.status == st.reservation_status {
            if client_is_empty(ip) {
                self.set_client_id_only(ip, address, &l.client_id, Reason::PrestagedClientIdFill);
                if managed {
                    self.lease_info(ip, &l.hostname, true, exp);
                }
                return;
            }
            if st.push_reservations || !managed {
                // Kept: NetBox is the source of reservations, or the reserved IP is manual.
                if managed {
                    self.lease_info(ip, &l.hostname, true, exp);
                }
                return;
            }
            if !self.cleanup {
                self.lease_info(ip, &l.hostname, true, exp);
                return;
            }
            // Sync-created reserved IP whose reservation is gone but whose lease remains.
            let dns = self.wanted_dns(address, &l.hostname, &ip.dns_name);
            let client = if same_client_id(stored, &l.client_id) {
                None
            } else {
                self.server_client_id(address, &l.client_id)
            };
            let status = st.lease_status.as_str();
            self.update(
                ip,
                Reason::ReservationGoneLeaseRemains,
                status,
                dns,
                client,
                true,
            );
            self.lease_info(ip, &l.hostname, true, exp);
            return;
        }
        if ip.status != st.lease_status {
            self.skip_foreign(ip, address);
            if managed {
                self.lease_info(ip, &l.hostname, true, exp);
            }
            return;
        }
        let dns = self.wanted_dns(address, &l.hostname, &ip.dns_name);
        let client = if same_client_id(stored, &l.client_id) {
            None
        } else {
            self.server_client_id(address, &l.client_id)
        };
        let status = ip.status.as_str();
        self.update(ip, Reason::ActiveLease, status, dns, client, false);
        self.lease_info(ip, &l.hostname, true, exp);
    }

    /// A NetBox IP in the cleanup domain with neither reservation nor active lease.
    fn stale(&mut self, ip: &IpamAddress) {
        let st = self.settings;
        let managed = self.li.is_some();
        let keep = if has_tag(ip, st.protect_tag.as_deref()) {
            true
        } else if ip.status == st.reservation_status {
            client_is_empty(ip) || st.push_reservations || !managed
        } else if ip.status == st.lease_status {
            false
        } else {
            return;
        };
        if keep || !self.cleanup {
            if managed {
                self.lease_info_inactive(ip);
            }
            return;
        }
        let reason = if ip.status == st.reservation_status {
            Reason::ReservationAndLeaseGone
        } else {
            Reason::LeaseExpiredOrGone
        };
        self.push(
            phase::IP,
            reason,
            Action::DeleteIp {
                id: ip.id,
                address: ip.address,
                etag: ip.etag.clone(),
                before: Box::new(fields(ip)),
            },
        );
    }
}

/// Plan the IP sync of one scope. `cleanup` is false when the reads look suspicious; then no
/// deletion or downgrade is planned.
pub(crate) fn plan_scope_ips(
    s: &ScopeIps<'_>,
    settings: &SyncSettings,
    index: &IpIndex<'_>,
    cleanup: bool,
    out: &mut Out,
) -> IpCounts {
    let mut counts = IpCounts::default();
    let net_first = s.network.network();
    let net_last = s.network.broadcast();
    let in_net = |ip: Ipv4Addr| net_first <= ip && ip <= net_last;

    let reservations = sorted_by_ip(s.reservations, |r| r.ip, |_| true);
    let leases = sorted_by_ip(s.leases, |l| l.ip, |l| l.state.is_active());
    counts.leases = leases.len() as u64;
    counts.reservations = reservations.len() as u64;

    // NetBox reserved IPs with a client id, before this run's changes (first address wins).
    let mut wanted_by_client: BTreeMap<CompactString, Ipv4Addr> = BTreeMap::new();
    if settings.push_reservations {
        for (addr, slot) in index.range(s.vrf, net_first, net_last) {
            if let Slot::One(ip, _) = slot
                && ip.status == settings.reservation_status
                && let Some(c) = ip.dhcp_client_id.as_deref().and_then(canonical_client_id)
            {
                wanted_by_client.entry(c).or_insert(Ipv4Addr::from(addr));
            }
        }
    }

    let mut run = Run {
        s,
        settings,
        out,
        context: ctx(s),
        cleanup,
        wanted_by_client,
        after: None,
        deleted_reservations: BTreeSet::new(),
        track_after: settings.push_reservations && s.writer,
        li: None,
    };

    // Reservations and leases outside the scope's network are reported and ignored.
    let mut res_iter = reservations
        .into_iter()
        .filter(|r| {
            let ok = in_net(r.ip);
            if !ok {
                run.out
                    .report
                    .conflicts
                    .push(Conflict::ReservationOutsideScope {
                        server: s.server.into(),
                        network: s.network,
                        address: r.ip,
                    });
            }
            ok
        })
        .collect::<Vec<_>>()
        .into_iter()
        .peekable();
    let mut lease_iter = leases.into_iter().filter(|l| in_net(l.ip)).peekable();
    let mut slot_iter = index.range(s.vrf, net_first, net_last).peekable();

    // Reserved IPs (after this run) to push to the server.
    let mut wanted: Vec<Wanted> = Vec::new();

    loop {
        let next_r = res_iter.peek().map(|r| u32::from(r.ip));
        let next_l = lease_iter.peek().map(|l| u32::from(l.ip));
        let next_s = slot_iter.peek().map(|(a, _)| *a);
        let Some(addr) = [next_r, next_l, next_s].into_iter().flatten().min() else {
            break;
        };
        let r = if next_r == Some(addr) {
            res_iter.next()
        } else {
            None
        };
        let l = if next_l == Some(addr) {
            lease_iter.next()
        } else {
            None
        };
        let slot = if next_s == Some(addr) {
            slot_iter.next().map(|(_, s)| s)
        } else {
            None
        };
        let address = Ipv4Addr::from(addr);
        run.after = None;
        if l.is_some() && s.exclusions.iter().any(|e| e.contains(address)) {
            run.out.report.conflicts.push(Conflict::LeaseInExclusion {
                server: s.server.into(),
                network: s.network,
                address,
            });
        }
        let existing = match slot {
            Some(Slot::Many(_)) => {
                let ids = slot.map(|s| s.ids()).unwrap_or_default();
                run.out.report.conflicts.push(Conflict::DuplicateIpObjects {
                    vrf: s.vrf,
                    address,
                    ids,
                });
                continue;
            }
            Some(Slot::One(ip, li)) => {
                run.li = li;
                Some(ip)
            }
            None => {
                run.li = None;
                None
            }
        };
        if let Some(ip) = existing {
            counts.ips += 1;
            if s.domain.contains(address)
                && (ip.status == settings.lease_status || ip.status == settings.reservation_status)
            {
                counts.candidates += 1;
            }
        }
        match (r, l, existing) {
            _ if !s.sync_ips => {}
            (Some(r), l, existing) => run.reservation(address, existing, r, l),
            (None, Some(l), existing) => run.lease(address, existing, l),
            (None, None, Some(ip)) => {
                if s.domain.contains(address) {
                    run.stale(ip);
                }
            }
            (None, None, None) => {}
        }
        if settings.push_reservations && s.writer {
            collect_wanted(&mut run, address, existing, &mut wanted);
        }
    }

    if settings.push_reservations && s.writer {
        push_reservations(&mut run, wanted, s.reservations);
    }
    counts
}

/// After the upsert of `address`, is it a reserved IP NetBox wants on the server?
fn collect_wanted(
    run: &mut Run<'_, '_>,
    address: Ipv4Addr,
    existing: Option<&IpamAddress>,
    wanted: &mut Vec<Wanted>,
) {
    let st = run.settings;
    let planned = run.after.take();
    let (status, dns_name, client) = match (&planned, existing) {
        (Some(after), _) => (
            &after.status,
            &after.dns_name,
            after.dhcp_client_id.as_deref(),
        ),
        (None, Some(ip)) => (&ip.status, &ip.dns_name, ip.dhcp_client_id.as_deref()),
        (None, None) => return,
    };
    if *status != st.reservation_status {
        return;
    }
    let raw = client.unwrap_or("");
    if raw.trim().is_empty() {
        run.out
            .report
            .skipped
            .push(Skipped::ReservationWithoutClientId {
                server: run.s.server.into(),
                network: run.s.network,
                address,
            });
        return;
    }
    let Some(client_id) = canonical_client_id(raw) else {
        run.out.report.conflicts.push(Conflict::InvalidClientId {
            server: run.s.server.into(),
            address,
            value: raw.to_owned(),
        });
        return;
    };
    wanted.push(Wanted {
        address,
        client_id,
        name: dns_name.clone(),
    });
}

/// NetBox wins: create or update server reservations for the wanted reserved IPs.
fn push_reservations(run: &mut Run<'_, '_>, wanted: Vec<Wanted>, server: &[ServerReservation]) {
    let on_server = sorted_by_ip(server, |r| r.ip, |_| true);
    let mut seen: BTreeMap<&str, Vec<Ipv4Addr>> = BTreeMap::new();
    for w in &wanted {
        seen.entry(w.client_id.as_str())
            .or_default()
            .push(w.address);
    }
    for (client_id, addresses) in &seen {
        if addresses.len() > 1 {
            run.out
                .report
                .conflicts
                .push(Conflict::DuplicateClientIdInScope {
                    server: run.s.server.into(),
                    network: run.s.network,
                    client_id: (*client_id).to_owned(),
                    addresses: addresses.clone(),
                });
        }
    }
    for w in &wanted {
        if seen
            .get(w.client_id.as_str())
            .and_then(|a| a.first())
            .is_some_and(|first| *first != w.address)
        {
            continue;
        }
        // A reservation this plan deletes is gone by the time pushes run (deletes come first),
        // so the wanted one is created afresh rather than updated.
        let existing = on_server
            .binary_search_by(|r| r.ip.cmp(&w.address))
            .ok()
            .and_then(|i| on_server.get(i))
            .filter(|r| !run.deleted_reservations.contains(&r.ip));
        match existing {
            None => run.push(
                phase::SERVER_CREATE,
                Reason::ReservationMissingOnServer,
                Action::PushReservation {
                    network: run.s.network,
                    ip: w.address,
                    client_id: w.client_id.clone(),
                    name: w.name.clone(),
                },
            ),
            Some(r) => {
                let client_differs = !same_client_id(&r.client_id, &w.client_id);
                let name_differs = !w.name.is_empty() && !r.name.eq_ignore_ascii_case(&w.name);
                if client_differs || name_differs {
                    run.push(
                        phase::SERVER_UPDATE,
                        Reason::ReservationDiffersOnServer,
                        Action::UpdateReservation {
                            network: run.s.network,
                            ip: w.address,
                            before_client_id: Box::new(r.client_id.clone()),
                            client_id: w.client_id.clone(),
                            before_name: Box::new(r.name.clone()),
                            name: if name_differs {
                                w.name.clone()
                            } else {
                                r.name.clone()
                            },
                        },
                    );
                }
            }
        }
    }
}
