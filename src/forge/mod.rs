//! Where repositories live: the `Forge` trait and its implementations.
//!
//! `local` serves a directory of git repositories (dry runs, the demo);
//! `github` (a later issue) will serve GitHub through octocrab. Callers are
//! generic over the trait, so planning and discovery behave the same on both.

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
}

/// A forge failure naming the repository and what failed.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    #[error("repository {0:?} not found")]
    NotFound(String),
    #[error("{repo}: {message}")]
    Repo { repo: String, message: String },
    #[error("{0}")]
    Other(String),
}

/// Read access to an organisation's repositories. (Writing -- branches and
/// pull requests -- arrives with the rollout engine.)
pub trait Forge: Sync {
    /// Every repository of the organisation, sorted by name.
    fn list_repos(&self) -> impl Future<Output = Result<Vec<RepoInfo>, ForgeError>> + Send;

    /// The files of the repository's default branch for which
    /// [`crate::ecosystem::is_relevant_path`] holds (committed tree).
    fn read_tree(&self, repo: &str) -> impl Future<Output = Result<MemTree, ForgeError>> + Send;

    /// The repository's tag names.
    fn tags(&self, repo: &str) -> impl Future<Output = Result<Vec<String>, ForgeError>> + Send;
}
