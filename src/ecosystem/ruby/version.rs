//! `Gem::Version`: parsing, segments, ordering, `bump` and `release`, as
//! RubyGems defines them.
//!
//! Invariant: a [`GemVersion`] only exists for a string RubyGems accepts
//! (`Gem::Version.correct?`); its ordering is RubyGems' `<=>` (trailing zero
//! segments ignored, a letter segment sorts before any number, so `1.0.a`
//! is below `1.0`). Numbers are compared as digit strings: no overflow.

use std::cmp::Ordering;
use std::fmt;

/// One segment: a run of digits (stored without leading zeros) or of letters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Num(String),
    Str(String),
}

impl Segment {
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Num(n) if n == "0")
    }

    fn cmp_same(&self, other: &Segment) -> Ordering {
        match (self, other) {
            (Segment::Num(a), Segment::Num(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Segment::Str(a), Segment::Str(b)) => a.cmp(b),
            (Segment::Str(_), Segment::Num(_)) => Ordering::Less,
            (Segment::Num(_), Segment::Str(_)) => Ordering::Greater,
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Num(s) | Segment::Str(s) => f.write_str(s),
        }
    }
}

/// A RubyGems version.
#[derive(Clone, Debug)]
pub struct GemVersion {
    /// The normalised text: stripped, `-` replaced by `.pre.`, blank -> `0`.
    text: String,
    segments: Vec<Segment>,
}

/// Ruby's `\s`.
pub fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0b' | '\x0c')
}

/// Does `s` (already stripped) match RubyGems' `VERSION_PATTERN`
/// `[0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?` exactly?
pub fn matches_version_pattern(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    while i < b.len() && b[i] == b'.' {
        let start = i + 1;
        let mut j = start;
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if j == start {
            return false;
        }
        i = j;
    }
    if i < b.len() && b[i] == b'-' {
        loop {
            // After `-` (first) or `.`: one or more of [0-9A-Za-z-].
            let start = i + 1;
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
                j += 1;
            }
            if j == start {
                return false;
            }
            i = j;
            if i < b.len() && b[i] == b'.' {
                continue;
            }
            break;
        }
    }
    i == b.len()
}

impl GemVersion {
    /// `Gem::Version.new(s)`; `None` when RubyGems would raise.
    pub fn parse(s: &str) -> Option<GemVersion> {
        let trimmed = s.trim_matches(is_ruby_space);
        if trimmed.is_empty() {
            return Some(GemVersion::from_normalised("0".to_string()));
        }
        if !matches_version_pattern(trimmed) {
            return None;
        }
        Some(GemVersion::from_normalised(trimmed.replace('-', ".pre.")))
    }

    /// The gem version of a semver version (build metadata dropped).
    pub fn from_semver(v: &semver::Version) -> GemVersion {
        let text = semver_text(v);
        // A semver version always matches the pattern once `+build` is gone.
        GemVersion::parse(&text).unwrap_or_else(|| {
            GemVersion::from_normalised(format!("{}.{}.{}", v.major, v.minor, v.patch))
        })
    }

    fn from_normalised(text: String) -> GemVersion {
        let mut segments = Vec::new();
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let digits = text[start..i].trim_start_matches('0');
                let digits = if digits.is_empty() { "0" } else { digits };
                segments.push(Segment::Num(digits.to_string()));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                segments.push(Segment::Str(text[start..i].to_string()));
            } else {
                i += 1;
            }
        }
        GemVersion { text, segments }
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The leading numeric segments (before the first letter segment).
    pub fn numeric_prefix(&self) -> Vec<&str> {
        self.segments
            .iter()
            .map_while(|s| match s {
                Segment::Num(n) => Some(n.as_str()),
                Segment::Str(_) => None,
            })
            .collect()
    }

    /// The first segment as written (the "major").
    pub fn major(&self) -> &str {
        match self.segments.first() {
            Some(Segment::Num(n)) => n,
            _ => "0",
        }
    }

    pub fn is_prerelease(&self) -> bool {
        self.text.bytes().any(|c| c.is_ascii_alphabetic())
    }

    /// `Gem::Version#release`: the version without its pre-release part.
    pub fn release(&self) -> GemVersion {
        if !self.is_prerelease() {
            return self.clone();
        }
        GemVersion::from_numbers(&self.numeric_prefix())
    }

    /// `Gem::Version#bump`: drop the pre-release part and the last segment,
    /// then increment the new last one (`1.4.2` -> `1.5`, `1` -> `2`).
    pub fn bump(&self) -> GemVersion {
        let mut nums: Vec<String> = self
            .numeric_prefix()
            .iter()
            .map(|s| s.to_string())
            .collect();
        if nums.len() > 1 {
            nums.pop();
        }
        if let Some(last) = nums.last_mut() {
            *last = increment(last);
        } else {
            nums.push("1".into());
        }
        let refs: Vec<&str> = nums.iter().map(String::as_str).collect();
        GemVersion::from_numbers(&refs)
    }

    /// A release version from numeric segments (`["2", "0"]` -> `2.0`).
    pub fn from_numbers(nums: &[&str]) -> GemVersion {
        if nums.is_empty() {
            return GemVersion::from_normalised("0".into());
        }
        GemVersion::from_normalised(nums.join("."))
    }

    /// RubyGems' `canonical_segments`: trailing zeros dropped from the
    /// numeric part and from the pre-release part.
    fn canonical(&self) -> Vec<&Segment> {
        let split = self
            .segments
            .iter()
            .position(|s| matches!(s, Segment::Str(_)))
            .unwrap_or(self.segments.len());
        let (nums, rest) = self.segments.split_at(split);
        let trim = |part: &'_ [Segment]| -> usize {
            part.iter().rposition(|s| !s.is_zero()).map_or(0, |i| i + 1)
        };
        let mut out: Vec<&Segment> = nums[..trim(nums)].iter().collect();
        out.extend(rest[..trim(rest)].iter());
        out
    }
}

/// `n + 1` on a decimal digit string.
fn increment(n: &str) -> String {
    let mut digits: Vec<u8> = n.bytes().collect();
    let mut i = digits.len();
    loop {
        if i == 0 {
            digits.insert(0, b'1');
            break;
        }
        i -= 1;
        if digits[i] == b'9' {
            digits[i] = b'0';
        } else {
            digits[i] += 1;
            break;
        }
    }
    String::from_utf8(digits).unwrap_or_else(|_| n.to_string())
}

/// The text wavebump writes for a semver version (`2.0.3`, `2.0.0-rc.1`).
pub fn semver_text(v: &semver::Version) -> String {
    if v.pre.is_empty() {
        format!("{}.{}.{}", v.major, v.minor, v.patch)
    } else {
        format!("{}.{}.{}-{}", v.major, v.minor, v.patch, v.pre)
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.text == other.text {
            return Ordering::Equal;
        }
        let zero = Segment::Num("0".into());
        let (a, b) = (self.canonical(), other.canonical());
        for i in 0..a.len().max(b.len()) {
            let l = a.get(i).copied().unwrap_or(&zero);
            let r = b.get(i).copied().unwrap_or(&zero);
            match l.cmp_same(r) {
                Ordering::Equal => continue,
                other => return other,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

impl fmt::Display for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GemVersion {
        GemVersion::parse(s).unwrap()
    }

    #[test]
    fn pattern() {
        for ok in [
            "1",
            "1.0",
            "1.0.a",
            "1.0-rc.1",
            "1-a-b",
            "10.3.2",
            "1.0.0.0.0.2",
            "5.x",
        ] {
            assert!(matches_version_pattern(ok), "{ok}");
        }
        for bad in [
            "", "a", "1.", "1..0", "1.0-", "1.0-.a", "1 0", "blah", ">1", "1.0+b",
        ] {
            assert!(!matches_version_pattern(bad), "{bad}");
        }
        assert_eq!(v("  ").to_string(), "0");
        assert_eq!(v(" 1.0-rc1 ").to_string(), "1.0.pre.rc1");
    }

    #[test]
    fn ordering() {
        let table = [
            ("1.0", "1.0.0", Ordering::Equal),
            ("1.0", "1.0.0.1", Ordering::Less),
            ("1.02.3", "1.2.003.0.0", Ordering::Equal),
            ("1.0.a", "1.0", Ordering::Less),
            ("1.0.rc1", "1.0.rc2", Ordering::Less),
            ("1.0.b", "1.0.a", Ordering::Greater),
            ("9.3.2", "10.3.2", Ordering::Less),
            ("0", "0.a", Ordering::Greater),
            ("1.111", "1.112", Ordering::Less),
            ("123456789012345678901234567890", "2", Ordering::Greater),
            ("5.0.0.rc2", "5.x", Ordering::Less),
        ];
        for (a, b, want) in table {
            assert_eq!(v(a).cmp(&v(b)), want, "{a} <=> {b}");
            assert_eq!(v(b).cmp(&v(a)), want.reverse(), "{b} <=> {a}");
        }
    }

    #[test]
    fn bump_and_release() {
        for (a, bumped) in [
            ("1.4.2", "1.5"),
            ("1", "2"),
            ("1.4", "2"),
            ("5.a", "6"),
            ("1.9.b.3", "2"),
        ] {
            assert_eq!(v(a).bump().to_string(), bumped, "{a}");
        }
        assert_eq!(v("1.99").bump().to_string(), "2");
        assert_eq!(v("1.9.9").bump().to_string(), "1.10");
        assert_eq!(v("1.2.b").release().to_string(), "1.2");
        assert_eq!(v("1.2").release().to_string(), "1.2");
        assert_eq!(increment("999"), "1000");
    }
}
