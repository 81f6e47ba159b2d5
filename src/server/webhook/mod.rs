//! Receiving GitHub webhook deliveries.
//!
//! The path of a request through `POST /webhook` ([`router::webhook_router`]):
//!
//! 1. [`extract::VerifiedDelivery`] (an axum extractor) checks, in this
//!    order, so an unauthenticated caller only ever learns 401, 413 or 503:
//!    signature header present and well-formed (401) → declared
//!    `Content-Length` within the cap (413, nothing read) → room in the
//!    global body budget ([`budget::BodyBudget`]; 503 with `Retry-After`,
//!    also whenever a streamed chunk would pass it) → body streamed up to
//!    the cap (413), the HMAC-SHA256 of every secret fed chunk by chunk →
//!    HMAC compared (401; a forged body is dropped here and its budget
//!    released) → content type `application/json` (415) →
//!    `X-GitHub-Delivery` / `X-GitHub-Event` present and well-formed (400)
//!    → JSON GitHub could have sent (400: syntax, nesting deeper than
//!    [`extract::MAX_JSON_DEPTH`], numbers out of `f64` range; linear,
//!    builds nothing).
//! 2. The handler answers `ping` with 200, drops events wavebump does not
//!    handle with 202 (counted in [`stats::WebhookStats`]), and hands the
//!    rest as a [`delivery::Delivery`] — id, event name and the raw body
//!    bytes — to a [`router::DeliverySink`]: 202 when stored, 202 "already
//!    received" for a delivery id seen before, 503 when the sink fails.
//! 3. Later, a worker parses the stored bytes with
//!    [`crate::server::events::parse`].
//!
//! Invariants: no request reaches the sink unless its signature verified and
//! its body is JSON GitHub could have sent; a rejected request touches no
//! state except the counters; the bodies held in memory at once never pass
//! the budget (a body keeps its share until it is stored).

pub mod budget;
pub mod delivery;
pub mod extract;
pub mod router;
pub mod signature;
pub mod stats;

pub use budget::{BodyBudget, DEFAULT_BODY_BUDGET_BYTES};
pub use delivery::{Delivery, DeliveryId};
pub use extract::{VerifiedDelivery, WebhookRejection, WebhookVerifier};
pub use router::{Acceptance, DeliverySink, SinkError, WebhookState, webhook_router};
pub use signature::{SignatureError, sign, verify};
pub use stats::{Outcome, WebhookStats};

/// GitHub's documented maximum payload size (25 MB); the default cap.
pub const DEFAULT_MAX_BODY_BYTES: usize = 25 * 1024 * 1024;
