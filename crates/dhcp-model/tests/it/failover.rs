use serde_json::json;
use windhcp_dhcp_model::{
    Failover, FailoverAuth, FailoverMode, FailoverSpec, ModelError, Secret, ServerRole,
};

fn spec() -> FailoverSpec {
    FailoverSpec {
        name: " fo-main ".into(),
        primary_server: "dhcp01.corp.example".into(),
        partner_server: "dhcp02.corp.example".into(),
        mode: FailoverMode::HotStandby {
            reserve_percent: 5,
            server_role: ServerRole::Active,
        },
        mclt_secs: 3600,
        max_response_delay_secs: 30,
        state_switchover_interval_secs: Some(0),
        auth: FailoverAuth::Enabled {
            shared_secret: Secret::new("s3cr3t-value"),
        },
        scope_ids: vec![
            "10.2.0.0".parse().unwrap(),
            "10.1.0.0".parse().unwrap(),
            "10.2.0.0".parse().unwrap(),
        ],
        sync_enabled: true,
        state: Some("Normal".into()),
    }
}

#[test]
fn valid_and_normalised() {
    let f = Failover::try_from(spec()).unwrap();
    assert_eq!(f.name(), "fo-main");
    assert_eq!(f.state_switchover_interval_secs(), None, "0 means off");
    assert_eq!(f.scope_ids().len(), 2, "deduplicated");
    assert!(f.scope_ids()[0] < f.scope_ids()[1], "sorted");
    assert!(f.involves("DHCP02.corp.example"));
    assert!(!f.involves("dhcp03"));
    assert_eq!(f.mode().name(), "HotStandby");
}

#[test]
fn rejects() {
    let mut s = spec();
    s.partner_server = "DHCP01.corp.example ".into();
    assert!(matches!(
        Failover::try_from(s),
        Err(ModelError::SamePartner { .. })
    ));
    let mut s = spec();
    s.mode = FailoverMode::LoadBalance {
        load_balance_percent: 101,
    };
    assert!(matches!(
        Failover::try_from(s),
        Err(ModelError::OutOfRange { value: 101, .. })
    ));
    let mut s = spec();
    s.mode = FailoverMode::HotStandby {
        reserve_percent: 200,
        server_role: ServerRole::Standby,
    };
    assert!(Failover::try_from(s).is_err());
    let mut s = spec();
    s.auth = FailoverAuth::Enabled {
        shared_secret: Secret::new("   "),
    };
    let err = Failover::try_from(s).unwrap_err();
    assert!(matches!(err, ModelError::MissingSharedSecret { .. }));
    let mut s = spec();
    s.name = String::new();
    assert!(Failover::try_from(s).is_err());
    let mut s = spec();
    s.mode = FailoverMode::LoadBalance {
        load_balance_percent: 100,
    };
    assert!(Failover::try_from(s).is_ok());
}

#[test]
fn secret_never_in_debug_or_errors() {
    let f = Failover::try_from(spec()).unwrap();
    let dbg = format!("{f:?}");
    assert!(!dbg.contains("s3cr3t"), "{dbg}");
    assert!(dbg.contains("redacted"));
    let mut s = spec();
    s.partner_server = s.primary_server.clone();
    let err = Failover::try_from(s).unwrap_err();
    assert!(!format!("{err} {err:?}").contains("s3cr3t"));
}

#[test]
fn serde_round_trip() {
    let f = Failover::try_from(spec()).unwrap();
    let j = serde_json::to_value(&f).unwrap();
    assert_eq!(j["mode"], "HotStandby");
    assert_eq!(j["reserve_percent"], 5);
    assert_eq!(
        j["auth"],
        json!({"enabled": {"shared_secret": "s3cr3t-value"}})
    );
    let back: Failover = serde_json::from_value(j).unwrap();
    assert_eq!(back, f);
    let minimal: Failover = serde_json::from_value(json!({
        "name": "lb", "primary_server": "a", "partner_server": "b",
        "mode": "LoadBalance", "load_balance_percent": 50
    }))
    .unwrap();
    assert_eq!(minimal.mclt_secs(), 3600);
    assert_eq!(minimal.max_response_delay_secs(), 30);
    assert!(!minimal.auth().is_enabled());
    assert!(minimal.sync_enabled());
    assert!(
        serde_json::from_value::<Failover>(json!({
            "name": "lb", "primary_server": "a", "partner_server": "A",
            "mode": "LoadBalance", "load_balance_percent": 50
        }))
        .is_err()
    );
}
