//! Issue 14's owners' journey on the fake GitHub: 40 repositories,
//! `automerge: false`, `gate.require: merged`, `on_declined: skip`. The
//! owners act through the fake as distinct people: most merge their PR
//! once CI is green; one closes it; one fixes a red PR by pushing to its
//! branch, which turns green and is merged; one asks for changes, later
//! approves, and merges. The rollout completes with no operator and no
//! merge by the bot.
//!
//! Run twice on each backend: driven by webhooks (the service is told each
//! PR and CI change, as serve's applier tells it; the periodic tick does
//! not read PRs), and with webhooks off (only the reconcile tick, which
//! reads every live PR).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::broadcast;
use wavebump::config::Config;
use wavebump::rollout::service::{
    CiChanged, ForeignPush, PrChange, PrChanged, Request, RolloutService, ServiceOptions,
};
use wavebump::rollout::{Engine, Observe, RolloutState, TargetState, Timestamp};
use wavebump::store::ReviewState;

use crate::store::Db;
use crate::support::gh_rollout::{self, CHECK, Ci, GhFleet, START};

/// Between ticks: more than the 1 min soak.
const STEP: Duration = Duration::from_secs(2 * 60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Drive {
    Webhooks,
    TickOnly,
}

fn owner(full: &str) -> String {
    format!("owner-{}", full.rsplit('/').next().unwrap_or(full))
}

/// The fleet's configuration, turned into the default one people merge in.
fn people_config(fleet: &GhFleet) -> Config {
    let text = gh_rollout::config_text(fleet.fake.url(), "[3, 8, 16]", "1m")
        .replace("automerge: true", "automerge: false")
        .replace(
            "    failure_budget: 0\n",
            "    failure_budget: 1\n    require: merged\n",
        )
        .replace("rollout:\n", "rollout:\n  on_declined: skip\n");
    assert!(text.contains("require: merged") && text.contains("on_declined: skip"));
    Config::parse_in(&text, "wavebump.yaml", std::path::Path::new("/tmp")).unwrap()
}

/// The latest run of [`CHECK`] on `sha`: `(status, conclusion)`.
fn check_of(fleet: &GhFleet, full: &str, sha: &str) -> Option<(String, Option<String>)> {
    fleet.fake.with_repo(full, |r| {
        r.check_runs
            .iter()
            .rev()
            .find(|c| c.head_sha == sha && c.name == CHECK)
            .map(|c| (c.status.clone(), c.conclusion.clone()))
    })
}

struct World {
    fleet: GhFleet,
    engine: Arc<Engine<wavebump::forge::github::GitHubForge>>,
    service: RolloutService<wavebump::forge::github::GitHubForge>,
    now: Arc<AtomicI64>,
    drive: Drive,
    deliveries: u64,
}

impl World {
    fn now(&self) -> Timestamp {
        Timestamp(self.now.load(Ordering::SeqCst))
    }

    /// A PR change, told the way serve's applier tells it (webhook mode
    /// only: with webhooks off nobody tells).
    async fn tell(&mut self, full: &str, number: u64, change: PrChange, sender: &str) {
        if self.drive == Drive::TickOnly {
            return;
        }
        self.deliveries += 1;
        self.service
            .handle(Request::PrChanged(PrChanged {
                repo: full.to_owned(),
                number,
                change,
                actor: format!("webhook d-{}", self.deliveries),
                sender: Some(sender.to_owned()),
            }))
            .await
            .unwrap();
    }

    async fn tell_ci(&mut self, full: &str, sha: &str, number: u64) {
        if self.drive == Drive::TickOnly {
            return;
        }
        self.deliveries += 1;
        self.service
            .handle(Request::CiChanged(CiChanged {
                repo: full.to_owned(),
                sha: sha.to_owned(),
                prs: vec![number],
            }))
            .await
            .unwrap();
    }

    /// The periodic tick: with webhooks on it does not read the PRs (the
    /// deliveries told what changed); with them off it is the only source.
    async fn tick(&self) {
        let observe = match self.drive {
            Drive::Webhooks => Observe::Skip,
            Drive::TickOnly => Observe::Prs,
        };
        let report = self.engine.tick_with(self.now(), observe).await.unwrap();
        assert!(report.errors.is_empty(), "{report:?}");
    }
}

async fn journey(db: Db, drive: Drive) {
    let mut fleet = GhFleet::new(40, "[3, 8, 16]", "1m").await;
    fleet.config = people_config(&fleet);
    fleet.set_default_ci(Ci::Pass);
    let engine = Arc::new(fleet.engine(db.open().await).await);
    let now = Arc::new(AtomicI64::new(START.0));
    let clock = {
        let now = now.clone();
        wavebump::clock::from_fn(move || Timestamp(now.load(Ordering::SeqCst)))
    };
    let (changes, _) = broadcast::channel(64);
    let service = RolloutService::new(
        engine.clone(),
        ServiceOptions { settle: true },
        clock,
        changes,
    );
    let id = gh_rollout::start(&engine, &fleet, START, "alice").await;
    let store = engine.store().clone();

    // The people with a story, by wave: two of wave 1 (one closes, one
    // reviews), one of wave 2 (fixes a red PR).
    let targets = store.targets(id).await.unwrap();
    let in_wave = |w: u32| -> Vec<String> {
        let mut v: Vec<String> = targets
            .iter()
            .filter(|t| t.wave == w)
            .map(|t| t.repo.clone())
            .collect();
        v.sort();
        v
    };
    let (closer, reviewer, fixer) = (
        in_wave(1)[0].clone(),
        in_wave(1)[1].clone(),
        in_wave(2)[0].clone(),
    );
    fleet.set_ci(&fixer, Ci::Fail);
    let mut w = World {
        fleet,
        engine,
        service,
        now,
        drive,
        deliveries: 0,
    };

    let mut told_ci: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut review_step: BTreeMap<String, u8> = BTreeMap::new();
    let mut fixed = None;
    let mut saw_changes_requested = false;
    let mut saw_failed_fixer = false;
    let mut done = false;
    for _ in 0..120 {
        w.tick().await;
        w.fleet.run_ci();
        // CI events for every check that reached a new state.
        for full in w.fleet.repos.clone() {
            for p in w.fleet.fake.pulls(&full) {
                if p.state != crate::support::fake_github::PullState::Open {
                    continue;
                }
                let Some(head) = w.fleet.fake.branch_sha(&full, &p.head) else {
                    continue;
                };
                if let Some((status, _)) = check_of(&w.fleet, &full, &head)
                    && told_ci.insert((full.clone(), head.clone(), status))
                {
                    w.tell_ci(&full, &head, p.number).await;
                }
            }
        }
        w.tick().await;
        // The owners look at their PRs.
        let by_repo: BTreeMap<String, TargetState> = store
            .targets(id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.repo, t.state))
            .collect();
        if by_repo.get(&fixer) == Some(&TargetState::CiFailed) {
            saw_failed_fixer = true;
        }
        for full in w.fleet.repos.clone() {
            let Some(p) = w
                .fleet
                .fake
                .pulls(&full)
                .into_iter()
                .find(|p| p.state == crate::support::fake_github::PullState::Open)
            else {
                continue;
            };
            let Some(head) = w.fleet.fake.branch_sha(&full, &p.head) else {
                continue;
            };
            let ci = check_of(&w.fleet, &full, &head);
            let who = owner(&full);
            let green = ci
                .as_ref()
                .is_some_and(|(s, c)| s == "completed" && c.as_deref() == Some("success"));
            let red = ci
                .as_ref()
                .is_some_and(|(s, c)| s == "completed" && c.as_deref() == Some("failure"));
            if full == fixer && red && fixed.is_none() {
                // The owner adapts their code on the bump PR.
                let sha = w.fleet.fake.push_commit(
                    &full,
                    &p.head,
                    &[("src/adapted.rs", b"// adapted to core-utils 2\n")],
                );
                w.fleet.set_ci(&full, Ci::Pass);
                fixed = Some(sha.clone());
                let change = PrChange::Synchronize {
                    foreign: Some(ForeignPush {
                        login: who.clone(),
                        sha,
                        head_ref: p.head.clone(),
                    }),
                };
                w.tell(&full, p.number, change, &who).await;
                continue;
            }
            if !green {
                continue;
            }
            if full == closer {
                w.fleet.fake.close_as(&full, p.number, &who);
                w.tell(&full, p.number, PrChange::Closed, &who).await;
                continue;
            }
            if full == reviewer {
                let step = review_step.entry(full.clone()).or_default();
                let review = match *step {
                    0 => Some(("CHANGES_REQUESTED", ReviewState::ChangesRequested)),
                    1 => {
                        let t = store
                            .targets(id)
                            .await
                            .unwrap()
                            .into_iter()
                            .find(|t| t.repo == full)
                            .unwrap();
                        assert_eq!(t.activity.changes_requested(), ["rev-carol"], "{t:?}");
                        saw_changes_requested = true;
                        Some(("APPROVED", ReviewState::Approved))
                    }
                    _ => None,
                };
                *step += 1;
                if let Some((state, review)) = review {
                    w.fleet.fake.review_as(&full, p.number, "rev-carol", state);
                    let change = PrChange::Review {
                        login: "rev-carol".into(),
                        review: Some(review),
                        at: None,
                    };
                    w.tell(&full, p.number, change, "rev-carol").await;
                    continue;
                }
            }
            w.fleet.fake.merge_as(&full, p.number, &who);
            w.tell(&full, p.number, PrChange::Closed, &who).await;
        }
        w.now.fetch_add(STEP.as_millis() as i64, Ordering::SeqCst);
        let r = store.rollout(id).await.unwrap().unwrap();
        assert!(
            matches!(r.state, RolloutState::Running | RolloutState::Completed),
            "{r:?}"
        );
        if r.state == RolloutState::Completed {
            done = true;
            break;
        }
    }
    let r = store.rollout(id).await.unwrap().unwrap();
    assert!(done, "not completed: {r:?}");
    assert!(saw_failed_fixer, "the fixer's PR was seen red first");
    assert!(saw_changes_requested, "the change request was seen");

    let targets = store.targets(id).await.unwrap();
    for t in &targets {
        if t.repo == closer {
            assert_eq!(t.state, TargetState::Declined, "{t:?}");
            // Told by the webhook's sender, or asked of the issue API.
            assert_eq!(
                t.activity.closed_by.as_deref(),
                Some(owner(&closer).as_str()),
                "{t:?}"
            );
            continue;
        }
        assert_eq!(t.state, TargetState::Merged, "{t:?}");
        assert_eq!(
            t.activity.merged_by.as_deref(),
            Some(owner(&t.repo).as_str()),
            "{t:?}"
        );
        assert!(t.activity.merged_at.is_some(), "{t:?}");
        if t.repo == fixer {
            assert_eq!(t.head_sha, fixed, "CI followed the owner's fix");
        }
        if t.repo == reviewer {
            assert_eq!(t.activity.approved(), ["rev-carol"], "{t:?}");
            assert!(t.activity.changes_requested().is_empty(), "{t:?}");
        }
    }
    // No PR was merged by the bot, and the fixer's branch was left alone.
    for full in &w.fleet.repos {
        for p in w.fleet.fake.pulls(full) {
            assert_ne!(p.merged_by.as_deref(), Some("wavebump[bot]"), "{full}");
        }
    }
    let audit = store.audit(id, 10_000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.entry.action == "branch edited by a human"
                && a.entry.repo.as_deref() == Some(fixer.as_str())),
        "{audit:#?}"
    );
    assert!(
        audit.iter().any(|a| a.entry.actor == owner(&closer)),
        "the closer is the actor of the decline"
    );
    assert!(
        audit
            .iter()
            .any(|a| a.entry.actor == owner(&reviewer) && a.entry.action.contains("-> merged")),
        "{audit:#?}"
    );
    assert!(
        w.fleet.fake.take_violations().is_empty(),
        "contract violations"
    );
}

async fn owners_by_webhooks(db: Db) {
    journey(db, Drive::Webhooks).await;
}

async fn owners_by_reconcile_tick(db: Db) {
    journey(db, Drive::TickOnly).await;
}

crate::both!(owners_by_webhooks, owners_by_reconcile_tick);
