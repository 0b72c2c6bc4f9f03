//! The import planner: failovers, scopes, prefixes, option values, exclusions.

use windhcp_sync_engine::plan::{Action, OptionValueRef, PlanKind, PrefixRef};
use windhcp_sync_engine::planner::plan_import;
use windhcp_sync_engine::report::{Conflict, ImportCategory};
use windhcp_sync_engine::snapshot::{
    InventoryOptionValue, Read, ScopeSourceRef, ServerFailover, ServerOption,
};

use crate::builder::*;

fn opt(code: u8, values: &[&str]) -> ServerOption {
    ServerOption {
        code,
        vendor_class: String::new(),
        name: format!("Option {code}"),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

/// Server S1 reporting one scope (10.0.1.0/24) and nothing in NetBox but the servers.
fn fixture() -> B {
    B::empty()
        .server(S1, true)
        .server("dhcp2.example.com", false)
        .remote_scope(S1, NET, None)
}

#[test]
fn import_failovers_matched_to_servers_by_hostname() {
    let b = fixture().with(|s| {
        s.servers.get_mut(S1).unwrap().failovers = Read::Ok(vec![
            ServerFailover {
                name: "fo".into(),
                primary_server: "DHCP1.example.com".into(),
                partner_server: "dhcp2".into(),
                mode: "LoadBalance".into(),
                scope_ids: Default::default(),
            },
            ServerFailover {
                name: "lost".into(),
                primary_server: S1.into(),
                partner_server: "unknown.example.com".into(),
                mode: "HotStandby".into(),
                scope_ids: Default::default(),
            },
        ]);
    });
    let plan = plan_import(&b.snap, S1);
    assert_eq!(plan.kind, PlanKind::Import { server: S1.into() });
    match &of_kind(&plan, "create_failover")[..] {
        [a] => assert_eq!(
            a.action,
            Action::CreateFailover {
                name: "fo".into(),
                primary: S1.into(),
                partner: "dhcp2.example.com".into(),
                mode: "LoadBalance".into()
            }
        ),
        other => panic!("{other:?}"),
    }
    let counts = plan.report.import.unwrap();
    assert_eq!((counts.failovers.created, counts.failovers.errors), (1, 1));
}

#[test]
fn import_scope_creates_missing_prefix_when_enabled() {
    let b = fixture();
    let plan = plan_import(&b.snap, S1);
    assert_eq!(
        &kinds(&plan)[..2],
        ["create_prefix", "create_inventory_scope"]
    );
    match &of_kind(&plan, "create_inventory_scope")[0].action {
        Action::CreateInventoryScope { prefix, source, .. } => {
            assert!(matches!(prefix, PrefixRef::New { .. }));
            assert_eq!(source, &ScopeSourceRef::Server(S1.into()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(plan.report.import.unwrap().scopes.created, 1);
}

#[test]
fn import_scope_without_prefix_is_an_error_when_creation_disabled() {
    let mut b = fixture();
    b.snap.settings.create_missing_prefixes = false;
    let plan = plan_import(&b.snap, S1);
    assert!(plan.is_empty());
    assert_eq!(plan.report.import.unwrap().scopes.errors, 1);
    // With the prefix present, it is reused.
    let b = b.prefix(4, NET, Some(9));
    let plan = plan_import(&b.snap, S1);
    match &of_kind(&plan, "create_inventory_scope")[0].action {
        Action::CreateInventoryScope { prefix, .. } => assert_eq!(prefix, &PrefixRef::Existing(4)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn import_options_skip_3_and_51_and_create_unknown_codes() {
    let b = fixture().with(|s| {
        s.inventory.option_values.insert(
            1,
            InventoryOptionValue {
                id: 1,
                code: 6,
                vendor_class: String::new(),
                values: vec!["10.0.0.53".into()],
            },
        );
        s.servers.get_mut(S1).unwrap().options.insert(
            ip("10.0.1.0"),
            Read::Ok(vec![
                opt(3, &["10.0.1.1"]),
                opt(51, &["86400"]),
                opt(6, &["10.0.0.53"]),
                opt(234, &["custom"]),
            ]),
        );
    });
    let plan = plan_import(&b.snap, S1);
    let links: Vec<_> = of_kind(&plan, "link_option_value")
        .iter()
        .map(|a| match &a.action {
            Action::LinkOptionValue { value, .. } => value.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(links.len(), 2);
    assert!(links.contains(&OptionValueRef::Existing(1)));
    assert!(
        links
            .iter()
            .any(|l| matches!(l, OptionValueRef::New(spec) if spec.code == 234))
    );
    assert_eq!(of_kind(&plan, "create_option_value").len(), 1);
    let c = plan.report.import.unwrap().option_values;
    assert_eq!((c.created, c.skipped), (1, 1));
}

#[test]
fn import_never_overwrites_existing_scope_but_adds_missing_exclusions() {
    let b = fixture()
        .prefix(1, NET, None)
        .scope(1, NET, Some(1), ScopeSourceRef::Server(S1.into()))
        .inventory_exclusion(1, 3, "10.0.1.20", "10.0.1.29")
        .remote_exclusion(S1, NET, "10.0.1.20", "10.0.1.29")
        .remote_exclusion(S1, NET, "10.0.1.40", "10.0.1.49");
    let plan = plan_import(&b.snap, S1);
    assert_eq!(kinds(&plan), ["create_inventory_exclusion"]);
    let c = plan.report.import.unwrap();
    assert_eq!((c.scopes.created, c.scopes.skipped), (0, 1));
    assert_eq!(
        (c.exclusion_ranges.created, c.exclusion_ranges.skipped),
        (1, 1)
    );
}

#[test]
fn import_scope_with_unknown_failover_is_not_made_standalone() {
    let b = B::empty()
        .server(S1, true)
        .remote_scope(S1, NET, Some("ghost"));
    let plan = plan_import(&b.snap, S1);
    assert!(of_kind(&plan, "create_inventory_scope").is_empty());
    assert!(plan.report.conflicts.iter().any(|c| matches!(
        c,
        Conflict::ImportError {
            category: ImportCategory::Scopes,
            ..
        }
    )));
}
