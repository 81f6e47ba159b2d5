//! node-semver ranges: a union (`||`) of comparator sets, each an
//! intersection of primitive comparators.
//!
//! Invariant: [`Range::parse`] yields the same comparator sets as
//! node-semver's `new Range` (including its null-set and any-set pruning), or
//! `None` where it throws; `test`, `is_below` and `min_version` follow
//! `Range.test`, `outside(.., '>')` and `minVersion`.

use super::Options;
use super::desugar::{hyphen, js_split_ws, parse_comparator, trims};
use super::version::{Version, VersionError};

/// A primitive comparator's operator (`=` and `` are the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

/// `op version`, or any version when `version` is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparator {
    pub op: Op,
    pub version: Option<Version>,
}

impl Comparator {
    /// `new Comparator(text, options)`: `""` is any.
    fn parse(text: &str, opts: Options) -> Result<Comparator, VersionError> {
        if text.is_empty() {
            return Ok(Comparator {
                op: Op::Eq,
                version: None,
            });
        }
        let (op, rest) = split_op(text);
        let version = Version::parse(rest.trim_start(), opts.loose)?;
        Ok(Comparator {
            op,
            version: Some(version),
        })
    }

    /// node-semver's `comparator.value`.
    fn value(&self) -> String {
        match &self.version {
            None => String::new(),
            Some(v) => format!("{}{v}", self.op.as_str()),
        }
    }

    fn is_null_set(&self) -> bool {
        self.op == Op::Lt && self.version == Version::parse("0.0.0-0", false).ok()
    }

    fn test(&self, v: &Version) -> bool {
        let Some(bound) = &self.version else {
            return true;
        };
        match self.op {
            Op::Eq => v == bound,
            Op::Gt => v > bound,
            Op::Ge => v >= bound,
            Op::Lt => v < bound,
            Op::Le => v <= bound,
        }
    }
}

/// Split a leading `(<|>)?=?` operator off.
fn split_op(text: &str) -> (Op, &str) {
    for (prefix, op) in [
        (">=", Op::Ge),
        ("<=", Op::Le),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return (op, rest);
        }
    }
    (Op::Eq, text)
}

/// A parsed range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    pub set: Vec<Vec<Comparator>>,
    opts: Options,
}

impl Range {
    /// `new Range(text, options)`; `None` where node-semver throws.
    pub fn parse(text: &str, opts: Options) -> Option<Range> {
        let raw = js_split_ws(text.trim()).join(" ");
        let mut set = Vec::new();
        for part in raw.split("||") {
            let comparators = parse_set(part.trim(), opts)?;
            if !comparators.is_empty() {
                set.push(comparators);
            }
        }
        let first = set.first()?.clone();
        if set.len() > 1 {
            set.retain(|c| !c.first().is_some_and(Comparator::is_null_set));
            if set.is_empty() {
                set = vec![first];
            } else if let Some(any) = set
                .iter()
                .find(|c| c.len() == 1 && c.first().is_some_and(|c| c.version.is_none()))
            {
                // Any set absorbs the union (only reached with several sets).
                set = vec![any.clone()];
            }
        }
        Some(Range { set, opts })
    }

    /// `range.test(version)`.
    pub fn test(&self, v: &Version) -> bool {
        self.set.iter().any(|set| self.test_set(set, v))
    }

    fn test_set(&self, set: &[Comparator], v: &Version) -> bool {
        if !set.iter().all(|c| c.test(v)) {
            return false;
        }
        if v.is_prerelease() && !self.opts.include_prerelease {
            // A prerelease passes only when a comparator names a prerelease
            // of the same major.minor.patch.
            return set.iter().any(|c| {
                c.version
                    .as_ref()
                    .is_some_and(|b| b.is_prerelease() && b.same_tuple(v))
            });
        }
        true
    }

    /// node-semver's `gtr`: `v` is above every version the range admits.
    pub fn is_below(&self, v: &Version) -> bool {
        if self.test(v) {
            return false;
        }
        let zero = Comparator {
            op: Op::Ge,
            version: Some(Version::new(0, 0, 0)),
        };
        for comparators in &self.set {
            let mut high: Option<(&Comparator, &Version)> = None;
            let mut low: Option<(&Comparator, &Version)> = None;
            for c in comparators {
                let c = if c.version.is_none() { &zero } else { c };
                let Some(cv) = c.version.as_ref() else {
                    continue;
                };
                let h = *high.get_or_insert((c, cv));
                let l = *low.get_or_insert((c, cv));
                if cv > h.1 {
                    high = Some((c, cv));
                } else if cv < l.1 {
                    low = Some((c, cv));
                }
            }
            let (Some((high, _)), Some((low, low_v))) = (high, low) else {
                continue;
            };
            if matches!(high.op, Op::Gt | Op::Ge) {
                return false;
            }
            let under_low = match low.op {
                Op::Eq | Op::Gt => v <= low_v,
                Op::Ge => v < low_v,
                Op::Lt | Op::Le => false,
            };
            if under_low {
                return false;
            }
        }
        true
    }

    /// node-semver's `minVersion`: the lowest version the range admits.
    pub fn min_version(&self) -> Option<Version> {
        for candidate in [Version::new(0, 0, 0), pre_zero()] {
            if self.test(&candidate) {
                return Some(candidate);
            }
        }
        let mut min: Option<Version> = None;
        for comparators in &self.set {
            let mut set_min: Option<Version> = None;
            for c in comparators {
                let Some(v) = &c.version else { continue };
                let mut v = v.clone();
                match c.op {
                    Op::Gt => {
                        if v.pre.is_empty() {
                            v.patch = v.patch.saturating_add(1);
                        } else {
                            v.pre.push(super::Ident::Num(0));
                        }
                    }
                    Op::Eq | Op::Ge => {}
                    Op::Lt | Op::Le => continue,
                }
                if set_min.as_ref().is_none_or(|m| v > *m) {
                    set_min = Some(v);
                }
            }
            if let Some(s) = set_min.filter(|s| min.as_ref().is_none_or(|m| m > s)) {
                min = Some(s);
            }
        }
        min.filter(|m| self.test(m))
    }
}

fn pre_zero() -> Version {
    let mut v = Version::new(0, 0, 0);
    v.pre.push(super::Ident::Num(0));
    v
}

/// `parseRange` for one `||` member; `None` where node-semver throws, an
/// empty list where loose mode dropped every comparator.
fn parse_set(part: &str, opts: Options) -> Option<Vec<Comparator>> {
    let part = hyphen(part, opts).unwrap_or_else(|| part.to_string());
    let part = trims(&part);
    let desugared: Vec<String> = part.split(' ').map(|c| parse_comparator(c, opts)).collect();
    let joined = desugared.join(" ");
    let gte0 = if opts.include_prerelease {
        ">=0.0.0-0"
    } else {
        ">=0.0.0"
    };
    let mut out: Vec<Comparator> = Vec::new();
    for word in js_split_ws(&joined) {
        let word = if word.trim() == gte0 { "" } else { word };
        let parsed = Comparator::parse(word, opts);
        let comparator = match parsed {
            Ok(c) => c,
            Err(VersionError::Syntax) if opts.loose => continue,
            Err(_) => return None,
        };
        if comparator.is_null_set() {
            return Some(vec![comparator]);
        }
        let value = comparator.value();
        if let Some(slot) = out.iter_mut().find(|c| c.value() == value) {
            *slot = comparator;
        } else {
            out.push(comparator);
        }
    }
    if out.len() > 1 {
        out.retain(|c| c.version.is_some());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_version() {
        let min = |r: &str| {
            Range::parse(r, Options::default())
                .and_then(|r| r.min_version())
                .map(|v| v.to_string())
        };
        assert_eq!(min("^1.4.2").as_deref(), Some("1.4.2"));
        assert_eq!(min(">1.4.2").as_deref(), Some("1.4.3"));
        assert_eq!(min("*").as_deref(), Some("0.0.0"));
        assert_eq!(min("<1.0.0").as_deref(), Some("0.0.0"));
        assert_eq!(min(">=2.0.0 || ^1.4").as_deref(), Some("1.4.0"));
        assert_eq!(min(">2 <1"), None);
    }

    #[test]
    fn invalid_ranges() {
        for r in ["blerg", ">=", "1.2.3.4", "^1.2.3 foo"] {
            assert!(Range::parse(r, Options::default()).is_none(), "{r}");
        }
    }
}
