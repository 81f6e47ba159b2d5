//! `wavebump commit-status`: report a CI result to the local forge, the way
//! external CI posts a commit status to GitHub. The local forge's
//! `ci_state` then answers from it, so `rollout run --local` completes with
//! no operator.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::forge::local::{LocalForge, NewStatus, StatusState};

#[derive(Debug, clap::Args)]
pub struct CommitStatusArgs {
    /// The local forge's directory of git repositories.
    #[arg(long, value_name = "DIR")]
    pub local: PathBuf,
    /// The repository (its directory name, without `.git`).
    #[arg(long, value_name = "NAME")]
    pub repo: String,
    /// The commit (full or abbreviated SHA).
    #[arg(long)]
    pub sha: String,
    /// The check's name; a later status of the same context replaces it.
    #[arg(long)]
    pub context: String,
    /// success, failure, pending or error.
    #[arg(long)]
    pub state: StatusState,
    /// A short description shown beside the check.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

/// Exit codes: 0 recorded, 1 the forge's files could not be read or
/// written, 2 a bad directory, repository, commit or context.
pub fn run(args: &CommitStatusArgs) -> ExitCode {
    if !args.local.is_dir() {
        return fail(
            2,
            format!("--local {}: not a directory", args.local.display()),
        );
    }
    let rt = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(e) => return fail(1, format!("start the runtime: {e}")),
    };
    let forge = LocalForge::new(&args.local);
    let status = NewStatus {
        context: args.context.clone(),
        state: args.state,
        description: args.description.clone(),
    };
    match rt.block_on(forge.record_status(&args.repo, &args.sha, status)) {
        Ok(sha) => {
            println!(
                "{}@{}: {} is {}",
                args.repo,
                &sha[..sha.len().min(12)],
                args.context,
                args.state
            );
            ExitCode::SUCCESS
        }
        Err(e) if e.is_usage() => fail(2, e),
        Err(e) => fail(1, e),
    }
}
