//! Supersede: a newer library release during a rollout retargets the open
//! PRs (same branch, same PR, CI again), leaves a branch a human edited
//! alone (`superseded`), keeps merged targets merged at the older version,
//! gives unopened waves the new version, and refuses an older or equal
//! version -- on the in-memory forge (SQLite and PostgreSQL) and through
//! the real binary against the fake GitHub.

use std::collections::BTreeMap;
use std::time::Duration;

use wavebump::config::Config;
use wavebump::ecosystem::MemTree;
use wavebump::forge::{BranchPush, CiState, ForgeWrite};
use wavebump::rollout::{
    CommandError, Engine, EngineOptions, RolloutState, TargetState, new_rollout,
};

use super::fleet::{START, drive, is};
use super::ghorg::{self, text};
use crate::store::Db;
use crate::support::memforge::MemForge;

const CONFIG: &str = r#"
library:
  repository: acme/core-utils
  packages:
    cargo: core-utils
rollout:
  canaries: [svc-00]
  waves: [3, 10]
  gate:
    success_ratio: 1.0
    soak: 0s
    failure_budget: 0
pull_requests:
  automerge: true
"#;

fn cargo(name: &str) -> MemTree {
    MemTree::new().with(
        "Cargo.toml",
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n[dependencies]\ncore-utils = \"1.4\"\n"
        ),
    )
}

/// The library and six services: canary, a wave of three, a wave of two.
fn forge() -> MemForge {
    let forge = MemForge::new();
    forge.add_repo(
        "core-utils",
        MemTree::new().with("Cargo.toml", "[package]\nname = \"core-utils\"\n"),
        &["v1.4.0", "v2.0.0", "v2.1.0"],
    );
    for i in 0..6 {
        let name = format!("svc-{i:02}");
        forge.add_repo(&name, cargo(&name), &[]);
    }
    forge
}

fn requirement(forge: &MemForge, repo: &str, branch: &str) -> String {
    let bytes = forge.file(repo, branch, "Cargo.toml").unwrap();
    let text = String::from_utf8(bytes).unwrap();
    text.lines()
        .find(|l| l.starts_with("core-utils"))
        .unwrap()
        .to_owned()
}

async fn supersede_in_place(db: Db) {
    let config = Config::parse_in(CONFIG, "t.yaml", std::path::Path::new("/tmp")).unwrap();
    let engine = Engine::new(db.open().await, forge(), EngineOptions::default());
    let noop = |_: usize, _: usize| {};
    let outcome = wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &noop)
        .await
        .unwrap();
    let new = new_rollout(&outcome, &config, "alice");
    let mut now = START;
    let id = engine.create(&new, now).await.unwrap();
    engine.start(id, "alice", now).await.unwrap();
    let store = engine.store().clone();
    let branch = store.rollout(id).await.unwrap().unwrap().branch;

    // The canary merges at 2.0.0; wave 1 opens, its CI stays pending.
    engine.forge().set_ci("svc-00", CiState::Passed);
    let r = drive(&engine, id, &mut now, 10, |r| r.current_wave == 1).await;
    engine.tick(now).await.unwrap();
    let targets = store.targets(id).await.unwrap();
    let state = |repo: &str| {
        targets
            .iter()
            .find(|t| t.repo == repo)
            .map(|t| t.state)
            .unwrap()
    };
    assert_eq!(state("svc-00"), TargetState::Merged);
    for repo in ["svc-01", "svc-02", "svc-03"] {
        assert_eq!(state(repo), TargetState::CiPending, "{repo}");
    }
    assert_eq!(state("svc-04"), TargetState::Pending);
    assert!(requirement(engine.forge(), "svc-01", &branch).contains("2.0"));

    // A human pushes to svc-02's branch.
    let human = engine
        .forge()
        .push_branch(
            "svc-02",
            &BranchPush {
                branch: branch.clone(),
                base_branch: "main".into(),
                files: vec![("NOTES.md".into(), b"mine\n".to_vec())],
                message: "a human fix".into(),
                expected_head: None,
                lock_refresh: vec![],
            },
        )
        .await
        .unwrap()
        .head_sha;

    // Older and equal versions are refused, naming both.
    for offered in ["2.0.0", "1.9.9"] {
        let v = semver::Version::parse(offered).unwrap();
        let err = engine.supersede(id, &v, "bob", now).await.unwrap_err();
        assert!(matches!(err, CommandError::NotNewer { .. }), "{err}");
        assert!(err.to_string().contains("not newer than 2.0.0"), "{err}");
    }

    let heads_before: BTreeMap<String, String> = engine
        .forge()
        .prs()
        .into_iter()
        .map(|(repo, pr)| (repo, pr.head_sha))
        .collect();
    let v210 = semver::Version::new(2, 1, 0);
    let done = engine.supersede(id, &v210, "bob", now).await.unwrap();
    assert_eq!((done.from.as_str(), done.to.as_str()), ("2.0.0", "2.1.0"));
    assert_eq!(done.retargeted, ["svc-01", "svc-03"], "{done:?}");
    assert_eq!(done.merged_at_old, ["svc-00"]);
    assert_eq!(done.left.len(), 1, "{done:?}");
    assert_eq!(done.left[0].0, "svc-02");
    assert!(done.left[0].1.contains("edited by a human"), "{done:?}");
    assert_eq!(done.replanned, 2);

    let r2 = store.rollout(id).await.unwrap().unwrap();
    assert_eq!(r2.to_version, "2.1.0");
    assert_eq!(r2.branch, r.branch, "same branch");
    let targets = store.targets(id).await.unwrap();
    let t = |repo: &str| targets.iter().find(|t| t.repo == repo).unwrap().clone();
    // Retargeted: same PR, head moved, the new version on the branch, CI again.
    for repo in ["svc-01", "svc-03"] {
        let target = t(repo);
        assert_eq!(target.state, TargetState::CiPending, "{repo}");
        assert_eq!(target.pr_number, Some(1));
        assert_ne!(target.head_sha.as_ref(), heads_before.get(repo), "{repo}");
        assert!(
            target
                .last_reason
                .unwrap()
                .contains("retargeted to core-utils 2.1.0")
        );
        assert!(
            requirement(engine.forge(), repo, &branch).contains("2.1"),
            "{repo}"
        );
        assert!(target.to_requirement.unwrap().contains("2.1"), "{repo}");
    }
    // The human's branch is untouched; the target leaves the rollout.
    let edited = t("svc-02");
    assert_eq!(edited.state, TargetState::Superseded);
    // (MemForge moves every open PR with the same head branch name on a
    // push, whatever the repository, so the branch's content is checked.)
    assert_eq!(
        engine
            .forge()
            .file("svc-02", &branch, "NOTES.md")
            .as_deref(),
        Some(&b"mine\n"[..]),
        "the human's commit is still the branch head ({human})"
    );
    assert!(!requirement(engine.forge(), "svc-02", &branch).contains("2.1"));
    let flags = store.pr_versions(id).await.unwrap();
    let flag = flags.iter().find(|v| v.repo == "svc-02").unwrap();
    assert!(flag.human_edited);
    assert_eq!(flag.version.as_deref(), Some("2.0.0"));
    // Merged stays merged, recorded at 2.0.0.
    let merged = t("svc-00");
    assert_eq!(merged.state, TargetState::Merged);
    assert!(
        merged
            .last_reason
            .unwrap()
            .contains("merged at core-utils 2.0.0"),
        "status shows the older version"
    );
    assert_eq!(
        flags
            .iter()
            .find(|v| v.repo == "svc-00")
            .unwrap()
            .version
            .as_deref(),
        Some("2.0.0")
    );
    // The wave's gate starts over.
    let waves = store.waves(id).await.unwrap();
    assert_eq!(waves[1].met_at, None);
    // A comment says what superseded what; the PR title moved.
    let comments = engine.forge().comments();
    assert!(
        comments.iter().any(|(r, n, b)| r == "svc-01"
            && *n == 1
            && b.contains("2.1.0")
            && b.contains("2.0.0")),
        "{comments:?}"
    );
    // The audit log tells why.
    let audit = store.audit(id, 1000).await.unwrap();
    let has = |action: &str, reason: &str| {
        audit
            .iter()
            .any(|a| a.entry.action.contains(action) && a.entry.reason.contains(reason))
    };
    assert!(has("superseded 2.0.0 -> 2.1.0", "2.1.0 was released"));
    assert!(has("kept merged at 2.0.0", "moved on to 2.1.0"));
    assert!(has("branch edited by a human", "will not push"));
    assert!(has("ci_pending -> superseded", "left at 2.0.0"));

    // Again with the same version: refused, nothing written.
    let writes = engine.forge().writes().len();
    assert!(engine.supersede(id, &v210, "bob", now).await.is_err());
    engine.tick(now).await.unwrap();
    assert_eq!(
        engine.forge().writes().len(),
        writes,
        "no retarget twice, no push to the human's branch"
    );

    // CI passes: the rollout completes at 2.1.0; unopened waves got 2.1.0.
    engine.forge().set_default_ci(CiState::Passed);
    let done = drive(&engine, id, &mut now, 20, is(RolloutState::Completed)).await;
    assert_eq!(done.to_version, "2.1.0");
    for repo in ["svc-04", "svc-05"] {
        assert!(
            requirement(engine.forge(), repo, "main").contains("2.1"),
            "{repo}"
        );
    }
    let mut per_repo: BTreeMap<String, usize> = BTreeMap::new();
    for (repo, _) in engine.forge().prs() {
        *per_repo.entry(repo).or_default() += 1;
    }
    assert!(per_repo.values().all(|&n| n == 1), "{per_repo:?}");
    assert_eq!(per_repo.len(), 6);
    assert!(store.unconfirmed_intents().await.unwrap().is_empty());
}

/// People acted on wave 1's PRs before a supersede to 2.1.0: erin merged
/// svc-03's at 2.0.0 and frank closed svc-01's, and the engine had not
/// seen either. The supersede looks first: svc-03 stays merged at 2.0.0.
/// svc-01's PR cannot be read at that moment, so it is retargeted: its
/// branch gets 2.1.0 and, the old PR being closed, a new PR is opened,
/// which the target follows from then on (not the closed one).
async fn supersede_after_a_missed_merge(db: Db) {
    let config = Config::parse_in(CONFIG, "t.yaml", std::path::Path::new("/tmp")).unwrap();
    let engine = Engine::new(db.open().await, forge(), EngineOptions::default());
    let noop = |_: usize, _: usize| {};
    let outcome = wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &noop)
        .await
        .unwrap();
    let mut now = START;
    let id = engine
        .create(&new_rollout(&outcome, &config, "alice"), now)
        .await
        .unwrap();
    engine.start(id, "alice", now).await.unwrap();
    let store = engine.store().clone();
    engine.forge().set_ci("svc-00", CiState::Passed);
    drive(&engine, id, &mut now, 10, |r| r.current_wave == 1).await;
    engine.tick(now).await.unwrap();
    let target = |repo: &'static str| {
        let store = store.clone();
        async move {
            store
                .targets(id)
                .await
                .unwrap()
                .into_iter()
                .find(|t| t.repo == repo)
                .unwrap()
        }
    };
    let old_pr = target("svc-01").await.pr_number.unwrap();
    assert_eq!(target("svc-01").await.state, TargetState::CiPending);
    let merged_pr = target("svc-03").await.pr_number.unwrap();

    engine
        .forge()
        .close_pr("svc-01", old_pr, None)
        .await
        .unwrap();
    engine
        .forge()
        .merge_as("svc-03", merged_pr, "erin", "2026-02-03T04:05:06Z");
    // svc-01's PR is read first (name order): that read fails.
    engine.forge().fail_next("pr_status", 1);
    let v210 = semver::Version::new(2, 1, 0);
    let done = engine.supersede(id, &v210, "bob", now).await.unwrap();
    assert!(
        done.merged_at_old.contains(&"svc-03".to_owned()),
        "{done:?}"
    );
    assert!(done.retargeted.contains(&"svc-01".to_owned()), "{done:?}");
    assert!(
        done.errors.iter().any(|e| e.contains("svc-01")),
        "the failed read is reported: {done:?}"
    );
    let merged = target("svc-03").await;
    assert_eq!(merged.state, TargetState::Merged);
    assert_eq!(merged.activity.merged_by.as_deref(), Some("erin"));

    let t = target("svc-01").await;
    let (new_pr, new_head) = engine
        .forge()
        .prs()
        .into_iter()
        .filter(|(r, p)| r == "svc-01" && p.number != old_pr)
        .map(|(_, p)| (p.number, p.head_sha))
        .next()
        .expect("a new PR in svc-01");
    assert_eq!(t.pr_number, Some(new_pr), "{t:?}");
    assert_eq!(t.head_sha.as_deref(), Some(new_head.as_str()));
    assert_eq!(t.state, TargetState::CiPending);
    assert!(
        t.last_reason
            .as_deref()
            .unwrap_or("")
            .contains(&format!("PR #{old_pr} was no longer open")),
        "{t:?}"
    );
    // The next tick reads the new PR (open): the target is not taken for
    // declined by the old one.
    engine.tick(now).await.unwrap();
    let t = target("svc-01").await;
    assert_eq!(
        (t.state, t.pr_number),
        (TargetState::CiPending, Some(new_pr))
    );
}

crate::both!(supersede_in_place, supersede_after_a_missed_merge);

/// A paused rollout is superseded at once, but its PRs move only when it
/// runs again (a tick of a paused rollout writes nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_rollout_retargets_on_resume() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let db = Db::sqlite().await;
        let config = Config::parse_in(CONFIG, "t.yaml", std::path::Path::new("/tmp")).unwrap();
        let engine = Engine::new(db.open().await, forge(), EngineOptions::default());
        let noop = |_: usize, _: usize| {};
        let outcome = wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &noop)
            .await
            .unwrap();
        let now = START;
        let id = engine
            .create(&new_rollout(&outcome, &config, "alice"), now)
            .await
            .unwrap();
        engine.start(id, "alice", now).await.unwrap();
        engine.tick(now).await.unwrap();
        assert_eq!(engine.forge().prs().len(), 1);
        engine.pause(id, "bob", "", now).await.unwrap();
        let v = semver::Version::new(2, 1, 0);
        let done = engine.supersede(id, &v, "bob", now).await.unwrap();
        assert!(done.retargeted.is_empty(), "{done:?}");
        let writes = engine.forge().writes().len();
        engine.tick(now).await.unwrap();
        assert_eq!(engine.forge().writes().len(), writes, "paused: no write");
        engine.resume(id, "bob", now).await.unwrap();
        let report = engine.tick(now).await.unwrap();
        assert_eq!(report.retargeted, 1, "{report:?}");
        let branch = engine.store().rollout(id).await.unwrap().unwrap().branch;
        assert!(requirement(engine.forge(), "svc-00", &branch).contains("2.1"));
        assert_eq!(engine.forge().prs().len(), 1);
        // Retargeted once: the next tick leaves it alone.
        let writes = engine.forge().writes().len();
        engine.tick(now).await.unwrap();
        assert_eq!(engine.forge().writes().len(), writes);
    })
    .await
    .expect("timed out");
}

/// Through the real binary and the real GitHub forge against the fake
/// GitHub: `rollout start --to` a newer version supersedes the live rollout;
/// each repository keeps exactly one PR, on the same branch, whose head
/// moved and whose title and body name the new version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supersede_on_the_fake_github() {
    tokio::time::timeout(Duration::from_secs(90), async {
        let org = ghorg::org(4, "[3]", "").await;
        let out = org.run(&["rollout", "start", "--to", "2.0.0"]).await;
        assert!(out.status.success(), "{}", text(&out).1);
        let tick = org.run(&["rollout", "tick"]).await;
        assert!(tick.status.success(), "{}", text(&tick).1);
        let canary = "acme/svc-00";
        let pulls = org.fake.pulls(canary);
        assert_eq!(pulls.len(), 1);
        let branch = pulls[0].head.clone();
        assert_eq!(branch, "wavebump/core-utils-2.0.0");
        let head_before = org.fake.branch_sha(canary, &branch).unwrap();

        // An older version is refused with the reason, exit 2.
        let older = org.run(&["rollout", "start", "--to", "1.9.0"]).await;
        assert_eq!(older.status.code(), Some(2), "{}", text(&older).1);
        assert!(
            text(&older).1.contains("finish or abort"),
            "{}",
            text(&older).1
        );
        // `V2.0.0` is the live version (v and V are both stripped): refused
        // as not newer, not as a bad version.
        let same = org.run(&["rollout", "start", "--to", "V2.0.0"]).await;
        assert_eq!(same.status.code(), Some(2), "{}", text(&same).1);
        assert!(
            text(&same).1.contains("finish or abort"),
            "{}",
            text(&same).1
        );

        org.fake.add_release(
            "acme/core-utils",
            "v2.1.0",
            "Faster, and thanks @someone",
            false,
        );
        let out = org.run(&["rollout", "start", "--to", "2.1.0"]).await;
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(stdout.contains("superseded: 2.0.0 -> 2.1.0"), "{stdout}");
        assert!(stdout.contains("1 PR(s) retargeted"), "{stdout}");

        let pulls = org.fake.pulls(canary);
        assert_eq!(pulls.len(), 1, "still exactly one PR");
        let pr = &pulls[0];
        assert_eq!(pr.head, branch, "same branch");
        let head_after = org.fake.branch_sha(canary, &branch).unwrap();
        assert_ne!(head_after, head_before, "the branch head moved");
        assert_eq!(pr.title, "Bump core-utils to 2.1.0");
        assert!(pr.body.contains("2.1.0"), "{}", pr.body);
        assert!(pr.body.contains("`@someone`"), "new notes, neutralised");
        assert!(
            pr.comments
                .iter()
                .any(|c| c.body.contains("2.0.0") && c.body.contains("2.1.0")),
            "a comment says what superseded what"
        );

        // The rest of the rollout runs at 2.1.0: one PR per repository.
        let _ci = org.instant_ci();
        let run = org
            .run(&[
                "rollout",
                "run",
                "--interval",
                "0.05",
                "--until-done",
                "--lease-ttl",
                "5",
            ])
            .await;
        assert!(run.status.success(), "{}", text(&run).1);
        for full in &org.repos {
            let pulls = org.fake.pulls(full);
            assert_eq!(pulls.len(), 1, "{full}");
            assert_eq!(pulls[0].head, branch, "{full}");
            assert_eq!(pulls[0].title, "Bump core-utils to 2.1.0", "{full}");
        }
        let status = org.run(&["rollout", "status", "--json", "1"]).await;
        let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        assert_eq!(v[0]["rollout"]["state"], "completed", "{v:#}");
        assert_eq!(v[0]["rollout"]["to_version"], "2.1.0", "{v:#}");
    })
    .await
    .expect("timed out");
}
