//! The two state machines of DESIGN.md as enums with explicit transition
//! tables.
//!
//! Invariant: a state change is applied only through [`RolloutState::to`] /
//! [`TargetState::to`], which refuse any pair not in the table; terminal
//! states (rollout: aborted, completed; target: merged, closed, skipped,
//! superseded) have no way out. A `declined` target (a person closed its PR
//! unmerged) is settled but not terminal: the PR may be reopened.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::clock::Timestamp;

/// Where a rollout is. The wave a `Running`/`Paused`/`Halted` rollout is at
/// is kept beside it (`current_wave`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutState {
    Planned,
    Running,
    Paused,
    /// The failure budget is spent: nothing opens until an operator resumes.
    Halted,
    /// Aborted by an operator, with pull requests still to close: the
    /// engine closes them at every tick (an intent per PR) and then records
    /// `aborted`. Nothing opens, merges or advances meanwhile.
    Aborting,
    Aborted,
    Completed,
}

impl RolloutState {
    pub const ALL: [RolloutState; 7] = [
        RolloutState::Planned,
        RolloutState::Running,
        RolloutState::Paused,
        RolloutState::Halted,
        RolloutState::Aborting,
        RolloutState::Aborted,
        RolloutState::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RolloutState::Planned => "planned",
            RolloutState::Running => "running",
            RolloutState::Paused => "paused",
            RolloutState::Halted => "halted",
            RolloutState::Aborting => "aborting",
            RolloutState::Aborted => "aborted",
            RolloutState::Completed => "completed",
        }
    }

    /// Aborted or completed: no transition leaves it.
    pub fn is_terminal(self) -> bool {
        matches!(self, RolloutState::Aborted | RolloutState::Completed)
    }

    /// Still to be driven by the engine.
    pub fn is_active(self) -> bool {
        !self.is_terminal()
    }

    /// May `self` become `next`? `Running → Running` is a wave advance.
    pub fn allows(self, next: RolloutState) -> bool {
        use RolloutState::*;
        matches!(
            (self, next),
            (Planned, Running | Aborting | Aborted)
                | (
                    Running,
                    Running | Paused | Halted | Aborting | Aborted | Completed
                )
                | (Paused, Running | Paused | Aborting | Aborted)
                | (Halted, Running | Aborting | Aborted)
                | (Aborting, Aborted)
        )
    }

    /// `next` when the table allows it, else the refusal.
    pub fn to(self, next: RolloutState) -> Result<RolloutState, IllegalTransition> {
        if self.allows(next) {
            Ok(next)
        } else {
            Err(IllegalTransition {
                machine: "rollout",
                from: self.as_str().to_owned(),
                to: next.as_str().to_owned(),
            })
        }
    }
}

/// Where one target (one manifest of one repository) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "retries")]
pub enum TargetState {
    Pending,
    PrOpen,
    CiPending,
    CiPassed,
    CiFailed,
    Merged,
    Closed,
    Skipped,
    Superseded,
    /// A person closed the PR without merging it. Settled; counted as a
    /// failure or left out per `rollout.on_declined`; reopening resumes.
    Declined,
    /// A forge or scan failure; the count of attempts made so far.
    Error(u32),
}

impl TargetState {
    /// Every state, with one representative `Error`.
    pub const ALL: [TargetState; 11] = [
        TargetState::Pending,
        TargetState::PrOpen,
        TargetState::CiPending,
        TargetState::CiPassed,
        TargetState::CiFailed,
        TargetState::Merged,
        TargetState::Closed,
        TargetState::Skipped,
        TargetState::Superseded,
        TargetState::Declined,
        TargetState::Error(1),
    ];

    /// The stored name (`error` for every retry count).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Pending => "pending",
            TargetState::PrOpen => "pr_open",
            TargetState::CiPending => "ci_pending",
            TargetState::CiPassed => "ci_passed",
            TargetState::CiFailed => "ci_failed",
            TargetState::Merged => "merged",
            TargetState::Closed => "closed",
            TargetState::Skipped => "skipped",
            TargetState::Superseded => "superseded",
            TargetState::Declined => "declined",
            TargetState::Error(_) => "error",
        }
    }

    /// The state named `name`; `retries` completes `error`.
    pub fn parse(name: &str, retries: u32) -> Option<TargetState> {
        Some(match name {
            "pending" => TargetState::Pending,
            "pr_open" => TargetState::PrOpen,
            "ci_pending" => TargetState::CiPending,
            "ci_passed" => TargetState::CiPassed,
            "ci_failed" => TargetState::CiFailed,
            "merged" => TargetState::Merged,
            "closed" => TargetState::Closed,
            "skipped" => TargetState::Skipped,
            "superseded" => TargetState::Superseded,
            "declined" => TargetState::Declined,
            "error" => TargetState::Error(retries),
            _ => return None,
        })
    }

    /// No transition leaves it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TargetState::Merged
                | TargetState::Closed
                | TargetState::Skipped
                | TargetState::Superseded
        )
    }

    /// A pull request exists and is open.
    pub fn has_open_pr(self) -> bool {
        matches!(
            self,
            TargetState::PrOpen
                | TargetState::CiPending
                | TargetState::CiPassed
                | TargetState::CiFailed
        )
    }

    /// Counts against the failure budget.
    pub fn is_failure(self) -> bool {
        matches!(self, TargetState::CiFailed | TargetState::Error(_))
    }

    /// May `self` become `next`?
    pub fn allows(self, next: TargetState) -> bool {
        use TargetState::*;
        if self.is_terminal() {
            return false;
        }
        // Leaving for a terminal state by an operator or a human is always
        // possible from a live state, except merging without a PR (a
        // declined PR may have been reopened and merged unseen; a target in
        // `error` may have its PR merged by a person).
        match next {
            Closed | Skipped | Superseded => return true,
            Merged => return self.has_open_pr() || matches!(self, Declined | Error(_)),
            Declined => return self.has_open_pr() || matches!(self, Error(_)),
            _ => {}
        }
        match (self, next) {
            (Pending, PrOpen | Error(_)) => true,
            (PrOpen, CiPending | CiPassed | CiFailed | Error(_)) => true,
            (CiPending, CiPassed | CiFailed | Error(_)) => true,
            (CiPassed, CiPending | CiFailed | Error(_)) => true,
            (CiFailed, CiPending | CiPassed | Error(_)) => true,
            (Error(a), Error(b)) => b > a,
            (Error(_), Pending | PrOpen | CiPending | CiPassed | CiFailed) => true,
            // Reopened by a person.
            (Declined, PrOpen | CiPending) => true,
            _ => false,
        }
    }

    /// `next` when the table allows it, else the refusal.
    pub fn to(self, next: TargetState) -> Result<TargetState, IllegalTransition> {
        if self.allows(next) {
            Ok(next)
        } else {
            Err(IllegalTransition {
                machine: "target",
                from: self.to_string(),
                to: next.to_string(),
            })
        }
    }
}

impl fmt::Display for RolloutState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rollout state name that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown rollout state {0:?}")]
pub struct UnknownState(pub String);

impl FromStr for RolloutState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, UnknownState> {
        RolloutState::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

impl fmt::Display for TargetState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetState::Error(n) => write!(f, "error({n})"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// A transition the table refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("illegal {machine} transition {from} -> {to}")]
pub struct IllegalTransition {
    pub machine: &'static str,
    pub from: String,
    pub to: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in TargetState::ALL {
            assert_eq!(TargetState::parse(s.as_str(), 1), Some(s));
        }
        for r in RolloutState::ALL {
            assert_eq!(r.as_str().parse::<RolloutState>(), Ok(r));
        }
        assert_eq!(TargetState::parse("nope", 0), None);
    }

    #[test]
    fn table() {
        use TargetState::*;
        for (from, to, ok) in [
            (Pending, PrOpen, true),
            (Pending, Merged, false),
            (Pending, CiPassed, false),
            (CiFailed, CiPending, true),
            (Merged, Closed, false),
            (Skipped, Pending, false),
            (Error(2), Error(1), false),
            (Error(1), Error(2), true),
            (CiPassed, Merged, true),
            (CiFailed, Declined, true),
            (Pending, Declined, false),
            (Declined, CiPending, true),
            (Declined, Merged, true),
            (Declined, CiPassed, false),
        ] {
            assert_eq!(from.allows(to), ok, "{from} -> {to}");
        }
        assert!(RolloutState::Halted.to(RolloutState::Completed).is_err());
        assert!(RolloutState::Completed.to(RolloutState::Running).is_err());
    }
}
