//! Crash safety: lost answers and restarts with unconfirmed intents never
//! produce a second PR.

use wavebump::forge::{BranchPush, ForgeWrite, NewPullRequest};
use wavebump::rollout::TargetState;
use wavebump::store::NewIntent;

use super::fleet::{self, START};
use crate::store::Db;

fn prs_of(
    engine: &wavebump::rollout::Engine<crate::support::memforge::MemForge>,
    repo: &str,
) -> usize {
    engine
        .forge()
        .prs()
        .iter()
        .filter(|(r, _)| r == repo)
        .count()
}

// The forge must outlive the engine: build both, then rebuild the engine.
async fn restart_with_shared_forge(db: Db) {
    let now = START;
    let forge = fleet::forge();
    let engine = fleet::engine(db.open().await, forge);
    let id = fleet::start(&engine, now).await;
    let branch = engine.store().rollout(id).await.unwrap().unwrap().branch;
    engine
        .store()
        .record_intent(
            &NewIntent {
                rollout_id: id,
                repo: "svc-00".into(),
                kind: "create_pr".into(),
                key: branch.clone(),
                payload: "{}".into(),
            },
            now,
        )
        .await
        .unwrap();
    engine
        .forge()
        .push_branch(
            "svc-00",
            &BranchPush {
                branch: branch.clone(),
                base_branch: "main".into(),
                files: vec![(
                    "Cargo.toml".into(),
                    b"[dependencies]\ncore-utils = \"2.0\"\n".to_vec(),
                )],
                message: "bump".into(),
                expected_head: None,
                lock_refresh: vec![],
            },
        )
        .await
        .unwrap();
    let pr = engine.forge().create_pr_directly(
        "svc-00",
        &NewPullRequest {
            head_branch: branch.clone(),
            base_branch: "main".into(),
            title: "Bump".into(),
            body: String::new(),
            draft: false,
            labels: vec![],
            reviewers: vec![],
            team_reviewers: vec![],
        },
    );
    // "kill -9": drop the engine without anything else; reopen the store.
    let (store, forge) = engine.into_parts();
    drop(store);
    let engine = fleet::engine(db.open().await, forge);
    let report = engine.tick(now).await.unwrap();
    assert_eq!(report.reconciled, 1);
    assert_eq!(prs_of(&engine, "svc-00"), 1, "no duplicate PR");
    let t = engine.store().targets(id).await.unwrap().remove(0);
    assert_eq!((t.repo.as_str(), t.pr_number), ("svc-00", Some(pr.number)));
    assert!(t.state.has_open_pr(), "{t:?}");
    let intents = engine.store().intents(id).await.unwrap();
    assert!(intents.iter().any(|i| {
        i.outcome
            .as_deref()
            .unwrap_or("")
            .starts_with("reconciled: found PR")
    }));
    assert!(
        engine
            .store()
            .unconfirmed_intents()
            .await
            .unwrap()
            .is_empty()
    );
}

async fn lost_answer_no_duplicate(db: Db) {
    let now = START;
    let engine = fleet::engine(db.open().await, fleet::forge());
    let id = fleet::start(&engine, now).await;
    // GitHub creates the PR but the answer is lost.
    engine.forge().lose_answer("create_pr", 1);
    let report = engine.tick(now).await.unwrap();
    assert_eq!(report.errors.len(), 1, "{report:?}");
    let t = engine.store().targets(id).await.unwrap().remove(0);
    assert_eq!((t.state, t.retries), (TargetState::Pending, 1));
    // Next tick: found by head branch, adopted.
    engine.tick(now).await.unwrap();
    let t = engine.store().targets(id).await.unwrap().remove(0);
    assert_eq!(t.pr_number, Some(1));
    assert_eq!(prs_of(&engine, "svc-00"), 1);
}

async fn persistent_failure_errors_and_halts(db: Db) {
    let now = START;
    let engine = fleet::engine(db.open().await, fleet::forge());
    let id = fleet::start(&engine, now).await;
    engine.forge().fail_next("read_tree", 10);
    for attempt in 1..=3u32 {
        engine.tick(now).await.unwrap();
        let t = engine.store().targets(id).await.unwrap().remove(0);
        let want = if attempt < 3 {
            TargetState::Pending
        } else {
            TargetState::Error(3)
        };
        assert_eq!((t.state, t.retries), (want, attempt));
    }
    let r = engine.store().rollout(id).await.unwrap().unwrap();
    assert_eq!(r.state, wavebump::rollout::RolloutState::Halted, "{r:?}");
    assert!(engine.forge().prs().is_empty());
    // The forge recovers; the operator retries: back to pending, then opened.
    engine.forge().fail_next("read_tree", 0);
    engine.retry(id, "svc-00", "bob", now).await.unwrap();
    engine.resume(id, "bob", now).await.unwrap();
    engine.tick(now).await.unwrap();
    assert_eq!(engine.forge().prs().len(), 1);
}

crate::both!(
    restart_with_shared_forge,
    lost_answer_no_duplicate,
    persistent_failure_errors_and_halts
);
