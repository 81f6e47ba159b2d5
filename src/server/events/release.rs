//! `release`: a library release, the usual start of a rollout.

use super::json::{Obj, ParseError};
use super::types::{Actor, Common, Repository, string_enum};

string_enum! {
    /// `action` of a `release` delivery.
    ReleaseAction {
        Published = "published",
        Released = "released",
        Prereleased = "prereleased",
        Created = "created",
        Edited = "edited",
        Deleted = "deleted",
        Unpublished = "unpublished",
    }
}

/// A `release` delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseEvent {
    /// `action`.
    pub action: ReleaseAction,
    /// `repository`.
    pub repository: Repository,
    /// `release.tag_name`.
    pub tag: String,
    /// `release.name`.
    pub name: Option<String>,
    /// `release.body`: the release notes (untrusted text).
    pub notes: Option<String>,
    /// `release.prerelease`.
    pub prerelease: bool,
    /// `release.draft`.
    pub draft: bool,
    /// `release.published_at` (RFC 3339), `None` for drafts.
    pub published_at: Option<String>,
    /// `release.html_url`.
    pub html_url: String,
    /// `sender` (not required by GitHub's schema for every event).
    pub sender: Option<Actor>,
    /// `installation.id`.
    pub installation_id: Option<u64>,
}

impl ReleaseEvent {
    /// `published` or `released`: the actions that may start a rollout.
    pub fn is_publication(&self) -> bool {
        matches!(
            self.action,
            ReleaseAction::Published | ReleaseAction::Released
        )
    }
}

pub(crate) fn parse(root: &Obj<'_>) -> Result<ReleaseEvent, ParseError> {
    let common = Common::parse(root)?;
    let release = root.obj("release")?;
    Ok(ReleaseEvent {
        action: ReleaseAction::parse(root.str("action")?),
        repository: common.repository,
        tag: release.string("tag_name")?,
        name: release.opt_string("name")?,
        notes: release.opt_string("body")?,
        prerelease: release.bool("prerelease")?,
        draft: release.bool("draft")?,
        published_at: release.opt_string("published_at")?,
        html_url: release.string("html_url")?,
        sender: common.sender,
        installation_id: common.installation_id,
    })
}
