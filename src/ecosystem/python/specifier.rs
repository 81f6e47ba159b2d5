//! PEP 440 specifiers and specifier sets with `packaging` 26's `contains`.
//!
//! Invariant: [`Specifier::parse`] accepts exactly what `packaging`'s
//! `Specifier` accepts (ASCII only), and [`SpecifierSet::contains`] answers
//! as `SpecifierSet(req, prereleases=P).contains(v, prereleases=C)` does for
//! string input: each clause is a set of versions (the bounds of
//! `packaging._ranges`), the set is their intersection, and a pre-release is
//! rejected only by an explicit `False` policy.

use std::ops::Range;

use super::version::{Version, is_py_space};

/// A comparison operator of PEP 440.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `~=`
    Compatible,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `===`
    Arbitrary,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Compatible => "~=",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Le => "<=",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Arbitrary => "===",
        }
    }
}

/// One clause: `>=1.4`, `==1.4.*`, `===foo`.
#[derive(Clone, Debug)]
pub struct Specifier {
    pub op: Op,
    /// The version text as written (after the operator, trimmed).
    pub text: String,
    /// Byte range of `text` within the string given to `parse`.
    pub text_span: Range<usize>,
    /// `==X.*` / `!=X.*`.
    pub wildcard: bool,
    /// Parsed version (the base without `.*`); `None` only for `===` with an
    /// unparsable version.
    pub version: Option<Version>,
}

impl Specifier {
    /// Parse one clause, `None` when `packaging` raises `InvalidSpecifier`.
    pub fn parse(spec: &str) -> Option<Specifier> {
        let lead = spec.len() - spec.trim_start_matches(is_py_space).len();
        let body = spec.trim_matches(is_py_space);
        let (op, rest) = if let Some(r) = body.strip_prefix("===") {
            (Op::Arbitrary, r)
        } else if let Some(r) = body.strip_prefix("~=") {
            (Op::Compatible, r)
        } else if let Some(r) = body.strip_prefix("==") {
            (Op::Eq, r)
        } else if let Some(r) = body.strip_prefix("!=") {
            (Op::Ne, r)
        } else if let Some(r) = body.strip_prefix("<=") {
            (Op::Le, r)
        } else if let Some(r) = body.strip_prefix(">=") {
            (Op::Ge, r)
        } else if let Some(r) = body.strip_prefix('<') {
            (Op::Lt, r)
        } else if let Some(r) = body.strip_prefix('>') {
            (Op::Gt, r)
        } else {
            return None;
        };
        let text = rest.trim_start_matches(is_py_space);
        let start = lead + (body.len() - text.len());
        let text_span = start..start + text.len();
        if op == Op::Arbitrary {
            if text.contains(|c: char| is_py_space(c) || c == ';' || c == ')') {
                return None;
            }
            return Some(Specifier {
                op,
                text: text.to_string(),
                text_span,
                wildcard: false,
                version: Version::parse(text),
            });
        }
        // Inner whitespace is never part of a version here.
        if text.is_empty() || text.contains(is_py_space) || !text.is_ascii() {
            return None;
        }
        let (base, wildcard) = match text.strip_suffix(".*") {
            Some(base) => (base, true),
            None => (text, false),
        };
        if wildcard && !matches!(op, Op::Eq | Op::Ne) {
            return None;
        }
        let version = Version::parse(base)?;
        if wildcard
            && (version.pre.is_some()
                || version.post.is_some()
                || version.dev.is_some()
                || version.local.is_some())
        {
            return None;
        }
        if version.local.is_some() && !matches!(op, Op::Eq | Op::Ne) {
            return None;
        }
        if op == Op::Compatible && version.release.len() < 2 {
            return None;
        }
        Some(Specifier {
            op,
            text: text.to_string(),
            text_span,
            wildcard,
            version: Some(version),
        })
    }

    /// `packaging`'s `Specifier.prereleases` autodetection.
    pub fn implies_prereleases(&self) -> Option<bool> {
        if self.op == Op::Ne || (self.op == Op::Eq && self.wildcard) {
            return Some(false);
        }
        self.version.as_ref().map(Version::is_prerelease)
    }

    /// Range membership of a parsed version, with no pre-release policy.
    pub fn matches(&self, v: &Version) -> bool {
        let Some(spec) = &self.version else {
            return false;
        };
        if self.wildcard {
            let lower = base_dev0(spec);
            let upper = next_prefix_dev0(spec.epoch, &spec.release);
            let inside = *v >= lower && *v < upper;
            return if self.op == Op::Eq { inside } else { !inside };
        }
        match self.op {
            Op::Ge => v >= spec,
            Op::Le => v <= spec || v.same_public(spec),
            Op::Gt => {
                if let Some(dev) = spec.dev {
                    let bound = Version {
                        dev: Some(dev.saturating_add(1)),
                        local: None,
                        ..spec.clone()
                    };
                    *v >= bound
                } else if let Some(post) = spec.post {
                    let bound = Version {
                        post: Some(post.saturating_add(1)),
                        dev: Some(0),
                        local: None,
                        ..spec.clone()
                    };
                    *v >= bound
                } else {
                    v > spec && !in_post_family(v, spec)
                }
            }
            Op::Lt => {
                let bound = if spec.is_prerelease() {
                    spec.clone()
                } else {
                    Version {
                        dev: Some(0),
                        local: None,
                        ..spec.clone()
                    }
                };
                *v < bound
            }
            Op::Eq => {
                if spec.local.is_some() {
                    v == spec
                } else {
                    v >= spec && (v <= spec || v.same_public(spec))
                }
            }
            Op::Ne => {
                let equal = if spec.local.is_some() {
                    v == spec
                } else {
                    v >= spec && (v <= spec || v.same_public(spec))
                };
                !equal
            }
            Op::Compatible => {
                let prefix = spec.release.get(..spec.release.len().saturating_sub(1));
                let upper = next_prefix_dev0(spec.epoch, prefix.unwrap_or(&[]));
                v >= spec && *v < upper
            }
            Op::Arbitrary => false,
        }
    }

    /// `Specifier(self, prereleases=configured).contains(item, prereleases=call)`.
    pub fn contains(&self, item: &str, configured: Option<bool>, call: Option<bool>) -> bool {
        let policy = call.or(configured).or_else(|| {
            // An autodetected True propagates; anything else is the default.
            self.implies_prereleases().filter(|&p| p)
        });
        if self.op == Op::Arbitrary {
            if item.to_lowercase() != self.text.to_lowercase() {
                return false;
            }
            return policy != Some(false)
                || Version::parse(item).is_none_or(|v| !v.is_prerelease());
        }
        let Some(v) = Version::parse(item) else {
            return false;
        };
        if policy == Some(false) && v.is_prerelease() {
            return false;
        }
        self.matches(&v)
    }
}

/// `V.dev0` of a version's release: `1.2` → `1.2.dev0`.
fn base_dev0(v: &Version) -> Version {
    Version {
        epoch: v.epoch,
        dev: Some(0),
        ..Version::release(v.release.clone())
    }
}

/// The smallest version of the next prefix: `1.2` → `1.3.dev0`.
fn next_prefix_dev0(epoch: u64, release: &[u64]) -> Version {
    let mut next = release.to_vec();
    if let Some(last) = next.last_mut() {
        *last = last.saturating_add(1);
    }
    Version {
        epoch,
        dev: Some(0),
        ..Version::release(next)
    }
}

/// Is `v` in `spec`'s post family (same release and pre; `spec` itself, its
/// locals and its post-releases), which `>spec` excludes?
fn in_post_family(v: &Version, spec: &Version) -> bool {
    v.epoch == spec.epoch && v.trimmed_release() == spec.trimmed_release() && v.pre == spec.pre
}

/// A comma-separated set of clauses, all of which must hold.
#[derive(Clone, Debug, Default)]
pub struct SpecifierSet {
    pub specs: Vec<Specifier>,
    /// The text contained `===` somewhere (`packaging`'s `_has_arbitrary`).
    has_arbitrary: bool,
}

/// Why a specifier set did not parse: the clause and its byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidSpecifier {
    pub clause: String,
    pub offset: usize,
}

impl SpecifierSet {
    /// Parse `>=1.4, <2` (empty text = no constraint). Clause spans are
    /// relative to `text`.
    pub fn parse(text: &str) -> Result<SpecifierSet, InvalidSpecifier> {
        let mut specs = Vec::new();
        let mut offset = 0;
        for piece in text.split(',') {
            let start = offset;
            offset += piece.len() + 1;
            if piece.trim_matches(is_py_space).is_empty() {
                continue;
            }
            let mut spec = Specifier::parse(piece).ok_or_else(|| InvalidSpecifier {
                clause: piece.trim_matches(is_py_space).to_string(),
                offset: start + (piece.len() - piece.trim_start_matches(is_py_space).len()),
            })?;
            spec.text_span = spec.text_span.start + start..spec.text_span.end + start;
            specs.push(spec);
        }
        Ok(SpecifierSet {
            specs,
            has_arbitrary: text.contains("==="),
        })
    }

    /// `packaging`'s `SpecifierSet.prereleases` without a configured value.
    fn implied_prereleases(&self) -> Option<bool> {
        if self.specs.is_empty() {
            return None;
        }
        self.specs
            .iter()
            .any(|s| s.implies_prereleases() == Some(true))
            .then_some(true)
    }

    /// `SpecifierSet(self, prereleases=configured).contains(item,
    /// prereleases=call)` for a string `item`.
    pub fn contains(&self, item: &str, configured: Option<bool>, call: Option<bool>) -> bool {
        let parsed = Version::parse(item);
        let policy = call.or(configured).or_else(|| self.implied_prereleases());
        if self.specs.is_empty() {
            return policy != Some(false) || parsed.is_none_or(|v| !v.is_prerelease());
        }
        if self.has_arbitrary {
            let all = self
                .specs
                .iter()
                .all(|s| s.contains(item, None, Some(true)));
            return all && (policy != Some(false) || parsed.is_none_or(|v| !v.is_prerelease()));
        }
        let Some(v) = parsed else {
            return false;
        };
        if policy == Some(false) && v.is_prerelease() {
            return false;
        }
        self.specs.iter().all(|s| s.matches(&v))
    }

    /// Does the set admit `v` under the PEP 440 default policy?
    pub fn admits(&self, v: &Version) -> bool {
        if self.specs.iter().any(|s| s.op == Op::Arbitrary) {
            return self.contains(&v.to_string(), None, None);
        }
        self.specs.iter().all(|s| s.matches(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_versions() {
        let set = SpecifierSet::parse(" >= 1.4 ,<2").expect("valid");
        let spans: Vec<_> = set.specs.iter().map(|s| s.text_span.clone()).collect();
        assert_eq!(spans, vec![4..7, 10..11]);
    }

    #[test]
    fn invalid_clause_is_located() {
        let err = SpecifierSet::parse(">=1.0, =>2").expect_err("invalid");
        assert_eq!(
            err,
            InvalidSpecifier {
                clause: "=>2".into(),
                offset: 7
            }
        );
    }

    #[test]
    fn table() {
        let cases = [
            ("~=1.4.2", "1.4.9", true),
            ("~=1.4.2", "1.5.0", false),
            ("==1.4.*", "1.4.0rc1", true),
            ("!=1.4.*", "1.5", true),
            (">1.4", "1.4.post1", false),
            ("<2", "2.0rc1", false),
            ("<=2.0", "2.0+local", true),
        ];
        for (spec, v, want) in cases {
            let set = SpecifierSet::parse(spec).expect("valid");
            assert_eq!(set.contains(v, None, None), want, "{spec} {v}");
        }
    }
}
