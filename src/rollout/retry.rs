//! `retry`: run a failed repository's CI again, for real.
//!
//! - Failed check runs are re-requested where the forge lets the App
//!   (GitHub: their check suites); CI runs again on the same commit.
//! - Failed commit statuses from external CI have no re-run API: an empty
//!   commit is pushed on top of wavebump's own branch head (a new commit,
//!   so CI runs again), unless a person pushed to the branch (the
//!   human-edited flag) or the branch is not where wavebump left it.
//! - A target in `error` without a PR goes back to `pending` (opened at the
//!   next tick); one with a PR is tracked again from `ci_pending`.
//!
//! Invariants: what happened is said in the operator's answer, the audit
//! reason and the targets' `last_reason` alike; when nothing can run CI
//! again the retry is refused ([`CommandError::CannotRerun`]) and nothing
//! is changed (no state, no `retries`); every forge write is under an
//! intent; a person's commit is never built upon or overwritten.

use std::fmt;

use super::commands::{CommandError, states};
use super::engine::Engine;
use super::state::{RolloutState, TargetState, Timestamp};
use crate::forge::{ForgeError, ForgeWrite, Rerun};
use crate::store::{NewIntent, RolloutRecord, TargetRecord};

/// The intent kind of an empty commit pushed to re-run CI (key: branch).
pub const EMPTY_COMMIT: &str = "empty_commit";

/// What a retry did, for the operator's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryOutcome {
    pub rollout: i64,
    /// The repository, as the rollout names it.
    pub repo: String,
    pub how: Retried,
}

/// How a retry makes CI (or the PR) happen again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Retried {
    /// No PR yet: its targets go back to `pending`.
    Reopen,
    /// Targets in `error` with PR `number`: tracked again from `ci_pending`.
    Tracked { number: u64 },
    /// No check of `sha` fails at the forge now: its CI is read again.
    Reread { sha: String },
    /// The failed check suites of `sha` were re-requested.
    Rerequested { sha: String, checks: Vec<String> },
    /// An empty commit `new` on top of `old` was pushed to `branch`, for
    /// the failed `checks` that cannot be re-run (commit statuses); the
    /// suites of `rerequested` were re-requested too.
    EmptyCommit {
        branch: String,
        old: String,
        new: String,
        checks: Vec<String>,
        rerequested: Vec<String>,
    },
    /// Some suites were re-requested; `left` cannot run again, `why`.
    Partial {
        sha: String,
        rerequested: Vec<String>,
        left: Vec<String>,
        why: String,
    },
}

impl Retried {
    /// The PR head after the retry, when it moved.
    fn new_head(&self) -> Option<&str> {
        match self {
            Retried::EmptyCommit { new, .. } => Some(new),
            _ => None,
        }
    }
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

fn list(names: &[String]) -> String {
    names.join(", ")
}

impl fmt::Display for Retried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retried::Reopen => f.write_str("its PR is opened again at the next tick"),
            Retried::Tracked { number } => {
                write!(f, "PR #{number} is tracked again from ci_pending")
            }
            Retried::Reread { sha } => write!(
                f,
                "no check of {} fails at the forge now: its CI is read again",
                short(sha)
            ),
            Retried::Rerequested { sha, checks } => write!(
                f,
                "re-requested the failed check suites ({}) of {}: CI runs again on the same commit",
                list(checks),
                short(sha)
            ),
            Retried::EmptyCommit {
                branch,
                old,
                new,
                checks,
                rerequested,
            } => {
                write!(
                    f,
                    "pushed an empty commit {} on top of {} to {branch}: {} cannot be re-run \
                     (commit statuses have no re-run API), CI runs again on the new commit",
                    short(new),
                    short(old),
                    list(checks)
                )?;
                if !rerequested.is_empty() {
                    write!(f, "; re-requested {} too", list(rerequested))?;
                }
                Ok(())
            }
            Retried::Partial {
                sha,
                rerequested,
                left,
                why,
            } => write!(
                f,
                "re-requested the failed check suites ({}) of {}; {} cannot be re-run: {why}",
                list(rerequested),
                short(sha),
                list(left)
            ),
        }
    }
}

impl fmt::Display for RetryOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "retried {}: {}", self.repo, self.how)
    }
}

impl<F: ForgeWrite> Engine<F> {
    /// Retry a failed repository (see the module doc).
    pub async fn retry(
        &self,
        id: i64,
        repo: &str,
        operator: &str,
        now: Timestamp,
    ) -> Result<RetryOutcome, CommandError> {
        use RolloutState::*;
        let rollout = self.load(id, "retry", &[Running, Paused, Halted]).await?;
        let (mut targets, ix) = self.repo_targets(&rollout, repo).await?;
        let failed: Vec<usize> = ix
            .iter()
            .copied()
            .filter(|&i| targets[i].state.is_failure())
            .collect();
        let Some(&first) = failed.first() else {
            return Err(CommandError::TargetState {
                command: "retry",
                repo: repo.to_owned(),
                states: states(&targets, &ix),
                needs: "ci_failed or error",
            });
        };
        let name = targets[first].repo.clone();
        let ci_failed = failed.iter().find_map(|&i| {
            let t = &targets[i];
            (t.state == TargetState::CiFailed)
                .then(|| t.head_sha.clone().zip(t.pr_number))
                .flatten()
        });
        let with_pr = failed.iter().find_map(|&i| targets[i].pr_number);
        let how = match (ci_failed, with_pr) {
            (Some((sha, _)), _) => {
                self.rerun_ci(&rollout, &targets, &ix, &name, &sha, operator, now)
                    .await?
            }
            (None, Some(number)) => Retried::Tracked { number },
            (None, None) => Retried::Reopen,
        };
        let why = format!("retry by {operator}: {how}");
        let head = how.new_head().map(str::to_owned);
        for &i in &failed {
            let t = &mut targets[i];
            let reason = why.clone();
            if t.pr_number.is_none() {
                self.apply(t, TargetState::Pending, operator, &why, now, |t| {
                    t.retries += 1;
                    t.last_reason = Some(reason);
                })
                .await?;
                continue;
            }
            let head = head.clone();
            self.apply(t, TargetState::CiPending, operator, &why, now, |t| {
                t.retries += 1;
                t.last_reason = Some(reason);
                if let Some(head) = head {
                    t.head_sha = Some(head);
                }
                t.ci_state = None;
                t.failing_checks.clear();
                t.ci_started_at = Some(now);
                t.ci_finished_at = None;
            })
            .await?;
        }
        Ok(RetryOutcome {
            rollout: id,
            repo: name,
            how,
        })
    }

    /// Run the failed CI of `sha` (the PR head of `repo`) again: re-request
    /// what the forge can, push an empty commit for the rest when wavebump
    /// may; refused when neither runs anything again.
    #[allow(clippy::too_many_arguments)]
    async fn rerun_ci(
        &self,
        rollout: &RolloutRecord,
        targets: &[TargetRecord],
        ix: &[usize],
        repo: &str,
        sha: &str,
        operator: &str,
        now: Timestamp,
    ) -> Result<Retried, CommandError> {
        let rerun = self
            .journaled(
                rollout.id,
                repo,
                "rerun_failed_checks",
                sha,
                "{}",
                now,
                || self.forge.rerun_failed_checks(repo, sha),
                |r: &Rerun| {
                    format!(
                        "re-requested: [{}]; cannot re-run: [{}]",
                        list(&r.rerequested),
                        list(&r.not_rerunnable)
                    )
                },
            )
            .await?;
        if rerun.not_rerunnable.is_empty() {
            return Ok(if rerun.rerequested.is_empty() {
                Retried::Reread {
                    sha: sha.to_owned(),
                }
            } else {
                Retried::Rerequested {
                    sha: sha.to_owned(),
                    checks: rerun.rerequested,
                }
            });
        }
        let left = rerun.not_rerunnable;
        let policy = self.policy(rollout)?;
        let wave = ix.first().map_or(0, |&i| targets[i].wave as usize);
        let branch = self.branch(rollout, &policy, repo, wave);
        let edited = self
            .store
            .pr_versions(rollout.id)
            .await?
            .into_iter()
            .find(|v| v.repo == repo && v.human_edited);
        let why = match edited {
            Some(v) => format!(
                "they have no re-run API and a person pushed to {branch} ({}), so wavebump pushes no commit to it",
                v.note.as_deref().unwrap_or("someone else pushed to it")
            ),
            None => {
                let message = format!(
                    "Run CI again (retry by {operator})\n\n\
                     {} cannot be re-run (commit statuses have no re-run API): this empty commit \
                     gives CI a new commit to run on. It changes no file.",
                    list(&left)
                );
                let payload = serde_json::json!({ "expected_head": sha }).to_string();
                let pushed = self
                    .journaled(
                        rollout.id,
                        repo,
                        EMPTY_COMMIT,
                        &branch,
                        &payload,
                        now,
                        || self.forge.push_empty_commit(repo, &branch, sha, &message),
                        |head: &Option<String>| match head {
                            Some(h) => format!("pushed {h}"),
                            None => "this forge cannot push a commit".to_owned(),
                        },
                    )
                    .await;
                match pushed {
                    Ok(Some(new)) => {
                        return Ok(Retried::EmptyCommit {
                            branch,
                            old: sha.to_owned(),
                            new,
                            checks: left,
                            rerequested: rerun.rerequested,
                        });
                    }
                    Ok(None) => {
                        "they have no re-run API and this forge cannot push a commit".to_owned()
                    }
                    Err(CommandError::Engine(super::EngineError::Forge(
                        ForgeError::PushRejected { message, .. },
                    ))) => format!(
                        "they have no re-run API and {branch} is not where wavebump left it ({message}), so wavebump pushes no commit to it"
                    ),
                    Err(e) => return Err(e),
                }
            }
        };
        if rerun.rerequested.is_empty() {
            return Err(CommandError::CannotRerun {
                repo: repo.to_owned(),
                why: format!(
                    "its failed checks ({}) cannot be re-run: {why}; re-run them in the CI that reported them",
                    list(&left)
                ),
            });
        }
        Ok(Retried::Partial {
            sha: sha.to_owned(),
            rerequested: rerun.rerequested,
            left,
            why,
        })
    }

    /// Make one forge write under an intent, confirmed with what happened
    /// (`describe` says it for a success).
    #[allow(clippy::too_many_arguments)]
    async fn journaled<T, Fut>(
        &self,
        rollout_id: i64,
        repo: &str,
        kind: &str,
        key: &str,
        payload: &str,
        now: Timestamp,
        write: impl FnOnce() -> Fut,
        describe: impl FnOnce(&T) -> String,
    ) -> Result<T, CommandError>
    where
        Fut: std::future::Future<Output = Result<T, ForgeError>>,
    {
        let intent = self
            .store
            .record_intent(
                &NewIntent {
                    rollout_id,
                    repo: repo.to_owned(),
                    kind: kind.to_owned(),
                    key: key.to_owned(),
                    payload: payload.to_owned(),
                },
                now,
            )
            .await?;
        let done = write().await;
        let note = match &done {
            Ok(v) => describe(v),
            Err(e) => format!("failed: {e}"),
        };
        self.store.confirm_intent(intent, &note, now).await?;
        Ok(done?)
    }
}
