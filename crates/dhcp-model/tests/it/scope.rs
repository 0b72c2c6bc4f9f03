use std::net::IpAddr;

use windhcp_dhcp_model::scope::{mask_to_prefix_len, prefix_from_id_and_mask};
use windhcp_dhcp_model::{
    ExclusionRange, IpRange, LeaseLifetime, ModelError, OptionValue, Scope, ScopeId, ScopeSource,
    ScopeSpec, ScopeState,
};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub(crate) fn spec() -> ScopeSpec {
    ScopeSpec {
        id: "10.20.0.0".parse().unwrap(),
        name: "  Office LAN ".into(),
        prefix: "10.20.0.0/23".parse().unwrap(),
        range: "10.20.0.10-10.20.1.250".parse().unwrap(),
        router: Some(ip("10.20.0.1")),
        lease_lifetime: LeaseLifetime::Finite(28_800),
        state: ScopeState::Active,
        description: "floor 2".into(),
        vrf: Some(" ".into()),
        source: Some(ScopeSource::Failover("fo-main".into())),
        options: vec![
            OptionValue::parse(6, "10.20.0.53, 10.20.0.54").unwrap(),
            OptionValue::parse(15, "corp.example").unwrap(),
        ],
        exclusions: vec![
            "10.20.1.0-10.20.1.20".parse().unwrap(),
            "10.20.0.10-10.20.0.19".parse().unwrap(),
        ],
    }
}

#[test]
fn valid_scope_and_accessors() {
    let s = Scope::try_from(spec()).unwrap();
    assert_eq!(s.name(), "Office LAN");
    assert_eq!(s.mask(), ip("255.255.254.0"));
    assert_eq!(s.failover_name(), Some("fo-main"));
    assert_eq!(s.vrf(), None, "blank vrf is none");
    // exclusions are sorted
    assert_eq!(s.exclusions()[0].start(), ip("10.20.0.10"));
    assert!(!s.is_leasable(ip("10.20.0.15")));
    assert!(s.is_leasable(ip("10.20.0.20")));
    assert!(!s.is_leasable(ip("10.20.1.251")));
    assert!(s.in_prefix(ip("10.20.1.255")));
    assert!(!s.in_prefix(ip("10.20.2.0")));
    assert_eq!(
        s.option(6).unwrap().data().to_string(),
        "10.20.0.53, 10.20.0.54"
    );
    assert_eq!(s.exclusion_ranges().count(), 2);
}

#[test]
fn rejects_each_rule() {
    let check = |f: &dyn Fn(&mut ScopeSpec), want: &str| {
        let mut sp = spec();
        f(&mut sp);
        let err = Scope::try_from(sp).unwrap_err();
        let dbg = format!("{err:?}");
        assert!(dbg.starts_with(want), "expected {want}, got {dbg}");
    };
    check(&|s| s.name = "  ".into(), "EmptyField");
    check(&|s| s.id = "10.20.0.5".parse().unwrap(), "ScopeIdMismatch");
    check(
        &|s| s.prefix = "10.20.0.5/23".parse().unwrap(),
        "PrefixNotNetwork",
    );
    check(
        &|s| s.range = "10.20.0.10-10.20.2.5".parse().unwrap(),
        "OutOfBounds",
    );
    check(
        &|s| s.range = "10.20.0.0-10.20.0.50".parse().unwrap(),
        "OutOfBounds",
    );
    check(
        &|s| s.range = "10.20.1.200-10.20.1.255".parse().unwrap(),
        "OutOfBounds",
    );
    check(
        &|s| s.range = "2001:db8::1-2001:db8::5".parse().unwrap(),
        "FamilyMismatch",
    );
    check(&|s| s.router = Some(ip("2001:db8::1")), "FamilyMismatch");
    check(
        &|s| s.exclusions.push("10.20.0.5-10.20.0.12".parse().unwrap()),
        "OutOfBounds",
    );
    check(
        &|s| s.exclusions.push("10.20.0.15-10.20.0.30".parse().unwrap()),
        "Overlap",
    );
    check(
        &|s| s.options.push(OptionValue::parse(6, "1.1.1.1").unwrap()),
        "DuplicateOption",
    );
    check(
        &|s| s.options.push(OptionValue::parse(3, "10.20.0.1").unwrap()),
        "OptionManagedByScope",
    );
    check(
        &|s| s.options.push(OptionValue::parse(51, "3600").unwrap()),
        "OptionManagedByScope",
    );
    check(
        &|s| {
            s.options
                .push(OptionValue::parse(1, "255.255.254.0").unwrap());
        },
        "OptionManagedByScope",
    );
}

#[test]
fn same_option_in_other_class_is_allowed() {
    let mut sp = spec();
    sp.options.push(
        OptionValue::with_classes(
            6u8,
            None,
            Some("Phones".into()),
            windhcp_dhcp_model::OptionData::IpAddressList(vec![ip("10.9.9.9")]),
        )
        .unwrap(),
    );
    assert!(Scope::try_from(sp).is_ok());
}

#[test]
fn router_outside_prefix_is_accepted() {
    let mut sp = spec();
    sp.router = Some(ip("192.0.2.1"));
    assert!(Scope::try_from(sp).is_ok());
}

#[test]
fn small_and_ipv6_prefixes() {
    let mut sp = spec();
    sp.id = "10.0.0.0".parse().unwrap();
    sp.prefix = "10.0.0.0/31".parse().unwrap();
    sp.range = "10.0.0.0-10.0.0.1".parse().unwrap();
    sp.router = None;
    sp.exclusions.clear();
    assert!(Scope::try_from(sp).is_ok(), "/31 has no network/broadcast");

    let mut sp = spec();
    sp.id = "2001:db8:1::".parse().unwrap();
    sp.prefix = "2001:db8:1::/64".parse().unwrap();
    sp.range = "2001:db8:1::-2001:db8:1::ffff".parse().unwrap();
    sp.router = None;
    sp.exclusions = vec!["2001:db8:1::10-2001:db8:1::20".parse().unwrap()];
    let s = Scope::try_from(sp).unwrap();
    assert_eq!(s.mask(), ip("ffff:ffff:ffff:ffff::"));
}

#[test]
fn validate_exclusion() {
    let s = Scope::try_from(spec()).unwrap();
    let ex = |r: &str| ExclusionRange {
        scope_id: s.id(),
        range: r.parse().unwrap(),
    };
    assert!(s.validate_exclusion(&ex("10.20.0.100-10.20.0.110")).is_ok());
    assert!(
        s.validate_exclusion(&ex("10.20.0.10-10.20.0.19")).is_ok(),
        "identical is a no-op"
    );
    assert!(matches!(
        s.validate_exclusion(&ex("10.20.0.15-10.20.0.25")),
        Err(ModelError::Overlap { .. })
    ));
    assert!(matches!(
        s.validate_exclusion(&ex("10.20.0.1-10.20.0.5")),
        Err(ModelError::OutOfBounds { .. })
    ));
    let other = ExclusionRange {
        scope_id: "10.30.0.0".parse().unwrap(),
        range: "10.20.0.100-10.20.0.110".parse().unwrap(),
    };
    assert!(s.validate_exclusion(&other).is_err());
}

#[test]
fn masks() {
    assert_eq!(mask_to_prefix_len(ip("255.255.255.0")).unwrap(), 24);
    assert_eq!(mask_to_prefix_len(ip("0.0.0.0")).unwrap(), 0);
    assert_eq!(mask_to_prefix_len(ip("255.255.255.255")).unwrap(), 32);
    assert_eq!(mask_to_prefix_len(ip("ffff:ffff:ffff:ffff::")).unwrap(), 64);
    assert!(matches!(
        mask_to_prefix_len(ip("255.0.255.0")),
        Err(ModelError::NonContiguousMask { .. })
    ));
    let id: ScopeId = "192.168.4.0".parse().unwrap();
    assert_eq!(
        prefix_from_id_and_mask(id, ip("255.255.252.0"))
            .unwrap()
            .to_string(),
        "192.168.4.0/22"
    );
    assert!(
        prefix_from_id_and_mask(id, ip("255.255.248.0")).is_err(),
        "id not network of /21"
    );
    assert!(prefix_from_id_and_mask(id, ip("255.255.0.255")).is_err());
    assert!(prefix_from_id_and_mask(id, ip("ffff::")).is_err());
}

#[test]
fn serde_round_trip_and_validation() {
    let s = Scope::try_from(spec()).unwrap();
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["id"], "10.20.0.0");
    assert_eq!(json["source"], serde_json::json!({"failover": "fo-main"}));
    assert_eq!(json["lease_lifetime"], 28_800);
    let back: Scope = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, s);
    let mut bad = json.clone();
    bad["range"] = serde_json::json!({"start": "10.20.0.10", "end": "10.20.9.9"});
    assert!(serde_json::from_value::<Scope>(bad).is_err());
    let mut both = json;
    both["source"] = serde_json::json!({"failover": "a", "server": "b"});
    let err = serde_json::from_value::<Scope>(both)
        .unwrap_err()
        .to_string();
    assert!(err.contains("exactly one"), "{err}");
}

#[test]
fn scope_source_wire() {
    let none: Result<ScopeSource, _> = serde_json::from_str("{}");
    assert!(none.is_err());
    let blank: Result<ScopeSource, _> = serde_json::from_str(r#"{"server":"  "}"#);
    assert!(blank.is_err());
    let s: ScopeSource = serde_json::from_str(r#"{"server":" dhcp01 "}"#).unwrap();
    assert_eq!(s, ScopeSource::Server("dhcp01".into()));
}

#[test]
fn scope_id_and_state_text() {
    let id: ScopeId = " 10.1.0.0 ".parse().unwrap();
    assert_eq!(id.to_string(), "10.1.0.0");
    assert!("10.1.0".parse::<ScopeId>().is_err());
    assert!(ScopeId(ip("10.0.0.0")) < ScopeId(ip("10.0.1.0")));
    assert_eq!(
        "InActive".parse::<ScopeState>().unwrap(),
        ScopeState::Inactive
    );
    assert_eq!(
        serde_json::from_str::<ScopeState>("\"InActive\"").unwrap(),
        ScopeState::Inactive
    );
    let _ = IpRange::single(ip("10.0.0.1"));
}

#[test]
fn canonical_order_and_spec_new() {
    let mut a = spec();
    let mut b = spec();
    b.options.reverse();
    b.exclusions.reverse();
    a.lease_lifetime = LeaseLifetime::Finite(u64::MAX);
    b.lease_lifetime = LeaseLifetime::Unlimited;
    assert_eq!(Scope::try_from(a).unwrap(), Scope::try_from(b).unwrap());

    let s = Scope::try_from(ScopeSpec::new(
        "lab",
        "192.168.7.0/24".parse().unwrap(),
        "192.168.7.100-192.168.7.199".parse().unwrap(),
    ))
    .unwrap();
    assert_eq!(s.id().to_string(), "192.168.7.0");
    assert_eq!(s.lease_lifetime(), LeaseLifetime::ONE_DAY);
    assert_eq!(s.source(), None);
    assert_eq!(
        ScopeSource::Server("dhcp01".into()).to_string(),
        "server dhcp01"
    );
}

#[test]
fn reservation_on_network_or_broadcast_is_rejected() {
    let s = Scope::try_from(spec()).unwrap();
    let r = |ip: &str| windhcp_dhcp_model::Reservation {
        scope_id: s.id(),
        ip: ip.parse().unwrap(),
        client_id: "aa-bb-cc-dd-ee-ff".parse().unwrap(),
        name: None,
        description: None,
        kind: Default::default(),
    };
    assert!(r("10.20.0.0").validate_in(&s).is_err());
    assert!(r("10.20.1.255").validate_in(&s).is_err());
    assert!(r("10.20.1.254").validate_in(&s).is_ok());
    assert!(r("10.20.0.1").validate_in(&s).is_ok());
}
