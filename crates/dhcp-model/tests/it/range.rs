use std::net::IpAddr;

use windhcp_dhcp_model::{IpRange, ModelError};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn r(s: &str) -> IpRange {
    s.parse().unwrap()
}

#[test]
fn validates_family_and_order() {
    assert!(IpRange::new(ip("10.0.0.1"), ip("10.0.0.1")).is_ok());
    assert!(matches!(
        IpRange::new(ip("10.0.0.9"), ip("10.0.0.1")),
        Err(ModelError::RangeReversed { .. })
    ));
    assert!(matches!(
        IpRange::new(ip("10.0.0.1"), ip("::1")),
        Err(ModelError::FamilyMismatch { .. })
    ));
}

#[test]
fn contains_overlaps_len() {
    let a = r("10.0.0.10-10.0.0.20");
    assert!(a.contains(ip("10.0.0.10")) && a.contains(ip("10.0.0.20")));
    assert!(!a.contains(ip("10.0.0.21")) && !a.contains(ip("10.0.0.9")));
    assert!(!a.contains(ip("::a00:a")));
    assert!(a.contains_range(&r("10.0.0.12-10.0.0.20")));
    assert!(!a.contains_range(&r("10.0.0.12-10.0.0.21")));
    assert!(a.overlaps(&r("10.0.0.20-10.0.0.30")));
    assert!(!a.overlaps(&r("10.0.0.21-10.0.0.30")));
    assert!(!a.overlaps(&r("::-::ffff:ffff")));
    assert_eq!(a.len(), 11);
    assert_eq!(r("0.0.0.0-255.255.255.255").len(), 1u128 << 32);
    assert_eq!(
        r("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").len(),
        u128::MAX
    );
    assert_eq!(r("2001:db8::1-2001:db8::ff").len(), 255);
}

#[test]
fn text_and_serde() {
    assert_eq!(r(" 10.0.0.1 - 10.0.0.5 ").to_string(), "10.0.0.1-10.0.0.5");
    assert_eq!(r("2001:db8::1-2001:db8::9").end(), ip("2001:db8::9"));
    assert_eq!(r("10.0.0.7").len(), 1);
    assert!("".parse::<IpRange>().is_err());
    assert!("10.0.0.1-".parse::<IpRange>().is_err());
    let json = serde_json::to_string(&r("10.0.0.1-10.0.0.5")).unwrap();
    assert_eq!(json, r#"{"start":"10.0.0.1","end":"10.0.0.5"}"#);
    assert!(serde_json::from_str::<IpRange>(r#"{"start":"10.0.0.9","end":"10.0.0.5"}"#).is_err());
    assert!(serde_json::from_str::<IpRange>(r#"{"start":"10.0.0.1","end":"::5"}"#).is_err());
}
