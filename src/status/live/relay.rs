//! Changes across replicas: the store's change feed, polled.
//!
//! Each replica runs one [`Relay`]. What is announced on its own `changes`
//! channel (by its engine or its page actions) is appended to the store's
//! `change_feed` with the replica's random origin id; every
//! [`Relay::poll`] interval it reads the rows after the last it saw and
//! sends the other replicas' rollout ids on its own channel, so the pages
//! open on it refresh. Rows older than [`KEEP`] are pruned.
//!
//! Why a polled feed and not PostgreSQL `LISTEN/NOTIFY`: it works the same
//! on SQLite and PostgreSQL; a replica that loses its connection catches
//! up from its last sequence number instead of silently missing
//! notifications sent while it was away; it needs no dedicated connection
//! outside the pool (sqlx's `Any` pool has no listener). The cost is one
//! indexed query per interval and a delay of at most one interval.
//!
//! Invariants: a change is written to the feed once, by the replica it was
//! announced on (ids this relay itself brought in from the feed are not
//! written back: an echo count per id tells them apart); a replica never
//! re-announces its own rows; rows committed out of sequence order
//! (PostgreSQL) are still seen within a window of [`WINDOW`] numbers.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

use crate::status::Change;
use crate::store::Store;

/// How long feed rows are kept.
pub const KEEP: Duration = Duration::from_secs(600);
/// How far below the highest sequence number seen the poll looks again.
pub const WINDOW: i64 = 1000;
/// Rows read per query.
const BATCH: i64 = 500;

/// One replica's bridge between its `changes` channel and the store.
pub struct Relay {
    store: Store,
    changes: broadcast::Sender<Change>,
    rx: broadcast::Receiver<Change>,
    origin: String,
    poll: Duration,
    echoes: Mutex<HashMap<Change, u32>>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Relay {
    /// A relay for `changes`, polling every `poll`; subscribed from now
    /// on (nothing announced after this call is missed).
    pub fn new(store: Store, changes: broadcast::Sender<Change>, poll: Duration) -> Relay {
        let origin = crate::status::session::random_token()
            .map(|t| t.chars().take(16).collect())
            .unwrap_or_else(|| format!("pid-{}", std::process::id()));
        Relay {
            store,
            rx: changes.subscribe(),
            changes,
            origin,
            poll: poll.max(Duration::from_millis(10)),
            echoes: Mutex::default(),
        }
    }

    /// Bridges until `shutdown` turns true.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut seen: BTreeSet<i64> = BTreeSet::new();
        let start = match self.store.last_change().await {
            Ok(seq) => seq,
            Err(e) => {
                tracing::warn!(error = %e, "change feed: cannot read the last change");
                0
            }
        };
        let mut high = start;
        let mut tick = tokio::time::interval(self.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut pruned = Instant::now();
        loop {
            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        break;
                    }
                }
                got = self.rx.recv() => match got {
                    Ok(id) => self.publish(id).await,
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "change feed: announcements lost (channel lagged)");
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    high = self.pull(high, start, &mut seen).await;
                    if pruned.elapsed() >= Duration::from_secs(60) {
                        pruned = Instant::now();
                        let before = now_ms().saturating_sub(KEEP.as_millis() as i64);
                        if let Err(e) = self.store.prune_changes(before).await {
                            tracing::warn!(error = %e, "change feed: cannot prune");
                        }
                    }
                }
            }
        }
    }

    /// Writes a change announced here, unless it is an echo of one this
    /// relay brought in.
    async fn publish(&self, id: Change) {
        {
            let mut echoes = self.echoes.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = echoes.get_mut(&id) {
                *n -= 1;
                if *n == 0 {
                    echoes.remove(&id);
                }
                return;
            }
        }
        if let Err(e) = self.store.publish_change(id, &self.origin, now_ms()).await {
            tracing::warn!(error = %e, rollout = id, "change feed: cannot publish");
        }
    }

    /// Reads the feed after `high - WINDOW`, announces the other replicas'
    /// rows not seen yet (and later than `start`, the feed's end when this
    /// relay started) here; the new highest sequence number.
    async fn pull(&self, mut high: i64, start: i64, seen: &mut BTreeSet<i64>) -> i64 {
        let floor = high.saturating_sub(WINDOW);
        let mut after = floor;
        loop {
            let rows = match self.store.changes_after(after, BATCH).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "change feed: cannot poll");
                    return high;
                }
            };
            let full = rows.len() as i64 == BATCH;
            for row in rows {
                after = row.seq;
                high = high.max(row.seq);
                if row.seq <= start || !seen.insert(row.seq) || row.origin == self.origin {
                    continue;
                }
                {
                    let mut echoes = self.echoes.lock().unwrap_or_else(|p| p.into_inner());
                    *echoes.entry(row.rollout_id).or_insert(0) += 1;
                }
                // This relay's own receiver listens: the send reaches it
                // (as the echo) and every open page.
                let _ = self.changes.send(row.rollout_id);
            }
            if !full {
                break;
            }
        }
        let keep_from = high.saturating_sub(WINDOW);
        *seen = seen.split_off(&keep_from);
        high
    }
}
