//! Rollouts, waves and targets: creation in one transaction, reads, and
//! guarded state writes with their audit entry.

use super::model::{Audit, NewRollout, RolloutRecord, TargetRecord, WaveRecord};
use sqlx::Row;

use super::{Backend, Store, StoreError, rows};
use crate::rollout::state::{RolloutState, TargetState, Timestamp};

const TARGET_COLUMNS: &str = "id, rollout_id, repo, manifest_path, ecosystem, from_requirement, \
    to_requirement, classification, is_library, wave, state, retries, pr_number, pr_url, head_sha, \
    ci_state, failing_checks, merge_blocked, last_reason, state_since, ci_started_at, ci_finished_at, pr_activity";

/// `'id', id, 'rollout_id', rollout_id, ...`: the JSON object of one target row.
fn target_object() -> String {
    TARGET_COLUMNS
        .split(',')
        .map(|c| {
            let c = c.trim();
            format!("'{c}', {c}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A rollout's targets as one JSON array (built once, not per read).
static TARGETS_SQLITE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT json_group_array(json_object({})) FROM \
         (SELECT {TARGET_COLUMNS} FROM targets WHERE rollout_id = $1 \
         ORDER BY wave, repo, manifest_path)",
        target_object()
    )
});

static TARGETS_POSTGRES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT CAST(COALESCE(json_agg(json_build_object({}) \
         ORDER BY wave, repo, manifest_path), CAST('[]' AS json)) AS TEXT) \
         FROM targets WHERE rollout_id = $1",
        target_object()
    )
});

impl Store {
    /// Create a rollout in state `planned` with its waves and targets; its id.
    pub async fn create_rollout(
        &self,
        new: &NewRollout,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO rollouts (library, from_version, to_version, state, current_wave, wave_count, \
             reason, branch, policy, started_by, created_at, state_since, updated_at) \
             VALUES ($1, $2, $3, $4, 0, $5, NULL, $6, $7, $8, $9, $9, $9) RETURNING id",
        )
        .bind(&new.library)
        .bind(&new.from_version)
        .bind(&new.to_version)
        .bind(RolloutState::Planned.as_str())
        .bind(i64::from(new.wave_count))
        .bind(&new.branch)
        .bind(&new.policy)
        .bind(&new.started_by)
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await?;
        for index in 0..new.wave_count {
            sqlx::query("INSERT INTO waves (rollout_id, idx) VALUES ($1, $2)")
                .bind(id)
                .bind(i64::from(index))
                .execute(&mut *tx)
                .await?;
        }
        for chunk in new.targets.chunks(400) {
            // `$n` placeholders work on both backends (QueryBuilder<Any> writes `?`).
            let mut sql = String::from(
                "INSERT INTO targets (rollout_id, repo, manifest_path, ecosystem, from_requirement, \
                 to_requirement, classification, is_library, wave, state, retries, failing_checks, \
                 state_since) VALUES ",
            );
            for (row, _) in chunk.iter().enumerate() {
                let b = 2 + row * 8;
                if row > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "($1, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 'pending', 0, '[]', $2)",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8
                ));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(now.0);
            for t in chunk {
                q = q
                    .bind(t.repo.clone())
                    .bind(t.manifest_path.clone())
                    .bind(t.ecosystem.as_str())
                    .bind(t.from_requirement.clone())
                    .bind(t.to_requirement.clone())
                    .bind(t.classification.as_str())
                    .bind(i64::from(t.is_library))
                    .bind(i64::from(t.wave));
            }
            q.execute(&mut *tx).await?;
        }
        super::graph::insert_graph(&mut tx, id, &new.graph).await?;
        append_audit(
            &mut tx,
            &Audit {
                rollout_id: Some(id),
                repo: None,
                actor: new.started_by.clone(),
                action: "rollout planned".to_owned(),
                reason: format!(
                    "{} {} -> {}: {} target(s) in {} wave(s)",
                    new.library,
                    new.from_version.as_deref().unwrap_or("?"),
                    new.to_version,
                    new.targets.len(),
                    new.wave_count
                ),
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn rollout(&self, id: i64) -> Result<Option<RolloutRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM rollouts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::rollout).transpose()
    }

    /// Every rollout, newest first.
    pub async fn rollouts(&self) -> Result<Vec<RolloutRecord>, StoreError> {
        let found = sqlx::query("SELECT * FROM rollouts ORDER BY id DESC")
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::rollout).collect()
    }

    /// Rollouts not yet aborted or completed, oldest first.
    pub async fn active_rollouts(&self) -> Result<Vec<RolloutRecord>, StoreError> {
        let found = sqlx::query(
            "SELECT * FROM rollouts WHERE state NOT IN ('aborted', 'completed') ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::rollout).collect()
    }

    pub async fn waves(&self, rollout_id: i64) -> Result<Vec<WaveRecord>, StoreError> {
        let found = sqlx::query("SELECT * FROM waves WHERE rollout_id = $1 ORDER BY idx")
            .bind(rollout_id)
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::wave).collect()
    }

    /// Every target of a rollout, by wave, repository and manifest path.
    pub async fn targets(&self, rollout_id: i64) -> Result<Vec<TargetRecord>, StoreError> {
        // One row holding a JSON array instead of one row per target: the
        // SQLite driver hands every row across a channel from its worker
        // thread, which made a 5,000-target read ~45 ms (the status page's
        // and an idle tick's main cost); JSON of the same rows parses in a
        // few.
        let sql = match self.backend {
            Backend::Sqlite => TARGETS_SQLITE.as_str(),
            Backend::Postgres => TARGETS_POSTGRES.as_str(),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(rollout_id)
            .fetch_one(&self.pool)
            .await?;
        let json: String = row.try_get(0).map_err(|e| StoreError::BadRow {
            table: "targets",
            column: "*",
            message: e.to_string(),
        })?;
        rows::targets_json(&json)
    }

    /// Write the rollout's state, wave and reason, if it is still in
    /// `expected` at wave `expected_wave`, with its audit entry.
    pub async fn update_rollout(
        &self,
        rollout: &RolloutRecord,
        expected: (RolloutState, u32),
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE rollouts SET state = $1, current_wave = $2, reason = $3, state_since = $4, \
             updated_at = $5 WHERE id = $6 AND state = $7 AND current_wave = $8",
        )
        .bind(rollout.state.as_str())
        .bind(i64::from(rollout.current_wave))
        .bind(&rollout.reason)
        .bind(rollout.state_since.0)
        .bind(audit.at.0)
        .bind(rollout.id)
        .bind(expected.0.as_str())
        .bind(i64::from(expected.1))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "rollout {} is no longer {} at wave {}",
                rollout.id, expected.0, expected.1
            )));
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Record why a rollout waits (no state change, no audit entry).
    pub async fn set_rollout_reason(
        &self,
        id: i64,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE rollouts SET reason = $1, updated_at = $2 WHERE id = $3")
            .bind(reason)
            .bind(now.0)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Write a wave's timestamps.
    pub async fn update_wave(&self, wave: &WaveRecord) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE waves SET opened_at = $1, met_at = $2, done_at = $3 WHERE rollout_id = $4 AND idx = $5",
        )
        .bind(wave.opened_at.map(|t| t.0))
        .bind(wave.met_at.map(|t| t.0))
        .bind(wave.done_at.map(|t| t.0))
        .bind(wave.rollout_id)
        .bind(i64::from(wave.index))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Write every mutable column of a target, if it is still in `expected`;
    /// with its audit entry when given (a state change must give one).
    pub async fn update_target(
        &self,
        target: &TargetRecord,
        expected: TargetState,
        audit: Option<&Audit>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        update_target_in(&mut tx, target, expected).await?;
        if let Some(audit) = audit {
            append_audit(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Append an audit entry on its own.
    pub async fn append_audit(&self, audit: &Audit) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        append_audit(&mut conn, audit).await
    }
}

pub(super) async fn update_target_in(
    conn: &mut sqlx::AnyConnection,
    t: &TargetRecord,
    expected: TargetState,
) -> Result<(), StoreError> {
    let checks = serde_json::to_string(&t.failing_checks).map_err(|e| StoreError::BadRow {
        table: "targets",
        column: "failing_checks",
        message: e.to_string(),
    })?;
    let activity = serde_json::to_string(&t.activity).map_err(|e| StoreError::BadRow {
        table: "targets",
        column: "pr_activity",
        message: e.to_string(),
    })?;
    let retries = match t.state {
        TargetState::Error(n) => n.max(t.retries),
        _ => t.retries,
    };
    let done = sqlx::query(
        "UPDATE targets SET state = $1, retries = $2, pr_number = $3, pr_url = $4, head_sha = $5, \
         ci_state = $6, failing_checks = $7, merge_blocked = $8, last_reason = $9, state_since = $10, \
         ci_started_at = $11, ci_finished_at = $12, to_requirement = $13, pr_activity = $16 \
         WHERE id = $14 AND state = $15",
    )
    .bind(t.state.as_str())
    .bind(i64::from(retries))
    .bind(t.pr_number.and_then(|n| i64::try_from(n).ok()))
    .bind(&t.pr_url)
    .bind(&t.head_sha)
    .bind(&t.ci_state)
    .bind(checks)
    .bind(&t.merge_blocked)
    .bind(&t.last_reason)
    .bind(t.state_since.0)
    .bind(t.ci_started_at.map(|v| v.0))
    .bind(t.ci_finished_at.map(|v| v.0))
    .bind(&t.to_requirement)
    .bind(t.id)
    .bind(expected.as_str())
    .bind(activity)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!(
            "target {} ({} {}) is no longer {expected}",
            t.id, t.repo, t.manifest_path
        )));
    }
    Ok(())
}

pub(super) async fn append_audit(
    conn: &mut sqlx::AnyConnection,
    a: &Audit,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (rollout_id, repo, actor, action, reason, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.rollout_id)
    .bind(&a.repo)
    .bind(&a.actor)
    .bind(&a.action)
    .bind(&a.reason)
    .bind(a.at.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
