//! Simulated CI for the demo: a [`CiProvider`] on a simulated clock (a
//! [`ManualClock`] that only the demo loop moves).
//!
//! Every commit gets a run of two required checks (`build`, `test`) when it
//! is pushed (or first asked about). Each check lasts 20–90 s of simulated
//! time, drawn from the seed, the repository, the check and the attempt —
//! never from the commit id or the wall clock, so a seed replays exactly.
//! Outcomes: everything passes, except the [`Faults`]: a flaky repository's
//! `test` fails on its first attempt only; a broken repository's `build`
//! fails on every attempt; a repository its owner fixes fails `build` until
//! the owner's push (`owner_fixed`).
//!
//! Invariant: answers depend only on the simulated clock and what was
//! pushed or re-run before; nothing here sleeps.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::rng::Rng;
use crate::clock::{Clock, ManualClock};
use crate::forge::local::CiProvider;
use crate::forge::{Check, CiReport, CiState};
use crate::rollout::Timestamp;

/// Which repositories misbehave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Faults {
    /// `test` fails on the first attempt, passes on any retry.
    pub flaky: Vec<String>,
    /// `build` fails on every attempt.
    pub broken: Vec<String>,
    /// `build` fails until the repository's owner pushes a fix to the bump
    /// PR (the main path of a breaking major release); the demo plays
    /// the owner.
    pub fixed_by_owner: Vec<String>,
    /// The owner merges the bump PR with git as soon as it is open,
    /// without waiting for CI; the demo plays the owner.
    pub merged_by_owner: Vec<String>,
}

impl Default for Faults {
    /// The story's: the Go service's integration tests are flaky; the Rust
    /// service pinned to a git tag of the library does not build on 2.0;
    /// the reporting service's owner adapts it to 2.0 on the bump PR; the
    /// ML pipeline's owner merges the canary PR by hand.
    fn default() -> Self {
        Faults {
            flaky: vec!["orders-service".to_owned()],
            broken: vec!["search-service".to_owned()],
            fixed_by_owner: vec!["reporting-service".to_owned()],
            merged_by_owner: vec!["ml-pipeline".to_owned()],
        }
    }
}

/// The checks every run has.
pub const CHECKS: [&str; 2] = ["build", "test"];

/// Shortest and longest simulated check, in seconds.
const MIN_SECS: u64 = 20;
const MAX_SECS: u64 = 90;

#[derive(Clone, Debug)]
struct RunCheck {
    name: &'static str,
    started: i64,
    duration_ms: i64,
    outcome: CiState,
}

impl RunCheck {
    fn state_at(&self, now: i64) -> CiState {
        if now < self.started.saturating_add(self.duration_ms) {
            CiState::Pending
        } else {
            self.outcome
        }
    }

    fn end(&self) -> i64 {
        self.started.saturating_add(self.duration_ms)
    }
}

#[derive(Default)]
struct Inner {
    /// Runs by `(repo, sha)`.
    runs: HashMap<(String, String), Vec<RunCheck>>,
    /// Attempts made per repository (pushes and re-runs).
    attempts: BTreeMap<String, u32>,
    /// Repositories whose owner pushed a fix.
    fixed: std::collections::BTreeSet<String>,
}

/// The simulated CI.
pub struct SimCi {
    seed: u64,
    clock: Arc<ManualClock>,
    faults: Faults,
    inner: Mutex<Inner>,
}

/// One check of a run as the demo reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckTiming {
    pub name: &'static str,
    pub duration: Duration,
    pub state: CiState,
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl SimCi {
    pub fn new(seed: u64, clock: Arc<ManualClock>, faults: Faults) -> SimCi {
        SimCi {
            seed,
            clock,
            faults,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The owner of `repo` pushed a fix: its builds pass from now on.
    pub fn owner_fixed(&self, repo: &str) {
        self.lock().fixed.insert(repo.to_owned());
    }

    /// The check `name` of `repo` at `attempt`, starting at `started`;
    /// `fixed`: its owner pushed a fix.
    fn check(
        &self,
        repo: &str,
        name: &'static str,
        attempt: u32,
        started: i64,
        fixed: bool,
    ) -> RunCheck {
        let mut rng =
            Rng::new(self.seed ^ fnv(repo) ^ fnv(name).rotate_left(17) ^ u64::from(attempt) << 48);
        let secs = MIN_SECS + rng.next_u64() % (MAX_SECS - MIN_SECS + 1);
        let fails = (name == "test" && attempt == 1 && self.faults.flaky.iter().any(|f| f == repo))
            || (name == "build" && self.faults.broken.iter().any(|b| b == repo))
            || (name == "build" && !fixed && self.faults.fixed_by_owner.iter().any(|b| b == repo));
        RunCheck {
            name,
            started,
            duration_ms: i64::try_from(secs * 1000).unwrap_or(i64::MAX),
            outcome: if fails {
                CiState::Failed
            } else {
                CiState::Passed
            },
        }
    }

    /// Start a run for `sha` unless it has one.
    fn ensure_run<'a>(&self, inner: &'a mut Inner, repo: &str, sha: &str) -> &'a [RunCheck] {
        let key = (repo.to_owned(), sha.to_owned());
        if !inner.runs.contains_key(&key) {
            let attempt = inner.attempts.entry(repo.to_owned()).or_insert(0);
            *attempt += 1;
            let attempt = *attempt;
            let now = self.clock.now().0;
            let fixed = inner.fixed.contains(repo);
            let checks = CHECKS
                .iter()
                .map(|name| self.check(repo, name, attempt, now, fixed))
                .collect();
            inner.runs.insert(key.clone(), checks);
        }
        inner.runs.get(&key).map_or(&[], Vec::as_slice)
    }

    /// The earliest moment after `now` at which some check finishes.
    pub fn next_change_after(&self, now: Timestamp) -> Option<Timestamp> {
        self.lock()
            .runs
            .values()
            .flatten()
            .map(RunCheck::end)
            .filter(|&end| end > now.0)
            .min()
            .map(Timestamp)
    }

    /// The checks of `sha` with their durations and states now (empty when
    /// CI never saw it).
    pub fn timings(&self, repo: &str, sha: &str) -> Vec<CheckTiming> {
        let now = self.clock.now().0;
        let inner = self.lock();
        inner
            .runs
            .get(&(repo.to_owned(), sha.to_owned()))
            .map(|checks| {
                checks
                    .iter()
                    .map(|c| CheckTiming {
                        name: c.name,
                        duration: Duration::from_millis(u64::try_from(c.duration_ms).unwrap_or(0)),
                        state: c.state_at(now),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Attempts CI made for `repo` (runs started plus re-runs).
    pub fn attempts(&self, repo: &str) -> u32 {
        self.lock().attempts.get(repo).copied().unwrap_or(0)
    }
}

impl CiProvider for SimCi {
    fn pushed(&self, repo: &str, _branch: &str, sha: &str) {
        let mut inner = self.lock();
        self.ensure_run(&mut inner, repo, sha);
    }

    fn state(&self, repo: &str, sha: &str) -> CiReport {
        let now = self.clock.now().0;
        let mut inner = self.lock();
        let checks: Vec<Check> = self
            .ensure_run(&mut inner, repo, sha)
            .iter()
            .map(|c| Check {
                name: c.name.to_owned(),
                state: c.state_at(now),
                url: None,
                required: true,
                first_error: None,
            })
            .collect();
        let state = if checks.iter().any(|c| c.state == CiState::Failed) {
            CiState::Failed
        } else if checks.iter().any(|c| c.state == CiState::Pending) {
            CiState::Pending
        } else {
            CiState::Passed
        };
        CiReport {
            state,
            checks,
            note: None,
        }
    }

    fn rerun_failed(&self, repo: &str, sha: &str) -> bool {
        let now = self.clock.now().0;
        let mut inner = self.lock();
        let key = (repo.to_owned(), sha.to_owned());
        let failed: Vec<&'static str> = match inner.runs.get(&key) {
            Some(checks) => checks
                .iter()
                .filter(|c| c.state_at(now) == CiState::Failed)
                .map(|c| c.name)
                .collect(),
            None => return false,
        };
        if failed.is_empty() {
            return false;
        }
        let attempt = {
            let a = inner.attempts.entry(repo.to_owned()).or_insert(0);
            *a += 1;
            *a
        };
        let fixed = inner.fixed.contains(repo);
        let fresh: Vec<RunCheck> = failed
            .iter()
            .map(|name| self.check(repo, name, attempt, now, fixed))
            .collect();
        if let Some(checks) = inner.runs.get_mut(&key) {
            for c in checks.iter_mut() {
                if let Some(new) = fresh.iter().find(|f| f.name == c.name) {
                    *c = new.clone();
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ci() -> (Arc<ManualClock>, SimCi) {
        let clock = Arc::new(ManualClock::starting(Timestamp(0)));
        let ci = SimCi::new(7, Arc::clone(&clock), Faults::default());
        (clock, ci)
    }

    #[test]
    fn runs_last_20_to_90_seconds_and_pass() {
        let (clock, ci) = ci();
        ci.pushed("svc", "b", "abc");
        assert_eq!(ci.state("svc", "abc").state, CiState::Pending);
        let end = ci.next_change_after(Timestamp(0)).unwrap();
        assert!((20_000..=90_000).contains(&end.0), "{end:?}");
        clock.set(Timestamp(90_000));
        assert_eq!(ci.state("svc", "abc").state, CiState::Passed);
        assert_eq!(ci.next_change_after(Timestamp(90_000)), None);
    }

    #[test]
    fn flaky_passes_on_retry_broken_never() {
        let (clock, ci) = ci();
        for (repo, after_retry) in [
            ("orders-service", CiState::Passed),
            ("search-service", CiState::Failed),
        ] {
            clock.set(Timestamp(0));
            ci.pushed(repo, "b", "s1");
            clock.set(Timestamp(100_000));
            assert_eq!(ci.state(repo, "s1").state, CiState::Failed, "{repo}");
            assert!(ci.rerun_failed(repo, "s1"));
            assert_eq!(ci.state(repo, "s1").state, CiState::Pending, "{repo}");
            clock.set(Timestamp(200_000));
            assert_eq!(ci.state(repo, "s1").state, after_retry, "{repo}");
        }
    }

    #[test]
    fn same_seed_same_durations_whatever_the_sha() {
        let (_, a) = ci();
        let (_, b) = ci();
        a.pushed("svc", "b", "sha-one");
        b.pushed("svc", "b", "sha-two");
        let ta: Vec<_> = a
            .timings("svc", "sha-one")
            .iter()
            .map(|t| t.duration)
            .collect();
        let tb: Vec<_> = b
            .timings("svc", "sha-two")
            .iter()
            .map(|t| t.duration)
            .collect();
        assert_eq!(ta, tb);
    }
}
