//! The fake's model of GitHub: everything the API answers is computed from
//! this, and every write changes it. Refs and trees are NOT here: they live
//! in the bare git repositories (`git.rs`), the one truth both the git view
//! and the API view read.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

/// One repository.
#[derive(Clone, Debug)]
pub struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    pub archived: bool,
    pub fork: bool,
    pub disabled: bool,
    pub private: bool,
    /// The bare repository on disk.
    pub git_dir: PathBuf,
    /// Answer 404 to every request about this repository.
    pub hidden: bool,
    /// Answer 403 "Resource not accessible by integration" to every
    /// installation request about this repository (the App lost access).
    pub forbidden: bool,
    pub labels: BTreeMap<String, Label>,
    pub pulls: Vec<Pull>,
    pub releases: Vec<Release>,
    /// Per commit SHA.
    pub statuses: BTreeMap<String, Vec<Status>>,
    pub check_runs: Vec<CheckRun>,
    /// Branch name → protection.
    pub protection: BTreeMap<String, Protection>,
    /// Check suite ids that were re-requested, in order.
    pub rerequested: Vec<u64>,
    /// Reject every push (as a pre-receive hook would).
    pub reject_pushes: bool,
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

#[derive(Clone, Debug)]
pub struct Label {
    pub id: u64,
    pub name: String,
    pub color: String,
}

#[derive(Clone, Debug)]
pub struct Comment {
    pub id: u64,
    pub user: String,
    pub body: String,
    pub created_at: SystemTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullState {
    Open,
    Closed,
    Merged,
}

#[derive(Clone, Debug)]
pub struct Pull {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: String,
    pub head: String,
    pub base: String,
    pub draft: bool,
    pub state: PullState,
    pub user: String,
    pub labels: Vec<String>,
    pub reviewers: Vec<String>,
    pub team_reviewers: Vec<String>,
    /// Logins that approved.
    pub approvals: Vec<String>,
    pub comments: Vec<Comment>,
    pub created_at: SystemTime,
    pub merged_at: Option<SystemTime>,
    pub merge_sha: Option<String>,
    /// Who merged it (the App's bot through the API, or a person).
    pub merged_by: Option<String>,
    /// Who closed it unmerged.
    pub closed_by: Option<String>,
    /// Reviews in order: `(login, APPROVED | CHANGES_REQUESTED |
    /// COMMENTED | DISMISSED)`.
    pub reviews: Vec<(String, String)>,
    /// Changes since creation (state, reviews, pushes by `push_commit`):
    /// `updated_at` is `created_at` plus this many seconds, so every change
    /// moves it as GitHub's does.
    pub revision: u64,
}

#[derive(Clone, Debug)]
pub struct Release {
    pub id: u64,
    pub tag: String,
    pub name: Option<String>,
    pub body: String,
    pub draft: bool,
    pub prerelease: bool,
    pub created_at: SystemTime,
}

#[derive(Clone, Debug)]
pub struct Status {
    pub id: u64,
    pub context: String,
    /// `pending`, `success`, `failure`, `error`.
    pub state: String,
    pub target_url: Option<String>,
    pub created_at: SystemTime,
}

#[derive(Clone, Debug)]
pub struct CheckRun {
    pub id: u64,
    pub suite_id: u64,
    pub head_sha: String,
    pub name: String,
    /// `queued`, `in_progress`, `completed`.
    pub status: String,
    pub conclusion: Option<String>,
    pub app_slug: String,
    /// The suite can be re-requested.
    pub rerunnable: bool,
}

/// A branch's rules: served as branch protection (merges) and as the
/// rules of the branch (`GET .../rules/branches/{branch}`, a ruleset's
/// `required_status_checks`).
#[derive(Clone, Debug, Default)]
pub struct Protection {
    pub required_checks: Vec<String>,
    pub required_reviews: u32,
    /// Reading the branch's rules fails (403): required checks unknown.
    pub unreadable: bool,
}

/// A GitHub App known to the fake.
#[derive(Clone, Debug)]
pub struct App {
    pub id: u64,
    pub slug: String,
    pub public_key_pem: String,
}

/// An installation of the App on an account.
#[derive(Clone, Debug)]
pub struct Installation {
    pub id: u64,
    pub account: String,
    /// The account is a user, not an organisation.
    pub user: bool,
}

/// An issued token.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub installation: Option<u64>,
    pub expires_at: SystemTime,
    /// What an installation token may do (permission → `read`/`write`);
    /// `None` for a plain token (its scopes are not modelled).
    pub permissions: Option<BTreeMap<String, String>>,
}

/// The whole fake GitHub.
#[derive(Debug)]
pub struct State {
    pub base_url: String,
    pub next_id: u64,
    pub app: Option<App>,
    pub installations: Vec<Installation>,
    /// Token → who and until when.
    pub tokens: BTreeMap<String, IssuedToken>,
    /// Lifetime of installation tokens minted from now on.
    pub token_lifetime: std::time::Duration,
    /// "owner/name" → repository.
    pub repos: BTreeMap<String, Repo>,
    /// The bot's login (author of PRs and comments made through the API).
    pub bot_login: String,
    /// Largest page served (GitHub's is 100).
    pub max_per_page: usize,
    /// The permissions the App was granted (installation tokens carry
    /// them): `app.yml`'s `default_permissions` unless a test changes them.
    pub app_permissions: BTreeMap<String, String>,
    /// Logins that are user accounts (every other owner is an organisation).
    pub users: std::collections::BTreeSet<String>,
}

impl State {
    pub fn new(base_url: String) -> Self {
        State {
            base_url,
            next_id: 1000,
            app: None,
            installations: Vec::new(),
            tokens: BTreeMap::new(),
            token_lifetime: std::time::Duration::from_secs(3600),
            repos: BTreeMap::new(),
            bot_login: "wavebump[bot]".to_string(),
            max_per_page: 100,
            app_permissions: BTreeMap::new(),
            users: Default::default(),
        }
    }

    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A visible repository by owner and name.
    pub fn repo(&self, owner: &str, name: &str) -> Option<&Repo> {
        self.repos
            .get(&format!("{owner}/{name}"))
            .filter(|r| !r.hidden)
    }

    /// Whether `login` is a user account.
    pub fn is_user(&self, login: &str) -> bool {
        self.users.iter().any(|u| u.eq_ignore_ascii_case(login))
    }

    pub fn repo_mut(&mut self, owner: &str, name: &str) -> Option<&mut Repo> {
        self.repos
            .get_mut(&format!("{owner}/{name}"))
            .filter(|r| !r.hidden)
    }
}
