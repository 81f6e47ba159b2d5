//! HA: two engines on one database (the same forge) elect one through the
//! store lease; the other takes over within the TTL once the holder stops
//! renewing, and a holder that lost the lease does nothing. Time is the
//! injected `now` of `tick`: no sleeps.

use std::sync::Arc;
use std::time::Duration;

use wavebump::ecosystem::MemTree;
use wavebump::forge::{
    BranchPush, CiReport, Forge, ForgeError, ForgeWrite, MergeOutcome, NewPullRequest, PrStatus,
    PullRequest, PushOutcome, Release, RepoInfo, Rerun,
};
use wavebump::rollout::{Engine, EngineOptions, LeaseOptions, Timestamp, new_rollout};

use super::fleet::{self, START};
use crate::store::Db;
use crate::support::memforge::MemForge;

/// One in-memory forge seen by several engines; the hook runs before
/// every PR is opened (a slow forge, by moving a test clock).
#[derive(Clone)]
pub struct Shared(pub Arc<MemForge>, pub Option<Arc<dyn Fn() + Send + Sync>>);

impl Forge for Shared {
    async fn list_repos(&self) -> Result<Vec<RepoInfo>, ForgeError> {
        self.0.list_repos().await
    }
    async fn read_tree(&self, repo: &str) -> Result<MemTree, ForgeError> {
        self.0.read_tree(repo).await
    }
    async fn tags(&self, repo: &str) -> Result<Vec<String>, ForgeError> {
        self.0.tags(repo).await
    }
}

impl ForgeWrite for Shared {
    async fn releases(&self, repo: &str) -> Result<Vec<Release>, ForgeError> {
        self.0.releases(repo).await
    }
    async fn find_open_pr(&self, repo: &str, b: &str) -> Result<Option<PullRequest>, ForgeError> {
        self.0.find_open_pr(repo, b).await
    }
    async fn pull_request(&self, repo: &str, n: u64) -> Result<PullRequest, ForgeError> {
        self.0.pull_request(repo, n).await
    }
    async fn pr_status(&self, repo: &str, n: u64) -> Result<PrStatus, ForgeError> {
        self.0.pr_status(repo, n).await
    }
    async fn push_branch(&self, repo: &str, p: &BranchPush) -> Result<PushOutcome, ForgeError> {
        self.0.push_branch(repo, p).await
    }
    async fn create_pr(&self, repo: &str, p: &NewPullRequest) -> Result<PullRequest, ForgeError> {
        if let Some(hook) = &self.1 {
            hook();
        }
        self.0.create_pr(repo, p).await
    }
    async fn update_pr(&self, repo: &str, n: u64, t: &str, b: &str) -> Result<(), ForgeError> {
        self.0.update_pr(repo, n, t, b).await
    }
    async fn close_pr(&self, repo: &str, n: u64, c: Option<&str>) -> Result<(), ForgeError> {
        self.0.close_pr(repo, n, c).await
    }
    async fn comment(&self, repo: &str, n: u64, b: &str) -> Result<(), ForgeError> {
        self.0.comment(repo, n, b).await
    }
    async fn ci_state(&self, repo: &str, sha: &str) -> Result<CiReport, ForgeError> {
        self.0.ci_state(repo, sha).await
    }
    async fn merge_pr(&self, repo: &str, n: u64, sha: &str) -> Result<MergeOutcome, ForgeError> {
        self.0.merge_pr(repo, n, sha).await
    }
    async fn rerun_failed_checks(&self, repo: &str, sha: &str) -> Result<Rerun, ForgeError> {
        self.0.rerun_failed_checks(repo, sha).await
    }
    async fn push_empty_commit(
        &self,
        repo: &str,
        branch: &str,
        expected: &str,
        message: &str,
    ) -> Result<Option<String>, ForgeError> {
        self.0
            .push_empty_commit(repo, branch, expected, message)
            .await
    }
}

const TTL: Duration = Duration::from_secs(30);

fn engine(store: wavebump::store::Store, forge: &Shared, holder: &str) -> Engine<Shared> {
    Engine::new(
        store,
        forge.clone(),
        EngineOptions {
            pr_budget_per_tick: 5,
            max_error_retries: 3,
            lease: Some(LeaseOptions::new(holder, TTL)),
        },
    )
}

fn prs(forge: &Shared) -> usize {
    forge.0.prs().len()
}

async fn one_engine_acts_and_the_other_takes_over(db: Db) {
    let forge = Shared(Arc::new(fleet::forge()), None);
    let a = engine(db.open().await, &forge, "a");
    let b = engine(db.open().await, &forge, "b");
    let config = fleet::config();
    let quiet = |_: usize, _: usize| {};
    let outcome = wavebump::planning::run(&forge, &config, Some("2.0.0"), &quiet)
        .await
        .unwrap();
    let id = a
        .create(&new_rollout(&outcome, &config, "alice"), START)
        .await
        .unwrap();
    a.start(id, "alice", START).await.unwrap();
    let mut now = START;
    // Both tick, interleaved, for a while: only `a` (first) ever acts.
    for _ in 0..4 {
        let ra = a.tick(now).await.unwrap();
        let before = prs(&forge);
        let rb = b.tick(now).await.unwrap();
        assert!(ra.leader && !rb.leader, "{ra:?} {rb:?}");
        assert_eq!(rb, Default::default(), "the follower did nothing");
        assert_eq!(prs(&forge), before, "the follower opened no PR");
        now = now.plus(Duration::from_secs(10));
    }
    let opened = prs(&forge);
    assert!(opened >= 1, "the leader opened PRs");
    // `a` dies (stops renewing). Before the TTL runs out `b` still waits...
    let last_renewal = now.0 - 10_000;
    let almost = Timestamp(last_renewal + TTL.as_millis() as i64 - 1);
    assert!(!b.tick(almost).await.unwrap().leader);
    // ...and within the TTL it takes over and acts.
    let after = Timestamp(last_renewal + TTL.as_millis() as i64);
    let rb = b.tick(after).await.unwrap();
    assert!(rb.leader, "{rb:?}");
    // The old holder comes back: it has lost the lease and does nothing.
    let before = prs(&forge);
    let ra = a.tick(after.plus(Duration::from_secs(1))).await.unwrap();
    assert!(!ra.leader);
    assert_eq!(prs(&forge), before);
    // No repository ever got two PRs.
    let mut repos: Vec<String> = forge.0.prs().into_iter().map(|(r, _)| r).collect();
    let n = repos.len();
    repos.sort();
    repos.dedup();
    assert_eq!(repos.len(), n, "one PR per repository");
    // A clean stop hands over at once.
    b.release_lease().await.unwrap();
    assert!(
        a.tick(after.plus(Duration::from_secs(2)))
            .await
            .unwrap()
            .leader
    );
}

/// A holder that stalled past its TTL while another engine took the lease
/// does nothing when it wakes up.
async fn a_stalled_holder_does_nothing(db: Db) {
    let forge = Shared(Arc::new(fleet::forge()), None);
    let a = engine(db.open().await, &forge, "a");
    let config = fleet::config();
    let quiet = |_: usize, _: usize| {};
    let outcome = wavebump::planning::run(&forge, &config, Some("2.0.0"), &quiet)
        .await
        .unwrap();
    let id = a
        .create(&new_rollout(&outcome, &config, "alice"), START)
        .await
        .unwrap();
    a.start(id, "alice", START).await.unwrap();
    assert!(a.tick(START).await.unwrap().leader);
    // Another engine took the lease (a's renewal expired).
    let later = START.plus(TTL).plus(Duration::from_secs(1));
    assert!(
        a.store()
            .acquire_lease("engine", "b", later, TTL)
            .await
            .unwrap()
    );
    let before = prs(&forge);
    let r = a.tick(START.plus(Duration::from_secs(5))).await.unwrap();
    assert!(!r.leader, "{r:?}");
    assert_eq!(prs(&forge), before);
}

/// One tick outlives the TTL (every PR takes 20 s of a 30 s TTL) while a
/// standby waits: the holder renews from fresh clock readings, so its lease
/// never lapses mid-tick, the expiry only moves forward, and the standby
/// gets nothing until the holder stops.
async fn a_tick_longer_than_the_ttl_keeps_the_lease(db: Db) {
    use std::sync::atomic::{AtomicI64, Ordering};
    let clock = Arc::new(AtomicI64::new(START.0));
    let moved = clock.clone();
    let forge = Shared(
        Arc::new(fleet::forge()),
        Some(Arc::new(move || {
            moved.fetch_add(20_000, Ordering::SeqCst);
        })),
    );
    let read = clock.clone();
    let lease_clock = wavebump::rollout::LeaseClock(wavebump::clock::from_fn(move || {
        Timestamp(read.load(Ordering::SeqCst))
    }));
    let options = |holder: &str| EngineOptions {
        pr_budget_per_tick: 5,
        max_error_retries: 3,
        lease: Some(LeaseOptions::new(holder, TTL).with_clock(lease_clock.clone())),
    };
    let a = Engine::new(db.open().await, forge.clone(), options("a"));
    let b = Engine::new(db.open().await, forge.clone(), options("b"));
    // Three canaries: three PRs in the first tick, 60 s in all.
    let config = wavebump::config::Config::parse_in(
        &fleet::CONFIG.replace("canaries: [svc-00]", "canaries: [svc-00, svc-01, svc-02]"),
        "test.yaml",
        std::path::Path::new("/tmp"),
    )
    .unwrap();
    let quiet = |_: usize, _: usize| {};
    let outcome = wavebump::planning::run(&forge, &config, Some("2.0.0"), &quiet)
        .await
        .unwrap();
    let id = a
        .create(&new_rollout(&outcome, &config, "alice"), START)
        .await
        .unwrap();
    a.start(id, "alice", START).await.unwrap();

    let report = a.tick(START).await.unwrap();
    assert!(report.leader && !report.lost_lease, "{report:?}");
    let opened = prs(&forge);
    assert!(
        opened >= 3,
        "the tick opened {opened} PRs: it must outlive the TTL"
    );
    let now = Timestamp(clock.load(Ordering::SeqCst));
    assert!(
        now.since(START) > TTL,
        "the tick took {:?}",
        now.since(START)
    );
    // The lease runs from the last renewal's fresh reading, not the tick's
    // start: still a's, and the waiting standby cannot take it.
    let lease = a.store().lease("engine").await.unwrap().unwrap();
    assert_eq!(lease.holder, "a");
    assert!(lease.expires_at > now, "{lease:?} at {now:?}");
    let rb = b.tick(now).await.unwrap();
    assert!(!rb.leader, "{rb:?}");
    assert_eq!(prs(&forge), opened, "the standby opened nothing");
    // A renewal at the tick's (older) time does not shorten it.
    assert!(
        a.store()
            .acquire_lease("engine", "a", START, TTL)
            .await
            .unwrap()
    );
    assert_eq!(
        a.store().lease("engine").await.unwrap().unwrap().expires_at,
        lease.expires_at
    );
    // a stops; once its last expiry passes, b takes over.
    let rb = b.tick(lease.expires_at).await.unwrap();
    assert!(rb.leader, "{rb:?}");
}

crate::both!(
    one_engine_acts_and_the_other_takes_over,
    a_stalled_holder_does_nothing,
    a_tick_longer_than_the_ttl_keeps_the_lease
);
