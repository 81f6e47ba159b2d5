//! Operator commands refused in the wrong state, with the state and what is
//! allowed; unknown repositories with close matches; abort closes PRs.

use std::time::Duration;

use wavebump::rollout::{CommandError, RolloutState, TargetState};

use super::fleet::{self, START};
use crate::store::Db;

async fn refusals(db: Db) {
    let now = START;
    let engine = fleet::engine(db.open().await, fleet::forge());
    let config = fleet::config();
    let noop = |_: usize, _: usize| {};
    let outcome = wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &noop)
        .await
        .unwrap();
    let id = engine
        .create(
            &wavebump::rollout::new_rollout(&outcome, &config, "alice"),
            now,
        )
        .await
        .unwrap();

    let err = engine.pause(id, "bob", "", now).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot pause rollout {id}: it is planned; pause is allowed when the rollout is running"
        )
    );
    for err in [
        engine.resume(id, "bob", now).await.unwrap_err(),
        engine.advance(id, "bob", now).await.unwrap_err(),
        engine.retry(id, "svc-01", "bob", now).await.unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                CommandError::WrongState {
                    state: RolloutState::Planned,
                    ..
                }
            ),
            "{err}"
        );
    }
    assert!(matches!(
        engine.pause(id + 7, "bob", "", now).await.unwrap_err(),
        CommandError::NoSuchRollout(_)
    ));

    engine.start(id, "alice", now).await.unwrap();
    let err = engine.start(id, "alice", now).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("it is running; start is allowed when the rollout is planned"),
        "{err}"
    );
    let err = engine.resume(id, "bob", now).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("resume is allowed when the rollout is paused or halted"),
        "{err}"
    );

    // Unknown repositories: close matches.
    let err = engine.skip(id, "svc-0", "bob", "", now).await.unwrap_err();
    let CommandError::UnknownRepo { suggestions, .. } = &err else {
        panic!("{err}")
    };
    assert!(suggestions.contains(&"svc-00".to_owned()), "{err}");
    let err = engine.retry(id, "lib-b", "bob", now).await.unwrap_err();
    assert!(err.to_string().contains("did you mean lib-a"), "{err}");
    // Retry of a target that did not fail.
    let err = engine.retry(id, "svc-00", "bob", now).await.unwrap_err();
    assert!(
        err.to_string().contains("needs ci_failed or error"),
        "{err}"
    );

    // Skip, pause/advance (forced, recorded with the operator), abort.
    engine
        .skip(id, "SVC-05", "bob", "owner asked", now)
        .await
        .unwrap();
    let targets = engine.store().targets(id).await.unwrap();
    let skipped = targets.iter().find(|t| t.repo == "svc-05").unwrap();
    assert_eq!(skipped.state, TargetState::Skipped);
    assert!(engine.skip(id, "svc-05", "bob", "", now).await.is_err());
    engine.tick(now).await.unwrap();
    engine.pause(id, "bob", "lunch", now).await.unwrap();
    engine.advance(id, "carol", now).await.unwrap();
    let r = engine.store().rollout(id).await.unwrap().unwrap();
    assert_eq!((r.state, r.current_wave), (RolloutState::Paused, 1));
    let audit = engine.store().audit(id, 100).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.entry.actor == "carol" && a.entry.reason == "forced by carol")
    );
    // Paused: no new PRs.
    let prs = engine.forge().prs().len();
    engine.tick(now).await.unwrap();
    assert_eq!(engine.forge().prs().len(), prs);

    engine
        .abort(id, "dave", "release withdrawn", now)
        .await
        .unwrap();
    let closed: Vec<_> = engine.forge().comments();
    assert_eq!(closed.len(), prs, "one closing comment per open PR");
    assert!(closed.iter().all(|(_, _, c)| c == "release withdrawn"));
    let targets = engine.store().targets(id).await.unwrap();
    assert!(targets.iter().all(|t| t.state.is_terminal()), "{targets:?}");
    let err = engine.resume(id, "bob", now).await.unwrap_err();
    assert!(err.to_string().contains("it is aborted"), "{err}");
    assert!(matches!(
        engine.abort(id, "bob", "x", now).await.unwrap_err(),
        CommandError::WrongState { .. }
    ));
}

async fn review_blocks_merge(db: Db) {
    let now = START;
    let engine = fleet::engine(db.open().await, fleet::forge());
    let id = fleet::start(&engine, now).await;
    engine
        .forge()
        .set_default_ci(wavebump::forge::CiState::Passed);
    engine
        .forge()
        .block_merge("svc-00", Some("1 approving review is required"));
    engine.tick(now).await.unwrap();
    engine.tick(now).await.unwrap();
    // The second tick did not ask again: a refused merge waits out its
    // back-off (or a review, check or push).
    engine
        .tick(now.plus(Duration::from_secs(30)))
        .await
        .unwrap();
    let t = engine.store().targets(id).await.unwrap().remove(0);
    assert_eq!(t.state, TargetState::CiPassed);
    assert_eq!(
        t.merge_blocked.as_deref(),
        Some("waiting for review: 1 approving review is required")
    );
    assert_eq!(t.activity.merge_attempts, 1, "{:?}", t.activity);
    assert_eq!(
        t.activity.next_merge_at,
        Some(now.plus(Duration::from_secs(60)))
    );
    engine.forge().block_merge("svc-00", None);
    engine
        .tick(now.plus(Duration::from_secs(30)))
        .await
        .unwrap();
    let t = engine.store().targets(id).await.unwrap().remove(0);
    assert_eq!(t.state, TargetState::CiPassed, "still backing off");
    engine
        .tick(now.plus(Duration::from_secs(60)))
        .await
        .unwrap();
    let t = engine.store().targets(id).await.unwrap().remove(0);
    assert_eq!((t.state, t.merge_blocked), (TargetState::Merged, None));
    assert_eq!(t.activity.next_merge_at, None);
}

async fn retry_without_rerun_pushes_an_empty_commit(db: Db) {
    let now = START;
    let engine = fleet::engine(db.open().await, fleet::forge());
    let id = fleet::start(&engine, now).await;
    engine.forge().set_rerun(false);
    engine
        .forge()
        .set_ci("svc-00", wavebump::forge::CiState::Failed);
    engine.tick(now).await.unwrap();
    engine.tick(now).await.unwrap();
    let before = engine.store().targets(id).await.unwrap().remove(0);
    assert_eq!(before.state, TargetState::CiFailed);
    let outcome = engine.retry(id, "svc-00", "bob", now).await.unwrap();
    assert!(
        matches!(outcome.how, wavebump::rollout::Retried::EmptyCommit { .. }),
        "{outcome}"
    );
    let after = engine.store().targets(id).await.unwrap().remove(0);
    assert_eq!((after.state, after.retries), (TargetState::CiPending, 1));
    assert_ne!(after.head_sha, before.head_sha, "a new commit was pushed");
    assert!(
        after
            .last_reason
            .as_deref()
            .unwrap()
            .starts_with("retry by bob: pushed an empty commit"),
        "{after:?}"
    );
    let writes = engine.forge().writes();
    let of = |prefix: &str| writes.iter().filter(|w| w.starts_with(prefix)).count();
    assert_eq!(
        of("push_branch svc-00"),
        1,
        "the change is not pushed again"
    );
    assert_eq!(of("push_empty_commit svc-00"), 1);
    assert_eq!(engine.forge().prs().len(), 1);
}

crate::both!(
    refusals,
    review_blocks_merge,
    retry_without_rerun_pushes_an_empty_commit
);
