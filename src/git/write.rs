//! Deterministic commits for the demo generator and test fixtures.
//!
//! Invariant: the same inputs give byte-identical repositories (fixed
//! author, fixed time, zeroed index timestamps).

use std::path::Path;

use git2::{Repository, Signature, Time};

use super::GitError;
use crate::ecosystem::MemTree;

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

/// Create a bare repository at `dir` whose `main` branch holds exactly
/// `files` in one commit (a remote for tests and the demo).
pub fn create_bare_repository(
    dir: &Path,
    files: &MemTree,
    message: &str,
    author: &Author<'_>,
) -> Result<String, GitError> {
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main").bare(true);
    let repo = Repository::init_opts(dir, &opts).map_err(|e| GitError::new(dir, "init", e))?;
    commit_files(&repo, dir, files, message, author)
}

/// Commit on top of `branch` (which must exist): its tree with `files`
/// written over it. Returns the new head. For fixtures that play a human
/// pushing to a bot's branch.
pub fn commit_on_branch(
    dir: &Path,
    branch: &str,
    files: &[(String, Vec<u8>)],
    message: &str,
    author: &Author<'_>,
) -> Result<String, GitError> {
    let repo = Repository::open(dir).map_err(|e| GitError::new(dir, "open", e))?;
    let refname = format!("refs/heads/{branch}");
    let parent = repo
        .find_reference(&refname)
        .and_then(|r| r.peel_to_commit())
        .map_err(|e| GitError::new(dir, "read branch", format!("{branch}: {e}")))?;
    let base = parent
        .tree()
        .map_err(|e| GitError::new(dir, "read tree", e))?;
    let tree_id = super::overlay::overlay(&repo, &base, files)
        .map_err(|e| GitError::new(dir, "write tree", e))?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(|e| GitError::new(dir, "find tree", e))?;
    let sig = Signature::new(author.name, author.email, &Time::new(author.time, 0))
        .map_err(|e| GitError::new(dir, "signature", e))?;
    let oid = repo
        .commit(Some(&refname), &sig, &sig, message, &tree, &[&parent])
        .map_err(|e| GitError::new(dir, "commit", e))?;
    Ok(oid.to_string())
}

/// Merge branch `from` into branch `into` with a merge commit (parents:
/// `into`'s head, then `from`'s), as a person's `git merge --no-ff` would.
/// Only a branch made on top of `into`'s head is merged (the merge then
/// takes `from`'s tree); anything else is refused, not resolved. Returns
/// the merge commit. For the demo and fixtures that play a person.
pub fn merge_branch(
    dir: &Path,
    into: &str,
    from: &str,
    message: &str,
    author: &Author<'_>,
) -> Result<String, GitError> {
    let repo = Repository::open(dir).map_err(|e| GitError::new(dir, "open", e))?;
    let head = |branch: &str| {
        repo.find_reference(&format!("refs/heads/{branch}"))
            .and_then(|r| r.peel_to_commit())
            .map_err(|e| GitError::new(dir, "read branch", format!("{branch}: {e}")))
    };
    let (base, tip) = (head(into)?, head(from)?);
    let on_top = base.id() == tip.id()
        || repo
            .graph_descendant_of(tip.id(), base.id())
            .map_err(|e| GitError::new(dir, "walk history", e))?;
    if !on_top {
        return Err(GitError::new(
            dir,
            "merge",
            format!("{from} is not on top of {into}: a real merge is needed"),
        ));
    }
    let tree = tip.tree().map_err(|e| GitError::new(dir, "read tree", e))?;
    let sig = Signature::new(author.name, author.email, &Time::new(author.time, 0))
        .map_err(|e| GitError::new(dir, "signature", e))?;
    let oid = repo
        .commit(
            Some(&format!("refs/heads/{into}")),
            &sig,
            &sig,
            message,
            &tree,
            &[&base, &tip],
        )
        .map_err(|e| GitError::new(dir, "commit", e))?;
    Ok(oid.to_string())
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
