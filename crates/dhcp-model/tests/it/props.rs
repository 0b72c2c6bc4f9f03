use proptest::prelude::*;
use windhcp_dhcp_model::strategies;
use windhcp_dhcp_model::{ClientId, IpRange, LeaseLifetime, OptionData, OptionValue, Scope};

proptest! {
    #[test]
    fn lifetime_display_round_trips(l in strategies::lease_lifetime()) {
        let text = l.to_string();
        prop_assert_eq!(text.parse::<LeaseLifetime>().unwrap(), l);
        let json = serde_json::to_string(&l).unwrap();
        prop_assert_eq!(serde_json::from_str::<LeaseLifetime>(&json).unwrap(), l);
    }

    #[test]
    fn lifetime_decompose_recomposes(l in strategies::lease_lifetime()) {
        match l.decompose() {
            None => prop_assert!(l.is_unlimited()),
            Some((v, u)) => {
                prop_assert_eq!(LeaseLifetime::from_value_unit(v, u).unwrap(), l);
                // largest exact unit: the next larger unit does not divide it (or it is 0)
                let secs = l.as_secs().unwrap();
                for bigger in windhcp_dhcp_model::LifetimeUnit::LARGEST_FIRST {
                    if bigger.seconds() > u.seconds() {
                        prop_assert!(secs == 0 || secs % bigger.seconds() != 0);
                    }
                }
            }
        }
    }

    #[test]
    fn from_value_unit_is_exact_or_errors(v in any::<u64>(), u in strategies::lifetime_unit()) {
        match LeaseLifetime::from_value_unit(v, u) {
            Ok(l) => prop_assert_eq!(l.as_secs(), Some(v * u.seconds())),
            Err(_) => prop_assert!(v.checked_mul(u.seconds()).is_none_or(|s| s >= 0xFFFF_FFFF)),
        }
    }

    #[test]
    fn client_id_every_spelling_parses((id, text) in strategies::client_id_spelling()) {
        let parsed = ClientId::parse(&text).unwrap();
        prop_assert_eq!(&parsed, &id, "{:?}", text);
        prop_assert_eq!(ClientId::parse(&id.to_string()).unwrap(), id);
    }

    #[test]
    fn client_id_canonical_form(id in strategies::client_id()) {
        let s = id.to_string();
        prop_assert!(s.chars().all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)));
        prop_assert_eq!(s.len(), id.len() * 3 - 1);
    }

    #[test]
    fn option_data_text_round_trips(d in strategies::any_option_data()) {
        let t = d.data_type();
        prop_assert_eq!(&OptionData::parse(t, &d.format()).unwrap(), &d);
        let arr = serde_json::Value::Array(d.values().into_iter().map(serde_json::Value::String).collect());
        prop_assert_eq!(OptionData::from_json(t, &arr).unwrap(), d);
    }

    #[test]
    fn option_value_serde_round_trips(v in strategies::option_value()) {
        let json = serde_json::to_value(&v).unwrap();
        prop_assert_eq!(serde_json::from_value::<OptionValue>(json).unwrap(), v);
    }

    #[test]
    fn range_laws(a in strategies::ip_range(), b in strategies::ip_range()) {
        prop_assert!(a.start() <= a.end());
        prop_assert_eq!(a.overlaps(&b), b.overlaps(&a));
        if a.contains_range(&b) { prop_assert!(a.overlaps(&b)); }
        prop_assert!(a.contains(a.start()) && a.contains(a.end()));
        prop_assert_eq!(a.to_string().parse::<IpRange>().unwrap(), a);
        prop_assert_eq!(a.len() == 1, a.start() == a.end());
    }

    #[test]
    fn scope_serde_round_trips(s in strategies::scope()) {
        let json = serde_json::to_value(&s).unwrap();
        prop_assert_eq!(&serde_json::from_value::<Scope>(json).unwrap(), &s);
        prop_assert!(s.prefix().contains(s.range().start()));
        prop_assert_eq!(Scope::try_from(s.to_spec()).unwrap(), s);
    }

    #[test]
    fn leases_and_reservations_fit_their_scope(
        (s, l, r) in strategies::scope().prop_flat_map(|s| {
            let l = strategies::lease_in(&s);
            let r = strategies::reservation_in(&s);
            (Just(s), l, r)
        })
    ) {
        prop_assert!(s.range().contains(l.ip));
        prop_assert!(l.validate().is_ok());
        prop_assert!(r.validate_in(&s).is_ok());
        let back: windhcp_dhcp_model::Lease = serde_json::from_value(serde_json::to_value(&l).unwrap()).unwrap();
        prop_assert_eq!(back, l);
    }
}
