//! The plan: ordered waves of units, each placement with its reason, and the
//! warnings met while planning. Plain data that serializes to JSON.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Serialize, Serializer};

/// Ordered waves. Invariant (see [`super::plan`]): every planned repository
/// is in exactly one unit of exactly one wave; wave `i` is `waves[i]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub waves: Vec<Wave>,
    /// Human-readable notes: dependency cycles, merged groups, ignored or
    /// delayed policy entries.
    pub warnings: Vec<String>,
}

/// One wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wave {
    pub index: usize,
    /// Units in repository-name order.
    pub units: Vec<PlannedUnit>,
    /// Offset from the rollout's start at which this wave should be done:
    /// `(index + 1) * (ci_duration + soak)`. Serialized as whole seconds in
    /// `eta_seconds`.
    #[serde(rename = "eta_seconds", serialize_with = "as_seconds")]
    pub eta: Duration,
}

/// A unit placed in a wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedUnit {
    /// One repository, or a lockstep group's repositories (sorted).
    pub repos: Vec<String>,
    /// Why it is in this wave, e.g.
    /// `wave 2: billing-service -- after billing-lib (wave 1)`.
    pub reason: String,
}

impl Plan {
    /// The wave holding `repo`, if it is planned.
    pub fn wave_of(&self, repo: &str) -> Option<usize> {
        self.waves
            .iter()
            .find(|w| w.units.iter().any(|u| u.repos.iter().any(|r| r == repo)))
            .map(|w| w.index)
    }

    /// The unit holding `repo`, if it is planned.
    pub fn unit_of(&self, repo: &str) -> Option<&PlannedUnit> {
        self.units().find(|u| u.repos.iter().any(|r| r == repo))
    }

    /// Every unit, wave by wave.
    pub fn units(&self) -> impl Iterator<Item = &PlannedUnit> {
        self.waves.iter().flat_map(|w| &w.units)
    }

    /// Every planned repository with its wave, for lookups in bulk.
    pub fn wave_index(&self) -> BTreeMap<&str, usize> {
        self.waves
            .iter()
            .flat_map(|w| {
                w.units
                    .iter()
                    .flat_map(|u| &u.repos)
                    .map(|r| (r.as_str(), w.index))
            })
            .collect()
    }

    /// How many repositories are planned.
    pub fn repo_count(&self) -> usize {
        self.waves.iter().map(Wave::repo_count).sum()
    }

    /// The plan as plain text: one line per unit with its reason, then the
    /// warnings. Stable, for snapshots and the CLI.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for w in &self.waves {
            out.push_str(&format!(
                "wave {} ({} repo{}, done after {}):\n",
                w.index,
                w.repo_count(),
                if w.repo_count() == 1 { "" } else { "s" },
                human(w.eta)
            ));
            for u in &w.units {
                out.push_str(&format!("  {}\n", u.reason));
            }
        }
        for warning in &self.warnings {
            out.push_str(&format!("warning: {warning}\n"));
        }
        out
    }
}

impl Wave {
    /// How many repositories the wave holds.
    pub fn repo_count(&self) -> usize {
        self.units.iter().map(|u| u.repos.len()).sum()
    }
}

/// `1h30m`, `45m`, `20s`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

fn as_seconds<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}
