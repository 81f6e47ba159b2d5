//! The engine: drives every active rollout of the store through the forge,
//! one `tick(now)` at a time. Each tick: reconcile unconfirmed intents,
//! observe what people did on the live PRs (`lifecycle`: merged, closed,
//! reopened, pushed to), retarget PRs a newer release superseded
//! (`supersede`), open
//! the PRs of the current wave (within the budget), refresh CI of open PRs,
//! merge when allowed, evaluate the gate and act on it.
//!
//! Invariants:
//! - every state change goes through the transition tables and is written
//!   with its audit entry (`apply`);
//! - every external write is preceded by a stored intent and followed by
//!   its confirmation (`open`, `ci`, `commands`); a PR is always looked up
//!   by head branch before one is created, so no target ever gets two;
//! - the engine holds no state between ticks besides the store: dropping it
//!   and building a new one over the same store loses nothing.

use std::collections::BTreeMap;

use super::gate::{self, Counts, GateDecision, GateSnapshot, evaluate_gate};
use super::policy::RolloutPolicy;
use super::state::{IllegalTransition, RolloutState, TargetState, Timestamp};
use crate::forge::{ForgeError, ForgeWrite};
use crate::store::{Audit, RolloutRecord, Store, StoreError, TargetRecord, WaveRecord};

/// Engine settings.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// PRs (repositories) opened per tick at most, over all rollouts.
    pub pr_budget_per_tick: usize,
    /// Automatic retries of a target in `error` before it stays there.
    pub max_error_retries: u32,
    /// Act only while holding this store lease (several engines on one
    /// database); `None`: always act (a single process).
    pub lease: Option<LeaseOptions>,
}

/// The store lease an engine must hold to act.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseOptions {
    /// The lease row (one per set of engines that must not both act).
    pub name: String,
    /// This engine's name (unique among the engines sharing the lease).
    pub holder: String,
    /// How long a renewal holds; renewed at every tick and before every
    /// PR opened, so a tick must be shorter than this.
    pub ttl: std::time::Duration,
    /// The clock renewals read (the wall clock in production). A renewal
    /// during a tick counts its TTL from a fresh reading of it, not from
    /// the tick's start: a tick that outlives the TTL then renews until a
    /// TTL from now instead of writing an expiry already past (which a
    /// waiting standby would take while this engine still acts). `None`:
    /// renewals use the tick's `now` (tests that drive time by hand).
    pub clock: Option<LeaseClock>,
}

/// A clock for lease renewals; see [`LeaseOptions::clock`].
#[derive(Clone)]
pub struct LeaseClock(pub crate::clock::SharedClock);

impl LeaseClock {
    /// The wall clock.
    pub fn system() -> Self {
        LeaseClock(crate::clock::system())
    }
}

impl std::fmt::Debug for LeaseClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LeaseClock")
    }
}

impl PartialEq for LeaseClock {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for LeaseClock {}

impl LeaseOptions {
    /// The engine lease `engine` for `holder`.
    pub fn new(holder: impl Into<String>, ttl: std::time::Duration) -> Self {
        LeaseOptions {
            name: "engine".to_owned(),
            holder: holder.into(),
            ttl,
            clock: None,
        }
    }

    /// Renew from fresh readings of `clock`.
    pub fn with_clock(mut self, clock: LeaseClock) -> Self {
        self.clock = Some(clock);
        self
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            pr_budget_per_tick: 20,
            max_error_retries: 3,
            lease: None,
        }
    }
}

/// An engine failure (a forge failure on one target is not one: it moves
/// that target to `error`).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("forge: {0}")]
    Forge(#[from] ForgeError),
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error("rollout {rollout}: {message}")]
    Rollout { rollout: i64, message: String },
}

/// What one tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Whether this engine held the lease (always with no lease set); when
    /// `false` the tick did nothing.
    pub leader: bool,
    /// The lease was lost during the tick: it stopped acting there.
    pub lost_lease: bool,
    pub reconciled: usize,
    pub opened: usize,
    /// Open PRs moved to a superseding version (same branch, same PR).
    pub retargeted: usize,
    pub ci_changes: usize,
    /// Targets moved by what people did on their PRs (merged, closed,
    /// reopened, pushed to).
    pub pr_changes: usize,
    pub merged: usize,
    /// `(rollout, new wave)`.
    pub advanced: Vec<(i64, u32)>,
    pub halted: Vec<i64>,
    pub completed: Vec<i64>,
    /// Per-target failures met (they moved the target to `error`), and
    /// rollouts whose tick failed (`rollout N: why`; the others ticked).
    pub errors: Vec<String>,
}

/// The rollout engine over a store and a forge.
pub struct Engine<F: ForgeWrite> {
    pub(super) store: Store,
    pub(super) forge: F,
    pub(super) options: EngineOptions,
}

/// Whether a tick reads the live PRs' state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observe {
    /// One (ETag-cached) read per repository with a live PR.
    Prs,
    /// None: a webhook already applied what changed.
    Skip,
}

/// The actor recorded for the engine's own decisions.
pub const ENGINE: &str = "engine";

impl<F: ForgeWrite> Engine<F> {
    pub fn new(store: Store, forge: F, options: EngineOptions) -> Self {
        Engine {
            store,
            forge,
            options,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn forge(&self) -> &F {
        &self.forge
    }

    /// Give back the store and the forge (the engine keeps nothing else).
    pub fn into_parts(self) -> (Store, F) {
        (self.store, self.forge)
    }

    /// One step over every active rollout.
    /// Without the lease (another engine holds it) nothing is done and the
    /// report says `leader: false`.
    pub async fn tick(&self, now: Timestamp) -> Result<TickReport, EngineError> {
        self.tick_with(now, Observe::Prs).await
    }

    /// [`Engine::tick`], reading the live PRs' state or not (a tick right
    /// after a webhook that already told what changed skips the reads).
    pub async fn tick_with(
        &self,
        now: Timestamp,
        observe: Observe,
    ) -> Result<TickReport, EngineError> {
        if !self.hold_lease(now).await? {
            return Ok(TickReport::default());
        }
        let mut report = TickReport {
            leader: true,
            ..TickReport::default()
        };
        self.reconcile(now, &mut report).await?;
        let mut budget = self.options.pr_budget_per_tick;
        for rollout in self.store.active_rollouts().await? {
            if !self.hold_lease(now).await? {
                report.lost_lease = true;
                break;
            }
            // One rollout's failure (a forge error outside any target, a
            // damaged policy, a conflicting write) is that rollout's: it is
            // reported and the other rollouts still tick.
            let id = rollout.id;
            if let Err(e) = self
                .tick_rollout(rollout, now, observe, &mut budget, &mut report)
                .await
            {
                tracing::warn!(rollout = id, error = %e, "rollout tick failed; the others go on");
                report.errors.push(format!("rollout {id}: {e}"));
            }
            if report.lost_lease {
                break;
            }
        }
        Ok(report)
    }

    /// Take or renew the lease (always `true` without one). `now` is the
    /// tick's time; with a [`LeaseClock`] the renewal reads it afresh (never
    /// earlier than `now`), so a long tick does not renew into the past.
    pub async fn hold_lease(&self, now: Timestamp) -> Result<bool, EngineError> {
        match &self.options.lease {
            None => Ok(true),
            Some(l) => {
                let at = match &l.clock {
                    Some(clock) => now.max(clock.0.now()),
                    None => now,
                };
                Ok(self
                    .store
                    .acquire_lease(&l.name, &l.holder, at, l.ttl)
                    .await?)
            }
        }
    }

    /// Give the lease up (a clean stop: another engine takes over at once).
    pub async fn release_lease(&self) -> Result<(), EngineError> {
        if let Some(l) = &self.options.lease {
            self.store.release_lease(&l.name, &l.holder).await?;
        }
        Ok(())
    }

    async fn tick_rollout(
        &self,
        rollout: RolloutRecord,
        now: Timestamp,
        observe: Observe,
        budget: &mut usize,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        if rollout.state == RolloutState::Planned {
            return Ok(());
        }
        if rollout.state == RolloutState::Aborting {
            let done = self.continue_abort(rollout.id, now).await?;
            if !done.pending.is_empty() {
                report
                    .errors
                    .push(format!("rollout {}: {done}", rollout.id));
            }
            return Ok(());
        }
        let policy = self.policy(&rollout)?;
        let mut targets = self.store.targets(rollout.id).await?;
        if observe == Observe::Prs {
            self.observe_prs(&rollout, &mut targets, now, report)
                .await?;
        }
        if rollout.state == RolloutState::Running {
            self.retarget_stale(&rollout, &policy, &mut targets, now, budget, report)
                .await?;
            if report.lost_lease {
                return Ok(());
            }
            self.open_wave(&rollout, &policy, &mut targets, now, budget, report)
                .await?;
            if report.lost_lease {
                return Ok(());
            }
            self.link_lockstep_bodies(&rollout, &policy, &mut targets, now, budget, report)
                .await?;
            if report.lost_lease {
                return Ok(());
            }
        }
        self.refresh_ci(&rollout, &policy, &mut targets, now, report)
            .await?;
        if rollout.state == RolloutState::Running {
            self.gate(rollout, &policy, &targets, now, report).await?;
        }
        Ok(())
    }

    pub(super) fn policy(&self, rollout: &RolloutRecord) -> Result<RolloutPolicy, EngineError> {
        RolloutPolicy::from_json(&rollout.policy).map_err(|e| EngineError::Rollout {
            rollout: rollout.id,
            message: e.to_string(),
        })
    }

    /// Move `target` to `next` (checked against the table) and write it
    /// with its audit entry; `update` changes other fields first.
    pub(super) async fn apply(
        &self,
        target: &mut TargetRecord,
        next: TargetState,
        actor: &str,
        reason: &str,
        now: Timestamp,
        update: impl FnOnce(&mut TargetRecord),
    ) -> Result<(), EngineError> {
        let before = target.state;
        let mut changed = target.clone();
        update(&mut changed);
        if next != before {
            changed.state = before.to(next)?;
            changed.state_since = now;
            changed.last_reason = Some(reason.to_owned());
            if let TargetState::Error(n) = next {
                changed.retries = changed.retries.max(n);
            }
        }
        let audit = (next != before).then(|| Audit {
            rollout_id: Some(target.rollout_id),
            repo: Some(target.repo.clone()),
            actor: actor.to_owned(),
            action: format!("{} {before} -> {next}", target.manifest_path),
            reason: reason.to_owned(),
            at: now,
        });
        if changed == *target {
            return Ok(());
        }
        self.store
            .update_target(&changed, before, audit.as_ref())
            .await?;
        *target = changed;
        Ok(())
    }

    /// Evaluate the gate of the current wave and act on it.
    async fn gate(
        &self,
        rollout: RolloutRecord,
        policy: &RolloutPolicy,
        targets: &[TargetRecord],
        now: Timestamp,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let waves = self.store.waves(rollout.id).await?;
        let k = rollout.current_wave;
        let mut wave = waves
            .iter()
            .find(|w| w.index == k)
            .cloned()
            .unwrap_or(WaveRecord {
                rollout_id: rollout.id,
                index: k,
                ..WaveRecord::default()
            });
        let mut snapshot = snapshot(&rollout, &wave, targets, &policy.gate);
        // Soak starts when the ratio is first met and restarts if lost.
        let met = gate::ratio_met(&snapshot, &policy.gate);
        let met_at = match (met, wave.met_at) {
            (true, None) => Some(now),
            (true, Some(t)) => Some(t),
            (false, _) => None,
        };
        if met_at != wave.met_at {
            wave.met_at = met_at;
            self.store.update_wave(&wave).await?;
            snapshot.met_since = met_at;
        }
        let mut decision = evaluate_gate(&snapshot, &policy.gate, now);
        if decision == GateDecision::Advance {
            // The cascade is looked at only when the wave could advance: it
            // costs the library targets' tags.
            snapshot.awaiting = self.awaited_releases(&rollout, targets, now).await?;
            decision = evaluate_gate(&snapshot, &policy.gate, now);
        }
        match decision {
            GateDecision::Wait { reason, .. } => {
                let text = reason.to_string();
                if rollout.reason.as_deref() != Some(text.as_str())
                    && !matches!(reason, gate::WaitReason::Soaking { .. })
                {
                    self.store
                        .set_rollout_reason(rollout.id, &text, now)
                        .await?;
                }
                Ok(())
            }
            GateDecision::Advance => {
                let why = format!(
                    "gate met: {:.0}% of wave {k} succeeded (threshold {:.0}%), soaked {}s",
                    snapshot.wave_counts.ratio() * 100.0,
                    policy.gate.success_ratio * 100.0,
                    policy.gate.soak.as_secs()
                );
                let id = rollout.id;
                self.advance_wave(rollout, ENGINE, &why, now).await?;
                report.advanced.push((id, k + 1));
                Ok(())
            }
            GateDecision::Halt(why) => {
                let id = rollout.id;
                self.set_state(rollout, RolloutState::Halted, ENGINE, "halted", &why, now)
                    .await?;
                report.halted.push(id);
                Ok(())
            }
            GateDecision::Complete => {
                let id = rollout.id;
                wave.done_at = Some(now);
                self.store.update_wave(&wave).await?;
                self.set_state(
                    rollout,
                    RolloutState::Completed,
                    ENGINE,
                    "completed",
                    "every wave met the gate and every target is settled",
                    now,
                )
                .await?;
                report.completed.push(id);
                Ok(())
            }
        }
    }

    /// Open the next wave (gate or operator).
    pub(super) async fn advance_wave(
        &self,
        rollout: RolloutRecord,
        actor: &str,
        why: &str,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        let k = rollout.current_wave;
        let expected = (rollout.state, k);
        let mut next = rollout.clone();
        next.state = rollout.state.to(rollout.state)?;
        next.current_wave = k + 1;
        next.reason = None;
        self.store
            .update_rollout(
                &next,
                expected,
                &Audit {
                    rollout_id: Some(rollout.id),
                    repo: None,
                    actor: actor.to_owned(),
                    action: format!("wave {} opened", k + 1),
                    reason: why.to_owned(),
                    at: now,
                },
            )
            .await?;
        for w in self.store.waves(rollout.id).await? {
            let mut w2 = w.clone();
            if w.index == k && w.done_at.is_none() {
                w2.done_at = Some(now);
            }
            if w.index == k + 1 && w.opened_at.is_none() {
                w2.opened_at = Some(now);
            }
            if w2 != w {
                self.store.update_wave(&w2).await?;
            }
        }
        Ok(())
    }

    /// Move the rollout to `next` (checked), with its audit entry.
    pub(super) async fn set_state(
        &self,
        rollout: RolloutRecord,
        next: RolloutState,
        actor: &str,
        action: &str,
        why: &str,
        now: Timestamp,
    ) -> Result<RolloutRecord, EngineError> {
        let expected = (rollout.state, rollout.current_wave);
        let mut changed = rollout.clone();
        changed.state = rollout.state.to(next)?;
        changed.state_since = now;
        changed.reason = Some(why.to_owned());
        self.store
            .update_rollout(
                &changed,
                expected,
                &Audit {
                    rollout_id: Some(rollout.id),
                    repo: None,
                    actor: actor.to_owned(),
                    action: format!("{action} ({} -> {next})", rollout.state),
                    reason: why.to_owned(),
                    at: now,
                },
            )
            .await?;
        Ok(changed)
    }
}

/// The gate's view of a rollout at its current wave.
pub fn snapshot(
    rollout: &RolloutRecord,
    wave: &WaveRecord,
    targets: &[TargetRecord],
    policy: &gate::GatePolicy,
) -> GateSnapshot {
    let k = rollout.current_wave;
    GateSnapshot {
        state: rollout.state,
        wave: k as usize,
        last_wave: k + 1 >= rollout.wave_count,
        wave_counts: Counts::of(
            targets.iter().filter(|t| t.wave == k).map(|t| t.state),
            policy,
        ),
        rollout_counts: Counts::of(targets.iter().map(|t| t.state), policy),
        met_since: wave.met_at,
        awaiting: Vec::new(),
        failures: failures(targets),
    }
}

/// The targets whose CI failed, with their failing checks, for the gate's
/// clustering rule (one entry per target; the gate counts repositories).
pub fn failures(targets: &[TargetRecord]) -> Vec<gate::TargetFailure> {
    targets
        .iter()
        .filter(|t| t.state == TargetState::CiFailed)
        .map(|t| gate::TargetFailure {
            wave: t.wave,
            repo: t.repo.clone(),
            checks: t
                .failing_checks
                .iter()
                .map(|c| gate::FailedCheck {
                    name: c.name.clone(),
                    first_error: c.first_error.clone(),
                })
                .collect(),
        })
        .collect()
}

/// Targets grouped by repository (one PR per repository), in name order;
/// indexes into `targets`.
pub(super) fn by_repo(targets: &[TargetRecord]) -> BTreeMap<&str, Vec<usize>> {
    let mut map: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, t) in targets.iter().enumerate() {
        map.entry(t.repo.as_str()).or_default().push(i);
    }
    map
}
