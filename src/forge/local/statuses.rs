//! Commit statuses reported to the local forge (`wavebump commit-status`),
//! the way external CI posts a commit status to GitHub: one JSON file
//! (`<root>/.wavebump/statuses.json`) of the latest status per context of
//! every commit of every repository, stored through [`Records`].
//!
//! Invariants: a context has one status per commit, the latest reported;
//! the aggregate of a commit is `failed` when any context failed or
//! errored, `passed` when every context succeeded, `pending` otherwise; a
//! commit with no recorded status has no aggregate (`None`: the forge's
//! CI provider answers alone). Every recorded context counts as required
//! (the local forge never merges over a red or pending status).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::records::{Records, RecordsFile};
use crate::forge::{Check, CiReport, CiState};

/// The format version this code reads and writes.
pub const FORMAT: u32 = 1;

/// A commit status's state, as GitHub names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusState {
    Success,
    Failure,
    Pending,
    Error,
}

impl StatusState {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusState::Success => "success",
            StatusState::Failure => "failure",
            StatusState::Pending => "pending",
            StatusState::Error => "error",
        }
    }

    fn ci(self) -> CiState {
        match self {
            StatusState::Success => CiState::Passed,
            StatusState::Failure | StatusState::Error => CiState::Failed,
            StatusState::Pending => CiState::Pending,
        }
    }
}

impl fmt::Display for StatusState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A commit status state name that is not one (a user error: the command
/// line or a hand-edited file said it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a status state (success, failure, pending or error)")]
pub struct UnknownStatusState(pub String);

impl FromStr for StatusState {
    type Err = UnknownStatusState;

    fn from_str(s: &str) -> Result<Self, UnknownStatusState> {
        match s {
            "success" => Ok(StatusState::Success),
            "failure" => Ok(StatusState::Failure),
            "pending" => Ok(StatusState::Pending),
            "error" => Ok(StatusState::Error),
            other => Err(UnknownStatusState(other.to_owned())),
        }
    }
}

/// One context's latest status on one commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRecord {
    pub context: String,
    pub state: StatusState,
    #[serde(default)]
    pub description: Option<String>,
    /// When it was reported (RFC 3339).
    pub at: String,
}

/// The whole file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusesFile {
    pub format: u32,
    /// Per repository, per full commit SHA: the statuses, by context.
    pub repos: BTreeMap<String, BTreeMap<String, Vec<StatusRecord>>>,
}

impl StatusesFile {
    /// The statuses of commit `sha` of `repo`.
    pub fn of(&self, repo: &str, sha: &str) -> &[StatusRecord] {
        self.repos
            .get(repo)
            .and_then(|shas| shas.get(sha))
            .map_or(&[], Vec::as_slice)
    }

    /// Record `status` on `sha`, replacing the context's earlier status.
    pub fn record(&mut self, repo: &str, sha: &str, status: StatusRecord) {
        let list = self
            .repos
            .entry(repo.to_owned())
            .or_default()
            .entry(sha.to_owned())
            .or_default();
        match list.iter_mut().find(|s| s.context == status.context) {
            Some(old) => *old = status,
            None => {
                list.push(status);
                list.sort_by(|a, b| a.context.cmp(&b.context));
            }
        }
    }

    /// The aggregate CI of `sha` (see the module invariants).
    pub fn report(&self, repo: &str, sha: &str) -> Option<CiReport> {
        let list = self.of(repo, sha);
        if list.is_empty() {
            return None;
        }
        let checks: Vec<Check> = list
            .iter()
            .map(|s| Check {
                name: s.context.clone(),
                state: s.state.ci(),
                url: None,
                required: true,
                // As GitHub's status description: a failure's first error
                // line, for failure clustering.
                first_error: (s.state.ci() == CiState::Failed)
                    .then(|| s.description.as_deref().and_then(crate::forge::first_line))
                    .flatten(),
            })
            .collect();
        Some(CiReport {
            state: aggregate(checks.iter().map(|c| c.state)),
            checks,
            note: None,
        })
    }
}

/// Failed if any failed, passed if all passed (and there is one), else
/// pending.
fn aggregate(states: impl IntoIterator<Item = CiState>) -> CiState {
    let mut all_passed = true;
    let mut any = false;
    for s in states {
        any = true;
        match s {
            CiState::Failed => return CiState::Failed,
            CiState::Pending => all_passed = false,
            CiState::Passed => {}
        }
    }
    if any && all_passed {
        CiState::Passed
    } else {
        CiState::Pending
    }
}

/// The CI provider's report with the recorded statuses beside it: a
/// provider with no checks gives way to the recorded ones entirely; with
/// both, every check counts.
pub fn combine(provider: CiReport, recorded: Option<CiReport>) -> CiReport {
    let Some(recorded) = recorded else {
        return provider;
    };
    if provider.checks.is_empty() {
        return recorded;
    }
    let state = aggregate([provider.state, recorded.state]);
    let mut checks = provider.checks;
    checks.extend(recorded.checks);
    CiReport {
        state,
        checks,
        note: provider.note,
    }
}

/// The records file.
pub type Statuses = Records<StatusesFile>;

impl RecordsFile for StatusesFile {
    const FORMAT: u32 = FORMAT;
    const WHAT: &'static str = "commit statuses";

    fn empty() -> Self {
        StatusesFile {
            format: FORMAT,
            repos: BTreeMap::new(),
        }
    }

    fn format(&self) -> u32 {
        self.format
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(context: &str, state: StatusState) -> StatusRecord {
        StatusRecord {
            context: context.to_owned(),
            state,
            description: None,
            at: "2026-01-01T00:00:00Z".to_owned(),
        }
    }

    #[test]
    fn aggregate_of_contexts() {
        let mut f = StatusesFile::empty();
        assert_eq!(f.report("a", "s"), None, "no record: no aggregate");
        f.record("a", "s", status("test", StatusState::Pending));
        assert_eq!(f.report("a", "s").unwrap().state, CiState::Pending);
        f.record("a", "s", status("lint", StatusState::Success));
        assert_eq!(f.report("a", "s").unwrap().state, CiState::Pending);
        f.record("a", "s", status("test", StatusState::Success));
        let r = f.report("a", "s").unwrap();
        assert_eq!(r.state, CiState::Passed);
        let names: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["lint", "test"], "one per context, latest wins");
        f.record("a", "s", status("lint", StatusState::Error));
        assert_eq!(f.report("a", "s").unwrap().state, CiState::Failed);
        f.record("a", "s", status("lint", StatusState::Failure));
        assert_eq!(f.report("a", "s").unwrap().state, CiState::Failed);
        assert_eq!(f.report("a", "other"), None);
        assert_eq!(f.report("b", "s"), None);
    }

    #[test]
    fn combined_with_the_provider() {
        let none = CiReport {
            state: CiState::Pending,
            checks: Vec::new(),
            note: None,
        };
        let passed = CiReport {
            state: CiState::Passed,
            checks: vec![Check {
                name: "sim".into(),
                state: CiState::Passed,
                url: None,
                required: true,
                first_error: None,
            }],
            note: None,
        };
        let mut f = StatusesFile::empty();
        f.record("a", "s", status("ext", StatusState::Success));
        assert_eq!(combine(none.clone(), None), none);
        assert_eq!(combine(none, f.report("a", "s")).state, CiState::Passed);
        assert_eq!(combine(passed.clone(), f.report("a", "s")).checks.len(), 2);
        f.record("a", "s", status("ext", StatusState::Pending));
        assert_eq!(combine(passed, f.report("a", "s")).state, CiState::Pending);
    }

    #[test]
    fn states_parse_and_print() {
        for s in ["success", "failure", "pending", "error"] {
            assert_eq!(s.parse::<StatusState>().unwrap().as_str(), s);
        }
        let err = "green".parse::<StatusState>().unwrap_err().to_string();
        assert!(err.contains("green") && err.contains("success"), "{err}");
    }

    #[test]
    fn damaged_and_newer_files_are_refused_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("statuses.json");
        let store = Statuses::new(path.clone());
        store
            .update(|f| {
                f.record("a", "s", status("test", StatusState::Success));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            store.read().unwrap().report("a", "s").unwrap().state,
            CiState::Passed
        );
        std::fs::write(&path, "{\"format\": 1, \"repos\": [").unwrap();
        let err = store.read().unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("commit statuses"), "{err}");
        std::fs::write(&path, "{\"format\": 9, \"repos\": {}}").unwrap();
        let err = store.update(|_| Ok(())).unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"format\": 9, \"repos\": {}}",
            "left untouched"
        );
    }
}
