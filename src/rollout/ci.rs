//! CI tracking and merging of open PRs.
//!
//! Invariant: only PRs whose CI outcome is still unknown (`pr_open`,
//! `ci_pending`) are polled, and only passed PRs are merged (when
//! automerge is on), each merge under an intent; a merge the forge blocks
//! leaves the target passed with the reason ("waiting for review: ...")
//! and is not tried again before a back-off (1 min, doubling, at most
//! 30 min) unless a review, a check or a push arrives first. A member of a
//! lockstep group is merged only when every member passed (`lockstep`).

use super::engine::{ENGINE, Engine, EngineError, TickReport, by_repo};
use super::policy::RolloutPolicy;
use super::state::{RolloutState, TargetState, Timestamp};
use crate::forge::{CiState, ForgeWrite, MergeOutcome, first_line};
use crate::store::{FailingCheck, NewIntent, RolloutRecord, TargetRecord};

impl<F: ForgeWrite> Engine<F> {
    pub(super) async fn refresh_ci(
        &self,
        rollout: &RolloutRecord,
        policy: &RolloutPolicy,
        targets: &mut [TargetRecord],
        now: Timestamp,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let lockstep = if policy.pr.automerge {
            self.store
                .rollout_graph(rollout.id)
                .await?
                .map(|g| g.lockstep)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let groups: Vec<Vec<usize>> = by_repo(targets).into_values().collect();
        let mut ready = Vec::new();
        for ix in groups {
            let Some(&first) = ix.first() else { continue };
            let lead = &targets[first];
            let (Some(sha), Some(number)) = (lead.head_sha.clone(), lead.pr_number) else {
                continue;
            };
            let repo = lead.repo.clone();
            let polled = ix.iter().any(|&i| {
                matches!(
                    targets[i].state,
                    TargetState::PrOpen | TargetState::CiPending
                )
            });
            if polled {
                let ci = match self.forge.ci_state(&repo, &sha).await {
                    Ok(ci) => ci,
                    Err(e) => {
                        report.errors.push(format!("{repo}: CI: {e}"));
                        if let Some(why) = e.repo_lost(&repo) {
                            self.lose_repo(targets, &ix, &why, now).await?;
                        }
                        continue;
                    }
                };
                let failing: Vec<FailingCheck> = ci
                    .checks
                    .iter()
                    .filter(|c| c.state == CiState::Failed)
                    .map(|c| FailingCheck {
                        name: c.name.clone(),
                        url: c.url.clone(),
                        first_error: c.first_error.as_deref().and_then(first_line),
                    })
                    .collect();
                let (next, why) = match ci.state {
                    CiState::Pending => (TargetState::CiPending, "CI running".to_owned()),
                    CiState::Passed => (TargetState::CiPassed, "CI passed".to_owned()),
                    CiState::Failed => (
                        TargetState::CiFailed,
                        format!(
                            "CI failed: {}",
                            if failing.is_empty() {
                                "(no check named)".to_owned()
                            } else {
                                failing
                                    .iter()
                                    .map(|c| c.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }
                        ),
                    ),
                };
                // A caveat of the forge ("required checks unknown: counting
                // all checks") goes with the reason, so the page shows it.
                let why = match &ci.note {
                    Some(note) => format!("{why} ({note})"),
                    None => why,
                };
                let state_name = match ci.state {
                    CiState::Pending => "pending",
                    CiState::Passed => "passed",
                    CiState::Failed => "failed",
                };
                for &i in &ix {
                    let t = &mut targets[i];
                    if !matches!(t.state, TargetState::PrOpen | TargetState::CiPending)
                        || t.state == next
                    {
                        continue;
                    }
                    let finished = next != TargetState::CiPending;
                    let failing = failing.clone();
                    self.apply(t, next, ENGINE, &why, now, |t| {
                        t.ci_state = Some(state_name.to_owned());
                        t.failing_checks = failing;
                        if finished {
                            t.ci_finished_at = Some(now);
                        }
                        if t.ci_started_at.is_none() {
                            t.ci_started_at = Some(now);
                        }
                    })
                    .await?;
                    report.ci_changes += 1;
                }
            }
            let mergeable = policy.pr.automerge
                && rollout.state == RolloutState::Running
                && ix.iter().all(|&i| {
                    matches!(
                        targets[i].state,
                        TargetState::CiPassed | TargetState::Skipped | TargetState::Superseded
                    )
                })
                && ix
                    .iter()
                    .any(|&i| targets[i].state == TargetState::CiPassed)
                && ix.iter().all(|&i| {
                    targets[i]
                        .activity
                        .next_merge_at
                        .is_none_or(|due| due <= now)
                });
            if mergeable {
                ready.push((ix, repo, number, sha));
            }
        }
        // Merges after every CI read of the tick, so a lockstep group is
        // judged on its members' states of now.
        for (ix, repo, number, sha) in ready {
            if let Some(group) = lockstep.iter().find(|g| g.contains(&repo)) {
                let holders = super::lockstep::holders(group, targets);
                if !holders.is_empty() {
                    let text = super::lockstep::hold_text(&repo, group, &holders);
                    for &i in &ix {
                        let t = &mut targets[i];
                        if t.state == TargetState::CiPassed {
                            let text = text.clone();
                            self.apply(t, TargetState::CiPassed, ENGINE, "", now, |t| {
                                t.merge_blocked = Some(text);
                            })
                            .await?;
                        }
                    }
                    continue;
                }
            }
            self.merge(rollout, targets, &ix, &repo, number, &sha, now, report)
                .await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn merge(
        &self,
        rollout: &RolloutRecord,
        targets: &mut [TargetRecord],
        ix: &[usize],
        repo: &str,
        number: u64,
        sha: &str,
        now: Timestamp,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let intent = self
            .store
            .record_intent(
                &NewIntent {
                    rollout_id: rollout.id,
                    repo: repo.to_owned(),
                    kind: "merge_pr".to_owned(),
                    key: number.to_string(),
                    payload: serde_json::json!({ "sha": sha }).to_string(),
                },
                now,
            )
            .await?;
        let outcome = self.forge.merge_pr(repo, number, sha).await;
        let note = match &outcome {
            Ok(MergeOutcome::Merged) => "merged".to_owned(),
            Ok(MergeOutcome::Blocked(why)) => format!("blocked: {why}"),
            Err(e) => format!("failed: {e}"),
        };
        self.store.confirm_intent(intent, &note, now).await?;
        match outcome {
            Ok(MergeOutcome::Merged) => {
                for &i in ix {
                    let t = &mut targets[i];
                    if t.state == TargetState::CiPassed {
                        let why = format!("merged PR #{number}");
                        self.apply(t, TargetState::Merged, ENGINE, &why, now, |t| {
                            t.merge_blocked = None;
                            t.activity.merge_attempts = 0;
                            t.activity.next_merge_at = None;
                        })
                        .await?;
                    }
                }
                report.merged += 1;
                let is_library = ix.iter().any(|&i| targets[i].is_library);
                if is_library
                    && super::cascade::cascade_of(&rollout.policy)
                        .iter()
                        .any(|l| l.repo == repo)
                    && let Err(e) = self.record_library_merge(rollout, repo, now).await
                {
                    // Taken again when the gate next looks at the cascade.
                    report.errors.push(format!("{repo}: cascade: {e}"));
                }
            }
            Ok(MergeOutcome::Blocked(why)) => {
                let text = if why.to_ascii_lowercase().contains("review") {
                    format!("waiting for review: {why}")
                } else {
                    format!("merge blocked: {why}")
                };
                for &i in ix {
                    let t = &mut targets[i];
                    if t.state == TargetState::CiPassed {
                        let text = text.clone();
                        self.apply(t, TargetState::CiPassed, ENGINE, "", now, |t| {
                            t.merge_blocked = Some(text);
                            t.activity.merge_attempts += 1;
                            t.activity.next_merge_at =
                                Some(now.plus(merge_backoff(t.activity.merge_attempts)));
                        })
                        .await?;
                    }
                }
            }
            Err(e) => report.errors.push(format!("{repo}: merge: {e}")),
        }
        Ok(())
    }
}

/// How long a refused merge waits before it is tried again on its own:
/// 1 min after the first refusal, doubling, at most 30 min.
pub fn merge_backoff(attempts: u32) -> std::time::Duration {
    let minutes = 1u64 << attempts.saturating_sub(1).min(5);
    std::time::Duration::from_secs(minutes.min(30) * 60)
}

#[cfg(test)]
mod tests {
    use super::merge_backoff;

    #[test]
    fn merge_backoff_doubles_up_to_half_an_hour() {
        let mins: Vec<u64> = (1..=8).map(|n| merge_backoff(n).as_secs() / 60).collect();
        assert_eq!(mins, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
