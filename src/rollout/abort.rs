//! Abort that is what it says: `abort` records the rollout as `aborting`
//! with one intent per open pull request to close (kind [`ABORT_CLOSE`]),
//! closes the targets that have no PR, and tries the closes at once; the
//! engine tries what is left at every tick ([`Engine::continue_abort`]),
//! surviving restarts and forge outages (the intents are in the store),
//! and records `aborted` when every PR is closed.
//!
//! Invariants: a rollout is `aborted` only when no close is pending; an
//! abort intent is confirmed only once the forge closed the PR (or says it
//! is no longer open, or its repository is gone or out of reach: a close
//! that can never succeed is recorded, not waited for); the crash-recovery of other intents
//! (`Engine::reconcile`) never touches abort intents.

use std::fmt;

use super::CommandError;
use super::engine::{ENGINE, Engine, EngineError, by_repo};
use super::state::{RolloutState, TargetState, Timestamp};
use crate::forge::{ForgeWrite, PrState};
use crate::store::NewIntent;

/// The intent kind of a pull request an abort must close.
pub const ABORT_CLOSE: &str = "abort_close";

/// A pull request an abort has not closed yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingClose {
    pub repo: String,
    pub number: u64,
    /// Why the last attempt failed (`None`: not tried yet).
    pub error: Option<String>,
}

/// What an abort (or one more attempt at it) did, and what is left.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AbortOutcome {
    pub rollout: i64,
    /// Pull requests closed by this call, `repo#number`.
    pub closed: Vec<String>,
    /// Pull requests of repositories gone or out of reach (`repo#number`:
    /// why): they cannot be closed, and are not waited for.
    pub unreachable: Vec<String>,
    /// Pull requests still to close; the engine retries them every tick.
    pub pending: Vec<PendingClose>,
    /// The rollout is now recorded `aborted` (nothing pending).
    pub aborted: bool,
}

impl fmt::Display for AbortOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let closed = match self.closed.len() {
            0 => "no pull request closed now".to_owned(),
            1 => "closed 1 pull request".to_owned(),
            n => format!("closed {n} pull requests"),
        };
        let closed = if self.unreachable.is_empty() {
            closed
        } else {
            format!("{closed}; not closable: {}", self.unreachable.join("; "))
        };
        if self.aborted {
            return write!(f, "rollout {} aborted: {closed}", self.rollout);
        }
        write!(
            f,
            "rollout {} is aborting (recorded; nothing more opens or merges): {closed}; {} still to close, retried at every tick until done:",
            self.rollout,
            self.pending.len()
        )?;
        for p in &self.pending {
            write!(f, " {}#{}", p.repo, p.number)?;
            if let Some(e) = &p.error {
                write!(f, " ({e})")?;
            }
            f.write_str(";")?;
        }
        Ok(())
    }
}

impl<F: ForgeWrite> Engine<F> {
    /// Stop the rollout: record `aborting` with an intent per open PR to
    /// close (with `comment`), close every target without a PR, and try
    /// the closes now. A forge failure leaves the closes pending (the
    /// engine retries them); it is no failure of the abort. Aborting an
    /// `aborting` rollout tries the pending closes again.
    pub async fn abort(
        &self,
        id: i64,
        operator: &str,
        comment: &str,
        now: Timestamp,
    ) -> Result<AbortOutcome, CommandError> {
        use RolloutState::*;
        let rollout = self
            .load(id, "abort", &[Planned, Running, Paused, Halted, Aborting])
            .await?;
        if rollout.state != Aborting {
            let rollout = self
                .set_state(rollout, Aborting, operator, "aborting", comment, now)
                .await?;
            let mut targets = self.store.targets(id).await?;
            let groups: Vec<Vec<usize>> = by_repo(&targets).into_values().collect();
            let why = format!("rollout {} aborted by {operator}", rollout.id);
            for ix in groups {
                let lead = ix.iter().find_map(|&i| {
                    let t = &targets[i];
                    t.state
                        .has_open_pr()
                        .then(|| t.pr_number.map(|n| (t.repo.clone(), n)))
                        .flatten()
                });
                match lead {
                    Some((repo, number)) => {
                        let payload =
                            serde_json::json!({ "comment": comment, "operator": operator });
                        self.store
                            .record_intent(
                                &NewIntent {
                                    rollout_id: id,
                                    repo,
                                    kind: ABORT_CLOSE.to_owned(),
                                    key: number.to_string(),
                                    payload: payload.to_string(),
                                },
                                now,
                            )
                            .await?;
                    }
                    None => {
                        for &i in &ix {
                            let t = &mut targets[i];
                            if !t.state.is_terminal() {
                                self.apply(t, TargetState::Closed, operator, &why, now, |_| {})
                                    .await?;
                            }
                        }
                    }
                }
            }
        }
        Ok(self.continue_abort(id, now).await?)
    }

    /// One attempt at every pending close of an `aborting` rollout; records
    /// `aborted` when none is left. Called by `abort` and at every tick.
    pub async fn continue_abort(
        &self,
        id: i64,
        now: Timestamp,
    ) -> Result<AbortOutcome, EngineError> {
        let mut outcome = AbortOutcome {
            rollout: id,
            ..AbortOutcome::default()
        };
        let pending: Vec<_> = self
            .store
            .intents(id)
            .await?
            .into_iter()
            .filter(|i| i.intent.kind == ABORT_CLOSE && i.confirmed_at.is_none())
            .collect();
        for intent in pending {
            let repo = intent.intent.repo.clone();
            let Ok(number) = intent.intent.key.parse::<u64>() else {
                self.store
                    .confirm_intent(intent.id, "not a PR number; nothing to close", now)
                    .await?;
                continue;
            };
            let details: serde_json::Value =
                serde_json::from_str(&intent.intent.payload).unwrap_or_default();
            let comment = details["comment"].as_str().unwrap_or("").to_owned();
            let operator = details["operator"].as_str().unwrap_or(ENGINE).to_owned();
            let closed = match self.close_for_abort(&repo, number, &comment).await {
                // A repository gone or out of reach: no close will ever
                // succeed, so none is waited for.
                Err(e) => match e.repo_lost(&repo) {
                    Some(why) => {
                        outcome.unreachable.push(format!("{repo}#{number}: {why}"));
                        Ok(format!("not closed: {why}"))
                    }
                    None => Err(e),
                },
                closed => closed.inspect(|_| outcome.closed.push(format!("{repo}#{number}"))),
            };
            match closed {
                Ok(note) => {
                    self.store.confirm_intent(intent.id, &note, now).await?;
                    let mut targets = self.store.targets(id).await?;
                    let why = format!("rollout {id} aborted by {operator}: PR #{number} {note}");
                    for t in targets
                        .iter_mut()
                        .filter(|t| t.repo == repo && !t.state.is_terminal())
                    {
                        self.apply(t, TargetState::Closed, &operator, &why, now, |_| {})
                            .await?;
                    }
                }
                Err(e) => {
                    tracing::warn!(rollout = id, %repo, number, error = %e, "abort: cannot close the PR yet; retried at the next tick");
                    outcome.pending.push(PendingClose {
                        repo,
                        number,
                        error: Some(e.to_string()),
                    });
                }
            }
        }
        if outcome.pending.is_empty() {
            let Some(rollout) = self.store.rollout(id).await? else {
                return Ok(outcome);
            };
            if rollout.state == RolloutState::Aborting {
                // Targets left without a PR (none should be) close too.
                let mut targets = self.store.targets(id).await?;
                for t in targets.iter_mut().filter(|t| !t.state.is_terminal()) {
                    let why = format!("rollout {id} aborted");
                    self.apply(t, TargetState::Closed, ENGINE, &why, now, |_| {})
                        .await?;
                }
                self.set_state(
                    rollout,
                    RolloutState::Aborted,
                    ENGINE,
                    "aborted",
                    "every pull request of the rollout is closed",
                    now,
                )
                .await?;
            }
            outcome.aborted = true;
        }
        Ok(outcome)
    }

    /// Close one PR with `comment`; a PR the forge says is no longer open
    /// counts as done. The note for the intent.
    async fn close_for_abort(
        &self,
        repo: &str,
        number: u64,
        comment: &str,
    ) -> Result<String, crate::forge::ForgeError> {
        let pr = self.forge.pull_request(repo, number).await?;
        match pr.state {
            PrState::Open => {
                let comment = (!comment.is_empty()).then_some(comment);
                self.forge.close_pr(repo, number, comment).await?;
                Ok("closed".to_owned())
            }
            PrState::Closed => Ok("was already closed".to_owned()),
            PrState::Merged => Ok("was already merged".to_owned()),
        }
    }

    /// The closes an `aborting` rollout still has to make (for the page).
    pub async fn pending_abort_closes(&self, id: i64) -> Result<Vec<PendingClose>, EngineError> {
        pending_closes(&self.store, id).await
    }
}

/// The closes an `aborting` rollout still has to make, from the store.
pub async fn pending_closes(
    store: &crate::store::Store,
    id: i64,
) -> Result<Vec<PendingClose>, EngineError> {
    Ok(store
        .intents(id)
        .await?
        .into_iter()
        .filter(|i| i.intent.kind == ABORT_CLOSE && i.confirmed_at.is_none())
        .map(|i| PendingClose {
            repo: i.intent.repo,
            number: i.intent.key.parse().unwrap_or(0),
            error: None,
        })
        .collect())
}
