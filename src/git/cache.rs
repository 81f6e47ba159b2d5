//! The per-repository fetch cache: one bare repository per clone URL below
//! the cache directory, reused from one push to the next.
//!
//! Invariants: remotes are anonymous (nothing is written to the cache's
//! `.git/config`, so no URL and no token either); one process works on one
//! cache repository at a time (a per-path lock); fetches are shallow
//! (depth 1) where the transport supports it — smart HTTP(S) — and full
//! over the local transport (`file://` or a path), which libgit2 cannot
//! fetch shallowly.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use git2::{AutotagOption, FetchOptions, Oid, RemoteCallbacks, Repository};

use super::credentials::{self, AuthState, Credentials};
use super::error::PushError;

/// Locks per cache repository path: two pushes to one repository in this
/// process take turns.
static LOCKS: LazyLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// An opened cache repository, held under its lock.
pub(crate) struct Cache {
    pub(crate) repo: Repository,
}

/// The in-process lock of the cache repository of `clone_url`: hold it
/// (`lock.lock()`) around [`Cache::open`] and everything done with it.
pub(crate) fn lock(cache_dir: &Path, clone_url: &str) -> Arc<Mutex<()>> {
    let path = cache_dir.join(cache_name(clone_url));
    let mut locks = LOCKS.lock().unwrap_or_else(|e| e.into_inner());
    Arc::clone(locks.entry(path).or_default())
}

/// Take a lock, surviving a poisoned one (the cache is re-validated by the
/// next fetch anyway).
pub(crate) fn hold(lock: &Mutex<()>) -> MutexGuard<'_, ()> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

impl Cache {
    /// Open (creating when missing) the cache repository of `clone_url`
    /// below `cache_dir`. Callers hold [`lock`] meanwhile.
    pub(crate) fn open(cache_dir: &Path, clone_url: &str) -> Result<Cache, PushError> {
        let path = cache_dir.join(cache_name(clone_url));
        let repo = match Repository::open_bare(&path) {
            Ok(repo) => repo,
            Err(_) => {
                std::fs::create_dir_all(&path).map_err(|e| {
                    PushError::failed("create cache", format!("{}: {e}", path.display()))
                })?;
                Repository::init_bare(&path).map_err(|e| {
                    PushError::failed("init cache", format!("{}: {e}", path.display()))
                })?
            }
        };
        Ok(Cache { repo })
    }

    /// Fetch `branches` (those that exist on the remote) into
    /// `refs/remotes/origin/*`, shallow where the transport allows.
    pub(crate) fn fetch(
        &self,
        clone_url: &str,
        creds: Option<&Credentials>,
        branches: &[&str],
    ) -> Result<(), PushError> {
        if branches.is_empty() {
            return Ok(());
        }
        let refspecs: Vec<String> = branches
            .iter()
            .map(|b| format!("+refs/heads/{b}:{}", tracking_ref(b)))
            .collect();
        let shallow = !is_local_transport(clone_url);
        match self.fetch_once(clone_url, creds, &refspecs, shallow) {
            // A transport that turns out not to support shallow fetches:
            // fetch everything instead.
            Err(PushError::Failed { message, .. }) if shallow && message.contains("shallow") => {
                tracing::debug!(url = %credentials::strip_userinfo(clone_url), "shallow fetch unsupported; fetching in full");
                self.fetch_once(clone_url, creds, &refspecs, false)
            }
            other => other,
        }
    }

    fn fetch_once(
        &self,
        clone_url: &str,
        creds: Option<&Credentials>,
        refspecs: &[String],
        shallow: bool,
    ) -> Result<(), PushError> {
        let auth = AuthState::default();
        let mut callbacks = RemoteCallbacks::new();
        credentials::install(&mut callbacks, creds, &auth);
        let mut opts = FetchOptions::new();
        opts.remote_callbacks(callbacks)
            .download_tags(AutotagOption::None)
            .update_fetchhead(false);
        if shallow {
            opts.depth(1);
        }
        let mut remote = self
            .repo
            .remote_anonymous(clone_url)
            .map_err(|e| PushError::from_git("open remote", clone_url, creds, &auth, &e))?;
        remote
            .fetch(refspecs, Some(&mut opts), None)
            .map_err(|e| PushError::from_git("fetch", clone_url, creds, &auth, &e))
    }

    /// Drop what the cache remembers of `branch`, so that after the next
    /// fetch its tracking ref exists exactly when the remote has the branch.
    pub(crate) fn forget(&self, branch: &str) -> Result<(), PushError> {
        match self.repo.find_reference(&tracking_ref(branch)) {
            Ok(mut r) => r
                .delete()
                .map_err(|e| PushError::failed("forget branch", e)),
            Err(_) => Ok(()),
        }
    }

    /// The commit a remote-tracking branch points to after a fetch.
    pub(crate) fn tracking_head(&self, branch: &str) -> Option<Oid> {
        self.repo
            .find_reference(&tracking_ref(branch))
            .ok()
            .and_then(|r| r.target())
    }
}

/// The remote-tracking ref a fetched branch lands in.
pub(crate) fn tracking_ref(branch: &str) -> String {
    format!("refs/remotes/origin/{branch}")
}

/// libgit2's local transport (used for `file://` URLs and plain paths)
/// cannot fetch shallowly.
pub(crate) fn is_local_transport(url: &str) -> bool {
    url.starts_with("file://") || !url.contains("://")
}

/// A directory name for the cache of `clone_url`: readable host and path
/// (no user info, so no token) plus a hash against collisions.
fn cache_name(clone_url: &str) -> String {
    let clean = credentials::strip_userinfo(clone_url);
    let readable: String = clean
        .split("://")
        .last()
        .unwrap_or("")
        .trim_end_matches(".git")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let readable = readable.trim_matches('_');
    let tail: String = readable
        .chars()
        .rev()
        .take(60)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{tail}-{:016x}.git", fnv1a(clean.as_bytes()))
}

/// FNV-1a, 64 bits: stable across runs and Rust versions (unlike
/// `DefaultHasher`), so a cache directory is found again after a restart.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_names_are_stable_readable_and_token_free() {
        let a = cache_name("https://x-access-token:SECRET@github.com/acme/api.git");
        let b = cache_name("https://github.com/acme/api.git");
        assert_eq!(a, b);
        assert!(a.starts_with("github_com_acme_api-"), "{a}");
        assert!(!a.contains("SECRET"));
        assert_ne!(cache_name("https://h/a_b"), cache_name("https://h/a/b"));
    }

    #[test]
    fn local_transport_detection() {
        for (url, local) in [
            ("file:///tmp/r.git", true),
            ("/tmp/r.git", true),
            ("http://127.0.0.1:1/r.git", false),
            ("https://github.com/a/b.git", false),
        ] {
            assert_eq!(is_local_transport(url), local, "{url}");
        }
    }
}
