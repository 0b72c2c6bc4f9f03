//! A serde `Serializer` that builds Python objects directly.
//!
//! The result is exactly what `json.loads(serde_json::to_string(value))` would give (map keys
//! become `str`, non-finite floats become `None`, enums are externally tagged) without the
//! intermediate JSON text or `serde_json::Value`. Struct field names and enum variant names are
//! `&'static str`, so each becomes one Python string that every dict shares; short string
//! values that repeat (server names, statuses, scopes) are shared through a bounded cache.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use pyo3::BoundObject;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};
use serde::Serialize;
use serde::ser::{self, Impossible};

/// Strings up to this many bytes are looked up in the value cache.
const CACHED_STR_MAX: usize = 24;
/// The value cache stops growing at this many entries.
const CACHED_STR_CAP: usize = 16_384;

/// Why a value could not be turned into Python objects.
#[derive(Debug)]
pub struct SerError(String);

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerError(msg.to_string())
    }
}

impl From<PyErr> for SerError {
    fn from(e: PyErr) -> Self {
        SerError(e.to_string())
    }
}

type Out<'py> = Result<Bound<'py, PyAny>, SerError>;

/// A small multiply-rotate hasher (the "Fx" scheme): the caches below hash short keys millions
/// of times per conversion, where SipHash's flood resistance buys nothing (the keys are ours).
#[derive(Debug, Default, Clone, Copy)]
struct FxHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Shared Python strings for one conversion.
struct Strings<'py> {
    statics: FxMap<(usize, usize), Bound<'py, PyString>>,
    values: FxMap<Box<str>, Bound<'py, PyString>>,
}

impl<'py> Strings<'py> {
    fn new() -> Self {
        Strings {
            statics: FxMap::with_capacity_and_hasher(128, BuildHasherDefault::default()),
            values: FxMap::with_capacity_and_hasher(1024, BuildHasherDefault::default()),
        }
    }

    /// A `&'static str` is identified by its address and length: every use of one field name
    /// points at the same bytes.
    fn fixed(&mut self, py: Python<'py>, s: &'static str) -> Bound<'py, PyString> {
        self.statics
            .entry((s.as_ptr() as usize, s.len()))
            .or_insert_with(|| PyString::new(py, s))
            .clone()
    }

    fn value(&mut self, py: Python<'py>, s: &str) -> Bound<'py, PyString> {
        if s.len() > CACHED_STR_MAX {
            return PyString::new(py, s);
        }
        if let Some(hit) = self.values.get(s) {
            return hit.clone();
        }
        let made = PyString::new(py, s);
        if self.values.len() < CACHED_STR_CAP {
            self.values.insert(s.into(), made.clone());
        }
        made
    }
}

/// Converts `value` into Python objects (see the module documentation for the mapping).
///
/// # Errors
/// [`SerError`] when the value's `Serialize` implementation fails or Python runs out of memory.
pub fn to_py<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> Out<'py> {
    let mut strings = Strings::new();
    value.serialize(PySer {
        py,
        strings: &mut strings,
    })
}

struct PySer<'a, 'py> {
    py: Python<'py>,
    strings: &'a mut Strings<'py>,
}

impl<'a, 'py> PySer<'a, 'py> {
    fn obj<I: IntoPyObject<'py>>(&self, v: I) -> Out<'py> {
        v.into_pyobject(self.py)
            .map(|o| o.into_bound().into_any())
            .map_err(|e| SerError(e.into().to_string()))
    }

    fn tagged(self, variant: &'static str, value: Bound<'py, PyAny>) -> Out<'py> {
        let dict = PyDict::new(self.py);
        dict.set_item(self.strings.fixed(self.py, variant), value)?;
        Ok(dict.into_any())
    }
}

/// Collects a list (sequences, tuples, tuple variants).
struct SeqSer<'a, 'py> {
    py: Python<'py>,
    strings: &'a mut Strings<'py>,
    items: Vec<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

/// Fills a dict (maps, structs, struct variants).
struct DictSer<'a, 'py> {
    py: Python<'py>,
    strings: &'a mut Strings<'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyString>>,
    variant: Option<&'static str>,
}

impl<'a, 'py> DictSer<'a, 'py> {
    fn finish(self) -> Out<'py> {
        let dict = self.dict.into_any();
        match self.variant {
            None => Ok(dict),
            Some(v) => PySer {
                py: self.py,
                strings: self.strings,
            }
            .tagged(v, dict),
        }
    }
}

impl<'a, 'py> ser::Serializer for PySer<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    type SerializeSeq = SeqSer<'a, 'py>;
    type SerializeTuple = SeqSer<'a, 'py>;
    type SerializeTupleStruct = SeqSer<'a, 'py>;
    type SerializeTupleVariant = SeqSer<'a, 'py>;
    type SerializeMap = DictSer<'a, 'py>;
    type SerializeStruct = DictSer<'a, 'py>;
    type SerializeStructVariant = DictSer<'a, 'py>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_i128(self, v: i128) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_u128(self, v: u128) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        if v.is_finite() {
            self.obj(v)
        } else {
            Ok(self.py.None().into_bound(self.py))
        }
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        let mut buf = [0u8; 4];
        self.serialize_str(v.encode_utf8(&mut buf))
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        Ok(self.strings.value(self.py, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<'py> {
        let items = v
            .iter()
            .map(|b| self.obj(*b))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PyList::new(self.py, items)?.into_any())
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<'py> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
    ) -> Out<'py> {
        Ok(self.strings.fixed(self.py, variant).into_any())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        value: &T,
    ) -> Out<'py> {
        let inner = value.serialize(PySer {
            py: self.py,
            strings: &mut *self.strings,
        })?;
        self.tagged(variant, inner)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer<'a, 'py>, SerError> {
        Ok(SeqSer {
            py: self.py,
            strings: self.strings,
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer<'a, 'py>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqSer<'a, 'py>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqSer<'a, 'py>, SerError> {
        let mut s = self.serialize_seq(Some(len))?;
        s.variant = Some(variant);
        Ok(s)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<DictSer<'a, 'py>, SerError> {
        Ok(DictSer {
            py: self.py,
            strings: self.strings,
            dict: PyDict::new(self.py),
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<DictSer<'a, 'py>, SerError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<DictSer<'a, 'py>, SerError> {
        let mut s = self.serialize_map(Some(len))?;
        s.variant = Some(variant);
        Ok(s)
    }
}

impl<'py> SeqSer<'_, 'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let item = value.serialize(PySer {
            py: self.py,
            strings: &mut *self.strings,
        })?;
        self.items.push(item);
        Ok(())
    }

    fn finish(self) -> Out<'py> {
        let list = PyList::new(self.py, self.items)?.into_any();
        match self.variant {
            None => Ok(list),
            Some(v) => PySer {
                py: self.py,
                strings: self.strings,
            }
            .tagged(v, list),
        }
    }
}

impl<'py> ser::SerializeSeq for SeqSer<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for SeqSer<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for SeqSer<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleVariant for SeqSer<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> DictSer<'_, 'py> {
    fn put<T: Serialize + ?Sized>(
        &mut self,
        key: Bound<'py, PyString>,
        value: &T,
    ) -> Result<(), SerError> {
        let v = value.serialize(PySer {
            py: self.py,
            strings: &mut *self.strings,
        })?;
        self.dict.set_item(key, v)?;
        Ok(())
    }
}

impl<'py> ser::SerializeMap for DictSer<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = Some(key.serialize(KeySer {
            py: self.py,
            strings: &mut *self.strings,
        })?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerError("a map value came without its key".to_owned()))?;
        self.put(key, value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeStruct for DictSer<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        let k = self.strings.fixed(self.py, key);
        self.put(k, value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeStructVariant for DictSer<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        let k = self.strings.fixed(self.py, key);
        self.put(k, value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

/// Map keys become `str`, as in JSON: numbers and booleans by their text.
struct KeySer<'a, 'py> {
    py: Python<'py>,
    strings: &'a mut Strings<'py>,
}

type KeyOut<'py> = Result<Bound<'py, PyString>, SerError>;

impl KeySer<'_, '_> {
    fn unsupported(what: &str) -> SerError {
        SerError(format!(
            "a map key must be a string or a number, not {what}"
        ))
    }
}

impl<'py> ser::Serializer for KeySer<'_, 'py> {
    type Ok = Bound<'py, PyString>;
    type Error = SerError;
    type SerializeSeq = Impossible<Self::Ok, SerError>;
    type SerializeTuple = Impossible<Self::Ok, SerError>;
    type SerializeTupleStruct = Impossible<Self::Ok, SerError>;
    type SerializeTupleVariant = Impossible<Self::Ok, SerError>;
    type SerializeMap = Impossible<Self::Ok, SerError>;
    type SerializeStruct = Impossible<Self::Ok, SerError>;
    type SerializeStructVariant = Impossible<Self::Ok, SerError>;

    fn serialize_bool(self, v: bool) -> KeyOut<'py> {
        Ok(self
            .strings
            .value(self.py, if v { "true" } else { "false" }))
    }
    fn serialize_i8(self, v: i8) -> KeyOut<'py> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> KeyOut<'py> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> KeyOut<'py> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> KeyOut<'py> {
        Ok(PyString::new(self.py, &v.to_string()))
    }
    fn serialize_i128(self, v: i128) -> KeyOut<'py> {
        Ok(PyString::new(self.py, &v.to_string()))
    }
    fn serialize_u8(self, v: u8) -> KeyOut<'py> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> KeyOut<'py> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> KeyOut<'py> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> KeyOut<'py> {
        Ok(PyString::new(self.py, &v.to_string()))
    }
    fn serialize_u128(self, v: u128) -> KeyOut<'py> {
        Ok(PyString::new(self.py, &v.to_string()))
    }
    fn serialize_f32(self, _v: f32) -> KeyOut<'py> {
        Err(Self::unsupported("a float"))
    }
    fn serialize_f64(self, _v: f64) -> KeyOut<'py> {
        Err(Self::unsupported("a float"))
    }
    fn serialize_char(self, v: char) -> KeyOut<'py> {
        let mut buf = [0u8; 4];
        Ok(PyString::new(self.py, v.encode_utf8(&mut buf)))
    }
    fn serialize_str(self, v: &str) -> KeyOut<'py> {
        Ok(self.strings.value(self.py, v))
    }
    fn serialize_bytes(self, _v: &[u8]) -> KeyOut<'py> {
        Err(Self::unsupported("bytes"))
    }
    fn serialize_none(self) -> KeyOut<'py> {
        Err(Self::unsupported("None"))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> KeyOut<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> KeyOut<'py> {
        Err(Self::unsupported("()"))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> KeyOut<'py> {
        Err(Self::unsupported("a unit struct"))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
    ) -> KeyOut<'py> {
        Ok(self.strings.fixed(self.py, variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> KeyOut<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _value: &T,
    ) -> KeyOut<'py> {
        Err(Self::unsupported("an enum with data"))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        Err(Self::unsupported("a sequence"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, SerError> {
        Err(Self::unsupported("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, SerError> {
        Err(Self::unsupported("a tuple struct"))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        Err(Self::unsupported("an enum with data"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        Err(Self::unsupported("a map"))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, SerError> {
        Err(Self::unsupported("a struct"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        Err(Self::unsupported("an enum with data"))
    }
}
