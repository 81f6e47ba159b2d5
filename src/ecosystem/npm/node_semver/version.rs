//! node-semver versions: parsing (strict and loose) and precedence.
//!
//! Invariant: [`Version::parse`] accepts exactly what node-semver's `SemVer`
//! constructor accepts (`FULL` / `LOOSE` grammars, 256-byte limit, numbers
//! up to `Number.MAX_SAFE_INTEGER`), and [`Version`]'s ordering is
//! node-semver's `compare` (build metadata ignored).

use std::cmp::Ordering;
use std::fmt;

/// `Number.MAX_SAFE_INTEGER`.
pub const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;
/// node-semver's `MAX_LENGTH`.
const MAX_LENGTH: usize = 256;

/// One prerelease identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ident {
    Num(u64),
    Alpha(String),
}

impl Ident {
    fn from_text(text: &str) -> Ident {
        let numeric = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        match text.parse::<u64>() {
            Ok(n) if numeric && n < MAX_SAFE_INTEGER => Ident::Num(n),
            _ => Ident::Alpha(text.to_string()),
        }
    }
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => a.cmp(b),
            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ident::Num(n) => write!(f, "{n}"),
            Ident::Alpha(s) => f.write_str(s),
        }
    }
}

/// A parsed version (build metadata dropped: it never affects precedence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: Vec<Ident>,
}

/// Why a version did not parse: node-semver throws for both, but a range's
/// loose filter drops only syntax errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionError {
    Syntax,
    TooLarge,
}

impl Version {
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version {
            major,
            minor,
            patch,
            pre: Vec::new(),
        }
    }

    /// Parse like `new SemVer(text, { loose })`.
    pub fn parse(text: &str, loose: bool) -> Result<Version, VersionError> {
        if text.len() > MAX_LENGTH {
            return Err(VersionError::Syntax);
        }
        let text = text.trim();
        let rest = if loose {
            text.trim_start_matches(['v', '=', ' ', '\t', '\n', '\r'])
        } else {
            text.strip_prefix('v').unwrap_or(text)
        };
        let mut cur = Cursor::new(rest);
        let major = cur.main_number(loose)?;
        cur.expect(b'.')?;
        let minor = cur.main_number(loose)?;
        cur.expect(b'.')?;
        let patch = cur.main_number(loose)?;
        let pre = cur.prerelease(loose)?;
        cur.build()?;
        if !cur.at_end() {
            return Err(VersionError::Syntax);
        }
        let pre = pre.map_or_else(Vec::new, |p| p.split('.').map(Ident::from_text).collect());
        Ok(Version {
            major,
            minor,
            patch,
            pre,
        })
    }

    /// Parse from a `semver` crate version (always valid here).
    pub fn from_semver(v: &semver::Version) -> Version {
        let pre = if v.pre.is_empty() {
            Vec::new()
        } else {
            v.pre.as_str().split('.').map(Ident::from_text).collect()
        };
        Version {
            major: v.major,
            minor: v.minor,
            patch: v.patch,
            pre,
        }
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    pub fn same_tuple(&self, other: &Version) -> bool {
        self.major == other.major && self.minor == other.minor && self.patch == other.patch
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (i, id) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            write!(f, "{id}")?;
        }
        Ok(())
    }
}

/// Is `b` a character of a prerelease or build identifier?
pub fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// A byte cursor over one version or x-range, following node-semver's
/// grammar greedily (its regexes never need to backtrack on these inputs).
pub struct Cursor<'a> {
    pub text: &'a str,
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    pub fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    pub fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + ahead).copied()
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn expect(&mut self, b: u8) -> Result<(), VersionError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(VersionError::Syntax)
        }
    }

    /// The text of a run of bytes satisfying `f`.
    pub fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        self.text.get(start..self.pos).unwrap_or("")
    }

    /// A numeric identifier: strict `0|[1-9]\d*`, loose `\d+`. Returns its
    /// text (possibly empty when none is present).
    pub fn numeric_text(&mut self, loose: bool) -> &'a str {
        if !loose && self.peek() == Some(b'0') {
            let start = self.pos;
            self.pos += 1;
            return self.text.get(start..self.pos).unwrap_or("");
        }
        self.take_while(|b| b.is_ascii_digit())
    }

    fn main_number(&mut self, loose: bool) -> Result<u64, VersionError> {
        let digits = self.numeric_text(loose);
        if digits.is_empty() {
            return Err(VersionError::Syntax);
        }
        number(digits)
    }

    /// An optional prerelease (`-a.1`; loose also `a.1` and odd dashes);
    /// returns its text without the leading dash.
    pub fn prerelease(&mut self, loose: bool) -> Result<Option<&'a str>, VersionError> {
        match self.peek() {
            Some(b'-') => {
                let after = self.peek_at(1);
                if after.is_some_and(is_ident_byte) || !loose {
                    self.pos += 1;
                }
            }
            Some(b) if loose && is_ident_byte(b) => {}
            _ => return Ok(None),
        }
        let start = self.pos;
        loop {
            let id = self.take_while(is_ident_byte);
            if id.is_empty() || !(loose || valid_strict_pre(id)) {
                return Err(VersionError::Syntax);
            }
            if self.peek() == Some(b'.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        Ok(self.text.get(start..self.pos))
    }

    /// An optional build (`+a.b`).
    pub fn build(&mut self) -> Result<(), VersionError> {
        if self.peek() != Some(b'+') {
            return Ok(());
        }
        self.pos += 1;
        loop {
            if self.take_while(is_ident_byte).is_empty() {
                return Err(VersionError::Syntax);
            }
            if self.peek() == Some(b'.') {
                self.pos += 1;
            } else {
                return Ok(());
            }
        }
    }
}

/// A strict prerelease identifier: numeric without leading zero, or one
/// holding a letter or dash.
fn valid_strict_pre(id: &str) -> bool {
    if id.bytes().all(|b| b.is_ascii_digit()) {
        id == "0" || !id.starts_with('0')
    } else {
        true
    }
}

/// A main version number, rejected past `MAX_SAFE_INTEGER`.
pub fn number(digits: &str) -> Result<u64, VersionError> {
    match digits.parse::<u64>() {
        Ok(n) if n <= MAX_SAFE_INTEGER => Ok(n),
        _ => Err(VersionError::TooLarge),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strict_and_loose() {
        let ok = |s: &str, loose: bool| Version::parse(s, loose).map(|v| v.to_string());
        assert_eq!(ok("1.2.3", false), Ok("1.2.3".into()));
        assert_eq!(ok("v1.2.3-pre.1+b", false), Ok("1.2.3-pre.1".into()));
        assert_eq!(ok(" 1.2.3 ", false), Ok("1.2.3".into()));
        assert!(ok("=1.2.3", false).is_err());
        assert_eq!(ok("=v1.2.3", true), Ok("1.2.3".into()));
        assert!(ok("01.2.3", false).is_err());
        assert_eq!(ok("01.2.3", true), Ok("1.2.3".into()));
        assert!(ok("1.2.3beta", false).is_err());
        assert_eq!(ok("1.2.3beta", true), Ok("1.2.3-beta".into()));
        assert!(ok("1.2.3-01", false).is_err());
        assert_eq!(ok("1.2.3-", true), Ok("1.2.3--".into()));
        assert!(ok("1.2.3-", false).is_err());
        assert!(ok("1.2", false).is_err());
        assert!(ok("not a version", false).is_err());
        assert_eq!(
            ok("9007199254740992.0.0", false),
            Err(VersionError::TooLarge)
        );
        assert!(ok(&"1".repeat(300), true).is_err());
    }

    #[test]
    fn precedence() {
        let v = |s: &str| Version::parse(s, false).unwrap();
        let order = [
            "1.0.0-0",
            "1.0.0-1",
            "1.0.0-2",
            "1.0.0-a",
            "1.0.0-a.1",
            "1.0.0-b",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ];
        for pair in order.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(v("1.0.0+a").cmp(&v("1.0.0+b")), Ordering::Equal);
    }
}
