//! `GET /metrics`: the Prometheus text exposition (format 0.0.4) of what
//! `wavebump serve` does, and the worker's own counters.
//!
//! Exposed families:
//! - `wavebump_webhook_requests_total{event,outcome}` — every `POST /webhook`
//!   request, from [`WebhookStats`];
//! - `wavebump_deliveries_total{event,outcome}` — what the worker did with
//!   stored deliveries (`processed`, `ignored`, `scheduled`, `retried`,
//!   `parked`), from [`WorkerStats`];
//! - `wavebump_inbox_deliveries{state}` — inbox depth by state (store);
//! - `wavebump_rollouts{state}` — every rollout by state (store);
//! - `wavebump_targets{state}` — the targets of active rollouts by state;
//! - `wavebump_engine_ticks_total{trigger,outcome}` — engine ticks;
//! - `wavebump_github_requests_total{method,outcome}` — every GitHub API
//!   attempt (retries included; `ok`, `not_modified`, `client_error`,
//!   `rate_limited`, `server_error`, `transport`), from the forge's
//!   [`ApiStats`](crate::forge::github::ApiStats);
//! - `wavebump_github_rate_limit_remaining{resource}`,
//!   `wavebump_github_rate_limit_limit{resource}`,
//!   `wavebump_github_rate_limit_reset_seconds{resource}` — the last
//!   `x-ratelimit-*` GitHub sent per resource (`core`, `search`, ...);
//! - `wavebump_leader` — 1 while this replica holds the lease (drains the
//!   inbox and ticks), 0 while it stands by;
//! - `wavebump_store_up` — whether the store answered.
//!
//! Invariant: every label set is bounded (event names wavebump handles or
//! `other`, fixed outcome and state names), and label values are escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use crate::forge::github::ApiStatsSnapshot;
use crate::rollout::state::{RolloutState, TargetState};
use crate::server::events::EventKind;
use crate::server::webhook::WebhookStats;
use crate::store::{InboxState, Store, StoreError};

/// What the worker did with one stored delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeliveryOutcome {
    /// Applied; done.
    Processed,
    /// Nothing to do for wavebump (other repository, prerelease, ...); done.
    Ignored,
    /// Kept for later (a release younger than the minimum age).
    Scheduled,
    /// Kept for later: cannot be applied yet (no attempt counted).
    Deferred,
    /// Failed; will be tried again.
    Retried,
    /// Failed too often (or cannot ever succeed): kept, not retried.
    Parked,
}

impl DeliveryOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Processed => "processed",
            DeliveryOutcome::Ignored => "ignored",
            DeliveryOutcome::Scheduled => "scheduled",
            DeliveryOutcome::Deferred => "deferred",
            DeliveryOutcome::Retried => "retried",
            DeliveryOutcome::Parked => "parked",
        }
    }
}

pub use crate::rollout::service::TickTrigger;

/// Counters of the worker and the reconcile loop.
#[derive(Debug, Default)]
pub struct WorkerStats {
    deliveries: Mutex<BTreeMap<(&'static str, DeliveryOutcome), u64>>,
    ticks: Mutex<BTreeMap<(TickTrigger, bool), u64>>,
}

impl WorkerStats {
    /// Counts one delivery handled by the worker.
    pub fn record(&self, event: &str, outcome: DeliveryOutcome) {
        let label = EventKind::from_name(event).map_or("other", EventKind::name);
        if let Ok(mut m) = self.deliveries.lock() {
            *m.entry((label, outcome)).or_insert(0) += 1;
        }
    }

    /// Counts one engine tick.
    pub fn record_tick(&self, trigger: TickTrigger, ok: bool) {
        if let Ok(mut m) = self.ticks.lock() {
            *m.entry((trigger, ok)).or_insert(0) += 1;
        }
    }

    /// The count for one outcome over every event.
    pub fn total(&self, outcome: DeliveryOutcome) -> u64 {
        self.deliveries
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|((_, o), _)| *o == outcome)
                    .map(|(_, n)| n)
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Ticks made by `trigger` (successful and failed).
    pub fn ticks(&self, trigger: TickTrigger) -> u64 {
        self.ticks
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|((t, _), _)| *t == trigger)
                    .map(|(_, n)| n)
                    .sum()
            })
            .unwrap_or(0)
    }

    fn deliveries(&self) -> Vec<(&'static str, DeliveryOutcome, u64)> {
        self.deliveries
            .lock()
            .map(|m| m.iter().map(|((e, o), n)| (*e, *o, *n)).collect())
            .unwrap_or_default()
    }

    fn tick_counts(&self) -> Vec<(TickTrigger, bool, u64)> {
        self.ticks
            .lock()
            .map(|m| m.iter().map(|((t, ok), n)| (*t, *ok, *n)).collect())
            .unwrap_or_default()
    }
}

/// Escapes a label value (`\`, `"`, newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One metric family being written.
struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
}

impl<'a> Family<'a> {
    fn new(out: &'a mut String, name: &'static str, kind: &str, help: &str) -> Self {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        Family { out, name }
    }

    fn sample(&mut self, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
            .collect();
        if labels.is_empty() {
            let _ = writeln!(self.out, "{} {value}", self.name);
        } else {
            let _ = writeln!(self.out, "{}{{{}}} {value}", self.name, labels.join(","));
        }
    }
}

/// The store's side of the exposition: inbox depth, rollouts and targets by
/// state. Every state is written, zeros included, so dashboards see it.
pub async fn store_gauges(store: &Store, out: &mut String) -> Result<(), StoreError> {
    let mut inbox = Vec::new();
    for state in [
        InboxState::Pending,
        InboxState::Processed,
        InboxState::Parked,
    ] {
        inbox.push((state.as_str(), store.inbox_count(state).await?));
    }
    let rollouts = store.rollouts().await?;
    let mut by_state: BTreeMap<&'static str, u64> =
        RolloutState::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    let mut targets: BTreeMap<&'static str, u64> =
        TargetState::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for r in &rollouts {
        *by_state.entry(r.state.as_str()).or_insert(0) += 1;
        if r.state.is_active() {
            for t in store.targets(r.id).await? {
                *targets.entry(t.state.as_str()).or_insert(0) += 1;
            }
        }
    }
    let mut f = Family::new(
        out,
        "wavebump_inbox_deliveries",
        "gauge",
        "Stored webhook deliveries by state (pending includes scheduled and retrying).",
    );
    for (state, n) in inbox {
        f.sample(&[("state", state)], n);
    }
    let mut f = Family::new(out, "wavebump_rollouts", "gauge", "Rollouts by state.");
    for (state, n) in by_state {
        f.sample(&[("state", state)], n);
    }
    let mut f = Family::new(
        out,
        "wavebump_targets",
        "gauge",
        "Targets of active rollouts by state.",
    );
    for (state, n) in targets {
        f.sample(&[("state", state)], n);
    }
    Ok(())
}

/// The counters' side of the exposition (no I/O).
pub fn counters(webhooks: &WebhookStats, worker: &WorkerStats, out: &mut String) {
    let mut f = Family::new(
        out,
        "wavebump_webhook_requests_total",
        "counter",
        "POST /webhook requests by event and outcome (event \"-\": refused before the headers were trusted).",
    );
    for (event, outcome, n) in webhooks.snapshot() {
        f.sample(&[("event", event), ("outcome", outcome.as_str())], n);
    }
    let mut f = Family::new(
        out,
        "wavebump_deliveries_total",
        "counter",
        "Stored deliveries handled by the worker, by event and outcome.",
    );
    for (event, outcome, n) in worker.deliveries() {
        f.sample(&[("event", event), ("outcome", outcome.as_str())], n);
    }
    let mut f = Family::new(
        out,
        "wavebump_engine_ticks_total",
        "counter",
        "Engine ticks by trigger and outcome.",
    );
    for (trigger, ok, n) in worker.tick_counts() {
        let outcome = if ok { "ok" } else { "error" };
        f.sample(&[("trigger", trigger.as_str()), ("outcome", outcome)], n);
    }
}

/// One field of a rate limit, if GitHub sent it.
type RateField = fn(&crate::forge::github::RateLimit) -> Option<u64>;

/// The GitHub forge's side: API attempts and the last rate limits (no I/O).
pub fn github(api: &ApiStatsSnapshot, out: &mut String) {
    let mut f = Family::new(
        out,
        "wavebump_github_requests_total",
        "counter",
        "GitHub API requests (every attempt, retries included) by method and outcome.",
    );
    for (method, outcome, n) in &api.requests {
        f.sample(&[("method", method), ("outcome", outcome)], n);
    }
    let gauges: [(&str, &str, RateField); 3] = [
        (
            "wavebump_github_rate_limit_remaining",
            "Requests left in GitHub's primary rate limit window, as last reported, by resource.",
            |l| Some(l.remaining),
        ),
        (
            "wavebump_github_rate_limit_limit",
            "GitHub's primary rate limit per window, as last reported, by resource.",
            |l| l.limit,
        ),
        (
            "wavebump_github_rate_limit_reset_seconds",
            "When GitHub's rate limit window resets (Unix seconds), as last reported, by resource.",
            |l| l.reset,
        ),
    ];
    for (name, help, value) in gauges {
        let mut f = Family::new(out, name, "gauge", help);
        for (resource, limit) in &api.rate_limits {
            if let Some(v) = value(limit) {
                f.sample(&[("resource", resource)], v);
            }
        }
    }
}

/// What besides the store and the counters goes into the exposition.
#[derive(Clone, Debug, Default)]
pub struct Extra {
    /// The GitHub forge's counters (absent for other forges).
    pub github: Option<ApiStatsSnapshot>,
    /// Whether this replica leads (holds the lease).
    pub leader: bool,
    /// The status page's login counters (absent without the page).
    pub login: Option<crate::status::session::guard::LoginCounts>,
}

/// The whole exposition. A store failure leaves the store gauges out and
/// sets `wavebump_store_up` to 0 (the counters are still served).
pub async fn render(
    store: &Store,
    webhooks: &WebhookStats,
    worker: &WorkerStats,
    extra: &Extra,
) -> String {
    let mut out = String::new();
    counters(webhooks, worker, &mut out);
    if let Some(api) = &extra.github {
        github(api, &mut out);
    }
    let mut f = Family::new(
        &mut out,
        "wavebump_leader",
        "gauge",
        "1 while this replica holds the lease (drains the inbox, ticks), 0 while it stands by.",
    );
    f.sample(&[], u8::from(extra.leader));
    if let Some(login) = &extra.login {
        let mut f = Family::new(
            &mut out,
            "wavebump_login_attempts_total",
            "counter",
            "Status-page login attempts by outcome (bad_token: a wrong operator token; rate_limited: refused unchecked; bad_form: forged or expired login form; cross_site: any cross-site form POST).",
        );
        for (outcome, n) in [
            ("success", login.success),
            ("bad_token", login.bad_token),
            ("rate_limited", login.rate_limited),
            ("bad_form", login.bad_form),
            ("cross_site", login.cross_site),
        ] {
            f.sample(&[("outcome", outcome)], n);
        }
    }
    let mut gauges = String::new();
    let up = match store_gauges(store, &mut gauges).await {
        Ok(()) => 1,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the store");
            gauges.clear();
            0
        }
    };
    out.push_str(&gauges);
    let mut f = Family::new(
        &mut out,
        "wavebump_store_up",
        "gauge",
        "Whether the store answered the metrics queries.",
    );
    f.sample(&[], up);
    out
}

impl crate::rollout::service::TickObserver for WorkerStats {
    fn ticked(&self, trigger: TickTrigger, ok: bool) {
        self.record_tick(trigger, ok);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::webhook::Outcome;

    #[test]
    fn escapes_label_values() {
        for (raw, want) in [
            ("plain", "plain"),
            ("a\"b", "a\\\"b"),
            ("a\\b", "a\\\\b"),
            ("a\nb", "a\\nb"),
        ] {
            assert_eq!(escape(raw), want);
        }
    }

    #[test]
    fn github_families() {
        let api = ApiStatsSnapshot {
            requests: vec![
                ("GET", "not_modified", 3),
                ("GET", "ok", 2),
                ("POST", "ok", 1),
            ],
            rate_limits: vec![(
                "core",
                crate::forge::github::RateLimit {
                    limit: Some(5000),
                    remaining: 4990,
                    reset: None,
                },
            )],
        };
        let mut out = String::new();
        github(&api, &mut out);
        for line in [
            "# TYPE wavebump_github_requests_total counter",
            "wavebump_github_requests_total{method=\"GET\",outcome=\"not_modified\"} 3",
            "wavebump_github_requests_total{method=\"POST\",outcome=\"ok\"} 1",
            "# TYPE wavebump_github_rate_limit_remaining gauge",
            "wavebump_github_rate_limit_remaining{resource=\"core\"} 4990",
            "wavebump_github_rate_limit_limit{resource=\"core\"} 5000",
        ] {
            assert!(out.lines().any(|l| l == line), "{line} missing in\n{out}");
        }
        assert!(
            !out.contains("wavebump_github_rate_limit_reset_seconds{"),
            "{out}"
        );
    }

    #[test]
    fn counters_are_bounded_and_written() {
        let webhooks = WebhookStats::default();
        webhooks.record(Some("check_run"), Outcome::Accepted);
        let worker = WorkerStats::default();
        worker.record("check_run", DeliveryOutcome::Processed);
        worker.record("fork", DeliveryOutcome::Ignored);
        worker.record_tick(TickTrigger::Reconcile, true);
        let mut out = String::new();
        counters(&webhooks, &worker, &mut out);
        for line in [
            "# TYPE wavebump_webhook_requests_total counter",
            "wavebump_webhook_requests_total{event=\"check_run\",outcome=\"accepted\"} 1",
            "wavebump_deliveries_total{event=\"check_run\",outcome=\"processed\"} 1",
            "wavebump_deliveries_total{event=\"other\",outcome=\"ignored\"} 1",
            "wavebump_engine_ticks_total{trigger=\"reconcile\",outcome=\"ok\"} 1",
        ] {
            assert!(out.lines().any(|l| l == line), "{line} missing in\n{out}");
        }
        assert_eq!(worker.total(DeliveryOutcome::Processed), 1);
        assert_eq!(worker.ticks(TickTrigger::Reconcile), 1);
    }
}
