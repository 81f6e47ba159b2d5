//! Rollout-side figures of `wavebump-bench`: an idle `tick` and the status
//! page over an N-target rollout (in-memory forge, SQLite store on a RAM
//! file system when there is one), a 40-repository rollout with instant CI
//! against the fake GitHub, and webhook throughput.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;
use wavebump::config::Config;
use wavebump::config::secret::Secret;
use wavebump::ecosystem::MemTree;
use wavebump::forge::CiState;
use wavebump::rollout::service::{RolloutService, ServiceOptions};
use wavebump::rollout::{Engine, EngineOptions, RolloutState, Timestamp, new_rollout};
use wavebump::status::{StatusState, status_router};
use wavebump::store::Store;

use super::support::memforge::MemForge;
use super::{Figures, support};

pub const START: Timestamp = Timestamp(1_800_000_000_000);

fn cargo(name: &str, req: Option<&str>) -> MemTree {
    let mut text = format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n[dependencies]\n");
    if let Some(v) = req {
        text.push_str(&format!("core-utils = \"{v}\"\n"));
    }
    MemTree::new().with("Cargo.toml", text)
}

/// A running rollout of `n` targets: the canary's PR open with green CI
/// and soaking (1 h), every other wave pending — a tick has nothing to do.
pub struct Fleet {
    pub engine: Arc<Engine<MemForge>>,
    pub store: Store,
    pub id: i64,
    pub now: Timestamp,
    _dir: tempfile::TempDir,
}

pub async fn fleet(n: usize) -> Fleet {
    let forge = MemForge::new();
    forge.add_repo(
        "core-utils",
        cargo("core-utils", None),
        &["v1.4.0", "v2.0.0"],
    );
    for i in 0..n {
        let name = format!("svc-{i:05}");
        forge.add_repo(&name, cargo(&name, Some("1.4")), &[]);
    }
    forge.set_default_ci(CiState::Passed);
    let dir = support::scratch::tempdir();
    let store = Store::open_url(&format!("sqlite://{}", dir.path().join("wb.db").display()))
        .await
        .expect("store");
    let config = Config::parse_in(
        "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n\
         rollout:\n  canaries: [svc-00000]\n  waves: [\"10%\", \"50%\", \"100%\"]\n  gate:\n    success_ratio: 1.0\n    soak: 1h\n    failure_budget: 0\n",
        "bench.yaml",
        dir.path(),
    )
    .expect("config");
    let engine = Arc::new(Engine::new(store.clone(), forge, EngineOptions::default()));
    let outcome = wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &|_, _| {})
        .await
        .expect("plan");
    let id = engine
        .create(&new_rollout(&outcome, &config, "bench"), START)
        .await
        .expect("create");
    engine.start(id, "bench", START).await.expect("start");
    let mut now = START;
    for _ in 0..3 {
        now = now.plus(Duration::from_secs(60));
        engine.tick(now).await.expect("tick");
    }
    Fleet {
        engine,
        store,
        id,
        now,
        _dir: dir,
    }
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("one run"))
}

/// `tick` with nothing to do, and the status page, at `n` targets.
pub fn tick_and_page(rt: &tokio::runtime::Runtime, n: usize, figures: &mut Figures) {
    let built = Instant::now();
    let f = rt.block_on(fleet(n));
    let built = built.elapsed();
    let targets = rt.block_on(f.store.targets(f.id)).expect("targets").len();
    let now = f.now.plus(Duration::from_secs(120));
    let (tick, report) = best_of(5, || rt.block_on(f.engine.tick(now)).expect("tick"));
    assert!(
        report.opened == 0 && report.advanced.is_empty() && report.ci_changes == 0,
        "the idle tick did something: {report:?}"
    );
    let rollout = rt
        .block_on(f.store.rollout(f.id))
        .expect("rollout")
        .expect("row");
    assert_eq!(rollout.state, RolloutState::Running);
    if n >= 5_000 {
        println!(
            "tick, {targets} targets, nothing to do: {:.1} ms (goal < 100 ms) (fixture built in {:.1} s)",
            tick.as_secs_f64() * 1e3,
            built.as_secs_f64()
        );
        figures.row(
            format!("`tick` on a {targets}-target rollout with nothing to do"),
            "< 100 ms",
            format!("{:.1} ms", tick.as_secs_f64() * 1e3),
        );
    }

    let clock = wavebump::clock::from_fn(move || now);
    let (changes, _) = tokio::sync::broadcast::channel(16);
    let commands = Arc::new(RolloutService::new(
        f.engine.clone(),
        ServiceOptions { settle: true },
        clock.clone(),
        changes.clone(),
    ));
    let state =
        StatusState::new(f.store.clone(), commands, changes, vec![], true, None).with_clock(clock);
    let router = status_router(state);
    let path = format!("/rollouts/{}", f.id);
    let (page, bytes) = best_of(5, || {
        rt.block_on(async {
            let resp = router
                .clone()
                .oneshot(
                    Request::get(path.as_str())
                        .body(Body::empty())
                        .expect("request"),
                )
                .await
                .expect("answer");
            assert!(resp.status().is_success(), "{}", resp.status());
            resp.into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes()
                .len()
        })
    });
    println!(
        "status page /rollouts/{{id}}, {targets} targets: {:.1} ms, {} KB",
        page.as_secs_f64() * 1e3,
        bytes / 1024
    );
    figures.row(
        format!(
            "status page `/rollouts/{{id}}`, {targets} targets: whole answer (store read + view + render), weight"
        ),
        if n >= 5_000 { "< 50 ms" } else { "< 500 KB" },
        format!("{:.1} ms, {} KB", page.as_secs_f64() * 1e3, bytes / 1024),
    );
    // The same page without the store: view + handlebars alone, on the
    // synthetic rollout of that size (graph drawn up to 200 repositories).
    let synthetic = wavebump::status::BenchRollout::synthetic(n, (n / 5).max(1));
    let at = wavebump::status::pages::BENCH_START.plus(Duration::from_secs(7_200));
    let (render, html) = best_of(5, || {
        wavebump::status::render_rollout_page_for_bench(&synthetic, at)
            .expect("render")
            .len()
    });
    println!(
        "status page render alone (view + handlebars), {targets} targets: {:.1} ms, {} KB",
        render.as_secs_f64() * 1e3,
        html / 1024
    );
    figures.row(
        format!("status page render alone (view + handlebars, no store read), {targets} targets"),
        if n >= 5_000 { "< 50 ms" } else { "—" },
        format!("{:.1} ms, {} KB", render.as_secs_f64() * 1e3, html / 1024),
    );
}

/// Webhook deliveries per second and latency (`serve::load`).
pub fn webhooks(rt: &tokio::runtime::Runtime, figures: &mut Figures) {
    use wavebump::server::serve::load::{LoadOptions, run};
    let mut cells = Vec::new();
    for concurrency in [16, 64] {
        // On disk, as in production (fsyncs count), not the RAM scratch.
        let dir = tempfile::tempdir().expect("tempdir");
        let options = LoadOptions {
            deliveries: 20_000,
            concurrency,
            time_limit: Duration::from_secs(120),
        };
        let r = rt.block_on(run(dir.path(), &options)).expect("load run");
        println!(
            "webhooks: {} accepted at concurrency {concurrency}: {:.0}/s, p50 {:.1} ms, p99 {:.1} ms, {} lost, drained in {:.1} s",
            r.accepted,
            r.per_second,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.lost,
            r.drain.as_secs_f64()
        );
        cells.push(format!(
            "c={concurrency}: {:.0}/s, p99 {:.1} ms, {} lost",
            r.per_second,
            r.p99.as_secs_f64() * 1e3,
            r.lost
        ));
    }
    figures.row(
        "webhook deliveries on loopback (SQLite inbox), 20,000 at concurrency 16 / 64",
        ">= 2,000/s, p99 < 50 ms, 0 lost",
        cells.join(" / "),
    );
}

/// A whole rollout of `n` repositories through the engine and the GitHub
/// forge against the fake, CI green the moment a PR appears.
/// The fake GitHub with the App on `acme`, the library (release v2.0.0)
/// and `n` Cargo services `svc-NN`; a GitHub forge on it (write budget
/// lifted), a SQLite store, and the scratch directory holding both.
struct GhWorld {
    fake: support::fake_github::FakeGitHub,
    repos: Vec<String>,
    forge: wavebump::forge::github::GitHubForge,
    store: Store,
    dir: tempfile::TempDir,
}

async fn gh_world(n: usize) -> GhWorld {
    use support::fake_github::{self, FakeGitHub};
    use wavebump::forge::github::{GitHubAuth, GitHubForge, GitHubOptions, MemoryEtagCache};
    let fake = FakeGitHub::start().await;
    fake.install("acme");
    fake.add_repo("acme", "core-utils", &cargo("core-utils", None));
    fake.add_release("acme/core-utils", "v2.0.0", "Faster.", false);
    let repos: Vec<String> = (0..n)
        .map(|i| {
            let name = format!("svc-{i:02}");
            fake.add_repo("acme", &name, &cargo(&name, Some("1.4")))
        })
        .collect();
    let dir = support::scratch::tempdir();
    let mut o = GitHubOptions::new(
        fake.url(),
        "acme",
        GitHubAuth::App {
            app_id: fake_github::APP_ID,
            private_key_pem: Secret::new(fake_github::app_private_key()),
            installation_id: None,
        },
    );
    o.cache = Arc::new(MemoryEtagCache::new());
    o.writes_per_minute = 100_000;
    o.git_cache_dir = dir.path().join("git-cache");
    let forge = GitHubForge::connect(o).await.expect("connect");
    let store = Store::open_url(&format!("sqlite://{}", dir.path().join("wb.db").display()))
        .await
        .expect("store");
    GhWorld {
        fake,
        repos,
        forge,
        store,
        dir,
    }
}

pub fn github_rollout(rt: &tokio::runtime::Runtime, n: usize, figures: &mut Figures) {
    rt.block_on(async {
        let GhWorld {
            fake,
            repos,
            forge,
            store,
            dir,
        } = gh_world(n).await;
        let config = Config::parse_in(
            "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n\
             rollout:\n  canaries: [svc-00]\n  waves: [5, 15]\n  gate:\n    success_ratio: 1.0\n    soak: 0s\n    failure_budget: 0\n\
             pull_requests:\n  automerge: true\n",
            "bench.yaml",
            dir.path(),
        )
        .expect("config");
        let engine = Engine::new(store.clone(), forge, EngineOptions::default());
        fake.clear_requests();
        let start = Instant::now();
        let outcome = wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &|_, _| {})
            .await
            .expect("plan");
        let mut now = Timestamp::now();
        let id = engine
            .create(&new_rollout(&outcome, &config, "bench"), now)
            .await
            .expect("create");
        engine.start(id, "bench", now).await.expect("start");
        let mut green = std::collections::BTreeSet::new();
        let mut ticks = 0;
        loop {
            ticks += 1;
            assert!(ticks < 500, "the rollout did not complete");
            engine.tick(now).await.expect("tick");
            for full in &repos {
                for p in fake.pulls(full) {
                    if green.insert((full.clone(), p.number))
                        && let Some(sha) = fake.branch_sha(full, &p.head)
                    {
                        fake.set_status(full, &sha, "ci", "success");
                    }
                }
            }
            let r = store.rollout(id).await.expect("rollout").expect("row");
            if r.state == RolloutState::Completed {
                break;
            }
            now = now.plus(Duration::from_secs(1));
        }
        let wall = start.elapsed();
        let api = fake.count(|r| !r.is_auth());
        println!(
            "rollout of {n} repositories on the fake GitHub, instant CI, App auth: {:.2} s wall ({ticks} ticks), {api} API requests ({:.1} per repository, discovery to merge)",
            wall.as_secs_f64(),
            api as f64 / n as f64
        );
        figures.row(
            format!("{n}-repository rollout, instant CI, fake GitHub: wall time, API requests per repository (plan to merge)"),
            "—",
            format!("{:.2} s, {:.1}", wall.as_secs_f64(), api as f64 / n as f64),
        );
    });
}

/// Issue 14's quiet tick: `n` open PRs on the fake GitHub, CI green, none
/// merged (automerge off: people merge), nothing moving. What one
/// reconcile tick costs: one conditional read of each PR, answered 304.
pub fn quiet_people_tick(rt: &tokio::runtime::Runtime, n: usize, figures: &mut Figures) {
    rt.block_on(async {
        let GhWorld {
            fake,
            repos,
            forge,
            store,
            dir,
        } = gh_world(n).await;
        let config = Config::parse_in(
            &format!(
                "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n\
                 rollout:\n  waves: [{n}]\n  max_wave_size: {n}\n  gate:\n    soak: 0s\n    require: merged\n\
                 pull_requests:\n  automerge: false\n"
            ),
            "bench.yaml",
            dir.path(),
        )
        .expect("config");
        let engine = Engine::new(
            store.clone(),
            forge,
            EngineOptions {
                pr_budget_per_tick: n,
                ..EngineOptions::default()
            },
        );
        let outcome = wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &|_, _| {})
            .await
            .expect("plan");
        let now = Timestamp::now();
        let id = engine
            .create(&new_rollout(&outcome, &config, "bench"), now)
            .await
            .expect("create");
        engine.start(id, "bench", now).await.expect("start");
        for _ in 0..5 {
            engine.tick(now).await.expect("tick");
            for full in &repos {
                for p in fake.pulls(full) {
                    if let Some(sha) = fake.branch_sha(full, &p.head) {
                        fake.set_status(full, &sha, "ci", "success");
                    }
                }
            }
        }
        let targets = store.targets(id).await.expect("targets");
        let passed = targets
            .iter()
            .filter(|t| t.state == wavebump::rollout::TargetState::CiPassed)
            .count();
        assert_eq!(passed, n, "every PR open and green, waiting for people");
        // Fill the ETag cache, then measure the quiet tick.
        engine.tick(now).await.expect("tick");
        fake.clear_requests();
        let start = Instant::now();
        let report = engine.tick(now).await.expect("tick");
        let wall = start.elapsed();
        assert_eq!(report.pr_changes + report.ci_changes + report.merged, 0);
        let seen = fake.requests();
        let api: Vec<_> = seen.iter().filter(|r| !r.is_auth()).collect();
        let not_modified = api.iter().filter(|r| r.status == 304).count();
        println!(
            "quiet reconcile tick, {n} open green PRs waiting for people (automerge off): {} API requests ({not_modified} answered 304), {:.1} ms",
            api.len(),
            wall.as_secs_f64() * 1000.0
        );
        figures.row(
            format!("quiet reconcile tick, {n} open PRs waiting for people: API requests (304s), wall time"),
            format!("≤ {n}, all 304"),
            format!(
                "{} ({not_modified} × 304), {:.1} ms",
                api.len(),
                wall.as_secs_f64() * 1000.0
            ),
        );
    });
}
