//! People acting on a local forge's bare repositories with the git CLI,
//! in a temporary clone, with git's configuration isolated (no global or
//! system config; identity and dates fixed).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A person's clone of one bare repository.
pub struct Clone {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    name: String,
}

/// `git ARGS` in `cwd` as `name`, isolated; panics with git's output on
/// failure. Returns stdout.
pub fn git(cwd: &Path, name: &str, args: &[&str]) -> String {
    let email = format!("{}@example.invalid", name.to_ascii_lowercase());
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", cwd)
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", &email)
        .env("GIT_COMMITTER_NAME", name)
        .env("GIT_COMMITTER_EMAIL", &email)
        .env("GIT_AUTHOR_DATE", "2026-02-03T04:05:06Z")
        .env("GIT_COMMITTER_DATE", "2026-02-03T04:05:06Z")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Clone {
    /// Clone the bare repository `bare` as `name`.
    pub fn of(bare: &Path, name: &str) -> Clone {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("work");
        git(
            dir.path(),
            name,
            &["clone", "-q", bare.to_str().expect("utf-8 path"), "work"],
        );
        Clone {
            _dir: dir,
            path,
            name: name.to_owned(),
        }
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(&self.path, &self.name, args)
    }

    /// Merge `origin/BRANCH` into `main` with a merge commit and push.
    pub fn merge_and_push(&self, branch: &str) {
        self.git(&["fetch", "-q", "origin"]);
        self.git(&["checkout", "-q", "main"]);
        self.git(&[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            &format!("Merge {branch}"),
            &format!("origin/{branch}"),
        ]);
        self.git(&["push", "-q", "origin", "main"]);
    }

    /// Commit `contents` to `path` on `branch` and push it: the head
    /// the PR now has.
    pub fn push_fix(&self, branch: &str, path: &str, contents: &str) -> String {
        self.git(&["fetch", "-q", "origin"]);
        self.git(&["checkout", "-q", "-B", branch, &format!("origin/{branch}")]);
        std::fs::write(self.path.join(path), contents).expect("write the fix");
        self.git(&["commit", "-q", "-am", "Adapt to the new major"]);
        self.git(&["push", "-q", "origin", branch]);
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }
}
