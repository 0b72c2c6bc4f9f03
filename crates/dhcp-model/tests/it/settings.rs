use serde_json::json;
use windhcp_dhcp_model::{JobQueue, ModelError, Settings, SyncInterval};

#[test]
fn defaults_match_the_plugin() {
    let s = Settings::default();
    assert!(!s.sync_ip_addresses && !s.push_reservations && !s.push_scope_info);
    assert!(s.create_missing_prefixes);
    assert_eq!(s.sync_interval.minutes(), 60);
    assert_eq!(s.sync_job_timeout.secs(), 300);
    assert_eq!(s.queue, JobQueue::Default);
    assert_eq!(s.lease_status, "dhcp");
    assert_eq!(s.reservation_status, "reserved");
    let from_empty: Settings = serde_json::from_value(json!({})).unwrap();
    assert_eq!(from_empty, s);
    let back: Settings = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
    assert_eq!(back, s);
}

#[test]
fn ranges_and_conflicts() {
    assert!(SyncInterval::from_minutes(4).is_err());
    assert!(SyncInterval::from_minutes(5).is_ok());
    assert!(SyncInterval::from_minutes(1440).is_ok());
    assert!(matches!(
        SyncInterval::from_minutes(1441),
        Err(ModelError::OutOfRange { value: 1441, .. })
    ));
    assert!(serde_json::from_value::<Settings>(json!({"sync_interval": 2})).is_err());
    assert!(serde_json::from_value::<Settings>(json!({"sync_job_timeout": 59})).is_err());
    assert!(serde_json::from_value::<Settings>(json!({"queue": "urgent"})).is_err());
    let err = serde_json::from_value::<Settings>(json!({"lease_status": "reserved"})).unwrap_err();
    assert!(err.to_string().contains("must differ"), "{err}");
    let s: Settings =
        serde_json::from_value(json!({"queue": "high", "protected_tag": "  "})).unwrap();
    assert_eq!(s.queue, JobQueue::High);
    assert_eq!(s.protected_tag, None);
    assert_eq!("LOW".parse::<JobQueue>().unwrap(), JobQueue::Low);
    assert_eq!(
        SyncInterval::from_minutes(10)
            .unwrap()
            .as_duration()
            .as_secs(),
        600
    );
}
