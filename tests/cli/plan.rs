//! `wavebump plan` end to end: the real binary over generated organisations.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use wavebump::ecosystem::MemTree;
use wavebump::git::{self, Author};

use crate::support::{crate_root, org};

fn wavebump(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wavebump"))
        .args(args)
        .current_dir(crate_root())
        .output()
        .expect("run wavebump")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const DEMO_CONFIG: &str = "src/demo/demo.yaml";

fn plan_json(dir: &Path, config: &str, extra: &[&str]) -> Value {
    plan_json_exit(dir, config, extra, 0)
}

fn plan_json_exit(dir: &Path, config: &str, extra: &[&str], code: i32) -> Value {
    let dir = dir.to_str().expect("utf-8 path");
    let mut args = vec![
        "plan", "--config", config, "--local", dir, "--format", "json",
    ];
    args.extend_from_slice(extra);
    let out = wavebump(&args);
    assert_eq!(out.status.code(), Some(code), "stderr: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("plan JSON")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

fn wave_of(plan: &Value, repo: &str) -> u64 {
    plan["waves"]
        .as_array()
        .expect("waves")
        .iter()
        .find(|w| strings(&w["repos"]).iter().any(|r| r == repo))
        .and_then(|w| w["index"].as_u64())
        .unwrap_or_else(|| panic!("{repo} is in no wave"))
}

#[test]
fn plans_the_generated_organisation_exactly() {
    let org = org::generate(40, 1);
    let plan = plan_json(org.path(), DEMO_CONFIG, &[]);
    assert_eq!(plan["schema_version"], 1);
    assert_eq!(plan["library"]["repo"], "core-utils");
    assert_eq!(plan["library"]["version"], "2.0.0");
    assert_eq!(plan["library"]["what_if"], false);

    // Every target: (repo, path, classification), exactly.
    let mut targets: Vec<(String, String, String)> = plan["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter(|t| !t["repo"].as_str().unwrap_or("").starts_with("svc-"))
        .filter(|t| !t["repo"].as_str().unwrap_or("").starts_with("lib-"))
        .map(|t| {
            (
                t["repo"].as_str().unwrap().to_string(),
                format!("{}:{}", t["path"].as_str().unwrap(), t["line"]),
                t["classification"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    targets.sort();
    let expected: Vec<(String, String, String)> = [
        ("auth-service", "package.json:6", "major"),
        ("billing-lib", "Cargo.toml:7", "major"),
        ("billing-service", "Cargo.toml:9", "major"),
        ("cdn-client", "setup.cfg:10", "major"),
        ("fresh-service", "Cargo.toml:7", "up-to-date"),
        ("go-common", "go.mod:6", "major"),
        ("go-monorepo", "export/go.mod:6", "major"),
        ("go-monorepo", "ingest/go.mod:6", "major"),
        ("http-kit", "package.json:5", "major"),
        ("image-service", "constraints.txt:2", "major"),
        ("jobs-service", "Pipfile:7", "major"),
        ("legacy-ingest", "setup.py:8", "major"),
        ("ml-pipeline", "pyproject.toml:7", "major"),
        ("notifications", "package.json:5", "major"),
        ("orders-service", "go.mod:7", "major"),
        ("payments-lib", "Cargo.toml:8", "major"),
        ("platform-monorepo", "Cargo.toml:7", "major"),
        ("platform-monorepo", "crates/gateway/Cargo.toml:7", "major"),
        (
            "platform-monorepo",
            "crates/scheduler/Cargo.toml:10",
            "major",
        ),
        (
            "platform-monorepo",
            "crates/scheduler/Cargo.toml:7",
            "major",
        ),
        ("py-common", "pyproject.toml:6", "major"),
        ("reporting-service", "requirements.txt:3", "major"),
        ("ruby-common", "ruby-common.gemspec:5", "major"),
        ("ruby-jobs", "Gemfile:3", "major"),
        ("search-service", "Cargo.toml:7", "major"),
        ("storefront", "Gemfile:4", "major"),
        ("user-service", "package.json:6", "major"),
        ("web-monorepo", "packages/admin/package.json:6", "major"),
        ("web-monorepo", "packages/app/package.json:6", "major"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(targets, expected);

    // Decoys and non-consumers are never targets.
    let target_repos: Vec<String> = plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["repo"].as_str().unwrap().to_string())
        .collect();
    for decoy in [
        "extras-service",
        "legacy-js",
        "other-go",
        "py-stubs",
        "docs-site",
        "core-utils",
        "ui-kit",
    ] {
        assert!(
            !target_repos.iter().any(|r| r == decoy),
            "{decoy} is a target"
        );
    }

    // The consumer graph: consumer → provider.
    let edges: Vec<(String, String)> = plan["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (from, to) in [
        ("billing-lib", "core-utils"),
        ("billing-service", "billing-lib"),
        ("billing-service", "payments-lib"),
        ("payments-lib", "billing-lib"),
        ("orders-service", "go-common"),
        ("reporting-service", "py-common"),
        ("image-service", "cdn-client"),
        ("storefront", "ruby-common"),
        ("ui-kit", "http-kit"),
        ("web-monorepo", "ui-kit"),
        ("user-service", "auth-service"),
        ("auth-service", "user-service"),
    ] {
        assert!(
            edges.contains(&(from.to_string(), to.to_string())),
            "missing edge {from} → {to}"
        );
    }
    assert!(
        !edges
            .iter()
            .any(|(f, _)| f == "legacy-js" || f == "other-go")
    );
    assert_eq!(strings(&plan["affected"]), ["ui-kit"]);
    assert_eq!(strings(&plan["up_to_date"]), ["fresh-service"]);

    // Waves: canaries first, providers before consumers, lockstep together,
    // critical last.
    assert_eq!(
        strings(&plan["waves"][0]["repos"]),
        ["ml-pipeline", "notifications"]
    );
    assert!(wave_of(&plan, "billing-lib") < wave_of(&plan, "payments-lib"));
    assert!(wave_of(&plan, "payments-lib") < wave_of(&plan, "billing-service"));
    assert!(wave_of(&plan, "http-kit") < wave_of(&plan, "web-monorepo"));
    assert!(wave_of(&plan, "py-common") < wave_of(&plan, "reporting-service"));
    // Published through setup.cfg: its consumers come after it.
    assert!(wave_of(&plan, "cdn-client") < wave_of(&plan, "image-service"));
    let trio = wave_of(&plan, "billing-service");
    assert_eq!(wave_of(&plan, "user-service"), trio);
    assert_eq!(wave_of(&plan, "auth-service"), trio);
    let last = plan["waves"].as_array().unwrap().len() as u64 - 1;
    assert_eq!(wave_of(&plan, "storefront"), last);
    assert_eq!(
        strings(&plan["waves"][last as usize]["repos"]),
        ["storefront"]
    );
    let warnings = strings(&plan["warnings"]);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("dependency cycle between auth-service, user-service")),
        "{warnings:?}"
    );
}

#[test]
fn text_plan_is_deterministic_and_reasoned() {
    let org = org::generate(40, 1);
    let dir = org.path().to_str().unwrap();
    let a = wavebump(&["plan", "--config", DEMO_CONFIG, "--local", dir]);
    let b = wavebump(&["plan", "--config", DEMO_CONFIG, "--local", dir]);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&b));
    let text = stdout(&a);
    assert!(text.contains("wave 0: notifications -- canary"), "{text}");
    assert!(
        text.contains("payments-lib -- after billing-lib (wave 1)"),
        "{text}"
    );
    assert!(
        text.contains("Affected only transitively: ui-kit"),
        "{text}"
    );
    assert!(text.contains("Up to date: fresh-service"), "{text}");
    let summary = text.lines().last().unwrap();
    assert!(
        summary.starts_with("38 targets in 32 repositories over "),
        "{summary}"
    );
    insta::assert_snapshot!("plan_text_demo_org", text);
}

#[test]
fn every_format_renders_and_nothing_is_written() {
    let org = org::generate(40, 1);
    let dir = org.path().to_str().unwrap();
    let before: Vec<_> = org
        .specs
        .iter()
        .map(|s| git::refs(&org.path().join(&s.name)).expect("refs"))
        .collect();
    let listing = |p: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let entries_before = listing(org.path());
    for (format, starts) in [
        ("text", "Plan: core-utils → 2.0.0"),
        ("json", "{"),
        ("markdown", "## wavebump plan: `core-utils` → 2.0.0"),
        ("dot", "digraph consumers {"),
        ("mermaid", "graph LR"),
    ] {
        let out = wavebump(&[
            "plan",
            "--config",
            "config.example.yaml",
            "--local",
            dir,
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert!(
            stdout(&out).starts_with(starts),
            "{format}: {}",
            stdout(&out)
        );
    }
    let out = wavebump(&[
        "plan",
        "--config",
        "config.example.yaml",
        "--local",
        dir,
        "--diff",
    ]);
    let text = stdout(&out);
    assert!(
        text.contains("--- a/billing-lib/Cargo.toml\n+++ b/billing-lib/Cargo.toml"),
        "{text}"
    );
    assert!(
        text.contains("-core-utils = \"1.4\"\n+core-utils = \"2.0\"\n"),
        "{text}"
    );
    assert!(
        text.contains("+\t\"github.com/acme/core-utils/v2/strutil\""),
        "{text}"
    );
    let after: Vec<_> = org
        .specs
        .iter()
        .map(|s| git::refs(&org.path().join(&s.name)).expect("refs"))
        .collect();
    assert_eq!(before, after, "a dry run changed refs");
    assert_eq!(entries_before, listing(org.path()), "a dry run wrote files");
    for spec in &org.specs {
        let status = Command::new("git")
            .args(["status", "--porcelain"])
            .current_dir(org.path().join(&spec.name))
            .output()
            .expect("git status");
        assert!(status.stdout.is_empty(), "{} work tree changed", spec.name);
    }
}

#[test]
fn bad_input_is_reported_with_the_right_exit_code() {
    let org = org::generate(30, 2);
    let dir = org.path().to_str().unwrap();

    // A broken config: exit 2 with file:line:column and the key.
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        bad.path(),
        "library:\n  repository: acme/core-utils\nrollout:\n  wavez: [1]\n",
    )
    .unwrap();
    let out = wavebump(&[
        "plan",
        "--config",
        bad.path().to_str().unwrap(),
        "--local",
        dir,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(":4:3: rollout"), "{err}");
    assert!(err.contains("did you mean `waves`"), "{err}");

    // An invalid --to.
    let out = wavebump(&["plan", "--local", dir, "--to", "two"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--to \"two\" is not a valid version"),
        "{}",
        stderr(&out)
    );

    // A version not tagged yet: a what-if plan.
    let plan = plan_json(org.path(), "config.example.yaml", &["--to", "2.1.0"]);
    assert_eq!(plan["library"]["what_if"], true);
    assert_eq!(plan["library"]["version"], "2.1.0");

    // Consumers already at or above --to are up to date, not planned.
    let plan = plan_json(org.path(), "config.example.yaml", &["--to", "1.3.0"]);
    let up = strings(&plan["up_to_date"]);
    assert!(up.contains(&"billing-lib".to_string()), "{up:?}");
    assert!(
        plan["waves"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| !strings(&w["repos"]).contains(&"billing-lib".to_string()))
    );

    // A canary naming a repository that does not exist.
    let cfg = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        cfg.path(),
        "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\nrollout:\n  canaries: [biling-lib]\n",
    )
    .unwrap();
    let out = wavebump(&[
        "plan",
        "--config",
        cfg.path().to_str().unwrap(),
        "--local",
        dir,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("biling-lib") && err.contains("did you mean `billing-lib`"),
        "{err}"
    );
}

#[test]
fn a_broken_manifest_is_reported_and_the_rest_planned() {
    let org = org::generate(30, 3);
    let broken = MemTree::new().with("Cargo.toml", "[dependencies\ncore-utils = \"1.4\"\n");
    let author = Author {
        name: "t",
        email: "t@example.invalid",
        time: 1_767_225_600,
    };
    git::create_repository(
        &org.path().join("broken-service"),
        &broken,
        "broken",
        &author,
    )
    .unwrap();
    // Errors reported: exit 3, unless --allow-errors.
    let plan = plan_json_exit(org.path(), "config.example.yaml", &[], 3);
    assert_eq!(plan["summary"]["errors"], 1, "{}", plan["summary"]);
    let plan = plan_json(org.path(), "config.example.yaml", &["--allow-errors"]);
    let errors = plan["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["repo"] == "broken-service"
            && e["message"].as_str().unwrap().starts_with("Cargo.toml:1:")),
        "{errors:?}"
    );
    assert!(
        plan["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["repo"] == "billing-lib")
    );
}

#[test]
fn the_readme_first_command_plans_an_embedded_organisation() {
    let out = wavebump(&["plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("Plan: core-utils → 2.0.0\n"), "{text}");
    assert!(text.contains("Wave 0 — 2 repositories"), "{text}");
}

/// A repository whose committed tree holds `Cargo.toml` (requiring the
/// library) and `<dir>/package.json` where `dir` is the raw bytes given.
fn repo_with_raw_subdir(path: &Path, dir: &[u8]) {
    let repo = git2::Repository::init(path).unwrap();
    let cargo = repo
        .blob(b"[package]\nname = \"mixed\"\n\n[dependencies]\ncore-utils = \"1.4\"\n")
        .unwrap();
    let npm = repo
        .blob(br#"{"name": "x", "dependencies": {"@acme/core-utils": "^1.4.0"}}"#)
        .unwrap();
    let mut sub = repo.treebuilder(None).unwrap();
    sub.insert("package.json", npm, 0o100644).unwrap();
    let sub = sub.write().unwrap();
    let mut root = repo.treebuilder(None).unwrap();
    root.insert("Cargo.toml", cargo, 0o100644).unwrap();
    root.insert(dir.to_vec(), sub, 0o040000).unwrap();
    let tree = repo.find_tree(root.write().unwrap()).unwrap();
    let sig =
        git2::Signature::new("t", "t@example.invalid", &git2::Time::new(1_767_225_600, 0)).unwrap();
    repo.commit(Some("refs/heads/main"), &sig, &sig, "raw names", &tree, &[])
        .unwrap();
    repo.set_head("refs/heads/main").unwrap();
}

#[test]
fn names_that_are_not_utf8_are_reported_escaped_and_counted() {
    use std::os::unix::ffi::OsStrExt;
    let org = org::generate(30, 4);
    // A repository whose directory name is not UTF-8 …
    let author = Author {
        name: "t",
        email: "t@example.invalid",
        time: 1_767_225_600,
    };
    let raw_dir = org
        .path()
        .join(std::ffi::OsStr::from_bytes(b"caf\xE9-service"));
    let files = MemTree::new().with("Cargo.toml", "[dependencies]\ncore-utils = \"1.4\"\n");
    git::create_repository(&raw_dir, &files, "raw", &author).unwrap();
    // … and one with a subdirectory whose name is not UTF-8.
    repo_with_raw_subdir(&org.path().join("mixed-service"), b"web\xFF");

    let plan = plan_json_exit(org.path(), "config.example.yaml", &[], 3);
    let errors: Vec<(String, String)> = plan["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["repo"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        errors
            .iter()
            .any(|(repo, m)| repo == "caf\\xE9-service" && m.contains("not UTF-8")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|(repo, m)| repo == "mixed-service"
            && m.starts_with("web\\xFF/package.json")
            && m.contains("not UTF-8")),
        "{errors:?}"
    );
    assert_eq!(plan["summary"]["errors"], 2, "{}", plan["summary"]);
    assert_eq!(
        plan["summary"]["repos_unreadable"], 1,
        "{}",
        plan["summary"]
    );
    assert_eq!(
        plan["summary"]["repos_with_errors"], 2,
        "{}",
        plan["summary"]
    );
    // The rest of the repository is planned: its Cargo.toml is a target.
    assert!(
        plan["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["repo"] == "mixed-service" && t["path"] == "Cargo.toml"),
        "{}",
        plan["targets"]
    );

    // With --allow-errors: the same report, exit 0. The text form names
    // them too.
    plan_json(org.path(), "config.example.yaml", &["--allow-errors"]);
    let out = wavebump(&[
        "plan",
        "--config",
        "config.example.yaml",
        "--local",
        org.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    assert!(text.contains("error: caf\\xE9-service: "), "{text}");
    assert!(text.contains("2 errors"), "{text}");
    assert!(stderr(&out).contains("--allow-errors"), "{}", stderr(&out));
}

/// `repositories.max_manifest_bytes` caps every manifest: one over it is an
/// error naming the file and the cap, and the rest are still planned.
#[test]
fn the_manifest_size_cap_is_configurable() {
    let org = org::generate(30, 1);
    let dir = crate::support::scratch::tempdir();
    let config = dir.path().join("wavebump.yaml");
    let demo = std::fs::read_to_string(crate_root().join(DEMO_CONFIG)).expect("demo config");
    std::fs::write(
        &config,
        format!("{demo}\nrepositories:\n  max_manifest_bytes: 200\n"),
    )
    .expect("write config");
    let plan = plan_json_exit(org.path(), config.to_str().expect("utf-8"), &[], 3);
    let errors: Vec<String> = plan["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("over the cap of 200 bytes") && e.contains("setup.cfg")),
        "{errors:?}"
    );
    // Small manifests are still read and planned.
    assert!(!plan["targets"].as_array().expect("targets").is_empty());
}
