//! The GitHub forge: one organisation (one App installation, or a token),
//! served through octocrab. This is the only module that imports octocrab.
//!
//! Files: `auth` (App JWT / installation token / plain token → client),
//! `api` (every request: limiter, ETags, rate-limit headers, retries,
//! pagination), `limiter` (concurrency + org-wide write budget + primary
//! pause; time from the injected [`crate::clock::Clock`]), `etag` (conditional-request cache),
//! `wire` (the answer shapes read), `read` (the `Forge` impl: discovery,
//! tags), `ci` (pure CI aggregation), `write` (the `ForgeWrite` impl: PRs,
//! CI, merges, releases).
//!
//! Invariants: a 404/403 on one repository is that repository's error
//! (`NotFound` / `Repo`), never the whole run's; an answer lacking a field
//! is `BadAnswer` naming the endpoint; no credential reaches a log line or an
//! error message.

mod api;
mod auth;
mod ci;
pub mod etag;
pub mod limiter;
mod read;
mod wire;
mod write;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use octocrab::Octocrab;

pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use api::{ApiStats, ApiStatsSnapshot, RateLimit, RetryPolicy};
pub use auth::GitHubAuth;
pub use ci::{OWN_CHECK_PREFIX, aggregate as aggregate_ci};
pub use etag::{CachedAnswer, EtagCache, JsonFileEtagCache, MemoryEtagCache, StoreEtagCache};
pub use limiter::Limiter;

use crate::config::Config;
use crate::config::secret::Secret;
use crate::forge::BranchPush;
use crate::forge::ForgeError;
use crate::forge::PushOutcome;

use api::{Api, ApiError};
use auth::ClientSettings;

/// Everything a [`GitHubForge`] is built from.
#[derive(Clone)]
pub struct GitHubOptions {
    /// REST API root (`https://api.github.com`, GHES `https://HOST/api/v3`).
    pub api_url: String,
    /// The organisation (or user) owning the repositories.
    pub org: String,
    pub auth: GitHubAuth,
    /// Concurrent requests at most.
    pub max_concurrency: u32,
    /// Content-creating requests (PRs, comments, pushes) per minute.
    pub writes_per_minute: u32,
    pub retry: RetryPolicy,
    pub read_timeout: Duration,
    /// List archived repositories too (they are skipped by default).
    pub include_archived: bool,
    /// List forks too (skipped by default).
    pub include_forks: bool,
    pub clock: Arc<dyn Clock>,
    pub cache: Arc<dyn EtagCache>,
    /// Where `push_branch` keeps one bare cache repository per clone URL.
    pub git_cache_dir: std::path::PathBuf,
    /// The commit author and committer of pushed branches (the App's bot).
    pub identity: crate::git::Identity,
    /// How lockfile refreshes run (`pull_requests.refresh_sandbox`).
    pub push_options: crate::git::PushOptions,
}

impl GitHubOptions {
    /// Defaults for `org` at `api_url` with `auth`.
    pub fn new(api_url: impl Into<String>, org: impl Into<String>, auth: GitHubAuth) -> Self {
        GitHubOptions {
            api_url: api_url.into(),
            org: org.into(),
            auth,
            max_concurrency: 8,
            writes_per_minute: 20,
            retry: RetryPolicy::default(),
            read_timeout: Duration::from_secs(30),
            include_archived: false,
            include_forks: false,
            clock: Arc::new(SystemClock),
            cache: Arc::new(MemoryEtagCache::new()),
            git_cache_dir: std::env::temp_dir().join("wavebump-git-cache"),
            identity: crate::git::Identity {
                name: "wavebump[bot]".to_string(),
                email: "wavebump[bot]@users.noreply.github.com".to_string(),
            },
            push_options: crate::git::PushOptions::default(),
        }
    }
}

impl std::fmt::Debug for GitHubOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubOptions")
            .field("api_url", &self.api_url)
            .field("org", &self.org)
            .field("auth", &self.auth)
            .field("max_concurrency", &self.max_concurrency)
            .field("writes_per_minute", &self.writes_per_minute)
            .finish_non_exhaustive()
    }
}

/// What the forge remembers about a repository from listing it.
#[derive(Clone, Debug)]
struct RepoMeta {
    default_branch: String,
    /// Where `push_branch` pushes.
    clone_url: String,
}

/// Repositories of one organisation (or user account) on GitHub.
pub struct GitHubForge {
    api: Api,
    org: String,
    /// The App client (JWT) and installation, when authenticated as an App.
    installation: Option<u64>,
    token: Option<Secret>,
    include_archived: bool,
    include_forks: bool,
    repos: Mutex<HashMap<String, RepoMeta>>,
    git_cache_dir: std::path::PathBuf,
    identity: crate::git::Identity,
    push_options: crate::git::PushOptions,
    /// The web root (`auth::web_base`), for clone URLs GitHub leaves out.
    web: String,
    /// The owner is a user account, not an organisation: its repositories
    /// are listed at `/users/{username}/repos`. Known at connect for an App
    /// (which of the two installation lookups answered), learnt from the
    /// first listing with a token.
    user_owner: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for GitHubForge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubForge")
            .field("org", &self.org)
            .field("installation", &self.installation)
            .finish_non_exhaustive()
    }
}

impl GitHubForge {
    /// Connect: build the client and, for an App without a configured
    /// installation, look the installation up from the owner (an
    /// organisation's, else a user account's).
    pub async fn connect(options: GitHubOptions) -> Result<Self, ForgeError> {
        let settings = ClientSettings {
            api_url: options.api_url.clone(),
            read_timeout: options.read_timeout,
            connect_timeout: Duration::from_secs(10),
        };
        let limiter = Arc::new(Limiter::new(
            options.clock.clone(),
            options.max_concurrency,
            options.writes_per_minute,
        ));
        let base_path = auth::base_path(&options.api_url);
        // One set of counters for every client (the App's and the
        // installation's).
        let stats = Arc::new(ApiStats::default());
        let make_api = |client: Octocrab| {
            Api::new(
                client,
                limiter.clone(),
                options.clock.clone(),
                options.cache.clone(),
                options.retry.clone(),
                base_path.clone(),
                stats.clone(),
            )
        };
        let mut user_owner = false;
        let (client, installation, token) = match &options.auth {
            GitHubAuth::Token(token) => (
                auth::token_client(&settings, token)?,
                None,
                Some(token.clone()),
            ),
            GitHubAuth::App {
                app_id,
                private_key_pem,
                installation_id,
            } => {
                let app = auth::app_client(&settings, *app_id, private_key_pem)?;
                let id = match installation_id {
                    Some(id) => *id,
                    None => {
                        let app_api = make_api(app.clone());
                        let (found, user) = find_installation(&app_api, &options.org).await?;
                        user_owner = user;
                        found
                    }
                };
                (auth::installation_client(&app, id)?, Some(id), None)
            }
        };
        Ok(GitHubForge {
            api: make_api(client),
            org: options.org.clone(),
            installation,
            token,
            include_archived: options.include_archived,
            include_forks: options.include_forks,
            repos: Mutex::new(HashMap::new()),
            git_cache_dir: options.git_cache_dir.clone(),
            identity: options.identity.clone(),
            push_options: options.push_options.clone(),
            web: auth::web_base(&options.api_url),
            user_owner: std::sync::atomic::AtomicBool::new(user_owner),
        })
    }

    /// Options from the config: `github.*` and `repositories.*`; the
    /// organisation is the owner of `library.repository`. `env` looks a
    /// variable up (`|k| std::env::var(k).ok()` in production). An App
    /// (`app_id` + `private_key_path`) wins over a token.
    pub fn options_from_config(
        config: &Config,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<GitHubOptions, ForgeError> {
        let gh = &config.github;
        let org = config
            .library
            .repository
            .split_once('/')
            .map(|(owner, _)| owner.to_string())
            .filter(|o| !o.is_empty())
            .ok_or_else(|| {
                ForgeError::Other(format!(
                    "library.repository {:?} must be OWNER/NAME to use GitHub",
                    config.library.repository
                ))
            })?;
        let key = gh
            .load_private_key()
            .map_err(|e| ForgeError::Other(e.to_string()))?;
        let auth = match (gh.app_id, key) {
            (Some(app_id), Some(private_key_pem)) => GitHubAuth::App {
                app_id,
                private_key_pem,
                installation_id: gh.installation_id,
            },
            _ => GitHubAuth::Token(gh.load_token(env).ok_or_else(|| {
                ForgeError::Other(format!(
                    "no GitHub credentials: set github.app_id and github.private_key_path, or the variable {}",
                    gh.token_env
                ))
            })?),
        };
        let mut options = GitHubOptions::new(gh.api_url.clone(), org, auth);
        options.max_concurrency = gh.max_concurrency;
        options.writes_per_minute = gh.writes_per_minute;
        options.include_archived = config.repositories.archived;
        options.include_forks = config.repositories.forks;
        options.push_options.refresh_sandbox = config.pull_requests.refresh_sandbox;
        Ok(options)
    }

    /// [`Self::options_from_config`] then [`Self::connect`].
    pub async fn from_config(
        config: &Config,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ForgeError> {
        Self::connect(Self::options_from_config(config, env)?).await
    }

    /// [`Self::from_config`] with the ETag cache in `store` (so a restart
    /// re-scans with 304s): what `serve` and `rollout` use.
    pub async fn from_config_with_store(
        config: &Config,
        env: impl Fn(&str) -> Option<String>,
        store: &crate::store::Store,
    ) -> Result<Self, ForgeError> {
        let mut options = Self::options_from_config(config, env)?;
        options.cache = Arc::new(StoreEtagCache::new(store.clone()));
        Self::connect(options).await
    }

    pub fn org(&self) -> &str {
        &self.org
    }

    /// The installation acted as, for an App.
    pub fn installation_id(&self) -> Option<u64> {
        self.installation
    }

    /// The API request counters and last rate limits, shared (they keep
    /// counting), for `/metrics`.
    pub fn api_stats(&self) -> Arc<ApiStats> {
        self.api.stats().clone()
    }

    /// Persist the ETag cache.
    pub fn flush_cache(&self) -> std::io::Result<()> {
        self.api.cache().flush()
    }

    /// The credentials for git over HTTPS: the installation token (minted or
    /// refreshed as needed) or the plain token.
    pub async fn git_token(&self) -> Result<Secret, ForgeError> {
        if let Some(token) = &self.token {
            return Ok(token.clone());
        }
        use octocrab::secrecy::ExposeSecret;
        self.api
            .client()
            .installation_token()
            .await
            .map(|t| Secret::new(t.expose_secret()))
            .map_err(|_| ForgeError::Other("cannot obtain an installation token".to_string()))
    }

    fn remember(&self, name: &str, meta: RepoMeta) {
        self.repos
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), meta);
    }

    fn known(&self, name: &str) -> Option<RepoMeta> {
        self.repos
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// `owner/name` for a repository given as `name` or `owner/name`.
    fn full_name(&self, repo: &str) -> Result<String, ForgeError> {
        let full = if repo.contains('/') {
            repo.to_string()
        } else {
            format!("{}/{repo}", self.org)
        };
        let valid = full.split('/').count() == 2
            && full.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            });
        if valid {
            Ok(full)
        } else {
            Err(ForgeError::NotFound(repo.to_string()))
        }
    }

    /// Push a branch with git (the installation token as credentials, through
    /// git's credential callback only), inside the org-wide write budget.
    async fn push_with_git(
        &self,
        full: &str,
        push: &BranchPush,
    ) -> Result<PushOutcome, ForgeError> {
        let meta = self.meta(full).await?;
        let token = self.git_token().await?;
        let _permit = self.api.write_permit().await;
        let cache_dir = self.git_cache_dir.clone();
        let identity = self.identity.clone();
        let options = self.push_options.clone();
        let push = push.clone();
        let repo = full.to_string();
        tokio::task::spawn_blocking(move || {
            let creds = crate::git::Credentials::token(token.expose());
            crate::git::push_branch_with(
                &cache_dir,
                &meta.clone_url,
                Some(&creds),
                &push,
                &identity,
                &options,
            )
            .map_err(|e| e.into_forge(&repo, &push.branch))
        })
        .await
        .map_err(|e| ForgeError::Other(format!("git push task failed: {e}")))?
    }

    /// Push an empty commit on top of `expected_head` to `branch` with git,
    /// as [`Self::push_with_git`] pushes; the new head.
    async fn empty_commit_with_git(
        &self,
        full: &str,
        branch: &str,
        expected_head: &str,
        message: &str,
    ) -> Result<String, ForgeError> {
        let meta = self.meta(full).await?;
        let token = self.git_token().await?;
        let _permit = self.api.write_permit().await;
        let cache_dir = self.git_cache_dir.clone();
        let identity = self.identity.clone();
        let (repo, branch) = (full.to_string(), branch.to_string());
        let (expected, message) = (expected_head.to_string(), message.to_string());
        tokio::task::spawn_blocking(move || {
            let creds = crate::git::Credentials::token(token.expose());
            crate::git::empty_commit_push(
                &cache_dir,
                &meta.clone_url,
                Some(&creds),
                &branch,
                &expected,
                &message,
                &identity,
            )
            .map_err(|e| e.into_forge(&repo, &branch))
        })
        .await
        .map_err(|e| ForgeError::Other(format!("git push task failed: {e}")))?
    }

    /// Metadata of a repository: from the listing, or one request.
    async fn meta(&self, full: &str) -> Result<RepoMeta, ForgeError> {
        if let Some(meta) = self.known(full) {
            return Ok(meta);
        }
        let repo: wire::Repo = self
            .api
            .get_json(&format!("/repos/{full}"))
            .await
            .map_err(|e| repo_error(full, e))?;
        let meta = RepoMeta {
            clone_url: repo.push_url(&self.web),
            default_branch: repo.default_branch.unwrap_or_else(|| "main".to_string()),
        };
        self.remember(full, meta.clone());
        Ok(meta)
    }
}

/// The App's installation on `owner` and whether `owner` is a user
/// account: `GET /orgs/{org}/installation`, then, when GitHub knows no such
/// organisation installation, `GET /users/{username}/installation`.
async fn find_installation(app_api: &Api, owner: &str) -> Result<(u64, bool), ForgeError> {
    for (path, user) in [
        (format!("/orgs/{owner}/installation"), false),
        (format!("/users/{owner}/installation"), true),
    ] {
        match app_api.get_json::<wire::Installation>(&path).await {
            Ok(found) => return Ok((found.id, user)),
            Err(e) if e.status() == Some(404) => continue,
            Err(e) => return Err(to_forge_error(e)),
        }
    }
    Err(ForgeError::Other(format!(
        "the GitHub App is not installed on {owner} (neither an organisation nor a user installation)"
    )))
}

/// A failure not tied to one repository.
fn to_forge_error(e: ApiError) -> ForgeError {
    match e {
        ApiError::RateLimited {
            retry_after_secs, ..
        } => ForgeError::RateLimited { retry_after_secs },
        ApiError::BadAnswer { endpoint, message } => ForgeError::BadAnswer { endpoint, message },
        other => ForgeError::Other(other.to_string()),
    }
}

/// A failure on one repository: 404 → `NotFound`, 403 (rate limits are
/// `RateLimited` before this) → `NoAccess`, other refusals → `Repo`;
/// rate limits and server trouble stay transient.
fn repo_error(repo: &str, e: ApiError) -> ForgeError {
    match e.status() {
        Some(404) => ForgeError::NotFound(repo.to_string()),
        Some(403) => ForgeError::NoAccess {
            repo: repo.to_string(),
            message: e.to_string(),
        },
        Some(s) if (400..500).contains(&s) => ForgeError::Repo {
            repo: repo.to_string(),
            message: e.to_string(),
        },
        _ => to_forge_error(e),
    }
}
