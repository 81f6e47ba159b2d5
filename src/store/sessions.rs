//! Operator sessions and the change feed (schema version 4): what lets
//! every replica serve the status page — a session made on one replica is
//! valid on all, and a change announced on one reaches the pages open on
//! the others.
//!
//! Invariants: a session id is never stored, only its SHA-256 (a copy of
//! the database opens no session); expired sessions are never returned;
//! change sequence numbers only grow, so a reader that remembers the last
//! one it saw misses nothing and sees nothing twice.

use sqlx::Row;

use super::{Store, StoreError};

/// A stored session: the operator and the session's CSRF token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSession {
    pub operator: String,
    pub csrf: String,
}

/// One announced change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedEntry {
    pub seq: i64,
    pub rollout_id: i64,
    /// The replica that announced it.
    pub origin: String,
}

impl Store {
    /// Records a session (by the hash of its id) until `expires_at` (ms).
    pub async fn create_session(
        &self,
        id_hash: &str,
        session: &StoredSession,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO operator_sessions (id_hash, operator, csrf, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id_hash)
        .bind(&session.operator)
        .bind(&session.csrf)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session with this id hash, unless it expired by `now` (ms).
    pub async fn session(
        &self,
        id_hash: &str,
        now: i64,
    ) -> Result<Option<StoredSession>, StoreError> {
        let row = sqlx::query(
            "SELECT operator, csrf FROM operator_sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StoredSession {
                operator: r.try_get::<String, _>(0)?,
                csrf: r.try_get::<String, _>(1)?,
            })
        })
        .transpose()
    }

    /// Ends a session (logout).
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM operator_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets sessions expired by `now` (ms); how many.
    pub async fn prune_sessions(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM operator_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Announces a change of `rollout_id` by replica `origin` at `now` (ms).
    pub async fn publish_change(
        &self,
        rollout_id: i64,
        origin: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO change_feed (rollout_id, origin, created_at) VALUES ($1, $2, $3)")
            .bind(rollout_id)
            .bind(origin)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The highest sequence number announced so far (0 when none).
    pub async fn last_change(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM change_feed")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Up to `limit` changes after sequence number `after`, in order.
    pub async fn changes_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, rollout_id, origin FROM change_feed WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FeedEntry {
                    seq: r.try_get::<i64, _>(0)?,
                    rollout_id: r.try_get::<i64, _>(1)?,
                    origin: r.try_get::<String, _>(2)?,
                })
            })
            .collect()
    }

    /// Forgets changes announced before `before` (ms); how many.
    pub async fn prune_changes(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM change_feed WHERE created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
