//! Request budgets for one organisation: a concurrency limit for every API
//! request, a sliding one-minute budget for content-creating requests
//! (GitHub's secondary limit is 80/min; we default far below it), and a pause
//! until the primary rate limit resets once GitHub says it is exhausted.
//!
//! Invariant: at most `max_concurrency` permits are out at once; no more than
//! `writes_per_minute` write permits are granted in any 60 s window of the
//! injected clock; no permit is granted before a known primary reset.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::clock::Clock;

const WINDOW_MILLIS: u64 = 60_000;

/// The org-wide limiter; share one per organisation.
pub struct Limiter {
    clock: Arc<dyn Clock>,
    concurrency: Arc<Semaphore>,
    writes_per_minute: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Grant times (unix ms) of the write permits of the last minute.
    writes: VecDeque<u64>,
    /// No request before this (unix ms): the primary limit is exhausted.
    paused_until: u64,
}

/// Held while a request is in flight.
pub struct Permit {
    _slot: Option<OwnedSemaphorePermit>,
}

impl Limiter {
    /// `max_concurrency` and `writes_per_minute` of 0 are taken as 1.
    pub fn new(clock: Arc<dyn Clock>, max_concurrency: u32, writes_per_minute: u32) -> Self {
        Limiter {
            clock,
            concurrency: Arc::new(Semaphore::new(max_concurrency.max(1) as usize)),
            writes_per_minute: writes_per_minute.max(1) as usize,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait for a slot: the primary pause, then (for a write) the minute
    /// budget, then a concurrency slot.
    pub async fn acquire(&self, write: bool) -> Permit {
        loop {
            let wait = self.try_reserve(write);
            match wait {
                None => break,
                Some(ms) => self.clock.sleep(Duration::from_millis(ms)).await,
            }
        }
        // The semaphore is never closed, so this is always `Ok`.
        let slot = Arc::clone(&self.concurrency).acquire_owned().await.ok();
        Permit { _slot: slot }
    }

    /// `None` when the request may go now (a write is then counted), else
    /// how many milliseconds to wait before asking again.
    fn try_reserve(&self, write: bool) -> Option<u64> {
        let now = self.clock.unix_millis();
        let mut s = self.lock();
        if now < s.paused_until {
            return Some(s.paused_until - now);
        }
        if !write {
            return None;
        }
        while s.writes.front().is_some_and(|&t| t + WINDOW_MILLIS <= now) {
            s.writes.pop_front();
        }
        if s.writes.len() >= self.writes_per_minute {
            let oldest = s.writes.front().copied().unwrap_or(now);
            return Some((oldest + WINDOW_MILLIS).saturating_sub(now).max(1));
        }
        s.writes.push_back(now);
        None
    }

    /// GitHub said the primary limit is exhausted until `reset_unix_secs`:
    /// hold every request until then (plus a second of slack).
    /// Logged once per new pause (a wait of up to an hour must not be
    /// silent).
    pub fn pause_until(&self, reset_unix_secs: u64) {
        let until = reset_unix_secs.saturating_add(1).saturating_mul(1000);
        let now = self.clock.unix_millis();
        let mut s = self.lock();
        if until > s.paused_until && until > now {
            tracing::warn!(
                wait_secs = (until - now) / 1000,
                reset_unix_secs,
                "GitHub's primary rate limit is exhausted: every request waits for the reset"
            );
        }
        s.paused_until = s.paused_until.max(until);
    }

    /// Write permits granted in the current minute.
    pub fn writes_in_window(&self) -> usize {
        let now = self.clock.unix_millis();
        self.lock()
            .writes
            .iter()
            .filter(|&&t| t + WINDOW_MILLIS > now)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn limiter(per_minute: u32) -> (Arc<ManualClock>, Limiter) {
        let clock = Arc::new(ManualClock::at(1_000_000));
        let l = Limiter::new(clock.clone(), 2, per_minute);
        (clock, l)
    }

    #[tokio::test]
    async fn reads_are_not_budgeted() {
        let (clock, l) = limiter(1);
        for _ in 0..50 {
            drop(l.acquire(false).await);
        }
        assert!(clock.sleeps().is_empty());
    }

    #[tokio::test]
    async fn writes_wait_for_the_window() {
        let (clock, l) = limiter(3);
        for _ in 0..3 {
            drop(l.acquire(true).await);
        }
        assert!(clock.sleeps().is_empty());
        drop(l.acquire(true).await);
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(60)]);
        // Seven writes at 3/min: two more full windows.
        for _ in 0..3 {
            drop(l.acquire(true).await);
        }
        assert_eq!(clock.slept(), Duration::from_secs(120));
    }

    #[tokio::test]
    async fn writes_spread_over_time_do_not_wait() {
        let (clock, l) = limiter(2);
        for _ in 0..10 {
            drop(l.acquire(true).await);
            clock.advance(Duration::from_secs(30));
        }
        assert!(clock.sleeps().is_empty());
    }

    #[tokio::test]
    async fn primary_pause_holds_reads_and_writes() {
        let (clock, l) = limiter(10);
        let reset = clock.unix_millis() / 1000 + 42;
        l.pause_until(reset);
        drop(l.acquire(false).await);
        let waited = clock.slept();
        assert!(
            waited >= Duration::from_secs(42) && waited <= Duration::from_secs(44),
            "{waited:?}"
        );
        drop(l.acquire(true).await);
        assert_eq!(clock.slept(), waited, "no second wait after the reset");
    }

    #[tokio::test]
    async fn concurrency_is_bounded() {
        let (_clock, l) = limiter(10);
        let a = l.acquire(false).await;
        let _b = l.acquire(false).await;
        assert_eq!(l.concurrency.available_permits(), 0);
        drop(a);
        assert_eq!(l.concurrency.available_permits(), 1);
    }

    #[test]
    fn zero_settings_are_one() {
        let (_c, l) = {
            let clock = Arc::new(ManualClock::at(0));
            (clock.clone(), Limiter::new(clock, 0, 0))
        };
        assert_eq!(l.writes_per_minute, 1);
        assert_eq!(l.concurrency.available_permits(), 1);
    }
}
