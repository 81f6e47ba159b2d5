//! Judging an npm requirement against a new release and computing the new
//! requirement text.
//!
//! Invariant: a new requirement keeps the operator, spacing and precision of
//! the old one (`^1.4.2`→`^2.0.3`, `1.x`→`2.x`, `>=1.2.0 <2.0.0`→
//! `>=1.2.0 <3.0.0`) and is returned only when it provably admits the new
//! version; anything else is refused with a reason, never guessed.

use crate::ecosystem::{Classification, GitRef, Judgement, NpmUnions, Requirement, Source};

use super::LOOSE;
use super::node_semver::{Range, Version};
use super::spec::GitTag;

/// Judge `req` against `to`, with the version a lockfile pins; a union
/// admits `to` in the `unions` style.
pub fn judge(
    req: &Requirement,
    to: &semver::Version,
    locked: Option<&str>,
    unions: NpmUnions,
) -> Judgement {
    let mut j = judge_text(req, to, locked, unions);
    if j.new_requirement.is_some() && req.span.is_none() {
        j.new_requirement = None;
        j.unrewritable = Some(
            "the requirement is not written as plain text (JSON escapes): edit it by hand".into(),
        );
    }
    j
}

fn judge_text(
    req: &Requirement,
    to: &semver::Version,
    locked: Option<&str>,
    unions: NpmUnions,
) -> Judgement {
    let to_v = Version::from_semver(to);
    let locked_v = locked.and_then(|l| Version::parse(l, true).ok());
    match &req.source {
        Source::Git { reference, .. } => match reference {
            GitRef::Tag(tag) => judge_tag(tag, to, &to_v, locked_v),
            GitRef::Rev(rev) => {
                let mut j = moved(locked_v.as_ref(), locked_v.as_ref(), &to_v, false);
                if j.classification != Classification::UpToDate {
                    j.unrewritable = Some(format!("pinned to commit {rev}: move it by hand"));
                }
                j
            }
            GitRef::Branch(_) | GitRef::DefaultBranch => {
                let mut j = moved(locked_v.as_ref(), None, &to_v, true);
                j.admits = true;
                j
            }
            GitRef::Semver(range) => judge_range(range, &to_v, locked_v, unions),
        },
        Source::Path { .. } => Judgement {
            admits: true,
            classification: Classification::UpToDate,
            new_requirement: None,
            unrewritable: None,
        },
        Source::Registry | Source::Workspace { .. } => {
            judge_range(&req.requirement, &to_v, locked_v, unions)
        }
    }
}

/// The classification shared by every kind: up to date, lockfile-only when
/// admitted, else major or rewrite by npm's compatibility boundary.
fn moved(
    current: Option<&Version>,
    required: Option<&Version>,
    to: &Version,
    admits: bool,
) -> Judgement {
    let classification = if current.is_some_and(|c| c >= to) {
        Classification::UpToDate
    } else if admits {
        Classification::LockfileOnly
    } else if required.is_some_and(|r| compat(r) == compat(to)) {
        Classification::Rewrite
    } else {
        Classification::Major
    };
    Judgement {
        admits,
        classification,
        new_requirement: None,
        unrewritable: None,
    }
}

/// npm's compatibility class (what `^` keeps): the major, or for 0.x the
/// minor, or for 0.0.x the patch.
fn compat(v: &Version) -> (u64, u64, u64) {
    match (v.major, v.minor) {
        (0, 0) => (0, 0, v.patch),
        (0, m) => (0, m, 0),
        (big, _) => (big, 0, 0),
    }
}

fn judge_tag(
    tag: &str,
    to: &semver::Version,
    to_v: &Version,
    locked: Option<Version>,
) -> Judgement {
    let Some(parsed) = GitTag::parse(tag) else {
        return refused(format!("git tag `{tag}` names no version"));
    };
    let tagged = Version::from_semver(&parsed.version());
    let current = locked.unwrap_or_else(|| tagged.clone());
    let mut j = moved(Some(&current), Some(&tagged), to_v, &tagged == to_v);
    if needs_edit(&j) {
        j.new_requirement = Some(parsed.with_version(to));
    }
    j
}

fn judge_range(text: &str, to: &Version, locked: Option<Version>, unions: NpmUnions) -> Judgement {
    if matches!(text.trim(), "latest" | "^" | "~") {
        let mut j = moved(locked.as_ref(), None, to, true);
        j.admits = true;
        return j;
    }
    let Some(range) = Range::parse(text, LOOSE) else {
        let mut j = moved(locked.as_ref(), None, to, false);
        if j.classification != Classification::UpToDate {
            j.unrewritable = Some(format!(
                "`{text}` is not a version range (a dist-tag or unknown syntax)"
            ));
        }
        return j;
    };
    let admits = range.test(to);
    let required = range.min_version();
    let current = locked.or_else(|| required.clone());
    let mut j = moved(current.as_ref(), required.as_ref(), to, admits);
    if needs_edit(&j) {
        match new_range(text, to, unions) {
            Ok(new) => j.new_requirement = Some(new),
            Err(reason) => j.unrewritable = Some(reason.to_string()),
        }
    }
    j
}

fn needs_edit(j: &Judgement) -> bool {
    matches!(
        j.classification,
        Classification::Rewrite | Classification::Major
    )
}

fn refused(reason: String) -> Judgement {
    Judgement {
        admits: false,
        classification: Classification::Rewrite,
        new_requirement: None,
        unrewritable: Some(reason),
    }
}

/// Why no new range text is safe.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BumpError {
    #[error("union `{0}` ends with an empty alternative: rewrite it by hand")]
    EmptyAlternative(String),
    #[error("union `{union}`: its last alternative cannot be restyled ({why})")]
    Restyle { union: String, why: Box<BumpError> },
    #[error("hyphen range `{range}` does not admit {to}: rewrite it by hand")]
    Hyphen { range: String, to: String },
    #[error(
        "range `{range}` does not admit {to} and has no single bound to move: rewrite it by hand"
    )]
    NoSingleBound { range: String, to: String },
    #[error("range `{range}` would still exclude {to} after moving its bound: rewrite it by hand")]
    StillExcludes { range: String, to: String },
    #[error("cannot read version `{0}`")]
    Unreadable(String),
    #[error("upper bound `<={0}` is exact: widen it by hand")]
    ExactUpper(String),
}

/// One written comparator: operator text and the version's byte span.
struct Token<'a> {
    op: &'a str,
    version: std::ops::Range<usize>,
}

/// The written comparators of a range, an operator standing alone joined to
/// the version after it (`>= 1.2`).
fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push(s..i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut pending: Option<std::ops::Range<usize>> = None;
    for w in words {
        let word = text.get(w.clone()).unwrap_or("");
        let op_len = word.len() - word.trim_start_matches(['<', '>', '=', '~', '^']).len();
        if let Some(op) = pending.take() {
            out.push(Token {
                op: text.get(op).unwrap_or(""),
                version: w,
            });
            continue;
        }
        if op_len == word.len() {
            pending = Some(w);
            continue;
        }
        out.push(Token {
            op: word.get(..op_len).unwrap_or(""),
            version: w.start + op_len..w.end,
        });
    }
    if let Some(op) = pending {
        out.push(Token {
            op: text.get(op.clone()).unwrap_or(""),
            version: op.end..op.end,
        });
    }
    out
}

/// A union (`^0.27.0 || ^0.28.0`) admits the new version through an
/// alternative written like the last one, joined by the same separator as
/// written before it: added after it (`… || ^1.0.0`), or in its place
/// (`^0.27.0 || ^1.0.0`), as `unions` says.
fn union_alternative(
    text: &str,
    k: usize,
    to: &Version,
    unions: NpmUnions,
) -> Result<String, BumpError> {
    let last = text.get(k + 2..).unwrap_or_default();
    let before = text.get(..k).unwrap_or_default();
    let sep_start = before.trim_end().len();
    let sep = format!(
        "{}||{}",
        text.get(sep_start..k).unwrap_or_default(),
        last.get(..last.len() - last.trim_start().len())
            .unwrap_or_default()
    );
    let trimmed = last.trim();
    if trimmed.is_empty() {
        return Err(BumpError::EmptyAlternative(text.to_string()));
    }
    let alternative = new_range(trimmed, to, unions).map_err(|why| BumpError::Restyle {
        union: text.to_string(),
        why: Box::new(why),
    })?;
    let trailing = text.get(text.trim_end().len()..).unwrap_or_default();
    let kept = match unions {
        NpmUnions::Add => text.trim_end(),
        NpmUnions::ReplaceLast => before.trim_end(),
    };
    Ok(format!("{kept}{sep}{alternative}{trailing}"))
}

/// The new range text admitting `to`, or why none is safe.
pub fn new_range(text: &str, to: &Version, unions: NpmUnions) -> Result<String, BumpError> {
    if let Some(k) = text.rfind("||") {
        return union_alternative(text, k, to, unions);
    }
    let toks = tokens(text);
    let middle = toks.get(1).and_then(|t| text.get(t.version.clone()));
    if toks.len() == 3 && middle == Some("-") {
        return Err(BumpError::Hyphen {
            range: text.to_string(),
            to: to.to_string(),
        });
    }
    let replace = |tok: &Token, new: String| {
        format!(
            "{}{new}{}",
            text.get(..tok.version.start).unwrap_or(""),
            text.get(tok.version.end..).unwrap_or("")
        )
    };
    let version_text = |tok: &Token| text.get(tok.version.clone()).unwrap_or("");
    let new = match toks.as_slice() {
        [one] if matches!(one.op, "" | "=" | "^" | "~" | "~>") => {
            replace(one, same_precision(version_text(one), to)?)
        }
        [one] if matches!(one.op, "<" | "<=") => {
            replace(one, widen(one.op, version_text(one), to)?)
        }
        [a, b] if is_lower(a.op) && matches!(b.op, "<" | "<=") => {
            replace(b, widen(b.op, version_text(b), to)?)
        }
        [a, b] if matches!(a.op, "<" | "<=") && is_lower(b.op) => {
            replace(a, widen(a.op, version_text(a), to)?)
        }
        _ => {
            return Err(BumpError::NoSingleBound {
                range: text.to_string(),
                to: to.to_string(),
            });
        }
    };
    match Range::parse(&new, LOOSE) {
        Some(r) if r.test(to) => Ok(new),
        _ => Err(BumpError::StillExcludes {
            range: text.to_string(),
            to: to.to_string(),
        }),
    }
}

fn is_lower(op: &str) -> bool {
    matches!(op, ">" | ">=")
}

/// `1.4.2`→`2.0.3`, `1.4`→`2.0`, `1.x`→`2.x`, `v1.4.x`→`v2.0.x`.
fn same_precision(written: &str, to: &Version) -> Result<String, BumpError> {
    let prefix_len = written.len() - written.trim_start_matches(['v', '=']).len();
    let (prefix, body) = written.split_at(prefix_len);
    let core = body.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(BumpError::Unreadable(written.to_string()));
    }
    let numbers = [to.major, to.minor, to.patch];
    let mut out = prefix.to_string();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        let is_x = matches!(*part, "x" | "X" | "*");
        match (is_x, numbers.get(i)) {
            (true, _) => out.push_str(part),
            (false, Some(n)) => out.push_str(&n.to_string()),
            (false, None) => return Err(BumpError::Unreadable(written.to_string())),
        }
    }
    if parts.len() == 3
        && to.is_prerelease()
        && !parts.iter().any(|p| matches!(*p, "x" | "X" | "*"))
    {
        let pre: Vec<String> = to.pre.iter().map(ToString::to_string).collect();
        out.push('-');
        out.push_str(&pre.join("."));
    }
    Ok(out)
}

/// Move an upper bound just past `to`'s compatibility class, at the
/// precision written: `<2.0.0`→`<3.0.0`, `<2`→`<3`, `<=1.x`→`<=2.x`.
fn widen(op: &str, written: &str, to: &Version) -> Result<String, BumpError> {
    if op == "<=" {
        let has_x = written.split('.').any(|p| matches!(p, "x" | "X" | "*"))
            || written.split('.').count() < 3;
        if !has_x {
            return Err(BumpError::ExactUpper(written.to_string()));
        }
        return same_precision(written, to);
    }
    let (big, minor, patch) = match compat(to) {
        (0, 0, p) => (0, 0, p + 1),
        (0, m, _) => (0, m + 1, 0),
        (b, _, _) => (b + 1, 0, 0),
    };
    let prefix_len = written.len() - written.trim_start_matches(['v', '=']).len();
    let written_parts = written
        .get(prefix_len..)
        .unwrap_or("")
        .split(['-', '+'])
        .next()
        .unwrap_or("")
        .split('.')
        .count();
    let needed = if patch > 0 {
        3
    } else if minor > 0 {
        2
    } else {
        1
    };
    let n = written_parts.clamp(needed, 3);
    let parts = [big, minor, patch];
    let body: Vec<String> = parts.iter().take(n).map(u64::to_string).collect();
    Ok(format!(
        "{}{}",
        written.get(..prefix_len).unwrap_or(""),
        body.join(".")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_join_lone_operators() {
        let text = ">= 1.2.0  <2";
        let toks = tokens(text);
        let got: Vec<(&str, &str)> = toks
            .iter()
            .map(|t| (t.op, &text[t.version.clone()]))
            .collect();
        assert_eq!(got, vec![(">=", "1.2.0"), ("<", "2")]);
    }
}
