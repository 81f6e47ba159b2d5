//! The engine shared by the worker and the reconcile loop, behind one lock
//! so that two ticks (or a tick and a command) never interleave.
//!
//! Invariant: every use of the engine inside `serve` goes through
//! [`SharedEngine::lock`]; a tick that advanced a wave is followed at once
//! by another (bounded), so the new wave's PRs open without waiting for
//! the next event or the reconcile interval.

use std::sync::Arc;

use tokio::sync::{Mutex, MutexGuard, broadcast};

use crate::forge::ForgeWrite;
use crate::rollout::{Engine, EngineError, TickReport, Timestamp};
use crate::server::metrics::{TickTrigger, WorkerStats};

/// Ticks made in a row while waves keep advancing.
pub const MAX_SETTLE_TICKS: usize = 8;

/// Where ticks are counted and rollout changes announced (to the status
/// page's live updates).
#[derive(Clone, Debug)]
pub struct TickContext {
    /// Tick counters.
    pub stats: Arc<WorkerStats>,
    /// Ids of rollouts that changed; sending fails harmlessly when nobody
    /// listens.
    pub changes: broadcast::Sender<i64>,
}

impl TickContext {
    /// Announces that rollout `id` changed.
    pub fn announce(&self, id: i64) {
        let _ = self.changes.send(id);
    }
}

/// The engine behind a lock.
pub struct SharedEngine<F: ForgeWrite> {
    engine: Mutex<Engine<F>>,
    ctx: TickContext,
}

impl<F: ForgeWrite> SharedEngine<F> {
    /// Wraps `engine`; ticks are counted and announced through `ctx`.
    pub fn new(engine: Engine<F>, ctx: TickContext) -> Self {
        SharedEngine {
            engine: Mutex::new(engine),
            ctx,
        }
    }

    /// Exclusive use of the engine.
    pub async fn lock(&self) -> MutexGuard<'_, Engine<F>> {
        self.engine.lock().await
    }

    /// Locks and [`settle`]s.
    pub async fn tick(
        &self,
        now: Timestamp,
        trigger: TickTrigger,
    ) -> Result<TickReport, EngineError> {
        let engine = self.lock().await;
        settle(&engine, now, trigger, &self.ctx).await
    }

    /// Where ticks are counted and changes announced.
    pub fn ctx(&self) -> &TickContext {
        &self.ctx
    }
}

/// Tick; tick again while a wave advanced (at most [`MAX_SETTLE_TICKS`]).
/// The reports are merged; when anything changed, the active rollouts (and
/// those that just completed or halted) are announced.
pub async fn settle<F: ForgeWrite>(
    engine: &Engine<F>,
    now: Timestamp,
    trigger: TickTrigger,
    ctx: &TickContext,
) -> Result<TickReport, EngineError> {
    let mut total = TickReport::default();
    for _ in 0..MAX_SETTLE_TICKS {
        let report = engine.tick(now).await;
        ctx.stats.record_tick(trigger, report.is_ok());
        let report = report?;
        let again = !report.advanced.is_empty();
        merge(&mut total, report);
        if !again {
            break;
        }
    }
    log_report(&total, trigger);
    if total != TickReport::default() && ctx.changes.receiver_count() > 0 {
        let mut ids: Vec<i64> = engine
            .store()
            .active_rollouts()
            .await?
            .iter()
            .map(|r| r.id)
            .collect();
        ids.extend(total.completed.iter().chain(&total.halted));
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            ctx.announce(id);
        }
    }
    Ok(total)
}

fn merge(total: &mut TickReport, r: TickReport) {
    total.reconciled += r.reconciled;
    total.opened += r.opened;
    total.ci_changes += r.ci_changes;
    total.merged += r.merged;
    total.advanced.extend(r.advanced);
    total.halted.extend(r.halted);
    total.completed.extend(r.completed);
    total.errors.extend(r.errors);
}

fn log_report(r: &TickReport, trigger: TickTrigger) {
    if *r == TickReport::default() {
        tracing::debug!(trigger = trigger.as_str(), "tick: nothing to do");
        return;
    }
    tracing::info!(
        trigger = trigger.as_str(),
        reconciled = r.reconciled,
        opened = r.opened,
        ci_changes = r.ci_changes,
        merged = r.merged,
        advanced = ?r.advanced,
        halted = ?r.halted,
        completed = ?r.completed,
        "tick"
    );
    for e in &r.errors {
        tracing::warn!(trigger = trigger.as_str(), error = %e, "tick: target error");
    }
}
