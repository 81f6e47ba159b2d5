//! GitHub's official example payloads (issue 15), as a new user's `serve`
//! would receive them: every example in `tests/data/github/webhooks/`
//! (written by `scripts/github-data` from the pinned
//! `@octokit/webhooks-examples`), signed, through serve's real router and
//! inbox worker. A handled event is processed or deliberately ignored, with
//! its reason (snapshot); any other event is acknowledged and dropped;
//! nothing is parked.

use std::collections::BTreeMap;
use std::path::PathBuf;

use axum::http::StatusCode;
use wavebump::server::events::{self, EventKind};
use wavebump::server::metrics::DeliveryOutcome;
use wavebump::server::serve::Applier;
use wavebump::server::webhook::Outcome;
use wavebump::server::worker::{DeliveryHandler, Handled};
use wavebump::store::InboxState;

use crate::serve::{Hook, World, options, send, timed, wait_for};

/// Every official example: (file name, event name, bytes), sorted by name.
fn examples() -> Vec<(String, String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/github/webhooks");
    let mut out: Vec<(String, String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let file = p.file_name().unwrap().to_string_lossy().into_owned();
            let event = file.split('.').next().unwrap().to_owned();
            (file, event, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// The events the issue lists: a new user's serve must park none of them.
const LISTED: [&str; 11] = [
    "check_run",
    "check_suite",
    "status",
    "pull_request",
    "pull_request_review",
    "issue_comment",
    "release",
    "push",
    "create",
    "installation",
    "installation_repositories",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_official_example_is_handled_or_dropped_and_none_is_parked() {
    timed(async {
        let all = examples();
        for event in LISTED {
            assert!(
                all.iter().any(|(_, e, _)| e == event),
                "no official example of {event}: run scripts/github-data"
            );
        }
        let world = World::new("").await;
        let (app, store) = world.app(options()).await;
        let router = app.router.clone();
        let engine = app.engine.clone();
        let webhook_stats = app.webhook_stats.clone();
        let worker_stats = app.worker_stats.clone();
        let running = app.background.start();

        let mut sent: BTreeMap<String, u64> = BTreeMap::new();
        let mut dropped = 0;
        for (i, (file, event, body)) in all.iter().enumerate() {
            let hook = Hook::raw(event, &format!("official-{i}"), body.clone());
            let (status, text) = send(&router, &hook).await;
            match EventKind::from_name(event) {
                Some(EventKind::Ping) => assert_eq!(status, StatusCode::OK, "{file}: {text}"),
                Some(_) => {
                    assert_eq!(status, StatusCode::ACCEPTED, "{file}: {text}");
                    *sent.entry(event.clone()).or_default() += 1;
                }
                None => {
                    assert_eq!(status, StatusCode::ACCEPTED, "{file}: {text}");
                    dropped += 1;
                }
            }
        }
        assert!(dropped > 0, "the data has no unhandled event to drop");
        assert_eq!(webhook_stats.total(Outcome::Ignored), dropped);

        let stored: u64 = sent.values().sum();
        wait_for("the worker to finish every delivery", || async {
            let done = store.inbox_count(InboxState::Processed).await.unwrap()
                + store.inbox_count(InboxState::Parked).await.unwrap();
            (done as u64 == stored).then_some(())
        })
        .await;
        running.stop().await;

        let parked = store.inbox_in(InboxState::Parked, 1000).await.unwrap();
        let parked: Vec<String> = parked
            .iter()
            .map(|r| format!("{} ({}): {:?}", r.delivery_id, r.event, r.last_error))
            .collect();
        assert!(parked.is_empty(), "parked:\n{}", parked.join("\n"));
        assert_eq!(store.inbox_count(InboxState::Parked).await.unwrap(), 0);
        assert_eq!(worker_stats.total(DeliveryOutcome::Parked), 0);
        assert_eq!(worker_stats.total(DeliveryOutcome::Retried), 0);
        assert_eq!(
            worker_stats.total(DeliveryOutcome::Processed)
                + worker_stats.total(DeliveryOutcome::Ignored),
            stored
        );

        // Each stored delivery again, straight to the handler: what it
        // did and why, per example.
        let applier = Applier {
            service: engine,
            config: world.config.clone(),
            bot_login: options().bot_login,
            now: options().now,
            defer: options().defer,
        };
        let records = store.inbox_in(InboxState::Processed, 1000).await.unwrap();
        assert_eq!(records.len() as u64, stored);
        let names: BTreeMap<String, &str> = all
            .iter()
            .enumerate()
            .map(|(i, (file, _, _))| (format!("official-{i}"), file.as_str()))
            .collect();
        let mut table: Vec<String> = Vec::new();
        for record in &records {
            let event = events::parse(&record.event, record.payload.as_bytes())
                .unwrap_or_else(|e| panic!("{}: {e}", record.delivery_id));
            let line = match applier.handle(record, event).await {
                Ok(Handled::Done(note)) => format!("done: {note}"),
                Ok(Handled::Ignored(why)) => {
                    assert!(!why.trim().is_empty(), "{}: no reason", record.delivery_id);
                    format!("ignored: {why}")
                }
                other => panic!("{}: {other:?}", record.delivery_id),
            };
            table.push(format!("{}: {line}", names[&record.delivery_id]));
        }
        table.sort();
        insta::assert_snapshot!("official_examples_outcomes", table.join("\n"));
    })
    .await;
}
