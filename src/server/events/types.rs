//! Pieces shared by several events: repository, actor, app, and the
//! `string_enum!` macro for GitHub's string-valued fields.
//!
//! Invariant: an enum built by `string_enum!` never fails to parse — a
//! value GitHub adds later becomes `Other(text)` and round-trips through
//! `as_str`.

use super::json::{Obj, ParseError};

/// Defines a closed enum of GitHub's documented string values plus
/// `Other(String)` for anything new.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum $name {
            $($variant,)*
            /// A value this version of wavebump does not know.
            Other(String),
        }

        impl $name {
            /// Maps GitHub's text to the variant.
            pub fn parse(s: &str) -> Self {
                match s {
                    $($s => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }

            /// GitHub's text for the variant.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $s,)*
                    $name::Other(s) => s,
                }
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// `user.type`.
    ActorKind { User = "User", Bot = "Bot", Organization = "Organization" }
}

/// A user, bot or organisation (`sender`, `comment.user`, `account`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// `login`, e.g. `wavebump[bot]`.
    pub login: String,
    /// `id`.
    pub id: u64,
    /// `type` (optional in GitHub's webhook schema).
    pub kind: Option<ActorKind>,
}

impl Actor {
    pub(crate) fn parse(o: &Obj<'_>) -> Result<Actor, ParseError> {
        Ok(Actor {
            login: o.string("login")?,
            id: o.u64("id")?,
            kind: o.opt_str("type")?.map(ActorKind::parse),
        })
    }

    /// An actor GitHub may send as `null` or leave out (a deleted account,
    /// or a field its schema does not require).
    pub(crate) fn parse_opt(o: Option<Obj<'_>>) -> Result<Option<Actor>, ParseError> {
        o.map(|o| Actor::parse(&o)).transpose()
    }

    /// Whether this is `login` (GitHub logins compare case-insensitively).
    pub fn is(&self, login: &str) -> bool {
        self.login.eq_ignore_ascii_case(login)
    }
}

/// The repository a delivery is about (`repository`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repository {
    /// `id`.
    pub id: u64,
    /// `full_name`, `owner/name`.
    pub full_name: String,
    /// `default_branch` (absent in some abbreviated payloads).
    pub default_branch: Option<String>,
}

impl Repository {
    pub(crate) fn parse(o: &Obj<'_>) -> Result<Repository, ParseError> {
        Ok(Repository {
            id: o.u64("id")?,
            full_name: o.string("full_name")?,
            default_branch: o.opt_string("default_branch")?,
        })
    }
}

/// A repository as listed in installation events (`id`, `full_name`;
/// both optional in GitHub's schema for `repositories_removed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoRef {
    /// `id`.
    pub id: Option<u64>,
    /// `full_name`.
    pub full_name: Option<String>,
}

impl RepoRef {
    pub(crate) fn parse(o: &Obj<'_>) -> Result<RepoRef, ParseError> {
        Ok(RepoRef {
            id: o.opt_u64("id")?,
            full_name: o.opt_string("full_name")?,
        })
    }
}

/// A GitHub App (`check_run.app`, `check_suite.app`). GitHub's webhook
/// schema requires neither field's presence (`slug`) nor a value (`id` is
/// nullable), and its own examples lack `slug`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    /// `id`.
    pub id: Option<u64>,
    /// `slug`, e.g. `github-actions`.
    pub slug: Option<String>,
}

impl App {
    pub(crate) fn parse_opt(o: Option<Obj<'_>>) -> Result<Option<App>, ParseError> {
        o.map(|o| {
            Ok(App {
                id: o.opt_u64("id")?,
                slug: o.opt_string("slug")?,
            })
        })
        .transpose()
    }
}

/// The fields most repository-scoped deliveries carry.
pub(crate) struct Common {
    pub repository: Repository,
    pub sender: Option<Actor>,
    pub installation_id: Option<u64>,
}

impl Common {
    pub(crate) fn parse(root: &Obj<'_>) -> Result<Common, ParseError> {
        Ok(Common {
            repository: Repository::parse(&root.obj("repository")?)?,
            sender: Actor::parse_opt(root.opt_obj("sender")?)?,
            installation_id: installation_id(root)?,
        })
    }
}

/// `installation.id`, present on deliveries to a GitHub App.
pub(crate) fn installation_id(root: &Obj<'_>) -> Result<Option<u64>, ParseError> {
    root.opt_obj("installation")?
        .map(|i| i.u64("id"))
        .transpose()
}
