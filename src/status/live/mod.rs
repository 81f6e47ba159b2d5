//! Live updates: `/rollouts/{id}/events` (one rollout) and `/events` (any
//! rollout) as Server-Sent Events. Each change of the rollout is one
//! `change` event whose data is `{"rollout": ID}`; the page's script then
//! fetches the page again and swaps its regions (the HTML stays the one
//! source of truth). A lagging subscriber gets one `change` for everything
//! it missed.
//!
//! Across replicas ([`relay`]): each replica writes the changes announced
//! on it to the store's change feed and polls the feed for the others'
//! changes, which it hands to its own open pages.
//!
//! Invariant: the stream reveals nothing but rollout ids, and only to
//! readers allowed to see the pages.

pub mod relay;

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::stream::{self, Stream};
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::StatusState;
use super::session;

fn event(id: i64) -> Result<Event, Infallible> {
    Ok(Event::default()
        .event("change")
        .data(format!("{{\"rollout\":{id}}}")))
}

/// Changes of `filter` (or every rollout) as SSE events.
pub fn changes(
    rx: Receiver<i64>,
    filter: Option<i64>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(rx, move |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(id) if filter.is_none_or(|f| f == id) => return Some((event(id), rx)),
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => return Some((event(filter.unwrap_or(0)), rx)),
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

async fn sse(state: &StatusState, headers: &HeaderMap, filter: Option<i64>) -> Response {
    if !session::may_read(state, headers).await {
        return (StatusCode::UNAUTHORIZED, "log in first").into_response();
    }
    let stream = changes(state.changes.subscribe(), filter);
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

async fn one(
    State(state): State<StatusState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match id.parse::<i64>() {
        Ok(id) => sse(&state, &headers, Some(id)).await,
        Err(_) => (StatusCode::NOT_FOUND, "expected a rollout number").into_response(),
    }
}

async fn all(State(state): State<StatusState>, headers: HeaderMap) -> Response {
    sse(&state, &headers, None).await
}

pub(crate) fn routes() -> Router<StatusState> {
    Router::new()
        .route("/rollouts/{id}/events", get(one))
        .route("/events", get(all))
}
