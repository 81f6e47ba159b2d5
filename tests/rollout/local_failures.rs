//! Failures stay local: an error on one repository or intent is recorded
//! there (state, reason, next attempt) and the tick goes on for the rest.
//! On the fake GitHub a repository is deleted (404) and another one's
//! access revoked (403) mid-rollout, with intents a crash left for them;
//! on the in-memory forge a temporary failure waits its backoff. (The
//! local forge's removed bare repository: `cli_local_retry`.)

use std::time::Duration;

use wavebump::rollout::{Engine, TargetState, Timestamp};
use wavebump::store::{IntentRecord, NewIntent, TargetRecord};

use super::fleet::{self, START};
use crate::store::Db;
use crate::support::fake_github::PullState;
use crate::support::gh_rollout::{self, Ci, GhFleet};

const STEP: Duration = Duration::from_secs(60);

fn target<'a>(targets: &'a [TargetRecord], repo: &str) -> &'a TargetRecord {
    targets.iter().find(|t| t.repo == repo).unwrap()
}

async fn lost_repositories_stay_local(db: Db) {
    // Canary svc-00, then svc-01..03 in wave 1.
    let fleet = GhFleet::new(4, "[3]", "0s").await;
    let engine = fleet.engine(db.open().await).await;
    let store = engine.store();
    let mut now = START;
    let id = gh_rollout::start(&engine, &fleet, now, "alice").await;
    for repo in ["acme/svc-01", "acme/svc-02", "acme/svc-03"] {
        fleet.set_ci(repo, Ci::Pending);
    }
    // The canary merges; wave 1's PRs open and wait on CI.
    let mut opened = false;
    for _ in 0..10 {
        fleet.run_ci();
        let report = engine.tick(now).await.unwrap();
        assert!(report.errors.is_empty(), "{report:?}");
        now = now.plus(STEP);
        let targets = store.targets(id).await.unwrap();
        if targets
            .iter()
            .all(|t| t.wave == 0 || t.state == TargetState::CiPending)
        {
            opened = true;
            break;
        }
    }
    assert!(opened, "{:#?}", store.targets(id).await.unwrap());

    // svc-02 is deleted and the App loses access to svc-03, with intents
    // a crash left for both; svc-01's CI passes meanwhile.
    let targets = store.targets(id).await.unwrap();
    let branch = fleet.fake.pulls("acme/svc-02")[0].head.clone();
    let number = target(&targets, "acme/svc-03").pr_number.unwrap();
    for (repo, kind, key) in [
        ("acme/svc-02", "push_branch", branch),
        ("acme/svc-03", "merge_pr", number.to_string()),
    ] {
        store
            .record_intent(
                &NewIntent {
                    rollout_id: id,
                    repo: repo.to_owned(),
                    kind: kind.to_owned(),
                    key,
                    payload: "{}".to_owned(),
                },
                now,
            )
            .await
            .unwrap();
    }
    fleet.fake.with_repo("acme/svc-02", |r| r.hidden = true);
    fleet.fake.with_repo("acme/svc-03", |r| r.forbidden = true);
    fleet.set_ci("acme/svc-01", Ci::Pass);
    fleet.run_ci();
    let report = engine.tick(now).await.unwrap();
    now = now.plus(STEP);

    // The tick went on: svc-01 merged; the lost ones are in error with why.
    assert_eq!(report.merged, 1, "{report:?}");
    let errors = report.errors.join("\n");
    assert!(
        errors.contains("acme/svc-02: reconciling push_branch")
            && errors.contains("repository acme/svc-02 is gone (404)"),
        "{errors}"
    );
    assert!(
        errors.contains("acme/svc-03: reconciling merge_pr")
            && errors.contains("no access to repository acme/svc-03 (403)"),
        "{errors}"
    );
    let targets = store.targets(id).await.unwrap();
    assert_eq!(target(&targets, "acme/svc-01").state, TargetState::Merged);
    assert_eq!(fleet.fake.pulls("acme/svc-01")[0].state, PullState::Merged);
    let gone = target(&targets, "acme/svc-02");
    assert!(matches!(gone.state, TargetState::Error(_)), "{gone:?}");
    assert_eq!(
        gone.last_reason.as_deref(),
        Some("repository acme/svc-02 is gone (404)")
    );
    let locked = target(&targets, "acme/svc-03");
    assert!(matches!(locked.state, TargetState::Error(_)), "{locked:?}");
    assert!(
        locked
            .last_reason
            .as_deref()
            .unwrap()
            .starts_with("no access to repository acme/svc-03 (403)"),
        "{locked:?}"
    );
    // The intents are settled with the reason: the next tick does not
    // meet them again, and nothing else fails.
    let intents = store.intents(id).await.unwrap();
    for repo in ["acme/svc-02", "acme/svc-03"] {
        let i = intents
            .iter()
            .rev()
            .find(|i| i.intent.repo == repo)
            .unwrap();
        assert!(i.confirmed_at.is_some(), "{i:?}");
        assert!(
            i.outcome
                .as_deref()
                .unwrap()
                .starts_with("not reconciled: "),
            "{i:?}"
        );
    }
    assert!(store.unconfirmed_intents().await.unwrap().is_empty());
    fleet.run_ci();
    let report = engine.tick(now).await.unwrap();
    assert!(report.errors.is_empty(), "{report:?}");
}

/// A repository deleted while its PR waits on CI: the CI read's 404 moves
/// it to `error` (not polled again), the others keep going.
async fn repository_deleted_while_ci_runs(db: Db) {
    let fleet = GhFleet::new(3, "[2]", "0s").await;
    let engine = fleet.engine(db.open().await).await;
    let store = engine.store();
    let mut now = START;
    let id = gh_rollout::start(&engine, &fleet, now, "alice").await;
    fleet.set_ci("acme/svc-00", Ci::Pending);
    fleet.run_ci();
    engine.tick(now).await.unwrap();
    now = now.plus(STEP);
    fleet.fake.with_repo("acme/svc-00", |r| r.hidden = true);
    let report = engine.tick(now).await.unwrap();
    // The tick's first read of the repository finds it gone: the PR's
    // (what people did on it) before its CI.
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.starts_with("acme/svc-00: PR #1:") || e.starts_with("acme/svc-00: CI:")),
        "{report:?}"
    );
    let t = store.targets(id).await.unwrap()[0].clone();
    assert_eq!(t.repo, "acme/svc-00");
    assert!(matches!(t.state, TargetState::Error(_)), "{t:?}");
    assert_eq!(
        t.last_reason.as_deref(),
        Some("repository acme/svc-00 is gone (404)")
    );
    let report = engine.tick(now.plus(STEP)).await.unwrap();
    assert!(
        report.errors.is_empty(),
        "an error target is not polled: {report:?}"
    );
}

/// A temporary failure leaves the intent for later with its attempt and
/// next attempt noted; the tick goes on (the canary's PR opens), the
/// intent is not tried before its backoff, then it is settled.
async fn temporary_reconcile_failure_waits_its_backoff(db: Db) {
    let now = START;
    let engine: Engine<_> = fleet::engine(db.open().await, fleet::forge());
    let id = fleet::start(&engine, now).await;
    let store = engine.store();
    let rollout = store.rollout(id).await.unwrap().unwrap();
    let intent = store
        .record_intent(
            &NewIntent {
                rollout_id: id,
                repo: "svc-00".to_owned(),
                kind: "create_pr".to_owned(),
                key: rollout.branch.clone(),
                payload: "{}".to_owned(),
            },
            now,
        )
        .await
        .unwrap();
    engine.forge().fail_next("find_open_pr", 1);
    let report = engine.tick(now).await.unwrap();
    assert_eq!((report.opened, report.reconciled), (1, 0), "{report:?}");
    let next = now.plus(Duration::from_secs(60)).0;
    let note =
        format!("attempt 1 failed; next attempt at {next}: injected failure in find_open_pr");
    assert_eq!(
        report.errors,
        [format!(
            "svc-00: reconciling create_pr {}: {note}",
            rollout.branch
        )]
    );
    let i = noted(store, id, intent).await;
    assert_eq!(
        (i.confirmed_at, i.outcome.as_deref()),
        (None, Some(note.as_str()))
    );

    // Before the backoff: not tried (the forge would fail it again, and
    // the note would say attempt 2).
    engine.forge().fail_next("find_open_pr", 1);
    let report = engine.tick(Timestamp(now.0 + 30_000)).await.unwrap();
    assert!(report.errors.is_empty(), "{report:?}");
    let i = noted(store, id, intent).await;
    assert_eq!(i.outcome.as_deref(), Some(note.as_str()));
    engine.forge().fail_next("find_open_pr", 0);

    // After it: settled.
    let report = engine.tick(Timestamp(next)).await.unwrap();
    assert_eq!(report.reconciled, 1, "{report:?}");
    let i = noted(store, id, intent).await;
    assert!(i.confirmed_at.is_some());
    assert_eq!(i.outcome.as_deref(), Some("reconciled: found PR #1"));
}

/// A retarget (supersede) that fails for now leaves the target where it
/// is with why on it, and is tried again at the next tick.
async fn temporary_retarget_failure_is_noted_on_the_target(db: Db) {
    let mut now = START;
    let engine: Engine<_> = fleet::engine(db.open().await, fleet::forge());
    let id = fleet::start(&engine, now).await;
    engine.tick(now).await.unwrap();
    now = now.plus(STEP);
    let canary = engine.store().targets(id).await.unwrap().remove(0);
    assert_eq!(canary.state, TargetState::CiPending);
    engine.forge().fail_next("push_branch", 1);
    let version = semver::Version::new(2, 1, 0);
    let report = engine.supersede(id, &version, "alice", now).await.unwrap();
    assert_eq!(report.errors.len(), 1, "{report:?}");
    let t = engine.store().targets(id).await.unwrap().remove(0);
    assert_eq!(
        (t.state, t.head_sha),
        (TargetState::CiPending, canary.head_sha)
    );
    assert_eq!(
        t.last_reason.as_deref(),
        Some(
            "retargeting to 2.1.0 failed, tried again at the next tick: injected failure in push_branch"
        )
    );
    let report = engine.tick(now.plus(STEP)).await.unwrap();
    assert_eq!(report.retargeted, 1, "{report:?}");
}

async fn noted(store: &wavebump::store::Store, rollout: i64, id: i64) -> IntentRecord {
    let all = store.intents(rollout).await.unwrap();
    all.into_iter().find(|i| i.id == id).unwrap()
}

crate::both!(
    lost_repositories_stay_local,
    repository_deleted_while_ci_runs,
    temporary_reconcile_failure_waits_its_backoff,
    temporary_retarget_failure_is_noted_on_the_target
);
