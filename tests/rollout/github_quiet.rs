//! A tick on a 5,000-target rollout with nothing to do, against the fake
//! GitHub: every request it makes is conditional (answered 304), none
//! writes, and no target moves. The bench times the same fixture
//! (`support::gh_rollout::quiet_tick_fixture`); this test only counts.

use wavebump::rollout::TargetState;

use crate::store::Db;
use crate::support::gh_rollout::quiet_tick_fixture;

async fn quiet_github_tick(db: Db) {
    let q = quiet_tick_fixture(db.open().await, 5_000).await;
    let store = q.engine.store();
    let before = store.targets(q.rollout).await.unwrap();
    assert_eq!(before.len(), 5_001);
    assert_eq!(before[0].state, TargetState::CiPending, "{:?}", before[0]);
    // The first read of the canary's PR fills the ETag cache.
    q.engine.tick(q.now).await.unwrap();
    let audit = store.audit(q.rollout, 100_000).await.unwrap().len();
    for _ in 0..2 {
        q.clear();
        let report = q.engine.tick(q.now).await.unwrap();
        assert_eq!(
            report.opened + report.ci_changes + report.merged + report.reconciled,
            0,
            "{report:?}"
        );
        let (requests, counted) = q.requests();
        let seen: Vec<String> = q
            .fleet
            .fake
            .requests()
            .iter()
            .map(|r| format!("{} {} {}", r.method, r.path, r.status))
            .collect();
        assert!(requests > 0, "the canary's CI is read");
        assert_eq!(counted, 0, "only conditional (304) requests: {seen:#?}");
        assert!(requests <= 4, "the one open PR and its CI only: {seen:#?}");
    }
    let after = store.targets(q.rollout).await.unwrap();
    assert_eq!(before, after, "no target moved");
    assert_eq!(store.audit(q.rollout, 100_000).await.unwrap().len(), audit);
}

crate::both!(quiet_github_tick);
