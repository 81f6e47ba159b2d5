//! `pyproject.toml`: PEP 621 `[project] dependencies` and
//! `optional-dependencies`, PEP 735 `[dependency-groups]`, Poetry's
//! `[tool.poetry.dependencies]`, `[tool.poetry.dev-dependencies]` and
//! `[tool.poetry.group.<g>.dependencies]` (string or table values), PDM's
//! `[tool.pdm.dev-dependencies]`, uv's `[tool.uv] dev-dependencies` and
//! `[tool.uv.sources]` (a git or path source of its own), and Hatch's
//! `[tool.hatch.envs.<env>] dependencies` / `extra-dependencies`.
//!
//! An entry the tool accepts but that names no version (`dep = {}`, a
//! `{ source = "…" }` table: Poetry reads both as `*`; a path dependency
//! with a `version` key: the path wins) is read as such, with a warning.
//!
//! Invariant: spans come from toml_edit's span-preserving parse and point
//! inside the TOML string at exactly the specifier (or git tag) bytes; a
//! string whose raw text differs from its value (escapes) gets no span.

use std::ops::Range;

use toml_edit::{Document, Item, TableLike, Value};

use super::pep508;
use crate::ecosystem::{GitRef, LineIndex, ManifestError, ManifestWarning};

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
    /// A requirement built by code (`setup.py`): its text is the
    /// expression; judged, never rewritten.
    Computed,
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
    /// Entries read leniently: the dependency's key and the warning
    /// naming file and line.
    pub warnings: Vec<(String, ManifestWarning)>,
}

/// What every reader of one file needs.
struct Ctx<'a> {
    path: &'a str,
    text: &'a str,
    lines: LineIndex<'a>,
}

impl Ctx<'_> {
    fn line(&self, offset: usize) -> u32 {
        self.lines.line(offset)
    }

    fn err(&self, offset: usize, msg: String) -> ManifestError {
        self.lines.error(self.path, offset, msg)
    }
}

/// Where the content of a TOML string starts in the file, when the raw
/// text equals the value (no escapes, no trimmed newline surprises).
pub(crate) fn string_content(text: &str, value: &Value) -> Option<(String, usize)> {
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

/// Parse the manifest and every dependency in it.
pub fn parse(path: &str, text: &str) -> Result<Pyproject, ManifestError> {
    let doc = Document::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        ManifestError::at_offset(path, text, offset, format!("invalid TOML: {}", e.message()))
    })?;
    let cx = Ctx {
        path,
        text,
        lines: LineIndex::new(text),
    };
    let mut out = Pyproject::default();
    let root = doc.as_table();
    if let Some(project) = root.get("project").and_then(Item::as_table_like) {
        out.name = project
            .get("name")
            .and_then(Item::as_str)
            .map(str::to_string);
        if let Some(deps) = project.get("dependencies") {
            pep508_array(&cx, deps, "project.dependencies", &mut out.deps)?;
        }
        if let Some(groups) = project
            .get("optional-dependencies")
            .and_then(Item::as_table_like)
        {
            for (group, deps) in groups.iter() {
                let section = format!("project.optional-dependencies.{group}");
                pep508_array(&cx, deps, &section, &mut out.deps)?;
            }
        }
    }
    if let Some(groups) = root.get("dependency-groups").and_then(Item::as_table_like) {
        for (group, deps) in groups.iter() {
            let section = format!("dependency-groups.{group}");
            pep508_array(&cx, deps, &section, &mut out.deps)?;
        }
    }
    let tool = root.get("tool").and_then(Item::as_table_like);
    let tool_table = |name: &str| tool.and_then(|t| t.get(name)).and_then(Item::as_table_like);
    if let Some(poetry) = tool_table("poetry") {
        if out.name.is_none() {
            out.name = poetry
                .get("name")
                .and_then(Item::as_str)
                .map(str::to_string);
        }
        for key in ["dependencies", "dev-dependencies"] {
            if let Some(table) = poetry.get(key).and_then(Item::as_table_like) {
                let section = format!("tool.poetry.{key}");
                poetry_table(&cx, table, &section, &mut out)?;
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
                    poetry_table(&cx, table, &section, &mut out)?;
                }
            }
        }
    }
    if let Some(groups) = tool_table("pdm")
        .and_then(|pdm| pdm.get("dev-dependencies"))
        .and_then(Item::as_table_like)
    {
        for (group, deps) in groups.iter() {
            let section = format!("tool.pdm.dev-dependencies.{group}");
            pep508_array(&cx, deps, &section, &mut out.deps)?;
        }
    }
    if let Some(uv) = tool_table("uv") {
        for key in [
            "dev-dependencies",
            "constraint-dependencies",
            "override-dependencies",
        ] {
            if let Some(deps) = uv.get(key) {
                pep508_array(&cx, deps, &format!("tool.uv.{key}"), &mut out.deps)?;
            }
        }
        if let Some(sources) = uv.get("sources").and_then(Item::as_table_like) {
            uv_sources(&cx, sources, &mut out);
        }
    }
    if let Some(envs) = tool_table("hatch")
        .and_then(|h| h.get("envs"))
        .and_then(Item::as_table_like)
    {
        for (env, item) in envs.iter() {
            let Some(env_table) = item.as_table_like() else {
                continue;
            };
            for key in ["dependencies", "extra-dependencies"] {
                if let Some(deps) = env_table.get(key) {
                    let section = format!("tool.hatch.envs.{env}.{key}");
                    pep508_array(&cx, deps, &section, &mut out.deps)?;
                }
            }
        }
    }
    Ok(out)
}

/// `[tool.uv.sources]`: a git source (with `tag`/`rev`/`branch`) is a
/// target of its own, a path or workspace source is local; other shapes are
/// skipped with a warning (uv itself validates them at lock time).
fn uv_sources(cx: &Ctx<'_>, sources: &dyn TableLike, out: &mut Pyproject) {
    for (key, item) in sources.iter() {
        let at = item.span().map_or(0, |s| s.start);
        let Some(table) = item.as_table_like() else {
            if item.as_array().is_none() {
                out.warnings.push((
                    key.to_string(),
                    cx.err(
                        at,
                        format!("`tool.uv.sources.{key}` is not a table: skipped"),
                    ),
                ));
            }
            continue;
        };
        let get = |k: &str| table.get(k).and_then(Item::as_value);
        let mut dep = Dep {
            section: "tool.uv.sources".to_string(),
            key: key.to_string(),
            line: cx.line(at),
            requirement: String::new(),
            span: None,
            form: Form::Local,
        };
        if let Some(url) = get("git").and_then(Value::as_str) {
            let (reference, value) = git_reference(&get);
            if let Some(v) = value {
                set_string(cx, v, &mut dep);
            }
            dep.form = Form::Git {
                url: url.to_string(),
                reference,
            };
        } else if get("path").is_none() && get("workspace").is_none() && get("url").is_none() {
            // `index = "…"`: the version comes from the project's own
            // requirement, already a target.
            continue;
        }
        out.deps.push(dep);
    }
}

/// A git table's reference (`tag`, `rev`, then `branch`) and its value.
fn git_reference<'v>(get: &dyn Fn(&str) -> Option<&'v Value>) -> (GitRef, Option<&'v Value>) {
    let pick = ["tag", "rev", "branch"]
        .iter()
        .find_map(|k| get(k).map(|v| (*k, v)));
    match pick {
        Some(("tag", v)) => (
            GitRef::Tag(v.as_str().unwrap_or_default().to_string()),
            Some(v),
        ),
        Some(("rev", v)) => (
            GitRef::Rev(v.as_str().unwrap_or_default().to_string()),
            Some(v),
        ),
        Some((_, v)) => (
            GitRef::Branch(v.as_str().unwrap_or_default().to_string()),
            Some(v),
        ),
        None => (GitRef::DefaultBranch, None),
    }
}

/// Record a string value as the dependency's requirement, with its span
/// when the raw text equals the value.
fn set_string(cx: &Ctx<'_>, v: &Value, dep: &mut Dep) {
    if let Some((s, start)) = string_content(cx.text, v) {
        dep.span = Some(start..start + s.len());
        dep.requirement = s;
    } else {
        dep.requirement = v.as_str().unwrap_or_default().to_string();
    }
    dep.line = cx.line(v.span().map_or(0, |s| s.start));
}

fn pep508_array(
    cx: &Ctx<'_>,
    item: &Item,
    section: &str,
    out: &mut Vec<Dep>,
) -> Result<(), ManifestError> {
    let Some(array) = item.as_array() else {
        let at = item.span().map_or(0, |s| s.start);
        return Err(cx.err(at, format!("`{section}` must be an array of strings")));
    };
    for value in array.iter() {
        if value.is_inline_table()
            && (section.starts_with("dependency-groups") || section.starts_with("tool.pdm"))
        {
            continue; // `{include-group = "..."}`
        }
        let at = value.span().map_or(0, |s| s.start);
        let Some(s) = value.as_str() else {
            return Err(cx.err(at, format!("expected a requirement string in `{section}`")));
        };
        let content = string_content(cx.text, value);
        let req = pep508::parse(s).map_err(|e| {
            let off = content.as_ref().map_or(at, |(_, start)| start + e.offset);
            cx.err(off, format!("expected {} in requirement `{s}`", e.expected))
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
            line: cx.line(at),
            requirement,
            span,
            form,
        });
    }
    Ok(())
}

fn poetry_table(
    cx: &Ctx<'_>,
    table: &dyn TableLike,
    section: &str,
    out: &mut Pyproject,
) -> Result<(), ManifestError> {
    for (key, item) in table.iter() {
        if key == "python" {
            continue;
        }
        let at = item.span().map_or(0, |s| s.start);
        if let Item::Table(t) = item {
            let dep = poetry_entry(cx, key, section, at, None, Some(t), &mut out.warnings)?;
            out.deps.push(dep);
            continue;
        }
        let values: Vec<&Value> = match item {
            Item::Value(Value::Array(a)) => a.iter().collect(),
            Item::Value(v) => vec![v],
            _ => Vec::new(),
        };
        for value in values {
            let at = value.span().map_or(at, |s| s.start);
            let dep = match value {
                Value::String(_) => {
                    poetry_entry(cx, key, section, at, Some(value), None, &mut out.warnings)?
                }
                Value::InlineTable(t) => {
                    poetry_entry(cx, key, section, at, None, Some(t), &mut out.warnings)?
                }
                _ => {
                    return Err(cx.err(
                        at,
                        format!("expected a version string or a table for `{key}` in `{section}`"),
                    ));
                }
            };
            out.deps.push(dep);
        }
    }
    Ok(())
}

fn poetry_entry(
    cx: &Ctx<'_>,
    key: &str,
    section: &str,
    at: usize,
    string: Option<&Value>,
    table: Option<&dyn TableLike>,
    warnings: &mut Vec<(String, ManifestWarning)>,
) -> Result<Dep, ManifestError> {
    let mut dep = Dep {
        section: section.to_string(),
        key: key.to_string(),
        line: cx.line(at),
        requirement: String::new(),
        span: None,
        form: Form::Poetry,
    };
    let version_value = match (string, table) {
        (Some(v), _) => Some(v),
        (None, Some(t)) => {
            let get = |k: &str| t.get(k).and_then(Item::as_value);
            if let Some(url) = get("git").and_then(Value::as_str) {
                let (reference, value) = git_reference(&get);
                if let Some(v) = value {
                    set_string(cx, v, &mut dep);
                }
                dep.form = Form::Git {
                    url: url.to_string(),
                    reference,
                };
                return Ok(dep);
            }
            if get("path").is_some() || get("url").is_some() {
                if get("version").is_some() {
                    warnings.push((key.to_string(), cx.err(
                        at,
                        format!(
                            "`{key}` in `{section}` has both a path (or url) and a `version`: Poetry uses the path, so the version is not bumped"
                        ),
                    )));
                }
                dep.form = Form::Local;
                return Ok(dep);
            }
            let version = get("version");
            if version.is_none() {
                warnings.push((key.to_string(), cx.err(
                    at,
                    format!(
                        "`{key}` in `{section}` names no version: read as `*` (any version), as Poetry does"
                    ),
                )));
                return Ok(dep);
            }
            version
        }
        (None, None) => None,
    };
    let Some(value) = version_value else {
        return Err(cx.err(
            at,
            format!("expected `version`, `git`, `path` or `url` for `{key}` in `{section}`"),
        ));
    };
    let Some(s) = value.as_str() else {
        let at = value.span().map_or(at, |s| s.start);
        return Err(cx.err(at, format!("expected a version string for `{key}`")));
    };
    let vat = value.span().map_or(at, |s| s.start);
    dep.line = cx.line(vat);
    match string_content(cx.text, value) {
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
