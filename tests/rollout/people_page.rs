//! What people did on the PRs, as release managers see it: a PR merged by
//! a person, one closed unmerged (`declined`), a change request and an
//! approval, in the JSON API and on the page in Chromium.

use std::sync::Arc;
use std::time::Duration;

use wavebump::config::Config;
use wavebump::forge::{CiState, ForgeWrite};
use wavebump::rollout::{Engine, EngineOptions, TargetState, new_rollout};
use wavebump::store::ReviewState;

use super::fleet::{self, START};
use crate::pages::fixture::get;
use crate::store::Db;
use crate::support::memforge::MemForge;

/// Four canaries, people merge (no automerge), and a declined PR is left
/// out of the ratio.
const CONFIG: &str = r#"
library:
  repository: acme/core-utils
  packages:
    cargo: core-utils
rollout:
  canaries: [svc-00, svc-01, svc-02, svc-03]
  waves: [10, 30]
  on_declined: skip
  gate:
    success_ratio: 1.0
    soak: 1m
    require: merged
    failure_budget: 0
pull_requests:
  automerge: false
"#;

/// Plan the fleet with [`CONFIG`], store and start the rollout.
async fn start(engine: &Engine<MemForge>) -> i64 {
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
    id
}

fn review(login: &str, state: ReviewState) -> wavebump::rollout::ReviewSeen {
    wavebump::rollout::ReviewSeen {
        login: login.to_owned(),
        review: Some(state),
        at: None,
    }
}

fn pr_of(engine: &Engine<MemForge>, repo: &str) -> u64 {
    engine
        .forge()
        .prs()
        .into_iter()
        .find(|(r, _)| r == repo)
        .map(|(_, p)| p.number)
        .unwrap_or_else(|| panic!("no PR in {repo}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_on_the_page_and_in_the_api() {
    use fantoccini::Locator;
    let db = Db::sqlite().await;
    let forge = fleet::forge();
    forge.set_default_ci(CiState::Pending);
    let engine = Arc::new(Engine::new(
        db.open().await,
        forge,
        EngineOptions::default(),
    ));
    let id = start(&engine).await;
    let report = engine.tick(START).await.unwrap();
    assert_eq!(report.opened, 4, "{report:?}");

    let now = START.plus(Duration::from_secs(60));
    let f = engine.forge();
    f.merge_as(
        "svc-00",
        pr_of(&engine, "svc-00"),
        "bob",
        "2026-02-03T04:05:06Z",
    );
    f.close_pr("svc-01", pr_of(&engine, "svc-01"), None)
        .await
        .unwrap();
    let n2 = pr_of(&engine, "svc-02");
    engine
        .record_review(
            id,
            "svc-02",
            n2,
            &review("carol", ReviewState::ChangesRequested),
            now,
        )
        .await
        .unwrap();
    let n3 = pr_of(&engine, "svc-03");
    engine
        .record_review(
            id,
            "svc-03",
            n3,
            &review("dave", ReviewState::ChangesRequested),
            now,
        )
        .await
        .unwrap();
    engine
        .record_review(
            id,
            "svc-03",
            n3,
            &review("dave", ReviewState::Approved),
            now,
        )
        .await
        .unwrap();
    let report = engine.tick(now).await.unwrap();
    assert_eq!(report.pr_changes, 2, "{report:?}");
    let states: Vec<(String, TargetState)> = engine
        .store()
        .targets(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.wave == 0)
        .map(|t| (t.repo, t.state))
        .collect();
    assert_eq!(
        states,
        [
            ("svc-00".to_owned(), TargetState::Merged),
            ("svc-01".to_owned(), TargetState::Declined),
            ("svc-02".to_owned(), TargetState::CiPending),
            ("svc-03".to_owned(), TargetState::CiPending),
        ]
    );

    let app = super::clustering::router(&engine, now);
    let (status, _, body) = get(&app, &format!("/api/rollouts/{id}"), None).await;
    assert!(status.is_success(), "{status}: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let row = |repo: &str| {
        v["rollout"]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["repo"] == repo)
            .unwrap()
            .clone()
    };
    assert_eq!(row("svc-00")["merged_by"], "bob");
    assert_eq!(row("svc-01")["state"], "declined");
    assert_eq!(row("svc-01")["closed_by"], "someone");
    assert_eq!(
        row("svc-02")["changes_requested_by"],
        serde_json::json!(["carol"])
    );
    assert_eq!(row("svc-03")["approved_by"], serde_json::json!(["dave"]));
    assert_eq!(row("svc-03")["changes_requested_by"], serde_json::json!([]));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, app).into_future());
    let browser = crate::support::browser::Browser::start().await;
    let c = &browser.client;
    let seen = tokio::time::timeout(Duration::from_secs(60), async {
        c.goto(&format!("{base}/rollouts/{id}")).await.unwrap();
        let mut rows = Vec::new();
        for repo in ["svc-00", "svc-01", "svc-02", "svc-03"] {
            let script = format!(
                "const r = document.querySelector('tr[data-target=\"{repo}\"]'); \
                 return r ? [r.innerText, r.getBoundingClientRect().height > 0] : null;"
            );
            rows.push(c.execute(&script, vec![]).await.unwrap());
        }
        let _ = c.find(Locator::Css("table")).await.unwrap();
        rows
    })
    .await;
    browser.close().await;
    server.abort();
    let rows = seen.expect("browser timed out");
    let text = |i: usize| -> String {
        assert_eq!(
            rows[i][1],
            serde_json::json!(true),
            "row {i} visible: {rows:?}"
        );
        rows[i][0].as_str().unwrap().to_owned()
    };
    assert!(text(0).contains("merged by bob"), "{}", text(0));
    assert!(text(1).contains("declined (PR closed)"), "{}", text(1));
    assert!(text(1).contains("closed by someone"), "{}", text(1));
    assert!(
        text(2).contains("changes requested by carol"),
        "{}",
        text(2)
    );
    assert!(text(3).contains("approved by dave"), "{}", text(3));
    assert!(!text(3).contains("changes requested"), "{}", text(3));
}

/// Closed unmerged, then reopened: `declined` (who unknown to this forge:
/// "someone"), then tracked again from `ci_pending`, then merged by a
/// person -- on both store backends.
async fn reopened_pr_is_tracked_again(db: Db) {
    let forge = fleet::forge();
    forge.set_default_ci(CiState::Pending);
    let engine = Engine::new(db.open().await, forge, EngineOptions::default());
    let id = start(&engine).await;
    engine.tick(START).await.unwrap();
    let n = engine
        .forge()
        .prs()
        .into_iter()
        .find(|(r, _)| r == "svc-01")
        .map(|(_, p)| p.number)
        .unwrap();
    let state = |engine: &Engine<MemForge>| {
        let engine = engine.store().clone();
        async move {
            engine
                .targets(id)
                .await
                .unwrap()
                .into_iter()
                .find(|t| t.repo == "svc-01")
                .unwrap()
        }
    };
    engine.forge().close_pr("svc-01", n, None).await.unwrap();
    engine.tick(START).await.unwrap();
    let t = state(&engine).await;
    assert_eq!(t.state, TargetState::Declined, "{t:?}");
    assert_eq!(t.activity.closed_by.as_deref(), Some("someone"));
    engine.forge().reopen("svc-01", n);
    engine.tick(START).await.unwrap();
    let t = state(&engine).await;
    assert_eq!(t.state, TargetState::CiPending, "{t:?}");
    assert_eq!(t.activity.closed_by, None, "{t:?}");
    assert!(
        t.last_reason.as_deref().unwrap_or("").contains("reopened"),
        "{t:?}"
    );
    engine
        .forge()
        .merge_as("svc-01", n, "bob", "2026-02-03T04:05:06Z");
    engine.tick(START).await.unwrap();
    let t = state(&engine).await;
    assert_eq!(t.state, TargetState::Merged, "{t:?}");
    assert_eq!(t.activity.merged_by.as_deref(), Some("bob"));
}

crate::both!(reopened_pr_is_tracked_again);
