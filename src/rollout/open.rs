//! Opening PRs: re-scan the repository at its default branch, splice,
//! push the deterministic branch, find-or-create the PR (intents left
//! unconfirmed by a crash: `reconcile`).
//!
//! Invariant: every `push_branch` and `create_pr` is preceded by a stored
//! intent and followed by its confirmation; `create_pr` is only called after
//! `find_open_pr` found nothing for the head branch.

use std::collections::BTreeMap;

use super::bump::{BumpOutcome, BumpRequest, Journal, branch_for, find_release, open_or_update};
use super::engine::{ENGINE, Engine, EngineError, TickReport, by_repo};
use super::policy::RolloutPolicy;
use super::state::{TargetState, Timestamp};
use crate::forge::{ForgeWrite, PullRequest, Release};
use crate::store::{RolloutRecord, TargetRecord};

/// The requirement the PR gives `path` (the first change of that manifest:
/// the library's own), else `current`.
pub(super) fn new_requirement(
    changes: &[crate::render::pr::PrTarget],
    path: &str,
    current: &Option<String>,
) -> Option<String> {
    changes
        .iter()
        .find(|c| c.path == path)
        .map(|c| c.to.clone())
        .or_else(|| current.clone())
}

/// `acme/core-utils` → `core-utils`.
pub(super) fn library_short(library: &str) -> String {
    library.rsplit('/').next().unwrap_or(library).to_owned()
}

/// One pass of a tick over a rollout's repositories (opening PRs,
/// retargeting them): what it looks up at most once, when the first
/// repository needs it (the default branches, one `list_repos`; the
/// library's release).
pub(super) struct RepoPass<'a> {
    rollout: &'a RolloutRecord,
    policy: &'a RolloutPolicy,
    now: Timestamp,
    bases: Option<BTreeMap<String, String>>,
    release: Option<Option<Release>>,
}

impl<'a> RepoPass<'a> {
    pub(super) fn new(
        rollout: &'a RolloutRecord,
        policy: &'a RolloutPolicy,
        now: Timestamp,
    ) -> Self {
        RepoPass {
            rollout,
            policy,
            now,
            bases: None,
            release: None,
        }
    }
}

impl<F: ForgeWrite> Engine<F> {
    /// Take `repo` from `budget` under the lease: its base branch (`main`
    /// if the forge does not list it) and the library's release, looked up
    /// once per `pass`. `None`: the pass stops here (the budget is spent,
    /// the lease was lost or the repositories could not be listed, which
    /// `report` records).
    pub(super) async fn claim_repo(
        &self,
        pass: &mut RepoPass<'_>,
        repo: &str,
        budget: &mut usize,
        report: &mut TickReport,
    ) -> Result<Option<(String, Option<Release>)>, EngineError> {
        if *budget == 0 {
            return Ok(None);
        }
        if !self.hold_lease(pass.now).await? {
            report.lost_lease = true;
            return Ok(None);
        }
        if pass.bases.is_none() {
            let repos = match self.forge.list_repos().await {
                Ok(repos) => repos,
                Err(e) => {
                    // The pass stops here; CI and the gate still run, and
                    // the next tick lists again.
                    report.errors.push(format!(
                        "rollout {}: listing repositories: {e}",
                        pass.rollout.id
                    ));
                    return Ok(None);
                }
            };
            pass.bases = Some(
                repos
                    .into_iter()
                    .map(|r| (r.name, r.default_branch))
                    .collect(),
            );
        }
        *budget -= 1;
        let base = pass
            .bases
            .as_ref()
            .and_then(|m| m.get(repo).cloned())
            .unwrap_or_else(|| "main".to_owned());
        if pass.release.is_none() {
            pass.release = Some(
                find_release(
                    &self.forge,
                    &pass.policy.library_repo,
                    &pass.rollout.to_version,
                )
                .await,
            );
        }
        Ok(Some((base, pass.release.clone().flatten())))
    }

    /// Open the PRs of every wave up to the current one that still need
    /// one, within `budget` repositories.
    pub(super) async fn open_wave(
        &self,
        rollout: &RolloutRecord,
        policy: &RolloutPolicy,
        targets: &mut [TargetRecord],
        now: Timestamp,
        budget: &mut usize,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let groups: Vec<(String, Vec<usize>)> = by_repo(targets)
            .into_iter()
            .map(|(r, ix)| (r.to_owned(), ix))
            .collect();
        let max = self.options.max_error_retries;
        let mut pass = RepoPass::new(rollout, policy, now);
        for (repo, ix) in groups {
            let due = ix.iter().any(|&i| {
                let t = &targets[i];
                t.wave <= rollout.current_wave && t.state == TargetState::Pending
            });
            if !due {
                continue;
            }
            let Some((base, release)) = self.claim_repo(&mut pass, &repo, budget, report).await?
            else {
                return Ok(());
            };
            match self
                .open_repo(rollout, policy, targets, &ix, &base, release, now)
                .await
            {
                Ok(true) => report.opened += 1,
                Ok(false) => {}
                Err(EngineError::Forge(e)) => {
                    report.errors.push(format!("{repo}: {e}"));
                    for &i in &ix {
                        let t = &mut targets[i];
                        if t.state != TargetState::Pending || t.pr_number.is_some() {
                            continue;
                        }
                        let attempts = t.retries + 1;
                        if e.is_transient() && attempts < max {
                            // Stays pending (not a failure yet): tried again next tick.
                            let why = format!(
                                "opening the PR failed (attempt {attempts}, will retry): {e}"
                            );
                            self.apply(t, TargetState::Pending, ENGINE, &why, now, |t| {
                                t.retries = attempts;
                                t.last_reason = Some(why.clone());
                            })
                            .await?;
                            self.store
                                .append_audit(&crate::store::Audit {
                                    rollout_id: Some(t.rollout_id),
                                    repo: Some(t.repo.clone()),
                                    actor: ENGINE.to_owned(),
                                    action: format!(
                                        "{} open attempt {attempts} failed",
                                        t.manifest_path
                                    ),
                                    reason: why,
                                    at: now,
                                })
                                .await?;
                        } else {
                            let why = match e.repo_lost(&repo) {
                                Some(lost) => format!("opening the PR failed: {lost}"),
                                None => format!(
                                    "opening the PR failed after {attempts} attempt(s): {e}"
                                ),
                            };
                            self.apply(t, TargetState::Error(attempts), ENGINE, &why, now, |_| {})
                                .await?;
                        }
                    }
                }
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// The bump request of `repo`'s live targets (`ix`).
    pub(super) fn bump_request(
        &self,
        rollout: &RolloutRecord,
        policy: &RolloutPolicy,
        targets: &[TargetRecord],
        ix: &[usize],
        base: &str,
        release: Option<Release>,
    ) -> Result<BumpRequest, EngineError> {
        let bad = |message: String| EngineError::Rollout {
            rollout: rollout.id,
            message,
        };
        let first = ix
            .first()
            .and_then(|&i| targets.get(i))
            .ok_or_else(|| bad("a repository without targets".to_owned()))?;
        let version = semver::Version::parse(&rollout.to_version)
            .map_err(|e| bad(format!("to_version {:?}: {e}", rollout.to_version)))?;
        let library_short = library_short(&rollout.library);
        let wave = first.wave as usize;
        Ok(BumpRequest {
            repo: first.repo.clone(),
            base_branch: base.to_owned(),
            branch: self.branch(rollout, policy, &first.repo, wave),
            library_short,
            library: policy.library.clone(),
            version,
            manifests: Some(
                ix.iter()
                    .filter_map(|&i| targets.get(i))
                    .map(|t| t.manifest_path.clone())
                    .collect(),
            ),
            pr: policy.pr.clone(),
            wave,
            waves: rollout.wave_count as usize,
            status_url: policy.pr.status_url(rollout.id),
            release,
            expected_head: ix
                .iter()
                .filter_map(|&i| targets.get(i))
                .find_map(|t| t.head_sha.clone()),
            also: Vec::new(),
            lockstep: Vec::new(),
        })
    }

    /// The head branch of `repo`'s PR in `rollout`.
    pub(super) fn branch(
        &self,
        rollout: &RolloutRecord,
        policy: &RolloutPolicy,
        repo: &str,
        wave: usize,
    ) -> String {
        let version = policy
            .pr
            .branch_version
            .as_deref()
            .unwrap_or(&rollout.to_version);
        branch_for(
            &policy.pr.branch,
            &rollout.branch,
            &library_short(&rollout.library),
            version,
            repo,
            wave,
        )
    }

    /// Open (or adopt) the PR of one repository; whether one was opened.
    #[allow(clippy::too_many_arguments)]
    async fn open_repo(
        &self,
        rollout: &RolloutRecord,
        policy: &RolloutPolicy,
        targets: &mut [TargetRecord],
        ix: &[usize],
        base: &str,
        release: Option<Release>,
        now: Timestamp,
    ) -> Result<bool, EngineError> {
        let live: Vec<usize> = ix
            .iter()
            .copied()
            .filter(|&i| !targets[i].state.is_terminal())
            .collect();
        if live.is_empty() {
            return Ok(false);
        }
        let mut req = self.bump_request(rollout, policy, targets, &live, base, release)?;
        req.also = self.also_for(rollout, &req.repo).await?;
        req.lockstep = self
            .lockstep_siblings(rollout.id, &req.repo, targets)
            .await?;
        let journal = Journal::Store {
            store: &self.store,
            rollout_id: rollout.id,
            now,
        };
        match open_or_update(&self.forge, &req, journal).await? {
            BumpOutcome::UpToDate => {
                for &i in &live {
                    self.apply(
                        &mut targets[i],
                        TargetState::Superseded,
                        ENGINE,
                        "the default branch already admits the new version",
                        now,
                        |_| {},
                    )
                    .await?;
                }
                Ok(false)
            }
            BumpOutcome::Pr {
                pr,
                head,
                created,
                changes,
            } => {
                let verb = if created {
                    "opened"
                } else {
                    "found and updated"
                };
                self.store
                    .set_pr_version(rollout.id, &req.repo, &rollout.to_version, now)
                    .await?;
                // After a supersede the plan's requirement is stale: the PR's is kept.
                let replanned = policy
                    .pr
                    .branch_version
                    .as_deref()
                    .is_some_and(|v| v != rollout.to_version);
                for &i in &live {
                    let t = &mut targets[i];
                    if replanned {
                        t.to_requirement =
                            new_requirement(&changes, &t.manifest_path, &t.to_requirement);
                    }
                    self.adopt(t, &pr, &head, verb, now).await?;
                }
                Ok(true)
            }
        }
    }

    /// Record `pr` on a target that had none.
    pub(super) async fn adopt(
        &self,
        target: &mut TargetRecord,
        pr: &PullRequest,
        head: &str,
        verb: &str,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        let why = format!("{verb} PR #{} ({})", pr.number, pr.url);
        let (number, url, head) = (pr.number, pr.url.clone(), head.to_owned());
        self.apply(target, TargetState::PrOpen, ENGINE, &why, now, |t| {
            t.pr_number = Some(number);
            t.pr_url = Some(url);
            t.head_sha = Some(head);
            t.ci_started_at = Some(now);
            t.ci_finished_at = None;
            t.ci_state = None;
        })
        .await
    }
}
