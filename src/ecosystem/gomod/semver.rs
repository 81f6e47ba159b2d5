//! Go's semantic versions (`golang.org/x/mod/semver`): always `v`-prefixed,
//! with the shorthands `v1` and `v1.2` (= `v1.0.0`, `v1.2.0`), build metadata
//! ignored by comparison, and invalid versions ordered below every valid one.
//!
//! Invariant: every function is total (no panic on any string) and runs in
//! time linear in its input.

use std::cmp::Ordering;

/// A parsed Go semantic version; the fields borrow from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub major: &'a str,
    pub minor: &'a str,
    pub patch: &'a str,
    /// `-pre.1` with its leading dash, or empty.
    pub prerelease: &'a str,
    /// `+meta` with its leading plus, or empty.
    pub build: &'a str,
    /// Whether the version was written as `v1` or `v1.2`.
    pub short: bool,
}

/// Parse `v` as a Go semantic version.
pub fn parse(v: &str) -> Option<Parsed<'_>> {
    let rest = v.strip_prefix('v')?;
    let (major, rest) = parse_int(rest)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            minor: "0",
            patch: "0",
            prerelease: "",
            build: "",
            short: true,
        });
    }
    let (minor, rest) = parse_int(rest.strip_prefix('.')?)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            minor,
            patch: "0",
            prerelease: "",
            build: "",
            short: true,
        });
    }
    let (patch, mut rest) = parse_int(rest.strip_prefix('.')?)?;
    let mut prerelease = "";
    if rest.starts_with('-') {
        let end = rest.find('+').unwrap_or(rest.len());
        let (pre, tail) = rest.split_at(end);
        if !idents_ok(&pre[1..], true) {
            return None;
        }
        prerelease = pre;
        rest = tail;
    }
    let mut build = "";
    if rest.starts_with('+') {
        if !idents_ok(&rest[1..], false) {
            return None;
        }
        build = rest;
        rest = "";
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Parsed {
        major,
        minor,
        patch,
        prerelease,
        build,
        short: false,
    })
}

/// A decimal without leading zeros at the start of `v`, and the rest.
fn parse_int(v: &str) -> Option<(&str, &str)> {
    let end = v.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 || (end > 1 && v.starts_with('0')) {
        return None;
    }
    Some(v.split_at(end))
}

/// Dot-separated non-empty identifiers of `[0-9A-Za-z-]`; numeric ones
/// without leading zeros when `numeric_rule` (prereleases).
fn idents_ok(s: &str, numeric_rule: bool) -> bool {
    s.split('.').all(|id| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !(numeric_rule && is_num(id) && id.len() > 1 && id.starts_with('0'))
    })
}

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `semver.IsValid`.
pub fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

/// `semver.Canonical`: `vMAJOR.MINOR.PATCH[-PRE]`, build dropped; `""` when
/// invalid.
pub fn canonical(v: &str) -> String {
    match parse(v) {
        Some(p) => format!("v{}.{}.{}{}", p.major, p.minor, p.patch, p.prerelease),
        None => String::new(),
    }
}

/// `semver.Major`: `v2`, or `""` when invalid.
pub fn major(v: &str) -> String {
    parse(v)
        .map(|p| format!("v{}", p.major))
        .unwrap_or_default()
}

/// `semver.Prerelease`: `-pre`, or `""`.
pub fn prerelease(v: &str) -> &str {
    parse(v).map(|p| p.prerelease).unwrap_or_default()
}

/// `semver.Build`: `+meta`, or `""`.
pub fn build(v: &str) -> &str {
    parse(v).map(|p| p.build).unwrap_or_default()
}

/// `semver.Compare`: invalid versions are equal to each other and below
/// every valid version; build metadata is ignored.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => compare_int(x.major, y.major)
            .then_with(|| compare_int(x.minor, y.minor))
            .then_with(|| compare_int(x.patch, y.patch))
            .then_with(|| compare_prerelease(x.prerelease, y.prerelease)),
    }
}

/// Decimal strings without leading zeros, compared by value.
fn compare_int(x: &str, y: &str) -> Ordering {
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

fn compare_prerelease(x: &str, y: &str) -> Ordering {
    match (x.is_empty(), y.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let mut xs = x[1..].split('.');
    let mut ys = y[1..].split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(dx), Some(dy)) => {
                let ord = match (is_num(dx), is_num(dy)) {
                    (true, true) => compare_int(dx, dy),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => dx.cmp(dy),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// The Go form of a release: `v` + the version, build metadata dropped
/// (Go's canonical form keeps none).
pub fn from_semver(to: &semver::Version) -> String {
    let mut s = format!("v{}.{}.{}", to.major, to.minor, to.patch);
    if !to.pre.is_empty() {
        s.push('-');
        s.push_str(to.pre.as_str());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_canonicalises() {
        let table = [
            ("v1", "v1.0.0"),
            ("v1.2", "v1.2.0"),
            ("v1.2.3+meta", "v1.2.3"),
            ("v1.2.3-pre.1+m", "v1.2.3-pre.1"),
            ("v01.2.3", ""),
            ("1.2.3", ""),
            ("v1.2.3-01", ""),
            ("v1.2.3-", ""),
            ("v1.2.3+", ""),
            ("v1.2.3-a..b", ""),
            ("v", ""),
            ("", ""),
            ("v1.2.3.4", ""),
            ("vé", ""),
        ];
        for (v, want) in table {
            assert_eq!(canonical(v), want, "{v}");
        }
    }

    #[test]
    fn compares() {
        use Ordering::*;
        let table = [
            ("v1.0.0", "v1.0.0+x", Equal),
            ("v1.0.0-alpha", "v1.0.0", Less),
            ("v1.0.0-alpha.1", "v1.0.0-alpha.beta", Less),
            ("v1.0.0-2", "v1.0.0-10", Less),
            ("v1.10.0", "v1.9.0", Greater),
            ("bad", "v0.0.0", Less),
            ("bad", "worse", Equal),
            ("v1.0.0-a", "v1.0.0-a.b", Less),
        ];
        for (a, b, want) in table {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn go_form_of_a_release() {
        let v = semver::Version::parse("2.0.3-rc.1+build.5").unwrap();
        assert_eq!(from_semver(&v), "v2.0.3-rc.1");
        assert_eq!(from_semver(&semver::Version::new(2, 0, 3)), "v2.0.3");
    }
}
