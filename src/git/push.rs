//! Pushing the bot's branches: one bump commit on top of the default
//! branch, an empty commit to re-trigger CI, and reading a branch head.
//!
//! Invariants:
//! - A human's commit is never overwritten. A remote branch head is
//!   replaced only when it is the head we pushed last (`expected_head`) or
//!   is provably the bot's own bump commit: author and committer are the
//!   bot [`Identity`] (name and email), it has exactly one parent, and that
//!   parent is the base branch head or one of its ancestors. Anything else
//!   — a human commit on top, an amended or rebased commit, a merge — is
//!   [`PushError::Rejected`]. The bot-commit rule lets a restart that lost
//!   the recorded head (crash between push and store) carry on.
//! - The check is a lease, not a look-then-leap: the push carries the old
//!   head we checked (libgit2's push-negotiation callback aborts if the
//!   remote reports anything else, and smart-HTTP `receive-pack` refuses
//!   the update if the ref moved meanwhile); the server's per-ref status
//!   is read through the push-update-reference callback.
//! - Identical content is not pushed twice: when the branch already holds
//!   a bot commit on the same base with the same tree, its head is
//!   returned and nothing is pushed (no CI re-run).
//! - Every function blocks; async callers use `spawn_blocking`.

use std::cell::RefCell;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use git2::{Direction, Oid, RemoteCallbacks, Repository, Signature};

use super::build::build_tree;
use super::cache::{self, Cache};
use super::credentials::{self, AuthState, Credentials};
use super::error::PushError;
use super::refresh::{DEFAULT_REFRESH_TIMEOUT, Runner};
use super::sandbox::RefreshSandbox;
use crate::forge::{BranchPush, PushOutcome};

/// The git identity commits are made as (the GitHub App's bot user, e.g.
/// `wavebump[bot]` / `123+wavebump[bot]@users.noreply.github.com`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

/// Tunables of [`push_branch_with`].
#[derive(Clone, Debug)]
pub struct PushOptions {
    /// How long one lockfile refresh command may run.
    pub refresh_timeout: Duration,
    /// The `PATH` refresh tools are looked up on and run with; the
    /// process's own when `None`.
    pub refresh_path: Option<OsString>,
    /// Whether refresh commands run in `bwrap` (`pull_requests.refresh_sandbox`).
    pub refresh_sandbox: RefreshSandbox,
    /// The `bwrap` program; looked up on the refresh `PATH` when `None`.
    pub sandbox_program: Option<PathBuf>,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            refresh_timeout: DEFAULT_REFRESH_TIMEOUT,
            refresh_path: None,
            refresh_sandbox: RefreshSandbox::default(),
            sandbox_program: None,
        }
    }
}

/// Write `push.files` on top of the remote's `push.base_branch` as one
/// commit by `identity`, refresh lockfiles, and push it to `push.branch`.
///
/// The repository is fetched into a cache below `cache_dir` (one per clone
/// URL, reused). See the module invariants for when an existing branch is
/// replaced; otherwise [`PushError::Rejected`].
pub fn push_branch(
    cache_dir: &Path,
    clone_url: &str,
    creds: Option<&Credentials>,
    push: &BranchPush,
    identity: &Identity,
) -> Result<PushOutcome, PushError> {
    push_branch_with(
        cache_dir,
        clone_url,
        creds,
        push,
        identity,
        &PushOptions::default(),
    )
}

/// [`push_branch`] with explicit options.
pub fn push_branch_with(
    cache_dir: &Path,
    clone_url: &str,
    creds: Option<&Credentials>,
    push: &BranchPush,
    identity: &Identity,
    options: &PushOptions,
) -> Result<PushOutcome, PushError> {
    push_inner(cache_dir, clone_url, creds, push, identity, options).map_err(|e| e.scrubbed(creds))
}

fn push_inner(
    cache_dir: &Path,
    clone_url: &str,
    creds: Option<&Credentials>,
    push: &BranchPush,
    identity: &Identity,
    options: &PushOptions,
) -> Result<PushOutcome, PushError> {
    check_branch(&push.branch)?;
    check_branch(&push.base_branch)?;
    if push.branch == push.base_branch {
        return Err(PushError::failed(
            "check branch",
            format!(
                "refusing to push onto the base branch {:?}",
                push.base_branch
            ),
        ));
    }
    let expected = push.expected_head.as_deref().map(parse_oid).transpose()?;
    let lock = cache::lock(cache_dir, clone_url);
    let _held = cache::hold(&lock);
    let cache = Cache::open(cache_dir, clone_url)?;
    let repo = &cache.repo;
    cache.forget(&push.branch)?;
    cache.fetch(clone_url, creds, &[&push.base_branch, &push.branch])?;
    let base = cache.tracking_head(&push.base_branch).ok_or_else(|| {
        PushError::failed(
            "fetch",
            format!("base branch {:?} not found on the remote", push.base_branch),
        )
    })?;
    let remote_head = cache.tracking_head(&push.branch);
    if let Some(head) = remote_head {
        may_replace(repo, &push.branch, head, expected, base, identity)?;
    }
    let base_commit = repo
        .find_commit(base)
        .map_err(|e| PushError::failed("read base", e))?;
    let base_tree = base_commit
        .tree()
        .map_err(|e| PushError::failed("read base", e))?;
    let runner = Runner {
        timeout: options.refresh_timeout,
        path: options.refresh_path.as_deref(),
        creds,
        sandbox: options.refresh_sandbox,
        sandbox_program: options.sandbox_program.as_deref(),
    };
    let built = build_tree(repo, &base_tree, &push.files, &push.lock_refresh, &runner)?;
    if let Some(head) = remote_head
        && same_content(repo, head, base, built.tree)
    {
        return Ok(PushOutcome {
            head_sha: head.to_string(),
            lock_notes: built.notes,
        });
    }
    let tree = repo
        .find_tree(built.tree)
        .map_err(|e| PushError::failed("read tree", e))?;
    let sig = signature(identity)?;
    let commit = repo
        .commit(None, &sig, &sig, &push.message, &tree, &[&base_commit])
        .map_err(|e| PushError::failed("commit", e))?;
    upload(repo, clone_url, creds, &push.branch, commit, remote_head)?;
    Ok(PushOutcome {
        head_sha: commit.to_string(),
        lock_notes: built.notes,
    })
}

/// Push an empty commit (same tree, parent `expected_head`) onto `branch`
/// to re-trigger CI; refused unless the branch is at `expected_head`.
/// Returns the new head.
pub fn empty_commit_push(
    cache_dir: &Path,
    clone_url: &str,
    creds: Option<&Credentials>,
    branch: &str,
    expected_head: &str,
    message: &str,
    identity: &Identity,
) -> Result<String, PushError> {
    let inner = || -> Result<String, PushError> {
        check_branch(branch)?;
        let expected = parse_oid(expected_head)?;
        let lock = cache::lock(cache_dir, clone_url);
        let _held = cache::hold(&lock);
        let cache = Cache::open(cache_dir, clone_url)?;
        cache.forget(branch)?;
        cache.fetch(clone_url, creds, &[branch])?;
        let Some(head) = cache.tracking_head(branch) else {
            return Err(PushError::rejected(format!(
                "branch {branch:?} no longer exists on the remote"
            )));
        };
        if head != expected {
            return Err(PushError::rejected(format!(
                "branch {branch:?} is at {head}, expected {expected}"
            )));
        }
        let repo = &cache.repo;
        let parent = repo
            .find_commit(head)
            .map_err(|e| PushError::failed("read head", e))?;
        let tree = parent
            .tree()
            .map_err(|e| PushError::failed("read head", e))?;
        let sig = signature(identity)?;
        let commit = repo
            .commit(None, &sig, &sig, message, &tree, &[&parent])
            .map_err(|e| PushError::failed("commit", e))?;
        upload(repo, clone_url, creds, branch, commit, Some(head))?;
        Ok(commit.to_string())
    };
    inner().map_err(|e| e.scrubbed(creds))
}

/// The commit `branch` points to on the remote, or `None` when it does not
/// exist. One round trip (the ref advertisement); nothing is fetched.
pub fn remote_branch_head(
    clone_url: &str,
    creds: Option<&Credentials>,
    branch: &str,
) -> Result<Option<String>, PushError> {
    let inner = || -> Result<Option<String>, PushError> {
        check_branch(branch)?;
        let auth = AuthState::default();
        let mut remote = git2::Remote::create_detached(clone_url)
            .map_err(|e| PushError::from_git("open remote", clone_url, creds, &auth, &e))?;
        let mut callbacks = RemoteCallbacks::new();
        credentials::install(&mut callbacks, creds, &auth);
        let conn = remote
            .connect_auth(Direction::Fetch, Some(callbacks), None)
            .map_err(|e| PushError::from_git("connect", clone_url, creds, &auth, &e))?;
        let want = format!("refs/heads/{branch}");
        let heads = conn
            .list()
            .map_err(|e| PushError::from_git("list refs", clone_url, creds, &auth, &e))?;
        Ok(heads
            .iter()
            .find(|h| h.name() == want)
            .map(|h| h.oid().to_string()))
    };
    inner().map_err(|e| e.scrubbed(creds))
}

/// Refuse to replace `head` unless it is `expected` or the bot's own bump
/// commit on the base (see the module invariants).
fn may_replace(
    repo: &Repository,
    branch: &str,
    head: Oid,
    expected: Option<Oid>,
    base: Oid,
    identity: &Identity,
) -> Result<(), PushError> {
    if expected == Some(head) {
        return Ok(());
    }
    let commit = repo
        .find_commit(head)
        .map_err(|e| PushError::failed("read branch head", e))?;
    let author = commit.author();
    let committer = commit.committer();
    let by_bot = |s: &Signature<'_>| {
        s.name_bytes() == identity.name.as_bytes() && s.email_bytes() == identity.email.as_bytes()
    };
    let parents = raw_parents(&commit);
    let on_base = match parents.as_slice() {
        [parent] => *parent == base || repo.graph_descendant_of(base, *parent).unwrap_or(false),
        _ => false,
    };
    if by_bot(&author) && by_bot(&committer) && on_base {
        return Ok(());
    }
    let who = String::from_utf8_lossy(author.email_bytes()).into_owned();
    let expected = expected.map_or_else(|| "none recorded".to_string(), |e| e.to_string());
    Err(PushError::rejected(format!(
        "branch {branch:?} is at {head} by <{who}> (expected head: {expected}); \
         it is not the bot's own commit on the base branch, so it is left alone"
    )))
}

/// The branch already holds exactly what we would push.
fn same_content(repo: &Repository, head: Oid, base: Oid, tree: Oid) -> bool {
    repo.find_commit(head)
        .is_ok_and(|c| c.tree_id() == tree && raw_parents(&c) == [base])
}

/// Parent ids as written in the commit object: a shallow cache grafts its
/// boundary commits to look parentless, the header does not lie.
fn raw_parents(commit: &git2::Commit<'_>) -> Vec<Oid> {
    let header = String::from_utf8_lossy(commit.raw_header_bytes()).into_owned();
    header
        .lines()
        .filter_map(|l| l.strip_prefix("parent "))
        .filter_map(|id| Oid::from_str(id.trim()).ok())
        .collect()
}

/// Push `new` to `branch`, leased on the remote being at `old` (absent when
/// `None`).
fn upload(
    repo: &Repository,
    clone_url: &str,
    creds: Option<&Credentials>,
    branch: &str,
    new: Oid,
    old: Option<Oid>,
) -> Result<(), PushError> {
    let local = format!("refs/wavebump/push/{branch}");
    repo.reference(&local, new, true, "wavebump push")
        .map_err(|e| PushError::failed("create ref", e))?;
    let dst = format!("refs/heads/{branch}");
    let lease = old.unwrap_or(Oid::ZERO_SHA1);
    let auth = AuthState::default();
    let moved: RefCell<Option<String>> = RefCell::new(None);
    let refused: RefCell<Option<String>> = RefCell::new(None);
    let result = {
        let mut callbacks = RemoteCallbacks::new();
        credentials::install(&mut callbacks, creds, &auth);
        callbacks.push_negotiation(|updates| {
            for update in updates {
                if update.dst_refname_bytes() == dst.as_bytes() && update.src() != lease {
                    *moved.borrow_mut() = Some(format!(
                        "branch {branch:?} moved to {} while pushing (expected {})",
                        update.src(),
                        old.map_or_else(|| "no branch".to_string(), |o| o.to_string())
                    ));
                    return Err(git2::Error::from_str("branch moved"));
                }
            }
            Ok(())
        });
        callbacks.push_update_reference(|refname, status| {
            if let Some(status) = status {
                *refused.borrow_mut() = Some(format!("{refname}: {status}"));
            }
            Ok(())
        });
        let mut opts = git2::PushOptions::new();
        opts.remote_callbacks(callbacks);
        let mut remote = repo
            .remote_anonymous(clone_url)
            .map_err(|e| PushError::from_git("open remote", clone_url, creds, &auth, &e))?;
        remote.push(&[format!("+{local}:{dst}")], Some(&mut opts))
    };
    if let Ok(mut r) = repo.find_reference(&local) {
        let _ = r.delete();
    }
    if let Some(message) = moved.into_inner() {
        return Err(PushError::rejected(message));
    }
    result.map_err(|e| PushError::from_git("push", clone_url, creds, &auth, &e))?;
    if let Some(message) = refused.into_inner() {
        return Err(PushError::rejected(message));
    }
    Ok(())
}

fn signature(identity: &Identity) -> Result<Signature<'static>, PushError> {
    Signature::now(&identity.name, &identity.email)
        .map_err(|e| PushError::failed("bot identity", e))
}

fn check_branch(name: &str) -> Result<(), PushError> {
    if git2::Reference::is_valid_name(&format!("refs/heads/{name}")) {
        Ok(())
    } else {
        Err(PushError::failed(
            "check branch",
            format!("{name:?} is not a valid branch name"),
        ))
    }
}

fn parse_oid(sha: &str) -> Result<Oid, PushError> {
    Oid::from_str(sha)
        .ok()
        .filter(|o| sha.len() == 40 && !o.is_zero())
        .ok_or_else(|| {
            PushError::failed(
                "expected head",
                format!("{sha:?} is not a 40-hex commit id"),
            )
        })
}
