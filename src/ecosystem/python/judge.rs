//! Judging a requirement against a new release and planning its rewrite.
//!
//! Invariant: a planned rewrite keeps every clause's operator and precision,
//! edits only version tokens, and is returned only when the rewritten
//! constraint admits the new version; otherwise the reason is returned.

use std::ops::Range;

use super::constraint::{Clause, ClauseOp, Constraint, Dialect};
use super::specifier::Op;
use super::tag;
use super::version::Version;
use crate::ecosystem::{Classification, GitRef, Judgement};

/// One token edit inside a constraint string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Range<usize>,
    pub text: String,
}

/// The new release as a PEP 440 version (`2.0.0-rc.1` → `2.0.0rc1`).
pub fn to_pep440(to: &semver::Version) -> Option<Version> {
    Version::parse(&to.to_string()).map(|v| v.public())
}

/// `to` with at least `written` release components (more when `to` has
/// non-zero components beyond them), plus its pre/post/dev suffix.
pub fn format_full(to: &Version, written: usize) -> String {
    let needed = to.trimmed_release().len().max(1);
    let mut v = to.public();
    v.release.resize(written.max(needed), 0);
    v.to_string()
}

/// The first `n` release components of `to` (`n` ≥ 1), zero-padded.
fn format_prefix(to: &Version, n: usize) -> String {
    let mut release = to.release.clone();
    release.resize(n.max(1), 0);
    let mut v = Version::release(release);
    v.epoch = to.epoch;
    v.to_string()
}

/// The compatibility family: epoch, major, and minor while major is 0.
fn family(v: &Version) -> (u64, u64, u64) {
    let major = v.release.first().copied().unwrap_or(0);
    let minor = if major == 0 {
        v.release.get(1).copied().unwrap_or(0)
    } else {
        0
    };
    (v.epoch, major, minor)
}

fn classify(current: Option<&Version>, to: &Version, admits: bool) -> Classification {
    match current {
        Some(c) if c >= to => Classification::UpToDate,
        _ if admits => Classification::LockfileOnly,
        Some(c) if family(c) != family(to) => Classification::Major,
        _ => Classification::Rewrite,
    }
}

/// Why a Python constraint has no safe rewrite.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    #[error("the upper bound {0} carries a pre/post-release suffix")]
    SuffixedUpper(String),
    #[error("a union of ranges (`||`) cannot be rewritten safely")]
    Union,
    #[error("arbitrary equality `==={0}`")]
    Arbitrary(String),
    #[error("the exclusion `!={clause}` excludes {to}")]
    Excludes { clause: String, to: String },
    #[error("the pin `=={0}` names a local version")]
    LocalPin(String),
    #[error("cannot parse `{0}`")]
    Unparsable(String),
    #[error("edit outside the requirement")]
    Outside,
    #[error("the rewrite `{new}` does not parse at `{clause}`")]
    Reparse { new: String, clause: String },
    #[error("no rewrite of `{text}` in the same style admits {to}")]
    NoneAdmits { text: String, to: String },
}

/// The new upper bound for `<U` / `<=U` so that `to` fits, same precision.
fn widen_upper(clause: &Clause, v: &Version, to: &Version) -> Result<String, RewriteError> {
    if v.is_prerelease() || v.post.is_some() {
        return Err(RewriteError::SuffixedUpper(clause.text.to_string()));
    }
    let written = clause.written;
    if clause.op == ClauseOp::Pep(Op::Le) {
        return Ok(format_full(to, written));
    }
    // The level the cap is at: its last non-zero component (`<2.0` → 0).
    let level = v
        .release
        .iter()
        .take(written)
        .rposition(|&n| n != 0)
        .unwrap_or(0);
    let mut release = to.release.clone();
    release.resize(level + 1, 0);
    if let Some(last) = release.last_mut() {
        *last = last.saturating_add(1);
    }
    release.resize(written.max(level + 1), 0);
    let mut new = Version::release(release);
    new.epoch = v.epoch;
    Ok(new.to_string())
}

/// The edits that move `constraint` to admit `to`.
pub fn plan_rewrite(constraint: &Constraint, to: &Version) -> Result<Vec<Edit>, RewriteError> {
    let [clauses] = constraint.alternatives.as_slice() else {
        return Err(RewriteError::Union);
    };
    let mut edits = Vec::new();
    for clause in clauses {
        let Some(v) = &clause.version else {
            if clause.op == ClauseOp::Any {
                continue;
            }
            return Err(RewriteError::Arbitrary(clause.text.to_string()));
        };
        let new_text = match clause.op {
            ClauseOp::Any | ClauseOp::Pep(Op::Ge | Op::Gt) => None,
            ClauseOp::Pep(Op::Arbitrary) => {
                return Err(RewriteError::Arbitrary(clause.text.to_string()));
            }
            ClauseOp::Pep(Op::Ne) => {
                if !clause.admits(to) {
                    return Err(RewriteError::Excludes {
                        clause: clause.text.to_string(),
                        to: to.to_string(),
                    });
                }
                None
            }
            ClauseOp::Pep(Op::Lt | Op::Le) => (!clause.admits(to))
                .then(|| widen_upper(clause, v, to))
                .transpose()?,
            ClauseOp::Pep(Op::Eq) if clause.wildcard => {
                Some(format!("{}.*", format_prefix(to, clause.written)))
            }
            ClauseOp::Pep(Op::Eq) => {
                if v.local.is_some() {
                    return Err(RewriteError::LocalPin(clause.text.to_string()));
                }
                Some(format_full(to, clause.written))
            }
            ClauseOp::Pep(Op::Compatible) | ClauseOp::Caret | ClauseOp::Tilde => {
                if to.is_prerelease() {
                    Some(format_full(to, clause.written))
                } else {
                    Some(format_prefix(to, clause.written))
                }
            }
        };
        if let Some(text) = new_text
            && text != clause.text
        {
            edits.push(Edit {
                span: clause.span.clone(),
                text,
            });
        }
    }
    Ok(edits)
}

/// Apply edits (sorted, non-overlapping) to `text`.
pub fn apply(text: &str, edits: &[Edit]) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut cursor = 0;
    for e in edits {
        out.push_str(text.get(cursor..e.span.start)?);
        out.push_str(&e.text);
        cursor = e.span.end;
    }
    out.push_str(text.get(cursor..)?);
    Some(out)
}

/// Rewrite a constraint string, checked: the result parses and admits `to`.
pub fn rewrite_text(
    text: &str,
    dialect: Dialect,
    to: &Version,
) -> Result<(String, Vec<Edit>), RewriteError> {
    let constraint = Constraint::parse(text, dialect)
        .map_err(|(_, clause)| RewriteError::Unparsable(clause.to_string()))?;
    let edits = plan_rewrite(&constraint, to)?;
    let new = apply(text, &edits).ok_or(RewriteError::Outside)?;
    let reparsed =
        Constraint::parse(&new, dialect).map_err(|(_, clause)| RewriteError::Reparse {
            new: new.clone(),
            clause: clause.to_string(),
        })?;
    if !reparsed.admits(to) {
        return Err(RewriteError::NoneAdmits {
            text: text.to_string(),
            to: to.to_string(),
        });
    }
    Ok((new, edits))
}

fn verdict(admits: bool, classification: Classification) -> Judgement {
    Judgement {
        admits,
        classification,
        new_requirement: None,
        unrewritable: None,
    }
}

/// Judge a version constraint.
pub fn judge_constraint(
    text: &str,
    dialect: Dialect,
    to: &Version,
    locked: Option<&Version>,
) -> Judgement {
    let constraint = match Constraint::parse(text, dialect) {
        Ok(c) => c,
        Err((_, clause)) => {
            let mut j = verdict(false, Classification::Rewrite);
            j.unrewritable = Some(format!("cannot parse `{clause}`"));
            return j;
        }
    };
    let admits = constraint.admits(to);
    let minimum = constraint.minimum();
    let current = locked.or(minimum.as_ref());
    let mut j = verdict(admits, classify(current, to, admits));
    if matches!(
        j.classification,
        Classification::Rewrite | Classification::Major
    ) {
        match rewrite_text(text, dialect, to) {
            Ok((new, _)) => j.new_requirement = Some(new),
            Err(reason) => j.unrewritable = Some(reason.to_string()),
        }
    }
    j
}

/// Judge a git dependency pinned by `reference`.
pub fn judge_git(reference: &GitRef, to: &Version, locked: Option<&Version>) -> Judgement {
    match reference {
        GitRef::Tag(t) => {
            let Some((_, tagged, _)) = tag::split(t) else {
                let mut j = verdict(false, Classification::Rewrite);
                j.unrewritable = Some(format!("tag `{t}` names no version"));
                return j;
            };
            let admits = tagged == *to;
            let current = locked.unwrap_or(&tagged);
            let mut j = verdict(admits, classify(Some(current), to, admits));
            if matches!(
                j.classification,
                Classification::Rewrite | Classification::Major
            ) {
                j.new_requirement = tag::retag(t, to);
            }
            j
        }
        GitRef::Rev(r) => {
            let mut j = verdict(false, Classification::Rewrite);
            if locked.is_some_and(|l| l >= to) {
                j.classification = Classification::UpToDate;
            } else {
                j.unrewritable = Some(format!("pinned to commit {r}"));
            }
            j
        }
        GitRef::Branch(_) | GitRef::DefaultBranch | GitRef::Semver(_) => {
            let up = locked.is_some_and(|l| l >= to);
            verdict(
                true,
                if up {
                    Classification::UpToDate
                } else {
                    Classification::LockfileOnly
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).expect("version")
    }

    #[test]
    fn formats() {
        assert_eq!(format_full(&v("2.0.3"), 2), "2.0.3");
        assert_eq!(format_full(&v("2.0.0"), 2), "2.0");
        assert_eq!(format_full(&v("2.0.0"), 4), "2.0.0.0");
        assert_eq!(format_prefix(&v("2.0.3"), 2), "2.0");
    }
}
