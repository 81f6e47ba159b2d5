//! Decoding rows into records: every column read checked, every bad value a
//! `StoreError::BadRow` naming table and column (never a panic).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::StoreError;
use super::model::{
    Audit, AuditRecord, CascadeRelease, FailingCheck, InboxRecord, InboxState, IntentRecord,
    LeaseRecord, NewIntent, PrActivity, PrVersion, RolloutRecord, TargetRecord, WaveRecord,
};
use crate::ecosystem::{Classification, Ecosystem};
use crate::rollout::state::{RolloutState, TargetState, Timestamp};

struct R<'a> {
    pub row: &'a AnyRow,
    pub table: &'static str,
}

impl R<'_> {
    fn bad(&self, column: &'static str, message: impl ToString) -> StoreError {
        StoreError::BadRow {
            table: self.table,
            column,
            message: message.to_string(),
        }
    }

    pub fn i64(&self, c: &'static str) -> Result<i64, StoreError> {
        self.row.try_get::<i64, _>(c).map_err(|e| self.bad(c, e))
    }

    pub fn opt_i64(&self, c: &'static str) -> Result<Option<i64>, StoreError> {
        self.row
            .try_get::<Option<i64>, _>(c)
            .map_err(|e| self.bad(c, e))
    }

    pub fn u32(&self, c: &'static str) -> Result<u32, StoreError> {
        let v = self.i64(c)?;
        u32::try_from(v).map_err(|_| self.bad(c, format!("{v} out of range")))
    }

    pub fn text(&self, c: &'static str) -> Result<String, StoreError> {
        self.row.try_get::<String, _>(c).map_err(|e| self.bad(c, e))
    }

    pub fn opt_text(&self, c: &'static str) -> Result<Option<String>, StoreError> {
        self.row
            .try_get::<Option<String>, _>(c)
            .map_err(|e| self.bad(c, e))
    }

    pub fn ts(&self, c: &'static str) -> Result<Timestamp, StoreError> {
        self.i64(c).map(Timestamp)
    }

    pub fn opt_ts(&self, c: &'static str) -> Result<Option<Timestamp>, StoreError> {
        self.opt_i64(c).map(|v| v.map(Timestamp))
    }
}

pub(super) fn rollout(row: &AnyRow) -> Result<RolloutRecord, StoreError> {
    let r = R {
        row,
        table: "rollouts",
    };
    let state = r.text("state")?;
    Ok(RolloutRecord {
        id: r.i64("id")?,
        library: r.text("library")?,
        from_version: r.opt_text("from_version")?,
        to_version: r.text("to_version")?,
        state: state
            .parse::<RolloutState>()
            .map_err(|e| r.bad("state", e))?,
        current_wave: r.u32("current_wave")?,
        wave_count: r.u32("wave_count")?,
        reason: r.opt_text("reason")?,
        branch: r.text("branch")?,
        policy: r.text("policy")?,
        started_by: r.text("started_by")?,
        created_at: r.ts("created_at")?,
        state_since: r.ts("state_since")?,
        updated_at: r.ts("updated_at")?,
    })
}

pub(super) fn wave(row: &AnyRow) -> Result<WaveRecord, StoreError> {
    let r = R {
        row,
        table: "waves",
    };
    Ok(WaveRecord {
        rollout_id: r.i64("rollout_id")?,
        index: r.u32("idx")?,
        opened_at: r.opt_ts("opened_at")?,
        met_at: r.opt_ts("met_at")?,
        done_at: r.opt_ts("done_at")?,
    })
}

pub(super) fn ecosystem(name: &str) -> Option<Ecosystem> {
    Ecosystem::ALL.into_iter().find(|e| e.as_str() == name)
}

pub(super) fn classification(name: &str) -> Option<Classification> {
    [
        Classification::UpToDate,
        Classification::LockfileOnly,
        Classification::Rewrite,
        Classification::Major,
    ]
    .into_iter()
    .find(|c| c.as_str() == name)
}

/// A `targets` row as stored, before its values are checked (what the JSON
/// aggregate of `Store::targets` holds per row).
#[derive(serde::Deserialize)]
pub(super) struct RawTarget {
    id: i64,
    rollout_id: i64,
    repo: String,
    manifest_path: String,
    ecosystem: String,
    from_requirement: String,
    to_requirement: Option<String>,
    classification: String,
    is_library: i64,
    wave: i64,
    state: String,
    retries: i64,
    pr_number: Option<i64>,
    pr_url: Option<String>,
    head_sha: Option<String>,
    ci_state: Option<String>,
    failing_checks: String,
    merge_blocked: Option<String>,
    last_reason: Option<String>,
    state_since: i64,
    ci_started_at: Option<i64>,
    ci_finished_at: Option<i64>,
    pr_activity: String,
}

fn bad_target(column: &'static str, message: impl ToString) -> StoreError {
    StoreError::BadRow {
        table: "targets",
        column,
        message: message.to_string(),
    }
}

impl RawTarget {
    /// Every value checked: enums known, counts in range, JSON readable.
    pub(super) fn check(self) -> Result<TargetRecord, StoreError> {
        let u32_of = |c: &'static str, v: i64| {
            u32::try_from(v).map_err(|_| bad_target(c, format!("{v} out of range")))
        };
        let retries = u32_of("retries", self.retries)?;
        let pr_number = match self.pr_number {
            Some(n) => {
                Some(u64::try_from(n).map_err(|_| bad_target("pr_number", format!("{n} < 0")))?)
            }
            None => None,
        };
        Ok(TargetRecord {
            id: self.id,
            rollout_id: self.rollout_id,
            ecosystem: ecosystem(&self.ecosystem)
                .ok_or_else(|| bad_target("ecosystem", format!("unknown {:?}", self.ecosystem)))?,
            classification: classification(&self.classification).ok_or_else(|| {
                bad_target(
                    "classification",
                    format!("unknown {:?}", self.classification),
                )
            })?,
            is_library: self.is_library != 0,
            wave: u32_of("wave", self.wave)?,
            state: TargetState::parse(&self.state, retries)
                .ok_or_else(|| bad_target("state", format!("unknown {:?}", self.state)))?,
            retries,
            pr_number,
            failing_checks: serde_json::from_str::<Vec<FailingCheck>>(&self.failing_checks)
                .map_err(|e| bad_target("failing_checks", e))?,
            repo: self.repo,
            manifest_path: self.manifest_path,
            from_requirement: self.from_requirement,
            to_requirement: self.to_requirement,
            pr_url: self.pr_url,
            head_sha: self.head_sha,
            ci_state: self.ci_state,
            merge_blocked: self.merge_blocked,
            last_reason: self.last_reason,
            state_since: Timestamp(self.state_since),
            ci_started_at: self.ci_started_at.map(Timestamp),
            ci_finished_at: self.ci_finished_at.map(Timestamp),
            activity: serde_json::from_str::<PrActivity>(&self.pr_activity)
                .map_err(|e| bad_target("pr_activity", e))?,
        })
    }
}

/// Every target of a JSON array of `targets` rows (the aggregate
/// `Store::targets` reads in one row).
pub(super) fn targets_json(json: &str) -> Result<Vec<TargetRecord>, StoreError> {
    serde_json::from_str::<Vec<RawTarget>>(json)
        .map_err(|e| bad_target("*", format!("aggregated rows: {e}")))?
        .into_iter()
        .map(RawTarget::check)
        .collect()
}

pub(super) fn intent(row: &AnyRow) -> Result<IntentRecord, StoreError> {
    let r = R {
        row,
        table: "intents",
    };
    Ok(IntentRecord {
        id: r.i64("id")?,
        intent: NewIntent {
            rollout_id: r.i64("rollout_id")?,
            repo: r.text("repo")?,
            kind: r.text("kind")?,
            key: r.text("key")?,
            payload: r.text("payload")?,
        },
        created_at: r.ts("created_at")?,
        confirmed_at: r.opt_ts("confirmed_at")?,
        outcome: r.opt_text("outcome")?,
    })
}

pub(super) fn inbox(row: &AnyRow) -> Result<InboxRecord, StoreError> {
    let r = R {
        row,
        table: "webhook_inbox",
    };
    let state = r.text("state")?;
    Ok(InboxRecord {
        id: r.i64("id")?,
        delivery_id: r.text("delivery_id")?,
        event: r.text("event")?,
        payload: r.text("payload")?,
        received_at: r.ts("received_at")?,
        attempts: r.u32("attempts")?,
        next_attempt_at: r.ts("next_attempt_at")?,
        state: InboxState::parse(&state)
            .ok_or_else(|| r.bad("state", format!("unknown {state:?}")))?,
        last_error: r.opt_text("last_error")?,
    })
}

pub(super) fn audit(row: &AnyRow) -> Result<AuditRecord, StoreError> {
    let r = R {
        row,
        table: "audit_log",
    };
    Ok(AuditRecord {
        id: r.i64("id")?,
        entry: Audit {
            rollout_id: r.opt_i64("rollout_id")?,
            repo: r.opt_text("repo")?,
            actor: r.text("actor")?,
            action: r.text("action")?,
            reason: r.text("reason")?,
            at: r.ts("at")?,
        },
    })
}

pub(super) fn lease(row: &AnyRow) -> Result<LeaseRecord, StoreError> {
    let r = R {
        row,
        table: "leases",
    };
    Ok(LeaseRecord {
        name: r.text("name")?,
        holder: r.text("holder")?,
        expires_at: r.ts("expires_at")?,
    })
}

pub(super) fn pr_version(row: &AnyRow) -> Result<PrVersion, StoreError> {
    let r = R {
        row,
        table: "pr_versions",
    };
    Ok(PrVersion {
        rollout_id: r.i64("rollout_id")?,
        repo: r.text("repo")?,
        version: r.opt_text("version")?,
        human_edited: r.i64("human_edited")? != 0,
        note: r.opt_text("note")?,
        updated_at: r.ts("updated_at")?,
    })
}

pub(super) fn cascade_release(row: &AnyRow) -> Result<CascadeRelease, StoreError> {
    let r = R {
        row,
        table: "cascade_releases",
    };
    Ok(CascadeRelease {
        rollout_id: r.i64("rollout_id")?,
        repo: r.text("repo")?,
        floor: r.opt_text("floor")?,
        merged_seen_at: r.ts("merged_seen_at")?,
        release_tag: r.opt_text("release_tag")?,
        release_version: r.opt_text("release_version")?,
        released_at: r.opt_ts("released_at")?,
    })
}
