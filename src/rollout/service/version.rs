//! The one start-or-supersede, and the one version parse.
//!
//! A new version of the library (a release webhook, `wavebump rollout
//! start`, a poll) is looked up against the stored rollouts of the same
//! library (names compared ignoring ASCII case):
//!
//! 1. a rollout of this very version that was created but never started
//!    (a crash between the two) is started;
//! 2. one that is live, or (for a webhook or a poll: GitHub sends
//!    `published` and `released` for one release) that ever existed,
//!    means the version is already rolled out;
//! 3. a live rollout of an older version is superseded (same rollout, its
//!    PRs retargeted: `Engine::supersede`); an older or equal version is
//!    refused (a webhook records it in the audit log);
//! 4. otherwise the version is planned and a rollout created and started.
//!
//! Invariant: discovery and planning (4) run BEFORE the engine lock is
//! taken; under the lock the decision is made again on fresh reads (a
//! concurrent start may have won), and only the short create/start or
//! supersede runs there.

use semver::Version;

use super::{Outcome, RolloutService, ServiceError, TickTrigger};
use crate::forge::ForgeWrite;
use crate::planning;
use crate::rollout::{RolloutState, SupersedeReport, Timestamp, new_rollout};
use crate::store::{Audit, RolloutRecord};

/// Where a new version was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionSource {
    /// A release (or tag) webhook delivery.
    Webhook,
    /// `wavebump rollout start`.
    Cli,
    /// A poll of the library's releases.
    Poll,
}

impl VersionSource {
    /// Every rollout of a version counts as done (GitHub announces one
    /// release several times); for the CLI only a live one does (an
    /// operator may roll a version out again after aborting it).
    fn once_per_version(self) -> bool {
        !matches!(self, VersionSource::Cli)
    }
}

/// A new version of the library to roll out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVersion {
    /// The library's repository (`owner/name`), as the config names it.
    pub library: String,
    /// The version; `None`: the library's latest tag (the CLI without
    /// `--to`).
    pub version: Option<Version>,
    /// Where it was seen.
    pub source: VersionSource,
    /// Recorded as who started (or superseded) the rollout.
    pub actor: String,
}

/// What a new version did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionOutcome {
    /// A rollout was created (or found created but not started) and started.
    Started {
        rollout: i64,
        library: String,
        version: String,
        targets: usize,
        waves: u32,
        /// PRs opened by the settle right after (0 without settling).
        opened: usize,
        /// It had been created before (a crash) and is only started now.
        resumed: bool,
    },
    /// The version already has a rollout.
    AlreadyRolledOut {
        rollout: i64,
        version: String,
        state: RolloutState,
    },
    /// The live rollout now rolls this version out.
    Superseded(SupersedeReport),
    /// Older or equal to the live rollout's version: not rolled out (a
    /// webhook's refusal is in the audit log).
    NotNewer {
        rollout: i64,
        current: String,
        offered: String,
        state: RolloutState,
    },
    /// No repository needs a pull request.
    NothingToDo { library: String, version: String },
}

impl VersionOutcome {
    /// One line for logs and the inbox.
    pub fn summary(&self) -> String {
        match self {
            VersionOutcome::Started {
                rollout,
                version,
                targets,
                waves,
                opened,
                resumed,
                ..
            } => {
                if *resumed {
                    format!(
                        "rollout {rollout} of {version} started (it was created but not started)"
                    )
                } else {
                    format!(
                        "rollout {rollout} of {version} started: {targets} target(s) in {waves} wave(s), {opened} PR(s) opened"
                    )
                }
            }
            VersionOutcome::AlreadyRolledOut {
                rollout,
                version,
                state,
            } => format!("rollout {rollout} already rolls out {version} ({state})"),
            VersionOutcome::Superseded(done) => done.summary(),
            VersionOutcome::NotNewer {
                rollout,
                current,
                offered,
                state,
            } => format!(
                "{offered} is not newer than {current} (rollout {rollout}, {state}): not rolled out"
            ),
            VersionOutcome::NothingToDo { version, .. } => {
                format!("{version}: no repository needs a pull request")
            }
        }
    }
}

/// A version as people write it: `2.0.0`, `v2.0.0` or `V2.0.0`, spaces
/// around ignored.
pub fn parse_version(text: &str) -> Result<Version, ServiceError> {
    planning::version_text(text).map_err(|e| ServiceError::BadVersion {
        text: text.to_owned(),
        message: e.to_string(),
    })
}

/// What the stored rollouts say about a new version.
enum Step {
    /// Created, never started: start it.
    StartCreated(RolloutRecord),
    Already(RolloutRecord),
    Supersede(RolloutRecord, Version),
    /// Live rollout, version older or equal.
    NotNewer(RolloutRecord, Version),
    /// Live rollout and no version given.
    Live(RolloutRecord),
    /// Nothing stored stands in the way: plan.
    Plan,
}

fn decide(rollouts: &[RolloutRecord], req: &NewVersion, version: Option<&Version>) -> Step {
    let ours = |r: &&RolloutRecord| crate::names::RepoName::same(&r.library, &req.library);
    let parsed = |r: &RolloutRecord| Version::parse(&r.to_version).ok();
    if let Some(v) = version {
        let same = rollouts.iter().filter(ours).find(|r| {
            parsed(r).as_ref() == Some(v) && (r.state.is_active() || req.source.once_per_version())
        });
        if let Some(r) = same {
            return if r.state == RolloutState::Planned {
                Step::StartCreated(r.clone())
            } else {
                Step::Already(r.clone())
            };
        }
    }
    let Some(live) = rollouts.iter().filter(ours).find(|r| r.state.is_active()) else {
        return Step::Plan;
    };
    match version {
        None => Step::Live(live.clone()),
        Some(v) => match parsed(live) {
            Some(current) if *v <= current => Step::NotNewer(live.clone(), v.clone()),
            _ => Step::Supersede(live.clone(), v.clone()),
        },
    }
}

impl<F: ForgeWrite> RolloutService<F> {
    pub(super) async fn new_version(&self, req: NewVersion) -> Result<Outcome, ServiceError> {
        let now = self.now();
        let rollouts = self.engine.store().rollouts().await?;
        if let Step::Plan = decide(&rollouts, &req, req.version.as_ref()) {
            return self.plan_and_start(&req, now).await.map(Outcome::Version);
        }
        let guard = self.lock.lock().await;
        let rollouts = self.engine.store().rollouts().await?;
        match decide(&rollouts, &req, req.version.as_ref()) {
            Step::Plan => {
                // What stood in the way finished meanwhile: plan after all,
                // outside the lock.
                drop(guard);
                self.plan_and_start(&req, now).await
            }
            step => self.apply(step, &req, now).await,
        }
        .map(Outcome::Version)
    }

    /// Discovery and planning with no lock held; then, under the lock, the
    /// decision again on fresh reads and create + start.
    async fn plan_and_start(
        &self,
        req: &NewVersion,
        now: Timestamp,
    ) -> Result<VersionOutcome, ServiceError> {
        let config = self.config.as_ref().ok_or(ServiceError::NoConfig)?;
        let wanted = req.version.as_ref().map(Version::to_string);
        let label = wanted
            .clone()
            .unwrap_or_else(|| "the latest version".to_owned());
        let noop = |_: usize, _: usize| {};
        let progress: &(dyn Fn(usize, usize) + Sync) = match &self.progress {
            Some(p) => p.as_ref(),
            None => &noop,
        };
        let outcome = planning::run(self.engine.forge(), config, wanted.as_deref(), progress)
            .await
            .map_err(|source| ServiceError::Planning {
                version: label,
                source,
            })?;
        let new = new_rollout(&outcome, config, &req.actor);
        let _guard = self.lock.lock().await;
        // Someone may have started or superseded meanwhile.
        let rollouts = self.engine.store().rollouts().await?;
        let planned = Version::parse(&new.to_version).ok();
        match decide(&rollouts, req, planned.as_ref()) {
            Step::Plan => {}
            step => return self.apply(step, req, now).await,
        }
        if new.targets.is_empty() {
            return Ok(VersionOutcome::NothingToDo {
                library: new.library,
                version: new.to_version,
            });
        }
        let id = self.engine.create(&new, now).await?;
        self.engine.start(id, &req.actor, now).await?;
        self.announce(id);
        let opened = self
            .settle_after_change(now, TickTrigger::Delivery)
            .await
            .map_or(0, |r| r.opened);
        Ok(VersionOutcome::Started {
            rollout: id,
            library: new.library,
            version: new.to_version,
            targets: new.targets.len(),
            waves: new.wave_count,
            opened,
            resumed: false,
        })
    }

    /// Carries out a decided step; the caller holds the lock.
    async fn apply(
        &self,
        step: Step,
        req: &NewVersion,
        now: Timestamp,
    ) -> Result<VersionOutcome, ServiceError> {
        match step {
            Step::StartCreated(r) => {
                self.engine.start(r.id, &req.actor, now).await?;
                self.announce(r.id);
                let _ = self.settle_after_change(now, TickTrigger::Delivery).await;
                Ok(VersionOutcome::Started {
                    rollout: r.id,
                    library: r.library,
                    version: r.to_version,
                    targets: 0,
                    waves: r.wave_count,
                    opened: 0,
                    resumed: true,
                })
            }
            Step::Already(r) => Ok(VersionOutcome::AlreadyRolledOut {
                rollout: r.id,
                version: r.to_version,
                state: r.state,
            }),
            Step::Live(r) => Err(ServiceError::Live {
                rollout: r.id,
                library: r.library,
                current: r.to_version,
                state: r.state,
            }),
            Step::NotNewer(r, v) => {
                let outcome = VersionOutcome::NotNewer {
                    rollout: r.id,
                    current: r.to_version.clone(),
                    offered: v.to_string(),
                    state: r.state,
                };
                if req.source != VersionSource::Cli {
                    let why = outcome.summary();
                    tracing::warn!(rollout = r.id, "{why}");
                    self.engine
                        .store()
                        .append_audit(&Audit {
                            rollout_id: Some(r.id),
                            repo: None,
                            actor: req.actor.clone(),
                            action: format!("release {v} not rolled out"),
                            reason: why,
                            at: now,
                        })
                        .await?;
                }
                Ok(outcome)
            }
            Step::Supersede(r, v) => {
                let done = self.engine.supersede(r.id, &v, &req.actor, now).await?;
                self.announce(r.id);
                let _ = self.settle_after_change(now, TickTrigger::Delivery).await;
                Ok(VersionOutcome::Superseded(done))
            }
            Step::Plan => Err(ServiceError::NoConfig),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_with_or_without_v() {
        let want = Version::new(2, 0, 0);
        for text in ["2.0.0", "v2.0.0", "V2.0.0", " v2.0.0 ", "\tV2.0.0\n"] {
            assert_eq!(parse_version(text).ok(), Some(want.clone()), "{text:?}");
        }
        for bad in ["", "v", "vv2.0.0", "2.0", "two", "w2.0.0"] {
            let e = parse_version(bad);
            assert!(
                matches!(&e, Err(ServiceError::BadVersion { text, .. }) if text == bad),
                "{bad:?}: {e:?}"
            );
        }
        assert!(parse_version("nope").is_err_and(|e| e.is_user()));
    }

    fn record(id: i64, library: &str, version: &str, state: RolloutState) -> RolloutRecord {
        RolloutRecord {
            id,
            library: library.into(),
            to_version: version.into(),
            state,
            from_version: None,
            current_wave: 0,
            wave_count: 1,
            reason: None,
            branch: "wavebump/core-utils".into(),
            policy: "{}".into(),
            started_by: "t".into(),
            created_at: Timestamp(0),
            state_since: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    fn req(library: &str, version: &str, source: VersionSource) -> (NewVersion, Version) {
        let v = parse_version(version)
            .ok()
            .unwrap_or_else(|| Version::new(0, 0, 0));
        (
            NewVersion {
                library: library.into(),
                version: Some(v.clone()),
                source,
                actor: "t".into(),
            },
            v,
        )
    }

    fn kind(s: &Step) -> &'static str {
        match s {
            Step::StartCreated(_) => "start-created",
            Step::Already(_) => "already",
            Step::Supersede(..) => "supersede",
            Step::NotNewer(..) => "not-newer",
            Step::Live(_) => "live",
            Step::Plan => "plan",
        }
    }

    #[test]
    fn library_names_compare_ignoring_case() {
        use RolloutState::*;
        let stored = [record(1, "Acme/Core-Utils", "1.0.0", Running)];
        for source in [VersionSource::Webhook, VersionSource::Cli] {
            let (r, v) = req("acme/core-utils", "2.0.0", source);
            assert_eq!(
                kind(&decide(&stored, &r, Some(&v))),
                "supersede",
                "{source:?}"
            );
            let (r, v) = req("ACME/CORE-UTILS", "1.0.0", source);
            assert_eq!(
                kind(&decide(&stored, &r, Some(&v))),
                "already",
                "{source:?}"
            );
            let (r, v) = req("acme/other", "2.0.0", source);
            assert_eq!(kind(&decide(&stored, &r, Some(&v))), "plan", "{source:?}");
        }
    }

    #[test]
    fn decisions() {
        use RolloutState::*;
        use VersionSource::*;
        let lib = "acme/core-utils";
        let cases: Vec<(Vec<RolloutRecord>, &str, VersionSource, &str)> = vec![
            (vec![], "2.0.0", Webhook, "plan"),
            (
                vec![record(1, lib, "2.0.0", Planned)],
                "2.0.0",
                Webhook,
                "start-created",
            ),
            (
                vec![record(1, lib, "2.0.0", Planned)],
                "v2.0.0",
                Cli,
                "start-created",
            ),
            (
                vec![record(1, lib, "2.0.0", Completed)],
                "2.0.0",
                Webhook,
                "already",
            ),
            (vec![record(1, lib, "2.0.0", Aborted)], "2.0.0", Cli, "plan"),
            (
                vec![record(1, lib, "2.0.0", Paused)],
                "2.0.0",
                Cli,
                "already",
            ),
            (
                vec![record(1, lib, "2.0.0", Running)],
                "1.9.0",
                Webhook,
                "not-newer",
            ),
            (
                vec![record(1, lib, "2.0.0", Halted)],
                "2.1.0",
                Poll,
                "supersede",
            ),
            (
                vec![record(1, lib, "2.0.0", Completed)],
                "2.1.0",
                Webhook,
                "plan",
            ),
        ];
        for (i, (stored, version, source, want)) in cases.into_iter().enumerate() {
            let (r, v) = req(lib, version, source);
            assert_eq!(kind(&decide(&stored, &r, Some(&v))), want, "case {i}");
        }
        let live = [record(1, lib, "2.0.0", Running)];
        let (r, _) = req(lib, "2.0.0", Cli);
        assert_eq!(kind(&decide(&live, &r, None)), "live");
        assert_eq!(kind(&decide(&[], &r, None)), "plan");
    }
}
