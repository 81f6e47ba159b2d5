//! Faults on demand: a queue of one-shot faults, each for the next request
//! whose path contains a given fragment (or any request), plus an optional
//! seeded random fault rate.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// What goes wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// This status with a JSON error body (e.g. 500, 502).
    ServerError(u16),
    /// 403 secondary rate limit with `Retry-After: secs`.
    SecondaryRateLimit { retry_after: u64 },
    /// 429 with `Retry-After: secs`.
    TooManyRequests { retry_after: u64 },
    /// 403 with `x-ratelimit-remaining: 0` and a reset `reset_in` seconds
    /// from now.
    PrimaryExhausted { reset_in: u64 },
    /// 200 with a JSON object that lacks every expected field.
    MissingFields,
    /// Answer normally, but only after this delay.
    Slow(Duration),
    /// Answer normally once the test opens the gate: a sync marker for
    /// "this request is in flight" (see [`Gate`]), no sleeping.
    Hold(Gate),
}

/// A gate a held request waits at until the test opens it. The request
/// is counted as injected (`FakeGitHub::faults_injected`) when it arrives.
#[derive(Clone, Debug)]
pub struct Gate(Arc<Semaphore>);

impl Gate {
    /// A closed gate.
    pub fn new() -> Gate {
        Gate(Arc::new(Semaphore::new(0)))
    }

    /// Lets every held request (and any later one) through.
    pub fn open(&self) {
        self.0.add_permits(Semaphore::MAX_PERMITS / 2);
    }

    /// Waits until the gate is open.
    pub async fn pass(&self) {
        // A closed semaphore would also let us through; it is never closed.
        let _ = self.0.acquire().await;
    }
}

impl PartialEq for Gate {
    fn eq(&self, other: &Gate) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Gate {}

#[derive(Debug)]
pub struct Armed {
    /// Matches when the request path contains this (empty: any).
    pub path_contains: String,
    pub method: Option<String>,
    pub fault: Fault,
}

#[derive(Debug, Default)]
pub struct Faults {
    pub queue: Vec<Armed>,
    /// Percent of requests (0-100) that fail at random with a rotating fault.
    pub rate_percent: u32,
    pub rng: u64,
    pub injected: usize,
    /// The faults the random rate draws from (empty: 502, 403 secondary
    /// limit, 429, 500 with `Retry-After: 1`). A `Slow` drawn for a write
    /// becomes a 503: the fake would apply a slowed write after the client
    /// gave up and retried, which GitHub does not do seconds later.
    pub mix: Vec<Fault>,
}

impl Faults {
    /// The fault for this request, if any (consumes a one-shot fault).
    pub fn take(&mut self, method: &str, path: &str) -> Option<Fault> {
        if let Some(i) = self.queue.iter().position(|a| {
            path.contains(&a.path_contains) && a.method.as_deref().is_none_or(|m| m == method)
        }) {
            self.injected += 1;
            return Some(self.queue.remove(i).fault);
        }
        if self.rate_percent == 0 || path.starts_with("/app/") {
            return None;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        if (self.rng % 100) as u32 >= self.rate_percent {
            return None;
        }
        self.injected += 1;
        if !self.mix.is_empty() {
            let i = ((self.rng >> 8) % self.mix.len() as u64) as usize;
            return match self.mix.get(i).cloned() {
                Some(Fault::Slow(_)) if method != "GET" => Some(Fault::ServerError(503)),
                other => other,
            };
        }
        Some(match (self.rng >> 8) % 4 {
            0 => Fault::ServerError(502),
            1 => Fault::SecondaryRateLimit { retry_after: 1 },
            2 => Fault::TooManyRequests { retry_after: 1 },
            _ => Fault::ServerError(500),
        })
    }
}
