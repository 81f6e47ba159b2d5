//! The one inbox worker: drains due deliveries in arrival order, parses
//! each ([`crate::server::events::parse`]) and hands it to a
//! [`DeliveryHandler`]; records the outcome in the inbox.
//!
//! Invariants:
//! - one delivery at a time, oldest due first (`inbox_due` orders by id);
//! - a delivery leaves `pending` only as `processed` (done or ignored) or
//!   `parked` (failed [`WorkerOptions::max_attempts`] times, a payload
//!   that can never parse, or a permanent failure); a temporary failure
//!   ([`DeliveryError::is_temporary`]) is retried at
//!   `now + backoff(attempts)` (exponential, capped); a scheduled delivery
//!   (young release) or a deferred one (its target's PR is not recorded
//!   yet) stays pending, due at its time, without costing an attempt —
//!   nothing is deleted;
//! - with a [`Lease`], a delivery is handled only right after this replica
//!   took or renewed the lease: of several replicas on one database, only
//!   the leader drains the inbox;
//! - shutdown is looked at between deliveries only: the delivery in hand
//!   is finished and its outcome written;
//! - a crash between the handler and the outcome write leaves the delivery
//!   pending: it is handled again after a restart (at least once), so
//!   handlers are idempotent (the engine's intents, rollouts looked up by
//!   version).
//!
//! Every log line of a delivery's work carries the `delivery` span field.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tracing::Instrument;

use super::inbox::Now;
use super::lease::Lease;
use super::metrics::{DeliveryOutcome, WorkerStats};
use crate::forge::ForgeError;
use crate::rollout::service::{ServiceError, forge_is_temporary, store_is_temporary};
use crate::rollout::state::Timestamp;
use crate::server::events::{self, Event};
use crate::store::{InboxRecord, Store, StoreError};

/// What a handler did with a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handled {
    /// Applied (the note is logged).
    Done(String),
    /// Nothing for wavebump to do (the reason is logged).
    Ignored(String),
    /// Not yet: keep it, due again at `due` (a young release).
    Scheduled {
        /// When to handle it again.
        due: Timestamp,
        /// Why (stored as the delivery's note).
        why: String,
    },
    /// Cannot be applied yet (e.g. CI of a target whose PR the engine has
    /// not recorded yet): keep it, due again at `due`, without counting an
    /// attempt.
    Deferred {
        /// When to handle it again.
        due: Timestamp,
        /// Why (stored as the delivery's note).
        why: String,
    },
}

/// Why a delivery could not be applied. The worker retries a temporary
/// failure ([`DeliveryError::is_temporary`]: network, 5xx, rate limit, a
/// lost race) with backoff and parks a permanent one at once (a refusal, an
/// unknown rollout, damaged data: trying again cannot help).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The rollout service refused or failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The answer to a comment could not be posted.
    #[error("answering the comment: {0}")]
    Answer(#[source] ForgeError),
}

impl DeliveryError {
    /// A failure posting the answer to a comment.
    pub fn answering(e: ForgeError) -> Self {
        DeliveryError::Answer(e)
    }

    /// Worth retrying later (as opposed to parking at once).
    pub fn is_temporary(&self) -> bool {
        match self {
            DeliveryError::Service(e) => e.is_temporary(),
            DeliveryError::Store(e) => store_is_temporary(e),
            DeliveryError::Answer(e) => forge_is_temporary(e),
        }
    }
}

/// Applies parsed events.
pub trait DeliveryHandler: Send + Sync + 'static {
    /// Handles one stored delivery.
    fn handle(
        &self,
        record: &InboxRecord,
        event: Event,
    ) -> impl Future<Output = Result<Handled, DeliveryError>> + Send;
}

/// Retry and polling settings.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// How often the inbox is looked at without a wake-up (scheduled and
    /// retried deliveries become due on their own).
    pub poll_interval: Duration,
    /// Failed attempts after which a delivery is parked.
    pub max_attempts: u32,
    /// The first retry's delay; each further one doubles it.
    pub backoff_base: Duration,
    /// The longest delay between two attempts.
    pub backoff_max: Duration,
    /// Deliveries read from the store at once.
    pub batch: u32,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            poll_interval: Duration::from_secs(1),
            max_attempts: 8,
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(15 * 60),
            batch: 32,
        }
    }
}

impl WorkerOptions {
    /// The delay before attempt `failed + 1`, after `failed` (≥ 1) failures:
    /// `base × 2^(failed−1)`, at most `backoff_max`.
    pub fn backoff(&self, failed: u32) -> Duration {
        let exp = failed.saturating_sub(1).min(30);
        self.backoff_base
            .checked_mul(1u32 << exp)
            .unwrap_or(self.backoff_max)
            .min(self.backoff_max)
    }
}

/// The inbox worker.
pub struct Worker<H> {
    store: Store,
    handler: H,
    options: WorkerOptions,
    stats: Arc<WorkerStats>,
    wake: Arc<Notify>,
    now: Now,
    lease: Option<Lease>,
}

impl<H: DeliveryHandler> Worker<H> {
    /// A worker over `store`; `wake` is notified by the sink.
    pub fn new(
        store: Store,
        handler: H,
        options: WorkerOptions,
        stats: Arc<WorkerStats>,
        wake: Arc<Notify>,
        now: Now,
    ) -> Self {
        Worker {
            store,
            handler,
            options,
            stats,
            wake,
            now,
            lease: None,
        }
    }

    /// Handle deliveries only while holding `lease` (several replicas).
    pub fn with_lease(mut self, lease: Lease) -> Self {
        self.lease = Some(lease);
        self
    }

    async fn leading(&self) -> bool {
        match &self.lease {
            None => true,
            Some(lease) => lease.hold(self.now.now()).await,
        }
    }

    /// Runs until `shutdown` becomes true (or its sender is dropped).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("inbox worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            self.drain(&shutdown).await;
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.options.poll_interval) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        tracing::info!("inbox worker stopped");
    }

    /// Handles every due delivery, stopping early on shutdown; how many.
    /// Without the lease nothing is handled (another replica drains).
    pub async fn drain(&self, shutdown: &watch::Receiver<bool>) -> usize {
        let mut done = 0;
        loop {
            if self.lease.is_some() && !self.leading().await {
                return done;
            }
            let due = match self
                .store
                .inbox_due(self.now.now(), self.options.batch)
                .await
            {
                Ok(due) => due,
                Err(e) => {
                    tracing::error!(error = %e, "inbox: cannot read due deliveries");
                    return done;
                }
            };
            if due.is_empty() {
                return done;
            }
            for (i, record) in due.into_iter().enumerate() {
                if *shutdown.borrow() {
                    return done;
                }
                // Renewed right before each delivery (the first was just
                // checked above).
                if i > 0 && !self.leading().await {
                    return done;
                }
                self.process(record).await;
                done += 1;
            }
        }
    }

    /// Handles one delivery and writes its outcome.
    pub async fn process(&self, record: InboxRecord) {
        let span = tracing::info_span!(
            "delivery",
            delivery = %record.delivery_id,
            event = %record.event,
            attempt = record.attempts + 1
        );
        self.process_inner(record).instrument(span).await;
    }

    async fn process_inner(&self, record: InboxRecord) {
        let event = match events::parse(&record.event, record.payload.as_bytes()) {
            Ok(event) => event,
            Err(e) => {
                // The bytes will never parse differently: park at once.
                let why = format!("cannot parse: {e}");
                tracing::error!(error = %why, "delivery parked");
                self.outcome(
                    &record,
                    DeliveryOutcome::Parked,
                    Some((&why, self.now.now())),
                )
                .await;
                return;
            }
        };
        let result = self.handler.handle(&record, event).await;
        let now = self.now.now();
        match result {
            Ok(Handled::Done(note)) => {
                tracing::info!(note = %note, "delivery processed");
                self.outcome(&record, DeliveryOutcome::Processed, None)
                    .await;
            }
            Ok(Handled::Ignored(why)) => {
                tracing::info!(reason = %why, "delivery ignored");
                self.outcome(&record, DeliveryOutcome::Ignored, None).await;
            }
            Ok(Handled::Scheduled { due, why }) => {
                tracing::info!(due_ms = due.0, reason = %why, "delivery scheduled");
                self.outcome(&record, DeliveryOutcome::Scheduled, Some((&why, due)))
                    .await;
            }
            Ok(Handled::Deferred { due, why }) => {
                tracing::info!(due_ms = due.0, reason = %why, "delivery deferred");
                self.outcome(&record, DeliveryOutcome::Deferred, Some((&why, due)))
                    .await;
            }
            Err(e) if !e.is_temporary() => {
                // Trying again cannot help: park at once.
                let why = e.to_string();
                tracing::error!(error = %why, "delivery failed permanently; parked");
                self.outcome(&record, DeliveryOutcome::Parked, Some((&why, now)))
                    .await;
            }
            Err(e) => {
                let e = e.to_string();
                let failed = record.attempts.saturating_add(1);
                if failed >= self.options.max_attempts {
                    tracing::error!(error = %e, attempts = failed, "delivery failed; parked");
                    self.outcome(&record, DeliveryOutcome::Parked, Some((&e, now)))
                        .await;
                } else {
                    let delay = self.options.backoff(failed);
                    tracing::warn!(error = %e, attempts = failed, retry_in_ms = delay.as_millis() as u64, "delivery failed; will retry");
                    self.outcome(
                        &record,
                        DeliveryOutcome::Retried,
                        Some((&e, now.plus(delay))),
                    )
                    .await;
                }
            }
        }
    }

    /// Writes the outcome (`note`: the reason and when the delivery is due
    /// again, for the outcomes that keep it); a store failure leaves the
    /// delivery pending (it is handled again later) and is logged.
    async fn outcome(
        &self,
        record: &InboxRecord,
        outcome: DeliveryOutcome,
        note: Option<(&str, Timestamp)>,
    ) {
        let written = match (note, outcome) {
            (None, _) => self.store.inbox_processed(record.id).await,
            (Some((why, at)), DeliveryOutcome::Scheduled | DeliveryOutcome::Deferred) => {
                self.store.inbox_defer(record.id, why, at).await.map(drop)
            }
            (Some((why, at)), _) => {
                let park = outcome == DeliveryOutcome::Parked;
                self.store.inbox_failed(record.id, why, at, park).await
            }
        };
        // Counted once written, so that whoever reads the counter then finds
        // the outcome in the store.
        self.stats.record(&record.event, outcome);
        if let Err(e) = written {
            tracing::error!(error = %e, "inbox: cannot record the outcome; the delivery stays pending");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let o = WorkerOptions {
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(60),
            ..WorkerOptions::default()
        };
        for (failed, secs) in [(0, 5), (1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (40, 60)] {
            assert_eq!(o.backoff(failed), Duration::from_secs(secs), "{failed}");
        }
    }

    /// Fails every delivery: temporarily (a rate limit) or permanently (the
    /// engine's refusal).
    struct Failing {
        temporary: bool,
    }

    impl DeliveryHandler for Failing {
        async fn handle(&self, _: &InboxRecord, _: Event) -> Result<Handled, DeliveryError> {
            use crate::forge::ForgeError;
            use crate::rollout::{CommandError, EngineError};
            Err(DeliveryError::Service(if self.temporary {
                ServiceError::from(EngineError::Forge(ForgeError::RateLimited {
                    retry_after_secs: 1,
                }))
            } else {
                ServiceError::from(CommandError::NoSuchRollout(42))
            }))
        }
    }

    async fn outcome_of(temporary: bool) -> InboxRecord {
        use crate::config::store::StoreBackend;
        use crate::store::InboxState;
        let store = Store::open(&StoreBackend::Memory).await.unwrap();
        let now = Timestamp(1_800_000_000_000);
        store
            .inbox_insert("d-1", "ping", r#"{"zen":"z","hook_id":1}"#, now)
            .await
            .unwrap();
        let worker = Worker::new(
            store.clone(),
            Failing { temporary },
            WorkerOptions {
                max_attempts: 5,
                ..WorkerOptions::default()
            },
            Arc::new(WorkerStats::default()),
            Arc::new(Notify::new()),
            crate::clock::from_fn(move || now),
        );
        let record = store.inbox_due(now, 8).await.unwrap().remove(0);
        worker.process(record).await;
        for state in [InboxState::Pending, InboxState::Parked] {
            if let Some(r) = store.inbox_in(state, 8).await.unwrap().pop() {
                return r;
            }
        }
        panic!("the delivery is neither pending nor parked");
    }

    #[tokio::test]
    async fn temporary_failures_are_retried_and_permanent_ones_parked_at_once() {
        use crate::store::InboxState;
        let retried = outcome_of(true).await;
        assert_eq!(retried.state, InboxState::Pending);
        assert_eq!(retried.attempts, 1);
        assert!(
            retried
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("rate limited"))
        );
        let parked = outcome_of(false).await;
        assert_eq!(parked.state, InboxState::Parked);
        assert_eq!(parked.attempts, 1);
        assert_eq!(parked.last_error.as_deref(), Some("no rollout 42"));
    }
}
