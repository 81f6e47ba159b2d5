//! One rollout's failing tick (a forge error met outside any target) does
//! not stop the ticks of the other rollouts.

use wavebump::rollout::{Timestamp, new_rollout};
use wavebump::server::metrics::TickTrigger;

use super::{World, options, timed};
use crate::support::fake_github::Fault;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_rollout_does_not_stop_the_others() {
    timed(async {
        let world = World::new("").await;
        let (app, store) = world.app(options()).await;
        let now = Timestamp::now();
        let mut ids = Vec::new();
        {
            let engine = app.engine.lock().await;
            let quiet = |_: usize, _: usize| {};
            for version in ["2.0.0", "2.1.0"] {
                let outcome =
                    wavebump::planning::run(engine.forge(), &world.config, Some(version), &quiet)
                        .await
                        .unwrap();
                let new = new_rollout(&outcome, &world.config, "alice");
                let id = engine.create(&new, now).await.unwrap();
                engine.start(id, "alice", now).await.unwrap();
                ids.push(id);
            }
        }
        let branch = |id: i64| {
            let store = store.clone();
            async move { store.rollout(id).await.unwrap().unwrap().branch }
        };
        let (first, second) = (branch(ids[0]).await, branch(ids[1]).await);
        assert_ne!(first, second);
        // The first rollout's repository listing gets an answer without
        // its fields: that rollout's tick fails.
        world
            .fake
            .fault("/installation/repositories", Fault::MissingFields);
        let report = app.engine.tick(now, TickTrigger::Reconcile).await.unwrap();
        let prefix = format!("rollout {}: ", ids[0]);
        assert!(
            report.errors.iter().any(|e| e.starts_with(&prefix)),
            "{report:?}"
        );
        let heads = || -> Vec<String> {
            world
                .fake
                .pulls("acme/svc-a")
                .into_iter()
                .map(|p| p.head)
                .collect()
        };
        assert_eq!(
            heads(),
            std::slice::from_ref(&second),
            "the second rollout ticked"
        );
        assert_eq!(report.opened, 1);
        // The next tick catches the first rollout up.
        let report = app.engine.tick(now, TickTrigger::Reconcile).await.unwrap();
        assert!(report.errors.is_empty(), "{report:?}");
        let mut got = heads();
        got.sort();
        let mut want = vec![first, second];
        want.sort();
        assert_eq!(got, want);
    })
    .await;
}
