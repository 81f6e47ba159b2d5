//! The listener: every connection bounded in number and in time.
//!
//! - At most [`Limits::max_connections`] connections are served at once;
//!   past it the accept loop waits for one to end (the kernel's backlog
//!   holds the rest), so file descriptors cannot run out.
//! - The request head must arrive within [`Limits::header_timeout`]
//!   (hyper's `header_read_timeout`, which also runs while a kept-alive
//!   connection waits for its next request: the idle timeout).
//! - A request body that sends nothing for [`Limits::body_idle_timeout`]
//!   fails (tower-http's `RequestBodyTimeout`: a minimum rate), and a whole
//!   request must be answered within [`Limits::request_timeout`]
//!   (tower-http's `Timeout`, 408), streaming answers (`/events`) excepted
//!   once their head is sent.
//! - Each request carries its peer address (`ConnectInfo<SocketAddr>`),
//!   for the login rate limits.
//!
//! Invariant: no connection outlives its timeouts; accept errors (such as
//! running out of file descriptors) pause the loop briefly and never end it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use crate::server::webhook::DEFAULT_BODY_BUDGET_BYTES;

/// Per-connection and global limits of the HTTP server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Time to send a request head; also how long an idle kept-alive
    /// connection stays open.
    pub header_timeout: Duration,
    /// Longest silence inside a request body.
    pub body_idle_timeout: Duration,
    /// Time from the request head to the answer's head (408 past it).
    pub request_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Webhook body bytes held in memory at once, all requests together
    /// (503 with `Retry-After` past it).
    pub webhook_body_budget: usize,
    /// The `Retry-After` of a 503 for a spent budget.
    pub retry_after: Duration,
    /// How long a shutdown waits for open connections (an open `/events`
    /// stream never ends by itself).
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 512,
            webhook_body_budget: DEFAULT_BODY_BUDGET_BYTES,
            retry_after: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// `router` with the per-request time limits.
pub fn with_request_timeout(router: Router, limits: &Limits) -> Router {
    router.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    ))
}

/// Serves `router` on `listener` within `limits` until `shutdown`
/// resolves; then stops accepting and waits up to
/// [`Limits::shutdown_grace`] for open connections.
pub async fn run(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and friends: pause rather than spin or stop.
                    tracing::warn!(error = %e, "accept failed; pausing 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = ServiceBuilder::new()
            .layer(RequestBodyTimeoutLayer::new(limits.body_idle_timeout))
            .map_request(move |mut req: Request<_>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            })
            .service(router.clone());
        let conn =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_ms = limits.shutdown_grace.as_millis() as u64,
            "connections still open after the shutdown grace; closing them"
        );
    }
    Ok(())
}

/// The peer of a request served by [`run`] (absent in `oneshot` tests).
pub fn peer(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a)
}
