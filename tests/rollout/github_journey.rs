//! Issue 5's "done when": a 40-repository rollout on the fake GitHub (the
//! real `GitHubForge` through octocrab, real git pushes, branch protection
//! with a required check) goes from start through the canary, growing
//! waves, a failing CI that spends the failure budget and halts it, an
//! operator's retry (the failed check suite re-run, now green), resume,
//! and completion -- on SQLite and on PostgreSQL. The engine's clock is the
//! test's `Timestamp`, the forge's a `ManualClock`: no real sleep.

use std::collections::BTreeSet;
use std::time::Duration;

use wavebump::rollout::{CommandError, RolloutState, TargetState};

use crate::store::Db;
use crate::support::fake_github::{FakeGitHub, PullState, git};
use crate::support::gh_rollout::{self, CHECK, Ci, GhFleet, START, drive, is};

/// The engine's time step between ticks: more than the 10 min soak.
const STEP: Duration = Duration::from_secs(11 * 60);

/// A file of `branch` of a repository on the fake.
fn file_at(fake: &FakeGitHub, full: &str, branch: &str, path: &str) -> String {
    let dir = fake.repo_dir(full);
    let (_, entries) = git::tree(&dir, branch, true).expect("branch tree");
    let entry = entries
        .iter()
        .find(|e| e.path == path)
        .unwrap_or_else(|| panic!("{full}@{branch}: no {path}"));
    String::from_utf8(git::blob(&dir, &entry.sha).expect("blob")).expect("utf-8")
}

async fn journey(db: Db) {
    let fleet = GhFleet::new(40, "[3, 8, 16]", "10m").await;
    fleet.set_default_ci(Ci::Pending);
    let engine = fleet.engine(db.open().await).await;
    let store = engine.store();
    let fake = &fleet.fake;
    let mut now = START;

    // Start: planned through the GitHub forge, running wave 0.
    let id = gh_rollout::start(&engine, &fleet, now, "alice").await;
    let r = store.rollout(id).await.unwrap().unwrap();
    assert_eq!((r.state, r.current_wave), (RolloutState::Running, 0));
    let targets = store.targets(id).await.unwrap();
    let mut sizes = vec![0usize; r.wave_count as usize];
    for t in &targets {
        sizes[t.wave as usize] += 1;
    }
    assert_eq!(sizes, [1, 3, 8, 16, 12], "canary, then growing waves");
    assert_eq!(targets[0].repo, "acme/svc-00");
    assert!(fleet.pulls_per_repo().values().all(|&n| n == 0));

    // Canary: the PR is opened and its CI read in one tick (running).
    fleet.run_ci();
    let report = engine.tick(now).await.unwrap();
    assert_eq!(report.opened, 1, "{report:?}");
    let opened: Vec<String> = fleet
        .pulls_per_repo()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(r, _)| r)
        .collect();
    assert_eq!(opened, ["acme/svc-00"]);
    let canary = store.targets(id).await.unwrap()[0].clone();
    assert_eq!(canary.state, TargetState::CiPending);
    let pr = &fake.pulls("acme/svc-00")[0];
    assert_eq!(pr.head, r.branch);
    assert_eq!(pr.title, "Bump core-utils to 2.0.0");
    assert_eq!(pr.labels, ["dependencies"]);
    assert!(pr.body.contains("`@someone`"), "{}", pr.body);
    assert!(
        pr.body
            .contains(&format!("https://wavebump.example/rollouts/{id}")),
        "{}",
        pr.body
    );
    let pushed = file_at(fake, "acme/svc-00", &r.branch, "Cargo.toml");
    let before = file_at(fake, "acme/svc-00", "main", "Cargo.toml");
    assert_eq!(
        pushed,
        before.replace("core-utils = \"1.4\"", "core-utils = \"2.0\""),
        "only the requirement changes"
    );
    let waiting = store.rollout(id).await.unwrap().unwrap();
    assert!(
        waiting.reason.as_deref().unwrap_or("").contains("below"),
        "{waiting:?}"
    );

    // CI passes: the canary merges (branch protection satisfied), and the
    // soak holds the next wave.
    fleet.set_default_ci(Ci::Pass);
    fleet.run_ci();
    let report = engine.tick(now).await.unwrap();
    assert_eq!(report.merged, 1, "{report:?}");
    assert_eq!(fake.pulls("acme/svc-00")[0].state, PullState::Merged);
    assert_eq!(
        file_at(fake, "acme/svc-00", "main", "Cargo.toml"),
        pushed,
        "merged into main"
    );
    let soaking = store.rollout(id).await.unwrap().unwrap();
    assert_eq!(soaking.current_wave, 0);
    let wave0 = store.waves(id).await.unwrap()[0].clone();
    assert_eq!(wave0.met_at, Some(now), "soak started: {wave0:?}");

    // A repository of wave 2 fails its CI: the failure budget (0) is spent
    // and the rollout halts in wave 2.
    let bad = store
        .targets(id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.wave == 2)
        .unwrap()
        .repo;
    fleet.set_ci(&bad, Ci::Fail);
    let (halted, _) = drive(
        &engine,
        &fleet,
        id,
        &mut now,
        STEP,
        20,
        is(RolloutState::Halted),
    )
    .await;
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
    assert_eq!(failed.failing_checks[0].name, CHECK);
    let bad_pr = fake.pulls(&bad)[0].clone();
    assert_eq!(bad_pr.state, PullState::Open);

    // Halted: ticks change nothing at GitHub, no later wave opens, and the
    // wrong commands are refused with the state.
    let (writes, prs) = (fleet.write_requests(), fleet.pulls_per_repo());
    for _ in 0..3 {
        fleet.run_ci();
        engine.tick(now).await.unwrap();
        now = now.plus(STEP);
    }
    assert_eq!(fleet.write_requests(), writes, "no write while halted");
    assert_eq!(fleet.pulls_per_repo(), prs);
    assert!(
        store
            .targets(id)
            .await
            .unwrap()
            .iter()
            .filter(|t| t.wave > 2)
            .all(|t| t.state == TargetState::Pending)
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
    let err = engine
        .retry(id, "acme/svc-00", "bob", now)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("merged"), "{err}");
    let err = engine.retry(id, "svc-0", "bob", now).await.unwrap_err();
    assert!(err.to_string().contains("svc-00"), "close matches: {err}");

    // The cause is fixed; the operator re-runs the failed check suite
    // (same commit, no new push) and resumes.
    fleet.set_ci(&bad, Ci::Pass);
    engine.retry(id, &bad, "bob", now).await.unwrap();
    let rerequested = fake.with_repo(&bad, |r| r.rerequested.len());
    assert_eq!(rerequested, 1, "the failed suite re-run");
    let retried = store
        .targets(id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.repo == bad)
        .unwrap();
    assert_eq!(
        (retried.state, retried.retries),
        (TargetState::CiPending, 1)
    );
    assert_eq!(fake.branch_sha(&bad, &bad_pr.head), retried.head_sha);
    engine.resume(id, "bob", now).await.unwrap();
    let (done, _) = drive(
        &engine,
        &fleet,
        id,
        &mut now,
        STEP,
        30,
        is(RolloutState::Completed),
    )
    .await;
    assert_eq!(done.current_wave + 1, done.wave_count);

    // Every target merged, exactly one PR per repository, all merged.
    let targets = store.targets(id).await.unwrap();
    assert_eq!(targets.len(), 40);
    assert!(
        targets.iter().all(|t| t.state == TargetState::Merged),
        "{targets:#?}"
    );
    for (full, n) in fleet.pulls_per_repo() {
        assert_eq!(n, 1, "{full}: exactly one PR");
        let p = &fake.pulls(&full)[0];
        assert_eq!(p.state, PullState::Merged, "{full}");
        assert!(p.merge_sha.is_some(), "{full}");
        let main = fake.branch_sha(&full, "main");
        assert_eq!(main, p.merge_sha, "{full}: main is the merge commit");
    }
    let npm = file_at(fake, "acme/svc-04", "main", "package.json");
    assert!(npm.contains("\"@acme/core-utils\": \"^2.0.0\""), "{npm}");

    // The audit log tells the story, every entry with who and why.
    let audit = store.audit(id, 10_000).await.unwrap();
    for a in &audit {
        assert!(!a.entry.actor.is_empty(), "{a:?}");
        assert!(!a.entry.reason.is_empty(), "{a:?}");
    }
    let has = |actor: &str, action: &str, reason: &str| {
        audit.iter().any(|a| {
            a.entry.actor == actor
                && a.entry.action.starts_with(action)
                && a.entry.reason.contains(reason)
        })
    };
    assert!(has("alice", "started", ""), "{audit:#?}");
    for w in 1..done.wave_count {
        assert!(has("engine", &format!("wave {w} opened"), ""), "{audit:#?}");
    }
    assert!(has("engine", "halted", "failure budget"), "{audit:#?}");
    assert!(
        has(
            "bob",
            "",
            "retry by bob: re-requested the failed check suites (test)"
        ),
        "{audit:#?}"
    );
    assert!(has("bob", "resumed", ""), "{audit:#?}");
    assert!(has("engine", "completed", ""), "{audit:#?}");
    let merged_repos: BTreeSet<&str> = audit
        .iter()
        .filter(|a| a.entry.action.ends_with("merged"))
        .filter_map(|a| a.entry.repo.as_deref())
        .collect();
    assert_eq!(merged_repos.len(), 40, "a merge entry per repository");
    let bad_story: Vec<&str> = audit
        .iter()
        .filter(|a| a.entry.repo.as_deref() == Some(bad.as_str()))
        .map(|a| a.entry.action.as_str())
        .collect();
    for step in ["ci_failed", "ci_pending", "merged"] {
        assert!(
            bad_story.iter().any(|a| a.ends_with(step)),
            "{bad}: {bad_story:?}"
        );
    }
    assert!(store.unconfirmed_intents().await.unwrap().is_empty());

    // Completed: a tick writes nothing.
    let writes = fleet.write_requests();
    engine.tick(now).await.unwrap();
    assert_eq!(fleet.write_requests(), writes);
}

crate::both!(journey);

/// The bench's "start to completed" fixture works (timing is the bench's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instant_rollout_completes() {
    let m = tokio::time::timeout(Duration::from_secs(120), gh_rollout::instant_rollout(40))
        .await
        .expect("timed out");
    assert_eq!((m.repos, m.merged), (40, 40));
    // Per repository: a push, a PR, a label, a merge at most.
    assert!(m.writes <= 40 * 3, "{m:?}");
    println!("{m:?}");
}
