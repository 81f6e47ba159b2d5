//! The local forge playing the people, through the real binary:
//! `commit-status` reports CI the way external CI posts a commit status,
//! a person merges a bump branch with `git merge` + `git push`, and
//! `demo --generate` writes an organisation `rollout --local` accepts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::ghorg::text;

fn wavebump(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wavebump"))
        .args(args)
        .env("PATH", home)
        .env("HOME", home)
        .env("USER", "tester")
        .output()
        .unwrap()
}

/// A generated organisation (bare repositories, as `demo --generate`
/// writes them) with the demo's config beside it.
struct Org {
    dir: tempfile::TempDir,
    org: PathBuf,
    config: PathBuf,
    home: PathBuf,
}

fn generated(repos: usize) -> Org {
    crate::support::org::isolate_git();
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = wavebump(
        &[
            "demo",
            "--generate",
            org.to_str().unwrap(),
            "--repos",
            &repos.to_string(),
        ],
        &home,
    );
    assert!(out.status.success(), "{}", text(&out).1);
    let config = dir.path().join("wavebump.yaml");
    std::fs::write(&config, wavebump::cli_plan::DEMO_CONFIG).unwrap();
    Org {
        dir,
        org,
        config,
        home,
    }
}

impl Org {
    fn status(&self, repo: &str, sha: &str, context: &str, state: &str) -> Output {
        wavebump(
            &[
                "commit-status",
                "--local",
                self.org.to_str().unwrap(),
                "--repo",
                repo,
                "--sha",
                sha,
                "--context",
                context,
                "--state",
                state,
                "--description",
                "from the test",
            ],
            &self.home,
        )
    }

    fn statuses(&self) -> Value {
        let text = std::fs::read_to_string(self.org.join(".wavebump/statuses.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

fn main_head(repo: &Path) -> String {
    wavebump::git::refs(repo)
        .unwrap()
        .into_iter()
        .find(|(name, _)| name == "refs/heads/main")
        .map(|(_, id)| id)
        .unwrap()
}

#[test]
fn commit_status_records_and_refuses_what_is_not_there() {
    let org = generated(1);
    let head = main_head(&org.org.join("core-utils.git"));

    let out = org.status("core-utils", &head[..10], "ci/test", "pending");
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(
        text(&out).0.contains("ci/test is pending"),
        "{}",
        text(&out).0
    );
    let out = org.status("core-utils", &head, "ci/test", "success");
    assert!(out.status.success(), "{}", text(&out).1);
    let v = org.statuses();
    let list = v["repos"]["core-utils"][&head].as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "the later status replaces the earlier: {v:#}"
    );
    assert_eq!(list[0]["state"], "success");
    assert_eq!(list[0]["description"], "from the test");

    let out = org.status("nowhere", &head, "ci/test", "success");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("\"nowhere\""), "{}", text(&out).1);
    for bad in ["0000000000000000000000000000000000000000", "main", "xyz1"] {
        let out = org.status("core-utils", bad, "ci/test", "success");
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = text(&out).1;
        assert!(err.contains("not a commit") && err.contains(bad), "{err}");
    }
    let out = org.status("core-utils", &head, "ci/test", "green");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("green"), "{}", text(&out).1);
    let out = org.status("core-utils", &head, " ", "success");
    assert_eq!(out.status.code(), Some(2));

    // A damaged file is refused naming it, and left as it is.
    let path = org.org.join(".wavebump/statuses.json");
    std::fs::write(&path, "{ damaged").unwrap();
    let out = org.status("core-utils", &head, "ci/test", "failure");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("statuses.json"), "{}", text(&out).1);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ damaged");
    let _ = (&org.dir, &org.config);
}

#[test]
fn generated_organisation_is_planned_and_accepted_by_rollout_as_it_is() {
    let org = generated(40);
    let local = org.org.to_str().unwrap();
    let config = org.config.to_str().unwrap();
    let plan = wavebump(
        &[
            "plan", "--local", local, "--config", config, "--format", "json",
        ],
        &org.home,
    );
    assert!(plan.status.success(), "{}", text(&plan).1);
    let v: Value = serde_json::from_str(&text(&plan).0).unwrap();
    assert!(
        v.to_string().contains("notifications"),
        "the plan names the canaries: {v:#}"
    );
    let start = wavebump(
        &["rollout", "start", "--local", local, "--config", config],
        &org.home,
    );
    assert!(start.status.success(), "{}", text(&start).1);
    let tick = wavebump(
        &["rollout", "tick", "--local", local, "--config", config],
        &org.home,
    );
    assert!(tick.status.success(), "{}", text(&tick).1);
    assert!(text(&tick).0.contains("2 opened"), "{}", text(&tick).0);
}
