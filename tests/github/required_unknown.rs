//! When the required checks of a target's branch cannot be read, the target
//! and the status page say so: "required checks unknown: counting all
//! checks" (issue 15), never silently. `serve` on the fake GitHub: a
//! release webhook opens the canary's PR, its branch rules are unreadable,
//! a check-run webhook brings CI in.

use axum::http::StatusCode;
use wavebump::rollout::TargetState;

use crate::serve::{Hook, LIBRARY, World, check_run, get, options, release, send, timed, wait_for};

const NOTE: &str = "required checks unknown: counting all checks";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_required_checks_are_said_on_the_target_and_the_page() {
    timed(async {
        let world = World::new("server:\n  public_read: true\n").await;
        world.fake.protect("acme/svc-a", &["test"], 0);
        world.fake.with_repo("acme/svc-a", |r| {
            r.protection.get_mut("main").unwrap().unreadable = true;
        });
        let (app, store) = world.app(options()).await;
        let router = app.router.clone();
        let running = app.background.start();
        let hook = Hook::new(
            "release",
            "rel-1",
            &release(LIBRARY, "v2.0.0", "2020-01-01T00:00:00Z", false),
        );
        assert_eq!(send(&router, &hook).await.0, StatusCode::ACCEPTED);
        let pull = wait_for("the canary's PR", || async {
            world.fake.pulls("acme/svc-a").into_iter().next()
        })
        .await;
        let sha = world.fake.branch_sha("acme/svc-a", &pull.head).unwrap();
        world
            .fake
            .add_check_run("acme/svc-a", &sha, "test", "completed", Some("success"));
        let hook = Hook::new("check_run", "check-1", &check_run("acme/svc-a", &sha));
        assert_eq!(send(&router, &hook).await.0, StatusCode::ACCEPTED);
        let rollout = store.rollouts().await.unwrap().remove(0);
        let target = wait_for("the canary's CI", || async {
            store
                .targets(rollout.id)
                .await
                .unwrap()
                .into_iter()
                .find(|t| t.repo == "acme/svc-a" && t.state == TargetState::CiPassed)
        })
        .await;
        assert_eq!(
            target.last_reason.as_deref(),
            Some(format!("CI passed ({NOTE})").as_str())
        );
        let (status, page) = get(&router, &format!("/rollouts/{}", rollout.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(NOTE), "{page}");
        running.stop().await;
    })
    .await;
}
