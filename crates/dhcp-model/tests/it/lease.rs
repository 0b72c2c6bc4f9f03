use serde_json::json;
use time::macros::datetime;
use windhcp_dhcp_model::{AddressState, Lease, Reservation, ReservationType, Scope};

#[test]
fn address_states() {
    let known = [
        "Active",
        "Offered",
        "Declined",
        "Expired",
        "ActiveReservation",
        "InactiveReservation",
    ];
    for name in known {
        let st: AddressState = name.parse().unwrap();
        assert!(!matches!(st, AddressState::Other(_)), "{name}");
        assert_eq!(st.to_string(), name);
        let lower: AddressState = name.to_lowercase().parse().unwrap();
        assert_eq!(lower, st);
    }
    let active: Vec<bool> = known
        .iter()
        .map(|n| n.parse::<AddressState>().unwrap().is_active())
        .collect();
    assert_eq!(active, [true, false, false, false, true, false]);
    let resv: Vec<bool> = known
        .iter()
        .map(|n| n.parse::<AddressState>().unwrap().is_reservation())
        .collect();
    assert_eq!(resv, [false, false, false, false, true, true]);
    let other: AddressState = "ActiveReservationPendingSomething".parse().unwrap();
    assert_eq!(
        other,
        AddressState::Other("ActiveReservationPendingSomething".into())
    );
    assert!(!other.is_active());
    assert!(other.is_reservation());
    assert_eq!(other.to_string(), "ActiveReservationPendingSomething");
}

#[test]
fn lease_serde_and_activity() {
    let l: Lease = serde_json::from_value(json!({
        "scope_id": "10.0.0.0",
        "ip": "10.0.0.55",
        "client_id": "AA:BB:CC:DD:EE:FF",
        "hostname": "pc-55",
        "address_state": "Active",
        "expires_at": "2026-12-03T10:00:00Z"
    }))
    .unwrap();
    assert_eq!(
        l.client_id.as_ref().unwrap().to_string(),
        "aa-bb-cc-dd-ee-ff"
    );
    assert!(l.is_active_at(datetime!(2026-12-03 09:00 UTC)));
    assert!(!l.is_active_at(datetime!(2026-12-03 10:00 UTC)));
    assert!(l.validate().is_ok());
    let back: Lease = serde_json::from_value(serde_json::to_value(&l).unwrap()).unwrap();
    assert_eq!(back, l);
    let mut v6 = l.clone();
    v6.ip = "2001:db8::5".parse().unwrap();
    assert!(v6.validate().is_err());
    let mut off = l;
    off.address_state = AddressState::Offered;
    off.expires_at = None;
    assert!(!off.is_active_at(datetime!(2026-12-03 09:00 UTC)));
}

#[test]
fn reservation_in_scope() {
    let scope = Scope::try_from(crate::scope::spec()).unwrap();
    let r: Reservation = serde_json::from_value(json!({
        "scope_id": "10.20.0.0", "ip": "10.20.0.15", "client_id": "aabb.ccdd.eeff", "type": "Both"
    }))
    .unwrap();
    assert_eq!(r.kind, ReservationType::Both);
    assert!(
        r.validate_in(&scope).is_ok(),
        "inside an exclusion is fine for a reservation"
    );
    let mut out = r.clone();
    out.ip = "10.21.0.1".parse().unwrap();
    assert!(out.validate_in(&scope).is_err());
    let mut wrong = r;
    wrong.scope_id = "10.99.0.0".parse().unwrap();
    assert!(wrong.validate_in(&scope).is_err());
    assert_eq!(
        "BOOTP".parse::<ReservationType>().unwrap(),
        ReservationType::Bootp
    );
    assert!("x".parse::<ReservationType>().is_err());
    assert_eq!(ReservationType::default(), ReservationType::Dhcp);
}
