//! `wavebump serve`: load the config, the webhook secrets, the store and
//! the GitHub forge (its ETag cache in the store, its request counters on
//! `/metrics`), then run [`crate::server::serve`] until SIGTERM or Ctrl-C.
//! Replicas on one database elect one leader through the store lease
//! `engine` (holder `--lease-holder`, else `$WAVEBUMP_LEASE_HOLDER`, else
//! `HOST:PID`; `--lease-ttl`, default [`LEASE_TTL`]); a `wavebump rollout run` on
//! the same database takes part in the same election. Exit codes: 0 after a graceful shutdown, 1 on a runtime failure
//! (store, GitHub, socket), 2 on a configuration error (no webhook secret,
//! bad config, bad flag).

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::Config;
use crate::config::values::parse_duration;
use crate::forge::github::{GitHubForge, StoreEtagCache};
use crate::rollout::LeaseOptions;
use crate::server::serve::{self, ServeDeps, ServeOptions, webhook_secrets};
use crate::store::Store;

/// How long the lease holds without renewal by default: a standby takes
/// over at most this long (plus one renewal interval) after the leader died.
pub const LEASE_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// The leader renews the lease six times per TTL.
fn lease_renew(ttl: std::time::Duration) -> std::time::Duration {
    (ttl / 6).max(std::time::Duration::from_millis(100))
}

/// The variable naming this instance in the lease (e.g. a pod or unit
/// name): an instance restarted after a crash then takes its own lease
/// back at once instead of waiting out [`LEASE_TTL`]. It must differ
/// between instances running at the same time.
pub const LEASE_HOLDER_ENV: &str = "WAVEBUMP_LEASE_HOLDER";

/// This process's default name in the lease (without `--lease-holder`):
/// `$WAVEBUMP_LEASE_HOLDER`, else `HOST:PID`.
fn holder() -> String {
    if let Some(name) = std::env::var(LEASE_HOLDER_ENV)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
    {
        return name;
    }
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    format!("{host}:{}", std::process::id())
}

/// `wavebump serve` arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Listen address (default: the config's `server.listen`).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// How often the reconcile loop ticks the engine (e.g. `30s`, `5m`).
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub tick_interval: String,
    /// Failed attempts after which a delivery is parked.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_attempts: u32,
    /// The bot's login, whose pushes and comments are wavebump's own.
    #[arg(long, value_name = "LOGIN", default_value = "wavebump[bot]")]
    pub bot_login: String,
    /// This replica's name in the leader lease (default
    /// `$WAVEBUMP_LEASE_HOLDER`, else `HOST:PID`). A
    /// stable name per replica (e.g. a StatefulSet pod name) lets a
    /// restarted replica take its lease back at once instead of waiting
    /// for it to expire; two live replicas must never share one.
    #[arg(long, value_name = "NAME")]
    pub lease_holder: Option<String>,
    /// How long the leader lease holds without renewal (renewed every
    /// sixth of it): a standby takes over about this long after the leader
    /// died.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub lease_ttl: String,
    /// Connections served at once; more wait in the kernel's backlog.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub max_connections: usize,
    /// Webhook bodies held in memory at once, all requests together, in
    /// MiB (at least 25: one body of GitHub's maximum size); past it the
    /// answer is 503 with Retry-After.
    #[arg(long, value_name = "MIB", default_value_t = 32)]
    pub webhook_body_budget: usize,
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    tracing::error!("{message}");
    eprintln!("error: {message}");
    ExitCode::from(code)
}

/// Structured logs on stderr: JSON when stderr is not a terminal, human
/// text otherwise; `RUST_LOG` filters (default `info`).
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let done = if std::io::stderr().is_terminal() {
        builder.try_init()
    } else {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init()
    };
    // Already initialised (tests): keep the existing subscriber.
    drop(done);
}

/// Runs `wavebump serve`.
pub fn run(args: &ServeArgs) -> ExitCode {
    init_logging();
    let Some(tick_interval) = parse_duration(&args.tick_interval).filter(|d| !d.is_zero()) else {
        return fail(
            2,
            format!(
                "--tick-interval {:?}: expected a positive duration such as 30s or 5m",
                args.tick_interval
            ),
        );
    };
    let Some(lease_ttl) = parse_duration(&args.lease_ttl).filter(|d| !d.is_zero()) else {
        return fail(
            2,
            format!(
                "--lease-ttl {:?}: expected a positive duration such as 30s or 1m",
                args.lease_ttl
            ),
        );
    };
    let lease_holder = match args.lease_holder.as_deref().map(str::trim) {
        None => holder(),
        Some("") => return fail(2, "--lease-holder: expected a non-empty name"),
        Some(name) => name.to_owned(),
    };
    if args.max_attempts == 0 {
        return fail(2, "--max-attempts must be at least 1");
    }
    if args.max_connections == 0 {
        return fail(2, "--max-connections must be at least 1");
    }
    if args.webhook_body_budget < 25 {
        return fail(
            2,
            "--webhook-body-budget must be at least 25 (MiB): GitHub sends bodies of up to 25 MB",
        );
    }
    let config = match Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    let secrets = match webhook_secrets(&config, |k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => return fail(2, format!("refusing to start: {e}")),
    };
    let operators = match config
        .server
        .load_operator_tokens(|k| std::env::var(k).ok())
    {
        Ok(o) => o,
        Err(e) => return fail(2, format!("refusing to start: {e}")),
    };
    if let Err(e) = serve::check_operator_tokens(&operators) {
        return fail(2, format!("refusing to start: {e}"));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(1, format!("cannot start the runtime: {e}")),
    };
    let mut options = ServeOptions {
        tick_interval,
        bot_login: args.bot_login.clone(),
        lease_renew: lease_renew(lease_ttl),
        ..ServeOptions::default()
    };
    options.engine.lease = Some(
        LeaseOptions::new(lease_holder, lease_ttl).with_clock(crate::rollout::LeaseClock::system()),
    );
    options.worker.max_attempts = args.max_attempts;
    options.limits.max_connections = args.max_connections;
    options.limits.webhook_body_budget = args.webhook_body_budget.saturating_mul(1024 * 1024);
    let listen = args.listen.unwrap_or(config.server.listen);
    runtime.block_on(run_async(config, secrets, operators, options, listen))
}

async fn run_async(
    config: Config,
    secrets: Vec<crate::config::secret::Secret>,
    operators: Vec<crate::config::secret::OperatorToken>,
    mut options: ServeOptions,
    listen: SocketAddr,
) -> ExitCode {
    let store = match Store::open(&config.store.backend).await {
        Ok(s) => s,
        Err(e) => return fail(1, e),
    };
    let mut forge_options =
        match GitHubForge::options_from_config(&config, |k| std::env::var(k).ok()) {
            Ok(o) => o,
            Err(e) => return fail(2, e),
        };
    forge_options.cache = Arc::new(StoreEtagCache::new(store.clone()));
    let forge = match GitHubForge::connect(forge_options).await {
        Ok(f) => f,
        Err(e) => return fail(1, e),
    };
    options.api_stats = Some(forge.api_stats());
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => return fail(1, format!("cannot listen on {listen}: {e}")),
    };
    tracing::info!(
        listen = %listen,
        store = store.describe(),
        org = forge.org(),
        secrets = secrets.len(),
        operators = operators.len(),
        tick_interval_ms = options.tick_interval.as_millis() as u64,
        holder = options.engine.lease.as_ref().map_or("", |l| l.holder.as_str()),
        "wavebump serve started"
    );
    let app = serve::app(ServeDeps {
        config: Arc::new(config),
        store: store.clone(),
        forge,
        secrets,
        operators,
        options,
    });
    let served = serve::serve(listener, app, shutdown_signal()).await;
    store.close().await;
    match served {
        Ok(()) => {
            tracing::info!("wavebump serve stopped");
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, format!("server: {e}")),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        _ = term => tracing::info!("SIGTERM: shutting down"),
    }
}
