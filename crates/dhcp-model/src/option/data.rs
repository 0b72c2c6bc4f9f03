//! Option data types and typed option data.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// The data type of an option.
///
/// Windows types an option by a scalar type name plus a "multi-valued" flag. Each multi-valued
/// combination Windows allows for a scalar type gets its own `…List` variant here
/// (`IpAddressList`, `WordList`, `ByteList`, `DwordList`, `DwordDwordList`, `StringList`);
/// [`OptionDataType::windows_name`] and [`OptionDataType::is_multi_valued`] give the Windows pair
/// back. Binary, encapsulated and IPv6 data have no list form (several binary values are one
/// byte string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OptionDataType {
    /// `Byte`: an unsigned 8-bit number.
    Byte,
    /// Multi-valued `Byte`.
    ByteList,
    /// `Word`: an unsigned 16-bit number.
    Word,
    /// Multi-valued `Word`.
    WordList,
    /// `DWord`: an unsigned 32-bit number.
    Dword,
    /// Multi-valued `DWord`.
    DwordList,
    /// `DWordDword`: an unsigned 64-bit number.
    DwordDword,
    /// Multi-valued `DWordDWord`.
    DwordDwordList,
    /// `IPv4Address` (single). Address-family neutral here: IPv6 values are accepted by the model.
    IpAddress,
    /// Multi-valued `IPv4Address`.
    IpAddressList,
    /// `String`.
    String,
    /// Multi-valued `String` (for example a list of domain suffixes).
    StringList,
    /// `BinaryData`.
    Binary,
    /// `EncapsulatedData`.
    Encapsulated,
    /// `IPv6Address`.
    Ipv6Address,
}

impl OptionDataType {
    /// Every data type.
    pub const ALL: [OptionDataType; 15] = [
        OptionDataType::Byte,
        OptionDataType::ByteList,
        OptionDataType::Word,
        OptionDataType::WordList,
        OptionDataType::Dword,
        OptionDataType::DwordList,
        OptionDataType::DwordDword,
        OptionDataType::DwordDwordList,
        OptionDataType::IpAddress,
        OptionDataType::IpAddressList,
        OptionDataType::String,
        OptionDataType::StringList,
        OptionDataType::Binary,
        OptionDataType::Encapsulated,
        OptionDataType::Ipv6Address,
    ];

    /// The Windows `Type` name (`Get-DhcpServerv4OptionDefinition`).
    #[must_use]
    pub const fn windows_name(self) -> &'static str {
        match self {
            OptionDataType::Byte | OptionDataType::ByteList => "Byte",
            OptionDataType::Word | OptionDataType::WordList => "Word",
            OptionDataType::Dword | OptionDataType::DwordList => "DWord",
            OptionDataType::DwordDword | OptionDataType::DwordDwordList => "DWordDWord",
            OptionDataType::IpAddress | OptionDataType::IpAddressList => "IPv4Address",
            OptionDataType::String | OptionDataType::StringList => "String",
            OptionDataType::Binary => "BinaryData",
            OptionDataType::Encapsulated => "EncapsulatedData",
            OptionDataType::Ipv6Address => "IPv6Address",
        }
    }

    /// The Windows `MultiValued` flag.
    #[must_use]
    pub const fn is_multi_valued(self) -> bool {
        matches!(
            self,
            OptionDataType::ByteList
                | OptionDataType::WordList
                | OptionDataType::DwordList
                | OptionDataType::DwordDwordList
                | OptionDataType::IpAddressList
                | OptionDataType::StringList
        )
    }

    /// The list variant of a scalar type (`Word` → `WordList`); `None` for types without one.
    /// A list type is its own list variant.
    #[must_use]
    pub const fn list_of(self) -> Option<OptionDataType> {
        Some(match self {
            OptionDataType::Byte | OptionDataType::ByteList => OptionDataType::ByteList,
            OptionDataType::Word | OptionDataType::WordList => OptionDataType::WordList,
            OptionDataType::Dword | OptionDataType::DwordList => OptionDataType::DwordList,
            OptionDataType::DwordDword | OptionDataType::DwordDwordList => {
                OptionDataType::DwordDwordList
            }
            OptionDataType::IpAddress | OptionDataType::IpAddressList => {
                OptionDataType::IpAddressList
            }
            OptionDataType::String | OptionDataType::StringList => OptionDataType::StringList,
            OptionDataType::Binary | OptionDataType::Encapsulated | OptionDataType::Ipv6Address => {
                return None;
            }
        })
    }

    /// The type for a Windows `Type` name and `MultiValued` flag. Case-insensitive; also accepts
    /// the names the Python plugin used (`IPAddress`, `IPAddressList`, `DWORD`, `DWORD DWORD`,
    /// `Binary`, `Encapsulated`). A multi-valued type without a list variant keeps its scalar type.
    pub fn from_windows(name: &str, multi_valued: bool) -> Result<Self, ModelError> {
        let scalar: OptionDataType = name.parse()?;
        Ok(if multi_valued {
            scalar.list_of().unwrap_or(scalar)
        } else {
            scalar
        })
    }
}

impl fmt::Display for OptionDataType {
    /// The Windows type name, with `[]` appended for the list types (`IPv4Address[]`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.windows_name())?;
        if self.is_multi_valued() {
            f.write_str("[]")?;
        }
        Ok(())
    }
}

impl FromStr for OptionDataType {
    type Err = ModelError;

    /// Accepts the [`Display`](fmt::Display) form, Windows names, the Python plugin's names and
    /// this crate's variant names, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        Ok(match key.as_str() {
            "byte" => OptionDataType::Byte,
            "byte[]" | "bytelist" => OptionDataType::ByteList,
            "word" => OptionDataType::Word,
            "word[]" | "wordlist" => OptionDataType::WordList,
            "dword" => OptionDataType::Dword,
            "dword[]" | "dwordlist" => OptionDataType::DwordList,
            "dworddword" => OptionDataType::DwordDword,
            "dworddword[]" | "dworddwordlist" => OptionDataType::DwordDwordList,
            "ipv4address" | "ipaddress" => OptionDataType::IpAddress,
            "ipv4address[]" | "ipaddresslist" | "ipv4addresslist" => OptionDataType::IpAddressList,
            "string" => OptionDataType::String,
            "string[]" | "stringlist" => OptionDataType::StringList,
            "binarydata" | "binary" => OptionDataType::Binary,
            "encapsulateddata" | "encapsulated" => OptionDataType::Encapsulated,
            "ipv6address" => OptionDataType::Ipv6Address,
            _ => {
                return Err(ModelError::UnknownKeyword {
                    kind: "option data type",
                    input: s.to_owned(),
                });
            }
        })
    }
}

/// Typed option data.
///
/// Text form ([`OptionData::parse`] / [`OptionData::format`], also `Display`):
/// numbers in decimal (parse also accepts `0x` hex); lists joined by `", "` (parse splits on
/// commas and trims); binary as lowercase hex without separators (parse also accepts groups
/// separated by spaces, `-`, `:` or `,`, each optionally `0x`-prefixed, e.g. `0x18 0xA 0x0`,
/// where a one-digit group is one byte); strings verbatim. A string list is comma-separated in
/// the text form too, so an element that contains a comma or starts or ends with blanks can only
/// be given element by element: as a JSON array ([`OptionData::from_json`]) or by building
/// [`OptionData::StringList`] directly. [`OptionData::values`] always gives the elements back
/// unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "value")]
#[non_exhaustive]
pub enum OptionData {
    /// `Byte`.
    Byte(u8),
    /// Multi-valued `Byte`.
    ByteList(Vec<u8>),
    /// `Word`.
    Word(u16),
    /// Multi-valued `Word`.
    WordList(Vec<u16>),
    /// `DWord`.
    Dword(u32),
    /// Multi-valued `DWord`.
    DwordList(Vec<u32>),
    /// `DWordDword`.
    DwordDword(u64),
    /// Multi-valued `DWordDWord`.
    DwordDwordList(Vec<u64>),
    /// One address.
    IpAddress(IpAddr),
    /// Several addresses, order preserved (it is a preference order).
    IpAddressList(Vec<IpAddr>),
    /// `String`.
    String(String),
    /// Multi-valued `String`, order preserved.
    StringList(Vec<String>),
    /// `BinaryData`.
    Binary(Vec<u8>),
    /// `EncapsulatedData`.
    Encapsulated(Vec<u8>),
    /// `IPv6Address`.
    Ipv6Address(Ipv6Addr),
}

fn bad(data_type: OptionDataType, input: &str, reason: impl Into<String>) -> ModelError {
    ModelError::InvalidOptionValue {
        data_type: data_type.windows_name(),
        input: input.to_owned(),
        reason: reason.into(),
    }
}

fn parse_uint<T: TryFrom<u64>>(t: OptionDataType, s: &str) -> Result<T, ModelError> {
    let v = s.trim();
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse::<u64>(),
    }
    .map_err(|e| bad(t, s, e.to_string()))?;
    T::try_from(parsed).map_err(|_| bad(t, s, "number too large for the type"))
}

fn parse_ip(t: OptionDataType, s: &str) -> Result<IpAddr, ModelError> {
    s.trim()
        .parse::<IpAddr>()
        .map_err(|_| bad(t, s, "not an IP address"))
}

fn parse_bytes(t: OptionDataType, s: &str) -> Result<Vec<u8>, ModelError> {
    let tokens: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | ':' | ','))
        .filter(|p| !p.is_empty())
        .collect();
    let separated = tokens.len() > 1;
    let mut out = Vec::new();
    for token in tokens {
        let (digits, prefixed) = match token
            .strip_prefix("0x")
            .or_else(|| token.strip_prefix("0X"))
        {
            Some(rest) => (rest, true),
            None => (token, false),
        };
        if digits.is_empty() {
            return Err(bad(t, s, "empty hex group"));
        }
        // A lone nibble is a byte when it stands on its own (`0xA`, or `1 2 a`).
        if digits.len() == 1 && (prefixed || separated) {
            out.push(u8::from_str_radix(digits, 16).map_err(|_| bad(t, s, "not hexadecimal"))?);
            continue;
        }
        if !digits.len().is_multiple_of(2) {
            return Err(bad(t, s, "odd number of hex digits"));
        }
        for i in (0..digits.len()).step_by(2) {
            let pair = digits
                .get(i..i + 2)
                .ok_or_else(|| bad(t, s, "not hexadecimal"))?;
            out.push(u8::from_str_radix(pair, 16).map_err(|_| bad(t, s, "not hexadecimal"))?);
        }
    }
    Ok(out)
}

/// Splits a comma-separated list and parses each trimmed element; an empty input is an error
/// (Windows has no empty multi-valued option).
fn parse_list<T>(
    t: OptionDataType,
    input: &str,
    element: impl Fn(OptionDataType, &str) -> Result<T, ModelError>,
) -> Result<Vec<T>, ModelError> {
    if input.trim().is_empty() {
        return Err(bad(t, input, "empty list"));
    }
    input.split(',').map(|p| element(t, p.trim())).collect()
}

impl OptionData {
    /// Parses the text form of `data_type` (see the type docs).
    pub fn parse(data_type: OptionDataType, input: &str) -> Result<Self, ModelError> {
        let t = data_type;
        Ok(match t {
            OptionDataType::Byte => OptionData::Byte(parse_uint(t, input)?),
            OptionDataType::ByteList => OptionData::ByteList(parse_list(t, input, parse_uint)?),
            OptionDataType::Word => OptionData::Word(parse_uint(t, input)?),
            OptionDataType::WordList => OptionData::WordList(parse_list(t, input, parse_uint)?),
            OptionDataType::Dword => OptionData::Dword(parse_uint(t, input)?),
            OptionDataType::DwordList => OptionData::DwordList(parse_list(t, input, parse_uint)?),
            OptionDataType::DwordDword => OptionData::DwordDword(parse_uint(t, input)?),
            OptionDataType::DwordDwordList => {
                OptionData::DwordDwordList(parse_list(t, input, parse_uint)?)
            }
            OptionDataType::IpAddress => OptionData::IpAddress(parse_ip(t, input)?),
            OptionDataType::IpAddressList => {
                OptionData::IpAddressList(parse_list(t, input, parse_ip)?)
            }
            OptionDataType::String => OptionData::String(input.to_owned()),
            OptionDataType::StringList => {
                OptionData::StringList(parse_list(t, input, |_, p| Ok(p.to_owned()))?)
            }
            OptionDataType::Binary => OptionData::Binary(parse_bytes(t, input)?),
            OptionDataType::Encapsulated => OptionData::Encapsulated(parse_bytes(t, input)?),
            OptionDataType::Ipv6Address => OptionData::Ipv6Address(
                input
                    .trim()
                    .parse()
                    .map_err(|_| bad(t, input, "not an IPv6 address"))?,
            ),
        })
    }

    /// Parses a JSON value: a string (text form), a number (numeric types), or an array of
    /// those — the shape PSU emits (`"value": ["10.0.0.1", "10.0.0.2"]`). An array for a scalar
    /// type must hold exactly one element; an array for a binary type is concatenated.
    pub fn from_json(
        data_type: OptionDataType,
        value: &serde_json::Value,
    ) -> Result<Self, ModelError> {
        use serde_json::Value;
        let scalar_text = |v: &Value| -> Result<String, ModelError> {
            match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(bad(
                    data_type,
                    &other.to_string(),
                    "expected a string or number",
                )),
            }
        };
        match value {
            Value::Array(items) => {
                let parts: Vec<String> = items.iter().map(scalar_text).collect::<Result<_, _>>()?;
                match data_type {
                    // Strings are taken element by element: a comma or blank inside one is data.
                    OptionDataType::StringList => {
                        if parts.is_empty() {
                            return Err(bad(data_type, "[]", "empty list"));
                        }
                        Ok(OptionData::StringList(parts))
                    }
                    t if t.is_multi_valued() => {
                        if parts.iter().any(|p| p.contains(',')) {
                            return Err(bad(
                                data_type,
                                &value.to_string(),
                                "element contains a comma",
                            ));
                        }
                        OptionData::parse(data_type, &parts.join(","))
                    }
                    OptionDataType::Binary | OptionDataType::Encapsulated => {
                        let mut out = Vec::new();
                        for p in &parts {
                            out.extend(parse_bytes(data_type, p)?);
                        }
                        Ok(match data_type {
                            OptionDataType::Binary => OptionData::Binary(out),
                            _ => OptionData::Encapsulated(out),
                        })
                    }
                    _ => match parts.as_slice() {
                        [one] => OptionData::parse(data_type, one),
                        _ => Err(bad(
                            data_type,
                            &value.to_string(),
                            "expected exactly one value",
                        )),
                    },
                }
            }
            other => OptionData::parse(data_type, &scalar_text(other)?),
        }
    }

    /// The data type of this data.
    #[must_use]
    pub fn data_type(&self) -> OptionDataType {
        match self {
            OptionData::Byte(_) => OptionDataType::Byte,
            OptionData::ByteList(_) => OptionDataType::ByteList,
            OptionData::Word(_) => OptionDataType::Word,
            OptionData::WordList(_) => OptionDataType::WordList,
            OptionData::Dword(_) => OptionDataType::Dword,
            OptionData::DwordList(_) => OptionDataType::DwordList,
            OptionData::DwordDword(_) => OptionDataType::DwordDword,
            OptionData::DwordDwordList(_) => OptionDataType::DwordDwordList,
            OptionData::IpAddress(_) => OptionDataType::IpAddress,
            OptionData::IpAddressList(_) => OptionDataType::IpAddressList,
            OptionData::String(_) => OptionDataType::String,
            OptionData::StringList(_) => OptionDataType::StringList,
            OptionData::Binary(_) => OptionDataType::Binary,
            OptionData::Encapsulated(_) => OptionDataType::Encapsulated,
            OptionData::Ipv6Address(_) => OptionDataType::Ipv6Address,
        }
    }

    /// The individual values as Windows lists them (`Get-DhcpServerv4OptionValue`'s `Value`
    /// array): one string per list element, one string otherwise.
    #[must_use]
    pub fn values(&self) -> Vec<String> {
        match self {
            OptionData::ByteList(v) => v.iter().map(ToString::to_string).collect(),
            OptionData::WordList(v) => v.iter().map(ToString::to_string).collect(),
            OptionData::DwordList(v) => v.iter().map(ToString::to_string).collect(),
            OptionData::DwordDwordList(v) => v.iter().map(ToString::to_string).collect(),
            OptionData::IpAddressList(v) => v.iter().map(ToString::to_string).collect(),
            OptionData::StringList(v) => v.clone(),
            other => vec![other.format()],
        }
    }

    /// The text form; [`OptionData::parse`] of it with [`OptionData::data_type`] gives `self` back.
    #[must_use]
    pub fn format(&self) -> String {
        self.to_string()
    }
}

fn join<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

impl fmt::Display for OptionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionData::Byte(v) => write!(f, "{v}"),
            OptionData::ByteList(v) => join(f, v),
            OptionData::Word(v) => write!(f, "{v}"),
            OptionData::WordList(v) => join(f, v),
            OptionData::Dword(v) => write!(f, "{v}"),
            OptionData::DwordList(v) => join(f, v),
            OptionData::DwordDword(v) => write!(f, "{v}"),
            OptionData::DwordDwordList(v) => join(f, v),
            OptionData::IpAddress(v) => write!(f, "{v}"),
            OptionData::IpAddressList(v) => join(f, v),
            OptionData::String(v) => f.write_str(v),
            OptionData::StringList(v) => join(f, v),
            OptionData::Binary(v) | OptionData::Encapsulated(v) => {
                v.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
            OptionData::Ipv6Address(v) => write!(f, "{v}"),
        }
    }
}
