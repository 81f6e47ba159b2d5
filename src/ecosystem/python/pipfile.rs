//! Pipenv: `Pipfile` (TOML: `[packages]`, `[dev-packages]` and custom
//! categories; a value is a PEP 440 specifier string, `"*"`, or a table
//! with `version`, `git` + `ref`, `path`, `file`) and the versions locked in
//! `Pipfile.lock` (JSON: `default`, `develop` and categories, each name →
//! `{"version": "==1.4.2"}`).
//!
//! Invariant: a span covers exactly the specifier inside its TOML string
//! (or the git `ref`); `"*"` is read as no constraint (nothing to edit).

use toml_edit::{Document, Item, TableLike, Value};

use super::pep508::same_name;
use super::pyproject::{Dep, Form, Pyproject, string_content};
use crate::ecosystem::{LineIndex, ManifestError};

/// Tables of a Pipfile that are not package categories.
const NOT_CATEGORIES: [&str; 4] = ["source", "requires", "pipenv", "scripts"];

/// Parse a Pipfile: every package of every category.
pub fn parse(path: &str, text: &str) -> Result<Pyproject, ManifestError> {
    let doc = Document::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        ManifestError::at_offset(path, text, offset, format!("invalid TOML: {}", e.message()))
    })?;
    let lines = LineIndex::new(text);
    let mut out = Pyproject::default();
    for (category, item) in doc.as_table().iter() {
        if NOT_CATEGORIES.contains(&category) {
            continue;
        }
        let Some(table) = item.as_table_like() else {
            continue;
        };
        category_deps(path, text, &lines, category, table, &mut out)?;
    }
    Ok(out)
}

fn category_deps(
    path: &str,
    text: &str,
    lines: &LineIndex<'_>,
    category: &str,
    table: &dyn TableLike,
    out: &mut Pyproject,
) -> Result<(), ManifestError> {
    for (key, item) in table.iter() {
        let at = item.span().map_or(0, |s| s.start);
        let mut dep = Dep {
            section: format!("Pipfile:{category}"),
            key: key.to_string(),
            line: lines.line(at),
            requirement: String::new(),
            span: None,
            form: Form::Pep508,
        };
        let version: Option<&Value> = if let Some(v) = item.as_value().filter(|v| v.is_str()) {
            Some(v)
        } else if let Some(t) = item.as_table_like() {
            let get = |k: &str| t.get(k).and_then(Item::as_value);
            if let Some(url) = get("git").and_then(Value::as_str) {
                let (reference, value) = match get("ref") {
                    Some(v) => (
                        super::pep508::classify_ref(v.as_str().unwrap_or_default()),
                        Some(v),
                    ),
                    None => (crate::ecosystem::GitRef::DefaultBranch, None),
                };
                if let Some(v) = value {
                    if let Some((s, start)) = string_content(text, v) {
                        dep.span = Some(start..start + s.len());
                        dep.requirement = s;
                    }
                    dep.line = lines.line(v.span().map_or(at, |s| s.start));
                }
                dep.form = Form::Git {
                    url: url.to_string(),
                    reference,
                };
                out.deps.push(dep);
                continue;
            }
            if get("path").is_some() || get("file").is_some() {
                dep.form = Form::Local;
                out.deps.push(dep);
                continue;
            }
            get("version")
        } else {
            return Err(lines.error(
                path,
                at,
                format!("expected a version string or a table for `{key}` in `[{category}]`"),
            ));
        };
        if let Some(v) = version {
            let Some(s) = v.as_str() else {
                let at = v.span().map_or(at, |s| s.start);
                return Err(lines.error(
                    path,
                    at,
                    format!("expected a version string for `{key}`"),
                ));
            };
            dep.line = lines.line(v.span().map_or(at, |s| s.start));
            if s.trim() != "*" {
                match string_content(text, v) {
                    Some((content, start)) => {
                        let lead = content.len() - content.trim_start().len();
                        let trimmed = content.trim();
                        dep.span = Some(start + lead..start + lead + trimmed.len());
                        dep.requirement = trimmed.to_string();
                    }
                    None => dep.requirement = s.trim().to_string(),
                }
            }
        }
        out.deps.push(dep);
    }
    Ok(())
}

/// The version of `name` in a `Pipfile.lock` (any category), without `==`.
pub fn locked_version(path: &str, text: &str, name: &str) -> Result<Option<String>, ManifestError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        ManifestError::new(
            path,
            u32::try_from(e.line()).unwrap_or(0),
            u32::try_from(e.column()).unwrap_or(0),
            format!("invalid Pipfile.lock JSON: {e}"),
        )
    })?;
    let Some(root) = value.as_object() else {
        return Err(ManifestError::new(
            path,
            1,
            1,
            "expected a JSON object in Pipfile.lock",
        ));
    };
    for (category, packages) in root {
        if category == "_meta" {
            continue;
        }
        let Some(packages) = packages.as_object() else {
            continue;
        };
        for (pkg, entry) in packages {
            if same_name(pkg, name)
                && let Some(v) = entry.get("version").and_then(serde_json::Value::as_str)
            {
                return Ok(Some(v.trim_start_matches("==").trim().to_string()));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_tables_and_lock() {
        let text = "[[source]]\nurl = \"https://pypi.org/simple\"\nname = \"pypi\"\n\n[packages]\nrequests = \"*\"\ncore-utils = \">=1.4,<2\"\n\n[dev-packages]\ncore-utils = {version = \"~=1.4.2\", extras = [\"test\"]}\n\n[tools]\ncore_utils = {git = \"https://github.com/acme/core-utils.git\", ref = \"v1.4.0\"}\n\n[requires]\npython_version = \"3.12\"\n";
        let p = parse("Pipfile", text).expect("parses");
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
                ("Pipfile:packages", "requests", "", None),
                (
                    "Pipfile:packages",
                    "core-utils",
                    ">=1.4,<2",
                    Some(">=1.4,<2")
                ),
                (
                    "Pipfile:dev-packages",
                    "core-utils",
                    "~=1.4.2",
                    Some("~=1.4.2")
                ),
                ("Pipfile:tools", "core_utils", "v1.4.0", Some("v1.4.0")),
            ]
        );
        let lock = r#"{"_meta": {"hash": {"sha256": "x"}}, "default": {"core-utils": {"version": "==1.4.2"}}, "develop": {}}"#;
        assert_eq!(
            locked_version("Pipfile.lock", lock, "Core_Utils")
                .expect("ok")
                .as_deref(),
            Some("1.4.2")
        );
        assert!(locked_version("Pipfile.lock", "{", "x").is_err());
    }
}
