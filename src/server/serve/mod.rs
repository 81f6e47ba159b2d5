//! `wavebump serve` as a library: [`app`] builds the HTTP router (webhook,
//! health, metrics) and the background work (the inbox worker and the
//! reconcile loop) from [`ServeDeps`]; [`serve`] runs them on a listener
//! until a shutdown future resolves. The CLI (`cli_serve`) and the tests
//! use the same functions.
//!
//! Files: `apply` (event → a request to the rollout service), `release`
//! (the release policy: start, schedule or ignore), `comments` (PR
//! commands → operator requests), `reconcile` (the interval tick),
//! `listen` (the accept loop: connection cap, head/body/request timeouts,
//! peer addresses), `load` (the benchmark's load generator; only with the
//! `bench-harness` feature). The engine, its lock, settling and announcing
//! belong to [`crate::rollout::service::RolloutService`], shared by the
//! worker, the reconcile loop and the status page's actions. The background
//! work also runs the change-feed relay ([`crate::status::live::relay`])
//! that carries page updates between replicas, and the retention pruner.
//!
//! Invariants: the HTTP side only verifies and stores (see
//! [`crate::server::webhook`]); all engine work happens in the background
//! tasks, one at a time under the engine lock; with a lease
//! (`options.engine.lease`) only the replica holding it drains the inbox
//! and ticks (see [`crate::server::lease`]); on shutdown the listener stops
//! accepting, in-flight requests finish, then the worker finishes the
//! delivery in hand, the tasks end, and last the lease is released.

mod apply;
mod comments;
pub mod listen;
#[cfg(feature = "bench-harness")]
pub mod load;
mod reconcile;
pub mod release;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

pub use crate::rollout::service::MAX_SETTLE_TICKS;
pub use crate::rollout::service::matching::same_repo;
pub use apply::{Applier, DeferPolicy};
pub use listen::Limits;

use crate::config::Config;
use crate::config::secret::{
    OperatorToken, Secret, SecretError, WEBHOOK_SECRET_ENV, check_strength,
};
use crate::forge::ForgeWrite;
use crate::forge::github::ApiStats;
use crate::rollout::service::{RolloutService, ServiceOptions};
use crate::rollout::{Engine, EngineOptions};
use crate::server::health::health_router;
use crate::server::inbox::{Now, StoreSink, system_now};
use crate::server::lease::{self, Lease};
use crate::server::metrics::{self, WorkerStats};
use crate::server::webhook::{
    BodyBudget, DEFAULT_MAX_BODY_BYTES, WebhookState, WebhookStats, WebhookVerifier, webhook_router,
};
use crate::server::worker::{Worker, WorkerOptions};
use crate::status::live::relay::Relay;
use crate::store::Store;

/// Settings of a serve app.
#[derive(Clone)]
pub struct ServeOptions {
    /// The reconcile loop's interval.
    pub tick_interval: Duration,
    /// Inbox worker settings (polling, retries, parking).
    pub worker: WorkerOptions,
    /// Engine settings. With `engine.lease`, several replicas share one
    /// database: only the lease holder drains the inbox and ticks.
    pub engine: EngineOptions,
    /// How often the lease is renewed (well under its TTL).
    pub lease_renew: Duration,
    /// The GitHub forge's request counters, for `/metrics`.
    pub api_stats: Option<Arc<ApiStats>>,
    /// How CI events of targets whose PR is not recorded yet are deferred.
    pub defer: DeferPolicy,
    /// The bot's login, e.g. `wavebump[bot]` (`<app slug>[bot]`).
    pub bot_login: String,
    /// Webhook body cap.
    pub max_body_bytes: usize,
    /// Connection, time and memory limits of the HTTP server.
    pub limits: Limits,
    /// How often the store's change feed is polled for other replicas'
    /// changes (see [`crate::status::live::relay`]).
    pub change_poll: Duration,
    /// The clock.
    pub now: Now,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            tick_interval: Duration::from_secs(5 * 60),
            worker: WorkerOptions::default(),
            engine: EngineOptions::default(),
            lease_renew: Duration::from_secs(10),
            api_stats: None,
            defer: DeferPolicy::default(),
            bot_login: "wavebump[bot]".to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            limits: Limits::default(),
            change_poll: Duration::from_millis(500),
            now: system_now(),
        }
    }
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("tick_interval", &self.tick_interval)
            .field("worker", &self.worker)
            .field("engine", &self.engine)
            .field("lease_renew", &self.lease_renew)
            .field("defer", &self.defer)
            .field("bot_login", &self.bot_login)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("limits", &self.limits)
            .field("change_poll", &self.change_poll)
            .finish_non_exhaustive()
    }
}

/// Everything a serve app is built from.
pub struct ServeDeps<F> {
    /// The loaded configuration.
    pub config: Arc<Config>,
    /// The opened (migrated) store.
    pub store: Store,
    /// The forge the engine writes through.
    pub forge: F,
    /// Webhook secrets (any may sign; rotation).
    pub secrets: Vec<Secret>,
    /// Status-page operators (name + token); none: the page is read-only.
    pub operators: Vec<OperatorToken>,
    /// Settings.
    pub options: ServeOptions,
}

/// The built app: the router to serve and the background work to start.
pub struct ServeApp<F: ForgeWrite> {
    /// `POST /webhook`, `GET /healthz`, `GET /readyz`, `GET /metrics` and
    /// the status page (`/`, `/rollouts/{id}`, `/api/...`, `/login`,
    /// `/events`).
    pub router: Router,
    /// The worker and the reconcile loop, not started yet.
    pub background: Background<F>,
    /// Webhook request counters.
    pub webhook_stats: Arc<WebhookStats>,
    /// Worker and tick counters.
    pub worker_stats: Arc<WorkerStats>,
    /// The rollout service (the engine behind its lock), shared by the
    /// worker, the reconcile loop and the status page.
    pub engine: Arc<RolloutService<F>>,
    /// This replica's lease (always leader without lease options).
    pub lease: Lease,
    /// The HTTP server's limits (used by [`serve`]).
    pub limits: Limits,
}

/// The background work of an app.
pub struct Background<F: ForgeWrite> {
    worker: Worker<Applier<F>>,
    engine: Arc<RolloutService<F>>,
    lease: Lease,
    lease_renew: Duration,
    tick_interval: Duration,
    now: Now,
    /// What the retention task prunes, and where.
    retention: (Store, crate::store::Retention),
    relay: Relay,
}

/// Started background tasks.
pub struct Running {
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// The lease keeper, stopped last (it releases the lease).
    keeper: (watch::Sender<bool>, JoinHandle<()>),
}

impl<F: ForgeWrite + Send + Sync + 'static> Background<F> {
    /// Spawns the lease keeper, the worker and the reconcile loop.
    pub fn start(self) -> Running {
        let (keeper_tx, keeper_rx) = watch::channel(false);
        let keeper = tokio::spawn(lease::keep(
            self.lease.clone(),
            self.lease_renew,
            self.now.clone(),
            keeper_rx,
        ));
        let (tx, rx) = watch::channel(false);
        let worker = tokio::spawn(self.worker.run(rx.clone()));
        let (store, retention) = self.retention;
        let pruner = tokio::spawn(crate::server::retention::run(
            store,
            retention,
            self.lease.clone(),
            crate::server::retention::PRUNE_EVERY,
            self.now.clone(),
            rx.clone(),
        ));
        let relay = tokio::spawn(self.relay.run(rx.clone()));
        let reconcile = tokio::spawn(reconcile::run(
            self.engine,
            self.lease,
            self.tick_interval,
            self.now,
            rx,
        ));
        Running {
            shutdown: tx,
            tasks: vec![worker, reconcile, pruner, relay],
            keeper: (keeper_tx, keeper),
        }
    }
}

impl Running {
    /// Asks the tasks to stop and waits for them: the worker finishes the
    /// delivery in hand, the reconcile loop the tick in hand.
    /// The lease is released last (a standby takes over at once).
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "background task ended abnormally");
            }
        }
        let (tx, keeper) = self.keeper;
        let _ = tx.send(true);
        if let Err(e) = keeper.await {
            tracing::error!(error = %e, "lease keeper ended abnormally");
        }
    }

    /// Stops every task where it is, as a crash would: nothing is
    /// finished and the lease is not released (it expires). For tests of
    /// what the other replicas and a restart do after a crash.
    pub fn abort(self) {
        for task in self.tasks.iter().chain([&self.keeper.1]) {
            task.abort();
        }
    }
}

/// The webhook secrets: `WAVEBUMP_WEBHOOK_SECRET` (comma-separated: several
/// secrets during a rotation) and the lines of `github.webhook_secret_file`.
/// None at all is an error naming both places.
pub fn webhook_secrets(
    config: &Config,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Secret>, SecretError> {
    let mut out: Vec<Secret> = env(WEBHOOK_SECRET_ENV)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Secret::new)
        .collect();
    if config.github.webhook_secret_file.is_some() {
        // A configured file must be readable and hold a secret.
        out.extend(config.github.load_webhook_secrets(|_| None)?);
    }
    if out.is_empty() {
        return Err(SecretError {
            message: format!(
                "no webhook secret: set {WEBHOOK_SECRET_ENV} (comma-separated for a rotation) \
                 or github.webhook_secret_file in the config"
            ),
        });
    }
    for (i, secret) in out.iter().enumerate() {
        check_strength(
            &format!("webhook secret {} of {}", i + 1, out.len()),
            secret,
        )?;
    }
    Ok(out)
}

/// Refuses operator tokens weaker than
/// [`crate::config::secret::MIN_SECRET_BITS`] (the error names the operator).
pub fn check_operator_tokens(operators: &[OperatorToken]) -> Result<(), SecretError> {
    for op in operators {
        check_strength(&format!("operator `{}`'s token", op.name), &op.token)?;
    }
    Ok(())
}

#[derive(Clone)]
struct MetricsState {
    store: Store,
    webhooks: Arc<WebhookStats>,
    worker: Arc<WorkerStats>,
    api: Option<Arc<ApiStats>>,
    lease: Lease,
    login: Arc<crate::status::session::guard::LoginGuard>,
}

async fn metrics_handler(State(s): State<MetricsState>) -> Response {
    let extra = metrics::Extra {
        github: s.api.as_ref().map(|a| a.snapshot()),
        leader: s.lease.is_leader(),
        login: Some(s.login.counts()),
    };
    let body = metrics::render(&s.store, &s.webhooks, &s.worker, &extra).await;
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Builds the app; nothing runs until [`Background::start`] / [`serve`].
pub fn app<F: ForgeWrite + Send + Sync + 'static>(deps: ServeDeps<F>) -> ServeApp<F> {
    let ServeDeps {
        config,
        store,
        forge,
        secrets,
        operators,
        options,
    } = deps;
    let wake = Arc::new(Notify::new());
    let retention = crate::store::Retention {
        inbox_payload_age: config.store.inbox_retention,
        etag_cache_entries: config.store.etag_cache_entries,
    };
    let lease = Lease::new(store.clone(), options.engine.lease.clone());
    let worker_stats = Arc::new(WorkerStats::default());
    let (changes, _) = broadcast::channel(256);
    let relay = Relay::new(store.clone(), changes.clone(), options.change_poll);
    let engine = Arc::new(
        RolloutService::new(
            Arc::new(Engine::new(store.clone(), forge, options.engine.clone())),
            ServiceOptions { settle: true },
            options.now.clone(),
            changes.clone(),
        )
        .with_config(config.clone())
        .with_observer(worker_stats.clone()),
    );
    let status_state = crate::status::StatusState::new(
        store.clone(),
        engine.clone(),
        changes,
        operators,
        config.server.public_read,
        config.server.public_url.clone(),
    )
    .with_clock(options.now.clone());
    let sink = StoreSink::new(store.clone(), wake.clone(), options.now.clone());
    let budget = BodyBudget::new(options.limits.webhook_body_budget)
        .with_retry_after(options.limits.retry_after);
    let verifier = WebhookVerifier::new(secrets)
        .with_max_body_bytes(options.max_body_bytes)
        .with_budget(budget);
    let state = WebhookState::new(verifier, sink);
    let webhook_stats = state.stats.clone();
    let metrics_state = MetricsState {
        store: store.clone(),
        webhooks: webhook_stats.clone(),
        worker: worker_stats.clone(),
        api: options.api_stats.clone(),
        lease: lease.clone(),
        login: status_state.login.clone(),
    };
    let router = Router::new()
        .merge(webhook_router(state))
        .merge(health_router(store.clone()))
        .merge(
            Router::new()
                .route("/metrics", get(metrics_handler))
                .with_state(metrics_state),
        )
        .merge(crate::status::status_router(status_state));
    let router = listen::with_request_timeout(router, &options.limits);
    let applier = Applier {
        service: engine.clone(),
        config,
        bot_login: options.bot_login.clone(),
        now: options.now.clone(),
        defer: options.defer.clone(),
    };
    let mut worker = Worker::new(
        store.clone(),
        applier,
        options.worker.clone(),
        worker_stats.clone(),
        wake,
        options.now.clone(),
    );
    if lease.options().is_some() {
        worker = worker.with_lease(lease.clone());
    }
    ServeApp {
        router,
        background: Background {
            worker,
            engine: engine.clone(),
            lease: lease.clone(),
            lease_renew: options.lease_renew,
            tick_interval: options.tick_interval,
            now: options.now,
            retention: (store, retention),
            relay,
        },
        webhook_stats,
        worker_stats,
        engine,
        lease,
        limits: options.limits,
    }
}

/// Serves `app` on `listener` and runs its background work until
/// `shutdown` resolves; then stops accepting, lets in-flight requests
/// finish, stops the background work (the delivery in hand is finished)
/// and returns.
pub async fn serve<F: ForgeWrite + Send + Sync + 'static>(
    listener: tokio::net::TcpListener,
    app: ServeApp<F>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let running = app.background.start();
    let served = listen::run(listener, app.router, &app.limits, shutdown).await;
    tracing::info!("HTTP server stopped; finishing background work");
    running.stop().await;
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE_NEW: &str = "file-new-5b0e1c9d3a7f2e6b8c4d0a1f9e3b7c52";
    const FILE_OLD: &str = "file-old-c8a2f6e0b4d9173e5a0c6b2f8d4e1a73";
    const ONE: &str = "env-one-0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    const TWO: &str = "env-two-9a8b7c6d5e4f30211203f4e5d6c7b8a9";

    #[test]
    fn webhook_secrets_from_env_and_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("secrets"),
            format!("# rotation\n{FILE_NEW}\n\n{FILE_OLD}\n"),
        )
        .unwrap();
        // Secret files are readable by their owner only.
        std::fs::set_permissions(
            dir.path().join("secrets"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        let base = "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n";
        let with_file = format!("{base}github:\n  webhook_secret_file: secrets\n");
        let plain = Config::parse_in(base, "t.yaml", dir.path()).unwrap();
        let filed = Config::parse_in(&with_file, "t.yaml", dir.path()).unwrap();
        let new_old = format!(" {ONE} , {TWO} ,,");
        let weak_second = format!("{ONE},s3cret");
        type Case<'a> = (&'a Config, Option<&'a str>, Result<Vec<&'a str>, &'a str>);
        let cases: Vec<Case> = vec![
            (&plain, Some(ONE), Ok(vec![ONE])),
            (&plain, Some(&new_old), Ok(vec![ONE, TWO])),
            (&plain, Some(" , "), Err("WAVEBUMP_WEBHOOK_SECRET")),
            (&plain, None, Err("webhook_secret_file")),
            (&filed, None, Ok(vec![FILE_NEW, FILE_OLD])),
            (&filed, Some(ONE), Ok(vec![ONE, FILE_NEW, FILE_OLD])),
            (
                &plain,
                Some("short"),
                Err("webhook secret 1 of 1 is too weak"),
            ),
            (
                &plain,
                Some(&weak_second),
                Err("webhook secret 2 of 2 is too weak"),
            ),
        ];
        for (i, (config, env, want)) in cases.into_iter().enumerate() {
            let got = webhook_secrets(config, |k| {
                assert_eq!(k, WEBHOOK_SECRET_ENV);
                env.map(str::to_owned)
            });
            match (got, want) {
                (Ok(s), Ok(w)) => {
                    let s: Vec<&str> = s.iter().map(Secret::expose).collect();
                    assert_eq!(s, w, "case {i}");
                }
                (Err(e), Err(w)) => assert!(e.message.contains(w), "case {i}: {}", e.message),
                (got, want) => panic!("case {i}: {got:?} vs {want:?}"),
            }
        }
    }
}
