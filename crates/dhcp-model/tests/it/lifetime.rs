use windhcp_dhcp_model::lifetime::INFINITE_LEASE_SECS;
use windhcp_dhcp_model::{LeaseLifetime, LifetimeUnit, ModelError};

#[test]
fn display_examples() {
    let cases = [
        (86_400, "1 Day"),
        (3 * 86_400, "3 Days"),
        (73 * 3_600, "73 Hours"),
        (3_600, "1 Hour"),
        (60, "1 Minute"),
        (45, "45 Seconds"),
        (1, "1 Second"),
        (0, "0 Seconds"),
        (90, "90 Seconds"),
        (150 * 60, "150 Minutes"),
    ];
    for (secs, text) in cases {
        assert_eq!(LeaseLifetime::Finite(secs).to_string(), text, "{secs}");
        assert_eq!(
            text.parse::<LeaseLifetime>().unwrap(),
            LeaseLifetime::Finite(secs)
        );
    }
    assert_eq!(LeaseLifetime::Unlimited.to_string(), "Unlimited");
    assert_eq!(
        "unlimited".parse::<LeaseLifetime>().unwrap(),
        LeaseLifetime::Unlimited
    );
}

#[test]
fn parse_variants() {
    assert_eq!(
        "  2 hours ".parse::<LeaseLifetime>().unwrap().as_secs(),
        Some(7_200)
    );
    assert_eq!(
        "8h".parse::<LeaseLifetime>().unwrap().as_secs(),
        Some(28_800)
    );
    assert_eq!(
        "3600".parse::<LeaseLifetime>().unwrap().as_secs(),
        Some(3_600)
    );
    assert_eq!(
        "1 DAY".parse::<LeaseLifetime>().unwrap().as_secs(),
        Some(86_400)
    );
    for bad in [
        "",
        "days",
        "3 fortnights",
        "-1",
        "1.5 Days",
        "99999999999999999999999",
    ] {
        assert!(bad.parse::<LeaseLifetime>().is_err(), "{bad:?} should fail");
    }
}

#[test]
fn decompose_largest_exact_unit() {
    assert_eq!(
        LeaseLifetime::Finite(259_200).decompose(),
        Some((3, LifetimeUnit::Days))
    );
    assert_eq!(
        LeaseLifetime::Finite(262_800).decompose(),
        Some((73, LifetimeUnit::Hours))
    );
    assert_eq!(
        LeaseLifetime::Finite(120).decompose(),
        Some((2, LifetimeUnit::Minutes))
    );
    assert_eq!(
        LeaseLifetime::Finite(61).decompose(),
        Some((61, LifetimeUnit::Seconds))
    );
    assert_eq!(
        LeaseLifetime::Finite(0).decompose(),
        Some((0, LifetimeUnit::Seconds))
    );
    assert_eq!(LeaseLifetime::Unlimited.decompose(), None);
}

#[test]
fn from_value_unit_checks_overflow() {
    assert_eq!(
        LeaseLifetime::from_value_unit(8, LifetimeUnit::Days).unwrap(),
        LeaseLifetime::Finite(8 * 86_400)
    );
    let err = LeaseLifetime::from_value_unit(u64::MAX, LifetimeUnit::Days).unwrap_err();
    assert!(matches!(
        err,
        ModelError::LifetimeOverflow {
            value: u64::MAX,
            unit: LifetimeUnit::Days
        }
    ));
    // 49 711 days is past 0xFFFFFFFF seconds: not a finite lease.
    assert!(LeaseLifetime::from_value_unit(49_711, LifetimeUnit::Days).is_err());
    assert!(LeaseLifetime::from_value_unit(49_710, LifetimeUnit::Days).is_ok());
}

#[test]
fn from_secs_maps_infinite_marker() {
    assert_eq!(
        LeaseLifetime::from_secs(INFINITE_LEASE_SECS),
        LeaseLifetime::Unlimited
    );
    assert_eq!(LeaseLifetime::from_secs(u64::MAX), LeaseLifetime::Unlimited);
    assert_eq!(
        LeaseLifetime::from_secs(INFINITE_LEASE_SECS - 1).as_secs(),
        Some(INFINITE_LEASE_SECS - 1)
    );
    assert_eq!(LeaseLifetime::Unlimited.as_dhcp_secs(), u32::MAX);
    assert_eq!(LeaseLifetime::Finite(30).as_dhcp_secs(), 30);
}

#[test]
fn default_is_one_day() {
    assert_eq!(LeaseLifetime::default(), LeaseLifetime::Finite(86_400));
}

#[test]
fn serde_forms() {
    assert_eq!(
        serde_json::to_string(&LeaseLifetime::Finite(3600)).unwrap(),
        "3600"
    );
    assert_eq!(
        serde_json::to_string(&LeaseLifetime::Unlimited).unwrap(),
        "\"unlimited\""
    );
    let l: LeaseLifetime = serde_json::from_str("\"unlimited\"").unwrap();
    assert_eq!(l, LeaseLifetime::Unlimited);
    let l: LeaseLifetime = serde_json::from_str("4294967295").unwrap();
    assert_eq!(l, LeaseLifetime::Unlimited);
    let l: LeaseLifetime = serde_json::from_str("\"3 Days\"").unwrap();
    assert_eq!(l.as_secs(), Some(259_200));
    assert!(serde_json::from_str::<LeaseLifetime>("-5").is_err());
    assert!(serde_json::from_str::<LeaseLifetime>("1.5").is_err());
}
