//! npm dependency specifiers (`package.json` values): registry ranges and
//! dist-tags, `npm:` aliases, the `workspace:` protocol, git URLs and
//! shorthands, paths and tarballs.
//!
//! Invariant: every offset returned points into the specifier text given,
//! at the start of the part a rewrite may replace (the range or the git
//! reference), so `spec[offset..]` is exactly the editable text.

use crate::ecosystem::GitRef;

/// What a dependency value means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec<'a> {
    /// A range or dist-tag resolved against the registry (`^1.4.0`,
    /// `latest`, `""`).
    Registry { range: &'a str },
    /// `npm:<name>@<range>`: the package `name` under another key; `range`
    /// starts at `offset` (`None` when no range is written).
    Alias {
        name: &'a str,
        range: &'a str,
        offset: Option<usize>,
    },
    /// `workspace:<range>` (pnpm, yarn berry).
    Workspace { range: &'a str, offset: usize },
    /// A git URL or hosted shorthand; `reference` is what follows `#` (the
    /// range after `semver:` for [`GitRef::Semver`]), at `offset`.
    Git {
        url: &'a str,
        reference: GitRef,
        offset: Option<usize>,
    },
    /// A local path, link or tarball: nothing to bump.
    Local,
}

/// Classify one dependency value.
pub fn classify(spec: &str) -> Spec<'_> {
    if let Some(rest) = spec.strip_prefix("npm:") {
        let offset = 4;
        let at = rest.get(1..).and_then(|r| r.find('@')).map(|i| i + 1);
        return match at {
            Some(at) => Spec::Alias {
                name: rest.get(..at).unwrap_or(""),
                range: rest.get(at + 1..).unwrap_or(""),
                offset: Some(offset + at + 1),
            },
            None => Spec::Alias {
                name: rest,
                range: "",
                offset: None,
            },
        };
    }
    if let Some(range) = spec.strip_prefix("workspace:") {
        return if is_workspace_range(range) {
            Spec::Workspace {
                range,
                offset: "workspace:".len(),
            }
        } else {
            Spec::Local
        };
    }
    if is_local(spec) {
        return Spec::Local;
    }
    if is_git(spec) {
        return git(spec);
    }
    if spec.starts_with("http://") || spec.starts_with("https://") {
        return Spec::Local;
    }
    Spec::Registry { range: spec }
}

/// `*`, `^`, `~` or something that parses as a range (yarn's
/// `workspace:packages/core` is a path instead).
fn is_workspace_range(range: &str) -> bool {
    matches!(range, "*" | "^" | "~")
        || !range.contains('/') && super::node_semver::Range::parse(range, super::LOOSE).is_some()
}

fn is_local(spec: &str) -> bool {
    [
        "file:", "link:", "portal:", "./", "../", "/", "~/", ".\\", "..\\",
    ]
    .iter()
    .any(|p| spec.starts_with(p))
        || spec == "."
        || spec == ".."
        || spec.ends_with(".tgz") && !spec.contains("://")
        || spec.len() > 2
            && spec.as_bytes().get(1) == Some(&b':')
            && spec.as_bytes().get(2) == Some(&b'\\')
}

fn is_git(spec: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        "git+",
        "git://",
        "git@",
        "github:",
        "gitlab:",
        "bitbucket:",
        "gist:",
        "ssh://",
    ];
    if PREFIXES.iter().any(|p| spec.starts_with(p)) {
        return true;
    }
    let url = spec.split('#').next().unwrap_or("");
    if (url.starts_with("http://") || url.starts_with("https://")) && url.ends_with(".git") {
        return true;
    }
    // `owner/repo` or `owner/repo#ref`: npm's GitHub shorthand.
    let mut parts = url.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(owner), Some(repo), None) => {
            let ok = |s: &str| {
                !s.is_empty()
                    && !s.starts_with('.')
                    && !s.starts_with('@')
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            };
            ok(owner) && ok(repo)
        }
        _ => false,
    }
}

fn git(spec: &str) -> Spec<'_> {
    let Some(hash) = spec.find('#') else {
        return Spec::Git {
            url: spec,
            reference: GitRef::DefaultBranch,
            offset: None,
        };
    };
    let url = spec.get(..hash).unwrap_or("");
    let committish = spec.get(hash + 1..).unwrap_or("");
    if let Some(range) = committish.strip_prefix("semver:") {
        return Spec::Git {
            url,
            reference: GitRef::Semver(range.to_string()),
            offset: Some(hash + 1 + "semver:".len()),
        };
    }
    let reference = if committish.is_empty() {
        GitRef::DefaultBranch
    } else if is_commit(committish) {
        GitRef::Rev(committish.to_string())
    } else if GitTag::parse(committish).is_some() {
        GitRef::Tag(committish.to_string())
    } else {
        GitRef::Branch(committish.to_string())
    };
    let offset = (!committish.is_empty()).then_some(hash + 1);
    Spec::Git {
        url,
        reference,
        offset,
    }
}

/// A hex commit id (7 to 40 digits).
fn is_commit(s: &str) -> bool {
    (7..=40).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_hexdigit())
        && s.bytes().any(|b| b.is_ascii_digit())
}

/// A version-bearing git tag: `prefix` + `1.4.0` (`v1.4.0`,
/// `core-utils-v1.4.0`, `release/1.4`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitTag<'a> {
    pub prefix: &'a str,
    /// The numeric components written (1 to 3).
    pub parts: Vec<u64>,
    pub pre: Option<&'a str>,
}

impl<'a> GitTag<'a> {
    pub fn parse(tag: &'a str) -> Option<GitTag<'a>> {
        let bytes = tag.as_bytes();
        let start = (0..bytes.len()).find(|&i| {
            bytes.get(i).is_some_and(u8::is_ascii_digit)
                && (i == 0
                    || bytes
                        .get(i - 1)
                        .is_some_and(|b| matches!(b, b'v' | b'V' | b'-' | b'_' | b'/' | b'@')))
        })?;
        let prefix = tag.get(..start)?;
        let rest = tag.get(start..)?;
        let (numbers, pre) = match rest.split_once('-') {
            Some((n, p)) if !p.is_empty() => (n, Some(p)),
            Some(_) => return None,
            None => (rest, None),
        };
        let parts: Vec<u64> = numbers
            .split('.')
            .map(|n| {
                n.bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| n.parse().ok())
                    .flatten()
            })
            .collect::<Option<_>>()?;
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        Some(GitTag { prefix, parts, pre })
    }

    /// The version the tag names (missing components are zero).
    pub fn version(&self) -> semver::Version {
        let get = |i: usize| self.parts.get(i).copied().unwrap_or(0);
        let mut v = semver::Version::new(get(0), get(1), get(2));
        if let Some(pre) = self.pre {
            v.pre = semver::Prerelease::new(pre).unwrap_or(semver::Prerelease::EMPTY);
        }
        v
    }

    /// The same tag style naming `to`, at the precision written.
    pub fn with_version(&self, to: &semver::Version) -> String {
        let mut out = self.prefix.to_string();
        let parts = [to.major, to.minor, to.patch];
        let n = self.parts.len().clamp(1, 3);
        let written: Vec<String> = parts.iter().take(n).map(u64::to_string).collect();
        out.push_str(&written.join("."));
        if n == 3 && !to.pre.is_empty() {
            out.push('-');
            out.push_str(to.pre.as_str());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_specs() {
        assert_eq!(classify("^1.4.0"), Spec::Registry { range: "^1.4.0" });
        assert_eq!(
            classify("npm:@acme/core-utils@^1.4.0"),
            Spec::Alias {
                name: "@acme/core-utils",
                range: "^1.4.0",
                offset: Some(21)
            }
        );
        assert_eq!(
            classify("workspace:*"),
            Spec::Workspace {
                range: "*",
                offset: 10
            }
        );
        assert_eq!(classify("workspace:packages/core"), Spec::Local);
        assert_eq!(classify("file:../core"), Spec::Local);
        assert_eq!(classify("https://x.org/core-utils-1.4.0.tgz"), Spec::Local);
        let git = |s| match classify(s) {
            Spec::Git {
                reference, offset, ..
            } => Some((reference, offset)),
            _ => None,
        };
        let url = "git+https://github.com/acme/core-utils.git#v1.4.0";
        assert_eq!(git(url), Some((GitRef::Tag("v1.4.0".into()), Some(43))));
        assert_eq!(
            git("github:acme/core-utils#semver:^1.4.0"),
            Some((GitRef::Semver("^1.4.0".into()), Some(30)))
        );
        assert_eq!(
            git("acme/core-utils#main"),
            Some((GitRef::Branch("main".into()), Some(16)))
        );
        assert_eq!(
            git("acme/core-utils#1a2b3c4d"),
            Some((GitRef::Rev("1a2b3c4d".into()), Some(16)))
        );
        assert_eq!(git("acme/core-utils"), Some((GitRef::DefaultBranch, None)));
    }

    #[test]
    fn git_tags_keep_their_style() {
        let to = semver::Version::new(2, 0, 3);
        for (tag, want) in [
            ("v1.4.0", "v2.0.3"),
            ("1.4.0", "2.0.3"),
            ("core-utils-v1.4.0", "core-utils-v2.0.3"),
            ("release/1.4", "release/2.0"),
        ] {
            assert_eq!(GitTag::parse(tag).unwrap().with_version(&to), want);
        }
        assert!(GitTag::parse("main").is_none());
        assert!(GitTag::parse("release-1.x").is_none());
    }
}
