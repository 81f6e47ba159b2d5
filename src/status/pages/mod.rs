//! The HTML pages: `/` (rollouts), `/rollouts/{id}` (header, waves board,
//! consumer graph, targets table with server-side filter, search and
//! pages, audit timeline), the action forms' POST handlers, the static
//! stylesheet and script, and the security headers of every answer.
//!
//! Invariants: every page works without JavaScript (links, GET filter
//! form, POST action forms); actions are POST-only (a GET is 405) and go
//! through `session::authorise` (session + CSRF) before the engine is
//! called; after a successful action the change is broadcast; a
//! Content-Security-Policy allows scripts and styles from `/static/` only.

mod actions;
#[cfg(feature = "bench-harness")]
mod bench;
mod render;
mod rollout;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;

use super::StatusState;
use super::load;
use super::session::{self, SessionInfo};
use super::view::RolloutSummary;

#[cfg(feature = "bench-harness")]
pub use bench::{BENCH_START, BENCH_WAVES, BenchRollout, render_rollout_page_for_bench};
pub use render::{CSS, JS, TEMPLATES, html_page, message_page, refusal, render};
pub use rollout::{PAGE_SIZE, TableQuery};

/// Headers on every answer: CSP (no inline script or style), no framing,
/// no sniffing, no caching of pages that may show a CSRF token.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// Redirect to the login form when the pages are not public.
pub(crate) fn login_redirect(path: &str) -> Response {
    let mut resp = Redirect::to(&format!("/login?next={}", rollout::encode(path))).into_response();
    *resp.status_mut() = StatusCode::SEE_OTHER;
    resp
}

#[derive(Serialize)]
struct IndexPage {
    title: &'static str,
    session: Option<SessionInfo>,
    rollouts: Vec<RolloutSummary>,
}

async fn index(State(state): State<StatusState>, headers: HeaderMap) -> Response {
    if !session::may_read(&state, &headers).await {
        return login_redirect("/");
    }
    match load::summaries(&state).await {
        Ok(rollouts) => html_page(
            "status_index",
            &IndexPage {
                title: "Rollouts",
                session: session::current(&state, &headers).await,
                rollouts,
            },
            StatusCode::OK,
        ),
        Err(e) => {
            tracing::error!("status page: {e}");
            message_page(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string(), None)
        }
    }
}

fn asset(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

pub(crate) fn routes() -> Router<StatusState> {
    Router::new()
        .route("/", get(index))
        .route("/rollouts/{id}", get(rollout::page))
        .route(
            "/static/status.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/static/status.js",
            get(|| async { asset(JS, "text/javascript; charset=utf-8") }),
        )
        .merge(actions::routes())
}
