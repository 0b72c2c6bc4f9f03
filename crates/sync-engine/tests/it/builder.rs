//! A small snapshot builder for table-driven planner tests.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;
use windhcp_sync_engine::plan::{Action, Plan, PlannedAction};
use windhcp_sync_engine::snapshot::{
    AddressRange, DeletionBudget, EmptyReadGuard, InventoryExclusion, InventoryFailover,
    InventoryScope, InventoryServer, IpamAddress, IpamPrefix, LeaseInfo, LeaseState, Read,
    ScopeSourceRef, ServerLease, ServerRead, ServerReservation, ServerScope, Snapshot,
};

pub const S1: &str = "dhcp1.example.com";
pub const S2: &str = "dhcp2.example.com";
pub const NET: &str = "10.0.1.0/24";

pub fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

pub fn net(s: &str) -> Ipv4Network {
    s.parse().unwrap()
}

#[derive(Debug, Clone)]
pub struct B {
    pub snap: Snapshot,
}

impl B {
    /// Empty snapshot: IP sync on, no budget, no empty-read guard.
    pub fn empty() -> Self {
        let mut snap = Snapshot::default();
        snap.settings.sync_ip_addresses = true;
        snap.settings.deletion_budget = DeletionBudget::unlimited();
        snap.settings.empty_guard = EmptyReadGuard {
            min_managed_ips: 0,
            min_scopes: 0,
        };
        Self { snap }
    }

    /// One standalone server `S1` with scope 1 (`10.0.1.0/24`, range .10–.254) on prefix 1
    /// (global VRF), read successfully with no leases or reservations.
    pub fn std() -> Self {
        Self::empty()
            .server(S1, true)
            .prefix(1, NET, None)
            .scope(1, NET, Some(1), ScopeSourceRef::Server(S1.into()))
            .remote_scope(S1, NET, None)
    }

    pub fn server(mut self, name: &str, sync_standalone: bool) -> Self {
        let id = self.snap.inventory.servers.len() as u64 + 1;
        self.snap.inventory.servers.insert(
            name.into(),
            InventoryServer {
                id,
                hostname: name.into(),
                sync_standalone,
            },
        );
        self
    }

    pub fn failover(mut self, name: &str, primary: &str, partner: &str, enabled: bool) -> Self {
        let id = self.snap.inventory.failovers.len() as u64 + 1;
        self.snap.inventory.failovers.insert(
            name.into(),
            InventoryFailover {
                id,
                name: name.into(),
                primary: primary.into(),
                partner: partner.into(),
                sync_enabled: enabled,
            },
        );
        self
    }

    pub fn prefix(mut self, id: u64, prefix: &str, vrf: Option<u64>) -> Self {
        self.snap.ipam.prefixes.insert(
            id,
            IpamPrefix {
                id,
                prefix: net(prefix),
                vrf,
            },
        );
        self
    }

    pub fn scope(
        mut self,
        id: u64,
        network: &str,
        prefix: Option<u64>,
        source: ScopeSourceRef,
    ) -> Self {
        let n = net(network);
        let base = u32::from(n.network());
        self.snap.inventory.scopes.insert(
            id,
            InventoryScope {
                id,
                name: format!("scope-{id}"),
                description: String::new(),
                network: n,
                prefix_id: prefix,
                start: Ipv4Addr::from(base + 10),
                end: Ipv4Addr::from(u32::from(n.broadcast()) - 1),
                router: None,
                lease_lifetime_secs: Some(86_400),
                active: true,
                source,
                exclusions: Vec::new(),
                option_value_ids: Default::default(),
            },
        );
        self
    }

    pub fn scope_mut(&mut self, id: u64) -> &mut InventoryScope {
        self.snap.inventory.scopes.get_mut(&id).unwrap()
    }

    pub fn inventory_exclusion(mut self, scope: u64, id: u64, start: &str, end: &str) -> Self {
        self.scope_mut(scope).exclusions.push(InventoryExclusion {
            id,
            start: ip(start),
            end: ip(end),
        });
        self
    }

    pub fn read_mut(&mut self, server: &str) -> &mut ServerRead {
        self.snap
            .servers
            .entry(server.into())
            .or_insert_with(|| ServerRead {
                scopes: Read::Ok(BTreeMap::new()),
                failovers: Read::Ok(Vec::new()),
                leases: BTreeMap::new(),
                reservations: BTreeMap::new(),
                exclusions: BTreeMap::new(),
                options: BTreeMap::new(),
            })
    }

    /// A scope on the server (same range as [`B::scope`]) with empty, successful reads.
    pub fn remote_scope(mut self, server: &str, network: &str, failover: Option<&str>) -> Self {
        let n = net(network);
        let base = u32::from(n.network());
        let read = self.read_mut(server);
        if let Read::Ok(scopes) = &mut read.scopes {
            scopes.insert(
                n.network(),
                ServerScope {
                    network: n,
                    name: String::new(),
                    description: String::new(),
                    start: Ipv4Addr::from(base + 10),
                    end: Ipv4Addr::from(u32::from(n.broadcast()) - 1),
                    router: None,
                    lease_lifetime_secs: Some(86_400),
                    active: true,
                    failover: failover.map(Into::into),
                },
            );
        }
        read.leases.insert(n.network(), Read::Ok(Vec::new()));
        read.reservations.insert(n.network(), Read::Ok(Vec::new()));
        read.exclusions.insert(n.network(), Read::Ok(Vec::new()));
        read.options.insert(n.network(), Read::Ok(Vec::new()));
        self
    }

    /// Make the remote scope's name equal to the inventory scope's (so no attribute diff).
    pub fn same_names(mut self) -> Self {
        let names: Vec<(Ipv4Addr, String)> = self
            .snap
            .inventory
            .scopes
            .values()
            .map(|s| (s.network.network(), s.name.clone()))
            .collect();
        for read in self.snap.servers.values_mut() {
            if let Read::Ok(scopes) = &mut read.scopes {
                for (sid, name) in &names {
                    if let Some(rs) = scopes.get_mut(sid) {
                        rs.name.clone_from(name);
                    }
                }
            }
        }
        self
    }

    pub fn lease_state(
        mut self,
        server: &str,
        scope: &str,
        addr: &str,
        client: &str,
        host: &str,
        state: LeaseState,
    ) -> Self {
        let sid = net(scope).network();
        let read = self.read_mut(server);
        if let Read::Ok(v) = read.leases.entry(sid).or_insert(Read::Ok(Vec::new())) {
            v.push(ServerLease {
                ip: ip(addr),
                client_id: client.into(),
                hostname: host.into(),
                state,
                expires: Some("2030-01-01T00:00:00Z".into()),
            });
        }
        self
    }

    pub fn lease(self, server: &str, scope: &str, addr: &str, client: &str, host: &str) -> Self {
        self.lease_state(server, scope, addr, client, host, LeaseState::Active)
    }

    pub fn reservation(
        mut self,
        server: &str,
        scope: &str,
        addr: &str,
        client: &str,
        name: &str,
    ) -> Self {
        let sid = net(scope).network();
        let read = self.read_mut(server);
        if let Read::Ok(v) = read.reservations.entry(sid).or_insert(Read::Ok(Vec::new())) {
            v.push(ServerReservation {
                ip: ip(addr),
                client_id: client.into(),
                name: name.into(),
                description: Default::default(),
            });
        }
        self
    }

    pub fn remote_exclusion(mut self, server: &str, scope: &str, start: &str, end: &str) -> Self {
        let sid = net(scope).network();
        let read = self.read_mut(server);
        if let Read::Ok(v) = read.exclusions.entry(sid).or_insert(Read::Ok(Vec::new())) {
            v.push(AddressRange {
                start: ip(start),
                end: ip(end),
            });
        }
        self
    }

    pub fn fail_leases(mut self, server: &str, scope: &str) -> Self {
        let sid = net(scope).network();
        self.read_mut(server).leases.insert(
            sid,
            Read::Failed {
                error: "HTTP 500".into(),
            },
        );
        self
    }

    pub fn fail_scopes(mut self, server: &str) -> Self {
        self.read_mut(server).scopes = Read::Failed {
            error: "connection refused".into(),
        };
        self
    }

    #[allow(clippy::too_many_arguments)]
    pub fn nb_ip(
        mut self,
        id: u64,
        address: &str,
        vrf: Option<u64>,
        status: &str,
        dns: &str,
        client: Option<&str>,
        tags: &[&str],
    ) -> Self {
        self.snap.ipam.ip_addresses.insert(
            id,
            IpamAddress {
                id,
                address: net(address),
                vrf,
                status: status.into(),
                dns_name: dns.into(),
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                dhcp_client_id: client.map(Into::into),
                etag: None,
            },
        );
        self
    }

    /// Mark an IP as DHCP-managed (it has a lease-info row).
    pub fn managed(mut self, id: u64) -> Self {
        self.snap.inventory.lease_info.insert(
            id,
            LeaseInfo {
                hostname: Default::default(),
                active: false,
                expires: None,
            },
        );
        self
    }

    pub fn with(mut self, f: impl FnOnce(&mut Snapshot)) -> Self {
        f(&mut self.snap);
        self
    }

    pub fn plan(&self) -> Plan {
        windhcp_sync_engine::planner::plan_sync(&self.snap)
    }
}

pub fn kinds(plan: &Plan) -> Vec<&'static str> {
    plan.actions.iter().map(|a| a.action.kind_name()).collect()
}

pub fn of_kind<'p>(plan: &'p Plan, kind: &str) -> Vec<&'p PlannedAction> {
    plan.actions
        .iter()
        .filter(|a| a.action.kind_name() == kind)
        .collect()
}

/// IP-level actions (create/update/downgrade/delete), ignoring lease info.
pub fn ip_actions(plan: &Plan) -> Vec<&Action> {
    plan.actions
        .iter()
        .map(|a| &a.action)
        .filter(|a| {
            matches!(
                a,
                Action::CreateIp { .. }
                    | Action::UpdateIp { .. }
                    | Action::DowngradeIp { .. }
                    | Action::DeleteIp { .. }
            )
        })
        .collect()
}
