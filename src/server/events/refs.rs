//! `create` and `push`: tags for libraries released by tag alone.

use super::json::{Obj, ParseError};
use super::types::{Actor, Common, Repository, string_enum};

string_enum! {
    /// `ref_type` of a `create` delivery.
    RefType { Tag = "tag", Branch = "branch" }
}

/// A `create` delivery: a branch or tag was created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateEvent {
    /// `repository`.
    pub repository: Repository,
    /// `ref_type`.
    pub ref_type: RefType,
    /// `ref`: the short name (`v1.2.0`, `main`).
    pub ref_name: String,
    /// `sender` (not required by GitHub's schema for every event).
    pub sender: Option<Actor>,
    /// `installation.id`.
    pub installation_id: Option<u64>,
}

impl CreateEvent {
    /// The tag's name when a tag was created.
    pub fn tag(&self) -> Option<&str> {
        (self.ref_type == RefType::Tag).then_some(self.ref_name.as_str())
    }
}

/// A `push` delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushEvent {
    /// `repository`.
    pub repository: Repository,
    /// `ref`: the full ref (`refs/tags/v1.2.0`, `refs/heads/main`).
    pub git_ref: String,
    /// `before`.
    pub before: String,
    /// `after`.
    pub after: String,
    /// `created`.
    pub created: bool,
    /// `deleted`.
    pub deleted: bool,
    /// `forced`.
    pub forced: bool,
    /// `sender` (not required by GitHub's schema for every event).
    pub sender: Option<Actor>,
    /// `installation.id`.
    pub installation_id: Option<u64>,
}

impl PushEvent {
    /// The tag's name when the push is to `refs/tags/...`.
    pub fn tag(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/tags/")
    }

    /// The branch's name when the push is to `refs/heads/...`.
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/heads/")
    }
}

pub(crate) fn parse_create(root: &Obj<'_>) -> Result<CreateEvent, ParseError> {
    let common = Common::parse(root)?;
    Ok(CreateEvent {
        repository: common.repository,
        ref_type: RefType::parse(root.str("ref_type")?),
        ref_name: root.string("ref")?,
        sender: common.sender,
        installation_id: common.installation_id,
    })
}

pub(crate) fn parse_push(root: &Obj<'_>) -> Result<PushEvent, ParseError> {
    let common = Common::parse(root)?;
    Ok(PushEvent {
        repository: common.repository,
        git_ref: root.string("ref")?,
        before: root.string("before")?,
        after: root.string("after")?,
        created: root.bool("created")?,
        deleted: root.bool("deleted")?,
        forced: root.bool("forced")?,
        sender: common.sender,
        installation_id: common.installation_id,
    })
}
