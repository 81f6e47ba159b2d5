//! A span-tracking JSON reader for `package.json`: every string and value
//! knows its byte range in the file, so edits are splices, never
//! re-serialisation.
//!
//! Invariant: accepts exactly RFC 8259 JSON (plus a leading UTF-8 BOM, which
//! npm strips); any other input is an error naming line, column and what was
//! expected. Linear time; nesting is capped so hostile input cannot
//! overflow the stack.

use std::ops::Range;

use crate::ecosystem::ManifestError;

/// Deepest nesting accepted (npm manifests use three or four levels).
const MAX_DEPTH: usize = 128;

/// A JSON string: its decoded value and where its raw text lies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JStr {
    pub value: String,
    /// Bytes between the quotes.
    pub inner: Range<usize>,
    /// Does the raw text use escapes (so raw bytes differ from `value`)?
    pub escaped: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    Number,
    Str(JStr),
    Array(Vec<Node>),
    Object(Vec<Member>),
}

/// A value and its byte span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub value: Value,
    pub span: Range<usize>,
}

/// One `"key": value` of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub key: JStr,
    pub value: Node,
}

impl Node {
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&JStr> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The last member named `key` (JSON.parse keeps the last duplicate).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_object()?
            .iter()
            .rev()
            .find(|m| m.key.value == key)
            .map(|m| &m.value)
    }
}

/// Parse a whole document.
pub fn parse(path: &str, text: &str) -> Result<Node, ManifestError> {
    let mut p = Parser {
        path,
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    if text.starts_with('\u{feff}') {
        p.pos = '\u{feff}'.len_utf8();
    }
    p.ws();
    let node = p.value(0)?;
    p.ws();
    if p.pos < p.bytes.len() {
        return Err(p.error("expected the end of the document after the top-level value"));
    }
    Ok(node)
}

struct Parser<'a> {
    path: &'a str,
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> ManifestError {
        let found = match self.text.get(self.pos..).and_then(|r| r.chars().next()) {
            Some(c) => format!("found {c:?}"),
            None => "found the end of the file".to_string(),
        };
        ManifestError::at_offset(
            self.path,
            self.text,
            self.pos,
            format!("{message}, {found}"),
        )
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ManifestError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep: expected at most 128 levels"));
        }
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::Str(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.error("expected a JSON value")),
        };
        Ok(Node {
            value,
            span: start..self.pos,
        })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, ManifestError> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, ManifestError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("expected a digit after the decimal point"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        Ok(Value::Number)
    }

    fn string(&mut self) -> Result<JStr, ManifestError> {
        // Caller saw the opening quote.
        self.pos += 1;
        let start = self.pos;
        let mut value = String::new();
        let mut chunk = start;
        let mut escaped = false;
        loop {
            match self.peek() {
                None => return Err(self.error("expected a closing `\"` for the string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    value.push_str(self.text.get(chunk..self.pos).unwrap_or(""));
                    self.pos += 1;
                    self.escape(&mut value)?;
                    chunk = self.pos;
                }
                Some(b) if b < 0x20 => {
                    return Err(
                        self.error("expected a `\\` escape, not a control character in a string")
                    );
                }
                Some(_) => self.pos += 1,
            }
        }
        value.push_str(self.text.get(chunk..self.pos).unwrap_or(""));
        let inner = start..self.pos;
        self.pos += 1;
        Ok(JStr {
            value,
            inner,
            escaped,
        })
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ManifestError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let hi = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&hi)
                    && self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u")
                {
                    let save = self.pos;
                    self.pos += 2;
                    let lo = self.hex4()?;
                    if (0xDC00..0xE000).contains(&lo) {
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        self.pos = save;
                        hi
                    }
                } else {
                    hi
                };
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                return Ok(());
            }
            _ => {
                return Err(
                    self.error("expected an escape (`\\\"`, `\\\\`, `\\n`, `\\uXXXX`, ...)")
                );
            }
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ManifestError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| (b as char).to_digit(16))
                .ok_or_else(|| self.error("expected four hex digits after `\\u`"))?;
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }

    fn array(&mut self, depth: usize) -> Result<Value, ManifestError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]` in the array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ManifestError> {
        self.pos += 1;
        let mut members = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a `\"`-quoted key in the object"));
            }
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after the key"));
            }
            self.pos += 1;
            self.ws();
            let value = self.value(depth + 1)?;
            members.push(Member { key, value });
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("expected `,` or `}` in the object")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_escapes() {
        let text = "\u{feff}{ \"a\" : [1, -2.5e3, true, null],\n \"b\\u0041\": \"x\\\"y\" }";
        let root = parse("p.json", text).unwrap();
        let a = root.get("a").unwrap();
        assert_eq!(&text[a.span.clone()], "[1, -2.5e3, true, null]");
        let b = root.get("bA").unwrap().as_str().unwrap();
        assert_eq!(b.value, "x\"y");
        assert!(b.escaped);
        assert_eq!(&text[b.inner.clone()], "x\\\"y");
    }

    #[test]
    fn errors_name_line_and_column() {
        let cases = [
            ("{\n  \"a\": 1,\n}", 3, 1, "expected a `\"`-quoted key"),
            ("{\"a\" 1}", 1, 6, "expected `:`"),
            ("[1 2]", 1, 4, "expected `,` or `]`"),
            ("{\"a\": \"x", 1, 9, "closing"),
            ("{} x", 1, 4, "end of the document"),
            ("", 1, 1, "expected a JSON value"),
            ("01", 1, 2, "end of the document"),
        ];
        for (text, line, column, msg) in cases {
            let e = parse("p.json", text).unwrap_err();
            assert_eq!((e.line, e.column), (line, column), "{text:?}: {e}");
            assert!(e.message.contains(msg), "{text:?}: {e}");
        }
        let deep = "[".repeat(10_000);
        assert!(parse("p.json", &deep).is_err());
    }
}
