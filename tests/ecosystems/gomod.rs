//! Go modules: conformance with golang.org/x/mod over every section of
//! `go.json`, table tests of judge/rewrite, and directory snapshots.

use serde_json::Value;
use wavebump::ecosystem::gomod::{module, pseudo, semver as gosemver};
use wavebump::ecosystem::{Ecosystem, MemTree, Requirement, Source};

use crate::support::conformance::{Tally, load};
use crate::support::snapshot;

const LIB: &str = "github.com/acme/core-utils";

#[test]
fn snapshots() {
    let n = snapshot::check_all(Ecosystem::Go);
    println!("{n} gomod snapshot cases");
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

#[test]
fn conformance_module_check_and_match_path_major() {
    let data = load("go");
    let mut tally = Tally::new("go cases (module.Check, module.MatchPathMajor)");
    for case in data["cases"].as_array().unwrap() {
        let (req, version) = (s(&case["req"]), s(&case["version"]));
        let want = case["matches"].as_bool().unwrap();
        let api = s(&case["options"]["api"]);
        let got = match api {
            "module.Check" => module::check(req, version).is_ok(),
            "module.MatchPathMajor" => module::match_path_major(version, req),
            other => panic!("unknown api {other}"),
        };
        tally.case(
            format!("{api}({req:?}, {version:?}) want {want}"),
            got == want,
            None,
        );
    }
    tally.finish();
}

#[test]
fn conformance_split_path_version() {
    let data = load("go");
    let mut tally = Tally::new("go split_path_version");
    for case in data["split_path_version"].as_array().unwrap() {
        let path = s(&case["path"]);
        let want = (
            s(&case["prefix"]),
            s(&case["path_major"]),
            case["ok"].as_bool().unwrap(),
        );
        let got = module::split_path_version(path);
        tally.case(
            format!("{path:?}: want {want:?} got {got:?}"),
            got == want,
            None,
        );
    }
    tally.finish();
}

#[test]
fn conformance_check_path() {
    let data = load("go");
    let mut tally = Tally::new("go check_path (CheckPath, CheckImportPath, CheckFilePath)");
    for case in data["check_path"].as_array().unwrap() {
        let path = s(&case["path"]);
        type Check = fn(&str) -> Result<(), module::ModuleError>;
        let checks: [(&str, Check); 3] = [
            ("check_path_ok", module::check_path),
            ("check_import_path_ok", module::check_import_path),
            ("check_file_path_ok", module::check_file_path),
        ];
        for (field, check) in checks {
            let want = case[field].as_bool().unwrap();
            let got = check(path).is_ok();
            tally.case(format!("{field}({path:?}) want {want}"), got == want, None);
        }
    }
    tally.finish();
}

#[test]
fn conformance_semver_valid_and_compare() {
    let data = load("go");
    let mut tally = Tally::new("go semver_valid + semver_compare");
    for case in data["semver_valid"].as_array().unwrap() {
        let v = s(&case["version"]);
        let want = (
            case["valid"].as_bool().unwrap(),
            s(&case["canonical"]).to_string(),
        );
        let got = (gosemver::is_valid(v), gosemver::canonical(v));
        tally.case(
            format!("valid/canonical({v:?}) want {want:?} got {got:?}"),
            got == want,
            None,
        );
    }
    for case in data["semver_compare"].as_array().unwrap() {
        let (a, b) = (s(&case[0]), s(&case[1]));
        let want = case[2].as_i64().unwrap();
        let got = gosemver::compare(a, b) as i64;
        tally.case(
            format!("compare({a:?}, {b:?}) want {want} got {got}"),
            got == want,
            None,
        );
    }
    tally.finish();
}

#[test]
fn conformance_pseudo_versions() {
    let data = load("go");
    let mut tally = Tally::new("go pseudo_versions + pseudo_version_base_invalid");
    for case in data["pseudo_versions"].as_array().unwrap() {
        let (major, older, version) = (s(&case["major"]), s(&case["older"]), s(&case["version"]));
        let is_pseudo = pseudo::is_pseudo_version(version);
        let base = pseudo::pseudo_version_base(version);
        tally.case(
            format!("IsPseudoVersion({version:?}) && PseudoVersionBase == {older:?}: got {is_pseudo}, {base:?}"),
            is_pseudo && base.as_deref() == Ok(older),
            None,
        );
        // The same case read forwards: PseudoVersion(major, older, t, rev).
        let stamp = "20060102150405";
        let major = if major == "unused" { "" } else { major };
        let built = pseudo::pseudo_version(major, older, stamp, "hash");
        tally.case(
            format!("PseudoVersion({major:?}, {older:?}) want {version:?} got {built:?}"),
            built == version,
            None,
        );
    }
    for case in data["pseudo_version_base_invalid"].as_array().unwrap() {
        let v = s(case);
        let got = pseudo::pseudo_version_base(v);
        tally.case(
            format!("PseudoVersionBase({v:?}) must fail, got {got:?}"),
            got.is_err(),
            None,
        );
    }
    tally.finish();
}

fn req(section: &str, key: &str, version: &str) -> Requirement {
    Requirement {
        ecosystem: Ecosystem::Go,
        path: "go.mod".into(),
        line: 3,
        section: section.into(),
        key: key.into(),
        requirement: version.into(),
        source: Source::Registry,
        span: Some(0..version.len()),
        span_path: "go.mod".into(),
    }
}

/// The verdict as one line: `admits classification new-requirement`.
fn verdict(section: &str, key: &str, version: &str, to: &str, locked: Option<&str>) -> String {
    let go = Ecosystem::Go.handler();
    let to = semver::Version::parse(to).unwrap();
    let j = go.judge(&req(section, key, version), &to, locked);
    let new = match (&j.new_requirement, &j.unrewritable) {
        (_, Some(_)) => "unrewritable",
        (Some(n), None) => n.as_str(),
        (None, None) => "-",
    };
    format!("{} {} {new}", j.admits, j.classification)
}

#[test]
#[rustfmt::skip]
fn judge_table() {
    let v2 = "github.com/acme/core-utils/v2";
    let fork = "github.com/me/fork";
    // (section, key, requirement, to, locked, verdict)
    let table = [
        ("require", LIB, "v1.4.0", "1.5.0", None, "false rewrite v1.5.0"),
        ("require", LIB, "v1.4", "1.5.0", None, "false rewrite v1.5.0"),
        ("require", LIB, "v1.6.0", "1.5.0", None, "true up-to-date -"),
        ("require", LIB, "v1.5.0", "1.5.0", None, "true up-to-date -"),
        ("require", LIB, "v1.4.0", "1.5.0", Some("v1.5.2"), "false up-to-date -"),
        ("require", LIB, "v1.4.0", "2.0.3", None, "false major v2.0.3"),
        ("require (indirect)", LIB, "v0.9.0", "1.0.0", None, "false rewrite v1.0.0"),
        ("require", v2, "v2.0.1", "2.0.3", None, "false rewrite v2.0.3"),
        ("require", v2, "v2.0.1", "3.0.0", None, "false major v3.0.0"),
        ("require", v2, "v2.1.0", "2.0.3", None, "true up-to-date -"),
        // Pseudo-versions order by their base: a commit after v2.0.2 is below v2.0.3.
        ("require", v2, "v2.0.3-0.20240102030405-abcdef123456", "2.0.3", None, "false rewrite v2.0.3"),
        ("require", v2, "v2.0.4-0.20240102030405-abcdef123456", "2.0.3", None, "true up-to-date -"),
        ("require", LIB, "v0.0.0-20240102030405-abcdef123456", "0.1.0", None, "false rewrite v0.1.0"),
        // A library without go.mod stays +incompatible.
        ("require", LIB, "v2.0.0+incompatible", "2.0.3", None, "false rewrite v2.0.3+incompatible"),
        ("require", LIB, "v2.0.0+incompatible", "3.1.0", None, "false rewrite v3.1.0+incompatible"),
        ("require", LIB, "v2.0.5+incompatible", "2.0.3", None, "true up-to-date -"),
        ("replace", LIB, "v1.4.1", "1.5.0", None, "false rewrite v1.5.0"),
        ("replace (fork)", fork, "v1.4.1", "1.5.0", None, "false rewrite unrewritable"),
        ("require", LIB, "v1.4.0", "2.0.3-rc.1", None, "false major v2.0.3-rc.1"),
        ("require", LIB, "master", "1.5.0", None, "false rewrite unrewritable"),
    ];
    for (section, key, version, to, locked, want) in table {
        let got = verdict(section, key, version, to, locked);
        assert_eq!(got, want, "{section} {key} {version} -> {to} (locked {locked:?})");
    }
}

fn rewritten(tree: &MemTree, to: &str) -> MemTree {
    let go = Ecosystem::Go.handler();
    let to = semver::Version::parse(to).unwrap();
    let mut splices = Vec::new();
    for path in tree
        .iter()
        .map(|(p, _)| p.clone())
        .filter(|p| go.is_manifest(p))
    {
        let text = String::from_utf8(tree.get(&path).unwrap().to_vec()).unwrap();
        for r in go.find(tree, &path, &text, LIB).unwrap() {
            splices.extend(go.rewrite(tree, &r, &to).unwrap());
        }
    }
    let mut out = tree.clone();
    for (path, bytes) in wavebump::ecosystem::apply_splices(tree, &splices).unwrap() {
        out.insert(path, bytes);
    }
    out
}

fn text(tree: &MemTree, path: &str) -> String {
    String::from_utf8(tree.get(path).unwrap().to_vec()).unwrap()
}

#[test]
fn rewrite_table() {
    // (go.mod before, to, go.mod after)
    let table = [
        (
            "require github.com/acme/core-utils v1.4.0\n",
            "1.5.0",
            "require github.com/acme/core-utils v1.5.0\n",
        ),
        (
            "require \"github.com/acme/core-utils\" \"v1.4\"\n",
            "1.5.0",
            "require \"github.com/acme/core-utils\" \"v1.5.0\"\n",
        ),
        (
            "require github.com/acme/core-utils v1.4.0\n",
            "2.0.3",
            "require github.com/acme/core-utils/v2 v2.0.3\n",
        ),
        (
            "require github.com/acme/core-utils/v2 v2.0.0\n",
            "3.0.0",
            "require github.com/acme/core-utils/v3 v3.0.0\n",
        ),
        (
            "replace github.com/acme/core-utils => github.com/acme/core-utils v1.4.1\n",
            "2.0.3",
            "replace github.com/acme/core-utils/v2 => github.com/acme/core-utils/v2 v2.0.3\n",
        ),
        (
            "require github.com/acme/core-utils v1.4.0\nreplace github.com/acme/core-utils => ../cu\nreplace github.com/acme/core-utils v1.3.0 => ../old\n",
            "2.0.3",
            "require github.com/acme/core-utils/v2 v2.0.3\nreplace github.com/acme/core-utils/v2 => ../cu\nreplace github.com/acme/core-utils v1.3.0 => ../old\n",
        ),
        (
            "replace example.com/x => github.com/acme/core-utils v1.4.1\n",
            "1.6.0",
            "replace example.com/x => github.com/acme/core-utils v1.6.0\n",
        ),
        (
            "require github.com/acme/core-utils v2.0.0+incompatible\n",
            "2.1.0",
            "require github.com/acme/core-utils v2.1.0+incompatible\n",
        ),
    ];
    for (before, to, after) in table {
        let tree = MemTree::new().with("go.mod", before);
        assert_eq!(
            text(&rewritten(&tree, to), "go.mod"),
            after,
            "{before:?} -> {to}"
        );
    }
}

#[test]
fn major_rewrites_imports_of_the_module_only() {
    let tree = MemTree::new()
        .with("go.mod", "module example.com/app\n\nrequire github.com/acme/core-utils v1.4.0\n")
        .with(
            "main.go",
            "package main\n\nimport (\n\t\"fmt\"\n\tcu \"github.com/acme/core-utils/pkg/x\"\n\t\"github.com/acme/core-utils-extra/y\"\n\t\"github.com/acme/core-utils/v3/z\"\n)\n\nvar s = \"github.com/acme/core-utils\"\n",
        )
        .with("tools/go.mod", "module example.com/app/tools\n")
        .with("tools/t.go", "package tools\nimport \"github.com/acme/core-utils\"\n")
        .with("vendor/github.com/acme/core-utils/a.go", "package a\nimport \"github.com/acme/core-utils/b\"\n");
    let out = rewritten(&tree, "2.0.3");
    assert_eq!(
        text(&out, "main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\tcu \"github.com/acme/core-utils/v2/pkg/x\"\n\t\"github.com/acme/core-utils-extra/y\"\n\t\"github.com/acme/core-utils/v3/z\"\n)\n\nvar s = \"github.com/acme/core-utils\"\n"
    );
    assert_eq!(out.get("tools/t.go"), tree.get("tools/t.go"));
    assert_eq!(
        out.get("vendor/github.com/acme/core-utils/a.go"),
        tree.get("vendor/github.com/acme/core-utils/a.go")
    );
}

#[test]
fn unrewritable_majors_say_why() {
    let go = Ecosystem::Go.handler();
    let to = semver::Version::parse("2.0.3").unwrap();
    let cases = [
        (
            MemTree::new().with(
                "go.mod",
                "replace github.com/acme/core-utils v1.4.0 => github.com/acme/core-utils v1.4.1\n",
            ),
            "pins",
        ),
        (
            MemTree::new()
                .with("go.mod", "require github.com/acme/core-utils v1.4.0\n")
                .with("a.go", "package a\nimport \"github.com/acme/core-utils\n"),
            "a.go",
        ),
    ];
    for (tree, want) in cases {
        let text = text(&tree, "go.mod");
        let r = go.find(&tree, "go.mod", &text, LIB).unwrap().remove(0);
        let e = go.rewrite(&tree, &r, &to).unwrap_err();
        assert!(e.to_string().contains(want), "{e}");
    }
}

#[test]
fn locked_version_and_refresh() {
    let go = Ecosystem::Go.handler();
    let tree = MemTree::new()
        .with("svc/go.mod", "module example.com/svc\nrequire github.com/acme/core-utils v1.4.0\n")
        .with(
            "svc/go.sum",
            "github.com/acme/core-utils v1.3.0/go.mod h1:a=\ngithub.com/acme/core-utils v1.4.0 h1:b=\ngithub.com/acme/core-utils v1.4.0/go.mod h1:c=\ngithub.com/acme/core-utils v1.5.0/go.mod h1:d=\n",
        )
        .with("lib/go.mod", "module example.com/lib\nrequire github.com/acme/core-utils v1.2.0\n")
        .with("lib/go.sum", "github.com/acme/core-utils v1.1.0 h1:b=\ngithub.com/acme/core-utils v1.3.0/go.mod h1:c=\n")
        .with("bad/go.mod", "require github.com/acme/core-utils v1.2.0\n")
        .with("bad/go.sum", "github.com/acme/core-utils\n")
        .with("nolock/go.mod", "require github.com/acme/core-utils v1.2.0\n");
    let to = semver::Version::parse("2.0.3").unwrap();
    let first = |path: &str| {
        let text = text(&tree, path);
        go.find(&tree, path, &text, LIB).unwrap().remove(0)
    };
    let svc = first("svc/go.mod");
    assert_eq!(
        go.locked_version(&tree, &svc, LIB).unwrap().as_deref(),
        Some("v1.4.0")
    );
    let refresh = go.lock_refresh(&tree, &svc, LIB, &to).unwrap();
    assert_eq!(refresh.dir, "svc");
    assert_eq!(refresh.lockfile, "svc/go.sum");
    assert_eq!(
        refresh.commands,
        vec![
            vec!["go", "get", "github.com/acme/core-utils/v2@v2.0.3"],
            vec!["go", "mod", "tidy"],
        ]
    );
    let lib = first("lib/go.mod");
    assert_eq!(
        go.locked_version(&tree, &lib, LIB).unwrap().as_deref(),
        Some("v1.3.0")
    );
    let e = go
        .locked_version(&tree, &first("bad/go.mod"), LIB)
        .unwrap_err();
    assert_eq!((e.path.as_str(), e.line), ("bad/go.sum", 1));
    let nolock = first("nolock/go.mod");
    assert_eq!(go.locked_version(&tree, &nolock, LIB).unwrap(), None);
    assert_eq!(go.lock_refresh(&tree, &nolock, LIB, &to), None);
}

#[test]
fn workspace_sum_serves_modules_it_uses() {
    let go = Ecosystem::Go.handler();
    let tree = MemTree::new()
        .with("go.work", "go 1.22\n\nuse (\n\t./api\n)\n")
        .with("go.work.sum", "github.com/acme/core-utils v1.4.0 h1:x=\n")
        .with(
            "api/go.mod",
            "module example.com/api\nrequire github.com/acme/core-utils v1.4.0\n",
        )
        .with(
            "other/go.mod",
            "module example.com/other\nrequire github.com/acme/core-utils v1.4.0\n",
        );
    let first = |path: &str| {
        let text = text(&tree, path);
        go.find(&tree, path, &text, LIB).unwrap().remove(0)
    };
    assert_eq!(
        go.locked_version(&tree, &first("api/go.mod"), LIB)
            .unwrap()
            .as_deref(),
        Some("v1.4.0")
    );
    assert_eq!(
        go.locked_version(&tree, &first("other/go.mod"), LIB)
            .unwrap(),
        None
    );
}

#[test]
fn malformed_manifests_name_line_and_column() {
    let go = Ecosystem::Go.handler();
    let table = [
        (
            "module a\n\nrequire (\n\tgithub.com/acme/core-utils v1.4.0\n",
            3,
            1,
            "expected )",
        ),
        (
            "module a\nrequire github.com/acme/core-utils v1.4\u{0}\n",
            2,
            40,
            "unexpected character",
        ),
        (
            "module a\r\nrequire github.com/acme/core-utils v2.0.0\r\n",
            2,
            36,
            "does not match",
        ),
        (
            "module a\nrequire \"github.com/acme/core-utils v1.4.0\n",
            2,
            9,
            "closing \"",
        ),
    ];
    for (text, line, column, want) in table {
        let e = go.find(&MemTree::new(), "x/go.mod", text, LIB).unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.line, e.column),
            ("x/go.mod", line, column),
            "{text:?}: {e}"
        );
        assert!(e.message.contains(want), "{text:?}: {e}");
    }
}

#[test]
fn package_info_publishes_module_and_requires_all() {
    let go = Ecosystem::Go.handler();
    let info = go
        .package_info(
            "go.mod",
            "module github.com/acme/billing-lib\n\nrequire (\n\tgithub.com/acme/core-utils/v2 v2.0.1\n\tgolang.org/x/text v0.14.0 // indirect\n)\n",
        )
        .unwrap();
    assert_eq!(
        info.publishes.as_deref(),
        Some("github.com/acme/billing-lib")
    );
    assert_eq!(
        info.requires,
        ["github.com/acme/core-utils/v2", "golang.org/x/text"]
    );
    let work = go.package_info("go.work", "go 1.22\nuse ./a\n").unwrap();
    assert_eq!(work.publishes, None);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// A major rewrite reads every `.go` file of the module: whatever they
    /// hold, the scan neither panics nor emits a splice with a quote in it.
    #[test]
    fn major_rewrite_over_arbitrary_go_files_never_panics(
        body in "[ -~\n\t]{0,120}",
        cut in 0usize..200,
    ) {
        let src = format!(
            "package p\nimport (\n\tcu \"github.com/acme/core-utils/x\"\n{body}\n)\n"
        );
        let src: String = src.chars().take(cut).collect();
        let tree = MemTree::new()
            .with("go.mod", "module example.com/p\nrequire github.com/acme/core-utils v1.4.0\n")
            .with("p.go", src);
        let to = semver::Version::parse("2.0.3").unwrap();
        let report = wavebump::ecosystem::scan(&tree, &wavebump::ecosystem::LibraryNames::acme_core_utils(), &to);
        for t in &report.targets {
            for sp in &t.splices {
                proptest::prop_assert!(!sp.replacement.contains('"'));
            }
        }
        let splices: Vec<_> = report.targets.iter().flat_map(|t| t.splices.clone()).collect();
        proptest::prop_assert!(wavebump::ecosystem::apply_splices(&tree, &splices).is_ok());
    }
}

/// gopkg.in writes the major as `.vN`: a move to v2 rewrites
/// `gopkg.in/NAME.v1` to `gopkg.in/NAME.v2` in go.mod and in imports.
#[test]
fn gopkg_in_majors_are_dot_v() {
    use wavebump::ecosystem::{Classification, LibraryNames, SourceTree, apply_splices, scan};
    let mut names = LibraryNames::acme_core_utils();
    names.go = Some("gopkg.in/acme/core-utils.v1".into());
    let tree = MemTree::new()
        .with(
            "go.mod",
            "module example.com/svc\n\ngo 1.22\n\nrequire gopkg.in/acme/core-utils.v1 v1.4.0\n",
        )
        .with(
            "main.go",
            "package main\n\nimport (\n\tcu \"gopkg.in/acme/core-utils.v1\"\n\t\"gopkg.in/acme/core-utils.v1/strutil\"\n)\n\nfunc main() { cu.X(); strutil.Y() }\n",
        );
    let to = semver::Version::new(2, 0, 0);
    let report = scan(&tree, &names, &to);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.targets.len(), 1);
    let t = &report.targets[0];
    assert_eq!(t.judgement.classification, Classification::Major);
    let splices: Vec<_> = t.splices.clone();
    let out = apply_splices(&tree, &splices).expect("applies");
    let gomod = String::from_utf8(out["go.mod"].clone()).unwrap();
    assert!(
        gomod.contains("require gopkg.in/acme/core-utils.v2 v2.0.0\n"),
        "{gomod}"
    );
    let main = String::from_utf8(out["main.go"].clone()).unwrap();
    assert!(
        main.contains("cu \"gopkg.in/acme/core-utils.v2\""),
        "{main}"
    );
    assert!(
        main.contains("\"gopkg.in/acme/core-utils.v2/strutil\""),
        "{main}"
    );
    // Reparse: the rewritten module is found again, admitting the release.
    let mut again = MemTree::new();
    for path in tree.files() {
        let bytes = out
            .get(&path)
            .cloned()
            .unwrap_or_else(|| tree.read(&path).unwrap());
        again.insert(path, bytes);
    }
    let report = scan(&again, &names, &to);
    assert_eq!(report.targets.len(), 1, "{report:?}");
    assert!(report.targets[0].judgement.admits);
}
