//! What each event does ([`Applier`], the worker's [`DeliveryHandler`]):
//!
//! | event | effect |
//! |---|---|
//! | `release` published/released | [`release::decide`] → start, schedule or ignore |
//! | `create` / `push` of a tag | the same, for `release_source: tags` |
//! | `check_run`, `check_suite`, `status` | tick when the commit is a target's PR head (the engine reads CI); deferred (no attempt counted) while a target of that repository waits for its PR to be recorded, for at most [`DeferPolicy::window`] |
//! | `pull_request` closed/reopened/synchronize | tick when it is a target's PR; a push by someone else sets the target's human-edited flag (audited) |
//! | `issue_comment` | [`comments::handle`] |
//! | `installation*` | logged |
//! | `ping`, unknown | ignored |
//!
//! Invariant: every engine use holds the [`SharedEngine`] lock; the work
//! runs inside the worker's `delivery` span, so every log line (and the
//! forge's) carries the delivery id.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::forge::ForgeWrite;
use crate::rollout::Timestamp;
use crate::server::events::{Event, PullRequestAction, PullRequestEvent};
use crate::server::inbox::Now;
use crate::server::metrics::TickTrigger;
use crate::server::worker::{DeliveryHandler, Handled};
use crate::store::{Audit, InboxRecord};

use super::engine::{SharedEngine, settle};
use super::release::{self, Decision, Seen, Source};
use super::{comments, matching};

/// How CI events that may be for a PR not recorded yet are deferred.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeferPolicy {
    /// Due again this long after each deferral.
    pub delay: Duration,
    /// A delivery older than this (since received) is no longer deferred
    /// but ignored: the reconcile tick reads CI of every open PR anyway.
    pub window: Duration,
}

impl Default for DeferPolicy {
    fn default() -> Self {
        DeferPolicy {
            delay: Duration::from_secs(5),
            window: Duration::from_secs(10 * 60),
        }
    }
}

/// Applies events through the engine.
pub struct Applier<F: ForgeWrite> {
    /// The engine, shared with the reconcile loop.
    pub engine: Arc<SharedEngine<F>>,
    /// The configuration (library, policy).
    pub config: Arc<Config>,
    /// The bot's login (`wavebump[bot]`): its own pushes and comments are
    /// not someone else's.
    pub bot_login: String,
    /// The clock.
    pub now: Now,
    /// Deferral of CI events for PRs not recorded yet.
    pub defer: DeferPolicy,
}

impl<F: ForgeWrite + Send + Sync + 'static> DeliveryHandler for Applier<F> {
    async fn handle(&self, record: &InboxRecord, event: Event) -> Result<Handled, String> {
        let now = self.now.now();
        let actor = format!("webhook {}", record.delivery_id);
        match event {
            Event::Release(r) => {
                if !r.is_publication() {
                    return Ok(Handled::Ignored(format!("release {}", r.action.as_str())));
                }
                let published = r
                    .published_at
                    .as_deref()
                    .and_then(release::parse_time)
                    .unwrap_or(record.received_at);
                let seen = Seen {
                    source: Source::Release,
                    repository: &r.repository.full_name,
                    tag: &r.tag,
                    prerelease: r.prerelease,
                    draft: r.draft,
                    published,
                };
                self.version(&seen, &actor, now).await
            }
            Event::Create(c) => match c.tag() {
                Some(tag) => {
                    let seen = tag_seen(&c.repository.full_name, tag, record.received_at);
                    self.version(&seen, &actor, now).await
                }
                None => Ok(Handled::Ignored("branch created".to_owned())),
            },
            Event::Push(p) => match p.tag() {
                Some(tag) if p.created && !p.deleted => {
                    let seen = tag_seen(&p.repository.full_name, tag, record.received_at);
                    self.version(&seen, &actor, now).await
                }
                _ => Ok(Handled::Ignored("not a new tag".to_owned())),
            },
            Event::CheckRun(c) => {
                let commit = (c.repository.full_name.as_str(), c.head_sha.as_str());
                self.ci(record, commit, &c.pull_requests, now).await
            }
            Event::CheckSuite(c) => {
                let commit = (c.repository.full_name.as_str(), c.head_sha.as_str());
                self.ci(record, commit, &c.pull_requests, now).await
            }
            Event::Status(s) => {
                let commit = (s.repository.full_name.as_str(), s.sha.as_str());
                self.ci(record, commit, &[], now).await
            }
            Event::PullRequest(pr) => self.pull_request(&pr, &actor, now).await,
            Event::IssueComment(c) => {
                let engine = self.engine.lock().await;
                comments::handle(&engine, &c, &self.bot_login, now, self.engine.ctx()).await
            }
            Event::Installation(i) => {
                tracing::info!(
                    installation = i.installation_id,
                    account = i
                        .account
                        .as_ref()
                        .map_or("(enterprise)", |a| a.login.as_str()),
                    action = i.action.as_str(),
                    repositories = i.repositories.as_ref().map_or(0, Vec::len),
                    "installation changed; the next discovery sees the repository set"
                );
                Ok(Handled::Done(format!("installation {}", i.action.as_str())))
            }
            Event::InstallationRepositories(i) => {
                tracing::info!(
                    installation = i.installation_id,
                    added = ?i.added.iter().map(|r| r.full_name.as_deref()).collect::<Vec<_>>(),
                    removed = ?i.removed.iter().map(|r| r.full_name.as_deref()).collect::<Vec<_>>(),
                    "installation repositories changed; the next discovery sees them"
                );
                Ok(Handled::Done(format!(
                    "installation repositories {}",
                    i.action.as_str()
                )))
            }
            Event::Ping(_) => Ok(Handled::Ignored("ping".to_owned())),
            Event::Unknown { name } => Ok(Handled::Ignored(format!("`{name}` not handled"))),
        }
    }
}

fn tag_seen<'a>(repository: &'a str, tag: &'a str, received: Timestamp) -> Seen<'a> {
    Seen {
        source: Source::Tag,
        repository,
        tag,
        prerelease: false,
        draft: false,
        published: received,
    }
}

impl<F: ForgeWrite> Applier<F> {
    async fn version(
        &self,
        seen: &Seen<'_>,
        actor: &str,
        now: Timestamp,
    ) -> Result<Handled, String> {
        match release::decide(&self.config, seen, now) {
            Decision::Ignore(why) => Ok(Handled::Ignored(why)),
            Decision::Schedule { due, why } => Ok(Handled::Scheduled { due, why }),
            Decision::Start(version) => {
                let engine = self.engine.lock().await;
                release::start(
                    &engine,
                    &self.config,
                    &version,
                    actor,
                    now,
                    self.engine.ctx(),
                )
                .await
            }
        }
    }

    /// CI changed on `(repo, sha)`: tick if it is a target's PR head;
    /// defer it while a target of `repo` waits for its PR to be recorded.
    async fn ci(
        &self,
        record: &InboxRecord,
        (repo, sha): (&str, &str),
        prs: &[u64],
        now: Timestamp,
    ) -> Result<Handled, String> {
        let engine = self.engine.lock().await;
        let found = matching::by_commit(engine.store(), repo, sha, prs)
            .await
            .map_err(|e| e.to_string())?;
        let Some(found) = found else {
            let young = now.0.saturating_sub(record.received_at.0)
                < i64::try_from(self.defer.window.as_millis()).unwrap_or(i64::MAX);
            let waiting = if young {
                matching::awaiting_pr(engine.store(), repo)
                    .await
                    .map_err(|e| e.to_string())?
            } else {
                None
            };
            return Ok(match waiting {
                Some(w) => Handled::Deferred {
                    due: now.plus(self.defer.delay),
                    why: format!(
                        "{repo}@{sha}: the PR of {} (rollout {}) is not recorded yet",
                        w.target.repo, w.rollout.id
                    ),
                },
                None => Handled::Ignored(format!("{repo}@{sha} is not the head of a wavebump PR")),
            });
        };
        settle(&engine, now, TickTrigger::Delivery, self.engine.ctx())
            .await
            .map_err(|e| e.to_string())?;
        Ok(Handled::Done(format!(
            "CI of {} (rollout {}) refreshed",
            found.target.repo, found.rollout.id
        )))
    }

    async fn pull_request(
        &self,
        pr: &PullRequestEvent,
        actor: &str,
        now: Timestamp,
    ) -> Result<Handled, String> {
        use PullRequestAction::*;
        if !matches!(pr.action, Closed | Reopened | Synchronize) {
            return Ok(Handled::Ignored(format!(
                "pull_request {}",
                pr.action.as_str()
            )));
        }
        let engine = self.engine.lock().await;
        let repo = &pr.repository.full_name;
        let found = matching::by_pr(engine.store(), repo, pr.number, true)
            .await
            .map_err(|e| e.to_string())?;
        let Some(found) = found else {
            return Ok(Handled::Ignored(format!(
                "{repo}#{} is not a wavebump PR of an active rollout",
                pr.number
            )));
        };
        if pr.pushed_by_someone_else(&self.bot_login) {
            let why = format!(
                "{} pushed {} to {}; wavebump will not overwrite it",
                pr.sender.as_ref().map_or("someone", |s| s.login.as_str()),
                pr.head_sha,
                pr.head_ref
            );
            tracing::warn!(repo = %found.target.repo, "{why}");
            // The flag is set once and never cleared: supersede and retry
            // leave this branch to its owner from now on.
            let audit = Audit {
                rollout_id: Some(found.rollout.id),
                repo: Some(found.target.repo.clone()),
                actor: actor.to_owned(),
                action: "branch edited by a human".to_owned(),
                reason: why.clone(),
                at: now,
            };
            engine
                .store()
                .mark_human_edited(found.rollout.id, &found.target.repo, &why, &audit)
                .await
                .map_err(|e| e.to_string())?;
        }
        settle(&engine, now, TickTrigger::Delivery, self.engine.ctx())
            .await
            .map_err(|e| e.to_string())?;
        Ok(Handled::Done(format!(
            "pull_request {} on {}#{} (rollout {})",
            pr.action.as_str(),
            found.target.repo,
            pr.number,
            found.rollout.id
        )))
    }
}
