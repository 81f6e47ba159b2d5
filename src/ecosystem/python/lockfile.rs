//! Locked versions and the commands that refresh them: `poetry.lock` and
//! `uv.lock` (next to the manifest or in an ancestor directory), and
//! pip-compile'd requirements files (the `==` pin is the lock).
//!
//! Invariant: only a lockfile that exists is reported; a malformed one is a
//! `ManifestError` naming it.

use toml_edit::{Document, Item};

use super::pep508::same_name;
use super::requirements;
use crate::ecosystem::{LockRefresh, ManifestError, SourceTree};

/// Which tool owns a lockfile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Poetry,
    Uv,
    /// A pip-compile output; `source` is the input it was compiled from.
    PipCompile,
}

/// A lockfile that pins the manifest's requirements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lock {
    pub kind: Kind,
    pub path: String,
    /// pip-compile only: the input file (`requirements.in`).
    pub source: Option<String>,
}

fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| path.get(..i).unwrap_or(""))
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The lockfile for the manifest at `path`, if there is one.
pub fn find(tree: &dyn SourceTree, path: &str) -> Option<Lock> {
    let name = file_name(path);
    if name == "pyproject.toml" {
        let mut dir = parent(path);
        loop {
            for (file, kind) in [("poetry.lock", Kind::Poetry), ("uv.lock", Kind::Uv)] {
                let candidate = join(dir, file);
                if tree.exists(&candidate) {
                    return Some(Lock {
                        kind,
                        path: candidate,
                        source: None,
                    });
                }
            }
            if dir.is_empty() {
                return None;
            }
            dir = parent(dir);
        }
    }
    let (compiled, fallback_source) = if let Some(stem) = path.strip_suffix(".in") {
        (format!("{stem}.txt"), Some(file_name(path).to_string()))
    } else {
        (path.to_string(), None)
    };
    let text = tree.read_text(&compiled).ok()?;
    let named = requirements::pip_compile_source(&text)?;
    let source = named.or(fallback_source).or_else(|| {
        let stem = file_name(&compiled).strip_suffix(".txt")?;
        let input = join(parent(&compiled), &format!("{stem}.in"));
        tree.exists(&input).then(|| format!("{stem}.in"))
    });
    Some(Lock {
        kind: Kind::PipCompile,
        path: compiled,
        source,
    })
}

/// The version of `name` the lockfile pins.
pub fn locked_version(
    tree: &dyn SourceTree,
    lock: &Lock,
    name: &str,
) -> Result<Option<String>, ManifestError> {
    let text = tree.read_text(&lock.path)?;
    match lock.kind {
        Kind::PipCompile => {
            let entries = requirements::parse(&lock.path, &text)?;
            Ok(entries
                .iter()
                .filter(|e| same_name(&e.name, name))
                .find_map(|e| e.spec.strip_prefix("==").map(|v| v.trim().to_string())))
        }
        Kind::Poetry | Kind::Uv => toml_locked(&lock.path, &text, name),
    }
}

fn toml_locked(path: &str, text: &str, name: &str) -> Result<Option<String>, ManifestError> {
    let doc = Document::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        ManifestError::at_offset(
            path,
            text,
            offset,
            format!("invalid TOML lockfile: {}", e.message()),
        )
    })?;
    let Some(packages) = doc.get("package") else {
        return Ok(None);
    };
    let Some(packages) = packages.as_array_of_tables() else {
        let at = packages.span().map_or(0, |s| s.start);
        return Err(ManifestError::at_offset(
            path,
            text,
            at,
            "expected `[[package]]` tables",
        ));
    };
    for package in packages.iter() {
        let Some(pkg_name) = package.get("name").and_then(Item::as_str) else {
            let at = package.span().map_or(0, |s| s.start);
            return Err(ManifestError::at_offset(
                path,
                text,
                at,
                "expected a `name` in every `[[package]]`",
            ));
        };
        if same_name(pkg_name, name) {
            return Ok(package
                .get("version")
                .and_then(Item::as_str)
                .map(str::to_string));
        }
    }
    Ok(None)
}

/// The commands that move `lock` to `to`, run in the lockfile's directory.
pub fn refresh(lock: &Lock, name: &str, to: &str) -> LockRefresh {
    let dir = parent(&lock.path).to_string();
    let argv = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    let commands = match lock.kind {
        Kind::Poetry => vec![argv(&["poetry", "lock", "--no-update"])],
        Kind::Uv => vec![argv(&["uv", "lock", "--upgrade-package", name])],
        Kind::PipCompile => {
            let pin = format!("{name}=={to}");
            let mut cmd = argv(&["pip-compile", "--upgrade-package", &pin]);
            let output = file_name(&lock.path);
            match &lock.source {
                Some(source) => {
                    let default_output = source
                        .rsplit_once('.')
                        .map(|(stem, _)| format!("{stem}.txt"));
                    if default_output.as_deref() != Some(output) {
                        cmd.push(format!("--output-file={output}"));
                    }
                    cmd.push(source.clone());
                }
                None => cmd.push(format!("--output-file={output}")),
            }
            vec![cmd]
        }
    };
    LockRefresh {
        dir,
        lockfile: lock.path.clone(),
        commands,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecosystem::MemTree;

    #[test]
    fn finds_lock_in_ancestor() {
        let tree = MemTree::new()
            .with(
                "poetry.lock",
                "[[package]]\nname = \"Core_Utils\"\nversion = \"1.4.2\"\n",
            )
            .with("svc/pyproject.toml", "");
        let lock = find(&tree, "svc/pyproject.toml").expect("lock");
        assert_eq!(lock.path, "poetry.lock");
        let v = locked_version(&tree, &lock, "core-utils").expect("ok");
        assert_eq!(v.as_deref(), Some("1.4.2"));
        let r = refresh(&lock, "core-utils", "2.0.3");
        assert_eq!(r.commands, vec![vec!["poetry", "lock", "--no-update"]]);
    }

    #[test]
    fn malformed_lock_is_an_error() {
        let tree = MemTree::new()
            .with("uv.lock", "[[package]\n")
            .with("pyproject.toml", "");
        let lock = find(&tree, "pyproject.toml").expect("lock");
        assert!(locked_version(&tree, &lock, "core-utils").is_err());
    }

    #[test]
    fn pip_compile_pairs() {
        let compiled = "# This file is autogenerated by pip-compile with Python 3.12\n#    pip-compile requirements.in\ncore-utils==1.4.2\n";
        let tree = MemTree::new()
            .with("app/requirements.in", "core-utils>=1.4\n")
            .with("app/requirements.txt", compiled);
        for manifest in ["app/requirements.in", "app/requirements.txt"] {
            let lock = find(&tree, manifest).expect("lock");
            assert_eq!(lock.path, "app/requirements.txt");
            let v = locked_version(&tree, &lock, "core-utils").expect("ok");
            assert_eq!(v.as_deref(), Some("1.4.2"));
            let r = refresh(&lock, "core-utils", "2.0.3");
            assert_eq!(r.dir, "app");
            assert_eq!(
                r.commands,
                vec![vec![
                    "pip-compile",
                    "--upgrade-package",
                    "core-utils==2.0.3",
                    "requirements.in"
                ]]
            );
        }
        assert!(find(&tree, "app/other.txt").is_none());
    }
}
