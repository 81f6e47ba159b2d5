//! Retention: what the store forgets, so that it does not grow without
//! bound. Processed webhook payloads older than an age lose their payload
//! (the row stays: its delivery id dedupes a redelivery, and the audit log
//! is another table, untouched); confirmed intents are deleted (only an
//! unconfirmed one is ever read back, after a crash); the ETag cache keeps
//! its most recently stored entries up to a count.
//!
//! Invariant: nothing pending or parked is touched, and no audit row.

use std::time::Duration;

use super::{Store, StoreError};
use crate::rollout::state::Timestamp;

/// What to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// A processed delivery keeps its payload this long after it arrived.
    pub inbox_payload_age: Duration,
    /// The ETag cache keeps at most this many entries.
    pub etag_cache_entries: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            inbox_payload_age: Duration::from_secs(30 * 24 * 3600),
            etag_cache_entries: 10_000,
        }
    }
}

/// What one [`Store::prune`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub inbox_payloads: u64,
    pub intents: u64,
    pub etag_entries: u64,
}

/// The payload a pruned delivery keeps (empty).
pub const PRUNED_PAYLOAD: &str = "";

impl Store {
    /// Forget what `retention` says may go, as of `now`.
    pub async fn prune(&self, retention: &Retention, now: Timestamp) -> Result<Pruned, StoreError> {
        let age = i64::try_from(retention.inbox_payload_age.as_millis()).unwrap_or(i64::MAX);
        let cutoff = now.0.saturating_sub(age);
        let inbox_payloads = sqlx::query(
            "UPDATE webhook_inbox SET payload = $1 \
             WHERE state = 'processed' AND received_at < $2 AND payload <> $1",
        )
        .bind(PRUNED_PAYLOAD)
        .bind(cutoff)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let intents = sqlx::query("DELETE FROM intents WHERE confirmed_at IS NOT NULL")
            .execute(&self.pool)
            .await?
            .rows_affected();
        let etag_entries = sqlx::query(
            "DELETE FROM etag_cache WHERE key NOT IN \
             (SELECT key FROM etag_cache ORDER BY updated_at DESC, key LIMIT $1)",
        )
        .bind(i64::from(retention.etag_cache_entries))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(Pruned {
            inbox_payloads,
            intents,
            etag_entries,
        })
    }
}
