//! A 40-repository rollout from start through canary, growing waves, a
//! failing CI that halts it, a retry, resume and completion -- on SQLite and
//! on PostgreSQL.

use std::collections::BTreeMap;

use wavebump::forge::CiState;
use wavebump::rollout::{CommandError, RolloutState, TargetState};

use super::fleet::{self, START, drive, is};
use crate::store::Db;

async fn journey(db: Db) {
    let forge = fleet::forge();
    let engine = fleet::engine(db.open().await, forge);
    let mut now = START;
    let id = fleet::start(&engine, now).await;
    let store = engine.store();
    let r = store.rollout(id).await.unwrap().unwrap();
    assert_eq!((r.state, r.current_wave), (RolloutState::Running, 0));
    assert!(r.wave_count >= 4, "{r:?}");

    // Growing waves: canary alone, then sizes that do not shrink (the last
    // wave takes what is left).
    let targets = store.targets(id).await.unwrap();
    let mut sizes = vec![0usize; r.wave_count as usize];
    for t in &targets {
        sizes[t.wave as usize] += 1;
    }
    assert_eq!(sizes[0], 1, "canary wave {sizes:?}");
    assert!(sizes[1] <= sizes[2], "{sizes:?}");
    let lib_wave = targets.iter().find(|t| t.repo == "lib-a").unwrap().wave;
    let consumer_wave = targets.iter().find(|t| t.repo == "svc-10").unwrap().wave;
    assert!(lib_wave < consumer_wave, "library before its consumers");

    // Canary: PR opened and its CI read in the same tick (pending), then it
    // passes and merges; soak holds the next wave.
    engine.tick(now).await.unwrap();
    assert_eq!(engine.forge().prs().len(), 1);
    let canary = &store.targets(id).await.unwrap()[0];
    assert_eq!(
        (canary.repo.as_str(), canary.state),
        ("svc-00", TargetState::CiPending)
    );
    let pushed = engine
        .forge()
        .file("svc-00", &r.branch, "Cargo.toml")
        .unwrap();
    assert!(
        String::from_utf8(pushed)
            .unwrap()
            .contains("core-utils = \"~2.0.0\"")
    );
    let waiting = store.rollout(id).await.unwrap().unwrap();
    assert!(
        waiting.reason.as_deref().unwrap_or("").contains("below"),
        "{waiting:?}"
    );

    engine.forge().set_default_ci(CiState::Passed);
    engine.tick(now).await.unwrap();
    assert_eq!(
        store.targets(id).await.unwrap()[0].state,
        TargetState::Merged
    );
    assert_eq!(
        store.rollout(id).await.unwrap().unwrap().current_wave,
        0,
        "soaking"
    );

    // A repository of wave 2 will fail.
    let bad = store
        .targets(id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.wave == 2)
        .unwrap()
        .repo;
    engine.forge().set_ci(&bad, CiState::Failed);
    let halted = drive(&engine, id, &mut now, 40, is(RolloutState::Halted)).await;
    assert_eq!(halted.current_wave, 2);
    assert!(
        halted.reason.as_deref().unwrap().contains("failure budget"),
        "{halted:?}"
    );
    let failed = store
        .targets(id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.repo == bad)
        .unwrap();
    assert_eq!(failed.state, TargetState::CiFailed);
    assert_eq!(failed.failing_checks[0].name, "test");

    // Halted: nothing advances, nothing new opens, wrong commands refused.
    let prs = engine.forge().prs().len();
    for _ in 0..3 {
        engine.tick(now).await.unwrap();
    }
    assert_eq!(engine.forge().prs().len(), prs);
    assert_eq!(
        store.rollout(id).await.unwrap().unwrap().state,
        RolloutState::Halted
    );
    let err = engine.advance(id, "bob", now).await.unwrap_err();
    assert!(
        matches!(
            err,
            CommandError::WrongState {
                state: RolloutState::Halted,
                ..
            }
        ),
        "{err}"
    );

    // Fix CI, retry the repository, resume: the rollout completes.
    engine.forge().set_ci(&bad, CiState::Passed);
    engine.retry(id, &bad, "bob", now).await.unwrap();
    engine.resume(id, "bob", now).await.unwrap();
    let done = drive(&engine, id, &mut now, 60, is(RolloutState::Completed)).await;
    assert_eq!(done.current_wave + 1, done.wave_count);

    let targets = store.targets(id).await.unwrap();
    assert!(
        targets.iter().all(|t| t.state == TargetState::Merged),
        "{targets:#?}"
    );
    assert_eq!(targets.iter().find(|t| t.repo == bad).unwrap().retries, 1);
    // Exactly one PR per repository.
    let mut per_repo: BTreeMap<String, usize> = BTreeMap::new();
    for (repo, _) in engine.forge().prs() {
        *per_repo.entry(repo).or_default() += 1;
    }
    assert_eq!(per_repo.len(), 40);
    assert!(per_repo.values().all(|&n| n == 1), "{per_repo:?}");
    // The audit log tells the story.
    let audit = store.audit(id, 10_000).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.entry.action.as_str()).collect();
    for w in 1..done.wave_count {
        assert!(
            actions.contains(&format!("wave {w} opened").as_str()),
            "{actions:?}"
        );
    }
    assert!(
        audit
            .iter()
            .any(|a| a.entry.actor == "bob" && a.entry.action.starts_with("resumed"))
    );
    assert!(audit.iter().any(|a| a.entry.action.starts_with("halted")));
    assert!(
        audit
            .iter()
            .any(|a| a.entry.action.starts_with("completed"))
    );
    assert!(store.unconfirmed_intents().await.unwrap().is_empty());
    // Nothing left to do.
    let writes = engine.forge().writes().len();
    engine.tick(now).await.unwrap();
    assert_eq!(engine.forge().writes().len(), writes);
}

crate::both!(journey);
