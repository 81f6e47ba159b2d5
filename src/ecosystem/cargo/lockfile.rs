//! `Cargo.lock`: the versions of a package it pins, from the nearest lockfile
//! at or above a manifest (a workspace shares its root's lockfile).
//!
//! Invariant: a malformed lockfile is a located error naming the lockfile;
//! a lockfile without the package pins nothing.

use semver::{Version, VersionReq};

use super::{manifest, paths};
use crate::ecosystem::{ManifestError, SourceTree};

/// One `[[package]]` entry of the package looked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locked {
    pub version: Version,
    /// The `source` line (`registry+...`, `git+...`), if any.
    pub source: Option<String>,
}

/// The nearest `Cargo.lock` at or above the manifest's directory.
pub fn nearest(tree: &dyn SourceTree, manifest_path: &str) -> Option<String> {
    paths::ancestors(paths::dir_of(manifest_path))
        .map(|dir| paths::join(dir, "Cargo.lock"))
        .find(|p| tree.exists(p))
}

/// Every locked version of `name` in the lockfile text.
pub fn versions(path: &str, text: &str, name: &str) -> Result<Vec<Locked>, ManifestError> {
    let doc = manifest::parse(path, text)?;
    let Some(packages) = doc.get("package") else {
        return Ok(Vec::new());
    };
    let at = |span: Option<std::ops::Range<usize>>, msg: &str| {
        ManifestError::at_offset(path, text, span.map_or(0, |s| s.start), msg)
    };
    let tables = packages
        .as_array_of_tables()
        .ok_or_else(|| at(packages.span(), "expected `[[package]]` entries"))?;
    let mut out = Vec::new();
    for table in tables.iter() {
        if table.get("name").and_then(|n| n.as_str()) != Some(name) {
            continue;
        }
        let version = table.get("version");
        let text_version = version.and_then(|v| v.as_str()).ok_or_else(|| {
            at(
                table.span(),
                "expected `version = \"X.Y.Z\"` in `[[package]]`",
            )
        })?;
        let version = Version::parse(text_version).map_err(|e| {
            at(
                version.and_then(|v| v.span()),
                &format!("expected a semver version, found `{text_version}`: {e}"),
            )
        })?;
        let source = table
            .get("source")
            .and_then(|s| s.as_str())
            .map(str::to_string);
        out.push(Locked { version, source });
    }
    Ok(out)
}

/// The locked version a requirement resolves to: the highest one it admits
/// (from a git source for a git dependency), else the highest locked.
pub fn pick<'a>(locked: &'a [Locked], req: Option<&VersionReq>, git: bool) -> Option<&'a Locked> {
    let from_git = |l: &&Locked| l.source.as_deref().is_some_and(|s| s.starts_with("git+"));
    let admitted = locked
        .iter()
        .filter(|l| req.is_none_or(|r| r.matches(&l.version)))
        .filter(|l| !git || from_git(l))
        .max_by(|a, b| a.version.cmp(&b.version));
    admitted.or_else(|| locked.iter().max_by(|a, b| a.version.cmp(&b.version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "version = 3\n\n[[package]]\nname = \"core-utils\"\nversion = \"1.4.2\"\n\
        source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
        [[package]]\nname = \"core-utils\"\nversion = \"2.0.1\"\n\n\
        [[package]]\nname = \"core-utils-extra\"\nversion = \"9.0.0\"\n";

    #[test]
    fn picks_the_version_the_requirement_admits() {
        let all = versions("Cargo.lock", LOCK, "core-utils").unwrap();
        assert_eq!(all.len(), 2);
        let pick_for = |req: &str| {
            let req = VersionReq::parse(req).unwrap();
            pick(&all, Some(&req), false).map(|l| l.version.to_string())
        };
        assert_eq!(pick_for("1.4").as_deref(), Some("1.4.2"));
        assert_eq!(pick_for("2").as_deref(), Some("2.0.1"));
        assert_eq!(pick_for("3").as_deref(), Some("2.0.1"));
    }

    #[test]
    fn malformed_lockfiles_are_located() {
        let cases = [
            ("[[package]]\nname = \"core-utils\"\nversion = \"x\"\n", 3),
            ("[[package]]\nname = \"core-utils\"\n", 1),
            ("package = 3\n", 1),
            ("[[package]\n", 1),
        ];
        for (text, line) in cases {
            let err = versions("Cargo.lock", text, "core-utils").unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
            assert_eq!(err.path, "Cargo.lock");
        }
    }
}
