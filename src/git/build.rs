//! The tree of a bump commit: the base tree plus the rewritten files, plus
//! the lockfiles the refresh commands moved.
//!
//! Invariants: without refresh commands nothing touches the disk but the
//! object database; with them, the tree is checked out into a scratch
//! directory that is removed afterwards, the commands run there (see
//! `refresh`, in the sandbox of `sandbox` unless configured otherwise; with
//! no usable sandbox every refresh is skipped with a note, or the push
//! fails when the sandbox is `required`), and only each refresh's own lockfile is taken back — never
//! through a symbolic link or from outside the scratch directory.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Tree};

use super::error::{PushError, ScratchError};
use super::overlay::{self, blob_at, check_path, checkout_to};
use super::refresh::{self, Outcome, Runner};
use super::sandbox::{self, Bwrap, RefreshSandbox};
use crate::ecosystem::LockRefresh;

/// The finished tree and one note per lock refresh.
pub(crate) struct Built {
    pub(crate) tree: Oid,
    pub(crate) notes: Vec<String>,
}

/// `base` + `files`, then each refresh of `refreshes`.
pub(crate) fn build_tree(
    repo: &Repository,
    base: &Tree<'_>,
    files: &[(String, Vec<u8>)],
    refreshes: &[LockRefresh],
    runner: &Runner<'_>,
) -> Result<Built, PushError> {
    let tree_id = overlay::overlay(repo, base, files)?;
    if refreshes.is_empty() {
        return Ok(Built {
            tree: tree_id,
            notes: Vec::new(),
        });
    }
    let sandbox = match sandbox::resolve(runner.sandbox, runner.sandbox_program, runner.path) {
        Ok(found) => Ok(found),
        Err(why) if runner.sandbox == RefreshSandbox::Required => {
            return Err(PushError::failed(
                "refresh sandbox",
                format!("pull_requests.refresh_sandbox is `required` but no sandbox: {why}"),
            ));
        }
        Err(why) => Err(why),
    };
    let tree = repo
        .find_tree(tree_id)
        .map_err(|e| PushError::failed("read tree", e))?;
    if let Err(why) = &sandbox {
        let notes = refreshes
            .iter()
            .map(|r| {
                format!(
                    "`{}` not refreshed: no sandbox: {why} (install bubblewrap or set pull_requests.refresh_sandbox: none)",
                    r.lockfile
                )
            })
            .collect();
        return Ok(Built {
            tree: tree_id,
            notes,
        });
    }
    let sandbox = sandbox.ok().flatten();
    let scratch = tempfile::Builder::new()
        .prefix("wavebump-refresh-")
        .tempdir()
        .map_err(|e| PushError::failed("scratch directory", e))?;
    checkout_to(repo, &tree, scratch.path())?;
    let root = scratch
        .path()
        .canonicalize()
        .map_err(|e| PushError::failed("scratch directory", e))?;
    let mut updates: Vec<(String, Vec<u8>)> = Vec::new();
    let mut notes = Vec::new();
    for refresh in refreshes {
        notes.push(refresh_one(
            repo,
            &tree,
            &root,
            refresh,
            runner,
            sandbox.as_ref(),
            &mut updates,
        ));
    }
    let tree = if updates.is_empty() {
        tree_id
    } else {
        overlay::overlay(repo, &tree, &updates)?
    };
    Ok(Built { tree, notes })
}

/// Run one refresh in the scratch checkout at `root`; a changed lockfile
/// is pushed onto `updates`. Returns the note for the PR body.
fn refresh_one(
    repo: &Repository,
    tree: &Tree<'_>,
    root: &Path,
    refresh: &LockRefresh,
    runner: &Runner<'_>,
    sandbox: Option<&Bwrap>,
    updates: &mut Vec<(String, Vec<u8>)>,
) -> String {
    let lockfile = refresh.lockfile.as_str();
    if let Err(e) = check_path(lockfile) {
        return format!("`{lockfile}` not refreshed: {e}");
    }
    let dir = match inside(root, &refresh.dir) {
        Ok(dir) => dir,
        Err(why) => return format!("`{lockfile}` not refreshed: {why}"),
    };
    let ran = match refresh::run_commands(root, &dir, &refresh.commands, runner, sandbox) {
        Outcome::Ran(ran) => ran,
        Outcome::Stopped(why) => return format!("`{lockfile}` not refreshed: {why}"),
    };
    let shown = ran
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", then ");
    let bytes = match read_inside(root, lockfile) {
        Ok(bytes) => bytes,
        Err(why) => return format!("ran {shown}, but `{lockfile}` could not be read: {why}"),
    };
    let before = updates
        .iter()
        .rev()
        .find(|(p, _)| p == lockfile)
        .map(|(_, b)| b.clone())
        .or_else(|| blob_at(repo, tree, lockfile));
    if before.as_deref() == Some(bytes.as_slice()) {
        return format!("ran {shown}: `{lockfile}` already up to date");
    }
    updates.push((lockfile.to_string(), bytes));
    format!("ran {shown}: `{lockfile}` updated")
}

/// `root/rel` as a real directory inside `root` (no symbolic link leads
/// out of it).
fn inside(root: &Path, rel: &str) -> Result<PathBuf, ScratchError> {
    if rel.is_empty() {
        return Ok(root.to_path_buf());
    }
    check_path(rel)?;
    let dir = root
        .join(rel)
        .canonicalize()
        .map_err(|source| ScratchError::Resolve {
            rel: rel.to_string(),
            source,
        })?;
    if !dir.starts_with(root) || !dir.is_dir() {
        return Err(ScratchError::DirOutside {
            rel: rel.to_string(),
        });
    }
    Ok(dir)
}

/// The bytes of the regular file `root/rel`, refusing symbolic links and
/// anything outside `root`.
fn read_inside(root: &Path, rel: &str) -> Result<Vec<u8>, ScratchError> {
    let path = root.join(rel);
    let meta = std::fs::symlink_metadata(&path)?;
    if !meta.is_file() {
        return Err(ScratchError::NotAFile);
    }
    let real = path.canonicalize()?;
    if !real.starts_with(root) {
        return Err(ScratchError::FileOutside);
    }
    Ok(std::fs::read(&real)?)
}
