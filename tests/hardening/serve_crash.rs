//! Crash/restart in serve mode: the real `wavebump serve` (SQLite store,
//! App auth against the fake GitHub) runs a 20-repository rollout started
//! by a signed `release` delivery, while a sender thread plays GitHub:
//! green CI on every PR one second after it appears (so that the rollout
//! spans the kills), a signed `check_run` delivery for it, and
//! a steady stream of unrelated `check_run`s. The server is killed with
//! SIGKILL 20 times at seeded random moments (after a few API requests,
//! after a few accepted deliveries, or after a short delay) and restarted.
//!
//! Checked: after each restart, every delivery accepted (answered 202)
//! before it leaves `pending` (processed, or parked where an operator sees
//! it); at the end no accepted delivery is missing from the inbox or still
//! pending, the rollout completed once, and every repository has exactly
//! one PR, merged. A delivery not answered 202 (the server was down) is
//! sent again, as GitHub redelivers.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Rng;
use super::serve_bin::{ServeOrg, kill9, org, terminate};
use crate::serve::{check_run, release};
use crate::support::fake_github::PullState;

const REPOS: usize = 20;
const KILLS: usize = 20;
const SEED: u64 = 0x5EED_0903;
const SECRET: &str = "crash-test-webhook-secret-7c1e9a4f0b3d58e2";
/// Unrelated deliveries sent at most (bounds the test).
const NOISE: usize = 600;
/// CI takes this long on every PR, so that the rollout spans the kills.
const CI_TIME: Duration = Duration::from_millis(1000);

/// What the sender thread shares with the test.
#[derive(Default)]
struct Wire {
    accepted: Mutex<Vec<String>>,
    /// Answers other than 202 and connection failures, by kind.
    refused: Mutex<BTreeMap<String, usize>>,
    stop: AtomicBool,
    /// The test failed: give up at once.
    abort: AtomicBool,
}

/// Aborts the sender when the test ends, failed or not (it holds the
/// organisation, whose drop removes the scratch directories).
struct AbortOnDrop(Arc<Wire>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort.store(true, Ordering::Relaxed);
    }
}

impl Wire {
    fn accepted(&self) -> Vec<String> {
        self.accepted.lock().unwrap().clone()
    }
}

/// GitHub's side: CI and deliveries, until `wire.stop`, then the queue is
/// flushed (the server is up by then).
fn sender(org: Arc<ServeOrg>, wire: Arc<Wire>) {
    let mut queue: VecDeque<(&'static str, String, Value)> = VecDeque::new();
    queue.push_back((
        "release",
        "release-v2.0.0".into(),
        release("acme/core-utils", "v2.0.0", "2020-01-01T00:00:00Z", false),
    ));
    let mut seen: BTreeSet<(String, u64)> = BTreeSet::new();
    let mut appeared: BTreeMap<(String, u64), Instant> = BTreeMap::new();
    let mut noise = 0usize;
    let mut last_noise = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(170);
    loop {
        if wire.abort.load(Ordering::Relaxed) {
            return;
        }
        let stopping = wire.stop.load(Ordering::Relaxed);
        if stopping && queue.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "the sender could not deliver");
        if !stopping {
            for full in &org.repos {
                for p in org.fake.pulls(full) {
                    let key = (full.clone(), p.number);
                    if p.state != PullState::Open || seen.contains(&key) {
                        continue;
                    }
                    if appeared.entry(key).or_insert_with(Instant::now).elapsed() < CI_TIME {
                        continue;
                    }
                    let Some(sha) = org.fake.branch_sha(full, &p.head) else {
                        continue;
                    };
                    org.fake.set_status(full, &sha, "ci", "success");
                    seen.insert((full.clone(), p.number));
                    queue.push_back((
                        "check_run",
                        format!("ci-{}-{}", full.replace('/', "-"), p.number),
                        check_run(full, &sha),
                    ));
                }
            }
            if noise < NOISE && last_noise.elapsed() >= Duration::from_millis(30) {
                last_noise = Instant::now();
                noise += 1;
                let sha = format!("{:040x}", noise);
                queue.push_back((
                    "check_run",
                    format!("noise-{noise}"),
                    check_run("acme/svc-00", &sha),
                ));
            }
        }
        // Send what is queued; stop at the first failure (server down).
        while let Some((event, id, body)) = queue.front() {
            match org.deliver(SECRET, event, id, body) {
                Ok(202) => {
                    wire.accepted.lock().unwrap().push(id.clone());
                    queue.pop_front();
                }
                Ok(code) => {
                    *wire
                        .refused
                        .lock()
                        .unwrap()
                        .entry(code.to_string())
                        .or_default() += 1;
                    break;
                }
                Err(_) => {
                    *wire
                        .refused
                        .lock()
                        .unwrap()
                        .entry("no connection".into())
                        .or_default() += 1;
                    break;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits (at most 30 s) until every id of `ids` is in the inbox and out of
/// `pending`; panics naming a missing or stuck delivery.
async fn drained(org: &ServeOrg, ids: &[String], when: &str) -> BTreeMap<String, usize> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows: BTreeMap<String, String> = org.inbox().await.into_iter().collect();
        let missing: Vec<&String> = ids.iter().filter(|i| !rows.contains_key(*i)).collect();
        assert!(
            missing.is_empty(),
            "{when}: accepted deliveries lost: {missing:?}"
        );
        let stuck: Vec<&String> = ids
            .iter()
            .filter(|i| !matches!(rows[*i].as_str(), "processed" | "parked"))
            .collect();
        if stuck.is_empty() {
            let mut by_state = BTreeMap::new();
            for s in rows.values() {
                *by_state.entry(s.clone()).or_default() += 1;
            }
            return by_state;
        }
        assert!(
            Instant::now() < deadline,
            "{when}: the inbox did not drain: {} still pending, e.g. {:?}; log tail:\n{}",
            stuck.len(),
            &stuck[..stuck.len().min(5)],
            tail(&org.dir.path().join("serve.log"), 30)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn rollout_states(org: &ServeOrg) -> Vec<String> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(org.db())
        .read_only(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let rows: Vec<(String,)> = sqlx::query_as("SELECT state FROM rollouts ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap_or_default();
    pool.close().await;
    rows.into_iter().map(|(s,)| s).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_serve_twenty_times_while_webhooks_arrive() {
    tokio::time::timeout(Duration::from_secs(180), run())
        .await
        .expect("the serve crash test took over 180 s");
}

async fn run() {
    let t0 = Instant::now();
    let mut o = org(REPOS, 3, "").await;
    o.env
        .push(("WAVEBUMP_WEBHOOK_SECRET".into(), SECRET.into()));
    // One instance, restarted: the same lease holder, so a restart takes
    // the engine lease back at once (HOST:PID would wait out its 60 s TTL).
    o.env
        .push(("WAVEBUMP_LEASE_HOLDER".into(), "crash-test".into()));
    let org = Arc::new(o);
    let log = org.dir.path().join("serve.log");
    let wire = Arc::new(Wire::default());
    let _abort = AbortOnDrop(wire.clone());
    let thread = {
        let (org, wire) = (org.clone(), wire.clone());
        std::thread::spawn(move || sender(org, wire))
    };
    let mut rng = Rng(SEED);
    let mut moments = Vec::new();
    for kill in 0..KILLS {
        let before = wire.accepted();
        let mut child = org.start(&log, "info").await;
        drained(&org, &before, &format!("restart {kill}")).await;
        // A random moment of the rollout.
        let base_requests = org.fake.requests().len();
        let base_accepted = wire.accepted().len();
        let until = Instant::now() + Duration::from_secs(2);
        let moment = match rng.next() % 3 {
            0 => {
                let k = rng.range(1, 25) as usize;
                while org.fake.requests().len() < base_requests + k && Instant::now() < until {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                format!("after {k} API request(s)")
            }
            1 => {
                let k = rng.range(1, 5) as usize;
                while wire.accepted().len() < base_accepted + k && Instant::now() < until {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                format!("after {k} accepted deliveries")
            }
            _ => {
                let ms = rng.range(0, 300);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                format!("after {ms} ms")
            }
        };
        kill9(&mut child);
        let merged = org
            .repos
            .iter()
            .filter(|r| {
                org.fake
                    .pulls(r)
                    .iter()
                    .any(|p| p.state == PullState::Merged)
            })
            .count();
        moments.push(format!("{moment} ({merged} merged)"));
    }

    // The last start runs the rollout to its end.
    let before = wire.accepted();
    let mut child = org.start(&log, "info").await;
    drained(&org, &before, "last restart").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let states = rollout_states(&org).await;
        if states.first().map(String::as_str) == Some("completed") {
            assert_eq!(states.len(), 1, "one rollout for one release: {states:?}");
            break;
        }
        if Instant::now() > deadline {
            kill9(&mut child);
            panic!(
                "rollout not completed ({states:?}); log tail:\n{}",
                tail(&log, 40)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wire.stop.store(true, Ordering::Relaxed);
    tokio::task::spawn_blocking(move || thread.join())
        .await
        .unwrap()
        .expect("sender thread");
    let all = wire.accepted();
    let states = drained(&org, &all, "the end").await;
    let code = tokio::task::spawn_blocking(move || terminate(&mut child))
        .await
        .unwrap();
    assert_eq!(code, Some(0), "serve exits 0 on SIGTERM");

    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "a delivery id accepted twice");
    for full in &org.repos {
        let pulls = org.fake.pulls(full);
        assert_eq!(pulls.len(), 1, "{full}: exactly one PR: {pulls:#?}");
        assert_eq!(pulls[0].state, PullState::Merged, "{full}");
    }
    println!(
        "serve crash: {KILLS} kills ({moments:?}), {} deliveries accepted, inbox {states:?}, \
         not accepted at first try {:?}, {:?}",
        all.len(),
        wire.refused.lock().unwrap(),
        t0.elapsed()
    );
}

fn tail(path: &std::path::Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    // The HTTP side's "delivery stored" lines drown the rest.
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("delivery stored"))
        .collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
