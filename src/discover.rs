//! Discovery: repository trees → targets, and the consumer graph.
//!
//! Invariants: the library's own repository is never a target; an edge goes
//! from a consumer to the repository publishing a package it requires (the
//! library's repository included); a repository that reaches the library only
//! through other repositories is "affected", not a target. `analyse_repo`
//! and `build_graph` are pure; `discover` only adds forge reads.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use crate::ecosystem::{
    self, Ecosystem, LibraryNames, ManifestError, ManifestWarning, MemTree, ScanAbort, ScanLimits,
    SourceTree, Target,
};
use crate::forge::{Forge, ForgeError, RepoInfo};

/// A package as one ecosystem names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
}

impl Package {
    /// The name under which two spellings are the same package (PEP 503 for
    /// Python; exact elsewhere).
    fn key(&self) -> (Ecosystem, String) {
        let name = match self.ecosystem {
            Ecosystem::Python => normalize_python(&self.name),
            _ => self.name.clone(),
        };
        (self.ecosystem, name)
    }
}

fn normalize_python(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// What one repository holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoScan {
    pub repo: String,
    pub targets: Vec<Target>,
    pub errors: Vec<ManifestError>,
    /// Entries skipped or read leniently (the rest of their manifest is
    /// still read), naming file and line.
    #[serde(default)]
    pub warnings: Vec<ManifestWarning>,
    pub publishes: Vec<Package>,
    pub requires: Vec<Package>,
}

/// An edge of the consumer graph: `from` requires a package `to` publishes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
}

/// Everything discovery learnt about the organisation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    /// Every repository considered (the library's own included), by name.
    pub repos: Vec<RepoScan>,
    pub edges: Vec<Edge>,
    /// Repositories that reach the library only through other repositories.
    pub affected: Vec<String>,
    /// Repositories that could not be read at all, with the reason.
    pub unreadable: Vec<(String, String)>,
}

impl Discovery {
    pub fn repo(&self, name: &str) -> Option<&RepoScan> {
        self.repos.iter().find(|r| r.repo == name)
    }
}

/// Scan one repository's tree. The library's own repository yields no
/// targets, only what it publishes.
pub fn analyse_repo(
    repo: &str,
    tree: &dyn SourceTree,
    library: &LibraryNames,
    library_repo: &str,
    to: &semver::Version,
) -> RepoScan {
    analyse_repo_within(
        repo,
        tree,
        library,
        library_repo,
        to,
        &ScanLimits::default(),
    )
    .unwrap_or_else(|_| RepoScan {
        // No deadline in the default limits: never reached.
        repo: repo.to_string(),
        targets: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        publishes: Vec::new(),
        requires: Vec::new(),
    })
}

/// [`analyse_repo`] within `limits` (manifest size cap, deadline).
pub fn analyse_repo_within(
    repo: &str,
    tree: &dyn SourceTree,
    library: &LibraryNames,
    library_repo: &str,
    to: &semver::Version,
    limits: &ScanLimits,
) -> Result<RepoScan, ScanAbort> {
    let is_library = repo == library_repo;
    let report = if is_library {
        ecosystem::ScanReport::default()
    } else {
        ecosystem::scan_within(tree, library, to, limits)?
    };
    let mut errors = report.errors;
    for path in tree.non_utf8_paths() {
        errors.push(ManifestError::new(
            &path,
            0,
            0,
            "path is not UTF-8: it cannot be read as a manifest or named in a pull request",
        ));
    }
    let mut publishes = BTreeSet::new();
    let mut requires = BTreeSet::new();
    let files = tree.files();
    for (read, path) in files.iter().enumerate() {
        if limits
            .deadline
            .is_some_and(|d| std::time::Instant::now() >= d)
        {
            return Err(ScanAbort::OverBudget {
                read,
                total: files.len(),
                next: path.clone(),
            });
        }
        for eco in Ecosystem::ALL {
            let handler = eco.handler();
            if !handler.is_manifest(path) {
                continue;
            }
            let Ok(text) = ecosystem::read_manifest(tree, path, limits) else {
                if is_library && let Err(e) = ecosystem::read_manifest(tree, path, limits) {
                    errors.push(e);
                }
                continue; // already reported by the scan
            };
            match handler.package_info(path, &text) {
                Ok(info) => {
                    if let Some(name) = info.publishes {
                        publishes.insert(Package {
                            ecosystem: eco,
                            name,
                        });
                    }
                    for name in info.requires {
                        requires.insert(Package {
                            ecosystem: eco,
                            name,
                        });
                    }
                }
                Err(e) => {
                    if is_library && !errors.contains(&e) {
                        errors.push(e);
                    }
                }
            }
        }
    }
    Ok(RepoScan {
        repo: repo.to_string(),
        targets: report.targets,
        errors,
        warnings: report.warnings,
        publishes: publishes.into_iter().collect(),
        requires: requires.into_iter().collect(),
    })
}

/// The consumer graph over scanned repositories, and the repositories that
/// reach the library only transitively.
pub fn build_graph(
    scans: &[RepoScan],
    library: &LibraryNames,
    library_repo: &str,
) -> (Vec<Edge>, Vec<String>) {
    let mut publisher: BTreeMap<(Ecosystem, String), &str> = BTreeMap::new();
    for scan in scans {
        for p in &scan.publishes {
            publisher.entry(p.key()).or_insert(&scan.repo);
        }
    }
    for eco in Ecosystem::ALL {
        if let Some(name) = library.get(eco) {
            let p = Package {
                ecosystem: eco,
                name: name.to_string(),
            };
            publisher.insert(p.key(), library_repo);
        }
    }
    let mut edges = BTreeSet::new();
    for scan in scans {
        for p in &scan.requires {
            if let Some(&to) = publisher.get(&p.key())
                && to != scan.repo
            {
                edges.insert(Edge {
                    from: scan.repo.clone(),
                    to: to.to_string(),
                });
            }
        }
        if !scan.targets.is_empty() && scan.repo != library_repo {
            edges.insert(Edge {
                from: scan.repo.clone(),
                to: library_repo.to_string(),
            });
        }
    }
    let edges: Vec<Edge> = edges.into_iter().collect();

    // Affected: reach a direct consumer (or the library) through edges,
    // without requiring the library themselves.
    let direct: BTreeSet<&str> = scans
        .iter()
        .filter(|s| !s.targets.is_empty())
        .map(|s| s.repo.as_str())
        .chain([library_repo])
        .collect();
    let mut consumers_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in &edges {
        consumers_of.entry(&e.to).or_default().push(&e.from);
    }
    let mut seen: BTreeSet<&str> = direct.clone();
    let mut queue: VecDeque<&str> = direct.iter().copied().collect();
    let mut affected = BTreeSet::new();
    while let Some(repo) = queue.pop_front() {
        for &consumer in consumers_of.get(repo).into_iter().flatten() {
            if seen.insert(consumer) {
                affected.insert(consumer.to_string());
                queue.push_back(consumer);
            }
        }
    }
    (edges, affected.into_iter().collect())
}

/// What to discover.
pub struct DiscoverOptions<'a> {
    pub library: &'a LibraryNames,
    /// The library's repository as the forge names it.
    pub library_repo: &'a str,
    pub to: &'a semver::Version,
    /// Which repositories to consider.
    pub include: &'a (dyn Fn(&RepoInfo) -> bool + Sync),
    /// How many repositories are read at once.
    pub concurrency: usize,
    /// Called after each repository with (done, total).
    pub progress: &'a (dyn Fn(usize, usize) + Sync),
}

/// Bounds on discovering one repository, so that one hostile or huge
/// repository cannot stall the plan of the whole organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscoveryLimits {
    /// A manifest larger than this is an error naming the file and the cap.
    pub max_manifest_bytes: usize,
    /// Time for one repository, its read and its scan together; a
    /// repository over it is reported unreadable with the reason.
    pub repo_budget: Option<Duration>,
    /// The configured rewrite styles.
    pub options: ecosystem::RewriteOptions,
}

/// The default per-repository budget: generous for real repositories (a
/// scan costs milliseconds), short enough that one stall is visible.
pub const DEFAULT_REPO_BUDGET: Duration = Duration::from_secs(30);

impl Default for DiscoveryLimits {
    fn default() -> Self {
        DiscoveryLimits {
            max_manifest_bytes: ecosystem::DEFAULT_MAX_MANIFEST_BYTES,
            repo_budget: Some(DEFAULT_REPO_BUDGET),
            options: ecosystem::RewriteOptions::default(),
        }
    }
}

/// Why one repository was not discovered.
#[derive(Debug, thiserror::Error)]
enum RepoFailure {
    #[error(transparent)]
    Forge(#[from] ForgeError),
    #[error("reading the repository took longer than its discovery budget of {0:?}")]
    ReadOverBudget(Duration),
    #[error("scanning the repository took longer than its discovery budget of {budget:?}: {abort}")]
    ScanOverBudget { budget: Duration, abort: ScanAbort },
}

/// Read every considered repository through the forge and build the graph.
/// A repository that cannot be read is reported, and the rest go on.
pub async fn discover<F: Forge>(
    forge: &F,
    opts: &DiscoverOptions<'_>,
) -> Result<Discovery, ForgeError> {
    discover_within(forge, opts, &DiscoveryLimits::default()).await
}

/// [`discover`] within `limits`: a repository over its time budget (read or
/// scan) is reported unreadable with the reason; the rest are planned.
pub async fn discover_within<F: Forge>(
    forge: &F,
    opts: &DiscoverOptions<'_>,
    limits: &DiscoveryLimits,
) -> Result<Discovery, ForgeError> {
    let repos: Vec<RepoInfo> = forge
        .list_repos()
        .await?
        .into_iter()
        .filter(|r| r.name == opts.library_repo || (opts.include)(r))
        .collect();
    let total = repos.len();
    let mut done = 0;
    let mut scans = Vec::with_capacity(total);
    let mut unreadable = Vec::new();
    // The futures are collected first so that no closure is part of the
    // stream's type (see `read_one`).
    let reads: Vec<_> = repos
        .iter()
        .map(|r| read_one(forge, r, limits.repo_budget))
        .collect();
    let mut results = stream::iter(reads).buffer_unordered(opts.concurrency.max(1));
    while let Some((info, tree, started)) = results.next().await {
        done += 1;
        (opts.progress)(done, total);
        let scanned = tree.and_then(|tree| {
            let scan_limits = ScanLimits {
                max_manifest_bytes: limits.max_manifest_bytes,
                deadline: limits.repo_budget.map(|b| started + b),
                options: limits.options,
            };
            analyse_repo_within(
                &info.name,
                &tree,
                opts.library,
                opts.library_repo,
                opts.to,
                &scan_limits,
            )
            .map_err(|abort| RepoFailure::ScanOverBudget {
                budget: limits.repo_budget.unwrap_or_default(),
                abort,
            })
        });
        match scanned {
            Ok(scan) => scans.push(scan),
            Err(e) => unreadable.push((info.name.clone(), e.to_string())),
        }
    }
    scans.sort_by(|a, b| a.repo.cmp(&b.repo));
    unreadable.sort();
    let (edges, affected) = build_graph(&scans, opts.library, opts.library_repo);
    Ok(Discovery {
        repos: scans,
        edges,
        affected,
        unreadable,
    })
}

/// One repository's tree. A named `async fn` whose futures are collected
/// before they are streamed: with a closure in the stream's type (`iter(…
/// .map(|r| async { … }))`), rustc cannot prove the future `Send` for every
/// lifetime of the closure's argument (the higher-ranked "`FnOnce` is not
/// general enough" error), which made `discover` (and `planning::run`)
/// non-`Send` and forced `serve` to plan under `block_in_place`. A named
/// function's future is an ordinary type, `Send` because
/// `F::read_tree`'s is.
async fn read_one<'a, F: Forge>(
    forge: &'a F,
    repo: &'a RepoInfo,
    budget: Option<Duration>,
) -> (&'a RepoInfo, Result<MemTree, RepoFailure>, Instant) {
    let started = Instant::now();
    let read = async {
        match &repo.unreadable {
            Some(reason) => Err(ForgeError::Repo {
                repo: repo.name.clone(),
                message: reason.clone(),
            }),
            None => forge.read_tree(&repo.name).await,
        }
    };
    let tree = match budget {
        Some(budget) => match tokio::time::timeout(budget, read).await {
            Ok(read) => read.map_err(RepoFailure::from),
            Err(_) => Err(RepoFailure::ReadOverBudget(budget)),
        },
        None => read.await.map_err(RepoFailure::from),
    };
    (repo, tree, started)
}

/// The highest version among `tags` (`v1.2.3` or `1.2.3`, or matching
/// `pattern` with `{version}` in it), prereleases only when allowed.
pub fn latest_version(
    tags: &[String],
    pattern: &str,
    prereleases: bool,
) -> Option<semver::Version> {
    let (prefix, suffix) = pattern.split_once("{version}").unwrap_or(("v", ""));
    tags.iter()
        .filter_map(|tag| {
            let rest = tag.strip_prefix(prefix)?.strip_suffix(suffix)?;
            semver::Version::parse(rest).ok()
        })
        .filter(|v| prereleases || v.pre.is_empty())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compile-time: the future is `Send` (so `serve` can `.await` planning
    /// inside its spawned worker).
    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn discovery_and_planning_futures_are_send() {
        let forge = crate::forge::local::LocalForge::new("/nonexistent");
        let library = LibraryNames::acme_core_utils();
        let to = semver::Version::new(2, 0, 0);
        let include = |_: &RepoInfo| true;
        let progress = |_: usize, _: usize| {};
        let opts = DiscoverOptions {
            library: &library,
            library_repo: "core-utils",
            to: &to,
            include: &include,
            concurrency: 4,
            progress: &progress,
        };
        let fut = discover(&forge, &opts);
        assert_send(&fut);
        drop(fut);
        let config = crate::config::Config::embedded_example().unwrap();
        let planned = crate::planning::run(&forge, &config, Some("2.0.0"), &progress);
        assert_send(&planned);
    }

    #[test]
    fn python_names_normalise() {
        assert_eq!(normalize_python("Core_Utils"), "core-utils");
        assert_eq!(normalize_python("core.utils"), "core-utils");
        assert_eq!(normalize_python("core--utils"), "core-utils");
    }

    #[test]
    fn latest_version_respects_prereleases_and_pattern() {
        let tags: Vec<String> = ["v1.4.2", "v2.0.0-rc.1", "v1.10.0", "junk", "2.5.0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            latest_version(&tags, "v{version}", false),
            Some(semver::Version::new(1, 10, 0))
        );
        assert_eq!(
            latest_version(&tags, "v{version}", true),
            Some(semver::Version::parse("2.0.0-rc.1").unwrap())
        );
        assert_eq!(
            latest_version(&tags, "{version}", false),
            Some(semver::Version::new(2, 5, 0))
        );
    }
}
