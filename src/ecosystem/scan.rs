//! The driver: every handler over every file of a tree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Classification, Ecosystem, Judgement, LibraryNames, LockRefresh, ManifestError,
    ManifestWarning, Requirement, RewriteOptions, SourceTree, Splice,
};

/// A requirement of the library, judged against the new version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    #[serde(flatten)]
    pub requirement: Requirement,
    /// The version a lockfile pins, if any.
    pub locked_version: Option<String>,
    #[serde(flatten)]
    pub judgement: Judgement,
    /// The edits that move the requirement (empty when none is needed or
    /// none is safe).
    pub splices: Vec<Splice>,
    pub lock_refresh: Option<LockRefresh>,
}

/// Everything found in one tree: targets, and the manifests that could not be
/// read (the rest are still reported).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    pub targets: Vec<Target>,
    pub errors: Vec<ManifestError>,
    /// Entries skipped (or read leniently) with the reason; the rest of
    /// their manifest is still reported.
    #[serde(default)]
    pub warnings: Vec<ManifestWarning>,
}

/// The default cap on one manifest's size: 1 MiB, ten times the largest
/// `package.json` seen in public fleets; lockfiles are not capped.
pub const DEFAULT_MAX_MANIFEST_BYTES: usize = 1 << 20;

/// Limits on reading one repository: every manifest parser is linear, these
/// bound the constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanLimits {
    /// A manifest larger than this is an error naming the file and the cap.
    pub max_manifest_bytes: usize,
    /// Past this instant the scan stops: the repository is over its time
    /// budget (checked between files).
    pub deadline: Option<std::time::Instant>,
    /// The configured rewrite styles.
    pub options: RewriteOptions,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits {
            max_manifest_bytes: DEFAULT_MAX_MANIFEST_BYTES,
            deadline: None,
            options: RewriteOptions::default(),
        }
    }
}

/// Why a scan stopped before the end of the repository.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScanAbort {
    #[error(
        "over its discovery time budget after {read} of {total} manifest(s); the next was {next}"
    )]
    OverBudget {
        read: usize,
        total: usize,
        next: String,
    },
}

/// Read one manifest's text within the size cap.
pub fn read_manifest(
    tree: &dyn SourceTree,
    path: &str,
    limits: &ScanLimits,
) -> Result<String, ManifestError> {
    let bytes = tree
        .read(path)
        .map_err(|e| ManifestError::new(path, 0, 0, format!("cannot read file: {e}")))?;
    if bytes.len() > limits.max_manifest_bytes {
        return Err(ManifestError::new(
            path,
            0,
            0,
            format!(
                "the manifest is {} bytes, over the cap of {} bytes (`repositories.max_manifest_bytes`): not read",
                bytes.len(),
                limits.max_manifest_bytes
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes());
        ManifestError::at_offset(path, &text, offset, "invalid UTF-8: expected a text file")
    })
}

/// Find, judge and prepare the rewrite of every requirement of the library in
/// `tree`, moving it to `to`, with the default limits and no deadline.
pub fn scan(tree: &dyn SourceTree, library: &LibraryNames, to: &semver::Version) -> ScanReport {
    // No deadline: never over budget.
    scan_within(tree, library, to, &ScanLimits::default()).unwrap_or_default()
}

/// [`scan`] within `limits`: a manifest over the size cap is an error of its
/// own; past the deadline the whole scan stops.
pub fn scan_within(
    tree: &dyn SourceTree,
    library: &LibraryNames,
    to: &semver::Version,
    limits: &ScanLimits,
) -> Result<ScanReport, ScanAbort> {
    let mut report = ScanReport::default();
    let files = tree.files();
    // A file included by several manifests (a `-r`/`-c` target) yields its
    // requirements once.
    let mut seen = std::collections::HashSet::new();
    for ecosystem in Ecosystem::ALL {
        let Some(name) = library.get(ecosystem) else {
            continue;
        };
        let handler = ecosystem.handler();
        let manifests: Vec<&String> = files.iter().filter(|p| handler.is_manifest(p)).collect();
        for (read, path) in manifests.iter().enumerate() {
            if limits
                .deadline
                .is_some_and(|d| std::time::Instant::now() >= d)
            {
                return Err(ScanAbort::OverBudget {
                    read,
                    total: manifests.len(),
                    next: path.to_string(),
                });
            }
            let text = match read_manifest(tree, path, limits) {
                Ok(text) => text,
                Err(e) => {
                    report.errors.push(e);
                    continue;
                }
            };
            let found = match handler.find_with_warnings(tree, path, &text, name) {
                Ok(found) => {
                    report.warnings.extend(found.warnings);
                    found.requirements
                }
                Err(e) => {
                    report.errors.push(e);
                    continue;
                }
            };
            for requirement in found {
                let key = (
                    requirement.path.clone(),
                    requirement.span_path.clone(),
                    requirement.line,
                    requirement.section.clone(),
                    requirement.key.clone(),
                );
                if !seen.insert(key) {
                    continue;
                }
                let locked_version = match handler.locked_version(tree, &requirement, name) {
                    Ok(v) => v,
                    Err(e) => {
                        report.errors.push(e);
                        None
                    }
                };
                let mut judgement = handler.judge_with(
                    &requirement,
                    to,
                    locked_version.as_deref(),
                    &limits.options,
                );
                let mut splices = Vec::new();
                let needs_edit = matches!(
                    judgement.classification,
                    Classification::Rewrite | Classification::Major
                ) && judgement.unrewritable.is_none();
                if needs_edit {
                    match handler.rewrite_with(tree, &requirement, to, &limits.options) {
                        Ok(s) => splices = s,
                        Err(reason) => judgement.unrewritable = Some(reason.to_string()),
                    }
                }
                let lock_refresh = handler.lock_refresh(tree, &requirement, name, to);
                report.targets.push(Target {
                    requirement,
                    locked_version,
                    judgement,
                    splices,
                    lock_refresh,
                });
            }
        }
    }
    Ok(report)
}

/// Why splices cannot be applied to a tree.
#[derive(Debug, thiserror::Error)]
pub enum SpliceError {
    #[error("{path}: {why}")]
    Read {
        path: String,
        #[source]
        why: super::ReadError,
    },
    #[error("{path}: edit at bytes {start}..{end} overlaps another or leaves the file")]
    Overlap {
        path: String,
        start: usize,
        end: usize,
    },
}

/// Apply splices to the files of `tree`: the new contents of every touched
/// file. Identical splices (one workspace root edited for several members)
/// apply once; overlapping different splices are an error.
pub fn apply_splices(
    tree: &dyn SourceTree,
    splices: &[Splice],
) -> Result<BTreeMap<String, Vec<u8>>, SpliceError> {
    let mut by_path: BTreeMap<&str, Vec<&Splice>> = BTreeMap::new();
    for splice in splices {
        by_path.entry(&splice.path).or_default().push(splice);
    }
    let mut out = BTreeMap::new();
    for (path, mut list) in by_path {
        list.sort_by_key(|s| (s.span.start, s.span.end));
        list.dedup();
        let old = tree.read(path).map_err(|why| SpliceError::Read {
            path: path.to_string(),
            why,
        })?;
        let mut new = Vec::with_capacity(old.len() + 16);
        let mut cursor = 0;
        for splice in list {
            if splice.span.start < cursor || splice.span.end > old.len() {
                return Err(SpliceError::Overlap {
                    path: path.to_string(),
                    start: splice.span.start,
                    end: splice.span.end,
                });
            }
            new.extend_from_slice(&old[cursor..splice.span.start]);
            new.extend_from_slice(splice.replacement.as_bytes());
            cursor = splice.span.end;
        }
        new.extend_from_slice(&old[cursor..]);
        out.insert(path.to_string(), new);
    }
    Ok(out)
}
