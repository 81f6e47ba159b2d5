//! Ruby: `Gemfile` / `gems.rb` and `*.gemspec` manifests, `Gemfile.lock`,
//! RubyGems version semantics.
//!
//! Invariant: a requirement is found only in a real `gem` or
//! `add_*dependency` call naming the gem exactly (never in a comment, a
//! string or a look-alike name); its span is the content of its first
//! requirement string (or of its git tag), and rewrites touch only version
//! bytes inside those literals.

mod args;
mod judge;
mod lexer;
mod lockfile;
mod manifest;
mod requirement;
mod rewrite;
mod version;

pub use requirement::{Constraint, GemRequirement, Op};
pub use version::GemVersion;

use crate::ecosystem::{
    Classification, Ecosystem, GitRef, Handler, Judgement, LineIndex, LockRefresh, ManifestError,
    PackageInfo, Requirement, RewriteError, Source, SourceTree, Splice,
};

use manifest::{DeclSource, RefLit};

pub struct Ruby;

/// A declaration's requirement strings, joined for display.
fn joined(decl: &manifest::GemDecl) -> String {
    decl.strings
        .iter()
        .map(|s| s.value.trim())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Directories holding installed gems, not the repository's own manifests.
const VENDORED: [&str; 2] = ["vendor/bundle/", ".bundle/"];

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The library's requirements in the Gemfile or gemspec `path` (read as
/// part of `manifest_path`, whose lockfile applies), following
/// `eval_gemfile` to the included files (each once).
fn find_in(
    tree: &dyn SourceTree,
    manifest_path: &str,
    path: &str,
    text: &str,
    name: &str,
    seen: &mut Vec<String>,
    out: &mut Vec<Requirement>,
) -> Result<(), ManifestError> {
    let parsed = manifest::parse(text, rewrite::is_gemspec(path))
        .map_err(|(at, msg)| ManifestError::at_offset(path, text, at, msg))?;
    let lines = LineIndex::new(text);
    for decl in parsed.decls.iter().filter(|d| d.name == name) {
        if let Some((at, _)) = &decl.problem {
            // Not a literal: a target of its own, judged unrewritable
            // with the reason (never a manifest error).
            out.push(Requirement {
                ecosystem: Ecosystem::Ruby,
                path: manifest_path.to_string(),
                line: lines.line(*at),
                section: decl.section.clone(),
                key: decl.name.to_string(),
                requirement: decl.expr.unwrap_or_default().to_string(),
                source: Source::Registry,
                span: None,
                span_path: path.to_string(),
            });
            continue;
        }
        for s in &decl.strings {
            Constraint::parse(s.value).map_err(|msg| {
                ManifestError::at_offset(path, text, s.content.start, format!("{name}: {msg}"))
            })?;
        }
        let first = decl.strings.first();
        let (requirement, span, source) = match &decl.source {
            DeclSource::Path(_) => continue,
            DeclSource::Registry => (
                joined(decl),
                first.map(|s| s.content.clone()),
                Source::Registry,
            ),
            DeclSource::Git { url, reference } => {
                let (lit, reference) = match reference {
                    RefLit::Tag(t) => (Some(t), GitRef::Tag(t.value.to_string())),
                    RefLit::Ref(t) => (Some(t), GitRef::Rev(t.value.to_string())),
                    RefLit::Branch(t) => (Some(t), GitRef::Branch(t.value.to_string())),
                    RefLit::Default => (None, GitRef::DefaultBranch),
                };
                // A branch moves: what bounds the version then is the
                // requirement strings, if any.
                let by_strings = matches!(reference, GitRef::Branch(_) | GitRef::DefaultBranch)
                    && first.is_some();
                let lit = if by_strings { first } else { lit };
                (
                    if by_strings {
                        joined(decl)
                    } else {
                        lit.map_or_else(String::new, |t| t.value.to_string())
                    },
                    lit.map(|t| t.content.clone()),
                    Source::Git {
                        url: url.clone(),
                        reference,
                    },
                )
            }
        };
        let at = span.as_ref().map_or(decl.name_offset, |s| s.start);
        out.push(Requirement {
            ecosystem: Ecosystem::Ruby,
            path: manifest_path.to_string(),
            line: lines.line(at),
            section: decl.section.clone(),
            key: decl.name.to_string(),
            requirement,
            source,
            span,
            span_path: path.to_string(),
        });
    }
    for include in &parsed.includes {
        let dir = path.rfind('/').map_or("", |i| path.get(..i).unwrap_or(""));
        let Some(included) = resolve(dir, include.value) else {
            continue;
        };
        if seen.contains(&included) || seen.len() > 16 {
            continue;
        }
        seen.push(included.clone());
        if let Ok(included_text) = tree.read_text(&included) {
            find_in(
                tree,
                manifest_path,
                &included,
                &included_text,
                name,
                seen,
                out,
            )?;
        }
    }
    Ok(())
}

/// `dir/relative` with `.` and `..` resolved; `None` outside the tree.
fn resolve(dir: &str, relative: &str) -> Option<String> {
    if relative.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

impl Handler for Ruby {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Ruby
    }

    fn included_paths(&self, path: &str, text: &str) -> Vec<String> {
        if rewrite::is_gemspec(path) {
            return Vec::new();
        }
        let Ok(parsed) = manifest::parse(text, false) else {
            return Vec::new();
        };
        let dir = path.rfind('/').map_or("", |i| path.get(..i).unwrap_or(""));
        parsed
            .includes
            .iter()
            .filter_map(|i| resolve(dir, i.value))
            .collect()
    }

    fn is_manifest(&self, path: &str) -> bool {
        let name = file_name(path);
        let manifest = name == "Gemfile"
            || name == "gems.rb"
            || (name.len() > ".gemspec".len() && name.ends_with(".gemspec"));
        manifest
            && !VENDORED.iter().any(|v| {
                path.starts_with(v) || path.match_indices(v).any(|(i, _)| path[..i].ends_with('/'))
            })
    }

    fn find(
        &self,
        tree: &dyn SourceTree,
        path: &str,
        text: &str,
        name: &str,
    ) -> Result<Vec<Requirement>, ManifestError> {
        let mut out = Vec::new();
        let mut seen = vec![path.to_string()];
        find_in(tree, path, path, text, name, &mut seen, &mut out)?;
        Ok(out)
    }

    fn judge(&self, req: &Requirement, to: &semver::Version, locked: Option<&str>) -> Judgement {
        // A requirement that is not a literal (a variable not assigned a
        // literal in this file, an expression) is found with its source text
        // and no span.
        let computed = req.span.is_none()
            && req.source == Source::Registry
            && !req.requirement.is_empty()
            && req
                .requirement
                .split(',')
                .any(|part| Constraint::parse(part.trim()).is_err());
        if computed {
            return Judgement {
                admits: false,
                classification: Classification::Rewrite,
                new_requirement: None,
                unrewritable: Some(format!(
                    "the requirement is `{}`, not a string literal assigned in {}: edit it by hand",
                    req.requirement, req.span_path
                )),
            };
        }
        judge::judge(req, to, locked)
    }

    fn rewrite(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        to: &semver::Version,
    ) -> Result<Vec<Splice>, RewriteError> {
        rewrite::rewrite(tree, req, to)
    }

    fn locked_version(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        name: &str,
    ) -> Result<Option<String>, ManifestError> {
        let Some(lock) = lockfile::candidates(&req.path)
            .into_iter()
            .find(|p| tree.exists(p))
        else {
            return Ok(None);
        };
        let text = tree.read_text(&lock)?;
        lockfile::locked_version(&text, name)
            .map_err(|(line, msg)| ManifestError::new(&lock, line, 1, msg))
    }

    fn lock_refresh(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        name: &str,
        _to: &semver::Version,
    ) -> Option<LockRefresh> {
        let lockfile = lockfile::candidates(&req.path)
            .into_iter()
            .find(|p| tree.exists(p))?;
        let dir = lockfile
            .rfind('/')
            .map_or("", |i| &lockfile[..i])
            .to_string();
        Some(LockRefresh {
            dir,
            lockfile,
            commands: vec![vec![
                "bundle".into(),
                "lock".into(),
                "--update".into(),
                name.into(),
            ]],
        })
    }

    fn package_info(&self, path: &str, text: &str) -> Result<PackageInfo, ManifestError> {
        let gemspec = rewrite::is_gemspec(path);
        let parsed = manifest::parse(text, gemspec)
            .map_err(|(at, msg)| ManifestError::at_offset(path, text, at, msg))?;
        let requires: std::collections::BTreeSet<&str> =
            parsed.decls.iter().map(|d| d.name).collect();
        Ok(PackageInfo {
            publishes: parsed.publishes.map(str::to_string),
            requires: requires.into_iter().map(str::to_string).collect(),
        })
    }
}
