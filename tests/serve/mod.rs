//! `wavebump serve` in-process (the real router, worker and reconcile loop
//! over a SQLite store in a temporary directory, the GitHub forge against
//! the fake GitHub) and as a binary.

mod binary;
mod defer;
mod endpoints;
mod ha;
mod inbox;
mod journey;
mod limits;
mod metrics;
mod rejects;
mod replicas;
mod rollouts;
mod slow_discovery;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;
use wavebump::config::Config;
use wavebump::config::secret::Secret;
use wavebump::forge::github::{GitHubForge, ManualClock};
use wavebump::server::serve::{self, ServeApp, ServeDeps, ServeOptions};
use wavebump::server::webhook::sign;
use wavebump::server::worker::WorkerOptions;
use wavebump::store::Store;

use crate::support::fake_github::FakeGitHub;

/// The secret the tests' "GitHub" signs with.
pub const SECRET: &str = "serve-test-secret-5f2c9a17e4b3d608a1c7e9f2";
/// Every test's time limit.
pub const LIMIT: Duration = Duration::from_secs(90);

pub const LIBRARY: &str = "acme/core-utils";
pub const SERVICES: [&str; 3] = ["acme/svc-a", "acme/svc-b", "acme/svc-c"];

/// Runs a test body with the time limit.
pub async fn timed<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f)
        .await
        .expect("test timed out")
}

/// Polls `f` every few milliseconds until it gives `Some`, at most 30 s.
pub async fn wait_for<T, Fut: Future<Output = Option<T>>>(
    what: &str,
    mut f: impl FnMut() -> Fut,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn cargo(name: &str, dep: Option<&str>) -> wavebump::ecosystem::MemTree {
    let mut text = format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n[dependencies]\n");
    if let Some(req) = dep {
        text.push_str(&format!("core-utils = \"{req}\"\n"));
    }
    wavebump::ecosystem::MemTree::new().with("Cargo.toml", text)
}

/// The config: svc-a is the canary, then waves of one (three waves).
pub fn config_text(api_url: &str, extra_library: &str) -> String {
    format!(
        r#"library:
  repository: acme/core-utils
  packages:
    cargo: core-utils
{extra_library}rollout:
  canaries: [svc-a]
  waves: [1]
  gate:
    success_ratio: 1.0
    soak: 0s
    failure_budget: 0
github:
  api_url: {api_url}
"#
    )
}

/// A fake GitHub with the App installed on `acme`, the library (release
/// v2.0.0) and three services on core-utils 1.4.
pub async fn fake_org() -> FakeGitHub {
    let fake = FakeGitHub::start().await;
    fake.install("acme");
    fake.add_repo("acme", "core-utils", &cargo("core-utils", None));
    fake.add_release(LIBRARY, "v2.0.0", "Faster.", false);
    for full in SERVICES {
        let name = full.trim_start_matches("acme/");
        fake.add_repo("acme", name, &cargo(name, Some("1.4")));
    }
    fake
}

/// A test's world: the fake, a temp dir (store, git cache), the config.
pub struct World {
    pub fake: FakeGitHub,
    pub dir: TempDir,
    pub config: Arc<Config>,
}

impl World {
    pub async fn new(extra_library: &str) -> World {
        let fake = fake_org().await;
        let dir = tempfile::tempdir().unwrap();
        let config = Config::parse_in(
            &config_text(fake.url(), extra_library),
            "serve-test.yaml",
            dir.path(),
        )
        .unwrap();
        World {
            fake,
            dir,
            config: Arc::new(config),
        }
    }

    /// The SQLite store of this world (same file on every call).
    pub async fn store(&self) -> Store {
        let url = format!("sqlite://{}", self.dir.path().join("wavebump.db").display());
        Store::open_url(&url).await.unwrap()
    }

    pub async fn forge(&self) -> GitHubForge {
        let mut o = crate::github::app_options(&self.fake, Arc::new(ManualClock::new()));
        o.git_cache_dir = self.dir.path().join("git-cache");
        GitHubForge::connect(o).await.unwrap()
    }

    /// The app over this world's store, with `options`.
    pub async fn app(&self, options: ServeOptions) -> (ServeApp<GitHubForge>, Store) {
        let store = self.store().await;
        let app = serve::app(ServeDeps {
            config: self.config.clone(),
            store: store.clone(),
            forge: self.forge().await,
            secrets: vec![Secret::new("an-old-secret"), Secret::new(SECRET)],
            operators: vec![],
            options,
        });
        (app, store)
    }
}

/// Fast retries, a reconcile interval that never comes, a small body cap.
pub fn options() -> ServeOptions {
    ServeOptions {
        tick_interval: Duration::from_secs(3600),
        worker: WorkerOptions {
            poll_interval: Duration::from_millis(10),
            max_attempts: 3,
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
            batch: 8,
        },
        max_body_bytes: 256 * 1024,
        ..ServeOptions::default()
    }
}

/// A delivery as GitHub sends it.
pub struct Hook {
    pub event: String,
    pub id: String,
    pub body: Vec<u8>,
    pub signature: Option<String>,
    pub content_type: &'static str,
}

impl Hook {
    pub fn new(event: &str, id: &str, body: &Value) -> Hook {
        Hook::raw(event, id, serde_json::to_vec(body).unwrap())
    }

    /// Signed with [`SECRET`].
    pub fn raw(event: &str, id: &str, body: Vec<u8>) -> Hook {
        Hook {
            event: event.into(),
            id: id.into(),
            signature: Some(sign(&Secret::new(SECRET), &body)),
            body,
            content_type: "application/json",
        }
    }

    pub fn request(&self) -> Request<Body> {
        let mut b = Request::post("/webhook")
            .header("content-type", self.content_type)
            .header("x-github-event", &self.event)
            .header("x-github-delivery", &self.id)
            .header("content-length", self.body.len().to_string());
        if let Some(s) = &self.signature {
            b = b.header("x-hub-signature-256", s);
        }
        b.body(Body::from(self.body.clone())).unwrap()
    }
}

/// Sends a request through the router (no socket): status and body text.
pub async fn call(router: &Router, req: Request<Body>) -> (StatusCode, String) {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

pub async fn send(router: &Router, hook: &Hook) -> (StatusCode, String) {
    call(router, hook.request()).await
}

pub async fn get(router: &Router, path: &str) -> (StatusCode, String) {
    call(router, Request::get(path).body(Body::empty()).unwrap()).await
}

/// One of `tests/data/webhook/` as JSON.
pub fn fixture(name: &str) -> Value {
    let path = crate::support::crate_root()
        .join("tests/data/webhook")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn set(v: &mut Value, path: &[&str], new: Value) {
    let mut cur = v;
    for key in &path[..path.len() - 1] {
        cur = cur.get_mut(*key).unwrap_or_else(|| panic!("no {key}"));
    }
    cur[path[path.len() - 1]] = new;
}

/// A `release` `published` of `tag` on `repo`, published at `published_at`.
pub fn release(repo: &str, tag: &str, published_at: &str, prerelease: bool) -> Value {
    let mut v = fixture("release.published.json");
    set(&mut v, &["repository", "full_name"], json!(repo));
    set(&mut v, &["release", "tag_name"], json!(tag));
    set(&mut v, &["release", "published_at"], json!(published_at));
    set(&mut v, &["release", "prerelease"], json!(prerelease));
    v
}

/// A completed `check_run` on `sha` in `repo`.
pub fn check_run(repo: &str, sha: &str) -> Value {
    let mut v = fixture("check_run.completed.json");
    set(&mut v, &["repository", "full_name"], json!(repo));
    set(&mut v, &["check_run", "head_sha"], json!(sha));
    set(&mut v, &["check_run", "pull_requests"], json!([]));
    v
}
