//! Abort that is what it says, against the fake GitHub: with GitHub
//! failing (5xx) the abort is recorded `aborting` with every open PR still
//! to close, and the answer says so (no "failed"); the engine keeps trying
//! at every tick, across a restart, and records `aborted` once GitHub is
//! back and every PR is closed.

use wavebump::rollout::{ABORT_CLOSE, RolloutState, TargetState};

use crate::store::Db;
use crate::support::fake_github::Fault;
use crate::support::fake_github::state::PullState;
use crate::support::gh_rollout::{self, Ci, GhFleet, START};

async fn abort_survives_an_outage_and_a_restart(db: Db) {
    let fleet = GhFleet::new(8, "[3]", "10m").await;
    fleet.set_default_ci(Ci::Pending);
    let engine = fleet.engine(db.open().await).await;
    let now = START;
    let id = gh_rollout::start(&engine, &fleet, now, "alice").await;
    // Wave 0 (the canary) opens; advance to open wave 1 as well.
    engine.tick(now).await.unwrap();
    engine.advance(id, "bob", now).await.unwrap();
    engine.tick(now).await.unwrap();
    let open: Vec<(String, u64)> = engine
        .store()
        .targets(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.state.has_open_pr())
        .map(|t| (t.repo.clone(), t.pr_number.unwrap()))
        .collect();
    assert_eq!(open.len(), 4, "{open:?}");

    // GitHub answers 502 to everything.
    fleet
        .fake
        .fault_rate_mix(100, 7, vec![Fault::ServerError(502)]);
    let outcome = engine
        .abort(id, "dave", "release withdrawn", now)
        .await
        .expect("a recorded abort is no failure");
    assert!(!outcome.aborted);
    assert!(outcome.closed.is_empty());
    assert_eq!(outcome.pending.len(), 4, "{outcome:?}");
    let said = outcome.to_string();
    assert!(said.contains("is aborting"), "{said}");
    assert!(said.contains("4 still to close"), "{said}");
    assert!(!said.contains("failed"), "{said}");
    let r = engine.store().rollout(id).await.unwrap().unwrap();
    assert_eq!(r.state, RolloutState::Aborting);
    // Targets without a PR are closed at once; those with one wait.
    let targets = engine.store().targets(id).await.unwrap();
    for t in &targets {
        if open.iter().any(|(repo, _)| *repo == t.repo) {
            assert!(t.state.has_open_pr(), "{t:?}");
        } else {
            assert_eq!(t.state, TargetState::Closed, "{t:?}");
        }
    }
    let pending = wavebump::rollout::pending_closes(engine.store(), id)
        .await
        .unwrap();
    assert_eq!(pending.len(), 4);

    // Still down: a tick tries again, says what is left, changes nothing.
    let report = engine.tick(now).await.unwrap();
    assert!(
        report.errors.iter().any(|e| e.contains("still to close")),
        "{report:?}"
    );
    assert_eq!(
        engine.store().rollout(id).await.unwrap().unwrap().state,
        RolloutState::Aborting
    );
    // Nothing is opened, merged or advanced while aborting.
    assert!(engine.advance(id, "bob", now).await.is_err());

    // A restart: a new engine on the same database; GitHub recovers.
    let (store, _) = engine.into_parts();
    store.close().await;
    fleet.fake.fault_rate(0, 1);
    let engine = fleet.engine(db.open().await).await;
    let report = engine.tick(now).await.unwrap();
    assert!(report.errors.is_empty(), "{report:?}");
    let r = engine.store().rollout(id).await.unwrap().unwrap();
    assert_eq!(r.state, RolloutState::Aborted, "{r:?}");
    let targets = engine.store().targets(id).await.unwrap();
    assert!(targets.iter().all(|t| t.state.is_terminal()), "{targets:?}");
    for (repo, number) in &open {
        let pull = fleet
            .fake
            .pulls(repo)
            .into_iter()
            .find(|p| p.number == *number)
            .unwrap();
        assert_eq!(pull.state, PullState::Closed, "{repo}#{number}");
    }
    // Every abort intent is confirmed; nothing is left.
    let intents = engine.store().intents(id).await.unwrap();
    let closes: Vec<_> = intents
        .iter()
        .filter(|i| i.intent.kind == ABORT_CLOSE)
        .collect();
    assert_eq!(closes.len(), 4);
    assert!(closes.iter().all(|i| i.confirmed_at.is_some()));
    assert!(
        wavebump::rollout::pending_closes(engine.store(), id)
            .await
            .unwrap()
            .is_empty()
    );
    // The audit log tells the story: aborting, then aborted.
    let audit = engine.store().audit(id, 1000).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.entry.action.as_str()).collect();
    assert!(
        actions.iter().any(|a| a.contains("aborting")),
        "{actions:?}"
    );
    assert!(
        actions.iter().any(|a| a.contains("-> aborted")),
        "{actions:?}"
    );
}

crate::both!(abort_survives_an_outage_and_a_restart);
