//! The fake's bare repositories: the truth for branches, tags, trees and
//! blobs. Created with `wavebump::git` (so fixtures commit exactly as the
//! product does); read with git2.

use std::path::Path;

use git2::{ObjectType, Oid, Repository, RepositoryInitOptions, TreeWalkMode, TreeWalkResult};
use wavebump::ecosystem::MemTree;
use wavebump::git::{self as wgit, Author};

pub const AUTHOR: Author<'static> = Author {
    name: "Fixture",
    email: "fixture@example.com",
    time: 1_700_000_000,
};

/// A bare repository at `dir` whose `branch` holds `files` (no commit when
/// `files` is empty).
pub fn create(dir: &Path, branch: &str, files: &MemTree) {
    let mut opts = RepositoryInitOptions::new();
    opts.bare(true).initial_head(branch);
    Repository::init_opts(dir, &opts).expect("init bare repo");
    if files.iter().next().is_some() {
        wgit::commit_tree(dir, files, "Initial commit", &AUTHOR).expect("commit fixture files");
    }
}

/// A bare copy of the repository at `src` (all branches and tags), with
/// HEAD pointing at the same branch.
pub fn clone_bare(src: &Path, dir: &Path) -> String {
    let url = format!("file://{}", src.display());
    let repo = git2::build::RepoBuilder::new()
        .bare(true)
        .clone(&url, dir)
        .expect("clone bare");
    // Mirror remote branches as local branches.
    let mut branches = Vec::new();
    for r in repo.references().expect("refs").flatten() {
        let branch = r
            .name()
            .ok()
            .and_then(|n| n.strip_prefix("refs/remotes/origin/"));
        if let (Some(b), Some(target)) = (branch, r.target())
            && b != "HEAD"
        {
            branches.push((b.to_string(), target));
        }
    }
    for (b, target) in branches {
        repo.reference(&format!("refs/heads/{b}"), target, true, "mirror")
            .expect("mirror branch");
    }
    let head = repo.head().expect("head");
    head.shorthand().unwrap_or("main").to_string()
}

pub fn open(dir: &Path) -> Repository {
    Repository::open_bare(dir).expect("open bare repo")
}

/// A branch's head SHA.
pub fn branch_sha(dir: &Path, branch: &str) -> Option<String> {
    let repo = open(dir);
    let r = repo.find_reference(&format!("refs/heads/{branch}")).ok()?;
    r.target().map(|o| o.to_string())
}

/// Resolve a branch, tag or SHA to a commit SHA.
pub fn resolve(dir: &Path, rev: &str) -> Option<String> {
    let repo = open(dir);
    let obj = repo
        .revparse_single(&format!("refs/heads/{rev}"))
        .or_else(|_| repo.revparse_single(&format!("refs/tags/{rev}")))
        .or_else(|_| repo.revparse_single(rev))
        .ok()?;
    obj.peel_to_commit().ok().map(|c| c.id().to_string())
}

/// One entry of a tree listing.
pub struct Entry {
    pub path: String,
    pub mode: String,
    pub kind: &'static str,
    pub sha: String,
    pub size: Option<usize>,
}

/// The tree of `rev` (recursive or top level) and the tree's SHA.
pub fn tree(dir: &Path, rev: &str, recursive: bool) -> Option<(String, Vec<Entry>)> {
    let repo = open(dir);
    let obj = repo
        .revparse_single(&format!("refs/heads/{rev}"))
        .or_else(|_| repo.revparse_single(rev))
        .ok()?;
    let tree = obj.peel_to_tree().ok()?;
    let mut out = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |root, entry| {
        let name = entry.name().unwrap_or("");
        let kind = match entry.kind() {
            Some(ObjectType::Tree) => "tree",
            Some(ObjectType::Commit) => "commit",
            _ => "blob",
        };
        let size = (kind == "blob")
            .then(|| repo.find_blob(entry.id()).map(|b| b.size()).ok())
            .flatten();
        out.push(Entry {
            path: format!("{root}{name}"),
            mode: format!("{:06o}", entry.filemode()),
            kind,
            sha: entry.id().to_string(),
            size,
        });
        if recursive {
            TreeWalkResult::Ok
        } else {
            TreeWalkResult::Skip
        }
    })
    .ok()?;
    Some((tree.id().to_string(), out))
}

pub fn blob(dir: &Path, sha: &str) -> Option<Vec<u8>> {
    let repo = open(dir);
    let oid = Oid::from_str(sha).ok()?;
    repo.find_blob(oid).ok().map(|b| b.content().to_vec())
}

/// Every tag with the commit it points to, sorted by name descending.
pub fn tags(dir: &Path) -> Vec<(String, String)> {
    let repo = open(dir);
    let mut out: Vec<(String, String)> = repo
        .tag_names(None)
        .map(|names| {
            names
                .iter()
                .flatten()
                .flatten()
                .filter_map(|n| {
                    let sha = repo
                        .revparse_single(&format!("refs/tags/{n}"))
                        .ok()?
                        .peel_to_commit()
                        .ok()?
                        .id()
                        .to_string();
                    Some((n.to_string(), sha))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| b.0.cmp(&a.0));
    out
}

/// Commit `files` (changed paths only, on top of the branch's tree) to
/// `branch`, starting it from `from` when it does not exist. Returns the
/// new head. Used for fixtures and for simulated human pushes.
pub fn commit_on(
    dir: &Path,
    branch: &str,
    from: &str,
    files: &[(&str, &[u8])],
    message: &str,
) -> String {
    let repo = open(dir);
    let start = branch_sha(dir, branch)
        .or_else(|| branch_sha(dir, from))
        .expect("a start branch");
    let parent = repo
        .find_commit(Oid::from_str(&start).expect("oid"))
        .expect("parent commit");
    let mut index = git2::Index::new().expect("index");
    index
        .read_tree(&parent.tree().expect("tree"))
        .expect("read tree");
    for (path, bytes) in files {
        let oid = repo.blob(bytes).expect("blob");
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
        index.add(&entry).expect("stage");
    }
    let tree_id = index.write_tree_to(&repo).expect("write tree");
    let tree = repo.find_tree(tree_id).expect("tree");
    let sig = git2::Signature::new(
        "A Human",
        "human@example.com",
        &git2::Time::new(AUTHOR.time + 60, 0),
    )
    .expect("sig");
    let oid = repo
        .commit(
            Some(&format!("refs/heads/{branch}")),
            &sig,
            &sig,
            message,
            &tree,
            &[&parent],
        )
        .expect("commit");
    oid.to_string()
}

/// Squash-merge `head` into `base`: a commit with head's tree on base.
pub fn squash_merge(dir: &Path, base: &str, head: &str, message: &str) -> Option<String> {
    let repo = open(dir);
    let base_sha = branch_sha(dir, base)?;
    let head_sha = branch_sha(dir, head)?;
    let parent = repo.find_commit(Oid::from_str(&base_sha).ok()?).ok()?;
    let head_commit = repo.find_commit(Oid::from_str(&head_sha).ok()?).ok()?;
    let tree = head_commit.tree().ok()?;
    let sig = git2::Signature::new(
        "GitHub",
        "noreply@github.com",
        &git2::Time::new(AUTHOR.time + 120, 0),
    )
    .ok()?;
    let oid = repo
        .commit(
            Some(&format!("refs/heads/{base}")),
            &sig,
            &sig,
            message,
            &tree,
            &[&parent],
        )
        .ok()?;
    Some(oid.to_string())
}

/// Create a lightweight tag at the branch head.
pub fn tag(dir: &Path, branch: &str, name: &str) {
    let repo = open(dir);
    let sha = branch_sha(dir, branch).expect("branch for tag");
    let obj = repo
        .find_object(Oid::from_str(&sha).expect("oid"), None)
        .expect("object");
    repo.tag_lightweight(name, &obj, false).expect("tag");
}
