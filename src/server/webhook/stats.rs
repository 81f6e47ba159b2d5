//! Counters of webhook deliveries by event and outcome, for `/metrics`.
//!
//! Invariant: the label set is bounded — an event label is a name wavebump
//! handles, `other` for any other verified name, or `-` when the request
//! was refused before its headers could be trusted.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::server::events::EventKind;

/// What happened to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Stored by the sink (202).
    Accepted,
    /// The sink had it already (202).
    Duplicate,
    /// `ping` answered (200).
    Ping,
    /// A verified event wavebump does not handle (202, dropped).
    Ignored,
    /// 401.
    Unauthorized,
    /// 413.
    TooLarge,
    /// 415.
    UnsupportedMediaType,
    /// 400.
    BadRequest,
    /// The sink failed (503).
    SinkFailed,
    /// The global body budget was spent (503 with `Retry-After`).
    Busy,
}

impl Outcome {
    /// The Prometheus label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Duplicate => "duplicate",
            Outcome::Ping => "ping",
            Outcome::Ignored => "ignored",
            Outcome::Unauthorized => "unauthorized",
            Outcome::TooLarge => "too_large",
            Outcome::UnsupportedMediaType => "unsupported_media_type",
            Outcome::BadRequest => "bad_request",
            Outcome::SinkFailed => "sink_failed",
            Outcome::Busy => "busy",
        }
    }
}

/// Label used for requests refused before their event name was verified.
pub const UNVERIFIED: &str = "-";
/// Label used for verified events wavebump does not handle.
pub const OTHER: &str = "other";

/// Thread-safe counters; cheap enough for the hot path (one short lock).
#[derive(Debug, Default)]
pub struct WebhookStats {
    counts: Mutex<BTreeMap<(&'static str, Outcome), u64>>,
}

impl WebhookStats {
    /// Counts one request. `event` is the verified event name, if any.
    pub fn record(&self, event: Option<&str>, outcome: Outcome) {
        let label = match event {
            None => UNVERIFIED,
            Some(name) => EventKind::from_name(name).map_or(OTHER, EventKind::name),
        };
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry((label, outcome)).or_insert(0) += 1;
        }
    }

    /// The count for one (event label, outcome) pair.
    pub fn get(&self, event_label: &str, outcome: Outcome) -> u64 {
        self.counts
            .lock()
            .map(|c| {
                c.iter()
                    .filter(|((e, o), _)| *e == event_label && *o == outcome)
                    .map(|(_, n)| *n)
                    .sum()
            })
            .unwrap_or(0)
    }

    /// The total for one outcome over every event.
    pub fn total(&self, outcome: Outcome) -> u64 {
        self.snapshot()
            .iter()
            .filter(|(_, o, _)| *o == outcome)
            .map(|(_, _, n)| n)
            .sum()
    }

    /// Every non-zero counter as (event label, outcome, count), sorted.
    pub fn snapshot(&self) -> Vec<(&'static str, Outcome, u64)> {
        self.counts
            .lock()
            .map(|c| c.iter().map(|((e, o), n)| (*e, *o, *n)).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        let s = WebhookStats::default();
        s.record(Some("check_run"), Outcome::Accepted);
        s.record(Some("check_run"), Outcome::Accepted);
        s.record(Some("fork"), Outcome::Ignored);
        s.record(Some("star"), Outcome::Ignored);
        s.record(None, Outcome::Unauthorized);
        assert_eq!(s.get("check_run", Outcome::Accepted), 2);
        assert_eq!(s.get(OTHER, Outcome::Ignored), 2);
        assert_eq!(s.get(UNVERIFIED, Outcome::Unauthorized), 1);
        assert_eq!(s.total(Outcome::Accepted), 2);
        assert_eq!(s.snapshot().len(), 3);
    }
}
