//! CI of a target whose PR the engine has not recorded yet is deferred,
//! without costing one of the delivery's attempts (here: ONE attempt before
//! parking), handled once the PR is recorded, and ignored once older than
//! the deferral window.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;
use wavebump::rollout::{Timestamp, new_rollout};
use wavebump::server::metrics::{DeliveryOutcome, TickTrigger};
use wavebump::server::serve::{DeferPolicy, ServeOptions};
use wavebump::store::{InboxRecord, InboxState, Store};

use super::{Hook, World, check_run, options, send, timed, wait_for};

async fn record(store: &Store, delivery: &str) -> InboxRecord {
    for state in [
        InboxState::Pending,
        InboxState::Processed,
        InboxState::Parked,
    ] {
        if let Some(r) = store
            .inbox_in(state, 100)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.delivery_id == delivery)
        {
            return r;
        }
    }
    panic!("no delivery {delivery}");
}

/// A completed check run on `sha` in `repo`, naming PR `number`.
fn check_run_on_pr(repo: &str, sha: &str, number: u64) -> serde_json::Value {
    let mut v = check_run(repo, sha);
    v["check_run"]["pull_requests"] = json!([{
        "url": format!("https://api.github.com/repos/{repo}/pulls/{number}"),
        "id": 1,
        "number": number,
        "head": {"ref": "x", "sha": sha, "repo": {"id": 1, "url": "https://api.github.com/repos/x", "name": "x"}},
        "base": {"ref": "main", "sha": sha, "repo": {"id": 1, "url": "https://api.github.com/repos/x", "name": "x"}}
    }]);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ci_of_a_pr_not_recorded_yet_is_deferred_without_costing_attempts() {
    timed(async {
        let world = World::new("").await;
        let t0 = Timestamp::now().0;
        let clock = Arc::new(AtomicI64::new(t0));
        let c = clock.clone();
        let mut opts = ServeOptions {
            now: wavebump::clock::from_fn(move || Timestamp(c.load(Ordering::SeqCst))),
            defer: DeferPolicy {
                delay: Duration::from_secs(1),
                window: Duration::from_secs(600),
            },
            ..options()
        };
        opts.worker.max_attempts = 1;
        let (app, store) = world.app(opts).await;
        let router = app.router.clone();
        let stats = app.worker_stats.clone();
        let advance = |secs: i64| clock.fetch_add(secs * 1000, Ordering::SeqCst) + secs * 1000;
        let running = app.background.start();
        wait_for("the first reconcile tick", || async {
            (stats.ticks(TickTrigger::Reconcile) == 1).then_some(())
        })
        .await;
        // A running rollout whose wave 0 (svc-a) has no PR yet: no tick since.
        let id = {
            let engine = app.engine.lock().await;
            let quiet = |_: usize, _: usize| {};
            let outcome =
                wavebump::planning::run(engine.forge(), &world.config, Some("2.0.0"), &quiet)
                    .await
                    .unwrap();
            let new = new_rollout(&outcome, &world.config, "alice");
            let id = engine.create(&new, Timestamp(t0)).await.unwrap();
            engine.start(id, "alice", Timestamp(t0)).await.unwrap();
            id
        };
        let sha = "1111111111111111111111111111111111111111";
        let early = Hook::new(
            "check_run",
            "early-1",
            &check_run_on_pr("acme/svc-a", sha, 1),
        );
        assert_eq!(send(&router, &early).await.0, StatusCode::ACCEPTED);
        wait_for("the deferral", || async {
            (stats.total(DeliveryOutcome::Deferred) == 1).then_some(())
        })
        .await;
        let r = record(&store, "early-1").await;
        assert_eq!((r.state, r.attempts), (InboxState::Pending, 0), "{r:?}");
        assert!(
            r.last_error
                .as_deref()
                .unwrap_or("")
                .contains("not recorded yet"),
            "{r:?}"
        );
        assert_eq!(r.next_attempt_at, Timestamp(t0 + 1000));
        // Due again: still no PR, deferred again, still no attempt counted
        // (one failure would have parked it).
        advance(2);
        wait_for("the second deferral", || async {
            (stats.total(DeliveryOutcome::Deferred) == 2).then_some(())
        })
        .await;
        let r = record(&store, "early-1").await;
        assert_eq!((r.state, r.attempts), (InboxState::Pending, 0), "{r:?}");
        // A repository whose wave is not open yet is not waited for.
        let svc_c = Hook::new("check_run", "svc-c-1", &check_run("acme/svc-c", sha));
        assert_eq!(send(&router, &svc_c).await.0, StatusCode::ACCEPTED);
        wait_for("svc-c's check run to be ignored", || async {
            (stats.total(DeliveryOutcome::Ignored) == 1).then_some(())
        })
        .await;

        // The engine opens and records svc-a's PR; the deferred delivery
        // then applies to it.
        let now = Timestamp(advance(0));
        app.engine.tick(now, TickTrigger::Reconcile).await.unwrap();
        let target = store
            .targets(id)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.repo == "acme/svc-a")
            .unwrap();
        assert_eq!(target.pr_number, Some(1), "the check run named PR 1");
        advance(2);
        wait_for("the deferred delivery to be processed", || async {
            (record(&store, "early-1").await.state == InboxState::Processed).then_some(())
        })
        .await;
        assert_eq!(stats.total(DeliveryOutcome::Processed), 1);
        assert_eq!(record(&store, "early-1").await.attempts, 1);

        // Past the window a delivery is no longer waited for: svc-b (wave 1,
        // opened by hand, no tick since) waits for its PR, but its check run
        // arrives, is deferred, and once older than 10 minutes is ignored.
        {
            let engine = app.engine.lock().await;
            engine
                .advance(id, "alice", Timestamp(advance(0)))
                .await
                .unwrap();
        }
        let late = Hook::new("check_run", "late-1", &check_run("acme/svc-b", sha));
        assert_eq!(send(&router, &late).await.0, StatusCode::ACCEPTED);
        wait_for("svc-b's deferral", || async {
            (stats.total(DeliveryOutcome::Deferred) == 3).then_some(())
        })
        .await;
        advance(601);
        wait_for("svc-b's check run to be ignored", || async {
            (stats.total(DeliveryOutcome::Ignored) == 2).then_some(())
        })
        .await;
        let r = record(&store, "late-1").await;
        assert_eq!((r.state, r.attempts), (InboxState::Processed, 1), "{r:?}");
        assert_eq!(store.inbox_count(InboxState::Parked).await.unwrap(), 0);
        running.stop().await;
    })
    .await;
}

/// `Store::inbox_defer` on both backends: pending, due later, the note
/// kept, the attempts untouched; a delivery no longer pending is left alone.
async fn inbox_defer_keeps_the_attempts(db: crate::store::Db) {
    let store = db.open().await;
    assert!(
        store
            .inbox_insert("d-1", "check_run", "{}", Timestamp(10))
            .await
            .unwrap()
    );
    let id = store.inbox_due(Timestamp(10), 10).await.unwrap()[0].id;
    store
        .inbox_failed(id, "boom", Timestamp(20), false)
        .await
        .unwrap();
    for (due, why) in [(30, "not yet"), (40, "still not")] {
        assert!(store.inbox_defer(id, why, Timestamp(due)).await.unwrap());
        assert!(
            store
                .inbox_due(Timestamp(due - 1), 10)
                .await
                .unwrap()
                .is_empty()
        );
        let r = &store.inbox_due(Timestamp(due), 10).await.unwrap()[0];
        assert_eq!(
            (
                r.state,
                r.attempts,
                r.last_error.as_deref(),
                r.next_attempt_at
            ),
            (InboxState::Pending, 1, Some(why), Timestamp(due))
        );
    }
    store.inbox_processed(id).await.unwrap();
    assert!(!store.inbox_defer(id, "late", Timestamp(50)).await.unwrap());
    let r = &store.inbox_in(InboxState::Processed, 10).await.unwrap()[0];
    assert_eq!((r.attempts, r.next_attempt_at), (2, Timestamp(40)));
}

crate::both!(inbox_defer_keeps_the_attempts);
