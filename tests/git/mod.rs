//! The git module's write side against real repositories: bare remotes on
//! disk (`file://`) and a smart-HTTP server over `git http-backend` with
//! basic auth (`support::git_http`).

mod http;
mod push;
mod refresh;

use std::path::{Path, PathBuf};

use tempfile::TempDir;
use wavebump::ecosystem::{LockRefresh, MemTree};
use wavebump::forge::BranchPush;
use wavebump::git::{self, Author, Identity};

use crate::support::org::isolate_git;

pub const BOT: &str = "wavebump[bot]";
pub const BOT_EMAIL: &str = "1+wavebump[bot]@users.noreply.github.com";
pub const BRANCH: &str = "wavebump/core-utils-2.0.0";

pub fn bot() -> Identity {
    Identity {
        name: BOT.to_string(),
        email: BOT_EMAIL.to_string(),
    }
}

pub fn human() -> Identity {
    Identity {
        name: "Ada Human".to_string(),
        email: "ada@example.com".to_string(),
    }
}

pub const HUMAN_AUTHOR: Author<'static> = Author {
    name: "Ada Human",
    email: "ada@example.com",
    time: 1_700_000_000,
};

/// A directory holding bare repositories (the "remote side") and a cache
/// directory (the bot's side).
pub struct World {
    pub remotes: TempDir,
    pub cache: TempDir,
}

impl World {
    pub fn new() -> World {
        isolate_git();
        World {
            remotes: tempfile::tempdir().expect("tempdir"),
            cache: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Create bare repository `name` whose `main` holds `files`.
    pub fn remote(&self, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = self.remotes.path().join(name);
        let mut tree = MemTree::new();
        for (path, text) in files {
            tree.insert(path.to_string(), text.as_bytes().to_vec());
        }
        git::create_bare_repository(&dir, &tree, "Initial commit", &HUMAN_AUTHOR)
            .expect("create remote");
        dir
    }

    pub fn cache_dir(&self) -> &Path {
        self.cache.path()
    }
}

/// `file://` URL of a directory.
pub fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

/// The commit a branch of a repository points to.
pub fn head_of(dir: &Path, branch: &str) -> Option<String> {
    git::refs(dir)
        .expect("refs")
        .into_iter()
        .find(|(name, _)| name == &format!("refs/heads/{branch}"))
        .map(|(_, sha)| sha)
}

/// A file's text on a branch.
pub fn file_on(dir: &Path, branch: &str, path: &str) -> Option<String> {
    let tree = git::read_branch(dir, branch, &|p| p == path)
        .expect("read branch")
        .expect("branch exists");
    tree.get(path)
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

/// A bump of `files` onto `BRANCH` from `main`.
pub fn bump(files: &[(&str, &str)], expected: Option<&str>) -> BranchPush {
    BranchPush {
        branch: BRANCH.to_string(),
        base_branch: "main".to_string(),
        files: files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect(),
        message: "Bump core-utils from 1.4.0 to 2.0.0".to_string(),
        expected_head: expected.map(str::to_string),
        lock_refresh: Vec::new(),
    }
}

/// A refresh of `lockfile` in `dir` by `commands`.
pub fn refresh(dir: &str, lockfile: &str, commands: &[&[&str]]) -> LockRefresh {
    LockRefresh {
        dir: dir.to_string(),
        lockfile: lockfile.to_string(),
        commands: commands
            .iter()
            .map(|c| c.iter().map(|s| s.to_string()).collect())
            .collect(),
    }
}

/// Every file below `dir`, recursively (to search a cache for a token).
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}
