//! `wavebump demo`: generate the organisation, plan it, store a rollout and
//! drive the real engine through the local forge and the simulated CI on a
//! simulated clock, acting as the operator when the rollout halts.
//!
//! Invariants: the simulated clock moves only here — by the poll interval
//! after a tick that changed something, else straight to the next moment
//! something can change (a CI check ending, a soak ending), on the poll
//! grid; real sleeps are exactly the simulated steps divided by `speed`
//! (none without one) -- cut short when someone acts on the status page.
//! The scripted operator's rule is the same for every seed: retry a
//! repository's first failure (it may be flaky), skip a repository that
//! fails again after a retry, then resume; it steps aside for good at the
//! first action taken on the page (`steer`), after which halts and pauses
//! wait for the people at the page.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::ci::{Faults, SimCi};
use super::steer::Steering;
use super::transcript::{RepoView, duration, repo_events, stamp, view};
use super::{CONFIG, GenerateOptions, Layout, generate_with};
use crate::clock::{Clock, ManualClock};
use crate::config::Config;
use crate::config::store::StoreBackend;
use crate::forge::PrState;
use crate::forge::local::LocalForge;
use crate::git::{GitError, PushOptions};
use crate::planning::{self, PlanningError};
use crate::rollout::service::{RolloutService, ServiceOptions};
use crate::rollout::{
    CommandError, Engine, EngineError, EngineOptions, RolloutPolicy, RolloutState, TargetState,
    Timestamp, new_rollout,
};
use crate::store::{Store, StoreError, TargetRecord};

/// Monday 2026-01-05 09:00 UTC: when the simulated rollout starts.
pub const START: Timestamp = Timestamp(1_767_603_600_000);

/// Who the demo's operator is in the audit log.
const OPERATOR: &str = "demo-operator";

/// What to run.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub generate: GenerateOptions,
    pub faults: Faults,
    /// Simulated seconds per real second; `None` never sleeps.
    pub speed: Option<f64>,
    /// How often the engine ticks while something is moving (simulated).
    pub poll: Duration,
    /// How long the operator takes to react to a halt (simulated).
    pub operator_pause: Duration,
    /// Ticks before the demo gives up as stuck.
    pub max_steps: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            generate: GenerateOptions::default(),
            faults: Faults::default(),
            speed: Some(DEFAULT_SPEED),
            poll: Duration::from_secs(15),
            operator_pause: Duration::from_secs(4 * 60),
            max_steps: 20_000,
        }
    }
}

/// Simulated seconds per real second by default (a ~4 h rollout in ~15 s).
pub const DEFAULT_SPEED: f64 = 1000.0;

/// Why the demo stopped short.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("generate the organisation: {0}")]
    Generate(#[from] GitError),
    #[error("demo config: {0}")]
    Config(String),
    #[error("plan: {0}")]
    Plan(#[from] PlanningError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("engine: {0}")]
    Engine(#[from] EngineError),
    #[error("operator command: {0}")]
    Command(#[from] CommandError),
    #[error("forge: {0}")]
    Forge(#[from] crate::forge::ForgeError),
    #[error("write the transcript: {0}")]
    Io(#[from] std::io::Error),
    #[error("play a repository's owner: {0}")]
    Owner(GitError),
    #[error("{0}")]
    Stuck(String),
}

/// The end of a run, counted from the store and the forge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub state: RolloutState,
    pub waves: u32,
    pub repos: usize,
    pub targets: usize,
    pub merged: usize,
    /// CI passed, not merged.
    pub passed: usize,
    pub skipped: usize,
    pub superseded: usize,
    pub failed: usize,
    /// Pull requests in the forge: total, merged, still open.
    pub prs: usize,
    pub prs_merged: usize,
    pub prs_open: usize,
    /// Repositories with more than one PR (must stay empty).
    pub duplicate_prs: Vec<String>,
    pub halts: usize,
    /// `retry REPO`, `skip REPO`, `resume`, in order.
    pub operator: Vec<String>,
    /// Repositories that failed and then passed on a retry.
    pub passed_on_retry: Vec<String>,
    /// Repositories that failed and then passed on their owner's fix.
    pub fixed_by_owners: Vec<String>,
    /// Repositories whose PR a person merged.
    pub merged_by_people: Vec<String>,
    pub skipped_repos: Vec<String>,
    pub simulated: Duration,
}

/// What a finished run gives back.
#[derive(Clone, Debug)]
pub struct DemoOutcome {
    pub rollout_id: i64,
    pub summary: Summary,
}

/// A generated, planned and stored demo, ready to run.
pub struct Demo {
    dir: PathBuf,
    opts: DemoOptions,
    clock: Arc<ManualClock>,
    ci: Arc<SimCi>,
    pub(super) engine: Arc<Engine<LocalForge>>,
    /// The one way the page's actions reach the engine; its lock is also
    /// the loop's (a tick with its reads, the scripted operator).
    pub(super) service: Arc<RolloutService<LocalForge>>,
    pub(super) steer: Arc<Steering>,
    rollout: i64,
    version: String,
}

impl Demo {
    /// Generate the organisation under `dir` (created; must be empty),
    /// plan it with the demo config, print the plan to `out` and store the
    /// rollout (`planned`) in `dir/wavebump.db`. Git's global config must
    /// be isolated by the caller.
    pub async fn setup(
        dir: &Path,
        opts: DemoOptions,
        out: &mut dyn Write,
    ) -> Result<Demo, DemoError> {
        generate_with(dir, &opts.generate, Layout::Bare)?;
        let config =
            Config::parse(CONFIG, "<demo config>").map_err(|e| DemoError::Config(e.to_string()))?;
        let clock = Arc::new(ManualClock::starting(START));
        let ci = Arc::new(SimCi::new(
            opts.generate.seed,
            Arc::clone(&clock),
            opts.faults.clone(),
        ));
        let no_tools = dir.join(crate::forge::local::STATE_DIR).join("no-tools");
        std::fs::create_dir_all(&no_tools)?;
        let forge = LocalForge::new(dir)
            .with_ci(ci.clone())
            .with_push_options(PushOptions {
                // Lockfile tools would reach registries: the demo runs none
                // (an empty PATH), so there is nothing to sandbox and the
                // notes say which tool is missing.
                refresh_path: Some(no_tools.into_os_string()),
                refresh_sandbox: crate::git::RefreshSandbox::None,
                ..PushOptions::default()
            });
        let noop = |_: usize, _: usize| {};
        let outcome = planning::run(&forge, &config, None, &noop).await?;
        write!(out, "{}", crate::render::plan::text(&outcome.report))?;
        let path = dir.join("wavebump.db");
        let store = Store::open(&StoreBackend::Sqlite {
            url: format!("sqlite://{}", path.display()),
            path,
        })
        .await?;
        let mut new = new_rollout(&outcome, &config, OPERATOR);
        // The store keys targets by (repository, manifest): a manifest with
        // two requirements (dependencies and dev-dependencies) is one target
        // (the engine re-scans and rewrites every requirement of the file).
        let mut seen = std::collections::BTreeSet::new();
        new.targets
            .retain(|t| seen.insert((t.repo.clone(), t.manifest_path.clone())));
        let engine = Arc::new(Engine::new(store, forge, EngineOptions::default()));
        let rollout = engine.create(&new, START).await?;
        let policy = RolloutPolicy::from_config(&config, &outcome.report.library.repo);
        let repos: std::collections::BTreeSet<&str> =
            new.targets.iter().map(|t| t.repo.as_str()).collect();
        writeln!(
            out,
            "\nRollout {rollout}: {} targets in {} repositories, {} waves; gate: {:.0}% of a wave green, soak {}, halt on the first failure; automerge {}\n",
            new.targets.len(),
            repos.len(),
            new.wave_count,
            policy.gate.success_ratio * 100.0,
            duration(policy.gate.soak),
            if policy.pr.automerge { "on" } else { "off" },
        )?;
        let steer = Arc::new(Steering::new());
        let service = Arc::new(RolloutService::new(
            engine.clone(),
            // The loop ticks at its own pace: an action only wakes it.
            ServiceOptions { settle: false },
            clock.clone(),
            steer.changes.clone(),
        ));
        Ok(Demo {
            dir: dir.to_path_buf(),
            opts,
            clock,
            ci,
            engine,
            service,
            steer,
            rollout,
            version: new.to_version,
        })
    }

    pub fn store(&self) -> &Store {
        self.engine.store()
    }

    pub fn forge(&self) -> &LocalForge {
        self.engine.forge()
    }

    pub fn rollout_id(&self) -> i64 {
        self.rollout
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The simulated clock's reading.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The simulated clock (shared: pages follow the demo's time).
    pub fn clock(&self) -> Arc<ManualClock> {
        self.clock.clone()
    }

    /// Start the rollout and drive it to completion, printing progress and
    /// the summary to `out`.
    pub async fn run(&self, out: &mut dyn Write) -> Result<DemoOutcome, DemoError> {
        let id = self.rollout;
        let store = self.store();
        let mut now = START;
        {
            let _engine = self.service.lock().await;
            self.clock.set(now);
            self.engine.start(id, OPERATOR, now).await?;
        }
        self.steer.announce(id);
        let wave0 = wave_repos(&store.targets(id).await?, 0);
        writeln!(
            out,
            "{} operator: start rollout {id}; wave 0 (canaries): {}",
            stamp(START, now),
            wave0.join(", ")
        )?;
        let mut before = view(&store.targets(id).await?);
        let mut halts = 0;
        let mut operator = Vec::new();
        let mut failed_once: Vec<String> = Vec::new();
        let mut operator_due: Option<Timestamp> = None;
        let mut owners_done = std::collections::BTreeSet::new();
        for _ in 0..self.opts.max_steps {
            let engine = self.service.lock().await;
            self.clock.set(now);
            for (who, what) in self.steer.drain() {
                writeln!(out, "{} {who} (status page): {what}", stamp(START, now))?;
                operator.push(format!("{what} ({who})"));
            }
            let report = self.engine.tick(now).await?;
            let targets = store.targets(id).await?;
            let rollout = store
                .rollout(id)
                .await?
                .ok_or_else(|| DemoError::Stuck(format!("rollout {id} vanished")))?;
            let after = view(&targets);
            let mut lines = repo_events(&before, &after, &self.ci, &self.version);
            for (repo, v) in &after {
                if v.states.contains(&TargetState::CiFailed) && !failed_once.contains(repo) {
                    failed_once.push(repo.clone());
                }
            }
            lines.extend(self.owners(&targets, now, &mut owners_done).await?);
            for (_, k) in &report.advanced {
                lines.push(format!(
                    "gate: wave {} is green and soaked → wave {k} opens: {}",
                    k.saturating_sub(1),
                    wave_repos(&targets, *k).join(", ")
                ));
            }
            if !report.halted.is_empty() {
                halts += 1;
                lines.push(format!(
                    "HALTED at wave {}: {}",
                    rollout.current_wave,
                    rollout.reason.as_deref().unwrap_or("(no reason recorded)")
                ));
            }
            if !report.completed.is_empty() {
                lines.push(format!(
                    "COMPLETED: all {} waves met the gate",
                    rollout.wave_count
                ));
            }
            for line in &lines {
                writeln!(out, "{} {line}", stamp(START, now))?;
            }
            if !lines.is_empty() || report != crate::rollout::TickReport::default() {
                self.steer.announce(id);
            }
            before = after;
            // Halted or paused with people at the page in charge.
            let mut page_in_charge = false;
            match rollout.state {
                RolloutState::Completed | RolloutState::Aborted => {
                    let summary = self.summary(now, halts, operator, &failed_once).await?;
                    write_summary(out, id, &summary)?;
                    return Ok(DemoOutcome {
                        rollout_id: id,
                        summary,
                    });
                }
                RolloutState::Halted | RolloutState::Paused if self.steer.taken_over() => {
                    operator_due = None;
                    page_in_charge = true;
                }
                RolloutState::Halted => {
                    // The engine keeps reading CI while the operator looks.
                    let due = *operator_due.get_or_insert(now.plus(self.opts.operator_pause));
                    if now >= due {
                        operator_due = None;
                        self.operate(&targets, now, &mut operator, out).await?;
                        before = view(&store.targets(id).await?);
                        self.steer.announce(id);
                        continue;
                    }
                }
                _ => operator_due = None,
            }
            drop(engine);
            let busy = !lines.is_empty()
                || report.opened + report.ci_changes + report.merged > 0
                || !report.advanced.is_empty();
            let mut next = if busy {
                now.plus(self.opts.poll)
            } else {
                match self.wake(now, operator_due).await {
                    Ok(t) => t,
                    Err(_) if page_in_charge => {
                        // Nothing moves until someone acts on the page.
                        self.steer.woken.notified().await;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            };
            if let Some(due) = operator_due {
                next = next.min(due);
            }
            now = self.pace(now, next).await;
        }
        Err(DemoError::Stuck(format!(
            "rollout {id} did not finish within {} ticks",
            self.opts.max_steps
        )))
    }

    /// The owners the story plays (`Faults`): one merges the bump PR with
    /// git as soon as it is open, one pushes a fix to a red bump PR (its
    /// builds pass from then on). Each acts once; the engine sees what they
    /// did at its next tick, as it would on GitHub.
    async fn owners(
        &self,
        targets: &[TargetRecord],
        now: Timestamp,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Result<Vec<String>, DemoError> {
        let faults = &self.opts.faults;
        let mut lines = Vec::new();
        for (repo, p) in self.forge().all_pulls().await? {
            if p.state != PrState::Open || done.contains(&repo) {
                continue;
            }
            let states: Vec<TargetState> = targets
                .iter()
                .filter(|t| t.repo == repo)
                .map(|t| t.state)
                .collect();
            let merges = faults.merged_by_owner.iter().position(|r| *r == repo);
            let fixes = faults.fixed_by_owner.iter().position(|r| *r == repo);
            let act = match (merges, fixes) {
                (Some(i), _)
                    if states
                        .iter()
                        .any(|s| matches!(s, TargetState::PrOpen | TargetState::CiPending)) =>
                {
                    Some((["Priya", "Omar"][i % 2], true))
                }
                (_, Some(i)) if states.contains(&TargetState::CiFailed) => {
                    Some((["Sam", "Ana"][i % 2], false))
                }
                _ => None,
            };
            let Some((name, merge)) = act else { continue };
            done.insert(repo.clone());
            let dir = self.forge().root().join(format!("{repo}.git"));
            let email = format!("{}@acme.example", name.to_ascii_lowercase());
            let time = now.0 / 1000;
            let (number, base, head) = (p.number, p.base_branch.clone(), p.head_branch.clone());
            let done_by = tokio::task::spawn_blocking(move || {
                let author = crate::git::Author {
                    name,
                    email: &email,
                    time,
                };
                if merge {
                    crate::git::merge_branch(
                        &dir,
                        &base,
                        &head,
                        &format!("Merge pull request #{number} from {head}"),
                        &author,
                    )
                } else {
                    crate::git::commit_on_branch(
                        &dir,
                        &head,
                        &[(
                            "ADAPTED-TO-CORE-UTILS-2.md".to_owned(),
                            b"Config::load now returns a Result; handled.\n".to_vec(),
                        )],
                        "Adapt to core-utils 2.0",
                        &author,
                    )
                }
            })
            .await
            .map_err(|e| DemoError::Stuck(format!("{repo}'s owner: {e}")))?
            .map_err(DemoError::Owner)?;
            if merge {
                lines.push(format!(
                    "{name} ({repo}'s owner): merges PR #{number} with git, without waiting for CI"
                ));
            } else {
                self.ci.owner_fixed(&repo);
                // (Not the commit id: it differs from run to run, the bump
                // commit under it carrying the wall-clock time.)
                let _ = done_by;
                lines.push(format!(
                    "{name} ({repo}'s owner): pushes a fix to the red bump PR #{number}"
                ));
            }
        }
        Ok(lines)
    }

    /// The operator's answer to a halt: retry first failures, skip repeat
    /// failures, resume.
    async fn operate(
        &self,
        targets: &[TargetRecord],
        now: Timestamp,
        log: &mut Vec<String>,
        out: &mut dyn Write,
    ) -> Result<(), DemoError> {
        let id = self.rollout;
        let mut failed: BTreeMap<&str, Vec<&TargetRecord>> = BTreeMap::new();
        for t in targets.iter().filter(|t| t.state.is_failure()) {
            failed.entry(t.repo.as_str()).or_default().push(t);
        }
        let at = stamp(START, now);
        for (repo, ts) in failed {
            let checks: Vec<&str> = ts
                .iter()
                .flat_map(|t| t.failing_checks.iter().map(|c| c.name.as_str()))
                .collect();
            if ts.iter().all(|t| t.retries == 0) {
                self.engine.retry(id, repo, OPERATOR, now).await?;
                writeln!(
                    out,
                    "{at} operator: retry {repo} (first failure, could be flaky: re-run {})",
                    if checks.is_empty() {
                        "it".to_owned()
                    } else {
                        checks.join(", ")
                    }
                )?;
                log.push(format!("retry {repo}"));
            } else {
                let why = "fails again after a retry: a real break, left to its owners";
                self.engine.skip(id, repo, OPERATOR, why, now).await?;
                writeln!(out, "{at} operator: skip {repo} ({why}; its PR stays open)")?;
                log.push(format!("skip {repo}"));
            }
        }
        self.engine.resume(id, OPERATOR, now).await?;
        writeln!(out, "{at} operator: resume rollout {id}")?;
        log.push("resume".to_owned());
        Ok(())
    }

    /// The next moment something can change (a check ends, a soak ends,
    /// the operator acts), on the poll grid.
    async fn wake(
        &self,
        now: Timestamp,
        operator_due: Option<Timestamp>,
    ) -> Result<Timestamp, DemoError> {
        let id = self.rollout;
        let store = self.store();
        let mut candidates: Vec<Timestamp> = self.ci.next_change_after(now).into_iter().collect();
        candidates.extend(operator_due);
        if let Some(rollout) = store.rollout(id).await? {
            let policy = RolloutPolicy::from_json(&rollout.policy)
                .map_err(|e| DemoError::Stuck(e.to_string()))?;
            let met = store
                .waves(id)
                .await?
                .into_iter()
                .find(|w| w.index == rollout.current_wave)
                .and_then(|w| w.met_at);
            if let Some(met) = met {
                candidates.push(met.plus(policy.gate.soak));
            }
        }
        let poll = i64::try_from(self.opts.poll.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let Some(t) = candidates.into_iter().filter(|t| *t > now).min() else {
            return Err(DemoError::Stuck(format!(
                "rollout {id}: nothing left that could move it (no CI running, no soak pending)"
            )));
        };
        // Round up onto the poll grid, strictly after now.
        let steps = (t.0 - START.0 + poll - 1) / poll;
        Ok(Timestamp((START.0 + steps * poll).max(now.0 + poll)))
    }

    /// Sleep for the simulated step divided by the speed; the simulated
    /// time reached: `to`, or earlier when an action on the page woke the
    /// loop.
    async fn pace(&self, from: Timestamp, to: Timestamp) -> Timestamp {
        let Some(speed) = self.opts.speed.filter(|s| s.is_finite() && *s > 0.0) else {
            return to;
        };
        let real = to.since(from).as_secs_f64() / speed;
        if real <= 0.0 {
            return to;
        }
        let started = std::time::Instant::now();
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs_f64(real.min(1e9))) => to,
            _ = self.steer.woken.notified() => {
                let simulated = started.elapsed().as_secs_f64() * speed;
                from.plus(Duration::from_secs_f64(simulated.min(1e12))).min(to)
            }
        }
    }

    async fn summary(
        &self,
        now: Timestamp,
        halts: usize,
        operator: Vec<String>,
        failed_once: &[String],
    ) -> Result<Summary, DemoError> {
        let id = self.rollout;
        let store = self.store();
        let targets = store.targets(id).await?;
        let rollout = store
            .rollout(id)
            .await?
            .ok_or_else(|| DemoError::Stuck(format!("rollout {id} vanished")))?;
        let count = |f: &dyn Fn(TargetState) -> bool| targets.iter().filter(|t| f(t.state)).count();
        let views: BTreeMap<String, RepoView> = view(&targets);
        let pulls = self.forge().all_pulls().await?;
        let mut per_repo: BTreeMap<&str, usize> = BTreeMap::new();
        for (repo, _) in &pulls {
            *per_repo.entry(repo.as_str()).or_default() += 1;
        }
        Ok(Summary {
            state: rollout.state,
            waves: rollout.wave_count,
            repos: views.len(),
            targets: targets.len(),
            merged: count(&|s| s == TargetState::Merged),
            passed: count(&|s| s == TargetState::CiPassed),
            skipped: count(&|s| s == TargetState::Skipped),
            superseded: count(&|s| s == TargetState::Superseded),
            failed: count(&|s| s.is_failure()),
            prs: pulls.len(),
            prs_merged: pulls
                .iter()
                .filter(|(_, p)| p.state == PrState::Merged)
                .count(),
            prs_open: pulls
                .iter()
                .filter(|(_, p)| p.state == PrState::Open)
                .count(),
            duplicate_prs: per_repo
                .iter()
                .filter(|(_, n)| **n > 1)
                .map(|(r, _)| (*r).to_owned())
                .collect(),
            halts,
            operator,
            passed_on_retry: passed_after_failing(failed_once, &views, true),
            fixed_by_owners: passed_after_failing(failed_once, &views, false),
            merged_by_people: views
                .iter()
                .filter_map(|(r, v)| v.merged_by.as_ref().map(|who| format!("{r} ({who})")))
                .collect(),
            skipped_repos: views
                .iter()
                .filter(|(_, v)| v.states.contains(&TargetState::Skipped))
                .map(|(r, _)| r.clone())
                .collect(),
            simulated: now.since(START),
        })
    }
}

/// The repositories of `failed_once` that passed in the end: after a
/// retry (`retried`), or without one (their owner's fix).
fn passed_after_failing(
    failed_once: &[String],
    views: &BTreeMap<String, super::transcript::RepoView>,
    retried: bool,
) -> Vec<String> {
    failed_once
        .iter()
        .filter(|r| {
            views.get(*r).is_some_and(|v| {
                (v.retries > 0) == retried
                    && v.states
                        .iter()
                        .all(|s| matches!(s, TargetState::Merged | TargetState::CiPassed))
            })
        })
        .cloned()
        .collect()
}

/// The repositories of wave `k`, by name.
fn wave_repos(targets: &[TargetRecord], k: u32) -> Vec<String> {
    let mut repos: Vec<String> = targets
        .iter()
        .filter(|t| t.wave == k)
        .map(|t| t.repo.clone())
        .collect();
    repos.dedup();
    repos.sort();
    repos.dedup();
    repos
}

fn write_summary(out: &mut dyn Write, id: i64, s: &Summary) -> std::io::Result<()> {
    writeln!(out, "\nSummary")?;
    writeln!(
        out,
        "  rollout {id}: {} after {} waves and {} of simulated time",
        s.state,
        s.waves,
        duration(s.simulated)
    )?;
    writeln!(
        out,
        "  {} targets in {} repositories: {} merged, {} passed (not merged), {} skipped, {} already up to date, {} failed",
        s.targets, s.repos, s.merged, s.passed, s.skipped, s.superseded, s.failed
    )?;
    let open = if s.prs_open == 0 {
        String::new()
    } else {
        format!(" (left to their owners: {})", s.skipped_repos.join(", "))
    };
    let per_repo = if s.duplicate_prs.is_empty() {
        "one per repository".to_owned()
    } else {
        format!("DUPLICATES in {}", s.duplicate_prs.join(", "))
    };
    writeln!(
        out,
        "  {} pull requests, {per_repo}: {} merged, {} open{open}",
        s.prs, s.prs_merged, s.prs_open
    )?;
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    writeln!(
        out,
        "  passed on retry (flaky): {}; skipped (real breaks): {}",
        list(&s.passed_on_retry),
        list(&s.skipped_repos)
    )?;
    writeln!(
        out,
        "  fixed by their owners on the PR: {}; merged by people: {}",
        list(&s.fixed_by_owners),
        list(&s.merged_by_people)
    )?;
    writeln!(
        out,
        "  {} halt(s); operator: {}",
        s.halts,
        list(&s.operator)
    )
}
