//! `retry` runs CI again for real, on the fake GitHub (the real
//! `GitHubForge`, real git pushes into the fake's bare repositories):
//! a failed check run's suite is re-requested (same commit); a failed
//! commit status from external CI, which has no re-run API, gets an empty
//! commit on top of wavebump's branch head (new sha, CI tracked on it);
//! a branch a person pushed to gets no commit: with status-only CI the
//! retry is refused with the reason and nothing changes.

use std::time::Duration;

use wavebump::rollout::{CommandError, Engine, Retried, ServiceError, TargetState, Timestamp};
use wavebump::store::{Audit, TargetRecord};

use crate::store::Db;
use crate::support::fake_github::PullState;
use crate::support::gh_rollout::{self, Ci, GhFleet, START};

const CANARY: &str = "acme/svc-00";
/// The commit status external CI posts (required on the canary).
const EXTERNAL: &str = "ci/external";
const STEP: Duration = Duration::from_secs(60);

type Gh = Engine<wavebump::forge::github::GitHubForge>;

async fn canary(engine: &Gh, id: i64) -> TargetRecord {
    engine
        .store()
        .targets(id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.repo == CANARY)
        .unwrap()
}

/// Tick (running CI first) until the canary is `state`.
async fn until(engine: &Gh, fleet: &GhFleet, id: i64, now: &mut Timestamp, state: TargetState) {
    for _ in 0..10 {
        fleet.run_ci();
        engine.tick(*now).await.unwrap();
        *now = now.plus(STEP);
        if canary(engine, id).await.state == state {
            return;
        }
    }
    panic!("canary not {state}: {:?}", canary(engine, id).await);
}

/// A two-repository fleet whose canary's CI is the commit status
/// [`EXTERNAL`] (required by its branch rules), failed on its PR head. The
/// caller keeps `db` alive (a SQLite store's directory goes with it).
async fn status_failure(db: &Db) -> (GhFleet, Gh, i64, Timestamp) {
    let fleet = GhFleet::new(2, "[1]", "0s").await;
    fleet.fake.protect(CANARY, &[EXTERNAL], 0);
    let engine = fleet.engine(db.open().await).await;
    let mut now = START;
    let id = gh_rollout::start(&engine, &fleet, now, "alice").await;
    until(&engine, &fleet, id, &mut now, TargetState::CiPending).await;
    let head = canary(&engine, id).await.head_sha.unwrap();
    fleet.fake.set_status(CANARY, &head, EXTERNAL, "failure");
    until(&engine, &fleet, id, &mut now, TargetState::CiFailed).await;
    assert_eq!(canary(&engine, id).await.failing_checks[0].name, EXTERNAL);
    (fleet, engine, id, now)
}

async fn check_run_failure_is_rerequested(db: Db) {
    let fleet = GhFleet::new(2, "[1]", "0s").await;
    fleet.set_ci(CANARY, Ci::Fail);
    let engine = fleet.engine(db.open().await).await;
    let mut now = START;
    let id = gh_rollout::start(&engine, &fleet, now, "alice").await;
    until(&engine, &fleet, id, &mut now, TargetState::CiFailed).await;
    let before = canary(&engine, id).await;

    let outcome = engine.retry(id, "svc-00", "bob", now).await.unwrap();
    assert_eq!(
        outcome.how,
        Retried::Rerequested {
            sha: before.head_sha.clone().unwrap(),
            checks: vec!["test".to_owned()],
        }
    );
    let answer = outcome.to_string();
    assert!(
        answer.contains("re-requested the failed check suites (test)"),
        "{answer}"
    );
    assert_eq!(fleet.fake.with_repo(CANARY, |r| r.rerequested.len()), 1);
    let after = canary(&engine, id).await;
    assert_eq!((after.state, after.retries), (TargetState::CiPending, 1));
    assert_eq!(after.head_sha, before.head_sha, "same commit, no push");
    let reason = after.last_reason.unwrap();
    assert!(
        reason.starts_with("retry by bob: re-requested the failed check suites (test)"),
        "{reason}"
    );
    let audit = engine.store().audit(id, 1000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.entry.actor == "bob" && a.entry.reason == reason),
        "{audit:#?}"
    );

    // The re-run passes: the canary merges on the same commit.
    fleet.set_ci(CANARY, Ci::Pass);
    engine.resume(id, "bob", now).await.unwrap();
    until(&engine, &fleet, id, &mut now, TargetState::Merged).await;
    assert_eq!(fleet.fake.pulls(CANARY)[0].state, PullState::Merged);
}

async fn commit_status_failure_gets_an_empty_commit(db: Db) {
    let (fleet, engine, id, mut now) = status_failure(&db).await;
    let before = canary(&engine, id).await;
    let old = before.head_sha.clone().unwrap();
    let branch = fleet.fake.pulls(CANARY)[0].head.clone();

    let outcome = engine.retry(id, "svc-00", "bob", now).await.unwrap();
    let Retried::EmptyCommit {
        branch: pushed_to,
        old: parent,
        new,
        checks,
        rerequested,
    } = outcome.how.clone()
    else {
        panic!("{outcome}")
    };
    assert_eq!((pushed_to, parent), (branch.clone(), old.clone()));
    assert_eq!(checks, [EXTERNAL]);
    assert!(rerequested.is_empty());
    assert!(
        outcome.to_string().contains("pushed an empty commit"),
        "{outcome}"
    );
    // A new commit on top of the old head, same tree, by the bot.
    assert_eq!(fleet.fake.branch_sha(CANARY, &branch), Some(new.clone()));
    let dir = fleet.fake.repo_dir(CANARY);
    let commit = wavebump::git::commit_info(&dir, &new).unwrap();
    let parent = wavebump::git::commit_info(&dir, &old).unwrap();
    assert_eq!(commit.parents, std::slice::from_ref(&old));
    assert_eq!(commit.tree, parent.tree, "an empty commit");
    assert_eq!(commit.author_email, parent.author_email, "the bot's");
    assert!(commit.message.contains(EXTERNAL), "{}", commit.message);
    // The target follows the new head; nothing was re-requested.
    let after = canary(&engine, id).await;
    assert_eq!((after.state, after.retries), (TargetState::CiPending, 1));
    assert_eq!(after.head_sha.as_deref(), Some(new.as_str()));
    assert!(after.failing_checks.is_empty());
    assert!(
        after
            .last_reason
            .as_deref()
            .unwrap()
            .starts_with("retry by bob: pushed an empty commit"),
        "{after:?}"
    );
    assert!(fleet.fake.with_repo(CANARY, |r| r.rerequested.is_empty()));
    assert_eq!(fleet.fake.pulls(CANARY).len(), 1, "same PR");
    let intents = engine.store().intents(id).await.unwrap();
    let empty = intents
        .iter()
        .find(|i| i.intent.kind == wavebump::rollout::EMPTY_COMMIT)
        .unwrap();
    assert_eq!(empty.intent.key, branch);
    assert!(empty.confirmed_at.is_some(), "{empty:?}");

    // CI is tracked on the new commit: pending until external CI reports
    // on it, then green, and the canary merges at the new head.
    fleet.run_ci();
    engine.tick(now).await.unwrap();
    assert_eq!(canary(&engine, id).await.state, TargetState::CiPending);
    fleet.fake.set_status(CANARY, &new, EXTERNAL, "success");
    engine.resume(id, "bob", now).await.unwrap();
    until(&engine, &fleet, id, &mut now, TargetState::Merged).await;
    assert_eq!(fleet.fake.pulls(CANARY)[0].state, PullState::Merged);
}

async fn human_pushed_branch_with_status_only_ci_is_refused(db: Db) {
    let (fleet, engine, id, now) = status_failure(&db).await;
    let branch = fleet.fake.pulls(CANARY)[0].head.clone();
    // A person pushes a fix to the bump branch; the store knows (as the
    // `synchronize` webhook records it).
    let theirs = fleet
        .fake
        .push_commit(CANARY, &branch, &[("FIX.md", b"a fix\n")]);
    let note = format!("carol pushed {theirs} to {branch}");
    engine
        .store()
        .mark_human_edited(
            id,
            CANARY,
            &note,
            &Audit {
                rollout_id: Some(id),
                repo: Some(CANARY.to_owned()),
                actor: "carol".to_owned(),
                action: "branch edited by a human".to_owned(),
                reason: note.clone(),
                at: now,
            },
        )
        .await
        .unwrap();
    let targets = engine.store().targets(id).await.unwrap();
    let audit = engine.store().audit(id, 10_000).await.unwrap().len();
    let writes = fleet.write_requests();

    let err = engine.retry(id, "svc-00", "bob", now).await.unwrap_err();
    assert!(matches!(err, CommandError::CannotRerun { .. }), "{err}");
    let text = err.to_string();
    for part in [
        "cannot retry acme/svc-00",
        EXTERNAL,
        "no re-run API",
        "a person pushed to",
        &note,
        "nothing was changed",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    assert!(
        ServiceError::from(err).is_user(),
        "said to the operator as is"
    );
    // Nothing changed: targets (state, retries, head), audit, GitHub.
    assert_eq!(engine.store().targets(id).await.unwrap(), targets);
    assert_eq!(engine.store().audit(id, 10_000).await.unwrap().len(), audit);
    assert_eq!(fleet.write_requests(), writes, "no write at GitHub");
    assert_eq!(fleet.fake.branch_sha(CANARY, &branch), Some(theirs));
}

crate::both!(
    check_run_failure_is_rerequested,
    commit_status_failure_gets_an_empty_commit,
    human_pushed_branch_with_status_only_ci_is_refused
);
