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
