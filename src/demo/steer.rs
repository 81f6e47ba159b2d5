//! Steering the demo from its status page: the page's operator actions
//! (pause, resume, advance, abort, retry, skip) run against the demo's
//! own engine, between the demo loop's ticks, at the simulated time.
//!
//! Rule (documented in the README): the scripted operator answers a halt
//! only while no human has acted. The first action taken on the page hands
//! the rollout over for good: from then on a halt (or a pause) waits for
//! the people at the page, and the transcript says who did what.
//!
//! Invariants: the demo loop and a page action never use the engine at
//! the same time (one async lock around each tick with its reads, and
//! around each action); an action wakes the loop at once (it ticks at the
//! action's simulated time, without waiting out its pacing sleep); every
//! change the loop or an action makes is announced on the live-update
//! channel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tokio::sync::{Notify, broadcast};

use crate::clock::{Clock, ManualClock};
use crate::config::secret::OperatorToken;
use crate::forge::local::LocalForge;
use crate::rollout::Engine;
use crate::status::{OperatorAction, OperatorCommands, StatusState};

/// The demo's operator on the page (the name its printed token logs in as).
pub const PAGE_OPERATOR: &str = "release-manager";

/// What the demo loop and the page share.
pub struct Steering {
    /// Held by the loop for a tick and its reads, by the page for an action.
    pub(super) lock: tokio::sync::Mutex<()>,
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
            lock: tokio::sync::Mutex::new(()),
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
fn describe(action: &OperatorAction) -> String {
    let with = |what: String, why: &str| {
        if why.is_empty() {
            what
        } else {
            format!("{what} ({why})")
        }
    };
    match action {
        OperatorAction::Pause { reason } => with("pause".to_owned(), reason),
        OperatorAction::Resume => "resume".to_owned(),
        OperatorAction::Advance => "advance".to_owned(),
        OperatorAction::Abort { comment } => with("abort".to_owned(), comment),
        OperatorAction::Retry { repo } => format!("retry {repo}"),
        OperatorAction::Skip { repo, reason } => with(format!("skip {repo}"), reason),
    }
}

/// [`OperatorCommands`] over the demo's engine.
pub struct DemoCommands {
    pub(super) engine: Arc<Engine<LocalForge>>,
    pub(super) steer: Arc<Steering>,
    pub(super) clock: Arc<ManualClock>,
}

impl OperatorCommands for DemoCommands {
    fn apply(
        &self,
        id: i64,
        action: OperatorAction,
        operator: &str,
    ) -> BoxFuture<'_, Result<(), String>> {
        let operator = operator.to_owned();
        Box::pin(async move {
            let guard = self.steer.lock.lock().await;
            let now = self.clock.now();
            action.run(&self.engine, id, &operator, now).await?;
            self.steer.taken_over.store(true, Ordering::SeqCst);
            self.steer
                .actions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((operator, describe(&action)));
            drop(guard);
            self.steer.announce(id);
            self.steer.woken.notify_one();
            Ok(())
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
            engine: self.engine.clone(),
            steer: self.steer.clone(),
            clock: clock.clone(),
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
