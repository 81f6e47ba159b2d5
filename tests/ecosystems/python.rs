//! Python: snapshots, PEP 440 conformance against `packaging`'s own suite,
//! and tables of judge and rewrite rules.

use wavebump::ecosystem::Ecosystem;
use wavebump::ecosystem::python::specifier::{Specifier, SpecifierSet};

use crate::support::conformance::{Tally, load};
use crate::support::snapshot;

#[test]
fn snapshots() {
    let n = snapshot::check_all(Ecosystem::Python);
    println!("{n} python snapshot cases");
}

/// Cases we knowingly answer differently from `packaging`, with the reason.
const DECLINED: &[(&str, &str, &str)] = &[];

#[test]
fn pep440_conformance() {
    let data = load("pep440");
    let mut tally = Tally::new("pep440");
    let cases = data["cases"].as_array().expect("cases");
    for case in cases {
        let req = case["req"].as_str().expect("req");
        let version = case["version"].as_str().expect("version");
        let want = case["matches"].as_bool().expect("matches");
        let options = &case["options"];
        let api = options["api"].as_str().expect("api");
        let configured = options["prereleases"].as_bool();
        let call = options["contains_prereleases"].as_bool();
        let got = match api {
            "Specifier" => Specifier::parse(req).map(|s| s.contains(version, configured, call)),
            "SpecifierSet" => SpecifierSet::parse(req)
                .ok()
                .map(|s| s.contains(version, configured, call)),
            other => panic!("unknown api {other}"),
        };
        let label = format!(
            "{api}({req:?}, prereleases={configured:?}).contains({version:?}, prereleases={call:?}) = {want}, got {got:?}"
        );
        let declined = DECLINED
            .iter()
            .find(|(r, v, _)| *r == req && *v == version)
            .map(|(_, _, why)| *why);
        tally.case(label, got == Some(want), declined);
    }
    for case in data["invalid_reqs"].as_array().expect("invalid_reqs") {
        let req = case["req"].as_str().expect("req");
        let parsed = Specifier::parse(req).is_some();
        tally.case(format!("Specifier({req:?}) must be invalid"), !parsed, None);
    }
    tally.finish();
}

use wavebump::ecosystem::python::Python;
use wavebump::ecosystem::{Classification, Handler, MemTree, Requirement, Source};

fn registry_req(section: &str, requirement: &str) -> Requirement {
    Requirement {
        ecosystem: Ecosystem::Python,
        path: "requirements.txt".into(),
        line: 1,
        section: section.into(),
        key: "core-utils".into(),
        requirement: requirement.into(),
        source: Source::Registry,
        span: None,
        span_path: "requirements.txt".into(),
    }
}

fn version(s: &str) -> semver::Version {
    semver::Version::parse(s).expect("semver")
}

/// `assert_req_bump`-style table: (section, requirement, to, new requirement
/// or `Err(reason fragment)`).
#[test]
fn rewrite_rules() {
    let pep = "requirements";
    let poetry = "tool.poetry.dependencies";
    let cases: &[(&str, &str, &str, Result<&str, &str>)] = &[
        (pep, "==1.4.*", "2.0.3", Ok("==2.0.*")),
        (pep, "~=1.4", "2.0.3", Ok("~=2.0")),
        (pep, "~=1.4.2", "2.0.3", Ok("~=2.0.3")),
        (pep, "==1.4.2", "2.0.3", Ok("==2.0.3")),
        (pep, "==1.4", "2.0.0", Ok("==2.0")),
        (pep, ">=1.4,<2", "2.0.3", Ok(">=1.4,<3")),
        (pep, ">=1.4, <2.0", "2.0.3", Ok(">=1.4, <3.0")),
        (pep, ">=1.4,<1.6", "1.7.1", Ok(">=1.4,<1.8")),
        (pep, "<=1.9", "2.0.3", Ok("<=2.0.3")),
        (pep, ">=1.4,!=2.0.3,<2", "2.0.3", Err("excludes 2.0.3")),
        (pep, ">=1.4,!=2.0.*,<2", "2.0.3", Err("excludes 2.0.3")),
        (pep, ">=1.4,!=1.5,<2", "2.0.3", Ok(">=1.4,!=1.5,<3")),
        (pep, "===1.4.2", "2.0.3", Err("arbitrary equality")),
        (pep, "==1.4.2+acme", "2.0.3", Err("local version")),
        (pep, "==1.4.2", "2.0.0-rc.1", Ok("==2.0.0rc1")),
        (poetry, "^1.4", "2.0.3", Ok("^2.0")),
        (poetry, "^1.4.2", "2.0.3", Ok("^2.0.3")),
        (poetry, "~1.4.2", "2.0.3", Ok("~2.0.3")),
        (poetry, "1.4.2", "2.0.3", Ok("2.0.3")),
        (poetry, ">=1.4 <2", "2.0.3", Ok(">=1.4 <3")),
        (poetry, "1.4.*", "2.0.3", Ok("2.0.*")),
        (poetry, "^1.4 || ^1.6", "2.0.3", Err("union")),
    ];
    let mut failures = Vec::new();
    for (section, req, to, want) in cases {
        let j = Python.judge(&registry_req(section, req), &version(to), None);
        let got = match (&j.new_requirement, &j.unrewritable) {
            (Some(new), None) => Ok(new.as_str()),
            (_, Some(reason)) => Err(reason.as_str()),
            (None, None) => Err("no rewrite"),
        };
        let ok = match (want, got) {
            (Ok(w), Ok(g)) => *w == g,
            (Err(w), Err(g)) => g.contains(w),
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{section} {req} -> {to}: want {want:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// (section, requirement, to, locked, classification, admits)
type ClassCase<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Classification,
    bool,
);

#[test]
fn classification_table() {
    use Classification::*;
    let cases: &[ClassCase] = &[
        // section, requirement, to, locked, classification, admits
        ("requirements", ">=1.4", "2.0.3", None, LockfileOnly, true),
        (
            "requirements",
            ">=1.4",
            "2.0.3",
            Some("2.1.0"),
            UpToDate,
            true,
        ),
        ("requirements", "==2.0.3", "2.0.3", None, UpToDate, true),
        ("requirements", "~=1.4", "1.9.0", None, LockfileOnly, true),
        ("requirements", "~=1.4.2", "1.5.0", None, Rewrite, false),
        (
            "requirements",
            ">=1.4,<2",
            "2.0.3",
            Some("1.9.9"),
            Major,
            false,
        ),
        ("requirements", "==0.4.*", "0.5.0", None, Major, false),
        ("requirements", "", "2.0.3", None, LockfileOnly, true),
        ("requirements", ">=1.0,<2", "2.0.0-rc.1", None, Major, false),
        (
            "tool.poetry.dependencies",
            "^0.4",
            "0.5.0",
            None,
            Major,
            false,
        ),
        (
            "tool.poetry.dependencies",
            "^1.4",
            "1.9.0",
            None,
            LockfileOnly,
            true,
        ),
        (
            "tool.poetry.dependencies",
            "~1.4",
            "1.5.0",
            None,
            Rewrite,
            false,
        ),
        (
            "tool.poetry.dependencies",
            "*",
            "9.0.0",
            None,
            LockfileOnly,
            true,
        ),
    ];
    for (section, req, to, locked, class, admits) in cases {
        let j = Python.judge(&registry_req(section, req), &version(to), *locked);
        assert_eq!(
            (j.classification, j.admits),
            (*class, *admits),
            "{section} {req:?} -> {to} locked {locked:?}"
        );
    }
}

#[test]
fn git_refs() {
    use wavebump::ecosystem::GitRef;
    let git = |reference: GitRef| Requirement {
        source: Source::Git {
            url: "https://github.com/acme/core-utils".into(),
            reference,
        },
        ..registry_req("requirements", "")
    };
    let to = version("2.0.3");
    let j = Python.judge(&git(GitRef::Tag("core-utils-v1.4.0".into())), &to, None);
    assert_eq!(j.new_requirement.as_deref(), Some("core-utils-v2.0.3"));
    assert_eq!(j.classification, Classification::Major);
    let j = Python.judge(&git(GitRef::Rev("0123abcd".into())), &to, None);
    assert_eq!(j.unrewritable.as_deref(), Some("pinned to commit 0123abcd"));
    let j = Python.judge(&git(GitRef::Branch("main".into())), &to, None);
    assert_eq!(j.classification, Classification::LockfileOnly);
}

#[test]
fn lock_refresh_commands() {
    let to = version("2.0.3");
    let cases = [
        ("svc/poetry.lock", vec!["poetry", "lock", "--no-update"]),
        (
            "svc/uv.lock",
            vec!["uv", "lock", "--upgrade-package", "core-utils"],
        ),
    ];
    for (lock, want) in cases {
        let tree = MemTree::new()
            .with(
                "svc/pyproject.toml",
                "[project]\ndependencies = [\"core-utils>=1.4\"]\n",
            )
            .with(
                lock,
                "[[package]]\nname = \"core-utils\"\nversion = \"1.4.0\"\n",
            );
        let text = "[project]\ndependencies = [\"core-utils>=1.4\"]\n";
        let reqs = Python
            .find(&tree, "svc/pyproject.toml", text, "core-utils")
            .expect("find");
        let req = &reqs[0];
        assert_eq!(
            Python
                .locked_version(&tree, req, "core-utils")
                .expect("lock")
                .as_deref(),
            Some("1.4.0")
        );
        let refresh = Python
            .lock_refresh(&tree, req, "core-utils", &to)
            .expect("refresh");
        assert_eq!(
            (refresh.dir.as_str(), refresh.lockfile.as_str()),
            ("svc", lock)
        );
        assert_eq!(refresh.commands, vec![want]);
    }
    let tree = MemTree::new().with("requirements.txt", "core-utils==1.4.0\n");
    let reqs = Python
        .find(
            &tree,
            "requirements.txt",
            "core-utils==1.4.0\n",
            "core-utils",
        )
        .expect("find");
    assert_eq!(
        Python
            .locked_version(&tree, &reqs[0], "core-utils")
            .expect("ok"),
        None
    );
    assert_eq!(
        Python.lock_refresh(&tree, &reqs[0], "core-utils", &to),
        None
    );
}

#[test]
fn package_info_normalises() {
    let text = "[project]\nname = \"Billing.Service\"\ndependencies = [\"Core_Utils>=1.4\", \"requests\"]\n[tool.poetry.dependencies]\npython = \"^3.10\"\n\"Zope.Interface\" = \"*\"\n";
    let info = Python.package_info("pyproject.toml", text).expect("info");
    assert_eq!(info.publishes.as_deref(), Some("billing-service"));
    assert_eq!(info.requires, ["core-utils", "requests", "zope-interface"]);
}

#[test]
fn look_alikes_and_comments_are_not_matches() {
    let text = "core-utils-extra==1.4\ncore-utils-stubs>=1\n# core-utils==1.4\ncoreutils==1\nacme-core-utils==1\n";
    let tree = MemTree::new().with("requirements.txt", text);
    let found = Python
        .find(&tree, "requirements.txt", text, "core-utils")
        .expect("find");
    assert!(found.is_empty(), "{found:?}");
}

/// A package published through `setup.cfg` (`[metadata] name`) is a
/// provider in the consumer graph: its consumers come after it.
#[test]
fn setup_cfg_publishes_for_the_graph() {
    use wavebump::discover::{analyse_repo, build_graph};
    use wavebump::ecosystem::LibraryNames;
    let library = LibraryNames::acme_core_utils();
    let to = version("2.0.0");
    let provider = MemTree::new().with(
        "setup.cfg",
        "[metadata]\nname = CDN_Client\n\n[options]\ninstall_requires =\n    core-utils>=1.4,<2\n",
    );
    let consumer = MemTree::new()
        .with(
            "requirements.txt",
            "-c constraints/pins.txt\ncdn-client>=0.3\n",
        )
        .with("constraints/pins.txt", "core-utils==1.4.2\n");
    let scans = vec![
        analyse_repo("cdn-client", &provider, &library, "core-utils", &to),
        analyse_repo("storefront", &consumer, &library, "core-utils", &to),
    ];
    assert_eq!(scans[0].targets.len(), 1);
    // The constraints file named by `-c` is read through the file naming it.
    assert_eq!(scans[1].targets.len(), 1, "{:?}", scans[1]);
    assert_eq!(scans[1].targets[0].requirement.path, "constraints/pins.txt");
    let (edges, _) = build_graph(&scans, &library, "core-utils");
    assert!(
        edges
            .iter()
            .any(|e| e.from == "storefront" && e.to == "cdn-client"),
        "{edges:?}"
    );
}
