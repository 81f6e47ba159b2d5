//! Git dependencies: judging a `tag`, `rev` or `branch` pin against a new
//! release and writing the new tag in the old tag's style.
//!
//! Invariant: only a tag that visibly holds a version is rewritten (its
//! prefix kept: `v1.4.0` -> `v2.0.3`, `core-utils-v1.4.0` ->
//! `core-utils-v2.0.3`); a commit pin is never guessed at.

use semver::Version;

use super::req::compat_key;
use crate::ecosystem::{Classification, GitRef, Judgement};

/// A tag split into its prefix and the version it names: `v1.4.0` ->
/// (`v`, 1.4.0). The version runs to the end of the tag; a two-part
/// version (`v1.4`) counts as `1.4.0`.
pub fn tag_version(tag: &str) -> Option<(&str, Version)> {
    let bytes = tag.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let starts_number =
            b.is_ascii_digit() && (i == 0 || bytes.get(i - 1).is_some_and(|p| !p.is_ascii_digit()));
        if !starts_number {
            continue;
        }
        let (prefix, rest) = (tag.get(..i)?, tag.get(i..)?);
        if let Ok(v) = Version::parse(rest) {
            return Some((prefix, v));
        }
        let parts: Vec<&str> = rest.split('.').collect();
        if let [major, minor] = parts.as_slice()
            && let (Ok(major), Ok(minor)) = (major.parse(), minor.parse())
        {
            return Some((prefix, Version::new(major, minor, 0)));
        }
    }
    None
}

/// The tag for `to` in the style of `old`, if `old` names a version.
pub fn new_tag(old: &str, to: &Version) -> Option<String> {
    tag_version(old).map(|(prefix, _)| format!("{prefix}{to}"))
}

/// Judge a git pin against `to`.
pub fn judge(reference: &GitRef, to: &Version, locked: Option<&str>) -> Judgement {
    let locked = locked.and_then(|l| Version::parse(l.trim()).ok());
    let up_to_date = |current: Option<&Version>| current.is_some_and(|c| c >= to);
    let crossing = |base: Option<&Version>| match base {
        Some(b) if compat_key(b) == compat_key(to) => Classification::Rewrite,
        Some(_) => Classification::Major,
        None => Classification::Rewrite,
    };
    match reference {
        GitRef::Tag(tag) => {
            let tagged = tag_version(tag).map(|(_, v)| v);
            let admits = tagged.as_ref() == Some(to);
            let current = locked.as_ref().or(tagged.as_ref());
            if up_to_date(current) {
                return plain(admits, Classification::UpToDate);
            }
            let classification = crossing(tagged.as_ref().or(locked.as_ref()));
            match new_tag(tag, to) {
                Some(new) => Judgement {
                    admits,
                    classification,
                    new_requirement: Some(new),
                    unrewritable: None,
                },
                None => Judgement {
                    admits,
                    classification,
                    new_requirement: None,
                    unrewritable: Some(format!("git tag `{tag}` names no version")),
                },
            }
        }
        GitRef::Rev(rev) => {
            if up_to_date(locked.as_ref()) {
                return plain(false, Classification::UpToDate);
            }
            Judgement {
                admits: false,
                classification: crossing(locked.as_ref()),
                new_requirement: None,
                unrewritable: Some(format!("pinned to commit {rev}")),
            }
        }
        GitRef::Branch(_) | GitRef::DefaultBranch | GitRef::Semver(_) => {
            if up_to_date(locked.as_ref()) {
                plain(true, Classification::UpToDate)
            } else {
                plain(true, Classification::LockfileOnly)
            }
        }
    }
}

fn plain(admits: bool, classification: Classification) -> Judgement {
    Judgement {
        admits,
        classification,
        new_requirement: None,
        unrewritable: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_keep_their_style() {
        let to = Version::parse("2.0.3").unwrap();
        let cases = [
            ("v1.4.0", Some("v2.0.3")),
            ("1.4.0", Some("2.0.3")),
            ("core-utils-v1.4.0", Some("core-utils-v2.0.3")),
            ("core-utils2-v1.4.0", Some("core-utils2-v2.0.3")),
            ("release/1.4", Some("release/2.0.3")),
            ("v1.4.0-rc.1", Some("v2.0.3")),
            ("stable", None),
            ("", None),
        ];
        for (old, want) in cases {
            assert_eq!(new_tag(old, &to).as_deref(), want, "{old}");
        }
    }
}
