//! CI for the local forge: a pluggable [`CiProvider`] the forge asks about
//! commits, told about every push.
//!
//! Invariant: the forge never invents CI on its own. With [`NoChecks`] (the
//! default) every commit reports `pending` with no check, which branch
//! protection reads as "nothing required": merges are allowed, the engine's
//! gate waits. A provider is synchronous and cheap (the forge calls it
//! from async code without `spawn_blocking`).

use crate::forge::{CiReport, CiState};

/// Where the local forge's CI answers come from.
pub trait CiProvider: Send + Sync {
    /// A commit was pushed to `branch` of `repo` (CI may start on it). May
    /// be called again for a commit already seen (an identical push).
    fn pushed(&self, repo: &str, branch: &str, sha: &str) {
        let _ = (repo, branch, sha);
    }

    /// The CI of commit `sha` of `repo`, aggregated as branch protection
    /// sees it.
    fn state(&self, repo: &str, sha: &str) -> CiReport;

    /// Re-run the failed checks of `sha`; `false` when this CI cannot (the
    /// engine then pushes an empty commit, unless a person pushed to the
    /// branch).
    fn rerun_failed(&self, repo: &str, sha: &str) -> bool {
        let _ = (repo, sha);
        false
    }
}

/// No CI at all: every commit is pending with no check.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoChecks;

impl CiProvider for NoChecks {
    fn state(&self, _repo: &str, _sha: &str) -> CiReport {
        CiReport {
            state: CiState::Pending,
            checks: Vec::new(),
            note: None,
        }
    }
}

/// Why branch protection refuses a merge of a commit with this CI, if it
/// does: a required check that has not passed.
pub fn merge_refusal(ci: &CiReport) -> Option<String> {
    let blocking: Vec<String> = ci
        .checks
        .iter()
        .filter(|c| c.required && c.state != CiState::Passed)
        .map(|c| {
            let state = match c.state {
                CiState::Pending => "pending",
                CiState::Failed => "failed",
                CiState::Passed => "passed",
            };
            format!("{} ({state})", c.name)
        })
        .collect();
    (!blocking.is_empty()).then(|| format!("required checks not passed: {}", blocking.join(", ")))
}
