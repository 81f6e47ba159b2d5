//! The real binary over the local forge (`--local DIR`): the generated
//! example organisation as bare repositories, the demo's config, a SQLite
//! store next to it. Every rollout command works without GitHub: start,
//! status, tick (PRs are branches + records in `.wavebump/pulls.json`),
//! pause/resume, advance, skip, retry (refused: no CI failed), run, abort
//! (PRs closed with the comment), and `pr open --local`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use wavebump::demo::{GenerateOptions, Layout, generate_with};

use super::ghorg::text;

struct LocalOrg {
    dir: tempfile::TempDir,
    org: PathBuf,
    config: PathBuf,
}

fn local_org() -> LocalOrg {
    crate::support::org::isolate_git();
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    generate_with(&org, &GenerateOptions::default(), Layout::Bare).unwrap();
    let config = dir.path().join("wavebump.yaml");
    std::fs::write(&config, wavebump::cli_plan::DEMO_CONFIG).unwrap();
    std::fs::create_dir_all(dir.path().join("home")).unwrap();
    LocalOrg { dir, org, config }
}

impl LocalOrg {
    /// `wavebump ARGS --local ORG --config FILE`, with no lockfile tool on
    /// `PATH` (they would reach registries) and a scratch `HOME`.
    async fn run(&self, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_wavebump"));
        c.args(args)
            .arg("--local")
            .arg(&self.org)
            .arg("--config")
            .arg(&self.config)
            .env("PATH", self.dir.path().join("home"))
            .env("HOME", self.dir.path().join("home"))
            .env("USER", "tester");
        tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap()
    }

    async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{args:?}: {stderr}{stdout}");
        stdout
    }

    async fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out).0);
        text(&out).1
    }

    async fn status(&self) -> Value {
        let out = self.ok(&["rollout", "status", "--json"]).await;
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        v[0].clone()
    }

    /// `(repo, state, comments)` of every local PR.
    fn pulls(&self) -> Vec<(String, String, Vec<String>)> {
        pulls_of(&self.org)
    }
}

fn pulls_of(org: &Path) -> Vec<(String, String, Vec<String>)> {
    let path = org.join(".wavebump/pulls.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for (repo, pulls) in v["repos"].as_object().unwrap() {
        for p in pulls.as_array().unwrap() {
            out.push((
                repo.clone(),
                p["state"].as_str().unwrap().to_owned(),
                p["comments"]
                    .as_array()
                    .map(|c| {
                        c.iter()
                            .map(|s| s.as_str().unwrap_or("").to_owned())
                            .collect()
                    })
                    .unwrap_or_default(),
            ));
        }
    }
    out
}

fn states(r: &Value) -> Vec<(String, u64, String)> {
    r["targets"]
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_commands_over_the_local_forge() {
    tokio::time::timeout(Duration::from_secs(120), async {
        let org = local_org();
        let started = org.ok(&["rollout", "start"]).await;
        assert!(started.contains("rollout 1 started"), "{started}");
        let r = org.status().await;
        assert_eq!(r["rollout"]["state"], "running", "{r:#}");
        let targets = states(&r);
        let canaries: Vec<&str> = targets
            .iter()
            .filter(|t| t.1 == 0)
            .map(|t| t.0.as_str())
            .collect();
        assert_eq!(canaries, ["ml-pipeline", "notifications"], "{targets:?}");

        // A tick opens the canaries' PRs: branches of the bare
        // repositories, recorded in the local forge's pulls file.
        let tick = org.ok(&["rollout", "tick"]).await;
        assert!(tick.contains("2 opened"), "{tick}");
        let pulls = org.pulls();
        let opened: Vec<&str> = pulls.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(opened, ["ml-pipeline", "notifications"]);
        assert!(pulls.iter().all(|p| p.1 == "open"), "{pulls:?}");
        let heads = wavebump::git::refs(&org.org.join("notifications.git")).unwrap();
        assert!(
            heads
                .iter()
                .any(|(name, _)| name.starts_with("refs/heads/wavebump/")),
            "{heads:?}"
        );
        // No CI on the local forge: the canaries wait, nothing new opens.
        let again = org.ok(&["rollout", "tick"]).await;
        assert!(again.contains("0 opened"), "{again}");
        assert_eq!(org.pulls().len(), 2);
        assert!(
            states(&org.status().await)
                .iter()
                .filter(|t| t.1 == 0)
                .all(|t| t.2 == "ci_pending")
        );

        // Operator commands, with refusals naming the state.
        org.ok(&["rollout", "pause", "--reason", "lunch"]).await;
        let err = org.refused(&["rollout", "pause"]).await;
        assert!(err.contains("paused"), "{err}");
        // `run --until-done` stops at once: nothing is running.
        org.ok(&["rollout", "run", "--interval", "0.01", "--until-done"])
            .await;
        assert_eq!(org.pulls().len(), 2, "paused: nothing opened");
        org.ok(&["rollout", "resume", "--as", "carol"]).await;
        let err = org.refused(&["rollout", "retry", "notifications"]).await;
        assert!(err.contains("ci_pending"), "{err}");
        let err = org.refused(&["rollout", "skip", "notificatons"]).await;
        assert!(err.contains("notifications"), "close match: {err}");

        let advanced = org.ok(&["rollout", "advance", "--as", "dave"]).await;
        assert!(advanced.contains("running"), "{advanced}");
        let r = org.status().await;
        assert_eq!(r["rollout"]["current_wave"], 1, "{r:#}");
        let wave1: Vec<String> = states(&r)
            .into_iter()
            .filter(|t| t.1 == 1)
            .map(|t| t.0)
            .collect();
        assert!(!wave1.is_empty());
        let skipped = wave1[0].clone();
        org.ok(&["rollout", "skip", &skipped, "--reason", "frozen"])
            .await;
        org.ok(&["rollout", "tick"]).await;
        let pulls = org.pulls();
        for repo in &wave1[1..] {
            assert!(pulls.iter().any(|p| &p.0 == repo), "{repo}: {pulls:?}");
        }
        assert!(!pulls.iter().any(|p| p.0 == skipped), "{pulls:?}");
        let open = pulls.len();

        // Abort closes every open PR with the comment.
        let said = org
            .ok(&["rollout", "abort", "--comment", "2.0 withdrawn"])
            .await;
        // The answer says what happened: every PR closed, the rollout aborted.
        assert!(said.contains("aborted: closed"), "{said}");
        let pulls = org.pulls();
        assert_eq!(pulls.len(), open);
        for (repo, state, comments) in &pulls {
            assert_eq!(state, "closed", "{repo}");
            assert!(
                comments.iter().any(|c| c.contains("2.0 withdrawn")),
                "{repo}: {comments:?}"
            );
        }
        let r = org.status().await;
        assert_eq!(r["rollout"]["state"], "aborted");
        let err = org.refused(&["rollout", "resume"]).await;
        assert!(err.contains("no rollout in progress"), "{err}");
        let human = org.ok(&["rollout", "status"]).await;
        assert!(human.contains("aborted"), "{human}");
    })
    .await
    .expect("timed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pr_open_and_bad_local_dir() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let org = local_org();
        let url = org
            .ok(&["pr", "open", "--repo", "storefront", "--to", "2.0.0"])
            .await;
        assert_eq!(url.trim(), "local://storefront/pull/1");
        let again = org
            .ok(&["pr", "open", "--repo", "storefront", "--to", "2.0.0"])
            .await;
        assert_eq!(again, url, "the same PR, updated");
        assert_eq!(org.pulls().len(), 1);

        let missing = org.dir.path().join("nowhere");
        let out = Command::new(env!("CARGO_BIN_EXE_wavebump"))
            .args(["rollout", "tick", "--local"])
            .arg(&missing)
            .arg("--config")
            .arg(&org.config)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out).1.contains("not a directory"), "{}", text(&out).1);
    })
    .await
    .expect("timed out");
}
