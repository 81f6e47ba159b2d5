//! The library's requirements in one go.mod or go.work: `require` lines and
//! blocks (`// indirect` too), `replace` directives naming the library on
//! either side, and the package info for the consumer graph.
//!
//! Invariant: a path is the library only when it is `name` or `name/vN`
//! (N >= 2): `name-extra`, `name/pkg` and other owners are look-alikes.

use super::lexer::Token;
use super::modfile::{self, FileKind, ModFile, Replace};
use super::module;
use crate::ecosystem::{Ecosystem, ManifestError, PackageInfo, Requirement, Source};

/// Section of a replace whose right side is another module (a fork).
pub const FORK_SECTION: &str = "replace (fork)";

/// Which syntax a manifest path uses.
pub fn file_kind(path: &str) -> FileKind {
    if path.rsplit('/').next() == Some("go.work") {
        FileKind::GoWork
    } else {
        FileKind::GoMod
    }
}

/// Parse a manifest, mapping errors to the file, line and column.
pub fn parse<'a>(path: &str, text: &'a str) -> Result<ModFile<'a>, ManifestError> {
    modfile::parse(text, file_kind(path))
        .map_err(|e| ManifestError::at_offset(path, text, e.offset, e.message))
}

/// Is `path` the library `name` or one of its major versions `name/vN`?
pub fn is_library(path: &str, name: &str) -> bool {
    if let Some((prefix, _)) = module::gopkg_major(path) {
        // `gopkg.in/NAME.vN`: any major of the library, named with or
        // without its `.vN`.
        let name_prefix = module::gopkg_major(name).map_or(name, |(p, _)| p);
        return prefix == name_prefix;
    }
    match path.strip_prefix(name) {
        Some("") => true,
        Some(rest) => {
            rest.starts_with("/v")
                && module::path_major_number(path).is_some()
                && module::split_path_version(path).0 == name
        }
        None => false,
    }
}

/// Every requirement of the library `name` in the manifest.
pub fn find(path: &str, text: &str, name: &str) -> Result<Vec<Requirement>, ManifestError> {
    let file = parse(path, text)?;
    let mut out = Vec::new();
    for r in &file.requires {
        if is_library(&r.path.value, name) {
            let section = if r.indirect {
                "require (indirect)"
            } else {
                "require"
            };
            out.push(requirement(
                path, text, section, &r.path, &r.version, r.line,
            ));
        }
    }
    for r in &file.replaces {
        if let Some(req) = replace_requirement(path, text, name, r) {
            out.push(req);
        }
    }
    out.sort_by_key(|r| r.line);
    Ok(out)
}

fn replace_requirement(path: &str, text: &str, name: &str, r: &Replace) -> Option<Requirement> {
    // A directory replacement has no version: nothing to bump.
    let version = r.new_version.as_ref()?;
    let section = if is_library(&r.new.value, name) {
        "replace"
    } else if is_library(&r.old.value, name) {
        FORK_SECTION
    } else {
        return None;
    };
    Some(requirement(path, text, section, &r.new, version, r.line))
}

fn requirement(
    path: &str,
    text: &str,
    section: &str,
    key: &Token,
    version: &Token,
    line: u32,
) -> Requirement {
    Requirement {
        ecosystem: Ecosystem::Go,
        path: path.to_string(),
        line,
        section: section.to_string(),
        key: key.value.to_string(),
        requirement: version.value.to_string(),
        source: Source::Registry,
        span: version.is_plain(text).then(|| version.inner.clone()),
        span_path: path.to_string(),
    }
}

/// What the manifest publishes (its module path) and requires.
pub fn package_info(path: &str, text: &str) -> Result<PackageInfo, ManifestError> {
    let file = parse(path, text)?;
    let mut requires: Vec<String> = Vec::with_capacity(file.requires.len());
    for r in &file.requires {
        if !requires.iter().any(|p| p == r.path.value.as_ref()) {
            requires.push(r.path.value.to_string());
        }
    }
    Ok(PackageInfo {
        publishes: file.module.map(|m| m.value.into_owned()),
        requires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "github.com/acme/core-utils";

    #[test]
    fn library_and_look_alikes() {
        let table = [
            ("github.com/acme/core-utils", true),
            ("github.com/acme/core-utils/v2", true),
            ("github.com/acme/core-utils/v17", true),
            ("github.com/acme/core-utils/v1", false),
            ("github.com/acme/core-utils/v0", false),
            ("github.com/acme/core-utils/v2/pkg", false),
            ("github.com/acme/core-utils/pkg", false),
            ("github.com/acme/core-utils-extra", false),
            ("github.com/otherco/core-utils", false),
            ("github.com/acme/core-utils/vx", false),
        ];
        for (path, want) in table {
            assert_eq!(is_library(path, NAME), want, "{path}");
        }
    }

    #[test]
    fn finds_requires_and_replaces() {
        let text = "module example.com/svc\n\nrequire (\n\tgithub.com/acme/core-utils-extra v1.0.0\n\tgithub.com/otherco/core-utils v1.4.0\n\tgithub.com/acme/core-utils v1.4.0 // indirect\n)\n// require github.com/acme/core-utils v1.0.0\nreplace github.com/acme/core-utils => github.com/acme/core-utils v1.4.1\nreplace github.com/acme/core-utils/v2 => ../core-utils\nreplace github.com/acme/core-utils v1.3.0 => github.com/me/fork v1.3.1\n";
        let found = find("svc/go.mod", text, NAME).unwrap();
        let got: Vec<_> = found
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.section.as_str(),
                    r.key.as_str(),
                    r.requirement.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (6, "require (indirect)", NAME, "v1.4.0"),
                (9, "replace", NAME, "v1.4.1"),
                (11, FORK_SECTION, "github.com/me/fork", "v1.3.1"),
            ]
        );
        for r in &found {
            assert_eq!(&text[r.span.clone().unwrap()], r.requirement);
        }
    }

    #[test]
    fn package_info_lists_module_and_requires() {
        let info = package_info(
            "go.mod",
            "module \"example.com/lib\"\nrequire a.b/c v1.0.0\nrequire a.b/c v1.0.0\n",
        )
        .unwrap();
        assert_eq!(info.publishes.as_deref(), Some("example.com/lib"));
        assert_eq!(info.requires, ["a.b/c"]);
        let e = package_info("x/go.mod", "module\n").unwrap_err();
        assert_eq!((e.path.as_str(), e.line), ("x/go.mod", 1));
    }
}
