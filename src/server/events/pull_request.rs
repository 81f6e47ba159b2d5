//! `pull_request`: wavebump's PRs being merged, closed, reopened, or pushed
//! to by someone else.

use super::json::{Obj, ParseError};
use super::types::{Actor, Common, Repository, string_enum};

string_enum! {
    /// `action` of a `pull_request` delivery.
    PullRequestAction {
        Opened = "opened",
        Closed = "closed",
        Reopened = "reopened",
        Synchronize = "synchronize",
        Edited = "edited",
        Labeled = "labeled",
        Unlabeled = "unlabeled",
        ReadyForReview = "ready_for_review",
        ConvertedToDraft = "converted_to_draft",
        Assigned = "assigned",
        Unassigned = "unassigned",
        ReviewRequested = "review_requested",
        ReviewRequestRemoved = "review_request_removed",
        AutoMergeEnabled = "auto_merge_enabled",
        AutoMergeDisabled = "auto_merge_disabled",
        Enqueued = "enqueued",
        Dequeued = "dequeued",
        Locked = "locked",
        Unlocked = "unlocked",
        Milestoned = "milestoned",
        Demilestoned = "demilestoned",
    }
}

/// A `pull_request` delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequestEvent {
    /// `action`.
    pub action: PullRequestAction,
    /// `repository`.
    pub repository: Repository,
    /// `number`.
    pub number: u64,
    /// `pull_request.title`.
    pub title: String,
    /// `pull_request.state` (`open` / `closed`).
    pub state: String,
    /// `pull_request.head.ref`: the branch.
    pub head_ref: String,
    /// `pull_request.head.sha`.
    pub head_sha: String,
    /// `pull_request.base.ref`.
    pub base_ref: String,
    /// `pull_request.merged` (`false` when absent).
    pub merged: bool,
    /// `pull_request.merged_by`.
    pub merged_by: Option<Actor>,
    /// `pull_request.merge_commit_sha`.
    pub merge_commit_sha: Option<String>,
    /// `pull_request.user`: the author.
    pub author: Option<Actor>,
    /// `before` (on `synchronize`).
    pub before: Option<String>,
    /// `after` (on `synchronize`).
    pub after: Option<String>,
    /// `sender`: who caused this delivery (for `synchronize`, who pushed;
    /// not required by GitHub's schema for every action).
    pub sender: Option<Actor>,
    /// `installation.id`.
    pub installation_id: Option<u64>,
}

impl PullRequestEvent {
    /// Closed and merged.
    pub fn is_merged(&self) -> bool {
        self.action == PullRequestAction::Closed && self.merged
    }

    /// Closed without merging.
    pub fn is_closed_unmerged(&self) -> bool {
        self.action == PullRequestAction::Closed && !self.merged
    }

    /// A push to the PR's branch by someone other than `our_login` (the App's
    /// bot, e.g. `wavebump[bot]`): a human edited the branch, so wavebump
    /// must stop force-pushing it.
    pub fn pushed_by_someone_else(&self, our_login: &str) -> bool {
        // An unknown sender is someone else: never overwrite a push whose
        // author cannot be told.
        self.action == PullRequestAction::Synchronize
            && !self.sender.as_ref().is_some_and(|s| s.is(our_login))
    }
}

pub(crate) fn parse(root: &Obj<'_>) -> Result<PullRequestEvent, ParseError> {
    let common = Common::parse(root)?;
    let pr = root.obj("pull_request")?;
    let head = pr.obj("head")?;
    Ok(PullRequestEvent {
        action: PullRequestAction::parse(root.str("action")?),
        repository: common.repository,
        number: root.u64("number")?,
        title: pr.string("title")?,
        state: pr.string("state")?,
        head_ref: head.string("ref")?,
        head_sha: head.string("sha")?,
        base_ref: pr.obj("base")?.string("ref")?,
        merged: pr.bool_or_false("merged")?,
        merged_by: pr
            .opt_obj("merged_by")?
            .map(|o| Actor::parse(&o))
            .transpose()?,
        merge_commit_sha: pr.opt_string("merge_commit_sha")?,
        author: Actor::parse_opt(pr.opt_obj("user")?)?,
        before: root.opt_string("before")?,
        after: root.opt_string("after")?,
        sender: common.sender,
        installation_id: common.installation_id,
    })
}
