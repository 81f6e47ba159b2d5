//! The object-safe trait the page's actions go through
//! ([`OperatorCommands`]), implemented by the rollout service.
//!
//! Invariant: the page never changes the store itself; every action is an
//! [`OperatorRequest`] to [`RolloutService`] (which takes the engine lock,
//! settles and announces) — in `serve`, in the demo (wrapped by its
//! steering) and in the tests alike. A user error (wrong state, unknown
//! repository) is shown to the operator as the engine worded it.

use futures::future::BoxFuture;

use crate::forge::ForgeWrite;
use crate::rollout::service::{OperatorRequest, Outcome, Request, RolloutService, ServiceError};

/// Carries out operator actions and records them (with the actor) in the
/// audit log.
pub trait OperatorCommands: Send + Sync {
    /// Carries out `request`.
    fn apply(&self, request: OperatorRequest) -> BoxFuture<'_, Result<Outcome, ServiceError>>;
}

impl<F: ForgeWrite + Send + Sync + 'static> OperatorCommands for RolloutService<F> {
    fn apply(&self, request: OperatorRequest) -> BoxFuture<'_, Result<Outcome, ServiceError>> {
        Box::pin(self.handle(Request::Operator(request)))
    }
}
