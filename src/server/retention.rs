//! The retention task of `serve`: every interval, the lease holder prunes
//! what the store may forget ([`Store::prune`]: old processed webhook
//! payloads, confirmed intents, the ETag cache beyond its bound).
//! Standbys do nothing (one pruner per database).

use std::time::Duration;

use tokio::sync::watch;

use crate::server::inbox::Now;
use crate::server::lease::Lease;
use crate::store::{Retention, Store};

/// How often `serve` prunes.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Prunes at start and then every `every`, while this replica leads, until
/// `shutdown`.
pub async fn run(
    store: Store,
    retention: Retention,
    lease: Lease,
    every: Duration,
    now: Now,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            break;
        }
        if lease.is_leader() {
            match store.prune(&retention, now.now()).await {
                Ok(pruned) => tracing::info!(
                    inbox_payloads = pruned.inbox_payloads,
                    intents = pruned.intents,
                    etag_entries = pruned.etag_entries,
                    "retention: pruned"
                ),
                Err(e) => tracing::warn!(error = %e, "retention: cannot prune; next time"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
}
