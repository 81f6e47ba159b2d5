//! The plan as data: schema version 1 of `wavebump plan --format json`, and
//! the model every other format renders.
//!
//! Invariant: built only from a `Discovery` and a `Plan` (pure); field names
//! and meanings of schema 1 never change -- fields may be added.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::discover::{Discovery, Edge};
use crate::ecosystem::{Classification, Ecosystem, Source, Target};
use crate::plan::Plan;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct PlanReport {
    pub schema_version: u32,
    pub library: LibraryRow,
    /// Every manifest requiring the library, planned or not.
    pub targets: Vec<TargetRow>,
    /// Consumer → provider (the repository publishing what it requires).
    pub edges: Vec<Edge>,
    pub waves: Vec<WaveRow>,
    /// Repositories that reach the library only through other repositories.
    pub affected: Vec<String>,
    /// Repositories whose every target is already at or above the version.
    pub up_to_date: Vec<String>,
    /// Manifests that could not be read, and unreadable repositories.
    pub errors: Vec<ErrorRow>,
    pub warnings: Vec<String>,
    pub summary: Summary,
}

#[derive(Clone, Debug, Serialize)]
pub struct LibraryRow {
    pub repo: String,
    pub version: String,
    /// The version is not (yet) a tag of the library: a what-if plan.
    pub what_if: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct TargetRow {
    pub repo: String,
    pub path: String,
    pub ecosystem: Ecosystem,
    pub line: u32,
    pub section: String,
    /// `registry`, `git`, `workspace` or `path`.
    pub source: &'static str,
    pub requirement: String,
    pub locked_version: Option<String>,
    pub classification: Classification,
    pub new_requirement: Option<String>,
    /// Why no safe rewrite exists, when one is needed.
    pub unrewritable: Option<String>,
    /// The wave of its repository; `null` when not planned (up to date).
    pub wave: Option<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WaveRow {
    pub index: usize,
    pub repos: Vec<String>,
    pub units: Vec<UnitRow>,
    /// Seconds from the rollout's start until this wave should be done.
    pub eta_seconds: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnitRow {
    pub repos: Vec<String>,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ErrorRow {
    pub repo: String,
    /// `path:line:column: message`, or the reason a repository was unreadable.
    pub message: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub repos_scanned: usize,
    pub targets: usize,
    pub planned_repos: usize,
    pub waves: usize,
    pub by_classification: BTreeMap<String, usize>,
    pub unrewritable: usize,
    /// Every error row (manifest errors and unreadable repositories).
    pub errors: usize,
    /// Repositories with at least one error row.
    pub repos_with_errors: usize,
    /// Repositories that could not be read at all (not in `repos_scanned`).
    pub repos_unreadable: usize,
}

fn source_kind(source: &Source) -> &'static str {
    match source {
        Source::Registry => "registry",
        Source::Git { .. } => "git",
        Source::Workspace { .. } => "workspace",
        Source::Path { .. } => "path",
    }
}

/// Does this target need a pull request?
pub fn needs_pr(target: &Target) -> bool {
    target.judgement.classification != Classification::UpToDate
}

impl PlanReport {
    pub fn build(
        library_repo: &str,
        version: &semver::Version,
        what_if: bool,
        discovery: &Discovery,
        plan: &Plan,
    ) -> Self {
        let mut targets = Vec::new();
        let mut errors = Vec::new();
        let mut up_to_date = Vec::new();
        let mut summary = Summary {
            repos_scanned: discovery.repos.len(),
            waves: plan.waves.len(),
            ..Summary::default()
        };
        let mut warnings = plan.warnings.clone();
        for scan in &discovery.repos {
            warnings.extend(scan.warnings.iter().map(|w| format!("{}: {w}", scan.repo)));
            for e in &scan.errors {
                errors.push(ErrorRow {
                    repo: scan.repo.clone(),
                    message: e.to_string(),
                });
            }
            if !scan.targets.is_empty() && !scan.targets.iter().any(needs_pr) {
                up_to_date.push(scan.repo.clone());
            }
            for t in &scan.targets {
                let r = &t.requirement;
                let class = t.judgement.classification;
                *summary
                    .by_classification
                    .entry(class.to_string())
                    .or_default() += 1;
                if t.judgement.unrewritable.is_some() {
                    summary.unrewritable += 1;
                }
                targets.push(TargetRow {
                    repo: scan.repo.clone(),
                    path: r.path.clone(),
                    ecosystem: r.ecosystem,
                    line: r.line,
                    section: r.section.clone(),
                    source: source_kind(&r.source),
                    requirement: r.requirement.clone(),
                    locked_version: t.locked_version.clone(),
                    classification: class,
                    new_requirement: t.judgement.new_requirement.clone(),
                    unrewritable: t.judgement.unrewritable.clone(),
                    wave: if needs_pr(t) {
                        plan.wave_of(&scan.repo)
                    } else {
                        None
                    },
                });
            }
        }
        for (repo, reason) in &discovery.unreadable {
            errors.push(ErrorRow {
                repo: repo.clone(),
                message: reason.clone(),
            });
        }
        summary.targets = targets.len();
        summary.errors = errors.len();
        summary.repos_with_errors = errors
            .iter()
            .map(|e| e.repo.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        summary.repos_unreadable = discovery.unreadable.len();
        let waves: Vec<WaveRow> = plan
            .waves
            .iter()
            .map(|w| {
                let mut repos: Vec<String> = w
                    .units
                    .iter()
                    .flat_map(|u| u.repos.iter().cloned())
                    .collect();
                repos.sort();
                WaveRow {
                    index: w.index,
                    repos,
                    units: w
                        .units
                        .iter()
                        .map(|u| UnitRow {
                            repos: u.repos.clone(),
                            reason: u.reason.clone(),
                        })
                        .collect(),
                    eta_seconds: w.eta.as_secs(),
                }
            })
            .collect();
        summary.planned_repos = waves.iter().map(|w| w.repos.len()).sum();
        PlanReport {
            schema_version: SCHEMA_VERSION,
            library: LibraryRow {
                repo: library_repo.to_string(),
                version: version.to_string(),
                what_if,
            },
            targets,
            edges: discovery.edges.clone(),
            waves,
            affected: discovery.affected.clone(),
            up_to_date,
            errors,
            warnings,
            summary,
        }
    }

    pub fn wave_of(&self, repo: &str) -> Option<usize> {
        self.waves
            .iter()
            .find(|w| w.repos.iter().any(|r| r == repo))
            .map(|w| w.index)
    }
}
