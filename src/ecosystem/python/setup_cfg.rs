//! `setup.cfg` (setuptools' declarative config): `[options]
//! install_requires` / `setup_requires` / `tests_require`,
//! `[options.extras_require]`, and `[metadata] name` (what the repository
//! publishes, for the consumer graph).
//!
//! Read as configparser does: `[section]` headers, `key = value` or
//! `key: value`, indented continuation lines, full-line `#`/`;` comments. A
//! list value is one requirement per line (or `;`-separated on one line,
//! setuptools' old form). `file:` values are not followed.
//!
//! Invariant: spans are byte ranges of the original file covering exactly
//! the specifier (or git tag) of one requirement line. Linear in the file.

use super::pep508;
use super::pyproject::{Dep, Form, Pyproject};
use crate::ecosystem::{GitRef, LineIndex, ManifestError};

/// One value of one key: its pieces (trimmed text and file offset).
struct Entry<'a> {
    section: &'a str,
    key: &'a str,
    pieces: Vec<(usize, &'a str)>,
}

fn entries(text: &str) -> Vec<Entry<'_>> {
    let mut out: Vec<Entry<'_>> = Vec::new();
    let mut section = "";
    let mut in_value = false;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with(['#', ';']) {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        if indented && in_value {
            let lead = line.len() - line.trim_start().len();
            if let Some(e) = out.last_mut() {
                e.pieces.push((start + lead, trimmed));
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            section = rest.split(']').next().unwrap_or_default().trim();
            in_value = false;
            continue;
        }
        let Some(delim) = line.find(['=', ':']) else {
            in_value = false;
            continue;
        };
        let key = line.get(..delim).unwrap_or_default().trim();
        let value = line.get(delim + 1..).unwrap_or_default();
        let lead = value.len() - value.trim_start().len();
        let mut pieces = Vec::new();
        if !value.trim().is_empty() {
            pieces.push((start + delim + 1 + lead, value.trim()));
        }
        out.push(Entry {
            section,
            key,
            pieces,
        });
        in_value = true;
    }
    out
}

/// Requirement keys of `[options]`.
const OPTION_KEYS: [&str; 3] = ["install_requires", "setup_requires", "tests_require"];

/// Parse the file: its `[metadata] name` and every requirement.
pub fn parse(path: &str, text: &str) -> Result<Pyproject, ManifestError> {
    let lines = LineIndex::new(text);
    let mut out = Pyproject::default();
    for entry in entries(text) {
        let section = match (entry.section, entry.key) {
            ("metadata", "name") => {
                out.name = entry.pieces.first().map(|(_, v)| v.to_string());
                continue;
            }
            ("options", key) if OPTION_KEYS.contains(&key) => format!("setup.cfg:{key}"),
            ("options.extras_require", extra) => format!("setup.cfg:extras_require.{extra}"),
            _ => continue,
        };
        if entry
            .pieces
            .first()
            .is_some_and(|(_, v)| v.starts_with("file:") || v.starts_with("attr:"))
        {
            continue;
        }
        let one_line = entry.pieces.len() == 1;
        for &(at, piece) in &entry.pieces {
            // One line may hold several requirements separated by `;` only
            // in the old one-line form; markers use `;` too, so a
            // multi-line value keeps its `;`.
            let parts: Vec<(usize, &str)> = if one_line && !piece.contains(" ; ") {
                let mut parts = Vec::new();
                let mut base = 0;
                for part in piece.split(';') {
                    parts.push((at + base, part));
                    base += part.len() + 1;
                }
                parts
            } else {
                vec![(at, piece)]
            };
            for (at, part) in parts {
                let content = match part.find(" #") {
                    Some(k) => part.get(..k).unwrap_or(part),
                    None => part,
                };
                let lead = content.len() - content.trim_start().len();
                let content = content.trim();
                if content.is_empty() || content.starts_with('#') {
                    continue;
                }
                let at = at + lead;
                let req = pep508::parse(content).map_err(|e| {
                    lines.error(
                        path,
                        at + e.offset,
                        format!("expected {} in requirement `{content}`", e.expected),
                    )
                })?;
                out.deps.push(dep_of(&section, &req, at, &lines));
            }
        }
    }
    Ok(out)
}

/// A dependency from a PEP 508 string found at file offset `at`.
pub fn dep_of(section: &str, req: &pep508::Pep508, at: usize, lines: &LineIndex<'_>) -> Dep {
    let (requirement, span, form) = match &req.url {
        Some((url, url_span)) => match pep508::parse_vcs(url) {
            Some(vcs) => {
                let reference = vcs
                    .reference
                    .as_ref()
                    .map_or(GitRef::DefaultBranch, |(r, _)| pep508::classify_ref(r));
                let (text_ref, span) = match &vcs.reference {
                    Some((r, rs)) => (
                        r.clone(),
                        Some(at + url_span.start + rs.start..at + url_span.start + rs.end),
                    ),
                    None => (String::new(), None),
                };
                (
                    text_ref,
                    span,
                    Form::Git {
                        url: vcs.url,
                        reference,
                    },
                )
            }
            None => (String::new(), None, Form::Local),
        },
        None => (
            req.spec.clone(),
            Some(at + req.spec_span.start..at + req.spec_span.end),
            Form::Pep508,
        ),
    };
    Dep {
        section: section.to_string(),
        key: req.name.clone(),
        line: lines.line(at),
        requirement,
        span,
        form,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_options_extras_and_metadata() {
        let text = "[metadata]\nname = cdn-client\nversion = 1.2.0\n\n[options]\npackages = find:\ninstall_requires =\n    requests>=2\n    # pinned by ops\n    core-utils >=1.4,<2 ; python_version>='3.8'\n\n[options.extras_require]\ngit = core-utils @ git+https://github.com/acme/core-utils@v1.4.0\n";
        let p = parse("setup.cfg", text).expect("parses");
        assert_eq!(p.name.as_deref(), Some("cdn-client"));
        let got: Vec<_> = p
            .deps
            .iter()
            .map(|d| {
                (
                    d.section.as_str(),
                    d.key.as_str(),
                    d.line,
                    d.span.clone().map(|s| &text[s]),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("setup.cfg:install_requires", "requests", 8, Some(">=2")),
                (
                    "setup.cfg:install_requires",
                    "core-utils",
                    10,
                    Some(">=1.4,<2")
                ),
                (
                    "setup.cfg:extras_require.git",
                    "core-utils",
                    13,
                    Some("v1.4.0")
                ),
            ]
        );
    }

    #[test]
    fn one_line_semicolons_and_errors() {
        let p = parse(
            "setup.cfg",
            "[options]\ninstall_requires = a>=1; core-utils==1.4\n",
        )
        .expect("parses");
        assert_eq!(p.deps.len(), 2);
        assert_eq!(p.deps[1].requirement, "==1.4");
        let e = parse(
            "setup.cfg",
            "[options]\ninstall_requires =\n    core-utils (>=1\n",
        )
        .expect_err("bad");
        assert_eq!(e.line, 3);
    }
}
