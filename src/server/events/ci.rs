//! `check_run`, `check_suite` and `status`: CI results of a target's head.

use super::json::{Obj, ParseError};
use super::types::{Actor, App, Common, Repository, string_enum};

string_enum! {
    /// `action` of a `check_run` delivery.
    CheckRunAction {
        Created = "created",
        Completed = "completed",
        Rerequested = "rerequested",
        RequestedAction = "requested_action",
    }
}

string_enum! {
    /// `action` of a `check_suite` delivery.
    CheckSuiteAction {
        Completed = "completed",
        Requested = "requested",
        Rerequested = "rerequested",
    }
}

string_enum! {
    /// `status` of a check run or suite.
    CheckStatus {
        Queued = "queued",
        InProgress = "in_progress",
        Completed = "completed",
        Waiting = "waiting",
        Requested = "requested",
        Pending = "pending",
    }
}

string_enum! {
    /// `conclusion` of a completed check run or suite.
    Conclusion {
        Success = "success",
        Failure = "failure",
        Neutral = "neutral",
        Cancelled = "cancelled",
        Skipped = "skipped",
        TimedOut = "timed_out",
        ActionRequired = "action_required",
        Stale = "stale",
        StartupFailure = "startup_failure",
    }
}

string_enum! {
    /// `state` of a commit status.
    StatusState {
        Pending = "pending",
        Success = "success",
        Failure = "failure",
        Error = "error",
    }
}

/// A `check_run` delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckRunEvent {
    /// `action`.
    pub action: CheckRunAction,
    /// `repository`.
    pub repository: Repository,
    /// `check_run.id`.
    pub id: u64,
    /// `check_run.name`.
    pub name: String,
    /// `check_run.head_sha`.
    pub head_sha: String,
    /// `check_run.status`.
    pub status: CheckStatus,
    /// `check_run.conclusion` (`None` until completed).
    pub conclusion: Option<Conclusion>,
    /// `check_run.html_url`.
    pub html_url: Option<String>,
    /// `check_run.app`.
    pub app: Option<App>,
    /// `check_run.check_suite.id`.
    pub check_suite_id: Option<u64>,
    /// `check_run.pull_requests[].number`.
    pub pull_requests: Vec<u64>,
    /// `sender` (not required by GitHub's schema for every event).
    pub sender: Option<Actor>,
    /// `installation.id`.
    pub installation_id: Option<u64>,
}

/// A `check_suite` delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckSuiteEvent {
    /// `action`.
    pub action: CheckSuiteAction,
    /// `repository`.
    pub repository: Repository,
    /// `check_suite.id`.
    pub id: u64,
    /// `check_suite.head_sha`.
    pub head_sha: String,
    /// `check_suite.head_branch` (`None` for a suite on a tag or detached sha).
    pub head_branch: Option<String>,
    /// `check_suite.status`.
    pub status: Option<CheckStatus>,
    /// `check_suite.conclusion`.
    pub conclusion: Option<Conclusion>,
    /// `check_suite.app`.
    pub app: Option<App>,
    /// `check_suite.pull_requests[].number`.
    pub pull_requests: Vec<u64>,
    /// `sender` (not required by GitHub's schema for every event).
    pub sender: Option<Actor>,
    /// `installation.id`.
    pub installation_id: Option<u64>,
}

/// A `status` delivery (the commit-status API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusEvent {
    /// `repository`.
    pub repository: Repository,
    /// `sha`.
    pub sha: String,
    /// `state`.
    pub state: StatusState,
    /// `context`, e.g. `ci/jenkins`.
    pub context: String,
    /// `target_url`.
    pub target_url: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `branches[].name` containing the commit.
    pub branches: Vec<String>,
    /// `sender` (not required by GitHub's schema for every event).
    pub sender: Option<Actor>,
    /// `installation.id`.
    pub installation_id: Option<u64>,
}

fn pr_numbers(o: &Obj<'_>) -> Result<Vec<u64>, ParseError> {
    o.opt_objs("pull_requests")?
        .unwrap_or_default()
        .iter()
        .map(|p| p.u64("number"))
        .collect()
}

pub(crate) fn parse_check_run(root: &Obj<'_>) -> Result<CheckRunEvent, ParseError> {
    let common = Common::parse(root)?;
    let run = root.obj("check_run")?;
    Ok(CheckRunEvent {
        action: CheckRunAction::parse(root.str("action")?),
        repository: common.repository,
        id: run.u64("id")?,
        name: run.string("name")?,
        head_sha: run.string("head_sha")?,
        status: CheckStatus::parse(run.str("status")?),
        conclusion: run.opt_str("conclusion")?.map(Conclusion::parse),
        html_url: run.opt_string("html_url")?,
        app: App::parse_opt(run.opt_obj("app")?)?,
        check_suite_id: run
            .opt_obj("check_suite")?
            .map(|s| s.opt_u64("id"))
            .transpose()?
            .flatten(),
        pull_requests: pr_numbers(&run)?,
        sender: common.sender,
        installation_id: common.installation_id,
    })
}

pub(crate) fn parse_check_suite(root: &Obj<'_>) -> Result<CheckSuiteEvent, ParseError> {
    let common = Common::parse(root)?;
    let suite = root.obj("check_suite")?;
    Ok(CheckSuiteEvent {
        action: CheckSuiteAction::parse(root.str("action")?),
        repository: common.repository,
        id: suite.u64("id")?,
        head_sha: suite.string("head_sha")?,
        head_branch: suite.opt_string("head_branch")?,
        status: suite.opt_str("status")?.map(CheckStatus::parse),
        conclusion: suite.opt_str("conclusion")?.map(Conclusion::parse),
        app: App::parse_opt(suite.opt_obj("app")?)?,
        pull_requests: pr_numbers(&suite)?,
        sender: common.sender,
        installation_id: common.installation_id,
    })
}

pub(crate) fn parse_status(root: &Obj<'_>) -> Result<StatusEvent, ParseError> {
    let common = Common::parse(root)?;
    Ok(StatusEvent {
        repository: common.repository,
        sha: root.string("sha")?,
        state: StatusState::parse(root.str("state")?),
        context: root.string("context")?,
        target_url: root.opt_string("target_url")?,
        description: root.opt_string("description")?,
        branches: root.strings_or_empty("branches", "name")?,
        sender: common.sender,
        installation_id: common.installation_id,
    })
}
