//! Ruby: snapshots, RubyGems conformance, and tables of find / judge /
//! rewrite rules.

use wavebump::ecosystem::ruby::{GemRequirement, GemVersion, Ruby};
use wavebump::ecosystem::{
    Classification, Ecosystem, GitRef, Handler, MemTree, Requirement, Source, apply_splices,
};

use crate::support::conformance::{Tally, load};
use crate::support::snapshot;

#[test]
fn snapshots() {
    let n = snapshot::check_all(Ecosystem::Ruby);
    println!("{n} ruby snapshot cases");
}

/// Every case of `rubygems.json` (both APIs) and every invalid requirement.
#[test]
fn conformance_rubygems() {
    let data = load("rubygems");
    let mut tally = Tally::new("rubygems");
    let cases = data["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    for case in cases {
        let reqs: Vec<&str> = case["reqs"]
            .as_array()
            .expect("reqs")
            .iter()
            .map(|r| r.as_str().expect("req string"))
            .collect();
        let version = case["version"].as_str().expect("version");
        let want = case["matches"].as_bool().expect("matches");
        let api = case["options"]["api"].as_str().expect("api");
        let allow = case["options"]["allow_prerelease"]
            .as_bool()
            .unwrap_or(false);
        let got = match (GemRequirement::parse(&reqs), GemVersion::parse(version)) {
            (Ok(req), Some(v)) => match api {
                "Gem::Requirement#satisfied_by?" => Some(req.satisfied_by(&v)),
                "Gem::Dependency#match?" => Some(req.dependency_match(&v, allow)),
                other => panic!("unknown api {other}"),
            },
            _ => None,
        };
        let label =
            format!("{api} {reqs:?} {version:?} (allow_prerelease {allow}) => {want}, got {got:?}");
        tally.case(label, got == Some(want), None);
    }
    for case in data["invalid_reqs"].as_array().expect("invalid_reqs") {
        let req = case["req"].as_str().expect("req");
        let rejected = GemRequirement::parse(&[req]).is_err();
        tally.case(format!("invalid {req:?} must be rejected"), rejected, None);
    }
    tally.finish();
}

fn find(path: &str, text: &str) -> Vec<Requirement> {
    let tree = MemTree::new().with(path, text);
    Ruby.find(&tree, path, text, "core-utils").expect("find")
}

/// (manifest, text) -> the requirements found, as (line, section,
/// requirement, source kind) rows.
#[test]
fn find_table() {
    type Row = (u32, &'static str, &'static str);
    let cases: &[(&str, &str, &[Row])] = &[
        ("Gemfile", "gem 'core-utils'\n", &[(1, "Gemfile", "")]),
        (
            "Gemfile",
            "gem \"core-utils\", \">= 1.4\", \"< 2\"\n",
            &[(1, "Gemfile", ">= 1.4, < 2")],
        ),
        (
            "Gemfile",
            "gem(\"core-utils\",\n    \"~> 1.4\")\n",
            &[(2, "Gemfile", "~> 1.4")],
        ),
        (
            "Gemfile",
            "gem 'core-utils',\n  '~> 1.4',\n  require: false\n",
            &[(2, "Gemfile", "~> 1.4")],
        ),
        ("Gemfile", "# gem 'core-utils', '~> 1.4'\n", &[]),
        (
            "Gemfile",
            "gem 'core-utils-extra', '~> 1.4'\ngem 'core_utils', '1'\n",
            &[],
        ),
        ("Gemfile", "x = \"gem 'core-utils', '1'\"\n", &[]),
        ("Gemfile", "=begin\ngem 'core-utils'\n=end\n", &[]),
        (
            "Gemfile",
            "group :test, :development do\n  gem 'core-utils', '~> 1.4'\nend\ngem 'rake'\n",
            &[(2, "Gemfile group test, development", "~> 1.4")],
        ),
        (
            "Gemfile",
            "gem 'core-utils', '~> 1.4', group: :test\n",
            &[(1, "Gemfile group test", "~> 1.4")],
        ),
        ("Gemfile", "gem 'core-utils', path: '../core-utils'\n", &[]),
        (
            "Gemfile",
            "path '../libs' do\n  gem 'core-utils'\nend\n",
            &[],
        ),
        (
            "Gemfile",
            "gem 'core-utils', git: 'https://x/core-utils.git', tag: 'v1.4.0'\n",
            &[(1, "Gemfile", "v1.4.0")],
        ),
        (
            "Gemfile",
            "gem 'core-utils', :github => 'acme/core-utils', :branch => 'main'\n",
            &[(1, "Gemfile", "main")],
        ),
        (
            "Gemfile",
            "gem %q(core-utils), %q(~> 1.4) if ENV['X']\n",
            &[(1, "Gemfile", "~> 1.4")],
        ),
        (
            "Gemfile",
            "desc = <<~EOS\n  gem 'core-utils', '1'\nEOS\ngem 'core-utils', '2.0'\n",
            &[(4, "Gemfile", "2.0")],
        ),
        (
            "core.gemspec",
            "Gem::Specification.new do |s|\n  s.name = 'core'\n  s.add_dependency 'core-utils', ['~> 1.4', '>= 1.4.2']\n  s.add_development_dependency('core-utils-extra')\nend\n",
            &[(3, "gemspec:add_dependency", "~> 1.4, >= 1.4.2")],
        ),
        (
            "x.gemspec",
            "Gem::Specification.new do |spec|\n  spec.add_runtime_dependency \"core-utils\", \">= 1.4\"\nend\n",
            &[(2, "gemspec:add_runtime_dependency", ">= 1.4")],
        ),
    ];
    for (path, text, want) in cases {
        let got: Vec<(u32, String, String)> = find(path, text)
            .into_iter()
            .map(|r| (r.line, r.section, r.requirement))
            .collect();
        let want: Vec<(u32, String, String)> = want
            .iter()
            .map(|(l, s, r)| (*l, s.to_string(), r.to_string()))
            .collect();
        assert_eq!(got, want, "{path}: {text:?}");
    }
}

#[test]
fn git_sources() {
    let r = find(
        "Gemfile",
        "git 'https://g/acme/core-utils.git', ref: 'abc123' do\n  gem 'core-utils'\nend\n",
    );
    assert_eq!(
        r[0].source,
        Source::Git {
            url: "https://g/acme/core-utils.git".into(),
            reference: GitRef::Rev("abc123".into())
        }
    );
    let r = find("Gemfile", "gem 'core-utils', github: 'acme/core-utils'\n");
    assert_eq!(
        r[0].source,
        Source::Git {
            url: "https://github.com/acme/core-utils.git".into(),
            reference: GitRef::DefaultBranch
        }
    );
    assert_eq!(r[0].span, None);
}

#[test]
fn malformed_manifests_are_errors_with_positions() {
    let tree = MemTree::new();
    for (text, line, col) in [
        ("gem 'core-utils', '~> 1.4\n", 1, 19),
        ("gem 'core-utils', '>>> 1'\n", 1, 20),
        ("group :test do\n  gem('core-utils', '1'\nend\n", 2, 6),
        ("gem 'a'\n)\n", 2, 1),
    ] {
        let e = Ruby.find(&tree, "Gemfile", text, "core-utils").unwrap_err();
        assert_eq!((e.line, e.column), (line, col), "{text:?}: {e}");
        assert_eq!(e.path, "Gemfile");
    }
    // Another gem's non-literal requirement is not our concern.
    assert!(
        Ruby.find(&tree, "Gemfile", "gem 'rails', RAILS\n", "core-utils")
            .unwrap()
            .is_empty()
    );
}

/// A requirement held in a variable resolves when the variable is a literal
/// assigned in the same file (the splice edits the literal); otherwise it is
/// a target of its own, unrewritable with the reason — never an error.
#[test]
fn variables_resolve_or_become_unrewritable_targets() {
    let tree = MemTree::new();
    let text = "v = \"~> 1.4\"\ncomputed = File.read(\"VERSION\").strip\ngem 'core-utils', v\ngem 'core-utils', computed, group: :ci\ngem 'core-utils', VERSION, group: :test\n";
    let found = Ruby
        .find(&tree, "Gemfile", text, "core-utils")
        .expect("no error");
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0].requirement, "~> 1.4");
    assert_eq!(&text[found[0].span.clone().expect("span")], "~> 1.4");
    assert_eq!(found[0].line, 1);
    let to = semver::Version::new(2, 0, 3);
    assert_eq!(
        Ruby.judge(&found[0], &to, None).new_requirement.as_deref(),
        Some("~> 2.0")
    );
    for (r, expr) in found[1..].iter().zip(["computed", "VERSION"]) {
        assert_eq!((r.requirement.as_str(), r.span.clone()), (expr, None));
        let j = Ruby.judge(r, &to, None);
        let reason = j.unrewritable.expect("unrewritable");
        assert!(reason.contains(expr), "{reason}");
    }
}

/// (requirement, locked, to) -> (admits, classification, new requirement or
/// unrewritable reason fragment).
#[test]
fn judge_table() {
    use Classification::*;
    type Case = (
        &'static str,
        Option<&'static str>,
        &'static str,
        bool,
        Classification,
        Result<&'static str, &'static str>,
    );
    let cases: &[Case] = &[
        ("~> 1.4", None, "2.0.3", false, Major, Ok("~> 2.0")),
        ("~> 1.4.2", None, "2.0.3", false, Major, Ok("~> 2.0.3")),
        ("~> 1.4.2", None, "1.5.0", false, Rewrite, Ok("~> 1.5.0")),
        ("= 1.4.2", None, "2.0.3", false, Major, Ok("= 2.0.3")),
        ("1.4.2", None, "1.4.3", false, Rewrite, Ok("1.4.3")),
        (
            ">= 1.4, < 2",
            None,
            "2.0.3",
            false,
            Major,
            Ok(">= 1.4, < 3"),
        ),
        (">= 1.4", None, "2.0.3", true, LockfileOnly, Err("")),
        ("", None, "2.0.3", true, LockfileOnly, Err("")),
        (
            "~> 1.4",
            Some("1.4.2"),
            "1.5.0",
            true,
            LockfileOnly,
            Err(""),
        ),
        ("~> 1.4", Some("2.1.0"), "2.0.3", false, UpToDate, Err("")),
        (">= 2.1", None, "2.0.3", false, UpToDate, Err("")),
        (
            ">= 1.4, != 2.0.3",
            None,
            "2.0.3",
            false,
            Major,
            Err("excludes 2.0.3"),
        ),
        (
            "~> 1.4",
            None,
            "2.0.0-rc.1",
            false,
            Major,
            Err("would still not admit"),
        ),
        (
            "",
            None,
            "2.0.0-rc.1",
            false,
            Rewrite,
            Err("explicit requirement"),
        ),
        (
            "= 1.4",
            None,
            "2.0.0-rc.1",
            false,
            Major,
            Ok("= 2.0.0-rc.1"),
        ),
        ("< 1.5", Some("1.4.9"), "1.6.0", false, Rewrite, Ok("< 1.7")),
    ];
    for (written, locked, to, admits, class, rewrite) in cases {
        let req = Requirement {
            ecosystem: Ecosystem::Ruby,
            path: "Gemfile".into(),
            line: 1,
            section: "Gemfile".into(),
            key: "core-utils".into(),
            requirement: written.to_string(),
            source: Source::Registry,
            span: None,
            span_path: "Gemfile".into(),
        };
        let to = semver::Version::parse(to).unwrap();
        let j = Ruby.judge(&req, &to, *locked);
        let label = format!("{written:?} locked {locked:?} -> {to}: {j:?}");
        assert_eq!((j.admits, j.classification), (*admits, *class), "{label}");
        match rewrite {
            Ok(new) => {
                assert_eq!(j.new_requirement.as_deref(), Some(*new), "{label}");
                assert_eq!(j.unrewritable, None, "{label}");
            }
            Err("") => assert_eq!(
                (&j.new_requirement, &j.unrewritable),
                (&None, &None),
                "{label}"
            ),
            Err(why) => assert!(
                j.unrewritable.as_deref().unwrap_or("").contains(why),
                "{label}"
            ),
        }
    }
}

fn git_req(reference: GitRef, requirement: &str) -> Requirement {
    Requirement {
        ecosystem: Ecosystem::Ruby,
        path: "Gemfile".into(),
        line: 1,
        section: "Gemfile".into(),
        key: "core-utils".into(),
        requirement: requirement.into(),
        source: Source::Git {
            url: "https://github.com/acme/core-utils.git".into(),
            reference,
        },
        span: None,
        span_path: "Gemfile".into(),
    }
}

#[test]
fn judge_git() {
    let to = semver::Version::new(2, 0, 3);
    let j = Ruby.judge(
        &git_req(GitRef::Tag("core-utils-v1.4.0".into()), "core-utils-v1.4.0"),
        &to,
        None,
    );
    assert_eq!(
        (j.classification, j.new_requirement.as_deref()),
        (Classification::Major, Some("core-utils-v2.0.3"))
    );
    let j = Ruby.judge(
        &git_req(GitRef::Tag("v2.0.3".into()), "v2.0.3"),
        &to,
        Some("2.0.3"),
    );
    assert_eq!(j.classification, Classification::UpToDate);
    let j = Ruby.judge(
        &git_req(GitRef::Rev("abc123".into()), "abc123"),
        &to,
        Some("1.4.0"),
    );
    assert_eq!(j.unrewritable.as_deref(), Some("pinned to commit abc123"));
    let j = Ruby.judge(
        &git_req(GitRef::Branch("main".into()), "main"),
        &to,
        Some("1.4.0"),
    );
    assert_eq!(
        (j.admits, j.classification),
        (true, Classification::LockfileOnly)
    );
}

/// Gemfile text -> Gemfile text after the rewrite to 2.0.3.
#[test]
fn rewrite_table() {
    let cases: &[(&str, &str)] = &[
        (
            "gem 'core-utils', '~> 1.4'\n",
            "gem 'core-utils', '~> 2.0'\n",
        ),
        (
            "gem 'core-utils', \"~>1.4.2\" # pinned\n",
            "gem 'core-utils', \"~>2.0.3\" # pinned\n",
        ),
        (
            "gem 'core-utils', '>= 1.4', '< 2'\n",
            "gem 'core-utils', '>= 1.4', '< 3'\n",
        ),
        (
            "gem 'core-utils', %q(= 1.4.2)\n",
            "gem 'core-utils', %q(= 2.0.3)\n",
        ),
        (
            "gem 'core-utils', '~> 1.4', git: 'u', tag: 'v1.4.0'\n",
            "gem 'core-utils', '~> 2.0', git: 'u', tag: 'v2.0.3'\n",
        ),
        (
            "gem 'core-utils', :git => 'u', :tag => 'core-utils-1.4.0'\r\n",
            "gem 'core-utils', :git => 'u', :tag => 'core-utils-2.0.3'\r\n",
        ),
    ];
    let to = semver::Version::new(2, 0, 3);
    for (before, after) in cases {
        let tree = MemTree::new().with("Gemfile", *before);
        let reqs = Ruby.find(&tree, "Gemfile", before, "core-utils").unwrap();
        assert_eq!(reqs.len(), 1, "{before:?}");
        let splices = Ruby.rewrite(&tree, &reqs[0], &to).unwrap();
        let out = apply_splices(&tree, &splices).unwrap();
        assert_eq!(String::from_utf8_lossy(&out["Gemfile"]), *after);
    }
}

#[test]
fn rewrite_gemspec_array() {
    let text = "Gem::Specification.new do |s|\n\ts.add_dependency \"core-utils\", [\"~> 1.4\", \">= 1.4.2\"]\nend";
    let tree = MemTree::new().with("a/b.gemspec", text);
    let reqs = Ruby.find(&tree, "a/b.gemspec", text, "core-utils").unwrap();
    let splices = Ruby
        .rewrite(&tree, &reqs[0], &semver::Version::new(2, 0, 3))
        .unwrap();
    let out = apply_splices(&tree, &splices).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out["a/b.gemspec"]),
        text.replace("~> 1.4\"", "~> 2.0\"")
    );
}

#[test]
fn lockfile_and_refresh() {
    let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    core-utils (1.4.2)\n\nDEPENDENCIES\n  core-utils (~> 1.4)\n";
    let tree = MemTree::new()
        .with("svc/Gemfile", "gem 'core-utils', '~> 1.4'\n")
        .with("svc/Gemfile.lock", lock)
        .with(
            "svc/lib.gemspec",
            "Gem::Specification.new { |s| s.add_dependency 'core-utils' }\n",
        )
        .with("other/Gemfile", "gem 'core-utils'\n");
    let req = |p: &str| {
        let text = String::from_utf8(tree.get(p).unwrap().to_vec()).unwrap();
        Ruby.find(&tree, p, &text, "core-utils").unwrap().remove(0)
    };
    let to = semver::Version::new(2, 0, 3);
    for p in ["svc/Gemfile", "svc/lib.gemspec"] {
        assert_eq!(
            Ruby.locked_version(&tree, &req(p), "core-utils")
                .unwrap()
                .as_deref(),
            Some("1.4.2")
        );
        let refresh = Ruby
            .lock_refresh(&tree, &req(p), "core-utils", &to)
            .unwrap();
        assert_eq!(
            (refresh.dir.as_str(), refresh.lockfile.as_str()),
            ("svc", "svc/Gemfile.lock")
        );
        assert_eq!(
            refresh.commands,
            [["bundle", "lock", "--update", "core-utils"]]
        );
    }
    assert_eq!(
        Ruby.locked_version(&tree, &req("other/Gemfile"), "core-utils")
            .unwrap(),
        None
    );
    assert_eq!(
        Ruby.lock_refresh(&tree, &req("other/Gemfile"), "core-utils", &to),
        None
    );
    let broken = tree
        .clone()
        .with("svc/Gemfile.lock", "GEM\n  specs:\n    core-utils 1.4.2\n");
    let e = Ruby
        .locked_version(&broken, &req("svc/Gemfile"), "core-utils")
        .unwrap_err();
    assert_eq!((e.path.as_str(), e.line), ("svc/Gemfile.lock", 3));
}

#[test]
fn package_info_and_manifest_names() {
    let spec = "Gem::Specification.new do |spec|\n  spec.name          = \"billing-lib\"\n  spec.add_dependency \"core-utils\", \"~> 1.4\"\n  spec.add_development_dependency \"rspec\"\n  spec.add_dependency \"core-utils\", \"< 2\"\nend\n";
    let info = Ruby.package_info("billing.gemspec", spec).unwrap();
    assert_eq!(info.publishes.as_deref(), Some("billing-lib"));
    assert_eq!(info.requires, ["core-utils", "rspec"]);
    let info = Ruby.package_info("Gemfile", "source 'https://rubygems.org'\ngemspec\ngem 'rails'\ngroup :test do\n  gem 'rspec'\nend\n").unwrap();
    assert_eq!(
        (info.publishes, info.requires),
        (None, vec!["rails".to_string(), "rspec".to_string()])
    );
    for (path, yes) in [
        ("Gemfile", true),
        ("a/gems.rb", true),
        ("x/core.gemspec", true),
        (".gemspec", false),
        ("Gemfile.lock", false),
        ("vendor/bundle/ruby/3.2.0/gems/x/x.gemspec", false),
        ("GemfileX", false),
    ] {
        assert_eq!(Ruby.is_manifest(path), yes, "{path}");
    }
}

/// A branch-tracking git gem with requirement strings is bounded by them.
#[test]
fn git_branch_with_requirement_strings() {
    let text = "gem 'core-utils', '~> 1.4', github: 'acme/core-utils', branch: 'main'\n";
    let tree = MemTree::new().with("Gemfile", text);
    let req = Ruby
        .find(&tree, "Gemfile", text, "core-utils")
        .unwrap()
        .remove(0);
    assert_eq!(req.requirement, "~> 1.4");
    let to = semver::Version::new(2, 0, 3);
    let j = Ruby.judge(&req, &to, Some("1.4.2"));
    assert_eq!(
        (j.classification, j.new_requirement.as_deref()),
        (Classification::Major, Some("~> 2.0"))
    );
    let splices = Ruby.rewrite(&tree, &req, &to).unwrap();
    let out = apply_splices(&tree, &splices).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out["Gemfile"]),
        text.replace("~> 1.4", "~> 2.0")
    );
}
