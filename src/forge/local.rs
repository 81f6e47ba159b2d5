//! A forge over a directory of git repositories: each subdirectory that is a
//! git repository (bare or not) is one repository, named by its directory.
//!
//! Invariant: reads committed trees through the `git` module, never the work
//! tree, so a dry run sees what a GitHub forge would see; writes nothing.

use std::path::{Path, PathBuf};

use super::{Forge, ForgeError, RepoInfo};
use crate::ecosystem::{MemTree, is_relevant_path};
use crate::git;

/// Repositories under one directory.
#[derive(Clone, Debug)]
pub struct LocalForge {
    root: PathBuf,
}

impl LocalForge {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalForge { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
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
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if name.starts_with('.') || !path.is_dir() {
                    continue;
                }
                let Some(default_branch) = git::head_branch(&path) else {
                    continue;
                };
                repos.push(RepoInfo {
                    name: name.trim_end_matches(".git").to_string(),
                    default_branch,
                    archived: false,
                    fork: false,
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
            git::read_default_branch(&dir, &is_relevant_path)
                .map(|(_, tree)| tree)
                .map_err(|e| ForgeError::Repo {
                    repo: name,
                    message: e.to_string(),
                })
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
