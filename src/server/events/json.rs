//! A path-tracking reader over a `serde_json::Value`, so that every parse
//! error names the event and the JSON path of the offending field
//! (`check_run: .check_run.head_sha: missing`).
//!
//! Invariant: no accessor panics; a missing key, a `null` where a value is
//! required and a value of the wrong type are each a [`ParseError`]. The
//! path string is built only when an error is.

use std::fmt;

use serde_json::{Map, Value};

/// Why a payload could not be turned into an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The `X-GitHub-Event` name.
    pub event: String,
    /// The JSON path of the field, `.` for the whole document.
    pub path: String,
    /// What was wrong there.
    pub problem: Problem,
}

/// The kind of a [`ParseError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The body is not JSON.
    Malformed(String),
    /// The field is absent.
    Missing,
    /// The field has another type (or is `null` where a value is required).
    WrongType {
        /// What the parser needs.
        expected: &'static str,
        /// What the payload has.
        found: &'static str,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: ", self.event, self.path)?;
        match &self.problem {
            Problem::Malformed(e) => write!(f, "malformed JSON: {e}"),
            Problem::Missing => f.write_str("missing"),
            Problem::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
        }
    }
}

impl std::error::Error for ParseError {}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON object at a known path inside one event's payload.
#[derive(Clone, Debug)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
    event: &'static str,
}

impl<'a> Obj<'a> {
    /// The payload's root, which must be an object.
    pub(crate) fn root(event: &'static str, value: &'a Value) -> Result<Obj<'a>, ParseError> {
        match value {
            Value::Object(map) => Ok(Obj {
                map,
                path: String::new(),
                event,
            }),
            other => Err(ParseError {
                event: event.to_owned(),
                path: ".".to_owned(),
                problem: Problem::WrongType {
                    expected: "an object",
                    found: type_name(other),
                },
            }),
        }
    }

    fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    fn error(&self, key: &str, problem: Problem) -> ParseError {
        ParseError {
            event: self.event.to_owned(),
            path: self.at(key),
            problem,
        }
    }

    fn wrong(&self, key: &str, expected: &'static str, found: &Value) -> ParseError {
        self.error(
            key,
            Problem::WrongType {
                expected,
                found: type_name(found),
            },
        )
    }

    /// The value, `None` when absent or `null`.
    fn present(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn required(&self, key: &str, expected: &'static str) -> Result<&'a Value, ParseError> {
        match self.map.get(key) {
            None => Err(self.error(key, Problem::Missing)),
            Some(Value::Null) => Err(self.wrong(key, expected, &Value::Null)),
            Some(v) => Ok(v),
        }
    }

    /// A required string.
    pub(crate) fn str(&self, key: &str) -> Result<&'a str, ParseError> {
        let v = self.required(key, "a string")?;
        v.as_str().ok_or_else(|| self.wrong(key, "a string", v))
    }

    /// A string, `None` when absent or `null`.
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<&'a str>, ParseError> {
        match self.present(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a string", v)),
        }
    }

    /// A required string, owned.
    pub(crate) fn string(&self, key: &str) -> Result<String, ParseError> {
        self.str(key).map(str::to_owned)
    }

    /// An optional string, owned.
    pub(crate) fn opt_string(&self, key: &str) -> Result<Option<String>, ParseError> {
        Ok(self.opt_str(key)?.map(str::to_owned))
    }

    /// A required non-negative integer.
    pub(crate) fn u64(&self, key: &str) -> Result<u64, ParseError> {
        let v = self.required(key, "a non-negative integer")?;
        v.as_u64()
            .ok_or_else(|| self.wrong(key, "a non-negative integer", v))
    }

    /// A non-negative integer, `None` when absent or `null`.
    pub(crate) fn opt_u64(&self, key: &str) -> Result<Option<u64>, ParseError> {
        match self.present(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a non-negative integer", v)),
        }
    }

    /// A required boolean.
    pub(crate) fn bool(&self, key: &str) -> Result<bool, ParseError> {
        let v = self.required(key, "a boolean")?;
        v.as_bool().ok_or_else(|| self.wrong(key, "a boolean", v))
    }

    /// A boolean, `false` when absent or `null`.
    pub(crate) fn bool_or_false(&self, key: &str) -> Result<bool, ParseError> {
        match self.present(key) {
            None => Ok(false),
            Some(v) => v.as_bool().ok_or_else(|| self.wrong(key, "a boolean", v)),
        }
    }

    fn as_obj(&self, key: String, v: &'a Value) -> Result<Obj<'a>, ParseError> {
        match v {
            Value::Object(map) => Ok(Obj {
                map,
                path: key,
                event: self.event,
            }),
            other => Err(ParseError {
                event: self.event.to_owned(),
                path: key,
                problem: Problem::WrongType {
                    expected: "an object",
                    found: type_name(other),
                },
            }),
        }
    }

    /// A required nested object.
    pub(crate) fn obj(&self, key: &str) -> Result<Obj<'a>, ParseError> {
        let v = self.required(key, "an object")?;
        self.as_obj(self.at(key), v)
    }

    /// A nested object, `None` when absent or `null`.
    pub(crate) fn opt_obj(&self, key: &str) -> Result<Option<Obj<'a>>, ParseError> {
        match self.present(key) {
            None => Ok(None),
            Some(v) => self.as_obj(self.at(key), v).map(Some),
        }
    }

    /// Whether the key is present and not `null`.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.present(key).is_some()
    }

    /// An array of objects, `None` when absent or `null`; elements are
    /// addressed as `.key[i]`.
    pub(crate) fn opt_objs(&self, key: &str) -> Result<Option<Vec<Obj<'a>>>, ParseError> {
        let Some(v) = self.present(key) else {
            return Ok(None);
        };
        let items = v.as_array().ok_or_else(|| self.wrong(key, "an array", v))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.as_obj(format!("{}[{i}]", self.at(key)), item))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A required array of objects.
    pub(crate) fn objs(&self, key: &str) -> Result<Vec<Obj<'a>>, ParseError> {
        match self.opt_objs(key)? {
            Some(v) => Ok(v),
            None => {
                let v = self.required(key, "an array")?;
                Err(self.wrong(key, "an array", v))
            }
        }
    }

    /// An array of strings, empty when absent or `null`.
    pub(crate) fn strings_or_empty(
        &self,
        key: &str,
        field: &str,
    ) -> Result<Vec<String>, ParseError> {
        self.opt_objs(key)?
            .unwrap_or_default()
            .iter()
            .map(|o| o.string(field))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_path() {
        let v = json!({"a": {"b": null, "n": -1, "list": [{"x": 1}, 2]}, "s": 5});
        let root = Obj::root("check_run", &v).unwrap();
        let a = root.obj("a").unwrap();
        let cases: Vec<(Result<(), ParseError>, &str)> = vec![
            (a.str("missing").map(drop), "check_run: .a.missing: missing"),
            (
                a.str("b").map(drop),
                "check_run: .a.b: expected a string, found null",
            ),
            (
                a.u64("n").map(drop),
                "check_run: .a.n: expected a non-negative integer, found a number",
            ),
            (
                root.opt_str("s").map(drop),
                "check_run: .s: expected a string, found a number",
            ),
            (
                a.opt_objs("list").map(drop),
                "check_run: .a.list[1]: expected an object, found a number",
            ),
            (
                root.obj("s").map(drop),
                "check_run: .s: expected an object, found a number",
            ),
            (root.objs("nope").map(drop), "check_run: .nope: missing"),
        ];
        for (got, want) in cases {
            assert_eq!(got.unwrap_err().to_string(), want);
        }
        assert_eq!(a.opt_str("b").unwrap(), None);
        assert!(!a.bool_or_false("b").unwrap());
        let root_err = Obj::root("ping", &json!([1])).unwrap_err().to_string();
        assert_eq!(root_err, "ping: .: expected an object, found an array");
    }
}
