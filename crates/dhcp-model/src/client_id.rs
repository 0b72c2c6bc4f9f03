//! DHCP client identifiers (usually MAC addresses) with one canonical spelling.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ModelError;

/// Longest client id DHCP can carry (option 61 holds at most 255 bytes).
pub const MAX_CLIENT_ID_LEN: usize = 255;

/// A DHCP client identifier: the bytes Windows shows as `ClientId`.
///
/// Usually a 6-byte MAC address, but Windows also stores longer ids (a hardware-type prefixed
/// `01-aa-bb-cc-dd-ee-ff`, DUID-like ids of DHCP option 61). All are kept byte-exact.
///
/// # Parsing
///
/// [`ClientId::parse`] accepts, in any case and with surrounding whitespace:
/// * `aa-bb-cc-dd-ee-ff` (Windows), `aa:bb:cc:dd:ee:ff`, `aa bb cc dd ee ff` — groups of one or
///   two hex digits (one digit is zero-padded: `a-b-c` = `0a-0b-0c`), one separator kind only;
/// * `aabb.ccdd.eeff` (Cisco) — groups of four hex digits separated by dots;
/// * `aabbccddeeff` — bare hex with an even number of digits, optionally prefixed `0x`.
///
/// # Canonical form and comparison
///
/// [`Display`](fmt::Display) is the Windows form: lowercase, hyphen-separated bytes. Equality,
/// ordering and hashing use the bytes, so every spelling of the same id is equal.
///
/// `01-aa-bb-cc-dd-ee-ff` (hardware type 1 + MAC) is **not** equal to `aa-bb-cc-dd-ee-ff`:
/// Windows matches reservations on the exact bytes, so they are different reservations. Use
/// [`ClientId::same_hardware`] when "is this the same network card?" is the question.
///
/// ```
/// use windhcp_dhcp_model::ClientId;
/// let a: ClientId = "AABB.CCDD.EEFF".parse()?;
/// let b = ClientId::parse(" aa:bb:cc:dd:ee:ff ")?;
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "aa-bb-cc-dd-ee-ff");
/// let typed = ClientId::parse("01-aa-bb-cc-dd-ee-ff")?;
/// assert_ne!(typed, a);
/// assert!(typed.same_hardware(&a));
/// # Ok::<(), windhcp_dhcp_model::ModelError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(Vec<u8>);

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes an even-length run of hex digits.
fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|p| Some(hex_val(p[0])? << 4 | hex_val(p[1])?))
        .collect()
}

impl ClientId {
    /// Parses any of the spellings described on the type.
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        let bad = |reason| ModelError::InvalidClientId {
            input: input.to_owned(),
            reason,
        };
        let t = input.trim();
        if t.is_empty() {
            return Err(bad("empty"));
        }
        let mut seen = [false; 4];
        for c in t.bytes() {
            match c {
                b'-' => seen[0] = true,
                b':' => seen[1] = true,
                b'.' => seen[2] = true,
                b' ' => seen[3] = true,
                _ => {}
            }
        }
        let seps: Vec<char> = ['-', ':', '.', ' ']
            .into_iter()
            .zip(seen)
            .filter_map(|(c, s)| s.then_some(c))
            .collect();
        let bytes = match seps.as_slice() {
            [] => {
                let hex = t
                    .strip_prefix("0x")
                    .or_else(|| t.strip_prefix("0X"))
                    .unwrap_or(t);
                if hex.is_empty() {
                    return Err(bad("no hex digits"));
                }
                decode_hex(hex).ok_or_else(|| {
                    if !hex.len().is_multiple_of(2) {
                        bad("odd number of hex digits")
                    } else {
                        bad("not hexadecimal")
                    }
                })?
            }
            ['.'] => {
                let mut out = Vec::new();
                for group in t.split('.') {
                    if group.len() != 4 {
                        return Err(bad("dotted form needs groups of four hex digits"));
                    }
                    out.extend(decode_hex(group).ok_or_else(|| bad("not hexadecimal"))?);
                }
                out
            }
            [sep] => {
                let mut out = Vec::new();
                for group in t.split(*sep) {
                    let v = match group.as_bytes() {
                        [a] => hex_val(*a),
                        [a, b] => hex_val(*a).zip(hex_val(*b)).map(|(a, b)| a << 4 | b),
                        _ => {
                            return Err(bad(
                                "separated form needs groups of one or two hex digits",
                            ));
                        }
                    };
                    out.push(v.ok_or_else(|| bad("not hexadecimal"))?);
                }
                out
            }
            _ => return Err(bad("mixed separators")),
        };
        Self::from_bytes(bytes).map_err(|_| bad("longer than 255 bytes"))
    }

    /// A client id from raw bytes: 1 to [`MAX_CLIENT_ID_LEN`] bytes.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<Self, ModelError> {
        let bytes = bytes.into();
        if bytes.is_empty() || bytes.len() > MAX_CLIENT_ID_LEN {
            return Err(ModelError::InvalidClientId {
                input: bytes.iter().map(|b| format!("{b:02x}")).collect(),
                reason: "must be 1 to 255 bytes",
            });
        }
        Ok(ClientId(bytes))
    }

    /// A client id from a MAC address.
    #[must_use]
    pub fn from_mac(mac: [u8; 6]) -> Self {
        ClientId(mac.to_vec())
    }

    /// The raw bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a client id has at least one byte. Present for API symmetry with `len`.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `true` if the id is exactly six bytes (a plain MAC address).
    #[must_use]
    pub fn is_mac(&self) -> bool {
        self.0.len() == 6
    }

    /// The MAC address inside the id: the id itself when it is six bytes, or the last six bytes
    /// of a seven-byte id whose first byte is `01` (hardware type Ethernet). Otherwise `None`.
    #[must_use]
    pub fn mac_bytes(&self) -> Option<[u8; 6]> {
        match self.0.as_slice() {
            [a, b, c, d, e, f] | [0x01, a, b, c, d, e, f] => Some([*a, *b, *c, *d, *e, *f]),
            _ => None,
        }
    }

    /// `true` if both ids name the same hardware: equal bytes, or the same MAC address with or
    /// without the Ethernet hardware-type prefix `01`.
    #[must_use]
    pub fn same_hardware(&self, other: &ClientId) -> bool {
        self == other
            || matches!((self.mac_bytes(), other.mac_bytes()), (Some(a), Some(b)) if a == b)
    }
}

impl fmt::Display for ClientId {
    /// The canonical Windows form `aa-bb-cc-dd-ee-ff`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(self.0.len() * 3);
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('-');
            }
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        f.write_str(&out)
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({self})")
    }
}

impl FromStr for ClientId {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClientId::parse(s)
    }
}

impl TryFrom<&str> for ClientId {
    type Error = ModelError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        ClientId::parse(s)
    }
}

impl From<[u8; 6]> for ClientId {
    fn from(mac: [u8; 6]) -> Self {
        ClientId::from_mac(mac)
    }
}

impl Serialize for ClientId {
    /// Serialises as the canonical string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClientId {
    /// Deserialises from any spelling [`ClientId::parse`] accepts.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        ClientId::parse(&s).map_err(serde::de::Error::custom)
    }
}
