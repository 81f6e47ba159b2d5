//! `GET /healthz` (the process answers) and `GET /readyz` (the store is
//! reachable and its schema is the one this binary knows).
//!
//! Invariant: neither endpoint changes anything; `/readyz` answers 503 with
//! the reason when the store is not usable, so a load balancer stops
//! sending webhooks that could not be stored.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::store::{SCHEMA_VERSION, Store};

/// `/healthz` and `/readyz` over `store`.
pub fn health_router(store: Store) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(store)
}

async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

async fn readyz(State(store): State<Store>) -> Response {
    match store.schema_version().await {
        Ok(v) if v == SCHEMA_VERSION => (StatusCode::OK, "ready\n").into_response(),
        Ok(v) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store schema version {v}, expected {SCHEMA_VERSION}\n"),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readyz: store unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "store unreachable\n".to_owned(),
            )
                .into_response()
        }
    }
}
