//! Failure clustering through the engine (in-memory forge, SQLite and
//! PostgreSQL): two repositories of one wave failing the same check halt
//! the rollout as a suspected library regression (audited, on the page, in
//! the JSON API); one failing alone within the budget is its repository's
//! own and the rollout moves on. The cluster on the page in Chromium.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use wavebump::config::Config;
use wavebump::forge::CiState;
use wavebump::rollout::service::{RolloutService, ServiceOptions};
use wavebump::rollout::{Engine, EngineOptions, RolloutState, TargetState, Timestamp, new_rollout};
use wavebump::status::{StatusState, status_router};
use wavebump::store::Store;

use super::fleet::{self, START, drive};
use crate::pages::fixture::get;
use crate::store::Db;
use crate::support::memforge::MemForge;

/// Failures within the budget (3), a ratio one failure of wave 1 keeps.
const CONFIG: &str = r#"
library:
  repository: acme/core-utils
  packages:
    cargo: core-utils
rollout:
  canaries: [svc-00]
  waves: [4, 10, 30]
  gate:
    success_ratio: 0.7
    soak: 1m
    failure_budget: 3
pull_requests:
  automerge: true
"#;

const ERROR: &str = "error[E0425]: cannot find function `parse_v1` in crate `core_utils`";

async fn start(store: Store) -> (Arc<Engine<MemForge>>, i64) {
    let forge = fleet::forge();
    forge.set_default_ci(CiState::Passed);
    let engine = Arc::new(Engine::new(store, forge, EngineOptions::default()));
    let config = Config::parse_in(CONFIG, "test.yaml", std::path::Path::new("/tmp")).unwrap();
    let noop = |_: usize, _: usize| {};
    let outcome = wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &noop)
        .await
        .unwrap();
    let id = engine
        .create(&new_rollout(&outcome, &config, "alice"), START)
        .await
        .unwrap();
    engine.start(id, "alice", START).await.unwrap();
    (engine, id)
}

/// Wave 1's repositories, sorted (one target each in this fleet).
async fn wave_one(engine: &Engine<MemForge>, id: i64) -> Vec<String> {
    let mut repos: Vec<String> = engine
        .store()
        .targets(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.wave == 1)
        .map(|t| t.repo)
        .collect();
    repos.sort();
    repos.dedup();
    assert!(repos.len() >= 4, "wave 1: {repos:?}");
    repos
}

/// The status page and API over `engine`, its clock stopped at `now`.
pub(super) fn router(engine: &Arc<Engine<MemForge>>, now: Timestamp) -> axum::Router {
    let clock = wavebump::clock::from_fn(move || now);
    let (changes, _) = broadcast::channel(4);
    let commands = Arc::new(RolloutService::new(
        engine.clone(),
        ServiceOptions { settle: true },
        clock.clone(),
        changes.clone(),
    ));
    status_router(
        StatusState::new(
            engine.store().clone(),
            commands,
            changes,
            vec![],
            true,
            None,
        )
        .with_clock(clock),
    )
}

async fn api(router: &axum::Router, id: i64) -> serde_json::Value {
    let (status, _, body) = get(router, &format!("/api/rollouts/{id}"), None).await;
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["rollout"].clone()
}

/// Wave 1's first and third repositories fail `test` (the same error);
/// the engine ticks until the rollout stops running. The engine, the
/// rollout id, the clock, wave 1's repositories and the rollout then.
async fn halt_on_cluster(
    db: &Db,
) -> (
    Arc<Engine<MemForge>>,
    i64,
    Timestamp,
    Vec<String>,
    wavebump::store::RolloutRecord,
) {
    let (engine, id) = start(db.open().await).await;
    let repos = wave_one(&engine, id).await;
    let (a, b) = (repos[2].clone(), repos[0].clone());
    engine.forge().fail_check(&a, "test", Some(ERROR));
    engine
        .forge()
        .fail_check(&b, "test", Some(&format!("{ERROR}\nmore output")));
    let mut now = START;
    let halted = drive(&engine, id, &mut now, 20, |r| {
        r.state != RolloutState::Running
    })
    .await;
    (engine, id, now, repos, halted)
}

async fn two_repositories_failing_test_halt(db: Db) {
    let (engine, id, now, repos, halted) = halt_on_cluster(&db).await;
    let store = engine.store();
    let want = format!(
        "suspected library regression: check `test` failed in 2 repositories ({}, {}): `{ERROR}`",
        repos[0], repos[2]
    );
    assert_eq!(halted.state, RolloutState::Halted, "{halted:?}");
    assert_eq!(halted.current_wave, 1);
    assert_eq!(halted.reason.as_deref(), Some(want.as_str()));

    // Within the budget: the cluster alone halted it, and said so in the
    // audit log.
    let targets = store.targets(id).await.unwrap();
    let failed: Vec<_> = targets
        .iter()
        .filter(|t| t.state == TargetState::CiFailed)
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    for t in &failed {
        assert_eq!(t.failing_checks[0].name, "test");
        assert_eq!(t.failing_checks[0].first_error.as_deref(), Some(ERROR));
    }
    let audit = store.audit(id, 1000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.entry.action.starts_with("halted") && a.entry.reason == want),
        "{audit:#?}"
    );

    // Halted: further ticks do not open wave 2.
    engine.tick(now).await.unwrap();
    let r = store.rollout(id).await.unwrap().unwrap();
    assert_eq!((r.state, r.current_wave), (RolloutState::Halted, 1));

    // The page and the API group the two failures.
    let router = router(&engine, now);
    let view = api(&router, id).await;
    assert_eq!(
        view["failure_clusters"],
        serde_json::json!([{
            "wave": 1,
            "check": "test",
            "first_error": ERROR,
            "repos": [repos[0], repos[2]],
            "count": 2,
            "text": want,
        }])
    );
    assert_eq!(view["summary"]["reason"], want.as_str());
    let (_, _, page) = get(&router, &format!("/rollouts/{id}"), None).await;
    let cluster = page
        .split("<div class=\"clusters\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .unwrap_or_else(|| panic!("no cluster on the page: {page}"));
    assert!(
        cluster.contains("Suspected library regression"),
        "{cluster}"
    );
    assert!(
        cluster.contains("Wave 1: check <code>test</code> failed in 2 repositories"),
        "{cluster}"
    );
    for repo in [&repos[0], &repos[2]] {
        assert!(
            cluster.contains(&format!("<span class=\"repo\">{repo}</span>")),
            "{cluster}"
        );
    }
    assert!(!cluster.contains(&repos[1]), "{cluster}");
    assert!(cluster.contains("cannot find function"), "{cluster}");
}

async fn a_lone_failure_within_budget_moves_on(db: Db) {
    let (engine, id) = start(db.open().await).await;
    let store = engine.store();
    let repos = wave_one(&engine, id).await;
    let lone = repos[1].clone();
    engine.forge().fail_check(&lone, "test", Some(ERROR));
    // A different check failing in a later wave's repository is not a
    // cluster with it either.
    let later = store
        .targets(id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.wave == 2)
        .unwrap()
        .repo;
    engine.forge().fail_check(&later, "lint", None);

    let mut now = START;
    let r = drive(&engine, id, &mut now, 30, |r| {
        r.current_wave >= 3 || r.state != RolloutState::Running
    })
    .await;
    assert_eq!(r.state, RolloutState::Running, "{r:?}");
    let audit = store.audit(id, 1000).await.unwrap();
    assert!(
        !audit.iter().any(|a| a.entry.action.starts_with("halted")),
        "{audit:#?}"
    );
    // Attributed to its repository: its own target says why.
    let targets = store.targets(id).await.unwrap();
    let t = targets.iter().find(|t| t.repo == lone).unwrap();
    assert_eq!(t.state, TargetState::CiFailed);
    assert_eq!(t.last_reason.as_deref(), Some("CI failed: test"));

    let now = now.plus(Duration::from_secs(1));
    let router = router(&engine, now);
    let view = api(&router, id).await;
    assert_eq!(view["failure_clusters"], serde_json::json!([]));
    let row = view["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["repo"] == lone.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["failing_checks"][0]["name"], "test");
    let (_, _, page) = get(&router, &format!("/rollouts/{id}"), None).await;
    assert!(!page.contains("class=\"clusters\""));
}

crate::both!(
    two_repositories_failing_test_halt,
    a_lone_failure_within_budget_moves_on
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_in_chromium() {
    use fantoccini::Locator;
    let db = Db::sqlite().await;
    let (engine, id, now, repos, halted) = halt_on_cluster(&db).await;
    assert_eq!(halted.state, RolloutState::Halted);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, router(&engine, now)).into_future());
    let browser = crate::support::browser::Browser::start().await;
    let c = &browser.client;
    let seen = tokio::time::timeout(Duration::from_secs(60), async {
        c.goto(&format!("{base}/rollouts/{id}")).await.unwrap();
        let block = c.find(Locator::Css(".clusters")).await.unwrap();
        let shown = c
            .execute(
                "return document.querySelector('.clusters').getBoundingClientRect().height > 0",
                vec![],
            )
            .await
            .unwrap();
        (block.text().await.unwrap(), shown)
    })
    .await;
    browser.close().await;
    server.abort();
    let (text, shown) = seen.expect("browser timed out");
    assert_eq!(shown, serde_json::json!(true), "the cluster is visible");
    assert!(text.starts_with("Suspected library regression"), "{text}");
    assert!(
        text.contains(&format!(
            "Wave 1: check test failed in 2 repositories: {}, {}",
            repos[0], repos[2]
        )),
        "{text}"
    );
    assert!(text.contains(ERROR), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_status_json_has_the_cluster() {
    let db = Db::sqlite().await;
    let (engine, id, _, repos, _) = halt_on_cluster(&db).await;
    engine.store().close().await;
    let Db::Sqlite { path, .. } = &db else {
        unreachable!("a SQLite database")
    };
    // The default store is `wavebump.db` next to the config.
    let dir = path.parent().unwrap().to_owned();
    let config = dir.join("wavebump.yaml");
    std::fs::write(&config, CONFIG).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_wavebump"))
            .args(["rollout", "status", "--json", &id.to_string(), "--config"])
            .arg(&config)
            .env("HOME", &dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let (stdout, stderr) = super::ghorg::text(&out);
    assert!(out.status.success(), "{stderr}{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let clusters = &json[0]["failure_clusters"];
    assert_eq!(clusters[0]["check"], "test", "{json:#}");
    assert_eq!(
        clusters[0]["repos"],
        serde_json::json!([repos[0], repos[2]]),
        "{json:#}"
    );
    assert_eq!(clusters[0]["wave"], 1);
    assert_eq!(
        json[0]["rollout"]["reason"], clusters[0]["text"],
        "the halt names the cluster"
    );
}
