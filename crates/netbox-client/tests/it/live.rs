//! Tests against the real NetBox (`NETBOX_URL`, `NETBOX_TOKEN`, `NETBOX_TOKEN_V1`).
//!
//! Each test works in its own freshly created VRF(s) with unique names and deletes them at the
//! end, so tests run in parallel and repeatedly against one server.

use std::collections::HashSet;

use futures::TryStreamExt;
use ipnetwork::IpNetwork;
use serde_json::{Value, json};
use windhcp_dhcp_model::ClientId;
use windhcp_netbox_client::{
    BulkFailureReason, Error, IpAddressWrite, IpRangeWrite, ListQuery, NetBoxClient, Pagination,
    Token, VrfFilter, WriteOptions,
};

use crate::common::{cleanup, live, live_with_token, test_vrf, unique};

fn net(s: &str) -> IpNetwork {
    s.parse().unwrap()
}

fn opts(test: &str) -> WriteOptions {
    WriteOptions::message(format!("it {test}"))
}

#[tokio::test]
async fn single_ip_create_get_patch_filter_delete() {
    let Some(nb) = live("single_ip_crud").await else {
        return;
    };
    let vrf = test_vrf(&nb, "crud").await;
    let ep = nb.ip_addresses();
    let w = IpAddressWrite::new(net("10.10.0.5/24"))
        .vrf(Some(vrf.id))
        .status("reserved")
        .dns_name("host5.example.test")
        .description("created");
    let created = ep.create(&w, &opts("crud")).await.unwrap();
    assert!(created.meta.request_id.is_some(), "X-Request-ID captured");
    let ip = created.value;
    assert_eq!(ip.address, net("10.10.0.5/24"));
    assert_eq!(ip.vrf.as_ref().map(|v| v.id), Some(vrf.id));
    assert_eq!(ip.status.as_deref(), Some("reserved"));

    // PATCH only the description: dns_name and status stay.
    let patched = ep
        .patch(
            ip.id,
            &IpAddressWrite::default().description("patched"),
            &opts("crud"),
        )
        .await
        .unwrap()
        .value;
    assert_eq!(patched.description, "patched");
    assert_eq!(patched.dns_name, "host5.example.test");
    assert_eq!(patched.status.as_deref(), Some("reserved"));

    let q = ListQuery::new()
        .vrf(VrfFilter::Id(vrf.id))
        .status("reserved");
    let found: Vec<_> = ep.list_all(&q).await.unwrap();
    assert_eq!(found.iter().map(|i| i.id).collect::<Vec<_>>(), [ip.id]);
    let none = ep
        .list_all(&ListQuery::new().vrf(VrfFilter::Id(vrf.id)).status("active"))
        .await
        .unwrap();
    assert!(none.is_empty());
    let parent = ep
        .count(
            &ListQuery::new()
                .parent(net("10.10.0.0/16"))
                .vrf(VrfFilter::Id(vrf.id)),
        )
        .await
        .unwrap();
    assert_eq!(parent, 1);

    // The change log carries our message under the request id.
    let rid = created.meta.request_id.unwrap();
    let changes: Vec<Value> = nb
        .endpoint::<Value>("api/core/object-changes/")
        .list_all(&ListQuery::new().param("request_id", &rid))
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["message"], "it crud");

    ep.delete(ip.id, &opts("crud")).await.unwrap();
    assert!(matches!(ep.get(ip.id).await, Err(Error::NotFound { .. })));
    cleanup(&nb, &[vrf.id]).await;
}

#[tokio::test]
async fn bulk_create_patch_delete_match_by_index_and_id() {
    let Some(nb) = live("bulk_crud").await else {
        return;
    };
    let vrf = test_vrf(&nb, "bulk").await;
    let nb = rebuild_with_chunk(&nb, 20);
    let ep = nb.ip_addresses();
    // Addresses deliberately out of address order, so NetBox's update ordering differs from ours.
    let writes: Vec<IpAddressWrite> = (0..50u32)
        .map(|i| {
            let host = (i * 37) % 200 + 1;
            IpAddressWrite::new(net(&format!("10.20.0.{host}/24")))
                .vrf(Some(vrf.id))
                .status("active")
        })
        .collect();
    let created = ep.bulk_create(&writes, &opts("bulk")).await.unwrap();
    assert!(created.is_complete(), "{:?}", created.failed);
    assert_eq!(created.requests, 3, "50 records in chunks of 20");
    assert_eq!(created.request_ids.len(), 3);
    for (s, w) in created.succeeded.iter().zip(&writes) {
        assert_eq!(
            Some(s.value.address),
            w.address,
            "create results follow request order"
        );
    }
    let patches: Vec<(u64, IpAddressWrite)> = created
        .succeeded
        .iter()
        .map(|s| {
            (
                s.value.id,
                IpAddressWrite::default().description(format!("idx {}", s.index)),
            )
        })
        .collect();
    let updated = ep.bulk_patch(&patches, &opts("bulk")).await.unwrap();
    assert!(updated.is_complete(), "{:?}", updated.failed);
    for s in &updated.succeeded {
        assert_eq!(s.value.id, patches[s.index].0, "matched by id");
        assert_eq!(s.value.description, format!("idx {}", s.index));
        assert_eq!(
            s.value.status.as_deref(),
            Some("active"),
            "status untouched"
        );
    }
    let ids: Vec<u64> = created.succeeded.iter().map(|s| s.value.id).collect();
    let deleted = ep.bulk_delete(&ids, &opts("bulk")).await.unwrap();
    assert!(deleted.is_complete());
    assert_eq!(
        deleted
            .succeeded
            .iter()
            .map(|s| s.value)
            .collect::<Vec<_>>(),
        ids
    );
    assert_eq!(
        ep.count(&ListQuery::new().vrf(VrfFilter::Id(vrf.id)))
            .await
            .unwrap(),
        0
    );
    cleanup(&nb, &[vrf.id]).await;
}

fn rebuild_with_chunk(nb: &NetBoxClient, chunk: usize) -> NetBoxClient {
    NetBoxClient::builder(nb.base_url().as_str())
        .token(Token::new(std::env::var("NETBOX_TOKEN").unwrap()))
        .bulk_chunk(chunk)
        .max_concurrency(2)
        .bulk_parallelism(2)
        .build()
        .unwrap()
}

#[tokio::test]
async fn bulk_create_with_bad_records_lands_the_others() {
    let Some(nb) = live("bulk_partial").await else {
        return;
    };
    let vrf = test_vrf(&nb, "partial").await;
    let ep = nb.ip_addresses();
    let mut writes: Vec<IpAddressWrite> = (1..=20u32)
        .map(|i| IpAddressWrite::new(net(&format!("10.30.0.{i}/24"))).vrf(Some(vrf.id)))
        .collect();
    writes[7] = writes[7].clone().status("bogus-status");
    writes[13] = IpAddressWrite::new(net("10.30.0.3/24")).vrf(Some(vrf.id)); // duplicate of index 2
    let out = ep.bulk_create(&writes, &opts("partial")).await.unwrap();
    assert_eq!(out.succeeded.len(), 18, "failed: {:?}", out.failed);
    let failed: Vec<usize> = out.failed.iter().map(|f| f.index).collect();
    assert_eq!(failed, [7, 13]);
    match &out.failed[0].reason {
        BulkFailureReason::Rejected(e) => assert!(!e.get("status").is_empty(), "{e}"),
        other => panic!("unexpected {other:?}"),
    }
    match &out.failed[1].reason {
        BulkFailureReason::Rejected(e) => assert!(
            e.get("address").iter().any(|m| m.contains("Duplicate")),
            "{e}"
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        ep.count(&ListQuery::new().vrf(VrfFilter::Id(vrf.id)))
            .await
            .unwrap(),
        18
    );
    cleanup(&nb, &[vrf.id]).await;
}

#[tokio::test]
async fn pagination_offset_and_cursor_over_2100_objects() {
    let Some(nb) = live("pagination").await else {
        return;
    };
    let vrf = test_vrf(&nb, "pages").await;
    let ep = nb.ip_addresses();
    let writes: Vec<IpAddressWrite> = (0..2100u32)
        .map(|i| {
            IpAddressWrite::new(net(&format!("10.40.{}.{}/16", i / 250, i % 250 + 1)))
                .vrf(Some(vrf.id))
        })
        .collect();
    let created = ep.bulk_create(&writes, &opts("pages")).await.unwrap();
    assert!(created.is_complete(), "{:?}", created.failed.first());
    let want: HashSet<u64> = created.succeeded.iter().map(|s| s.value.id).collect();
    assert_eq!(want.len(), 2100);
    let base = ListQuery::new().vrf(VrfFilter::Id(vrf.id));

    let pages: Vec<_> = ep
        .pages(&base.clone().fields(["id", "address"]))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3, "1000 + 1000 + 100");
    assert_eq!(pages[0].count, Some(2100));

    let offset: Vec<u64> = nb
        .ip_addresses_sync_view(&base)
        .map_ok(|i| i.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(offset.len(), 2100);
    assert_eq!(offset.iter().copied().collect::<HashSet<_>>(), want);

    let cursor_q = base
        .clone()
        .pagination(Pagination::Cursor)
        .fields(["id", "address"]);
    let cursor: Vec<u64> = ep
        .list(&cursor_q)
        .map_ok(|i| i.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(cursor.len(), 2100);
    assert!(
        cursor.windows(2).all(|w| w[0] < w[1]),
        "cursor pages are ordered by id"
    );
    assert_eq!(cursor.into_iter().collect::<HashSet<_>>(), want);

    let small: Vec<u64> = ep
        .ids(&base.clone().page_size(700).pagination(Pagination::Cursor))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(small.len(), 2100, "an exact multiple of the page size ends");
    cleanup(&nb, &[vrf.id]).await;
}

#[tokio::test]
async fn same_address_in_two_vrfs_is_scoped_by_vrf() {
    let Some(nb) = live("vrf_scope").await else {
        return;
    };
    let a = test_vrf(&nb, "vrfa").await;
    let b = test_vrf(&nb, "vrfb").await;
    let ep = nb.ip_addresses();
    let ia = ep
        .create(
            &IpAddressWrite::new(net("10.50.0.9/24")).vrf(Some(a.id)),
            &opts("vrf"),
        )
        .await
        .unwrap()
        .value;
    let ib = ep
        .create(
            &IpAddressWrite::new(net("10.50.0.9/24")).vrf(Some(b.id)),
            &opts("vrf"),
        )
        .await
        .unwrap()
        .value;
    assert_ne!(ia.id, ib.id);
    let host = "10.50.0.9".parse().unwrap();
    assert_eq!(
        nb.find_ip_address(host, VrfFilter::Id(a.id))
            .await
            .unwrap()
            .map(|i| i.id),
        Some(ia.id)
    );
    assert_eq!(
        nb.find_ip_address(host, VrfFilter::Id(b.id))
            .await
            .unwrap()
            .map(|i| i.id),
        Some(ib.id)
    );
    let both = ListQuery::new()
        .parent(net("10.50.0.9/32"))
        .vrf(VrfFilter::Id(a.id))
        .vrf(VrfFilter::Id(b.id));
    assert_eq!(ep.count(&both).await.unwrap(), 2);

    // Prefixes are VRF-aware too: get-or-create returns the same object the second time.
    let p1 = nb
        .get_or_create_prefix(net("10.50.0.0/24"), Some(a.id), &opts("vrf"))
        .await
        .unwrap();
    let p2 = nb
        .get_or_create_prefix(net("10.50.0.0/24"), Some(a.id), &opts("vrf"))
        .await
        .unwrap();
    let p3 = nb
        .get_or_create_prefix(net("10.50.0.0/24"), Some(b.id), &opts("vrf"))
        .await
        .unwrap();
    assert_eq!(p1.id, p2.id);
    assert_ne!(p1.id, p3.id);
    assert_eq!(p3.vrf.map(|v| v.id), Some(b.id));

    // IP ranges.
    let r = nb
        .ip_ranges()
        .create(
            &IpRangeWrite {
                start_address: Some(net("10.50.0.100/24")),
                end_address: Some(net("10.50.0.150/24")),
                vrf: Some(Some(a.id)),
                ..IpRangeWrite::default()
            },
            &opts("vrf"),
        )
        .await
        .unwrap()
        .value;
    let ranges = nb
        .ip_ranges()
        .list_all(&ListQuery::new().vrf(VrfFilter::Id(a.id)))
        .await
        .unwrap();
    assert_eq!(ranges.iter().map(|x| x.id).collect::<Vec<_>>(), [r.id]);
    cleanup(&nb, &[a.id, b.id]).await;
}

#[tokio::test]
async fn custom_field_and_tag_bootstrap_is_idempotent() {
    let Some(nb) = live("bootstrap").await else {
        return;
    };
    let o = opts("bootstrap");
    let cf1 = nb.ensure_dhcp_client_id_field(&o).await.unwrap();
    let cf2 = nb.ensure_dhcp_client_id_field(&o).await.unwrap();
    assert_eq!(cf1.id, cf2.id);
    assert!(cf1.object_types.iter().any(|t| t == "ipam.ipaddress"));
    assert_eq!(cf2.kind.as_deref(), Some("text"));

    let slug = unique("it-tag");
    let (t1, t2) = tokio::join!(
        nb.ensure_tag(&slug, &slug, "2196f3", &o),
        nb.ensure_tag(&slug, &slug, "2196f3", &o)
    );
    let (t1, t2) = (t1.unwrap(), t2.unwrap());
    assert_eq!(t1.id, t2.id, "concurrent ensure_tag converges");

    // Use both: tag + client id, then filter on them.
    let vrf = test_vrf(&nb, "cf").await;
    let cid = ClientId::parse("aa-bb-cc-00-11-22").unwrap();
    let ip = nb
        .ip_addresses()
        .create(
            &IpAddressWrite::new(net("10.60.0.1/24"))
                .vrf(Some(vrf.id))
                .tags([slug.as_str()])
                .dhcp_client_id(Some(&cid)),
            &o,
        )
        .await
        .unwrap()
        .value;
    assert_eq!(ip.client_id().unwrap(), Some(cid.clone()));
    let by_cf = ListQuery::new()
        .vrf(VrfFilter::Id(vrf.id))
        .custom_field("dhcp_client_id", Some(&cid.to_string()));
    assert_eq!(nb.ip_addresses().count(&by_cf).await.unwrap(), 1);
    let by_tag = ListQuery::new().tag(slug.as_str());
    assert_eq!(nb.ip_addresses().count(&by_tag).await.unwrap(), 1);
    let unset = ListQuery::new()
        .vrf(VrfFilter::Id(vrf.id))
        .custom_field("dhcp_client_id", None);
    assert_eq!(nb.ip_addresses().count(&unset).await.unwrap(), 0);
    cleanup(&nb, &[vrf.id]).await;
    nb.tags().delete(t1.id, &o).await.unwrap();
}

#[tokio::test]
async fn v1_and_v2_tokens_work_and_a_wrong_token_is_an_auth_error() {
    let Some(nb) = live("auth_v2").await else {
        return;
    };
    let v2 = std::env::var("NETBOX_TOKEN").unwrap();
    assert!(
        Token::new(v2.clone()).is_v2(),
        "NETBOX_TOKEN is expected to be a v2 token"
    );
    let Some(v1) = live_with_token("auth_v1", "NETBOX_TOKEN_V1").await else {
        return;
    };
    assert_eq!(
        v1.status().await.unwrap()["netbox-version"],
        nb.status().await.unwrap()["netbox-version"]
    );

    let url = nb.base_url().as_str().to_owned();
    let bad_v2 = NetBoxClient::builder(&url)
        .token(Token::new(
            "nbt_AAAAAAAAAAAA.0000000000000000000000000000000000000000",
        ))
        .build()
        .unwrap();
    match bad_v2.status().await {
        Err(Error::Auth {
            status: 403,
            detail,
        }) => assert!(detail.contains("v2"), "{detail}"),
        other => panic!("expected Auth, got {other:?}"),
    }
    let bad_v1 = NetBoxClient::builder(&url)
        .token(Token::new("0".repeat(40)))
        .build()
        .unwrap();
    let err = bad_v1
        .ip_addresses()
        .count(&ListQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    let shown = format!("{err} {err:?} {bad_v1:?}");
    assert!(
        !shown.contains(&"0".repeat(40)) && !shown.contains(&v2),
        "no token in errors/Debug"
    );
}

#[tokio::test]
async fn stale_if_match_gives_precondition_failed() {
    let Some(nb) = live("etag").await else { return };
    let vrf = test_vrf(&nb, "etag").await;
    let ep = nb.ip_addresses();
    let ip = ep
        .create(
            &IpAddressWrite::new(net("10.70.0.1/24")).vrf(Some(vrf.id)),
            &opts("etag"),
        )
        .await
        .unwrap()
        .value;
    let got = ep.get(ip.id).await.unwrap();
    let etag = got.meta.etag.clone().expect("detail GET has an ETag");
    assert_eq!(
        got.value.etag().as_deref(),
        Some(etag.as_str()),
        "ETag derivable from last_updated"
    );

    let fresh = ep
        .patch(
            ip.id,
            &IpAddressWrite::default().description("v2"),
            &opts("etag").if_match(etag.clone()),
        )
        .await
        .unwrap();
    let new_etag = fresh.meta.etag.clone().expect("PATCH returns the new ETag");
    assert_ne!(new_etag, etag);

    match ep
        .patch(
            ip.id,
            &IpAddressWrite::default().description("v3"),
            &opts("etag").if_match(etag.clone()),
        )
        .await
    {
        Err(Error::PreconditionFailed { current_etag, .. }) => {
            assert_eq!(current_etag.as_deref(), Some(new_etag.as_str()));
        }
        other => panic!("expected PreconditionFailed, got {other:?}"),
    }
    assert!(matches!(
        ep.delete(ip.id, &opts("etag").if_match(etag)).await,
        Err(Error::PreconditionFailed { .. })
    ));
    assert_eq!(
        ep.get(ip.id).await.unwrap().value.description,
        "v2",
        "stale writes changed nothing"
    );
    cleanup(&nb, &[vrf.id]).await;
}

#[tokio::test]
async fn validation_errors_are_field_keyed() {
    let Some(nb) = live("validation").await else {
        return;
    };
    let err = nb
        .ip_addresses()
        .create(
            &json!({"address": "10.0.0.300/24", "status": "nope"}),
            &WriteOptions::default(),
        )
        .await
        .unwrap_err();
    match err {
        Error::Validation { errors, .. } => {
            assert!(!errors.get("address").is_empty(), "{errors}");
            assert!(!errors.get("status").is_empty(), "{errors}");
        }
        other => panic!("expected Validation, got {other:?}"),
    }
    let err = nb
        .ip_addresses()
        .list_all(&ListQuery::new().param("start", 0).param("offset", 5))
        .await
        .unwrap_err();
    match err {
        Error::Validation { errors, .. } => assert!(
            !errors.get("__all__").is_empty(),
            "bare array body: {errors}"
        ),
        other => panic!("expected Validation, got {other:?}"),
    }
    let err = nb
        .endpoint::<Value>("api/ipam/no-such-endpoint/")
        .get(1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}
