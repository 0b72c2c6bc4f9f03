use std::collections::HashSet;
use std::net::IpAddr;

use serde_json::json;
use windhcp_dhcp_model::{
    ModelError, OptionCode, OptionData, OptionDataType, OptionValue, catalog,
};

#[test]
fn catalog_is_consistent() {
    let cat = catalog();
    assert_eq!(cat.len(), 71);
    let codes: Vec<u8> = cat.iter().map(|d| d.code).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(codes, sorted, "sorted and unique");
    let names: HashSet<&str> = cat.iter().map(|d| d.name).collect();
    assert_eq!(names.len(), cat.len(), "names unique");
    for d in cat {
        let code = OptionCode::from(d.code);
        assert!(!matches!(code, OptionCode::Unknown(_)), "{}", d.code);
        assert_eq!(u8::from(code), d.code);
        assert_eq!(code.definition(), Some(d));
        assert!(!d.description.is_empty());
    }
    for c in [0u8, 50, 53, 55, 61, 82, 250, 255] {
        assert!(matches!(OptionCode::from(c), OptionCode::Unknown(x) if x == c));
        assert!(OptionCode::from(c).definition().is_none());
    }
}

#[test]
fn well_known_entries() {
    assert_eq!(OptionCode::from(3), OptionCode::Router);
    assert_eq!(
        OptionCode::Router.data_type(),
        Some(OptionDataType::IpAddressList)
    );
    assert_eq!(OptionCode::DnsServers.name(), Some("DNS Servers"));
    assert_eq!(
        OptionCode::DnsDomainName.data_type(),
        Some(OptionDataType::String)
    );
    assert_eq!(
        OptionCode::WinsNbtNodeType.data_type(),
        Some(OptionDataType::Byte)
    );
    assert_eq!(
        OptionCode::PathMtuPlateauTable.data_type(),
        Some(OptionDataType::WordList)
    );
    assert_eq!(
        OptionCode::BootFileSize.data_type(),
        Some(OptionDataType::Word)
    );
    assert_eq!(OptionCode::Lease.data_type(), Some(OptionDataType::Dword));
    assert_eq!(
        OptionCode::SubnetMask.data_type(),
        Some(OptionDataType::IpAddress)
    );
    assert_eq!(OptionCode::ClasslessStaticRoutes.code(), 121);
    assert_eq!(
        OptionCode::Unknown(6),
        OptionCode::DnsServers,
        "equality by code"
    );
    assert_eq!(OptionCode::DnsServers.to_string(), "6 (DNS Servers)");
    assert_eq!(OptionCode::from(250).to_string(), "250");
}

#[test]
fn data_type_names() {
    assert_eq!(OptionDataType::IpAddressList.windows_name(), "IPv4Address");
    assert!(OptionDataType::IpAddressList.is_multi_valued());
    assert_eq!(
        OptionDataType::from_windows("IPv4Address", true).unwrap(),
        OptionDataType::IpAddressList
    );
    assert_eq!(
        OptionDataType::from_windows("IPv4Address", false).unwrap(),
        OptionDataType::IpAddress
    );
    assert_eq!(
        OptionDataType::from_windows("Word", true).unwrap(),
        OptionDataType::WordList
    );
    assert_eq!(
        OptionDataType::from_windows("DWordDWord", false).unwrap(),
        OptionDataType::DwordDword
    );
    assert_eq!(
        "DWORD DWORD".parse::<OptionDataType>().unwrap(),
        OptionDataType::DwordDword
    );
    assert_eq!(
        "BinaryData".parse::<OptionDataType>().unwrap(),
        OptionDataType::Binary
    );
    assert_eq!(
        "Encapsulated".parse::<OptionDataType>().unwrap(),
        OptionDataType::Encapsulated
    );
    assert_eq!(
        "IPAddressList".parse::<OptionDataType>().unwrap(),
        OptionDataType::IpAddressList
    );
    assert!("Float".parse::<OptionDataType>().is_err());
    for t in OptionDataType::ALL {
        assert_eq!(t.to_string().parse::<OptionDataType>().unwrap(), t);
    }
}

#[test]
fn parse_and_format_examples() {
    let ips = OptionData::parse(
        OptionDataType::IpAddressList,
        "10.0.0.1,10.0.0.2 ,  10.0.0.3",
    )
    .unwrap();
    assert_eq!(ips.format(), "10.0.0.1, 10.0.0.2, 10.0.0.3");
    assert_eq!(ips.values(), vec!["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    assert_eq!(
        OptionData::parse(OptionDataType::Byte, "0x8").unwrap(),
        OptionData::Byte(8)
    );
    assert!(OptionData::parse(OptionDataType::Byte, "256").is_err());
    assert!(OptionData::parse(OptionDataType::Word, "-1").is_err());
    assert_eq!(
        OptionData::parse(OptionDataType::DwordDword, "18446744073709551615").unwrap(),
        OptionData::DwordDword(u64::MAX)
    );
    let bin = OptionData::parse(OptionDataType::Binary, "0x01 02-0A:ff").unwrap();
    assert_eq!(bin, OptionData::Binary(vec![1, 2, 10, 255]));
    assert_eq!(bin.format(), "01020aff");
    assert!(OptionData::parse(OptionDataType::Binary, "abc").is_err());
    assert_eq!(
        OptionData::parse(OptionDataType::Binary, "0x18 0xA 0x0 0x1").unwrap(),
        OptionData::Binary(vec![0x18, 0x0a, 0, 1])
    );
    assert_eq!(
        OptionData::parse(OptionDataType::Binary, "AB-0c").unwrap(),
        OptionData::Binary(vec![0xab, 0x0c])
    );
    assert_eq!(
        OptionData::parse(OptionDataType::Binary, "").unwrap(),
        OptionData::Binary(vec![])
    );
    assert!(OptionData::parse(OptionDataType::Binary, "0x").is_err());
    assert!(OptionData::parse(OptionDataType::Binary, "0x1g").is_err());
    assert!(OptionData::parse(OptionDataType::IpAddressList, "").is_err());
    assert!(OptionData::parse(OptionDataType::IpAddressList, "10.0.0.1,").is_err());
    assert!(OptionData::parse(OptionDataType::IpAddress, "10.0.0.256").is_err());
    assert!(OptionData::parse(OptionDataType::Ipv6Address, "10.0.0.1").is_err());
    let s = OptionData::parse(OptionDataType::String, " a, b ").unwrap();
    assert_eq!(s, OptionData::String(" a, b ".into()), "strings verbatim");
    let err = OptionData::parse(OptionDataType::Dword, "x").unwrap_err();
    assert!(matches!(
        err,
        ModelError::InvalidOptionValue {
            data_type: "DWord",
            ..
        }
    ));
}

#[test]
fn from_json_shapes() {
    let t = OptionDataType::IpAddressList;
    let a = OptionData::from_json(t, &json!(["10.0.0.1", "10.0.0.2"])).unwrap();
    let b = OptionData::from_json(t, &json!("10.0.0.1, 10.0.0.2")).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        OptionData::from_json(OptionDataType::Dword, &json!(["3600"])).unwrap(),
        OptionData::Dword(3600)
    );
    assert_eq!(
        OptionData::from_json(OptionDataType::Dword, &json!(3600)).unwrap(),
        OptionData::Dword(3600)
    );
    assert!(OptionData::from_json(OptionDataType::Dword, &json!(["1", "2"])).is_err());
    assert!(OptionData::from_json(OptionDataType::Dword, &json!(null)).is_err());
    assert!(OptionData::from_json(t, &json!(["10.0.0.1,10.0.0.2"])).is_err());
    assert_eq!(
        OptionData::from_json(OptionDataType::Binary, &json!(["0x01", "0x02"])).unwrap(),
        OptionData::Binary(vec![1, 2])
    );
    assert_eq!(
        OptionData::from_json(OptionDataType::String, &json!(["corp.example"])).unwrap(),
        OptionData::String("corp.example".into())
    );
}

#[test]
fn option_value_rules() {
    let ip: IpAddr = "10.0.0.1".parse().unwrap();
    let v = OptionValue::new(6u8, OptionData::IpAddress(ip)).unwrap();
    assert_eq!(
        v.data(),
        &OptionData::IpAddressList(vec![ip]),
        "widened to list"
    );
    let err = OptionValue::new(6u8, OptionData::String("x".into())).unwrap_err();
    assert!(matches!(
        err,
        ModelError::OptionTypeMismatch {
            code: 6,
            expected: "IPv4Address",
            actual: "String"
        }
    ));
    // vendor-class options may reuse codes with other types
    let v = OptionValue::with_classes(6u8, Some("MSFT 5.0".into()), None, OptionData::Dword(1))
        .unwrap();
    assert_eq!(v.vendor_class(), Some("MSFT 5.0"));
    // blank classes are none
    let v = OptionValue::with_classes(
        15u8,
        Some(" ".into()),
        Some(String::new()),
        OptionData::String("a".into()),
    )
    .unwrap();
    assert_eq!(v.key(), (15, None, None));
    assert!(
        OptionValue::parse(250u8, "x").is_err(),
        "unknown code needs a type"
    );
    let u = OptionValue::new(250u8, OptionData::Binary(vec![1, 2])).unwrap();
    assert_eq!(u.code(), OptionCode::Unknown(250));
    assert_eq!(
        OptionValue::parse(6u8, "10.0.0.1").unwrap().to_string(),
        "6 (DNS Servers) = 10.0.0.1"
    );
}

#[test]
fn option_value_serde() {
    let v = OptionValue::parse(6u8, "10.0.0.1, 10.0.0.2").unwrap();
    let j = serde_json::to_value(&v).unwrap();
    assert_eq!(j["code"], 6);
    assert_eq!(j["data_type"], "IPv4Address[]");
    assert_eq!(j["value"], "10.0.0.1, 10.0.0.2");
    assert_eq!(serde_json::from_value::<OptionValue>(j).unwrap(), v);
    // PSU shape: array value, no type, PascalCase-free
    let psu: OptionValue =
        serde_json::from_value(json!({"code": 6, "value": ["10.0.0.1", "10.0.0.2"]})).unwrap();
    assert_eq!(psu, v);
    // unknown code round-trips with its type
    let u = OptionValue::new(250u8, OptionData::String("site-local".into())).unwrap();
    let back: OptionValue = serde_json::from_value(serde_json::to_value(&u).unwrap()).unwrap();
    assert_eq!(back, u);
    // an unknown code without a data type cannot be interpreted
    assert!(serde_json::from_value::<OptionValue>(json!({"code": 250, "value": "x"})).is_err());
    // a catalog code gets its type from the catalog
    let wpad: OptionValue =
        serde_json::from_value(json!({"code": 252, "value": "http://wpad/wpad.dat"})).unwrap();
    assert_eq!(
        wpad.data(),
        &OptionData::String("http://wpad/wpad.dat".into())
    );
    assert!(serde_json::from_value::<OptionValue>(json!({"code": 6, "value": "nope"})).is_err());
}

#[test]
fn every_scalar_windows_type_has_a_multi_valued_form() {
    for (name, list) in [
        ("Byte", OptionDataType::ByteList),
        ("Word", OptionDataType::WordList),
        ("DWord", OptionDataType::DwordList),
        ("DWordDWord", OptionDataType::DwordDwordList),
        ("IPv4Address", OptionDataType::IpAddressList),
        ("String", OptionDataType::StringList),
    ] {
        let t = OptionDataType::from_windows(name, true).unwrap();
        assert_eq!(t, list, "{name}");
        assert!(t.is_multi_valued());
        assert_eq!(
            t.windows_name(),
            OptionDataType::from_windows(name, false)
                .unwrap()
                .windows_name()
        );
        assert_eq!(format!("{name}[]").parse::<OptionDataType>().unwrap(), list);
    }
    // Binary data has no list form: several values are one byte string.
    assert_eq!(
        OptionDataType::from_windows("BinaryData", true).unwrap(),
        OptionDataType::Binary
    );
}

#[test]
fn multi_valued_strings_keep_each_element_whole() {
    // As PSU sends `Get-DhcpServerv4OptionValue`'s Value array: commas and blanks are data.
    let json = serde_json::json!(["corp.example.com", "lab, east", " padded "]);
    let data = OptionData::from_json(OptionDataType::StringList, &json).unwrap();
    assert_eq!(
        data,
        OptionData::StringList(vec![
            "corp.example.com".into(),
            "lab, east".into(),
            " padded ".into()
        ])
    );
    assert_eq!(data.values(), ["corp.example.com", "lab, east", " padded "]);
    assert!(OptionData::from_json(OptionDataType::StringList, &serde_json::json!([])).is_err());
    // The text form splits on commas.
    assert_eq!(
        OptionData::parse(OptionDataType::StringList, "a.example, b.example").unwrap(),
        OptionData::StringList(vec!["a.example".into(), "b.example".into()])
    );
}

#[test]
fn multi_valued_numbers_parse_and_check_each_element() {
    let json = serde_json::json!(["1", "0x10", 4_000_000_000_u32]);
    assert_eq!(
        OptionData::from_json(OptionDataType::DwordList, &json).unwrap(),
        OptionData::DwordList(vec![1, 16, 4_000_000_000])
    );
    assert!(OptionData::from_json(OptionDataType::ByteList, &json).is_err());
    assert_eq!(
        OptionData::parse(OptionDataType::ByteList, "1, 2,3")
            .unwrap()
            .values(),
        ["1", "2", "3"]
    );
    assert!(OptionData::parse(OptionDataType::DwordDwordList, "").is_err());
}
