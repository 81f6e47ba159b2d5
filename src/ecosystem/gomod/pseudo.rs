//! Go pseudo-versions (`golang.org/x/mod/module/pseudo.go`): versions that
//! name a commit, `vX.0.0-yyyymmddhhmmss-abcdef123456` (no tag before),
//! `vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef123456` (after release `vX.Y.Z`) and
//! `vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef123456` (after prerelease `vX.Y.Z-pre`),
//! each optionally `+incompatible`.
//!
//! Invariant: total functions, no regex; decimal arithmetic on strings so
//! any patch number works.

use super::semver;

/// The 14-digit timestamp of a pseudo-version.
const TIMESTAMP_LEN: usize = 14;

/// `module.IsPseudoVersion`.
pub fn is_pseudo_version(v: &str) -> bool {
    v.matches('-').count() >= 2 && semver::is_valid(v) && matches_shape(v)
}

/// The pseudo-version regular expression of Go, written out:
/// `^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+build)?$`.
fn matches_shape(v: &str) -> bool {
    let (core, build) = match v.find('+') {
        Some(i) => v.split_at(i),
        None => (v, ""),
    };
    if !build.is_empty()
        && !build[1..]
            .split('.')
            .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return false;
    }
    let Some((head, rev)) = core.rsplit_once('-') else {
        return false;
    };
    if rev.is_empty() || !rev.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    if head.len() < TIMESTAMP_LEN || !head.is_char_boundary(head.len() - TIMESTAMP_LEN) {
        return false;
    }
    let (prefix, stamp) = head.split_at(head.len() - TIMESTAMP_LEN);
    if !stamp.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Some(rest) = prefix.strip_prefix('v') else {
        return false;
    };
    let Some(rest) = split_digits(rest).and_then(|(_, r)| r.strip_prefix('.')) else {
        return false;
    };
    if rest == "0.0-" {
        return true;
    }
    // `\d+\.\d+-([^+]*\.)?0\.`
    let Some((_, rest)) = split_digits(rest) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('.') else {
        return false;
    };
    let Some((_, rest)) = split_digits(rest) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('-') else {
        return false;
    };
    match rest.strip_suffix("0.") {
        Some(pre) => pre.is_empty() || pre.ends_with('.'),
        None => false,
    }
}

/// At least one ASCII digit at the start of `s`, and the rest.
fn split_digits(s: &str) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    (n > 0).then(|| s.split_at(n))
}

/// Why a pseudo-version has no base (Go's wording).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PseudoError {
    #[error("{0:?}: malformed pseudo-version")]
    Malformed(String),
    #[error("missing revision")]
    NoRevision,
    #[error("{version:?}: lacks base version, but has build metadata {build:?}")]
    BuildWithoutBase { version: String, build: String },
    #[error("missing patch number")]
    NoPatch,
    #[error("{version:?}: invalid patch version: {why}")]
    Patch { version: String, why: DecimalError },
    #[error("{0:?}: expected a \".0\" prerelease suffix")]
    NoZeroSuffix(String),
}

/// Why a decimal string cannot be decremented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("not a decimal")]
    NotDecimal,
    #[error("cannot decrement 0")]
    Zero,
}

/// The parts of a pseudo-version: base (`vX.0.0`, `vX.Y.(Z+1)-0` or
/// `vX.Y.Z-pre.0`), timestamp, revision and build suffix.
struct Parts<'a> {
    base: &'a str,
    build: &'a str,
}

fn parse_pseudo(v: &str) -> Result<Parts<'_>, PseudoError> {
    if !is_pseudo_version(v) {
        return Err(PseudoError::Malformed(v.to_string()));
    }
    let build = semver::build(v);
    let core = &v[..v.len() - build.len()];
    let (head, _rev) = core.rsplit_once('-').ok_or(PseudoError::NoRevision)?;
    let dash = head.rfind('-').unwrap_or(0);
    let base = match head.rfind('.') {
        Some(dot) if dot > dash => &head[..dot],
        _ => &head[..dash],
    };
    Ok(Parts { base, build })
}

/// `module.PseudoVersionBase`: the version the pseudo-version was derived
/// from (`""` when there is none), or an error for a malformed one.
pub fn pseudo_version_base(v: &str) -> Result<String, PseudoError> {
    let Parts { base, build } = parse_pseudo(v)?;
    match semver::prerelease(base) {
        "" => {
            if build.is_empty() {
                Ok(String::new())
            } else {
                Err(PseudoError::BuildWithoutBase {
                    version: v.to_string(),
                    build: build.to_string(),
                })
            }
        }
        "-0" => {
            let release = &base[..base.len() - 2];
            let dot = release.rfind('.').ok_or(PseudoError::NoPatch)?;
            let patch = dec_decimal(&release[dot + 1..]).map_err(|why| PseudoError::Patch {
                version: v.to_string(),
                why,
            })?;
            Ok(format!("{}{patch}{build}", &release[..=dot]))
        }
        _ => match base.strip_suffix(".0") {
            Some(b) => Ok(format!("{b}{build}")),
            None => Err(PseudoError::NoZeroSuffix(v.to_string())),
        },
    }
}

/// `module.PseudoVersion` with a fixed timestamp string: the pseudo-version
/// for commit `rev` at `stamp` after tag `older` (or none) in `major`.
pub fn pseudo_version(major: &str, older: &str, stamp: &str, rev: &str) -> String {
    let major = if major.is_empty() { "v0" } else { major };
    let segment = format!("{stamp}-{rev}");
    let build = semver::build(older);
    let older = semver::canonical(older);
    if older.is_empty() {
        return format!("{major}.0.0-{segment}");
    }
    if !semver::prerelease(&older).is_empty() {
        return format!("{older}.0.{segment}{build}");
    }
    let dot = older.rfind('.').map_or(0, |i| i + 1);
    let (release, patch) = older.split_at(dot);
    format!("{release}{}-0.{segment}{build}", inc_decimal(patch))
}

/// A decimal string plus one.
fn inc_decimal(decimal: &str) -> String {
    let mut digits: Vec<u8> = decimal.bytes().collect();
    let mut i = digits.len();
    while i > 0 && digits[i - 1] == b'9' {
        digits[i - 1] = b'0';
        i -= 1;
    }
    if i == 0 {
        digits.insert(0, b'1');
    } else {
        digits[i - 1] += 1;
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// A decimal string minus one; an error for zero or an empty string.
fn dec_decimal(decimal: &str) -> Result<String, DecimalError> {
    if decimal.is_empty() || !decimal.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecimalError::NotDecimal);
    }
    let mut digits: Vec<u8> = decimal.bytes().collect();
    let mut i = digits.len();
    while i > 0 && digits[i - 1] == b'0' {
        digits[i - 1] = b'9';
        i -= 1;
    }
    if i == 0 {
        return Err(DecimalError::Zero);
    }
    if i == 1 && digits[0] == b'1' && digits.len() > 1 {
        digits.remove(0);
    } else {
        digits[i - 1] -= 1;
    }
    Ok(String::from_utf8(digits).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(inc_decimal("99"), "100");
        assert_eq!(inc_decimal("0"), "1");
        assert_eq!(dec_decimal("100").as_deref(), Ok("99"));
        assert_eq!(dec_decimal("10").as_deref(), Ok("9"));
        assert_eq!(dec_decimal("1").as_deref(), Ok("0"));
        assert!(dec_decimal("0").is_err());
        assert!(dec_decimal("").is_err());
    }

    #[test]
    fn bases() {
        let table = [
            ("v1.4.1-0.20230102030405-abcdef123456", Ok("v1.4.0")),
            ("v0.0.0-20230102030405-abcdef123456", Ok("")),
            (
                "v2.0.0-rc.1.0.20230102030405-abcdef123456",
                Ok("v2.0.0-rc.1"),
            ),
            ("v1.4.0", Err(())),
            ("v1.4.1-0.2023010203040-abcdef123456", Err(())),
        ];
        for (v, want) in table {
            let got = pseudo_version_base(v).map_err(|_| ());
            assert_eq!(got.as_deref(), want.as_deref(), "{v}");
        }
    }
}
