//! Python manifests: pip requirements files and `pyproject.toml` (PEP 621,
//! PEP 735 dependency groups, Poetry), judged by PEP 440 as `packaging` 26
//! implements it and by Poetry's `^`/`~` rules.
//!
//! Invariant: names are compared PEP 503-normalised (`Core_Utils` matches
//! `core-utils`; `core-utils-extra` does not), and a rewrite splices only
//! version or tag tokens, after checking the edited file still parses.
//!
//! Layout: [`version`] and [`specifier`] are PEP 440; [`constraint`] adds
//! Poetry's dialect; [`judge`] classifies and plans rewrites; [`pep508`],
//! [`requirements`] and [`pyproject`] read manifests; [`lockfile`] reads
//! `poetry.lock`, `uv.lock` and pip-compile output.

pub mod constraint;
pub mod judge;
pub mod lockfile;
pub mod pep508;
pub mod pipfile;
pub mod pyproject;
pub mod requirements;
pub mod setup_cfg;
pub mod setup_py;
pub mod specifier;
pub mod tag;
pub mod version;
#[cfg(test)]
mod version_table;

use constraint::{Constraint, Dialect};
use pep508::{normalize, same_name};
use version::Version;

use crate::ecosystem::{
    Classification, Ecosystem, Found, GitRef, Handler, Judgement, LockRefresh, ManifestError,
    PackageInfo, Requirement, RewriteError, Source, SourceTree, Splice,
};

pub struct Python;

/// pip-tools input names accepted as `*.in` manifests besides
/// `requirements*.in` (other `*.in` files are autotools or MANIFEST.in).
const PIP_TOOLS_STEMS: &[&str] = &[
    "base",
    "ci",
    "constraints",
    "dev",
    "doc",
    "docs",
    "lint",
    "prod",
    "production",
    "test",
    "tests",
    "typing",
];

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn in_requirements_dir(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    parts.next();
    matches!(parts.next(), Some("requirements" | "constraints"))
}

fn is_requirements_file(path: &str) -> bool {
    let name = file_name(path);
    if let Some(stem) = name.strip_suffix(".txt") {
        return stem.starts_with("requirements")
            || stem.starts_with("constraints")
            || in_requirements_dir(path);
    }
    if let Some(stem) = name.strip_suffix(".in") {
        return stem.starts_with("requirements")
            || in_requirements_dir(path)
            || PIP_TOOLS_STEMS.contains(&stem);
    }
    false
}

/// The constraint dialect of a requirement found by [`Python::find`].
fn dialect(req: &Requirement) -> Dialect {
    if req.section.starts_with("tool.poetry") {
        Dialect::Poetry
    } else {
        Dialect::Pep440
    }
}

/// The new release as PEP 440 (a semver pre-release tag PEP 440 cannot
/// spell falls back to the release triple).
fn target(to: &semver::Version) -> Version {
    judge::to_pep440(to).unwrap_or_else(|| Version::release(vec![to.major, to.minor, to.patch]))
}

fn invalid_constraint(
    path: &str,
    text: &str,
    span: Option<&std::ops::Range<usize>>,
    fallback: usize,
    offset: usize,
    clause: &str,
    dialect: Dialect,
) -> ManifestError {
    let at = span.map_or(fallback, |s| s.start + offset);
    let what = match dialect {
        Dialect::Pep440 => "a PEP 440 version specifier",
        Dialect::Poetry => "a Poetry version constraint",
    };
    ManifestError::at_offset(path, text, at, format!("expected {what}, found `{clause}`"))
}

/// The files read as one TOML/INI/Python document of dependencies (the
/// rest are pip requirements files).
fn structured(path: &str, text: &str) -> Option<Result<pyproject::Pyproject, ManifestError>> {
    Some(match file_name(path) {
        "pyproject.toml" => pyproject::parse(path, text),
        "setup.cfg" => setup_cfg::parse(path, text),
        "setup.py" => setup_py::parse(path, text),
        "Pipfile" => pipfile::parse(path, text),
        _ => return None,
    })
}

/// The `-r`/`-c` includes of a requirements file, followed across
/// directories (each once, transitively), that are not manifests on their
/// own (those are scanned by themselves).
fn includes(tree: &dyn SourceTree, path: &str, text: &str) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut queue = vec![(path.to_string(), text.to_string())];
    let mut out = Vec::new();
    while let Some((file, text)) = queue.pop() {
        for target in requirements::references(&file, &text) {
            if target == path || !seen.insert(target.clone()) {
                continue;
            }
            let Ok(included) = tree.read_text(&target) else {
                continue;
            };
            if !is_requirements_file(&target) {
                out.push(target.clone());
            }
            queue.push((target, included));
        }
    }
    out
}

impl Python {
    fn find_pyproject(
        &self,
        manifest: pyproject::Pyproject,
        path: &str,
        text: &str,
        name: &str,
    ) -> Result<Found, ManifestError> {
        let mut out = Vec::new();
        let warnings = manifest
            .warnings
            .into_iter()
            .filter(|(key, _)| same_name(key, name))
            .map(|(_, w)| w)
            .collect();
        for dep in manifest
            .deps
            .into_iter()
            .filter(|d| same_name(&d.key, name))
        {
            let source = match dep.form {
                pyproject::Form::Local => continue,
                pyproject::Form::Computed => Source::Registry,
                pyproject::Form::Git { url, reference } => Source::Git { url, reference },
                pyproject::Form::Pep508 | pyproject::Form::Poetry => {
                    let d = if dep.form == pyproject::Form::Poetry {
                        Dialect::Poetry
                    } else {
                        Dialect::Pep440
                    };
                    let written = !dep.requirement.is_empty();
                    if let Err((offset, clause)) = Constraint::parse(&dep.requirement, d)
                        && written
                    {
                        let line_start = text
                            .split_inclusive('\n')
                            .take(dep.line.saturating_sub(1) as usize)
                            .map(str::len)
                            .sum();
                        return Err(invalid_constraint(
                            path,
                            text,
                            dep.span.as_ref(),
                            line_start,
                            offset,
                            &clause,
                            d,
                        ));
                    }
                    Source::Registry
                }
            };
            let span = dep.span.filter(|s| !s.is_empty());
            out.push(Requirement {
                ecosystem: Ecosystem::Python,
                path: path.to_string(),
                line: dep.line,
                section: dep.section,
                key: dep.key,
                requirement: dep.requirement,
                source,
                span,
                span_path: path.to_string(),
            });
        }
        Ok(Found {
            requirements: out,
            warnings,
        })
    }

    fn find_requirements(
        &self,
        path: &str,
        text: &str,
        name: &str,
    ) -> Result<Found, ManifestError> {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        for entry in requirements::parse(path, text)? {
            if !same_name(&entry.name, name) {
                continue;
            }
            if entry.other_url {
                warnings.push(ManifestError::new(
                    path,
                    entry.line,
                    1,
                    format!(
                        "`{}` is installed from a local path or URL: nothing to bump, skipped",
                        entry.name
                    ),
                ));
                continue;
            }
            let (source, requirement, span) = match entry.vcs {
                Some((vcs, ref_span)) => {
                    let (reference, text_ref) = match &vcs.reference {
                        Some((r, _)) => (pep508::classify_ref(r), r.clone()),
                        None => (GitRef::DefaultBranch, String::new()),
                    };
                    (
                        Source::Git {
                            url: vcs.url,
                            reference,
                        },
                        text_ref,
                        ref_span,
                    )
                }
                None => {
                    if let Err((offset, clause)) = Constraint::parse(&entry.spec, Dialect::Pep440) {
                        return Err(invalid_constraint(
                            path,
                            text,
                            entry.spec_span.as_ref(),
                            0,
                            offset,
                            &clause,
                            Dialect::Pep440,
                        ));
                    }
                    (Source::Registry, entry.spec, entry.spec_span)
                }
            };
            out.push(Requirement {
                ecosystem: Ecosystem::Python,
                path: path.to_string(),
                line: entry.line,
                section: if entry.editable {
                    "requirements:editable"
                } else {
                    "requirements"
                }
                .to_string(),
                key: entry.name,
                requirement,
                source,
                span: span.filter(|s| !s.is_empty()),
                span_path: path.to_string(),
            });
        }
        Ok(Found {
            requirements: out,
            warnings,
        })
    }
}

impl Handler for Python {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Python
    }

    fn is_manifest(&self, path: &str) -> bool {
        matches!(
            file_name(path),
            "pyproject.toml" | "setup.cfg" | "setup.py" | "Pipfile"
        ) || is_requirements_file(path)
    }

    fn included_paths(&self, path: &str, text: &str) -> Vec<String> {
        // Any file may be a requirements file when another includes it
        // (`-r ci/pins.in`): its own includes are followed too.
        if matches!(
            file_name(path),
            "pyproject.toml" | "setup.cfg" | "setup.py" | "Pipfile"
        ) {
            return Vec::new();
        }
        requirements::references(path, text)
    }

    fn find(
        &self,
        tree: &dyn SourceTree,
        path: &str,
        text: &str,
        name: &str,
    ) -> Result<Vec<Requirement>, ManifestError> {
        Ok(self
            .find_with_warnings(tree, path, text, name)?
            .requirements)
    }

    fn find_with_warnings(
        &self,
        tree: &dyn SourceTree,
        path: &str,
        text: &str,
        name: &str,
    ) -> Result<Found, ManifestError> {
        if let Some(parsed) = structured(path, text) {
            return self.find_pyproject(parsed?, path, text, name);
        }
        let mut found = self.find_requirements(path, text, name)?;
        // Constraints and includes named by `-c`/`-r` that are not
        // manifests by name are read through the file naming them.
        for include in includes(tree, path, text) {
            if let Ok(included) = tree.read_text(&include) {
                let more = self.find_requirements(&include, &included, name)?;
                found.requirements.extend(more.requirements);
                found.warnings.extend(more.warnings);
            }
        }
        Ok(found)
    }

    fn judge(&self, req: &Requirement, to: &semver::Version, locked: Option<&str>) -> Judgement {
        let to = target(to);
        let locked = locked.and_then(Version::parse);
        match &req.source {
            Source::Git { reference, .. } => judge::judge_git(reference, &to, locked.as_ref()),
            Source::Path { .. } | Source::Workspace { .. } => Judgement {
                admits: true,
                classification: Classification::LockfileOnly,
                new_requirement: None,
                unrewritable: None,
            },
            Source::Registry if req.span.is_none() && req.section.starts_with("setup.py") => {
                let mut j = judge::judge_constraint("", dialect(req), &to, locked.as_ref());
                j.admits = false;
                j.classification = Classification::Rewrite;
                j.unrewritable = Some(format!(
                    "computed in setup.py (`{}`), not a literal string: edit it by hand",
                    req.requirement
                ));
                j
            }
            Source::Registry if req.requirement.trim().is_empty() => Judgement {
                // No constraint written (`dep = {}`, a bare name): any
                // version, so only the lockfile moves.
                admits: true,
                classification: if locked.is_some_and(|l| l >= to) {
                    Classification::UpToDate
                } else {
                    Classification::LockfileOnly
                },
                new_requirement: None,
                unrewritable: None,
            },
            Source::Registry => {
                judge::judge_constraint(&req.requirement, dialect(req), &to, locked.as_ref())
            }
        }
    }

    fn rewrite(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        to: &semver::Version,
    ) -> Result<Vec<Splice>, RewriteError> {
        let span = req.span.clone().ok_or_else(|| {
            RewriteError::refused(
                "the requirement has no single span to edit (escaped string or line continuation)",
            )
        })?;
        let to = target(to);
        let edits: Vec<(std::ops::Range<usize>, String)> = match &req.source {
            Source::Git {
                reference: GitRef::Tag(t),
                ..
            } => {
                let new = tag::retag(t, &to)
                    .ok_or_else(|| RewriteError::refused(format!("tag `{t}` names no version")))?;
                vec![(span.clone(), new)]
            }
            Source::Git {
                reference: GitRef::Rev(r),
                ..
            } => {
                return Err(RewriteError::refused(format!("pinned to commit {r}")));
            }
            Source::Registry => {
                let (_, edits) = judge::rewrite_text(&req.requirement, dialect(req), &to)
                    .map_err(|e| RewriteError::refused(e.to_string()))?;
                edits
                    .into_iter()
                    .map(|e| (span.start + e.span.start..span.start + e.span.end, e.text))
                    .collect()
            }
            _ => return Err(RewriteError::refused("nothing to rewrite")),
        };
        let text = tree.read_text(&req.span_path)?;
        if text.get(span.clone()) != Some(req.requirement.as_str()) {
            return Err(RewriteError::changed(format!(
                "{} changed since it was read",
                req.span_path
            )));
        }
        // Hash-checking mode: a new version needs new `--hash=` pins, which
        // only a lockfile command that writes hashes can give.
        if req.section.starts_with("requirements")
            && requirements::parse(&req.span_path, &text).is_ok_and(|entries| {
                entries
                    .iter()
                    .any(|e| e.line == req.line && same_name(&e.name, &req.key) && e.hashed)
            })
            && !lockfile::find(tree, &req.span_path).is_some_and(|l| lockfile::generates_hashes(&l))
        {
            return Err(RewriteError::refused(
                "the line carries --hash pins and no lockfile command here regenerates them (pip-compile --generate-hashes): pip would refuse stale hashes, so update it by hand",
            ));
        }
        let mut new = String::with_capacity(text.len() + 8);
        let mut cursor = 0;
        for (range, replacement) in &edits {
            new.push_str(
                text.get(cursor..range.start)
                    .ok_or_else(|| RewriteError::unverified("edit outside the file"))?,
            );
            new.push_str(replacement);
            cursor = range.end;
        }
        new.push_str(
            text.get(cursor..)
                .ok_or_else(|| RewriteError::unverified("edit outside the file"))?,
        );
        let still_found = self
            .find(tree, &req.span_path, &new, &req.key)
            .map_err(|e| {
                RewriteError::unverified(format!("the rewritten manifest does not parse: {e}"))
            })?;
        if still_found.is_empty() {
            return Err(RewriteError::unverified(
                "the rewritten manifest no longer names the library",
            ));
        }
        Ok(edits
            .into_iter()
            .map(|(span, replacement)| Splice {
                path: req.span_path.clone(),
                span,
                replacement,
            })
            .collect())
    }

    fn locked_version(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        name: &str,
    ) -> Result<Option<String>, ManifestError> {
        match lockfile::find(tree, &req.path) {
            Some(lock) => lockfile::locked_version(tree, &lock, name),
            None => Ok(None),
        }
    }

    fn lock_refresh(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        name: &str,
        to: &semver::Version,
    ) -> Option<LockRefresh> {
        let lock = lockfile::find(tree, &req.path)?;
        Some(lockfile::refresh(&lock, name, &target(to).to_string()))
    }

    fn package_info(&self, path: &str, text: &str) -> Result<PackageInfo, ManifestError> {
        let (publishes, names): (Option<String>, Vec<String>) =
            if let Some(parsed) = structured(path, text) {
                let manifest = parsed?;
                (
                    manifest.name,
                    manifest.deps.into_iter().map(|d| d.key).collect(),
                )
            } else {
                (
                    None,
                    requirements::parse(path, text)?
                        .into_iter()
                        .map(|e| e.name)
                        .collect(),
                )
            };
        let mut requires: Vec<String> = names.iter().map(|n| normalize(n)).collect();
        requires.sort();
        requires.dedup();
        Ok(PackageInfo {
            publishes: publishes.map(|n| normalize(&n)),
            requires,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_names() {
        for (path, want) in [
            ("requirements.txt", true),
            ("svc/requirements-dev.txt", true),
            ("requirements/base.txt", true),
            ("requirements.in", true),
            ("dev.in", true),
            ("pyproject.toml", true),
            ("svc/setup.cfg", true),
            ("setup.py", true),
            ("Pipfile", true),
            ("constraints.txt", true),
            ("ci/constraints-py312.txt", true),
            ("MANIFEST.in", false),
            ("Makefile.in", false),
            ("notes.txt", false),
            ("poetry.lock", false),
        ] {
            assert_eq!(Python.is_manifest(path), want, "{path}");
        }
    }
}
