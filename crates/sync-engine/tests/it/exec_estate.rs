//! A small estate on the in-memory implementations, for the executor tests.
//!
//! * `dhcp1` (standalone sync on) holds standalone scope A `10.0.1.0/24` and is the primary of
//!   failover `fo1`, whose scope B `10.0.2.0/24` it shares with the partner `dhcp2`.
//! * `dhcp3` is in the inventory but has nothing eligible: it must never be contacted.
//! * NetBox holds both prefixes, a managed lease IP whose lease is gone (`10.0.1.22`), a
//!   protected IP (`10.0.1.21`), a pre-staged reserved IP without client id (`10.0.1.60`) and a
//!   hand-made reserved IP with a client id (`10.0.1.70`).

use std::net::Ipv4Addr;
use std::sync::Arc;

use ipnetwork::Ipv4Network;
use windhcp_sync_engine::inventory_file::InventoryDocument;
use windhcp_sync_engine::memory::{
    CallLog, MemoryDhcpServer, MemoryFleet, MemoryInventory, MemoryIpam,
};
use windhcp_sync_engine::plan::IpFields;
use windhcp_sync_engine::snapshot::{
    AddressRange, DeletionBudget, EmptyReadGuard, InventoryScope, LeaseInfo, LeaseState, ObjectId,
    ScopeSourceRef, ServerLease, ServerOption, ServerReservation, ServerScope, SyncSettings,
};
use windhcp_sync_engine::source::Sources;

pub(crate) const D1: &str = "dhcp1";
pub(crate) const D2: &str = "dhcp2";
pub(crate) const D3: &str = "dhcp3";
pub(crate) const FO: &str = "fo1";

pub(crate) fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

pub(crate) fn net(s: &str) -> Ipv4Network {
    s.parse().unwrap()
}

pub(crate) fn fields(status: &str, dns: &str, client: Option<&str>) -> IpFields {
    IpFields {
        status: status.into(),
        dns_name: dns.into(),
        dhcp_client_id: client.map(Into::into),
    }
}

pub(crate) fn lease(addr: &str, client: &str, host: &str) -> ServerLease {
    ServerLease {
        ip: ip(addr),
        client_id: client.into(),
        hostname: host.into(),
        state: LeaseState::Active,
        expires: Some("2030-01-01T00:00:00Z".into()),
    }
}

pub(crate) fn reservation(addr: &str, client: &str, name: &str) -> ServerReservation {
    ServerReservation {
        ip: ip(addr),
        client_id: client.into(),
        name: name.into(),
        description: Default::default(),
    }
}

pub(crate) fn server_scope(network: &str, name: &str, failover: Option<&str>) -> ServerScope {
    let n = net(network);
    let base = u32::from(n.network());
    ServerScope {
        network: n,
        name: name.to_owned(),
        description: String::new(),
        start: Ipv4Addr::from(base + 10),
        end: Ipv4Addr::from(base + 200),
        router: None,
        lease_lifetime_secs: Some(86_400),
        active: true,
        failover: failover.map(str::to_owned),
    }
}

/// Everything a test needs to drive and inspect the estate.
#[derive(Debug, Clone)]
pub(crate) struct Estate {
    pub(crate) log: CallLog,
    pub(crate) fleet: MemoryFleet,
    pub(crate) d1: MemoryDhcpServer,
    pub(crate) d2: MemoryDhcpServer,
    pub(crate) ipam: MemoryIpam,
    pub(crate) inventory: MemoryInventory,
    /// NetBox ids of the seeded IPs.
    pub(crate) managed_gone: ObjectId,
    pub(crate) protected: ObjectId,
    pub(crate) prestaged: ObjectId,
    pub(crate) manual_reserved: ObjectId,
    pub(crate) scope_a: ObjectId,
    pub(crate) scope_b: ObjectId,
}

pub(crate) fn settings() -> SyncSettings {
    SyncSettings {
        sync_ip_addresses: true,
        protect_tag: Some("sync-protected".to_owned()),
        deletion_budget: DeletionBudget::unlimited(),
        empty_guard: EmptyReadGuard {
            min_managed_ips: 0,
            min_scopes: 0,
        },
        ..SyncSettings::default()
    }
}

impl Estate {
    pub(crate) fn sources(&self) -> Sources {
        Sources {
            dhcp: Arc::new(self.fleet.clone()),
            ipam: Arc::new(self.ipam.clone()),
            inventory: Arc::new(self.inventory.clone()),
        }
    }

    pub(crate) fn new() -> Self {
        let log = CallLog::new();
        let d1 = MemoryDhcpServer::new(D1).with_log(log.clone());
        d1.add_failover(FO, D2);
        let d2 = d1.partner(D2);
        let d3 = MemoryDhcpServer::new(D3).with_log(log.clone());
        let fleet = MemoryFleet::new();
        fleet.add(d1.clone());
        fleet.add(d2.clone());
        fleet.add(d3);

        // --- DHCP side -------------------------------------------------------------------
        let a = ip("10.0.1.0");
        let b = ip("10.0.2.0");
        d1.add_scope(server_scope("10.0.1.0/24", "Office", None));
        d1.add_scope(server_scope("10.0.2.0/24", "Lab", Some(FO)));
        d1.add_lease(a, lease("10.0.1.20", "aa-00-00-00-00-20", "PC20"));
        d1.add_lease(a, lease("10.0.1.21", "aa-00-00-00-00-21", "pc21"));
        d1.add_lease(a, lease("10.0.1.60", "aa-00-00-00-00-60", "whatever"));
        d1.add_reservation(a, reservation("10.0.1.50", "aa-00-00-00-00-50", "Printer"));
        d1.add_exclusion(
            a,
            AddressRange {
                start: ip("10.0.1.100"),
                end: ip("10.0.1.110"),
            },
        );
        d1.add_option(
            a,
            ServerOption {
                code: 6,
                vendor_class: String::new(),
                name: "DNS Servers".to_owned(),
                values: vec!["10.0.0.53".to_owned()],
            },
        );
        d1.add_lease(b, lease("10.0.2.30", "bb-00-00-00-00-30", "lab30"));
        d1.add_reservation(
            b,
            reservation("10.0.2.40", "bb-00-00-00-00-40", "scope-b-res"),
        );

        // --- NetBox IPAM -----------------------------------------------------------------
        let ipam = MemoryIpam::new().with_log(log.clone());
        let p1 = ipam.insert_prefix(net("10.0.1.0/24"), None);
        let p2 = ipam.insert_prefix(net("10.0.2.0/24"), None);
        let managed_gone = ipam
            .insert_ip(
                net("10.0.1.22/24"),
                None,
                fields("dhcp", "old-host", Some("aa-00-00-00-00-22")),
                &[],
            )
            .unwrap();
        let protected = ipam
            .insert_ip(
                net("10.0.1.21/24"),
                None,
                fields("active", "server21", Some("cc-00-00-00-00-21")),
                &["sync-protected"],
            )
            .unwrap();
        let prestaged = ipam
            .insert_ip(
                net("10.0.1.60/24"),
                None,
                fields("reserved", "planned-host", None),
                &[],
            )
            .unwrap();
        let manual_reserved = ipam
            .insert_ip(
                net("10.0.1.70/24"),
                None,
                fields("reserved", "manual", Some("dd-00-00-00-00-70")),
                &[],
            )
            .unwrap();

        // --- Inventory -------------------------------------------------------------------
        let mut doc = InventoryDocument {
            settings: settings(),
            ..InventoryDocument::default()
        };
        doc.upsert_server(D1, true);
        doc.upsert_server(D2, false);
        doc.upsert_server(D3, false);
        doc.upsert_failover(FO, D1, D2, true);
        doc.inventory.lease_info.insert(
            managed_gone,
            LeaseInfo {
                hostname: "old-host".into(),
                active: true,
                expires: None,
            },
        );
        let scope_a = 101;
        let scope_b = 102;
        let mut inv_a = inventory_scope(scope_a, &server_scope("10.0.1.0/24", "Office", None));
        inv_a.prefix_id = Some(p1);
        inv_a.source = ScopeSourceRef::Server(D1.into());
        // Differs from the server: pull mode renames it.
        inv_a.name = "Office (old name)".to_owned();
        let mut inv_b = inventory_scope(scope_b, &server_scope("10.0.2.0/24", "Lab", Some(FO)));
        inv_b.prefix_id = Some(p2);
        inv_b.source = ScopeSourceRef::Failover(FO.to_owned());
        doc.inventory.scopes.insert(scope_a, inv_a);
        doc.inventory.scopes.insert(scope_b, inv_b);
        doc.next_id = 1000;
        let inventory = MemoryInventory::from_document(doc).with_log(log.clone());

        Self {
            log,
            fleet,
            d1,
            d2,
            ipam,
            inventory,
            managed_gone,
            protected,
            prestaged,
            manual_reserved,
            scope_a,
            scope_b,
        }
    }
}

pub(crate) fn inventory_scope(id: ObjectId, s: &ServerScope) -> InventoryScope {
    InventoryScope {
        id,
        name: s.name.clone(),
        description: s.description.clone(),
        network: s.network,
        prefix_id: None,
        start: s.start,
        end: s.end,
        router: s.router,
        lease_lifetime_secs: s.lease_lifetime_secs,
        active: s.active,
        source: ScopeSourceRef::Unassigned,
        exclusions: Vec::new(),
        option_value_ids: Default::default(),
    }
}
