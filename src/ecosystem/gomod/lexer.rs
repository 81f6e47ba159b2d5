//! The go.mod / go.work lexer: identifiers, `"quoted"` and `` `raw` ``
//! strings, `( ) [ ] { } ,`, `// comments` and newlines, each with its byte
//! span (the syntax of `golang.org/x/mod/modfile/read.go`).
//!
//! Invariant: one linear pass; token spans cover their exact bytes, so an
//! edit at a span changes nothing else; `\r` is whitespace (CRLF files).

use std::borrow::Cow;
use std::ops::Range;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ident,
    /// An interpreted string, `"..."`.
    Quoted,
    /// A raw string, `` `...` ``.
    Raw,
    /// One of `( ) [ ] { } ,`.
    Punct(u8),
    /// `// ...` up to the end of the line.
    Comment,
    Newline,
}

/// One token of a go.mod file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: Kind,
    /// The token's bytes in the file, quotes included.
    pub span: Range<usize>,
    /// The bytes holding the value: inside the quotes for strings; the
    /// comment's text after `//`.
    pub inner: Range<usize>,
    /// The value (unquoted, unescaped).
    pub value: Cow<'a, str>,
}

impl Token<'_> {
    /// Is the value exactly the bytes at `inner` (no escapes), so that a
    /// splice of `inner` replaces exactly the value?
    pub fn is_plain(&self, text: &str) -> bool {
        text.get(self.inner.clone()) == Some(self.value.as_ref())
    }
}

/// A lexical error at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub offset: usize,
    pub message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, LexError> {
    Err(LexError {
        offset,
        message: message.into(),
    })
}

/// Can `c` be part of an identifier?
fn is_ident_char(c: char) -> bool {
    !matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | ',' | '"' | '`')
        && !c.is_whitespace()
        && !c.is_control()
}

/// Split `text` into tokens.
pub fn lex(text: &str) -> Result<Vec<Token<'_>>, LexError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::with_capacity(text.len() / 6);
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        match bytes[i] {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\n' => {
                i += 1;
                tokens.push(simple(text, Kind::Newline, start..i));
            }
            b'(' | b')' | b'[' | b']' | b'{' | b'}' | b',' => {
                i += 1;
                tokens.push(simple(text, Kind::Punct(bytes[start]), start..i));
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = memchr_newline(bytes, i);
                let body_end = if end > i + 2 && bytes[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                tokens.push(Token {
                    kind: Kind::Comment,
                    span: start..body_end,
                    inner: start + 2..body_end,
                    value: Cow::Borrowed(text.get(start + 2..body_end).unwrap_or_default()),
                });
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                return err(
                    i,
                    "expected // comments: go.mod files do not allow /* */ comments",
                );
            }
            b'"' => {
                let (token, end) = quoted(text, start)?;
                tokens.push(token);
                i = end;
            }
            b'`' => {
                let close = bytes[i + 1..]
                    .iter()
                    .position(|&b| b == b'`' || b == b'\n')
                    .map(|p| p + i + 1);
                match close {
                    Some(end) if bytes[end] == b'`' => {
                        tokens.push(Token {
                            kind: Kind::Raw,
                            span: start..end + 1,
                            inner: start + 1..end,
                            value: Cow::Borrowed(text.get(start + 1..end).unwrap_or_default()),
                        });
                        i = end + 1;
                    }
                    _ => return err(start, "expected a closing ` on the same line"),
                }
            }
            _ => {
                let rest = text.get(i..).unwrap_or_default();
                let mut end = i;
                for (off, c) in rest.char_indices() {
                    if !is_ident_char(c) || rest[off..].starts_with("//") {
                        break;
                    }
                    if rest[off..].starts_with("/*") {
                        return err(
                            i + off,
                            "expected // comments: go.mod files do not allow /* */ comments",
                        );
                    }
                    end = i + off + c.len_utf8();
                }
                if end == i {
                    let c = rest.chars().next().unwrap_or('?');
                    return err(
                        i,
                        format!(
                            "unexpected character {c:?}: expected a word, a string or a comment"
                        ),
                    );
                }
                tokens.push(simple(text, Kind::Ident, i..end));
                i = end;
            }
        }
    }
    Ok(tokens)
}

fn simple(text: &str, kind: Kind, span: Range<usize>) -> Token<'_> {
    Token {
        kind,
        inner: span.clone(),
        value: Cow::Borrowed(text.get(span.clone()).unwrap_or_default()),
        span,
    }
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| p + from)
}

/// An interpreted string starting at `start` (a `"`); returns it and the
/// offset after its closing quote.
fn quoted(text: &str, start: usize) -> Result<(Token<'_>, usize), LexError> {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    let mut escaped = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => break,
            b'\n' => return err(start, "expected a closing \" on the same line"),
            b'\\' => {
                escaped = true;
                i += 2;
                continue;
            }
            _ => i += 1,
        }
    }
    if i >= bytes.len() {
        return err(start, "expected a closing \" before the end of the file");
    }
    let inner = start + 1..i;
    let raw = text.get(inner.clone()).unwrap_or_default();
    let value = if escaped {
        Cow::Owned(unescape(raw).map_err(|m| LexError {
            offset: start,
            message: m.to_string(),
        })?)
    } else {
        Cow::Borrowed(raw)
    };
    Ok((
        Token {
            kind: Kind::Quoted,
            span: start..i + 1,
            inner,
            value,
        },
        i + 1,
    ))
}

/// An escape other than Go's simple ones in a quoted string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unsupported escape \\{0} in quoted string: expected \\\\, \\\", \\n, \\t or \\r")]
pub struct UnsupportedEscape(char);

/// Go's simple escapes; others are refused (never seen in go.mod files).
fn unescape(raw: &str) -> Result<String, UnsupportedEscape> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().unwrap_or(' ');
        out.push(match e {
            '\\' => '\\',
            '"' => '"',
            '\'' => '\'',
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            other => return Err(UnsupportedEscape(other)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String)> {
        lex(text)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.value.into_owned()))
            .collect()
    }

    #[test]
    fn tokens_with_spans() {
        let text = "require (\r\n\t\"a.b/c\" v1.0.0 // indirect\r\n)";
        let toks = lex(text).unwrap();
        let quoted = toks.iter().find(|t| t.kind == Kind::Quoted).unwrap();
        assert_eq!(&text[quoted.inner.clone()], "a.b/c");
        assert_eq!(&text[quoted.span.clone()], "\"a.b/c\"");
        assert_eq!(
            kinds(text),
            vec![
                (Kind::Ident, "require".into()),
                (Kind::Punct(b'('), "(".into()),
                (Kind::Newline, "\n".into()),
                (Kind::Quoted, "a.b/c".into()),
                (Kind::Ident, "v1.0.0".into()),
                (Kind::Comment, " indirect".into()),
                (Kind::Newline, "\n".into()),
                (Kind::Punct(b')'), ")".into()),
            ]
        );
    }

    #[test]
    fn identifiers_stop_at_comments() {
        assert_eq!(
            kinds("a//b"),
            vec![(Kind::Ident, "a".into()), (Kind::Comment, "b".into())]
        );
        assert_eq!(kinds("=> ../x")[0].1, "=>");
    }

    #[test]
    fn errors_name_the_offset() {
        let table = [
            ("module \"a", 7),
            ("x /* c */", 2),
            ("a `b\n`", 2),
            ("\u{1}", 0),
            ("\"a\\q\"", 0),
        ];
        for (text, offset) in table {
            let e = lex(text).unwrap_err();
            assert_eq!(e.offset, offset, "{text:?}: {}", e.message);
        }
    }

    #[test]
    fn escapes() {
        let toks = lex(r#""a\"b""#).unwrap();
        assert_eq!(toks[0].value, "a\"b");
        assert!(!toks[0].is_plain(r#""a\"b""#));
    }
}
