//! `/healthz`, `/readyz` (503 once the store is gone) and `/metrics`
//! (Prometheus text: webhook requests, deliveries, inbox depth, rollouts
//! and targets by state, ticks).

use axum::http::StatusCode;
use wavebump::config::secret::Secret;
use wavebump::rollout::{OperatorRequest, RolloutState, Verb};
use wavebump::server::webhook::sign;
use wavebump::status::OperatorCommands;

use super::{Hook, LIBRARY, World, get, options, release, send, timed, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ready_and_metrics() {
    timed(async {
        let world = World::new("").await;
        let (app, store) = world.app(options()).await;
        let router = app.router.clone();
        let engine = app.engine.clone();
        let running = app.background.start();

        assert_eq!(
            get(&router, "/healthz").await,
            (StatusCode::OK, "ok\n".into())
        );
        assert_eq!(
            get(&router, "/readyz").await,
            (StatusCode::OK, "ready\n".into())
        );

        let hook = Hook::new(
            "release",
            "m-1",
            &release(LIBRARY, "v2.0.0", "2020-01-01T00:00:00Z", false),
        );
        send(&router, &hook).await;
        send(&router, &hook).await;
        let mut forged = Hook::new("release", "m-2", &serde_json::json!({}));
        forged.signature = Some(sign(&Secret::new("x"), &forged.body));
        send(&router, &forged).await;
        wait_for("the canary's PR", || async {
            (!world.fake.pulls("acme/svc-a").is_empty()).then_some(())
        })
        .await;
        wait_for("the inbox to drain", || async {
            let n = store
                .inbox_count(wavebump::store::InboxState::Pending)
                .await
                .unwrap();
            (n == 0).then_some(())
        })
        .await;
        // The worker counts a delivery just after storing it processed.
        wait_for("the worker to count the delivery", || async {
            let (_, text) = get(&router, "/metrics").await;
            text.lines()
                .any(|l| {
                    l == "wavebump_deliveries_total{event=\"release\",outcome=\"processed\"} 1"
                })
                .then_some(())
        })
        .await;

        let (status, text) = get(&router, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        for line in [
            "# TYPE wavebump_webhook_requests_total counter",
            "wavebump_webhook_requests_total{event=\"release\",outcome=\"accepted\"} 1",
            "wavebump_webhook_requests_total{event=\"release\",outcome=\"duplicate\"} 1",
            "wavebump_webhook_requests_total{event=\"-\",outcome=\"unauthorized\"} 1",
            "wavebump_deliveries_total{event=\"release\",outcome=\"processed\"} 1",
            "# TYPE wavebump_inbox_deliveries gauge",
            "wavebump_inbox_deliveries{state=\"pending\"} 0",
            "wavebump_inbox_deliveries{state=\"processed\"} 1",
            "wavebump_inbox_deliveries{state=\"parked\"} 0",
            "wavebump_rollouts{state=\"running\"} 1",
            "wavebump_rollouts{state=\"completed\"} 0",
            "wavebump_targets{state=\"ci_pending\"} 1",
            "wavebump_targets{state=\"pending\"} 2",
            "wavebump_store_up 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(
            text.lines().any(|l| l
                .starts_with("wavebump_engine_ticks_total{trigger=\"delivery\",outcome=\"ok\"}")),
            "{text}"
        );
        // Every sample line is `name{labels} value` or `name value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }

        // The status page is mounted; its operator actions go through the
        // engine lock (refusals worded by the engine).
        assert_eq!(get(&router, "/login").await.0, StatusCode::OK);
        assert_ne!(get(&router, "/api/rollouts").await.0, StatusCode::NOT_FOUND);
        let commands: &dyn OperatorCommands = &*engine;
        let id = store.rollouts().await.unwrap()[0].id;
        let act = |verb: Verb, reason: &str| OperatorRequest {
            actor: "olivia".into(),
            rollout: id,
            verb,
            repo: None,
            reason: reason.into(),
        };
        commands.apply(act(Verb::Pause, "lunch")).await.unwrap();
        let r = store.rollout(id).await.unwrap().unwrap();
        assert_eq!(r.state, RolloutState::Paused);
        let refused = commands.apply(act(Verb::Pause, "lunch")).await.unwrap_err();
        assert!(refused.is_user(), "{refused}");
        assert!(refused.to_string().contains("cannot pause"), "{refused}");
        commands.apply(act(Verb::Resume, "")).await.unwrap();
        assert_eq!(
            store.rollout(id).await.unwrap().unwrap().state,
            RolloutState::Running
        );

        running.stop().await;
        // The store goes away: not ready, still alive, metrics say so.
        store.close().await;
        let (status, text) = get(&router, "/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
        assert_eq!(get(&router, "/healthz").await.0, StatusCode::OK);
        let (_, text) = get(&router, "/metrics").await;
        assert!(text.lines().any(|l| l == "wavebump_store_up 0"), "{text}");
    })
    .await;
}
