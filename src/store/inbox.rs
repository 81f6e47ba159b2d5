//! The durable webhook inbox and the API ETag cache.
//!
//! Invariant: a delivery id is stored at most once ([`Store::inbox_insert`]
//! says whether it was new); a delivery leaves `pending` only as
//! `processed` or `parked`, never deleted (a processed delivery's payload is
//! emptied once it is old: `retention`); only a failure
//! ([`Store::inbox_failed`]) or processing counts an attempt, a deferral
//! ([`Store::inbox_defer`]) does not.

use sqlx::Row;

use super::model::{InboxRecord, InboxState};
use super::{Store, StoreError, rows};
use crate::rollout::state::Timestamp;

impl Store {
    /// Store a delivery; `false` when its id was seen before (nothing
    /// changes then).
    pub async fn inbox_insert(
        &self,
        delivery_id: &str,
        event: &str,
        payload: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO webhook_inbox (delivery_id, event, payload, received_at, attempts, next_attempt_at, state) \
             VALUES ($1, $2, $3, $4, 0, $4, 'pending') ON CONFLICT (delivery_id) DO NOTHING",
        )
        .bind(delivery_id)
        .bind(event)
        .bind(payload)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Pending deliveries due at `now`, in arrival order, at most `limit`.
    pub async fn inbox_due(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<InboxRecord>, StoreError> {
        let found = sqlx::query(
            "SELECT * FROM webhook_inbox WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
        )
        .bind(now.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::inbox).collect()
    }

    /// Deliveries in `state`, in arrival order, at most `limit`.
    pub async fn inbox_in(
        &self,
        state: InboxState,
        limit: u32,
    ) -> Result<Vec<InboxRecord>, StoreError> {
        let found =
            sqlx::query("SELECT * FROM webhook_inbox WHERE state = $1 ORDER BY id LIMIT $2")
                .bind(state.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        found.iter().map(rows::inbox).collect()
    }

    pub async fn inbox_processed(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_inbox SET state = 'processed', attempts = attempts + 1, last_error = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A failed attempt: retry at `next_attempt_at`, or park it.
    pub async fn inbox_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Timestamp,
        park: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_inbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, state = $3 WHERE id = $4",
        )
        .bind(error)
        .bind(next_attempt_at.0)
        .bind(if park { "parked" } else { "pending" })
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Not yet (a young release, a target whose PR is not recorded yet):
    /// keep the delivery pending, due at `next_attempt_at`, with `why` as
    /// its note — without counting an attempt (a deferral is no failure and
    /// must not bring the delivery closer to being parked). Only a pending
    /// delivery is deferred; `false` when `id` is not one.
    pub async fn inbox_defer(
        &self,
        id: i64,
        why: &str,
        next_attempt_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_inbox SET last_error = $1, next_attempt_at = $2 WHERE id = $3 AND state = 'pending'",
        )
        .bind(why)
        .bind(next_attempt_at.0)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many deliveries are in `state`.
    pub async fn inbox_count(&self, state: InboxState) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM webhook_inbox WHERE state = $1")
            .bind(state.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// The cached `(etag, body)` of an API answer.
    pub async fn etag_get(&self, key: &str) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query("SELECT etag, body FROM etag_cache WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
            .transpose()
    }

    pub async fn etag_put(
        &self,
        key: &str,
        etag: &str,
        body: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO etag_cache (key, etag, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(etag)
        .bind(body)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
