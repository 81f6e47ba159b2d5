//! A small organisation on the fake GitHub for tests that drive the real
//! binary: the library, `n` Cargo services, a config file pointing at the
//! fake (token through an environment variable), a SQLite store next to it,
//! and "instant CI" (every PR head gets a green status as soon as it
//! appears).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wavebump::ecosystem::MemTree;

use crate::support::fake_github::FakeGitHub;

pub const TOKEN: &str = "ghp_rollout_cli_token";
pub const TOKEN_ENV: &str = "WB_TEST_ROLLOUT_TOKEN";

pub struct Org {
    pub fake: Arc<FakeGitHub>,
    /// Holds the config and the store.
    pub _dir: tempfile::TempDir,
    pub config: PathBuf,
    pub repos: Vec<String>,
}

fn cargo(name: &str, dep: Option<&str>) -> MemTree {
    let mut text = format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n[dependencies]\n");
    if let Some(v) = dep {
        text.push_str(&format!("core-utils = \"{v}\"\n"));
    }
    MemTree::new().with("Cargo.toml", text)
}

/// `n` services `svc-NN` on `acme`, waves `waves`, automerge on.
pub async fn org(n: usize, waves: &str, extra: &str) -> Org {
    let fake = Arc::new(FakeGitHub::start().await);
    fake.add_token(TOKEN);
    fake.add_repo("acme", "core-utils", &cargo("core-utils", None));
    fake.add_release(
        "acme/core-utils",
        "v2.0.0",
        "Breaking: thanks @someone, fixes #12",
        false,
    );
    let mut repos = Vec::new();
    for i in 0..n {
        let name = format!("svc-{i:02}");
        repos.push(fake.add_repo("acme", &name, &cargo(&name, Some("1.4"))));
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wavebump.yaml");
    let yaml = format!(
        "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n\
         github:\n  api_url: {}\n  token_env: {TOKEN_ENV}\n  writes_per_minute: 80\n\
         rollout:\n  canaries: [svc-00]\n  waves: {waves}\n  gate:\n    success_ratio: 1.0\n    soak: 0s\n    failure_budget: 0\n\
         pull_requests:\n  automerge: true\n  labels: []\n\
         server:\n  public_url: https://wavebump.example\n{extra}",
        fake.url()
    );
    std::fs::write(&config, yaml).unwrap();
    Org {
        fake,
        _dir: dir,
        config,
        repos,
    }
}

impl Org {
    /// `wavebump ARGS --config FILE` (blocking; call from `spawn_blocking`
    /// or `run`).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_wavebump"));
        c.args(args)
            .arg("--config")
            .arg(&self.config)
            .env(TOKEN_ENV, TOKEN)
            .env("USER", "tester");
        c
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        let mut c = self.command(args);
        tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap()
    }

    /// Green CI for every PR head, as soon as it appears, until dropped.
    pub fn instant_ci(&self) -> CiGuard {
        let stop = Arc::new(AtomicBool::new(false));
        let fake = self.fake.clone();
        let repos = self.repos.clone();
        let flag = stop.clone();
        tokio::spawn(async move {
            let mut done = std::collections::BTreeSet::new();
            while !flag.load(Ordering::Relaxed) {
                for full in &repos {
                    for p in fake.pulls(full) {
                        if let Some(sha) = fake.branch_sha(full, &p.head)
                            && done.insert(sha.clone())
                        {
                            fake.set_status(full, &sha, "ci", "success");
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        CiGuard(stop)
    }
}

pub struct CiGuard(Arc<AtomicBool>);

impl Drop for CiGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}
