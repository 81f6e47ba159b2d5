//! State labels: every state has a symbol and words, so nothing on the page
//! is told by colour alone; `class` picks the colour.

use serde::Serialize;

use crate::rollout::{RolloutState, TargetState};

/// How a state is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StateLabel {
    /// A symbol that reads without colour.
    pub icon: &'static str,
    pub text: String,
    /// CSS class suffix: `merged`, `passed`, `failing`, `pending`, `other`.
    pub class: &'static str,
}

pub fn target_label(state: TargetState) -> StateLabel {
    let (icon, text, class) = match state {
        TargetState::Pending => ("·", "pending".to_owned(), "pending"),
        TargetState::PrOpen => ("○", "PR open".to_owned(), "pending"),
        TargetState::CiPending => ("◔", "CI running".to_owned(), "pending"),
        TargetState::CiPassed => ("✓", "CI passed".to_owned(), "passed"),
        TargetState::CiFailed => ("✗", "CI failed".to_owned(), "failing"),
        TargetState::Merged => ("✔", "merged".to_owned(), "merged"),
        TargetState::Closed => ("–", "closed".to_owned(), "other"),
        TargetState::Skipped => ("⤼", "skipped".to_owned(), "other"),
        TargetState::Superseded => ("↷", "superseded".to_owned(), "other"),
        TargetState::Declined => ("⊘", "declined (PR closed)".to_owned(), "other"),
        TargetState::Error(n) => ("!", format!("error ({n} attempts)"), "failing"),
    };
    StateLabel { icon, text, class }
}

pub fn rollout_label(state: RolloutState) -> StateLabel {
    let (icon, class) = match state {
        RolloutState::Planned => ("·", "pending"),
        RolloutState::Running => ("▶", "passed"),
        RolloutState::Paused => ("⏸", "pending"),
        RolloutState::Halted => ("■", "failing"),
        RolloutState::Aborting => ("✗", "failing"),
        RolloutState::Aborted => ("✗", "other"),
        RolloutState::Completed => ("✔", "merged"),
    };
    StateLabel {
        icon,
        text: state.as_str().to_owned(),
        class,
    }
}

/// Target-state filters of the table: a state's name, or a group.
pub const FILTERS: &[(&str, &str)] = &[
    ("", "all"),
    ("failing", "failing (CI failed or error)"),
    ("active", "in progress"),
    ("pending", "pending"),
    ("pr_open", "PR open"),
    ("ci_pending", "CI running"),
    ("ci_passed", "CI passed"),
    ("ci_failed", "CI failed"),
    ("error", "error"),
    ("merged", "merged"),
    ("skipped", "skipped"),
    ("closed", "closed"),
    ("superseded", "superseded"),
];

/// Does `state` pass the filter `key` (unknown keys pass everything)?
pub fn matches_filter(state: TargetState, key: &str) -> bool {
    match key {
        "" => true,
        "failing" => state.is_failure(),
        "active" => matches!(
            state,
            TargetState::Pending | TargetState::PrOpen | TargetState::CiPending
        ),
        k if FILTERS.iter().any(|(f, _)| *f == k) => state.as_str() == k,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_words_and_a_symbol() {
        for s in TargetState::ALL {
            let l = target_label(s);
            assert!(!l.icon.is_empty() && !l.text.is_empty(), "{s:?}");
            assert!(matches_filter(s, s.as_str()));
            assert!(matches_filter(s, ""));
        }
        for s in RolloutState::ALL {
            assert_eq!(rollout_label(s).text, s.as_str());
        }
        assert!(matches_filter(TargetState::Error(2), "failing"));
        assert!(!matches_filter(TargetState::Merged, "failing"));
    }
}
