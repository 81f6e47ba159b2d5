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

    let out = wavebump(
        &[
            "commit-status",
            "--local",
            "/nonexistent/org",
            "--repo",
            "core-utils",
            "--sha",
            &head,
            "--context",
            "ci/test",
            "--state",
            "success",
        ],
        &org.home,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("not a directory"), "{}", text(&out).1);

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

impl Org {
    fn rollout(&self, args: &[&str]) -> String {
        let mut all = vec!["rollout"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "--local",
            self.org.to_str().unwrap(),
            "--config",
            self.config.to_str().unwrap(),
        ]);
        let out = wavebump(&all, &self.home);
        assert!(out.status.success(), "{args:?}: {}", text(&out).1);
        text(&out).0
    }

    fn target_states(&self) -> Vec<(String, u64, String)> {
        let out = self.rollout(&["status", "--json"]);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        v[0]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["repo"].as_str().unwrap().to_owned(),
                    t["wave"].as_u64().unwrap(),
                    t["state"]["state"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn state_of(&self, repo: &str) -> String {
        self.target_states()
            .into_iter()
            .find(|t| t.0 == repo)
            .map(|t| t.2)
            .unwrap()
    }

    /// `(head branch, state, merged_by)` of `repo`'s first local PR.
    fn pull(&self, repo: &str) -> (String, String, Option<String>) {
        let text = std::fs::read_to_string(self.org.join(".wavebump/pulls.json")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let p = &v["repos"][repo][0];
        (
            p["head_branch"].as_str().unwrap().to_owned(),
            p["state"].as_str().unwrap().to_owned(),
            p["merged_by"].as_str().map(str::to_owned),
        )
    }

    fn bare(&self, repo: &str) -> PathBuf {
        self.org.join(format!("{repo}.git"))
    }
}

fn head_of(repo: &Path, branch: &str) -> String {
    let want = format!("refs/heads/{branch}");
    wavebump::git::refs(repo)
        .unwrap()
        .into_iter()
        .find(|(name, _)| *name == want)
        .map(|(_, id)| id)
        .unwrap()
}

/// Wave 0 over the generated organisation with no operator: a person
/// merges one canary's PR with `git merge` + `git push`, external CI
/// reports both canaries green with `commit-status`, and the ticks take
/// the CI from those statuses; the forge reports the person's merge as
/// merged by them.
#[test]
fn people_merge_with_git_and_ci_reports_through_commit_status() {
    let org = generated(40);
    let started = org.rollout(&["start"]);
    assert!(started.contains("rollout 1 started"), "{started}");
    let tick = org.rollout(&["tick"]);
    assert!(tick.contains("2 opened"), "{tick}");
    let (bump, state, _) = org.pull("ml-pipeline");
    assert_eq!(state, "open");

    // Bob merges ml-pipeline's bump branch into main with git.
    let bob = crate::support::people::Clone::of(&org.bare("ml-pipeline"), "Bob");
    bob.merge_and_push(&bump);

    // The next tick sees Bob's merge (the branch's head is reachable
    // from main): ml-pipeline is merged with no CI at all; notifications
    // waits on CI.
    org.rollout(&["tick"]);
    assert_eq!(org.state_of("notifications"), "ci_pending");
    assert_eq!(org.state_of("ml-pipeline"), "merged");
    let (_, state, by) = org.pull("ml-pipeline");
    assert_eq!((state.as_str(), by.as_deref()), ("merged", Some("Bob")));

    // External CI reports success on notifications' head.
    let (branch, _, _) = org.pull("notifications");
    let head = head_of(&org.bare("notifications"), &branch);
    let out = org.status("notifications", &head, "ci/test", "success");
    assert!(out.status.success(), "{}", text(&out).1);
    org.rollout(&["tick"]);
    let state = org.state_of("notifications");
    assert!(
        ["ci_passed", "merged"].contains(&state.as_str()),
        "CI taken from commit-status: {state}"
    );
    assert_eq!(org.state_of("ml-pipeline"), "merged");

    // A status on ml-pipeline's (merged) head changes nothing.
    let ml_head = head_of(&org.bare("ml-pipeline"), &bump);
    let out = org.status("ml-pipeline", &ml_head, "ci/test", "success");
    assert!(out.status.success(), "{}", text(&out).1);
    org.rollout(&["tick"]);
    org.rollout(&["tick"]);
    assert_eq!(org.state_of("ml-pipeline"), "merged");
    assert_eq!(org.state_of("notifications"), "merged");
    let (_, state, by) = org.pull("ml-pipeline");
    assert_eq!((state.as_str(), by.as_deref()), ("merged", Some("Bob")));
    let (_, state, by) = org.pull("notifications");
    assert_eq!(
        (state.as_str(), by.as_deref()),
        ("merged", Some("wavebump[bot]"))
    );
    let human = org.rollout(&["status"]);
    assert!(human.contains("merged"), "{human}");
}

/// No operator at all: with no soak, ticks alternate with external CI
/// reporting success on every open PR's head through `commit-status`, and
/// the rollout goes through every wave to completion (a target whose
/// default branch already admits the new version is `superseded`).
#[test]
fn commit_status_alone_carries_the_rollout_through_every_wave() {
    let org = generated(40);
    let config = wavebump::cli_plan::DEMO_CONFIG.replace("soak: 30m", "soak: 0s");
    assert_ne!(config, wavebump::cli_plan::DEMO_CONFIG);
    std::fs::write(&org.config, config).unwrap();
    org.rollout(&["start"]);
    let last_wave = org.target_states().iter().map(|t| t.1).max().unwrap();
    let mut reported = std::collections::BTreeSet::new();
    let mut done = false;
    for _ in 0..40 {
        org.rollout(&["tick"]);
        let json = std::fs::read_to_string(org.org.join(".wavebump/pulls.json")).unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        for (repo, pulls) in v["repos"].as_object().unwrap() {
            for p in pulls.as_array().unwrap() {
                if p["state"] != "open" {
                    continue;
                }
                let head = head_of(&org.bare(repo), p["head_branch"].as_str().unwrap());
                if reported.insert((repo.clone(), head.clone())) {
                    let out = org.status(repo, &head, "ci/test", "success");
                    assert!(out.status.success(), "{}", text(&out).1);
                }
            }
        }
        let out = org.rollout(&["status", "--json"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        if v[0]["rollout"]["state"] == "completed" {
            done = true;
            break;
        }
    }
    let states = org.target_states();
    assert!(done, "not completed: {states:?}");
    assert!(
        states
            .iter()
            .all(|t| ["merged", "superseded"].contains(&t.2.as_str())),
        "{states:?}"
    );
    assert!(states.iter().any(|t| t.1 == last_wave && t.2 == "merged"));
}

/// Issue 14's `--local` journey through the binary, with no operator
/// command after `start`: people merge with `git merge` + `git push`,
/// external CI reports through `commit-status`, a red PR's owner pushes a
/// fix to the bump branch and CI turns green on the new head, and the
/// rollout reaches its last wave.
#[test]
fn owners_merge_fix_and_report_until_the_last_wave() {
    let org = generated(40);
    let config = wavebump::cli_plan::DEMO_CONFIG
        .replace("soak: 30m", "soak: 0s")
        .replace(
            "failure_budget: 0",
            "failure_budget: 1\n    require: merged",
        )
        .replace("automerge: true", "automerge: false");
    assert!(config.contains("require: merged") && config.contains("automerge: false"));
    std::fs::write(&org.config, config).unwrap();
    org.rollout(&["start"]);
    let last_wave = org.target_states().iter().map(|t| t.1).max().unwrap();
    let tick = org.rollout(&["tick"]);
    assert!(tick.contains("2 opened"), "{tick}");

    // CI fails on notifications' bump PR.
    let (branch, _, _) = org.pull("notifications");
    let red = head_of(&org.bare("notifications"), &branch);
    let out = org.status("notifications", &red, "ci/test", "failure");
    assert!(out.status.success(), "{}", text(&out).1);
    org.rollout(&["tick"]);
    assert_eq!(org.state_of("notifications"), "ci_failed");

    // Its owner adapts the code on the bump branch: the engine follows the
    // new head, and CI reports green on it.
    let dana = crate::support::people::Clone::of(&org.bare("notifications"), "Dana");
    dana.git(&["fetch", "-q", "origin"]);
    dana.git(&["checkout", "-q", "-B", &branch, &format!("origin/{branch}")]);
    std::fs::write(dana.path.join("adapted.js"), "// adapted to core-utils 2\n").unwrap();
    dana.git(&["add", "adapted.js"]);
    dana.git(&["commit", "-q", "-m", "Adapt to core-utils 2"]);
    dana.git(&["push", "-q", "origin", &branch]);
    let fixed = head_of(&org.bare("notifications"), &branch);
    assert_ne!(fixed, red);
    org.rollout(&["tick"]);
    assert_eq!(org.state_of("notifications"), "ci_pending");
    let human = org.rollout(&["status"]);
    assert!(human.contains("notifications"), "{human}");

    // From here on: CI reports success on every open PR's head, and the
    // owners merge every green PR with git. No operator command.
    let mut reported = std::collections::BTreeSet::new();
    let mut reached = false;
    for _ in 0..40 {
        let json = std::fs::read_to_string(org.org.join(".wavebump/pulls.json")).unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        for (repo, pulls) in v["repos"].as_object().unwrap() {
            for p in pulls.as_array().unwrap() {
                if p["state"] != "open" {
                    continue;
                }
                let head = head_of(&org.bare(repo), p["head_branch"].as_str().unwrap());
                if reported.insert((repo.clone(), head.clone())) {
                    let out = org.status(repo, &head, "ci/test", "success");
                    assert!(out.status.success(), "{}", text(&out).1);
                }
            }
        }
        org.rollout(&["tick"]);
        for (repo, _, state) in org.target_states() {
            if state == "ci_passed" {
                let (branch, pr_state, _) = org.pull(&repo);
                if pr_state == "open" {
                    let owner = crate::support::people::Clone::of(&org.bare(&repo), "Owner");
                    owner.merge_and_push(&branch);
                }
            }
        }
        org.rollout(&["tick"]);
        let out = org.rollout(&["status", "--json"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        if v[0]["rollout"]["current_wave"].as_u64() == Some(last_wave)
            || v[0]["rollout"]["state"] == "completed"
        {
            reached = true;
            break;
        }
        assert_eq!(v[0]["rollout"]["state"], "running", "{v:#}");
    }
    assert!(
        reached,
        "the last wave was not reached: {:?}",
        org.target_states()
    );
    assert_eq!(org.state_of("notifications"), "merged");
    let (_, state, by) = org.pull("notifications");
    assert_eq!((state.as_str(), by.as_deref()), ("merged", Some("Owner")));
    let out = org.rollout(&["status", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let t = v[0]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["repo"] == "notifications")
        .unwrap()
        .clone();
    assert_eq!(t["head_sha"], fixed.as_str(), "{t:#}");
    assert_eq!(t["activity"]["merged_by"], "Owner", "{t:#}");
    let human = org.rollout(&["status"]);
    assert!(
        human
            .lines()
            .any(|l| l.contains("notifications") && l.contains("[merged by Owner]")),
        "{human}"
    );
}
