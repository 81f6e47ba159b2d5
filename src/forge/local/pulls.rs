//! The local forge's pull-request records: one JSON file
//! (`<root>/.wavebump/pulls.json`) holding every PR of every repository.
//!
//! Invariants: the file is only replaced whole (written to a temporary file
//! in the same directory, synced, then renamed), so a crash leaves the old
//! or the new version, never a torn one; every read-modify-write holds a
//! per-file lock shared by every `LocalForge` of the process; a file of a
//! newer format or one that does not parse is refused with its path, line
//! and column, and never overwritten.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use serde::{Deserialize, Serialize};

use crate::forge::{ForgeError, PrState};

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

/// Per-file locks of the process.
static LOCKS: LazyLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The records file at `path`.
#[derive(Clone, Debug)]
pub struct Pulls {
    path: PathBuf,
    lock: Arc<Mutex<()>>,
}

fn other(path: &Path, what: &str, e: impl std::fmt::Display) -> ForgeError {
    ForgeError::Other(format!("{}: {what}: {e}", path.display()))
}

impl Pulls {
    pub fn new(path: PathBuf) -> Pulls {
        let lock = {
            let mut locks = LOCKS.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(locks.entry(path.clone()).or_default())
        };
        Pulls { path, lock }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read the file (an absent file is an empty one).
    pub fn read(&self) -> Result<PullsFile, ForgeError> {
        let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.load()
    }

    /// Read, change with `f`, and write back if `f` succeeded.
    pub fn update<T>(
        &self,
        f: impl FnOnce(&mut PullsFile) -> Result<T, ForgeError>,
    ) -> Result<T, ForgeError> {
        let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut file = self.load()?;
        let before = file.clone();
        let out = f(&mut file)?;
        if file != before {
            self.store(&file)?;
        }
        Ok(out)
    }

    fn load(&self) -> Result<PullsFile, ForgeError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(PullsFile {
                    format: FORMAT,
                    repos: BTreeMap::new(),
                });
            }
            Err(e) => return Err(other(&self.path, "read", e)),
        };
        let file: PullsFile = serde_json::from_str(&text).map_err(|e| {
            ForgeError::Other(format!(
                "{}:{}:{}: expected the local forge's pull-request records (JSON object with `format` and `repos`): {e}",
                self.path.display(),
                e.line(),
                e.column()
            ))
        })?;
        if file.format > FORMAT {
            return Err(ForgeError::Other(format!(
                "{}: format {} is newer than this wavebump reads ({FORMAT}); left untouched",
                self.path.display(),
                file.format
            )));
        }
        Ok(file)
    }

    /// Replace the file atomically: temporary file, sync, rename.
    fn store(&self, file: &PullsFile) -> Result<(), ForgeError> {
        let dir = self
            .path
            .parent()
            .ok_or_else(|| other(&self.path, "write", "no parent directory"))?;
        std::fs::create_dir_all(dir).map_err(|e| other(dir, "create directory", e))?;
        let mut text =
            serde_json::to_vec_pretty(file).map_err(|e| other(&self.path, "encode", e))?;
        text.push(b'\n');
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            self.path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("pulls.json"),
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            other(&self.path, "write", e)
        })
    }
}
