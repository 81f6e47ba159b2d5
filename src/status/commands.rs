//! The operator actions of the page and the object-safe trait that carries
//! them out ([`OperatorCommands`]), with its implementation over the
//! rollout [`Engine`] ([`EngineCommands`]).
//!
//! Invariant: the page never changes the store itself; whatever the trait
//! refuses (wrong state, unknown repository) is shown to the operator as
//! the engine worded it. [`OperatorAction::run`] is the one place an action
//! becomes an engine command: every implementation (this one, serve's
//! `LockedCommands`, the demo's `DemoCommands`) calls it under its own
//! locking and clock.

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::clock::SharedClock;
use crate::forge::ForgeWrite;
use crate::rollout::{Engine, Timestamp};

/// What an operator asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperatorAction {
    Pause { reason: String },
    Resume,
    Advance,
    Abort { comment: String },
    Retry { repo: String },
    Skip { repo: String, reason: String },
}

impl OperatorAction {
    /// The action's name (`pause`, `retry`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            OperatorAction::Pause { .. } => "pause",
            OperatorAction::Resume => "resume",
            OperatorAction::Advance => "advance",
            OperatorAction::Abort { .. } => "abort",
            OperatorAction::Retry { .. } => "retry",
            OperatorAction::Skip { .. } => "skip",
        }
    }

    /// Carry out this action on rollout `id` through `engine` at `now`, as
    /// `operator` (recorded in the audit log). `Err` is the engine's
    /// refusal, as the operator sees it. The caller holds whatever lock
    /// its engine needs.
    pub async fn run<F: ForgeWrite>(
        &self,
        engine: &Engine<F>,
        id: i64,
        operator: &str,
        now: Timestamp,
    ) -> Result<(), String> {
        let e = engine;
        let done = match self {
            OperatorAction::Pause { reason } => e.pause(id, operator, reason, now).await,
            OperatorAction::Resume => e.resume(id, operator, now).await,
            OperatorAction::Advance => e.advance(id, operator, now).await,
            // What is still to close shows on the rollout's page.
            OperatorAction::Abort { comment } => e
                .abort(id, operator, comment, now)
                .await
                .map(|outcome| tracing::info!(%outcome, "abort")),
            OperatorAction::Retry { repo } => e.retry(id, repo, operator, now).await,
            OperatorAction::Skip { repo, reason } => e.skip(id, repo, operator, reason, now).await,
        };
        done.map_err(|err| err.to_string())
    }
}

/// Carries out operator actions and records them (with `operator`) in the
/// audit log. `Err` is a message for the operator.
pub trait OperatorCommands: Send + Sync {
    fn apply(
        &self,
        rollout_id: i64,
        action: OperatorAction,
        operator: &str,
    ) -> BoxFuture<'_, Result<(), String>>;
}

/// [`OperatorCommands`] over the engine.
pub struct EngineCommands<F: ForgeWrite> {
    pub engine: Arc<Engine<F>>,
    pub clock: SharedClock,
}

impl<F: ForgeWrite + Send + Sync + 'static> OperatorCommands for EngineCommands<F> {
    fn apply(
        &self,
        id: i64,
        action: OperatorAction,
        operator: &str,
    ) -> BoxFuture<'_, Result<(), String>> {
        let operator = operator.to_owned();
        Box::pin(async move {
            let now = self.clock.now();
            action.run(&self.engine, id, &operator, now).await
        })
    }
}
