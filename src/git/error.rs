//! Errors of the write side (fetch, commit, push).
//!
//! Invariant: no message contains a token or URL user info — every
//! constructor from a libgit2 error scrubs, and the public functions scrub
//! once more on the way out.

use super::credentials::{AuthState, Credentials, scrub, strip_userinfo};
use std::path::PathBuf;

use crate::forge::ForgeError;

/// Why a push did not happen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The branch holds a commit we did not expect (someone else pushed,
    /// or the push would not be a fast-forward): nothing was overwritten.
    #[error("push rejected: {message}")]
    Rejected { message: String },
    /// The remote refused the credentials (or asked for some and none were
    /// given).
    #[error("authentication failed: {message}")]
    Auth { message: String },
    /// The remote could not be reached or broke off (worth retrying).
    #[error("network: {message}")]
    Network { message: String },
    /// Anything else: bad input, I/O, network, a broken repository.
    #[error("{op}: {message}")]
    Failed { op: &'static str, message: String },
}

impl PushError {
    pub(crate) fn failed(op: &'static str, e: impl std::fmt::Display) -> Self {
        PushError::Failed {
            op,
            message: strip_userinfo(&e.to_string()),
        }
    }

    pub(crate) fn rejected(message: impl Into<String>) -> Self {
        PushError::Rejected {
            message: message.into(),
        }
    }

    /// A libgit2 failure talking to `url`, classified and scrubbed.
    pub(crate) fn from_git(
        op: &'static str,
        url: &str,
        creds: Option<&Credentials>,
        auth: &AuthState,
        e: &git2::Error,
    ) -> Self {
        let message = scrub(&format!("{}: {}", strip_userinfo(url), e.message()), creds);
        if auth.refused()
            || (e.code() == git2::ErrorCode::Auth)
            || (auth.asked() && creds.is_none())
        {
            return PushError::Auth { message };
        }
        if e.code() == git2::ErrorCode::NotFastForward {
            return PushError::Rejected { message };
        }
        if matches!(
            e.class(),
            git2::ErrorClass::Net | git2::ErrorClass::Http | git2::ErrorClass::Ssl
        ) {
            return PushError::Network { message };
        }
        PushError::Failed { op, message }
    }

    /// The same error with the token scrubbed from its text once more.
    pub(crate) fn scrubbed(self, creds: Option<&Credentials>) -> Self {
        match self {
            PushError::Rejected { message } => PushError::Rejected {
                message: scrub(&message, creds),
            },
            PushError::Auth { message } => PushError::Auth {
                message: scrub(&message, creds),
            },
            PushError::Network { message } => PushError::Network {
                message: scrub(&message, creds),
            },
            PushError::Failed { op, message } => PushError::Failed {
                op,
                message: scrub(&message, creds),
            },
        }
    }

    /// Someone else's commit is in the way (as opposed to a failure).
    pub fn is_rejected(&self) -> bool {
        matches!(self, PushError::Rejected { .. })
    }

    /// The forge-level error for a push of `branch` to `repo`.
    pub fn into_forge(self, repo: &str, branch: &str) -> ForgeError {
        match self {
            PushError::Rejected { message } => ForgeError::PushRejected {
                repo: repo.to_string(),
                branch: branch.to_string(),
                message,
            },
            // A token may have expired or the network hiccuped: retry.
            PushError::Auth { .. } | PushError::Network { .. } => {
                ForgeError::Other(format!("{repo}: push to {branch}: {self}"))
            }
            other => ForgeError::Repo {
                repo: repo.to_string(),
                message: format!("push to {branch}: {other}"),
            },
        }
    }
}

/// Why no usable sandbox was found for lock refreshes (`sandbox::resolve`).
/// With `refresh_sandbox: required` it fails the push; otherwise it is the
/// note every skipped refresh carries.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SandboxError {
    #[error("`bwrap` is not on PATH")]
    NotOnPath,
    #[error("`{}` does not exist", .0.display())]
    Missing(PathBuf),
    /// The probe ran and failed (user namespaces off, say): its exit status
    /// and the first line of its stderr.
    #[error(
        "`{}` cannot run here ({status}{}{first_line})",
        .program.display(),
        if .first_line.is_empty() { "" } else { ": " }
    )]
    CannotRun {
        program: PathBuf,
        status: String,
        first_line: String,
    },
    /// The probe could not be started.
    #[error("`{}` cannot start: {message}", .program.display())]
    CannotStart { program: PathBuf, message: String },
}

/// Why one lock refresh command did not succeed: the note the PR body
/// carries (the bump itself is still pushed).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CommandFailure {
    #[error("`{shown}` could not start: {source}")]
    Start {
        shown: String,
        source: std::io::Error,
    },
    #[error("`{shown}` timed out after {}s and was stopped", .timeout.as_secs_f64())]
    TimedOut {
        shown: String,
        timeout: std::time::Duration,
    },
    #[error("`{shown}`: waiting failed: {source}")]
    Wait {
        shown: String,
        source: std::io::Error,
    },
    /// A non-zero exit: `status` is "status N" or "a signal", `stderr` the
    /// last lines (token scrubbed), empty when there were none.
    #[error("`{shown}` failed with {status}{}{stderr}", if .stderr.is_empty() { "" } else { ": " })]
    Exit {
        shown: String,
        status: String,
        stderr: String,
    },
}

/// Why a path of the scratch checkout is not taken for a lock refresh (a
/// note in the PR body, never a failed push).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ScratchError {
    /// The path itself is malformed (`check_path`).
    #[error(transparent)]
    Path(#[from] PushError),
    #[error("directory `{rel}`: {source}")]
    Resolve { rel: String, source: std::io::Error },
    #[error("directory `{rel}` is not inside the checkout")]
    DirOutside { rel: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("not a regular file")]
    NotAFile,
    #[error("outside the checkout")]
    FileOutside,
}
