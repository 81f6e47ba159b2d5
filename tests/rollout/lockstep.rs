//! Lockstep groups land together (in-memory forge, SQLite and
//! PostgreSQL): with automerge on, a group's members that passed wait for
//! the others (the wait names who holds the group), none is merged while
//! one is red, and all land once its owner's fix turns it green.

use std::time::Duration;

use wavebump::config::Config;
use wavebump::forge::{BranchPush, CiState, ForgeWrite};
use wavebump::rollout::{Engine, EngineOptions, TargetState, Timestamp, new_rollout};
use wavebump::store::TargetRecord;

use super::fleet::{self, START};
use crate::store::Db;

const CONFIG: &str = r#"
library:
  repository: acme/core-utils
  packages:
    cargo: core-utils
rollout:
  canaries: [svc-00]
  waves: [3, 10, 30]
  lockstep:
    - [svc-05, svc-06, svc-07]
  gate:
    success_ratio: 1.0
    soak: 0s
    failure_budget: 3
pull_requests:
  automerge: true
"#;

const GROUP: [&str; 3] = ["svc-05", "svc-06", "svc-07"];

async fn group(engine: &Engine<crate::support::memforge::MemForge>, id: i64) -> Vec<TargetRecord> {
    engine
        .store()
        .targets(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| GROUP.contains(&t.repo.as_str()))
        .collect()
}

async fn lockstep_lands_together(db: Db) {
    let forge = fleet::forge();
    forge.set_default_ci(CiState::Passed);
    forge.set_ci("svc-07", CiState::Pending);
    let engine = Engine::new(db.open().await, forge, EngineOptions::default());
    let config = Config::parse_in(CONFIG, "t.yaml", std::path::Path::new("/tmp")).unwrap();
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
    let waves: Vec<u32> = group(&engine, id).await.iter().map(|t| t.wave).collect();
    assert!(
        waves.windows(2).all(|w| w[0] == w[1]),
        "one wave: {waves:?}"
    );

    // Until the group's PRs are open and two of them passed.
    let mut held = false;
    for _ in 0..20 {
        engine.tick(now).await.unwrap();
        now = now.plus(Duration::from_secs(60));
        let g = group(&engine, id).await;
        if g.iter()
            .filter(|t| t.state == TargetState::CiPassed)
            .count()
            == 2
        {
            held = true;
            break;
        }
    }
    assert!(held, "{:?}", group(&engine, id).await);
    let g = group(&engine, id).await;
    for t in g.iter().filter(|t| t.repo != "svc-07") {
        assert_eq!(t.state, TargetState::CiPassed, "{t:?}");
        let why = t.merge_blocked.as_deref().unwrap_or("");
        assert!(why.contains("waiting for svc-07 (ci_pending)"), "{why}");
    }
    let merged = |engine: &Engine<crate::support::memforge::MemForge>| {
        engine
            .forge()
            .prs()
            .into_iter()
            .filter(|(r, p)| {
                GROUP.contains(&r.as_str()) && p.state == wavebump::forge::PrState::Merged
            })
            .count()
    };
    assert_eq!(merged(&engine), 0, "nothing lands while one is pending");
    // Every member's PR body links both siblings' PRs (the first ones
    // opened were rewritten once all were open).
    let prs: Vec<(String, u64, String)> = engine
        .forge()
        .prs()
        .into_iter()
        .filter(|(r, _)| GROUP.contains(&r.as_str()))
        .map(|(r, p)| (r, p.number, p.url))
        .collect();
    assert_eq!(prs.len(), 3, "{prs:?}");
    for (repo, number, _) in &prs {
        let body = engine.forge().body(repo, *number).unwrap();
        assert!(body.contains("**Lands together**"), "{repo}: {body}");
        for (other, _, url) in prs.iter().filter(|(o, _, _)| o != repo) {
            assert!(
                body.contains(&format!("[`{other}`]({url})")),
                "{repo}: {body}"
            );
        }
    }

    // svc-07 turns red: still none lands, and the wait says so.
    engine.forge().set_ci("svc-07", CiState::Failed);
    engine.tick(now).await.unwrap();
    let g = group(&engine, id).await;
    let red = g.iter().find(|t| t.repo == "svc-07").unwrap();
    assert_eq!(red.state, TargetState::CiFailed);
    let five = g.iter().find(|t| t.repo == "svc-05").unwrap();
    assert!(
        five.merge_blocked
            .as_deref()
            .unwrap_or("")
            .contains("svc-07 (ci_failed)"),
        "{five:?}"
    );
    assert_eq!(merged(&engine), 0);

    // Its owner pushes a fix; CI passes on it: the whole group lands.
    let branch = engine.store().rollout(id).await.unwrap().unwrap().branch;
    engine
        .forge()
        .push_branch(
            "svc-07",
            &BranchPush {
                branch,
                base_branch: "main".into(),
                files: vec![("src/adapted.rs".into(), b"// fixed\n".to_vec())],
                message: "Adapt to core-utils 2".into(),
                expected_head: None,
                lock_refresh: vec![],
            },
        )
        .await
        .unwrap();
    engine.forge().set_ci("svc-07", CiState::Passed);
    for _ in 0..3 {
        engine.tick(now).await.unwrap();
        now = now.plus(Duration::from_secs(60));
    }
    let g = group(&engine, id).await;
    assert!(g.iter().all(|t| t.state == TargetState::Merged), "{g:#?}");
    assert_eq!(merged(&engine), 3);
    let _: Timestamp = now;
}

crate::both!(lockstep_lands_together);
