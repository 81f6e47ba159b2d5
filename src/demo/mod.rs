//! The demo organisation: a deterministic, realistic fleet of git
//! repositories on local disk for dry runs, tests, benchmarks and
//! `wavebump demo`.
//!
//! Invariant: the same options give byte-identical repositories (fixed
//! authors and timestamps, a seeded generator, git config isolated).

mod fleet;
mod rng;

use std::path::Path;

pub use fleet::{RepoSpec, fleet};

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

/// Write the organisation under `dir` (created; must be empty or absent):
/// one git repository per subdirectory. Returns the repositories written.
pub fn generate(dir: &Path, opts: &GenerateOptions) -> Result<Vec<RepoSpec>, GitError> {
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
    for spec in &specs {
        let repo_dir = dir.join(&spec.name);
        let mut history = spec.history.iter();
        let Some((first_tag, first)) = history.next() else {
            git::create_repository(&repo_dir, &spec.files, "Initial commit", &AUTHOR)?;
            continue;
        };
        git::create_repository(&repo_dir, first, "Release", &AUTHOR)?;
        git::tag_head(&repo_dir, first_tag)?;
        for (tag, files) in history {
            git::commit_tree(&repo_dir, files, &format!("Release {tag}"), &AUTHOR)?;
            git::tag_head(&repo_dir, tag)?;
        }
    }
    Ok(specs)
}
