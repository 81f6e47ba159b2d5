//! `POST /webhook`: verify, hand to a [`DeliverySink`], answer.
//!
//! Invariant: the handler does no parsing beyond the extractor's syntax
//! check and no work beyond one `accept` call; the answer is 202 as soon as
//! the sink has the delivery (or already had it), 200 for `ping`, 202 for
//! events wavebump does not handle (dropped, counted), and a rejection's
//! status otherwise. Every request is counted once in [`WebhookStats`].

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tracing::Instrument;

use super::delivery::Delivery;
use super::extract::{VerifiedDelivery, WebhookRejection, WebhookVerifier};
use super::stats::{Outcome, WebhookStats};
use crate::server::events::EventKind;

/// What the sink did with a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// Stored for processing.
    Accepted,
    /// A delivery with this id was stored before; nothing changed.
    Duplicate,
}

/// The sink could not store a delivery (answered 503 so that a redelivery
/// can bring it again). The message is logged, not shown to the caller.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// Where verified deliveries go: the durable inbox in production, an
/// in-memory list in tests. `accept` must be idempotent per delivery id.
pub trait DeliverySink: Clone + Send + Sync + 'static {
    /// Stores `delivery` unless its id was seen before.
    fn accept(
        &self,
        delivery: Delivery,
    ) -> impl Future<Output = Result<Acceptance, SinkError>> + Send;
}

/// The router's state: the verifier (secrets, cap), the sink, the counters.
#[derive(Clone, Debug)]
pub struct WebhookState<K> {
    /// Secrets and body cap.
    pub verifier: WebhookVerifier,
    /// Where deliveries go.
    pub sink: K,
    /// Shared counters (read by `/metrics`).
    pub stats: Arc<WebhookStats>,
}

impl<K> WebhookState<K> {
    /// A state with fresh counters.
    pub fn new(verifier: WebhookVerifier, sink: K) -> Self {
        WebhookState {
            verifier,
            sink,
            stats: Arc::default(),
        }
    }
}

impl<K> FromRef<WebhookState<K>> for WebhookVerifier {
    fn from_ref(state: &WebhookState<K>) -> Self {
        state.verifier.clone()
    }
}

/// `POST /webhook` over `state`; merge it into the server's router.
pub fn webhook_router<K: DeliverySink>(state: WebhookState<K>) -> Router {
    Router::new()
        .route("/webhook", post(receive::<K>))
        .with_state(state)
}

async fn receive<K: DeliverySink>(
    State(state): State<WebhookState<K>>,
    delivery: Result<VerifiedDelivery, WebhookRejection>,
) -> Response {
    let VerifiedDelivery(delivery, held) = match delivery {
        Ok(d) => d,
        Err(rejection) => {
            let outcome = match rejection.status() {
                StatusCode::UNAUTHORIZED => Outcome::Unauthorized,
                StatusCode::PAYLOAD_TOO_LARGE => Outcome::TooLarge,
                StatusCode::UNSUPPORTED_MEDIA_TYPE => Outcome::UnsupportedMediaType,
                StatusCode::SERVICE_UNAVAILABLE => Outcome::Busy,
                _ => Outcome::BadRequest,
            };
            // A refused request's event name is not trusted as a label.
            state.stats.record(None, outcome);
            tracing::warn!(status = rejection.status().as_u16(), error = %rejection, "webhook rejected");
            return rejection.into_response();
        }
    };
    let id = delivery.delivery_id.clone();
    let event = delivery.event_name.clone();
    let span = tracing::info_span!("webhook", delivery = %id, event = %event);
    match EventKind::from_name(&event) {
        Some(EventKind::Ping) => {
            state.stats.record(Some(&event), Outcome::Ping);
            tracing::info!(parent: &span, "ping");
            return (StatusCode::OK, "pong\n").into_response();
        }
        None => {
            state.stats.record(Some(&event), Outcome::Ignored);
            tracing::info!(parent: &span, "event not handled: dropped");
            return (
                StatusCode::ACCEPTED,
                format!("ignored: wavebump does not handle `{event}` events\n"),
            )
                .into_response();
        }
        Some(_) => {}
    }
    let stored = state.sink.accept(delivery).instrument(span.clone()).await;
    drop(held); // the body is stored (or refused): its budget is free
    let _enter = span.enter();
    match stored {
        Ok(Acceptance::Accepted) => {
            state.stats.record(Some(&event), Outcome::Accepted);
            tracing::info!("delivery stored");
            (StatusCode::ACCEPTED, "accepted\n").into_response()
        }
        Ok(Acceptance::Duplicate) => {
            state.stats.record(Some(&event), Outcome::Duplicate);
            tracing::info!("delivery already received");
            (StatusCode::ACCEPTED, "already received\n").into_response()
        }
        Err(e) => {
            state.stats.record(Some(&event), Outcome::SinkFailed);
            tracing::error!(error = %e, "could not store delivery");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "could not store the delivery; retry later\n",
            )
                .into_response()
        }
    }
}
