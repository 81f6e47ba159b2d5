//! Judging a gem requirement against a new release, and the new
//! requirement text (same operators, same precision).
//!
//! Invariant: admission is `Gem::Dependency#match?` without pre-releases
//! (what `bundle update` applies); a proposed rewrite is re-checked with the
//! same matcher and dropped (reported as unrewritable) if it would still not
//! admit the new version. "Major" means the first version segment changes.

use crate::ecosystem::{Classification, GitRef, Judgement, Requirement, Source};

use super::requirement::{Constraint, GemRequirement, Op, RequirementError};
use super::version::{GemVersion, semver_text};

/// The requirement strings of a displayed requirement (`">= 1.4, < 2"`).
/// A single RubyGems requirement string never contains a comma.
pub fn split_requirement(req: &str) -> Vec<&str> {
    if req.trim().is_empty() {
        return Vec::new();
    }
    req.split(',').map(str::trim).collect()
}

/// The new release as RubyGems sees it, and as wavebump writes it.
pub struct Target {
    pub version: GemVersion,
    pub text: String,
}

impl Target {
    pub fn new(to: &semver::Version) -> Target {
        Target {
            version: GemVersion::from_semver(to),
            text: semver_text(to),
        }
    }
}

/// One requirement string's edit: only its version changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// Which requirement string.
    pub index: usize,
    /// Where the version sits inside that string.
    pub version_span: std::ops::Range<usize>,
    /// The new version text.
    pub version: String,
}

/// Every string with its edit applied.
fn apply_all(strings: &[&str], edits: &[Edit]) -> Vec<String> {
    strings
        .iter()
        .enumerate()
        .map(|(i, s)| match edits.iter().find(|e| e.index == i) {
            Some(e) => format!(
                "{}{}{}",
                s.get(..e.version_span.start).unwrap_or_default(),
                e.version,
                s.get(e.version_span.end..).unwrap_or_default()
            ),
            None => s.to_string(),
        })
        .collect()
}

/// Why one constraint has no safe new bound.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BoundError {
    #[error("bounds a pre-release: no safe rewrite")]
    Prerelease,
    #[error("excludes {0}")]
    Excludes(String),
    #[error("requires a version above {0}")]
    Above(String),
}

/// Why the requirement strings have no safe edit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Requirement(#[from] RequirementError),
    #[error("`{written}` {why}")]
    Bound { written: String, why: BoundError },
    #[error("no requirement string to edit; {0} needs an explicit requirement")]
    NoString(String),
    #[error("the rewritten requirement `{requirement}` would still not admit {to}")]
    StillRejects { requirement: String, to: String },
}

/// The edits making the strings admit `to`: one per string that does not.
/// `Err` says why no safe edit exists.
pub fn plan_strings(strings: &[&str], to: &Target) -> Result<Vec<Edit>, PlanError> {
    let parsed: Vec<Constraint> = strings
        .iter()
        .map(|s| Constraint::parse(s))
        .collect::<Result<_, _>>()?;
    let mut edits = Vec::new();
    for (i, c) in parsed.iter().enumerate() {
        if c.satisfied_by(&to.version) {
            continue;
        }
        let written = strings.get(i).map_or("", |s| s.trim());
        let version = new_bound(c, to).map_err(|why| PlanError::Bound {
            written: written.to_string(),
            why,
        })?;
        edits.push(Edit {
            index: i,
            version_span: c.version_span.clone(),
            version,
        });
    }
    if strings.is_empty() || edits.is_empty() {
        return Err(PlanError::NoString(to.text.clone()));
    }
    let new_strings = apply_all(strings, &edits);
    let new_req = GemRequirement::parse(&new_strings)?;
    if !new_req.dependency_match(&to.version, false) {
        return Err(PlanError::StillRejects {
            requirement: new_strings.join(", "),
            to: to.text.clone(),
        });
    }
    Ok(edits)
}

/// The new version text of one constraint that rejects `to`.
fn new_bound(c: &Constraint, to: &Target) -> Result<String, BoundError> {
    let bound = &c.version;
    if bound.is_prerelease() && c.op != Op::Eq {
        return Err(BoundError::Prerelease);
    }
    let to_nums = to.version.numeric_prefix();
    let at_precision = |n: usize| -> String {
        (0..n.max(1))
            .map(|i| to_nums.get(i).copied().unwrap_or("0"))
            .collect::<Vec<_>>()
            .join(".")
    };
    let width = bound.segments().len();
    match c.op {
        Op::Eq => Ok(to.text.clone()),
        Op::Pessimistic => Ok(at_precision(width)),
        Op::Lt => {
            // Keep the bound's precision: bump the segment the bound is "at"
            // (`< 2` -> `< 3`, `< 2.0` -> `< 3.0`, `< 1.5` -> `< 1.7`).
            let nums = bound.numeric_prefix();
            let at = nums.iter().rposition(|n| *n != "0").unwrap_or(0);
            let mut parts: Vec<String> = (0..=at)
                .map(|i| to_nums.get(i).copied().unwrap_or("0").to_string())
                .collect();
            if let Some(last) = parts.last_mut() {
                *last = GemVersion::from_numbers(&[last.as_str()])
                    .bump()
                    .to_string();
            }
            parts.resize(width.max(at + 1), "0".to_string());
            Ok(parts.join("."))
        }
        Op::Le => {
            let same = at_precision(width);
            match GemVersion::parse(&same) {
                Some(v) if v >= to.version => Ok(same),
                _ => Ok(to.text.clone()),
            }
        }
        Op::Ne => Err(BoundError::Excludes(to.text.clone())),
        Op::Gt | Op::Ge => Err(BoundError::Above(to.text.clone())),
    }
}

/// The requirement with the planned edits applied, for display.
fn apply(strings: &[&str], edits: &[Edit]) -> String {
    apply_all(strings, edits)
        .iter()
        .map(|s| s.trim())
        .collect::<Vec<_>>()
        .join(", ")
}

fn major_below(from: &GemVersion, to: &GemVersion) -> bool {
    GemVersion::from_numbers(&[from.major()]) < GemVersion::from_numbers(&[to.major()])
}

fn verdict(admits: bool, classification: Classification) -> Judgement {
    Judgement {
        admits,
        classification,
        new_requirement: None,
        unrewritable: None,
    }
}

/// Judge `req` against `to` with the locked version, if any.
pub fn judge(req: &Requirement, to: &semver::Version, locked: Option<&str>) -> Judgement {
    let target = Target::new(to);
    let locked = locked.and_then(GemVersion::parse);
    let locked_done = locked.as_ref().is_some_and(|l| *l >= target.version);
    match &req.source {
        Source::Git { reference, .. } => match reference {
            GitRef::Tag(tag) => judge_tag(tag, &target, locked.as_ref()),
            GitRef::Rev(rev) if !locked_done => {
                let major = locked
                    .as_ref()
                    .is_some_and(|l| major_below(l, &target.version));
                Judgement {
                    unrewritable: Some(format!("pinned to commit {rev}")),
                    ..verdict(
                        false,
                        if major {
                            Classification::Major
                        } else {
                            Classification::Rewrite
                        },
                    )
                }
            }
            // A branch with requirement strings: the strings decide.
            GitRef::Branch(b) if req.requirement != *b => {
                judge_range(req, &target, locked.as_ref())
            }
            GitRef::DefaultBranch if !req.requirement.is_empty() => {
                judge_range(req, &target, locked.as_ref())
            }
            _ if locked_done => verdict(true, Classification::UpToDate),
            _ => verdict(true, Classification::LockfileOnly),
        },
        Source::Path { .. } => verdict(true, Classification::LockfileOnly),
        Source::Registry | Source::Workspace { .. } => judge_range(req, &target, locked.as_ref()),
    }
}

fn judge_range(req: &Requirement, to: &Target, locked: Option<&GemVersion>) -> Judgement {
    let strings = split_requirement(&req.requirement);
    let parsed = match GemRequirement::parse(&strings) {
        Ok(p) => p,
        Err(e) => {
            return Judgement {
                unrewritable: Some(e.to_string()),
                ..verdict(false, Classification::Rewrite)
            };
        }
    };
    let admits = parsed.dependency_match(&to.version, false);
    let up_to_date = match locked {
        Some(l) => *l >= to.version,
        None => parsed.minimum().is_some_and(|m| *m >= to.version),
    };
    if up_to_date {
        return verdict(admits, Classification::UpToDate);
    }
    if admits {
        return verdict(true, Classification::LockfileOnly);
    }
    let base = parsed.minimum().or(locked);
    let class = if base.is_some_and(|b| major_below(b, &to.version)) {
        Classification::Major
    } else {
        Classification::Rewrite
    };
    match plan_strings(&strings, to) {
        Ok(edits) => Judgement {
            new_requirement: Some(apply(&strings, &edits)),
            ..verdict(false, class)
        },
        Err(reason) => Judgement {
            unrewritable: Some(reason.to_string()),
            ..verdict(false, class)
        },
    }
}

/// A tag split around the version it names: `core-utils-v1.4.0` ->
/// (`core-utils-v`, 1.4.0, ``).
pub fn split_tag(tag: &str) -> Option<(&str, GemVersion, &str)> {
    let b = tag.as_bytes();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()) {
            let s = i;
            while i < b.len()
                && (b[i].is_ascii_digit()
                    || (b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
            {
                i += 1;
            }
            runs.push((s, i));
        } else {
            i += 1;
        }
    }
    let (s, e) = runs
        .iter()
        .rev()
        .find(|(s, e)| tag.get(*s..*e).is_some_and(|r| r.contains('.')))
        .or(runs.last())
        .copied()?;
    let whole = tag.get(s..)?;
    if let Some(v) = GemVersion::parse(whole) {
        return Some((tag.get(..s)?, v, ""));
    }
    let v = GemVersion::parse(tag.get(s..e)?)?;
    Some((tag.get(..s)?, v, tag.get(e..)?))
}

/// The tag for `to` in the style of `tag`.
pub fn new_tag(tag: &str, to: &Target) -> Option<String> {
    split_tag(tag).map(|(prefix, _, suffix)| format!("{prefix}{}{suffix}", to.text))
}

fn judge_tag(tag: &str, to: &Target, locked: Option<&GemVersion>) -> Judgement {
    let Some((_, tag_v, _)) = split_tag(tag) else {
        let done = locked.is_some_and(|l| *l >= to.version);
        return Judgement {
            unrewritable: (!done).then(|| format!("tag {tag:?} names no version")),
            ..verdict(
                false,
                if done {
                    Classification::UpToDate
                } else {
                    Classification::Rewrite
                },
            )
        };
    };
    let current = locked.unwrap_or(&tag_v);
    let admits = tag_v == to.version;
    if *current >= to.version {
        return verdict(admits, Classification::UpToDate);
    }
    if admits {
        return verdict(true, Classification::LockfileOnly);
    }
    let class = if major_below(&tag_v, &to.version) {
        Classification::Major
    } else {
        Classification::Rewrite
    };
    Judgement {
        new_requirement: new_tag(tag, to),
        ..verdict(false, class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Target {
        Target::new(&semver::Version::parse(s).unwrap())
    }

    #[test]
    fn tags() {
        for (tag, to, want) in [
            ("v1.4.0", "2.0.3", Some("v2.0.3")),
            ("1.4.0", "2.0.3", Some("2.0.3")),
            ("core-utils-v1.4.0", "2.0.3", Some("core-utils-v2.0.3")),
            ("release/v1.4", "2.0.3", Some("release/v2.0.3")),
            ("v1.4.0.rc1", "2.0.3", Some("v2.0.3")),
            ("stable", "2.0.3", None),
        ] {
            assert_eq!(new_tag(tag, &t(to)).as_deref(), want, "{tag}");
        }
    }

    #[test]
    fn plans() {
        let cases: [(&[&str], &str, Result<&str, &str>); 8] = [
            (&["~> 1.4"], "2.0.3", Ok("~> 2.0")),
            (&["~>1.4.2"], "2.0.3", Ok("~>2.0.3")),
            (&["= 1.4.2"], "2.0.3", Ok("= 2.0.3")),
            (&["1.4.2"], "2.0.3", Ok("2.0.3")),
            (&[">= 1.4", "< 2"], "2.0.3", Ok(">= 1.4, < 3")),
            (&[">= 1.4", "< 2.0"], "2.1.0", Ok(">= 1.4, < 3.0")),
            (&["~> 1.4", "!= 2.0.3"], "2.0.3", Err("excludes")),
            (&[], "2.0.3", Err("explicit")),
        ];
        for (strings, to, want) in cases {
            let got = plan_strings(strings, &t(to)).map(|e| apply(strings, &e));
            match (got, want) {
                (Ok(g), Ok(w)) => assert_eq!(g, w, "{strings:?}"),
                (Err(g), Err(w)) => assert!(g.to_string().contains(w), "{strings:?}: {g}"),
                (g, w) => panic!("{strings:?}: got {g:?}, want {w:?}"),
            }
        }
    }
}
