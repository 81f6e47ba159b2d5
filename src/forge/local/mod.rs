//! A forge over a directory of git repositories: each subdirectory that is a
//! git repository (bare or not) is one repository, named by its directory
//! (`name` or `name.git`); dot-directories are never repositories.
//!
//! Read side (`Forge`, this file): committed trees through the `git` module,
//! never the work tree, so a dry run sees what a GitHub forge would see, and
//! writes nothing.
//!
//! Write side (`ForgeWrite`, `write`): pull requests are branches of the
//! repositories, pushed through `git::push_branch` over the repository path
//! (same rule: a human's commit is never overwritten), plus records kept in
//! `<root>/.wavebump/pulls.json` (`pulls`); merges are a commit on the
//! default branch through the `git` module; releases are tags; CI comes from
//! a pluggable [`CiProvider`] (`ci`; default [`NoChecks`]) combined with the
//! commit statuses reported through `wavebump commit-status`
//! (`<root>/.wavebump/statuses.json`: `statuses`, `commit_status`).
//! Everything the forge itself writes lives below `<root>/.wavebump/`.

mod ci;
mod commit_status;
mod pulls;
mod records;
mod statuses;
mod write;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Forge, ForgeError, RepoInfo};
use crate::ecosystem::{MemTree, is_relevant_path};
use crate::git::{self, Identity, PushOptions};

pub use ci::{CiProvider, NoChecks, merge_refusal};
pub use commit_status::{NewStatus, StatusError};
pub use pulls::{FORMAT as PULLS_FORMAT, PullRecord};
pub use statuses::{FORMAT as STATUSES_FORMAT, StatusRecord, StatusState};

/// The directory below the root that holds the forge's own files.
pub const STATE_DIR: &str = ".wavebump";

/// Repositories under one directory.
#[derive(Clone)]
pub struct LocalForge {
    root: PathBuf,
    pulls: pulls::Pulls,
    statuses: statuses::Statuses,
    identity: Identity,
    push_options: PushOptions,
    ci: Arc<dyn CiProvider>,
}

impl fmt::Debug for LocalForge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalForge")
            .field("root", &self.root)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// The identity the local forge's bot commits as by default.
pub fn default_identity() -> Identity {
    Identity {
        name: "wavebump[bot]".to_owned(),
        email: "wavebump[bot]@users.noreply.invalid".to_owned(),
    }
}

impl LocalForge {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let pulls = pulls::Pulls::new(root.join(STATE_DIR).join("pulls.json"));
        let statuses = statuses::Statuses::new(root.join(STATE_DIR).join("statuses.json"));
        LocalForge {
            root,
            pulls,
            statuses,
            identity: default_identity(),
            push_options: PushOptions::default(),
            ci: Arc::new(NoChecks),
        }
    }

    /// Commit and push as `identity`.
    pub fn with_identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// Push options (lockfile refresh timeout and tool `PATH`).
    pub fn with_push_options(mut self, options: PushOptions) -> Self {
        self.push_options = options;
        self
    }

    /// Answer CI questions from `ci`.
    pub fn with_ci(mut self, ci: Arc<dyn CiProvider>) -> Self {
        self.ci = ci;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The forge's own directory (`<root>/.wavebump`).
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// The pull-request records file.
    pub fn pulls_path(&self) -> &Path {
        self.pulls.path()
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    fn repo_dir(&self, repo: &str) -> Result<PathBuf, ForgeError> {
        if repo.is_empty() || repo.contains(['/', '\\']) || repo == "." || repo == ".." {
            return Err(ForgeError::NotFound(repo.to_string()));
        }
        [self.root.join(repo), self.root.join(format!("{repo}.git"))]
            .into_iter()
            .find(|dir| dir.is_dir())
            .ok_or_else(|| ForgeError::NotFound(repo.to_string()))
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ForgeError> + Send + 'static,
) -> Result<T, ForgeError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ForgeError::Other(format!("git task failed: {e}")))?
}

impl Forge for LocalForge {
    async fn list_repos(&self) -> Result<Vec<RepoInfo>, ForgeError> {
        let root = self.root.clone();
        blocking(move || {
            let entries = std::fs::read_dir(&root)
                .map_err(|e| ForgeError::Other(format!("{}: {e}", root.display())))?;
            let mut repos = Vec::new();
            for entry in entries.flatten() {
                let path = entry.path();
                let raw = entry.file_name();
                if raw.as_encoded_bytes().starts_with(b".") || !path.is_dir() {
                    continue;
                }
                let Some(default_branch) = git::head_branch(&path) else {
                    continue;
                };
                let (name, unreadable) = match raw.to_str() {
                    Some(name) => (name.to_string(), None),
                    None => {
                        let escaped = git::escape_name(raw.as_encoded_bytes());
                        let reason = format!(
                            "the directory name is not UTF-8 (shown escaped) in {}: rename it to plan it",
                            root.display()
                        );
                        (escaped, Some(reason))
                    }
                };
                repos.push(RepoInfo {
                    name: name.trim_end_matches(".git").to_string(),
                    default_branch,
                    archived: false,
                    fork: false,
                    unreadable,
                });
            }
            repos.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(repos)
        })
        .await
    }

    async fn read_tree(&self, repo: &str) -> Result<MemTree, ForgeError> {
        let dir = self.repo_dir(repo)?;
        let name = repo.to_string();
        blocking(move || {
            let err = |e: git::GitError| ForgeError::Repo {
                repo: name.clone(),
                message: e.to_string(),
            };
            let (_, mut tree) = git::read_default_branch(&dir, &is_relevant_path).map_err(err)?;
            // What the manifests include under other names (`-r
            // ci/pins.in`, `eval_gemfile "gems/extra.rb"`), a few rounds.
            for _ in 0..crate::ecosystem::INCLUDE_DEPTH {
                let missing = crate::ecosystem::missing_includes(&tree);
                if missing.is_empty() {
                    break;
                }
                let want = |p: &str| missing.iter().any(|m| m == p);
                let (_, more) = git::read_default_branch(&dir, &want).map_err(err)?;
                if more.iter().next().is_none() {
                    break;
                }
                for (path, bytes) in more.iter() {
                    tree.insert(path.clone(), bytes.clone());
                }
            }
            Ok(tree)
        })
        .await
    }

    async fn tags(&self, repo: &str) -> Result<Vec<String>, ForgeError> {
        let dir = self.repo_dir(repo)?;
        let name = repo.to_string();
        blocking(move || {
            git::tags(&dir).map_err(|e| ForgeError::Repo {
                repo: name,
                message: e.to_string(),
            })
        })
        .await
    }
}
