//! `pyproject.toml`: PEP 621 `[project] dependencies` and
//! `optional-dependencies`, PEP 735 `[dependency-groups]`, and Poetry's
//! `[tool.poetry.dependencies]`, `[tool.poetry.dev-dependencies]` and
//! `[tool.poetry.group.<g>.dependencies]` (string or table values).
//!
//! Invariant: spans come from toml_edit's span-preserving parse and point
//! inside the TOML string at exactly the specifier (or git tag) bytes; a
//! string whose raw text differs from its value (escapes) gets no span.

use std::ops::Range;

use toml_edit::{Document, Item, TableLike, Value};

use super::pep508;
use crate::ecosystem::{GitRef, ManifestError};

/// How a dependency is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Form {
    /// A PEP 508 string (PEP 621, dependency groups).
    Pep508,
    /// A Poetry constraint (`^1.4`).
    Poetry,
    /// A git dependency.
    Git { url: String, reference: GitRef },
    /// A path or URL without a version: nothing to bump.
    Local,
}

/// One dependency of a pyproject.toml.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dep {
    pub section: String,
    /// The name (or Poetry key) as written.
    pub key: String,
    pub line: u32,
    /// The constraint or git reference text.
    pub requirement: String,
    pub span: Option<Range<usize>>,
    pub form: Form,
}

/// The parsed manifest: what it publishes and every dependency.
#[derive(Clone, Debug, Default)]
pub struct Pyproject {
    pub name: Option<String>,
    pub deps: Vec<Dep>,
}

/// Where the content of a TOML string starts in the file, when the raw
/// text equals the value (no escapes, no trimmed newline surprises).
fn string_content(text: &str, value: &Value) -> Option<(String, usize)> {
    let s = value.as_str()?;
    let span = value.span()?;
    let raw = text.get(span.clone())?;
    let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        3
    } else {
        1
    };
    let mut inner = raw.get(quote..raw.len().checked_sub(quote)?)?;
    let mut start = span.start + quote;
    if quote == 3 {
        if let Some(rest) = inner.strip_prefix("\r\n") {
            inner = rest;
            start += 2;
        } else if let Some(rest) = inner.strip_prefix('\n') {
            inner = rest;
            start += 1;
        }
    }
    (inner == s).then(|| (s.to_string(), start))
}

fn line_of(text: &str, offset: usize) -> u32 {
    crate::ecosystem::line_col(text, offset).0
}

fn err_at(path: &str, text: &str, offset: usize, msg: String) -> ManifestError {
    ManifestError::at_offset(path, text, offset, msg)
}

/// Parse the manifest and every dependency in it.
pub fn parse(path: &str, text: &str) -> Result<Pyproject, ManifestError> {
    let doc = Document::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        err_at(path, text, offset, format!("invalid TOML: {}", e.message()))
    })?;
    let mut out = Pyproject::default();
    let root = doc.as_table();
    if let Some(project) = root.get("project").and_then(Item::as_table_like) {
        out.name = project
            .get("name")
            .and_then(Item::as_str)
            .map(str::to_string);
        if let Some(deps) = project.get("dependencies") {
            pep508_array(path, text, deps, "project.dependencies", &mut out.deps)?;
        }
        if let Some(groups) = project
            .get("optional-dependencies")
            .and_then(Item::as_table_like)
        {
            for (group, deps) in groups.iter() {
                let section = format!("project.optional-dependencies.{group}");
                pep508_array(path, text, deps, &section, &mut out.deps)?;
            }
        }
    }
    if let Some(groups) = root.get("dependency-groups").and_then(Item::as_table_like) {
        for (group, deps) in groups.iter() {
            let section = format!("dependency-groups.{group}");
            pep508_array(path, text, deps, &section, &mut out.deps)?;
        }
    }
    let poetry = root
        .get("tool")
        .and_then(Item::as_table_like)
        .and_then(|t| t.get("poetry"))
        .and_then(Item::as_table_like);
    if let Some(poetry) = poetry {
        if out.name.is_none() {
            out.name = poetry
                .get("name")
                .and_then(Item::as_str)
                .map(str::to_string);
        }
        for key in ["dependencies", "dev-dependencies"] {
            if let Some(table) = poetry.get(key).and_then(Item::as_table_like) {
                poetry_table(
                    path,
                    text,
                    table,
                    &format!("tool.poetry.{key}"),
                    &mut out.deps,
                )?;
            }
        }
        if let Some(groups) = poetry.get("group").and_then(Item::as_table_like) {
            for (group, item) in groups.iter() {
                let deps = item
                    .as_table_like()
                    .and_then(|g| g.get("dependencies"))
                    .and_then(Item::as_table_like);
                if let Some(table) = deps {
                    let section = format!("tool.poetry.group.{group}.dependencies");
                    poetry_table(path, text, table, &section, &mut out.deps)?;
                }
            }
        }
    }
    Ok(out)
}

fn pep508_array(
    path: &str,
    text: &str,
    item: &Item,
    section: &str,
    out: &mut Vec<Dep>,
) -> Result<(), ManifestError> {
    let Some(array) = item.as_array() else {
        let at = item.span().map_or(0, |s| s.start);
        return Err(err_at(
            path,
            text,
            at,
            format!("`{section}` must be an array of strings"),
        ));
    };
    for value in array.iter() {
        if value.is_inline_table() && section.starts_with("dependency-groups") {
            continue; // `{include-group = "..."}`
        }
        let at = value.span().map_or(0, |s| s.start);
        let Some(s) = value.as_str() else {
            return Err(err_at(
                path,
                text,
                at,
                format!("expected a requirement string in `{section}`"),
            ));
        };
        let content = string_content(text, value);
        let req = pep508::parse(s).map_err(|e| {
            let off = content.as_ref().map_or(at, |(_, start)| start + e.offset);
            err_at(
                path,
                text,
                off,
                format!("expected {} in requirement `{s}`", e.expected),
            )
        })?;
        let base = content.map(|(_, start)| start);
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
                            base.map(|b| {
                                b + url_span.start + rs.start..b + url_span.start + rs.end
                            }),
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
                base.map(|b| b + req.spec_span.start..b + req.spec_span.end),
                Form::Pep508,
            ),
        };
        out.push(Dep {
            section: section.to_string(),
            key: req.name,
            line: line_of(text, at),
            requirement,
            span,
            form,
        });
    }
    Ok(())
}

fn poetry_table(
    path: &str,
    text: &str,
    table: &dyn TableLike,
    section: &str,
    out: &mut Vec<Dep>,
) -> Result<(), ManifestError> {
    for (key, item) in table.iter() {
        if key == "python" {
            continue;
        }
        let at = item.span().map_or(0, |s| s.start);
        let values: Vec<&Value> = match item {
            Item::Value(Value::Array(a)) => a.iter().collect(),
            Item::Value(v) => vec![v],
            Item::Table(_) => Vec::new(),
            _ => Vec::new(),
        };
        if let Item::Table(t) = item {
            out.push(poetry_entry(path, text, key, section, at, None, Some(t))?);
            continue;
        }
        for value in values {
            let at = value.span().map_or(at, |s| s.start);
            let dep = match value {
                Value::String(_) => poetry_entry(path, text, key, section, at, Some(value), None)?,
                Value::InlineTable(t) => poetry_entry(path, text, key, section, at, None, Some(t))?,
                _ => {
                    return Err(err_at(
                        path,
                        text,
                        at,
                        format!("expected a version string or a table for `{key}` in `{section}`"),
                    ));
                }
            };
            out.push(dep);
        }
    }
    Ok(())
}

fn poetry_entry(
    path: &str,
    text: &str,
    key: &str,
    section: &str,
    at: usize,
    string: Option<&Value>,
    table: Option<&dyn TableLike>,
) -> Result<Dep, ManifestError> {
    let mut dep = Dep {
        section: section.to_string(),
        key: key.to_string(),
        line: line_of(text, at),
        requirement: String::new(),
        span: None,
        form: Form::Poetry,
    };
    let version_value = match (string, table) {
        (Some(v), _) => Some(v),
        (None, Some(t)) => {
            let get = |k: &str| t.get(k).and_then(Item::as_value);
            if let Some(url) = get("git").and_then(Value::as_str) {
                let pick = ["tag", "rev", "branch"]
                    .iter()
                    .find_map(|k| get(k).map(|v| (*k, v)));
                let reference = match pick {
                    Some(("tag", v)) => GitRef::Tag(v.as_str().unwrap_or_default().to_string()),
                    Some(("rev", v)) => GitRef::Rev(v.as_str().unwrap_or_default().to_string()),
                    Some((_, v)) => GitRef::Branch(v.as_str().unwrap_or_default().to_string()),
                    None => GitRef::DefaultBranch,
                };
                if let Some((_, v)) = pick {
                    if let Some((s, start)) = string_content(text, v) {
                        dep.span = Some(start..start + s.len());
                        dep.requirement = s;
                    } else {
                        dep.requirement = v.as_str().unwrap_or_default().to_string();
                    }
                    dep.line = line_of(text, v.span().map_or(at, |s| s.start));
                }
                dep.form = Form::Git {
                    url: url.to_string(),
                    reference,
                };
                return Ok(dep);
            }
            if get("version").is_none() && (get("path").is_some() || get("url").is_some()) {
                dep.form = Form::Local;
                return Ok(dep);
            }
            get("version")
        }
        (None, None) => None,
    };
    let Some(value) = version_value else {
        return Err(err_at(
            path,
            text,
            at,
            format!("expected `version`, `git`, `path` or `url` for `{key}` in `{section}`"),
        ));
    };
    let Some(s) = value.as_str() else {
        let at = value.span().map_or(at, |s| s.start);
        return Err(err_at(
            path,
            text,
            at,
            format!("expected a version string for `{key}`"),
        ));
    };
    let vat = value.span().map_or(at, |s| s.start);
    dep.line = line_of(text, vat);
    match string_content(text, value) {
        Some((content, start)) => {
            let lead = content.len() - content.trim_start().len();
            let trimmed = content.trim();
            dep.span = Some(start + lead..start + lead + trimmed.len());
            dep.requirement = trimmed.to_string();
        }
        None => dep.requirement = s.trim().to_string(),
    }
    Ok(dep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_inside_strings() {
        let text = r#"[project]
name = "svc"
dependencies = ["core-utils[async] >=1.4,<2 ; python_version>='3.8'", 'requests']

[project.optional-dependencies]
git = ["core-utils @ git+https://github.com/acme/core-utils@v1.4.0"]

[tool.poetry.dependencies]
python = "^3.10"
core-utils = { version = "^1.4", extras = ["async"] }
Core_Utils = "~1.4.2"
"#;
        let p = parse("pyproject.toml", text).expect("parses");
        assert_eq!(p.name.as_deref(), Some("svc"));
        let reqs: Vec<_> = p
            .deps
            .iter()
            .map(|d| (d.key.as_str(), d.span.clone().map(|s| &text[s])))
            .collect();
        assert_eq!(
            reqs,
            [
                ("core-utils", Some(">=1.4,<2")),
                ("requests", Some("")),
                ("core-utils", Some("v1.4.0")),
                ("core-utils", Some("^1.4")),
                ("Core_Utils", Some("~1.4.2")),
            ]
        );
    }

    #[test]
    fn errors_are_located() {
        let err = parse(
            "pyproject.toml",
            "[project]\ndependencies = [\"core-utils >=\"]\n",
        );
        assert!(
            err.is_ok(),
            "an invalid specifier is judged later, not here"
        );
        let err = parse("pyproject.toml", "[project\n").expect_err("bad toml");
        assert_eq!(err.line, 1);
        let err = parse(
            "pyproject.toml",
            "[tool.poetry.dependencies]\ncore-utils = 3\n",
        )
        .expect_err("bad value");
        assert_eq!(err.line, 2);
    }
}
