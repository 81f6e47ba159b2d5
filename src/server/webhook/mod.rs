//! Receiving GitHub webhook deliveries.
//!
//! The path of a request through `POST /webhook` ([`router::webhook_router`]):
//!
//! 1. [`extract::VerifiedDelivery`] (an axum extractor) checks, in this
//!    order, so an unauthenticated caller only ever learns 401 or 413:
//!    signature header present and well-formed (401) → declared
//!    `Content-Length` within the cap (413, nothing read) → body read up to
//!    the cap (413) → HMAC-SHA256 against every secret (401) → content type
//!    `application/json` (415) → `X-GitHub-Delivery` / `X-GitHub-Event`
//!    present and well-formed (400) → JSON syntax (400; a linear scan that
//!    builds nothing).
//! 2. The handler answers `ping` with 200, drops events wavebump does not
//!    handle with 202 (counted in [`stats::WebhookStats`]), and hands the
//!    rest as a [`delivery::Delivery`] — id, event name and the raw body
//!    bytes — to a [`router::DeliverySink`]: 202 when stored, 202 "already
//!    received" for a delivery id seen before, 503 when the sink fails.
//! 3. Later, a worker parses the stored bytes with
//!    [`crate::server::events::parse`].
//!
//! Invariant: no request reaches the sink unless its signature verified and
//! its body is syntactically valid JSON; a rejected request touches no state
//! except the counters.

pub mod delivery;
pub mod extract;
pub mod router;
pub mod signature;
pub mod stats;

pub use delivery::{Delivery, DeliveryId};
pub use extract::{VerifiedDelivery, WebhookRejection, WebhookVerifier};
pub use router::{Acceptance, DeliverySink, SinkError, WebhookState, webhook_router};
pub use signature::{SignatureError, sign, verify};
pub use stats::{Outcome, WebhookStats};

/// GitHub's documented maximum payload size (25 MB); the default cap.
pub const DEFAULT_MAX_BODY_BYTES: usize = 25 * 1024 * 1024;
