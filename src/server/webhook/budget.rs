//! The global budget of webhook body bytes held in memory at once.
//!
//! Every byte of a webhook body is counted against one budget shared by
//! all requests until the delivery is stored (or refused). A request that
//! would take the total past the budget is answered 503 with `Retry-After`
//! at once (GitHub redelivers), and its bytes are released. A declared
//! `Content-Length` reserves the whole body before a byte is read; a
//! chunked body reserves each chunk as it arrives.
//!
//! Invariant: the webhook bodies held by the server never exceed the budget
//! (plus one chunk being looked at); waiting for budget never happens (no
//! queue an attacker could fill).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The default budget: room for one body of GitHub's maximum size (25 MB)
/// and several ordinary ones beside it.
pub const DEFAULT_BODY_BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// The `Retry-After` sent when the budget is spent.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

/// A shared byte budget; cheap to clone.
#[derive(Clone, Debug)]
pub struct BodyBudget {
    bytes: Arc<Semaphore>,
    total: usize,
    retry_after: Duration,
}

/// Bytes held against the budget; released on drop.
#[derive(Debug, Default)]
pub struct Reservation(Option<OwnedSemaphorePermit>);

impl BodyBudget {
    /// A budget of `total` bytes.
    pub fn new(total: usize) -> Self {
        let total = total.min(Semaphore::MAX_PERMITS);
        BodyBudget {
            bytes: Arc::new(Semaphore::new(total)),
            total,
            retry_after: DEFAULT_RETRY_AFTER,
        }
    }

    /// Changes the `Retry-After` of refusals.
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// The budget in bytes.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The bytes not held by any request now.
    pub fn available(&self) -> usize {
        self.bytes.available_permits()
    }

    /// What a refused request is told to wait.
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }

    /// Adds `n` more bytes to `held`, or `false` (nothing taken) when the
    /// budget has no room for them.
    pub fn reserve(&self, held: &mut Reservation, n: usize) -> bool {
        if n == 0 {
            return true;
        }
        let Ok(n) = u32::try_from(n) else {
            return false;
        };
        match self.bytes.clone().try_acquire_many_owned(n) {
            Ok(permit) => {
                match &mut held.0 {
                    Some(p) => p.merge(permit),
                    None => held.0 = Some(permit),
                }
                true
            }
            Err(_) => false,
        }
    }
}

impl Reservation {
    /// The bytes held.
    pub fn bytes(&self) -> usize {
        self.0.as_ref().map_or(0, OwnedSemaphorePermit::num_permits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_bounded_and_released() {
        let budget = BodyBudget::new(100);
        let mut a = Reservation::default();
        let mut b = Reservation::default();
        assert!(budget.reserve(&mut a, 60));
        assert!(budget.reserve(&mut a, 30));
        assert!(!budget.reserve(&mut b, 11));
        assert!(budget.reserve(&mut b, 10));
        assert_eq!((a.bytes(), b.bytes(), budget.available()), (90, 10, 0));
        drop(a);
        assert_eq!(budget.available(), 90);
        assert!(budget.reserve(&mut b, 0));
        assert!(!budget.reserve(&mut b, usize::MAX));
    }
}
