//! Opening PRs: re-scan the repository at its default branch, splice,
//! push the deterministic branch, find-or-create the PR; and reconciling
//! intents left unconfirmed by a crash.
//!
//! Invariant: every `push_branch` and `create_pr` is preceded by a stored
//! intent and followed by its confirmation; `create_pr` is only called after
//! `find_open_pr` found nothing for the head branch.

use std::collections::BTreeMap;

use super::engine::{ENGINE, Engine, EngineError, TickReport, by_repo};
use super::policy::RolloutPolicy;
use super::state::{TargetState, Timestamp};
use super::text::pr_text;
use crate::ecosystem::{apply_splices, scan};
use crate::forge::{BranchPush, ForgeError, ForgeWrite, NewPullRequest, PrState, PullRequest};
use crate::store::{NewIntent, RolloutRecord, TargetRecord};

/// What preparing a repository's change found.
pub(super) enum Change {
    /// Files to push (and lock refreshes to run).
    Push(BranchPush),
    /// Nothing to change at the default branch any more.
    UpToDate,
}

impl<F: ForgeWrite> Engine<F> {
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
        let mut default_branches: Option<BTreeMap<String, String>> = None;
        for (repo, ix) in groups {
            let due = ix.iter().any(|&i| {
                let t = &targets[i];
                t.wave <= rollout.current_wave && t.state == TargetState::Pending
            });
            if !due {
                continue;
            }
            if *budget == 0 {
                return Ok(());
            }
            *budget -= 1;
            if default_branches.is_none() {
                let repos = self.forge.list_repos().await?;
                default_branches = Some(
                    repos
                        .into_iter()
                        .map(|r| (r.name, r.default_branch))
                        .collect(),
                );
            }
            let base = default_branches
                .as_ref()
                .and_then(|m| m.get(&repo).cloned())
                .unwrap_or_else(|| "main".to_owned());
            match self
                .open_repo(rollout, policy, targets, &ix, &base, now)
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
                            let why =
                                format!("opening the PR failed after {attempts} attempt(s): {e}");
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

    /// Re-scan `repo` at its default branch and prepare the push of its
    /// targets (`ix`).
    pub(super) async fn prepare(
        &self,
        rollout: &RolloutRecord,
        policy: &RolloutPolicy,
        targets: &[TargetRecord],
        ix: &[usize],
        base: &str,
    ) -> Result<Change, EngineError> {
        let repo = &targets[ix[0]].repo;
        let version =
            semver::Version::parse(&rollout.to_version).map_err(|e| EngineError::Rollout {
                rollout: rollout.id,
                message: format!("to_version {:?}: {e}", rollout.to_version),
            })?;
        let tree = self.forge.read_tree(repo).await?;
        let scanned = scan(&tree, &policy.library, &version);
        let wanted: Vec<&str> = ix
            .iter()
            .map(|&i| targets[i].manifest_path.as_str())
            .collect();
        let mut splices = Vec::new();
        let mut lock_refresh = Vec::new();
        for t in scanned
            .targets
            .iter()
            .filter(|t| wanted.contains(&t.requirement.path.as_str()))
        {
            splices.extend(t.splices.iter().cloned());
            if let Some(l) = t
                .lock_refresh
                .as_ref()
                .filter(|l| !lock_refresh.contains(*l))
            {
                lock_refresh.push(l.clone());
            }
        }
        if splices.is_empty() && lock_refresh.is_empty() {
            return Ok(Change::UpToDate);
        }
        let files = apply_splices(&tree, &splices).map_err(|message| ForgeError::Repo {
            repo: repo.clone(),
            message,
        })?;
        let group: Vec<&TargetRecord> = ix.iter().map(|&i| &targets[i]).collect();
        let text = pr_text(rollout, policy, &group);
        Ok(Change::Push(BranchPush {
            branch: rollout.branch.clone(),
            base_branch: base.to_owned(),
            files: files.into_iter().collect(),
            message: text.commit_message,
            expected_head: group.iter().find_map(|t| t.head_sha.clone()),
            lock_refresh,
        }))
    }

    /// Push `push` to `repo` under an intent; the new head.
    pub(super) async fn push(
        &self,
        rollout: &RolloutRecord,
        repo: &str,
        push: &BranchPush,
        now: Timestamp,
    ) -> Result<String, EngineError> {
        let paths: Vec<&str> = push.files.iter().map(|(p, _)| p.as_str()).collect();
        let intent = self
            .store
            .record_intent(
                &NewIntent {
                    rollout_id: rollout.id,
                    repo: repo.to_owned(),
                    kind: "push_branch".to_owned(),
                    key: push.branch.clone(),
                    payload:
                        serde_json::json!({ "files": paths, "expected_head": push.expected_head })
                            .to_string(),
                },
                now,
            )
            .await?;
        match self.forge.push_branch(repo, push).await {
            Ok(outcome) => {
                self.store
                    .confirm_intent(intent, &format!("pushed {}", outcome.head_sha), now)
                    .await?;
                Ok(outcome.head_sha)
            }
            Err(e) => {
                self.store
                    .confirm_intent(intent, &format!("failed: {e}"), now)
                    .await?;
                Err(e.into())
            }
        }
    }

    /// Open (or adopt) the PR of one repository; whether one was opened.
    async fn open_repo(
        &self,
        rollout: &RolloutRecord,
        policy: &RolloutPolicy,
        targets: &mut [TargetRecord],
        ix: &[usize],
        base: &str,
        now: Timestamp,
    ) -> Result<bool, EngineError> {
        let repo = targets[ix[0]].repo.clone();
        let live: Vec<usize> = ix
            .iter()
            .copied()
            .filter(|&i| !targets[i].state.is_terminal())
            .collect();
        if live.is_empty() {
            return Ok(false);
        }
        let push = match self.prepare(rollout, policy, targets, &live, base).await? {
            Change::UpToDate => {
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
                return Ok(false);
            }
            Change::Push(p) => p,
        };
        let head = self.push(rollout, &repo, &push, now).await?;
        let group: Vec<&TargetRecord> = live.iter().map(|&i| &targets[i]).collect();
        let text = pr_text(rollout, policy, &group);
        let intent = self
            .store
            .record_intent(
                &NewIntent {
                    rollout_id: rollout.id,
                    repo: repo.clone(),
                    kind: "create_pr".to_owned(),
                    key: rollout.branch.clone(),
                    payload: serde_json::json!({ "title": text.title, "base": base }).to_string(),
                },
                now,
            )
            .await?;
        let found = self.forge.find_open_pr(&repo, &rollout.branch).await;
        let pr = match found {
            Ok(Some(pr)) => Ok(pr),
            Ok(None) => {
                self.forge
                    .create_pr(
                        &repo,
                        &NewPullRequest {
                            head_branch: rollout.branch.clone(),
                            base_branch: base.to_owned(),
                            title: text.title,
                            body: text.body,
                            draft: policy.pr.draft,
                            labels: policy.pr.labels.clone(),
                            reviewers: policy.pr.reviewers.clone(),
                            team_reviewers: policy.pr.team_reviewers.clone(),
                        },
                    )
                    .await
            }
            Err(e) => Err(e),
        };
        let pr = match pr {
            Ok(pr) => pr,
            Err(e) => {
                self.store
                    .confirm_intent(intent, &format!("failed: {e}"), now)
                    .await?;
                return Err(e.into());
            }
        };
        self.store
            .confirm_intent(intent, &format!("PR #{}", pr.number), now)
            .await?;
        let head = if pr.head_sha.is_empty() {
            head
        } else {
            pr.head_sha.clone()
        };
        for &i in &live {
            self.adopt(&mut targets[i], &pr, &head, "opened", now)
                .await?;
        }
        Ok(true)
    }

    /// Record `pr` on a target that had none.
    async fn adopt(
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

    /// Settle intents a crash left unconfirmed by asking the forge what
    /// happened; how many were settled.
    pub async fn reconcile(&self, now: Timestamp) -> Result<usize, EngineError> {
        let open = self.store.unconfirmed_intents().await?;
        let mut settled = 0;
        for intent in open {
            let i = &intent.intent;
            let outcome = match i.kind.as_str() {
                "push_branch" | "create_pr" => {
                    match self.forge.find_open_pr(&i.repo, &i.key).await? {
                        Some(pr) => {
                            let mut targets = self.store.targets(i.rollout_id).await?;
                            for t in targets.iter_mut().filter(|t| {
                                t.repo == i.repo
                                    && t.pr_number.is_none()
                                    && matches!(
                                        t.state,
                                        TargetState::Pending | TargetState::Error(_)
                                    )
                            }) {
                                let head = pr.head_sha.clone();
                                self.adopt(t, &pr, &head, "reconciled: found", now).await?;
                            }
                            format!("reconciled: found PR #{}", pr.number)
                        }
                        None => {
                            "reconciled: no PR for the branch; it will be opened again".to_owned()
                        }
                    }
                }
                "merge_pr" | "close_pr" => {
                    let number = i.key.parse::<u64>().unwrap_or(0);
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
                    format!("reconciled: PR #{number} is {:?}", pr.state)
                }
                _ => "reconciled: outcome unknown; not repeated".to_owned(),
            };
            self.store.confirm_intent(intent.id, &outcome, now).await?;
            settled += 1;
        }
        Ok(settled)
    }
}
