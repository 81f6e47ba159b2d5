//! The only importer of git2: open repositories, read committed trees and
//! tags, and write commits (the demo organisation generator).
//!
//! Invariant: every call blocks; async callers run it on
//! `tokio::task::spawn_blocking`. Nothing here reads a work tree: what a
//! repository "contains" is its default branch's committed tree.

use std::path::Path;

use git2::{Repository, Signature, Time};

use crate::ecosystem::MemTree;

/// A git failure, naming the repository and the operation.
#[derive(Debug, thiserror::Error)]
#[error("{repo}: {op}: {message}")]
pub struct GitError {
    pub repo: String,
    pub op: &'static str,
    pub message: String,
}

impl GitError {
    fn new(repo: &Path, op: &'static str, e: impl std::fmt::Display) -> Self {
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

/// Is `dir` a git repository (bare or with a work tree)?
pub fn is_repository(dir: &Path) -> bool {
    Repository::open(dir).is_ok()
}

/// The branch `HEAD` names, read from the `HEAD` file without opening the
/// repository (cheap: listing thousands of repositories opens none).
/// `None` when `dir` does not look like a git repository.
pub fn head_branch(dir: &Path) -> Option<String> {
    let git_dir = if dir.join(".git/HEAD").is_file() {
        dir.join(".git")
    } else if dir.join("HEAD").is_file() && dir.join("objects").is_dir() {
        dir.to_path_buf()
    } else {
        return None;
    };
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    match head.strip_prefix("ref: ") {
        Some(r) => Some(r.strip_prefix("refs/heads/").unwrap_or(r).to_string()),
        None => Some("HEAD".to_string()), // detached
    }
}

/// The default branch's name and the files of its committed tree for which
/// `want(path)` holds. An empty repository (no commit yet) gives no files.
pub fn read_default_branch(
    dir: &Path,
    want: &dyn Fn(&str) -> bool,
) -> Result<(String, MemTree), GitError> {
    let repo = Repository::open(dir).map_err(|e| GitError::new(dir, "open", e))?;
    let head = match repo.head() {
        Ok(head) => head,
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
            return Ok((unborn_branch(&repo), MemTree::new()));
        }
        Err(e) => return Err(GitError::new(dir, "resolve HEAD", e)),
    };
    let branch = head.shorthand().unwrap_or("HEAD").to_string();
    let tree = head
        .peel_to_tree()
        .map_err(|e| GitError::new(dir, "read HEAD tree", e))?;
    let mut files = MemTree::new();
    let mut failure = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
        if entry.kind() != Some(git2::ObjectType::Blob) {
            return git2::TreeWalkResult::Ok;
        }
        let Ok(name) = entry.name() else {
            return git2::TreeWalkResult::Ok;
        };
        let path = format!("{root}{name}");
        if !want(&path) {
            return git2::TreeWalkResult::Ok;
        }
        match repo.find_blob(entry.id()) {
            Ok(blob) => files.insert(path, blob.content().to_vec()),
            Err(e) => {
                failure = Some(GitError::new(dir, "read blob", format!("{path}: {e}")));
                return git2::TreeWalkResult::Abort;
            }
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(|e| GitError::new(dir, "walk tree", e))
    .or_else(|e| if failure.is_some() { Ok(()) } else { Err(e) })?;
    match failure {
        Some(e) => Err(e),
        None => Ok((branch, files)),
    }
}

fn unborn_branch(repo: &Repository) -> String {
    repo.find_reference("HEAD")
        .ok()
        .and_then(|r| r.symbolic_target().ok().flatten().map(str::to_string))
        .and_then(|t| t.strip_prefix("refs/heads/").map(str::to_string))
        .unwrap_or_else(|| "main".to_string())
}

/// Every tag name of the repository.
pub fn tags(dir: &Path) -> Result<Vec<String>, GitError> {
    let repo = Repository::open(dir).map_err(|e| GitError::new(dir, "open", e))?;
    let names = repo
        .tag_names(None)
        .map_err(|e| GitError::new(dir, "list tags", e))?;
    Ok(names
        .iter()
        .flatten()
        .flatten()
        .map(str::to_string)
        .collect())
}

/// Every ref name (branches and tags) with the object it points to, sorted:
/// lets tests prove that a dry run changed nothing.
pub fn refs(dir: &Path) -> Result<Vec<(String, String)>, GitError> {
    let repo = Repository::open(dir).map_err(|e| GitError::new(dir, "open", e))?;
    let mut out = Vec::new();
    for r in repo
        .references()
        .map_err(|e| GitError::new(dir, "list refs", e))?
        .flatten()
    {
        if let (Ok(name), Some(target)) = (r.name(), r.target()) {
            out.push((name.to_string(), target.to_string()));
        }
    }
    out.sort();
    Ok(out)
}

/// A fixed author for generated history, so generated repositories are
/// byte-for-byte reproducible.
pub struct Author<'a> {
    pub name: &'a str,
    pub email: &'a str,
    /// Seconds since the epoch.
    pub time: i64,
}

/// Create a repository at `dir` (with a work tree) whose `main` branch holds
/// exactly `files` in one commit; the work tree is checked out.
pub fn create_repository(
    dir: &Path,
    files: &MemTree,
    message: &str,
    author: &Author<'_>,
) -> Result<(), GitError> {
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(dir, &opts).map_err(|e| GitError::new(dir, "init", e))?;
    commit_files(&repo, dir, files, message, author)?;
    let mut checkout = git2::build::CheckoutBuilder::new();
    checkout.force();
    repo.checkout_head(Some(&mut checkout))
        .map_err(|e| GitError::new(dir, "checkout", e))?;
    Ok(())
}

/// Commit `files` (the whole tree) on top of HEAD of the repository at
/// `dir`; a work tree, if any, is checked out to match.
pub fn commit_tree(
    dir: &Path,
    files: &MemTree,
    message: &str,
    author: &Author<'_>,
) -> Result<String, GitError> {
    let repo = Repository::open(dir).map_err(|e| GitError::new(dir, "open", e))?;
    let oid = commit_files(&repo, dir, files, message, author)?;
    if !repo.is_bare() {
        let mut checkout = git2::build::CheckoutBuilder::new();
        checkout.force().remove_untracked(true);
        repo.checkout_head(Some(&mut checkout))
            .map_err(|e| GitError::new(dir, "checkout", e))?;
    }
    Ok(oid)
}

fn commit_files(
    repo: &Repository,
    dir: &Path,
    files: &MemTree,
    message: &str,
    author: &Author<'_>,
) -> Result<String, GitError> {
    let mut index = git2::Index::new().map_err(|e| GitError::new(dir, "index", e))?;
    for (path, bytes) in files.iter() {
        let oid = repo
            .blob(bytes)
            .map_err(|e| GitError::new(dir, "write blob", e))?;
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: bytes.len() as u32,
            id: oid,
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        index
            .add(&entry)
            .map_err(|e| GitError::new(dir, "stage", format!("{path}: {e}")))?;
    }
    let tree_id = index
        .write_tree_to(repo)
        .map_err(|e| GitError::new(dir, "write tree", e))?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(|e| GitError::new(dir, "find tree", e))?;
    let sig = Signature::new(author.name, author.email, &Time::new(author.time, 0))
        .map_err(|e| GitError::new(dir, "signature", e))?;
    let parent = match repo.head() {
        Ok(head) => Some(
            head.peel_to_commit()
                .map_err(|e| GitError::new(dir, "read HEAD", e))?,
        ),
        Err(_) => None,
    };
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let oid = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .map_err(|e| GitError::new(dir, "commit", e))?;
    Ok(oid.to_string())
}

/// Create a lightweight tag `name` at HEAD.
pub fn tag_head(dir: &Path, name: &str) -> Result<(), GitError> {
    let repo = Repository::open(dir).map_err(|e| GitError::new(dir, "open", e))?;
    let head = repo
        .head()
        .and_then(|h| h.peel(git2::ObjectType::Commit))
        .map_err(|e| GitError::new(dir, "read HEAD", e))?;
    repo.tag_lightweight(name, &head, false)
        .map_err(|e| GitError::new(dir, "tag", format!("{name}: {e}")))?;
    Ok(())
}
