//! The audit log (reads), intents (external writes recorded before they are
//! made, confirmed after) and leases (leader election between processes
//! sharing one database).
//!
//! Invariant: a lease row has one holder; [`Store::acquire_lease`] takes it
//! only when it is free, expired, or already ours, in one conditional
//! statement, so two processes never both hold it.

use std::time::Duration;

use sqlx::Row;

use super::model::{AuditRecord, IntentRecord, LeaseRecord, NewIntent};
use super::{Store, StoreError, rows};
use crate::rollout::state::Timestamp;

impl Store {
    /// The audit entries of a rollout, oldest first, at most `limit`
    /// (the newest ones).
    pub async fn audit(&self, rollout_id: i64, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        let found = sqlx::query(
            "SELECT * FROM (SELECT * FROM audit_log WHERE rollout_id = $1 ORDER BY id DESC LIMIT $2) AS newest ORDER BY id",
        )
        .bind(rollout_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::audit).collect()
    }

    /// Record an external write about to be made; its id.
    pub async fn record_intent(
        &self,
        intent: &NewIntent,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO intents (rollout_id, repo, kind, key, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(intent.rollout_id)
        .bind(&intent.repo)
        .bind(&intent.kind)
        .bind(&intent.key)
        .bind(&intent.payload)
        .bind(now.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// Mark an intent done (or known not done), with what happened.
    pub async fn confirm_intent(
        &self,
        id: i64,
        outcome: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE intents SET confirmed_at = $1, outcome = $2 WHERE id = $3")
            .bind(now.0)
            .bind(outcome)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Note on an intent still unconfirmed why settling it failed this
    /// time (kept in `outcome`; `confirm_intent` replaces it). A confirmed
    /// intent is left as it is.
    pub async fn note_intent(&self, id: i64, note: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE intents SET outcome = $1 WHERE id = $2 AND confirmed_at IS NULL")
            .bind(note)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Intents never confirmed (a crash between record and confirm), oldest
    /// first.
    pub async fn unconfirmed_intents(&self) -> Result<Vec<IntentRecord>, StoreError> {
        let found = sqlx::query("SELECT * FROM intents WHERE confirmed_at IS NULL ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::intent).collect()
    }

    /// Every intent of a rollout, oldest first.
    pub async fn intents(&self, rollout_id: i64) -> Result<Vec<IntentRecord>, StoreError> {
        let found = sqlx::query("SELECT * FROM intents WHERE rollout_id = $1 ORDER BY id")
            .bind(rollout_id)
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::intent).collect()
    }

    /// Take or renew lease `name` for `holder` until `now + ttl`; whether
    /// `holder` now holds it, i.e. is recorded as holder with an expiry
    /// after `now`.
    ///
    /// A renewal never shortens the expiry: two renewals by one holder that
    /// race (the worker, the reconcile loop and the renewal task of one
    /// replica, each with its own clock reading) leave the later expiry,
    /// and each sees the lease held. (Comparing the stored expiry with the
    /// one this call wrote made the loser of such a race believe the lease
    /// lost: "taken → lost → taken" within milliseconds at start-up.) A
    /// lease whose expiry is not after `now` is free for anyone.
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let until = now.plus(ttl);
        sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_at = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > excluded.expires_at \
             THEN leases.expires_at ELSE excluded.expires_at END \
             WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
        )
        .bind(name)
        .bind(holder)
        .bind(until.0)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(self
            .lease(name)
            .await?
            .is_some_and(|l| l.holder == holder && l.expires_at > now))
    }

    /// Give up a lease we hold (no-op otherwise).
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn lease(&self, name: &str) -> Result<Option<LeaseRecord>, StoreError> {
        let row = sqlx::query("SELECT name, holder, expires_at FROM leases WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::lease).transpose()
    }

    /// How many rows a table holds (for tests and metrics); `table` must be
    /// one of the store's tables.
    pub async fn count(&self, table: &str) -> Result<i64, StoreError> {
        const KNOWN: &[&str] = &[
            "rollouts",
            "waves",
            "targets",
            "audit_log",
            "webhook_inbox",
            "etag_cache",
            "intents",
            "leases",
        ];
        let Some(table) = KNOWN.iter().find(|t| **t == table) else {
            return Err(StoreError::Conflict(format!("unknown table {table:?}")));
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }
}
