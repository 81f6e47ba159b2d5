//! ETA per wave and for the rollout from observed CI durations (median of
//! the targets whose CI finished), falling back to the policy's estimate.
//!
//! Invariant: pure; waves already done have their real end time, later
//! waves follow one after another, each taking CI plus soak.

use std::time::Duration;

use super::policy::RolloutPolicy;
use super::state::Timestamp;
use crate::store::{RolloutRecord, TargetRecord, WaveRecord};

/// Expected end of every wave and of the rollout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eta {
    /// CI duration used: the observed median, or the policy's estimate.
    pub ci_duration: Duration,
    /// Whether `ci_duration` was observed.
    pub observed: bool,
    /// End of each wave (the real one when done).
    pub waves: Vec<Timestamp>,
    pub rollout: Timestamp,
}

/// Median CI duration of the targets whose CI finished.
pub fn median_ci(targets: &[TargetRecord]) -> Option<Duration> {
    let mut d: Vec<Duration> = targets
        .iter()
        .filter_map(|t| Some(t.ci_finished_at?.since(t.ci_started_at?)))
        .collect();
    if d.is_empty() {
        return None;
    }
    d.sort();
    let mid = d.len() / 2;
    Some(if d.len() % 2 == 1 {
        d[mid]
    } else {
        (d[mid - 1] + d[mid]) / 2
    })
}

pub fn eta(
    rollout: &RolloutRecord,
    waves: &[WaveRecord],
    targets: &[TargetRecord],
    policy: &RolloutPolicy,
    now: Timestamp,
) -> Eta {
    let observed = median_ci(targets);
    let ci = observed.unwrap_or(policy.ci_duration);
    let soak = policy.gate.soak;
    let mut cursor = now;
    let mut ends = Vec::new();
    for w in 0..rollout.wave_count {
        let record = waves.iter().find(|r| r.index == w);
        let end = match record {
            Some(WaveRecord {
                done_at: Some(done),
                ..
            }) => *done,
            Some(WaveRecord {
                met_at: Some(met), ..
            }) if w == rollout.current_wave => met.plus(soak).max(now),
            Some(WaveRecord {
                opened_at: Some(opened),
                ..
            }) if w == rollout.current_wave => opened.plus(ci).plus(soak).max(now),
            _ => cursor.plus(ci).plus(soak),
        };
        cursor = end.max(cursor);
        ends.push(end);
    }
    Eta {
        ci_duration: ci,
        observed: observed.is_some(),
        rollout: ends.last().copied().unwrap_or(now),
        waves: ends,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecosystem::{Classification, Ecosystem};
    use crate::rollout::state::TargetState;

    fn target(ci: Option<(i64, i64)>) -> TargetRecord {
        TargetRecord {
            id: 1,
            rollout_id: 1,
            repo: "r".into(),
            manifest_path: "Cargo.toml".into(),
            ecosystem: Ecosystem::Cargo,
            from_requirement: "1".into(),
            to_requirement: None,
            classification: Classification::Rewrite,
            is_library: false,
            wave: 0,
            state: TargetState::Pending,
            retries: 0,
            pr_number: None,
            pr_url: None,
            head_sha: None,
            ci_state: None,
            failing_checks: Vec::new(),
            merge_blocked: None,
            last_reason: None,
            state_since: Timestamp(0),
            ci_started_at: ci.map(|c| Timestamp(c.0)),
            ci_finished_at: ci.map(|c| Timestamp(c.1)),
            activity: Default::default(),
        }
    }

    #[test]
    fn median_of_finished_ci_table() {
        let s = |n: u64| Some(Duration::from_secs(n));
        for (runs, want) in [
            (vec![], None),
            (vec![None], None),
            (vec![Some((0, 10_000))], s(10)),
            (vec![Some((0, 10_000)), Some((0, 30_000)), None], s(20)),
            (
                vec![Some((0, 50_000)), Some((0, 10_000)), Some((0, 20_000))],
                s(20),
            ),
        ] {
            let targets: Vec<TargetRecord> = runs.iter().map(|r| target(*r)).collect();
            assert_eq!(median_ci(&targets), want, "{runs:?}");
        }
    }

    #[test]
    fn eta_uses_observed_median_else_policy() {
        let policy = RolloutPolicy {
            gate: crate::rollout::GatePolicy::default(),
            library: crate::ecosystem::LibraryNames::acme_core_utils(),
            library_repo: "core-utils".into(),
            pr: crate::rollout::policy::PrPolicy {
                title: String::new(),
                commit_message: String::new(),
                labels: vec![],
                reviewers: vec![],
                team_reviewers: vec![],
                draft: false,
                automerge: false,
                branch: String::new(),
                branch_version: None,
                templates_dir: None,
                public_url: None,
            },
            ci_duration: Duration::from_secs(900),
        };
        let rollout = RolloutRecord {
            id: 1,
            library: "acme/core-utils".into(),
            from_version: None,
            to_version: "2.0.0".into(),
            state: crate::rollout::RolloutState::Running,
            current_wave: 0,
            wave_count: 3,
            reason: None,
            branch: "b".into(),
            policy: String::new(),
            started_by: "t".into(),
            created_at: Timestamp(0),
            state_since: Timestamp(0),
            updated_at: Timestamp(0),
        };
        let now = Timestamp(1_000_000);
        let soak = policy.gate.soak;
        let fallback = eta(&rollout, &[], &[target(None)], &policy, now);
        assert!(!fallback.observed);
        assert_eq!(fallback.ci_duration, Duration::from_secs(900));
        assert_eq!(
            fallback.rollout,
            now.plus((Duration::from_secs(900) + soak) * 3)
        );
        let seen = eta(&rollout, &[], &[target(Some((0, 60_000)))], &policy, now);
        assert!(seen.observed);
        assert_eq!(seen.ci_duration, Duration::from_secs(60));
        assert_eq!(seen.waves.len(), 3);
        assert_eq!(seen.rollout, now.plus((Duration::from_secs(60) + soak) * 3));
    }
}
