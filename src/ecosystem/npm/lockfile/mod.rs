//! npm, yarn and pnpm lockfiles: which one governs a manifest, the version
//! it pins for the library, and the command that moves it.
//!
//! Invariant: the governing lockfile is the nearest one at or above the
//! manifest's directory (workspaces lock at their root); a malformed
//! lockfile is an error naming its line, never a guess.

mod package_lock;
mod pnpm;
mod yarn;

use crate::ecosystem::{GitRef, LockRefresh, ManifestError, Requirement, Source, SourceTree};

use super::manifest::{join, parent};
use super::node_semver::Version;

/// The package manager a lockfile belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Npm,
    Yarn,
    Pnpm,
}

/// A lockfile governing a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lockfile {
    pub path: String,
    pub dir: String,
    pub kind: Kind,
}

/// Lockfile names, in the order package managers prefer them.
const NAMES: [(&str, Kind); 4] = [
    ("npm-shrinkwrap.json", Kind::Npm),
    ("package-lock.json", Kind::Npm),
    ("pnpm-lock.yaml", Kind::Pnpm),
    ("yarn.lock", Kind::Yarn),
];

/// The nearest lockfile at or above the manifest `path`.
pub fn governing(tree: &dyn SourceTree, path: &str) -> Option<Lockfile> {
    let mut dir = parent(path);
    loop {
        for (name, kind) in NAMES {
            let candidate = join(dir, name);
            if tree.exists(&candidate) {
                return Some(Lockfile {
                    path: candidate,
                    dir: dir.to_string(),
                    kind,
                });
            }
        }
        if dir.is_empty() {
            return None;
        }
        dir = parent(dir);
    }
}

/// The manifest's directory relative to the lockfile's (`""` when equal).
fn member_dir<'a>(lock: &Lockfile, manifest: &'a str) -> &'a str {
    let dir = parent(manifest);
    if lock.dir.is_empty() {
        dir
    } else {
        dir.strip_prefix(lock.dir.as_str())
            .map_or(dir, |r| r.trim_start_matches('/'))
    }
}

/// The dependency value as written, rebuilt from the requirement (used to
/// match lockfile descriptors such as yarn's `name@spec`).
fn written_spec(req: &Requirement, name: &str) -> String {
    match &req.source {
        Source::Workspace { .. } => format!("workspace:{}", req.requirement),
        Source::Git { url, reference } => match reference {
            GitRef::DefaultBranch => url.clone(),
            GitRef::Semver(r) => format!("{url}#semver:{r}"),
            GitRef::Tag(r) | GitRef::Rev(r) | GitRef::Branch(r) => format!("{url}#{r}"),
        },
        _ if req.key != name => format!("npm:{name}@{}", req.requirement),
        _ => req.requirement.clone(),
    }
}

/// What a lookup needs to know about the dependency.
pub struct Query<'a> {
    /// The manifest's directory relative to the lockfile's.
    pub member: &'a str,
    pub section: &'a str,
    /// The dependency key (an alias when renamed).
    pub key: &'a str,
    /// The value as written in package.json.
    pub spec: &'a str,
    /// The library's real name.
    pub name: &'a str,
}

/// The version the governing lockfile pins for `req`, if any.
pub fn locked_version(
    tree: &dyn SourceTree,
    req: &Requirement,
    name: &str,
) -> Result<Option<String>, ManifestError> {
    let Some(lock) = governing(tree, &req.path) else {
        return Ok(None);
    };
    let text = tree.read_text(&lock.path)?;
    let spec = written_spec(req, name);
    let query = Query {
        member: member_dir(&lock, &req.path),
        section: &req.section,
        key: &req.key,
        spec: &spec,
        name,
    };
    let found = match lock.kind {
        Kind::Npm => package_lock::locked(&lock.path, &text, &query)?,
        Kind::Yarn => yarn::locked(&lock.path, &text, &query)?,
        Kind::Pnpm => pnpm::locked(&lock.path, &text, &query)?,
    };
    Ok(found.filter(|v| Version::parse(v, true).is_ok()))
}

/// The commands that move the governing lockfile to `to`.
pub fn refresh(
    tree: &dyn SourceTree,
    req: &Requirement,
    name: &str,
    to: &semver::Version,
) -> Option<LockRefresh> {
    let lock = governing(tree, &req.path)?;
    let target = format!("{name}@{to}");
    let argv = |words: &[&str]| words.iter().map(ToString::to_string).collect::<Vec<_>>();
    let command = match lock.kind {
        Kind::Npm => argv(&["npm", "install", "--package-lock-only", "--ignore-scripts"]),
        Kind::Pnpm => argv(&["pnpm", "update", "--lockfile-only", &target]),
        Kind::Yarn => {
            let berry = tree
                .read_text(&lock.path)
                .is_ok_and(|t| t.contains("\n__metadata:") || t.starts_with("__metadata:"));
            if berry {
                argv(&["yarn", "up", &target])
            } else {
                argv(&["yarn", "upgrade", &target])
            }
        }
    };
    Some(LockRefresh {
        dir: lock.dir,
        lockfile: lock.path,
        commands: vec![command],
    })
}
