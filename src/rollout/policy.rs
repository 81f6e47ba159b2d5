//! The rollout's policy, frozen into the store when the rollout is created
//! (so a restart, or a config edit mid-rollout, never changes the rules of a
//! running rollout), and the conversion of a plan into a new rollout.
//!
//! Invariant: `RolloutPolicy` round-trips through JSON; `new_rollout`
//! carries every planned target of the report and nothing else.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::gate::{FailureBudget, GatePolicy, OnDeclined, Require, millis};
use crate::config::{self, Config};
use crate::ecosystem::LibraryNames;
use crate::planning::{self, Outcome};
use crate::store::{NewRollout, NewTarget, RolloutGraph};

/// Pull-request settings of a rollout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrPolicy {
    pub title: String,
    pub commit_message: String,
    pub labels: Vec<String>,
    pub reviewers: Vec<String>,
    pub team_reviewers: Vec<String>,
    pub draft: bool,
    pub automerge: bool,
    /// Head branch template (`pull_requests.branch`); empty in rollouts
    /// stored before it was kept: the rollout's `branch` is used then.
    #[serde(default)]
    pub branch: String,
    /// The version the branch name is made from (the first `to` of the
    /// rollout: a superseding release keeps the branch and the PR).
    #[serde(default)]
    pub branch_version: Option<String>,
    /// `pull_requests.templates_dir`.
    #[serde(default)]
    pub templates_dir: Option<std::path::PathBuf>,
    /// `server.public_url` (status links in PR bodies).
    #[serde(default)]
    pub public_url: Option<String>,
}

impl PrPolicy {
    /// The PR settings of `config`.
    pub fn from_config(config: &Config) -> PrPolicy {
        let p = &config.pull_requests;
        PrPolicy {
            title: p.title.clone(),
            commit_message: p.commit_message.clone(),
            labels: p.labels.clone(),
            reviewers: p.reviewers.clone(),
            team_reviewers: p.team_reviewers.clone(),
            draft: p.draft,
            automerge: p.automerge,
            branch: p.branch.clone(),
            branch_version: None,
            templates_dir: p.templates_dir.clone(),
            public_url: config.server.public_url.clone(),
        }
    }

    /// The status page of rollout `id`, when served.
    pub fn status_url(&self, id: i64) -> Option<String> {
        self.public_url
            .as_deref()
            .map(|u| format!("{}/rollouts/{id}", u.trim_end_matches('/')))
    }
}

/// Everything the engine needs to drive a stored rollout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RolloutPolicy {
    pub gate: GatePolicy,
    pub library: LibraryNames,
    /// The library's repository as the forge names it.
    pub library_repo: String,
    pub pr: PrPolicy,
    /// Expected CI duration until real timings exist (ETA).
    #[serde(with = "millis")]
    pub ci_duration: Duration,
}

impl RolloutPolicy {
    /// The policy of `config`.
    pub fn from_config(config: &Config, library_repo: &str) -> RolloutPolicy {
        let g = &config.rollout.gate;
        let p = &config.pull_requests;
        RolloutPolicy {
            gate: GatePolicy {
                success_ratio: g.success_ratio,
                soak: g.soak,
                require: match g.require {
                    config::GateRequire::CiPassed => Require::CiPassed,
                    config::GateRequire::Merged => Require::Merged,
                },
                failure_budget: match g.failure_budget {
                    config::FailureBudget::Count(n) => FailureBudget::Count(n),
                    config::FailureBudget::Percent(p) => FailureBudget::Percent(p),
                },
                automerge: p.automerge,
                on_declined: match config.rollout.on_declined {
                    config::OnDeclined::Fail => OnDeclined::Fail,
                    config::OnDeclined::Skip => OnDeclined::Skip,
                },
            },
            library: planning::library_names(config),
            library_repo: library_repo.to_owned(),
            pr: PrPolicy::from_config(config),
            ci_duration: config.rollout.eta.ci_duration,
        }
    }

    /// Stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The stored form read back.
    pub fn from_json(text: &str) -> Result<RolloutPolicy, PolicyJsonError> {
        serde_json::from_str(text).map_err(PolicyJsonError)
    }
}

/// A stored rollout policy that does not read back (a damaged row).
#[derive(Debug, thiserror::Error)]
#[error("stored rollout policy: {0}")]
pub struct PolicyJsonError(#[source] serde_json::Error);

/// The library's short name for branch names (`acme/core-utils` → `core-utils`).
pub fn short_library(config: &Config) -> String {
    let repo = &config.library.repository;
    repo.rsplit('/').next().unwrap_or(repo).to_owned()
}

/// A new rollout (state `planned`) from a finished plan: every planned
/// manifest once, the frozen policy (with the plan's cascade links, see
/// `cascade`), the deterministic head branch.
pub fn new_rollout(outcome: &Outcome, config: &Config, started_by: &str) -> NewRollout {
    let report = &outcome.report;
    let version = report.library.version.clone();
    let library = short_library(config);
    let providers: BTreeSet<&str> = report.edges.iter().map(|e| e.to.as_str()).collect();
    // The store keys targets by (repository, manifest): a manifest with two
    // requirements (dependencies and dev-dependencies) is one target (the
    // engine re-scans and rewrites every requirement of the file).
    let mut seen = BTreeSet::new();
    let targets: Vec<NewTarget> = report
        .targets
        .iter()
        .filter(|t| seen.insert((t.repo.as_str(), t.path.as_str())))
        .filter_map(|t| {
            let wave = u32::try_from(t.wave?).ok()?;
            Some(NewTarget {
                repo: t.repo.clone(),
                manifest_path: t.path.clone(),
                ecosystem: t.ecosystem,
                from_requirement: t.requirement.clone(),
                to_requirement: t.new_requirement.clone(),
                classification: t.classification,
                is_library: providers.contains(t.repo.as_str()),
                wave,
            })
        })
        .collect();
    let mut policy = RolloutPolicy::from_config(config, &report.library.repo);
    policy.pr.branch_version = Some(version.clone());
    NewRollout {
        library: config.library.repository.clone(),
        from_version: None,
        to_version: version.clone(),
        wave_count: u32::try_from(report.waves.len()).unwrap_or(u32::MAX),
        branch: super::bump::branch_for(&policy.pr.branch, "", &library, &version, "", 0),
        policy: super::cascade::with_cascade(
            &policy.to_json(),
            &super::cascade::cascade_links(outcome),
        ),
        started_by: started_by.to_owned(),
        graph: graph_of(report),
        targets,
    }
}

/// The plan's graph for the status page: provider → consumer edges between
/// planned repositories (the library's own edges are implied) and the
/// lockstep groups of the plan's units.
pub fn graph_of(report: &crate::report::PlanReport) -> RolloutGraph {
    let planned: BTreeSet<&str> = report
        .waves
        .iter()
        .flat_map(|w| w.repos.iter().map(String::as_str))
        .collect();
    let mut edges: Vec<(String, String)> = report
        .edges
        .iter()
        .filter(|e| planned.contains(e.to.as_str()) && planned.contains(e.from.as_str()))
        .map(|e| (e.to.clone(), e.from.clone()))
        .collect();
    edges.sort();
    edges.dedup();
    let lockstep = report
        .waves
        .iter()
        .flat_map(|w| &w.units)
        .filter(|u| u.repos.len() > 1)
        .map(|u| {
            let mut group = u.repos.clone();
            group.sort();
            group
        })
        .collect();
    RolloutGraph { edges, lockstep }
}
