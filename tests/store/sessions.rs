//! Schema 4: operator sessions (by id hash, expiring) and the change feed
//! (ordered, pruned), on both backends.

use wavebump::store::StoredSession;

use super::Db;

async fn sessions_and_feed(db: Db) {
    let store = db.open().await;
    let s = StoredSession {
        operator: "alice".into(),
        csrf: "c".repeat(64),
    };
    store.create_session("h1", &s, 2_000).await.unwrap();
    assert_eq!(store.session("h1", 1_999).await.unwrap(), Some(s.clone()));
    assert_eq!(store.session("h1", 2_000).await.unwrap(), None, "expired");
    assert_eq!(store.session("h2", 0).await.unwrap(), None);
    store.create_session("h2", &s, 5_000).await.unwrap();
    assert_eq!(store.prune_sessions(2_000).await.unwrap(), 1);
    store.delete_session("h2").await.unwrap();
    assert_eq!(store.session("h2", 0).await.unwrap(), None);

    assert_eq!(store.last_change().await.unwrap(), 0);
    for (i, origin) in ["a", "b", "a"].into_iter().enumerate() {
        store
            .publish_change(10 + i as i64, origin, 100 * i as i64)
            .await
            .unwrap();
    }
    let all = store.changes_after(0, 10).await.unwrap();
    let got: Vec<(i64, &str)> = all
        .iter()
        .map(|e| (e.rollout_id, e.origin.as_str()))
        .collect();
    assert_eq!(got, [(10, "a"), (11, "b"), (12, "a")]);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(store.last_change().await.unwrap(), all[2].seq);
    assert_eq!(
        store.changes_after(all[0].seq, 1).await.unwrap()[0].rollout_id,
        11
    );
    assert_eq!(store.prune_changes(150).await.unwrap(), 2);
    assert_eq!(store.changes_after(0, 10).await.unwrap().len(), 1);
}

crate::both!(sessions_and_feed);
