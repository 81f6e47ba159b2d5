//! `Gem::Requirement` and `Gem::Dependency#match?`: the operators `=`, `!=`,
//! `>`, `<`, `>=`, `<=`, `~>`, a list of constraints that must all hold, and
//! the pre-release filter Bundler applies.
//!
//! Invariant: [`Constraint::parse`] accepts exactly the strings
//! `Gem::Requirement.parse` accepts, and remembers where the version sits in
//! the string, so a rewrite replaces only the version's bytes.

use std::ops::Range;

use super::version::{GemVersion, is_ruby_space, matches_version_pattern};

/// A requirement operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Pessimistic,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Pessimistic => "~>",
        }
    }
}

/// One requirement string, e.g. `~> 1.4`.
/// A requirement string `Gem::Requirement.parse` rejects.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequirementError {
    #[error("expected a requirement like \"~> 1.4\" or \">= 1.2\", found {0:?}")]
    Pattern(String),
    #[error("bad version {0:?}")]
    Version(String),
}

#[derive(Clone, Debug)]
pub struct Constraint {
    pub op: Op,
    pub version: GemVersion,
    /// Byte range of the version within the string as written.
    pub version_span: Range<usize>,
}

impl Constraint {
    /// `Gem::Requirement.parse`; `Err` says what was expected.
    pub fn parse(s: &str) -> Result<Constraint, RequirementError> {
        let start = s.len() - s.trim_start_matches(is_ruby_space).len();
        let rest = &s[start..];
        let ops = [
            ("!=", Op::Ne),
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("~>", Op::Pessimistic),
            ("=", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
        ];
        let (op, after_op) = ops
            .iter()
            .find(|(text, _)| rest.starts_with(text))
            .map_or((Op::Eq, start), |(text, op)| (*op, start + text.len()));
        let rest = &s[after_op..];
        let v_start = after_op + (rest.len() - rest.trim_start_matches(is_ruby_space).len());
        let v_text = s[v_start..].trim_end_matches(is_ruby_space);
        let v_end = v_start + v_text.len();
        if !matches_version_pattern(v_text) {
            return Err(RequirementError::Pattern(s.to_string()));
        }
        let version = GemVersion::parse(v_text)
            .ok_or_else(|| RequirementError::Version(v_text.to_string()))?;
        Ok(Constraint {
            op,
            version,
            version_span: v_start..v_end,
        })
    }

    /// Does `v` satisfy this one constraint (no pre-release filtering)?
    pub fn satisfied_by(&self, v: &GemVersion) -> bool {
        let r = &self.version;
        match self.op {
            Op::Eq => v == r,
            Op::Ne => v != r,
            Op::Gt => v > r,
            Op::Lt => v < r,
            Op::Ge => v >= r,
            Op::Le => v <= r,
            Op::Pessimistic => v >= r && v.release() < r.bump(),
        }
    }

    /// Is this `>= 0` (RubyGems' default requirement)?
    fn is_default(&self) -> bool {
        self.op == Op::Ge && self.version == GemVersion::from_numbers(&["0"])
    }
}

/// A list of constraints that must all hold (`Gem::Requirement.new(*reqs)`).
#[derive(Clone, Debug, Default)]
pub struct GemRequirement {
    pub constraints: Vec<Constraint>,
}

impl GemRequirement {
    /// Parse every string; an empty list is `>= 0`.
    pub fn parse<S: AsRef<str>>(reqs: &[S]) -> Result<GemRequirement, RequirementError> {
        let constraints = reqs
            .iter()
            .map(|s| Constraint::parse(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(GemRequirement { constraints })
    }

    /// `Gem::Requirement#satisfied_by?`: every constraint holds.
    pub fn satisfied_by(&self, v: &GemVersion) -> bool {
        self.constraints.iter().all(|c| c.satisfied_by(v))
    }

    /// `Gem::Requirement#none?`: nothing but `>= 0`.
    pub fn is_none(&self) -> bool {
        match self.constraints.as_slice() {
            [] => true,
            [only] => only.is_default(),
            // `uniq!` first: copies of one `>= 0` (same text) count once.
            [first, rest @ ..] => {
                first.is_default()
                    && rest.iter().all(|c| {
                        c.op == first.op && c.version.to_string() == first.version.to_string()
                    })
            }
        }
    }

    /// Does some constraint name a pre-release?
    pub fn is_prerelease(&self) -> bool {
        self.constraints.iter().any(|c| c.version.is_prerelease())
    }

    /// `Gem::Dependency#match?`: like `satisfied_by`, but a pre-release is
    /// rejected unless allowed or the requirement itself names one.
    pub fn dependency_match(&self, v: &GemVersion, allow_prerelease: bool) -> bool {
        if self.is_none() && !v.is_prerelease() {
            return true;
        }
        if v.is_prerelease() && !allow_prerelease && !self.is_prerelease() {
            return false;
        }
        self.satisfied_by(v)
    }

    /// The highest lower bound (`=`, `>`, `>=`, `~>`), if any.
    pub fn minimum(&self) -> Option<&GemVersion> {
        self.constraints
            .iter()
            .filter(|c| matches!(c.op, Op::Eq | Op::Gt | Op::Ge | Op::Pessimistic))
            .map(|c| &c.version)
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_version_span() {
        for (s, op, span) in [
            ("~> 1.4", Op::Pessimistic, 3..6),
            (" <  0.1", Op::Lt, 4..7),
            ("1.4.2", Op::Eq, 0..5),
            ("=1.4.2 ", Op::Eq, 1..6),
            (">=1.2", Op::Ge, 2..5),
        ] {
            let c = Constraint::parse(s).unwrap();
            assert_eq!((c.op, c.version_span), (op, span), "{s}");
        }
        for bad in [
            ">>> 1.3.5",
            "> blah",
            "",
            "~>",
            "1.4,",
            "=> 1",
            ">= 1.4, < 2",
        ] {
            assert!(Constraint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn minimum_and_none() {
        let r = GemRequirement::parse(&[">= 1.4", "< 2", "~> 1.5"]).unwrap();
        assert_eq!(r.minimum().unwrap().to_string(), "1.5");
        assert!(GemRequirement::parse::<&str>(&[]).unwrap().is_none());
        assert!(GemRequirement::parse(&[">= 0.0"]).unwrap().is_none());
        assert!(!GemRequirement::parse(&["> 0"]).unwrap().is_none());
    }
}
