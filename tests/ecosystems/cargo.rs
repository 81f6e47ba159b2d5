//! Cargo: conformance with the semver crate's suite, judge and rewrite
//! tables and directory snapshots; `find`, lockfiles and package info in
//! [`manifests`].

use semver::Version;
use wavebump::ecosystem::{Classification, Ecosystem, GitRef, Handler, Requirement, Source};

use crate::support::conformance::{Tally, load};
use crate::support::snapshot;

mod manifests;

const NAME: &str = "core-utils";

fn handler() -> &'static dyn Handler {
    Ecosystem::Cargo.handler()
}

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

/// A registry requirement as `find` would report it.
fn registry(text: &str) -> Requirement {
    Requirement {
        ecosystem: Ecosystem::Cargo,
        path: "Cargo.toml".into(),
        line: 1,
        section: "dependencies".into(),
        key: NAME.into(),
        requirement: text.into(),
        source: Source::Registry,
        span: Some(0..text.len()),
        span_path: "Cargo.toml".into(),
    }
}

fn git(reference: GitRef) -> Requirement {
    Requirement {
        source: Source::Git {
            url: "https://github.com/acme/core-utils".into(),
            reference,
        },
        ..registry("")
    }
}

#[test]
fn snapshots() {
    let n = snapshot::check_all(Ecosystem::Cargo);
    println!("{n} cargo snapshot cases");
}

#[test]
fn conformance() {
    let data = load("cargo");
    let mut tally = Tally::new("cargo");
    for case in data["cases"].as_array().expect("cases") {
        let req = case["req"].as_str().expect("req");
        let version = case["version"].as_str().expect("version");
        let want = case["matches"].as_bool().expect("matches");
        let got = handler().judge(&registry(req), &v(version), None).admits;
        tally.case(
            format!("{req:?} matches {version}: want {want}"),
            got == want,
            None,
        );
    }
    for case in data["invalid_reqs"].as_array().expect("invalid_reqs") {
        let req = case["req"].as_str().expect("req");
        let error = case["error"].as_str().expect("error");
        let judgement = handler().judge(&registry(req), &v("1.0.0"), None);
        let want = format!("invalid requirement `{req}`: {error}");
        let ok = !judgement.admits && judgement.unrewritable.as_deref() == Some(want.as_str());
        tally.case(format!("{req:?} is invalid: {error}"), ok, None);
    }
    tally.finish();
}

/// cargo-edit's `assert_req_bump` cases, plus widening of upper bounds.
#[test]
fn rewrite_keeps_operator_and_precision() {
    let cases = [
        ("1.4", "2.0.3", "2.0"),
        ("1", "2.0.3", "2"),
        ("1.4.2", "2.0.3", "2.0.3"),
        ("^1.4.2", "2.0.3", "^2.0.3"),
        ("^1.4", "2.0.3", "^2.0"),
        ("~1.4", "2.0.3", "~2.0"),
        ("~1.4", "1.5.0", "~1.5"),
        ("~1.4.2", "1.5.0", "~1.5.0"),
        ("=1.4.2", "2.0.3", "=2.0.3"),
        ("=1.4.2", "1.4.3", "=1.4.3"),
        ("= 1.4", "2.0.3", "= 2.0"),
        ("1.*", "2.0.3", "2.*"),
        ("1.4.*", "2.0.3", "2.0.*"),
        ("1.4.x", "1.5.0", "1.5.x"),
        ("1.X", "2.0.0", "2.X"),
        ("0.4", "0.5.0", "0.5"),
        ("0.4.1", "0.5.2", "0.5.2"),
        ("0.0.3", "0.0.4", "0.0.4"),
        (">=1.2, <2", "2.0.3", ">=1.2, <3"),
        (">=1.2,<2", "2.0.3", ">=1.2,<3"),
        (">= 1.2 ,  < 2.0", "2.0.3", ">= 1.2 ,  < 3.0"),
        (">=1.2.0, <2.0.0", "3.1.0", ">=1.2.0, <4.0.0"),
        (">=0.4, <0.5", "0.6.1", ">=0.4, <0.7"),
        (">=1.0, <1.5", "1.6.2", ">=1.0, <1.7"),
        (">=1.4.0, <1.4.5", "1.4.6", ">=1.4.0, <1.4.7"),
        ("<=1.9", "2.0.3", "<=2.0"),
        ("<=1", "2.0.3", "<=2"),
        ("^1.2, <1.5", "2.0.3", "^2.0, <2.1"),
        ("^1.4", "2.0.0-rc.1", "^2.0.0-rc.1"),
        ("=1.4.2-beta.1", "1.4.2", "=1.4.2"),
        ("~1", "2.0.0", "~2"),
    ];
    let mut failures = Vec::new();
    for (req, to, want) in cases {
        let j = handler().judge(&registry(req), &v(to), None);
        if j.new_requirement.as_deref() != Some(want) || j.unrewritable.is_some() {
            failures.push(format!("{req} -> {to}: want {want}, got {j:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unsafe_rewrites_are_declined_with_a_reason() {
    let cases = [
        ("1.*", "2.0.0-rc.1", "admits 2.0.0-rc.1"),
        (">=1.2, <2.0.0-0", "2.0.3", "cannot widen"),
        ("1.4 || 2", "3.0.0", "invalid requirement"),
        ("", "3.0.0", "invalid requirement"),
    ];
    for (req, to, reason) in cases {
        let j = handler().judge(&registry(req), &v(to), None);
        assert_eq!(j.new_requirement, None, "{req}");
        let got = j.unrewritable.unwrap_or_default();
        assert!(got.contains(reason), "{req} -> {to}: {got}");
    }
}

#[test]
fn judge_classifies_by_lock_and_compatibility() {
    use Classification::*;
    let cases: &[(&str, &str, Option<&str>, bool, Classification)] = &[
        ("1.4", "1.5.0", None, true, LockfileOnly),
        ("1.4", "1.5.0", Some("1.5.2"), true, UpToDate),
        ("1.4", "1.2.0", None, false, UpToDate),
        ("1.4", "2.0.3", Some("1.4.7"), false, Major),
        ("1.4", "2.0.3", None, false, Major),
        ("~1.4", "1.5.0", None, false, Rewrite),
        ("=1.4.2", "1.4.3", Some("1.4.2"), false, Rewrite),
        ("0.4", "0.5.0", None, false, Major),
        ("0.4", "0.4.9", None, true, LockfileOnly),
        ("0.0.3", "0.0.4", None, false, Major),
        (">=1.2", "2.0.3", Some("1.9.0"), true, LockfileOnly),
        (">=1.2, <2", "2.0.3", None, false, Major),
        (">=1.0, <1.5", "1.6.0", None, false, Rewrite),
        ("<2", "2.0.3", Some("1.3.0"), false, Major),
        ("*", "9.0.0", None, true, LockfileOnly),
        ("1.4", "2.0.3", Some("not-a-version"), false, Major),
    ];
    for &(req, to, locked, admits, class) in cases {
        let j = handler().judge(&registry(req), &v(to), locked);
        assert_eq!(
            (j.admits, j.classification),
            (admits, class),
            "{req} -> {to} locked {locked:?}: {j:?}"
        );
        if class == UpToDate || class == LockfileOnly {
            assert_eq!(j.new_requirement, None, "{req}");
        }
    }
}

/// (pin, to, locked, classification, new tag, reason it cannot be rewritten)
type GitCase = (
    Requirement,
    &'static str,
    Option<&'static str>,
    Classification,
    Option<&'static str>,
    Option<&'static str>,
);

#[test]
fn git_pins_are_judged_by_their_reference() {
    use Classification::*;
    let tag = |t: &str| git(GitRef::Tag(t.into()));
    let cases: Vec<GitCase> = vec![
        (tag("v1.4.0"), "2.0.3", None, Major, Some("v2.0.3"), None),
        (tag("v1.4.0"), "1.5.0", None, Rewrite, Some("v1.5.0"), None),
        (
            tag("core-utils-v1.4.0"),
            "1.5.0",
            None,
            Rewrite,
            Some("core-utils-v1.5.0"),
            None,
        ),
        (tag("v2.0.3"), "2.0.3", None, UpToDate, None, None),
        (
            tag("nightly"),
            "2.0.3",
            None,
            Rewrite,
            None,
            Some("names no version"),
        ),
        (
            git(GitRef::Rev("abc123".into())),
            "2.0.3",
            Some("1.4.0"),
            Major,
            None,
            Some("pinned to commit abc123"),
        ),
        (
            git(GitRef::Rev("abc123".into())),
            "2.0.3",
            Some("2.1.0"),
            UpToDate,
            None,
            None,
        ),
        (
            git(GitRef::Branch("main".into())),
            "2.0.3",
            Some("1.4.0"),
            LockfileOnly,
            None,
            None,
        ),
        (
            git(GitRef::DefaultBranch),
            "2.0.3",
            None,
            LockfileOnly,
            None,
            None,
        ),
    ];
    for (req, to, locked, class, new, reason) in cases {
        let j = handler().judge(&req, &v(to), locked);
        assert_eq!(j.classification, class, "{req:?}");
        assert_eq!(j.new_requirement.as_deref(), new, "{req:?}");
        match reason {
            Some(r) => assert!(j.unrewritable.as_deref().unwrap_or("").contains(r), "{j:?}"),
            None => assert_eq!(j.unrewritable, None, "{req:?}"),
        }
    }
}

/// A git dependency with a `version` but no `tag`/`rev`: the version is
/// the requirement, judged and rewritten; the refresh does not pin it.
#[test]
fn git_dependency_with_version_only() {
    use wavebump::ecosystem::{LibraryNames, MemTree, apply_splices, scan};
    let text = "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n[dependencies]\ncore-utils = { git = \"https://github.com/acme/core-utils\", version = \"1.4\" }\nother = { git = \"https://x/o\", branch = \"main\" }\n";
    let tree = MemTree::new().with("Cargo.toml", text).with(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"core-utils\"\nversion = \"1.4.2\"\nsource = \"git+https://github.com/acme/core-utils#abc\"\n",
    );
    let to = semver::Version::new(2, 0, 3);
    let report = scan(&tree, &LibraryNames::acme_core_utils(), &to);
    assert_eq!(report.targets.len(), 1, "{report:?}");
    let t = &report.targets[0];
    assert_eq!(t.requirement.requirement, "1.4");
    assert_eq!(t.judgement.new_requirement.as_deref(), Some("2.0"));
    let out = apply_splices(&tree, &t.splices).expect("applies");
    let new = String::from_utf8(out["Cargo.toml"].clone()).unwrap();
    assert_eq!(new, text.replace("version = \"1.4\"", "version = \"2.0\""));
    let refresh = t.lock_refresh.as_ref().expect("refresh");
    assert_eq!(
        refresh.commands,
        vec![vec!["cargo", "update", "-p", "core-utils"]]
    );
    let again = MemTree::new().with("Cargo.toml", new);
    let report = scan(&again, &LibraryNames::acme_core_utils(), &to);
    assert!(report.targets[0].judgement.admits, "{report:?}");
}
