//! The status page (`crate::status`) mounted in serve: its operator
//! actions go through the shared engine lock (never interleaving with the
//! worker or the reconcile loop), are followed by a settle tick (a resume
//! or an advance opens PRs at once), and are announced to the live pages.
//!
//! Invariant: the status page reads the store and acts only through
//! [`LockedCommands`]; the engine's refusal text is what the operator sees.

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::forge::ForgeWrite;
use crate::server::inbox::Now;
use crate::server::metrics::TickTrigger;
use crate::status::{OperatorAction, OperatorCommands};

use super::engine::{SharedEngine, settle};

/// [`OperatorCommands`] over the shared engine.
pub struct LockedCommands<F: ForgeWrite> {
    /// The engine (locked for each action).
    pub engine: Arc<SharedEngine<F>>,
    /// The clock.
    pub now: Now,
}

impl<F: ForgeWrite + Send + Sync + 'static> OperatorCommands for LockedCommands<F> {
    fn apply(
        &self,
        id: i64,
        action: OperatorAction,
        operator: &str,
    ) -> BoxFuture<'_, Result<(), String>> {
        let operator = operator.to_owned();
        Box::pin(async move {
            let e = self.engine.lock().await;
            let now = self.now.now();
            action.run(&e, id, &operator, now).await?;
            tracing::info!(rollout = id, operator = %operator, action = action.name(), "operator action");
            let ctx = self.engine.ctx();
            ctx.announce(id);
            if let Err(err) = settle(&e, now, TickTrigger::Operator, ctx).await {
                tracing::warn!(rollout = id, error = %err, "tick after the operator action failed");
            }
            Ok(())
        })
    }
}
