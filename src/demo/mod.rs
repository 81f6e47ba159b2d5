//! The demo organisation: a deterministic, realistic fleet of git
//! repositories on local disk for dry runs, tests, benchmarks and
//! `wavebump demo`.
//!
//! Invariant: the same options give byte-identical repositories (fixed
//! authors and timestamps, a seeded generator, git config isolated).
//!
//! `wavebump demo` (`run`): the organisation as bare repositories behind a
//! `LocalForge`, simulated CI (`ci`), the real planner, store and engine,
//! driven by a simulated clock; progress and summary lines (`transcript`);
//! `steer` lets the status page act on the running demo.

pub mod ci;
mod fleet;
mod rng;
mod run;
pub mod steer;
mod transcript;

use std::path::Path;

pub use ci::Faults;
pub use fleet::{RepoSpec, fleet};
pub use run::{DEFAULT_SPEED, Demo, DemoError, DemoOptions, DemoOutcome, START, Summary};
pub use steer::{DemoCommands, PAGE_OPERATOR, Steering};
pub use transcript::duration as format_duration;

/// The configuration the demo organisation is planned and rolled out with.
pub const CONFIG: &str = include_str!("demo.yaml");

use crate::git::{self, Author, GitError};

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Total repositories, the library's own included (at least the ~40 of
    /// the hand-written core; more are generated services and libraries).
    pub repos: usize,
    pub seed: u64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions { repos: 40, seed: 1 }
    }
}

/// The fixed author of generated history: 2026-01-01T00:00:00Z.
const AUTHOR: Author<'static> = Author {
    name: "wavebump demo",
    email: "demo@wavebump.invalid",
    time: 1_767_225_600,
};

/// How the repositories are laid out on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `NAME/` with a checked-out work tree (to look at).
    WorkTree,
    /// `NAME.git/`, bare (a forge's side: pushes to the default branch
    /// leave no stale work tree behind).
    Bare,
}

/// Write the organisation under `dir` (created; must be empty or absent):
/// one git repository per subdirectory. Returns the repositories written.
pub fn generate(dir: &Path, opts: &GenerateOptions) -> Result<Vec<RepoSpec>, GitError> {
    generate_with(dir, opts, Layout::WorkTree)
}

/// [`generate`] with a chosen [`Layout`].
pub fn generate_with(
    dir: &Path,
    opts: &GenerateOptions,
    layout: Layout,
) -> Result<Vec<RepoSpec>, GitError> {
    let io_err = |e: std::io::Error| GitError {
        repo: dir.display().to_string(),
        op: "create directory",
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(io_err)?;
    if std::fs::read_dir(dir).map_err(io_err)?.next().is_some() {
        return Err(GitError {
            repo: dir.display().to_string(),
            op: "generate",
            message: "directory is not empty".into(),
        });
    }
    let specs = fleet(opts);
    let create = |repo_dir: &Path, files: &crate::ecosystem::MemTree, message: &str| match layout {
        Layout::WorkTree => git::create_repository(repo_dir, files, message, &AUTHOR),
        Layout::Bare => git::create_bare_repository(repo_dir, files, message, &AUTHOR).map(|_| ()),
    };
    for spec in &specs {
        let repo_dir = match layout {
            Layout::WorkTree => dir.join(&spec.name),
            Layout::Bare => dir.join(format!("{}.git", spec.name)),
        };
        let mut history = spec.history.iter();
        let Some((first_tag, first)) = history.next() else {
            create(&repo_dir, &spec.files, "Initial commit")?;
            continue;
        };
        create(&repo_dir, first, "Release")?;
        git::tag_head(&repo_dir, first_tag)?;
        for (tag, files) in history {
            git::commit_tree(&repo_dir, files, &format!("Release {tag}"), &AUTHOR)?;
            git::tag_head(&repo_dir, tag)?;
        }
    }
    Ok(specs)
}
