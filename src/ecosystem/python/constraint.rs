//! A requirement's version constraint in either dialect: a PEP 440
//! specifier set, or a Poetry constraint (`^1.4`, `~1.4.2`, `1.4.*`, `*`,
//! `>=1.2 <2`, `1.4 || 2.0`), as a union of intersections of clauses.
//!
//! Invariant: every clause keeps the byte span of its version text in the
//! constraint string, and Poetry's `^`/`~` map to the PEP 440 ranges
//! poetry-core gives them (`^1.4` = `>=1.4,<2.0`, `^0.2.3` = `>=0.2.3,<0.3`,
//! `~1.4.2` = `>=1.4.2,<1.5`).

use std::ops::Range;

use super::specifier::{Op, Specifier, SpecifierSet};
use super::version::Version;

/// The operator of one clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClauseOp {
    Pep(Op),
    /// Poetry `^`.
    Caret,
    /// Poetry `~` (not `~=`).
    Tilde,
    /// Poetry `*`: anything.
    Any,
}

/// One clause with its version text's span in the constraint string.
#[derive(Clone, Debug)]
pub struct Clause {
    pub op: ClauseOp,
    pub span: Range<usize>,
    pub text: String,
    pub wildcard: bool,
    /// Release components as written (`1.4` → 2).
    pub written: usize,
    pub version: Option<Version>,
}

/// A union (`||`) of intersections of clauses.
#[derive(Clone, Debug)]
pub struct Constraint {
    pub alternatives: Vec<Vec<Clause>>,
}

/// The dialect of a constraint string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Pep440,
    Poetry,
}

fn written_release(text: &str) -> usize {
    let t = text.trim_start_matches(['v', 'V']);
    let t = t.split_once('!').map_or(t, |(_, r)| r);
    t.split('.')
        .take_while(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .count()
        .max(1)
}

impl Clause {
    fn from_spec(spec: Specifier, offset: usize) -> Clause {
        Clause {
            op: ClauseOp::Pep(spec.op),
            span: spec.text_span.start + offset..spec.text_span.end + offset,
            written: written_release(&spec.text),
            text: spec.text,
            wildcard: spec.wildcard,
            version: spec.version,
        }
    }

    /// The PEP 440 specifiers this clause stands for.
    fn specifiers(&self) -> Vec<Specifier> {
        let make = |op, version: Version, wildcard| Specifier {
            op,
            text: String::new(),
            text_span: 0..0,
            wildcard,
            version: Some(version),
        };
        let Some(v) = self.version.clone() else {
            return match self.op {
                ClauseOp::Any => Vec::new(),
                // An unparsable `===` never matches a parsed version.
                _ => vec![Specifier {
                    op: Op::Arbitrary,
                    text: self.text.clone(),
                    text_span: 0..0,
                    wildcard: false,
                    version: None,
                }],
            };
        };
        match self.op {
            ClauseOp::Pep(op) => vec![make(op, v, self.wildcard)],
            ClauseOp::Any => Vec::new(),
            ClauseOp::Caret | ClauseOp::Tilde => {
                let mut rel: Vec<u64> = v.release.iter().copied().take(self.written).collect();
                rel.resize(self.written, 0);
                let idx = if self.op == ClauseOp::Caret {
                    rel.iter()
                        .position(|&n| n != 0)
                        .unwrap_or(rel.len().saturating_sub(1))
                } else if rel.len() == 1 {
                    0
                } else {
                    1
                };
                rel.truncate(idx + 1);
                if let Some(last) = rel.last_mut() {
                    *last = last.saturating_add(1);
                }
                let upper = Version {
                    epoch: v.epoch,
                    ..Version::release(rel)
                };
                vec![make(Op::Ge, v, false), make(Op::Lt, upper, false)]
            }
        }
    }

    /// Does the clause admit `v` (PEP 440 default pre-release policy)?
    pub fn admits(&self, v: &Version) -> bool {
        if let (ClauseOp::Pep(Op::Arbitrary), _) = (self.op, &self.version) {
            return self.text.to_lowercase() == v.to_string().to_lowercase();
        }
        self.specifiers().iter().all(|s| s.matches(v))
    }

    /// The least version the clause admits, when it has a lower bound.
    pub fn lower_bound(&self) -> Option<&Version> {
        match self.op {
            ClauseOp::Pep(Op::Ne | Op::Lt | Op::Le) | ClauseOp::Any => None,
            _ => self.version.as_ref(),
        }
    }
}

impl Constraint {
    /// Parse a constraint string of the given dialect; `Err` names the bad
    /// clause and its offset.
    pub fn parse(text: &str, dialect: Dialect) -> Result<Constraint, (usize, String)> {
        match dialect {
            Dialect::Pep440 => {
                let set = SpecifierSet::parse(text).map_err(|e| (e.offset, e.clause))?;
                Ok(Constraint {
                    alternatives: vec![
                        set.specs
                            .into_iter()
                            .map(|s| Clause::from_spec(s, 0))
                            .collect(),
                    ],
                })
            }
            Dialect::Poetry => parse_poetry(text),
        }
    }

    pub fn admits(&self, v: &Version) -> bool {
        self.alternatives
            .iter()
            .any(|alt| alt.iter().all(|c| c.admits(v)))
    }

    /// The least lower bound over alternatives (`None` if one is unbounded).
    pub fn minimum(&self) -> Option<Version> {
        let mut min: Option<Version> = None;
        for alt in &self.alternatives {
            let lower = alt.iter().filter_map(Clause::lower_bound).max()?.clone();
            min = Some(match min {
                Some(m) if m <= lower => m,
                _ => lower,
            });
        }
        min
    }
}

/// Poetry: `||` separates alternatives; `,` or whitespace separates clauses;
/// an operator may be followed by spaces.
fn parse_poetry(text: &str) -> Result<Constraint, (usize, String)> {
    let alternatives = split_keep_offsets(text, "||")
        .into_iter()
        .map(|(start, alt)| parse_poetry_and(alt, start))
        .collect::<Result<_, _>>()?;
    Ok(Constraint { alternatives })
}

fn split_keep_offsets<'a>(text: &'a str, sep: &str) -> Vec<(usize, &'a str)> {
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(k) = text.get(start..).and_then(|t| t.find(sep)) {
        out.push((start, text.get(start..start + k).unwrap_or_default()));
        start += k + sep.len();
    }
    out.push((start, text.get(start..).unwrap_or_default()));
    out
}

fn parse_poetry_and(text: &str, base: usize) -> Result<Vec<Clause>, (usize, String)> {
    let s = text.as_bytes();
    let mut clauses = Vec::new();
    let mut i = 0;
    let bad = |at: usize, what: &str| Err((base + at, what.to_string()));
    loop {
        while s
            .get(i)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b',')
        {
            i += 1;
        }
        if i >= s.len() {
            break;
        }
        let op_start = i;
        while s.get(i).is_some_and(|b| b"<>=!~^".contains(b)) {
            i += 1;
        }
        let op_text = text.get(op_start..i).unwrap_or_default();
        while s.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let v_start = i;
        while s
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || b"._-+*!".contains(b))
        {
            i += 1;
        }
        let v_text = text.get(v_start..i).unwrap_or_default();
        if v_text.is_empty() {
            return bad(v_start, "a version");
        }
        let span = base + v_start..base + i;
        let op = match op_text {
            "" | "=" | "==" => ClauseOp::Pep(Op::Eq),
            "^" => ClauseOp::Caret,
            "~" => ClauseOp::Tilde,
            "~=" => ClauseOp::Pep(Op::Compatible),
            "!=" => ClauseOp::Pep(Op::Ne),
            ">=" => ClauseOp::Pep(Op::Ge),
            "<=" => ClauseOp::Pep(Op::Le),
            ">" => ClauseOp::Pep(Op::Gt),
            "<" => ClauseOp::Pep(Op::Lt),
            "===" => ClauseOp::Pep(Op::Arbitrary),
            _ => return bad(op_start, "an operator (^, ~, ~=, ==, !=, >=, <=, >, <)"),
        };
        if v_text == "*" && op == ClauseOp::Pep(Op::Eq) {
            clauses.push(Clause {
                op: ClauseOp::Any,
                span,
                text: v_text.to_string(),
                wildcard: true,
                written: 0,
                version: None,
            });
            continue;
        }
        let (base_text, wildcard) = match v_text.strip_suffix(".*") {
            Some(b) => (b, true),
            None => (v_text, false),
        };
        if wildcard && !matches!(op, ClauseOp::Pep(Op::Eq | Op::Ne)) {
            return bad(v_start, "`.*` only after `==` or `!=`");
        }
        let Some(version) = super::version::Version::parse(base_text) else {
            return bad(v_start, "a PEP 440 version");
        };
        clauses.push(Clause {
            op,
            span,
            text: v_text.to_string(),
            wildcard,
            written: written_release(base_text),
            version: Some(version),
        });
    }
    if clauses.is_empty() {
        return bad(0, "a version constraint");
    }
    Ok(clauses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admits(c: &str, v: &str) -> bool {
        let c = Constraint::parse(c, Dialect::Poetry).expect("parses");
        c.admits(&Version::parse(v).expect("version"))
    }

    #[test]
    fn poetry_semantics() {
        let cases = [
            ("^1.4", "1.9.9", true),
            ("^1.4", "2.0.0", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("^0.0.3", "0.0.4", false),
            ("^0", "0.9", true),
            ("~1.4.2", "1.4.9", true),
            ("~1.4.2", "1.5.0", false),
            ("~1", "1.9", true),
            ("1.4.*", "1.4.7", true),
            ("*", "9.0", true),
            (">=1.2 <2", "1.5", true),
            (">= 1.2, < 2", "2.0", false),
            ("1.4.2", "1.4.2", true),
            ("^1.0 || ^2.0", "2.1", true),
        ];
        for (c, v, want) in cases {
            assert_eq!(admits(c, v), want, "{c} admits {v}");
        }
    }

    #[test]
    fn poetry_errors() {
        for bad in ["", "^", ">>1", "^1.4.*", "x.y"] {
            assert!(Constraint::parse(bad, Dialect::Poetry).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn minimum() {
        let c = Constraint::parse(">=1.4,<2,!=1.5", Dialect::Pep440).expect("ok");
        assert_eq!(c.minimum().map(|v| v.to_string()).as_deref(), Some("1.4"));
        let c = Constraint::parse("<2", Dialect::Pep440).expect("ok");
        assert_eq!(c.minimum(), None);
    }
}
