//! Reading `package.json`: the library's requirements in every dependency
//! section, and what the package publishes and requires.
//!
//! Invariant: a requirement's span covers exactly the editable text (the
//! range after `npm:name@` or `workspace:`, the git reference after `#` or
//! `#semver:`) and is `None` when the raw JSON text differs from the
//! decoded value (escapes) or nothing is written.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::ecosystem::{
    Ecosystem, Found, LineIndex, ManifestError, ManifestWarning, PackageInfo, Requirement, Source,
    SourceTree,
};

use super::json::{self, JStr, Member, Node, Value};
use super::spec::{Spec, classify};

/// The dependency sections npm installs from.
pub const SECTIONS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
];

/// One dependency: its section, key and value string.
pub struct Dep<'a> {
    pub section: &'static str,
    pub key: &'a JStr,
    pub value: &'a JStr,
}

/// Parse a manifest and list its dependencies (the last of duplicate keys,
/// as `JSON.parse` keeps), checking the shapes npm requires.
pub fn parse(path: &str, text: &str) -> Result<Node, ManifestError> {
    let root = json::parse(path, text)?;
    if root.as_object().is_none() {
        return Err(ManifestError::at_offset(
            path,
            text,
            root.span.start,
            "expected a JSON object at the top level of package.json",
        ));
    }
    if let Some(ws) = root.get("workspaces") {
        check_workspaces(path, text, ws)?;
    }
    Ok(root)
}

fn check_workspaces(path: &str, text: &str, ws: &Node) -> Result<(), ManifestError> {
    let globs = match &ws.value {
        Value::Array(_) => Some(ws),
        Value::Object(_) => ws.get("packages"),
        _ => None,
    };
    let ok = globs.is_some_and(|g| match &g.value {
        Value::Array(items) => items.iter().all(|i| i.as_str().is_some()),
        _ => false,
    });
    if ok {
        Ok(())
    } else {
        Err(ManifestError::at_offset(
            path,
            text,
            ws.span.start,
            "expected `workspaces` to be an array of globs or {\"packages\": [globs]}",
        ))
    }
}

/// Every dependency of every section, in file order, and a warning for
/// each entry npm accepts but that names no version (a non-string value, a
/// section that is not an object). Linear: the last of duplicate keys (as
/// `JSON.parse` keeps) is found through one map per section.
pub fn dependencies<'a>(
    path: &str,
    lines: &LineIndex<'_>,
    root: &'a Node,
) -> (Vec<Dep<'a>>, Vec<ManifestWarning>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for section in SECTIONS {
        let Some(node) = root.get(section) else {
            continue;
        };
        let members: &[Member] = match &node.value {
            Value::Object(m) => m,
            Value::Null => continue,
            _ => {
                warnings.push(lines.error(
                    path,
                    node.span.start,
                    format!("`{section}` is not an object of package name to version: skipped"),
                ));
                continue;
            }
        };
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(members.len());
        for (i, m) in members.iter().enumerate() {
            last.insert(m.key.value.as_str(), i);
        }
        for (i, m) in members.iter().enumerate() {
            if last.get(m.key.value.as_str()) != Some(&i) {
                continue;
            }
            let Some(value) = m.value.as_str() else {
                warnings.push(lines.error(
                    path,
                    m.value.span.start,
                    format!(
                        "`{}` in `{section}` has no version string: skipped",
                        m.key.value
                    ),
                ));
                continue;
            };
            out.push(Dep {
                section,
                key: &m.key,
                value,
            });
        }
    }
    (out, warnings)
}

/// Every requirement of `name` in the manifest.
pub fn find(
    tree: &dyn SourceTree,
    path: &str,
    text: &str,
    name: &str,
) -> Result<Found, ManifestError> {
    let root = parse(path, text)?;
    let lines = LineIndex::new(text);
    let (deps, mut warnings) = dependencies(path, &lines, &root);
    // (section, key) of every dependency: an alias of the library beside
    // the library itself in one section keeps an old version side by side.
    let direct: HashSet<(&str, &str)> = deps
        .iter()
        .map(|d| (d.section, d.key.value.as_str()))
        .collect();
    let mut out = Vec::new();
    for dep in deps {
        let spec = dep.value.value.as_str();
        let (requirement, offset, source) = match classify(spec) {
            Spec::Registry { range } if dep.key.value == name => (range, Some(0), Source::Registry),
            Spec::Alias {
                name: target,
                range,
                offset,
            } if target == name => {
                if dep.key.value != name && direct.contains(&(dep.section, name)) {
                    // An old major kept side by side with the real one.
                    warnings.push(lines.error(
                        path,
                        dep.key.inner.start,
                        format!(
                            "`{}` is an alias of `{name}` kept beside `{name}` itself (an old version side by side): left alone",
                            dep.key.value
                        ),
                    ));
                    continue;
                }
                (range, offset, Source::Registry)
            }
            Spec::Workspace { range, offset } if dep.key.value == name => (
                range,
                Some(offset),
                Source::Workspace {
                    root: workspace_root(tree, path),
                },
            ),
            Spec::Git {
                url,
                reference,
                offset,
            } if dep.key.value == name => {
                let written = offset.and_then(|o| spec.get(o..)).unwrap_or("");
                let source = Source::Git {
                    url: url.to_string(),
                    reference,
                };
                (written, offset, source)
            }
            _ => continue,
        };
        let span = match offset {
            Some(o) if !dep.value.escaped && !requirement.is_empty() => {
                Some(dep.value.inner.start + o..dep.value.inner.end)
            }
            _ => None,
        };
        out.push(Requirement {
            ecosystem: Ecosystem::Npm,
            path: path.to_string(),
            line: lines.line(dep.key.inner.start),
            section: dep.section.to_string(),
            key: dep.key.value.clone(),
            requirement: requirement.to_string(),
            source,
            span,
            span_path: path.to_string(),
        });
    }
    Ok(Found {
        requirements: out,
        warnings,
    })
}

/// The workspace root a `workspace:` dependency belongs to: the nearest
/// `pnpm-workspace.yaml` or `package.json` declaring `workspaces`, at or
/// above the manifest (the manifest itself when none is found).
fn workspace_root(tree: &dyn SourceTree, path: &str) -> String {
    let mut dir = parent(path);
    loop {
        let pnpm = join(dir, "pnpm-workspace.yaml");
        if tree.exists(&pnpm) {
            return pnpm;
        }
        let manifest = join(dir, "package.json");
        let declares = tree
            .read_text(&manifest)
            .ok()
            .and_then(|t| parse(&manifest, &t).ok())
            .is_some_and(|root| root.get("workspaces").is_some());
        if declares {
            return manifest;
        }
        if dir.is_empty() {
            return path.to_string();
        }
        dir = parent(dir);
    }
}

/// The directory of a `/`-separated path (`""` for the root).
pub fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| path.get(..i).unwrap_or(""))
}

/// `dir/name`, or `name` at the root.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The package's own name and every package it requires (aliases resolved
/// to the real package).
pub fn package_info(path: &str, text: &str) -> Result<PackageInfo, ManifestError> {
    let root = parse(path, text)?;
    let publishes = root
        .get("name")
        .and_then(Node::as_str)
        .map(|s| s.value.clone());
    let lines = LineIndex::new(text);
    let mut requires: BTreeSet<String> = BTreeSet::new();
    for dep in dependencies(path, &lines, &root).0 {
        let name = match classify(&dep.value.value) {
            Spec::Alias { name, .. } => name.to_string(),
            _ => dep.key.value.clone(),
        };
        requires.insert(name);
    }
    Ok(PackageInfo {
        publishes,
        requires: requires.into_iter().collect(),
    })
}
