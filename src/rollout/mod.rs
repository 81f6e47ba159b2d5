//! The rollout engine: the state machines of DESIGN.md (`state`), the gate
//! as a pure function (`gate`), the frozen rollout policy and plan →
//! rollout conversion (`policy`), and the [`Engine`] that drives stored
//! rollouts through a [`crate::forge::ForgeWrite`] one `tick` at a time
//! (`engine`, `open`, `ci`, `reconcile`), with operator `commands`,
//! `retry` and `eta`.
//!
//! Boundary: the engine keeps nothing between ticks; the store is the
//! truth. PR texts come from `render::pr` through `bump`, the one
//! code path that opens or updates a PR (also used by `wavebump pr open`).

mod abort;
pub mod bump;
pub mod cascade;
mod ci;
mod commands;
mod engine;
pub mod eta;
pub mod gate;
mod lifecycle;
pub mod lockstep;
mod open;
pub mod policy;
mod reconcile;
mod retry;
pub mod service;
pub mod state;
mod supersede;

pub use abort::{ABORT_CLOSE, AbortOutcome, PendingClose, pending_closes};
pub use bump::{BumpOutcome, BumpRequest, Journal, open_or_update};
pub use commands::{CommandError, close_matches};
pub use engine::{
    ENGINE, Engine, EngineError, EngineOptions, LeaseClock, LeaseOptions, Observe, TickReport,
    failures, snapshot,
};
pub use gate::{
    AwaitedRelease, Counts, FailedCheck, FailureBudget, FailureCluster, GateDecision, GatePolicy,
    GateSnapshot, OnDeclined, Require, TargetFailure, WaitReason, evaluate_gate, failure_clusters,
};
pub use lifecycle::{Observed, ReviewSeen};
pub use policy::{PrPolicy, RolloutPolicy, new_rollout};
pub use retry::{EMPTY_COMMIT, Retried, RetryOutcome};
pub use service::{
    NewVersion, OperatorRequest, Outcome, Request, RolloutService, ServiceError, ServiceOptions,
    TickTrigger, Verb, VersionOutcome, VersionSource,
};
pub use state::{IllegalTransition, RolloutState, TargetState, Timestamp};
pub use supersede::SupersedeReport;
