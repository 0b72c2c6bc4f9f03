//! The NetBox IPAM adapter against the real NetBox (feature `netbox`).
//!
//! Needs `NETBOX_URL` + `NETBOX_TOKEN` (`eval "$(cat /var/tmp/netbox-windhcp/env)"`). Without
//! them, or with NetBox down, each test prints `SKIPPED …` and passes, unless
//! `WINDHCP_REQUIRE_NETBOX=1`, which makes that a failure. Every test works in its own VRF
//! (unique name, `enforce_unique`) and deletes what it made.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;
use ipnetwork::Ipv4Network;
use windhcp_netbox_client::{
    IpAddressWrite, ListQuery, NetBoxClient, RetryPolicy, Token, VrfFilter, VrfWrite, WriteOptions,
};
use windhcp_sync_engine::CompactString;
use windhcp_sync_engine::adapters::netbox::{EtagMode, NetBoxIpam};
use windhcp_sync_engine::executor::{ActionStatus, Executor};
use windhcp_sync_engine::gather::{GatherOptions, gather};
use windhcp_sync_engine::inventory_file::InventoryDocument;
use windhcp_sync_engine::memory::{MemoryDhcpServer, MemoryFleet, MemoryInventory};
use windhcp_sync_engine::planner::plan_sync;
use windhcp_sync_engine::snapshot::{ObjectId, ScopeSourceRef};
use windhcp_sync_engine::source::{
    IpDelete, IpUpdate, Ipam, IpamError, NewIp, NewPrefix, NoProgress, Sources,
};

use crate::exec_estate::{fields, inventory_scope, lease, reservation, server_scope, settings};

const PROTECT: &str = "sync-protected";

/// A client for the NetBox in the environment, or `None` (skipped, visibly).
#[allow(clippy::print_stderr)] // the visible SKIPPED line is the point
async fn live(test: &str) -> Option<NetBoxClient> {
    let require = std::env::var("WINDHCP_REQUIRE_NETBOX").is_ok_and(|v| v == "1");
    let url = std::env::var("NETBOX_URL").ok().filter(|s| !s.is_empty());
    let token = std::env::var("NETBOX_TOKEN").ok().filter(|s| !s.is_empty());
    let (Some(url), Some(token)) = (url, token) else {
        assert!(
            !require,
            "{test}: WINDHCP_REQUIRE_NETBOX=1 but NETBOX_URL/NETBOX_TOKEN are not set \
             (run `eval \"$(cat /var/tmp/netbox-windhcp/env)\"`)"
        );
        eprintln!(
            "SKIPPED {test}: NETBOX_URL/NETBOX_TOKEN not set \
             (set WINDHCP_REQUIRE_NETBOX=1 to make this a failure)"
        );
        return None;
    };
    let nb = NetBoxClient::builder(url.clone())
        .token(Token::new(token))
        .changelog_message(format!("windhcp-sync-engine it: {test}"))
        .retry(RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        })
        .build()
        .expect("client");
    match nb.status().await {
        Ok(_) => Some(nb),
        Err(e) => {
            assert!(
                !require,
                "{test}: WINDHCP_REQUIRE_NETBOX=1 but NetBox at {url} is not usable: {e}"
            );
            eprintln!("SKIPPED {test}: NetBox at {url} is not usable: {e}");
            None
        }
    }
}

/// A number unique enough for names and address blocks of one run.
fn nonce() -> u64 {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    u64::try_from(t % 1_000_000_007).unwrap() ^ u64::from(std::process::id())
}

/// A private VRF for one test.
async fn test_vrf(nb: &NetBoxClient, test: &str) -> ObjectId {
    let body = VrfWrite {
        name: Some(format!("{test}-{:x}", nonce())),
        enforce_unique: Some(true),
        ..VrfWrite::default()
    };
    nb.vrfs()
        .create(&body, &WriteOptions::default())
        .await
        .expect("create vrf")
        .value
        .id
}

/// Deletes the VRF's IPs and prefixes, then the VRF.
async fn cleanup(nb: &NetBoxClient, vrf: ObjectId) {
    let opts = WriteOptions::message("windhcp-sync-engine it: cleanup");
    let q = ListQuery::new()
        .vrf(VrfFilter::Id(vrf))
        .fields(["id", "address"]);
    let ips: Vec<u64> = nb
        .ip_addresses()
        .list(&q)
        .map_ok(|ip| ip.id)
        .try_collect()
        .await
        .expect("list ips for cleanup");
    if !ips.is_empty() {
        let out = nb.ip_addresses().bulk_delete(&ips, &opts).await.unwrap();
        assert!(out.is_complete(), "cleanup left IPs: {:?}", out.failed);
    }
    let q = ListQuery::new()
        .vrf(VrfFilter::Id(vrf))
        .fields(["id", "prefix"]);
    let prefixes: Vec<u64> = nb
        .prefixes()
        .list(&q)
        .map_ok(|p| p.id)
        .try_collect()
        .await
        .expect("list prefixes for cleanup");
    if !prefixes.is_empty() {
        let out = nb.prefixes().bulk_delete(&prefixes, &opts).await.unwrap();
        assert!(out.is_complete(), "cleanup left prefixes: {:?}", out.failed);
    }
    nb.vrfs().delete(vrf, &opts).await.expect("delete vrf");
}

/// A /24 in 10.200.0.0/13 picked from the nonce (the VRF is private, so overlaps with other
/// tests do not matter; this only keeps the log readable).
fn block() -> Ipv4Network {
    let n = nonce();
    let second = 200 + u8::try_from(n % 8).unwrap();
    let third = u8::try_from((n / 8) % 256).unwrap();
    Ipv4Network::new(Ipv4Addr::new(10, second, third, 0), 24).unwrap()
}

fn host(block: Ipv4Network, last: u8) -> Ipv4Network {
    let o = block.network().octets();
    Ipv4Network::new(Ipv4Addr::new(o[0], o[1], o[2], last), 24).unwrap()
}

fn new_ip(address: Ipv4Network, vrf: ObjectId, msg: &str) -> NewIp {
    NewIp {
        address,
        vrf: Some(vrf),
        fields: fields(
            "dhcp",
            &format!("h{}.example", address.ip().octets()[3]),
            None,
        ),
        changelog_message: msg.to_owned(),
    }
}

#[tokio::test]
async fn netbox_adapter_creates_lists_updates_and_deletes() {
    let test = "netbox_adapter_crud";
    let Some(nb) = live(test).await else { return };
    let vrf = test_vrf(&nb, "nbad-crud").await;
    let net = block();
    let ipam = NetBoxIpam::new(nb.clone());
    assert!(!format!("{ipam:?}").contains(&std::env::var("NETBOX_TOKEN").unwrap()));
    ipam.bootstrap().await.unwrap();

    // A prefix through the trait, seen by list_prefixes.
    let prefix = ipam
        .create_prefix(&NewPrefix {
            prefix: net,
            vrf: Some(vrf),
            status: "active".to_owned(),
            changelog_message: "nbad: prefix".to_owned(),
        })
        .await
        .unwrap();
    assert_eq!((prefix.prefix, prefix.vrf), (net, Some(vrf)));
    assert!(ipam.list_prefixes().await.unwrap().contains(&prefix));

    // Three creates under two messages, plus a duplicate of the first: only it fails.
    let mut with_client = new_ip(host(net, 12), vrf, "nbad: reason b");
    with_client.fields.dhcp_client_id = Some("aa-bb-cc-00-00-12".into());
    let items = vec![
        new_ip(host(net, 11), vrf, "nbad: reason a"),
        with_client,
        new_ip(host(net, 13), vrf, "nbad: reason a"),
        new_ip(host(net, 11), vrf, "nbad: reason b"),
    ];
    let created = ipam.create_ips(&items).await.unwrap();
    assert_eq!(created.len(), 4);
    for (i, r) in created.iter().take(3).enumerate() {
        let a = r.as_ref().unwrap_or_else(|e| panic!("item {i}: {e}"));
        assert_eq!(a.address, items[i].address);
        assert_eq!(a.vrf, Some(vrf));
        assert_eq!(a.status, "dhcp");
        assert_eq!(a.dns_name, items[i].fields.dns_name);
        assert!(a.etag.is_some());
    }
    assert_eq!(
        created[1].as_ref().unwrap().dhcp_client_id.as_deref(),
        Some("aa-bb-cc-00-00-12")
    );
    match &created[3] {
        Err(IpamError::Duplicate { address, vrf: v }) => {
            assert_eq!(*address, host(net, 11).ip());
            assert_eq!(*v, Some(vrf));
        }
        other => panic!("duplicate not reported: {other:?}"),
    }
    let ids: Vec<ObjectId> = created
        .iter()
        .take(3)
        .map(|r| r.as_ref().unwrap().id)
        .collect();

    // The protected tag comes back in list_ips.
    nb.ensure_tag(
        "Sync protected",
        PROTECT,
        "9e9e9e",
        &WriteOptions::default(),
    )
    .await
    .unwrap();
    nb.ip_addresses()
        .patch(
            ids[2],
            &IpAddressWrite::default().tags([PROTECT]),
            &WriteOptions::message("nbad: tag"),
        )
        .await
        .unwrap();
    let listed = ipam.list_ips(Some(vrf)).await.unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}");
    let tagged = listed.iter().find(|a| a.id == ids[2]).unwrap();
    assert!(tagged.tags.contains(PROTECT), "{tagged:?}");
    let second = listed.iter().find(|a| a.id == ids[1]).unwrap();
    assert_eq!(second.dhcp_client_id.as_deref(), Some("aa-bb-cc-00-00-12"));
    // The ETag derived from the listing is the one NetBox sends for the object.
    let fetched = ipam.get_ip(ids[0]).await.unwrap().unwrap();
    let listed_first = listed.iter().find(|a| a.id == ids[0]).unwrap();
    assert_eq!(fetched.etag, listed_first.etag);
    assert!(fetched.etag.is_some());

    // Update with the current ETag lands; the old ETag is then stale.
    let old_etag = fetched.etag.clone();
    let update = |etag: Option<CompactString>, dns: &str, client: Option<&str>| IpUpdate {
        id: ids[0],
        etag,
        fields: fields("reserved", dns, client),
        changelog_message: "nbad: update".to_owned(),
    };
    let r = ipam
        .update_ips(&[update(
            old_etag.clone(),
            "renamed",
            Some("aa-bb-cc-00-00-11"),
        )])
        .await
        .unwrap();
    assert!(r[0].is_ok(), "{r:?}");
    let now = ipam.get_ip(ids[0]).await.unwrap().unwrap();
    assert_eq!(now.status, "reserved");
    assert_eq!(now.dns_name, "renamed");
    assert_eq!(now.dhcp_client_id.as_deref(), Some("aa-bb-cc-00-00-11"));
    assert_ne!(now.etag, old_etag);
    let r = ipam
        .update_ips(&[update(old_etag.clone(), "lost", None)])
        .await
        .unwrap();
    assert_eq!(r[0], Err(IpamError::PreconditionFailed { id: ids[0] }));
    // The pre-checked mode sees the stale ETag too, and writes a fresh one (and a
    // tag-less update, in bulk) in the same call; clearing the client id sends null.
    let fast = NetBoxIpam::new(nb.clone()).with_etag_mode(EtagMode::Prechecked);
    let r = fast
        .update_ips(&[
            update(old_etag.clone(), "lost", None),
            IpUpdate {
                id: ids[1],
                etag: None,
                fields: fields("dhcp", "bulk-updated", None),
                changelog_message: "nbad: update".to_owned(),
            },
            update(now.etag.clone(), "fresh", None),
        ])
        .await
        .unwrap();
    assert_eq!(r[0], Err(IpamError::PreconditionFailed { id: ids[0] }));
    assert!(r[1].is_ok() && r[2].is_ok(), "{r:?}");
    let after = ipam.get_ip(ids[0]).await.unwrap().unwrap();
    assert_eq!(after.dns_name, "fresh");
    assert_eq!(after.dhcp_client_id, None);
    let b = ipam.get_ip(ids[1]).await.unwrap().unwrap();
    assert_eq!(
        (b.dns_name.as_str(), b.dhcp_client_id),
        ("bulk-updated", None)
    );

    // Delete: a stale ETag refuses, the current one deletes, a second delete fails.
    let del = |id, etag| IpDelete {
        id,
        etag,
        changelog_message: "nbad: delete".to_owned(),
    };
    let r = ipam.delete_ips(&[del(ids[0], old_etag)]).await.unwrap();
    assert_eq!(r[0], Err(IpamError::PreconditionFailed { id: ids[0] }));
    assert!(ipam.get_ip(ids[0]).await.unwrap().is_some());
    let r = ipam
        .delete_ips(&[del(ids[0], after.etag.clone()), del(ids[1], None)])
        .await
        .unwrap();
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    assert_eq!(ipam.get_ip(ids[0]).await.unwrap(), None);
    assert_eq!(ipam.get_ip(ids[1]).await.unwrap(), None);
    let r = ipam.delete_ips(&[del(ids[1], None)]).await.unwrap();
    assert!(r[0].is_err(), "deleting a missing IP succeeded: {r:?}");
    let r = fast
        .delete_ips(&[del(ids[0], after.etag.clone())])
        .await
        .unwrap();
    assert_eq!(r[0], Err(IpamError::NotFound { id: ids[0] }));

    // Only the protected one is left.
    let left = ipam.list_ips(Some(vrf)).await.unwrap();
    assert_eq!(left.iter().map(|a| a.id).collect::<Vec<_>>(), vec![ids[2]]);

    cleanup(&nb, vrf).await;
}

#[tokio::test]
async fn netbox_adapter_sync_round_trip() {
    let test = "netbox_adapter_round_trip";
    let Some(nb) = live(test).await else { return };
    let vrf = test_vrf(&nb, "nbad-sync").await;
    let net = block();
    let ipam = Arc::new(NetBoxIpam::new(nb.clone()));
    nb.ensure_tag(
        "Sync protected",
        PROTECT,
        "9e9e9e",
        &WriteOptions::default(),
    )
    .await
    .unwrap();

    // NetBox: the scope's prefix, one lease IP with an outdated DNS name, one stale managed IP
    // (its lease is gone) and one protected IP the sync must leave alone.
    let prefix = ipam
        .create_prefix(&NewPrefix {
            prefix: net,
            vrf: Some(vrf),
            status: "active".to_owned(),
            changelog_message: "nbad: prefix".to_owned(),
        })
        .await
        .unwrap();
    let a = |last: u8| host(net, last);
    let s = |last: u8| a(last).ip().to_string();
    let seeded = ipam
        .create_ips(&[
            NewIp {
                address: a(20),
                vrf: Some(vrf),
                fields: fields("dhcp", "old-name", Some("aa-00-00-00-00-20")),
                changelog_message: "nbad: seed".to_owned(),
            },
            NewIp {
                address: a(21),
                vrf: Some(vrf),
                fields: fields("active", "server21", Some("cc-00-00-00-00-21")),
                changelog_message: "nbad: seed".to_owned(),
            },
        ])
        .await
        .unwrap();
    let protected = seeded[1].as_ref().unwrap().id;
    nb.ip_addresses()
        .patch(
            protected,
            &IpAddressWrite::default().tags([PROTECT]),
            &WriteOptions::message("nbad: tag"),
        )
        .await
        .unwrap();

    // DHCP: one standalone scope with three leases (one on the protected IP) and a
    // reservation.
    let scope = net.network();
    let d1 = MemoryDhcpServer::new("dhcp1");
    let fleet = MemoryFleet::new();
    fleet.add(d1.clone());
    let cidr = net.to_string();
    d1.add_scope(server_scope(&cidr, "Office", None));
    d1.add_lease(scope, lease(&s(20), "aa-00-00-00-00-20", "pc20"));
    d1.add_lease(scope, lease(&s(21), "aa-00-00-00-00-21", "pc21"));
    d1.add_lease(scope, lease(&s(22), "aa-00-00-00-00-22", "pc22"));
    d1.add_reservation(scope, reservation(&s(50), "aa-00-00-00-00-50", "Printer"));

    // Inventory: the scope, linked to the NetBox prefix.
    let mut doc = InventoryDocument {
        settings: settings(),
        ..InventoryDocument::default()
    };
    doc.upsert_server("dhcp1", true);
    let mut inv = inventory_scope(1, &server_scope(&cidr, "Office", None));
    inv.prefix_id = Some(prefix.id);
    inv.source = ScopeSourceRef::Server("dhcp1".into());
    doc.inventory.scopes.insert(1, inv);
    doc.next_id = 1000;
    let inventory = MemoryInventory::from_document(doc);

    let sources = Sources {
        dhcp: Arc::new(fleet),
        ipam: ipam.clone(),
        inventory: Arc::new(inventory),
    };
    let snap = gather(&sources, &GatherOptions::default(), &NoProgress)
        .await
        .unwrap();
    let plan = plan_sync(&snap);
    let kinds: Vec<&str> = plan.actions.iter().map(|p| p.action.kind_name()).collect();
    assert!(kinds.contains(&"create_ip"), "{kinds:?}");
    assert!(kinds.contains(&"update_ip"), "{kinds:?}");

    let report = Executor::new(sources.clone())
        .apply(&plan, &NoProgress)
        .await;
    assert!(
        report.is_complete(),
        "not all applied: {:#?}",
        report
            .outcomes
            .iter()
            .filter(|o| o.status != ActionStatus::Applied)
            .collect::<Vec<_>>()
    );

    let again = plan_sync(
        &gather(&sources, &GatherOptions::default(), &NoProgress)
            .await
            .unwrap(),
    );
    assert!(again.is_empty(), "second plan: {:#?}", again.actions);

    // The effects, read back from NetBox.
    let ips = ipam.list_ips(Some(vrf)).await.unwrap();
    let at = |last: u8| ips.iter().find(|i| i.address.ip() == a(last).ip());
    let renamed = at(20).expect("lease IP");
    assert_eq!(
        (renamed.status.as_str(), renamed.dns_name.as_str()),
        ("dhcp", "pc20")
    );
    let created = at(22).expect("new lease IP");
    assert_eq!(created.status, "dhcp");
    assert_eq!(created.dhcp_client_id.as_deref(), Some("aa-00-00-00-00-22"));
    let reserved = at(50).expect("reservation IP");
    assert_eq!(reserved.status, "reserved");
    let kept = at(21).expect("protected IP");
    assert_eq!(
        (kept.status.as_str(), kept.dns_name.as_str()),
        ("active", "server21")
    );
    assert!(kept.tags.contains(PROTECT));
    assert!(ips.iter().all(|i| i.vrf == Some(vrf)));

    cleanup(&nb, vrf).await;
}
