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

    /// Generated with `packaging` 26.3: `str(Version(s))`, or `None` when it
    /// raises `InvalidVersion`.
    #[test]
    fn differential_against_packaging() {
        let cases: &[(&str, Option<&str>)] = &[
            (" 10.01_RC..post02", Some("10.1rc0.post2")),
            ("v0.0.0..dev-1+abc", None),
            ("V0.2.2-1dev.*", None),
            (" 1.2.2 _b._DEV.02", None),
            ("v10_rc1", Some("10rc1")),
            ("3!01.0.0-a-1post.02+a-b_c", Some("3!1.0.0a1.post2+a.b.c")),
            (" 3!1.10.1.RC.02.-_02dev", None),
            (" 3!01.1_post-+abc*", None),
            (" 0!2-rev_1", Some("2.post1")),
            ("v10DEV02 ", Some("10.dev2")),
            ("0.1_post_", Some("0.1.post0")),
            (" 01.", None),
            (" 0.01.01.-_1.", None),
            ("v10.10-rc_-dev.", Some("10.10rc0.dev0")),
            ("1.0.pre_02", Some("1.0rc2")),
            (" 2-RC-1", Some("2rc1")),
            ("v2!1r02_DEV.02+A", Some("2!1.post2.dev2+a")),
            ("2!01.01.post_02_DEV.02 x", None),
            (" 0+A", Some("0+a")),
            ("V2.0_beta_1DEV", Some("2.0b1.dev0")),
            ("v01.10.10-dev-1", Some("1.10.10.dev1")),
            ("v01post_+A", Some("1.post0+a")),
            ("1.0.01.DEV_", Some("1.0.1.dev0")),
            (" 1-c.post-1+A ", Some("1rc0.post1+a")),
            ("V01.10.0.A.02.dev.02", Some("1.10.0a2.dev2")),
            ("v1.1c.DEV_02*", None),
            ("2!0.01.b__rev..dev-02+abc*", None),
            ("10.10.RC-.dev_1", Some("10.10rc0.dev1")),
            ("v01pre.02-DEV02*", None),
            ("v2.10.1-r_-dev.1", Some("2.10.1.post0.dev1")),
            ("V3!1.01.0", Some("3!1.1.0")),
            ("0!1.2.10.pre-r_02", Some("1.2.10rc0.post2")),
            ("0.10.1", Some("0.10.1")),
            (" 10.01.2-A-02dev02+1.", None),
            ("10.0.01.-_1+x..y*", None),
            ("v01_preview.dev-1+A", Some("1rc0.dev1+a")),
            ("V10.2.01-c.1-r-1", Some("10.2.1rc1.post1")),
            ("v1dev1+abc", Some("1.dev1+abc")),
            ("2!0.beta_1-r_02dev_02", Some("2!0b1.post2.dev2")),
            (" 10.1.DEV-02+a-b_c ", Some("10.1.dev2+a.b.c")),
            (" 10.2-rc02-r.-DEV1", Some("10.2rc2.post0.dev1")),
            ("V10.2.-a-02_rev-1", None),
            ("v3!0.1", Some("3!0.1")),
            ("01.0beta_dev.1", Some("1.0b0.dev1")),
            (" 2.1", Some("2.1")),
            ("V0.10", Some("0.10")),
            (" 1.beta.1-r1DEV.", Some("1b1.post1.dev0")),
            ("2..RC_02-DEV.1", None),
            (" 10.2.-", None),
            ("V1+A", Some("1+a")),
            ("v1.2-post.02+1.", None),
            ("v2.-dev.1+-q*", None),
            ("v3!10.1.2-preview1.post_02", Some("3!10.1.2rc1.post2")),
            (" 3!10.1.2.rev-02-DEV_02", Some("3!10.1.2.post2.dev2")),
            ("v2_beta_1.post.02+1.2", Some("2b1.post2+1.2")),
            (" 0.r_02.dev_1", Some("0.post2.dev1")),
            ("2.1.01.beta-02_rev-1 x", None),
            ("v01.1.01 ", Some("1.1.1")),
            ("v1-beta1-.", None),
            ("V2!1.0.0 -c.02DEV.02+1.", None),
            (" 0.1.1_b_.r.02+1..", None),
            (" 0.10.2", Some("0.10.2")),
            (" 10.10.0", Some("10.10.0")),
            ("V01.10dev1+1.", None),
            ("01", Some("1")),
            ("V01.1 .dev_+-q", None),
            ("V3!01.10.preview-1.-.dev-1.", None),
            ("v0!0.2.2_c-02 x", None),
            ("2.-r02", None),
            ("v1.0A-DEV+1..", None),
            ("V1RC_02_post.", Some("1rc2.post0")),
            (" 2.01.01+A", Some("2.1.1+a")),
            (" 1.2_alpha", Some("1.2a0")),
            ("v0.01.10+abc", Some("0.1.10+abc")),
            ("v2", Some("2")),
            (" 1!2.1 _preview-02rev_02+A", None),
            ("3!1.0.10", Some("3!1.0.10")),
            ("v0!1.10.10.-RC.r.1", None),
            (" 10.preview.1_r_1*", None),
            ("v0.0-RC02--.1dev-", None),
            ("2!10.0-A1.-.dev.1", None),
            ("v2.2.10.alpha_1-rev1.dev", Some("2.2.10a1.post1.dev0")),
            ("2.0.1beta.02_post_1_DEV-1", Some("2.0.1b2.post1.dev1")),
            (" 1!1.01 +1.", None),
            ("2_--1 ", None),
            ("V01.2.-r02+abc", None),
            (" 2 _post.02", None),
            ("1!1.2A__post-1DEV.02.", None),
            ("v3!2.2.10 .beta-02.post", None),
            (" 3!0.2 -beta-.rev_02", None),
            ("v3!2.1.1", Some("3!2.1.1")),
            ("V10.10.1.-post_1", None),
            ("v10.2 .DEV.1+abc", None),
            ("V0.1.alpha_1-.1 ", None),
            ("V1.pre__post.02", Some("1rc0.post2")),
            ("v10rev02-dev-.", None),
            ("01.DEV_02", Some("1.dev2")),
            ("1!2-beta_1r1.dev02+a-b_c", Some("1!2b1.post1.dev2+a.b.c")),
            ("v1a_02r.", Some("1a2.post0")),
            ("10.10_c- x", None),
            ("3!0.1.01", Some("3!0.1.1")),
            ("3!10.10post_1dev-", Some("3!10.10.post1.dev0")),
            ("V1.10.preview.post02-dev.", Some("1.10rc0.post2.dev0")),
            ("V0.10.1-__dev x", None),
            ("2._-+-q", None),
            ("v10.0", Some("10.0")),
            ("v1!01alpha-02dev.02", Some("1!1a2.dev2")),
            (" 0!2.10.2_c_rev_02DEV02", Some("2.10.2rc0.post2.dev2")),
            (" 10.01.1_beta-02-r02+a-b_c x", None),
            (" 0.01.-post-", None),
            ("10.rev1.dev", Some("10.post1.dev0")),
            ("v1.10.2post.02", Some("1.10.2.post2")),
            (" 10-a1post-02+1.2 ", Some("10a1.post2+1.2")),
            ("V1!01.RC_.", None),
            ("v1.10.01dev.", Some("1.10.1.dev0")),
            ("v0!0.10+A", Some("0.10+a")),
            ("v0!10.2.10.", None),
            ("V0!10.10_b1_DEV_", Some("10.10b1.dev0")),
            ("1.01_post02", Some("1.1.post2")),
            ("V01.preview02dev-02+1.", None),
            ("V01.0.-rev.1+1.", None),
            (" 1.2.0-_1", None),
            ("0!1.10dev-02", Some("1.10.dev2")),
            ("01.0.1 -DEV_", None),
            ("v10.10_b.02r.02_DEV_1*", None),
            ("V3!2alpha1.-02_DEV_1+1.2", None),
            ("1.0.2.--1.dev.02", None),
            ("v1.2.2-dev.1+x..y", None),
            ("V1!10.0 _dev.02+1.", None),
            ("V2.01 .r-dev-+x..y", None),
            ("v2.1._RC.02", None),
            (" 0_rc1.post_", Some("0rc1.post0")),
            ("v2.1", Some("2.1")),
            ("01.01.01.a-post_.dev1+1.", None),
            (" 2.2 .alpha02-r_02_dev.+A", None),
            ("V2!01.01.2-rc1+abc", Some("2!1.1.2rc1+abc")),
            ("1!1.0-post1", Some("1!1.0.post1")),
            ("v10dev_.", None),
            ("v1!1.2-post..DEV-1", Some("1!1.2.post0.dev1")),
            ("v1-rev1", Some("1.post1")),
            ("V1 +a-b_c", None),
            ("3!01.10_a_02r..dev", Some("3!1.10a2.post0.dev0")),
            ("2 ---02+1.2", None),
            (" 10.2.2", Some("10.2.2")),
            (" 1.2 -alpha02DEV_02+A", None),
            (" 01.10.0 .post-02DEV", None),
            ("0!2.01.-dev.02", None),
            ("v2.2.1 .a02", None),
            (" 0.1.0 .r.02+1.", None),
            (" 01 -dev", None),
            ("v1-c02r-+x..y", None),
            (" 0.2 A1+x..y", None),
            (" 2 _rc_+A", None),
            (" 01.2.01dev.02", Some("1.2.1.dev2")),
            ("V0!0.10.0_rc-_DEV.1", Some("0.10.0rc0.dev1")),
            ("v1.01.10._pre1_-", None),
            ("V0.2.2 dev-1+-q", None),
            (" 01 _-_02", None),
            (" 1 -rc02", None),
            (" 2.0_alpha.02dev_", Some("2.0a2.dev0")),
            ("V10.2.2+1.", None),
            ("2!10.2.1", Some("2!10.2.1")),
            ("v0!10.01alpha-1-dev-", Some("10.1a1.dev0")),
            ("V0.01.2-RC.post02DEV02", Some("0.1.2rc0.post2.dev2")),
            ("V01.---DEV.02+x..y", None),
            ("V1.1-r.1+a-b_c*", None),
            ("0.01.01 -preview_.DEV02+-q", None),
            (" 01..alpha-1-r_02.dev.", None),
            ("V10.01.1-preview_02", Some("10.1.1rc2")),
            ("V2!0.0.beta_02_post_02", Some("2!0.0b2.post2")),
            ("v1!2.01.10-A-.DEV1", Some("1!2.1.10a0.dev1")),
            (" 01.0.01.preview.1", Some("1.0.1rc1")),
            ("1!0.1.2.DEV.02+1.2 ", Some("1!0.1.2.dev2+1.2")),
            ("v0.1.10", Some("0.1.10")),
            ("0.01.2.-_02+a-b_c", None),
            ("v2.pre-1_-_+abc", None),
            ("V1.01-.1dev+A", None),
            (" 1.2.0-c_rev02-dev+1.2", Some("1.2.0rc0.post2.dev0+1.2")),
            (" 1!1_post_+x..y x", None),
            ("10.2.01.-b1-rev02", None),
            ("V01-dev_02+x..y*", None),
            (" 0_rev-1.", None),
            ("V1.01.2 r-1.", None),
            (" 3!10.2-preview.02.dev_1", Some("3!10.2rc2.dev1")),
            ("v2.0.2.-alpha_1DEV.+1.2", None),
            ("v0r-1", Some("0.post1")),
            ("V2!10.10.1 +a-b_c.", None),
            ("V0.2.0_DEV_1+abc*", None),
            ("10 .c_02--.02.DEV.+abc", None),
            ("1alpha1dev02", Some("1a1.dev2")),
            ("v1.10.10-.1", None),
            ("1.DEV.02", Some("1.dev2")),
            ("V1.10.0..pre_02dev.02*", None),
            (" 2!2.0-A-02", Some("2!2.0a2")),
            ("V0.1.2", Some("0.1.2")),
            ("V1.0_rc-1_dev.02", Some("1.0rc1.dev2")),
            (" 0!0.0_-_1_DEV-1", None),
            ("0!01.r-02-dev_02+1.2", Some("1.post2.dev2+1.2")),
            ("3!01.01.10..", None),
            (" 2!01.2.0_post..DEV-02", Some("2!1.2.0.post0.dev2")),
            ("3!01.", None),
            (" 10.1", Some("10.1")),
            (" 0!10-r_1-DEV-02*", None),
            ("V0.10.1-rc-.post_1DEV1", Some("0.10.1rc0.post1.dev1")),
            ("3!10.0_preview-+1. x", None),
            ("V1.b_1-dev1", Some("1b1.dev1")),
            ("2!10.0.--1dev-1+a-b_c", None),
            ("V0.2post-1.dev_02+abc", Some("0.2.post1.dev2+abc")),
            (" 0_b-1", Some("0b1")),
            ("v01.01", Some("1.1")),
            ("10._post-1.DEV-", None),
            ("01.0.0.b_1_rev-02+a-b_c", Some("1.0.0b1.post2+a.b.c")),
            (" 01.rc.1", Some("1rc1")),
            ("V1. ", None),
            ("01.0_c-02", Some("1.0rc2")),
            ("v1!1pre-02", Some("1!1rc2")),
            ("0!10.0.01.beta_1-_1+A", None),
            ("3!1 dev-02+abc", None),
            (" 01 x", None),
            (" 1.0.01DEV-", Some("1.0.1.dev0")),
            ("V0!2.10.0 beta.02DEV_02+A", None),
            ("V0.10.alpha_.post.02_DEV.1", Some("0.10a0.post2.dev1")),
            ("V3!0.0._RC_1", None),
            ("V0.01A.+1.*", None),
            (" 2.0_b-02_r.1", Some("2.0b2.post1")),
            ("V2.1.RC_", Some("2.1rc0")),
            (" 2.1.c_02-r-+abc", Some("2.1rc2.post0+abc")),
            ("1!2.DEV x", None),
            ("v2!0.0.2_rev.-dev.1+-q", None),
            ("3!0.01", Some("3!0.1")),
            ("v2!01post02", Some("2!1.post2")),
            ("v3!1.0.1._pre02-rev02.DEV_", None),
            ("v10.1.10-rev1", Some("10.1.10.post1")),
            ("V2!2", Some("2!2")),
            ("10pre_02post_ ", Some("10rc2.post0")),
            (" 0!01 -postdev1+1.2", None),
            (" 1.10.1 _c1.DEV-1", None),
            ("v1.01alphadev.02+1.", None),
            ("v1", Some("1")),
            ("V3!1pre.02rev.1_DEV1+A", Some("3!1rc2.post1.dev1+a")),
            (" 0.1.2c.02", Some("0.1.2rc2")),
            ("v3!01.1.2", Some("3!1.1.2")),
            ("V10.01.", None),
            ("2!01.1.10", Some("2!1.1.10")),
            ("V0!10.10-alpha..dev.1+1.", None),
            ("v0.10-post_02_DEV.02", Some("0.10.post2.dev2")),
            ("10.-.1-DEV_02", None),
            ("v01.2.2 ", Some("1.2.2")),
            (" 01.1 ", Some("1.1")),
            ("0.1_a.1--1", None),
        ];
        let mut failures = Vec::new();
        for (input, want) in cases {
            let got = Version::parse(input).map(|v| v.to_string());
            if got.as_deref() != *want {
                failures.push(format!("{input:?}: want {want:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
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
