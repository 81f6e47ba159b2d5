//! The only importer of git2.
//!
//! - `read`: open repositories, read committed trees, tags, refs, commits;
//! - `write`: deterministic commits for the demo generator and fixtures;
//! - `push`: the bot's write side — fetch a repository's default branch
//!   into a cache (`cache`), build one commit of whole-file rewrites on top
//!   of it (`overlay`, `build`), refresh lockfiles (`refresh`, inside `bwrap`: `sandbox`), commit as
//!   the App's bot identity and push with callback credentials
//!   (`credentials`); failures are `PushError` (`error`).
//!
//! Invariants: every call blocks; async callers run it on
//! `tokio::task::spawn_blocking`. Reading never looks at a work tree: what a
//! repository "contains" is its default branch's committed tree. A token
//! reaches libgit2 only through the credentials callback: never a remote
//! URL, `.git/config`, a log line or an error message.

mod build;
mod cache;
mod credentials;
mod error;
mod overlay;
mod push;
mod read;
mod refresh;
mod sandbox;
mod write;

use std::path::Path;

pub use credentials::Credentials;
pub use error::PushError;
pub use push::{
    Identity, PushOptions, empty_commit_push, push_branch, push_branch_with, remote_branch_head,
};
pub use read::{
    CommitInfo, Landing, commit_info, head_branch, is_repository, landing, read_branch,
    read_default_branch, refs, tags,
};
pub use refresh::DEFAULT_REFRESH_TIMEOUT;
pub use sandbox::RefreshSandbox;
pub use write::{
    Author, commit_on_branch, commit_tree, create_bare_repository, create_repository, merge_branch,
    tag_head,
};

/// A name as text: UTF-8 runs as they are (control characters escaped as
/// Rust does), every byte that is not part of valid UTF-8 as `\xNN`. Used to
/// name a repository or path that is not UTF-8 in an error.
pub fn escape_name(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() || c == '\\' {
                out.extend(c.escape_debug());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// A git failure, naming the repository and the operation.
#[derive(Debug, thiserror::Error)]
#[error("{repo}: {op}: {message}")]
pub struct GitError {
    pub repo: String,
    pub op: &'static str,
    pub message: String,
}

impl GitError {
    pub(crate) fn new(repo: &Path, op: &'static str, e: impl std::fmt::Display) -> Self {
        GitError {
            repo: repo.display().to_string(),
            op,
            message: e.to_string(),
        }
    }
}

/// Point libgit2's global, XDG and system configuration at `dir` so that
/// nothing of the developer's own git configuration leaks into generated or
/// tested repositories. Call once, before any other git operation.
pub fn isolate_global_config(dir: &Path) -> Result<(), GitError> {
    for level in [
        git2::ConfigLevel::Global,
        git2::ConfigLevel::XDG,
        git2::ConfigLevel::System,
    ] {
        // SAFETY: libgit2 documents set_search_path as not thread-safe with
        // respect to concurrent repository operations; callers invoke this
        // once at start-up, before any repository is opened.
        unsafe { git2::opts::set_search_path(level, dir) }
            .map_err(|e| GitError::new(dir, "isolate git config", e))?;
    }
    Ok(())
}

/// Bound libgit2's network waits (connect, then each read/write), so a
/// silent server fails a fetch or push instead of hanging a worker. Global
/// to the process: call once at start-up, like [`isolate_global_config`].
pub fn set_network_timeouts(connect_ms: u32, io_ms: u32) -> Result<(), GitError> {
    let here = Path::new("(libgit2 options)");
    let connect = i32::try_from(connect_ms).unwrap_or(i32::MAX);
    let io = i32::try_from(io_ms).unwrap_or(i32::MAX);
    // SAFETY: as for `set_search_path`: process-wide libgit2 options, set
    // once at start-up before any network operation.
    unsafe {
        git2::opts::set_server_connect_timeout_in_milliseconds(connect)
            .map_err(|e| GitError::new(here, "set connect timeout", e))?;
        git2::opts::set_server_timeout_in_milliseconds(io)
            .map_err(|e| GitError::new(here, "set network timeout", e))?;
    }
    Ok(())
}
