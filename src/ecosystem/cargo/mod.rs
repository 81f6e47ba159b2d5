//! Cargo manifests (`Cargo.toml`) and lockfiles (`Cargo.lock`).
//!
//! Invariant: requirements are judged by the `semver` crate (Cargo's own
//! matcher); a rewrite edits only version tokens or a git tag, at spans
//! taken from toml_edit's span-preserving parse, and the edited file must
//! parse again.
//!
//! Files: [`manifest`] reads dependency tables, [`workspace`] finds a
//! member's root, [`req`] judges and bumps requirements, [`git`] handles git
//! pins, [`lockfile`] reads `Cargo.lock`, [`paths`] joins repository paths.

mod git;
mod lockfile;
mod manifest;
mod paths;
mod req;
mod workspace;

use toml_edit::Document;

use self::manifest::{DepEntry, Spec};
use crate::ecosystem::{
    Ecosystem, GitRef, Handler, Judgement, LockRefresh, ManifestError, PackageInfo, Requirement,
    RewriteError, Source, SourceTree, Splice, line_col,
};

pub struct Cargo;

/// Where a found dependency entry lives and how it is reported.
struct Site<'a> {
    path: &'a str,
    text: &'a str,
    entry: &'a DepEntry<'a>,
}

impl Handler for Cargo {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Cargo
    }

    fn is_manifest(&self, path: &str) -> bool {
        path == "Cargo.toml" || path.ends_with("/Cargo.toml")
    }

    fn find(
        &self,
        tree: &dyn SourceTree,
        path: &str,
        text: &str,
        name: &str,
    ) -> Result<Vec<Requirement>, ManifestError> {
        // Cheap filter: a manifest naming neither the library nor a
        // workspace (through which a renamed key may inherit it) has none.
        if !text.contains(name) && !text.contains("workspace") {
            return Ok(Vec::new());
        }
        let doc = manifest::parse(path, text)?;
        let entries = manifest::entries(&doc, path)?;
        let needs_root = entries.iter().any(inherits);
        let root = if needs_root {
            workspace::find_root(tree, path, &doc)?
        } else {
            None
        };
        let root_doc = match &root {
            Some((root_path, root_text)) => Some(manifest::parse(root_path, root_text)?),
            None => None,
        };
        let root_entries = match (&root, &root_doc) {
            (Some((root_path, _)), Some(d)) => manifest::entries(d, root_path)?
                .into_iter()
                .filter(|e| e.section == "workspace.dependencies")
                .collect(),
            _ => Vec::new(),
        };
        let mut out = Vec::new();
        for entry in &entries {
            let site = Site { path, text, entry };
            if !inherits(entry) {
                if manifest::package_name(entry, path, text)? != name {
                    continue;
                }
                let spec = manifest::spec(entry, path, text)?;
                out.extend(requirement(&site, &site, spec)?);
                continue;
            }
            let from_root = root_entries.iter().find(|r| r.key == entry.key);
            let (Some((root_path, root_text)), Some(root_entry)) = (&root, from_root) else {
                if entry.key == name {
                    let where_ = root
                        .as_ref()
                        .map_or("no workspace root in the tree", |r| &r.0);
                    return Err(ManifestError::at_offset(
                        path,
                        text,
                        entry.offset,
                        format!(
                            "`{}.workspace = true` expects a `[workspace.dependencies]` entry \
                             `{}` in the workspace root ({where_})",
                            entry.key, entry.key
                        ),
                    ));
                }
                continue;
            };
            let root_site = Site {
                path: root_path,
                text: root_text,
                entry: root_entry,
            };
            if manifest::package_name(root_entry, root_path, root_text)? != name {
                continue;
            }
            let spec = manifest::spec(root_entry, root_path, root_text)?;
            out.extend(requirement(&site, &root_site, spec)?);
        }
        Ok(out)
    }

    fn judge(&self, req: &Requirement, to: &semver::Version, locked: Option<&str>) -> Judgement {
        match &req.source {
            Source::Git { reference, .. } if !versioned_branch(req) => {
                git::judge(reference, to, locked)
            }
            _ => {
                let mut judgement = req::judge(written(req), to, locked);
                if req.span.is_none() && judgement.new_requirement.is_some() {
                    judgement.new_requirement = None;
                    judgement.unrewritable = Some(not_verbatim(req));
                }
                judgement
            }
        }
    }

    fn rewrite(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        to: &semver::Version,
    ) -> Result<Vec<Splice>, RewriteError> {
        let span = req
            .span
            .clone()
            .ok_or_else(|| RewriteError::refused(not_verbatim(req)))?;
        let file = tree.read_text(&req.span_path)?;
        if file.get(span.clone()) != Some(req.requirement.as_str()) {
            return Err(RewriteError::changed(format!(
                "{}: bytes {}..{} no longer hold `{}`",
                req.span_path, span.start, span.end, req.requirement
            )));
        }
        let mut splices: Vec<Splice> = match &req.source {
            Source::Git {
                reference: GitRef::Tag(tag),
                ..
            } => {
                let new = git::new_tag(tag, to).ok_or_else(|| {
                    RewriteError::refused(format!("git tag `{tag}` names no version"))
                })?;
                let edit = req::TokenEdit {
                    span: 0..tag.len(),
                    text: new,
                };
                let mut splices = splices_at(&req.span_path, span.start, vec![edit]);
                splices.extend(version_beside_tag(&file, req, &span, to)?);
                splices
            }
            Source::Git {
                reference: GitRef::Rev(rev),
                ..
            } => return Err(RewriteError::refused(format!("pinned to commit {rev}"))),
            Source::Git { .. } if versioned_branch(req) => splices_at(
                &req.span_path,
                span.start,
                req::bump(written(req), to).map_err(|e| RewriteError::refused(e.to_string()))?,
            ),
            Source::Git { .. } => {
                return Err(RewriteError::refused(
                    "a branch pin moves with the lockfile",
                ));
            }
            Source::Path { .. } => {
                return Err(RewriteError::refused("a path dependency has no version"));
            }
            Source::Registry | Source::Workspace { .. } => splices_at(
                &req.span_path,
                span.start,
                req::bump(written(req), to).map_err(|e| RewriteError::refused(e.to_string()))?,
            ),
        };
        splices.sort_by_key(|s| s.span.start);
        verify(&file, &req.span_path, &splices)
            .map_err(|e| RewriteError::unverified(e.to_string()))?;
        Ok(splices)
    }

    fn locked_version(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        name: &str,
    ) -> Result<Option<String>, ManifestError> {
        let Some(lock) = lockfile::nearest(tree, &req.path) else {
            return Ok(None);
        };
        let text = tree.read_text(&lock)?;
        let locked = lockfile::versions(&lock, &text, name)?;
        Ok(pick_locked(req, &locked).map(|l| l.version.to_string()))
    }

    fn lock_refresh(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        name: &str,
        to: &semver::Version,
    ) -> Option<LockRefresh> {
        let lock = lockfile::nearest(tree, &req.path)?;
        // Several locked versions make `-p name` ambiguous: name the one
        // this requirement resolves to.
        let locked = tree
            .read_text(&lock)
            .ok()
            .and_then(|text| lockfile::versions(&lock, &text, name).ok())
            .unwrap_or_default();
        let package = match pick_locked(req, &locked) {
            Some(l) if locked.len() > 1 => format!("{name}@{}", l.version),
            _ => name.to_string(),
        };
        let mut command = vec!["cargo".into(), "update".into(), "-p".into(), package];
        if !matches!(req.source, Source::Git { .. }) {
            command.extend(["--precise".into(), to.to_string()]);
        }
        Some(LockRefresh {
            dir: paths::dir_of(&lock).to_string(),
            lockfile: lock,
            commands: vec![command],
        })
    }

    fn package_info(&self, path: &str, text: &str) -> Result<PackageInfo, ManifestError> {
        let doc = manifest::parse(path, text)?;
        let publishes = publishes(&doc);
        let mut requires = Vec::new();
        for entry in manifest::entries(&doc, path)? {
            requires.push(manifest::package_name(&entry, path, text)?);
        }
        requires.sort();
        requires.dedup();
        Ok(PackageInfo {
            publishes,
            requires,
        })
    }
}

/// `[package].name` (reported even with `publish = false`: the crate is
/// still a node other manifests of the organisation may depend on).
fn publishes(doc: &Document<&str>) -> Option<String> {
    doc.get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_string)
}

/// The splices that move a `version` written beside a git tag so that it
/// admits `to` too (Cargo checks both).
fn version_beside_tag(
    file: &str,
    req: &Requirement,
    tag_span: &std::ops::Range<usize>,
    to: &semver::Version,
) -> Result<Vec<Splice>, RewriteError> {
    let doc = manifest::parse(&req.span_path, file)?;
    let version = manifest::version_beside_pin(&doc, &req.span_path, tag_span)?;
    let Some(version) = version else {
        return Ok(Vec::new());
    };
    if req::parse(&version.value).is_ok_and(|r| r.matches(to)) {
        return Ok(Vec::new());
    }
    let span = version.span.ok_or_else(|| {
        RewriteError::refused(format!(
            "the `version = \"{}\"` beside the tag is not written verbatim",
            version.value
        ))
    })?;
    let edits = req::bump(&version.value, to)
        .map_err(|e| RewriteError::refused(format!("the `version` beside the tag: {e}")))?;
    Ok(splices_at(&req.span_path, span.start, edits))
}

/// Edits relative to a string starting at `offset` of `path`, as splices.
fn splices_at(path: &str, offset: usize, edits: Vec<req::TokenEdit>) -> Vec<Splice> {
    edits
        .into_iter()
        .map(|e| Splice {
            path: path.to_string(),
            span: offset + e.span.start..offset + e.span.end,
            replacement: e.text,
        })
        .collect()
}

fn not_verbatim(req: &Requirement) -> String {
    format!(
        "`{}` in {} is not written verbatim (escapes or a multi-line string)",
        req.requirement, req.span_path
    )
}

/// The requirement to judge: as written, or `*` when none is written (a
/// table with no `version`; an empty string `""` stays an error, as in Cargo).
fn written(req: &Requirement) -> &str {
    if req.requirement.is_empty() && req.span.is_none() {
        "*"
    } else {
        &req.requirement
    }
}

/// A git dependency on a branch (or the default branch) with a `version`
/// beside it: the requirement is that version, judged and rewritten as a
/// registry requirement.
/// (Without a version, a branch pin's requirement is the branch name.)
fn versioned_branch(req: &Requirement) -> bool {
    match &req.source {
        Source::Git {
            reference: GitRef::DefaultBranch,
            ..
        } => !req.requirement.is_empty(),
        Source::Git {
            reference: GitRef::Branch(branch),
            ..
        } => !req.requirement.is_empty() && req.requirement != *branch,
        _ => false,
    }
}

/// Does a member entry inherit from the workspace (`workspace = true`)?
fn inherits(entry: &DepEntry<'_>) -> bool {
    entry.section != "workspace.dependencies"
        && entry
            .item
            .as_table_like()
            .is_some_and(|t| t.contains_key("workspace"))
}

/// The requirement for an entry at `site` whose spec was read at `from` (the
/// workspace root for an inherited entry, else the same site). `None` for
/// path-only dependencies.
fn requirement(
    site: &Site<'_>,
    from: &Site<'_>,
    spec: Spec,
) -> Result<Option<Requirement>, ManifestError> {
    let inherited = from.path != site.path || from.entry.section != site.entry.section;
    let (requirement, span, source) = match spec {
        Spec::Version(loc) => {
            let source = if inherited {
                Source::Workspace {
                    root: from.path.to_string(),
                }
            } else {
                Source::Registry
            };
            (loc.value, loc.span, source)
        }
        Spec::Unversioned => (String::new(), None, Source::Registry),
        Spec::Git {
            url,
            reference: reference @ (GitRef::DefaultBranch | GitRef::Branch(_)),
            version: Some(version),
            ..
        } => {
            // No tag or rev: the branch head moves with the lockfile, and the
            // `version` beside it is the requirement Cargo checks.
            (version.value, version.span, Source::Git { url, reference })
        }
        Spec::Git {
            url,
            reference,
            pin,
            ..
        } => {
            let (value, span) = pin.map_or((String::new(), None), |p| (p.value, p.span));
            (value, span, Source::Git { url, reference })
        }
        Spec::PathOnly(_) => return Ok(None),
        Spec::Workspace => {
            return Err(ManifestError::at_offset(
                from.path,
                from.text,
                from.entry.offset,
                "expected a version, git or path source: `workspace = true` is only for members",
            ));
        }
    };
    let line_offset = match &span {
        Some(s) if !inherited => s.start,
        _ => site.entry.offset,
    };
    Ok(Some(Requirement {
        ecosystem: Ecosystem::Cargo,
        path: site.path.to_string(),
        line: line_col(site.text, line_offset).0,
        section: site.entry.section.clone(),
        key: site.entry.key.to_string(),
        requirement,
        source,
        span,
        span_path: from.path.to_string(),
    }))
}

/// The locked entry a requirement resolves to.
fn pick_locked<'a>(
    req: &Requirement,
    locked: &'a [lockfile::Locked],
) -> Option<&'a lockfile::Locked> {
    let git = matches!(req.source, Source::Git { .. });
    let parsed = (!git).then(|| req::parse(written(req)).ok()).flatten();
    lockfile::pick(locked, parsed.as_ref(), git)
}

/// Why a rewritten Cargo.toml fails its re-read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum VerifyError {
    #[error("{path}: edit at bytes {span:?} is out of order")]
    OutOfOrder {
        path: String,
        span: std::ops::Range<usize>,
    },
    #[error("the rewritten manifest does not parse: {0}")]
    Reparse(String),
}

/// Apply the splices to `file` and check the result still parses as TOML.
fn verify(file: &str, path: &str, splices: &[Splice]) -> Result<(), VerifyError> {
    let mut new = String::with_capacity(file.len() + 8);
    let mut cursor = 0;
    for s in splices {
        let before = file
            .get(cursor..s.span.start)
            .ok_or_else(|| VerifyError::OutOfOrder {
                path: path.to_string(),
                span: s.span.clone(),
            })?;
        new.push_str(before);
        new.push_str(&s.replacement);
        cursor = s.span.end;
    }
    new.push_str(file.get(cursor..).unwrap_or_default());
    manifest::parse(path, &new)
        .map(|_| ())
        .map_err(|e| VerifyError::Reparse(e.to_string()))
}
