//! Cargo version requirements: judging and rewriting them by the semantics of
//! the `semver` crate (the one Cargo itself uses).
//!
//! Invariant: a rewrite is a list of edits of single version tokens inside
//! the requirement text (never an operator, comma or space), and is only
//! proposed when the rewritten requirement parses and admits the new
//! version; anything else is reported with a reason, never guessed.

use std::ops::Range;

use semver::{Comparator, Op, Version, VersionReq};

use crate::ecosystem::{Classification, Judgement};

/// One edit inside a requirement text: replace `span` (relative to the
/// requirement) by `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenEdit {
    pub span: Range<usize>,
    pub text: String,
}

/// Parse a requirement as Cargo does (an empty string is an error, as in
/// Cargo; a dependency with no requirement at all is judged as `*`).
pub fn parse(text: &str) -> Result<VersionReq, semver::Error> {
    VersionReq::parse(text)
}

/// Cargo's compatibility key: `1.x.y` -> (1, 0, 0), `0.4.x` -> (0, 4, 0),
/// `0.0.3` -> (0, 0, 3). Versions with different keys are incompatible.
pub fn compat_key(v: &Version) -> (u64, u64, u64) {
    if v.major > 0 {
        (v.major, 0, 0)
    } else if v.minor > 0 {
        (0, v.minor, 0)
    } else {
        (0, 0, v.patch)
    }
}

/// The lowest version a requirement's lower bounds allow, if it has any.
pub fn lower_bound(req: &VersionReq) -> Option<Version> {
    req.comparators
        .iter()
        .filter_map(comparator_lower_bound)
        .max()
}

fn comparator_lower_bound(c: &Comparator) -> Option<Version> {
    let minor = c.minor.unwrap_or(0);
    let patch = c.patch.unwrap_or(0);
    let mut v = Version::new(c.major, minor, patch);
    match c.op {
        Op::Exact | Op::GreaterEq | Op::Tilde | Op::Caret | Op::Wildcard => {
            v.pre = c.pre.clone();
            Some(v)
        }
        Op::Greater => Some(match (c.minor, c.patch) {
            (None, _) => Version::new(c.major.saturating_add(1), 0, 0),
            (Some(m), None) => Version::new(c.major, m.saturating_add(1), 0),
            (Some(m), Some(p)) => Version::new(c.major, m, p.saturating_add(1)),
        }),
        _ => None,
    }
}

/// Judge a registry requirement against `to`, with the locked version if any.
pub fn judge(text: &str, to: &Version, locked: Option<&str>) -> Judgement {
    let req = match parse(text) {
        Ok(req) => req,
        Err(e) => {
            return Judgement {
                admits: false,
                classification: Classification::Rewrite,
                new_requirement: None,
                unrewritable: Some(format!("invalid requirement `{text}`: {e}")),
            };
        }
    };
    let admits = req.matches(to);
    let locked = locked.and_then(|l| Version::parse(l.trim()).ok());
    let current = locked
        .clone()
        .or_else(|| lower_bound(&req))
        .unwrap_or_else(|| Version::new(0, 0, 0));
    if current >= *to {
        return verdict(admits, Classification::UpToDate);
    }
    if admits {
        return verdict(admits, Classification::LockfileOnly);
    }
    // What is required: the lower bound, else what is locked, else nothing
    // (an upper bound alone, `<2`, admits 0.x).
    let base = lower_bound(&req)
        .or(locked)
        .unwrap_or_else(|| Version::new(0, 0, 0));
    let classification = if compat_key(&base) == compat_key(to) {
        Classification::Rewrite
    } else {
        Classification::Major
    };
    match bump(text, to) {
        Ok(edits) => Judgement {
            admits,
            classification,
            new_requirement: Some(apply(text, &edits)),
            unrewritable: None,
        },
        Err(reason) => Judgement {
            admits,
            classification,
            new_requirement: None,
            unrewritable: Some(reason.to_string()),
        },
    }
}

fn verdict(admits: bool, classification: Classification) -> Judgement {
    Judgement {
        admits,
        classification,
        new_requirement: None,
        unrewritable: None,
    }
}

/// Apply edits (sorted, non-overlapping) to a requirement text.
pub fn apply(text: &str, edits: &[TokenEdit]) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut cursor = 0;
    for e in edits {
        if let (Some(before), true) = (text.get(cursor..e.span.start), e.span.start >= cursor) {
            out.push_str(before);
            out.push_str(&e.text);
            cursor = e.span.end;
        }
    }
    out.push_str(text.get(cursor..).unwrap_or_default());
    out
}

/// Why a Cargo requirement has no safe rewrite.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BumpError {
    #[error("invalid requirement `{text}`: {why}")]
    Invalid { text: String, why: String },
    #[error("cannot locate the versions of `{0}`")]
    Unlocated(String),
    #[error("`{text}` has a lower bound above {to}: that would be a downgrade")]
    Downgrade { text: String, to: String },
    #[error("unsupported operator in `{0}`")]
    Operator(String),
    #[error("no rewrite of `{text}` keeping its operators admits {to}")]
    NoneAdmits { text: String, to: String },
    #[error("rewriting `{text}` gives `{new_text}`: {why}")]
    Unparsable {
        text: String,
        new_text: String,
        why: String,
    },
    #[error("cannot widen the upper bound `<{0}`")]
    Widen(String),
}

/// The token edits that move `text` to admit `to`, keeping every operator
/// and each version's precision (cargo-edit's `upgrade_requirement`, with
/// upper bounds widened instead of refused).
pub fn bump(text: &str, to: &Version) -> Result<Vec<TokenEdit>, BumpError> {
    let req = parse(text).map_err(|e| BumpError::Invalid {
        text: text.to_string(),
        why: e.to_string(),
    })?;
    let tokens = version_tokens(text);
    if tokens.len() != req.comparators.len() {
        return Err(BumpError::Unlocated(text.to_string()));
    }
    // Bounds are moved for the release `to` names; whether a pre-release is
    // admitted is settled by the final check below.
    let release = Version::new(to.major, to.minor, to.patch);
    let mut edits = Vec::new();
    for (c, span) in req.comparators.iter().zip(tokens) {
        if c.matches(&release) {
            continue;
        }
        let token = text.get(span.clone()).unwrap_or_default();
        let new = match c.op {
            Op::Exact | Op::Tilde | Op::Caret | Op::Wildcard => set_token(token, to),
            Op::Less => widen_less(token, to)?,
            Op::LessEq => set_token(token, to),
            Op::Greater | Op::GreaterEq => {
                return Err(BumpError::Downgrade {
                    text: text.to_string(),
                    to: to.to_string(),
                });
            }
            _ => return Err(BumpError::Operator(text.to_string())),
        };
        if new != token {
            edits.push(TokenEdit { span, text: new });
        }
    }
    let new_text = apply(text, &edits);
    match VersionReq::parse(&new_text) {
        Ok(new) if new.matches(to) && !edits.is_empty() => Ok(edits),
        Ok(_) => Err(BumpError::NoneAdmits {
            text: text.to_string(),
            to: to.to_string(),
        }),
        Err(e) => Err(BumpError::Unparsable {
            text: text.to_string(),
            new_text,
            why: e.to_string(),
        }),
    }
}

/// Byte spans of each comparator's version token (after the operator and
/// spaces, before any trailing spaces), in order.
fn version_tokens(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in text.split(',') {
        let end = start + piece.len();
        let op_len = piece.len()
            - piece
                .trim_start_matches(|c: char| c.is_whitespace() || "=<>~^".contains(c))
                .len();
        let body = piece.get(op_len..).unwrap_or_default().trim_end();
        if !body.is_empty() && body != "*" {
            out.push(start + op_len..start + op_len + body.len());
        }
        start = end + 1;
    }
    out
}

/// The numeric or wildcard parts of a version token and its pre-release.
fn split_token(token: &str) -> (Vec<&str>, Option<&str>) {
    let core_end = token.find('+').unwrap_or(token.len());
    let core = token.get(..core_end).unwrap_or(token);
    let (nums, pre) = match core.find('-') {
        Some(i) => (core.get(..i).unwrap_or(core), core.get(i + 1..)),
        None => (core, None),
    };
    (nums.split('.').collect(), pre)
}

fn is_wildcard(part: &str) -> bool {
    matches!(part, "*" | "x" | "X")
}

/// `to` written with the token's precision and wildcards: `1.4` -> `2.0`,
/// `1.*` -> `2.*`, `1.4.2` -> `2.0.3`. A pre-release `to` needs full
/// precision, which a partial token without wildcards is extended to.
fn set_token(token: &str, to: &Version) -> String {
    let (parts, _) = split_token(token);
    let values = [to.major, to.minor, to.patch];
    let has_wildcard = parts.iter().any(|p| is_wildcard(p));
    let precision = if !to.pre.is_empty() && !has_wildcard {
        3
    } else {
        parts.len().clamp(1, 3)
    };
    let mut out = Vec::with_capacity(precision);
    for (i, value) in values.iter().enumerate().take(precision) {
        match parts.get(i) {
            Some(p) if is_wildcard(p) => out.push((*p).to_string()),
            _ => out.push(value.to_string()),
        }
    }
    let mut s = out.join(".");
    if !to.pre.is_empty() && precision == 3 && !has_wildcard {
        s.push('-');
        s.push_str(to.pre.as_str());
    }
    s
}

/// A new exclusive upper bound above `to` at the same kind of boundary as
/// the old one: `<2` -> `<3` (major), `<1.5` -> `<1.7` (minor), `<1.4.5` ->
/// `<1.4.7` (patch), keeping the token's precision.
fn widen_less(token: &str, to: &Version) -> Result<String, BumpError> {
    let (parts, pre) = split_token(token);
    if pre.is_some() || parts.iter().any(|p| is_wildcard(p)) {
        return Err(BumpError::Widen(token.to_string()));
    }
    let nums: Vec<u64> = parts
        .iter()
        .map(|p| p.parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| BumpError::Widen(token.to_string()))?;
    let minor = nums.get(1).copied().unwrap_or(0);
    let patch = nums.get(2).copied().unwrap_or(0);
    let major = nums.first().copied().unwrap_or(0);
    let new: [u64; 3] = if nums.len() == 1 || (major > 0 && minor == 0 && patch == 0) {
        [to.major.saturating_add(1), 0, 0]
    } else if patch == 0 && minor > 0 || nums.len() == 2 {
        [to.major, to.minor.saturating_add(1), 0]
    } else {
        [to.major, to.minor, to.patch.saturating_add(1)]
    };
    let precision = nums.len().clamp(1, 3);
    let needed = if new[2] != 0 {
        3
    } else if new[1] != 0 {
        2
    } else {
        1
    };
    Ok(new
        .iter()
        .take(precision.max(needed))
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn tokens_are_located() {
        let text = ">=1.2,  <2";
        let spans = version_tokens(text);
        let got: Vec<&str> = spans.iter().map(|s| &text[s.clone()]).collect();
        assert_eq!(got, [">=1.2".trim_start_matches(">="), "2"]);
        let text = " ^ 1.4.2 ";
        let got: Vec<&str> = version_tokens(text)
            .iter()
            .map(|s| &text[s.clone()])
            .collect();
        assert_eq!(got, ["1.4.2"]);
    }

    #[test]
    fn lower_bounds() {
        let cases = [
            ("1.4", Some("1.4.0")),
            (">1.4", Some("1.5.0")),
            (">1", Some("2.0.0")),
            (">=1.2, <2", Some("1.2.0")),
            ("<2", None),
            ("*", None),
            ("=1.4.2-rc.1", Some("1.4.2-rc.1")),
        ];
        for (req, want) in cases {
            let got = lower_bound(&parse(req).unwrap());
            assert_eq!(got, want.map(v), "{req}");
        }
    }

    #[test]
    fn widening_keeps_the_boundary_kind() {
        let cases = [
            ("2", "2.0.3", "3"),
            ("2.0", "2.0.3", "3.0"),
            ("2.0.0", "2.0.3", "3.0.0"),
            ("1.5", "1.6.0", "1.7"),
            ("0.5", "0.6.1", "0.7"),
            ("1.4.5", "1.4.6", "1.4.7"),
        ];
        for (token, to, want) in cases {
            assert_eq!(widen_less(token, &v(to)).unwrap(), want, "<{token} to {to}");
        }
    }
}
