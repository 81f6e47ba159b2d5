//! High availability between `wavebump serve` replicas on one database:
//! the store lease ([`Store::acquire_lease`], the same row as the engine's
//! [`LeaseOptions`]) elects the one replica that drains the inbox and runs
//! the reconcile loop; the others stand by, receive webhooks (the inbox is
//! shared) and serve the status page.
//!
//! [`Lease::hold`] takes or renews the lease; [`keep`] renews it on an
//! interval (shorter than the TTL) so an idle leader stays leader, and wakes
//! the reconcile loop when this replica becomes leader (a standby catches up
//! at once when it takes over). A leader that dies stops renewing; a
//! standby takes over once the TTL has run out — within `ttl + renew
//! interval`. A clean stop releases the lease, so the hand-over is at once.
//!
//! Invariants: without lease options this replica is always leader (a
//! single process); a store failure counts as not holding the lease (never
//! act on a guess); the worker asks [`Lease::hold`] right before every
//! delivery and the engine checks the same lease at every tick, so a
//! replica that stalled past its TTL does nothing when it wakes up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::rollout::LeaseOptions;
use crate::server::inbox::Now;
use crate::store::Store;

/// This replica's view of the lease. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Lease {
    store: Store,
    options: Option<LeaseOptions>,
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    /// One `hold` at a time per replica: the store call and the change of
    /// `leader` happen together, so the "taken"/"lost" log lines follow the
    /// store's answers in order.
    holding: tokio::sync::Mutex<()>,
    leader: AtomicBool,
    /// `hold` calls so far (a sync point for tests and a liveness sign).
    attempts: AtomicU64,
    /// Times this replica became leader.
    terms: AtomicU64,
    became_leader: Notify,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease")
            .field("options", &self.options)
            .field("leader", &self.is_leader())
            .finish_non_exhaustive()
    }
}

impl Lease {
    /// The lease `options` in `store`; `None`: always leader.
    pub fn new(store: Store, options: Option<LeaseOptions>) -> Self {
        let state = State::default();
        state.leader.store(options.is_none(), Ordering::SeqCst);
        Lease {
            store,
            options,
            state: Arc::new(state),
        }
    }

    /// The lease settings, if any.
    pub fn options(&self) -> Option<&LeaseOptions> {
        self.options.as_ref()
    }

    /// Takes or renews the lease at `now`; whether this replica holds it.
    pub async fn hold(&self, now: crate::rollout::Timestamp) -> bool {
        self.state.attempts.fetch_add(1, Ordering::SeqCst);
        let Some(l) = &self.options else {
            return true;
        };
        let _one_at_a_time = self.state.holding.lock().await;
        let held = match self
            .store
            .acquire_lease(&l.name, &l.holder, now, l.ttl)
            .await
        {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(error = %e, "lease: cannot reach the store; standing by");
                false
            }
        };
        let was = self.state.leader.swap(held, Ordering::SeqCst);
        if held && !was {
            self.state.terms.fetch_add(1, Ordering::SeqCst);
            tracing::info!(holder = %l.holder, lease = %l.name, "lease taken: this replica leads");
            // `notify_one` keeps a permit when the reconcile loop is busy.
            self.state.became_leader.notify_one();
        } else if was && !held {
            tracing::warn!(holder = %l.holder, lease = %l.name, "lease lost: standing by");
        }
        held
    }

    /// Whether the last [`Self::hold`] held the lease (always without one).
    pub fn is_leader(&self) -> bool {
        self.state.leader.load(Ordering::SeqCst)
    }

    /// `hold` calls so far.
    pub fn attempts(&self) -> u64 {
        self.state.attempts.load(Ordering::SeqCst)
    }

    /// Times this replica became leader.
    pub fn terms(&self) -> u64 {
        self.state.terms.load(Ordering::SeqCst)
    }

    /// Resolves when this replica next becomes leader.
    pub async fn became_leader(&self) {
        self.state.became_leader.notified().await;
    }

    /// Gives the lease up (a clean stop: a standby takes over at once).
    pub async fn release(&self) {
        let Some(l) = &self.options else {
            return;
        };
        self.state.leader.store(false, Ordering::SeqCst);
        match self.store.release_lease(&l.name, &l.holder).await {
            Ok(()) => tracing::info!(holder = %l.holder, "lease released"),
            Err(e) => tracing::warn!(error = %e, "lease: cannot release; it expires on its own"),
        }
    }
}

/// Renews `lease` every `every` until `shutdown`; then releases it. Without
/// lease options it returns at once.
pub async fn keep(lease: Lease, every: Duration, now: Now, mut shutdown: watch::Receiver<bool>) {
    if lease.options().is_none() {
        return;
    }
    loop {
        if *shutdown.borrow() {
            break;
        }
        lease.hold(now.now()).await;
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    lease.release().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::Timestamp;

    #[tokio::test]
    async fn one_holder_until_the_ttl_runs_out() {
        let store = Store::open_url("sqlite::memory:").await.unwrap();
        let ttl = Duration::from_secs(30);
        let single = Lease::new(store.clone(), None);
        assert!(single.is_leader() && single.hold(Timestamp(0)).await);
        let a = Lease::new(store.clone(), Some(LeaseOptions::new("a", ttl)));
        let b = Lease::new(store.clone(), Some(LeaseOptions::new("b", ttl)));
        assert!(!a.is_leader(), "nobody leads before trying");
        // (time in ms, who tries, holds?, a leads?, b leads?)
        let steps = [
            (0, &a, true, true, false),
            (1_000, &b, false, true, false),
            (20_000, &a, true, true, false),
            (49_999, &b, false, true, false),
            (50_000, &b, true, true, true),
            (50_001, &a, false, false, true),
        ];
        for (i, (at, who, holds, a_leads, b_leads)) in steps.into_iter().enumerate() {
            assert_eq!(who.hold(Timestamp(at)).await, holds, "step {i}");
            assert_eq!(
                (a.is_leader(), b.is_leader()),
                (a_leads, b_leads),
                "step {i}"
            );
        }
        assert_eq!((a.terms(), b.terms()), (1, 1));
        // Becoming leader left a wake-up for the reconcile loop.
        tokio::time::timeout(Duration::from_secs(5), b.became_leader())
            .await
            .unwrap();
        // A clean stop hands over at once.
        b.release().await;
        assert!(!b.is_leader());
        assert!(a.hold(Timestamp(50_002)).await);
        // A renewal never shortens the expiry (an older clock reading).
        assert!(a.hold(Timestamp(50_002)).await);
        let renewed = store.lease("engine").await.unwrap().unwrap().expires_at;
        assert_eq!(renewed, Timestamp(80_002));
        assert!(
            a.hold(Timestamp(50_002 - 10_000)).await,
            "held at an older reading too"
        );
        assert_eq!(
            store.lease("engine").await.unwrap().unwrap().expires_at,
            renewed
        );
        // A closed store: not leader (never act on a guess).
        store.close().await;
        assert!(!a.hold(Timestamp(50_003)).await);
        assert!(!a.is_leader());
    }

    /// At start-up the renewal task, the worker and the reconcile loop of
    /// one replica all ask for the lease at once, each with its own clock
    /// reading, over several connections: the replica takes it once and
    /// never reports it lost (it used to log taken → lost → taken within
    /// milliseconds when a later renewal overwrote an earlier one's expiry
    /// before that one read it back).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn start_up_takes_the_lease_once_without_flapping() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("lease.db").display());
        let store = Store::open_url(&url).await.unwrap();
        let ttl = Duration::from_secs(30);
        for round in 0..20i64 {
            let name = format!("r{round}");
            let lease = Lease::new(store.clone(), Some(LeaseOptions::new(name, ttl)));
            let base = 1_000_000 * (round + 1);
            // Twelve callers; their readings arrive out of order.
            let calls: Vec<_> = (0..12i64)
                .map(|i| {
                    let lease = lease.clone();
                    let at = Timestamp(base + (i * 7919) % 13);
                    tokio::spawn(async move { lease.hold(at).await })
                })
                .collect();
            for call in calls {
                assert!(
                    call.await.unwrap(),
                    "round {round}: a caller saw the lease lost"
                );
            }
            assert_eq!(lease.terms(), 1, "round {round}: taken more than once");
            assert!(lease.is_leader());
            // Another holder could not take it meanwhile.
            let other = Lease::new(store.clone(), Some(LeaseOptions::new("other", ttl)));
            assert!(!other.hold(Timestamp(base + 20)).await);
            lease.release().await;
        }
    }
}
