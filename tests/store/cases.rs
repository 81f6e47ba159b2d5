//! Reads and writes of every table, on both backends.

use std::time::Duration;

use wavebump::ecosystem::{Classification, Ecosystem};
use wavebump::rollout::{RolloutState, TargetState, Timestamp};
use wavebump::store::{
    Audit, FailingCheck, InboxState, NewIntent, NewRollout, NewTarget, StoreError,
};

use super::Db;

pub fn new_rollout(targets: usize, waves: u32) -> NewRollout {
    NewRollout {
        library: "core-utils".into(),
        from_version: Some("1.4.0".into()),
        to_version: "2.0.0".into(),
        wave_count: waves,
        branch: "wavebump/core-utils-2".into(),
        policy: "{}".into(),
        started_by: "alice".into(),
        graph: Default::default(),
        targets: (0..targets)
            .map(|i| NewTarget {
                repo: format!("repo-{i:04}"),
                manifest_path: "Cargo.toml".into(),
                ecosystem: Ecosystem::Cargo,
                from_requirement: "1.4".into(),
                to_requirement: Some("2.0".into()),
                classification: Classification::Major,
                is_library: i == 0,
                wave: (i as u32) % waves,
            })
            .collect(),
    }
}

fn audit(rollout: i64, action: &str, at: i64) -> Audit {
    Audit {
        rollout_id: Some(rollout),
        repo: None,
        actor: "engine".into(),
        action: action.into(),
        reason: "test".into(),
        at: Timestamp(at),
    }
}

async fn rollout_round_trip(db: Db) {
    let store = db.open().await;
    let id = store
        .create_rollout(&new_rollout(900, 3), Timestamp(1_000))
        .await
        .unwrap();
    let r = store.rollout(id).await.unwrap().unwrap();
    assert_eq!(r.state, RolloutState::Planned);
    assert_eq!((r.current_wave, r.wave_count), (0, 3));
    assert_eq!(r.started_by, "alice");
    assert_eq!(store.waves(id).await.unwrap().len(), 3);
    let targets = store.targets(id).await.unwrap();
    assert_eq!(targets.len(), 900);
    assert!(targets.iter().all(|t| t.state == TargetState::Pending));
    assert!(targets.windows(2).all(|w| w[0].wave <= w[1].wave));
    assert!(targets.iter().any(|t| t.is_library));
    assert_eq!(store.active_rollouts().await.unwrap().len(), 1);
    assert_eq!(store.audit(id, 10).await.unwrap().len(), 1);
    assert!(store.rollout(id + 1).await.unwrap().is_none());
}

async fn guarded_target_writes(db: Db) {
    let store = db.open().await;
    let id = store
        .create_rollout(&new_rollout(2, 1), Timestamp(0))
        .await
        .unwrap();
    let mut t = store.targets(id).await.unwrap().remove(0);
    t.state = TargetState::PrOpen;
    t.pr_number = Some(7);
    t.pr_url = Some("https://example/pr/7".into());
    t.head_sha = Some("abc".into());
    t.failing_checks = vec![FailingCheck {
        name: "test <script>".into(),
        url: None,
        first_error: Some("error[E0425]: cannot find `parse` in `core_utils`".into()),
    }];
    t.state_since = Timestamp(5);
    store
        .update_target(
            &t,
            TargetState::Pending,
            Some(&audit(id, "pending -> pr_open", 5)),
        )
        .await
        .unwrap();
    let back = store.targets(id).await.unwrap().remove(0);
    assert_eq!(back, t);
    // A second writer that still believes `pending` is refused, nothing changes.
    let mut stale = t.clone();
    stale.state = TargetState::Skipped;
    let err = store
        .update_target(&stale, TargetState::Pending, Some(&audit(id, "x", 6)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(store.targets(id).await.unwrap().remove(0), t);
    assert_eq!(store.audit(id, 100).await.unwrap().len(), 2);
    // Error retries round-trip.
    let mut e = t.clone();
    e.state = TargetState::Error(2);
    e.retries = 2;
    store
        .update_target(&e, TargetState::PrOpen, None)
        .await
        .unwrap();
    assert_eq!(
        store.targets(id).await.unwrap()[0].state,
        TargetState::Error(2)
    );
}

async fn guarded_rollout_writes(db: Db) {
    let store = db.open().await;
    let id = store
        .create_rollout(&new_rollout(1, 2), Timestamp(0))
        .await
        .unwrap();
    let mut r = store.rollout(id).await.unwrap().unwrap();
    r.state = RolloutState::Running;
    r.state_since = Timestamp(9);
    store
        .update_rollout(&r, (RolloutState::Planned, 0), &audit(id, "started", 9))
        .await
        .unwrap();
    let err = store
        .update_rollout(&r, (RolloutState::Planned, 0), &audit(id, "started", 9))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
    let back = store.rollout(id).await.unwrap().unwrap();
    assert_eq!(back.state, RolloutState::Running);
    assert_eq!(back.updated_at, Timestamp(9));
    let mut w = store.waves(id).await.unwrap().remove(1);
    w.opened_at = Some(Timestamp(3));
    w.met_at = Some(Timestamp(4));
    store.update_wave(&w).await.unwrap();
    assert_eq!(store.waves(id).await.unwrap()[1], w);
    let log = store.audit(id, 1).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].entry.action, "started");
}

async fn intents(db: Db) {
    let store = db.open().await;
    let intent = |key: &str| NewIntent {
        rollout_id: 1,
        repo: "api".into(),
        kind: "create_pr".into(),
        key: key.into(),
        payload: "{}".into(),
    };
    let a = store
        .record_intent(&intent("a"), Timestamp(1))
        .await
        .unwrap();
    let b = store
        .record_intent(&intent("b"), Timestamp(2))
        .await
        .unwrap();
    store
        .confirm_intent(a, "PR #1", Timestamp(3))
        .await
        .unwrap();
    let open = store.unconfirmed_intents().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, b);
    assert_eq!(open[0].intent, intent("b"));
    let all = store.intents(1).await.unwrap();
    assert_eq!(all[0].outcome.as_deref(), Some("PR #1"));
    assert_eq!(all[0].confirmed_at, Some(Timestamp(3)));
}

async fn leases(db: Db) {
    let store = db.open().await;
    let ttl = Duration::from_secs(10);
    assert!(
        store
            .acquire_lease("leader", "a", Timestamp(0), ttl)
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease("leader", "b", Timestamp(5_000), ttl)
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire_lease("leader", "a", Timestamp(6_000), ttl)
            .await
            .unwrap()
    );
    // a stops renewing; b takes over once it expired.
    assert!(
        !store
            .acquire_lease("leader", "b", Timestamp(15_999), ttl)
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire_lease("leader", "b", Timestamp(16_000), ttl)
            .await
            .unwrap()
    );
    assert_eq!(store.lease("leader").await.unwrap().unwrap().holder, "b");
    store.release_lease("leader", "a").await.unwrap();
    assert_eq!(store.lease("leader").await.unwrap().unwrap().holder, "b");
    store.release_lease("leader", "b").await.unwrap();
    assert!(store.lease("leader").await.unwrap().is_none());
}

async fn inbox(db: Db) {
    let store = db.open().await;
    assert!(
        store
            .inbox_insert("d1", "check_run", "{\"a\":1}", Timestamp(1))
            .await
            .unwrap()
    );
    assert!(
        !store
            .inbox_insert("d1", "check_run", "other", Timestamp(2))
            .await
            .unwrap()
    );
    assert!(
        store
            .inbox_insert("d2", "release", "{}", Timestamp(2))
            .await
            .unwrap()
    );
    let due = store.inbox_due(Timestamp(2), 10).await.unwrap();
    assert_eq!(
        due.iter()
            .map(|d| d.delivery_id.as_str())
            .collect::<Vec<_>>(),
        ["d1", "d2"]
    );
    assert_eq!(due[0].payload, "{\"a\":1}");
    store.inbox_processed(due[0].id).await.unwrap();
    store
        .inbox_failed(due[1].id, "boom", Timestamp(100), false)
        .await
        .unwrap();
    assert!(store.inbox_due(Timestamp(99), 10).await.unwrap().is_empty());
    let again = store.inbox_due(Timestamp(100), 10).await.unwrap();
    assert_eq!(
        (again[0].attempts, again[0].last_error.as_deref()),
        (1, Some("boom"))
    );
    store
        .inbox_failed(again[0].id, "boom", Timestamp(200), true)
        .await
        .unwrap();
    assert_eq!(store.inbox_count(InboxState::Parked).await.unwrap(), 1);
    assert_eq!(store.inbox_count(InboxState::Processed).await.unwrap(), 1);
    assert_eq!(store.inbox_count(InboxState::Pending).await.unwrap(), 0);
    assert_eq!(
        store.inbox_in(InboxState::Parked, 5).await.unwrap()[0].delivery_id,
        "d2"
    );
}

async fn etags(db: Db) {
    let store = db.open().await;
    assert!(store.etag_get("k").await.unwrap().is_none());
    store
        .etag_put("k", "\"e1\"", "body1", Timestamp(1))
        .await
        .unwrap();
    store
        .etag_put("k", "\"e2\"", "body2", Timestamp(2))
        .await
        .unwrap();
    assert_eq!(
        store.etag_get("k").await.unwrap(),
        Some(("\"e2\"".to_owned(), "body2".to_owned()))
    );
}

async fn survives_reopen(db: Db) {
    let store = db.open().await;
    let id = store
        .create_rollout(&new_rollout(3, 1), Timestamp(0))
        .await
        .unwrap();
    store.close().await;
    let store = db.open().await;
    assert_eq!(store.targets(id).await.unwrap().len(), 3);
    assert_eq!(
        store.schema_version().await.unwrap(),
        wavebump::store::SCHEMA_VERSION
    );
    assert!(store.ready().await);
}

crate::both!(
    rollout_round_trip,
    guarded_target_writes,
    guarded_rollout_writes,
    intents,
    leases,
    inbox,
    etags,
    survives_reopen,
);

/// Renewals by one holder that race never shorten the expiry, and every one
/// of them sees the lease held (no "taken → lost → taken" at start-up).
async fn racing_renewals_keep_the_lease(db: Db) {
    let store = db.open().await;
    let ttl = Duration::from_secs(30);
    let base = 1_000_000i64;
    let calls: Vec<_> = (0..16i64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .acquire_lease("engine", "a", Timestamp(base + (i * 5) % 11), ttl)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for call in calls {
        assert!(call.await.unwrap(), "a renewal saw the lease lost");
    }
    let lease = store.lease("engine").await.unwrap().unwrap();
    assert_eq!(lease.expires_at, Timestamp(base + 10 + 30_000));
    // An older reading neither shortens it nor loses it.
    assert!(
        store
            .acquire_lease("engine", "a", Timestamp(base), ttl)
            .await
            .unwrap()
    );
    assert_eq!(
        store.lease("engine").await.unwrap().unwrap().expires_at,
        lease.expires_at
    );
    // Another holder: only once it has run out.
    let expiry = lease.expires_at;
    assert!(
        !store
            .acquire_lease("engine", "b", Timestamp(expiry.0 - 1), ttl)
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire_lease("engine", "b", expiry, ttl)
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease("engine", "a", Timestamp(expiry.0 + 1), ttl)
            .await
            .unwrap()
    );
}

crate::both!(racing_renewals_keep_the_lease);

/// Retention: old processed payloads are emptied (the delivery id still
/// dedupes, the audit rows stay), pending and parked deliveries and young
/// payloads are kept; confirmed intents go, unconfirmed ones stay; the ETag
/// cache keeps its newest entries up to the bound.
async fn retention_prunes_payloads_intents_and_etags(db: Db) {
    use wavebump::store::{PRUNED_PAYLOAD, Retention};
    let store = db.open().await;
    let day = 86_400_000i64;
    let now = Timestamp(100 * day);
    let big = "x".repeat(100_000);
    // (delivery, received, final state)
    let deliveries = [
        ("old-done", now.0 - 31 * day, "processed"),
        ("young-done", now.0 - 29 * day, "processed"),
        ("old-pending", now.0 - 40 * day, "pending"),
        ("old-parked", now.0 - 40 * day, "parked"),
    ];
    for (id, at, _state) in deliveries {
        assert!(
            store
                .inbox_insert(id, "push", &big, Timestamp(at))
                .await
                .unwrap()
        );
    }
    for r in store.inbox_due(now, 10).await.unwrap() {
        match r.delivery_id.as_str() {
            "old-done" | "young-done" => store.inbox_processed(r.id).await.unwrap(),
            "old-parked" => store.inbox_failed(r.id, "bad", now, true).await.unwrap(),
            _ => {}
        }
    }
    let id = store
        .create_rollout(&new_rollout(2, 1), Timestamp(1))
        .await
        .unwrap();
    store
        .append_audit(&audit(id, "delivery old-done applied", 2))
        .await
        .unwrap();
    let audit_before = store.audit(id, 1000).await.unwrap();
    let intent = |key: &str| NewIntent {
        rollout_id: id,
        repo: "repo-0000".into(),
        kind: "close_pr".into(),
        key: key.into(),
        payload: "{}".into(),
    };
    let done = store
        .record_intent(&intent("1"), Timestamp(3))
        .await
        .unwrap();
    store
        .record_intent(&intent("2"), Timestamp(3))
        .await
        .unwrap();
    store
        .confirm_intent(done, "closed", Timestamp(4))
        .await
        .unwrap();
    for i in 0..25i64 {
        store
            .etag_put(
                &format!("/repos/acme/r{i:02}"),
                "\"e\"",
                "{}",
                Timestamp(1_000 + i),
            )
            .await
            .unwrap();
    }

    let retention = Retention {
        inbox_payload_age: Duration::from_secs(30 * 86_400),
        etag_cache_entries: 10,
    };
    let pruned = store.prune(&retention, now).await.unwrap();
    assert_eq!(
        (pruned.inbox_payloads, pruned.intents, pruned.etag_entries),
        (1, 1, 15)
    );
    let payload = |state| {
        let store = store.clone();
        async move {
            store
                .inbox_in(state, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|r| (r.delivery_id, r.payload.len()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        payload(InboxState::Processed).await,
        [
            ("old-done".to_string(), PRUNED_PAYLOAD.len()),
            ("young-done".to_string(), big.len())
        ]
    );
    assert_eq!(
        payload(InboxState::Pending).await,
        [("old-pending".to_string(), big.len())]
    );
    assert_eq!(
        payload(InboxState::Parked).await,
        [("old-parked".to_string(), big.len())]
    );
    // The pruned delivery still dedupes a redelivery.
    assert!(
        !store
            .inbox_insert("old-done", "push", &big, now)
            .await
            .unwrap()
    );
    // The audit log is untouched.
    assert_eq!(store.audit(id, 1000).await.unwrap(), audit_before);
    // Only the unconfirmed intent is left.
    let left = store.intents(id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].intent.key.as_str(), left[0].confirmed_at),
        ("2", None)
    );
    // The ETag cache keeps the 10 newest.
    assert_eq!(store.count("etag_cache").await.unwrap(), 10);
    assert!(store.etag_get("/repos/acme/r24").await.unwrap().is_some());
    assert!(store.etag_get("/repos/acme/r15").await.unwrap().is_some());
    assert!(store.etag_get("/repos/acme/r14").await.unwrap().is_none());
    // Pruning again finds nothing more.
    assert_eq!(
        store.prune(&retention, now).await.unwrap(),
        Default::default()
    );
}

crate::both!(retention_prunes_payloads_intents_and_etags);
