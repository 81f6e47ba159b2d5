//! The store-backed [`DeliverySink`]: a verified delivery is written to the
//! durable inbox (`webhook_inbox`) and the worker is woken.
//!
//! Invariant: `accept` answers `Accepted` only once the row is committed,
//! `Duplicate` when the delivery id was stored before (nothing changes),
//! and an error when the store failed (the handler answers 503 so that
//! GitHub's redelivery can bring it again). The bytes are stored as
//! received; they are UTF-8 because the extractor checked the JSON syntax
//! (a lossy conversion is the fallback, logged).

use std::sync::Arc;

use tokio::sync::Notify;

use crate::server::webhook::{Acceptance, Delivery, DeliverySink, SinkError};
use crate::store::Store;

/// What tells the current time: the one clock (see [`crate::clock`]),
/// injected so that tests can move it.
pub type Now = crate::clock::SharedClock;

/// The system clock as a [`Now`].
pub fn system_now() -> Now {
    crate::clock::system()
}

/// The durable inbox as a sink.
#[derive(Clone)]
pub struct StoreSink {
    store: Store,
    wake: Arc<Notify>,
    now: Now,
}

impl StoreSink {
    /// A sink over `store` that wakes `wake` after each new delivery.
    pub fn new(store: Store, wake: Arc<Notify>, now: Now) -> Self {
        StoreSink { store, wake, now }
    }
}

impl DeliverySink for StoreSink {
    async fn accept(&self, delivery: Delivery) -> Result<Acceptance, SinkError> {
        let payload = match std::str::from_utf8(&delivery.body) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(e) => {
                tracing::warn!(error = %e, "delivery body is not UTF-8; stored lossily");
                String::from_utf8_lossy(&delivery.body)
            }
        };
        let stored = self
            .store
            .inbox_insert(
                delivery.delivery_id.as_str(),
                &delivery.event_name,
                &payload,
                self.now.now(),
            )
            .await
            .map_err(|e| SinkError(e.to_string()))?;
        if stored {
            self.wake.notify_one();
            Ok(Acceptance::Accepted)
        } else {
            Ok(Acceptance::Duplicate)
        }
    }
}
