//! The gate: a pure function of a wave's stored state, the policy and the
//! clock that says whether the next wave may open.
//!
//! Invariants (property-tested in `tests/rollout/gate_props.rs`):
//! - only a `Running` rollout is ever told `Advance` or `Complete`;
//! - `Halt` exactly when a running rollout's failures exceed the budget or
//!   its failures cluster (two or more repositories of one wave failing on
//!   the same check name, or on the same first error line where the forge
//!   gives one: a suspected library regression, named before the budget);
//!   a lone failure within the budget never halts;
//! - `Advance` only when the wave's success ratio meets the threshold and the
//!   soak has elapsed since it first did, and never on the last wave;
//! - `Complete` only on the last wave when every target is settled;
//! - never `Advance` while a library target of an earlier wave has not
//!   released a version containing the bump that the next wave's consumers
//!   need (`awaiting`): the wait names the library; with nothing awaited the
//!   decision is what it would be without the cascade rule.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::state::{RolloutState, TargetState, Timestamp};

/// What counts as success for the gate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Require {
    #[default]
    CiPassed,
    Merged,
}

/// What a PR a person closed unmerged (`declined`) counts as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDeclined {
    /// A failure: it spends the failure budget and lowers the ratio.
    #[default]
    Fail,
    /// Left out, like a skipped target.
    Skip,
}

/// Failed targets tolerated before the rollout halts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureBudget {
    /// Halt when more than this many targets have failed.
    Count(u32),
    /// Halt when more than this percentage of all targets have failed.
    Percent(f64),
}

/// The gate's part of the rollout policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatePolicy {
    /// Share of a wave's targets that must succeed, 0..=1.
    pub success_ratio: f64,
    /// How long a wave must stay successful before the next opens.
    #[serde(with = "millis")]
    pub soak: Duration,
    pub require: Require,
    pub failure_budget: FailureBudget,
    /// PRs are merged by the engine: a passed target is not settled until
    /// merged.
    pub automerge: bool,
    /// `rollout.on_declined` (rollouts stored before it: `fail`).
    #[serde(default)]
    pub on_declined: OnDeclined,
}

impl Default for GatePolicy {
    fn default() -> Self {
        GatePolicy {
            success_ratio: 0.9,
            soak: Duration::from_secs(30 * 60),
            require: Require::CiPassed,
            failure_budget: FailureBudget::Count(3),
            automerge: false,
            on_declined: OnDeclined::Fail,
        }
    }
}

/// Target states counted, for one wave or a whole rollout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    /// Passed or merged, per `Require`.
    pub succeeded: usize,
    /// Skipped and superseded (and declined under `on_declined: skip`):
    /// out of the ratio's denominator.
    pub excluded: usize,
    /// `ci_failed` or `error` (and declined under `on_declined: fail`).
    pub failed: usize,
    /// Neither settled nor failed: still moving.
    pub unsettled: usize,
}

impl Counts {
    /// Count `states` under `policy`.
    pub fn of(states: impl IntoIterator<Item = TargetState>, policy: &GatePolicy) -> Counts {
        let mut c = Counts::default();
        for s in states {
            c.total += 1;
            if is_success(s, policy.require) {
                c.succeeded += 1;
            }
            if matches!(s, TargetState::Skipped | TargetState::Superseded)
                || (s == TargetState::Declined && policy.on_declined == OnDeclined::Skip)
            {
                c.excluded += 1;
            }
            if s.is_failure()
                || (s == TargetState::Declined && policy.on_declined == OnDeclined::Fail)
            {
                c.failed += 1;
            }
            if !is_settled(s, policy) {
                c.unsettled += 1;
            }
        }
        c
    }

    /// Succeeded share of the targets that count (1 when none count).
    pub fn ratio(&self) -> f64 {
        let denominator = self.total.saturating_sub(self.excluded);
        if denominator == 0 {
            1.0
        } else {
            self.succeeded as f64 / denominator as f64
        }
    }
}

/// Does this state count as success under `require`?
pub fn is_success(state: TargetState, require: Require) -> bool {
    match require {
        Require::CiPassed => matches!(state, TargetState::CiPassed | TargetState::Merged),
        Require::Merged => state == TargetState::Merged,
    }
}

/// Will the target move no further without a human: terminal, failed, or
/// passed when nothing merges it.
pub fn is_settled(state: TargetState, policy: &GatePolicy) -> bool {
    state.is_terminal()
        || state.is_failure()
        || state == TargetState::Declined
        || (state == TargetState::CiPassed
            && !policy.automerge
            && policy.require == Require::CiPassed)
}

/// What the gate reads.
#[derive(Clone, Debug, PartialEq)]
pub struct GateSnapshot {
    pub state: RolloutState,
    /// The current wave's index and whether it is the last.
    pub wave: usize,
    pub last_wave: bool,
    /// The current wave's targets.
    pub wave_counts: Counts,
    /// Every target of the rollout.
    pub rollout_counts: Counts,
    /// When the current wave first met the ratio (and has kept it since).
    pub met_since: Option<Timestamp>,
    /// Library targets whose release the next wave's consumers wait for
    /// (the cascade), in repository order; empty when none.
    pub awaiting: Vec<AwaitedRelease>,
    /// Every failed target of the rollout with its failing checks (any
    /// wave): what [`failure_clusters`] reads.
    pub failures: Vec<TargetFailure>,
}

/// A target whose CI failed, as the clustering rule reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetFailure {
    pub wave: u32,
    pub repo: String,
    pub checks: Vec<FailedCheck>,
}

/// One failing check of a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedCheck {
    pub name: String,
    /// The check's first error line, where the forge gives one.
    pub first_error: Option<String>,
}

/// Repositories of one wave failing the same way: a suspected regression
/// of the library rather than of each repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureCluster {
    pub wave: u32,
    /// The check name they all fail (none: different checks, same error).
    pub check: Option<String>,
    /// The first error line they all share, when the forge gives one.
    pub first_error: Option<String>,
    /// Two or more, sorted.
    pub repos: Vec<String>,
}

/// Repositories named in a cluster's message before "and N more".
const CLUSTER_NAMES: usize = 10;

impl std::fmt::Display for FailureCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("suspected library regression: ")?;
        match (&self.check, &self.first_error) {
            (Some(check), _) => write!(f, "check `{check}` failed")?,
            (None, Some(error)) => write!(f, "error `{error}`")?,
            (None, None) => f.write_str("checks failed")?,
        }
        let shown: Vec<&str> = self
            .repos
            .iter()
            .take(CLUSTER_NAMES)
            .map(String::as_str)
            .collect();
        write!(
            f,
            " in {} repositories ({}",
            self.repos.len(),
            shown.join(", ")
        )?;
        if self.repos.len() > CLUSTER_NAMES {
            write!(f, " and {} more", self.repos.len() - CLUSTER_NAMES)?;
        }
        f.write_str(")")?;
        if let (Some(_), Some(error)) = (&self.check, &self.first_error) {
            write!(f, ": `{error}`")?;
        }
        Ok(())
    }
}

/// The failure clusters, largest first (then by wave, check, error).
///
/// Within a wave, the repositories failing a check of one name form a
/// cluster when there are two or more; so do those whose failing checks
/// share a first error line (checks named differently per repository),
/// unless a check-name cluster already holds all of them. A monorepo's
/// targets share one PR and one CI run, so repositories are counted, not
/// targets. Pure.
pub fn failure_clusters(failures: &[TargetFailure]) -> Vec<FailureCluster> {
    type Groups<'a> = BTreeMap<(u32, &'a str), BTreeSet<&'a str>>;
    let mut by_check: Groups<'_> = BTreeMap::new();
    let mut by_error: Groups<'_> = BTreeMap::new();
    // (wave, check) → every first error line it showed (none included).
    let mut errors: BTreeMap<(u32, &str), BTreeSet<Option<&str>>> = BTreeMap::new();
    for f in failures {
        for c in &f.checks {
            // Its first non-blank line, trimmed.
            let error = c
                .first_error
                .as_deref()
                .and_then(|e| e.lines().map(str::trim).find(|l| !l.is_empty()));
            by_check
                .entry((f.wave, c.name.as_str()))
                .or_default()
                .insert(f.repo.as_str());
            errors
                .entry((f.wave, c.name.as_str()))
                .or_default()
                .insert(error);
            if let Some(e) = error {
                by_error.entry((f.wave, e)).or_default().insert(&f.repo);
            }
        }
    }
    let owned = |repos: &BTreeSet<&str>| repos.iter().map(|r| (*r).to_owned()).collect();
    let mut out: Vec<FailureCluster> = Vec::new();
    for (&(wave, check), repos) in by_check.iter().filter(|(_, r)| r.len() >= 2) {
        // Quoted only when every failure of the check showed the same one.
        let first_error = match errors.get(&(wave, check)) {
            Some(seen) if seen.len() == 1 => seen.first().copied().flatten().map(str::to_owned),
            _ => None,
        };
        out.push(FailureCluster {
            wave,
            check: Some(check.to_owned()),
            first_error,
            repos: owned(repos),
        });
    }
    for (&(wave, error), repos) in by_error.iter().filter(|(_, r)| r.len() >= 2) {
        let covered = by_check
            .iter()
            .any(|(&(w, _), held)| w == wave && repos.is_subset(held));
        if !covered {
            out.push(FailureCluster {
                wave,
                check: None,
                first_error: Some(error.to_owned()),
                repos: owned(repos),
            });
        }
    }
    out.sort_by(|a, b| {
        b.repos
            .len()
            .cmp(&a.repos.len())
            .then_with(|| a.wave.cmp(&b.wave))
            .then_with(|| a.check.is_none().cmp(&b.check.is_none()))
            .then_with(|| a.check.cmp(&b.check))
            .then_with(|| a.first_error.cmp(&b.first_error))
    });
    out
}

/// A library target (a repository that publishes a package later waves
/// consume) whose release containing the bump has not been seen yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwaitedRelease {
    /// The library target's repository (`billing-lib`).
    pub repo: String,
    /// The rolled-out library's short name and version (`core-utils`,
    /// `2.0.0`).
    pub library: String,
    pub version: String,
    /// Its PR has merged (else the wait is for the merge and the release).
    pub merged: bool,
}

/// Why the gate waits.
#[derive(Clone, Debug, PartialEq)]
pub enum WaitReason {
    NotRunning(RolloutState),
    /// Success ratio below the threshold.
    Ratio {
        ratio: f64,
        threshold: f64,
    },
    /// Met, soaking.
    Soaking {
        since: Timestamp,
    },
    /// The last wave met the gate but targets are still moving.
    Unsettled {
        count: usize,
    },
    /// The next wave consumes a library target that has not released a
    /// version containing the bump yet (the first awaited one is named).
    Release(AwaitedRelease),
}

/// The gate's verdict.
#[derive(Clone, Debug, PartialEq)]
pub enum GateDecision {
    Advance,
    Wait {
        reason: WaitReason,
        /// When waiting alone ends it (soak), if known.
        until: Option<Timestamp>,
    },
    Halt(String),
    Complete,
}

/// Has the failure budget been exceeded?
pub fn budget_exceeded(counts: &Counts, budget: FailureBudget) -> bool {
    match budget {
        FailureBudget::Count(n) => counts.failed > n as usize,
        FailureBudget::Percent(p) => {
            counts.total > 0 && (counts.failed as f64) * 100.0 > p * counts.total as f64
        }
    }
}

/// Does the wave meet the ratio (ignoring soak)?
pub fn ratio_met(snapshot: &GateSnapshot, policy: &GatePolicy) -> bool {
    snapshot.wave_counts.ratio() + 1e-9 >= policy.success_ratio
}

const RELEASE_WAIT: &str = "to release a version containing";
const RELEASE_OF_IT_WAIT: &str = "a release of it containing";

/// Whether a stored rollout reason is the gate's cascade wait
/// ([`WaitReason::Release`]): readers without a forge (the status page)
/// recognise it by this, not by their own copy of the text.
pub fn is_release_wait(reason: &str) -> bool {
    reason.starts_with("waiting for ")
        && (reason.contains(RELEASE_WAIT) || reason.contains(RELEASE_OF_IT_WAIT))
}

/// The gate. Pure: same inputs, same answer.
pub fn evaluate_gate(snapshot: &GateSnapshot, policy: &GatePolicy, now: Timestamp) -> GateDecision {
    if snapshot.state != RolloutState::Running {
        return GateDecision::Wait {
            reason: WaitReason::NotRunning(snapshot.state),
            until: None,
        };
    }
    let clusters = failure_clusters(&snapshot.failures);
    if let Some(first) = clusters.first() {
        let mut why = first.to_string();
        if clusters.len() > 1 {
            why.push_str(&format!(
                " (and {} more failure cluster(s))",
                clusters.len() - 1
            ));
        }
        return GateDecision::Halt(why);
    }
    if budget_exceeded(&snapshot.rollout_counts, policy.failure_budget) {
        let budget = match policy.failure_budget {
            FailureBudget::Count(n) => format!("{n} failed target(s)"),
            FailureBudget::Percent(p) => format!("{p}% of targets failed"),
        };
        return GateDecision::Halt(format!(
            "failure budget exceeded: {} of {} targets failed (budget: {budget})",
            snapshot.rollout_counts.failed, snapshot.rollout_counts.total
        ));
    }
    if !ratio_met(snapshot, policy) {
        return GateDecision::Wait {
            reason: WaitReason::Ratio {
                ratio: snapshot.wave_counts.ratio(),
                threshold: policy.success_ratio,
            },
            until: None,
        };
    }
    let since = snapshot.met_since.unwrap_or(now).min(now);
    let until = since.plus(policy.soak);
    if now < until {
        return GateDecision::Wait {
            reason: WaitReason::Soaking { since },
            until: Some(until),
        };
    }
    if snapshot.last_wave {
        if snapshot.rollout_counts.unsettled == 0 {
            return GateDecision::Complete;
        }
        return GateDecision::Wait {
            reason: WaitReason::Unsettled {
                count: snapshot.rollout_counts.unsettled,
            },
            until: None,
        };
    }
    if let Some(first) = snapshot.awaiting.first() {
        return GateDecision::Wait {
            reason: WaitReason::Release(first.clone()),
            until: None,
        };
    }
    GateDecision::Advance
}

impl std::fmt::Display for WaitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaitReason::NotRunning(s) => write!(f, "rollout is {s}"),
            WaitReason::Ratio { ratio, threshold } => write!(
                f,
                "success ratio {:.0}% below {:.0}%",
                ratio * 100.0,
                threshold * 100.0
            ),
            WaitReason::Soaking { since } => write!(f, "soaking since {}", since.0),
            WaitReason::Unsettled { count } => {
                write!(f, "waiting for {count} target(s) to finish")
            }
            WaitReason::Release(a) if a.merged => write!(
                f,
                "waiting for {} {RELEASE_WAIT} {} {}",
                a.repo, a.library, a.version
            ),
            WaitReason::Release(a) => write!(
                f,
                "waiting for {}'s PR to merge and {RELEASE_OF_IT_WAIT} {} {}",
                a.repo, a.library, a.version
            ),
        }
    }
}

pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}
