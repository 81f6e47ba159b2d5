//! Import paths of a Go source file: a minimal Go lexer (comments, strings,
//! raw strings, runes, words) that reads the package clause and the import
//! declarations after it, and stops at the first other declaration.
//!
//! Invariant: returns the byte span of each import path *inside* its quotes,
//! so replacing a span changes the path and nothing else.

use std::ops::Range;

/// One import of a Go file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The import path, as written between the quotes.
    pub path: String,
    /// Its bytes in the file (inside the quotes).
    pub span: Range<usize>,
    /// 1-based line.
    pub line: u32,
}

#[derive(Debug, PartialEq, Eq)]
enum Tok {
    Word(Range<usize>),
    Str { inner: Range<usize>, plain: bool },
    Punct(u8),
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next token, skipping space, newlines and comments; `Ok(None)` at
    /// the end.
    fn next(&mut self) -> Result<Option<Tok>, ImportsError> {
        let b = self.bytes();
        loop {
            match b.get(self.pos) {
                None => return Ok(None),
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(b'/') if b.get(self.pos + 1) == Some(&b'/') => {
                    self.pos = find(b, self.pos, b"\n").unwrap_or(b.len());
                }
                Some(b'/') if b.get(self.pos + 1) == Some(&b'*') => {
                    let end =
                        find(b, self.pos + 2, b"*/").ok_or(ImportsError::UnterminatedComment)?;
                    self.pos = end + 2;
                }
                Some(&q @ (b'"' | b'\'')) => {
                    let start = self.pos;
                    let mut i = start + 1;
                    let mut plain = true;
                    loop {
                        match b.get(i) {
                            None | Some(b'\n') => {
                                return Err(ImportsError::Unterminated(start));
                            }
                            Some(b'\\') => {
                                plain = false;
                                i += 2;
                            }
                            Some(&c) if c == q => break,
                            Some(_) => i += 1,
                        }
                    }
                    self.pos = i + 1;
                    return Ok(Some(Tok::Str {
                        inner: start + 1..i,
                        plain: plain && q == b'"',
                    }));
                }
                Some(b'`') => {
                    let start = self.pos;
                    let end = find(b, start + 1, b"`").ok_or(ImportsError::UnterminatedRaw)?;
                    self.pos = end + 1;
                    return Ok(Some(Tok::Str {
                        inner: start + 1..end,
                        plain: true,
                    }));
                }
                Some(&c) if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 => {
                    let start = self.pos;
                    while let Some(&c) = b.get(self.pos) {
                        if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
                            self.pos += 1;
                        } else {
                            break;
                        }
                    }
                    return Ok(Some(Tok::Word(start..self.pos)));
                }
                Some(&c) => {
                    self.pos += 1;
                    return Ok(Some(Tok::Punct(c)));
                }
            }
        }
    }

    fn word(&self, r: &Range<usize>) -> &'a str {
        self.text.get(r.clone()).unwrap_or_default()
    }
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Why a `.go` file's import block cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportsError {
    #[error("unterminated string at byte {0}")]
    Unterminated(usize),
    #[error("unterminated /* comment")]
    UnterminatedComment,
    #[error("unterminated raw string")]
    UnterminatedRaw,
    #[error("expected a package clause")]
    NoPackage,
    #[error("expected a package name after package")]
    NoPackageName,
    #[error("expected ) to close the import block")]
    Unclosed,
    #[error("expected an import path after import")]
    NoPath,
    #[error("invalid import path {path:?} near byte {at}: space or control character")]
    SpaceInPath { path: String, at: usize },
    #[error("expected an import path string near byte {0}")]
    NoPathString(usize),
}

/// Every import of `src`. `Err` when the file does not start with a package
/// clause or its import declarations do not lex.
pub fn imports(src: &str) -> Result<Vec<Import>, ImportsError> {
    // A leading byte-order mark is allowed by the Go compiler.
    let start = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lx = Lexer {
        text: src,
        pos: start,
    };
    match lx.next()? {
        Some(Tok::Word(r)) if lx.word(&r) == "package" => {}
        _ => return Err(ImportsError::NoPackage),
    }
    match lx.next()? {
        Some(Tok::Word(_)) => {}
        _ => return Err(ImportsError::NoPackageName),
    }
    let mut out = Vec::new();
    let mut tok = lx.next()?;
    loop {
        match tok {
            Some(Tok::Punct(b';')) => tok = lx.next()?,
            Some(Tok::Word(ref r)) if lx.word(r) == "import" => {
                match lx.next()? {
                    Some(Tok::Punct(b'(')) => loop {
                        match lx.next()? {
                            Some(Tok::Punct(b')')) => break,
                            Some(Tok::Punct(b';')) => {}
                            Some(t) => spec(&mut lx, t, &mut out)?,
                            None => return Err(ImportsError::Unclosed),
                        }
                    },
                    Some(t) => spec(&mut lx, t, &mut out)?,
                    None => return Err(ImportsError::NoPath),
                }
                tok = lx.next()?;
            }
            _ => return Ok(out),
        }
    }
}

/// One import spec starting with `first`: `[name] "path"`.
fn spec(lx: &mut Lexer, first: Tok, out: &mut Vec<Import>) -> Result<(), ImportsError> {
    let path_tok = match first {
        Tok::Word(_) | Tok::Punct(b'.') => lx.next()?,
        other => Some(other),
    };
    match path_tok {
        Some(Tok::Str { inner, plain }) => {
            if plain {
                let path = lx.word(&inner).to_string();
                // Go refuses such paths; rewriting one would splice across lines.
                if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(ImportsError::SpaceInPath {
                        path,
                        at: inner.start,
                    });
                }
                let line = lx
                    .text
                    .get(..inner.start)
                    .unwrap_or_default()
                    .matches('\n')
                    .count() as u32
                    + 1;
                out.push(Import {
                    path,
                    span: inner,
                    line,
                });
            }
            Ok(())
        }
        _ => Err(ImportsError::NoPathString(lx.pos)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_single_grouped_aliased_and_dot_imports() {
        let src = "// Copyright\n/* block\n comment */\npackage main\n\nimport \"fmt\"\nimport (\n\tcu \"github.com/acme/core-utils/pkg/x\" // why\n\t. `github.com/acme/core-utils`\n\t_ \"embed\"; \"os\"\n)\n\nfunc main() { _ = \"github.com/acme/core-utils\" }\n";
        let got: Vec<_> = imports(src)
            .unwrap()
            .into_iter()
            .map(|i| (i.path, i.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("fmt".to_string(), 6),
                ("github.com/acme/core-utils/pkg/x".to_string(), 8),
                ("github.com/acme/core-utils".to_string(), 9),
                ("embed".to_string(), 10),
                ("os".to_string(), 10),
            ]
        );
        let first = &imports(src).unwrap()[1];
        assert_eq!(&src[first.span.clone()], "github.com/acme/core-utils/pkg/x");
    }

    #[test]
    fn refuses_import_paths_with_spaces_or_newlines() {
        // Found by the manifest_go fuzz target: a raw-string path spanning lines.
        for path in [
            "`github.com/acme/core-utils/pkg/mon\n\t_ey`",
            "\"github.com/acme/core utils\"",
        ] {
            let src = format!("package p\n\nimport (\n\t. {path}\n)\n");
            let err = imports(&src).unwrap_err();
            assert!(err.to_string().starts_with("invalid import path"), "{err}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for src in [
            "",
            "func x() {}",
            "package",
            "package p\nimport (\n\"a\"",
            "package p\nimport \"a",
            "/* x",
        ] {
            assert!(imports(src).is_err(), "{src:?}");
        }
        assert!(imports("package p\nfunc f() {}\n").unwrap().is_empty());
        assert_eq!(
            imports("\u{feff}package p\nimport \"a\"\n").unwrap()[0].span,
            21..22
        );
    }
}
