//! Small, allocation-free comparisons of client ids and DNS names.

use compact_str::{CompactString, ToCompactString};
use windhcp_dhcp_model::ClientId;
use windhcp_dhcp_model::client_id::MAX_CLIENT_ID_LEN;

/// The canonical spelling of a client id (`aa-bb-cc-dd-ee-ff`), or `None` if it is not one.
/// A MAC-sized id (up to eight bytes) is stored inline.
pub(crate) fn canonical_client_id(raw: &str) -> Option<CompactString> {
    if is_canonical_client_id(raw) {
        // Parsing and printing would give the same text back.
        return Some(raw.into());
    }
    ClientId::parse(raw).ok().map(|id| id.to_compact_string())
}

/// Whether `raw` is already spelled canonically: 1 to 255 pairs of lowercase hex digits
/// joined by single dashes, nothing else.
fn is_canonical_client_id(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.len() % 3 == 2
        && b.len() < MAX_CLIENT_ID_LEN * 3
        && b.iter().enumerate().all(|(i, &c)| {
            if i % 3 == 2 {
                c == b'-'
            } else {
                c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
            }
        })
}

/// Whether two client id spellings denote the same id. Byte-equal strings are equal without
/// parsing; otherwise both are parsed (unparsable ids are compared as trimmed, case-folded text).
pub(crate) fn same_client_id(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (ClientId::parse(a), ClientId::parse(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

/// Whether `name` is a valid NetBox DNS name: labels of `[0-9A-Za-z_-]` separated by dots (the
/// first label may be `*`), an optional trailing dot, at most 255 characters.
///
/// One pass over the bytes, no splitting: after an optional leading `*.` (or a lone `*`), the
/// rest must be made of label characters and dots, with no empty label (no leading, trailing or
/// doubled dot).
pub(crate) fn is_valid_dns_name(name: &str) -> bool {
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let body = name.strip_suffix('.').unwrap_or(name).as_bytes();
    let rest = match body {
        b"*" => return true,
        [b'*', b'.', rest @ ..] => rest,
        _ => body,
    };
    let (Some(&first), Some(&last)) = (rest.first(), rest.last()) else {
        return false;
    };
    if first == b'.' || last == b'.' {
        return false;
    }
    let mut previous_dot = false;
    for &b in rest {
        let dot = b == b'.';
        if (dot && previous_dot) || !(dot || is_label_byte(b)) {
            return false;
        }
        previous_dot = dot;
    }
    true
}

/// A byte allowed inside a DNS label: `[0-9A-Za-z_-]`.
fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Whether `stored` already equals the lowercased `name`, without allocating.
pub(crate) fn equals_lowercased(stored: &str, name: &str) -> bool {
    stored.len() == name.len()
        && stored
            .bytes()
            .zip(name.bytes())
            .all(|(s, n)| s == n.to_ascii_lowercase())
}

/// What a hostname from the server means for `dns_name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DnsName<'a> {
    /// Empty: never clears the stored name.
    Empty,
    /// Invalid: reported, never written.
    Invalid,
    /// A valid name (written lowercased).
    Valid(&'a str),
}

/// Classify a hostname reported by the server.
pub(crate) fn classify_dns_name(raw: &str) -> DnsName<'_> {
    let t = raw.trim();
    if t.is_empty() {
        DnsName::Empty
    } else if is_valid_dns_name(t) {
        DnsName::Valid(t)
    } else {
        DnsName::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert!(is_valid_dns_name("host-1.corp.example.com"));
        assert!(is_valid_dns_name("*.example.com."));
        assert!(!is_valid_dns_name("Test Device With Spaces"));
        assert!(!is_valid_dns_name("a..b"));
        assert!(!is_valid_dns_name(&"a".repeat(256)));
        assert_eq!(classify_dns_name("  "), DnsName::Empty);
        assert_eq!(classify_dns_name("Bad Name"), DnsName::Invalid);
        assert_eq!(classify_dns_name("PC1"), DnsName::Valid("PC1"));
    }

    /// The label-by-label definition the one-pass check must agree with.
    fn is_valid_dns_name_by_labels(name: &str) -> bool {
        if name.is_empty() || name.len() > 255 {
            return false;
        }
        let body = name.strip_suffix('.').unwrap_or(name);
        !body.is_empty()
            && body.split('.').enumerate().all(|(i, label)| {
                !label.is_empty() && ((i == 0 && label == "*") || label.bytes().all(is_label_byte))
            })
    }

    #[test]
    fn one_pass_dns_check_agrees_with_the_label_definition() {
        // Every string of up to five characters over an alphabet with all the interesting
        // classes (label characters, dot, star, space, upper case, non-ASCII), plus long names.
        let alphabet = ['a', 'Z', '0', '-', '_', '.', '*', ' ', 'é'];
        let mut names = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for s in &frontier {
                for c in alphabet {
                    let mut t = s.clone();
                    t.push(c);
                    next.push(t);
                }
            }
            names.extend(next.iter().cloned());
            frontier = next;
        }
        for long in [
            "a".repeat(255),
            "a".repeat(256),
            format!("{}.", "a".repeat(254)),
            format!("{}.", "a".repeat(255)),
            format!("*.{}", "b.".repeat(100)),
        ] {
            names.push(long);
        }
        let mut valid = 0;
        for name in &names {
            let expected = is_valid_dns_name_by_labels(name);
            assert_eq!(is_valid_dns_name(name), expected, "{name:?}");
            valid += usize::from(expected);
        }
        // The alphabet does produce both outcomes in quantity.
        assert!(
            valid > 1_000 && names.len() - valid > 1_000,
            "{valid} of {}",
            names.len()
        );
    }

    #[test]
    fn lowercase_compare() {
        assert!(equals_lowercased("pc1.corp", "PC1.Corp"));
        assert!(!equals_lowercased("PC1", "pc1"));
        assert!(!equals_lowercased("pc1", "pc12"));
    }

    #[test]
    fn canonical_fast_path_agrees_with_parsing() {
        for raw in [
            "aa-bb-cc-dd-ee-ff",
            "01-aa-bb-cc-dd-ee-ff",
            "0a",
            "ab-",
            "-ab",
            "a-bb",
            "AA-bb-cc-dd-ee-ff",
            "aa--bb",
            "aa-bb-cc-dd-ee-fg",
            " aa-bb",
            "",
        ] {
            let slow = ClientId::parse(raw).ok().map(|id| id.to_string());
            assert_eq!(
                canonical_client_id(raw).as_deref(),
                slow.as_deref(),
                "{raw:?}"
            );
            if is_canonical_client_id(raw) {
                assert_eq!(slow.as_deref(), Some(raw));
            }
        }
        let longest = vec!["0f"; MAX_CLIENT_ID_LEN].join("-");
        assert!(is_canonical_client_id(&longest));
        assert_eq!(
            canonical_client_id(&longest).as_deref(),
            Some(longest.as_str())
        );
        let too_long = vec!["0f"; MAX_CLIENT_ID_LEN + 1].join("-");
        assert!(!is_canonical_client_id(&too_long));
        assert_eq!(canonical_client_id(&too_long), None);
    }

    #[test]
    fn client_ids() {
        assert!(same_client_id("AA:BB:CC:DD:EE:FF", "aa-bb-cc-dd-ee-ff"));
        assert!(!same_client_id("aa-bb-cc-dd-ee-ff", "01-aa-bb-cc-dd-ee-ff"));
        assert_eq!(
            canonical_client_id("AABB.CCDD.EEFF").as_deref(),
            Some("aa-bb-cc-dd-ee-ff")
        );
        assert_eq!(canonical_client_id("zz"), None);
    }
}
