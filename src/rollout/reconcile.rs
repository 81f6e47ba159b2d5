//! Reconciling intents left unconfirmed (a crash between a forge write and
//! its confirmation): ask the forge what happened, one intent at a time.
//!
//! Invariants: an intent's failure is that intent's, never the tick's:
//! - a temporary failure (rate limit, server error, network) leaves the
//!   intent unconfirmed with a note in its `outcome` ("attempt N failed;
//!   next attempt at T: why"); it is tried again at the first tick from T
//!   on (backoff doubling from 1 min to 1 h);
//! - the repository gone or out of reach (404 / 403): the intent is
//!   confirmed with the reason, and that repository's live targets in the
//!   rollout move to `error` with it;
//! - any other failure: the intent is confirmed with the reason (the
//!   engine's normal paths take its targets from there);
//! - every failure is in the tick report; only the store failing stops
//!   reconciling (and the tick).
//!
//! An abort's closes are the abort's to finish (`continue_abort`).

use std::time::Duration;

use super::abort::ABORT_CLOSE;
use super::engine::{ENGINE, Engine, EngineError, TickReport};
use super::state::{TargetState, Timestamp};
use crate::forge::{ForgeWrite, PrState};
use crate::store::{IntentRecord, TargetRecord};

/// The first wait after a temporary failure; doubled per attempt.
const BACKOFF_BASE: Duration = Duration::from_secs(60);
/// The longest wait between attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(60 * 60);

/// A failed attempt noted on an unconfirmed intent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Attempt {
    /// Attempts failed so far.
    failed: u32,
    /// Not tried again before this.
    next: Timestamp,
}

const NOTE_PREFIX: &str = "attempt ";

impl Attempt {
    /// The note kept in the intent's `outcome`.
    fn note(self, error: &str) -> String {
        format!(
            "{NOTE_PREFIX}{} failed; next attempt at {}: {error}",
            self.failed, self.next.0
        )
    }

    /// The attempt a note records (`None`: no failed attempt yet).
    fn parse(outcome: Option<&str>) -> Option<Attempt> {
        let rest = outcome?.strip_prefix(NOTE_PREFIX)?;
        let (failed, rest) = rest.split_once(" failed; next attempt at ")?;
        let (next, _) = rest.split_once(':')?;
        Some(Attempt {
            failed: failed.parse().ok()?,
            next: Timestamp(next.parse().ok()?),
        })
    }
}

/// The wait after `failed` failed attempts: base × 2^(failed−1), capped.
fn backoff(failed: u32) -> Duration {
    let doubling = 2u32.saturating_pow(failed.saturating_sub(1).min(16));
    BACKOFF_BASE.saturating_mul(doubling).min(BACKOFF_MAX)
}

impl<F: ForgeWrite> Engine<F> {
    /// Settle the intents a crash left unconfirmed by asking the forge what
    /// happened (see the module invariants); `report` gets how many were
    /// settled and every failure.
    pub async fn reconcile(
        &self,
        now: Timestamp,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let open: Vec<_> = self
            .store
            .unconfirmed_intents()
            .await?
            .into_iter()
            .filter(|i| i.intent.kind != ABORT_CLOSE)
            .collect();
        for intent in open {
            let tried = Attempt::parse(intent.outcome.as_deref());
            if tried.is_some_and(|a| a.next > now) {
                continue;
            }
            let i = &intent.intent;
            let what = format!("{}: reconciling {} {}", i.repo, i.kind, i.key);
            match self.settle(&intent, now).await {
                Ok(outcome) => {
                    self.store.confirm_intent(intent.id, &outcome, now).await?;
                    report.reconciled += 1;
                }
                Err(EngineError::Store(e)) => return Err(e.into()),
                Err(EngineError::Forge(e)) if e.is_transient() => {
                    let failed = tried.map_or(1, |a| a.failed + 1);
                    let next = now.plus(backoff(failed));
                    let note = Attempt { failed, next }.note(&e.to_string());
                    self.store.note_intent(intent.id, &note).await?;
                    tracing::warn!(intent = intent.id, "{what}: {note}");
                    report.errors.push(format!("{what}: {note}"));
                }
                Err(e) => {
                    let lost = match &e {
                        EngineError::Forge(f) => f.repo_lost(&i.repo),
                        _ => None,
                    };
                    let why = lost.clone().unwrap_or_else(|| e.to_string());
                    self.store
                        .confirm_intent(intent.id, &format!("not reconciled: {why}"), now)
                        .await?;
                    if let Some(why) = &lost {
                        let mut targets = self.store.targets(i.rollout_id).await?;
                        let ix: Vec<usize> = (0..targets.len())
                            .filter(|&t| targets[t].repo == i.repo)
                            .collect();
                        self.lose_repo(&mut targets, &ix, why, now).await?;
                    }
                    tracing::warn!(intent = intent.id, "{what}: {why}");
                    report.errors.push(format!("{what}: {why}"));
                }
            }
        }
        Ok(())
    }

    /// Ask the forge what became of one intent; the outcome to confirm it
    /// with.
    async fn settle(&self, intent: &IntentRecord, now: Timestamp) -> Result<String, EngineError> {
        let i = &intent.intent;
        match i.kind.as_str() {
            "push_branch" | "create_pr" => match self.forge.find_open_pr(&i.repo, &i.key).await? {
                Some(pr) => {
                    let mut targets = self.store.targets(i.rollout_id).await?;
                    for t in targets.iter_mut().filter(|t| {
                        t.repo == i.repo
                            && t.pr_number.is_none()
                            && matches!(t.state, TargetState::Pending | TargetState::Error(_))
                    }) {
                        let head = pr.head_sha.clone();
                        self.adopt(t, &pr, &head, "reconciled: found", now).await?;
                    }
                    Ok(format!("reconciled: found PR #{}", pr.number))
                }
                None => Ok("reconciled: no PR for the branch; it will be opened again".to_owned()),
            },
            "merge_pr" | "close_pr" => {
                let Ok(number) = i.key.parse::<u64>() else {
                    return Ok(format!(
                        "reconciled: {:?} is not a PR number; nothing to ask",
                        i.key
                    ));
                };
                let pr = self.forge.pull_request(&i.repo, number).await?;
                let next = match pr.state {
                    PrState::Merged => Some(TargetState::Merged),
                    PrState::Closed => Some(TargetState::Closed),
                    PrState::Open => None,
                };
                if let Some(next) = next {
                    let mut targets = self.store.targets(i.rollout_id).await?;
                    for t in targets.iter_mut().filter(|t| {
                        t.repo == i.repo && t.pr_number == Some(number) && t.state.allows(next)
                    }) {
                        self.apply(t, next, ENGINE, "reconciled after restart", now, |_| {})
                            .await?;
                    }
                }
                Ok(format!("reconciled: PR #{number} is {:?}", pr.state))
            }
            _ => Ok("reconciled: outcome unknown; not repeated".to_owned()),
        }
    }

    /// The repository of `ix` can no longer be served (`why`: gone, or out
    /// of reach): its live targets move to `error` with the reason.
    pub(super) async fn lose_repo(
        &self,
        targets: &mut [TargetRecord],
        ix: &[usize],
        why: &str,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        for &i in ix {
            let t = &mut targets[i];
            if t.state.is_terminal() {
                continue;
            }
            let attempts = match t.state {
                TargetState::Error(n) => n.max(t.retries) + 1,
                _ => t.retries + 1,
            };
            let reason = why.to_owned();
            self.apply(t, TargetState::Error(attempts), ENGINE, why, now, |t| {
                t.last_reason = Some(reason);
            })
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_notes_round_trip() {
        let a = Attempt {
            failed: 3,
            next: Timestamp(1_800_000_123_456),
        };
        let note = a.note("rate limited: retry after 60s");
        assert_eq!(
            note,
            "attempt 3 failed; next attempt at 1800000123456: rate limited: retry after 60s"
        );
        assert_eq!(Attempt::parse(Some(&note)), Some(a));
        assert_eq!(Attempt::parse(None), None);
        assert_eq!(Attempt::parse(Some("reconciled: found PR #3")), None);
        assert_eq!(
            Attempt::parse(Some("attempt x failed; next attempt at 1: e")),
            None
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let secs: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(backoff(u32::MAX), BACKOFF_MAX);
    }
}
