//! The local forge through the real binary: `rollout retry` runs CI again
//! for a failed commit status (`wavebump commit-status`) by pushing an
//! empty commit to the bump branch of the bare repository, refuses (exit 2,
//! nothing changed) when a person's push moved the branch, and a bare
//! repository removed mid-rollout puts only its target in `error`.

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

/// A generated organisation with the demo's config (no soak).
struct Org {
    _dir: tempfile::TempDir,
    org: PathBuf,
    config: PathBuf,
    home: PathBuf,
}

impl Org {
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
        let text = wavebump::cli_plan::DEMO_CONFIG.replace("soak: 30m", "soak: 0s");
        std::fs::write(&config, text).unwrap();
        Org {
            _dir: dir,
            org,
            config,
            home,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["rollout"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "--local",
            self.org.to_str().unwrap(),
            "--config",
            self.config.to_str().unwrap(),
            "--as",
            "bob",
        ]);
        wavebump(&all, &self.home)
    }

    fn rollout(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out).1);
        text(&out).0
    }

    fn status(&self, repo: &str, sha: &str, state: &str) {
        let out = wavebump(
            &[
                "commit-status",
                "--local",
                self.org.to_str().unwrap(),
                "--repo",
                repo,
                "--sha",
                sha,
                "--context",
                "ci/test",
                "--state",
                state,
            ],
            &self.home,
        );
        assert!(out.status.success(), "{}", text(&out).1);
    }

    /// `(state, last reason)` of `repo`'s target.
    fn target(&self, repo: &str) -> (String, String) {
        let out = self.rollout(&["status", "--json"]);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        let t = v[0]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["repo"] == repo)
            .unwrap_or_else(|| panic!("no {repo}: {v:#}"))
            .clone();
        (
            t["state"]["state"].as_str().unwrap().to_owned(),
            t.to_string(),
        )
    }

    fn bare(&self, repo: &str) -> PathBuf {
        self.org.join(format!("{repo}.git"))
    }

    /// The head branch of `repo`'s first local PR.
    fn branch(&self, repo: &str) -> String {
        let text = std::fs::read_to_string(self.org.join(".wavebump/pulls.json")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["repos"][repo][0]["head_branch"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn head(&self, repo: &str) -> String {
        let want = format!("refs/heads/{}", self.branch(repo));
        wavebump::git::refs(&self.bare(repo))
            .unwrap()
            .into_iter()
            .find(|(name, _)| *name == want)
            .map(|(_, id)| id)
            .unwrap()
    }
}

/// The two canaries of the generated organisation.
const A: &str = "notifications";
const B: &str = "ml-pipeline";

#[test]
fn retry_pushes_an_empty_commit_for_a_failed_commit_status() {
    let org = Org::generated(40);
    org.rollout(&["start"]);
    assert!(org.rollout(&["tick"]).contains("2 opened"));
    let old = org.head(A);
    org.status(A, &old, "failure");
    org.rollout(&["tick"]);
    assert_eq!(org.target(A).0, "ci_failed");

    let answer = org.rollout(&["retry", A]);
    assert!(answer.contains("pushed an empty commit"), "{answer}");
    assert!(answer.contains("ci/test"), "{answer}");
    let new = org.head(A);
    assert_ne!(new, old, "a new commit on the bump branch");
    let bare = org.bare(A);
    let commit = wavebump::git::commit_info(&bare, &new).unwrap();
    let parent = wavebump::git::commit_info(&bare, &old).unwrap();
    assert_eq!(commit.parents, std::slice::from_ref(&old));
    assert_eq!(commit.tree, parent.tree, "empty");
    let (state, json) = org.target(A);
    assert_eq!(state, "ci_pending", "{json}");
    assert!(
        json.contains(&new),
        "the target follows the new head: {json}"
    );
    assert!(
        json.contains("retry by bob: pushed an empty commit"),
        "{json}"
    );

    // External CI reports on the new commit: green, merged.
    org.status(A, &new, "success");
    let _ = org.run(&["resume"]); // when the failure halted it
    org.rollout(&["tick"]);
    org.rollout(&["tick"]);
    assert_eq!(org.target(A).0, "merged");
}

#[test]
fn retry_refuses_a_branch_a_person_moved() {
    let org = Org::generated(40);
    org.rollout(&["start"]);
    org.rollout(&["tick"]);
    let old = org.head(B);
    org.status(B, &old, "failure");
    org.rollout(&["tick"]);
    assert_eq!(org.target(B).0, "ci_failed");
    // Carol pushes to the bump branch (no webhook tells wavebump).
    let carol = crate::support::people::Clone::of(&org.bare(B), "Carol");
    let branch = org.branch(B);
    carol.git(&["fetch", "-q", "origin"]);
    carol.git(&["checkout", "-q", "-B", &branch, &format!("origin/{branch}")]);
    std::fs::write(carol.path.join("FIX.md"), "a fix\n").unwrap();
    carol.git(&["add", "FIX.md"]);
    carol.git(&["commit", "-q", "-m", "A fix"]);
    carol.git(&["push", "-q", "origin", &branch]);
    let theirs = org.head(B);
    let before = org.target(B);

    let out = org.run(&["retry", B]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    let err = text(&out).1;
    for part in [
        "cannot retry ml-pipeline",
        "not where wavebump left it",
        "nothing was changed",
    ] {
        assert!(err.contains(part), "{part:?} in {err}");
    }
    assert_eq!(org.head(B), theirs, "Carol's commit stays the head");
    assert_eq!(org.target(B), before, "the target is unchanged");
}

#[test]
fn a_removed_bare_repository_stays_local() {
    let org = Org::generated(40);
    org.rollout(&["start"]);
    org.rollout(&["tick"]);
    std::fs::remove_dir_all(org.bare(B)).unwrap();
    org.status(A, &org.head(A), "success");
    let out = org.run(&["tick"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let (stdout, stderr) = text(&out);
    assert!(
        stderr.contains("ml-pipeline: PR #1:") || stderr.contains("ml-pipeline: CI:"),
        "{stderr}"
    );
    assert!(stdout.contains("1 merged"), "{stdout}");
    let (state, json) = org.target(B);
    assert_eq!(state, "error", "{json}");
    assert!(
        json.contains("repository ml-pipeline is gone (404)"),
        "{json}"
    );
    assert_eq!(org.target(A).0, "merged");
    // The next tick goes on without meeting it again.
    let out = org.run(&["tick"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(!text(&out).1.contains("ml-pipeline"), "{:?}", text(&out));
}
