//! A serde `Deserializer` that reads plain Python data directly.
//!
//! It accepts what `json.loads` produces (dict, list, str, int, float, bool, None) plus tuples,
//! and reads it the way serde_json reads the same JSON: dict keys may be `str` or `int`, and a
//! `str` key such as `"500"` is read into an integer-keyed map. No intermediate
//! `serde_json::Value` is built.

use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

/// Deepest nesting accepted: deeper (or cyclic) data is an error, not a stack overflow.
pub const MAX_DEPTH: usize = 128;

/// Why Python data could not be read as the requested type.
#[derive(Debug)]
pub struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

impl From<PyErr> for DeError {
    fn from(e: PyErr) -> Self {
        DeError(e.to_string())
    }
}

/// Reads `obj` as a `T`. Errors name the path of the offending value
/// (`servers.dhcp01.leases[3].ip: …`).
///
/// # Errors
/// [`DeError`] when the data does not have the shape of `T`.
pub fn from_py<T: DeserializeOwned>(obj: &Bound<'_, PyAny>) -> Result<T, DeError> {
    // Path tracking costs a few percent, so only a failed read is repeated with it.
    if let Ok(value) = T::deserialize(PyDe { obj, depth: 0 }) {
        return Ok(value);
    }
    serde_path_to_error::deserialize(PyDe { obj, depth: 0 }).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path.is_empty() || path == "." {
            inner
        } else {
            DeError(format!("{path}: {inner}"))
        }
    })
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

struct PyDe<'a, 'py> {
    obj: &'a Bound<'py, PyAny>,
    depth: usize,
}

impl PyDe<'_, '_> {
    fn deeper(&self) -> Result<usize, DeError> {
        if self.depth >= MAX_DEPTH {
            Err(DeError(format!(
                "data nested deeper than {MAX_DEPTH} levels (or cyclic)"
            )))
        } else {
            Ok(self.depth + 1)
        }
    }
}

fn visit_int<'de, V: Visitor<'de>>(
    obj: &Bound<'_, PyAny>,
    visitor: V,
) -> Result<V::Value, DeError> {
    if let Ok(v) = obj.extract::<u64>() {
        return visitor.visit_u64(v);
    }
    match obj.extract::<i64>() {
        Ok(v) => visitor.visit_i64(v),
        Err(_) => Err(DeError(format!("integer {obj} does not fit 64 bits"))),
    }
}

impl<'de> de::Deserializer<'de> for PyDe<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let obj = self.obj;
        if obj.is_none() {
            return visitor.visit_unit();
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return visitor.visit_str(s.to_str()?);
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return visitor.visit_bool(b.is_true());
        }
        if obj.is_instance_of::<PyInt>() {
            return visit_int(obj, visitor);
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            return visitor.visit_f64(f.value());
        }
        if let Ok(d) = obj.cast::<PyDict>() {
            let depth = self.deeper()?;
            let len = d.len();
            return visitor.visit_map(DictAccess {
                items: d.iter(),
                value: None,
                depth,
                left: len,
            });
        }
        if let Ok(l) = obj.cast::<PyList>() {
            let depth = self.deeper()?;
            return visitor.visit_seq(SeqAccess {
                items: l.iter().collect(),
                next: 0,
                depth,
            });
        }
        if let Ok(t) = obj.cast::<PyTuple>() {
            let depth = self.deeper()?;
            return visitor.visit_seq(SeqAccess {
                items: t.iter().collect(),
                next: 0,
                depth,
            });
        }
        Err(DeError(format!(
            "cannot read {} (expected dict, list, str, int, float, bool or None)",
            type_name(obj)
        )))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.obj.is_none() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let obj = self.obj;
        if let Ok(s) = obj.cast::<PyString>() {
            let name: String = s.to_str()?.to_owned();
            return visitor.visit_enum(name.into_deserializer());
        }
        if let Ok(d) = obj.cast::<PyDict>()
            && d.len() == 1
        {
            let depth = self.deeper()?;
            let mut items = d.iter();
            let Some((k, v)) = items.next() else {
                return Err(DeError("an enum dict must have exactly one key".to_owned()));
            };
            let variant: String = k
                .cast::<PyString>()
                .map_err(|_| DeError("an enum variant name must be a str".to_owned()))?
                .to_str()?
                .to_owned();
            return visitor.visit_enum(EnumAccess {
                variant,
                value: v,
                depth,
            });
        }
        Err(DeError(format!(
            "expected an enum (a str or a one-key dict), not {}",
            type_name(obj)
        )))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

struct SeqAccess<'py> {
    items: Vec<Bound<'py, PyAny>>,
    next: usize,
    depth: usize,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(item) = self.items.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        seed.deserialize(PyDe {
            obj: item,
            depth: self.depth,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}

struct DictAccess<'py> {
    items: pyo3::types::iter::BoundDictIterator<'py>,
    value: Option<Bound<'py, PyAny>>,
    depth: usize,
    left: usize,
}

impl<'de> de::MapAccess<'de> for DictAccess<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((k, v)) = self.items.next() else {
            return Ok(None);
        };
        self.left = self.left.saturating_sub(1);
        self.value = Some(v);
        seed.deserialize(KeyDe { key: &k }).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| DeError("a dict value was read before its key".to_owned()))?;
        seed.deserialize(PyDe {
            obj: &value,
            depth: self.depth,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

struct EnumAccess<'py> {
    variant: String,
    value: Bound<'py, PyAny>,
    depth: usize,
}

impl<'de, 'py> de::EnumAccess<'de> for EnumAccess<'py> {
    type Error = DeError;
    type Variant = VariantAccess<'py>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantAccess<'py>), DeError> {
        let names: de::value::StringDeserializer<DeError> = self.variant.into_deserializer();
        let name = seed.deserialize(names)?;
        Ok((
            name,
            VariantAccess {
                value: self.value,
                depth: self.depth,
            },
        ))
    }
}

struct VariantAccess<'py> {
    value: Bound<'py, PyAny>,
    depth: usize,
}

impl<'de> de::VariantAccess<'de> for VariantAccess<'_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        if self.value.is_none() {
            Ok(())
        } else {
            Err(DeError("a unit variant carries no value".to_owned()))
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(PyDe {
            obj: &self.value,
            depth: self.depth,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_any(
            PyDe {
                obj: &self.value,
                depth: self.depth,
            },
            visitor,
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_any(
            PyDe {
                obj: &self.value,
                depth: self.depth,
            },
            visitor,
        )
    }
}

/// A dict key: `str` or `int`; read as text, or as a number when the map is integer-keyed.
struct KeyDe<'a, 'py> {
    key: &'a Bound<'py, PyAny>,
}

impl KeyDe<'_, '_> {
    fn text(&self) -> Result<String, DeError> {
        if let Ok(s) = self.key.cast::<PyString>() {
            return Ok(s.to_str()?.to_owned());
        }
        if self.key.is_instance_of::<PyInt>() && !self.key.is_instance_of::<PyBool>() {
            return Ok(self.key.str()?.to_str()?.to_owned());
        }
        Err(DeError(format!(
            "dict keys must be str or int, not {}",
            type_name(self.key)
        )))
    }
}

macro_rules! key_number {
    ($($method:ident => $ty:ty, $visit:ident;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                if self.key.is_instance_of::<PyInt>() && !self.key.is_instance_of::<PyBool>() {
                    let n: $ty = self.key.extract()?;
                    return visitor.$visit(n);
                }
                let text = self.text()?;
                match text.trim().parse::<$ty>() {
                    Ok(n) => visitor.$visit(n),
                    Err(_) => Err(DeError(format!("invalid number key {text:?}"))),
                }
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for KeyDe<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if let Ok(s) = self.key.cast::<PyString>() {
            return visitor.visit_str(s.to_str()?);
        }
        visitor.visit_string(self.text()?)
    }

    key_number! {
        deserialize_u8 => u8, visit_u8;
        deserialize_u16 => u16, visit_u16;
        deserialize_u32 => u32, visit_u32;
        deserialize_u64 => u64, visit_u64;
        deserialize_i8 => i8, visit_i8;
        deserialize_i16 => i16, visit_i16;
        deserialize_i32 => i32, visit_i32;
        deserialize_i64 => i64, visit_i64;
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_enum(self.text()?.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        bool i128 u128 f32 f64 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}
