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
//! Each event that concerns a rollout becomes one
//! [`crate::rollout::Request`] for the [`RolloutService`] (which holds the
//! engine lock, settles and announces); this file only reads the event and
//! turns the [`Outcome`] into the worker's [`Handled`]. A failure is
//! classified by the service (temporary: retried; permanent: parked). The
//! work runs inside the worker's `delivery` span, so every log line (and
//! the forge's) carries the delivery id.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::forge::ForgeWrite;
use crate::rollout::Timestamp;
use crate::rollout::service::{
    CiChanged, ForeignPush, NewVersion, Outcome, PrChange, PrChanged, Request, RolloutService,
    VersionOutcome, VersionSource,
};
use crate::server::events::{
    Event, PullRequestAction, PullRequestEvent, PullRequestReviewEvent, ReviewAction, ReviewVerdict,
};
use crate::server::inbox::Now;
use crate::server::worker::{DeliveryError, DeliveryHandler, Handled};
use crate::store::InboxRecord;

use super::comments;
use super::release::{self, Decision, Seen, Source};

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
    /// The rollout service, shared with the reconcile loop and the page.
    pub service: Arc<RolloutService<F>>,
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
    async fn handle(&self, record: &InboxRecord, event: Event) -> Result<Handled, DeliveryError> {
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
            Event::PullRequestReview(r) => self.review(&r, &actor).await,
            Event::IssueComment(c) => comments::handle(&self.service, &c, &self.bot_login).await,
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
    ) -> Result<Handled, DeliveryError> {
        match release::decide(&self.config, seen, now) {
            Decision::Ignore(why) => Ok(Handled::Ignored(why)),
            Decision::Schedule { due, why } => Ok(Handled::Scheduled { due, why }),
            Decision::Start(version) => {
                let request = Request::NewVersion(NewVersion {
                    library: self.config.library.repository.clone(),
                    version: Some(version),
                    source: VersionSource::Webhook,
                    actor: actor.to_owned(),
                });
                let Outcome::Version(done) = self.service.handle(request).await? else {
                    return Ok(Handled::Done("new version handled".to_owned()));
                };
                let note = done.summary();
                Ok(match done {
                    VersionOutcome::Started { .. } | VersionOutcome::Superseded(_) => {
                        Handled::Done(note)
                    }
                    VersionOutcome::AlreadyRolledOut { .. }
                    | VersionOutcome::NotNewer { .. }
                    | VersionOutcome::NothingToDo { .. } => Handled::Ignored(note),
                })
            }
        }
    }

    /// CI changed on `(repo, sha)`: the engine reads it if it is a target's
    /// PR head; deferred while a target of `repo` waits for its PR to be
    /// recorded (for at most the defer window).
    async fn ci(
        &self,
        record: &InboxRecord,
        (repo, sha): (&str, &str),
        prs: &[u64],
        now: Timestamp,
    ) -> Result<Handled, DeliveryError> {
        let request = Request::CiChanged(CiChanged {
            repo: repo.to_owned(),
            sha: sha.to_owned(),
            prs: prs.to_vec(),
        });
        let young = now.0.saturating_sub(record.received_at.0)
            < i64::try_from(self.defer.window.as_millis()).unwrap_or(i64::MAX);
        Ok(match self.service.handle(request).await? {
            Outcome::CiRefreshed(t) => Handled::Done(format!(
                "CI of {} (rollout {}) refreshed",
                t.repo, t.rollout
            )),
            Outcome::CiAwaitingPr(w) if young => Handled::Deferred {
                due: now.plus(self.defer.delay),
                why: format!(
                    "{repo}@{sha}: the PR of {} (rollout {}) is not recorded yet",
                    w.repo, w.rollout
                ),
            },
            _ => Handled::Ignored(format!("{repo}@{sha} is not the head of a wavebump PR")),
        })
    }

    async fn pull_request(
        &self,
        pr: &PullRequestEvent,
        actor: &str,
        _now: Timestamp,
    ) -> Result<Handled, DeliveryError> {
        use PullRequestAction::*;
        let change = match pr.action {
            Closed => PrChange::Closed,
            Reopened => PrChange::Reopened,
            Edited => PrChange::Edited,
            Synchronize => PrChange::Synchronize {
                foreign: pr
                    .pushed_by_someone_else(&self.bot_login)
                    .then(|| ForeignPush {
                        login: pr
                            .sender
                            .as_ref()
                            .map_or_else(|| "someone".to_owned(), |s| s.login.clone()),
                        sha: pr.head_sha.clone(),
                        head_ref: pr.head_ref.clone(),
                    }),
            },
            _ => {
                return Ok(Handled::Ignored(format!(
                    "pull_request {}",
                    pr.action.as_str()
                )));
            }
        };
        let sender = pr.sender.as_ref().map(|s| s.login.clone());
        self.pr_change(&pr.repository.full_name, pr.number, change, actor, sender)
            .await
    }

    /// A review submitted or dismissed: approvals and change requests are
    /// recorded (and wake a refused merge); a plain comment is not a review
    /// that counts.
    async fn review(
        &self,
        r: &PullRequestReviewEvent,
        actor: &str,
    ) -> Result<Handled, DeliveryError> {
        let Some(login) = r
            .reviewer
            .as_ref()
            .or(r.sender.as_ref())
            .map(|a| a.login.clone())
        else {
            return Ok(Handled::Ignored("review by an unknown account".to_owned()));
        };
        let review = match (&r.action, &r.verdict) {
            (ReviewAction::Dismissed, _) => None,
            (ReviewAction::Submitted | ReviewAction::Edited, ReviewVerdict::Approved) => {
                Some(crate::store::ReviewState::Approved)
            }
            (ReviewAction::Submitted | ReviewAction::Edited, ReviewVerdict::ChangesRequested) => {
                Some(crate::store::ReviewState::ChangesRequested)
            }
            (action, verdict) => {
                return Ok(Handled::Ignored(format!(
                    "pull_request_review {} ({}): neither an approval nor a change request",
                    action.as_str(),
                    verdict.as_str()
                )));
            }
        };
        let change = PrChange::Review {
            login: login.clone(),
            review,
            at: r.submitted_at.clone(),
        };
        self.pr_change(
            &r.repository.full_name,
            r.number,
            change,
            actor,
            Some(login),
        )
        .await
    }

    async fn pr_change(
        &self,
        repo: &str,
        number: u64,
        change: PrChange,
        actor: &str,
        sender: Option<String>,
    ) -> Result<Handled, DeliveryError> {
        let name = change.name();
        let request = Request::PrChanged(PrChanged {
            repo: repo.to_owned(),
            number,
            change,
            actor: actor.to_owned(),
            sender,
        });
        Ok(match self.service.handle(request).await? {
            Outcome::PrUpdated {
                target,
                number,
                notes,
            } => Handled::Done(format!(
                "{name} on {}#{number} (rollout {}){}",
                target.repo,
                target.rollout,
                if notes.is_empty() {
                    String::new()
                } else {
                    format!(": {}", notes.join("; "))
                }
            )),
            Outcome::NotOurs(why) => Handled::Ignored(why),
            // A PR change answers with one of the two above.
            other => Handled::Ignored(format!("pull_request: unexpected outcome {other:?}")),
        })
    }
}
