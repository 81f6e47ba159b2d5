//! Time: the one clock type. [`Timestamp`] is a point in time (what the
//! store keeps); a [`Clock`] tells the time and waits. Everything that reads
//! the time or sleeps takes a [`SharedClock`]: the GitHub forge (rate-limit
//! waits, back-offs), the webhook inbox and worker, the lease, the
//! reconciler, the status page, and the demo (a [`ManualClock`] it moves).
//!
//! Invariant: no module outside this one reads the system time or sleeps
//! for a decision that tests need to control; they ask their clock. Tests
//! use [`ManualClock`] (moved by hand, sleeps return at once and are
//! recorded) or [`from_fn`] (the time from a function, e.g. an atomic the
//! test sets).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A point in time: milliseconds since the Unix epoch (what the store keeps).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The wall clock now.
    pub fn now() -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp(ms)
    }

    pub fn from_secs(secs: i64) -> Timestamp {
        Timestamp(secs.saturating_mul(1000))
    }

    /// `self + d`, saturating.
    pub fn plus(self, d: std::time::Duration) -> Timestamp {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }

    /// `self - earlier`, zero when `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> std::time::Duration {
        std::time::Duration::from_millis(
            u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0),
        )
    }
}

/// A boxed sleep.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Wall time plus a way to wait.
pub trait Clock: Send + Sync + 'static {
    /// The time now.
    fn now(&self) -> Timestamp;

    /// Wait `d`.
    fn sleep(&self, d: Duration) -> Sleep;

    /// Milliseconds since the Unix epoch (GitHub gives rate-limit resets as
    /// Unix seconds); 0 before the epoch.
    fn unix_millis(&self) -> u64 {
        u64::try_from(self.now().0).unwrap_or(0)
    }
}

/// The clock as components hold it.
pub type SharedClock = Arc<dyn Clock>;

/// The system clock, shared.
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

/// A clock whose time is `now()` and whose sleeps are real.
pub fn from_fn(now: impl Fn() -> Timestamp + Send + Sync + 'static) -> SharedClock {
    Arc::new(FnClock(now))
}

/// The real clock: system time and `tokio::time::sleep`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn sleep(&self, d: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(d))
    }
}

/// See [`from_fn`].
struct FnClock<F>(F);

impl<F: Fn() -> Timestamp + Send + Sync + 'static> Clock for FnClock<F> {
    fn now(&self) -> Timestamp {
        (self.0)()
    }

    fn sleep(&self, d: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(d))
    }
}

/// A clock moved by hand (tests, the demo's simulated time): `sleep`
/// returns at once after advancing the clock by the requested time and
/// recording it.
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<ManualState>,
}

#[derive(Debug)]
struct ManualState {
    now: Timestamp,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock at the current system time.
    pub fn new() -> Self {
        Self::starting(Timestamp::now())
    }

    /// A clock at `unix_millis`.
    pub fn at(unix_millis: u64) -> Self {
        Self::starting(Timestamp(i64::try_from(unix_millis).unwrap_or(i64::MAX)))
    }

    /// A clock at `t`.
    pub fn starting(t: Timestamp) -> Self {
        ManualClock {
            state: Mutex::new(ManualState {
                now: t,
                sleeps: Vec::new(),
            }),
        }
    }

    /// Move the clock forward without sleeping.
    pub fn advance(&self, d: Duration) {
        let mut s = self.lock();
        s.now = s.now.plus(d);
    }

    /// Set the time (forward or back).
    pub fn set(&self, t: Timestamp) {
        self.lock().now = t;
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
    fn now(&self) -> Timestamp {
        self.lock().now
    }

    fn sleep(&self, d: Duration) -> Sleep {
        {
            let mut s = self.lock();
            s.now = s.now.plus(d);
            s.sleeps.push(d);
        }
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::starting(Timestamp(1_000));
        assert_eq!(c.now(), Timestamp(1_000));
        c.advance(Duration::from_millis(500));
        assert_eq!(c.now(), Timestamp(1_500));
        assert_eq!(c.unix_millis(), 1_500);
        c.set(Timestamp(10));
        assert_eq!(c.now(), Timestamp(10));
        assert!(c.sleeps().is_empty());
    }

    #[tokio::test]
    async fn manual_sleeps_advance_and_are_recorded() {
        let c = ManualClock::at(0);
        c.sleep(Duration::from_secs(2)).await;
        c.sleep(Duration::from_secs(3)).await;
        assert_eq!(c.now(), Timestamp(5_000));
        assert_eq!(c.sleeps(), [Duration::from_secs(2), Duration::from_secs(3)]);
        assert_eq!(c.slept(), Duration::from_secs(5));
    }

    #[test]
    fn fn_clock_reads_its_function() {
        let c = from_fn(|| Timestamp(42));
        assert_eq!(c.now(), Timestamp(42));
        assert_eq!(from_fn(|| Timestamp(-5)).unix_millis(), 0);
        let now = system().now();
        assert!(now.0 > 1_600_000_000_000, "{now:?}");
    }
}
