//! `issue_comment`: `/wavebump ...` commands on wavebump's PRs, and `ping`.

use super::json::{Obj, ParseError};
use super::types::{Actor, Common, Repository, string_enum};
use crate::server::commands::{self, Command, CommandError};

string_enum! {
    /// `action` of an `issue_comment` delivery.
    CommentAction { Created = "created", Edited = "edited", Deleted = "deleted" }
}

string_enum! {
    /// `comment.author_association`.
    AuthorAssociation {
        Owner = "OWNER",
        Member = "MEMBER",
        Collaborator = "COLLABORATOR",
        Contributor = "CONTRIBUTOR",
        FirstTimeContributor = "FIRST_TIME_CONTRIBUTOR",
        FirstTimer = "FIRST_TIMER",
        Mannequin = "MANNEQUIN",
        None = "NONE",
    }
}

/// An `issue_comment` delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueCommentEvent {
    /// `action`.
    pub action: CommentAction,
    /// `repository`.
    pub repository: Repository,
    /// `issue.number`.
    pub issue_number: u64,
    /// Whether the issue is a pull request (`issue.pull_request` present).
    pub is_pull_request: bool,
    /// `comment.id`.
    pub comment_id: u64,
    /// `comment.body` (untrusted text).
    pub body: String,
    /// `comment.user`.
    pub author: Option<Actor>,
    /// `comment.author_association`: a hint only — write permission must
    /// still be checked through the API before acting.
    pub author_association: AuthorAssociation,
    /// The `/wavebump` commands in the body, in order (see
    /// [`crate::server::commands`]); empty when there are none.
    pub commands: Vec<Result<Command, CommandError>>,
    /// `sender` (not required by GitHub's schema for every event).
    pub sender: Option<Actor>,
    /// `installation.id`.
    pub installation_id: Option<u64>,
}

/// A `ping` delivery, sent when the webhook is created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingEvent {
    /// `zen`: a random GitHub aphorism.
    pub zen: Option<String>,
    /// `hook_id`.
    pub hook_id: Option<u64>,
    /// `hook.app_id`, for an App's webhook.
    pub app_id: Option<u64>,
}

pub(crate) fn parse_issue_comment(root: &Obj<'_>) -> Result<IssueCommentEvent, ParseError> {
    let common = Common::parse(root)?;
    let issue = root.obj("issue")?;
    let comment = root.obj("comment")?;
    // GitHub sends `body: null` for an empty comment.
    let body = comment.opt_string("body")?.unwrap_or_default();
    Ok(IssueCommentEvent {
        action: CommentAction::parse(root.str("action")?),
        repository: common.repository,
        issue_number: issue.u64("number")?,
        is_pull_request: issue.has("pull_request"),
        comment_id: comment.u64("id")?,
        commands: commands::parse_commands(&body),
        body,
        author: Actor::parse_opt(comment.opt_obj("user")?)?,
        author_association: AuthorAssociation::parse(comment.str("author_association")?),
        sender: common.sender,
        installation_id: common.installation_id,
    })
}

pub(crate) fn parse_ping(root: &Obj<'_>) -> Result<PingEvent, ParseError> {
    Ok(PingEvent {
        zen: root.opt_string("zen")?,
        hook_id: root.opt_u64("hook_id")?,
        app_id: root
            .opt_obj("hook")?
            .map(|h| h.opt_u64("app_id"))
            .transpose()?
            .flatten(),
    })
}
