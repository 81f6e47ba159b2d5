//! Trees built from a base tree plus whole-file contents, written straight
//! into the object database (no index, no work tree), and the checkout of
//! such a tree into a scratch directory when a lockfile refresh needs files
//! on disk.
//!
//! Invariant: a path is accepted only when it is relative, made of normal
//! components and names nothing inside `.git`; a file keeps its mode
//! (executable stays executable) when it already exists in the base tree.

use std::path::Path;

use git2::{FileMode, Oid, Repository, Tree, build::TreeUpdateBuilder};

use super::error::PushError;

/// Check a repository-relative path coming from a caller.
pub(crate) fn check_path(path: &str) -> Result<(), PushError> {
    let bad = |why: &str| PushError::failed("check path", format!("{path:?}: {why}"));
    if path.is_empty() {
        return Err(bad("empty path"));
    }
    if path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return Err(bad("expected a relative path with '/' separators"));
    }
    for part in path.split('/') {
        match part {
            "" | "." | ".." => return Err(bad("expected normal path components")),
            p if p.eq_ignore_ascii_case(".git") => return Err(bad("path inside .git")),
            _ => {}
        }
    }
    Ok(())
}

/// `base` with every `(path, bytes)` of `files` written as a blob; returns
/// the new tree's id.
pub(crate) fn overlay(
    repo: &Repository,
    base: &Tree<'_>,
    files: &[(String, Vec<u8>)],
) -> Result<Oid, PushError> {
    let mut update = TreeUpdateBuilder::new();
    for (path, bytes) in files {
        check_path(path)?;
        let blob = repo
            .blob(bytes)
            .map_err(|e| PushError::failed("write blob", format!("{path}: {e}")))?;
        let mode = match base.get_path(Path::new(path)) {
            Ok(entry) if entry.filemode() == i32::from(FileMode::BlobExecutable) => {
                FileMode::BlobExecutable
            }
            _ => FileMode::Blob,
        };
        update.upsert(path.as_str(), blob, mode);
    }
    update
        .create_updated(repo, base)
        .map_err(|e| PushError::failed("write tree", e))
}

/// Write the files of `tree` into `dir` (which must exist and be empty).
pub(crate) fn checkout_to(repo: &Repository, tree: &Tree<'_>, dir: &Path) -> Result<(), PushError> {
    let mut checkout = git2::build::CheckoutBuilder::new();
    checkout
        .force()
        .target_dir(dir)
        .recreate_missing(true)
        .update_index(false);
    repo.checkout_tree(tree.as_object(), Some(&mut checkout))
        .map_err(|e| PushError::failed("check out", format!("{}: {e}", dir.display())))
}

/// The bytes of `path` in `tree`, if it is a blob there.
pub(crate) fn blob_at(repo: &Repository, tree: &Tree<'_>, path: &str) -> Option<Vec<u8>> {
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    Some(blob.content().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_checks() {
        for (path, ok) in [
            ("Cargo.toml", true),
            ("services/api/package.json", true),
            ("", false),
            ("/etc/passwd", false),
            ("a/../b", false),
            ("./a", false),
            ("a//b", false),
            (".git/config", false),
            ("sub/.GIT/hooks/x", false),
            ("a\\b", false),
        ] {
            assert_eq!(check_path(path).is_ok(), ok, "{path:?}");
        }
    }
}
