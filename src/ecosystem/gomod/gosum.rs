//! go.sum (and go.work.sum): the versions a module's build has verified,
//! `path version[/go.mod] h1:hash` per line; and the `go get` / `go mod
//! tidy` commands that move it.
//!
//! Invariant: the locked version of a module is the go.sum entry equal to
//! the requirement if there is one, else the highest recorded.

use std::cmp::Ordering;

use super::find;
use super::judge::plan_move;
use super::{module, semver};
use crate::ecosystem::{LockRefresh, ManifestError, Requirement, SourceTree};

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Every version go.sum records for `module_path`.
pub fn versions<'a>(
    path: &str,
    text: &'a str,
    module_path: &str,
) -> Result<Vec<&'a str>, ManifestError> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let mut fields = line.split_whitespace();
        let (Some(m), Some(v), Some(hash), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(ManifestError::new(
                path,
                line_no,
                1,
                "expected `module version hash`",
            ));
        };
        let version = v.strip_suffix("/go.mod").unwrap_or(v);
        if module::canonical_version(version).is_empty() {
            let col = line.find(v).map_or(1, |c| c as u32 + 1);
            return Err(ManifestError::new(
                path,
                line_no,
                col,
                format!("invalid version {v:?}: expected the form v1.2.3"),
            ));
        }
        if !hash.contains(':') {
            let col = line.find(hash).map_or(1, |c| c as u32 + 1);
            return Err(ManifestError::new(
                path,
                line_no,
                col,
                "expected a hash like h1:...",
            ));
        }
        if m == module_path && seen.insert(version) {
            out.push(version);
        }
    }
    Ok(out)
}

/// The go.sum that records the manifest's dependencies: next to the
/// go.mod, else the go.work.sum of a workspace that uses its directory;
/// for a go.work, its go.work.sum.
pub fn lockfile(tree: &dyn SourceTree, manifest: &str) -> Option<String> {
    let dir = dir_of(manifest);
    if find::file_kind(manifest) == super::modfile::FileKind::GoWork {
        let sum = join(dir, "go.work.sum");
        return tree.exists(&sum).then_some(sum);
    }
    let sum = join(dir, "go.sum");
    if tree.exists(&sum) {
        return Some(sum);
    }
    workspace_sum(tree, dir)
}

/// The go.work.sum of the nearest ancestor go.work whose `use` list names
/// `module_dir`.
fn workspace_sum(tree: &dyn SourceTree, module_dir: &str) -> Option<String> {
    let mut dir = module_dir;
    loop {
        let sum = join(dir, "go.work.sum");
        if work_uses(tree, dir, module_dir) && tree.exists(&sum) {
            return Some(sum);
        }
        if dir.is_empty() {
            return None;
        }
        dir = dir_of(dir);
    }
}

/// Does the go.work in `dir` (if any, and readable) use `module_dir`?
fn work_uses(tree: &dyn SourceTree, dir: &str, module_dir: &str) -> bool {
    let work = join(dir, "go.work");
    let Ok(text) = tree.read_text(&work) else {
        return false;
    };
    let Ok(file) = find::parse(&work, &text) else {
        return false;
    };
    file.uses.iter().any(|u| {
        let rel = u.value.trim_start_matches("./").trim_end_matches('/');
        let used = if rel == "." || rel.is_empty() {
            dir.to_string()
        } else {
            join(dir, rel)
        };
        used == module_dir
    })
}

/// The version the lockfile records for the requirement's module.
pub fn locked_version(
    tree: &dyn SourceTree,
    req: &Requirement,
) -> Result<Option<String>, ManifestError> {
    let Some(sum) = lockfile(tree, &req.path) else {
        return Ok(None);
    };
    let text = tree.read_text(&sum)?;
    let found = versions(&sum, &text, &req.key)?;
    let wanted = module::canonical_version(&req.requirement);
    if let Some(v) = found
        .iter()
        .find(|v| module::canonical_version(v) == wanted)
    {
        return Ok(Some(v.to_string()));
    }
    Ok(found
        .into_iter()
        .max_by(|a, b| semver::compare(a, b).then_with(|| a.len().cmp(&b.len())))
        .map(str::to_string))
}

/// `go get NEWPATH@vX` then `go mod tidy` in the module's directory; for a
/// replace only the tidy (`go work sync` for go.work). `None` without a
/// lockfile, or when the requirement is already at or above `to` (a `go
/// get` would downgrade).
pub fn lock_refresh(
    tree: &dyn SourceTree,
    req: &Requirement,
    to: &::semver::Version,
) -> Option<LockRefresh> {
    let lockfile = lockfile(tree, &req.path)?;
    if semver::compare(&req.requirement, &semver::from_semver(to)) != Ordering::Less {
        return None;
    }
    let dir = dir_of(&req.path).to_string();
    let cmd = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let commands = if find::file_kind(&req.path) == super::modfile::FileKind::GoWork {
        vec![cmd(&["go", "work", "sync"])]
    } else if req.section.starts_with("require") {
        let mv = plan_move(&req.key, &req.requirement, to);
        vec![
            cmd(&["go", "get", &format!("{}@{}", mv.path, mv.version)]),
            cmd(&["go", "mod", "tidy"]),
        ]
    } else {
        vec![cmd(&["go", "mod", "tidy"])]
    };
    Some(LockRefresh {
        dir,
        lockfile,
        commands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUM: &str = "github.com/acme/core-utils v1.3.0/go.mod h1:abc=\ngithub.com/acme/core-utils v1.4.0 h1:def=\ngithub.com/acme/core-utils v1.4.0/go.mod h1:ghi=\n\ngithub.com/acme/core-utils-extra v9.0.0 h1:x=\n";

    #[test]
    fn versions_of_one_module() {
        assert_eq!(
            versions("go.sum", SUM, "github.com/acme/core-utils").unwrap(),
            ["v1.3.0", "v1.4.0"]
        );
    }

    #[test]
    fn malformed_lines_are_errors() {
        let table = [
            ("a v1.0.0\n", 1, 1),
            ("\na vX h1:y\n", 2, 3),
            ("a v1.0.0 nohash\n", 1, 10),
        ];
        for (text, line, col) in table {
            let e = versions("go.sum", text, "a").unwrap_err();
            assert_eq!((e.line, e.column), (line, col), "{text:?}: {e}");
        }
    }
}
