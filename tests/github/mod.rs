//! The GitHub forge through the real octocrab client against the fake
//! GitHub (`tests/support/fake_github`).

mod auth;
mod ci;
mod contract;
mod discovery;
mod etag_store;
mod faults;
mod includes;
mod plan;
mod pulls;
mod push;
mod required_unknown;
mod shapes;

use std::sync::Arc;
use std::time::Duration;

use wavebump::config::secret::Secret;
use wavebump::forge::github::{
    GitHubAuth, GitHubForge, GitHubOptions, ManualClock, MemoryEtagCache,
};

use crate::support::fake_github::{self, FakeGitHub};

pub const ORG: &str = "acme";

/// Every test's time limit.
pub const LIMIT: Duration = Duration::from_secs(60);

/// Options for the App installed on `ORG`, with a manual clock.
pub fn app_options(fake: &FakeGitHub, clock: Arc<ManualClock>) -> GitHubOptions {
    let mut o = GitHubOptions::new(
        fake.url(),
        ORG,
        GitHubAuth::App {
            app_id: fake_github::APP_ID,
            private_key_pem: Secret::new(fake_github::app_private_key()),
            installation_id: None,
        },
    );
    o.clock = clock;
    o.cache = Arc::new(MemoryEtagCache::new());
    o.read_timeout = Duration::from_secs(5);
    o
}

/// A fake with the App installed on `ORG`, and a forge connected to it.
pub async fn setup() -> (FakeGitHub, GitHubForge, Arc<ManualClock>) {
    let fake = FakeGitHub::start().await;
    fake.install(ORG);
    let clock = Arc::new(ManualClock::new());
    let forge = GitHubForge::connect(app_options(&fake, clock.clone()))
        .await
        .expect("connect");
    (fake, forge, clock)
}

/// Run a test body with the time limit.
pub async fn timed<F: std::future::Future<Output = T>, T>(f: F) -> T {
    tokio::time::timeout(LIMIT, f)
        .await
        .expect("test timed out")
}

pub fn tree(files: &[(&str, &str)]) -> wavebump::ecosystem::MemTree {
    let mut t = wavebump::ecosystem::MemTree::new();
    for (p, c) in files {
        t.insert(*p, c.as_bytes().to_vec());
    }
    t
}

/// A version-bump PR on `branch` with labels and reviewers.
pub fn pulls_new_pr(branch: &str) -> wavebump::forge::NewPullRequest {
    wavebump::forge::NewPullRequest {
        head_branch: branch.into(),
        base_branch: "main".into(),
        title: "Bump core-utils to 2.0.0".into(),
        body: "body".into(),
        draft: false,
        labels: vec!["dependencies".into(), "wavebump".into()],
        reviewers: vec!["alice".into()],
        team_reviewers: vec![],
    }
}
