//! A new version of the library (a `release`, or a tag for
//! `release_source: tags`) → a rollout, per the config's policy.
//!
//! [`decide`] is pure: which repository, which source, the tag pattern,
//! prereleases, the minimum release age (a young release is scheduled at
//! `published + age`, not dropped). A version to start becomes a
//! [`crate::rollout::Request::NewVersion`] for the rollout service, which
//! owns start-or-supersede (one rollout per library version; a newer one
//! supersedes the live rollout; an older one is refused and audited).

use crate::config::Config;
use crate::config::schema::ReleaseSource;
use crate::discover::latest_version;
use crate::rollout::Timestamp;
use crate::rollout::service::matching::same_repo;

/// Where a version was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A `release` delivery.
    Release,
    /// A `create` or `push` of a tag.
    Tag,
}

/// A version of the library seen in a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen<'a> {
    /// Where it came from.
    pub source: Source,
    /// `owner/name` of the repository.
    pub repository: &'a str,
    /// The tag name.
    pub tag: &'a str,
    /// GitHub's prerelease flag (releases only).
    pub prerelease: bool,
    /// A draft release (never rolled out).
    pub draft: bool,
    /// When it was published (release) or received (tag).
    pub published: Timestamp,
}

/// What to do about a version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Nothing, with why.
    Ignore(String),
    /// Not before `due`.
    Schedule {
        /// `published + minimum_release_age`.
        due: Timestamp,
        /// Why.
        why: String,
    },
    /// Roll this version out.
    Start(semver::Version),
}

/// The policy, as a pure function of the config, the event and the time.
pub fn decide(config: &Config, seen: &Seen<'_>, now: Timestamp) -> Decision {
    let lib = &config.library;
    if !same_repo(&lib.repository, seen.repository) {
        return Decision::Ignore(format!(
            "{} is not the library's repository ({})",
            seen.repository, lib.repository
        ));
    }
    let wanted = match lib.release_source {
        ReleaseSource::Releases => Source::Release,
        ReleaseSource::Tags => Source::Tag,
    };
    if seen.source != wanted {
        return Decision::Ignore(format!(
            "library.release_source is {}: {} events do not start rollouts",
            match wanted {
                Source::Release => "releases",
                Source::Tag => "tags",
            },
            match seen.source {
                Source::Release => "release",
                Source::Tag => "tag",
            }
        ));
    }
    if seen.draft {
        return Decision::Ignore(format!("{} is a draft release", seen.tag));
    }
    let tags = [seen.tag.to_owned()];
    let Some(version) = latest_version(&tags, &lib.tag_pattern, true) else {
        return Decision::Ignore(format!(
            "tag {} does not match library.tag_pattern `{}`",
            seen.tag, lib.tag_pattern
        ));
    };
    if (seen.prerelease || !version.pre.is_empty()) && !lib.prereleases {
        return Decision::Ignore(format!(
            "{} is a prerelease and library.prereleases is off",
            seen.tag
        ));
    }
    let due = seen.published.plus(lib.minimum_release_age);
    if now < due {
        return Decision::Schedule {
            due,
            why: format!(
                "{} is younger than library.minimum_release_age ({}): rollout scheduled",
                seen.tag,
                crate::config::values::format_duration(lib.minimum_release_age)
            ),
        };
    }
    Decision::Start(version)
}

/// RFC 3339 (`2026-03-01T12:00:00Z`) as a timestamp.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| Timestamp(t.timestamp_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const CONFIG: &str = "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n  minimum_release_age: 1h\n";

    fn config(extra: &str) -> Config {
        Config::parse_in(
            &format!("{CONFIG}{extra}"),
            "t.yaml",
            std::path::Path::new("/tmp"),
        )
        .unwrap()
    }

    #[test]
    fn decisions() {
        let t0 = Timestamp(1_800_000_000_000);
        let hour = Duration::from_secs(3600);
        let base = Seen {
            source: Source::Release,
            repository: "acme/core-utils",
            tag: "v2.0.0",
            prerelease: false,
            draft: false,
            published: t0,
        };
        let v200 = semver::Version::new(2, 0, 0);
        let c = config("");
        let cases: Vec<(Seen, Timestamp, &str)> = vec![
            (base.clone(), t0.plus(hour), "start"),
            (base.clone(), t0, "schedule"),
            (
                Seen {
                    repository: "acme/other",
                    ..base.clone()
                },
                t0.plus(hour),
                "ignore",
            ),
            (
                Seen {
                    source: Source::Tag,
                    ..base.clone()
                },
                t0.plus(hour),
                "ignore",
            ),
            (
                Seen {
                    draft: true,
                    ..base.clone()
                },
                t0.plus(hour),
                "ignore",
            ),
            (
                Seen {
                    prerelease: true,
                    ..base.clone()
                },
                t0.plus(hour),
                "ignore",
            ),
            (
                Seen {
                    tag: "v2.0.0-rc.1",
                    ..base.clone()
                },
                t0.plus(hour),
                "ignore",
            ),
            (
                Seen {
                    tag: "release-2",
                    ..base.clone()
                },
                t0.plus(hour),
                "ignore",
            ),
        ];
        for (i, (seen, now, want)) in cases.into_iter().enumerate() {
            let got = decide(&c, &seen, now);
            let kind = match &got {
                Decision::Ignore(_) => "ignore",
                Decision::Schedule { due, .. } => {
                    assert_eq!(*due, t0.plus(hour));
                    "schedule"
                }
                Decision::Start(v) => {
                    assert_eq!(*v, v200);
                    "start"
                }
            };
            assert_eq!(kind, want, "case {i}: {got:?}");
        }
        let tags = config("  release_source: tags\n  prereleases: true\n");
        let rc = Seen {
            source: Source::Tag,
            tag: "v2.0.0-rc.1",
            ..base
        };
        assert!(matches!(
            decide(&tags, &rc, t0.plus(hour)),
            Decision::Start(_)
        ));
    }

    #[test]
    fn rfc3339() {
        let utc = parse_time("2027-01-15T08:00:00Z");
        assert!(utc.is_some());
        assert_eq!(utc, parse_time("2027-01-15T09:00:00+01:00"));
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Some(Timestamp(1000)));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time(""), None);
    }
}
