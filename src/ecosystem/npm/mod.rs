//! npm manifests (`package.json`): the library's requirements in every
//! dependency section (aliases, `workspace:`, git URLs), judged by a
//! node-semver reimplementation, rewritten by byte splices, with versions
//! from package-lock.json, yarn.lock or pnpm-lock.yaml.
//!
//! Invariant: a rewrite replaces only the range or git reference text of
//! one dependency value, and the result still parses as JSON.

mod bump;
mod json;
mod lockfile;
mod manifest;
pub mod node_semver;
mod spec;

use crate::ecosystem::{
    Ecosystem, Found, GitRef, Handler, Judgement, LockRefresh, ManifestError, NpmUnions,
    PackageInfo, Requirement, RewriteError, RewriteOptions, Source, SourceTree, Splice,
};

use node_semver::{Options, Version};
use spec::GitTag;

/// How manifests' ranges are read: npm parses them loosely.
pub(crate) const LOOSE: Options = Options {
    loose: true,
    include_prerelease: false,
};

pub struct Npm;

impl Handler for Npm {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Npm
    }

    fn is_manifest(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        name == "package.json" && !path.split('/').any(|part| part == "node_modules")
    }

    fn find(
        &self,
        tree: &dyn SourceTree,
        path: &str,
        text: &str,
        name: &str,
    ) -> Result<Vec<Requirement>, ManifestError> {
        Ok(manifest::find(tree, path, text, name)?.requirements)
    }

    fn find_with_warnings(
        &self,
        tree: &dyn SourceTree,
        path: &str,
        text: &str,
        name: &str,
    ) -> Result<Found, ManifestError> {
        manifest::find(tree, path, text, name)
    }

    fn judge(&self, req: &Requirement, to: &semver::Version, locked: Option<&str>) -> Judgement {
        bump::judge(req, to, locked, NpmUnions::default())
    }

    fn judge_with(
        &self,
        req: &Requirement,
        to: &semver::Version,
        locked: Option<&str>,
        options: &RewriteOptions,
    ) -> Judgement {
        bump::judge(req, to, locked, options.npm_unions)
    }

    fn rewrite(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        to: &semver::Version,
    ) -> Result<Vec<Splice>, RewriteError> {
        self.rewrite_with(tree, req, to, &RewriteOptions::default())
    }

    fn rewrite_with(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        to: &semver::Version,
        options: &RewriteOptions,
    ) -> Result<Vec<Splice>, RewriteError> {
        let unions = options.npm_unions;
        let new = match &req.source {
            Source::Git { reference, .. } => match reference {
                GitRef::Tag(tag) => {
                    GitTag::parse(tag)
                        .map(|t| t.with_version(to))
                        .ok_or_else(|| {
                            RewriteError::refused(format!("git tag `{tag}` names no version"))
                        })?
                }
                GitRef::Semver(range) => bump::new_range(range, &Version::from_semver(to), unions)
                    .map_err(|e| RewriteError::refused(e.to_string()))?,
                GitRef::Rev(rev) => {
                    return Err(RewriteError::refused(format!(
                        "pinned to commit {rev}: move it by hand"
                    )));
                }
                GitRef::Branch(_) | GitRef::DefaultBranch => {
                    return Err(RewriteError::refused(
                        "a branch moves with the lockfile, not the manifest",
                    ));
                }
            },
            Source::Registry | Source::Workspace { .. } => {
                bump::new_range(&req.requirement, &Version::from_semver(to), unions)
                    .map_err(|e| RewriteError::refused(e.to_string()))?
            }
            Source::Path { .. } => {
                return Err(RewriteError::refused("a path dependency has no version"));
            }
        };
        let span = req.span.clone().ok_or_else(|| {
            RewriteError::refused(
                "the requirement is not written as plain text (escaped or empty): edit it by hand",
            )
        })?;
        let text = tree.read_text(&req.span_path)?;
        if text.get(span.clone()) != Some(req.requirement.as_str()) {
            return Err(RewriteError::changed(format!(
                "{}: the requirement `{}` is no longer at its recorded place",
                req.span_path, req.requirement
            )));
        }
        let rewritten = format!(
            "{}{new}{}",
            text.get(..span.start).unwrap_or(""),
            text.get(span.end..).unwrap_or("")
        );
        serde_json::from_str::<serde_json::Value>(rewritten.trim_start_matches('\u{feff}'))
            .map_err(|e| {
                RewriteError::unverified(format!(
                    "{}: the rewrite would not parse as JSON: {e}",
                    req.span_path
                ))
            })?;
        Ok(vec![Splice {
            path: req.span_path.clone(),
            span,
            replacement: new,
        }])
    }

    fn locked_version(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        name: &str,
    ) -> Result<Option<String>, ManifestError> {
        lockfile::locked_version(tree, req, name)
    }

    fn lock_refresh(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        name: &str,
        to: &semver::Version,
    ) -> Option<LockRefresh> {
        lockfile::refresh(tree, req, name, to)
    }

    fn package_info(&self, path: &str, text: &str) -> Result<PackageInfo, ManifestError> {
        manifest::package_info(path, text)
    }
}
