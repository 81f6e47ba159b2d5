//! Rollouts on the fake GitHub, in process: an organisation of services
//! (Cargo and npm) that consume `core-utils`, the real `GitHubForge`
//! (octocrab, real git pushes into the fake's bare repositories) on a
//! manual clock, a store, the real planner and engine, and a scriptable CI
//! made of check runs (`GhFleet::run_ci`, called before every tick).
//!
//! Shared by `tests/rollout/github_journey.rs` and the benchmark, which
//! mounts this file with `#[path]`: it depends on `support::fake_github`
//! only (never on other test modules). The bench figures:
//! - [`instant_rollout`]: a rollout of N repositories with instant CI,
//!   from planning to `completed` (wall time; the org-wide write budget
//!   is paced on the manual clock, reported apart as `budget_wait`);
//! - [`quiet_tick_fixture`]: a running rollout with thousands of pending
//!   targets and nothing to do, whose `Engine::tick` the bench times and
//!   whose requests must all be conditional (304).
//!
//! Invariant: no real sleeps and no wall clock in the engine's decisions:
//! the engine's time is the caller's `Timestamp`, the forge's is a
//! `ManualClock`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use wavebump::config::secret::Secret;
use wavebump::config::{Config, StoreBackend};
use wavebump::ecosystem::MemTree;
use wavebump::forge::github::{GitHubAuth, GitHubForge, GitHubOptions, ManualClock};
use wavebump::rollout::{Engine, EngineOptions, RolloutState, Timestamp, new_rollout};
use wavebump::store::{RolloutRecord, Store};

use crate::support::fake_github::{self, CheckRun, FakeGitHub, PullState};

pub const ORG: &str = "acme";
/// The one CI check of every repository (required by branch protection).
pub const CHECK: &str = "test";
/// The engine's clock at the start of every scenario.
pub const START: Timestamp = Timestamp(1_800_000_000_000);

/// What CI answers for a repository's commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ci {
    /// The check runs and does not finish.
    Pending,
    Pass,
    Fail,
}

/// The organisation on the fake GitHub.
pub struct GhFleet {
    pub fake: FakeGitHub,
    /// The consumers' full names (`acme/svc-00` ...), canary first.
    pub repos: Vec<String>,
    pub config: Config,
    pub clock: Arc<ManualClock>,
    ci: Mutex<(Ci, BTreeMap<String, Ci>)>,
    cache: TempDir,
}

/// The configuration of a fleet: canary `svc-00`, wave sizes `waves`,
/// automerge, success ratio 1, failure budget 0.
pub fn config_text(api_url: &str, waves: &str, soak: &str) -> String {
    format!(
        "library:\n  repository: {ORG}/core-utils\n  packages:\n    cargo: core-utils\n    npm: \"@acme/core-utils\"\n\
         github:\n  api_url: {api_url}\n\
         rollout:\n  canaries: [svc-00]\n  waves: {waves}\n  gate:\n    success_ratio: 1.0\n    soak: {soak}\n    failure_budget: 0\n\
         pull_requests:\n  automerge: true\n  labels: [dependencies]\n\
         server:\n  public_url: https://wavebump.example\n"
    )
}

fn cargo(name: &str, requirement: Option<&str>) -> MemTree {
    let mut text = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nserde = \"1\"\n"
    );
    if let Some(v) = requirement {
        text.push_str(&format!("core-utils = \"{v}\"\n"));
    }
    MemTree::new()
        .with("Cargo.toml", text)
        .with("src/main.rs", "fn main() {}\n")
}

fn npm(name: &str) -> MemTree {
    MemTree::new().with(
        "package.json",
        format!(
            "{{\n  \"name\": \"{name}\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {{\n    \"@acme/core-utils\": \"^1.4.0\",\n    \"left-pad\": \"^1.3.0\"\n  }}\n}}\n"
        ),
    )
}

impl GhFleet {
    /// The library (release `v2.0.0`) and `n` services `svc-NN` (every
    /// fifth an npm package, the rest Cargo), each default branch
    /// protected with the required check [`CHECK`].
    pub async fn new(n: usize, waves: &str, soak: &str) -> GhFleet {
        let fake = FakeGitHub::start().await;
        fake.install(ORG);
        fake.add_repo(ORG, "core-utils", &cargo("core-utils", None));
        fake.add_release(
            &format!("{ORG}/core-utils"),
            "v2.0.0",
            "Breaking: `Config::load` returns a `Result`. Thanks @someone, fixes #12.",
            false,
        );
        let mut repos = Vec::new();
        for i in 0..n {
            let name = format!("svc-{i:02}");
            let tree = if i % 5 == 4 {
                npm(&name)
            } else {
                cargo(&name, Some(if i % 2 == 0 { "1.4" } else { "~1.4.2" }))
            };
            let full = fake.add_repo(ORG, &name, &tree);
            fake.protect(&full, &[CHECK], 0);
            repos.push(full);
        }
        let text = config_text(fake.url(), waves, soak);
        let config = Config::parse_in(&text, "wavebump.yaml", std::path::Path::new("/tmp"))
            .unwrap_or_else(|e| panic!("fleet config: {e}\n{text}"));
        GhFleet {
            fake,
            repos,
            config,
            clock: Arc::new(ManualClock::new()),
            ci: Mutex::new((Ci::Pass, BTreeMap::new())),
            cache: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// The GitHub forge as the App installed on the organisation, with the
    /// product's default write budget paced on the manual clock.
    pub async fn forge(&self) -> GitHubForge {
        let mut o = GitHubOptions::new(
            self.fake.url(),
            ORG,
            GitHubAuth::App {
                app_id: fake_github::APP_ID,
                private_key_pem: Secret::new(fake_github::app_private_key()),
                installation_id: None,
            },
        );
        o.clock = self.clock.clone();
        o.git_cache_dir = self.cache.path().to_path_buf();
        o.read_timeout = Duration::from_secs(10);
        GitHubForge::connect(o).await.expect("connect")
    }

    /// An engine over `store` and a new forge.
    pub async fn engine(&self, store: Store) -> Engine<GitHubForge> {
        Engine::new(
            store,
            self.forge().await,
            EngineOptions {
                pr_budget_per_tick: 20,
                max_error_retries: 3,
                lease: None,
            },
        )
    }

    /// CI of repositories without their own setting (default: pass).
    pub fn set_default_ci(&self, ci: Ci) {
        self.ci.lock().expect("ci").0 = ci;
    }

    /// CI of one repository's commits from now on (`acme/svc-07`).
    pub fn set_ci(&self, full: &str, ci: Ci) {
        self.ci.lock().expect("ci").1.insert(full.to_owned(), ci);
    }

    fn ci_of(&self, full: &str) -> Ci {
        let ci = self.ci.lock().expect("ci");
        ci.1.get(full).copied().unwrap_or(ci.0)
    }

    /// Run CI: every open PR head without a [`CHECK`] run gets one, and
    /// unfinished runs (new, or re-requested by a retry) finish as the
    /// repository's CI says. A finished run never changes (a failed run
    /// stays failed until someone re-runs it). The number of runs changed.
    pub fn run_ci(&self) -> usize {
        let mut changed = 0;
        for full in &self.repos {
            let want = self.ci_of(full);
            let heads: Vec<String> = self
                .fake
                .pulls(full)
                .iter()
                .filter(|p| p.state == PullState::Open)
                .filter_map(|p| self.fake.branch_sha(full, &p.head))
                .collect();
            for sha in heads {
                let (status, conclusion) = match want {
                    Ci::Pending => ("in_progress", None),
                    Ci::Pass => ("completed", Some("success")),
                    Ci::Fail => ("completed", Some("failure")),
                };
                let run = self.fake.with_repo(full, |r| {
                    r.check_runs
                        .iter()
                        .rposition(|c| c.head_sha == sha && c.name == CHECK)
                });
                match run {
                    None => {
                        self.fake
                            .add_check_run(full, &sha, CHECK, status, conclusion);
                        changed += 1;
                    }
                    Some(i) => {
                        changed += self.fake.with_repo(full, |r| {
                            let c: &mut CheckRun = &mut r.check_runs[i];
                            if c.status == "completed" || c.status == status {
                                return 0;
                            }
                            c.status = status.into();
                            c.conclusion = conclusion.map(str::to_owned);
                            1
                        });
                    }
                }
            }
        }
        changed
    }

    /// PRs per repository on the fake (every state).
    pub fn pulls_per_repo(&self) -> BTreeMap<String, usize> {
        self.repos
            .iter()
            .map(|full| (full.clone(), self.fake.pulls(full).len()))
            .collect()
    }

    /// Write requests (POST/PUT/PATCH/DELETE) the fake has answered.
    pub fn write_requests(&self) -> usize {
        self.fake.count(|r| r.is_write())
    }
}

/// Plan with the real planner through the forge, store and start the
/// rollout as `who`; its id.
pub async fn start(
    engine: &Engine<GitHubForge>,
    fleet: &GhFleet,
    now: Timestamp,
    who: &str,
) -> i64 {
    let noop = |_: usize, _: usize| {};
    let outcome = wavebump::planning::run(engine.forge(), &fleet.config, Some("2.0.0"), &noop)
        .await
        .expect("plan");
    let new = new_rollout(&outcome, &fleet.config, who);
    assert_eq!(new.targets.len(), fleet.repos.len(), "planned targets");
    let id = engine.create(&new, now).await.expect("create");
    engine.start(id, who, now).await.expect("start");
    id
}

/// Run CI, tick, move the engine's clock by `step`, until `done` holds (at
/// most `max` ticks); the rollout then, and the ticks made.
pub async fn drive(
    engine: &Engine<GitHubForge>,
    fleet: &GhFleet,
    id: i64,
    now: &mut Timestamp,
    step: Duration,
    max: usize,
    done: impl Fn(&RolloutRecord) -> bool,
) -> (RolloutRecord, usize) {
    for n in 1..=max {
        fleet.run_ci();
        let report = engine.tick(*now).await.expect("tick");
        assert!(report.errors.is_empty(), "tick errors: {:?}", report.errors);
        *now = now.plus(step);
        let r = engine
            .store()
            .rollout(id)
            .await
            .expect("read")
            .expect("rollout");
        if done(&r) {
            return (r, n);
        }
    }
    let r = engine.store().rollout(id).await.expect("read");
    panic!("not done after {max} ticks: {r:?}");
}

pub fn is(state: RolloutState) -> impl Fn(&RolloutRecord) -> bool {
    move |r| r.state == state
}

/// A SQLite store in `dir` (the product's default backend).
pub async fn sqlite_store(dir: &std::path::Path) -> Store {
    let path = dir.join("wavebump.db");
    Store::open(&StoreBackend::Sqlite {
        url: format!("sqlite://{}", path.display()),
        path,
    })
    .await
    .expect("open store")
}

/// What [`instant_rollout`] measured.
#[derive(Clone, Debug)]
pub struct InstantRollout {
    pub repos: usize,
    /// Planning (discovery through the forge) + create + start.
    pub plan: Duration,
    /// From planning to `completed`, planning included.
    pub wall: Duration,
    pub ticks: usize,
    /// API requests (auth excluded) and the writes among them.
    pub requests: usize,
    pub writes: usize,
    /// Time the org-wide write budget made the forge wait, on the manual
    /// clock (not in `wall`).
    pub budget_wait: Duration,
    pub merged: usize,
}

/// A rollout of `repos` repositories (canary, then waves 3, 8, 16, ...)
/// with instant CI and no soak, through the real engine, forge, git pushes
/// and a SQLite file: the bench's "start to completed" figure. Panics if
/// it does not complete with one merged PR per repository.
pub async fn instant_rollout(repos: usize) -> InstantRollout {
    let fleet = GhFleet::new(repos, "[3, 8, 16]", "0s").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = fleet.engine(sqlite_store(dir.path()).await).await;
    fleet.fake.clear_requests();
    let t0 = Instant::now();
    let mut now = START;
    let id = start(&engine, &fleet, now, "bench").await;
    let plan = t0.elapsed();
    let (done, ticks) = drive(
        &engine,
        &fleet,
        id,
        &mut now,
        Duration::from_secs(60),
        20 * repos + 20,
        is(RolloutState::Completed),
    )
    .await;
    let wall = t0.elapsed();
    assert_eq!(done.state, RolloutState::Completed);
    let per_repo = fleet.pulls_per_repo();
    assert!(per_repo.values().all(|&n| n == 1), "{per_repo:?}");
    let merged = fleet
        .repos
        .iter()
        .filter(|full| {
            fleet
                .fake
                .pulls(full)
                .iter()
                .any(|p| p.state == PullState::Merged)
        })
        .count();
    assert_eq!(merged, repos, "every PR merged");
    InstantRollout {
        repos,
        plan,
        wall,
        ticks,
        requests: fleet.fake.count(|r| !r.is_auth()),
        writes: fleet.fake.count(|r| !r.is_auth() && r.is_write()),
        budget_wait: fleet.clock.sleeps().iter().sum(),
        merged,
    }
}

/// A running rollout with nothing to do, for timing `Engine::tick`: the
/// canary `acme/svc-00` (wave 0) has its PR open on the fake with CI
/// still running, and `pending` more targets wait in wave 1 as store rows
/// only (their repositories need not exist: nothing may touch them while
/// wave 0 is not through). Two warm-up ticks have run, so the ETag cache
/// knows every answer a tick reads.
pub struct QuietTick {
    pub engine: Engine<GitHubForge>,
    pub fleet: GhFleet,
    pub rollout: i64,
    /// The clock to tick at.
    pub now: Timestamp,
}

impl QuietTick {
    /// `(requests, not conditional)` the fake answered since `clear`:
    /// the second number must be 0 (only 304s).
    pub fn requests(&self) -> (usize, usize) {
        let f = &self.fleet.fake;
        (
            f.count(|r| !r.is_auth()),
            f.count(|r| !r.is_auth() && r.is_counted()),
        )
    }

    /// Forget the requests recorded so far.
    pub fn clear(&self) {
        self.fleet.fake.clear_requests();
    }
}

/// Build a [`QuietTick`] over `store` with `pending` waiting targets.
pub async fn quiet_tick_fixture(store: Store, pending: usize) -> QuietTick {
    use wavebump::store::NewTarget;
    let fleet = GhFleet::new(1, "[3]", "0s").await;
    fleet.set_default_ci(Ci::Pending);
    let engine = fleet.engine(store).await;
    let noop = |_: usize, _: usize| {};
    let outcome = wavebump::planning::run(engine.forge(), &fleet.config, Some("2.0.0"), &noop)
        .await
        .expect("plan");
    let mut new = new_rollout(&outcome, &fleet.config, "bench");
    let canary = new.targets.first().cloned().expect("the canary target");
    new.targets.extend((0..pending).map(|i| NewTarget {
        repo: format!("{ORG}/repo-{i:05}"),
        wave: 1,
        ..canary.clone()
    }));
    new.wave_count = 2;
    let now = START;
    let id = engine.create(&new, now).await.expect("create");
    engine.start(id, "bench", now).await.expect("start");
    // Opens the canary's PR, then CI starts and is read twice (the second
    // answer is a 304 from then on).
    for _ in 0..3 {
        fleet.run_ci();
        let report = engine.tick(now).await.expect("warm-up tick");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }
    QuietTick {
        engine,
        fleet,
        rollout: id,
        now,
    }
}
