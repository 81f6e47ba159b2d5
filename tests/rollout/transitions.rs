//! Properties of the transition tables: no illegal transition is ever
//! applied, terminal states have no exit.

use proptest::prelude::*;
use wavebump::rollout::{RolloutState, TargetState};

fn target_state() -> impl Strategy<Value = TargetState> {
    prop_oneof![
        Just(TargetState::Pending),
        Just(TargetState::PrOpen),
        Just(TargetState::CiPending),
        Just(TargetState::CiPassed),
        Just(TargetState::CiFailed),
        Just(TargetState::Merged),
        Just(TargetState::Closed),
        Just(TargetState::Skipped),
        Just(TargetState::Superseded),
        (0u32..5).prop_map(TargetState::Error),
    ]
}

fn rollout_state() -> impl Strategy<Value = RolloutState> {
    proptest::sample::select(RolloutState::ALL.to_vec())
}

proptest! {
    #[test]
    fn target_walks_only_follow_the_table(steps in proptest::collection::vec(target_state(), 0..40)) {
        let mut state = TargetState::Pending;
        for next in steps {
            match state.to(next) {
                Ok(s) => {
                    prop_assert!(state.allows(next));
                    prop_assert!(!state.is_terminal());
                    state = s;
                }
                Err(e) => {
                    prop_assert!(!state.allows(next));
                    prop_assert!(e.to_string().contains(&state.to_string()));
                }
            }
        }
    }

    #[test]
    fn terminal_targets_never_move(from in target_state(), to in target_state()) {
        if from.is_terminal() {
            prop_assert!(from.to(to).is_err());
        }
        // Merging needs a PR: an open one, one a person closed (and may
        // have reopened and merged unseen), or one in `error`.
        if to == TargetState::Merged && from.to(to).is_ok() {
            prop_assert!(from.has_open_pr() || matches!(from, TargetState::Declined | TargetState::Error(_)));
        }
        // Declining needs a PR a person could close.
        if to == TargetState::Declined && from.to(to).is_ok() {
            prop_assert!(from.has_open_pr() || matches!(from, TargetState::Error(_)));
        }
    }

    #[test]
    fn rollout_walks_only_follow_the_table(steps in proptest::collection::vec(rollout_state(), 0..30)) {
        let mut state = RolloutState::Planned;
        for next in steps {
            let before = state;
            if let Ok(s) = state.to(next) {
                state = s;
            }
            prop_assert!(!before.is_terminal() || state == before);
            // Completed only from running; halted never straight to completed.
            if state == RolloutState::Completed && before != RolloutState::Completed {
                prop_assert_eq!(before, RolloutState::Running);
            }
        }
    }
}
