//! Where repositories live: the `Forge` trait and its implementations.
//!
//! `local` serves a directory of git repositories (dry runs, the demo);
//! `github` (a later issue) will serve GitHub through octocrab. Callers are
//! generic over the trait, so planning and discovery behave the same on both.

pub mod github;
pub mod local;

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::ecosystem::MemTree;

/// A repository as a forge lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoInfo {
    /// The forge's name for it: the directory name for `local`,
    /// `owner/name` for GitHub.
    pub name: String,
    pub default_branch: String,
    pub archived: bool,
    pub fork: bool,
    /// Why the forge cannot serve this repository at all (its directory
    /// name is not UTF-8, so `name` is only an escaped rendering of it):
    /// discovery reports it as an unreadable repository without reading it.
    pub unreadable: Option<String>,
}

/// A forge failure naming the repository and what failed.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    #[error("repository {0:?} not found")]
    NotFound(String),
    /// The forge refuses this repository to us (GitHub: 403, the App's
    /// installation no longer covers it): permanent until someone grants it.
    #[error("{repo}: no access: {message}")]
    NoAccess { repo: String, message: String },
    #[error("{repo}: {message}")]
    Repo { repo: String, message: String },
    /// The branch moved under us (someone else pushed): nothing was
    /// overwritten.
    #[error("{repo}: push to {branch} rejected: {message}")]
    PushRejected {
        repo: String,
        branch: String,
        message: String,
    },
    /// Rate limited: retry no earlier than `retry_after_secs`.
    #[error("rate limited: retry after {retry_after_secs}s")]
    RateLimited { retry_after_secs: u64 },
    /// An answer that lacks what it must have, naming the endpoint.
    #[error("{endpoint}: unexpected answer: {message}")]
    BadAnswer { endpoint: String, message: String },
    #[error("{0}")]
    Other(String),
}

impl ForgeError {
    /// Worth retrying later (rate limits, server errors), as opposed to a
    /// permanent refusal.
    pub fn is_transient(&self) -> bool {
        matches!(self, ForgeError::RateLimited { .. } | ForgeError::Other(_))
    }

    /// Why `repo` itself can no longer be served, when this error says so
    /// (it is gone, or access to it was taken away): no retry will help,
    /// so its targets stop there with this reason.
    pub fn repo_lost(&self, repo: &str) -> Option<String> {
        match self {
            ForgeError::NotFound(_) => Some(format!("repository {repo} is gone (404)")),
            ForgeError::NoAccess { message, .. } => {
                Some(format!("no access to repository {repo} (403): {message}"))
            }
            _ => None,
        }
    }
}

/// What re-running a commit's failed checks did: which failed checks run
/// again on the same commit, and which cannot (commit statuses from
/// external CI have no re-run API; a suite the forge refuses to re-run):
/// only a new commit runs those again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rerun {
    /// Failed checks the forge re-requested, by name.
    pub rerequested: Vec<String>,
    /// Failed checks it cannot re-run, by name.
    pub not_rerunnable: Vec<String>,
}

/// A release of the library.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub tag: String,
    pub name: Option<String>,
    /// Release notes (Markdown), as written by the library's maintainers.
    pub notes: String,
    pub prerelease: bool,
    pub draft: bool,
    /// RFC 3339.
    pub published_at: Option<String>,
    pub url: Option<String>,
}

/// The state of a pull request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrState {
    Open,
    Closed,
    Merged,
}

/// A pull request as the forge reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    pub url: String,
    pub head_branch: String,
    pub head_sha: String,
    pub state: PrState,
    pub title: String,
    pub draft: bool,
}

/// A pull request's lifecycle as the forge reports it now: what a person
/// did to it (merged, closed, pushed to its branch) shows here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrStatus {
    pub number: u64,
    pub state: PrState,
    /// The branch's head now (a person's push moves it); the head it was
    /// merged or closed at once final. Empty when the branch is gone.
    pub head_sha: String,
    /// Who merged it, when the forge knows.
    pub merged_by: Option<String>,
    /// When it was merged (RFC 3339), when the forge knows.
    pub merged_at: Option<String>,
    /// When anything on it last changed (RFC 3339; a review changes it),
    /// when the forge knows: the reviews are read again only when it moved.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// One review of a pull request, as the forge lists them (oldest first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgeReview {
    pub login: String,
    pub verdict: ReviewVerdict,
    /// When it was submitted (RFC 3339).
    pub submitted_at: Option<String>,
}

/// What a review says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewVerdict {
    Approved,
    ChangesRequested,
    /// A comment: leaves the reviewer's standing review as it was.
    Commented,
    /// Dismissed: the reviewer has no standing review any more.
    Dismissed,
}

/// A pull request to open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPullRequest {
    pub head_branch: String,
    pub base_branch: String,
    pub title: String,
    pub body: String,
    pub draft: bool,
    pub labels: Vec<String>,
    pub reviewers: Vec<String>,
    pub team_reviewers: Vec<String>,
}

/// A branch to (re)write: the default branch's head plus whole-file
/// contents, in one commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchPush {
    pub branch: String,
    /// The branch it starts from (the repository's default branch).
    pub base_branch: String,
    /// New contents of every changed file (repository-relative paths).
    pub files: Vec<(String, Vec<u8>)>,
    pub message: String,
    /// The branch head we last pushed, if any: the push is refused
    /// (`PushRejected`) when the remote branch is anywhere else, so a human's
    /// commit is never overwritten.
    pub expected_head: Option<String>,
    /// Lockfile refreshes to run in the checkout after writing `files`, when
    /// the tool exists (no shell, timeout, environment without tokens).
    pub lock_refresh: Vec<crate::ecosystem::LockRefresh>,
}

/// What a push did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOutcome {
    pub head_sha: String,
    /// One line per lock refresh: ran, failed (with why) or tool missing.
    pub lock_notes: Vec<String>,
}

/// One CI check (a commit status or a check run).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub state: CiState,
    pub url: Option<String>,
    /// Required by branch protection.
    pub required: bool,
    /// The first line of what the check says went wrong, where the forge
    /// gives it (a status's description, a check run's summary or title);
    /// read only when the check failed.
    pub first_error: Option<String>,
}

/// The first non-blank line of `text`, trimmed.
pub fn first_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

/// Aggregated CI state of a commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CiState {
    Pending,
    Passed,
    Failed,
}

/// CI of one commit: the aggregate and every check behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiReport {
    pub state: CiState,
    pub checks: Vec<Check>,
    /// How the state was reached when that is less than certain, e.g.
    /// "required checks unknown: counting all checks"; shown with the
    /// target's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a merge attempt did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
pub enum MergeOutcome {
    Merged,
    /// Blocked by branch protection (reviews, checks); the reason says which.
    Blocked(String),
}

/// Read access to an organisation's repositories.
pub trait Forge: Sync {
    /// Every repository of the organisation, sorted by name.
    fn list_repos(&self) -> impl Future<Output = Result<Vec<RepoInfo>, ForgeError>> + Send;

    /// The files of the repository's default branch for which
    /// [`crate::ecosystem::is_relevant_path`] holds (committed tree).
    fn read_tree(&self, repo: &str) -> impl Future<Output = Result<MemTree, ForgeError>> + Send;

    /// The repository's tag names.
    fn tags(&self, repo: &str) -> impl Future<Output = Result<Vec<String>, ForgeError>> + Send;
}

/// Write access: branches, pull requests, CI, merges. Every method is
/// idempotent where the forge allows it; callers find before they create.
pub trait ForgeWrite: Forge {
    /// The library's releases, newest first.
    fn releases(&self, repo: &str)
    -> impl Future<Output = Result<Vec<Release>, ForgeError>> + Send;

    /// The open pull request whose head is `branch`, if any.
    fn find_open_pr(
        &self,
        repo: &str,
        branch: &str,
    ) -> impl Future<Output = Result<Option<PullRequest>, ForgeError>> + Send;

    /// A pull request by number.
    fn pull_request(
        &self,
        repo: &str,
        number: u64,
    ) -> impl Future<Output = Result<PullRequest, ForgeError>> + Send;

    /// A pull request's state now: open, closed or merged (with who and
    /// when), and its head.
    fn pr_status(
        &self,
        repo: &str,
        number: u64,
    ) -> impl Future<Output = Result<PrStatus, ForgeError>> + Send;

    /// Write `push.files` on top of the base branch as one commit and push
    /// it to `push.branch`.
    fn push_branch(
        &self,
        repo: &str,
        push: &BranchPush,
    ) -> impl Future<Output = Result<PushOutcome, ForgeError>> + Send;

    fn create_pr(
        &self,
        repo: &str,
        pr: &NewPullRequest,
    ) -> impl Future<Output = Result<PullRequest, ForgeError>> + Send;

    fn update_pr(
        &self,
        repo: &str,
        number: u64,
        title: &str,
        body: &str,
    ) -> impl Future<Output = Result<(), ForgeError>> + Send;

    /// Close without merging, leaving `comment` when given.
    fn close_pr(
        &self,
        repo: &str,
        number: u64,
        comment: Option<&str>,
    ) -> impl Future<Output = Result<(), ForgeError>> + Send;

    fn comment(
        &self,
        repo: &str,
        number: u64,
        body: &str,
    ) -> impl Future<Output = Result<(), ForgeError>> + Send;

    /// CI of a commit, aggregated the way branch protection sees it.
    fn ci_state(
        &self,
        repo: &str,
        sha: &str,
    ) -> impl Future<Output = Result<CiReport, ForgeError>> + Send;

    /// Merge the pull request at `sha` if the forge allows it.
    fn merge_pr(
        &self,
        repo: &str,
        number: u64,
        sha: &str,
    ) -> impl Future<Output = Result<MergeOutcome, ForgeError>> + Send;

    /// Re-run the failed checks of a commit where the forge can, and say
    /// which failed checks it could not re-run (see [`Rerun`]; the caller
    /// may then push an empty commit).
    fn rerun_failed_checks(
        &self,
        repo: &str,
        sha: &str,
    ) -> impl Future<Output = Result<Rerun, ForgeError>> + Send;

    /// Push an empty commit (the same tree, parent `expected_head`) onto
    /// `branch`, so CI runs again on a new commit; refused
    /// (`PushRejected`) unless the branch is at `expected_head`. The new
    /// head, or `None` when this forge cannot push commits.
    fn push_empty_commit(
        &self,
        repo: &str,
        branch: &str,
        expected_head: &str,
        message: &str,
    ) -> impl Future<Output = Result<Option<String>, ForgeError>> + Send {
        let _ = (repo, branch, expected_head, message);
        async { Ok(None) }
    }

    /// Who closed pull request `number`, when the forge says (GitHub's
    /// pull request answer does not; its issue answer does). `None`: not
    /// known.
    fn closed_by(
        &self,
        repo: &str,
        number: u64,
    ) -> impl Future<Output = Result<Option<String>, ForgeError>> + Send {
        let _ = (repo, number);
        async { Ok(None) }
    }

    /// The reviews of a pull request, oldest first. A forge without
    /// reviews (the local one) has none.
    fn pr_reviews(
        &self,
        repo: &str,
        number: u64,
    ) -> impl Future<Output = Result<Vec<ForgeReview>, ForgeError>> + Send {
        let _ = (repo, number);
        async { Ok(Vec::new()) }
    }
}
