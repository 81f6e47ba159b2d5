//! `pull_request_review`: a person approved, asked for changes on, or
//! dismissed a review of one of wavebump's PRs.

use super::json::{Obj, ParseError};
use super::types::{Actor, Common, Repository, string_enum};

string_enum! {
    /// `action` of a `pull_request_review` delivery.
    ReviewAction {
        Submitted = "submitted",
        Edited = "edited",
        Dismissed = "dismissed",
    }
}

string_enum! {
    /// `review.state`.
    ReviewVerdict {
        Approved = "approved",
        ChangesRequested = "changes_requested",
        Commented = "commented",
        Dismissed = "dismissed",
        Pending = "pending",
    }
}

/// A `pull_request_review` delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequestReviewEvent {
    /// `action`.
    pub action: ReviewAction,
    /// `repository`.
    pub repository: Repository,
    /// `pull_request.number`.
    pub number: u64,
    /// `review.state` (GitHub sends it lower-case in webhooks).
    pub verdict: ReviewVerdict,
    /// `review.user` (absent for a deleted account).
    pub reviewer: Option<Actor>,
    /// `review.submitted_at`.
    pub submitted_at: Option<String>,
    /// `sender`.
    pub sender: Option<Actor>,
    /// `installation.id`.
    pub installation_id: Option<u64>,
}

pub(crate) fn parse(root: &Obj<'_>) -> Result<PullRequestReviewEvent, ParseError> {
    let common = Common::parse(root)?;
    let review = root.obj("review")?;
    let state = review.str("state")?.to_ascii_lowercase();
    Ok(PullRequestReviewEvent {
        action: ReviewAction::parse(root.str("action")?),
        repository: common.repository,
        number: root.obj("pull_request")?.u64("number")?,
        verdict: ReviewVerdict::parse(&state),
        reviewer: Actor::parse_opt(review.opt_obj("user")?)?,
        submitted_at: review.opt_string("submitted_at")?,
        sender: common.sender,
        installation_id: common.installation_id,
    })
}
