//! `wavebump rollout ...` (start, status, tick, run and the operator
//! commands) and `wavebump pr open`: argument handling around the engine.
//!
//! Boundary: every decision is the engine's (`rollout`), reached through
//! the rollout service (`Request::NewVersion` for `start`,
//! `Request::Operator` for the verbs, `Request::Tick`); this file picks
//! the config, store, forge (GitHub from the config, or the local forge
//! with `--local DIR`: every command is generic over `ForgeWrite`) and
//! operator name, prints, and maps errors to
//! exit codes: 0 ok, 1 failure, 2 usage or refusal (a command the rollout's
//! state does not allow, an unknown repository: the message says the state,
//! what is allowed, or close matches). Progress bars only on a terminal.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::forge::ForgeWrite;
use crate::forge::github::GitHubForge;
use crate::forge::local::LocalForge;
use crate::names::RepoName;
use crate::planning;
use crate::rollout::bump::{BumpOutcome, BumpRequest, Journal, branch_for, find_release};
use crate::rollout::policy::{PrPolicy, short_library};
use crate::rollout::service::{
    NewVersion, OperatorRequest, Outcome, Request, RolloutService, ServiceError, ServiceOptions,
    TickTrigger, Verb, VersionOutcome, VersionSource, parse_version,
};
use crate::rollout::{
    CommandError, Engine, EngineError, EngineOptions, LeaseOptions, RolloutPolicy, RolloutState,
    Timestamp, close_matches, eta,
};
use crate::store::{RolloutRecord, Store};

/// Where and as whom (shared by every `rollout` subcommand).
#[derive(Debug, clap::Args)]
pub struct Common {
    /// The configuration file (its store and GitHub sections are used).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// A directory of git repositories instead of GitHub (the local forge)
    // PRs are branches of bare `NAME.git` repositories plus records in
    // DIR/.wavebump/pulls.json; no CI, so targets wait in `ci_pending`.
    // (The help text is in the README's generated CLI reference.)
    #[arg(long, value_name = "DIR", global = true)]
    pub local: Option<PathBuf>,
    /// The operator name recorded in the audit log (default: $USER).
    #[arg(long = "as", value_name = "NAME", global = true)]
    pub operator: Option<String>,
    /// The rollout to act on (default: the only one not finished).
    #[arg(long, value_name = "ID", global = true)]
    pub rollout: Option<i64>,
}

#[derive(Debug, clap::Args)]
pub struct RolloutArgs {
    #[command(subcommand)]
    pub command: RolloutCommand,
    #[command(flatten)]
    pub common: Common,
}

/// Engine lease settings of `tick` and `run`.
#[derive(Debug, Clone, clap::Args)]
pub struct LeaseArgs {
    /// This engine's name for the lease (default: HOST:PID). Engines on one
    /// database must have different names.
    #[arg(long, value_name = "NAME")]
    pub holder: Option<String>,
    /// How long the lease holds without renewal (seconds); another engine
    /// takes over this long after this one stops.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub lease_ttl: f64,
    /// PRs opened per tick at most.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub pr_budget: usize,
}

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Plan and start a rollout (wave 0 opens at the next tick).
    #[command(after_help = "Example:\n  wavebump rollout start --config wavebump.yaml --to 2.0.0")]
    Start {
        /// The version to roll out (default: the library's latest tag).
        #[arg(long, value_name = "VERSION")]
        to: Option<String>,
    },
    /// Rollouts, waves, targets, PRs, CI and ETA.
    #[command(after_help = "Example:\n  wavebump rollout status --config wavebump.yaml --json 1")]
    Status {
        #[arg(long)]
        json: bool,
        /// One rollout (default: every rollout).
        id: Option<i64>,
    },
    /// One engine step: open PRs, follow CI, merge, evaluate the gate.
    #[command(after_help = "Example:\n  wavebump rollout tick --config wavebump.yaml")]
    Tick {
        #[command(flatten)]
        lease: LeaseArgs,
    },
    /// Tick every --interval seconds until Ctrl-C or SIGTERM (for use
    /// without webhooks).
    #[command(after_help = "Example:\n  wavebump rollout run --config wavebump.yaml --interval 60")]
    Run {
        /// Seconds between ticks (fractions allowed).
        #[arg(long, value_name = "SECS", default_value_t = 60.0)]
        interval: f64,
        /// Stop once no rollout is left to drive.
        #[arg(long)]
        until_done: bool,
        #[command(flatten)]
        lease: LeaseArgs,
    },
    /// Stop opening PRs and advancing waves.
    #[command(after_help = "Example:\n  wavebump rollout pause --reason \"incident 42\"")]
    Pause {
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Continue a paused or halted rollout.
    Resume,
    /// Open the next wave now, whatever the gate says (recorded with your name).
    Advance,
    /// Stop the rollout: open PRs are closed with the comment.
    #[command(after_help = "Example:\n  wavebump rollout abort --comment \"2.0.0 withdrawn\"")]
    Abort {
        #[arg(long, default_value = "Rollout aborted by wavebump.")]
        comment: String,
    },
    /// Re-run a repository's failed checks (an empty commit for commit statuses; a target in error is opened again)
    ///
    /// Check suites are re-requested; commit statuses from external CI have
    /// no re-run API, so an empty commit is pushed to the bump branch, never
    /// to a branch a person pushed to. When neither is possible the retry is
    /// refused and nothing changes.
    #[command(after_help = "Example:\n  wavebump rollout retry acme/billing-service")]
    Retry { repo: String },
    /// Leave a repository out of the rollout.
    #[command(after_help = "Example:\n  wavebump rollout skip acme/legacy --reason \"frozen\"")]
    Skip {
        repo: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct PrArgs {
    #[command(subcommand)]
    pub command: PrCommand,
}

#[derive(Debug, Subcommand)]
pub enum PrCommand {
    /// Open (or update) the version-bump PR of one repository, the way the
    /// engine does; prints the PR's URL.
    #[command(
        after_help = "Example:\n  wavebump pr open --config wavebump.yaml --repo acme/billing --to 2.0.0"
    )]
    Open {
        #[arg(long, value_name = "OWNER/NAME")]
        repo: String,
        #[arg(long, value_name = "VERSION")]
        to: String,
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[arg(long, value_name = "DIR")]
        local: Option<PathBuf>,
    },
}

/// A failure and its exit code.
struct Fail(u8, String);

impl Fail {
    fn usage(m: impl std::fmt::Display) -> Fail {
        Fail(2, m.to_string())
    }
    fn other(m: impl std::fmt::Display) -> Fail {
        Fail(1, m.to_string())
    }
}

impl From<CommandError> for Fail {
    fn from(e: CommandError) -> Fail {
        match e {
            CommandError::Engine(e) => Fail::other(e),
            refusal => Fail::usage(refusal),
        }
    }
}

impl From<ServiceError> for Fail {
    fn from(e: ServiceError) -> Fail {
        if e.is_user() {
            Fail::usage(e)
        } else {
            Fail::other(e)
        }
    }
}

impl From<EngineError> for Fail {
    fn from(e: EngineError) -> Fail {
        Fail::other(e)
    }
}

fn finish(result: Result<(), Fail>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Fail> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Fail::other(format!("cannot start the runtime: {e}")))
}

fn load_config(path: Option<&PathBuf>) -> Result<Config, Fail> {
    let path = path.ok_or_else(|| Fail::usage("--config FILE is required"))?;
    Config::load(path).map_err(Fail::usage)
}

/// The GitHub forge of the config's `github` section; its ETag cache is in
/// `store` when there is one.
async fn github(config: &Config, store: Option<&Store>) -> Result<GitHubForge, Fail> {
    let env = |k: &str| std::env::var(k).ok();
    match store {
        Some(store) => GitHubForge::from_config_with_store(config, env, store).await,
        None => GitHubForge::from_config(config, env).await,
    }
    .map_err(Fail::usage)
}

/// `--local DIR`: the local forge over a directory of git repositories
/// (pushes need bare ones, `NAME.git`). It has no CI: targets stay
/// `ci_pending` until an operator advances, skips or aborts.
fn local_forge(dir: &Path) -> Result<LocalForge, Fail> {
    if !dir.is_dir() {
        return Err(Fail::usage(format!(
            "--local {}: not a directory",
            dir.display()
        )));
    }
    Ok(LocalForge::new(dir))
}

/// `wavebump rollout ...`.
pub fn run(args: &RolloutArgs) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(rollout(args))))
}

/// `wavebump pr ...`.
pub fn run_pr(args: &PrArgs) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(pr(args))))
}

fn operator(common: &Common) -> String {
    common
        .operator
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "operator".to_owned())
}

async fn rollout(args: &RolloutArgs) -> Result<(), Fail> {
    let config = load_config(args.common.config.as_ref())?;
    let store = Store::open(&config.store.backend)
        .await
        .map_err(Fail::other)?;
    if let RolloutCommand::Status { json, id } = &args.command {
        return status(&store, *json, id.or(args.common.rollout)).await;
    }
    match &args.common.local {
        Some(dir) => drive(local_forge(dir)?, store, &config, args).await,
        None => drive(github(&config, Some(&store)).await?, store, &config, args).await,
    }
}

/// Everything that needs the forge, generic over it.
async fn drive<F: ForgeWrite>(
    forge: F,
    store: Store,
    config: &Config,
    args: &RolloutArgs,
) -> Result<(), Fail> {
    let who = operator(&args.common);
    let lease = match &args.command {
        RolloutCommand::Tick { lease } | RolloutCommand::Run { lease, .. } => Some(lease.clone()),
        _ => None,
    };
    let options = EngineOptions {
        pr_budget_per_tick: lease.as_ref().map_or(20, |l| l.pr_budget),
        lease: lease.as_ref().map(lease_options).transpose()?,
        ..EngineOptions::default()
    };
    let progress_bar = bar("{bar:40} {pos}/{len} repositories");
    let mut service = RolloutService::new(
        Arc::new(Engine::new(store, forge, options)),
        // This engine holds no lease: it never ticks unless asked (`tick`).
        ServiceOptions { settle: false },
        crate::clock::system(),
        tokio::sync::broadcast::channel(1).0,
    )
    .with_config(Arc::new(config.clone()));
    if let Some(b) = progress_bar.clone() {
        service = service.with_progress(Box::new(move |done: usize, total: usize| {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }));
    }
    let now = Timestamp::now();
    match &args.command {
        RolloutCommand::Status { .. } => Ok(()),
        RolloutCommand::Start { to } => {
            let started = start(&service, config, to.as_deref(), &who).await;
            if let Some(b) = &progress_bar {
                b.finish_and_clear();
            }
            started
        }
        RolloutCommand::Tick { .. } => {
            let report = service.tick(now, TickTrigger::Operator).await;
            // A one-shot tick holds the lease only while it acts.
            if matches!(&report, Ok(r) if r.leader) {
                service.engine().release_lease().await?;
            }
            print_tick(service.engine(), &report?).await;
            Ok(())
        }
        RolloutCommand::Run {
            interval,
            until_done,
            ..
        } => run_loop(&service, *interval, *until_done).await,
        command => {
            let Some((verb, repo, reason)) = command.operator() else {
                return Ok(());
            };
            let rollout = pick(service.engine().store(), args.common.rollout).await?;
            let request = Request::Operator(OperatorRequest {
                actor: who,
                rollout,
                verb,
                repo: repo.map(str::to_owned),
                reason: reason.to_owned(),
            });
            if let Outcome::Acted {
                rollout,
                state,
                reason,
                answer,
                ..
            } = service.handle(request).await?
            {
                match answer {
                    Some(answer) => println!("{answer}"),
                    None => {
                        let why = reason.map(|s| format!(" ({s})")).unwrap_or_default();
                        println!("rollout {rollout}: {state}{why}");
                    }
                }
            }
            Ok(())
        }
    }
}

impl RolloutCommand {
    /// The operator verb of this subcommand, with its repository and reason
    /// (the abort comment for `abort`); `None` for the other subcommands.
    fn operator(&self) -> Option<(Verb, Option<&str>, &str)> {
        Some(match self {
            RolloutCommand::Pause { reason } => (Verb::Pause, None, reason.as_str()),
            RolloutCommand::Resume => (Verb::Resume, None, ""),
            RolloutCommand::Advance => (Verb::Advance, None, ""),
            RolloutCommand::Abort { comment } => (Verb::Abort, None, comment.as_str()),
            RolloutCommand::Retry { repo } => (Verb::Retry, Some(repo.as_str()), ""),
            RolloutCommand::Skip { repo, reason } => {
                (Verb::Skip, Some(repo.as_str()), reason.as_str())
            }
            RolloutCommand::Start { .. }
            | RolloutCommand::Status { .. }
            | RolloutCommand::Tick { .. }
            | RolloutCommand::Run { .. } => return None,
        })
    }
}

fn lease_options(l: &LeaseArgs) -> Result<LeaseOptions, Fail> {
    let ttl = Duration::try_from_secs_f64(l.lease_ttl)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            Fail::usage(format!(
                "--lease-ttl {}: expected a positive number of seconds",
                l.lease_ttl
            ))
        })?;
    let holder = l.holder.clone().unwrap_or_else(|| {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "host".to_owned());
        format!("{host}:{}", std::process::id())
    });
    Ok(LeaseOptions::new(holder, ttl).with_clock(crate::rollout::LeaseClock::system()))
}

fn reason_of(r: &RolloutRecord) -> String {
    r.reason
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default()
}

/// `--rollout ID`, or the only rollout not finished.
async fn pick(store: &Store, id: Option<i64>) -> Result<i64, Fail> {
    if let Some(id) = id {
        return Ok(id);
    }
    let live: Vec<RolloutRecord> = store
        .rollouts()
        .await
        .map_err(Fail::other)?
        .into_iter()
        .filter(|r| !r.state.is_terminal())
        .collect();
    match live.as_slice() {
        [one] => Ok(one.id),
        [] => Err(Fail::usage(
            "no rollout in progress; start one with `wavebump rollout start`",
        )),
        many => Err(Fail::usage(format!(
            "several rollouts in progress ({}); say which with --rollout ID",
            many.iter()
                .map(|r| format!("{} {} {}", r.id, r.to_version, r.state))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn bar(template: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    Some(bar)
}

/// `rollout start [--to V]`: a new version for the rollout service (the
/// one start-or-supersede); the outcome printed, refusals exit 2.
async fn start<F: ForgeWrite>(
    service: &RolloutService<F>,
    config: &Config,
    to: Option<&str>,
    who: &str,
) -> Result<(), Fail> {
    let version = to.map(parse_version).transpose()?;
    let request = Request::NewVersion(NewVersion {
        library: config.library.repository.clone(),
        version,
        source: VersionSource::Cli,
        actor: who.to_owned(),
    });
    let Outcome::Version(done) = service.handle(request).await? else {
        return Ok(());
    };
    match done {
        VersionOutcome::Started {
            rollout,
            library,
            version,
            targets,
            waves,
            resumed: false,
            ..
        } => {
            println!(
                "rollout {rollout} started: {library} {version} to {targets} target(s) in {waves} wave(s)"
            );
            Ok(())
        }
        started @ VersionOutcome::Started { .. } => {
            println!("{}", started.summary());
            Ok(())
        }
        VersionOutcome::Superseded(done) => {
            println!("{}", done.summary());
            for (repo, why) in &done.left {
                println!("  {repo}: {why}");
            }
            for e in &done.errors {
                println!("  retried at the next tick: {e}");
            }
            Ok(())
        }
        VersionOutcome::AlreadyRolledOut {
            rollout,
            version: current,
            state,
        }
        | VersionOutcome::NotNewer {
            rollout,
            current,
            state,
            ..
        } => Err(ServiceError::Live {
            rollout,
            library: config.library.repository.clone(),
            current,
            state,
        }
        .into()),
        VersionOutcome::NothingToDo { library, version } => Err(Fail::usage(format!(
            "nothing to roll out: no repository needs a PR for {library} {version}"
        ))),
    }
}

async fn print_tick<F: ForgeWrite>(engine: &Engine<F>, r: &crate::rollout::TickReport) {
    if !r.leader {
        let holder = match engine.store().lease("engine").await {
            Ok(Some(l)) => format!(" ({} until {})", l.holder, l.expires_at.0),
            _ => String::new(),
        };
        println!("another engine holds the lease{holder}; nothing done");
        return;
    }
    println!(
        "tick: {} opened, {} CI change(s), {} merged, {} reconciled{}{}{}",
        r.opened,
        r.ci_changes,
        r.merged,
        r.reconciled,
        list(
            " advanced",
            r.advanced.iter().map(|(id, w)| format!("{id}→wave {w}"))
        ),
        list(" halted", r.halted.iter().map(i64::to_string)),
        list(" completed", r.completed.iter().map(i64::to_string)),
    );
    for e in &r.errors {
        eprintln!("warning: {e}");
    }
}

fn list(label: &str, items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.collect();
    if v.is_empty() {
        String::new()
    } else {
        format!(";{label}: {}", v.join(", "))
    }
}

/// Tick until a signal (or, with `until_done`, no rollout left to drive);
/// the lease is released on a clean stop so another engine takes over.
async fn run_loop<F: ForgeWrite>(
    service: &RolloutService<F>,
    interval: f64,
    until_done: bool,
) -> Result<(), Fail> {
    let engine = service.engine();
    let every = Duration::try_from_secs_f64(interval)
        .map_err(|_| Fail::usage(format!("--interval {interval}: expected seconds")))?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Fail::other(format!("cannot watch SIGTERM: {e}")))?;
    let progress = bar("{spinner} {msg}");
    let result = loop {
        match service.tick(Timestamp::now(), TickTrigger::Reconcile).await {
            Ok(r) => {
                if let Some(b) = &progress {
                    b.set_message(format!(
                        "{} opened, {} merged this tick{}",
                        r.opened,
                        r.merged,
                        if r.leader { "" } else { " (standby)" }
                    ));
                    b.tick();
                } else if r.leader
                    && (r.opened + r.merged + r.ci_changes > 0 || !r.errors.is_empty())
                {
                    print_tick(engine, &r).await;
                }
            }
            Err(e) => eprintln!("warning: tick failed: {e}"),
        }
        if until_done {
            match engine.store().active_rollouts().await {
                // An aborting rollout still has PRs to close: not done.
                Ok(a)
                    if a.iter().all(|r| {
                        !matches!(r.state, RolloutState::Running | RolloutState::Aborting)
                    }) =>
                {
                    break Ok(());
                }
                Ok(_) => {}
                Err(e) => eprintln!("warning: {e}"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = tokio::signal::ctrl_c() => break Ok(()),
            _ = term.recv() => break Ok(()),
        }
    };
    if let Some(b) = &progress {
        b.finish_and_clear();
    }
    if let Err(e) = engine.release_lease().await {
        eprintln!("warning: cannot release the lease: {e}");
    }
    engine.store().close().await;
    result
}

async fn status(store: &Store, json: bool, id: Option<i64>) -> Result<(), Fail> {
    let rollouts = match id {
        Some(id) => vec![
            store
                .rollout(id)
                .await
                .map_err(Fail::other)?
                .ok_or_else(|| Fail::usage(format!("no rollout {id}")))?,
        ],
        None => store.rollouts().await.map_err(Fail::other)?,
    };
    let now = Timestamp::now();
    let mut out = Vec::new();
    for r in rollouts {
        let waves = store.waves(r.id).await.map_err(Fail::other)?;
        let targets = store.targets(r.id).await.map_err(Fail::other)?;
        let eta = RolloutPolicy::from_json(&r.policy)
            .ok()
            .map(|p| eta::eta(&r, &waves, &targets, &p, now));
        if json {
            out.push(serde_json::json!({
                "rollout": r,
                "waves": waves,
                "targets": targets,
                "failure_clusters": crate::status::view::failure_clusters(&targets),
                "eta": eta.map(|e| serde_json::json!({
                    "ci_duration_secs": e.ci_duration.as_secs(),
                    "observed": e.observed,
                    "waves": e.waves.iter().map(|t| t.0).collect::<Vec<_>>(),
                    "rollout": e.rollout.0,
                })),
            }));
            continue;
        }
        println!(
            "rollout {}: {} {} — {} (wave {}/{}){}",
            r.id,
            r.library,
            r.to_version,
            r.state,
            r.current_wave + 1,
            r.wave_count,
            reason_of(&r)
        );
        if let Some(e) = &eta {
            let left = e.rollout.0.saturating_sub(now.0).max(0) / 1000;
            println!(
                "  ETA: {}h{:02}m (CI {}s, {})",
                left / 3600,
                left % 3600 / 60,
                e.ci_duration.as_secs(),
                if e.observed {
                    "observed median"
                } else {
                    "policy"
                }
            );
        }
        for t in &targets {
            println!(
                "  wave {:>2}  {:<40} {:<12} {}{}",
                t.wave,
                format!("{} {}", t.repo, t.manifest_path),
                t.state.to_string(),
                t.pr_url.as_deref().unwrap_or(""),
                t.merge_blocked
                    .as_deref()
                    .or(if t.state.is_failure() {
                        t.last_reason.as_deref()
                    } else {
                        None
                    })
                    .map(|s| format!("  ({s})"))
                    .unwrap_or_default()
                    + &people(&t.activity)
            );
        }
    }
    if json {
        let text = serde_json::to_string_pretty(&out).map_err(Fail::other)?;
        println!("{text}");
    }
    Ok(())
}

async fn pr(args: &PrArgs) -> Result<(), Fail> {
    let PrCommand::Open {
        repo,
        to,
        config,
        local,
    } = &args.command;
    let config = load_config(config.as_ref())?;
    let version = planning::parse_version(to).map_err(Fail::usage)?;
    let url = match local {
        Some(dir) => open_one(&local_forge(dir)?, &config, repo, &version).await?,
        None => open_one(&github(&config, None).await?, &config, repo, &version).await?,
    };
    println!("{url}");
    Ok(())
}

/// Open or update `repo`'s bump PR through `rollout::bump::open_or_update`
/// (the engine's path); the PR's URL, or a note when nothing changes.
async fn open_one<F: ForgeWrite>(
    forge: &F,
    config: &Config,
    repo: &str,
    version: &semver::Version,
) -> Result<String, Fail> {
    let repos = forge.list_repos().await.map_err(Fail::other)?;
    let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    let Some(info) = repos.iter().find(|r| RepoName::same(&r.name, repo)) else {
        let near = close_matches(repo, &names);
        return Err(Fail::usage(format!(
            "no repository {repo:?}{}",
            if near.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", near.join(", "))
            }
        )));
    };
    let configured = &config.library.repository;
    let library_repo = repos
        .iter()
        .find(|r| RepoName::refers(&r.name, configured))
        .map_or_else(|| configured.clone(), |r| r.name.clone());
    let short = short_library(config);
    let pr = PrPolicy::from_config(config);
    let req = BumpRequest {
        repo: info.name.clone(),
        base_branch: info.default_branch.clone(),
        branch: branch_for(&pr.branch, "", &short, &version.to_string(), &info.name, 0),
        library_short: short,
        library: planning::library_names(config),
        version: version.clone(),
        manifests: None,
        pr,
        wave: 0,
        waves: 1,
        status_url: None,
        release: find_release(forge, &library_repo, &version.to_string()).await,
        expected_head: None,
        also: Vec::new(),
        lockstep: Vec::new(),
    };
    match crate::rollout::open_or_update(forge, &req, Journal::None).await {
        Ok(BumpOutcome::Pr { pr, created, .. }) => {
            eprintln!(
                "{} PR #{} on {}",
                if created { "opened" } else { "updated" },
                pr.number,
                info.name
            );
            Ok(pr.url)
        }
        Ok(BumpOutcome::UpToDate) => Err(Fail::usage(format!(
            "{}: nothing to change: its default branch already admits {version}",
            info.name
        ))),
        Err(e) => Err(Fail::other(e)),
    }
}

/// What people did on a target's PR, for `rollout status`: `  [merged by
/// bob; approved by carol]`, or nothing.
fn people(a: &crate::store::PrActivity) -> String {
    let mut parts = Vec::new();
    if let Some(who) = &a.merged_by {
        parts.push(format!("merged by {who}"));
    }
    if let Some(who) = &a.closed_by {
        parts.push(format!("closed by {who}"));
    }
    let asked = a.changes_requested();
    if !asked.is_empty() {
        parts.push(format!("changes requested by {}", asked.join(", ")));
    }
    let approved = a.approved();
    if !approved.is_empty() {
        parts.push(format!("approved by {}", approved.join(", ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  [{}]", parts.join("; "))
    }
}
