//! The rollout policy the planner obeys, its defaults and its validation.
//!
//! Invariant: a policy that passes [`Policy::validate`] yields, through
//! [`Policy::wave_capacity`], a capacity of at least one repository for every
//! wave, so planning always terminates.

use std::time::Duration;

use super::PlanError;

/// How large the sized waves (every wave after the canary wave) are, counted
/// in repositories (PRs), not units.
#[derive(Debug, Clone, PartialEq)]
pub enum WaveSizes {
    /// Repositories per wave; the last entry repeats. `[1, 5, 10]` gives
    /// waves of 1, 5, 10, 10, ... repositories.
    Counts(Vec<usize>),
    /// Cumulative percentages of the repositories in sized waves (all planned
    /// repositories minus those in the canary wave), strictly increasing,
    /// each in (0, 100]. After the last entry its *step* repeats: `[5, 25]`
    /// gives cumulative 5, 25, 45, 65, 85, 100 %. A wave's target is rounded
    /// up, and every wave takes at least one repository.
    CumulativePercent(Vec<f64>),
}

/// A named tier: repositories matching any of its patterns (repository
/// globs, see [`crate::names::Glob`]) belong to it. Tiers are listed in
/// order; a repository matching several belongs to the *first* one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Shown in reasons, e.g. `payments`.
    pub name: String,
    /// Repository globs; a literal one must name a known repository.
    pub patterns: Vec<String>,
}

/// The planner's policy.
///
/// Ordering, strongest first: dependency order (a provider's unit always
/// comes in an earlier wave than its consumers) beats canaries, which beat
/// tiers, which beat wave sizes. Ties are broken by repository name.
///
/// Tiers: repositories matching no tier go first; then the tiers in list
/// order, the last (the *critical* one) last. Each tier starts a new wave. A unit of a
/// later tier that an earlier-tier unit depends on is *pulled forward* to the
/// tier of its most urgent consumer (and the reason says so).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Repositories that form wave 0. A canary that depends on another
    /// planned repository cannot be in wave 0: it goes in the first wave its
    /// providers allow, ahead of other units, with a warning.
    pub canaries: Vec<String>,
    /// Size of the sized waves. Wave 0 is exempt when it is a canary wave.
    pub wave_sizes: WaveSizes,
    /// Upper bound on every sized wave, in repositories. A lockstep unit
    /// larger than its wave is kept whole, alone in its wave, and noted.
    pub max_wave_size: Option<usize>,
    /// Tiers in order; the last is critical.
    pub tiers: Vec<Tier>,
    /// Repositories whose PRs must land together. Groups sharing a
    /// repository merge, as do groups joined by a dependency cycle.
    pub lockstep: Vec<Vec<String>>,
    /// Order waves by the consumer graph. When off, edges are ignored
    /// entirely: no dependency order and no cycle detection.
    pub order_by_graph: bool,
    /// Expected CI time of one wave (its PRs run in parallel).
    pub ci_duration: Duration,
    /// Time a wave soaks after its CI before the next wave opens.
    pub soak: Duration,
}

impl Default for Policy {
    /// No canaries, waves of 1, 5, then 10 repositories, no cap, no tiers, no
    /// lockstep groups, dependency order on, 30 minutes of CI and 1 hour of
    /// soak per wave.
    fn default() -> Self {
        Self {
            canaries: Vec::new(),
            wave_sizes: WaveSizes::Counts(vec![1, 5, 10]),
            max_wave_size: None,
            tiers: Vec::new(),
            lockstep: Vec::new(),
            order_by_graph: true,
            ci_duration: Duration::from_secs(30 * 60),
            soak: Duration::from_secs(60 * 60),
        }
    }
}

impl Policy {
    /// Check every value's domain (repository names are checked by the
    /// planner, which knows them).
    pub fn validate(&self) -> Result<(), PlanError> {
        let invalid = |field: String, expected: &str, got: String| PlanError::InvalidPolicy {
            field,
            expected: expected.to_string(),
            got,
        };
        match &self.wave_sizes {
            WaveSizes::Counts(counts) => {
                if counts.is_empty() {
                    return Err(invalid(
                        "wave_sizes".into(),
                        "at least one count",
                        "[]".into(),
                    ));
                }
                if let Some(i) = counts.iter().position(|&c| c == 0) {
                    return Err(invalid(
                        format!("wave_sizes[{i}]"),
                        "a count of at least 1",
                        "0".into(),
                    ));
                }
            }
            WaveSizes::CumulativePercent(pcts) => {
                if pcts.is_empty() {
                    return Err(invalid(
                        "wave_sizes".into(),
                        "at least one percentage",
                        "[]".into(),
                    ));
                }
                let mut previous = 0.0;
                for (i, &p) in pcts.iter().enumerate() {
                    if !(p.is_finite() && p > 0.0 && p <= 100.0) {
                        return Err(invalid(
                            format!("wave_sizes[{i}]"),
                            "a percentage above 0 and at most 100",
                            p.to_string(),
                        ));
                    }
                    if p <= previous {
                        return Err(invalid(
                            format!("wave_sizes[{i}]"),
                            &format!("a cumulative percentage above the previous one ({previous})"),
                            p.to_string(),
                        ));
                    }
                    previous = p;
                }
            }
        }
        if self.max_wave_size == Some(0) {
            return Err(invalid("max_wave_size".into(), "at least 1", "0".into()));
        }
        if let Some(i) = self.lockstep.iter().position(Vec::is_empty) {
            return Err(invalid(
                format!("lockstep[{i}]"),
                "at least one repository",
                "[]".into(),
            ));
        }
        if let Some(i) = self.tiers.iter().position(|t| t.name.trim().is_empty()) {
            return Err(invalid(
                format!("tiers[{i}].name"),
                "a non-empty name",
                "\"\"".into(),
            ));
        }
        Ok(())
    }

    /// How many repositories sized wave `sized_index` (0 for the first wave
    /// after the canary wave) may take, given that `placed` of the `total`
    /// repositories in sized waves are already placed. At least 1 for a valid
    /// policy.
    pub(crate) fn wave_capacity(&self, sized_index: usize, placed: usize, total: usize) -> usize {
        let raw = match &self.wave_sizes {
            WaveSizes::Counts(counts) => counts
                .get(sized_index)
                .or(counts.last())
                .copied()
                .unwrap_or(1),
            WaveSizes::CumulativePercent(pcts) => {
                let pct = cumulative_percent(pcts, sized_index);
                // Rounded up; the epsilon keeps 10% of 30 at 3, not 4.
                let target = (pct / 100.0 * total as f64 - 1e-9).ceil().max(0.0) as usize;
                target.saturating_sub(placed)
            }
        };
        let capped = self.max_wave_size.map_or(raw, |m| raw.min(m));
        capped.max(1)
    }
}

/// The cumulative percentage for sized wave `i`: the entry itself, or past
/// the end the last entry plus whole steps (the last difference), capped at
/// 100.
fn cumulative_percent(pcts: &[f64], i: usize) -> f64 {
    if let Some(&p) = pcts.get(i) {
        return p;
    }
    let last = pcts.last().copied().unwrap_or(100.0);
    let before = pcts
        .len()
        .checked_sub(2)
        .and_then(|j| pcts.get(j))
        .copied()
        .unwrap_or(0.0);
    let step = last - before;
    let extra = (i + 1).saturating_sub(pcts.len()) as f64;
    (last + step * extra).min(100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(v: &[usize], max: Option<usize>) -> Policy {
        Policy {
            wave_sizes: WaveSizes::Counts(v.to_vec()),
            max_wave_size: max,
            ..Policy::default()
        }
    }

    fn pct(v: &[f64]) -> Policy {
        Policy {
            wave_sizes: WaveSizes::CumulativePercent(v.to_vec()),
            ..Policy::default()
        }
    }

    #[test]
    fn count_capacities() {
        let p = counts(&[1, 5, 10], None);
        let caps: Vec<usize> = (0..5).map(|i| p.wave_capacity(i, 0, 100)).collect();
        assert_eq!(caps, [1, 5, 10, 10, 10]);
        let p = counts(&[1, 5, 10], Some(4));
        let caps: Vec<usize> = (0..4).map(|i| p.wave_capacity(i, 0, 100)).collect();
        assert_eq!(caps, [1, 4, 4, 4]);
    }

    #[test]
    fn percent_capacities() {
        // 5, 25, then steps of 20: 45, 65, 85, 100.
        let p = pct(&[5.0, 25.0]);
        let mut placed = 0;
        let mut caps = Vec::new();
        for i in 0..6 {
            let c = p.wave_capacity(i, placed, 100);
            caps.push(c);
            placed += c;
        }
        assert_eq!(caps, [5, 20, 20, 20, 20, 15]);
        // Rounded up, at least one.
        let p = pct(&[10.0, 100.0]);
        assert_eq!(p.wave_capacity(0, 0, 30), 3);
        assert_eq!(p.wave_capacity(0, 0, 3), 1);
        assert_eq!(p.wave_capacity(1, 30, 30), 1);
        assert_eq!(cumulative_percent(&[50.0], 1), 100.0);
    }

    #[test]
    fn validation_table() {
        let cases: Vec<(Policy, Option<&str>)> = vec![
            (Policy::default(), None),
            (
                counts(&[], None),
                Some("invalid policy: wave_sizes: expected at least one count, got []"),
            ),
            (
                counts(&[1, 0], None),
                Some("invalid policy: wave_sizes[1]: expected a count of at least 1, got 0"),
            ),
            (
                counts(&[1], Some(0)),
                Some("invalid policy: max_wave_size: expected at least 1, got 0"),
            ),
            (pct(&[10.0, 100.0]), None),
            (
                pct(&[]),
                Some("invalid policy: wave_sizes: expected at least one percentage, got []"),
            ),
            (
                pct(&[10.0, 5.0]),
                Some(
                    "invalid policy: wave_sizes[1]: expected a cumulative percentage above the previous one (10), got 5",
                ),
            ),
            (
                pct(&[10.0, 10.0]),
                Some(
                    "invalid policy: wave_sizes[1]: expected a cumulative percentage above the previous one (10), got 10",
                ),
            ),
            (
                pct(&[50.0, 150.0]),
                Some(
                    "invalid policy: wave_sizes[1]: expected a percentage above 0 and at most 100, got 150",
                ),
            ),
            (
                pct(&[0.0]),
                Some(
                    "invalid policy: wave_sizes[0]: expected a percentage above 0 and at most 100, got 0",
                ),
            ),
            (
                pct(&[f64::NAN]),
                Some(
                    "invalid policy: wave_sizes[0]: expected a percentage above 0 and at most 100, got NaN",
                ),
            ),
            (
                Policy {
                    lockstep: vec![vec!["a".into()], vec![]],
                    ..Policy::default()
                },
                Some("invalid policy: lockstep[1]: expected at least one repository, got []"),
            ),
            (
                Policy {
                    tiers: vec![Tier {
                        name: " ".into(),
                        patterns: vec![],
                    }],
                    ..Policy::default()
                },
                Some("invalid policy: tiers[0].name: expected a non-empty name, got \"\""),
            ),
        ];
        for (policy, want) in cases {
            let got = policy.validate().err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), want, "{policy:?}");
        }
    }
}
