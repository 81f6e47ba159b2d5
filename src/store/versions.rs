//! Supersede and cascade bookkeeping: which library version each
//! repository's PR carries (`pr_versions`, with the human-edited flag), the
//! library targets' releases (`cascade_releases`), and the guarded move of
//! a rollout to a newer version.
//!
//! Invariants: a rollout's version changes only if it is still at the
//! version and state the caller read, in the same transaction as its audit
//! entry; the human-edited flag, once set, is never cleared; a cascade
//! release, once recorded, is never replaced.

use super::model::{Audit, CascadeRelease, PrVersion};
use super::rollouts::append_audit;
use super::{Store, StoreError, rows};
use crate::rollout::state::{RolloutState, Timestamp};

impl Store {
    /// Every `pr_versions` row of a rollout, by repository.
    pub async fn pr_versions(&self, rollout_id: i64) -> Result<Vec<PrVersion>, StoreError> {
        let found = sqlx::query("SELECT * FROM pr_versions WHERE rollout_id = $1 ORDER BY repo")
            .bind(rollout_id)
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::pr_version).collect()
    }

    /// Record the library version `repo`'s PR carries now.
    pub async fn set_pr_version(
        &self,
        rollout_id: i64,
        repo: &str,
        version: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO pr_versions (rollout_id, repo, version, human_edited, note, updated_at) \
             VALUES ($1, $2, $3, 0, NULL, $4) ON CONFLICT (rollout_id, repo) \
             DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at",
        )
        .bind(rollout_id)
        .bind(repo)
        .bind(version)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Flag `repo`'s PR branch as edited by a human (wavebump stops pushing
    /// to it), with its audit entry. Setting it again keeps the first note.
    pub async fn mark_human_edited(
        &self,
        rollout_id: i64,
        repo: &str,
        note: &str,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO pr_versions (rollout_id, repo, version, human_edited, note, updated_at) \
             VALUES ($1, $2, NULL, 1, $3, $4) ON CONFLICT (rollout_id, repo) \
             DO UPDATE SET human_edited = 1, note = COALESCE(pr_versions.note, excluded.note), \
             updated_at = excluded.updated_at",
        )
        .bind(rollout_id)
        .bind(repo)
        .bind(note)
        .bind(audit.at.0)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every `cascade_releases` row of a rollout, by repository.
    pub async fn cascade_releases(
        &self,
        rollout_id: i64,
    ) -> Result<Vec<CascadeRelease>, StoreError> {
        let found =
            sqlx::query("SELECT * FROM cascade_releases WHERE rollout_id = $1 ORDER BY repo")
                .bind(rollout_id)
                .fetch_all(&self.pool)
                .await?;
        found.iter().map(rows::cascade_release).collect()
    }

    /// Record that a library target's PR merged, with the highest version
    /// it had tagged by then; a row already there is kept. With its audit
    /// entry when the row is new.
    pub async fn cascade_merged(
        &self,
        rollout_id: i64,
        repo: &str,
        floor: Option<&str>,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO cascade_releases (rollout_id, repo, floor, merged_seen_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (rollout_id, repo) DO NOTHING",
        )
        .bind(rollout_id)
        .bind(repo)
        .bind(floor)
        .bind(audit.at.0);
        self.audited_if_changed(query, audit).await
    }

    /// Record the release of a library target that contains the bump (only
    /// the first one counts), with its audit entry.
    pub async fn cascade_released(
        &self,
        rollout_id: i64,
        repo: &str,
        tag: &str,
        version: &str,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "UPDATE cascade_releases SET release_tag = $1, release_version = $2, released_at = $3 \
             WHERE rollout_id = $4 AND repo = $5 AND release_version IS NULL",
        )
        .bind(tag)
        .bind(version)
        .bind(audit.at.0)
        .bind(rollout_id)
        .bind(repo);
        self.audited_if_changed(query, audit).await
    }

    /// Run `query` and, if it changed one row, append `audit`, in one
    /// transaction (a row already there, or already released, is no event).
    async fn audited_if_changed(
        &self,
        query: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = query.execute(&mut *tx).await?;
        if done.rows_affected() == 1 {
            append_audit(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Move a rollout to library version `to`, if it is still in `state` at
    /// version `expected_to`, with its audit entry; the current wave's gate
    /// starts over (`met_at` cleared: its PRs change).
    pub async fn supersede_rollout(
        &self,
        id: i64,
        expected: (RolloutState, &str),
        to: &str,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE rollouts SET to_version = $1, updated_at = $2 \
             WHERE id = $3 AND state = $4 AND to_version = $5",
        )
        .bind(to)
        .bind(audit.at.0)
        .bind(id)
        .bind(expected.0.as_str())
        .bind(expected.1)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "rollout {id} is no longer {} at version {}",
                expected.0, expected.1
            )));
        }
        sqlx::query(
            "UPDATE waves SET met_at = NULL WHERE rollout_id = $1 AND idx = \
             (SELECT current_wave FROM rollouts WHERE id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
