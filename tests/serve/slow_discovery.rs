//! Planning outside the lock: while a new version's discovery waits on a
//! slow GitHub (the fake holds its repository listing at a gate), an
//! operator action and a CI event go through the same rollout service and
//! complete; the discovery then finishes and starts its rollout.

use std::sync::Arc;
use std::time::Duration;

use wavebump::forge::github::{GitHubForge, ManualClock};
use wavebump::rollout::service::{
    CiChanged, NewVersion, OperatorRequest, Outcome, Request, RolloutService, ServiceOptions,
    TickTrigger, Verb, VersionOutcome, VersionSource,
};
use wavebump::rollout::{Engine, EngineOptions, RolloutState, Timestamp, new_rollout};

use super::{LIBRARY, World, timed, wait_for};
use crate::store::Db;
use crate::support::fake_github::{Fault, Gate};

/// Long enough for a loaded machine; the held request is never timed out
/// by the client meanwhile (its read timeout is longer).
const PROMPT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_actions_and_ci_events_do_not_wait_for_a_slow_discovery_sqlite() {
    timed(slow_discovery(Db::sqlite().await)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_actions_and_ci_events_do_not_wait_for_a_slow_discovery_postgres() {
    timed(slow_discovery(Db::postgres().await)).await
}

async fn slow_discovery(db: Db) {
    let world = World::new("").await;
    let store = db.open().await;
    let mut o = crate::github::app_options(&world.fake, Arc::new(ManualClock::new()));
    o.git_cache_dir = world.dir.path().join("git-cache");
    o.read_timeout = Duration::from_secs(80);
    let forge = GitHubForge::connect(o).await.unwrap();
    let engine = Arc::new(Engine::new(store.clone(), forge, EngineOptions::default()));
    let service = Arc::new(
        RolloutService::new(
            engine,
            ServiceOptions { settle: true },
            wavebump::clock::system(),
            tokio::sync::broadcast::channel(16).0,
        )
        .with_config(world.config.clone()),
    );

    // Another library's rollout is running, its canary's PR open.
    let now = Timestamp::now();
    let other = {
        let engine = service.lock().await;
        let quiet = |_: usize, _: usize| {};
        let outcome = wavebump::planning::run(engine.forge(), &world.config, Some("3.0.0"), &quiet)
            .await
            .unwrap();
        let mut new = new_rollout(&outcome, &world.config, "alice");
        new.library = "acme/other-utils".into();
        let id = engine.create(&new, now).await.unwrap();
        engine.start(id, "alice", now).await.unwrap();
        id
    };
    service.tick(now, TickTrigger::Reconcile).await.unwrap();
    let canary = store
        .targets(other)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.head_sha.is_some())
        .expect("the canary's PR is open");
    let sha = canary.head_sha.clone().unwrap();

    // A release of core-utils: its discovery's repository listing is
    // held at the gate.
    let gate = Gate::new();
    world
        .fake
        .fault("/installation/repositories", Fault::Hold(gate.clone()));
    let before = world.fake.faults_injected();
    let discovery = tokio::spawn({
        let service = service.clone();
        async move {
            service
                .handle(Request::NewVersion(NewVersion {
                    library: LIBRARY.into(),
                    version: Some(semver::Version::new(2, 0, 0)),
                    source: VersionSource::Webhook,
                    actor: "webhook rel-slow".into(),
                }))
                .await
        }
    });
    wait_for("the discovery's held request", || async {
        (world.fake.faults_injected() > before).then_some(())
    })
    .await;

    // A CI event for the other rollout's PR, then an operator's pause.
    let ci = tokio::time::timeout(
        PROMPT,
        service.handle(Request::CiChanged(CiChanged {
            repo: canary.repo.clone(),
            sha,
            prs: vec![],
        })),
    )
    .await
    .expect("the CI event waited for the discovery")
    .unwrap();
    assert!(
        matches!(ci, Outcome::CiRefreshed(ref t) if t.rollout == other),
        "{ci:?}"
    );
    let paused = tokio::time::timeout(
        PROMPT,
        service.handle(Request::Operator(OperatorRequest {
            actor: "olivia".into(),
            rollout: other,
            verb: Verb::Pause,
            repo: None,
            reason: "incident".into(),
        })),
    )
    .await
    .expect("the operator action waited for the discovery")
    .unwrap();
    assert!(
        matches!(
            paused,
            Outcome::Acted {
                state: RolloutState::Paused,
                ..
            }
        ),
        "{paused:?}"
    );
    assert!(
        !discovery.is_finished(),
        "the discovery is still held at the gate"
    );

    // The gate opens: the discovery plans and starts its rollout.
    gate.open();
    let started = discovery.await.unwrap().unwrap();
    let Outcome::Version(VersionOutcome::Started {
        rollout, library, ..
    }) = started
    else {
        panic!("not started: {started:?}");
    };
    assert_eq!(library, LIBRARY);
    assert_ne!(rollout, other);
    let states: Vec<(i64, RolloutState)> = store
        .rollouts()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.state))
        .collect();
    assert!(
        states.contains(&(other, RolloutState::Paused)),
        "{states:?}"
    );
    assert!(
        states.contains(&(rollout, RolloutState::Running)),
        "{states:?}"
    );
}
