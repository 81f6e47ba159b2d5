//! PEP 440 versions, parsed and ordered exactly as `packaging` 26 does.
//!
//! Invariant: [`Version::parse`] accepts precisely the strings matched by
//! `packaging.version.VERSION_PATTERN` (ASCII only, case-insensitive, optional
//! surrounding whitespace), and `Ord` is `packaging`'s `_cmpkey` order.

use std::cmp::Ordering;
use std::fmt;

/// A pre-release phase, in sort order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Alpha,
    Beta,
    Rc,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::Alpha => "a",
            Phase::Beta => "b",
            Phase::Rc => "rc",
        }
    }
}

/// One segment of a local version label (`+ubuntu.1` → `ubuntu`, `1`).
/// Strings sort before numbers, as in PEP 440.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LocalPart {
    Str(String),
    Num(u64),
}

/// A parsed PEP 440 version.
#[derive(Clone, Debug)]
pub struct Version {
    pub epoch: u64,
    pub release: Vec<u64>,
    pub pre: Option<(Phase, u64)>,
    pub post: Option<u64>,
    pub dev: Option<u64>,
    pub local: Option<Vec<LocalPart>>,
}

impl Version {
    /// A final release `epoch!release`.
    pub fn release(release: Vec<u64>) -> Self {
        Version {
            epoch: 0,
            release,
            pre: None,
            post: None,
            dev: None,
            local: None,
        }
    }

    /// Parse a version string; `None` when `packaging` would raise
    /// `InvalidVersion`.
    pub fn parse(text: &str) -> Option<Version> {
        Parser::new(text.trim_matches(is_py_space)).version()
    }

    /// `packaging`'s `is_prerelease`: a pre- or dev-release.
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// The release with every trailing zero removed (`1.0.0` → `1`).
    pub fn trimmed_release(&self) -> &[u64] {
        let end = self
            .release
            .iter()
            .rposition(|&n| n != 0)
            .map_or(0, |i| i + 1);
        self.release.get(..end).unwrap_or(&[])
    }

    /// Same public version family: epoch, trimmed release, pre, post and dev
    /// equal (the local label may differ).
    pub fn same_public(&self, other: &Version) -> bool {
        self.epoch == other.epoch
            && self.trimmed_release() == other.trimmed_release()
            && self.pre == other.pre
            && self.post == other.post
            && self.dev == other.dev
    }

    /// Copy without the local label.
    pub fn public(&self) -> Version {
        Version {
            local: None,
            ..self.clone()
        }
    }

    /// `packaging`'s sort key suffix: (pre rank, pre n, post rank, post n,
    /// dev rank, dev n).
    fn suffix(&self) -> (i8, u64, u8, u64, u8, u64) {
        let (pre_rank, pre_n) = match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => (-1, 0),
            (None, _, _) => (3, 0),
            (Some((phase, n)), _, _) => (phase as i8, n),
        };
        let (post_rank, post_n) = self.post.map_or((0, 0), |n| (1, n));
        let (dev_rank, dev_n) = self.dev.map_or((1, 0), |n| (0, n));
        (pre_rank, pre_n, post_rank, post_n, dev_rank, dev_n)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.trimmed_release().cmp(other.trimmed_release()))
            .then_with(|| self.suffix().cmp(&other.suffix()))
            .then_with(|| match (&self.local, &other.local) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

impl fmt::Display for Version {
    /// The normalised form (`1.0a1.post2.dev3+abc.1`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}!", self.epoch)?;
        }
        let mut first = true;
        for n in &self.release {
            if !first {
                f.write_str(".")?;
            }
            first = false;
            write!(f, "{n}")?;
        }
        if let Some((phase, n)) = self.pre {
            write!(f, "{}{n}", phase.as_str())?;
        }
        if let Some(n) = self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = self.dev {
            write!(f, ".dev{n}")?;
        }
        if let Some(local) = &self.local {
            f.write_str("+")?;
            for (i, part) in local.iter().enumerate() {
                if i > 0 {
                    f.write_str(".")?;
                }
                match part {
                    LocalPart::Str(s) => f.write_str(s)?,
                    LocalPart::Num(n) => write!(f, "{n}")?,
                }
            }
        }
        Ok(())
    }
}

/// Python's `str.strip()` / regex `\s` whitespace (close enough: Unicode
/// whitespace).
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

fn is_sep(b: u8) -> bool {
    matches!(b, b'.' | b'_' | b'-')
}

/// A cursor over ASCII bytes implementing the (possessive) version grammar.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            s: text.as_bytes(),
            i: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    /// Digits at `i`: (value, end). `None` if no digit or overflow.
    fn number_at(&self, i: usize) -> Option<(u64, usize)> {
        let mut j = i;
        let mut value: u64 = 0;
        while let Some(b) = self.at(j).filter(u8::is_ascii_digit) {
            value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            j += 1;
        }
        (j > i).then_some((value, j))
    }

    /// Does a case-insensitive `word` start at `i`?
    fn word_at(&self, i: usize, word: &str) -> bool {
        self.s
            .get(i..i + word.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(word.as_bytes()))
    }

    /// Optional separator at `i`: its end.
    fn sep_at(&self, i: usize) -> usize {
        if self.at(i).is_some_and(is_sep) {
            i + 1
        } else {
            i
        }
    }

    fn version(mut self) -> Option<Version> {
        if self.peek().is_some_and(|b| b == b'v' || b == b'V') {
            self.i += 1;
        }
        // Epoch: digits then '!', else no epoch.
        let mut epoch = 0;
        if let Some((n, end)) = self.number_at(self.i)
            && self.at(end) == Some(b'!')
        {
            epoch = n;
            self.i = end + 1;
        }
        let mut release = Vec::with_capacity(4);
        let (first, end) = self.number_at(self.i)?;
        release.push(first);
        self.i = end;
        while self.peek() == Some(b'.') {
            match self.number_at(self.i + 1) {
                Some((n, end)) => {
                    release.push(n);
                    self.i = end;
                }
                None => break,
            }
        }
        let pre = self.pre();
        let post = self.post()?;
        let dev = self.dev();
        let local = if self.peek() == Some(b'+') {
            self.i += 1;
            Some(self.local()?)
        } else {
            None
        };
        (self.i == self.s.len()).then_some(Version {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    fn pre(&mut self) -> Option<(Phase, u64)> {
        let start = self.sep_at(self.i);
        const WORDS: [(&str, Phase); 8] = [
            ("alpha", Phase::Alpha),
            ("a", Phase::Alpha),
            ("beta", Phase::Beta),
            ("b", Phase::Beta),
            ("preview", Phase::Rc),
            ("pre", Phase::Rc),
            ("c", Phase::Rc),
            ("rc", Phase::Rc),
        ];
        let (word, phase) = WORDS.iter().find(|(w, _)| self.word_at(start, w))?;
        let mut i = self.sep_at(start + word.len());
        let mut n = 0;
        if let Some((value, end)) = self.number_at(i) {
            n = value;
            i = end;
        }
        self.i = i;
        Some((*phase, n))
    }

    /// `Some(None)`: no post segment; `None`: overflow.
    fn post(&mut self) -> Option<Option<u64>> {
        if self.peek() == Some(b'-')
            && let Some((n, end)) = self.number_at(self.i + 1)
        {
            self.i = end;
            return Some(Some(n));
        }
        let start = self.sep_at(self.i);
        let Some(word) = ["post", "rev", "r"].iter().find(|w| self.word_at(start, w)) else {
            return Some(None);
        };
        let mut i = start + word.len();
        let after_sep = self.sep_at(i);
        let mut n = 0;
        if let Some((value, end)) = self.number_at(after_sep) {
            n = value;
            i = end;
        } else {
            // The separator before an absent number still matches.
            i = after_sep;
        }
        self.i = i;
        Some(Some(n))
    }

    fn dev(&mut self) -> Option<u64> {
        let start = self.sep_at(self.i);
        if !self.word_at(start, "dev") {
            return None;
        }
        let mut i = self.sep_at(start + 3);
        let mut n = 0;
        if let Some((value, end)) = self.number_at(i) {
            n = value;
            i = end;
        }
        self.i = i;
        Some(n)
    }

    fn local(&mut self) -> Option<Vec<LocalPart>> {
        let mut parts = Vec::new();
        loop {
            let start = self.i;
            while self.peek().is_some_and(|b| b.is_ascii_alphanumeric()) {
                self.i += 1;
            }
            let seg = std::str::from_utf8(self.s.get(start..self.i)?).ok()?;
            if seg.is_empty() {
                return None;
            }
            parts.push(if seg.bytes().all(|b| b.is_ascii_digit()) {
                LocalPart::Num(seg.parse().ok()?)
            } else {
                LocalPart::Str(seg.to_ascii_lowercase())
            });
            if self.peek().is_some_and(is_sep)
                && self
                    .at(self.i + 1)
                    .is_some_and(|b| b.is_ascii_alphanumeric())
            {
                self.i += 1;
            } else {
                return Some(parts);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn parses_and_normalises() {
        let cases = [
            ("1.0", "1.0"),
            ("v1.0", "1.0"),
            (" 1.0 ", "1.0"),
            ("1!2.0", "1!2.0"),
            ("1.0alpha1", "1.0a1"),
            ("1.0-beta.2", "1.0b2"),
            ("1.0c1", "1.0rc1"),
            ("1.0preview", "1.0rc0"),
            ("1.0-1", "1.0.post1"),
            ("1.0.rev", "1.0.post0"),
            ("1.0r1", "1.0.post1"),
            ("1.0.DEV", "1.0.dev0"),
            ("1.0a1.post2.dev3+ABC-1_x", "1.0a1.post2.dev3+abc.1.x"),
            ("1.0a.post1", "1.0a0.post1"),
        ];
        for (input, want) in cases {
            assert_eq!(v(input).to_string(), want, "{input}");
        }
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "v",
            "1.",
            ".1",
            "1..2",
            "1.0+",
            "1.0+a..b",
            "1.0 1",
            "a1",
            "1.0.*",
            "1.2+İ",
            "1.0+-a",
            "99999999999999999999999",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn orders_like_packaging() {
        let sorted = [
            "1.0.dev1",
            "1.0a1.dev1",
            "1.0a1",
            "1.0a1.post1",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0+abc",
            "1.0+abc.1",
            "1.0+1",
            "1.0.post1.dev1",
            "1.0.post1",
            "1.1",
            "1!0.1",
        ];
        for pair in sorted.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(v("1.0.0"), v("1"));
        assert_eq!(v("1.0+ABC"), v("1+abc"));
    }
}
