//! The rollout service: the one way into the engine for every front end.
//!
//! The `rollout` CLI, `serve`'s webhook applier, `/wavebump` comment
//! commands, the status page's actions and the demo's steering each build
//! a [`Request`], hand it to [`RolloutService::handle`] and render the
//! typed [`Outcome`] (or [`ServiceError`]). The service owns the engine,
//! the lock that serialises its use, settling (ticking again while waves
//! advance, so a new wave opens at once) and announcing (the ids of
//! changed rollouts, to the status page's live updates).
//!
//! Invariants:
//! - every engine call that changes state runs under [`RolloutService`]'s
//!   lock, so two ticks, or a tick and a command, never interleave;
//! - slow work that needs no lock runs before it is taken: discovery and
//!   planning of a new version (`version`), finding the target of a CI or
//!   PR event (store reads);
//! - after a change the service settles (when built with
//!   [`ServiceOptions::settle`]: `serve`; the CLI's engine holds no lease,
//!   so it never ticks on its own) and announces the rollouts it touched.

mod error;
pub mod matching;
mod verb;
mod version;

use std::sync::Arc;

use tokio::sync::{Mutex, MutexGuard, broadcast};

use crate::config::Config;
use crate::forge::ForgeWrite;
use crate::rollout::{Engine, EngineError, RolloutState, TickReport, Timestamp};

pub use error::{ServiceError, engine_is_temporary, forge_is_temporary, store_is_temporary};
pub use verb::Verb;
pub use version::{NewVersion, VersionOutcome, VersionSource, parse_version};

/// Ticks made in a row while waves keep advancing.
pub const MAX_SETTLE_TICKS: usize = 8;

/// The clock the service reads for requests that carry no time.
pub type Clock = crate::clock::SharedClock;

/// Why the engine ticked (a metrics label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TickTrigger {
    /// The reconcile loop's interval.
    Reconcile,
    /// A delivery (CI, pull request, release, command).
    Delivery,
    /// An operator's action (page, CLI, comment).
    Operator,
}

impl TickTrigger {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            TickTrigger::Reconcile => "reconcile",
            TickTrigger::Delivery => "delivery",
            TickTrigger::Operator => "operator",
        }
    }
}

/// Told about every engine tick (serve counts them for `/metrics`).
pub trait TickObserver: Send + Sync {
    /// One tick ran, successfully or not.
    fn ticked(&self, trigger: TickTrigger, ok: bool);
}

/// How the service behaves after a change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceOptions {
    /// Tick (and tick again while a wave advanced) after every change, and
    /// on [`Request::Tick`]; without it a `Tick` is one engine tick and
    /// nothing else ticks.
    pub settle: bool,
}

/// An operator's action on a rollout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorRequest {
    /// Who acts (recorded in the audit log).
    pub actor: String,
    /// The rollout.
    pub rollout: i64,
    /// What to do.
    pub verb: Verb,
    /// The repository, for `retry` and `skip`.
    pub repo: Option<String>,
    /// Why (pause and skip reasons, the abort comment); may be empty.
    pub reason: String,
}

/// CI changed on a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CiChanged {
    /// `owner/name`.
    pub repo: String,
    /// The commit.
    pub sha: String,
    /// PR numbers GitHub attached to the event.
    pub prs: Vec<u64>,
}

/// A foreign push to a wavebump PR's branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignPush {
    /// Who pushed.
    pub login: String,
    /// The new head.
    pub sha: String,
    /// The branch.
    pub head_ref: String,
}

/// What happened to a pull request. Every change but a review makes the
/// engine read the PR's state afresh (the forge's answer is the truth:
/// deliveries may come out of order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrChange {
    /// Closed, merged or not.
    Closed,
    Reopened,
    /// Title, body or base edited.
    Edited,
    /// New commits; `foreign` when someone else than the bot pushed (the
    /// branch is then left to its owner, for good).
    Synchronize {
        foreign: Option<ForeignPush>,
    },
    /// A review submitted (`Some`: approved or changes requested) or
    /// dismissed (`None`).
    Review {
        login: String,
        review: Option<crate::store::ReviewState>,
        /// When it was submitted (RFC 3339).
        at: Option<String>,
    },
}

impl PrChange {
    /// The event's action name.
    pub fn name(&self) -> &'static str {
        match self {
            PrChange::Closed => "closed",
            PrChange::Reopened => "reopened",
            PrChange::Edited => "edited",
            PrChange::Synchronize { .. } => "synchronize",
            PrChange::Review { review: None, .. } => "review dismissed",
            PrChange::Review { .. } => "review submitted",
        }
    }
}

/// A pull request of a target changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrChanged {
    /// `owner/name`.
    pub repo: String,
    /// The PR number.
    pub number: u64,
    /// What happened.
    pub change: PrChange,
    /// Who told us (recorded when the change is audited).
    pub actor: String,
    /// The login of who acted (a webhook's sender), when known: named as
    /// the closer of a PR closed without merging.
    pub sender: Option<String>,
}

/// What a front end asks of the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Start (or supersede with) a version of the library.
    NewVersion(NewVersion),
    /// An operator's verb.
    Operator(OperatorRequest),
    /// CI changed on a commit.
    CiChanged(CiChanged),
    /// A pull request changed.
    PrChanged(PrChanged),
    /// Drive every rollout one step (settled when the service settles).
    Tick {
        now: Timestamp,
        trigger: TickTrigger,
    },
}

/// A target and its rollout, as an outcome names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetRef {
    pub rollout: i64,
    pub repo: String,
}

/// What a request did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// See [`VersionOutcome`].
    Version(VersionOutcome),
    /// The operator's verb was carried out; the rollout is now `state`.
    Acted {
        rollout: i64,
        verb: Verb,
        state: RolloutState,
        reason: Option<String>,
        /// What the action has to say beyond the state (abort: what was
        /// closed and what is still to close).
        answer: Option<String>,
    },
    /// CI of a target's PR was refreshed.
    CiRefreshed(TargetRef),
    /// The commit is no PR head known yet, but a target of its repository
    /// waits for its PR to be recorded: the event may be for that PR.
    CiAwaitingPr(TargetRef),
    /// A target's PR changed and the engine took it in; `notes` says what
    /// moved (empty: nothing did).
    PrUpdated {
        target: TargetRef,
        number: u64,
        notes: Vec<String>,
    },
    /// Not about any target, with why.
    NotOurs(String),
    /// What the tick(s) did.
    Ticked(TickReport),
}

/// The engine held under the service's lock (see [`RolloutService::lock`]).
pub struct EngineGuard<'a, F: ForgeWrite> {
    _guard: MutexGuard<'a, ()>,
    engine: &'a Engine<F>,
}

impl<F: ForgeWrite> std::ops::Deref for EngineGuard<'_, F> {
    type Target = Engine<F>;
    fn deref(&self) -> &Engine<F> {
        self.engine
    }
}

/// The engine, its lock, settling and announcing.
pub struct RolloutService<F: ForgeWrite> {
    engine: Arc<Engine<F>>,
    lock: Mutex<()>,
    config: Option<Arc<Config>>,
    options: ServiceOptions,
    clock: Clock,
    changes: broadcast::Sender<i64>,
    observer: Option<Arc<dyn TickObserver>>,
    progress: Option<Box<dyn Fn(usize, usize) + Send + Sync>>,
}

impl<F: ForgeWrite> RolloutService<F> {
    /// A service over `engine`; changes are announced on `changes`, the
    /// time of requests without one is read from `clock`.
    pub fn new(
        engine: Arc<Engine<F>>,
        options: ServiceOptions,
        clock: Clock,
        changes: broadcast::Sender<i64>,
    ) -> Self {
        RolloutService {
            engine,
            lock: Mutex::new(()),
            config: None,
            options,
            clock,
            changes,
            observer: None,
            progress: None,
        }
    }

    /// The configuration new versions are planned with.
    pub fn with_config(mut self, config: Arc<Config>) -> Self {
        self.config = Some(config);
        self
    }

    /// Tell `observer` about every tick.
    pub fn with_observer(mut self, observer: Arc<dyn TickObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Report discovery progress (`done`, `total` repositories).
    pub fn with_progress(mut self, progress: Box<dyn Fn(usize, usize) + Send + Sync>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The engine, for reads (the store, the forge). Changing state goes
    /// through [`RolloutService::handle`].
    pub fn engine(&self) -> &Engine<F> {
        &self.engine
    }

    /// The clock's reading.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The channel changed rollout ids are announced on.
    pub fn changes(&self) -> &broadcast::Sender<i64> {
        &self.changes
    }

    /// Announces that rollout `id` changed (nobody listening is fine).
    pub fn announce(&self, id: i64) {
        let _ = self.changes.send(id);
    }

    /// Exclusive use of the engine, for a driver that reads several things
    /// in step with its own ticks (the demo's loop) and for test set-up.
    /// Requests wait until the guard is dropped. Front ends use
    /// [`RolloutService::handle`].
    pub async fn lock(&self) -> EngineGuard<'_, F> {
        EngineGuard {
            _guard: self.lock.lock().await,
            engine: &self.engine,
        }
    }

    /// [`Request::Tick`], for drivers that want the report.
    pub async fn tick(
        &self,
        now: Timestamp,
        trigger: TickTrigger,
    ) -> Result<TickReport, ServiceError> {
        match self.handle(Request::Tick { now, trigger }).await? {
            Outcome::Ticked(report) => Ok(report),
            _ => Ok(TickReport::default()),
        }
    }

    /// Carries out `request`.
    pub async fn handle(&self, request: Request) -> Result<Outcome, ServiceError> {
        match request {
            Request::NewVersion(v) => self.new_version(v).await,
            Request::Operator(op) => self.operator(op).await,
            Request::CiChanged(ci) => self.ci_changed(ci).await,
            Request::PrChanged(pr) => self.pr_changed(pr).await,
            Request::Tick { now, trigger } => {
                let _guard = self.lock.lock().await;
                let report = if self.options.settle {
                    self.settle(now, trigger).await?
                } else {
                    let report = self.engine.tick(now).await;
                    self.observe(trigger, report.is_ok());
                    let report = report?;
                    self.announce_report(&report).await?;
                    report
                };
                Ok(Outcome::Ticked(report))
            }
        }
    }

    async fn operator(&self, op: OperatorRequest) -> Result<Outcome, ServiceError> {
        let _guard = self.lock.lock().await;
        let now = self.now();
        let answer = op
            .verb
            .run(
                &self.engine,
                op.rollout,
                op.repo.as_deref(),
                &op.actor,
                &op.reason,
                now,
            )
            .await?;
        tracing::info!(rollout = op.rollout, operator = %op.actor, action = op.verb.name(), "operator action");
        self.announce(op.rollout);
        if let Err(err) = self.settle_after_change(now, TickTrigger::Operator).await {
            tracing::warn!(rollout = op.rollout, error = %err, "tick after the operator action failed");
        }
        let r = self
            .engine
            .store()
            .rollout(op.rollout)
            .await?
            .ok_or(ServiceError::Refused(
                crate::rollout::CommandError::NoSuchRollout(op.rollout),
            ))?;
        Ok(Outcome::Acted {
            rollout: op.rollout,
            verb: op.verb,
            state: r.state,
            reason: r.reason,
            answer,
        })
    }

    async fn ci_changed(&self, ci: CiChanged) -> Result<Outcome, ServiceError> {
        let store = self.engine.store();
        let found = matching::by_commit(store, &ci.repo, &ci.sha, &ci.prs).await?;
        let Some(found) = found else {
            return Ok(match matching::awaiting_pr(store, &ci.repo).await? {
                Some(w) => Outcome::CiAwaitingPr(TargetRef {
                    rollout: w.rollout.id,
                    repo: w.target.repo,
                }),
                None => Outcome::NotOurs(format!(
                    "{}@{} is not the head of a wavebump PR",
                    ci.repo, ci.sha
                )),
            });
        };
        let _guard = self.lock.lock().await;
        let now = self.now();
        // CI on a head the engine has not recorded: someone pushed to the
        // PR (the push's own delivery may come later). Read the PR first,
        // so CI is tracked on the new head.
        if found.target.head_sha.as_deref() != Some(ci.sha.as_str())
            && let Some(number) = found.target.pr_number
        {
            self.engine
                .observe_pr(found.rollout.id, &found.target.repo, number, None, now)
                .await?;
        }
        self.settle_after_change(now, TickTrigger::Delivery).await?;
        Ok(Outcome::CiRefreshed(TargetRef {
            rollout: found.rollout.id,
            repo: found.target.repo,
        }))
    }

    async fn pr_changed(&self, pr: PrChanged) -> Result<Outcome, ServiceError> {
        let store = self.engine.store();
        let Some(found) = matching::by_pr(store, &pr.repo, pr.number, true).await? else {
            return Ok(Outcome::NotOurs(format!(
                "{}#{} is not a wavebump PR of an active rollout",
                pr.repo, pr.number
            )));
        };
        let _guard = self.lock.lock().await;
        let now = self.now();
        if let PrChange::Synchronize {
            foreign: Some(push),
        } = &pr.change
        {
            let why = format!(
                "{} pushed {} to {}; wavebump will not overwrite it",
                push.login, push.sha, push.head_ref
            );
            tracing::warn!(repo = %found.target.repo, "{why}");
            // The flag is set once and never cleared: supersede and retry
            // leave this branch to its owner from now on.
            let audit = crate::store::Audit {
                rollout_id: Some(found.rollout.id),
                repo: Some(found.target.repo.clone()),
                actor: pr.actor.clone(),
                action: "branch edited by a human".to_owned(),
                reason: why.clone(),
                at: now,
            };
            store
                .mark_human_edited(found.rollout.id, &found.target.repo, &why, &audit)
                .await?;
        }
        let (id, repo) = (found.rollout.id, found.target.repo.as_str());
        let seen = match &pr.change {
            PrChange::Review { login, review, at } => {
                let seen = crate::rollout::ReviewSeen {
                    login: login.clone(),
                    review: *review,
                    at: at.clone(),
                };
                self.engine
                    .record_review(id, repo, pr.number, &seen, now)
                    .await?
            }
            _ => {
                self.engine
                    .observe_pr(id, repo, pr.number, pr.sender.as_deref(), now)
                    .await?
            }
        };
        self.settle_after_change(now, TickTrigger::Delivery).await?;
        Ok(Outcome::PrUpdated {
            target: TargetRef {
                rollout: found.rollout.id,
                repo: found.target.repo,
            },
            number: pr.number,
            notes: seen.notes,
        })
    }

    /// After a change: settle when the service settles. The lock is held.
    async fn settle_after_change(
        &self,
        now: Timestamp,
        trigger: TickTrigger,
    ) -> Result<TickReport, EngineError> {
        if self.options.settle {
            self.settle(now, trigger).await
        } else {
            Ok(TickReport::default())
        }
    }

    fn observe(&self, trigger: TickTrigger, ok: bool) {
        if let Some(o) = &self.observer {
            o.ticked(trigger, ok);
        }
    }

    /// Tick; tick again while a wave advanced (at most
    /// [`MAX_SETTLE_TICKS`]). The reports are merged; when anything
    /// changed, the active rollouts (and those that just completed or
    /// halted) are announced. The lock is held.
    async fn settle(
        &self,
        now: Timestamp,
        trigger: TickTrigger,
    ) -> Result<TickReport, EngineError> {
        let mut total = TickReport::default();
        for n in 0..MAX_SETTLE_TICKS {
            // A delivery already applied what it told; the other triggers'
            // first tick reads the live PRs (ETag-cached).
            let observe = if n == 0 && trigger != TickTrigger::Delivery {
                crate::rollout::Observe::Prs
            } else {
                crate::rollout::Observe::Skip
            };
            let report = self.engine.tick_with(now, observe).await;
            self.observe(trigger, report.is_ok());
            let report = report?;
            let again = !report.advanced.is_empty();
            merge(&mut total, report);
            if !again {
                break;
            }
        }
        log_report(&total, trigger);
        self.announce_report(&total).await?;
        Ok(total)
    }

    async fn announce_report(&self, report: &TickReport) -> Result<(), EngineError> {
        let quiet = TickReport {
            leader: report.leader,
            ..TickReport::default()
        };
        if *report == quiet || self.changes.receiver_count() == 0 {
            return Ok(());
        }
        let mut ids: Vec<i64> = self
            .engine
            .store()
            .active_rollouts()
            .await?
            .iter()
            .map(|r| r.id)
            .collect();
        ids.extend(report.completed.iter().chain(&report.halted));
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            self.announce(id);
        }
        Ok(())
    }
}

fn merge(total: &mut TickReport, r: TickReport) {
    total.leader |= r.leader;
    total.lost_lease |= r.lost_lease;
    total.reconciled += r.reconciled;
    total.opened += r.opened;
    total.retargeted += r.retargeted;
    total.ci_changes += r.ci_changes;
    total.pr_changes += r.pr_changes;
    total.merged += r.merged;
    total.advanced.extend(r.advanced);
    total.halted.extend(r.halted);
    total.completed.extend(r.completed);
    total.errors.extend(r.errors);
}

fn log_report(r: &TickReport, trigger: TickTrigger) {
    if r.opened + r.ci_changes + r.pr_changes + r.merged + r.reconciled + r.retargeted == 0
        && r.advanced.is_empty()
        && r.halted.is_empty()
        && r.completed.is_empty()
        && r.errors.is_empty()
    {
        tracing::debug!(trigger = trigger.as_str(), "tick: nothing to do");
        return;
    }
    tracing::info!(
        trigger = trigger.as_str(),
        reconciled = r.reconciled,
        opened = r.opened,
        ci_changes = r.ci_changes,
        pr_changes = r.pr_changes,
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
