//! The reconcile loop: `engine.tick(now)` every interval, the source of
//! truth when webhooks are lost (GitHub does not redeliver on its own).
//!
//! Invariant: a tick is a `Request::Tick` to the rollout service (under
//! its engine lock), so it never
//! interleaves with the worker; it runs only while this replica holds the
//! lease (see [`crate::server::lease`]), and at once when it becomes
//! leader; a failed tick is logged and counted and the loop goes on;
//! shutdown is looked at between ticks only.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::Instrument;

use crate::forge::ForgeWrite;
use crate::rollout::service::{RolloutService, TickTrigger};
use crate::server::inbox::Now;
use crate::server::lease::Lease;

/// Ticks every `interval` until `shutdown` becomes true. The first tick
/// runs right away (a restart catches up at once), and so does the first
/// after this replica took the lease over.
pub async fn run<F: ForgeWrite>(
    service: Arc<RolloutService<F>>,
    lease: Lease,
    interval: Duration,
    now: Now,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::info!(
        interval_ms = interval.as_millis() as u64,
        "reconcile loop started"
    );
    loop {
        if *shutdown.borrow() {
            break;
        }
        if lease.hold(now.now()).await {
            async {
                if let Err(e) = service.tick(now.now(), TickTrigger::Reconcile).await {
                    tracing::error!(error = %e, "reconcile tick failed");
                }
            }
            .instrument(tracing::info_span!("reconcile"))
            .await;
        } else {
            tracing::debug!("reconcile: another replica holds the lease");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = lease.became_leader() => {}
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    tracing::info!("reconcile loop stopped");
}
