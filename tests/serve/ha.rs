//! HA: two `serve` apps (replicas) on one database — PostgreSQL, and SQLite
//! for good measure — with the same fake GitHub. Only the lease holder
//! drains the shared inbox and ticks; the standby receives webhooks but
//! handles none; when the leader dies (its tasks aborted: no clean stop, the
//! lease is not released) the standby takes over once the lease's TTL has
//! run out and carries the rollout on. Time is an injected clock shared by
//! both replicas; the lease renewal runs every few milliseconds of real
//! time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use wavebump::config::secret::Secret;
use wavebump::forge::github::GitHubForge;
use wavebump::rollout::{LeaseOptions, Timestamp};
use wavebump::server::metrics::{DeliveryOutcome, TickTrigger};
use wavebump::server::serve::{self, ServeApp, ServeDeps, ServeOptions};
use wavebump::store::{InboxState, Store};

use super::{Hook, LIBRARY, SECRET, World, check_run, get, options, release, send, wait_for};
use crate::store::Db;

const TTL: Duration = Duration::from_secs(30);

async fn replica(
    world: &World,
    store: Store,
    holder: &str,
    clock: &Arc<AtomicI64>,
) -> ServeApp<GitHubForge> {
    let c = clock.clone();
    let mut opts = ServeOptions {
        now: wavebump::clock::from_fn(move || Timestamp(c.load(Ordering::SeqCst))),
        lease_renew: Duration::from_millis(5),
        ..options()
    };
    opts.engine.lease = Some(LeaseOptions::new(holder, TTL));
    serve::app(ServeDeps {
        config: world.config.clone(),
        store,
        forge: world.forge().await,
        secrets: vec![Secret::new(SECRET)],
        operators: vec![],
        options: opts,
    })
}

async fn holder(store: &Store) -> Option<String> {
    store.lease("engine").await.unwrap().map(|l| l.holder)
}

async fn only_the_leader_works_and_the_standby_takes_over(db: Db) {
    let world = World::new("").await;
    let t0 = Timestamp::now().0;
    let clock = Arc::new(AtomicI64::new(t0));
    let store = db.open().await;

    // Replica A starts first and leads.
    let a = replica(&world, db.open().await, "a", &clock).await;
    let (a_stats, a_lease) = (a.worker_stats.clone(), a.lease.clone());
    let a_running = a.background.start();
    wait_for("A to lead", || async {
        (holder(&store).await.as_deref() == Some("a") && a_lease.is_leader()).then_some(())
    })
    .await;
    // Replica B stands by: it has tried the lease and not got it.
    let b = replica(&world, db.open().await, "b", &clock).await;
    let (b_router, b_stats, b_lease) = (b.router.clone(), b.worker_stats.clone(), b.lease.clone());
    let b_running = b.background.start();
    wait_for("B to try the lease", || async {
        (b_lease.attempts() >= 3).then_some(())
    })
    .await;
    assert!(!b_lease.is_leader());
    assert_eq!(
        get(&b_router, "/metrics")
            .await
            .1
            .lines()
            .find(|l| l.starts_with("wavebump_leader ")),
        Some("wavebump_leader 0")
    );

    // A release reaches B (GitHub may pick either replica): A handles it.
    let hook = Hook::new(
        "release",
        "ha-release",
        &release(LIBRARY, "v2.0.0", "2020-01-01T00:00:00Z", false),
    );
    assert_eq!(send(&b_router, &hook).await.0, StatusCode::ACCEPTED);
    let rollout = wait_for("the rollout", || async {
        store.rollouts().await.unwrap().into_iter().next()
    })
    .await;
    let canary = wait_for("the canary's PR", || async {
        let pulls = world.fake.pulls("acme/svc-a");
        let pull = pulls.first()?;
        world.fake.branch_sha("acme/svc-a", &pull.head)
    })
    .await;
    wait_for("A to record the delivery", || async {
        (a_stats.total(DeliveryOutcome::Processed) == 1).then_some(())
    })
    .await;
    assert_eq!(rollout.started_by, "webhook ha-release");
    let b_seen = b_lease.attempts();
    wait_for("B to try again", || async {
        (b_lease.attempts() >= b_seen + 3).then_some(())
    })
    .await;
    for outcome in [
        DeliveryOutcome::Processed,
        DeliveryOutcome::Ignored,
        DeliveryOutcome::Retried,
    ] {
        assert_eq!(b_stats.total(outcome), 0, "B handled nothing");
    }
    assert_eq!(b_stats.ticks(TickTrigger::Reconcile), 0, "B never ticked");
    assert!(!b_lease.is_leader());

    // A dies: no clean stop, the lease stays A's until it expires.
    a_running.abort();
    let last_renewal =
        store.lease("engine").await.unwrap().unwrap().expires_at.0 - TTL.as_millis() as i64;
    world
        .fake
        .add_check_run("acme/svc-a", &canary, "test", "completed", Some("success"));
    let ci = Hook::new("check_run", "ha-check", &check_run("acme/svc-a", &canary));
    assert_eq!(send(&b_router, &ci).await.0, StatusCode::ACCEPTED);
    // Before the TTL runs out B waits (several renewal attempts, nothing handled).
    let b_seen = b_lease.attempts();
    wait_for("B to try while A's lease holds", || async {
        (b_lease.attempts() >= b_seen + 3).then_some(())
    })
    .await;
    assert_eq!(store.inbox_count(InboxState::Pending).await.unwrap(), 1);
    assert_eq!(holder(&store).await.as_deref(), Some("a"));
    // The TTL runs out: B takes over within one renewal, handles the
    // check run and ticks; the canary's success opens wave 1 (svc-b).
    clock.store(last_renewal + TTL.as_millis() as i64, Ordering::SeqCst);
    wait_for("B to lead", || async {
        (holder(&store).await.as_deref() == Some("b") && b_lease.is_leader()).then_some(())
    })
    .await;
    wait_for("B to process the check run", || async {
        (b_stats.total(DeliveryOutcome::Processed) == 1).then_some(())
    })
    .await;
    wait_for("wave 1's PR, opened by B", || async {
        (!world.fake.pulls("acme/svc-b").is_empty()).then_some(())
    })
    .await;
    wait_for("B's reconcile tick on taking over", || async {
        (b_stats.ticks(TickTrigger::Reconcile) >= 1).then_some(())
    })
    .await;
    assert_eq!(store.inbox_count(InboxState::Pending).await.unwrap(), 0);
    for full in ["acme/svc-a", "acme/svc-b"] {
        assert_eq!(world.fake.pulls(full).len(), 1, "one PR in {full}");
    }
    let b_metrics = get(&b_router, "/metrics").await.1;
    assert!(
        b_metrics.lines().any(|l| l == "wavebump_leader 1"),
        "{b_metrics}"
    );
    // A clean stop of B releases the lease at once.
    b_running.stop().await;
    assert_eq!(holder(&store).await, None);
}

crate::both!(only_the_leader_works_and_the_standby_takes_over);
