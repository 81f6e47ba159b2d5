//! The library cascade: a target repository that itself publishes a package
//! consumed by later waves (`billing-lib` → `billing-service`) must release a
//! version containing the bump before its consumers' wave opens, and those
//! consumers' PRs then require that version too.
//!
//! The links (library target → its package names and its consumers) come
//! from the plan and are stored in the rollout's policy JSON next to the
//! policy (`cascade` key: plan data, frozen like the policy). Progress is in
//! the store (`cascade_releases`): when a library target's PR merges, the
//! highest version it had tagged by then is its *floor*; the first tag above
//! the floor is a release cut after the merge, so it contains the bump.
//!
//! Invariants: the gate stays pure — the engine computes
//! [`AwaitedRelease`]s here (the only I/O: the library target's tags) and
//! hands them to `evaluate_gate`; a repository that had never tagged a
//! release when its PR merged has no release to wait for (its consumers
//! take it from a path or git reference): its consumers are not held, and
//! the audit log says so; a library target that ends skipped, closed or
//! superseded holds nobody (no bump will be released), and so does one in
//! the same wave as its consumers (a lockstep group or a cycle moves as
//! one).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::engine::{ENGINE, Engine, EngineError};
use super::gate::AwaitedRelease;
use super::open::library_short;
use super::state::{TargetState, Timestamp};
use crate::ecosystem::{Ecosystem, LibraryNames};
use crate::forge::ForgeWrite;
use crate::planning::Outcome;
use crate::store::{Audit, RolloutRecord, TargetRecord};

/// One library target and who consumes it, from the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CascadeLink {
    /// The library target's repository.
    pub repo: String,
    /// The packages it publishes (what its consumers require).
    pub packages: LibraryNames,
    /// Planned repositories that require one of them.
    pub consumers: Vec<String>,
}

/// The cascade links of a plan: every planned repository (not the
/// library's own) that publishes a package another planned repository
/// requires.
pub fn cascade_links(outcome: &Outcome) -> Vec<CascadeLink> {
    let report = &outcome.report;
    let planned: BTreeSet<&str> = report
        .targets
        .iter()
        .filter(|t| t.wave.is_some())
        .map(|t| t.repo.as_str())
        .collect();
    let mut consumers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &outcome.discovery.edges {
        let (from, to) = (e.from.as_str(), e.to.as_str());
        if to != report.library.repo && from != to && planned.contains(from) && planned.contains(to)
        {
            consumers.entry(to).or_default().insert(from);
        }
    }
    consumers
        .into_iter()
        .filter_map(|(repo, users)| {
            let scan = outcome.discovery.repo(repo)?;
            let mut packages = no_names();
            for p in &scan.publishes {
                let slot = match p.ecosystem {
                    Ecosystem::Cargo => &mut packages.cargo,
                    Ecosystem::Npm => &mut packages.npm,
                    Ecosystem::Go => &mut packages.go,
                    Ecosystem::Python => &mut packages.python,
                    Ecosystem::Ruby => &mut packages.ruby,
                };
                slot.get_or_insert_with(|| p.name.clone());
            }
            Some(CascadeLink {
                repo: repo.to_owned(),
                packages,
                consumers: users.into_iter().map(str::to_owned).collect(),
            })
        })
        .collect()
}

/// Names in no ecosystem (filled in per published package).
fn no_names() -> LibraryNames {
    LibraryNames {
        cargo: None,
        npm: None,
        go: None,
        python: None,
        ruby: None,
    }
}

/// The stored policy JSON with the cascade links added (`cascade` key).
pub fn with_cascade(policy_json: &str, links: &[CascadeLink]) -> String {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(policy_json) else {
        return policy_json.to_owned();
    };
    if let (Some(map), Ok(links)) = (value.as_object_mut(), serde_json::to_value(links)) {
        map.insert("cascade".to_owned(), links);
    }
    value.to_string()
}

/// The cascade links stored in a rollout's policy JSON (none when absent
/// or unreadable: an unreadable policy fails elsewhere, with its reason).
pub fn cascade_of(policy_json: &str) -> Vec<CascadeLink> {
    #[derive(Deserialize)]
    struct Only {
        #[serde(default)]
        cascade: Vec<CascadeLink>,
    }
    serde_json::from_str::<Only>(policy_json)
        .map(|o| o.cascade)
        .unwrap_or_default()
}

/// The version a tag names: the longest suffix that is a semantic version
/// and starts the tag or follows `v`, `V`, `@`, `/`, `-` or `_`
/// (`v1.5.0`, `1.5.0`, `billing-lib-v1.5.0`, `@acme/billing@1.5.0`).
pub fn tag_version(tag: &str) -> Option<semver::Version> {
    let tag = tag.trim();
    tag.char_indices()
        .filter(|&(i, _)| {
            i == 0
                || tag[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| matches!(c, 'v' | 'V' | '@' | '/' | '-' | '_'))
        })
        .find_map(|(i, _)| semver::Version::parse(&tag[i..]).ok())
}

/// The first tag above `floor` (lowest such version: the first release cut
/// after the merge), prereleases left out.
pub fn release_after<'a>(
    tags: &'a [String],
    floor: &semver::Version,
) -> Option<(&'a str, semver::Version)> {
    tags.iter()
        .filter_map(|t| Some((t.as_str(), tag_version(t)?)))
        .filter(|(_, v)| v.pre.is_empty() && v > floor)
        .min_by(|a, b| a.1.cmp(&b.1))
}

/// The highest released version among `tags`.
pub fn highest(tags: &[String]) -> Option<semver::Version> {
    tags.iter()
        .filter_map(|t| tag_version(t))
        .filter(|v| v.pre.is_empty())
        .max()
}

impl<F: ForgeWrite> Engine<F> {
    /// A library target's PR merged: remember the highest version it had
    /// tagged (the floor a containing release must exceed).
    pub(super) async fn record_library_merge(
        &self,
        rollout: &RolloutRecord,
        repo: &str,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        let tags = self.forge.tags(repo).await?;
        let floor = highest(&tags).map(|v| v.to_string());
        let library = library_short(&rollout.library);
        let reason = match &floor {
            Some(f) => format!(
                "{repo} last released {f}: its consumers wait for a later release, which contains {library} {}",
                rollout.to_version
            ),
            None => format!(
                "{repo} has never tagged a release: there is none to wait for, its consumers are not held"
            ),
        };
        self.store
            .cascade_merged(
                rollout.id,
                repo,
                floor.as_deref(),
                &Audit {
                    rollout_id: Some(rollout.id),
                    repo: Some(repo.to_owned()),
                    actor: ENGINE.to_owned(),
                    action: "library target merged".to_owned(),
                    reason,
                    at: now,
                },
            )
            .await?;
        Ok(())
    }

    /// The library targets the next wave's consumers wait for. Looks for
    /// new releases of merged library targets (their tags) and records the
    /// first one found.
    pub(super) async fn awaited_releases(
        &self,
        rollout: &RolloutRecord,
        targets: &[TargetRecord],
        now: Timestamp,
    ) -> Result<Vec<AwaitedRelease>, EngineError> {
        let links = cascade_of(&rollout.policy);
        if links.is_empty() {
            return Ok(Vec::new());
        }
        let next = rollout.current_wave + 1;
        let next_repos: BTreeSet<&str> = targets
            .iter()
            .filter(|t| t.wave == next)
            .map(|t| t.repo.as_str())
            .collect();
        let library = library_short(&rollout.library);
        let mut rows = self.cascade_rows(rollout.id).await?;
        let mut awaited = Vec::new();
        for link in &links {
            if !link
                .consumers
                .iter()
                .any(|c| next_repos.contains(c.as_str()))
            {
                continue;
            }
            let of_link: Vec<&TargetRecord> =
                targets.iter().filter(|t| t.repo == link.repo).collect();
            if of_link.iter().any(|t| t.wave >= next) {
                // Same wave as its consumers (a lockstep group, a cycle):
                // they move together, there is no release to wait for.
                continue;
            }
            let states: Vec<TargetState> = of_link.iter().map(|t| t.state).collect();
            let merged = states.contains(&TargetState::Merged);
            if states.is_empty() || (!merged && states.iter().all(|s| s.is_terminal())) {
                // Skipped, closed or superseded: no bump will be released.
                continue;
            }
            let wait = AwaitedRelease {
                repo: link.repo.clone(),
                library: library.clone(),
                version: rollout.to_version.clone(),
                merged: false,
            };
            if states.iter().any(|s| !s.is_terminal()) {
                awaited.push(wait);
                continue;
            }
            if !rows.contains_key(&link.repo) {
                // Merged outside the engine (a human, a restart): the floor
                // is taken now.
                if let Err(e) = self.record_library_merge(rollout, &link.repo, now).await {
                    tracing::warn!(repo = %link.repo, "cascade: reading tags failed: {e}");
                    awaited.push(AwaitedRelease {
                        merged: true,
                        ..wait
                    });
                    continue;
                }
                rows = self.cascade_rows(rollout.id).await?;
            }
            let Some(row) = rows.get(&link.repo) else {
                continue;
            };
            let Some(floor) = row.floor.as_deref() else {
                continue;
            };
            if row.release_version.is_some() {
                continue;
            }
            let floor = semver::Version::parse(floor).map_err(|e| EngineError::Rollout {
                rollout: rollout.id,
                message: format!("cascade_releases.floor of {}: {e}", link.repo),
            })?;
            let tags = match self.forge.tags(&link.repo).await {
                Ok(tags) => tags,
                Err(e) => {
                    // Still waiting; asked again at the next tick.
                    tracing::warn!(repo = %link.repo, "cascade: reading tags failed: {e}");
                    Vec::new()
                }
            };
            match release_after(&tags, &floor) {
                Some((tag, version)) => {
                    self.store
                        .cascade_released(
                            rollout.id,
                            &link.repo,
                            tag,
                            &version.to_string(),
                            &Audit {
                                rollout_id: Some(rollout.id),
                                repo: Some(link.repo.clone()),
                                actor: ENGINE.to_owned(),
                                action: format!("library target released {tag}"),
                                reason: format!(
                                    "{} {version} is the first release after its merge: it contains {library} {}; {} will require it",
                                    link.repo,
                                    rollout.to_version,
                                    link.consumers.join(", ")
                                ),
                                at: now,
                            },
                        )
                        .await?;
                }
                None => awaited.push(AwaitedRelease {
                    merged: true,
                    ..wait
                }),
            }
        }
        Ok(awaited)
    }

    /// The `cascade_releases` rows of rollout `id`, by repository.
    async fn cascade_rows(
        &self,
        id: i64,
    ) -> Result<BTreeMap<String, crate::store::CascadeRelease>, EngineError> {
        Ok(self
            .store
            .cascade_releases(id)
            .await?
            .into_iter()
            .map(|r| (r.repo.clone(), r))
            .collect())
    }

    /// The other libraries `repo`'s PR moves too: every library target it
    /// consumes that has released a version containing the bump.
    pub(super) async fn also_for(
        &self,
        rollout: &RolloutRecord,
        repo: &str,
    ) -> Result<Vec<(LibraryNames, semver::Version)>, EngineError> {
        let links = cascade_of(&rollout.policy);
        if !links.iter().any(|l| l.consumers.iter().any(|c| c == repo)) {
            return Ok(Vec::new());
        }
        let released: BTreeMap<String, String> = self
            .store
            .cascade_releases(rollout.id)
            .await?
            .into_iter()
            .filter_map(|r| Some((r.repo, r.release_version?)))
            .collect();
        Ok(links
            .into_iter()
            .filter(|l| l.consumers.iter().any(|c| c == repo))
            .filter_map(|l| {
                let v = semver::Version::parse(released.get(&l.repo)?).ok()?;
                Some((l.packages, v))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_versions() {
        for (tag, want) in [
            ("v1.5.0", Some("1.5.0")),
            ("1.5.0", Some("1.5.0")),
            ("billing-lib-v1.5.0", Some("1.5.0")),
            ("@acme/billing@1.5.0", Some("1.5.0")),
            ("go/v2.1.3", Some("2.1.3")),
            ("v2.0.0-rc.1", Some("2.0.0-rc.1")),
            ("release-2", None),
            ("", None),
            ("vv", None),
        ] {
            assert_eq!(
                tag_version(tag).map(|v| v.to_string()).as_deref(),
                want,
                "{tag}"
            );
        }
    }

    #[test]
    fn the_first_release_above_the_floor() {
        let tags: Vec<String> = ["v1.4.0", "v1.6.0", "v1.5.0", "v1.7.0-rc.1", "junk"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let floor = semver::Version::new(1, 4, 0);
        assert_eq!(release_after(&tags, &floor).map(|(t, _)| t), Some("v1.5.0"));
        assert_eq!(
            release_after(&tags, &semver::Version::new(1, 6, 0)),
            None,
            "a prerelease is not a release"
        );
        assert_eq!(highest(&tags), Some(semver::Version::new(1, 6, 0)));
    }

    #[test]
    fn links_round_trip_through_the_policy() {
        let links = vec![CascadeLink {
            repo: "billing-lib".into(),
            packages: LibraryNames {
                cargo: Some("billing-lib".into()),
                ..no_names()
            },
            consumers: vec!["billing-service".into()],
        }];
        let json = with_cascade(r#"{"a":1}"#, &links);
        assert_eq!(cascade_of(&json), links);
        assert!(cascade_of(r#"{"a":1}"#).is_empty());
        assert!(cascade_of("not json").is_empty());
        assert_eq!(with_cascade("not json", &links), "not json");
    }
}
