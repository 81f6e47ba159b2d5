//! Errors of the write side (fetch, commit, push).
//!
//! Invariant: no message contains a token or URL user info — every
//! constructor from a libgit2 error scrubs, and the public functions scrub
//! once more on the way out.

use super::credentials::{AuthState, Credentials, scrub, strip_userinfo};
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
