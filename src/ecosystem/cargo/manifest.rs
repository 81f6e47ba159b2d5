//! Reading `Cargo.toml`: every dependency table and what each entry asks
//! for, with the byte spans of the strings a rewrite would touch.
//!
//! Invariant: a span is reported only when the file's bytes at that span are
//! exactly the string's value (no escapes, no line-continuations), so a
//! splice there edits precisely that value.

use std::ops::Range;

use toml_edit::{Document, Item, TableLike, Value};

use crate::ecosystem::{GitRef, ManifestError};

/// The dependency tables Cargo reads in a package or under `target.<cfg>`.
const DEP_TABLES: [&str; 5] = [
    "dependencies",
    "dev-dependencies",
    "dev_dependencies",
    "build-dependencies",
    "build_dependencies",
];

/// Parse a manifest, turning TOML errors into a located [`ManifestError`].
pub fn parse<'t>(path: &str, text: &'t str) -> Result<Document<&'t str>, ManifestError> {
    Document::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim_end().to_string();
        ManifestError::at_offset(path, text, offset, format!("invalid TOML: {message}"))
    })
}

/// A string value and, when its bytes are exactly its value, their span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub value: String,
    pub span: Option<Range<usize>>,
}

/// One entry of a dependency table.
pub struct DepEntry<'d> {
    /// The table as written: `dependencies`, `target.'cfg(unix)'.dependencies`,
    /// `workspace.dependencies`.
    pub section: String,
    /// The key, unquoted (a rename: `cu`).
    pub key: &'d str,
    /// Where the entry starts (its key).
    pub offset: usize,
    pub item: &'d Item,
}

/// What a dependency entry asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    /// A registry version requirement (also with `path` or `registry`).
    Version(Located),
    /// A git source and its pin (`None` for the default branch).
    Git {
        url: String,
        reference: GitRef,
        pin: Option<Located>,
        /// A `version` beside the git source, which Cargo also checks.
        version: Option<Located>,
    },
    /// `workspace = true`: inherited from the workspace root.
    Workspace,
    /// A path dependency without a version: nothing to bump.
    PathOnly(String),
    /// A table naming no source at all (Cargo reads it as `*`).
    Unversioned,
}

/// Every dependency entry of the manifest, in document order.
pub fn entries<'d>(
    doc: &'d Document<&str>,
    path: &str,
) -> Result<Vec<DepEntry<'d>>, ManifestError> {
    let text = doc.raw();
    let root = doc.as_table();
    let mut out = Vec::new();
    for name in DEP_TABLES {
        if let Some((key, item)) = root.get_key_value(name) {
            push_table(
                &mut out,
                name.to_string(),
                item,
                key_offset(key),
                path,
                text,
            )?;
        }
    }
    if let Some(target) = root.get("target") {
        let target = table_like(target, "target", path, text)?;
        for (cfg, platform) in target.iter() {
            let cfg_key = target.key(cfg);
            let cfg_raw = cfg_key
                .and_then(|k| k.span())
                .and_then(|s| text.get(s))
                .unwrap_or(cfg);
            let platform = table_like(platform, "target.<cfg>", path, text)?;
            for name in DEP_TABLES {
                if let Some((key, item)) = platform.get_key_value(name) {
                    let section = format!("target.{cfg_raw}.{name}");
                    push_table(&mut out, section, item, key_offset(key), path, text)?;
                }
            }
        }
    }
    if let Some(workspace) = root.get("workspace") {
        let workspace = table_like(workspace, "workspace", path, text)?;
        if let Some((key, item)) = workspace.get_key_value("dependencies") {
            let section = "workspace.dependencies".to_string();
            push_table(&mut out, section, item, key_offset(key), path, text)?;
        }
    }
    Ok(out)
}

fn key_offset(key: &toml_edit::Key) -> usize {
    key.span().map_or(0, |s| s.start)
}

fn push_table<'d>(
    out: &mut Vec<DepEntry<'d>>,
    section: String,
    item: &'d Item,
    offset: usize,
    path: &str,
    text: &str,
) -> Result<(), ManifestError> {
    let table = item.as_table_like().ok_or_else(|| {
        expected(
            path,
            text,
            item.span().map_or(offset, |s| s.start),
            &section,
        )
    })?;
    for (key, value) in table.iter() {
        let offset = table
            .key(key)
            .and_then(|k| k.span())
            .or_else(|| value.span())
            .map_or(offset, |s| s.start);
        out.push(DepEntry {
            section: section.clone(),
            key,
            offset,
            item: value,
        });
    }
    Ok(())
}

fn expected(path: &str, text: &str, offset: usize, what: &str) -> ManifestError {
    ManifestError::at_offset(
        path,
        text,
        offset,
        format!("expected `{what}` to be a table"),
    )
}

fn table_like<'d>(
    item: &'d Item,
    what: &str,
    path: &str,
    text: &str,
) -> Result<&'d dyn TableLike, ManifestError> {
    item.as_table_like()
        .ok_or_else(|| expected(path, text, item.span().map_or(0, |s| s.start), what))
}

/// The published name an entry refers to: its `package` key, else its key.
pub fn package_name(entry: &DepEntry<'_>, path: &str, text: &str) -> Result<String, ManifestError> {
    match entry.item.as_table_like().and_then(|t| t.get("package")) {
        Some(item) => item.as_str().map(str::to_string).ok_or_else(|| {
            let at = item.span().map_or(entry.offset, |s| s.start);
            ManifestError::at_offset(path, text, at, "expected `package` to be a string")
        }),
        None => Ok(entry.key.to_string()),
    }
}

/// What the entry asks for.
pub fn spec(entry: &DepEntry<'_>, path: &str, text: &str) -> Result<Spec, ManifestError> {
    let err = |at: Option<Range<usize>>, msg: String| {
        ManifestError::at_offset(path, text, at.map_or(entry.offset, |s| s.start), msg)
    };
    if let Some(v) = entry.item.as_value().filter(|v| v.is_str()) {
        return located(text, v)
            .map(Spec::Version)
            .ok_or_else(|| err(v.span(), "expected a version string".into()));
    }
    let Some(table) = entry.item.as_table_like() else {
        return Err(err(
            entry.item.span(),
            format!(
                "expected a version string or a table for dependency `{}`",
                entry.key
            ),
        ));
    };
    let string = |key: &str| -> Result<Option<Located>, ManifestError> {
        match table.get(key) {
            None => Ok(None),
            Some(item) => item
                .as_value()
                .and_then(|v| located(text, v))
                .map(Some)
                .ok_or_else(|| err(item.span(), format!("expected `{key}` to be a string"))),
        }
    };
    if let Some(ws) = table.get("workspace") {
        return match ws.as_bool() {
            Some(true) => Ok(Spec::Workspace),
            _ => Err(err(ws.span(), "expected `workspace = true`".into())),
        };
    }
    if let Some(url) = string("git")? {
        let pins = [
            ("tag", string("tag")?),
            ("rev", string("rev")?),
            ("branch", string("branch")?),
        ];
        let mut set = pins.into_iter().filter_map(|(k, v)| v.map(|v| (k, v)));
        let first = set.next();
        if set.next().is_some() {
            return Err(err(
                table.get("git").and_then(Item::span),
                "expected only one of `tag`, `rev` and `branch`".into(),
            ));
        }
        let (reference, pin) = match first {
            Some(("tag", v)) => (GitRef::Tag(v.value.clone()), Some(v)),
            Some(("rev", v)) => (GitRef::Rev(v.value.clone()), Some(v)),
            Some((_, v)) => (GitRef::Branch(v.value.clone()), Some(v)),
            None => (GitRef::DefaultBranch, None),
        };
        return Ok(Spec::Git {
            url: url.value,
            reference,
            pin,
            version: string("version")?,
        });
    }
    if let Some(version) = string("version")? {
        return Ok(Spec::Version(version));
    }
    if let Some(p) = string("path")? {
        return Ok(Spec::PathOnly(p.value));
    }
    Ok(Spec::Unversioned)
}

/// The `version` written beside the git pin whose bytes are at `pin_span`
/// (`tag = "v1.4.0", version = "1.4"`), if any.
pub fn version_beside_pin(
    doc: &Document<&str>,
    path: &str,
    pin_span: &Range<usize>,
) -> Result<Option<Located>, ManifestError> {
    let text = doc.raw();
    for entry in entries(doc, path)? {
        if let Ok(Spec::Git {
            pin: Some(pin),
            version,
            ..
        }) = spec(&entry, path, text)
            && pin.span.as_ref() == Some(pin_span)
        {
            return Ok(version);
        }
    }
    Ok(None)
}

/// A string value with the span of its characters, when they are verbatim.
pub fn located(text: &str, value: &Value) -> Option<Located> {
    let s = value.as_str()?;
    let span = value.span().and_then(|r| {
        let raw = text.get(r.clone())?;
        let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            3
        } else if raw.starts_with('"') || raw.starts_with('\'') {
            1
        } else {
            return None;
        };
        let inner = r.start.checked_add(quote)?..r.end.checked_sub(quote)?;
        (text.get(inner.clone())? == s).then_some(inner)
    });
    Some(Located {
        value: s.to_string(),
        span,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(text: &str) -> Vec<(String, String, Spec)> {
        let doc = parse("Cargo.toml", text).unwrap();
        entries(&doc, "Cargo.toml")
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e.section.clone(),
                    package_name(e, "Cargo.toml", text).unwrap(),
                    spec(e, "Cargo.toml", text).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn every_table_is_read() {
        let text = "[dependencies]\na = \"1\"\n[dev_dependencies]\nb = { version = '2' }\n\
                    [target.'cfg(unix)'.build-dependencies]\nc.version = \"3\"\n\
                    [workspace.dependencies]\nd = { path = \"d\" }\n\
                    [dependencies.e]\ngit = \"https://x/e\"\nrev = \"abc\"\n";
        let got = specs(text);
        let names: Vec<(&str, &str)> = got
            .iter()
            .map(|(s, n, _)| (s.as_str(), n.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("dependencies", "a"),
                ("dependencies", "e"),
                ("dev_dependencies", "b"),
                ("target.'cfg(unix)'.build-dependencies", "c"),
                ("workspace.dependencies", "d"),
            ]
        );
        assert_eq!(got[4].2, Spec::PathOnly("d".into()));
        assert!(matches!(&got[1].2, Spec::Git { reference: GitRef::Rev(r), .. } if r == "abc"));
    }

    #[test]
    fn spans_cover_only_verbatim_strings() {
        let text = "[dependencies]\na = \"1.4\"\nb = '2'\nc = \"1\\u002e2\"\nd = \"\"\"3\"\"\"\n";
        let got = specs(text);
        let spans: Vec<Option<&str>> = got
            .iter()
            .map(|(_, _, s)| match s {
                Spec::Version(l) => l.span.clone().map(|r| &text[r]),
                _ => None,
            })
            .collect();
        assert_eq!(spans, [Some("1.4"), Some("2"), None, Some("3")]);
    }

    #[test]
    fn bad_shapes_are_located_errors() {
        let cases = [
            (
                "[dependencies]\na = 5\n",
                2,
                "expected a version string or a table",
            ),
            (
                "dependencies = 3\n",
                1,
                "expected `dependencies` to be a table",
            ),
            (
                "[dependencies]\na = { version = 1 }\n",
                2,
                "expected `version` to be a string",
            ),
            (
                "[dependencies]\na = { workspace = false }\n",
                2,
                "expected `workspace = true`",
            ),
            ("[dependencies\n", 1, "invalid TOML"),
        ];
        for (text, line, msg) in cases {
            let err = parse("Cargo.toml", text)
                .and_then(|doc| {
                    for e in entries(&doc, "Cargo.toml")? {
                        spec(&e, "Cargo.toml", text)?;
                    }
                    Ok(())
                })
                .unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
            assert!(err.message.contains(msg), "{text:?}: {err}");
        }
    }
}
