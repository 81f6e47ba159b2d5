//! A signed release webhook starts a rollout against the fake GitHub, and
//! check-run webhooks alone (the reconcile loop ticks once, at start)
//! carry it through its three waves to completed.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use wavebump::rollout::{RolloutState, TargetState};
use wavebump::server::metrics::TickTrigger;
use wavebump::store::InboxState;

use super::{Hook, LIBRARY, SERVICES, World, check_run, options, release, send, timed, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_then_check_runs_complete_the_rollout() {
    timed(async {
        let world = World::new("").await;
        let (app, store) = world.app(options()).await;
        let router = app.router.clone();
        let stats = app.worker_stats.clone();
        let running = app.background.start();
        // The reconcile loop's first (and, here, only) tick.
        wait_for("the first reconcile tick", || async {
            (stats.ticks(TickTrigger::Reconcile) == 1).then_some(())
        })
        .await;

        let hook = Hook::new(
            "release",
            "rel-1",
            &release(LIBRARY, "v2.0.0", "2020-01-01T00:00:00Z", false),
        );
        assert_eq!(send(&router, &hook).await.0, StatusCode::ACCEPTED);
        // `released` follows `published` for the same release: no second rollout.
        let mut again = release(LIBRARY, "v2.0.0", "2020-01-01T00:00:00Z", false);
        again["action"] = "released".into();
        assert_eq!(
            send(&router, &Hook::new("release", "rel-2", &again))
                .await
                .0,
            StatusCode::ACCEPTED
        );

        let rollout = wait_for("the rollout", || async {
            store.rollouts().await.unwrap().into_iter().next()
        })
        .await;
        assert_eq!(rollout.to_version, "2.0.0");
        assert_eq!(rollout.wave_count, 3);
        assert_eq!(rollout.started_by, "webhook rel-1");

        // Each wave: when its PR appears, its CI passes and a check_run
        // webhook says so.
        let mut answered: BTreeSet<String> = BTreeSet::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let done = loop {
            for full in SERVICES {
                for pull in world.fake.pulls(full) {
                    let Some(sha) = world.fake.branch_sha(full, &pull.head) else {
                        continue;
                    };
                    if answered.insert(format!("{full}@{sha}")) {
                        world
                            .fake
                            .add_check_run(full, &sha, "test", "completed", Some("success"));
                        let id = format!("check-{}", answered.len());
                        let hook = Hook::new("check_run", &id, &check_run(full, &sha));
                        assert_eq!(send(&router, &hook).await.0, StatusCode::ACCEPTED);
                    }
                }
            }
            let r = store.rollout(rollout.id).await.unwrap().unwrap();
            if r.state == RolloutState::Completed {
                break r;
            }
            assert!(std::time::Instant::now() < deadline, "not completed: {r:?}");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        assert_eq!(done.current_wave, 2);
        let targets = store.targets(rollout.id).await.unwrap();
        assert_eq!(targets.len(), 3);
        assert!(
            targets.iter().all(|t| t.state == TargetState::CiPassed),
            "{targets:#?}"
        );
        // One PR per service, each on the rollout's branch.
        for full in SERVICES {
            let pulls = world.fake.pulls(full);
            assert_eq!(pulls.len(), 1, "{full}");
            assert_eq!(pulls[0].head, rollout.branch);
        }
        // Check runs alone: no reconcile tick besides the first.
        assert_eq!(stats.ticks(TickTrigger::Reconcile), 1);
        // Every delivery processed or ignored; none pending.
        wait_for("an empty inbox", || async {
            let pending = store.inbox_count(InboxState::Pending).await.unwrap();
            (pending == 0).then_some(())
        })
        .await;
        assert_eq!(store.inbox_count(InboxState::Parked).await.unwrap(), 0);
        let audit = store.audit(rollout.id, 1000).await.unwrap();
        assert!(
            audit.iter().any(|a| a.entry.action == "wave 2 opened"),
            "{audit:#?}"
        );
        running.stop().await;
    })
    .await;
}
