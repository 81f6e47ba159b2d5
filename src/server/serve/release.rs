//! A new version of the library (a `release`, or a tag for
//! `release_source: tags`) → a rollout, per the config's policy.
//!
//! [`decide`] is pure: which repository, which source, the tag pattern,
//! prereleases, the minimum release age (a young release is scheduled at
//! `published + age`, not dropped). [`start`] then plans with the real
//! planner, stores the rollout, starts it and ticks it (wave 0 opens now).
//!
//! Invariant: one rollout per library version — a version that already
//! has a rollout is not started twice (GitHub sends `published` and
//! `released` for one release, `create` and `push` for one tag), except
//! that a rollout this worker created but did not start (a crash between
//! the two) is started. A newer version while a rollout is active
//! supersedes it (`Engine::supersede`: same rollout, its open PRs retargeted
//! on their branches); an older or equal one is refused, with a log line
//! and an audit entry on the active rollout.

use crate::config::Config;
use crate::config::schema::ReleaseSource;
use crate::discover::latest_version;
use crate::forge::ForgeWrite;
use crate::planning;
use crate::rollout::{Engine, RolloutState, Timestamp, new_rollout};
use crate::server::metrics::TickTrigger;
use crate::server::worker::Handled;
use crate::store::Audit;

use super::engine::{TickContext, settle};
use super::matching::same_repo;
use crate::names::RepoName;

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

/// Runs the planner (its future is `Send`: see `discover::read_one`).
async fn plan<F: ForgeWrite>(
    forge: &F,
    config: &Config,
    version: &str,
) -> Result<planning::Outcome, String> {
    let noop = |_: usize, _: usize| {};
    planning::run(forge, config, Some(version), &noop)
        .await
        .map_err(|e| e.to_string())
}

/// Plans, stores, starts and ticks a rollout of `version` (see the module
/// invariant for duplicates and supersession). `actor` is recorded.
pub async fn start<F: ForgeWrite>(
    engine: &Engine<F>,
    config: &Config,
    version: &semver::Version,
    actor: &str,
    now: Timestamp,
    ctx: &TickContext,
) -> Result<Handled, String> {
    let store = engine.store();
    let rollouts = store.rollouts().await.map_err(|e| e.to_string())?;
    let ours = |library: &str| RepoName::same(library, &config.library.repository);
    let same_version = rollouts.iter().find(|r| {
        ours(&r.library) && semver::Version::parse(&r.to_version).is_ok_and(|v| v == *version)
    });
    if let Some(r) = same_version {
        if r.state == RolloutState::Planned && r.started_by.starts_with("webhook ") {
            engine
                .start(r.id, actor, now)
                .await
                .map_err(|e| e.to_string())?;
            settle(engine, now, TickTrigger::Delivery, ctx)
                .await
                .map_err(|e| e.to_string())?;
            return Ok(Handled::Done(format!(
                "rollout {} of {version} started (it was created but not started)",
                r.id
            )));
        }
        return Ok(Handled::Ignored(format!(
            "rollout {} already rolls out {version} ({})",
            r.id, r.state
        )));
    }
    let active: Vec<_> = rollouts
        .iter()
        .filter(|r| ours(&r.library) && r.state.is_active())
        .collect();
    if let Some(r) = active.first() {
        let newer = semver::Version::parse(&r.to_version).map_or(true, |v| *version > v);
        if !newer {
            let why = format!(
                "{version} is not newer than {} (rollout {}, {}): not rolled out",
                r.to_version, r.id, r.state
            );
            tracing::warn!(rollout = r.id, "{why}");
            store
                .append_audit(&Audit {
                    rollout_id: Some(r.id),
                    repo: None,
                    actor: actor.to_owned(),
                    action: format!("release {version} not rolled out"),
                    reason: why.clone(),
                    at: now,
                })
                .await
                .map_err(|e| e.to_string())?;
            return Ok(Handled::Ignored(why));
        }
        let done = engine
            .supersede(r.id, version, actor, now)
            .await
            .map_err(|e| e.to_string())?;
        settle(engine, now, TickTrigger::Delivery, ctx)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(Handled::Done(done.summary()));
    }
    let new = {
        let outcome = plan(engine.forge(), config, &version.to_string())
            .await
            .map_err(|e| format!("planning {version}: {e}"))?;
        new_rollout(&outcome, config, actor)
    };
    if new.targets.is_empty() {
        return Ok(Handled::Ignored(format!(
            "{version}: no repository needs a pull request"
        )));
    }
    let id = engine.create(&new, now).await.map_err(|e| e.to_string())?;
    engine
        .start(id, actor, now)
        .await
        .map_err(|e| e.to_string())?;
    let report = settle(engine, now, TickTrigger::Delivery, ctx)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Handled::Done(format!(
        "rollout {id} of {version} started: {} target(s) in {} wave(s), {} PR(s) opened",
        new.targets.len(),
        new.wave_count,
        report.opened
    )))
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
