//! The local forge's write side: branches pushed through `git::push_branch`
//! over the repository path, pull-request records in `pulls.json`, merges
//! as one commit on the default branch, releases from tags, CI from the
//! forge's [`super::CiProvider`]. A retry re-runs the provider's failed
//! checks where it can; recorded commit statuses cannot be re-run, so the
//! engine pushes an empty commit (`push_empty_commit`) for them.
//!
//! Pushes go to bare repositories only (`NAME.git`, as `wavebump demo`
//! lays them out): libgit2 cannot push to a repository with a work tree,
//! and such a push is refused up front with how to make a bare one.
//!
//! People act with git: an open PR whose head commit is reachable from its
//! base branch was merged by a person (`git merge` + `git push`) and is
//! recorded `merged`, with the merge commit's committer and time as who and
//! when, on the next read of the repository's PRs; an open PR's head is
//! always its branch's head now, so a person's push moves it.
//!
//! Invariants: a PR is created only for an existing head branch and never
//! twice for one open head (as GitHub refuses); a merge happens only when
//! the PR is open, its head is the commit the caller named, no required
//! check is short of passed and the base branch is an ancestor of the head
//! (otherwise `MergeOutcome::Blocked` with the reason); a merge's commit is
//! written before its record, and a retried merge whose commit already
//! landed is recognised (same tree) rather than made twice.

use std::path::{Path, PathBuf};

use super::pulls::{PullRecord, Pulls};
use super::{LocalForge, blocking, merge_refusal, statuses};
use crate::forge::{
    BranchPush, CiReport, CiState, ForgeError, ForgeWrite, MergeOutcome, NewPullRequest, PrState,
    PrStatus, PullRequest, PushOutcome, Release, Rerun,
};
use crate::git::{self, Author, GitError};

/// How far back along first parents a merge looks for the base head.
const MAX_MERGE_DEPTH: usize = 64;

fn repo_err(repo: &str, message: impl std::fmt::Display) -> ForgeError {
    ForgeError::Repo {
        repo: repo.to_owned(),
        message: message.to_string(),
    }
}

fn git_err(repo: &str) -> impl Fn(GitError) -> ForgeError + '_ {
    move |e| repo_err(repo, e)
}

/// The commit `refs/heads/<branch>` points to, if the branch exists.
fn branch_head(dir: &Path, repo: &str, branch: &str) -> Result<Option<String>, ForgeError> {
    let want = format!("refs/heads/{branch}");
    Ok(git::refs(dir)
        .map_err(git_err(repo))?
        .into_iter()
        .find(|(name, _)| *name == want)
        .map(|(_, id)| id))
}

/// A record as the forge's API shows it; an open PR's head is read live
/// from its branch (empty when the branch is gone).
fn to_pull(dir: &Path, repo: &str, p: &PullRecord) -> Result<PullRequest, ForgeError> {
    let head_sha = match (&p.state, &p.final_head) {
        (PrState::Open, _) | (_, None) => {
            branch_head(dir, repo, &p.head_branch)?.unwrap_or_default()
        }
        (_, Some(h)) => h.clone(),
    };
    Ok(PullRequest {
        number: p.number,
        url: pull_url(repo, p.number),
        head_branch: p.head_branch.clone(),
        head_sha,
        state: p.state,
        title: p.title.clone(),
        draft: p.draft,
    })
}

/// The (stable, host-free) address of a local pull request.
pub fn pull_url(repo: &str, number: u64) -> String {
    format!("local://{repo}/pull/{number}")
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn rfc3339(secs: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Record as merged every open PR of `repo` whose head commit is reachable
/// from its base branch: a person merged it with git (`git merge` + `git
/// push`). Who and when are the merge commit's committer and time; a
/// fast-forward has no merge commit, so neither is known.
fn detect_merges(pulls: &Pulls, dir: &Path, repo: &str) -> Result<(), ForgeError> {
    let file = pulls.read()?;
    let mut landed = Vec::new();
    for p in file.pulls(repo).iter().filter(|p| p.state == PrState::Open) {
        let Some(head) = branch_head(dir, repo, &p.head_branch)? else {
            continue;
        };
        if let Some(l) = git::landing(dir, &p.base_branch, &head).map_err(git_err(repo))? {
            landed.push((p.number, head, l));
        }
    }
    if landed.is_empty() {
        return Ok(());
    }
    pulls.update(|file| {
        for (number, head, l) in landed {
            let Some(p) = file.find_mut(repo, number) else {
                continue;
            };
            if p.state != PrState::Open {
                continue;
            }
            p.state = PrState::Merged;
            p.final_head = Some(head);
            p.merge_commit = Some(l.commit);
            if !l.fast_forward {
                p.merged_by = Some(if l.committer_name.is_empty() {
                    l.committer_email
                } else {
                    l.committer_name
                });
                p.merged_at = rfc3339(l.time);
            }
        }
        Ok(())
    })
}

/// Is `ancestor` on the first-parent chain of `head` (bounded)?
fn first_parent_reaches(
    dir: &Path,
    repo: &str,
    head: &str,
    ancestor: &str,
) -> Result<bool, ForgeError> {
    let mut at = head.to_owned();
    for _ in 0..MAX_MERGE_DEPTH {
        if at == ancestor {
            return Ok(true);
        }
        let info = git::commit_info(dir, &at).map_err(git_err(repo))?;
        match info.parents.first() {
            Some(p) => at = p.clone(),
            None => return Ok(false),
        }
    }
    Ok(false)
}

impl LocalForge {
    /// The path of `repo` as a push URL: bare repositories only (see the
    /// module doc).
    fn bare_url(&self, repo: &str) -> Result<String, ForgeError> {
        let dir = self.repo_dir(repo)?;
        if dir.join(".git").exists() {
            return Err(repo_err(
                repo,
                format!(
                    "{} has a work tree: the local forge pushes only to bare repositories (libgit2 cannot push to a checked-out one); make one with `git clone --bare {} {}.git`",
                    dir.display(),
                    dir.display(),
                    dir.display()
                ),
            ));
        }
        let url = dir
            .to_str()
            .ok_or_else(|| repo_err(repo, format!("path {} is not UTF-8", dir.display())))?
            .to_owned();
        Ok(url)
    }

    /// The CI provider's answer combined with the recorded commit statuses.
    async fn ci_report(&self, repo: &str, sha: &str) -> Result<CiReport, ForgeError> {
        let provider = self.ci.state(repo, sha);
        let (statuses, repo, sha) = (self.statuses.clone(), repo.to_owned(), sha.to_owned());
        let recorded = blocking(move || Ok(statuses.read()?.report(&repo, &sha))).await?;
        Ok(statuses::combine(provider, recorded))
    }

    fn cache_dir(&self) -> PathBuf {
        self.state_dir().join("cache")
    }

    /// Every pull request of every repository, by repository then number
    /// (what the demo and tests count).
    pub async fn all_pulls(&self) -> Result<Vec<(String, PullRecord)>, ForgeError> {
        let pulls = self.pulls.clone();
        blocking(move || {
            let file = pulls.read()?;
            Ok(file
                .repos
                .into_iter()
                .flat_map(|(repo, list)| list.into_iter().map(move |p| (repo.clone(), p)))
                .collect())
        })
        .await
    }

    /// Merge (blocking part): see the module invariants.
    fn merge_blocking(
        &self,
        dir: &Path,
        repo: &str,
        number: u64,
        sha: &str,
        ci: &CiReport,
    ) -> Result<MergeOutcome, ForgeError> {
        detect_merges(&self.pulls, dir, repo)?;
        let file = self.pulls.read()?;
        let pull = file
            .find(repo, number)
            .ok_or_else(|| repo_err(repo, format!("pull request #{number} not found")))?
            .clone();
        match pull.state {
            PrState::Merged => return Ok(MergeOutcome::Merged),
            PrState::Closed => {
                return Ok(MergeOutcome::Blocked(format!(
                    "pull request #{number} is closed"
                )));
            }
            PrState::Open => {}
        }
        let head = branch_head(dir, repo, &pull.head_branch)?;
        if head.as_deref() != Some(sha) {
            return Ok(MergeOutcome::Blocked(format!(
                "head branch {} is at {}, not {sha}",
                pull.head_branch,
                head.as_deref().unwrap_or("(deleted)")
            )));
        }
        if let Some(why) = merge_refusal(ci) {
            return Ok(MergeOutcome::Blocked(why));
        }
        let base = branch_head(dir, repo, &pull.base_branch)?.ok_or_else(|| {
            repo_err(
                repo,
                format!("base branch {} does not exist", pull.base_branch),
            )
        })?;
        let head_info = git::commit_info(dir, sha).map_err(git_err(repo))?;
        let base_info = git::commit_info(dir, &base).map_err(git_err(repo))?;
        let merge_commit = if base_info.tree == head_info.tree {
            // Already on the base branch (a retried merge): record it.
            base.clone()
        } else {
            if !first_parent_reaches(dir, repo, sha, &base)? {
                return Ok(MergeOutcome::Blocked(format!(
                    "{} has moved since {} was pushed: update the branch",
                    pull.base_branch, pull.head_branch
                )));
            }
            let all = |_: &str| true;
            let new = git::read_branch(dir, &pull.head_branch, &all)
                .map_err(git_err(repo))?
                .unwrap_or_default();
            let old = git::read_branch(dir, &pull.base_branch, &all)
                .map_err(git_err(repo))?
                .unwrap_or_default();
            if let Some(gone) = old.iter().map(|(p, _)| p).find(|p| new.get(p).is_none()) {
                return Ok(MergeOutcome::Blocked(format!(
                    "the pull request deletes {gone}: the local forge merges only additions and changes"
                )));
            }
            let changed: Vec<(String, Vec<u8>)> = new
                .iter()
                .filter(|(p, bytes)| old.get(p) != Some(bytes.as_slice()))
                .map(|(p, bytes)| (p.clone(), bytes.clone()))
                .collect();
            let author = Author {
                name: &self.identity.name,
                email: &self.identity.email,
                time: now_secs(),
            };
            let message = format!("{} (#{number})\n\n{}", pull.title, pull.body);
            git::commit_on_branch(dir, &pull.base_branch, &changed, &message, &author)
                .map_err(git_err(repo))?
        };
        self.pulls.update(|file| {
            if let Some(p) = file.find_mut(repo, number) {
                p.state = PrState::Merged;
                p.final_head = Some(sha.to_owned());
                p.merge_commit = Some(merge_commit.clone());
                p.merged_by = Some(self.identity.name.clone());
                p.merged_at = rfc3339(now_secs());
            }
            Ok(())
        })?;
        Ok(MergeOutcome::Merged)
    }
}

impl ForgeWrite for LocalForge {
    async fn releases(&self, repo: &str) -> Result<Vec<Release>, ForgeError> {
        use crate::forge::Forge;
        let tags = self.tags(repo).await?;
        let mut releases: Vec<(Option<semver::Version>, Release)> = tags
            .into_iter()
            .map(|tag| {
                let version = semver::Version::parse(tag.trim_start_matches('v')).ok();
                let release = Release {
                    name: Some(tag.clone()),
                    notes: String::new(),
                    prerelease: version.as_ref().is_some_and(|v| !v.pre.is_empty()),
                    draft: false,
                    published_at: None,
                    url: None,
                    tag,
                };
                (version, release)
            })
            .collect();
        // Newest first: versions descending, then other tags by name.
        releases.sort_by(|(va, a), (vb, b)| vb.cmp(va).then_with(|| a.tag.cmp(&b.tag)));
        Ok(releases.into_iter().map(|(_, r)| r).collect())
    }

    async fn find_open_pr(
        &self,
        repo: &str,
        branch: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        let dir = self.repo_dir(repo)?;
        let (pulls, repo, branch) = (self.pulls.clone(), repo.to_owned(), branch.to_owned());
        blocking(move || {
            detect_merges(&pulls, &dir, &repo)?;
            let file = pulls.read()?;
            file.open_for(&repo, &branch)
                .map(|p| to_pull(&dir, &repo, p))
                .transpose()
        })
        .await
    }

    async fn pull_request(&self, repo: &str, number: u64) -> Result<PullRequest, ForgeError> {
        let dir = self.repo_dir(repo)?;
        let (pulls, repo) = (self.pulls.clone(), repo.to_owned());
        blocking(move || {
            detect_merges(&pulls, &dir, &repo)?;
            let file = pulls.read()?;
            let p = file
                .find(&repo, number)
                .ok_or_else(|| repo_err(&repo, format!("pull request #{number} not found")))?;
            to_pull(&dir, &repo, p)
        })
        .await
    }

    async fn pr_status(&self, repo: &str, number: u64) -> Result<PrStatus, ForgeError> {
        let dir = self.repo_dir(repo)?;
        let (pulls, repo) = (self.pulls.clone(), repo.to_owned());
        blocking(move || {
            detect_merges(&pulls, &dir, &repo)?;
            let file = pulls.read()?;
            let p = file
                .find(&repo, number)
                .ok_or_else(|| repo_err(&repo, format!("pull request #{number} not found")))?;
            let pull = to_pull(&dir, &repo, p)?;
            Ok(PrStatus {
                number,
                state: pull.state,
                head_sha: pull.head_sha,
                merged_by: p.merged_by.clone(),
                merged_at: p.merged_at.clone(),
                updated_at: None,
            })
        })
        .await
    }

    async fn push_branch(&self, repo: &str, push: &BranchPush) -> Result<PushOutcome, ForgeError> {
        let url = self.bare_url(repo)?;
        let (cache, identity, options) = (
            self.cache_dir(),
            self.identity.clone(),
            self.push_options.clone(),
        );
        let (push_c, name) = (push.clone(), repo.to_owned());
        let outcome = blocking(move || {
            git::push_branch_with(&cache, &url, None, &push_c, &identity, &options)
                .map_err(|e| e.into_forge(&name, &push_c.branch))
        })
        .await?;
        self.ci.pushed(repo, &push.branch, &outcome.head_sha);
        Ok(outcome)
    }

    async fn create_pr(&self, repo: &str, pr: &NewPullRequest) -> Result<PullRequest, ForgeError> {
        let dir = self.repo_dir(repo)?;
        let (pulls, repo, pr) = (self.pulls.clone(), repo.to_owned(), pr.clone());
        blocking(move || {
            if pr.head_branch == pr.base_branch {
                return Err(repo_err(
                    &repo,
                    format!("head and base are both {}", pr.base_branch),
                ));
            }
            for branch in [&pr.head_branch, &pr.base_branch] {
                if branch_head(&dir, &repo, branch)?.is_none() {
                    return Err(repo_err(&repo, format!("branch {branch} does not exist")));
                }
            }
            detect_merges(&pulls, &dir, &repo)?;
            let record = pulls.update(|file| {
                if let Some(open) = file.open_for(&repo, &pr.head_branch) {
                    return Err(repo_err(
                        &repo,
                        format!(
                            "a pull request for {} is already open (#{})",
                            pr.head_branch, open.number
                        ),
                    ));
                }
                let record = PullRecord {
                    number: file.next_number(&repo),
                    head_branch: pr.head_branch.clone(),
                    base_branch: pr.base_branch.clone(),
                    title: pr.title.clone(),
                    body: pr.body.clone(),
                    draft: pr.draft,
                    labels: pr.labels.clone(),
                    reviewers: pr.reviewers.clone(),
                    team_reviewers: pr.team_reviewers.clone(),
                    state: PrState::Open,
                    final_head: None,
                    merge_commit: None,
                    merged_by: None,
                    merged_at: None,
                    comments: Vec::new(),
                };
                file.insert(&repo, record.clone());
                Ok(record)
            })?;
            to_pull(&dir, &repo, &record)
        })
        .await
    }

    async fn update_pr(
        &self,
        repo: &str,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<(), ForgeError> {
        self.repo_dir(repo)?;
        let (pulls, repo) = (self.pulls.clone(), repo.to_owned());
        let (title, body) = (title.to_owned(), body.to_owned());
        blocking(move || {
            pulls.update(|file| {
                let p = file
                    .find_mut(&repo, number)
                    .ok_or_else(|| repo_err(&repo, format!("pull request #{number} not found")))?;
                p.title = title;
                p.body = body;
                Ok(())
            })
        })
        .await
    }

    async fn close_pr(
        &self,
        repo: &str,
        number: u64,
        comment: Option<&str>,
    ) -> Result<(), ForgeError> {
        let dir = self.repo_dir(repo)?;
        let (pulls, repo) = (self.pulls.clone(), repo.to_owned());
        let comment = comment.map(str::to_owned);
        blocking(move || {
            detect_merges(&pulls, &dir, &repo)?;
            let head = {
                let file = pulls.read()?;
                let p = file
                    .find(&repo, number)
                    .ok_or_else(|| repo_err(&repo, format!("pull request #{number} not found")))?;
                branch_head(&dir, &repo, &p.head_branch)?
            };
            pulls.update(|file| {
                let p = file
                    .find_mut(&repo, number)
                    .ok_or_else(|| repo_err(&repo, format!("pull request #{number} not found")))?;
                match p.state {
                    PrState::Merged => {
                        return Err(repo_err(
                            &repo,
                            format!("pull request #{number} is merged; it cannot be closed"),
                        ));
                    }
                    PrState::Closed => return Ok(()),
                    PrState::Open => {}
                }
                p.state = PrState::Closed;
                p.final_head = head;
                if let Some(c) = comment {
                    p.comments.push(c);
                }
                Ok(())
            })
        })
        .await
    }

    async fn comment(&self, repo: &str, number: u64, body: &str) -> Result<(), ForgeError> {
        self.repo_dir(repo)?;
        let (pulls, repo, body) = (self.pulls.clone(), repo.to_owned(), body.to_owned());
        blocking(move || {
            pulls.update(|file| {
                let p = file
                    .find_mut(&repo, number)
                    .ok_or_else(|| repo_err(&repo, format!("pull request #{number} not found")))?;
                p.comments.push(body);
                Ok(())
            })
        })
        .await
    }

    async fn ci_state(&self, repo: &str, sha: &str) -> Result<CiReport, ForgeError> {
        self.repo_dir(repo)?;
        self.ci_report(repo, sha).await
    }

    async fn merge_pr(
        &self,
        repo: &str,
        number: u64,
        sha: &str,
    ) -> Result<MergeOutcome, ForgeError> {
        let dir = self.repo_dir(repo)?;
        let ci = self.ci_report(repo, sha).await?;
        let (forge, repo, sha) = (self.clone(), repo.to_owned(), sha.to_owned());
        blocking(move || forge.merge_blocking(&dir, &repo, number, &sha, &ci)).await
    }

    async fn rerun_failed_checks(&self, repo: &str, sha: &str) -> Result<Rerun, ForgeError> {
        self.repo_dir(repo)?;
        let failed = |ci: &CiReport| -> Vec<String> {
            ci.checks
                .iter()
                .filter(|c| c.state == CiState::Failed)
                .map(|c| c.name.clone())
                .collect()
        };
        let mut out = Rerun::default();
        // The CI provider's checks, when it can re-run them.
        let provided = failed(&self.ci.state(repo, sha));
        if !provided.is_empty() {
            if self.ci.rerun_failed(repo, sha) {
                out.rerequested = provided;
            } else {
                out.not_rerunnable = provided;
            }
        }
        // Commit statuses reported by `wavebump commit-status`: as external
        // CI's on GitHub, they have no re-run API.
        let (statuses, name, at) = (self.statuses.clone(), repo.to_owned(), sha.to_owned());
        let recorded = blocking(move || Ok(statuses.read()?.report(&name, &at))).await?;
        if let Some(report) = recorded {
            out.not_rerunnable.extend(failed(&report));
        }
        out.not_rerunnable.sort();
        out.not_rerunnable.dedup();
        Ok(out)
    }

    async fn push_empty_commit(
        &self,
        repo: &str,
        branch: &str,
        expected_head: &str,
        message: &str,
    ) -> Result<Option<String>, ForgeError> {
        let url = self.bare_url(repo)?;
        let (cache, identity) = (self.cache_dir(), self.identity.clone());
        let (name, branch_c) = (repo.to_owned(), branch.to_owned());
        let (expected, message) = (expected_head.to_owned(), message.to_owned());
        let head = blocking(move || {
            git::empty_commit_push(
                &cache, &url, None, &branch_c, &expected, &message, &identity,
            )
            .map_err(|e| e.into_forge(&name, &branch_c))
        })
        .await?;
        self.ci.pushed(repo, branch, &head);
        Ok(Some(head))
    }
}
