//! pip requirements files (`requirements*.txt`, `requirements/*.txt`,
//! pip-tools `*.in`), read line by line as pip does: `\` continuations,
//! `#` comments (at line start or after whitespace), option lines (`-r`,
//! `-c`, `-e`, `--index-url`, ...), per-requirement options (`--hash=`),
//! PEP 508 requirements and bare VCS URLs with `#egg=`.
//!
//! Invariant: every span is a byte range of the original file text; a span
//! that would straddle a line continuation is reported as `None`.

use std::ops::Range;

use super::pep508::{self, VcsUrl};
use crate::ecosystem::ManifestError;

/// One requirement line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// 1-based line where the logical line starts.
    pub line: u32,
    /// The specifier text (empty when none) and its span in the file.
    pub spec: String,
    pub spec_span: Option<Range<usize>>,
    /// A VCS reference, with the span of its reference in the file.
    pub vcs: Option<(VcsUrl, Option<Range<usize>>)>,
    /// A non-VCS direct reference or local path (nothing to bump).
    pub other_url: bool,
    /// `-e` / `--editable`.
    pub editable: bool,
    /// The line carries `--hash=` pins (pip's hash-checking mode).
    pub hashed: bool,
}

/// A logical line: text with comments kept, and where each piece came from.
struct Logical {
    text: String,
    /// (offset in `text`, offset in the file) of each physical piece.
    pieces: Vec<(usize, usize)>,
    line: u32,
}

impl Logical {
    /// The file span of `r` (a range of `text`), if it lies in one piece.
    fn file_span(&self, r: Range<usize>) -> Option<Range<usize>> {
        let idx = self.pieces.iter().rposition(|&(lo, _)| lo <= r.start)?;
        let (lo, file) = *self.pieces.get(idx)?;
        let piece_end = self
            .pieces
            .get(idx + 1)
            .map_or(self.text.len(), |&(next, _)| next);
        (r.end <= piece_end).then(|| file + (r.start - lo)..file + (r.end - lo))
    }
}

/// Is `#` at `i` a comment start (line start or after whitespace)?
fn comment_start(text: &str) -> usize {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes.get(i - 1).is_some_and(u8::is_ascii_whitespace)) {
            return i;
        }
    }
    text.len()
}

fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut current: Option<Logical> = None;
    let mut offset = 0;
    for (idx, raw) in text.split('\n').enumerate() {
        let start = offset;
        offset += raw.len() + 1;
        let body = raw.strip_suffix('\r').unwrap_or(raw);
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let is_comment = body.trim_start().starts_with('#');
        let continues = body.ends_with('\\') && !is_comment;
        let piece = if continues {
            body.get(..body.len() - 1).unwrap_or_default()
        } else if is_comment {
            ""
        } else {
            body
        };
        let logical = current.get_or_insert_with(|| Logical {
            text: String::new(),
            pieces: Vec::new(),
            line: line_no,
        });
        logical.pieces.push((logical.text.len(), start));
        logical.text.push_str(piece);
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out
}

/// Every requirement line of a requirements file. Malformed requirement
/// lines are errors naming the line and what was expected.
pub fn parse(path: &str, text: &str) -> Result<Vec<Entry>, ManifestError> {
    let mut entries = Vec::new();
    for logical in logical_lines(text) {
        let content_end = comment_start(&logical.text);
        let content = logical.text.get(..content_end).unwrap_or_default();
        let trimmed = content.trim_start();
        let lead = content.len() - trimmed.len();
        if trimmed.trim_end().is_empty() {
            continue;
        }
        let err_at = |at: usize, msg: String| {
            let file_at = logical.file_span(at..at).map_or(0, |r| r.start);
            ManifestError::at_offset(path, text, file_at, msg)
        };
        if trimmed.starts_with('-') {
            // Option line: `-e URL` is the only one that names a requirement.
            let (opt, rest) = trimmed
                .split_once(|c: char| c.is_ascii_whitespace() || c == '=')
                .unwrap_or((trimmed, ""));
            if matches!(opt, "-e" | "--editable") {
                let value = rest.trim();
                let value_start =
                    lead + trimmed.len() - rest.len() + (rest.len() - rest.trim_start().len());
                if let Some(entry) = url_entry(value, value_start, &logical, true) {
                    entries.push(entry);
                }
            }
            continue;
        }
        // Per-requirement options start at the first ` -` token.
        let req_end = trimmed
            .char_indices()
            .find(|&(i, c)| {
                c == '-'
                    && i > 0
                    && trimmed
                        .as_bytes()
                        .get(i - 1)
                        .is_some_and(u8::is_ascii_whitespace)
            })
            .map_or(trimmed.len(), |(i, _)| i);
        let req_text = trimmed.get(..req_end).unwrap_or_default();
        let first = req_text.split_ascii_whitespace().next().unwrap_or_default();
        if first.starts_with(['.', '/']) || has_url_scheme(first) {
            if let Some(entry) = url_entry(first, lead, &logical, false) {
                entries.push(entry);
            }
            continue;
        }
        let parsed = pep508::parse(req_text).map_err(|e| {
            err_at(
                lead + e.offset,
                format!(
                    "expected {} in requirement `{}`",
                    e.expected,
                    req_text.trim()
                ),
            )
        })?;
        let (vcs, other_url) = match &parsed.url {
            Some((url, span)) => match pep508::parse_vcs(url) {
                Some(vcs) => {
                    let ref_span = vcs.reference.as_ref().and_then(|(_, r)| {
                        logical.file_span(lead + span.start + r.start..lead + span.start + r.end)
                    });
                    (Some((vcs, ref_span)), false)
                }
                None => (None, true),
            },
            None => (None, false),
        };
        let spec_span =
            logical.file_span(lead + parsed.spec_span.start..lead + parsed.spec_span.end);
        entries.push(Entry {
            name: parsed.name,
            line: logical.line,
            spec: parsed.spec,
            spec_span,
            vcs,
            other_url,
            editable: false,
            hashed: trimmed
                .get(req_end..)
                .is_some_and(|rest| rest.contains("--hash")),
        });
    }
    Ok(entries)
}

/// Does `token` start with a URL scheme (`file:`, `https:`), before any
/// `@` (so `name@git+https://…` is a PEP 508 requirement, not a URL)?
fn has_url_scheme(token: &str) -> bool {
    let Some(colon) = token.find(':') else {
        return false;
    };
    let scheme = token.get(..colon).unwrap_or_default();
    scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
}

/// A bare URL or `-e URL` line: a VCS URL with `#egg=name` names a
/// requirement; another URL or path with `#egg=name` names one with nothing
/// to bump (`other_url`); anything else names none.
fn url_entry(value: &str, at: usize, logical: &Logical, editable: bool) -> Option<Entry> {
    let Some(vcs) = pep508::parse_vcs(value) else {
        let egg = value
            .split_once('#')?
            .1
            .split('&')
            .find_map(|kv| kv.strip_prefix("egg="))?;
        return Some(Entry {
            name: egg.to_string(),
            line: logical.line,
            spec: String::new(),
            spec_span: None,
            vcs: None,
            other_url: true,
            editable,
            hashed: false,
        });
    };
    let name = vcs.egg.clone()?;
    let ref_span = vcs
        .reference
        .as_ref()
        .and_then(|(_, r)| logical.file_span(at + r.start..at + r.end));
    let end = at + value.len();
    Some(Entry {
        name,
        line: logical.line,
        spec: String::new(),
        spec_span: logical.file_span(end..end),
        vcs: Some((vcs, ref_span)),
        other_url: false,
        editable,
        hashed: false,
    })
}

/// The files a requirements file names with `-r`/`--requirement` and
/// `-c`/`--constraint`, resolved against its directory (`..` followed;
/// URLs and absolute paths skipped).
pub fn references(path: &str, text: &str) -> Vec<String> {
    let dir = path.rfind('/').map_or("", |i| path.get(..i).unwrap_or(""));
    let mut out = Vec::new();
    for logical in logical_lines(text) {
        let content = logical
            .text
            .get(..comment_start(&logical.text))
            .unwrap_or_default()
            .trim();
        let (opt, rest) = content
            .split_once(|c: char| c.is_ascii_whitespace() || c == '=')
            .unwrap_or((content, ""));
        if !matches!(opt, "-r" | "--requirement" | "-c" | "--constraint") {
            continue;
        }
        let target = rest.trim().trim_start_matches('=').trim();
        if target.is_empty() || target.starts_with('/') || target.contains("://") {
            continue;
        }
        let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        let mut escaped = false;
        for part in target.split('/') {
            match part {
                "" | "." => {}
                ".." => escaped |= parts.pop().is_none(),
                p => parts.push(p),
            }
        }
        if !escaped {
            out.push(parts.join("/"));
        }
    }
    out
}

/// The pip-compile command line a compiled file's header records (the
/// arguments after `pip-compile`, joined across `\` continuations), if any.
pub fn pip_compile_command(text: &str) -> Option<Vec<String>> {
    let mut lines = text
        .lines()
        .take_while(|l| l.trim_start().starts_with('#') || l.trim().is_empty())
        .map(|l| l.trim_start_matches(['#', ' ', '\t']).trim_end());
    let first = lines.find(|l| l.starts_with("pip-compile"))?;
    let mut words: Vec<String> = Vec::new();
    let mut line = first
        .strip_prefix("pip-compile")
        .unwrap_or_default()
        .to_string();
    loop {
        let continued = line.ends_with('\\');
        words.extend(
            line.trim_end_matches('\\')
                .split_ascii_whitespace()
                .map(str::to_string),
        );
        if !continued {
            break;
        }
        match lines.next() {
            Some(next) => line = next.to_string(),
            None => break,
        }
    }
    Some(words)
}

/// Does a pip-compile header say this file is compiled? Returns the source
/// file named on its command line, if any.
pub fn pip_compile_source(text: &str) -> Option<Option<String>> {
    let header: Vec<&str> = text
        .lines()
        .take_while(|l| l.trim_start().starts_with('#') || l.trim().is_empty())
        .collect();
    if !header
        .iter()
        .any(|l| l.contains("autogenerated by pip-compile"))
    {
        return None;
    }
    let source = header
        .iter()
        .filter_map(|l| {
            l.trim_start_matches(['#', ' ', '\t'])
                .strip_prefix("pip-compile")
        })
        .flat_map(str::split_ascii_whitespace)
        .filter(|tok| !tok.starts_with('-'))
        .find(|tok| tok.ends_with(".in") || tok.ends_with(".toml") || tok.ends_with(".txt"))
        .map(str::to_string);
    Some(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<Entry> {
        parse("requirements.txt", text).expect("parses")
    }

    #[test]
    fn lines_comments_and_continuations() {
        let text = "# core-utils==1.0\nrequests>=2 # core-utils\ncore-utils \\\n  >=1.4,<2 \\\n  ; python_version>='3.8'\n-r base.txt\n--hash=sha256:abc\n";
        let found = entries(text);
        let names: Vec<_> = found.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["requests", "core-utils"]);
        let core = &found[1];
        assert_eq!(core.line, 3);
        assert_eq!(core.spec, ">=1.4,<2");
        let span = core.spec_span.clone().expect("span");
        assert_eq!(&text[span], ">=1.4,<2");
    }

    #[test]
    fn hashes_and_crlf() {
        let text = "core-utils==1.4.2 \\\r\n    --hash=sha256:abcd\r\nx";
        let found = entries(text);
        assert_eq!(found[0].spec, "==1.4.2");
        assert_eq!(&text[found[0].spec_span.clone().expect("span")], "==1.4.2");
    }

    #[test]
    fn vcs_lines() {
        let text = "-e git+https://github.com/acme/core-utils@v1.4.0#egg=core-utils\ncore-utils @ git+https://github.com/acme/core-utils@1.4.0\n";
        let found = entries(text);
        assert_eq!(found.len(), 2);
        for e in &found {
            let (_, span) = e.vcs.as_ref().expect("vcs");
            let span = span.clone().expect("span");
            assert!(text[span].ends_with("1.4.0"));
        }
    }

    #[test]
    fn file_urls_with_egg_are_named_but_not_bumpable() {
        let found = entries(
            "file:.#egg=core-utils\n-e file:../lib#egg=other\ncore-utils@git+https://h/x@v1.0.0\n",
        );
        assert_eq!(found.len(), 3);
        assert!(found[0].other_url && found[0].vcs.is_none());
        assert_eq!(found[1].name, "other");
        assert!(found[2].vcs.is_some());
    }

    #[test]
    fn references_resolve_across_directories() {
        let text = "-r ../common/base.txt\n--constraint=../../constraints/prod.txt\n-c ./pins.txt # local\n-r https://x/y.txt\n-r ../../../../outside.txt\nfoo\n";
        assert_eq!(
            references("svc/api/requirements.txt", text),
            [
                "svc/common/base.txt",
                "constraints/prod.txt",
                "svc/api/pins.txt"
            ]
        );
    }

    #[test]
    fn pip_compile_command_from_header() {
        let text = "#\n# This file is autogenerated by pip-compile with Python 3.12\n# by the following command:\n#\n#    pip-compile --allow-unsafe --generate-hashes --output-file requirements/prod.txt \\\n#        --strip-extras requirements/prod.in\n#\ncore-utils==1.4.2 \\\n    --hash=sha256:abc\n";
        assert_eq!(
            pip_compile_command(text).expect("command"),
            [
                "--allow-unsafe",
                "--generate-hashes",
                "--output-file",
                "requirements/prod.txt",
                "--strip-extras",
                "requirements/prod.in"
            ]
        );
        assert!(entries(text)[0].hashed);
    }

    #[test]
    fn malformed_line_is_an_error() {
        let err = parse("r.txt", "ok==1\ncore-utils (>=1.4\n").expect_err("error");
        assert_eq!(err.line, 2);
    }

    #[test]
    fn pip_compile_header() {
        let text = "#\n# This file is autogenerated by pip-compile with Python 3.12\n# by the following command:\n#\n#    pip-compile --output-file=requirements.txt requirements.in\n#\ncore-utils==1.4.2\n";
        assert_eq!(
            pip_compile_source(text),
            Some(Some("requirements.in".into()))
        );
        assert_eq!(pip_compile_source("core-utils==1\n"), None);
    }
}
