//! A fake GitHub for tests: an in-memory model of GitHub (`state.rs`) whose
//! refs and trees live in bare git repositories on disk (`git.rs`), behind
//! an axum server on 127.0.0.1 (random port) that speaks the REST endpoints
//! the forge uses with GitHub's JSON shapes (`json.rs`, `routes/`).
//! Every request is recorded (`recorder.rs`); faults are injected on demand
//! (`faults.rs`); App JWTs and expiring installation tokens are checked
//! (`auth.rs`). See `README.md` for how to add an endpoint.
//!
//! Invariant: answers are computed from the model and the bare repositories
//! at request time; nothing is canned.

#![allow(dead_code)]

pub mod auth;
pub mod contract;
pub mod faults;
pub mod git;
pub mod json;
pub mod permissions;
pub mod recorder;
pub mod routes;
pub mod state;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tempfile::TempDir;
use wavebump::ecosystem::MemTree;

pub use faults::{Fault, Gate};
pub use recorder::Recorded;
use routes::{Inner, Shared, lock};
pub use state::{CheckRun, Protection, Pull, PullState, Release, Repo, State, Status};

/// The App id the fake knows (with the test key pair in `tests/data/github`).
pub const APP_ID: u64 = 4242;

/// The TEST-ONLY private key of the fake's App.
pub fn app_private_key() -> String {
    std::fs::read_to_string(
        crate::support::crate_root().join("tests/data/github/app-private-key.pem"),
    )
    .expect("test private key")
}

fn app_public_key() -> String {
    std::fs::read_to_string(
        crate::support::crate_root().join("tests/data/github/app-public-key.pem"),
    )
    .expect("test public key")
}

/// A running fake GitHub.
pub struct FakeGitHub {
    shared: Shared,
    url: String,
    dir: TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.server.abort();
        // Every test on the fake fails when the fake answered or was asked
        // something GitHub's REST description does not allow.
        let violations = std::mem::take(&mut *lock(&self.shared.violations));
        if !violations.is_empty() && !std::thread::panicking() {
            panic!(
                "the fake GitHub departed from GitHub's REST description \
                 (tests/data/github/openapi-subset.json):\n{}",
                violations.join("\n")
            );
        }
    }
}

impl FakeGitHub {
    /// Start on 127.0.0.1 with a random port, with the App registered.
    pub async fn start() -> FakeGitHub {
        crate::support::org::isolate_git();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let mut state = State::new(url.clone());
        state.app_permissions = permissions::manifest_permissions();
        state.app = Some(state::App {
            id: APP_ID,
            slug: "wavebump".into(),
            public_key_pem: app_public_key(),
        });
        let shared: Shared = Arc::new(Inner {
            state: Mutex::new(state),
            recorder: Mutex::new(Default::default()),
            faults: Mutex::new(Default::default()),
            remaining: Mutex::new(5000),
            violations: Mutex::new(Vec::new()),
        });
        let app = routes::router(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeGitHub {
            shared,
            url,
            dir: crate::support::scratch::tempdir(),
            server,
        }
    }

    /// The API root to give the forge.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut lock(&self.shared.state))
    }

    /// Install the App on `account`; returns the installation id.
    pub fn install(&self, account: &str) -> u64 {
        self.state(|s| {
            let id = s.id();
            let user = s.is_user(account);
            s.installations.push(state::Installation {
                id,
                account: account.to_string(),
                user,
            });
            id
        })
    }

    /// Makes `login` a user account (not an organisation): its
    /// installation is at `/users/{login}/installation`, its repositories
    /// at `/users/{login}/repos`, and `/orgs/{login}/...` is 404. Call
    /// before `install`.
    pub fn add_user_account(&self, login: &str) {
        self.state(|s| {
            s.users.insert(login.to_string());
        });
    }

    /// The permissions installation tokens minted from now on carry
    /// (`app.yml`'s by default).
    pub fn set_app_permissions(&self, permissions: &[(&str, &str)]) {
        self.state(|s| {
            s.app_permissions = permissions
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        });
    }

    /// Every departure from GitHub's REST description seen so far (the
    /// fake panics on drop when any is left: see `contract.rs`), taken.
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.shared.violations))
    }

    /// Accept a plain token.
    pub fn add_token(&self, token: &str) {
        self.state(|s| auth::add_plain(s, token));
    }

    /// Lifetime of installation tokens minted from now on.
    pub fn set_token_lifetime(&self, d: Duration) {
        self.state(|s| s.token_lifetime = d);
    }

    /// Expire every installation token now.
    pub fn expire_tokens(&self) {
        self.state(|s| {
            for t in s.tokens.values_mut().filter(|t| t.installation.is_some()) {
                t.expires_at = SystemTime::now() - Duration::from_secs(1);
            }
        });
    }

    /// Primary rate limit left (5,000 at start, one less per counted
    /// request; at 0 the forge waits for the reset an hour away).
    pub fn set_rate_limit_remaining(&self, n: u64) {
        *lock(&self.shared.remaining) = n;
    }

    /// Largest page served (default 100, GitHub's cap), to force pagination.
    pub fn set_max_per_page(&self, n: usize) {
        self.state(|s| s.max_per_page = n);
    }

    fn git_dir(&self, owner: &str, name: &str) -> PathBuf {
        self.dir
            .path()
            .join("git")
            .join(owner)
            .join(format!("{name}.git"))
    }

    fn insert_repo(&self, owner: &str, name: &str, default_branch: &str, git_dir: PathBuf) {
        self.state(|s| {
            let id = s.id();
            s.repos.insert(
                format!("{owner}/{name}"),
                Repo {
                    id,
                    owner: owner.into(),
                    name: name.into(),
                    default_branch: default_branch.into(),
                    archived: false,
                    fork: false,
                    disabled: false,
                    private: true,
                    git_dir,
                    hidden: false,
                    forbidden: false,
                    labels: BTreeMap::new(),
                    pulls: vec![],
                    releases: vec![],
                    statuses: BTreeMap::new(),
                    check_runs: vec![],
                    protection: BTreeMap::new(),
                    rerequested: vec![],
                    reject_pushes: false,
                },
            );
        });
    }

    /// A repository whose `main` holds `files` (empty: no commit yet).
    pub fn add_repo(&self, owner: &str, name: &str, files: &MemTree) -> String {
        let dir = self.git_dir(owner, name);
        std::fs::create_dir_all(&dir).expect("repo dir");
        git::create(&dir, "main", files);
        self.insert_repo(owner, name, "main", dir);
        format!("{owner}/{name}")
    }

    /// Every git repository directly below `root` (e.g. a generated demo
    /// organisation), as repositories of `owner`, tags included.
    pub fn load_dir(&self, owner: &str, root: &Path) -> Vec<String> {
        let mut names = Vec::new();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(root)
            .expect("read org dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir() && wavebump::git::is_repository(p))
            .collect();
        entries.sort();
        for src in entries {
            let name = src
                .file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8 name")
                .trim_end_matches(".git")
                .to_string();
            let dir = self.git_dir(owner, &name);
            std::fs::create_dir_all(dir.parent().expect("parent")).expect("owner dir");
            let branch = git::clone_bare(&src, &dir);
            self.insert_repo(owner, &name, &branch, dir);
            names.push(format!("{owner}/{name}"));
        }
        names
    }

    /// Change a repository's model (flags, protection...).
    pub fn with_repo<T>(&self, full: &str, f: impl FnOnce(&mut Repo) -> T) -> T {
        self.state(|s| {
            f(s.repos
                .get_mut(full)
                .unwrap_or_else(|| panic!("no repo {full}")))
        })
    }

    pub fn repo_dir(&self, full: &str) -> PathBuf {
        self.with_repo(full, |r| r.git_dir.clone())
    }

    pub fn branch_sha(&self, full: &str, branch: &str) -> Option<String> {
        git::branch_sha(&self.repo_dir(full), branch)
    }

    /// A commit on `branch` (started from the default branch if new), as a
    /// human pushing would make.
    pub fn push_commit(&self, full: &str, branch: &str, files: &[(&str, &[u8])]) -> String {
        let (dir, default) =
            self.with_repo(full, |r| (r.git_dir.clone(), r.default_branch.clone()));
        git::commit_on(&dir, branch, &default, files, "A human's commit")
    }

    /// Reject every push to the repository (as a pre-receive hook would):
    /// a `.lock` on each branch ref makes git refuse the update.
    pub fn reject_pushes(&self, full: &str, branch: &str) {
        let dir = self.with_repo(full, |r| {
            r.reject_pushes = true;
            r.git_dir.clone()
        });
        let lock_file = dir.join("refs/heads").join(format!("{branch}.lock"));
        std::fs::create_dir_all(lock_file.parent().expect("parent")).expect("refs dir");
        std::fs::write(lock_file, b"").expect("lock ref");
    }

    /// A published release (and its tag on the default branch's head).
    pub fn add_release(&self, full: &str, tag: &str, notes: &str, prerelease: bool) {
        let (dir, branch) = self.with_repo(full, |r| (r.git_dir.clone(), r.default_branch.clone()));
        if !git::tags(&dir).iter().any(|(t, _)| t == tag) {
            git::tag(&dir, &branch, tag);
        }
        self.state(|s| {
            let id = s.id();
            let r = s.repos.get_mut(full).expect("repo");
            r.releases.push(Release {
                id,
                tag: tag.into(),
                name: Some(tag.into()),
                body: notes.into(),
                draft: false,
                prerelease,
                created_at: SystemTime::now() + Duration::from_secs(id),
            });
        });
    }

    /// A commit status.
    pub fn set_status(&self, full: &str, sha: &str, context: &str, state: &str) {
        self.state(|s| {
            let id = s.id();
            let r = s.repos.get_mut(full).expect("repo");
            r.statuses.entry(sha.to_string()).or_default().push(Status {
                id,
                context: context.into(),
                state: state.into(),
                target_url: Some(format!("https://ci.example/{id}")),
                created_at: SystemTime::now(),
            });
        });
    }

    /// A check run in its own suite; returns the suite id.
    pub fn add_check_run(
        &self,
        full: &str,
        sha: &str,
        name: &str,
        status: &str,
        conclusion: Option<&str>,
    ) -> u64 {
        self.state(|s| {
            let id = s.id();
            let suite = s.id();
            let r = s.repos.get_mut(full).expect("repo");
            r.check_runs.push(CheckRun {
                id,
                suite_id: suite,
                head_sha: sha.into(),
                name: name.into(),
                status: status.into(),
                conclusion: conclusion.map(str::to_string),
                app_slug: "github-actions".into(),
                rerunnable: true,
            });
            suite
        })
    }

    /// Protect the default branch.
    pub fn protect(&self, full: &str, required_checks: &[&str], required_reviews: u32) {
        self.with_repo(full, |r| {
            r.protection.insert(
                r.default_branch.clone(),
                Protection {
                    required_checks: required_checks.iter().map(|s| s.to_string()).collect(),
                    required_reviews,
                    unreadable: false,
                },
            );
        });
    }

    /// A person (`login`) merges PR `number` with a squash merge, as the
    /// merge button does; returns the merge commit.
    pub fn merge_as(&self, full: &str, number: u64, login: &str) -> String {
        self.with_repo(full, |r| {
            let dir = r.git_dir.clone();
            let p = r
                .pulls
                .iter_mut()
                .find(|p| p.number == number)
                .expect("no such pull request");
            assert_eq!(p.state, PullState::Open, "{full}#{number} is not open");
            let message = format!("{} (#{number})", p.title);
            let merged = git::squash_merge(&dir, &p.base, &p.head, &message).expect("squash merge");
            p.state = PullState::Merged;
            p.merged_at = Some(std::time::SystemTime::now());
            p.merge_sha = Some(merged.clone());
            p.merged_by = Some(login.to_owned());
            p.revision += 1;
            merged
        })
    }

    /// `login` reviews PR `number`: `APPROVED`, `CHANGES_REQUESTED`,
    /// `COMMENTED` or `DISMISSED` (their earlier review dismissed). An
    /// approval counts for branch protection.
    pub fn review_as(&self, full: &str, number: u64, login: &str, state: &str) {
        self.with_repo(full, |r| {
            let p = r
                .pulls
                .iter_mut()
                .find(|p| p.number == number)
                .expect("no such pull request");
            if state == "DISMISSED" {
                for review in p.reviews.iter_mut().filter(|(l, _)| l == login) {
                    review.1 = "DISMISSED".into();
                }
            } else {
                p.reviews.push((login.to_owned(), state.to_owned()));
            }
            p.approvals.retain(|l| l != login);
            if state == "APPROVED" {
                p.approvals.push(login.to_owned());
            }
            p.revision += 1;
        });
    }

    /// A person closes PR `number` without merging it.
    pub fn close_as(&self, full: &str, number: u64, login: &str) {
        self.set_pull_state(full, number, PullState::Closed);
        self.with_repo(full, |r| {
            if let Some(p) = r.pulls.iter_mut().find(|p| p.number == number) {
                p.closed_by = Some(login.to_owned());
            }
        });
    }

    /// A person reopens PR `number`.
    pub fn reopen(&self, full: &str, number: u64) {
        self.set_pull_state(full, number, PullState::Open);
    }

    fn set_pull_state(&self, full: &str, number: u64, state: PullState) {
        self.with_repo(full, |r| {
            let p = r
                .pulls
                .iter_mut()
                .find(|p| p.number == number)
                .expect("no such pull request");
            p.state = state;
            p.revision += 1;
        });
    }

    pub fn approve(&self, full: &str, number: u64, login: &str) {
        self.review_as(full, number, login, "APPROVED");
    }

    pub fn pulls(&self, full: &str) -> Vec<Pull> {
        self.with_repo(full, |r| r.pulls.clone())
    }

    /// Arm a one-shot fault for the next request whose path contains
    /// `path_contains` ("" for any).
    pub fn fault(&self, path_contains: &str, fault: Fault) {
        lock(&self.shared.faults).queue.push(faults::Armed {
            path_contains: path_contains.into(),
            method: None,
            fault,
        });
    }

    /// Like [`Self::fault`], for one method only.
    pub fn fault_on(&self, method: &str, path_contains: &str, fault: Fault) {
        lock(&self.shared.faults).queue.push(faults::Armed {
            path_contains: path_contains.into(),
            method: Some(method.into()),
            fault,
        });
    }

    /// Fail `percent` % of API requests at random (seeded) with 5xx, 403
    /// secondary limits and 429s (`Retry-After: 1`).
    pub fn fault_rate(&self, percent: u32, seed: u64) {
        let mut f = lock(&self.shared.faults);
        f.rate_percent = percent;
        f.rng = seed | 1;
    }

    /// Like [`Self::fault_rate`], drawing the faults from `mix` (e.g. with
    /// slow answers that outlast the client's timeout).
    pub fn fault_rate_mix(&self, percent: u32, seed: u64, mix: Vec<Fault>) {
        let mut f = lock(&self.shared.faults);
        f.rate_percent = percent;
        f.rng = seed | 1;
        f.mix = mix;
    }

    pub fn faults_injected(&self) -> usize {
        lock(&self.shared.faults).injected
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.recorder).requests.clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.recorder).requests.clear();
    }

    /// Requests for which `f` holds.
    pub fn count(&self, f: impl Fn(&Recorded) -> bool) -> usize {
        lock(&self.shared.recorder)
            .requests
            .iter()
            .filter(|r| f(r))
            .count()
    }
}
