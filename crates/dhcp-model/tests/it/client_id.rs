use std::collections::HashSet;

use windhcp_dhcp_model::{ClientId, ModelError};

const MAC: [u8; 6] = [0xaa, 0xbb, 0xcc, 0x0d, 0xee, 0xff];

#[test]
fn all_spellings_parse_to_the_same_id() {
    let spellings = [
        "aa-bb-cc-0d-ee-ff",
        "AA-BB-CC-0D-EE-FF",
        "aa:bb:cc:0d:ee:ff",
        "aa bb cc 0d ee ff",
        "aabb.cc0d.eeff",
        "AABB.CC0D.EEFF",
        "aabbcc0deeff",
        "0xAABBCC0DEEFF",
        "  aa-bb-cc-0d-ee-ff\n",
        "aa-bb-cc-d-ee-ff",
    ];
    for s in spellings {
        let id = ClientId::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(id.as_bytes(), &MAC, "{s:?}");
        assert_eq!(id.to_string(), "aa-bb-cc-0d-ee-ff");
        assert!(id.is_mac());
    }
}

#[test]
fn rejects_garbage() {
    for s in [
        "",
        "   ",
        "zz-bb-cc-dd-ee-ff",
        "aabbc",
        "aa-bb:cc-dd-ee-ff",
        "aa--bb",
        "aab-bcc",
        "aabb.ccdd.ee",
        "0x",
        "aa-bb-",
    ] {
        let e = ClientId::parse(s).unwrap_err();
        assert!(
            matches!(e, ModelError::InvalidClientId { ref input, .. } if input == s),
            "{s:?}"
        );
    }
    assert!(ClientId::from_bytes(vec![0u8; 256]).is_err());
    assert!(ClientId::from_bytes(Vec::new()).is_err());
    assert!(ClientId::from_bytes(vec![7u8; 255]).is_ok());
}

#[test]
fn hardware_type_prefix_is_distinct_but_same_hardware() {
    let plain = ClientId::from_mac(MAC);
    let typed = ClientId::parse("01-aa-bb-cc-0d-ee-ff").unwrap();
    assert_ne!(plain, typed);
    assert!(!typed.is_mac());
    assert_eq!(typed.mac_bytes(), Some(MAC));
    assert_eq!(plain.mac_bytes(), Some(MAC));
    assert!(typed.same_hardware(&plain));
    assert!(plain.same_hardware(&typed));
    let other_type = ClientId::parse("06-aa-bb-cc-0d-ee-ff").unwrap();
    assert_eq!(other_type.mac_bytes(), None);
    assert!(!other_type.same_hardware(&plain));
}

#[test]
fn long_ids_are_kept_and_compared_canonically() {
    let duid = "00-01-00-01-2a-3b-4c-5d-aa-bb-cc-dd-ee-ff";
    let a = ClientId::parse(duid).unwrap();
    let b = ClientId::parse(&duid.replace('-', ":").to_uppercase()).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 14);
    assert_eq!(a.to_string(), duid);
    let set: HashSet<ClientId> = [a, b].into_iter().collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn ordering_is_by_bytes() {
    let a = ClientId::parse("00-00-00-00-00-01").unwrap();
    let b = ClientId::parse("00-00-00-00-00-02").unwrap();
    assert!(a < b);
}

#[test]
fn serde_is_canonical_string() {
    let id: ClientId = serde_json::from_str("\"AABB.CC0D.EEFF\"").unwrap();
    assert_eq!(serde_json::to_string(&id).unwrap(), "\"aa-bb-cc-0d-ee-ff\"");
    assert!(serde_json::from_str::<ClientId>("\"nope\"").is_err());
    assert_eq!(format!("{id:?}"), "ClientId(aa-bb-cc-0d-ee-ff)");
}
