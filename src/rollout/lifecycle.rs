//! What people do on the PRs: merged, closed, reopened, pushed to,
//! reviewed. The reconcile tick reads each live PR's state (one
//! ETag-cached read per repository: a quiet fleet costs 304s); a webhook
//! asks for one repository at once. Both end in [`Engine::apply_pr_status`].
//!
//! Invariants:
//! - the forge's PR state is the truth: a merge is `merged` with who and
//!   when, a close without merge `declined`, a reopen resumes tracking;
//! - a head wavebump did not record is someone else's push: the target
//!   follows it (`ci_pending` on the new head, failing checks cleared) and
//!   the branch is marked human-edited, so wavebump never overwrites it;
//! - a review, a push or a head change clears a refused merge's back-off.

use super::engine::{ENGINE, Engine, EngineError, TickReport, by_repo};
use super::state::{TargetState, Timestamp};
use crate::forge::{ForgeReview, ForgeWrite, PrState, PrStatus, ReviewVerdict};
use crate::store::{Audit, Review, ReviewState, RolloutRecord, TargetRecord};

/// A target whose PR a person may still act on: open, or closed unmerged
/// (it may be reopened), or in `error` with a PR.
fn live(t: &TargetRecord) -> bool {
    t.pr_number.is_some()
        && (t.state.has_open_pr()
            || matches!(t.state, TargetState::Declined | TargetState::Error(_)))
}

/// A review as a webhook tells it: who, and what they said (`None`: their
/// review was dismissed), when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewSeen {
    pub login: String,
    pub review: Option<ReviewState>,
    /// When it was submitted (RFC 3339).
    pub at: Option<String>,
}

/// What an observation changed, for the caller's answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// Targets moved or updated.
    pub changed: usize,
    /// One line per change, for logs and answers.
    pub notes: Vec<String>,
}

impl<F: ForgeWrite> Engine<F> {
    /// Read the PR of every repository of `targets` with a live PR and
    /// apply what people did. A forge failure is that repository's: it is
    /// reported and the others are read.
    pub(super) async fn observe_prs(
        &self,
        rollout: &RolloutRecord,
        targets: &mut [TargetRecord],
        now: Timestamp,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let groups: Vec<Vec<usize>> = by_repo(targets).into_values().collect();
        for ix in groups {
            // A target in `error` is not read at each tick (its repository
            // may be gone); a webhook about its PR still reads it.
            let Some(number) = ix
                .iter()
                .find(|&&i| {
                    let t = &targets[i];
                    t.pr_number.is_some()
                        && (t.state.has_open_pr() || t.state == TargetState::Declined)
                })
                .and_then(|&i| targets[i].pr_number)
            else {
                continue;
            };
            let repo = targets[ix[0]].repo.clone();
            match self.forge.pr_status(&repo, number).await {
                Ok(status) => {
                    let seen = self
                        .apply_pr_status(rollout, targets, &ix, &status, None, now)
                        .await?;
                    report.pr_changes += seen.changed;
                }
                Err(e) => {
                    report.errors.push(format!("{repo}: PR #{number}: {e}"));
                    if let Some(why) = e.repo_lost(&repo) {
                        self.lose_repo(targets, &ix, &why, now).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Read PR `number` of `repo` now and apply it to rollout `rollout_id`'s
    /// targets (a webhook said it changed). `closer` names who closed it
    /// when the forge's answer does not (a webhook's sender).
    pub async fn observe_pr(
        &self,
        rollout_id: i64,
        repo: &str,
        number: u64,
        closer: Option<&str>,
        now: Timestamp,
    ) -> Result<Observed, EngineError> {
        let Some(rollout) = self.store.rollout(rollout_id).await? else {
            return Ok(Observed::default());
        };
        let mut targets = self.store.targets(rollout_id).await?;
        let ix: Vec<usize> = (0..targets.len())
            .filter(|&i| targets[i].repo == repo && targets[i].pr_number == Some(number))
            .collect();
        if !ix.iter().any(|&i| live(&targets[i])) {
            return Ok(Observed::default());
        }
        let status = self.forge.pr_status(repo, number).await?;
        self.apply_pr_status(&rollout, &mut targets, &ix, &status, closer, now)
            .await
    }

    /// Record `login`'s review of PR `number` of `repo` (`None`: their
    /// review was dismissed). A review wakes a merge the forge refused.
    pub async fn record_review(
        &self,
        rollout_id: i64,
        repo: &str,
        number: u64,
        seen_review: &ReviewSeen,
        now: Timestamp,
    ) -> Result<Observed, EngineError> {
        let (login, review, at) = (
            seen_review.login.as_str(),
            seen_review.review,
            &seen_review.at,
        );
        let mut targets = self.store.targets(rollout_id).await?;
        let mut seen = Observed::default();
        for t in targets
            .iter_mut()
            .filter(|t| t.repo == repo && t.pr_number == Some(number) && !t.state.is_terminal())
        {
            let state = t.state;
            let what = match review {
                Some(ReviewState::Approved) => format!("{login} approved PR #{number}"),
                Some(ReviewState::ChangesRequested) => {
                    format!("{login} requested changes on PR #{number}")
                }
                None => format!("{login}'s review of PR #{number} was dismissed"),
            };
            let at = at.clone();
            self.apply(t, state, login, &what, now, |t| {
                t.activity.set_review(login, review, at);
                t.activity.next_merge_at = None;
            })
            .await?;
            self.store
                .append_audit(&Audit {
                    rollout_id: Some(rollout_id),
                    repo: Some(repo.to_owned()),
                    actor: login.to_owned(),
                    action: "review".to_owned(),
                    reason: what.clone(),
                    at: now,
                })
                .await?;
            seen.changed += 1;
            seen.notes.push(what);
        }
        Ok(seen)
    }

    /// Apply one observed state of a repository's PR to its targets `ix`.
    pub(super) async fn apply_pr_status(
        &self,
        rollout: &RolloutRecord,
        targets: &mut [TargetRecord],
        ix: &[usize],
        status: &PrStatus,
        closer: Option<&str>,
        now: Timestamp,
    ) -> Result<Observed, EngineError> {
        let mut seen = Observed::default();
        let number = status.number;
        let repo = targets[ix[0]].repo.clone();
        match status.state {
            PrState::Merged => {
                let who = status.merged_by.clone();
                let why = format!(
                    "PR #{number} merged{}{}",
                    who.as_deref()
                        .map(|w| format!(" by {w}"))
                        .unwrap_or_default(),
                    status
                        .merged_at
                        .as_deref()
                        .map(|w| format!(" at {w}"))
                        .unwrap_or_default()
                );
                let actor = who.clone().unwrap_or_else(|| ENGINE.to_owned());
                let mut library = false;
                for &i in ix {
                    let t = &mut targets[i];
                    if !live(t) || t.pr_number != Some(number) {
                        continue;
                    }
                    library |= t.is_library;
                    let (who, at) = (who.clone(), status.merged_at.clone());
                    self.apply(t, TargetState::Merged, &actor, &why, now, |t| {
                        t.merge_blocked = None;
                        t.activity.merged_by = who;
                        t.activity.merged_at = at;
                        t.activity.next_merge_at = None;
                    })
                    .await?;
                    seen.changed += 1;
                }
                if seen.changed > 0 {
                    seen.notes.push(why);
                    if library
                        && super::cascade::cascade_of(&rollout.policy)
                            .iter()
                            .any(|l| l.repo == repo)
                    {
                        // Taken again when the gate next looks at the cascade.
                        if let Err(e) = self.record_library_merge(rollout, &repo, now).await {
                            tracing::warn!(repo = %repo, error = %e, "cascade: library merge not recorded yet");
                        }
                    }
                }
            }
            PrState::Closed => {
                let live_here = ix.iter().any(|&i| {
                    let t = &targets[i];
                    t.pr_number == Some(number)
                        && (t.state.has_open_pr() || matches!(t.state, TargetState::Error(_)))
                });
                if !live_here {
                    return Ok(seen);
                }
                // A webhook names who closed it; the tick asks the forge
                // (one more read, once per close).
                let asked = match closer {
                    Some(_) => None,
                    None => match self.forge.closed_by(&repo, number).await {
                        Ok(who) => who,
                        Err(e) => {
                            tracing::warn!(repo = %repo, number, error = %e, "who closed the PR is not known");
                            None
                        }
                    },
                };
                let who = closer
                    .map(str::to_owned)
                    .or(asked)
                    .unwrap_or_else(|| "someone".to_owned());
                let why = format!("PR #{number} closed without merging by {who}");
                for &i in ix {
                    let t = &mut targets[i];
                    if !(t.state.has_open_pr() || matches!(t.state, TargetState::Error(_)))
                        || t.pr_number != Some(number)
                    {
                        continue;
                    }
                    let who = who.clone();
                    self.apply(t, TargetState::Declined, &who.clone(), &why, now, |t| {
                        t.activity.closed_by = Some(who);
                        t.activity.closed_at = Some(now);
                        t.activity.next_merge_at = None;
                    })
                    .await?;
                    seen.changed += 1;
                }
                if seen.changed > 0 {
                    seen.notes.push(why);
                }
            }
            PrState::Open => {
                let head = (!status.head_sha.is_empty()).then(|| status.head_sha.clone());
                let mut moved_note = None;
                for &i in ix {
                    let t = &mut targets[i];
                    if !live(t) || t.pr_number != Some(number) {
                        continue;
                    }
                    let reopened = t.state == TargetState::Declined;
                    let moved = head.is_some() && head != t.head_sha;
                    if !reopened && !moved {
                        continue;
                    }
                    let why = if reopened {
                        format!("PR #{number} reopened")
                    } else {
                        format!(
                            "someone else pushed {} to the PR's branch; CI is tracked on it",
                            short(head.as_deref().unwrap_or(""))
                        )
                    };
                    let actor = if reopened {
                        closer.unwrap_or(ENGINE)
                    } else {
                        ENGINE
                    };
                    let new_head = head.clone().or_else(|| t.head_sha.clone());
                    let next = match t.state {
                        TargetState::Error(_) if !moved => continue,
                        _ => TargetState::CiPending,
                    };
                    self.apply(t, next, actor, &why, now, |t| {
                        t.head_sha = new_head;
                        t.ci_state = Some("pending".to_owned());
                        t.failing_checks.clear();
                        t.ci_started_at = Some(now);
                        t.ci_finished_at = None;
                        t.merge_blocked = None;
                        t.activity.closed_by = None;
                        t.activity.closed_at = None;
                        t.activity.next_merge_at = None;
                        t.activity.merge_attempts = 0;
                    })
                    .await?;
                    seen.changed += 1;
                    if moved && !reopened {
                        moved_note = Some(why.clone());
                    }
                    seen.notes.push(why);
                }
                self.read_reviews(targets, ix, status, now, &mut seen)
                    .await?;
                // A webhook naming the pusher may have flagged it already.
                let flagged = match moved_note {
                    Some(_) => self
                        .store
                        .pr_versions(rollout.id)
                        .await?
                        .iter()
                        .any(|v| v.repo == repo && v.human_edited),
                    None => true,
                };
                if let (Some(why), false) = (moved_note, flagged) {
                    // From now on the branch is its owners': supersede and
                    // retry never push to it again.
                    let note = format!("{why}; wavebump will not push to it again");
                    self.store
                        .mark_human_edited(
                            rollout.id,
                            &repo,
                            &note,
                            &Audit {
                                rollout_id: Some(rollout.id),
                                repo: Some(repo.clone()),
                                actor: ENGINE.to_owned(),
                                action: "branch edited by a human".to_owned(),
                                reason: note.clone(),
                                at: now,
                            },
                        )
                        .await?;
                }
            }
        }
        Ok(seen)
    }
}

impl<F: ForgeWrite> Engine<F> {
    /// Read an open PR's reviews when it changed since they were last read
    /// (its `updated_at` moved) and keep each reviewer's standing review.
    /// A failed read is tried again at the next observation.
    async fn read_reviews(
        &self,
        targets: &mut [TargetRecord],
        ix: &[usize],
        status: &PrStatus,
        now: Timestamp,
        seen: &mut Observed,
    ) -> Result<(), EngineError> {
        let Some(updated) = status.updated_at.as_deref() else {
            return Ok(());
        };
        let number = status.number;
        let stale: Vec<usize> = ix
            .iter()
            .copied()
            .filter(|&i| {
                let t = &targets[i];
                t.pr_number == Some(number)
                    && t.state.has_open_pr()
                    && t.activity.pr_updated_at.as_deref() != Some(updated)
            })
            .collect();
        let Some(&first) = stale.first() else {
            return Ok(());
        };
        let repo = targets[first].repo.clone();
        let reviews = match self.forge.pr_reviews(&repo, number).await {
            Ok(r) => standing(&r),
            Err(e) => {
                tracing::warn!(repo = %repo, number, error = %e, "reviews not read; tried again next tick");
                return Ok(());
            }
        };
        for i in stale {
            let t = &mut targets[i];
            let changed = t.activity.reviews != reviews;
            let (reviews, updated) = (reviews.clone(), updated.to_owned());
            let state = t.state;
            self.apply(t, state, ENGINE, "", now, |t| {
                if changed {
                    t.activity.next_merge_at = None;
                }
                t.activity.reviews = reviews;
                t.activity.pr_updated_at = Some(updated);
            })
            .await?;
            if changed {
                seen.changed += 1;
                seen.notes.push(format!("PR #{number}: reviews changed"));
            }
        }
        Ok(())
    }
}

/// Each reviewer's standing review from the forge's list (oldest first):
/// the latest approval or change request wins, a comment changes nothing,
/// a dismissal removes it.
pub fn standing(reviews: &[ForgeReview]) -> Vec<Review> {
    let mut by_login: std::collections::BTreeMap<&str, Review> = Default::default();
    for r in reviews {
        let state = match r.verdict {
            ReviewVerdict::Approved => ReviewState::Approved,
            ReviewVerdict::ChangesRequested => ReviewState::ChangesRequested,
            ReviewVerdict::Commented => continue,
            ReviewVerdict::Dismissed => {
                by_login.remove(r.login.as_str());
                continue;
            }
        };
        by_login.insert(
            &r.login,
            Review {
                login: r.login.clone(),
                state,
                at: r.submitted_at.clone(),
            },
        );
    }
    by_login.into_values().collect()
}

/// The first 12 characters of a commit id.
fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(login: &str, verdict: ReviewVerdict) -> ForgeReview {
        ForgeReview {
            login: login.to_owned(),
            verdict,
            submitted_at: None,
        }
    }

    #[test]
    fn the_latest_verdict_of_each_reviewer_stands() {
        use ReviewVerdict::*;
        let got = standing(&[
            r("carol", ChangesRequested),
            r("bob", Approved),
            r("carol", Commented),
            r("dave", Approved),
            r("dave", Dismissed),
            r("carol", Approved),
            r("erin", ChangesRequested),
        ]);
        let got: Vec<(&str, ReviewState)> =
            got.iter().map(|r| (r.login.as_str(), r.state)).collect();
        assert_eq!(
            got,
            [
                ("bob", ReviewState::Approved),
                ("carol", ReviewState::Approved),
                ("erin", ReviewState::ChangesRequested)
            ]
        );
    }
}
