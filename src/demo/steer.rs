//! Steering the demo from its status page: the page's operator actions
//! (pause, resume, advance, abort, retry, skip) run against the demo's
//! own engine, between the demo loop's ticks, at the simulated time.
//!
//! Rule (documented in the README): the scripted operator answers a halt
//! only while no human has acted. The first action taken on the page hands
//! the rollout over for good: from then on a halt (or a pause) waits for
//! the people at the page, and the transcript says who did what.
//!
//! Invariants: a page action is an operator request to the demo's rollout
//! service, whose lock the demo loop also holds around each tick with its
//! reads, so the two never use the engine at the same time; an action
//! wakes the loop at once (it ticks at the
//! action's simulated time, without waiting out its pacing sleep); every
//! change the loop or an action makes is announced on the live-update
//! channel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tokio::sync::{Notify, broadcast};

use crate::config::secret::OperatorToken;
use crate::forge::local::LocalForge;
use crate::rollout::service::{
    OperatorRequest, Outcome, Request, RolloutService, ServiceError, Verb,
};
use crate::status::{OperatorCommands, StatusState};

/// The demo's operator on the page (the name its printed token logs in as).
pub const PAGE_OPERATOR: &str = "release-manager";

/// What the demo loop and the page share.
pub struct Steering {
    /// Wakes the loop after an action.
    pub(super) woken: Notify,
    taken_over: AtomicBool,
    /// `(operator, what)` of page actions not yet printed by the loop.
    actions: Mutex<Vec<(String, String)>>,
    pub(super) changes: broadcast::Sender<i64>,
}

impl Steering {
    pub(super) fn new() -> Steering {
        Steering {
            woken: Notify::new(),
            taken_over: AtomicBool::new(false),
            actions: Mutex::new(Vec::new()),
            changes: broadcast::channel(256).0,
        }
    }

    /// Has anyone acted on the page (the scripted operator steps aside)?
    pub fn taken_over(&self) -> bool {
        self.taken_over.load(Ordering::SeqCst)
    }

    /// Page actions since the last call, oldest first.
    pub(super) fn drain(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.actions.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Tell open pages that rollout `id` changed (nobody listening is fine).
    pub(super) fn announce(&self, id: i64) {
        let _ = self.changes.send(id);
    }
}

/// What an action did, in the transcript's words.
fn describe(request: &OperatorRequest) -> String {
    let what = match &request.repo {
        Some(repo) if request.verb.needs_repo() => format!("{} {repo}", request.verb),
        _ => request.verb.to_string(),
    };
    if request.reason.is_empty() || !matches!(request.verb, Verb::Pause | Verb::Abort | Verb::Skip)
    {
        what
    } else {
        format!("{what} ({})", request.reason)
    }
}

/// [`OperatorCommands`] for the demo: the demo's rollout service, then the
/// hand-over, the transcript and a wake-up of the loop.
pub struct DemoCommands {
    pub(super) service: Arc<RolloutService<LocalForge>>,
    pub(super) steer: Arc<Steering>,
}

impl OperatorCommands for DemoCommands {
    fn apply(&self, request: OperatorRequest) -> BoxFuture<'_, Result<Outcome, ServiceError>> {
        Box::pin(async move {
            let what = describe(&request);
            let operator = request.actor.clone();
            let done = self.service.handle(Request::Operator(request)).await?;
            self.steer.taken_over.store(true, Ordering::SeqCst);
            self.steer
                .actions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((operator, what));
            self.steer.woken.notify_one();
            Ok(done)
        })
    }
}

impl super::Demo {
    /// The status page's state over this demo: pages public, actions for
    /// `operators` (log in with their tokens), the simulated clock, live
    /// updates from the demo loop and the actions.
    pub fn status_state(&self, operators: Vec<OperatorToken>) -> StatusState {
        let clock = self.clock();
        let commands = Arc::new(DemoCommands {
            service: self.service.clone(),
            steer: self.steer.clone(),
        });
        StatusState::new(
            self.store().clone(),
            commands,
            self.steer.changes.clone(),
            operators,
            true,
            None,
        )
        .with_clock(clock)
    }

    /// Ids of the rollouts that changed, as the live pages get them.
    pub fn changes(&self) -> broadcast::Receiver<i64> {
        self.steer.changes.subscribe()
    }

    /// Has someone acted on the page (the scripted operator stepped aside)?
    pub fn taken_over(&self) -> bool {
        self.steer.taken_over()
    }
}
