//! Reporting a commit status to the local forge (what `wavebump
//! commit-status` does): the repository and commit are checked, then the
//! status is recorded in `statuses.json`.

use super::statuses::{StatusRecord, StatusState};
use super::{LocalForge, blocking};
use crate::forge::ForgeError;
use crate::git;

/// A status to report on a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStatus {
    /// The check's name (GitHub's `context`), e.g. `ci/test`.
    pub context: String,
    pub state: StatusState,
    pub description: Option<String>,
}

/// Why a status was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("no repository {repo:?} in {root} (expected {root}/{repo}.git or {root}/{repo})")]
    UnknownRepo { repo: String, root: String },
    #[error("{repo}: {sha:?} is not a commit of the repository: {message}")]
    NotACommit {
        repo: String,
        sha: String,
        message: String,
    },
    #[error("the context must not be empty")]
    EmptyContext,
    #[error(transparent)]
    Forge(#[from] ForgeError),
}

impl StatusError {
    /// The caller named something that is not there (as opposed to a
    /// failure to read or write the forge's files).
    pub fn is_usage(&self) -> bool {
        !matches!(self, StatusError::Forge(_))
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl LocalForge {
    /// The commit statuses file.
    pub fn statuses_path(&self) -> &std::path::Path {
        self.statuses.path()
    }

    /// Record `status` on commit `sha` (full or abbreviated, hexadecimal)
    /// of `repo`; returns the full SHA it was recorded on.
    pub async fn record_status(
        &self,
        repo: &str,
        sha: &str,
        status: NewStatus,
    ) -> Result<String, StatusError> {
        let dir = self.repo_dir(repo).map_err(|_| StatusError::UnknownRepo {
            repo: repo.to_owned(),
            root: self.root.display().to_string(),
        })?;
        if status.context.trim().is_empty() {
            return Err(StatusError::EmptyContext);
        }
        let not_a_commit = |message: String| StatusError::NotACommit {
            repo: repo.to_owned(),
            sha: sha.to_owned(),
            message,
        };
        let wanted = sha.to_ascii_lowercase();
        if !(4..=40).contains(&wanted.len()) || !wanted.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_a_commit(
                "a commit SHA is 4 to 40 hexadecimal digits".to_owned(),
            ));
        }
        let statuses = self.statuses.clone();
        let (repo_c, wanted_c) = (repo.to_owned(), wanted.clone());
        let found = blocking(move || {
            let info = match git::commit_info(&dir, &wanted_c) {
                Ok(info) => info,
                Err(e) => return Ok(Err(e.message)),
            };
            if !info.id.starts_with(&wanted_c) {
                return Ok(Err(format!("it names {}, not a commit", info.id)));
            }
            statuses.update(|file| {
                file.record(
                    &repo_c,
                    &info.id,
                    StatusRecord {
                        context: status.context,
                        state: status.state,
                        description: status.description,
                        at: now_rfc3339(),
                    },
                );
                Ok(())
            })?;
            Ok(Ok(info.id))
        })
        .await?;
        found.map_err(not_a_commit)
    }
}
