//! An option value as set on a scope (or server, or reservation).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{OptionCode, OptionData, OptionDataType};
use crate::error::ModelError;

/// One option value: code, optional vendor/user class, and typed data.
///
/// Invariant: for a predefined code in the default vendor class (`vendor_class == None`), the
/// data has the catalog's data type. A single address or word given for a list-typed option is
/// widened to a one-element list. Codes without a definition, and any code under a vendor class
/// (vendor classes reuse codes with their own meanings), accept any data type, so unknown codes
/// round-trip unchanged.
///
/// Serde shape (see [`crate::wire::OptionValueWire`]):
/// `{"code": 6, "vendor_class": null, "user_class": null, "data_type": "IPv4Address[]", "value": "10.0.0.1, 10.0.0.2"}`;
/// `data_type` may be omitted for predefined codes, `value` may also be a JSON array.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(
    try_from = "crate::wire::OptionValueWire",
    into = "crate::wire::OptionValueWire"
)]
pub struct OptionValue {
    code: OptionCode,
    vendor_class: Option<String>,
    user_class: Option<String>,
    data: OptionData,
}

fn clean_class(c: Option<String>) -> Option<String> {
    c.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl OptionValue {
    /// A default-class value, checked against the catalog.
    pub fn new(code: impl Into<OptionCode>, data: OptionData) -> Result<Self, ModelError> {
        Self::with_classes(code, None, None, data)
    }

    /// A value with optional vendor and user class (blank class names count as none).
    pub fn with_classes(
        code: impl Into<OptionCode>,
        vendor_class: Option<String>,
        user_class: Option<String>,
        data: OptionData,
    ) -> Result<Self, ModelError> {
        let code = OptionCode::from(u8::from(code.into()));
        let vendor_class = clean_class(vendor_class);
        let user_class = clean_class(user_class);
        let mut data = data;
        if vendor_class.is_none()
            && let Some(expected) = code.data_type()
        {
            data = match (expected, data) {
                (OptionDataType::IpAddressList, OptionData::IpAddress(ip)) => {
                    OptionData::IpAddressList(vec![ip])
                }
                (OptionDataType::WordList, OptionData::Word(w)) => OptionData::WordList(vec![w]),
                (_, d) => d,
            };
            if data.data_type() != expected {
                return Err(ModelError::OptionTypeMismatch {
                    code: code.code(),
                    expected: expected.windows_name(),
                    actual: data.data_type().windows_name(),
                });
            }
        }
        Ok(OptionValue {
            code,
            vendor_class,
            user_class,
            data,
        })
    }

    /// Parses the text form of a predefined option's value (`OptionValue::parse(6, "10.0.0.1, 10.0.0.2")`).
    /// Fails with [`ModelError::UnknownKeyword`] for an unknown code (use [`OptionData::parse`]
    /// with an explicit type and [`OptionValue::new`]).
    pub fn parse(code: impl Into<OptionCode>, text: &str) -> Result<Self, ModelError> {
        let code = code.into();
        let t = code.data_type().ok_or_else(|| ModelError::UnknownKeyword {
            kind: "option code without a predefined type",
            input: code.code().to_string(),
        })?;
        Self::new(code, OptionData::parse(t, text)?)
    }

    /// The option code.
    #[must_use]
    pub fn code(&self) -> OptionCode {
        self.code
    }

    /// The vendor class, `None` for the default ("DHCP Standard Options") class.
    #[must_use]
    pub fn vendor_class(&self) -> Option<&str> {
        self.vendor_class.as_deref()
    }

    /// The user class, `None` for the default user class.
    #[must_use]
    pub fn user_class(&self) -> Option<&str> {
        self.user_class.as_deref()
    }

    /// The typed data.
    #[must_use]
    pub fn data(&self) -> &OptionData {
        &self.data
    }

    /// The identity of the value inside a scope: (code, vendor class, user class). A scope holds
    /// at most one value per key.
    #[must_use]
    pub fn key(&self) -> (u8, Option<&str>, Option<&str>) {
        (self.code.code(), self.vendor_class(), self.user_class())
    }
}

impl fmt::Display for OptionValue {
    /// `"6 (DNS Servers) = 10.0.0.1, 10.0.0.2"`, with `[vendor/user]` classes when set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if self.vendor_class.is_some() || self.user_class.is_some() {
            write!(
                f,
                " [{}/{}]",
                self.vendor_class().unwrap_or("-"),
                self.user_class().unwrap_or("-")
            )?;
        }
        write!(f, " = {}", self.data)
    }
}
