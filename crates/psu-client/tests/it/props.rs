//! Property tests: no decoder panics on any JSON, and the flexible scalar parsers round-trip.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use windhcp_psu_client::{PsuError, decode, flex};

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("10.1.0.0"),
            Just("10.1.0.10"),
            Just("255.255.255.0"),
            Just("aa-bb-cc-dd-ee-ff"),
            Just("/Date(1714557600000)/"),
            Just("2030-01-01T00:00:00Z"),
            Just("1.02:03:04"),
            Just("Active"),
            Just("InActive"),
            Just("HotStandby"),
            Just("LoadBalance"),
            Just(""),
            Just("IPv4Address"),
            Just("String"),
            Just("DWord"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

const KEYS: &[&str] = &[
    "scope_id",
    "ScopeId",
    "name",
    "start_ip",
    "StartRange",
    "end_ip",
    "EndRange",
    "subnet_mask",
    "SubnetMask",
    "state",
    "lease_duration_seconds",
    "LeaseDuration",
    "router",
    "failover_name",
    "ip_address",
    "IPAddress",
    "client_id",
    "ClientId",
    "hostname",
    "address_state",
    "lease_expiry",
    "LeaseExpiryTime",
    "type",
    "mode",
    "scope_ids",
    "max_client_lead_time",
    "enable_auth",
    "load_balance_percent",
    "reserve_percent",
    "server_role",
    "primary_server",
    "secondary_server",
    "code",
    "OptionId",
    "value",
    "vendor_class",
    "status",
    "version",
    "items",
    "next_cursor",
    "Ticks",
    "TotalSeconds",
    "IPAddressToString",
    "Address",
    "value",
];

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner.clone()), 0..10).prop_map(
                |kv| Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>()
                )
            ),
            prop::collection::vec(("[a-z0-9.]{0,10}", inner), 0..4)
                .prop_map(|kv| { Value::Object(kv.into_iter().collect::<Map<_, _>>()) }),
        ]
    })
}

fn typed<T>(r: Result<T, PsuError>) -> bool {
    matches!(r, Ok(_) | Err(PsuError::Decode { .. }))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decoders_never_panic(v in json_value()) {
        let body = serde_json::to_vec(&v).unwrap();
        prop_assert!(typed(decode::health(&body)));
        prop_assert!(typed(decode::scopes(&body)));
        prop_assert!(typed(decode::leases(&body, None)));
        prop_assert!(typed(decode::leases(&body, Some("10.1.0.0".parse().unwrap()))));
        prop_assert!(typed(decode::leases_grouped(&body)));
        prop_assert!(typed(decode::lease_page(&body)));
        prop_assert!(typed(decode::reservations(&body, None)));
        prop_assert!(typed(decode::reservations_grouped(&body)));
        prop_assert!(typed(decode::failovers(&body)));
        prop_assert!(typed(decode::options(&body)));
        prop_assert!(typed(decode::options_grouped(&body)));
        prop_assert!(typed(decode::exclusions(&body, None)));
        prop_assert!(typed(decode::exclusions_grouped(&body)));
    }

    #[test]
    fn decoders_never_panic_on_bytes(body in prop::collection::vec(any::<u8>(), 0..64)) {
        prop_assert!(typed(decode::scopes(&body)));
        prop_assert!(typed(decode::leases_grouped(&body)));
        prop_assert!(typed(decode::failovers(&body)));
    }

    #[test]
    fn scalar_parsers_never_panic(v in json_value()) {
        let _ = flex::ip_from_value(&v);
        let _ = flex::datetime_from_value(&v);
        let _ = flex::seconds_from_value(&v);
        let _ = flex::bool_from_value(&v);
        let _ = flex::u32_from_value(&v);
        let _ = flex::string_from_value(&v);
    }

    #[test]
    fn ms_dates_agree_with_rfc3339(ms in -62_135_596_800_000i64..253_402_300_799_000i64) {
        let a = flex::parse_ps_datetime(&format!("/Date({ms})/")).unwrap();
        let text = a.format(&time::format_description::well_known::Rfc3339).unwrap();
        let b = flex::parse_ps_datetime(&text).unwrap();
        prop_assert_eq!(a, b);
        prop_assert_eq!(a.unix_timestamp_nanos(), i128::from(ms) * 1_000_000);
    }

    #[test]
    fn timespans_round_trip(secs in 0u64..10_000_000_000) {
        let (d, rest) = (secs / 86_400, secs % 86_400);
        let text = format!("{d}.{:02}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
        prop_assert_eq!(flex::parse_timespan(&text), Ok(secs));
        let ticks = i64::try_from(secs).unwrap() * 10_000_000;
        prop_assert_eq!(flex::seconds_from_value(&json!({"Ticks": ticks})), Ok(secs));
        prop_assert_eq!(flex::seconds_from_value(&json!(secs)), Ok(secs));
    }

    #[test]
    fn dotnet_address_integers_round_trip(a in any::<[u8; 4]>()) {
        let ip = std::net::Ipv4Addr::from(a);
        let dotnet = u32::from_le_bytes(a);
        prop_assert_eq!(flex::ip_from_value(&json!({"Address": dotnet})), Ok(ip));
        prop_assert_eq!(flex::ip_from_value(&json!(ip.to_string())), Ok(ip));
    }
}
