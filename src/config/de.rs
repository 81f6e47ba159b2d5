//! A serde `Deserializer` over the positioned [`Node`] tree. It exists so that
//! every serde error (unknown key, wrong type, bad value, missing key) leaves
//! with the key path and position of the node it concerns, and with wording
//! written for people ("expected a list, found string `x`").
//!
//! Invariant: an error leaving this module always has a position and path;
//! the innermost node that saw the error sets them, outer nodes keep them.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Display};

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::error::{ConfigErrorKind, did_you_mean, one_of};
use super::node::{Node, Pos, Value, shorten};

/// The serde error type of this deserializer; located once, on the way out.
#[derive(Debug)]
pub(crate) struct DeError {
    pub kind: ConfigErrorKind,
    pub message: String,
    /// Position and path, set by the innermost node that saw the error.
    pub at: Option<(Pos, String)>,
    /// A key to append to the located path (missing keys).
    child: Option<String>,
}

impl DeError {
    fn new(kind: ConfigErrorKind, message: String) -> Self {
        DeError {
            kind,
            message,
            at: None,
            child: None,
        }
    }

    fn locate(mut self, pos: Pos, path: &str) -> Self {
        if self.at.is_none() {
            let path = match self.child.take() {
                Some(child) => join(path, &child),
                None => path.to_owned(),
            };
            self.at = Some((pos, path));
        }
        self
    }
}

impl Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: Display>(msg: T) -> Self {
        DeError::new(ConfigErrorKind::InvalidValue, msg.to_string())
    }
    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(
            ConfigErrorKind::InvalidType,
            format!("expected {exp}, found {}", unexpected(&unexp)),
        )
    }
    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(
            ConfigErrorKind::InvalidValue,
            format!("expected {exp}, found {}", unexpected(&unexp)),
        )
    }
    fn invalid_length(len: usize, exp: &dyn de::Expected) -> Self {
        DeError::new(
            ConfigErrorKind::InvalidValue,
            format!("expected {exp}, found {len} entries"),
        )
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut message = format!(
            "expected {}, found `{}`",
            one_of(expected),
            shorten(variant)
        );
        if let Some(hint) = did_you_mean(variant, expected) {
            message.push_str(&format!("; did you mean `{hint}`?"));
        }
        DeError::new(ConfigErrorKind::InvalidValue, message)
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut message = format!(
            "unknown key `{}`, expected {}",
            shorten(field),
            one_of(expected)
        );
        if let Some(hint) = did_you_mean(field, expected) {
            message.push_str(&format!("; did you mean `{hint}`?"));
        }
        DeError::new(ConfigErrorKind::UnknownKey, message)
    }
    fn missing_field(field: &'static str) -> Self {
        let mut e = DeError::new(
            ConfigErrorKind::MissingKey,
            format!("expected the required key `{field}`, found none"),
        );
        e.child = Some(field.to_owned());
        e
    }
    fn duplicate_field(field: &'static str) -> Self {
        DeError::new(
            ConfigErrorKind::InvalidValue,
            format!("expected the key `{field}` once, found it twice"),
        )
    }
}

fn unexpected(u: &de::Unexpected<'_>) -> String {
    match u {
        de::Unexpected::Str(s) => format!("string `{}`", shorten(s)),
        de::Unexpected::Signed(i) => format!("integer `{i}`"),
        de::Unexpected::Unsigned(i) => format!("integer `{i}`"),
        de::Unexpected::Float(f) => format!("number `{f}`"),
        other => other.to_string(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Records, per struct path (indices written `[]`), the keys its type accepts.
pub(crate) type KeyRecorder = RefCell<BTreeMap<String, BTreeSet<&'static str>>>;

/// Deserializes one node; `path` is its key path.
pub(crate) struct NodeDe<'a> {
    pub node: &'a Node,
    pub path: String,
    pub recorder: Option<&'a KeyRecorder>,
}

impl<'a> NodeDe<'a> {
    fn fail<T>(&self, kind: ConfigErrorKind, expected: &str) -> Result<T, DeError> {
        Err(DeError::new(
            kind,
            format!("expected {expected}, found {}", self.node.value.describe()),
        )
        .locate(self.node.pos, &self.path))
    }

    fn wrong_type<T>(&self, expected: &str) -> Result<T, DeError> {
        let hint = match self.node.value {
            Value::Bool(_) | Value::Int(_) | Value::Float(_) if expected == "a string" => {
                " (quote it to make it a string)"
            }
            _ => "",
        };
        self.fail(ConfigErrorKind::InvalidType, &format!("{expected}{hint}"))
    }

    fn done<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|e| e.locate(self.node.pos, &self.path))
    }

    fn int(&self, min: i128, max: i128) -> Result<i128, DeError> {
        match self.node.value {
            Value::Int(i) if (min..=max).contains(&i) => Ok(i),
            Value::Int(_) => self.fail(
                ConfigErrorKind::InvalidValue,
                &format!("a whole number from {min} to {max}"),
            ),
            _ => self.wrong_type(&format!("a whole number from {min} to {max}")),
        }
    }

    fn map_access(&self) -> MapAcc<'a> {
        let entries: &'a [super::node::Entry] = match &self.node.value {
            Value::Map(entries) => entries,
            _ => &[],
        };
        MapAcc {
            entries: entries.iter(),
            current: None,
            path: self.path.clone(),
            recorder: self.recorder,
        }
    }
}

macro_rules! int_method {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let i = self.int(<$ty>::MIN.into(), <$ty>::MAX.into())?;
            let v = <$ty>::try_from(i).unwrap_or_default();
            self.done(visitor.$visit(v))
        }
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => match (i64::try_from(*i), u64::try_from(*i)) {
                (Ok(v), _) => visitor.visit_i64(v),
                (_, Ok(v)) => visitor.visit_u64(v),
                _ => visitor.visit_i128(*i),
            },
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_str(s),
            Value::Seq(_) => return self.deserialize_seq(visitor),
            Value::Map(_) => return self.deserialize_map(visitor),
        };
        self.done(r)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Bool(b) => self.done(visitor.visit_bool(b)),
            _ => self.wrong_type("`true` or `false`"),
        }
    }

    int_method!(deserialize_i8, visit_i8, i8);
    int_method!(deserialize_i16, visit_i16, i16);
    int_method!(deserialize_i32, visit_i32, i32);
    int_method!(deserialize_i64, visit_i64, i64);
    int_method!(deserialize_u8, visit_u8, u8);
    int_method!(deserialize_u16, visit_u16, u16);
    int_method!(deserialize_u32, visit_u32, u32);
    int_method!(deserialize_u64, visit_u64, u64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Float(f) => self.done(visitor.visit_f64(f)),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => self.done(visitor.visit_f64(i as f64)),
            _ => self.wrong_type("a number"),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Str(s) => self.done(visitor.visit_str(s)),
            _ => self.wrong_type("a string"),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DeError> {
        self.wrong_type("bytes")
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => self.done(visitor.visit_none()),
            _ => {
                let (pos, path) = (self.node.pos, self.path.clone());
                visitor.visit_some(self).map_err(|e| e.locate(pos, &path))
            }
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => self.done(visitor.visit_unit()),
            _ => self.wrong_type("an empty value"),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (pos, path) = (self.node.pos, self.path.clone());
        visitor
            .visit_newtype_struct(self)
            .map_err(|e| e.locate(pos, &path))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let items: &[Node] = match &self.node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => return self.wrong_type("a list"),
        };
        let acc = SeqAcc {
            items: items.iter().enumerate(),
            path: self.path.clone(),
            recorder: self.recorder,
        };
        let r = visitor.visit_seq(acc);
        self.done(r)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Map(_) | Value::Null => {
                let r = visitor.visit_map(self.map_access());
                self.done(r)
            }
            _ => self.wrong_type("a mapping"),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if let Some(rec) = self.recorder {
            let key = self
                .path
                .split('[')
                .enumerate()
                .fold(String::new(), |mut acc, (i, part)| {
                    if i > 0 {
                        acc.push_str("[]");
                        acc.push_str(part.split_once(']').map_or("", |(_, rest)| rest));
                    } else {
                        acc.push_str(part);
                    }
                    acc
                });
            rec.borrow_mut()
                .entry(key)
                .or_default()
                .extend(fields.iter().copied());
        }
        match self.node.value {
            Value::Map(_) | Value::Null => {
                let r = visitor.visit_map(self.map_access());
                self.done(r)
            }
            _ => self.wrong_type(&format!("a mapping with the keys {}", one_of(fields))),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Str(s) => {
                let r = visitor.visit_enum(s.as_str().into_deserializer());
                self.done(r)
            }
            _ => self.wrong_type(&one_of(variants)),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqAcc<'a> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    path: String,
    recorder: Option<&'a KeyRecorder>,
}

impl<'de> de::SeqAccess<'de> for SeqAcc<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((i, node)) = self.items.next() else {
            return Ok(None);
        };
        let de = NodeDe {
            node,
            path: format!("{}[{i}]", self.path),
            recorder: self.recorder,
        };
        let path = de.path.clone();
        seed.deserialize(de)
            .map(Some)
            .map_err(|e| e.locate(node.pos, &path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAcc<'a> {
    entries: std::slice::Iter<'a, super::node::Entry>,
    current: Option<&'a super::node::Entry>,
    path: String,
    recorder: Option<&'a KeyRecorder>,
}

impl<'de> de::MapAccess<'de> for MapAcc<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some(entry);
        let key: de::value::StrDeserializer<'_, DeError> = entry.key.as_str().into_deserializer();
        seed.deserialize(key)
            .map(Some)
            .map_err(|e| e.locate(entry.key_pos, &join(&self.path, &entry.key)))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some(entry) = self.current.take() else {
            return Err(de::Error::custom("a value without a key"));
        };
        let de = NodeDe {
            node: &entry.value,
            path: join(&self.path, &entry.key),
            recorder: self.recorder,
        };
        let path = de.path.clone();
        seed.deserialize(de)
            .map_err(|e| e.locate(entry.value.pos, &path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

impl<'a> NodeDe<'a> {
    /// A deserializer for the document root.
    pub fn root(node: &'a Node, recorder: Option<&'a KeyRecorder>) -> Self {
        NodeDe {
            node,
            path: String::new(),
            recorder,
        }
    }
}
