//! The local forge's pull-request records: one JSON file
//! (`<root>/.wavebump/pulls.json`) holding every PR of every repository.
//!
//! Stored through [`Records`]: whole-file replacement, a per-file lock,
//! damaged or newer files refused naming the path.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::records::{Records, RecordsFile};
use crate::forge::PrState;

/// The format version this code reads and writes.
pub const FORMAT: u32 = 1;

/// One pull request as the local forge keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRecord {
    pub number: u64,
    pub head_branch: String,
    pub base_branch: String,
    pub title: String,
    pub body: String,
    pub draft: bool,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub reviewers: Vec<String>,
    #[serde(default)]
    pub team_reviewers: Vec<String>,
    pub state: PrState,
    /// The head when the PR was merged or closed (the branch may move or
    /// vanish afterwards).
    #[serde(default)]
    pub final_head: Option<String>,
    /// The commit the merge made on the base branch.
    #[serde(default)]
    pub merge_commit: Option<String>,
    /// Who merged it, when known: the merge commit's committer for a merge
    /// a person made with git (none for a fast-forward), the forge's
    /// identity for its own merges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_by: Option<String>,
    /// When (RFC 3339), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_at: Option<String>,
    /// Comments, oldest first.
    #[serde(default)]
    pub comments: Vec<String>,
}

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullsFile {
    pub format: u32,
    /// Pull requests per repository, by number.
    pub repos: BTreeMap<String, Vec<PullRecord>>,
}

impl PullsFile {
    pub fn pulls(&self, repo: &str) -> &[PullRecord] {
        self.repos.get(repo).map_or(&[], Vec::as_slice)
    }

    pub fn find(&self, repo: &str, number: u64) -> Option<&PullRecord> {
        self.pulls(repo).iter().find(|p| p.number == number)
    }

    pub fn find_mut(&mut self, repo: &str, number: u64) -> Option<&mut PullRecord> {
        self.repos
            .get_mut(repo)?
            .iter_mut()
            .find(|p| p.number == number)
    }

    pub fn open_for(&self, repo: &str, branch: &str) -> Option<&PullRecord> {
        self.pulls(repo)
            .iter()
            .find(|p| p.state == PrState::Open && p.head_branch == branch)
    }

    /// The next free number of `repo` (numbers start at 1).
    pub fn next_number(&self, repo: &str) -> u64 {
        self.pulls(repo).iter().map(|p| p.number).max().unwrap_or(0) + 1
    }

    pub fn insert(&mut self, repo: &str, pull: PullRecord) {
        self.repos.entry(repo.to_owned()).or_default().push(pull);
    }
}

/// The records file.
pub type Pulls = Records<PullsFile>;

impl RecordsFile for PullsFile {
    const FORMAT: u32 = FORMAT;
    const WHAT: &'static str = "pull-request records";

    fn empty() -> Self {
        PullsFile {
            format: FORMAT,
            repos: BTreeMap::new(),
        }
    }

    fn format(&self) -> u32 {
        self.format
    }
}
