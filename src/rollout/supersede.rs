//! Supersede: a newer release of the library arrives while a rollout of it
//! is active. The rollout keeps its row, its plan, its branches and its PRs
//! (DESIGN: a rollout is a library version on its way through a plan; the
//! plan is the same, the version moves): `to_version` becomes the new
//! version, and
//! - every open PR is retargeted: the new version's rewrite is pushed to
//!   the SAME branch (named after the rollout's first version,
//!   `PrPolicy::branch_version`) and the SAME PR's title and body are
//!   rewritten, with a comment saying what superseded what; its CI starts
//!   over (`ci_pending`), and so does the current wave's gate (`met_at`);
//! - a branch someone else pushed to (the human-edited flag, or a push the
//!   lease refuses) is never pushed to: its targets become `superseded`,
//!   left at the older version for their owner;
//! - targets of waves not opened yet get the new version when they open
//!   (re-planned: their `to_requirement` is recomputed then);
//! - merged targets stay merged, recorded at the version they merged
//!   (`pr_versions`), with a note and an audit entry.
//!
//! An older or equal version is refused ([`CommandError::NotNewer`]).
//!
//! Invariant (crash safety): before the rollout's version moves, every
//! repository with a PR is pinned in `pr_versions` to the version its PR
//! carries; the retargeting itself is done by `retarget_stale`, which every
//! tick of a running rollout runs, so a crash between the two resumes it,
//! and a PR is never retargeted twice (its row then says the new version).

use std::collections::BTreeMap;

use super::bump::{BumpOutcome, Journal, open_or_update};
use super::commands::CommandError;
use super::engine::{ENGINE, Engine, EngineError, TickReport, by_repo};
use super::open::{RepoPass, library_short, new_requirement};
use super::policy::RolloutPolicy;
use super::state::{RolloutState, TargetState, Timestamp};
use crate::forge::{ForgeError, ForgeWrite};
use crate::store::{Audit, NewIntent, PrVersion, RolloutRecord, TargetRecord};

/// What [`Engine::supersede`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SupersedeReport {
    pub rollout: i64,
    /// The version the rollout rolled out, and the one it rolls out now.
    pub from: String,
    pub to: String,
    /// Repositories whose PR now carries the new version.
    pub retargeted: Vec<String>,
    /// Repositories left at the older version, with why (edited by a
    /// human, already up to date).
    pub left: Vec<(String, String)>,
    /// Repositories merged at the older version (they stay merged).
    pub merged_at_old: Vec<String>,
    /// Targets of waves not opened yet (they get the new version).
    pub replanned: usize,
    /// Retargets that failed this time (tried again at the next tick).
    pub errors: Vec<String>,
}

impl SupersedeReport {
    /// One line saying what moved, as the CLI prints it and a webhook
    /// delivery records it.
    pub fn summary(&self) -> String {
        format!(
            "rollout {} superseded: {} -> {}; {} PR(s) retargeted, {} left at {}, {} repositor(y/ies) merged at {}",
            self.rollout,
            self.from,
            self.to,
            self.retargeted.len(),
            self.left.len(),
            self.from,
            self.merged_at_old.len(),
            self.from
        )
    }
}

impl<F: ForgeWrite> Engine<F> {
    /// Move rollout `id` to the newer library `version` (see the module
    /// doc). A running rollout's open PRs are retargeted now; a paused or
    /// halted one's when it runs again.
    pub async fn supersede(
        &self,
        id: i64,
        version: &semver::Version,
        actor: &str,
        now: Timestamp,
    ) -> Result<SupersedeReport, CommandError> {
        use RolloutState::*;
        let rollout = self
            .load(id, "supersede", &[Planned, Running, Paused, Halted])
            .await?;
        let old = rollout.to_version.clone();
        let new = version.to_string();
        let newer = semver::Version::parse(&old).map_or(true, |current| *version > current);
        if !newer {
            return Err(CommandError::NotNewer {
                rollout: id,
                current: old,
                offered: new,
            });
        }
        let library = library_short(&rollout.library);
        let mut targets = self.store.targets(id).await?;
        // 0. What people did on the PRs since the last look: a PR merged
        // unseen stays merged at the older version, one closed is
        // declined; neither is retargeted. (A PR that cannot be read now
        // is retargeted: if it is gone, the bump opens a new one, which
        // the targets follow.)
        let mut seen = TickReport::default();
        if rollout.state != Planned {
            self.observe_prs(&rollout, &mut targets, now, &mut seen)
                .await?;
        }
        let pinned: BTreeMap<String, PrVersion> = self
            .store
            .pr_versions(id)
            .await?
            .into_iter()
            .map(|v| (v.repo.clone(), v))
            .collect();
        let mut report = SupersedeReport {
            rollout: id,
            from: old.clone(),
            to: new.clone(),
            errors: seen.errors,
            ..SupersedeReport::default()
        };
        // 1. Pin every repository with a PR to the version it carries.
        for (repo, ix) in by_repo(&targets) {
            let has_pr = ix.iter().any(|&i| targets[i].pr_number.is_some());
            let known = pinned.get(repo).is_some_and(|v| v.version.is_some());
            if has_pr && !known {
                self.store.set_pr_version(id, repo, &old, now).await?;
            }
        }
        // 2. Move the rollout (guarded on the version read).
        let pending = targets
            .iter()
            .filter(|t| t.state == TargetState::Pending)
            .count();
        report.replanned = pending;
        self.store
            .supersede_rollout(
                id,
                (rollout.state, &old),
                &new,
                &Audit {
                    rollout_id: Some(id),
                    repo: None,
                    actor: actor.to_owned(),
                    action: format!("superseded {old} -> {new}"),
                    reason: format!(
                        "{library} {new} was released while rollout {id} rolled out {old}: open PRs move to {new} \
                         on their branches, {pending} target(s) not opened yet will get {new}, merged targets stay at {old}"
                    ),
                    at: now,
                },
            )
            .await?;
        // 3. Merged targets stay, recorded at the older version.
        let merged: Vec<usize> = (0..targets.len())
            .filter(|&i| targets[i].state == TargetState::Merged)
            .collect();
        for i in merged {
            let t = &mut targets[i];
            let note = format!("merged at {library} {old}; the rollout moved on to {new}");
            self.apply(t, TargetState::Merged, actor, "", now, |t| {
                t.last_reason = Some(note.clone());
            })
            .await?;
            if !report.merged_at_old.contains(&t.repo) {
                report.merged_at_old.push(t.repo.clone());
            }
            self.store
                .append_audit(&Audit {
                    rollout_id: Some(id),
                    repo: Some(t.repo.clone()),
                    actor: actor.to_owned(),
                    action: format!("{} kept merged at {old}", t.manifest_path),
                    reason: note,
                    at: now,
                })
                .await?;
        }
        // 4. Retarget now when running.
        let Some(rollout) = self.store.rollout(id).await? else {
            return Err(CommandError::NoSuchRollout(id));
        };
        if rollout.state == Running {
            let policy = self.policy(&rollout)?;
            let mut budget = usize::MAX;
            let mut tick = TickReport::default();
            self.retarget_stale(&rollout, &policy, &mut targets, now, &mut budget, &mut tick)
                .await?;
            report.errors.extend(tick.errors);
        }
        for v in self.store.pr_versions(id).await? {
            let live = targets
                .iter()
                .any(|t| t.repo == v.repo && t.state.has_open_pr());
            if v.version.as_deref() == Some(new.as_str()) && live {
                report.retargeted.push(v.repo.clone());
            }
        }
        for t in &targets {
            let left = t.state == TargetState::Superseded
                && !report.left.iter().any(|(r, _)| *r == t.repo)
                && !report.retargeted.contains(&t.repo);
            if left {
                let why = t.last_reason.clone().unwrap_or_default();
                report.left.push((t.repo.clone(), why));
            }
        }
        Ok(report)
    }

    /// Retarget every open PR whose recorded version is not the rollout's
    /// (after a supersede), within `budget` repositories; a branch edited by
    /// a human is left alone (its targets become `superseded`).
    pub(super) async fn retarget_stale(
        &self,
        rollout: &RolloutRecord,
        policy: &RolloutPolicy,
        targets: &mut [TargetRecord],
        now: Timestamp,
        budget: &mut usize,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let stale: BTreeMap<String, PrVersion> = self
            .store
            .pr_versions(rollout.id)
            .await?
            .into_iter()
            // Only a PR that carries another version is stale; a branch a
            // human edited but already at this version is simply left alone
            // (the flag matters when the next supersede comes).
            .filter(|v| {
                v.version
                    .as_deref()
                    .is_some_and(|x| x != rollout.to_version)
            })
            .map(|v| (v.repo.clone(), v))
            .collect();
        if stale.is_empty() {
            return Ok(());
        }
        let max = self.options.max_error_retries;
        let groups: Vec<(String, Vec<usize>)> = by_repo(targets)
            .into_iter()
            .map(|(r, ix)| (r.to_owned(), ix))
            .collect();
        let mut pass = RepoPass::new(rollout, policy, now);
        for (repo, ix) in groups {
            let Some(row) = stale.get(&repo) else {
                continue;
            };
            let live: Vec<usize> = ix
                .iter()
                .copied()
                .filter(|&i| {
                    let t = &targets[i];
                    t.pr_number.is_some()
                        && match t.state {
                            TargetState::Error(n) => n < max,
                            s => s.has_open_pr(),
                        }
                })
                .collect();
            if live.is_empty() {
                continue;
            }
            let carried = row.version.clone().unwrap_or_else(|| "?".to_owned());
            if row.human_edited {
                let why = format!(
                    "superseded by {} {}: the PR's branch was edited by a human ({}); it is left at {carried} for its owner",
                    library_short(&rollout.library),
                    rollout.to_version,
                    row.note.as_deref().unwrap_or("someone else pushed to it")
                );
                self.leave(targets, &live, &why, now).await?;
                continue;
            }
            let Some((base, release)) = self.claim_repo(&mut pass, &repo, budget, report).await?
            else {
                return Ok(());
            };
            let mut req = self.bump_request(rollout, policy, targets, &live, &base, release)?;
            req.also = self.also_for(rollout, &repo).await?;
            req.lockstep = self.lockstep_siblings(rollout.id, &repo, targets).await?;
            let journal = Journal::Store {
                store: &self.store,
                rollout_id: rollout.id,
                now,
            };
            match open_or_update(&self.forge, &req, journal).await {
                Ok(BumpOutcome::Pr {
                    pr, head, changes, ..
                }) => {
                    self.store
                        .set_pr_version(rollout.id, &repo, &rollout.to_version, now)
                        .await?;
                    let why = format!(
                        "retargeted to {} {} (superseding {carried}): pushed {head} to {}, PR #{} updated; CI starts over",
                        library_short(&rollout.library),
                        rollout.to_version,
                        req.branch,
                        pr.number
                    );
                    // The old PR may have been merged or closed unseen (a
                    // lost webhook, a failed read): the bump then opened a
                    // new PR, which the targets follow from now on.
                    let why = match live.iter().find_map(|&i| targets[i].pr_number) {
                        Some(old) if old != pr.number => {
                            format!(
                                "{why} (PR #{old} was no longer open: opened PR #{})",
                                pr.number
                            )
                        }
                        _ => why,
                    };
                    for &i in &live {
                        let t = &mut targets[i];
                        let to = new_requirement(&changes, &t.manifest_path, &t.to_requirement);
                        let head = head.clone();
                        let reason = why.clone();
                        let (number, url) = (pr.number, pr.url.clone());
                        self.apply(t, TargetState::CiPending, ENGINE, &why, now, |t| {
                            if t.pr_number != Some(number) {
                                t.activity = Default::default();
                            }
                            t.pr_number = Some(number);
                            t.pr_url = Some(url);
                            t.last_reason = Some(reason);
                            t.head_sha = Some(head);
                            t.to_requirement = to;
                            t.ci_state = None;
                            t.failing_checks.clear();
                            t.merge_blocked = None;
                            t.ci_started_at = Some(now);
                            t.ci_finished_at = None;
                        })
                        .await?;
                    }
                    self.store
                        .append_audit(&Audit {
                            rollout_id: Some(rollout.id),
                            repo: Some(repo.clone()),
                            actor: ENGINE.to_owned(),
                            action: format!(
                                "PR #{} retargeted {carried} -> {}",
                                pr.number, rollout.to_version
                            ),
                            reason: why.clone(),
                            at: now,
                        })
                        .await?;
                    self.comment_superseded(rollout, &repo, pr.number, &carried, now)
                        .await?;
                    report.retargeted += 1;
                }
                Ok(BumpOutcome::UpToDate) => {
                    let why = format!(
                        "superseded: the default branch already admits {} {}; the PR stays at {carried}",
                        library_short(&rollout.library),
                        rollout.to_version
                    );
                    self.leave(targets, &live, &why, now).await?;
                }
                Err(EngineError::Forge(ForgeError::PushRejected { message, .. })) => {
                    let note = format!("a push to the branch was refused: {message}");
                    let why = format!(
                        "superseded by {} {}: the PR's branch was edited by a human ({note}); it is left at {carried} for its owner",
                        library_short(&rollout.library),
                        rollout.to_version
                    );
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
                                reason: format!("{note}; wavebump will not push to it again"),
                                at: now,
                            },
                        )
                        .await?;
                    self.leave(targets, &live, &why, now).await?;
                }
                Err(EngineError::Forge(e)) => {
                    report.errors.push(format!("{repo}: retarget: {e}"));
                    if !e.is_transient() {
                        for &i in &live {
                            let t = &mut targets[i];
                            let attempts = t.retries + 1;
                            let why = match e.repo_lost(&repo) {
                                Some(lost) => {
                                    format!("retargeting to {} failed: {lost}", rollout.to_version)
                                }
                                None => format!(
                                    "retargeting to {} failed (attempt {attempts}): {e}",
                                    rollout.to_version
                                ),
                            };
                            self.apply(t, TargetState::Error(attempts), ENGINE, &why, now, |_| {})
                                .await?;
                        }
                    } else {
                        // Tried again at the next tick; the target says why it
                        // still carries the older version.
                        let why = format!(
                            "retargeting to {} failed, tried again at the next tick: {e}",
                            rollout.to_version
                        );
                        for &i in &live {
                            let t = &mut targets[i];
                            let state = t.state;
                            let reason = why.clone();
                            self.apply(t, state, ENGINE, &why, now, |t| {
                                t.last_reason = Some(reason);
                            })
                            .await?;
                        }
                    }
                }
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Targets `live` leave the rollout as `superseded`, with `why`.
    async fn leave(
        &self,
        targets: &mut [TargetRecord],
        live: &[usize],
        why: &str,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        for &i in live {
            self.apply(
                &mut targets[i],
                TargetState::Superseded,
                ENGINE,
                why,
                now,
                |_| {},
            )
            .await?;
        }
        Ok(())
    }

    /// Say on the PR what superseded what (under an intent).
    async fn comment_superseded(
        &self,
        rollout: &RolloutRecord,
        repo: &str,
        number: u64,
        carried: &str,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        let body = format!(
            "{library} {to} was released while this PR proposed {carried}: it now moves {library} to {to} \
             (same branch, new commit; CI runs again).",
            library = library_short(&rollout.library),
            to = rollout.to_version,
        );
        let intent = self
            .store
            .record_intent(
                &NewIntent {
                    rollout_id: rollout.id,
                    repo: repo.to_owned(),
                    kind: "comment".to_owned(),
                    key: number.to_string(),
                    payload: serde_json::json!({ "superseded": carried, "by": rollout.to_version })
                        .to_string(),
                },
                now,
            )
            .await?;
        let done = self.forge.comment(repo, number, &body).await;
        let note = match &done {
            Ok(()) => "commented".to_owned(),
            // A lost comment is not worth failing the tick: the audit has it.
            Err(e) => format!("failed: {e}"),
        };
        self.store.confirm_intent(intent, &note, now).await?;
        Ok(())
    }
}
