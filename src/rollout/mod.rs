//! The rollout engine: the state machines of DESIGN.md (`state`), the gate
//! as a pure function (`gate`), and the engine that drives a stored rollout
//! through the forge one `tick` at a time.

pub mod gate;
pub mod state;

pub use gate::{
    Counts, FailureBudget, GateDecision, GatePolicy, GateSnapshot, Require, WaitReason,
    evaluate_gate,
};
pub use state::{IllegalTransition, RolloutState, TargetState, Timestamp};
