//! Decoding of realistic PowerShell output: raw cmdlet objects from Windows PowerShell 5.1
//! (`/Date(..)/`, TimeSpan and IPAddress objects), PowerShell 7 (ISO dates with and without
//! offset) and our script's snake_case shape.

use time::macros::datetime;
use windhcp_dhcp_model::{
    AddressState, FailoverMode, LeaseLifetime, OptionData, ReservationType, ScopeSource,
    ScopeState, ServerRole,
};
use windhcp_psu_client::decode;

use crate::common::{ip, resource, sid};

#[test]
fn ps51_raw_scopes() {
    let scopes = decode::scopes(&resource("ps51_raw_scopes.json")).unwrap();
    assert_eq!(scopes.len(), 2);
    let a = &scopes[0];
    assert_eq!(a.id(), sid("10.1.0.0"));
    assert_eq!(a.name(), "Office LAN");
    assert_eq!(a.range().start(), ip("10.1.0.10"));
    assert_eq!(a.range().end(), ip("10.1.0.200"));
    assert_eq!(a.prefix().to_string(), "10.1.0.0/24");
    assert_eq!(a.lease_lifetime(), LeaseLifetime::Finite(8 * 86_400));
    assert_eq!(a.state(), ScopeState::Active);
    let b = &scopes[1];
    assert_eq!(b.prefix().to_string(), "10.2.0.0/23");
    assert_eq!(b.state(), ScopeState::Inactive);
    assert_eq!(b.lease_lifetime(), LeaseLifetime::Finite(3600));
    assert_eq!(b.description(), "lab bench");
}

#[test]
fn ps7_raw_scopes() {
    let scopes = decode::scopes(&resource("ps7_raw_scopes.json")).unwrap();
    assert_eq!(scopes.len(), 1);
    assert_eq!(scopes[0].id(), sid("192.168.10.0"));
    assert_eq!(scopes[0].lease_lifetime(), LeaseLifetime::Finite(4 * 3600));
}

#[test]
fn script_scopes() {
    let scopes = decode::scopes(&resource("script_scopes.json")).unwrap();
    assert_eq!(scopes[0].router(), Some(ip("10.1.0.1")));
    assert_eq!(
        scopes[0].source(),
        Some(&ScopeSource::Failover("dhcp01-dhcp02".into()))
    );
    assert_eq!(scopes[1].lease_lifetime(), LeaseLifetime::Unlimited);
    assert_eq!(scopes[1].router(), None);
    assert_eq!(scopes[1].source(), None);
    assert_eq!(scopes[1].state(), ScopeState::Inactive);
}

#[test]
fn ps51_raw_leases() {
    let leases = decode::leases(&resource("ps51_raw_leases.json"), None).unwrap();
    assert_eq!(leases.len(), 2);
    assert_eq!(leases[0].ip, ip("10.1.0.23"));
    assert_eq!(leases[0].scope_id, sid("10.1.0.0"));
    assert_eq!(
        leases[0].client_id.as_ref().unwrap().to_string(),
        "00-50-56-aa-bb-01"
    );
    assert_eq!(leases[0].hostname.as_deref(), Some("PC-0001.corp.example"));
    assert_eq!(
        leases[0].expires_at,
        Some(datetime!(2030-01-01 01:00:00 UTC))
    );
    assert_eq!(leases[1].address_state, AddressState::ActiveReservation);
    assert_eq!(leases[1].expires_at, None);
    assert_eq!(leases[1].hostname, None);
}

#[test]
fn ps7_raw_leases_with_and_without_offset() {
    let leases = decode::leases(&resource("ps7_raw_leases.json"), None).unwrap();
    assert_eq!(
        leases[0].expires_at,
        Some(datetime!(2030-01-01 01:00:00 UTC))
    );
    assert_eq!(
        leases[1].expires_at,
        Some(datetime!(2030-01-01 01:00:00.1234567 UTC))
    );
}

#[test]
fn script_leases_list_single_object_and_grouped() {
    let leases = decode::leases(&resource("script_leases.json"), None).unwrap();
    assert_eq!(leases.len(), 2);
    assert_eq!(
        leases[0].expires_at,
        Some(datetime!(2030-01-01 01:00:00 UTC))
    );
    let single = decode::leases(&resource("script_lease_single_object.json"), None).unwrap();
    assert_eq!(single.len(), 1);
    assert_eq!(single[0].ip, ip("10.1.0.23"));
    let grouped = decode::leases_grouped(&resource("script_leases_grouped.json")).unwrap();
    assert_eq!(grouped.len(), 3);
    assert_eq!(grouped[&sid("10.1.0.0")].len(), 1);
    assert!(grouped[&sid("10.2.0.0")].is_empty());
    assert_eq!(grouped[&sid("10.3.0.0")][0].ip, ip("10.3.0.11"));
}

#[test]
fn reservations_raw_and_script() {
    let r = decode::reservations(&resource("ps51_raw_reservations.json"), None).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].kind, ReservationType::Both);
    assert_eq!(r[0].name.as_deref(), Some("printer-2f"));
    assert_eq!(r[1].client_id.to_string(), "00-1b-21-00-00-04");
    assert_eq!(r[1].description, None);
    assert_eq!(r[1].kind, ReservationType::Dhcp);
    let s = decode::reservations(&resource("script_reservations.json"), None).unwrap();
    assert_eq!(s[0], r[0]);
}

#[test]
fn failover_raw_and_script() {
    let f = decode::failovers(&resource("ps51_raw_failover.json")).unwrap();
    assert_eq!(f.len(), 2);
    let lb = &f[0];
    assert!(lb.auth_enabled);
    assert_eq!(
        lb.failover.mode(),
        FailoverMode::LoadBalance {
            load_balance_percent: 60
        }
    );
    assert_eq!(lb.failover.scope_ids(), [sid("10.1.0.0"), sid("10.2.0.0")]);
    assert_eq!(lb.failover.primary_server(), "dhcp01.corp.example");
    assert_eq!(lb.failover.partner_server(), "dhcp02.corp.example");
    assert_eq!(lb.failover.mclt_secs(), 3600);
    assert_eq!(lb.failover.state_switchover_interval_secs(), None);
    let hs = &f[1];
    assert_eq!(
        hs.failover.mode(),
        FailoverMode::HotStandby {
            reserve_percent: 5,
            server_role: ServerRole::Active
        }
    );
    assert_eq!(hs.failover.scope_ids(), [sid("10.3.0.0")]);
    assert_eq!(hs.failover.state_switchover_interval_secs(), Some(1800));
    assert_eq!(hs.failover.mclt_secs(), 7200);
    assert_eq!(hs.failover.state(), Some("CommunicationInterrupted"));
    let s = decode::failovers(&resource("script_failover.json")).unwrap();
    assert!(!s[0].auth_enabled);
    assert_eq!(
        s[0].failover.mode(),
        FailoverMode::LoadBalance {
            load_balance_percent: 50
        }
    );
}

#[test]
fn options_raw_and_grouped() {
    let o = decode::options(&resource("ps51_raw_options.json")).unwrap();
    assert_eq!(o.len(), 4);
    assert_eq!(
        o[0].data(),
        &OptionData::IpAddressList(vec![ip("10.1.0.1")])
    );
    assert_eq!(
        o[1].data(),
        &OptionData::IpAddressList(vec![ip("10.0.0.53"), ip("10.0.0.54")])
    );
    assert_eq!(o[2].data(), &OptionData::String("corp.example".into()));
    assert_eq!(o[3].data(), &OptionData::Dword(691_200));
    assert!(
        o.iter()
            .all(|v| v.vendor_class().is_none() && v.user_class().is_none())
    );
    let g = decode::options_grouped(&resource("script_options_grouped.json")).unwrap();
    assert_eq!(g[&sid("10.1.0.0")].len(), 1);
    assert!(g[&sid("10.2.0.0")].is_empty());
}

#[test]
fn exclusions_raw_and_grouped() {
    let e = decode::exclusions(&resource("ps51_raw_exclusions.json"), None).unwrap();
    assert_eq!(e[0].scope_id, sid("10.1.0.0"));
    assert_eq!(e[0].range.to_string(), "10.1.0.10-10.1.0.19");
    let g = decode::exclusions_grouped(&resource("script_exclusions_grouped.json")).unwrap();
    assert_eq!(g[&sid("10.1.0.0")], e);
}

#[test]
fn bom_and_whitespace_are_tolerated() {
    let mut body = b"\xEF\xBB\xBF \n".to_vec();
    body.extend(resource("script_leases.json"));
    assert_eq!(decode::leases(&body, None).unwrap().len(), 2);
}

#[test]
fn missing_scope_id_is_taken_from_the_request() {
    let body = br#"[{"IPAddress": "10.5.0.9", "ClientId": "aa-bb-cc-dd-ee-ff", "AddressState": "Active"}]"#;
    assert!(decode::leases(body, None).is_err());
    let l = decode::leases(body, Some(sid("10.5.0.0"))).unwrap();
    assert_eq!(l[0].scope_id, sid("10.5.0.0"));
}

#[test]
fn endpoint_table_matches_the_contract() {
    let path = format!("{}/../../psu/contract.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let contract: serde_json::Value = serde_json::from_str(&text).unwrap();
    let endpoints = contract["endpoints"].as_array().unwrap();
    let mut ids = Vec::new();
    for e in endpoints {
        let id = e["id"].as_str().unwrap();
        ids.push(id);
        let ours = windhcp_psu_client::ENDPOINTS
            .iter()
            .find(|x| x.0 == id)
            .unwrap_or_else(|| panic!("contract endpoint `{id}` has no client method"));
        assert_eq!(ours.1, e["method"].as_str().unwrap(), "{id}");
        assert_eq!(ours.2, e["path"].as_str().unwrap(), "{id}");
        assert_eq!(
            ours.3,
            e["idempotent"].as_bool().unwrap(),
            "{id} idempotency"
        );
    }
    for ours in windhcp_psu_client::ENDPOINTS {
        assert!(ids.contains(&ours.0), "`{}` is not in the contract", ours.0);
    }
}
