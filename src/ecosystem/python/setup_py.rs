//! `setup.py`: the literal `install_requires=[...]`, `setup_requires`,
//! `tests_require`, `extras_require={...}` and `name=...` keyword
//! arguments (or a list assigned to a name in the same file and passed by
//! that name). Python is not run.
//!
//! A requirement that is a plain string literal is read and rewritable; one
//! built by code (an f-string, a concatenation, a call) that names a
//! package is reported with its text and no span, so it is judged but never
//! rewritten (the reason says why).
//!
//! Invariant: spans point inside a string literal whose raw text equals its
//! value (no escapes, no prefix other than `r`/`u`). Linear: one pass of a
//! small tokenizer.

use std::ops::Range;

use super::pep508;
use super::pyproject::{Dep, Form, Pyproject};
use super::setup_cfg::dep_of;
use crate::ecosystem::{LineIndex, ManifestError};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    /// A string literal: its raw span and, when its raw text is its value,
    /// the content and where it starts.
    Str {
        span: Range<usize>,
        plain: Option<(&'a str, usize)>,
    },
    Punct(u8),
}

fn tokenize(text: &str) -> Vec<(Tok<'_>, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'#' {
            while b.get(i).is_some_and(|&c| c != b'\n') {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_whitespace() || c == b'\\' {
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while b
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                i += 1;
            }
            let word = text.get(start..i).unwrap_or_default();
            let is_prefix = word.len() <= 2
                && word.bytes().all(|c| b"rRbBuUfF".contains(&c))
                && matches!(b.get(i), Some(b'"' | b'\''));
            if is_prefix {
                let plain_prefix = word.bytes().all(|c| b"rRuU".contains(&c));
                let raw = word.bytes().any(|c| c == b'r' || c == b'R');
                let (tok, end) = string(text, start, i, plain_prefix, raw);
                out.push((tok, start));
                i = end;
            } else {
                out.push((Tok::Ident(word), start));
            }
            continue;
        }
        if c == b'"' || c == b'\'' {
            let (tok, end) = string(text, i, i, true, false);
            out.push((tok, i));
            i = end;
            continue;
        }
        if c.is_ascii_digit() {
            while b
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.')
            {
                i += 1;
            }
            out.push((Tok::Ident(""), i));
            continue;
        }
        if c.is_ascii() {
            out.push((Tok::Punct(c), i));
        }
        i += 1;
        while b.get(i).is_some_and(|c| (c & 0xC0) == 0x80) {
            i += 1;
        }
    }
    out
}

/// A string literal whose quote starts at `q` (prefix from `start`).
fn string(text: &str, start: usize, q: usize, plain_prefix: bool, raw: bool) -> (Tok<'_>, usize) {
    let b = text.as_bytes();
    let quote = b.get(q).copied().unwrap_or(b'"');
    let triple = b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote);
    let open = if triple { 3 } else { 1 };
    let body_start = q + open;
    let mut i = body_start;
    let mut escaped = false;
    loop {
        match b.get(i) {
            None => break,
            Some(b'\\') => {
                escaped = true;
                i += 2;
            }
            Some(&c) if c == quote => {
                if !triple {
                    break;
                }
                if b.get(i + 1) == Some(&quote) && b.get(i + 2) == Some(&quote) {
                    break;
                }
                i += 1;
            }
            Some(b'\n') if !triple => break,
            Some(_) => i += 1,
        }
    }
    let body_end = i.min(text.len());
    let end = (i + open).min(text.len());
    let plain = (plain_prefix && (!escaped || raw) && !triple)
        .then(|| text.get(body_start..body_end).map(|s| (s, body_start)))
        .flatten();
    (
        Tok::Str {
            span: start..end,
            plain,
        },
        end,
    )
}

const LIST_KEYS: [&str; 3] = ["install_requires", "setup_requires", "tests_require"];

/// Parse the file: `name=` and every requirement it can see.
pub fn parse(path: &str, text: &str) -> Result<Pyproject, ManifestError> {
    let lines = LineIndex::new(text);
    let toks = tokenize(text);
    let mut out = Pyproject::default();
    let tok = |i: usize| toks.get(i).map(|(t, _)| t);
    // `NAME = [` / `NAME = {` assignments (the first of each), to follow
    // `install_requires=NAME`: one pass, so the file stays linear to read.
    let mut assignments: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for k in 0..toks.len() {
        if let Some(Tok::Ident(name)) = tok(k)
            && tok(k + 1) == Some(&Tok::Punct(b'='))
            && matches!(tok(k + 2), Some(Tok::Punct(b'[' | b'{')))
        {
            assignments.entry(name).or_insert(k);
        }
    }
    let assigned = |name: &str| assignments.get(name).copied();
    for k in 0..toks.len() {
        let Some(Tok::Ident(word)) = tok(k) else {
            continue;
        };
        let is_kwarg = tok(k + 1) == Some(&Tok::Punct(b'='))
            && tok(k + 2) != Some(&Tok::Punct(b'='))
            && k > 0
            && matches!(tok(k - 1), Some(Tok::Punct(b'(' | b',')));
        if !is_kwarg {
            continue;
        }
        let mut value = k + 2;
        if let Some(Tok::Ident(var)) = tok(value)
            && !var.is_empty()
            && let Some(at) = assigned(var)
        {
            value = at + 2;
        }
        if *word == "name" {
            if out.name.is_none()
                && let Some(Tok::Str {
                    plain: Some((s, _)),
                    ..
                }) = tok(value)
            {
                out.name = Some(s.to_string());
            }
        } else if LIST_KEYS.contains(word) {
            if tok(value) == Some(&Tok::Punct(b'[')) {
                let section = format!("setup.py:{word}");
                list(path, text, &lines, &toks, value + 1, &section, &mut out)?;
            }
        } else if *word == "extras_require" && tok(value) == Some(&Tok::Punct(b'{')) {
            // `{ "extra": [ ... ], ... }`
            let mut j = value + 1;
            while let Some(t) = tok(j) {
                match t {
                    Tok::Punct(b'}') => break,
                    Tok::Str {
                        plain: Some((extra, _)),
                        ..
                    } if tok(j + 1) == Some(&Tok::Punct(b':'))
                        && tok(j + 2) == Some(&Tok::Punct(b'[')) =>
                    {
                        let section = format!("setup.py:extras_require.{extra}");
                        j = list(path, text, &lines, &toks, j + 3, &section, &mut out)?;
                    }
                    _ => j += 1,
                }
            }
        }
    }
    Ok(out)
}

/// The elements of a list from token `start` (after `[`) to its `]`;
/// returns the index after it.
fn list(
    path: &str,
    text: &str,
    lines: &LineIndex<'_>,
    toks: &[(Tok<'_>, usize)],
    start: usize,
    section: &str,
    out: &mut Pyproject,
) -> Result<usize, ManifestError> {
    let mut j = start;
    loop {
        // One element: tokens up to `,` or `]` at depth 0.
        let first = j;
        let mut depth = 0usize;
        while let Some((t, _)) = toks.get(j) {
            match t {
                Tok::Punct(b'[' | b'(' | b'{') => depth += 1,
                Tok::Punct(b']' | b')' | b'}') if depth == 0 => break,
                Tok::Punct(b']' | b')' | b'}') => depth -= 1,
                Tok::Punct(b',') if depth == 0 => break,
                _ => {}
            }
            j += 1;
        }
        element(
            path,
            text,
            lines,
            toks.get(first..j).unwrap_or_default(),
            section,
            out,
        )?;
        match toks.get(j) {
            Some((Tok::Punct(b','), _)) => j += 1,
            _ => return Ok(j + 1),
        }
    }
}

fn element(
    path: &str,
    text: &str,
    lines: &LineIndex<'_>,
    toks: &[(Tok<'_>, usize)],
    section: &str,
    out: &mut Pyproject,
) -> Result<(), ManifestError> {
    match toks {
        [] => Ok(()),
        [
            (
                Tok::Str {
                    plain: Some((s, at)),
                    ..
                },
                _,
            ),
        ] => {
            let req = pep508::parse(s).map_err(|e| {
                lines.error(
                    path,
                    at + e.offset,
                    format!("expected {} in requirement `{s}`", e.expected),
                )
            })?;
            out.deps.push(dep_of(section, &req, *at, lines));
            Ok(())
        }
        [(_, start), ..] => {
            // Built by code: name the package if a literal starts with one.
            let end = toks.last().map_or(*start, |(t, at)| match t {
                Tok::Str { span, .. } => span.end,
                Tok::Ident(w) => at + w.len(),
                Tok::Punct(_) => at + 1,
            });
            let expr = text.get(*start..end).unwrap_or_default();
            let named = toks.iter().find_map(|(t, _)| match t {
                Tok::Str { span, .. } => {
                    let raw = text.get(span.clone())?;
                    let inner = raw.trim_start_matches(|c: char| c.is_ascii_alphabetic());
                    let inner = inner.trim_matches(['"', '\'']);
                    let name_end = inner
                        .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
                        .unwrap_or(inner.len());
                    let name = inner.get(..name_end)?;
                    (!name.is_empty()).then(|| name.to_string())
                }
                _ => None,
            });
            if let Some(key) = named {
                out.deps.push(Dep {
                    section: section.to_string(),
                    key,
                    line: lines.line(*start),
                    requirement: expr.to_string(),
                    span: None,
                    form: Form::Computed,
                });
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_variables_and_computed() {
        let text = r#"from setuptools import setup
VERSION = "1.4"
REQUIRES = [
    "requests>=2",  # http
    'core-utils>=1.4,<2',
]
setup(
    name="cdn-client",
    version=VERSION,
    install_requires=REQUIRES,
    extras_require={"git": ["core-utils @ git+https://github.com/acme/core-utils@v1.4.0"],
                    "pinned": [f"core-utils=={VERSION}"]},
)
"#;
        let p = parse("setup.py", text).expect("parses");
        assert_eq!(p.name.as_deref(), Some("cdn-client"));
        let got: Vec<_> = p
            .deps
            .iter()
            .map(|d| {
                (
                    d.section.as_str(),
                    d.key.as_str(),
                    d.requirement.as_str(),
                    d.span.clone().map(|s| &text[s]),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("setup.py:install_requires", "requests", ">=2", Some(">=2")),
                (
                    "setup.py:install_requires",
                    "core-utils",
                    ">=1.4,<2",
                    Some(">=1.4,<2")
                ),
                (
                    "setup.py:extras_require.git",
                    "core-utils",
                    "v1.4.0",
                    Some("v1.4.0")
                ),
                (
                    "setup.py:extras_require.pinned",
                    "core-utils",
                    "f\"core-utils=={VERSION}\"",
                    None
                ),
            ]
        );
    }
}
