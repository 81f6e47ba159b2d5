//! Splices that move a Gemfile or gemspec requirement to a new release.
//!
//! Invariant: each splice covers exactly a version inside a requirement
//! string or a git tag's content, never a quote, comma or space; the edited
//! file is lexed and parsed again and must still declare the gem with the
//! new requirement, else the rewrite is refused.

use crate::ecosystem::{Requirement, RewriteError, SourceTree, Splice};

use super::judge::{Target, new_tag, plan_strings};
use super::manifest::{DeclSource, GemDecl, RefLit, parse};
use super::requirement::{Constraint, GemRequirement};

/// Is `path` a gemspec (rather than a Gemfile)?
pub fn is_gemspec(path: &str) -> bool {
    path.ends_with(".gemspec")
}

/// The splices moving `req` to `to`.
pub fn rewrite(
    tree: &dyn SourceTree,
    req: &Requirement,
    to: &semver::Version,
) -> Result<Vec<Splice>, RewriteError> {
    let path = &req.span_path;
    let text = tree.read_text(path)?;
    let span = req
        .span
        .clone()
        .ok_or_else(|| RewriteError::refused("no requirement is written: nothing to edit"))?;
    let manifest = parse(&text, is_gemspec(path)).map_err(|(_, m)| RewriteError::Unparsable {
        path: path.clone(),
        message: m.to_string(),
    })?;
    let decl = manifest
        .decls
        .iter()
        .find(|d| d.name == req.key && owns_span(d, &span))
        .ok_or_else(|| {
            RewriteError::changed(format!(
                "{path}: the requirement at bytes {span:?} is no longer there"
            ))
        })?;
    let target = Target::new(to);
    let mut splices = Vec::new();
    if let DeclSource::Git {
        reference: RefLit::Tag(tag),
        ..
    } = &decl.source
    {
        let new = new_tag(tag.value, &target).ok_or_else(|| {
            RewriteError::refused(format!("tag {:?} names no version", tag.value))
        })?;
        splices.push(Splice {
            path: path.clone(),
            span: tag.content.clone(),
            replacement: new,
        });
    }
    let strings: Vec<&str> = decl.strings.iter().map(|s| s.value).collect();
    let needs_strings = !strings.is_empty()
        && !GemRequirement::parse(&strings)
            .map_err(|e| RewriteError::refused(e.to_string()))?
            .dependency_match(&target.version, false);
    if needs_strings {
        for edit in
            plan_strings(&strings, &target).map_err(|e| RewriteError::refused(e.to_string()))?
        {
            let lit = decl
                .strings
                .get(edit.index)
                .ok_or_else(|| RewriteError::changed("requirement string vanished"))?;
            let start = lit.content.start + edit.version_span.start;
            let end = lit.content.start + edit.version_span.end;
            splices.push(Splice {
                path: path.clone(),
                span: start..end,
                replacement: edit.version,
            });
        }
    }
    verify(&text, path, req, &splices).map_err(|e| RewriteError::unverified(e.to_string()))?;
    Ok(splices)
}

/// Does this declaration hold the requirement's span (its first string or
/// its git tag)?
fn owns_span(d: &GemDecl, span: &std::ops::Range<usize>) -> bool {
    d.strings.first().is_some_and(|s| s.content == *span)
        || matches!(&d.source, DeclSource::Git { reference: RefLit::Tag(t) | RefLit::Ref(t) | RefLit::Branch(t), .. } if t.content == *span)
}

/// Why a rewritten Ruby file fails its re-read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum VerifyError {
    #[error("{0}: overlapping edits")]
    Overlap(String),
    #[error("{path}: the rewritten file no longer parses: {message}")]
    Reparse { path: String, message: String },
    #[error("{path}: the rewritten file lost the requirement on {key}")]
    Lost { path: String, key: String },
}

/// Apply the splices and parse the result again.
fn verify(
    text: &str,
    path: &str,
    req: &Requirement,
    splices: &[Splice],
) -> Result<(), VerifyError> {
    let mut sorted: Vec<&Splice> = splices.iter().collect();
    sorted.sort_by_key(|s| s.span.start);
    let mut out = String::with_capacity(text.len() + 16);
    let mut cursor = 0;
    for s in sorted {
        let before = text
            .get(cursor..s.span.start)
            .ok_or_else(|| VerifyError::Overlap(path.to_string()))?;
        out.push_str(before);
        out.push_str(&s.replacement);
        cursor = s.span.end;
    }
    out.push_str(text.get(cursor..).unwrap_or_default());
    let reparsed = parse(&out, is_gemspec(path)).map_err(|(_, m)| VerifyError::Reparse {
        path: path.to_string(),
        message: m.to_string(),
    })?;
    let still = reparsed
        .decls
        .iter()
        .any(|d| d.name == req.key && d.strings.iter().all(|s| Constraint::parse(s.value).is_ok()));
    if !still {
        return Err(VerifyError::Lost {
            path: path.to_string(),
            key: req.key.clone(),
        });
    }
    Ok(())
}
