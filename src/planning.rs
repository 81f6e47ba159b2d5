//! The dry-run operation behind `wavebump plan`: config + forge → discovery
//! → plan → report. Reads only; writes nothing anywhere.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::config::values::WaveSize;
use crate::discover::{self, DiscoverOptions, Discovery, latest_version};
use crate::ecosystem::LibraryNames;
use crate::forge::{Forge, ForgeError, RepoInfo};
use crate::names::{Glob, RepoName};
use crate::plan::{self, PlanError, PlanInput, Policy, RepoInput, Tier, WaveSizes};
use crate::report::{PlanReport, needs_pr};

/// Why a plan could not be made. `is_usage` errors exit with code 2.
#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    #[error("{0}")]
    Usage(String),
    #[error("plan policy: {0}")]
    Policy(#[from] PlanError),
    #[error("forge: {0}")]
    Forge(#[from] ForgeError),
}

impl PlanningError {
    /// Configuration or usage errors (exit code 2) as opposed to failures.
    pub fn is_usage(&self) -> bool {
        matches!(self, PlanningError::Usage(_) | PlanningError::Policy(_))
    }
}

/// The library's package names from the config.
pub fn library_names(config: &Config) -> LibraryNames {
    let p = &config.library.packages;
    LibraryNames {
        cargo: p.cargo.clone(),
        npm: p.npm.clone(),
        go: p.go.clone(),
        python: p.python.clone(),
        ruby: p.ruby.clone(),
    }
}

/// Configured repository names resolved to the forge's names (an entry
/// naming no repository is kept as written, for the planner to report).
fn resolve_names(configured: &[String], known: &[String]) -> Vec<String> {
    configured
        .iter()
        .map(|c| {
            known
                .iter()
                .find(|k| RepoName::refers(c, k))
                .cloned()
                .unwrap_or_else(|| c.clone())
        })
        .collect()
}

/// The planner's policy from the config's rollout section.
pub fn policy(config: &Config, known: &[String]) -> Policy {
    let r = &config.rollout;
    let wave_sizes = if r.waves_are_percentages() {
        WaveSizes::CumulativePercent(
            r.waves
                .iter()
                .filter_map(|w| match w {
                    WaveSize::Percent(p) => Some(*p),
                    WaveSize::Count(_) => None,
                })
                .collect(),
        )
    } else {
        WaveSizes::Counts(
            r.waves
                .iter()
                .filter_map(|w| match w {
                    WaveSize::Count(n) => Some(*n as usize),
                    WaveSize::Percent(_) => None,
                })
                .collect(),
        )
    };
    Policy {
        canaries: resolve_names(&r.canaries, known),
        wave_sizes,
        max_wave_size: (r.max_wave_size > 0).then_some(r.max_wave_size as usize),
        tiers: r
            .tiers
            .iter()
            .map(|t| Tier {
                name: t.name.clone(),
                // The planner matches with the config's globs, so
                // `storefront` finds `acme/storefront` on GitHub.
                patterns: t.repos.clone(),
            })
            .collect(),
        lockstep: r
            .lockstep
            .iter()
            .map(|group| resolve_names(group, known))
            .collect(),
        order_by_graph: r.order_by_graph,
        ci_duration: r.eta.ci_duration,
        soak: r.gate.soak,
    }
}

/// Does the config consider this repository (include/exclude globs,
/// archived, forks)?
pub fn considers(config: &Config, repo: &RepoInfo) -> bool {
    let r = &config.repositories;
    if (repo.archived && !r.archived) || (repo.fork && !r.forks) {
        return false;
    }
    let matches = |patterns: &[String]| {
        patterns
            .iter()
            .filter_map(|p| Glob::new(p))
            .any(|g| g.matches_repo(&repo.name))
    };
    matches(&r.include) && !matches(&r.exclude)
}

/// The forge's name for the library's repository (`acme/core-utils` is
/// `core-utils` on the local forge).
fn library_repo_name(config: &Config, repos: &[RepoInfo]) -> String {
    let configured = &config.library.repository;
    repos
        .iter()
        .find(|r| RepoName::same(&r.name, configured))
        .or_else(|| repos.iter().find(|r| RepoName::refers(&r.name, configured)))
        .map(|r| r.name.clone())
        .unwrap_or_else(|| configured.clone())
}

/// The one version parse: a semantic version as people write it, with or
/// without a leading `v` or `V`, spaces around ignored.
pub fn version_text(text: &str) -> Result<semver::Version, semver::Error> {
    let t = text.trim();
    semver::Version::parse(t.strip_prefix(['v', 'V']).unwrap_or(t))
}

/// Parse `--to` ([`version_text`]).
pub fn parse_version(text: &str) -> Result<semver::Version, PlanningError> {
    version_text(text).map_err(|e| {
        PlanningError::Usage(format!(
            "--to {text:?} is not a valid version ({e}); expected e.g. 2.0.0"
        ))
    })
}

/// A finished dry run.
pub struct Outcome {
    pub report: PlanReport,
    pub discovery: Discovery,
}

/// Discover, plan and report. `to` overrides the latest tag.
pub async fn run<F: Forge>(
    forge: &F,
    config: &Config,
    to: Option<&str>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Outcome, PlanningError> {
    let repos = forge.list_repos().await?;
    let library_repo = library_repo_name(config, &repos);
    let has_library_repo = repos.iter().any(|r| r.name == library_repo);
    let tags = if has_library_repo {
        forge.tags(&library_repo).await?
    } else {
        Vec::new()
    };
    let latest = latest_version(
        &tags,
        &config.library.tag_pattern,
        config.library.prereleases,
    );
    let version = match to {
        Some(text) => parse_version(text)?,
        None => latest.clone().ok_or_else(|| {
            PlanningError::Usage(format!(
                "no release of {} found (no tag matching `{}` in repository {library_repo}); pass --to VERSION",
                config.library.repository, config.library.tag_pattern
            ))
        })?,
    };
    let tagged: BTreeSet<semver::Version> = tags
        .iter()
        .filter_map(|t| latest_version(std::slice::from_ref(t), &config.library.tag_pattern, true))
        .collect();
    let what_if = !tagged.contains(&version);

    let library = library_names(config);
    let include = |r: &RepoInfo| considers(config, r);
    let limits = discover::DiscoveryLimits {
        max_manifest_bytes: usize::try_from(config.repositories.max_manifest_bytes)
            .unwrap_or(usize::MAX),
        repo_budget: Some(std::time::Duration::from_secs(
            config.repositories.scan_budget_seconds,
        )),
        options: crate::ecosystem::RewriteOptions {
            npm_unions: config.pull_requests.npm_unions,
        },
    };
    let discovery = discover::discover_within(
        forge,
        &DiscoverOptions {
            library: &library,
            library_repo: &library_repo,
            to: &version,
            include: &include,
            concurrency: 8,
            progress,
        },
        &limits,
    )
    .await?;

    let affected: BTreeSet<&str> = discovery.affected.iter().map(String::as_str).collect();
    let input = PlanInput {
        repos: discovery
            .repos
            .iter()
            .map(|s| RepoInput {
                name: s.repo.clone(),
                needs_pr: s.targets.iter().any(needs_pr)
                    || (config.rollout.transitive_prs && affected.contains(s.repo.as_str())),
            })
            .collect(),
        edges: discovery
            .edges
            .iter()
            .map(|e| plan::Edge::new(e.from.clone(), e.to.clone()))
            .collect(),
    };
    let known: Vec<String> = discovery.repos.iter().map(|s| s.repo.clone()).collect();
    let plan = plan::plan(&input, &policy(config, &known))?;
    let report = PlanReport::build(&library_repo, &version, what_if, &discovery, &plan);
    Ok(Outcome { report, discovery })
}
