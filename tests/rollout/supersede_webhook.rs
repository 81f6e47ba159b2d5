//! The release-webhook path (`wavebump serve`, real router and worker, the
//! GitHub forge against the fake GitHub): a newer release while a rollout
//! is running supersedes it -- the open PR moves to the new version on the
//! same branch, still one PR -- and an older one is refused with its
//! reason in the audit log.

use axum::http::StatusCode;
use wavebump::server::metrics::TickTrigger;
use wavebump::store::InboxState;

use crate::serve::{Hook, LIBRARY, World, options, release, send, timed, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_release_webhook_supersedes_the_running_rollout() {
    timed(async {
        let world = World::new("").await;
        let (app, store) = world.app(options()).await;
        let router = app.router.clone();
        let stats = app.worker_stats.clone();
        let running = app.background.start();
        wait_for("the first reconcile tick", || async {
            (stats.ticks(TickTrigger::Reconcile) == 1).then_some(())
        })
        .await;

        let first = release(LIBRARY, "v2.0.0", "2020-01-01T00:00:00Z", false);
        assert_eq!(
            send(&router, &Hook::new("release", "rel-1", &first))
                .await
                .0,
            StatusCode::ACCEPTED
        );
        let canary = "acme/svc-a";
        let pull = wait_for("the canary PR", || async {
            world.fake.pulls(canary).into_iter().next()
        })
        .await;
        let before = world.fake.branch_sha(canary, &pull.head).unwrap();
        let rollout = store.rollouts().await.unwrap().remove(0);

        world
            .fake
            .add_release(LIBRARY, "v2.1.0", "Even faster.", false);
        let newer = release(LIBRARY, "v2.1.0", "2020-01-02T00:00:00Z", false);
        assert_eq!(
            send(&router, &Hook::new("release", "rel-2", &newer))
                .await
                .0,
            StatusCode::ACCEPTED
        );
        let moved = wait_for("the retargeted branch and PR", || async {
            let r = store.rollout(rollout.id).await.unwrap()?;
            let sha = world.fake.branch_sha(canary, &pull.head)?;
            let titled = world
                .fake
                .pulls(canary)
                .iter()
                .any(|p| p.title.contains("2.1.0"));
            (r.to_version == "2.1.0" && sha != before && titled).then_some(sha)
        })
        .await;
        assert_ne!(moved, before);
        let pulls = world.fake.pulls(canary);
        assert_eq!(pulls.len(), 1, "the same PR");
        assert_eq!(pulls[0].number, pull.number);
        assert_eq!(pulls[0].head, pull.head, "the same branch");
        assert!(pulls[0].title.contains("2.1.0"), "{}", pulls[0].title);
        assert_eq!(
            store.rollouts().await.unwrap().len(),
            1,
            "no second rollout"
        );

        // An older release is refused, with why.
        let older = release(LIBRARY, "v2.0.5", "2020-01-03T00:00:00Z", false);
        assert_eq!(
            send(&router, &Hook::new("release", "rel-3", &older))
                .await
                .0,
            StatusCode::ACCEPTED
        );
        wait_for("an empty inbox", || async {
            let pending = store.inbox_count(InboxState::Pending).await.unwrap();
            (pending == 0).then_some(())
        })
        .await;
        assert_eq!(store.inbox_count(InboxState::Parked).await.unwrap(), 0);
        let audit = store.audit(rollout.id, 1000).await.unwrap();
        let has = |action: &str, reason: &str| {
            audit
                .iter()
                .any(|a| a.entry.action.contains(action) && a.entry.reason.contains(reason))
        };
        assert!(
            has("superseded 2.0.0 -> 2.1.0", "2.1.0 was released"),
            "{audit:#?}"
        );
        assert!(
            has("retargeted 2.0.0 -> 2.1.0", "updated; CI starts over"),
            "{audit:#?}"
        );
        assert!(
            has("release 2.0.5 not rolled out", "not newer than 2.1.0"),
            "{audit:#?}"
        );
        assert_eq!(
            store.rollout(rollout.id).await.unwrap().unwrap().to_version,
            "2.1.0"
        );
        running.stop().await;
    })
    .await;
}
