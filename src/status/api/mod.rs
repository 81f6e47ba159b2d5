//! The JSON API: `/api/rollouts` (summaries, active first) and
//! `/api/rollouts/{id}` (the whole view of one rollout: header, waves with
//! their gates, every target, graph, audit). Same view model as the pages,
//! so the two never disagree; same read rule (public, or a session).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::StatusState;
use super::load;
use super::session;

/// The version of the API's JSON shape.
pub const API_VERSION: u32 = 1;

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn list(State(state): State<StatusState>, headers: HeaderMap) -> Response {
    if !session::may_read(&state, &headers).await {
        return error(StatusCode::UNAUTHORIZED, "log in first");
    }
    match load::summaries(&state).await {
        Ok(rollouts) => {
            Json(json!({ "api_version": API_VERSION, "rollouts": rollouts })).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn one(
    State(state): State<StatusState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !session::may_read(&state, &headers).await {
        return error(StatusCode::UNAUTHORIZED, "log in first");
    }
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::NOT_FOUND, "expected a rollout number");
    };
    match load::rollout(&state, id).await {
        Ok(Some(view)) => {
            Json(json!({ "api_version": API_VERSION, "rollout": view })).into_response()
        }
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no rollout {id}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

pub(crate) fn routes() -> Router<StatusState> {
    Router::new()
        .route("/api/rollouts", get(list))
        .route("/api/rollouts/{id}", get(one))
}
