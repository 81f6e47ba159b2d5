//! Every ecosystem's parser and rewriter over arbitrary bytes: the input is
//! one file of a small repository, scanned, rewritten and scanned again.

use std::collections::BTreeSet;

use crate::ecosystem::{
    self, Classification, Ecosystem, LibraryNames, MemTree, SourceTree, Target, apply_splices,
};

/// Where the fuzz input goes in the repository, and the fixed files beside it
/// (a manifest for a lockfile, a workspace root for a member, a go.mod for
/// Go source).
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub ecosystem: Ecosystem,
    /// The path the fuzz input is written to.
    pub path: &'static str,
    /// Fixed `(path, text)` files of the same repository.
    pub beside: &'static [(&'static str, &'static str)],
}

const CARGO_TOML: &str =
    "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\ncore-utils = \"1.2\"\n";
const CARGO_ROOT: &str = "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.dependencies]\ncore-utils = { version = \"~1.4\", default-features = false }\n";
const CARGO_MEMBER: &str = "[package]\nname = \"api\"\nversion = \"0.1.0\"\n\n[dependencies]\ncore-utils.workspace = true\n";
const PACKAGE_JSON: &str = "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {\n    \"@acme/core-utils\": \"^1.2.0\"\n  }\n}\n";
const GO_MOD: &str =
    "module example.com/app\n\ngo 1.21\n\nrequire github.com/acme/core-utils v1.4.0\n";
const GO_MAIN: &str =
    "package main\n\nimport \"github.com/acme/core-utils/log\"\n\nfunc main() { log.Print() }\n";
const PYPROJECT: &str = "[project]\nname = \"app\"\ndependencies = [\"core-utils>=1.2,<2\"]\n\n[tool.poetry.dependencies]\ncore-utils = \"^1.2\"\n";
const GEMFILE: &str = "source \"https://rubygems.org\"\n\ngem \"core-utils\", \"~> 1.2\"\n";
const PIPFILE: &str = "[packages]\ncore-utils = \">=1.2,<2\"\n";

/// Every slot: the first byte of the input picks one of an ecosystem's
/// slots (low four bits) and the version to move to (high four bits).
pub const SLOTS: &[Slot] = &[
    slot(Ecosystem::Cargo, "Cargo.toml", &[]),
    slot(
        Ecosystem::Cargo,
        "Cargo.lock",
        &[("Cargo.toml", CARGO_TOML)],
    ),
    slot(
        Ecosystem::Cargo,
        "crates/api/Cargo.toml",
        &[("Cargo.toml", CARGO_ROOT)],
    ),
    slot(
        Ecosystem::Cargo,
        "Cargo.toml",
        &[("crates/api/Cargo.toml", CARGO_MEMBER)],
    ),
    slot(Ecosystem::Npm, "package.json", &[]),
    slot(
        Ecosystem::Npm,
        "package-lock.json",
        &[("package.json", PACKAGE_JSON)],
    ),
    slot(
        Ecosystem::Npm,
        "yarn.lock",
        &[("package.json", PACKAGE_JSON)],
    ),
    slot(
        Ecosystem::Npm,
        "pnpm-lock.yaml",
        &[("package.json", PACKAGE_JSON)],
    ),
    slot(Ecosystem::Go, "go.mod", &[]),
    slot(Ecosystem::Go, "go.mod", &[("main.go", GO_MAIN)]),
    slot(Ecosystem::Go, "go.sum", &[("go.mod", GO_MOD)]),
    slot(Ecosystem::Go, "main.go", &[("go.mod", GO_MOD)]),
    slot(Ecosystem::Go, "go.work", &[("svc/go.mod", GO_MOD)]),
    slot(Ecosystem::Python, "requirements.txt", &[]),
    slot(
        Ecosystem::Python,
        "requirements-dev.txt",
        &[("requirements.txt", "-r requirements-dev.txt\n")],
    ),
    slot(Ecosystem::Python, "pyproject.toml", &[]),
    slot(
        Ecosystem::Python,
        "poetry.lock",
        &[("pyproject.toml", PYPROJECT)],
    ),
    slot(
        Ecosystem::Python,
        "uv.lock",
        &[("pyproject.toml", PYPROJECT)],
    ),
    slot(Ecosystem::Python, "setup.cfg", &[]),
    slot(Ecosystem::Python, "setup.py", &[]),
    slot(Ecosystem::Python, "Pipfile", &[]),
    slot(Ecosystem::Python, "Pipfile.lock", &[("Pipfile", PIPFILE)]),
    slot(Ecosystem::Python, "constraints.txt", &[]),
    slot(
        Ecosystem::Python,
        "common/base.txt",
        &[(
            "svc/requirements.txt",
            "-r ../common/base.txt\n-c ../common/base.txt\n",
        )],
    ),
    slot(Ecosystem::Ruby, "Gemfile", &[]),
    slot(
        Ecosystem::Ruby,
        "shared/Gemfile.common",
        &[(
            "Gemfile",
            "source \"https://rubygems.org\"\neval_gemfile \"shared/Gemfile.common\"\n",
        )],
    ),
    slot(Ecosystem::Ruby, "core.gemspec", &[]),
    slot(Ecosystem::Ruby, "Gemfile.lock", &[("Gemfile", GEMFILE)]),
    slot(Ecosystem::Ruby, "gems.rb", &[]),
];

const fn slot(
    ecosystem: Ecosystem,
    path: &'static str,
    beside: &'static [(&'static str, &'static str)],
) -> Slot {
    Slot {
        ecosystem,
        path,
        beside,
    }
}

/// The versions moved to: same major, next major, older, prerelease, far.
pub const VERSIONS: &[&str] = &[
    "1.9.0",
    "2.0.3",
    "0.4.1",
    "1.4.0",
    "1.5.0-rc.1",
    "3.0.0",
    "1.2.0",
    "10.20.30",
];

/// The Go module path of the library (majors add `/vN`).
const GO_PATH: &str = "github.com/acme/core-utils";

/// Input: one selector byte (slot of `ecosystem` = low four bits, modulo
/// its slot count; version = high four bits modulo [`VERSIONS`]), then the
/// file's bytes. Checks, for the tree of the slot:
/// - scan (find, judge, locked version, rewrite, lock refresh) and every
///   handler's `package_info` return;
/// - every error names a file of the tree;
/// - every splice lies inside its file on character boundaries and spans
///   one line: the requirement token itself (replaced by the judged new
///   requirement), or on a Go major a module path of the library;
/// - the splices apply without overlap, and the rescanned result has no new
///   error in a rewritten file and finds each rewritten requirement again,
///   with the new text, no longer needing a rewrite.
pub fn check_manifest(ecosystem: Ecosystem, data: &[u8]) -> Result<(), String> {
    let Some((&selector, bytes)) = data.split_first() else {
        return Ok(());
    };
    let slots: Vec<&Slot> = SLOTS.iter().filter(|s| s.ecosystem == ecosystem).collect();
    let Some(slot) = slots.get(usize::from(selector & 0x0f) % slots.len().max(1)) else {
        return Ok(());
    };
    let version = VERSIONS
        .get(usize::from(selector >> 4) % VERSIONS.len())
        .copied()
        .unwrap_or("1.9.0");
    let to = semver::Version::parse(version).map_err(|e| e.to_string())?;
    let mut tree = MemTree::new();
    for (path, text) in slot.beside {
        tree.insert(*path, text.as_bytes());
    }
    tree.insert(slot.path, bytes);
    check_tree(&tree, &to)
}

fn check_tree(tree: &MemTree, to: &semver::Version) -> Result<(), String> {
    let library = LibraryNames::acme_core_utils();
    let report = ecosystem::scan(tree, &library, to);
    for (path, bytes) in tree.iter() {
        for eco in Ecosystem::ALL {
            let handler = eco.handler();
            if handler.is_manifest(path) {
                let _ = handler.package_info(path, &String::from_utf8_lossy(bytes));
            }
        }
    }
    let files: BTreeSet<String> = tree.files().into_iter().collect();
    if let Some(e) = report.errors.iter().find(|e| !files.contains(&e.path)) {
        return Err(format!("error names a file not in the tree: {e}"));
    }
    for target in &report.targets {
        check_splices(tree, target)?;
    }
    let splices: Vec<_> = report
        .targets
        .iter()
        .flat_map(|t| t.splices.iter().cloned())
        .collect();
    if splices.is_empty() {
        return Ok(());
    }
    let rewritten = apply_splices(tree, &splices).map_err(|e| format!("splices clash: {e}"))?;
    let mut after = tree.clone();
    for (path, bytes) in &rewritten {
        after.insert(path.clone(), bytes.clone());
    }
    let rescan = ecosystem::scan(&after, &library, to);
    let broken_before: BTreeSet<&str> = report.errors.iter().map(|e| e.path.as_str()).collect();
    if let Some(e) = rescan
        .errors
        .iter()
        .find(|e| rewritten.contains_key(&e.path) && !broken_before.contains(e.path.as_str()))
    {
        return Err(format!("the rewritten file no longer parses: {e}"));
    }
    for target in report.targets.iter().filter(|t| !t.splices.is_empty()) {
        check_found_again(tree, target, &rescan.targets)?;
    }
    Ok(())
}

/// Each splice of `target` is inside its file and touches one token.
fn check_splices(tree: &MemTree, target: &Target) -> Result<(), String> {
    let req = &target.requirement;
    check_new_requirement(tree, target)?;
    for splice in &target.splices {
        let old = tree
            .get(&splice.path)
            .ok_or_else(|| format!("splice of {} names a missing file", splice.path))?;
        let text = std::str::from_utf8(old)
            .map_err(|_| format!("splice in {}, which is not UTF-8", splice.path))?;
        let Some(token) = text.get(splice.span.clone()) else {
            return Err(format!(
                "splice {:?} of {} is outside the file or splits a character",
                splice.span, splice.path
            ));
        };
        if token.contains('\n') || splice.replacement.contains('\n') {
            return Err(format!(
                "splice {:?} of {} spans lines: {token:?} -> {:?}",
                splice.span, splice.path, splice.replacement
            ));
        }
        let inside_requirement = splice.path == req.span_path
            && req
                .span
                .as_ref()
                .is_some_and(|r| r.start <= splice.span.start && splice.span.end <= r.end);
        if inside_requirement {
            continue;
        }
        let go_path = req.ecosystem == Ecosystem::Go
            && target.judgement.classification == Classification::Major
            && token.starts_with(GO_PATH)
            && splice.replacement.starts_with(GO_PATH);
        // Ruby rewrites versions in every requirement string of the call;
        // a RubyGems version is alphanumerics, dots and dashes (`3-pre` is
        // `3.pre.pre`: Gem::Version's pattern).
        let ruby_version = req.ecosystem == Ecosystem::Ruby
            && !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !go_path && !ruby_version {
            return Err(format!(
                "{}:{}: splice {:?} of {} touches {token:?}, not the requirement {:?}",
                req.path, req.line, splice.span, splice.path, req.requirement
            ));
        }
    }
    Ok(())
}

/// The requirement token with the splices inside it applied: the
/// requirement as written, then as rewritten.
fn rewritten_requirement(tree: &MemTree, target: &Target) -> Result<Option<String>, String> {
    let req = &target.requirement;
    let Some(span) = &req.span else {
        return Ok(None);
    };
    let text = tree
        .get(&req.span_path)
        .and_then(|b| std::str::from_utf8(b).ok())
        .ok_or_else(|| format!("{}: requirement in an unreadable file", req.span_path))?;
    let held = text.get(span.clone());
    if held != Some(req.requirement.as_str()) {
        // Ruby: the span is the content of the first requirement string
        // (spaces included); the requirement is all of them, trimmed.
        if req.ecosystem == Ecosystem::Ruby
            && held.is_some_and(|h| req.requirement.starts_with(h.trim()))
        {
            return Ok(None);
        }
        return Err(format!(
            "{}:{}: requirement span {span:?} does not hold {:?}",
            req.path, req.line, req.requirement
        ));
    }
    let mut inner: Vec<_> = target
        .splices
        .iter()
        .filter(|s| s.path == req.span_path && span.start <= s.span.start && s.span.end <= span.end)
        .collect();
    if inner.is_empty() {
        return Ok(None);
    }
    inner.sort_by_key(|s| s.span.start);
    let mut out = String::new();
    let mut cursor = span.start;
    for s in inner {
        let kept = text
            .get(cursor..s.span.start)
            .ok_or_else(|| format!("{}: overlapping splices in the requirement", req.path))?;
        out.push_str(kept);
        out.push_str(&s.replacement);
        cursor = s.span.end;
    }
    out.push_str(text.get(cursor..span.end).unwrap_or_default());
    Ok(Some(out))
}

/// The splices inside the requirement give the judged new requirement.
fn check_new_requirement(tree: &MemTree, target: &Target) -> Result<(), String> {
    let req = &target.requirement;
    if let (Some(new), Some(judged)) = (
        rewritten_requirement(tree, target)?,
        &target.judgement.new_requirement,
    ) && new != *judged
    {
        return Err(format!(
            "{}:{}: splices make {:?} into {new:?}, the judgement says {judged:?}",
            req.path, req.line, req.requirement
        ));
    }
    Ok(())
}

/// After the rewrite the requirement is found at the same place with the new
/// text and needs no further rewrite.
fn check_found_again(tree: &MemTree, target: &Target, rescan: &[Target]) -> Result<(), String> {
    let req = &target.requirement;
    let new = match &target.judgement.new_requirement {
        Some(new) => new.clone(),
        None => rewritten_requirement(tree, target)?.ok_or_else(|| {
            format!(
                "{}:{}: splices that leave the requirement {:?} alone",
                req.path, req.line, req.requirement
            )
        })?,
    };
    let again = rescan.iter().find(|t| {
        let r = &t.requirement;
        r.ecosystem == req.ecosystem
            && r.path == req.path
            && r.line == req.line
            && r.section == req.section
            && r.requirement == new
    });
    let Some(again) = again else {
        return Err(format!(
            "{}:{}: {:?} rewritten to {new:?} is not found again",
            req.path, req.line, req.requirement
        ));
    };
    if matches!(
        again.judgement.classification,
        Classification::Rewrite | Classification::Major
    ) {
        return Err(format!(
            "{}:{}: {:?} rewritten to {new:?} still needs a {} rewrite",
            req.path, req.line, req.requirement, again.judgement.classification
        ));
    }
    Ok(())
}
