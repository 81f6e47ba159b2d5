//! `installation` and `installation_repositories`: the set of repositories
//! the App may touch.

use super::json::{Obj, ParseError};
use super::types::{Actor, RepoRef, string_enum};

string_enum! {
    /// `action` of an `installation` delivery.
    InstallationAction {
        Created = "created",
        Deleted = "deleted",
        Suspend = "suspend",
        Unsuspend = "unsuspend",
        NewPermissionsAccepted = "new_permissions_accepted",
    }
}

string_enum! {
    /// `action` of an `installation_repositories` delivery.
    InstallationRepositoriesAction { Added = "added", Removed = "removed" }
}

/// An `installation` delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallationEvent {
    /// `action`.
    pub action: InstallationAction,
    /// `installation.id`.
    pub installation_id: u64,
    /// `installation.account`: the organisation or user (`None` for an
    /// enterprise account, which has no login).
    pub account: Option<Actor>,
    /// `installation.repository_selection` (`all` / `selected`).
    pub repository_selection: Option<String>,
    /// `repositories` (sent with `created`, and some other actions).
    pub repositories: Option<Vec<RepoRef>>,
    /// `sender`.
    pub sender: Actor,
}

/// An `installation_repositories` delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallationRepositoriesEvent {
    /// `action`.
    pub action: InstallationRepositoriesAction,
    /// `installation.id`.
    pub installation_id: u64,
    /// `installation.account` (`None` for an enterprise account).
    pub account: Option<Actor>,
    /// `repository_selection`.
    pub repository_selection: Option<String>,
    /// `repositories_added`.
    pub added: Vec<RepoRef>,
    /// `repositories_removed`.
    pub removed: Vec<RepoRef>,
    /// `sender`.
    pub sender: Actor,
}

/// An organisation or user account; an enterprise account (GitHub's schema
/// allows one here) has a `slug` and no `login`.
fn account(inst: &Obj<'_>) -> Result<Option<Actor>, ParseError> {
    match inst.opt_obj("account")? {
        Some(a) if a.has("login") => Ok(Some(Actor::parse(&a)?)),
        _ => Ok(None),
    }
}

fn repos(o: &Obj<'_>, key: &str) -> Result<Option<Vec<RepoRef>>, ParseError> {
    o.opt_objs(key)?
        .map(|list| list.iter().map(RepoRef::parse).collect())
        .transpose()
}

pub(crate) fn parse_installation(root: &Obj<'_>) -> Result<InstallationEvent, ParseError> {
    let inst = root.obj("installation")?;
    Ok(InstallationEvent {
        action: InstallationAction::parse(root.str("action")?),
        installation_id: inst.u64("id")?,
        account: account(&inst)?,
        repository_selection: inst.opt_string("repository_selection")?,
        repositories: repos(root, "repositories")?,
        sender: Actor::parse(&root.obj("sender")?)?,
    })
}

pub(crate) fn parse_installation_repositories(
    root: &Obj<'_>,
) -> Result<InstallationRepositoriesEvent, ParseError> {
    let inst = root.obj("installation")?;
    // Both lists are always sent; one of them is empty.
    root.objs("repositories_added")?;
    root.objs("repositories_removed")?;
    Ok(InstallationRepositoriesEvent {
        action: InstallationRepositoriesAction::parse(root.str("action")?),
        installation_id: inst.u64("id")?,
        account: account(&inst)?,
        repository_selection: root.opt_string("repository_selection")?,
        added: repos(root, "repositories_added")?.unwrap_or_default(),
        removed: repos(root, "repositories_removed")?.unwrap_or_default(),
        sender: Actor::parse(&root.obj("sender")?)?,
    })
}
