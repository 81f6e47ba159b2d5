//! Fault injection end to end: a 100-repository rollout through the real
//! engine and the GitHub forge against the fake GitHub, 10 % of API
//! requests failing at random (seeded: 502, 500, 403 secondary limit and
//! 429 with `Retry-After: 1`, answers slower than the client's timeout), and
//! the pushes of two repositories rejected until an operator retries them.
//!
//! Time: the forge's clock sleeps for real but `SCALE` times faster, so a
//! `Retry-After: 1` costs 20 ms; both sides are measured: the clock records
//! every wait the forge asked for, and the fake records when each request
//! arrived, so a retry that came before `Retry-After` (scaled) fails.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wavebump::clock::Sleep;
use wavebump::config::Config;
use wavebump::config::secret::Secret;
use wavebump::forge::github::{
    Clock, GitHubAuth, GitHubForge, GitHubOptions, MemoryEtagCache, SystemClock,
};
use wavebump::rollout::{Engine, EngineOptions, RolloutState, TargetState, Timestamp, new_rollout};
use wavebump::store::Store;

use super::{BRANCH, Rng, cargo};
use crate::support::fake_github::{self, FakeGitHub, Fault};

const REPOS: usize = 100;
const FAULT_PERCENT: u32 = 10;
const SEED: u64 = 0x0FA1_7500;
/// Real waits are this many times shorter than asked.
const SCALE: u32 = 50;
/// The client's read timeout (500 ms: the fake checks every answer against
/// GitHub's REST description, which a loaded debug build can take well over
/// 150 ms for on a 100-repository listing); a slow fault answers after `SLOW`.
const TIMEOUT: Duration = Duration::from_millis(500);
const SLOW: Duration = Duration::from_secs(1);
/// Repositories whose first push is rejected.
const REJECTED: usize = 2;

/// Real time, sleeps `SCALE` times shorter; records every requested wait.
#[derive(Default)]
struct ScaledClock {
    sleeps: Mutex<Vec<Duration>>,
}

impl Clock for ScaledClock {
    fn now(&self) -> Timestamp {
        SystemClock.now()
    }

    fn sleep(&self, d: Duration) -> Sleep {
        self.sleeps.lock().unwrap().push(d);
        Box::pin(tokio::time::sleep(d / SCALE))
    }
}

const CONFIG: &str = r#"
library:
  repository: acme/core-utils
  packages:
    cargo: core-utils
rollout:
  canaries: [svc-00]
  waves: [10, 30]
  gate:
    success_ratio: 1.0
    soak: 0s
    failure_budget: 5
pull_requests:
  automerge: true
  labels: [dependencies]
"#;

/// Lift a push rejection armed with `FakeGitHub::reject_pushes`.
fn allow_pushes(fake: &FakeGitHub, full: &str) {
    let dir = fake.with_repo(full, |r| {
        r.reject_pushes = false;
        r.git_dir.clone()
    });
    let lock = dir.join("refs/heads").join(format!("{BRANCH}.lock"));
    let _ = std::fs::remove_file(lock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_repositories_through_ten_percent_faults() {
    tokio::time::timeout(Duration::from_secs(120), run())
        .await
        .expect("the fault-injection rollout took over 120 s");
}

async fn run() {
    let t0 = Instant::now();
    let fake = FakeGitHub::start().await;
    fake.install("acme");
    fake.add_repo("acme", "core-utils", &cargo("core-utils", None));
    fake.add_release("acme/core-utils", "v2.0.0", "Faster.", false);
    let mut repos = Vec::new();
    for i in 0..REPOS {
        let name = format!("svc-{i:02}");
        repos.push(fake.add_repo("acme", &name, &cargo(&name, Some("1.4"))));
    }
    let mut rng = Rng(SEED);
    let mut rejected = BTreeSet::new();
    while rejected.len() < REJECTED {
        // Not the canary: its PR is needed to open the next waves.
        rejected.insert(repos[rng.range(1, REPOS as u64 - 1) as usize].clone());
    }
    for full in &rejected {
        fake.reject_pushes(full, BRANCH);
    }

    let dir = crate::support::scratch::tempdir();
    let clock = Arc::new(ScaledClock::default());
    let mut o = GitHubOptions::new(
        fake.url(),
        "acme",
        GitHubAuth::App {
            app_id: fake_github::APP_ID,
            private_key_pem: Secret::new(fake_github::app_private_key()),
            installation_id: None,
        },
    );
    o.clock = clock.clone();
    o.cache = Arc::new(MemoryEtagCache::new());
    o.read_timeout = TIMEOUT;
    o.writes_per_minute = 100_000;
    o.git_cache_dir = dir.path().join("git-cache");
    let forge = GitHubForge::connect(o).await.unwrap();
    let store = Store::open_url(&format!("sqlite://{}", dir.path().join("wb.db").display()))
        .await
        .unwrap();
    let config = Config::parse_in(CONFIG, "faults.yaml", dir.path()).unwrap();
    let engine = Engine::new(
        store.clone(),
        forge,
        EngineOptions {
            pr_budget_per_tick: 100,
            max_error_retries: 3,
            lease: None,
        },
    );

    // Faults from the first request on: discovery and planning too.
    fake.fault_rate_mix(
        FAULT_PERCENT,
        SEED,
        vec![
            Fault::ServerError(502),
            Fault::ServerError(500),
            Fault::SecondaryRateLimit { retry_after: 1 },
            Fault::TooManyRequests { retry_after: 1 },
            Fault::Slow(SLOW),
        ],
    );
    let mut now = Timestamp::now();
    let outcome = {
        let mut tries = 0;
        loop {
            tries += 1;
            match wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &|_, _| {}).await
            {
                Ok(o) => break o,
                Err(e) if tries < 3 => println!("planning failed (try {tries}): {e}"),
                Err(e) => panic!("planning failed {tries} times: {e}"),
            }
        }
    };
    let planned = t0.elapsed();
    let new = new_rollout(&outcome, &config, "alice");
    assert_eq!(new.targets.len(), REPOS, "planned targets");
    let id = engine.create(&new, now).await.unwrap();
    engine.start(id, "alice", now).await.unwrap();

    let mut ci_done: BTreeSet<(String, u64)> = BTreeSet::new();
    let mut retried = BTreeSet::new();
    let mut tick_errors = Vec::new();
    let mut ticks = 0;
    let state = loop {
        ticks += 1;
        assert!(ticks <= 200, "not completed after 200 ticks");
        if let Err(e) = engine.tick(now).await {
            // The reconcile loop logs a failed tick and ticks again.
            tick_errors.push(e.to_string());
        }
        // Instant CI on every new PR.
        for full in &repos {
            for p in fake.pulls(full) {
                if ci_done.contains(&(full.clone(), p.number)) {
                    continue;
                }
                if let Some(sha) = fake.branch_sha(full, &p.head) {
                    fake.set_status(full, &sha, "ci", "success");
                    ci_done.insert((full.clone(), p.number));
                }
            }
        }
        // The operator lifts a rejection and retries the repository.
        for t in store.targets(id).await.unwrap() {
            if matches!(t.state, TargetState::Error(_)) {
                assert!(
                    rejected.contains(&t.repo),
                    "{}: error not caused by a rejected push: {:?}",
                    t.repo,
                    t.last_reason
                );
                allow_pushes(&fake, &t.repo);
                engine.retry(id, &t.repo, "operator", now).await.unwrap();
                retried.insert(t.repo.clone());
            }
        }
        let r = store.rollout(id).await.unwrap().unwrap();
        if matches!(
            r.state,
            RolloutState::Completed | RolloutState::Halted | RolloutState::Aborted
        ) {
            break r.state;
        }
        now = now.plus(Duration::from_secs(60));
    };
    let wall = t0.elapsed();
    assert_eq!(
        state,
        RolloutState::Completed,
        "tick errors: {tick_errors:#?}"
    );
    assert_eq!(
        retried, rejected,
        "every rejected push surfaced as an error"
    );

    // One PR per target, merged.
    for t in store.targets(id).await.unwrap() {
        assert_eq!(
            t.state,
            TargetState::Merged,
            "{}: {:?}",
            t.repo,
            t.last_reason
        );
    }
    for full in &repos {
        let pulls = fake.pulls(full);
        assert_eq!(pulls.len(), 1, "{full}: exactly one PR, got {pulls:#?}");
    }

    // Retry-After honoured, measured on both sides.
    let requests = fake.requests();
    let limited: Vec<usize> = (0..requests.len())
        .filter(|&i| matches!(requests[i].status, 403 | 429))
        .collect();
    assert!(!limited.is_empty(), "no rate-limit fault was injected");
    let floor = Duration::from_secs(1) / SCALE;
    let mut gaps = Vec::new();
    for &i in &limited {
        let r = &requests[i];
        let next = requests[i + 1..]
            .iter()
            .find(|n| n.method == r.method && n.path == r.path && n.query == r.query)
            .unwrap_or_else(|| panic!("{} {}: never retried after {}", r.method, r.path, r.status));
        let gap = next.at.duration_since(r.at);
        assert!(
            gap >= floor,
            "{} {}: retried {gap:?} after a {} with Retry-After: 1 (scaled floor {floor:?})",
            r.method,
            r.path,
            r.status
        );
        gaps.push(gap);
    }
    let sleeps = clock.sleeps.lock().unwrap().clone();
    let waited_a_second = sleeps
        .iter()
        .filter(|d| **d == Duration::from_secs(1))
        .count();
    assert!(
        waited_a_second >= limited.len(),
        "{} rate-limit answers but only {waited_a_second} waits of 1 s",
        limited.len()
    );

    // No busy loop: the request count stays within a small multiple of
    // the work (a clean run needs about 12 per repository).
    let api = requests.iter().filter(|r| !r.is_auth()).count();
    let per_repo = api as f64 / REPOS as f64;
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for r in &requests {
        *by_status.entry(r.status).or_default() += 1;
    }
    println!(
        "faults: {REPOS} repos, {ticks} ticks, {api} API requests ({per_repo:.1}/repo), \
         {} faults injected, {} rate limits (min gap {:?}), {} tick errors, statuses {by_status:?}, planned after {planned:?}, completed after {:?}",
        fake.faults_injected(),
        limited.len(),
        gaps.iter().min().unwrap(),
        tick_errors.len(),
        wall
    );
    assert!(
        per_repo <= 25.0,
        "{api} API requests for {REPOS} repositories: a busy loop?"
    );
    assert!(
        fake.faults_injected() * 100 >= api * (FAULT_PERCENT as usize) / 2,
        "fewer faults injected than expected"
    );
}
