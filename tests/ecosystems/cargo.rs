//! Cargo: conformance with the semver crate's suite, find over every
//! dependency form, judge and rewrite tables, lockfiles, package info and
//! directory snapshots.

use semver::Version;
use wavebump::ecosystem::{
    Classification, Ecosystem, GitRef, Handler, MemTree, Requirement, Source, SourceTree,
    apply_splices,
};

use crate::support::conformance::{Tally, load};
use crate::support::snapshot;

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

/// (section, key, requirement, line, source kind, span_path) of each find.
fn found(tree: &MemTree, path: &str) -> Vec<(String, String, String, u32, String, String)> {
    let text = tree.read_text(path).unwrap();
    handler()
        .find(tree, path, &text, NAME)
        .unwrap()
        .into_iter()
        .map(|r| {
            // The span holds exactly the requirement text.
            if let Some(span) = &r.span {
                let file = tree.read_text(&r.span_path).unwrap();
                assert_eq!(&file[span.clone()], r.requirement, "{r:?}");
            }
            let kind = match &r.source {
                Source::Registry => "registry".to_string(),
                Source::Git { reference, .. } => format!("git:{reference:?}"),
                Source::Workspace { root } => format!("workspace:{root}"),
                Source::Path { path } => format!("path:{path}"),
            };
            (r.section, r.key, r.requirement, r.line, kind, r.span_path)
        })
        .collect()
}

fn row(
    s: &str,
    k: &str,
    r: &str,
    l: u32,
    kind: &str,
    sp: &str,
) -> (String, String, String, u32, String, String) {
    (s.into(), k.into(), r.into(), l, kind.into(), sp.into())
}

#[test]
fn find_reads_every_dependency_form() {
    let manifest = r#"[package]
name = "app"

[dependencies]
core-utils = "1.4"                              # line 5
core-utils-extra = "9"
# core-utils = "0.1"
cu = { package = "core-utils", version = "^1.2", registry = "acme" }
other = { package = "core-utils-extra", version = "1" }

[dev-dependencies.core-utils]
version = "~1.3"

[build_dependencies]
core-utils.version = "=1.4.2"

[target.'cfg(unix)'.dependencies]
core-utils = { path = "../core-utils", version = ">=1.2, <2" }

[target."cfg(windows)".dev-dependencies]
core-utils = { path = "../core-utils" }
"#;
    let tree = MemTree::new().with("app/Cargo.toml", manifest);
    assert_eq!(
        found(&tree, "app/Cargo.toml"),
        [
            row(
                "dependencies",
                "core-utils",
                "1.4",
                5,
                "registry",
                "app/Cargo.toml"
            ),
            row(
                "dependencies",
                "cu",
                "^1.2",
                8,
                "registry",
                "app/Cargo.toml"
            ),
            row(
                "dev-dependencies",
                "core-utils",
                "~1.3",
                12,
                "registry",
                "app/Cargo.toml"
            ),
            row(
                "build_dependencies",
                "core-utils",
                "=1.4.2",
                15,
                "registry",
                "app/Cargo.toml"
            ),
            row(
                "target.'cfg(unix)'.dependencies",
                "core-utils",
                ">=1.2, <2",
                18,
                "registry",
                "app/Cargo.toml"
            ),
        ]
    );
}

#[test]
fn find_reads_git_pins() {
    let manifest = "[dependencies]\n\
        core-utils = { git = \"https://github.com/acme/core-utils\", tag = \"v1.4.0\" }\n\
        [dev-dependencies]\n\
        core-utils = { git = 'https://github.com/acme/core-utils', rev = 'abc123' }\n\
        [build-dependencies]\n\
        core-utils = { git = \"https://github.com/acme/core-utils\", branch = \"main\" }\n\
        [target.x86_64-unknown-linux-gnu.dependencies]\n\
        core-utils = { git = \"https://github.com/acme/core-utils\" }\n";
    let tree = MemTree::new().with("Cargo.toml", manifest);
    let kinds: Vec<(String, String)> = found(&tree, "Cargo.toml")
        .into_iter()
        .map(|r| (r.0, r.4))
        .collect();
    assert_eq!(
        kinds,
        [
            ("dependencies".into(), "git:Tag(\"v1.4.0\")".into()),
            ("dev-dependencies".into(), "git:Rev(\"abc123\")".into()),
            ("build-dependencies".into(), "git:Branch(\"main\")".into()),
            (
                "target.x86_64-unknown-linux-gnu.dependencies".into(),
                "git:DefaultBranch".into()
            ),
        ]
    );
}

#[test]
fn find_resolves_workspace_inheritance() {
    let root = "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.dependencies]\n\
        core-utils = { version = \"1.4\", default-features = false }\ncu2 = { package = \"core-utils\", version = \"=1.3.0\" }\n\
        decoy = { package = \"core-utils-extra\", version = \"1\" }\n";
    let a = "[package]\nname = \"a\"\n\n[dependencies]\ncore-utils.workspace = true\n";
    let b = "[package]\nname = \"b\"\n\n[dev-dependencies]\ncore-utils = { workspace = true, features = [\"x\"] }\n\
        cu = { workspace = true }\ncu2 = { workspace = true }\ndecoy.workspace = true\n";
    let tree = MemTree::new()
        .with("Cargo.toml", root)
        .with("crates/a/Cargo.toml", a)
        .with("crates/b/Cargo.toml", b);
    assert_eq!(
        found(&tree, "Cargo.toml"),
        [
            row(
                "workspace.dependencies",
                "core-utils",
                "1.4",
                5,
                "registry",
                "Cargo.toml"
            ),
            row(
                "workspace.dependencies",
                "cu2",
                "=1.3.0",
                6,
                "registry",
                "Cargo.toml"
            ),
        ]
    );
    assert_eq!(
        found(&tree, "crates/a/Cargo.toml"),
        [row(
            "dependencies",
            "core-utils",
            "1.4",
            5,
            "workspace:Cargo.toml",
            "Cargo.toml"
        )]
    );
    assert_eq!(
        found(&tree, "crates/b/Cargo.toml"),
        [
            row(
                "dev-dependencies",
                "core-utils",
                "1.4",
                5,
                "workspace:Cargo.toml",
                "Cargo.toml"
            ),
            row(
                "dev-dependencies",
                "cu2",
                "=1.3.0",
                7,
                "workspace:Cargo.toml",
                "Cargo.toml"
            ),
        ]
    );
    // A member whose root lacks the entry is an error naming the member.
    let lonely = MemTree::new().with(
        "x/Cargo.toml",
        "[dependencies]\ncore-utils.workspace = true\n",
    );
    let err = handler()
        .find(
            &lonely,
            "x/Cargo.toml",
            "[dependencies]\ncore-utils.workspace = true\n",
            NAME,
        )
        .unwrap_err();
    assert_eq!((err.path.as_str(), err.line), ("x/Cargo.toml", 2), "{err}");
}

#[test]
fn look_alikes_and_path_only_deps_are_not_targets() {
    let manifests = [
        "[dependencies]\ncore-utils-extra = \"1\"\ncore_utils = \"1\"\n",
        "[dependencies]\ncore-utils = { package = \"other\", version = \"1\" }\n",
        "[dependencies]\n# core-utils = \"1.4\"\n",
        "[dependencies]\ncore-utils = { path = \"../core-utils\" }\n",
        "[package]\nname = \"core-utils\"\n[features]\nx = [\"core-utils-extra/x\"]\n",
        "[dependencies]\nx = \"core-utils\"\n",
    ];
    for text in manifests {
        let tree = MemTree::new().with("Cargo.toml", text);
        assert_eq!(
            handler().find(&tree, "Cargo.toml", text, NAME).unwrap(),
            [],
            "{text}"
        );
    }
}

#[test]
fn malformed_manifests_are_located_errors() {
    let cases = [
        ("[dependencies\ncore-utils = \"1\"\n", 1, "invalid TOML"),
        (
            "[dependencies]\ncore-utils = 1.4\n",
            2,
            "expected a version string or a table",
        ),
        (
            "[dependencies]\ncore-utils = { version = 1 }\n",
            2,
            "expected `version` to be a string",
        ),
        (
            "[dependencies]\ncore-utils = \"1\"\ncore-utils = \"2\"\n",
            3,
            "invalid TOML",
        ),
        (
            "[dependencies]\ncu = { package = 3 }\n# core-utils\n",
            2,
            "expected `package` to be a string",
        ),
        (
            "[dependencies]\ncore-utils = { git = \"u\", tag = \"a\", rev = \"b\" }\n",
            2,
            "only one of",
        ),
    ];
    for (text, line, message) in cases {
        let tree = MemTree::new().with("Cargo.toml", text);
        let err = handler().find(&tree, "Cargo.toml", text, NAME).unwrap_err();
        assert_eq!(err.line, line, "{text}: {err}");
        assert!(err.message.contains(message), "{text}: {err}");
    }
}

#[test]
fn rewrite_splices_only_version_tokens() {
    let text = "[dependencies]\r\n\tcore-utils = { version = \">=1.2,  <2\" } # keep\r\nb = \"1\"";
    let tree = MemTree::new().with("Cargo.toml", text);
    let req = handler()
        .find(&tree, "Cargo.toml", text, NAME)
        .unwrap()
        .remove(0);
    let splices = handler().rewrite(&tree, &req, &v("2.0.3")).unwrap();
    assert_eq!(splices.len(), 1);
    let out = apply_splices(&tree, &splices).unwrap();
    assert_eq!(
        String::from_utf8(out["Cargo.toml"].clone()).unwrap(),
        "[dependencies]\r\n\tcore-utils = { version = \">=1.2,  <3\" } # keep\r\nb = \"1\""
    );
    // A stale requirement (the file changed since find) is refused.
    let changed = MemTree::new().with("Cargo.toml", text.replace("1.2", "1.3"));
    assert!(handler().rewrite(&changed, &req, &v("2.0.3")).is_err());
}

#[test]
fn lockfiles_pin_the_admitted_version_and_refresh_in_their_directory() {
    let lock = "version = 3\n\n[[package]]\nname = \"core-utils\"\nversion = \"1.4.2\"\n\n\
        [[package]]\nname = \"core-utils\"\nversion = \"2.0.1\"\n";
    let member = "[dependencies]\ncore-utils = \"1.4\"\n";
    let tree = MemTree::new()
        .with("ws/Cargo.lock", lock)
        .with("ws/crates/m/Cargo.toml", member);
    let req = handler()
        .find(&tree, "ws/crates/m/Cargo.toml", member, NAME)
        .unwrap()
        .remove(0);
    let locked = handler().locked_version(&tree, &req, NAME).unwrap();
    assert_eq!(locked.as_deref(), Some("1.4.2"));
    let refresh = handler()
        .lock_refresh(&tree, &req, NAME, &v("2.0.3"))
        .unwrap();
    assert_eq!(refresh.dir, "ws");
    assert_eq!(refresh.lockfile, "ws/Cargo.lock");
    assert_eq!(
        refresh.commands,
        [[
            "cargo",
            "update",
            "-p",
            "core-utils@1.4.2",
            "--precise",
            "2.0.3"
        ]]
    );
    let single = MemTree::new().with("Cargo.toml", member);
    assert_eq!(
        handler().lock_refresh(&single, &req, NAME, &v("2.0.3")),
        None
    );
    let broken = MemTree::new()
        .with(
            "ws/Cargo.lock",
            "[[package]]\nname = \"core-utils\"\nversion = 7\n",
        )
        .with("ws/crates/m/Cargo.toml", member);
    let err = handler().locked_version(&broken, &req, NAME).unwrap_err();
    assert_eq!((err.path.as_str(), err.line), ("ws/Cargo.lock", 1), "{err}");
}

#[test]
fn package_info_resolves_renames() {
    let text = "[package]\nname = \"billing-lib\"\npublish = false\n\n[dependencies]\n\
        cu = { package = \"core-utils\", version = \"1\" }\nserde = \"1\"\n\
        [dev-dependencies]\nserde = \"1\"\n[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n";
    let info = handler().package_info("Cargo.toml", text).unwrap();
    assert_eq!(info.publishes.as_deref(), Some("billing-lib"));
    assert_eq!(info.requires, ["core-utils", "libc", "serde"]);
    let virtual_root = "[workspace]\nmembers = []\n[workspace.dependencies]\ncore-utils = \"1\"\n";
    let info = handler().package_info("Cargo.toml", virtual_root).unwrap();
    assert_eq!(info.publishes, None);
    assert_eq!(info.requires, ["core-utils"]);
    assert!(handler().package_info("Cargo.toml", "[package\n").is_err());
}

#[test]
fn manifests_are_recognised_by_name() {
    for (path, want) in [
        ("Cargo.toml", true),
        ("crates/a/Cargo.toml", true),
        ("Cargo.lock", false),
        ("xCargo.toml", false),
        ("cargo.toml", false),
    ] {
        assert_eq!(handler().is_manifest(path), want, "{path}");
    }
}
