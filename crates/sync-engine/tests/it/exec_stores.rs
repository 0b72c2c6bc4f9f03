//! The in-memory and file-backed stores behave like the real things where the sync relies on
//! it: uniqueness, ETags, atomic bulk writes, the server's reservation rules, durable files.

use windhcp_sync_engine::CompactString;
use windhcp_sync_engine::inventory_file::{FileInventory, InventoryDocument};
use windhcp_sync_engine::memory::{MemoryDhcpServer, MemoryIpam};
use windhcp_sync_engine::plan::{OptionValueSpec, ScopeChange};
use windhcp_sync_engine::snapshot::{AddressRange, ScopeSourceRef};
use windhcp_sync_engine::source::{
    DhcpError, DhcpServer, Inventory, InventoryError, InventoryWrite, IpUpdate, Ipam, IpamError,
    NewIp, ReservationWrite,
};

use crate::exec_estate::{D1, D2, FO, fields, ip, net, server_scope};

fn new_ip(address: &str, vrf: Option<u64>) -> NewIp {
    NewIp {
        address: net(address),
        vrf,
        fields: fields("dhcp", "h", None),
        changelog_message: "test".to_owned(),
    }
}

#[tokio::test]
async fn ipam_enforces_uniqueness_per_vrf_and_atomic_bulk() {
    let ipam = MemoryIpam::new();
    let first = ipam
        .create_ips(&[new_ip("10.0.0.1/24", None)])
        .await
        .unwrap();
    assert!(first[0].is_ok());
    // Same host with another mask in the same VRF: duplicate, and the whole bulk is refused.
    let err = ipam
        .create_ips(&[new_ip("10.0.0.2/24", None), new_ip("10.0.0.1/32", None)])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        IpamError::Duplicate {
            address: ip("10.0.0.1"),
            vrf: None
        }
    );
    assert!(
        ipam.ip_at(ip("10.0.0.2"), None).is_none(),
        "atomic bulk wrote an item"
    );
    // Another VRF is fine.
    let other = ipam
        .create_ips(&[new_ip("10.0.0.1/24", Some(7))])
        .await
        .unwrap();
    assert!(other[0].is_ok());

    // Item-by-item mode reports each item.
    let lenient = MemoryIpam::new().with_atomic_bulk(false);
    lenient
        .create_ips(&[new_ip("10.0.0.1/24", None)])
        .await
        .unwrap();
    let results = lenient
        .create_ips(&[new_ip("10.0.0.2/24", None), new_ip("10.0.0.1/24", None)])
        .await
        .unwrap();
    assert!(results[0].is_ok() && results[1].is_err());
    assert!(lenient.ip_at(ip("10.0.0.2"), None).is_some());
}

#[tokio::test]
async fn ipam_etags_change_with_every_write() {
    let ipam = MemoryIpam::new();
    let id = ipam
        .insert_ip(net("10.0.0.5/24"), None, fields("dhcp", "a", None), &[])
        .unwrap();
    let before = ipam.get_ip(id).await.unwrap().unwrap();
    let tag = before.etag.clone().unwrap();
    // Lists carry no ETag, like NetBox.
    assert!(ipam.list_ips(None).await.unwrap()[0].etag.is_none());

    let update = |etag: Option<CompactString>, dns: &str| IpUpdate {
        id,
        etag,
        fields: fields("dhcp", dns, None),
        changelog_message: "m".to_owned(),
    };
    ipam.update_ips(&[update(Some(tag.clone()), "b")])
        .await
        .unwrap();
    let after = ipam.get_ip(id).await.unwrap().unwrap();
    assert_ne!(after.etag, before.etag);
    let err = ipam
        .update_ips(&[update(Some(tag), "c")])
        .await
        .unwrap_err();
    assert_eq!(err, IpamError::PreconditionFailed { id });
    assert_eq!(ipam.ip(id).unwrap().dns_name, "b");
    assert_eq!(ipam.changelog().len(), 1);
}

#[tokio::test]
async fn dhcp_server_keeps_its_reservation_rules() {
    let server = MemoryDhcpServer::new(D1);
    server.add_scope(server_scope("10.0.1.0/24", "A", None));
    let scope = ip("10.0.1.0");
    let write = |addr: &str, client: &str| ReservationWrite {
        scope,
        ip: ip(addr),
        client_id: client.to_owned(),
        name: "n".to_owned(),
    };
    let results = server
        .create_reservations(&[
            write("10.0.1.50", "aa-bb-cc-dd-ee-01"),
            // Same client id in the same scope: refused.
            write("10.0.1.51", "AA-BB-CC-DD-EE-01"),
            // Outside the scope: refused.
            write("10.0.2.5", "aa-bb-cc-dd-ee-02"),
            // Same address again: refused.
            write("10.0.1.50", "aa-bb-cc-dd-ee-03"),
        ])
        .await
        .unwrap();
    assert!(results[0].is_ok());
    for r in &results[1..] {
        assert!(matches!(r, Err(DhcpError::Rejected { .. })), "{r:?}");
    }
    let overlap = server
        .create_exclusion(
            scope,
            AddressRange {
                start: ip("10.0.1.100"),
                end: ip("10.0.1.110"),
            },
        )
        .await;
    assert!(overlap.is_ok());
    let overlap = server
        .create_exclusion(
            scope,
            AddressRange {
                start: ip("10.0.1.105"),
                end: ip("10.0.1.120"),
            },
        )
        .await;
    assert!(matches!(overlap, Err(DhcpError::Rejected { .. })));
    let missing = server.list_leases(ip("10.9.9.0")).await;
    assert!(matches!(missing, Err(DhcpError::NotFound { .. })));
}

#[tokio::test]
async fn failover_partners_share_only_failover_scopes() {
    let primary = MemoryDhcpServer::new(D1);
    primary.add_failover(FO, D2);
    let partner = primary.partner(D2);
    primary.add_scope(server_scope("10.0.1.0/24", "standalone", None));
    primary.add_scope(server_scope("10.0.2.0/24", "shared", Some(FO)));
    let seen: Vec<_> = partner.list_scopes().await.unwrap().into_keys().collect();
    assert_eq!(seen, vec![ip("10.0.2.0")]);
    assert_eq!(primary.list_scopes().await.unwrap().len(), 2);
    // Each side reports itself as the relationship's "primary", as Windows does.
    let as_partner = partner.list_failovers().await.unwrap();
    assert_eq!(as_partner[0].primary_server, D2);
    assert_eq!(as_partner[0].partner_server, D1);
    assert!(as_partner[0].scope_ids.contains(&ip("10.0.2.0")));
}

#[test]
fn inventory_document_rules() {
    let mut doc = InventoryDocument::default();
    doc.upsert_server(D1, true);
    let spec = OptionValueSpec {
        code: 6,
        vendor_class: String::new(),
        values: vec!["10.0.0.53".to_owned()],
    };
    let create = InventoryWrite::CreateOptionValue {
        value: spec,
        name: "DNS".to_owned(),
    };
    let a = doc.apply(&create).unwrap();
    let b = doc.apply(&create).unwrap();
    assert!(a.is_some());
    assert_eq!(a, b, "identical option values must be shared");

    let s = server_scope("10.0.1.0/24", "A", None);
    let scope = windhcp_sync_engine::plan::ScopeSpec {
        network: s.network,
        name: s.name,
        description: String::new(),
        start: s.start,
        end: s.end,
        router: None,
        lease_lifetime_secs: Some(3600),
        active: true,
    };
    let create_scope = InventoryWrite::CreateScope {
        scope,
        prefix_id: None,
        source: ScopeSourceRef::Server(D1.into()),
    };
    let scope_id = doc.apply(&create_scope).unwrap().unwrap();
    assert!(matches!(
        doc.apply(&create_scope),
        Err(InventoryError::Conflict { .. })
    ));
    let range = |s: &str, e: &str| AddressRange {
        start: ip(s),
        end: ip(e),
    };
    let excl = doc
        .apply(&InventoryWrite::CreateExclusion {
            scope_id,
            range: range("10.0.1.100", "10.0.1.110"),
        })
        .unwrap()
        .unwrap();
    assert!(matches!(
        doc.apply(&InventoryWrite::CreateExclusion {
            scope_id,
            range: range("10.0.1.110", "10.0.1.120"),
        }),
        Err(InventoryError::Conflict { .. })
    ));
    doc.apply(&InventoryWrite::UpdateScope {
        id: scope_id,
        changes: vec![ScopeChange::Name {
            before: "A".to_owned(),
            after: "Renamed".to_owned(),
        }],
    })
    .unwrap();
    assert_eq!(doc.inventory.scopes[&scope_id].name, "Renamed");
    // Every id is distinct.
    let server_id = doc.inventory.servers[D1].id;
    let ids = [server_id, a.unwrap(), scope_id, excl];
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len());
    doc.apply(&InventoryWrite::DeleteScope { id: scope_id })
        .unwrap();
    assert!(matches!(
        doc.apply(&InventoryWrite::DeleteExclusion { id: excl }),
        Err(InventoryError::NotFound { .. })
    ));
}

#[tokio::test]
async fn file_inventory_persists_atomically_and_sees_hand_edits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.json");
    let store = FileInventory::new(&path);
    // A missing file is an empty inventory.
    assert!(store.read_inventory().await.unwrap().scopes.is_empty());
    assert!(!path.exists());

    store
        .update(|doc| {
            doc.upsert_server(D1, true);
        })
        .await
        .unwrap();
    let results = store
        .apply(
            &[
                InventoryWrite::CreateFailover {
                    name: FO.to_owned(),
                    primary: D1.into(),
                    partner: D2.into(),
                    mode: "LoadBalance".to_owned(),
                },
                InventoryWrite::DeleteScope { id: 424_242 },
            ],
            "m",
        )
        .await
        .unwrap();
    assert!(results[0].as_ref().unwrap().is_some());
    assert!(matches!(results[1], Err(InventoryError::NotFound { .. })));

    // A second handle (a later run) sees the data; imported failovers start disabled.
    let again = FileInventory::new(&path);
    let inventory = again.read_inventory().await.unwrap();
    assert!(inventory.servers.contains_key(D1));
    assert!(!inventory.failovers[FO].sync_enabled);
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["inventory.json".to_owned()]);

    // A hand edit of the settings is picked up.
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["settings"]["push_reservations"] = serde_json::Value::Bool(true);
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    assert!(again.read_settings().await.unwrap().push_reservations);

    // A damaged file is reported, not treated as empty.
    std::fs::write(&path, b"{ not json").unwrap();
    assert!(matches!(
        again.read_inventory().await,
        Err(InventoryError::Corrupt { .. })
    ));
}
