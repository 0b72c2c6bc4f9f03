use serde_json::json;
use windhcp_dhcp_model::{ModelError, Secret, ServerConnection};

#[test]
fn secret_is_redacted_and_trimmed() {
    let s = Secret::new("  tok-123\n");
    assert_eq!(s.expose(), "tok-123");
    assert_eq!(format!("{s:?}"), "[redacted]");
    assert_eq!(s.to_string(), "[redacted]");
    let back: Secret = serde_json::from_str("\" abc \"").unwrap();
    assert_eq!(back.expose(), "abc");
    assert_eq!(
        serde_json::to_string(&s).unwrap(),
        "\"tok-123\"",
        "documented: plain on serialise"
    );
}

#[test]
fn connection_defaults_and_urls() {
    let c: ServerConnection = serde_json::from_value(json!({
        "name": "dhcp01", "host": "dhcp01.corp.example", "token": "T0KEN"
    }))
    .unwrap();
    assert_eq!(c.port, 443);
    assert!(c.https && c.verify_tls && c.sync_standalone);
    assert_eq!(c.base_url(), "https://dhcp01.corp.example:443");
    assert_eq!(c.api_base_url(), "https://dhcp01.corp.example:443/api/dhcp");
    assert!(!format!("{c:?}").contains("T0KEN"));

    let v6 = ServerConnection {
        host: "2001:db8::10".into(),
        https: false,
        port: 8080,
        ..c
    };
    assert!(v6.validate().is_ok());
    assert_eq!(v6.base_url(), "http://[2001:db8::10]:8080");
}

#[test]
fn connection_validation() {
    let base = ServerConnection::new("dhcp01", "dhcp01", Secret::new("t")).unwrap();
    for bad in ["", "https://dhcp01", "dhcp01:443", "dhcp01/api", "dh cp"] {
        let c = ServerConnection {
            host: bad.into(),
            ..base.clone()
        };
        assert!(
            matches!(c.validate(), Err(ModelError::InvalidHost { .. })),
            "{bad:?}"
        );
    }
    let c = ServerConnection { port: 0, ..base };
    assert!(c.validate().is_err());
    assert!(ServerConnection::new(" ", "h", Secret::default()).is_err());
    assert!(
        serde_json::from_value::<ServerConnection>(json!({"name": "a", "host": "http://x"}))
            .is_err()
    );
}
