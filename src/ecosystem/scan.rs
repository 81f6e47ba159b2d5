//! The driver: every handler over every file of a tree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Classification, Ecosystem, Judgement, LibraryNames, LockRefresh, ManifestError,
    ManifestWarning, Requirement, SourceTree, Splice,
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

/// Find, judge and prepare the rewrite of every requirement of the library in
/// `tree`, moving it to `to`.
pub fn scan(tree: &dyn SourceTree, library: &LibraryNames, to: &semver::Version) -> ScanReport {
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
        for path in files.iter().filter(|p| handler.is_manifest(p)) {
            let text = match tree.read_text(path) {
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
                let mut judgement = handler.judge(&requirement, to, locked_version.as_deref());
                let mut splices = Vec::new();
                let needs_edit = matches!(
                    judgement.classification,
                    Classification::Rewrite | Classification::Major
                ) && judgement.unrewritable.is_none();
                if needs_edit {
                    match handler.rewrite(tree, &requirement, to) {
                        Ok(s) => splices = s,
                        Err(reason) => judgement.unrewritable = Some(reason),
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
    report
}

/// Apply splices to the files of `tree`: the new contents of every touched
/// file. Identical splices (one workspace root edited for several members)
/// apply once; overlapping different splices are an error.
pub fn apply_splices(
    tree: &dyn SourceTree,
    splices: &[Splice],
) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut by_path: BTreeMap<&str, Vec<&Splice>> = BTreeMap::new();
    for splice in splices {
        by_path.entry(&splice.path).or_default().push(splice);
    }
    let mut out = BTreeMap::new();
    for (path, mut list) in by_path {
        list.sort_by_key(|s| (s.span.start, s.span.end));
        list.dedup();
        let old = tree.read(path).map_err(|e| format!("{path}: {e}"))?;
        let mut new = Vec::with_capacity(old.len() + 16);
        let mut cursor = 0;
        for splice in list {
            if splice.span.start < cursor || splice.span.end > old.len() {
                return Err(format!(
                    "{path}: edit at bytes {}..{} overlaps another or leaves the file",
                    splice.span.start, splice.span.end
                ));
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
