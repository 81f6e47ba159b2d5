//! The inbox worker: retries then parks a failing delivery; a restart
//! processes what was stored but not processed; a young release is
//! scheduled (not dropped) and a prerelease ignored; PR comment commands
//! and a human's push to a wavebump branch.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::http::StatusCode;
use serde_json::json;
use wavebump::rollout::{TargetState, Timestamp};
use wavebump::server::metrics::DeliveryOutcome;
use wavebump::server::serve::ServeOptions;
use wavebump::store::{InboxState, Store};

use super::{Hook, LIBRARY, World, fixture, get, options, release, send, timed, wait_for};

async fn count(store: &Store, state: InboxState) -> i64 {
    store.inbox_count(state).await.unwrap()
}

fn library_release(id: &str) -> Hook {
    Hook::new(
        "release",
        id,
        &release(LIBRARY, "v2.0.0", "2020-01-01T00:00:00Z", false),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_delivery_is_retried_then_parked() {
    timed(async {
        let world = World::new("").await;
        let (app, store) = world.app(options()).await;
        let router = app.router.clone();
        let stats = app.worker_stats.clone();
        let running = app.background.start();
        // Every GitHub request fails from now on: planning cannot list.
        world.fake.fault_rate(100, 7);
        assert_eq!(
            send(&router, &library_release("fail-1")).await.0,
            StatusCode::ACCEPTED
        );
        wait_for("the delivery to be parked", || async {
            (count(&store, InboxState::Parked).await == 1).then_some(())
        })
        .await;
        let parked = store.inbox_in(InboxState::Parked, 10).await.unwrap();
        assert_eq!(parked.len(), 1);
        assert_eq!(parked[0].delivery_id, "fail-1");
        assert_eq!(parked[0].attempts, 3);
        assert!(
            parked[0]
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("planning"),
            "{parked:?}"
        );
        assert_eq!(stats.total(DeliveryOutcome::Retried), 2);
        assert_eq!(stats.total(DeliveryOutcome::Parked), 1);
        assert_eq!(count(&store, InboxState::Pending).await, 0);
        assert!(store.rollouts().await.unwrap().is_empty());
        let (status, metrics) = get(&router, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        for line in [
            "wavebump_inbox_deliveries{state=\"parked\"} 1",
            "wavebump_deliveries_total{event=\"release\",outcome=\"parked\"} 1",
            "wavebump_deliveries_total{event=\"release\",outcome=\"retried\"} 2",
        ] {
            assert!(metrics.lines().any(|l| l == line), "{line}\n{metrics}");
        }
        world.fake.fault_rate(0, 1);
        running.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_processes_pending_deliveries() {
    timed(async {
        let world = World::new("").await;
        // First process: stores the delivery, then "crashes" before working.
        {
            let (app, store) = world.app(options()).await;
            assert_eq!(
                send(&app.router, &library_release("restart-1")).await.0,
                StatusCode::ACCEPTED
            );
            assert_eq!(count(&store, InboxState::Pending).await, 1);
            store.close().await;
        }
        // Second process over the same database.
        let (app, store) = world.app(options()).await;
        let running = app.background.start();
        let rollout = wait_for("the rollout", || async {
            store.rollouts().await.unwrap().into_iter().next()
        })
        .await;
        assert_eq!(rollout.started_by, "webhook restart-1");
        wait_for("the inbox to drain", || async {
            (count(&store, InboxState::Pending).await == 0).then_some(())
        })
        .await;
        assert_eq!(count(&store, InboxState::Processed).await, 1);
        wait_for("the canary's PR", || async {
            (!world.fake.pulls("acme/svc-a").is_empty()).then_some(())
        })
        .await;
        running.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_young_release_is_scheduled_and_a_prerelease_ignored() {
    timed(async {
        let world = World::new("  minimum_release_age: 1h\n").await;
        let t0 = Timestamp::now().0;
        let clock = Arc::new(AtomicI64::new(t0));
        let c = clock.clone();
        let opts = ServeOptions {
            now: wavebump::clock::from_fn(move || Timestamp(c.load(Ordering::SeqCst))),
            ..options()
        };
        let (app, store) = world.app(opts).await;
        let router = app.router.clone();
        let stats = app.worker_stats.clone();
        let running = app.background.start();
        let published = t0 - 10 * 60 * 1000;
        let published_text = chrono::DateTime::from_timestamp_millis(published)
            .unwrap()
            .to_rfc3339();

        let pre = Hook::new(
            "release",
            "pre-1",
            &release(LIBRARY, "v2.1.0-rc.1", &published_text, true),
        );
        assert_eq!(send(&router, &pre).await.0, StatusCode::ACCEPTED);
        wait_for("the prerelease to be ignored", || async {
            (stats.total(DeliveryOutcome::Ignored) == 1).then_some(())
        })
        .await;

        let young = Hook::new(
            "release",
            "young-1",
            &release(LIBRARY, "v2.0.0", &published_text, false),
        );
        assert_eq!(send(&router, &young).await.0, StatusCode::ACCEPTED);
        let due = published + 3600 * 1000;
        let scheduled = wait_for("the release to be scheduled", || async {
            store
                .inbox_in(InboxState::Pending, 10)
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.delivery_id == "young-1" && r.next_attempt_at.0 == due)
        })
        .await;
        assert!(
            scheduled
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("minimum_release_age"),
            "{scheduled:?}"
        );
        assert!(store.rollouts().await.unwrap().is_empty());

        // An hour later (by the injected clock) the rollout starts.
        clock.store(due, Ordering::SeqCst);
        let rollout = wait_for("the rollout", || async {
            store.rollouts().await.unwrap().into_iter().next()
        })
        .await;
        assert_eq!(rollout.to_version, "2.0.0");
        assert_eq!(rollout.created_at.0, due);
        running.stop().await;
    })
    .await;
}

fn comment(pr: u64, login: &str, association: &str, body: &str) -> serde_json::Value {
    let mut v = fixture("issue_comment.retry.json");
    v["repository"]["full_name"] = json!("acme/svc-a");
    v["issue"]["number"] = json!(pr);
    v["comment"]["body"] = json!(body);
    v["comment"]["user"]["login"] = json!(login);
    v["comment"]["author_association"] = json!(association);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pr_commands_and_human_pushes() {
    timed(async {
        let world = World::new("").await;
        let (app, store) = world.app(options()).await;
        let router = app.router.clone();
        let running = app.background.start();
        send(&router, &library_release("cmd-rel")).await;
        let pr = wait_for("the canary's PR", || async {
            world.fake.pulls("acme/svc-a").into_iter().next()
        })
        .await;
        let rollout = store.rollouts().await.unwrap().remove(0);
        let comments = |n: usize| {
            let world = &world;
            async move {
                let pulls = world.fake.pulls("acme/svc-a");
                let c = &pulls[0].comments;
                (c.len() >= n).then(|| c.iter().map(|c| c.body.clone()).collect::<Vec<_>>())
            }
        };

        let cases = [
            (
                "alice",
                "MEMBER",
                "/wavebump help",
                "wavebump understands these commands",
            ),
            (
                "alice",
                "MEMBER",
                "/wavebump retry",
                "Refused: cannot retry",
            ),
            (
                "mallory",
                "CONTRIBUTOR",
                "/wavebump skip",
                "only people with write access",
            ),
            ("alice", "MEMBER", "/wavebump frobnicate", "help"),
        ];
        for (i, (login, association, body, want)) in cases.into_iter().enumerate() {
            let hook = Hook::new(
                "issue_comment",
                &format!("cmd-{i}"),
                &comment(pr.number, login, association, body),
            );
            assert_eq!(send(&router, &hook).await.0, StatusCode::ACCEPTED);
            let all = wait_for("the answer", || comments(i + 1)).await;
            assert!(all[i].contains(want), "{body}: {}", all[i]);
        }
        let svc_a = store.targets(rollout.id).await.unwrap().remove(0);
        assert_eq!(svc_a.repo, "acme/svc-a");
        assert_eq!(svc_a.state, TargetState::CiPending, "nothing ran so far");

        // A human pushes to the branch: audited.
        let mut sync = fixture("pull_request.synchronize_human.json");
        sync["repository"]["full_name"] = json!("acme/svc-a");
        sync["number"] = json!(pr.number);
        send(&router, &Hook::new("pull_request", "sync-1", &sync)).await;
        wait_for("the audit entry", || async {
            let audit = store.audit(rollout.id, 1000).await.unwrap();
            audit
                .into_iter()
                .find(|a| a.entry.action == "branch edited by a human")
        })
        .await;
        // ... and the flag is set, so supersede and retry leave the branch alone.
        let flagged = store.pr_versions(rollout.id).await.unwrap();
        assert!(
            flagged
                .iter()
                .any(|v| v.repo == "acme/svc-a" && v.human_edited),
            "{flagged:?}"
        );

        // An owner skips the canary: wave 1 opens (svc-b gets its PR).
        let skip = Hook::new(
            "issue_comment",
            "cmd-skip",
            &comment(
                pr.number,
                "olivia",
                "OWNER",
                "/wavebump skip not needed here",
            ),
        );
        send(&router, &skip).await;
        let all = wait_for("the answer", || comments(5)).await;
        assert!(all[4].contains("is skipped in rollout"), "{}", all[4]);
        let target = store.targets(rollout.id).await.unwrap().remove(0);
        assert_eq!(target.state, TargetState::Skipped);
        assert!(
            target
                .last_reason
                .as_deref()
                .unwrap_or("")
                .contains("olivia"),
            "{target:?}"
        );
        wait_for("svc-b's PR", || async {
            (!world.fake.pulls("acme/svc-b").is_empty()).then_some(())
        })
        .await;
        running.stop().await;
    })
    .await;
}

/// `serve` prunes at start (the lease holder): a processed delivery older
/// than `store.inbox_retention` loses its payload, a young one keeps it,
/// and the delivery id still dedupes a redelivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prunes_old_processed_payloads() {
    timed(async {
        let world = World::new("").await;
        let store = world.store().await;
        let now = Timestamp::now();
        let day = 86_400_000;
        for (id, age_days) in [("d-old", 31), ("d-young", 1)] {
            assert!(
                store
                    .inbox_insert(
                        id,
                        "push",
                        "{\"big\": 1}",
                        Timestamp(now.0 - age_days * day)
                    )
                    .await
                    .unwrap()
            );
        }
        for r in store.inbox_due(now, 10).await.unwrap() {
            store.inbox_processed(r.id).await.unwrap();
        }
        let (app, store) = world.app(options()).await;
        let router = app.router.clone();
        let running = app.background.start();
        let payloads = wait_for("the old payload pruned", || {
            let store = store.clone();
            async move {
                let all = store.inbox_in(InboxState::Processed, 10).await.unwrap();
                let sizes: Vec<(String, usize)> = all
                    .into_iter()
                    .map(|r| (r.delivery_id, r.payload.len()))
                    .collect();
                sizes
                    .iter()
                    .any(|(id, n)| id == "d-old" && *n == 0)
                    .then_some(sizes)
            }
        })
        .await;
        assert_eq!(
            payloads,
            [("d-old".to_string(), 0), ("d-young".to_string(), 10)]
        );
        // A redelivery of the pruned delivery is still a duplicate.
        let (status, body) = send(&router, &library_release("d-old")).await;
        assert!(status.is_success(), "{status} {body}");
        assert_eq!(
            store.count("webhook_inbox").await.unwrap(),
            2,
            "not stored again"
        );
        running.stop().await;
    })
    .await;
}
