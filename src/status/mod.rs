//! The status page, its JSON API, operator sessions and live updates
//! (issue 7), mounted by `wavebump serve` through [`status_router`].
//!
//! Boundary: reads go to the [`Store`] only; every operator action goes
//! through [`OperatorCommands`] (the engine behind it records the audit
//! entry with the operator's name) and is then announced on the
//! [`Change`] channel, which also carries the engine's own changes to the
//! open pages (Server-Sent Events).
//!
//! Invariants: the page and the API render one view model (`view`);
//! user-controlled text is escaped by handlebars (HTML, SVG text and
//! attributes alike); an action needs a POST with a live session cookie
//! (HttpOnly, SameSite=Strict) and that session's CSRF token, else it is
//! refused before anything is called; tokens are compared in constant time
//! and never rendered, logged or stored.

pub mod api;
pub mod commands;
pub mod live;
pub mod load;
pub mod pages;
pub mod session;
pub mod view;

use std::sync::Arc;

use axum::Router;
use tokio::sync::broadcast;

use crate::clock::SharedClock;
use crate::config::secret::OperatorToken;
use crate::rollout::Timestamp;
use crate::store::{RolloutRecord, Store};

pub use commands::OperatorCommands;
#[cfg(feature = "bench-harness")]
pub use pages::{BenchRollout, render_rollout_page_for_bench};
pub use view::Topology;

/// A rollout that changed (its id): the page showing it refreshes.
pub type Change = i64;

/// Extra graph facts per rollout (consumer → consumer edges, lockstep
/// groups), added to the graph stored with the rollout (none by default).
pub type TopologySource = Arc<dyn Fn(&RolloutRecord) -> Topology + Send + Sync>;

/// Everything the status router needs; cheap to clone.
#[derive(Clone)]
pub struct StatusState {
    pub store: Store,
    pub commands: Arc<dyn OperatorCommands>,
    pub changes: broadcast::Sender<Change>,
    pub operators: Arc<Vec<OperatorToken>>,
    /// The read-only pages are visible without logging in.
    pub public_read: bool,
    /// Where people reach the page (`https://...` makes cookies `Secure`).
    pub public_url: Option<String>,
    /// The clock of the page (fixed in tests).
    pub clock: SharedClock,
    pub topology: TopologySource,
    /// Login rate limits, counters and the login form's key.
    pub login: Arc<session::guard::LoginGuard>,
}

impl StatusState {
    /// A state with the wall clock and no extra topology.
    pub fn new(
        store: Store,
        commands: Arc<dyn OperatorCommands>,
        changes: broadcast::Sender<Change>,
        operators: Vec<OperatorToken>,
        public_read: bool,
        public_url: Option<String>,
    ) -> StatusState {
        StatusState {
            store,
            commands,
            changes,
            login: Arc::new(session::guard::LoginGuard::new(&operators)),
            operators: Arc::new(operators),
            public_read,
            public_url,
            clock: crate::clock::system(),
            topology: Arc::new(|_| Topology::default()),
        }
    }

    /// Replace the clock (tests, snapshots).
    pub fn with_clock(mut self, clock: SharedClock) -> StatusState {
        self.clock = clock;
        self
    }

    /// Add consumer edges and lockstep groups to the stored graph.
    pub fn with_topology(mut self, topology: TopologySource) -> StatusState {
        self.topology = topology;
        self
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Cookies get `Secure` when the page is served over HTTPS.
    pub(crate) fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }
}

/// The status page, API, login and live routes.
pub fn status_router(state: StatusState) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .merge(session::routes())
        .merge(live::routes())
        .layer(axum::middleware::from_fn(pages::security_headers))
        .with_state(state)
}
