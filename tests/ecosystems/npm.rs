//! npm: snapshots, node-semver conformance, rewrite and judgement tables.

use serde_json::Value;
use wavebump::ecosystem::npm::node_semver::{Options, gtr, satisfies};
use wavebump::ecosystem::{
    Classification, Ecosystem, GitRef, LibraryNames, MemTree, NpmUnions, Requirement,
    RewriteOptions, ScanLimits, Source, apply_splices, scan_within,
};

use crate::support::conformance::{Tally, load};
use crate::support::snapshot;

#[test]
fn snapshots() {
    let n = snapshot::check_all(Ecosystem::Npm);
    println!("{n} npm snapshot cases");
}

/// node-semver's option normalisation: only truthy flags count.
fn options(case: &Value) -> Options {
    let flag = |k: &str| case["options"][k].as_bool().unwrap_or(false);
    Options {
        loose: flag("loose"),
        include_prerelease: flag("includePrerelease"),
    }
}

fn label(case: &Value) -> String {
    format!(
        "{:?} {:?} {}",
        case["req"].as_str().unwrap_or_default(),
        case["version"].as_str().unwrap_or_default(),
        case["options"]
    )
}

#[test]
fn conformance_satisfies() {
    let data = load("npm");
    let mut tally = Tally::new("npm satisfies");
    for case in data["cases"].as_array().expect("cases") {
        let req = case["req"].as_str().expect("req");
        let version = case["version"].as_str().expect("version");
        let want = case["matches"].as_bool().expect("matches");
        let got = satisfies(version, req, options(case));
        tally.case(label(case), got == want, None);
    }
    tally.finish();
}

#[test]
fn conformance_gtr() {
    let data = load("npm");
    let mut tally = Tally::new("npm gtr");
    for case in data["gtr_cases"].as_array().expect("gtr_cases") {
        let req = case["req"].as_str().expect("req");
        let version = case["version"].as_str().expect("version");
        let want = case["greater"].as_bool().expect("greater");
        let got = gtr(version, req, options(case));
        tally.case(label(case), got == Some(want), None);
    }
    tally.finish();
}

fn req(requirement: &str, source: Source) -> Requirement {
    let span = Some(0..requirement.len());
    Requirement {
        ecosystem: Ecosystem::Npm,
        path: "package.json".into(),
        line: 1,
        section: "dependencies".into(),
        key: "@acme/core-utils".into(),
        requirement: requirement.into(),
        source,
        span,
        span_path: "package.json".into(),
    }
}

fn v(s: &str) -> semver::Version {
    semver::Version::parse(s).expect("version")
}

/// `assert_req_bump`-style: the requirement as written, the new version,
/// and the requirement expected after the bump.
#[test]
fn rewrite_rules_keep_operator_and_precision() {
    let cases = [
        ("^1.4.2", "2.0.3", "^2.0.3"),
        ("~1.4.2", "2.0.3", "~2.0.3"),
        ("~>1.4.2", "2.0.3", "~>2.0.3"),
        ("1.4.x", "2.0.3", "2.0.x"),
        ("1.x", "2.0.3", "2.x"),
        ("1.x.x", "2.0.3", "2.x.x"),
        ("1.4.*", "2.0.3", "2.0.*"),
        ("1.4", "2.0.3", "2.0"),
        ("1", "2.0.3", "2"),
        ("^1.4", "2.0.3", "^2.0"),
        ("^1", "2.0.3", "^2"),
        ("~1.4", "1.5.0", "~1.5"),
        (">=1.2.0 <2.0.0", "2.0.3", ">=1.2.0 <3.0.0"),
        (">= 1.2.0  < 2", "2.0.3", ">= 1.2.0  < 3"),
        ("<2.0.0 >=1.2.0", "2.0.3", "<3.0.0 >=1.2.0"),
        ("<2", "2.0.3", "<3"),
        (">=1.2.0 <=1.x", "2.0.3", ">=1.2.0 <=2.x"),
        ("=1.4.2", "2.0.3", "=2.0.3"),
        ("1.4.2", "2.0.3", "2.0.3"),
        ("v1.4.2", "2.0.3", "v2.0.3"),
        ("^0.4.1", "0.5.2", "^0.5.2"),
        (">=0.4.0 <0.5.0", "0.5.2", ">=0.4.0 <0.6.0"),
        ("^1.4.2", "2.0.0-rc.1", "^2.0.0-rc.1"),
    ];
    let npm = Ecosystem::Npm.handler();
    for (written, to, want) in cases {
        let j = npm.judge(&req(written, Source::Registry), &v(to), None);
        assert_eq!(j.unrewritable, None, "{written} -> {to}");
        assert_eq!(
            j.new_requirement.as_deref(),
            Some(want),
            "{written} -> {to}"
        );
        assert!(!j.admits, "{written} must not admit {to}");
    }
}

#[test]
fn judge_classifies() {
    use Classification::*;
    // (requirement, to, locked, admits, classification)
    let cases: [(&str, &str, Option<&str>, bool, Classification); 16] = [
        ("^1.4.0", "1.9.0", None, true, LockfileOnly),
        ("^1.4.0", "1.9.0", Some("1.9.2"), true, UpToDate),
        ("^1.4.0", "2.0.3", None, false, Major),
        ("~1.4.0", "1.5.0", None, false, Rewrite),
        ("^0.4.1", "0.5.0", None, false, Major),
        ("^0.4.1", "0.4.9", None, true, LockfileOnly),
        ("^3.0.0", "2.0.3", None, false, UpToDate),
        ("*", "2.0.3", None, true, LockfileOnly),
        ("", "2.0.3", None, true, LockfileOnly),
        ("latest", "2.0.3", None, true, LockfileOnly),
        (">=1.2", "2.0.3", None, true, LockfileOnly),
        ("x", "2.0.3", Some("2.0.3"), true, UpToDate),
        ("1.4.2", "1.4.3", None, false, Rewrite),
        ("^1.4.0", "2.0.0-rc.1", None, false, Major),
        ("1.2.x || 1.3.x", "1.4.0", None, false, Rewrite),
        ("1.0.0 - 1.9.0", "2.0.3", None, false, Major),
    ];
    let npm = Ecosystem::Npm.handler();
    for (written, to, locked, admits, class) in cases {
        let j = npm.judge(&req(written, Source::Registry), &v(to), locked);
        assert_eq!(
            (j.admits, j.classification),
            (admits, class),
            "{written} -> {to} ({locked:?})"
        );
    }
}

#[test]
fn unrewritable_ranges_say_why() {
    let cases = [
        ("1.2.x || 1.0.0 - 1.3.0", "union"),
        ("1.0.0 - 1.9.0", "hyphen range"),
        ("~1.2.1 >=1.2.3 <1.3.0", "no single bound"),
        (">=1.2.0 <=1.9.9", "exact"),
        ("next", "not a version range"),
    ];
    let npm = Ecosystem::Npm.handler();
    for (written, reason) in cases {
        let j = npm.judge(&req(written, Source::Registry), &v("2.0.3"), None);
        assert_eq!(j.new_requirement, None, "{written}");
        let got = j.unrewritable.unwrap_or_default();
        assert!(got.contains(reason), "{written}: {got}");
    }
}

/// A union admits the new version through one more alternative written
/// like the last one, joined as written.
#[test]
fn unions_gain_an_alternative() {
    let npm = Ecosystem::Npm.handler();
    for (written, to, want) in [
        (
            "^0.27.0 || ^0.28.0",
            "1.0.0",
            "^0.27.0 || ^0.28.0 || ^1.0.0",
        ),
        ("1.2.x||1.3.x", "1.4.0", "1.2.x||1.3.x||1.4.x"),
        ("~1.4.2 || ~1.5.0", "2.0.3", "~1.4.2 || ~1.5.0 || ~2.0.3"),
    ] {
        let j = npm.judge(&req(written, Source::Registry), &v(to), None);
        assert_eq!(j.new_requirement.as_deref(), Some(want), "{written}");
    }
}

/// Both configured union styles, through the scan, rewritten and re-read:
/// the new file is JSON, holds the union in the chosen style, and admits the
/// new version.
#[test]
fn union_styles_rewrite_and_reparse() {
    let to = v("1.0.0");
    let library = LibraryNames::acme_core_utils();
    for (style, written, want) in [
        (
            NpmUnions::Add,
            "^0.27.0 || ^0.28.0",
            "^0.27.0 || ^0.28.0 || ^1.0.0",
        ),
        (
            NpmUnions::ReplaceLast,
            "^0.27.0 || ^0.28.0",
            "^0.27.0 || ^1.0.0",
        ),
        (
            NpmUnions::ReplaceLast,
            "0.26.x||0.27.x||0.28.x",
            "0.26.x||0.27.x||1.0.x",
        ),
        (
            NpmUnions::ReplaceLast,
            "^0.28.0 ||  ~0.29.1 ",
            "^0.28.0 ||  ~1.0.0 ",
        ),
    ] {
        let text = format!(
            "{{\n  \"name\": \"app\",\n  \"dependencies\": {{\n    \"@acme/core-utils\": \"{written}\"\n  }}\n}}\n"
        );
        let tree = MemTree::new().with("package.json", text.clone());
        let limits = ScanLimits {
            options: RewriteOptions { npm_unions: style },
            ..ScanLimits::default()
        };
        let report = scan_within(&tree, &library, &to, &limits).expect("no deadline");
        assert_eq!(report.targets.len(), 1, "{style:?} {written}: {report:?}");
        let target = &report.targets[0];
        assert_eq!(
            target.judgement.new_requirement.as_deref(),
            Some(want),
            "{style:?} {written}"
        );
        let files = apply_splices(&tree, &target.splices).expect("splices apply");
        let after = String::from_utf8(files["package.json"].clone()).expect("utf-8");
        assert_eq!(
            after,
            text.replace(written, want),
            "{style:?}: only the range moves"
        );
        let json: Value = serde_json::from_str(&after).expect("still JSON");
        assert_eq!(json["dependencies"]["@acme/core-utils"], want);
        let rescan = scan_within(
            &MemTree::new().with("package.json", after),
            &library,
            &to,
            &limits,
        )
        .expect("no deadline");
        assert!(
            rescan.targets[0].judgement.admits,
            "{style:?} {want} admits {to}"
        );
    }
}

#[test]
fn git_references() {
    let npm = Ecosystem::Npm.handler();
    let git = |reference: GitRef| Source::Git {
        url: "git+https://github.com/acme/core-utils.git".into(),
        reference,
    };
    let tag = npm.judge(
        &req("v1.4.0", git(GitRef::Tag("v1.4.0".into()))),
        &v("2.0.3"),
        None,
    );
    assert_eq!(tag.new_requirement.as_deref(), Some("v2.0.3"));
    assert_eq!(tag.classification, Classification::Major);
    let tag = npm.judge(
        &req(
            "core-utils-v1.4.0",
            git(GitRef::Tag("core-utils-v1.4.0".into())),
        ),
        &v("1.5.0"),
        None,
    );
    assert_eq!(tag.new_requirement.as_deref(), Some("core-utils-v1.5.0"));
    assert_eq!(tag.classification, Classification::Rewrite);
    let rev = npm.judge(
        &req("1a2b3c4", git(GitRef::Rev("1a2b3c4".into()))),
        &v("2.0.3"),
        None,
    );
    assert!(
        rev.unrewritable
            .unwrap_or_default()
            .contains("pinned to commit 1a2b3c4")
    );
    let branch = npm.judge(
        &req("main", git(GitRef::Branch("main".into()))),
        &v("2.0.3"),
        None,
    );
    assert_eq!(branch.classification, Classification::LockfileOnly);
    let semver = npm.judge(
        &req("^1.4.0", git(GitRef::Semver("^1.4.0".into()))),
        &v("2.0.3"),
        None,
    );
    assert_eq!(semver.new_requirement.as_deref(), Some("^2.0.3"));
}

/// Find over one manifest: (key, section, requirement, source kind, span text).
fn found(text: &str) -> Vec<(String, String, String, String, Option<String>)> {
    let tree = MemTree::new().with("package.json", text);
    let npm = Ecosystem::Npm.handler();
    npm.find(&tree, "package.json", text, "@acme/core-utils")
        .expect("parses")
        .into_iter()
        .map(|r| {
            let kind = match &r.source {
                Source::Registry => "registry".to_string(),
                Source::Git { reference, .. } => format!("git:{reference:?}"),
                Source::Workspace { .. } => "workspace".to_string(),
                Source::Path { .. } => "path".to_string(),
            };
            let span = r.span.map(|s| text[s].to_string());
            (r.key, r.section, r.requirement, kind, span)
        })
        .collect()
}

#[test]
fn finds_every_form_and_no_look_alike() {
    let text = r#"{
  "name": "app",
  "dependencies": {
    "core-utils": "^1.0.0",
    "@acme/core-utils-extra": "^1.0.0",
    "@other/core-utils": "^1.0.0",
    "@acme/core-utils": "^1.4.0"
  },
  "devDependencies": { "cu": "npm:@acme/core-utils@~1.4.1", "x": "npm:core-utils@1" },
  "peerDependencies": { "@acme/core-utils": "workspace:^1.4.0" },
  "optionalDependencies": { "@acme/core-utils": "github:acme/core-utils#semver:^1.4.0" }
}"#;
    let got = found(text);
    let want = [
        (
            "@acme/core-utils",
            "dependencies",
            "^1.4.0",
            "registry",
            Some("^1.4.0"),
        ),
        (
            "cu",
            "devDependencies",
            "~1.4.1",
            "registry",
            Some("~1.4.1"),
        ),
        (
            "@acme/core-utils",
            "peerDependencies",
            "^1.4.0",
            "workspace",
            Some("^1.4.0"),
        ),
        (
            "@acme/core-utils",
            "optionalDependencies",
            "^1.4.0",
            "git:Semver(\"^1.4.0\")",
            Some("^1.4.0"),
        ),
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(
            (
                g.0.as_str(),
                g.1.as_str(),
                g.2.as_str(),
                g.3.as_str(),
                g.4.as_deref()
            ),
            w
        );
    }
}

#[test]
fn paths_and_escapes() {
    // A path dependency is not a target; an escaped value has no span.
    assert!(found(r#"{"dependencies": {"@acme/core-utils": "file:../core"}}"#).is_empty());
    let got = found(r#"{"dependencies": {"@acme/core-utils": "\u005e1.4.0"}}"#);
    assert_eq!(got[0].2, "^1.4.0");
    assert_eq!(got[0].4, None);
}

#[test]
fn malformed_manifests_name_line_and_column() {
    let npm = Ecosystem::Npm.handler();
    let tree = MemTree::new();
    let cases = [
        (
            "{\n  \"dependencies\": {\n    \"a\": \"1\"\n    \"b\": \"2\"\n  }\n}",
            4,
            5,
        ),
        ("[]", 1, 1),
        ("{\"workspaces\": \"packages/*\"}", 1, 16),
    ];
    for (text, line, column) in cases {
        let e = npm
            .find(&tree, "package.json", text, "@acme/core-utils")
            .expect_err(text);
        assert_eq!((e.line, e.column), (line, column), "{text}: {e}");
        assert_eq!(e.path, "package.json");
    }
}

/// Entries npm accepts but that name no version are skipped with a warning
/// naming file, line and column; the other requirements stay targets.
#[test]
fn odd_entries_warn_and_hide_nothing() {
    let npm = Ecosystem::Npm.handler();
    let tree = MemTree::new();
    let cases = [
        (
            "{\"dependencies\": [\"a\"], \"devDependencies\": {\"@acme/core-utils\": \"^1\"}}",
            1,
            18,
        ),
        (
            "{\"dependencies\": {\"@acme/core-utils\": 1}, \"devDependencies\": {\"@acme/core-utils\": \"^1\"}}",
            1,
            39,
        ),
        (
            "{\"dependencies\": {\n  \"enabled\": false,\n  \"@acme/core-utils\": \"^1\"}}",
            2,
            14,
        ),
    ];
    for (text, line, column) in cases {
        let found = npm
            .find_with_warnings(&tree, "package.json", text, "@acme/core-utils")
            .expect(text);
        assert_eq!(found.requirements.len(), 1, "{text}");
        assert_eq!(found.requirements[0].requirement, "^1");
        let w = &found.warnings[0];
        assert_eq!(
            (w.path.as_str(), w.line, w.column),
            ("package.json", line, column),
            "{text}: {w}"
        );
    }
}

/// An alias keeping an old version beside the library in the same section
/// is reported and left alone; the library itself is the target.
#[test]
fn alias_side_by_side_is_left_alone() {
    let npm = Ecosystem::Npm.handler();
    let text = r#"{"dependencies": {"@acme/core-utils": "^2.1.0", "@acme/core-utils-1": "npm:@acme/core-utils@1.2.0"}}"#;
    let found = npm
        .find_with_warnings(&MemTree::new(), "package.json", text, "@acme/core-utils")
        .expect("parses");
    assert_eq!(found.requirements.len(), 1);
    assert_eq!(found.requirements[0].key, "@acme/core-utils");
    assert!(
        found.warnings[0].message.contains("side by side"),
        "{:?}",
        found.warnings
    );
}

#[test]
fn package_info_resolves_aliases() {
    let npm = Ecosystem::Npm.handler();
    let text = r#"{"name": "@acme/web", "dependencies": {"cu": "npm:@acme/core-utils@^1", "react": "^18"},
      "devDependencies": {"react": "^18", "jest": "^29"}}"#;
    let info = npm.package_info("package.json", text).expect("parses");
    assert_eq!(info.publishes.as_deref(), Some("@acme/web"));
    assert_eq!(info.requires, vec!["@acme/core-utils", "jest", "react"]);
}

#[test]
fn lockfiles_pin_versions() {
    let npm = Ecosystem::Npm.handler();
    let manifest = r#"{"dependencies": {"@acme/core-utils": "^1.4.0"}}"#;
    let member = r#"{"dependencies": {"cu": "npm:@acme/core-utils@^1.4.0"}}"#;
    let cases: Vec<(&str, &str, &str, Option<&str>, &str)> = vec![
        (
            "package-lock.json",
            r#"{"lockfileVersion": 3, "packages": {"": {}, "node_modules/@acme/core-utils": {"version": "1.4.2"},
               "packages/web/node_modules/cu": {"name": "@acme/core-utils", "version": "1.4.7"}}}"#,
            "packages/web/package.json",
            Some("1.4.7"),
            "npm install --package-lock-only --ignore-scripts",
        ),
        (
            "package-lock.json",
            r#"{"lockfileVersion": 1, "dependencies": {"@acme/core-utils": {"version": "1.4.2"}}}"#,
            "package.json",
            Some("1.4.2"),
            "npm install --package-lock-only --ignore-scripts",
        ),
        (
            "yarn.lock",
            "# yarn lockfile v1\n\n\"@acme/core-utils@^1.4.0\", \"@acme/core-utils@^1.2.0\":\n  version \"1.4.3\"\n  resolved \"x\"\n",
            "package.json",
            Some("1.4.3"),
            "yarn upgrade @acme/core-utils@2.0.3",
        ),
        (
            "yarn.lock",
            "__metadata:\n  version: 6\n\n\"@acme/core-utils@npm:^1.4.0\":\n  version: 1.4.5\n  resolution: \"@acme/core-utils@npm:1.4.5\"\n",
            "package.json",
            Some("1.4.5"),
            "yarn up @acme/core-utils@2.0.3",
        ),
        (
            "pnpm-lock.yaml",
            "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      '@acme/core-utils':\n        specifier: ^1.4.0\n        version: 1.4.6\n",
            "package.json",
            Some("1.4.6"),
            "pnpm update --lockfile-only @acme/core-utils@2.0.3",
        ),
    ];
    for (lock_name, lock, manifest_path, want, command) in cases {
        let text = if manifest_path == "package.json" {
            manifest
        } else {
            member
        };
        let tree = MemTree::new()
            .with(lock_name, lock)
            .with("package.json", manifest)
            .with(manifest_path, text);
        let reqs = npm
            .find(&tree, manifest_path, text, "@acme/core-utils")
            .expect("find");
        let r = &reqs[0];
        let got = npm
            .locked_version(&tree, r, "@acme/core-utils")
            .expect(lock_name);
        assert_eq!(got.as_deref(), want, "{lock_name}");
        let refresh = npm
            .lock_refresh(&tree, r, "@acme/core-utils", &v("2.0.3"))
            .expect("refresh");
        assert_eq!(refresh.lockfile, lock_name);
        assert_eq!(
            refresh.commands,
            vec![command.split(' ').map(String::from).collect::<Vec<_>>()]
        );
    }
}

#[test]
fn malformed_lockfiles_are_errors() {
    let npm = Ecosystem::Npm.handler();
    let manifest = r#"{"dependencies": {"@acme/core-utils": "^1.4.0"}}"#;
    for (name, lock, line) in [
        ("package-lock.json", "{\n  \"packages\": {,\n}", 2),
        (
            "yarn.lock",
            "\"@acme/core-utils@^1.4.0\"\n  version \"1.4.3\"\n",
            1,
        ),
        ("pnpm-lock.yaml", "importers:\n  .:\n\tdependencies:\n", 3),
    ] {
        let tree = MemTree::new()
            .with(name, lock)
            .with("package.json", manifest);
        let reqs = npm
            .find(&tree, "package.json", manifest, "@acme/core-utils")
            .expect("find");
        let e = npm
            .locked_version(&tree, &reqs[0], "@acme/core-utils")
            .expect_err(name);
        assert_eq!((e.path.as_str(), e.line), (name, line), "{e}");
    }
}
