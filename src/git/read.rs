//! The read side: open repositories, read committed trees, tags and refs.
//!
//! Invariant: nothing here reads a work tree or writes anything.

use std::path::Path;

use git2::Repository;

use super::GitError;
use crate::ecosystem::MemTree;

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
    Ok((branch, collect(&repo, dir, &tree, want)?))
}

/// The files of `branch`'s committed tree for which `want(path)` holds, or
/// `None` when the branch does not exist.
pub fn read_branch(
    dir: &Path,
    branch: &str,
    want: &dyn Fn(&str) -> bool,
) -> Result<Option<MemTree>, GitError> {
    let repo = Repository::open(dir).map_err(|e| GitError::new(dir, "open", e))?;
    let Ok(reference) = repo.find_reference(&format!("refs/heads/{branch}")) else {
        return Ok(None);
    };
    let tree = reference
        .peel_to_tree()
        .map_err(|e| GitError::new(dir, "read branch tree", format!("{branch}: {e}")))?;
    collect(&repo, dir, &tree, want).map(Some)
}

/// What a commit says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    pub tree: String,
    pub parents: Vec<String>,
    pub author_name: String,
    pub author_email: String,
    pub committer_email: String,
    pub message: String,
}

/// The commit `rev` (a SHA, branch or other revision) of the repository.
pub fn commit_info(dir: &Path, rev: &str) -> Result<CommitInfo, GitError> {
    let repo = Repository::open(dir).map_err(|e| GitError::new(dir, "open", e))?;
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| GitError::new(dir, "read commit", format!("{rev}: {e}")))?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Ok(CommitInfo {
        id: commit.id().to_string(),
        tree: commit.tree_id().to_string(),
        parents: commit.parent_ids().map(|p| p.to_string()).collect(),
        author_name: text(commit.author().name_bytes()),
        author_email: text(commit.author().email_bytes()),
        committer_email: text(commit.committer().email_bytes()),
        message: text(commit.message_bytes()),
    })
}

/// The blobs of `tree` for which `want(path)` holds. A relevant path that
/// is not UTF-8 (a file, or any file below a directory, whose name is not)
/// cannot be named in a manifest or a pull request: it is recorded in the
/// tree's `non_utf8` list, escaped (`caf\xE9/package.json`), for discovery
/// to report, and the rest of the tree is read.
fn collect(
    repo: &Repository,
    dir: &Path,
    tree: &git2::Tree<'_>,
    want: &dyn Fn(&str) -> bool,
) -> Result<MemTree, GitError> {
    let mut files = MemTree::new();
    walk(repo, dir, tree, "", false, want, &mut files)?;
    Ok(files)
}

/// One level of [`collect`]: `prefix` is the escaped path so far (ending in
/// `/` unless empty); `escaped` says whether any component of it was not
/// UTF-8. Libgit2's own walk gives up on such a name with an error that
/// fails the whole repository, hence this walk over raw names.
fn walk(
    repo: &Repository,
    dir: &Path,
    tree: &git2::Tree<'_>,
    prefix: &str,
    escaped: bool,
    want: &dyn Fn(&str) -> bool,
    files: &mut MemTree,
) -> Result<(), GitError> {
    for entry in tree.iter() {
        let raw = entry.name_bytes();
        let (name, name_escaped) = match std::str::from_utf8(raw) {
            Ok(name) => (name.to_string(), false),
            Err(_) => (super::escape_name(raw), true),
        };
        let path = format!("{prefix}{name}");
        let escaped = escaped || name_escaped;
        match entry.kind() {
            Some(git2::ObjectType::Tree) => {
                let sub = repo
                    .find_tree(entry.id())
                    .map_err(|e| GitError::new(dir, "read tree", format!("{path}: {e}")))?;
                walk(repo, dir, &sub, &format!("{path}/"), escaped, want, files)?;
            }
            Some(git2::ObjectType::Blob) if want(&path) => {
                if escaped {
                    files.add_non_utf8(path);
                    continue;
                }
                let blob = repo
                    .find_blob(entry.id())
                    .map_err(|e| GitError::new(dir, "read blob", format!("{path}: {e}")))?;
                files.insert(path, blob.content().to_vec());
            }
            _ => {}
        }
    }
    Ok(())
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

/// Where a commit landed on a branch: the first commit of the branch's
/// first-parent chain that contains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Landing {
    /// The merge commit (the commit itself for a fast-forward).
    pub commit: String,
    /// The commit was the branch's own commit (a fast-forward): no merge
    /// commit says who merged it.
    pub fast_forward: bool,
    pub committer_name: String,
    pub committer_email: String,
    /// Committer time, seconds since the epoch.
    pub time: i64,
}

/// How far back along the branch's first parents a landing is looked for.
const MAX_LANDING_DEPTH: usize = 10_000;

/// Has commit `head` landed on `branch` (reachable from its head)? `None`
/// when it has not, when the branch does not exist, or when `head` is not
/// an object of the repository.
pub fn landing(dir: &Path, branch: &str, head: &str) -> Result<Option<Landing>, GitError> {
    let repo = Repository::open(dir).map_err(|e| GitError::new(dir, "open", e))?;
    let Ok(head) = git2::Oid::from_str(head) else {
        return Ok(None);
    };
    if repo.find_commit(head).is_err() {
        return Ok(None);
    }
    let Ok(reference) = repo.find_reference(&format!("refs/heads/{branch}")) else {
        return Ok(None);
    };
    let Some(tip) = reference.target() else {
        return Ok(None);
    };
    let contains = |c: git2::Oid| -> Result<bool, GitError> {
        Ok(c == head
            || repo
                .graph_descendant_of(c, head)
                .map_err(|e| GitError::new(dir, "walk history", e))?)
    };
    if !contains(tip)? {
        return Ok(None);
    }
    let find = |id: git2::Oid| {
        repo.find_commit(id)
            .map_err(|e| GitError::new(dir, "read commit", format!("{id}: {e}")))
    };
    let mut at = find(tip)?;
    for _ in 0..MAX_LANDING_DEPTH {
        match at.parent_ids().next() {
            Some(parent) if contains(parent)? => at = find(parent)?,
            _ => break,
        }
    }
    let committer = at.committer();
    Ok(Some(Landing {
        commit: at.id().to_string(),
        fast_forward: at.id() == head,
        committer_name: String::from_utf8_lossy(committer.name_bytes()).into_owned(),
        committer_email: String::from_utf8_lossy(committer.email_bytes()).into_owned(),
        time: committer.when().seconds(),
    }))
}
