//! The records the store reads and writes: plain data, one struct per table.

use serde::{Deserialize, Serialize};

use crate::ecosystem::{Classification, Ecosystem};
use crate::rollout::state::{RolloutState, TargetState, Timestamp};

/// A rollout to create: the rollout row, its waves (`wave_count` rows) and
/// its targets, written in one transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRollout {
    pub library: String,
    pub from_version: Option<String>,
    pub to_version: String,
    pub wave_count: u32,
    /// The deterministic head branch of every PR of this rollout.
    pub branch: String,
    /// The rollout policy as JSON (owned by `rollout`; opaque here).
    pub policy: String,
    /// Who started it: an operator name, `engine`, `webhook <delivery>`.
    pub started_by: String,
    pub targets: Vec<NewTarget>,
    /// The plan's consumer graph, kept for the status page.
    pub graph: RolloutGraph,
}

/// The plan's consumer graph as the status page draws it: provider →
/// consumer edges between repositories and the lockstep groups (sorted
/// member names). Written once, with the rollout (table `rollout_graph`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutGraph {
    /// `(provider, consumer)` repository names.
    pub edges: Vec<(String, String)>,
    /// Repositories whose PRs land together.
    pub lockstep: Vec<Vec<String>>,
}

/// One target of a new rollout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTarget {
    pub repo: String,
    pub manifest_path: String,
    pub ecosystem: Ecosystem,
    pub from_requirement: String,
    pub to_requirement: Option<String>,
    pub classification: Classification,
    /// The repository publishes a package that other targets consume.
    pub is_library: bool,
    pub wave: u32,
}

/// A row of `rollouts`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RolloutRecord {
    pub id: i64,
    pub library: String,
    pub from_version: Option<String>,
    pub to_version: String,
    pub state: RolloutState,
    /// The wave being worked on (0-based).
    pub current_wave: u32,
    pub wave_count: u32,
    /// Why it is in its state (pause reason, halt reason, ...).
    pub reason: Option<String>,
    pub branch: String,
    pub policy: String,
    pub started_by: String,
    pub created_at: Timestamp,
    pub state_since: Timestamp,
    pub updated_at: Timestamp,
}

/// A row of `waves`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WaveRecord {
    pub rollout_id: i64,
    pub index: u32,
    /// When its PRs started to open.
    pub opened_at: Option<Timestamp>,
    /// When it first met the success ratio (and has kept it since).
    pub met_at: Option<Timestamp>,
    /// When the next wave opened (or the rollout completed).
    pub done_at: Option<Timestamp>,
}

/// A failing CI check, as shown to release managers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailingCheck {
    pub name: String,
    pub url: Option<String>,
    /// Its first error line, where the forge gives one (absent in rows
    /// written before it was kept: the column is JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

/// What people did on a target's pull request, as wavebump observed it
/// (stored as JSON in `targets.pr_activity`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrActivity {
    /// Who merged it and when (RFC 3339, as the forge says), when a person
    /// did (or the forge names the merger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_at: Option<String>,
    /// Who closed it unmerged (`someone` when the forge does not say) and
    /// when wavebump saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// The standing review of each reviewer (latest wins; a dismissed
    /// review is removed), in login order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<Review>,
    /// Merges the forge refused in a row (reset by a merge).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub merge_attempts: u32,
    /// A refused merge is not tried again before this (unless a review,
    /// check or push arrives first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_merge_at: Option<Timestamp>,
    /// The PR's `updated_at` when its reviews were last read (they are
    /// read again only when it moves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr_updated_at: Option<String>,
    /// Its body links every lockstep sibling's PR (written once all are
    /// open).
    #[serde(default, skip_serializing_if = "is_false")]
    pub lockstep_linked: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl PrActivity {
    /// Record `login`'s review (`None`: dismissed).
    pub fn set_review(&mut self, login: &str, state: Option<ReviewState>, at: Option<String>) {
        self.reviews.retain(|r| r.login != login);
        if let Some(state) = state {
            self.reviews.push(Review {
                login: login.to_owned(),
                state,
                at,
            });
            self.reviews.sort_by(|a, b| a.login.cmp(&b.login));
        }
    }

    /// Reviewers asking for changes.
    pub fn changes_requested(&self) -> Vec<&str> {
        self.logins(ReviewState::ChangesRequested)
    }

    /// Reviewers who approved.
    pub fn approved(&self) -> Vec<&str> {
        self.logins(ReviewState::Approved)
    }

    fn logins(&self, state: ReviewState) -> Vec<&str> {
        self.reviews
            .iter()
            .filter(|r| r.state == state)
            .map(|r| r.login.as_str())
            .collect()
    }
}

/// One reviewer's standing review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub login: String,
    pub state: ReviewState,
    /// When it was submitted (RFC 3339, as the forge says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// A review that counts for merging.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Approved,
    ChangesRequested,
}

/// A row of `targets`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetRecord {
    pub id: i64,
    pub rollout_id: i64,
    pub repo: String,
    pub manifest_path: String,
    pub ecosystem: Ecosystem,
    pub from_requirement: String,
    pub to_requirement: Option<String>,
    pub classification: Classification,
    pub is_library: bool,
    pub wave: u32,
    pub state: TargetState,
    /// Retries made (operator retries and error retries).
    pub retries: u32,
    pub pr_number: Option<u64>,
    pub pr_url: Option<String>,
    pub head_sha: Option<String>,
    /// `pending`, `passed`, `failed` as last read.
    pub ci_state: Option<String>,
    pub failing_checks: Vec<FailingCheck>,
    /// Why the forge refuses to merge (e.g. waiting for review).
    pub merge_blocked: Option<String>,
    /// The reason of the last transition.
    pub last_reason: Option<String>,
    pub state_since: Timestamp,
    pub ci_started_at: Option<Timestamp>,
    pub ci_finished_at: Option<Timestamp>,
    /// What people did on its PR.
    pub activity: PrActivity,
}

/// An audit-log entry: who did what, why, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Audit {
    pub rollout_id: Option<i64>,
    pub repo: Option<String>,
    /// An operator name, `engine`, or `webhook <delivery id>`.
    pub actor: String,
    /// What happened, e.g. `wave 2 opened`, `pending -> pr_open`.
    pub action: String,
    pub reason: String,
    pub at: Timestamp,
}

/// A stored audit entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(flatten)]
    pub entry: Audit,
}

/// An external write about to be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewIntent {
    pub rollout_id: i64,
    pub repo: String,
    /// `push_branch`, `create_pr`, `merge_pr`, `close_pr`, `comment`, ...
    pub kind: String,
    /// What identifies it at the forge (the head branch, a PR number).
    pub key: String,
    /// Details as JSON.
    pub payload: String,
}

/// A stored intent; `confirmed_at` is `None` until the write is known done
/// (or known not done).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntentRecord {
    pub id: i64,
    pub intent: NewIntent,
    pub created_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    pub outcome: Option<String>,
}

/// The state of a webhook delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxState {
    Pending,
    Processed,
    /// Failed too often: kept and shown, no longer retried.
    Parked,
}

impl InboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            InboxState::Pending => "pending",
            InboxState::Processed => "processed",
            InboxState::Parked => "parked",
        }
    }

    pub fn parse(s: &str) -> Option<InboxState> {
        Some(match s {
            "pending" => InboxState::Pending,
            "processed" => InboxState::Processed,
            "parked" => InboxState::Parked,
            _ => return None,
        })
    }
}

/// A row of `webhook_inbox`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InboxRecord {
    pub id: i64,
    pub delivery_id: String,
    pub event: String,
    pub payload: String,
    pub received_at: Timestamp,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub state: InboxState,
    pub last_error: Option<String>,
}

/// A row of `leases`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseRecord {
    pub name: String,
    pub holder: String,
    pub expires_at: Timestamp,
}

/// A row of `pr_versions`: the library version one repository's PR of a
/// rollout carries (or merged at), and whether a human edited its branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrVersion {
    pub rollout_id: i64,
    pub repo: String,
    /// `None` when only the human-edited flag is known.
    pub version: Option<String>,
    /// Someone else pushed to the PR's branch: wavebump never pushes to it
    /// again.
    pub human_edited: bool,
    /// Why the flag was set (who pushed what).
    pub note: Option<String>,
    pub updated_at: Timestamp,
}

/// A row of `cascade_releases`: a library target whose PR merged, and the
/// release of it that contains the bump, once seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CascadeRelease {
    pub rollout_id: i64,
    pub repo: String,
    /// The highest version the repository had tagged when its merge was
    /// seen; `None`: it had never tagged one (nothing to wait for).
    pub floor: Option<String>,
    pub merged_seen_at: Timestamp,
    /// The first later release (tag and version), once seen.
    pub release_tag: Option<String>,
    pub release_version: Option<String>,
    pub released_at: Option<Timestamp>,
}
