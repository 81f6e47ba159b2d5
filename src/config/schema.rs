//! The config schema: plain structs with pub fields that other modules read,
//! their serde derive (`deny_unknown_fields` everywhere) and their defaults.
//!
//! Invariant: every field that is not required has a default here, and the
//! same default is written (and explained) in `config.example.yaml`; fields
//! that are not written in YAML at all (`#[serde(skip)]`) are filled in by
//! `Config::parse_in` after validation.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::store::StoreBackend;
use super::values::{self, FailureBudget, WaveSize};

/// The whole config file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The watched library.
    pub library: LibraryConfig,
    /// Which repositories are considered at all.
    #[serde(default)]
    pub repositories: RepositoriesConfig,
    /// The rollout policy: canaries, waves, tiers, lockstep, gate.
    #[serde(default)]
    pub rollout: RolloutConfig,
    /// Pull request settings.
    #[serde(default)]
    pub pull_requests: PullRequestsConfig,
    /// GitHub (App or token) settings.
    #[serde(default)]
    pub github: GithubConfig,
    /// `wavebump serve` settings.
    #[serde(default)]
    pub server: ServerConfig,
    /// Persistence.
    #[serde(default)]
    pub store: StoreConfig,
    /// The directory relative paths are resolved against: the config file's
    /// directory for `Config::load`, the given one for `Config::parse_in`.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// `library`: the watched package.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryConfig {
    /// The library's repository, `owner/name` (e.g. `acme/core-utils`).
    pub repository: String,
    /// Its package name per ecosystem; at least one is required.
    #[serde(default)]
    pub packages: Packages,
    /// Where new versions come from.
    #[serde(default)]
    pub release_source: ReleaseSource,
    /// How a tag names a version; contains `{version}` once.
    #[serde(default = "default_tag_pattern")]
    pub tag_pattern: String,
    /// Whether prereleases (`2.0.0-rc.1`) start rollouts.
    #[serde(default)]
    pub prereleases: bool,
    /// A release younger than this is scheduled, not rolled out yet.
    #[serde(default, deserialize_with = "values::duration")]
    pub minimum_release_age: Duration,
}

/// `library.packages`: the library's name in each ecosystem.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Packages {
    /// Crate name on crates.io.
    #[serde(default)]
    pub cargo: Option<String>,
    /// npm package name (scoped names welcome).
    #[serde(default)]
    pub npm: Option<String>,
    /// Go module path (without a `/vN` suffix).
    #[serde(default)]
    pub go: Option<String>,
    /// PyPI project name.
    #[serde(default)]
    pub python: Option<String>,
    /// RubyGems gem name.
    #[serde(default)]
    pub ruby: Option<String>,
}

/// `library.release_source`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseSource {
    /// GitHub releases (the `release` webhook).
    #[default]
    Releases,
    /// Plain git tags matching `tag_pattern`.
    Tags,
}

/// `repositories`: which repositories of the organisation are considered.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositoriesConfig {
    /// Globs a repository must match (see `names::glob`); default `["*"]`.
    #[serde(default = "default_include")]
    pub include: Vec<String>,
    /// Globs that remove repositories again.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Whether archived repositories are considered.
    #[serde(default)]
    pub archived: bool,
    /// Whether forks are considered.
    #[serde(default)]
    pub forks: bool,
    /// A manifest larger than this many bytes is not read (an error naming
    /// the file and the cap).
    #[serde(default = "default_max_manifest_bytes")]
    pub max_manifest_bytes: u64,
    /// Seconds one repository may take in discovery (read and scan); a
    /// repository over it is reported, and the rest are planned.
    #[serde(default = "default_scan_budget_seconds")]
    pub scan_budget_seconds: u64,
}

/// `rollout`: the wave policy.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutConfig {
    /// Repositories that form wave 0.
    #[serde(default)]
    pub canaries: Vec<String>,
    /// Wave sizes after the canaries: all counts (the last repeats) or all
    /// cumulative percentages (ending at 100%).
    #[serde(default = "default_waves")]
    pub waves: Vec<WaveSize>,
    /// No wave holds more units than this.
    #[serde(default = "default_max_wave_size")]
    pub max_wave_size: u32,
    /// Ordered tiers, critical ones last. After loading, the `critical` list
    /// (when not empty) is appended here as a last tier named `critical`.
    #[serde(default)]
    pub tiers: Vec<Tier>,
    /// Shorthand for a last tier named `critical`.
    #[serde(default)]
    pub critical: Vec<String>,
    /// Groups of repositories whose PRs land together.
    #[serde(default)]
    pub lockstep: Vec<Vec<String>>,
    /// Order waves by the consumer graph (libraries before their consumers).
    #[serde(default = "yes")]
    pub order_by_graph: bool,
    /// Also open PRs in repositories that reach the library only transitively.
    #[serde(default)]
    pub transitive_prs: bool,
    /// When a wave has earned the next one.
    #[serde(default)]
    pub gate: GateConfig,
    /// Estimates used for ETAs until real CI timings exist.
    #[serde(default)]
    pub eta: EtaConfig,
}

/// One entry of `rollout.tiers`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The tier's name (unique).
    pub name: String,
    /// Globs of the repositories in this tier.
    pub repos: Vec<String>,
}

/// `rollout.gate`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// Share of a wave's targets that must succeed, 0..=1.
    #[serde(default = "default_success_ratio")]
    pub success_ratio: f64,
    /// How long a wave must stay successful before the next opens.
    #[serde(default = "default_soak", deserialize_with = "values::duration")]
    pub soak: Duration,
    /// What counts as success.
    #[serde(default)]
    pub require: GateRequire,
    /// Failed targets tolerated before the rollout halts.
    #[serde(default = "default_failure_budget")]
    pub failure_budget: FailureBudget,
}

/// `rollout.gate.require`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateRequire {
    /// The PR's CI passed.
    #[default]
    CiPassed,
    /// The PR was merged.
    Merged,
}

/// `rollout.eta`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EtaConfig {
    /// Expected CI duration of one PR.
    #[serde(default = "default_ci_duration", deserialize_with = "values::duration")]
    pub ci_duration: Duration,
}

/// `pull_requests`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRequestsConfig {
    /// Head branch name template (placeholders `{library}`, `{version}`, `{major}`).
    #[serde(default = "default_branch")]
    pub branch: String,
    /// PR title template.
    #[serde(default = "default_title")]
    pub title: String,
    /// Commit message template.
    #[serde(default = "default_commit_message")]
    pub commit_message: String,
    /// Labels added to every PR.
    #[serde(default = "default_labels")]
    pub labels: Vec<String>,
    /// GitHub logins asked for review.
    #[serde(default)]
    pub reviewers: Vec<String>,
    /// Team slugs asked for review.
    #[serde(default)]
    pub team_reviewers: Vec<String>,
    /// Open PRs as drafts.
    #[serde(default)]
    pub draft: bool,
    /// Merge when GitHub allows it (required reviews and checks respected).
    #[serde(default)]
    pub automerge: bool,
    /// A directory overriding the built-in `templates/`.
    #[serde(default)]
    pub templates_dir: Option<PathBuf>,
    /// How lockfile refresh commands are isolated (`bwrap`, `none`,
    /// `required`).
    #[serde(default)]
    pub refresh_sandbox: crate::git::RefreshSandbox,
    /// How an npm `||` union admits the new version: one more alternative
    /// (`add`) or the last one moved (`replace_last`).
    #[serde(default)]
    pub npm_unions: crate::ecosystem::NpmUnions,
}

/// `github`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    /// REST API root (GitHub Enterprise Server: `https://HOST/api/v3`).
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// GitHub App id (App mode needs it and `private_key_path`).
    #[serde(default)]
    pub app_id: Option<u64>,
    /// PEM file of the App's private key.
    #[serde(default)]
    pub private_key_path: Option<PathBuf>,
    /// Installation to act as; found from the library's owner when absent.
    #[serde(default)]
    pub installation_id: Option<u64>,
    /// Environment variable holding a plain token (CLI use without an App).
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// File holding the webhook secret(s), one per line (rotation); the
    /// variable `WAVEBUMP_WEBHOOK_SECRET` is accepted too.
    #[serde(default)]
    pub webhook_secret_file: Option<PathBuf>,
    /// Concurrent API requests at most.
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: u32,
    /// API requests per hour at most (GitHub allows 5,000 to 15,000).
    #[serde(default = "default_requests_per_hour")]
    pub requests_per_hour: u32,
    /// Content-creating requests (PRs, comments, pushes) per minute, org-wide.
    #[serde(default = "default_writes_per_minute")]
    pub writes_per_minute: u32,
}

/// `server`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Listen address; default `127.0.0.1:8080` (containers pass
    /// `--listen 0.0.0.0:8080`).
    #[serde(default = "default_listen", deserialize_with = "values::socket_addr")]
    pub listen: SocketAddr,
    /// The address users reach the status page at (for links in PRs).
    #[serde(default)]
    pub public_url: Option<String>,
    /// Whether the read-only status page needs no login.
    #[serde(default)]
    pub public_read: bool,
    /// Operators, each with the environment variable holding their token.
    #[serde(default)]
    pub operators: Vec<Operator>,
    /// A file of `name:token` lines, one operator per line.
    #[serde(default)]
    pub operator_tokens_file: Option<PathBuf>,
}

/// One entry of `server.operators`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// The name recorded in the audit log.
    pub name: String,
    /// The environment variable holding this operator's token.
    pub token_env: String,
}

/// `store`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// As written: `sqlite://FILE` (relative to the config file),
    /// `sqlite::memory:`, or `postgres://...`.
    #[serde(default = "default_store_url")]
    pub url: String,
    /// The resolved backend (filled in after loading).
    #[serde(skip)]
    pub backend: StoreBackend,
    /// How long a processed webhook delivery keeps its payload; older
    /// payloads are pruned (the delivery id stays, for dedupe, and so does
    /// the audit log). Default: 30 days.
    #[serde(
        default = "default_inbox_retention",
        deserialize_with = "values::duration"
    )]
    pub inbox_retention: Duration,
    /// How many API answers the ETag cache keeps at most (the most
    /// recently stored). Default: 10000.
    #[serde(default = "default_etag_cache_entries")]
    pub etag_cache_entries: u32,
}

fn default_inbox_retention() -> Duration {
    Duration::from_secs(30 * 24 * 3600)
}

fn default_etag_cache_entries() -> u32 {
    10_000
}

fn yes() -> bool {
    true
}
fn default_tag_pattern() -> String {
    "v{version}".to_owned()
}
fn default_include() -> Vec<String> {
    vec!["*".to_owned()]
}
fn default_waves() -> Vec<WaveSize> {
    vec![WaveSize::Count(1), WaveSize::Count(5), WaveSize::Count(10)]
}
fn default_max_wave_size() -> u32 {
    50
}
fn default_success_ratio() -> f64 {
    0.9
}
fn default_soak() -> Duration {
    Duration::from_secs(30 * 60)
}
fn default_failure_budget() -> FailureBudget {
    FailureBudget::Count(3)
}
fn default_ci_duration() -> Duration {
    Duration::from_secs(15 * 60)
}
fn default_branch() -> String {
    "wavebump/{library}-{version}".to_owned()
}
fn default_title() -> String {
    "Bump {library} to {version}".to_owned()
}
fn default_commit_message() -> String {
    "Bump {library} from {from} to {version}".to_owned()
}
fn default_labels() -> Vec<String> {
    vec!["dependencies".to_owned(), "wavebump".to_owned()]
}
fn default_api_url() -> String {
    "https://api.github.com".to_owned()
}
fn default_token_env() -> String {
    "GITHUB_TOKEN".to_owned()
}
fn default_max_concurrency() -> u32 {
    8
}
fn default_requests_per_hour() -> u32 {
    4_000
}
fn default_writes_per_minute() -> u32 {
    20
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_store_url() -> String {
    "sqlite://wavebump.db".to_owned()
}

impl Default for RepositoriesConfig {
    fn default() -> Self {
        RepositoriesConfig {
            include: default_include(),
            exclude: Vec::new(),
            archived: false,
            forks: false,
            max_manifest_bytes: default_max_manifest_bytes(),
            scan_budget_seconds: default_scan_budget_seconds(),
        }
    }
}

fn default_max_manifest_bytes() -> u64 {
    crate::ecosystem::DEFAULT_MAX_MANIFEST_BYTES as u64
}

fn default_scan_budget_seconds() -> u64 {
    crate::discover::DEFAULT_REPO_BUDGET.as_secs()
}

impl Default for RolloutConfig {
    fn default() -> Self {
        RolloutConfig {
            canaries: Vec::new(),
            waves: default_waves(),
            max_wave_size: default_max_wave_size(),
            tiers: Vec::new(),
            critical: Vec::new(),
            lockstep: Vec::new(),
            order_by_graph: true,
            transitive_prs: false,
            gate: GateConfig::default(),
            eta: EtaConfig::default(),
        }
    }
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            success_ratio: default_success_ratio(),
            soak: default_soak(),
            require: GateRequire::default(),
            failure_budget: default_failure_budget(),
        }
    }
}

impl Default for EtaConfig {
    fn default() -> Self {
        EtaConfig {
            ci_duration: default_ci_duration(),
        }
    }
}

impl Default for PullRequestsConfig {
    fn default() -> Self {
        PullRequestsConfig {
            branch: default_branch(),
            title: default_title(),
            commit_message: default_commit_message(),
            labels: default_labels(),
            reviewers: Vec::new(),
            team_reviewers: Vec::new(),
            draft: false,
            automerge: false,
            templates_dir: None,
            refresh_sandbox: crate::git::RefreshSandbox::default(),
            npm_unions: crate::ecosystem::NpmUnions::Add,
        }
    }
}

impl Default for GithubConfig {
    fn default() -> Self {
        GithubConfig {
            api_url: default_api_url(),
            app_id: None,
            private_key_path: None,
            installation_id: None,
            token_env: default_token_env(),
            webhook_secret_file: None,
            max_concurrency: default_max_concurrency(),
            requests_per_hour: default_requests_per_hour(),
            writes_per_minute: default_writes_per_minute(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: default_listen(),
            public_url: None,
            public_read: false,
            operators: Vec::new(),
            operator_tokens_file: None,
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: default_store_url(),
            backend: StoreBackend::default(),
            inbox_retention: default_inbox_retention(),
            etag_cache_entries: default_etag_cache_entries(),
        }
    }
}
