//! Time as the GitHub forge sees it: a clock that can also sleep, injected so
//! that rate-limit waits and back-offs are measurable in tests without real
//! sleeps.
//!
//! Invariant: the forge never calls `tokio::time::sleep` or reads the system
//! clock directly; it goes through a [`Clock`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A boxed sleep.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Wall time plus a way to wait.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch (GitHub gives rate-limit resets as
    /// Unix seconds).
    fn unix_millis(&self) -> u64;
    /// Wait `d`.
    fn sleep(&self, d: Duration) -> Sleep;
}

/// The real clock: system time and `tokio::time::sleep`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_millis(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn sleep(&self, d: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(d))
    }
}

/// A clock for tests: starts at the system time, and `sleep` returns at once
/// after advancing the clock by the requested time and recording it.
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<ManualState>,
}

#[derive(Debug)]
struct ManualState {
    now_millis: u64,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock at the current system time.
    pub fn new() -> Self {
        Self::at(SystemClock.unix_millis())
    }

    /// A clock at `unix_millis`.
    pub fn at(unix_millis: u64) -> Self {
        ManualClock {
            state: Mutex::new(ManualState {
                now_millis: unix_millis,
                sleeps: Vec::new(),
            }),
        }
    }

    /// Move the clock forward without sleeping.
    pub fn advance(&self, d: Duration) {
        let mut s = self.lock();
        s.now_millis = s.now_millis.saturating_add(d.as_millis() as u64);
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// The sum of all sleeps so far.
    pub fn slept(&self) -> Duration {
        self.lock().sleeps.iter().sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn unix_millis(&self) -> u64 {
        self.lock().now_millis
    }

    fn sleep(&self, d: Duration) -> Sleep {
        {
            let mut s = self.lock();
            s.now_millis = s.now_millis.saturating_add(d.as_millis() as u64);
            s.sleeps.push(d);
        }
        Box::pin(std::future::ready(()))
    }
}
