//! One repository's version-bump PR: re-scan at the default branch, splice,
//! render the texts (`render::pr`), push the branch, find-or-create (or
//! update) the PR. The engine and `wavebump pr open` both call
//! [`open_or_update`]; nothing else opens a PR.
//!
//! Invariants: every external write is recorded in the [`Journal`] before it
//! is made and confirmed after (a no-op journal for the one-off CLI); a PR is
//! looked up by head branch before one is created, so a repository never
//! gets two; the push is leased on `expected_head` (a human's commit is
//! never overwritten); the body quotes the push's lock notes.

use std::path::PathBuf;

use super::engine::EngineError;
use super::policy::PrPolicy;
use super::state::Timestamp;
use crate::ecosystem::{Classification, LibraryNames, apply_splices, scan};
use crate::forge::{
    BranchPush, ForgeError, ForgeWrite, NewPullRequest, PullRequest, PushOutcome, Release,
};
use crate::render::pr::{PrContext, PrTarget, PrTexts, branch_name, render_pr};
use crate::store::{NewIntent, Store};

/// What to bump in one repository and how to word it.
#[derive(Clone, Debug)]
pub struct BumpRequest {
    /// The forge's name of the repository.
    pub repo: String,
    /// Its default branch (the PR's base).
    pub base_branch: String,
    /// The library's short name for texts and branch names (`core-utils`).
    pub library_short: String,
    /// The library's package names (what the scan looks for).
    pub library: LibraryNames,
    /// The version to move to.
    pub version: semver::Version,
    /// Manifest paths to move; `None`: every one the scan finds.
    pub manifests: Option<Vec<String>>,
    pub pr: PrPolicy,
    /// The head branch (see [`branch_for`]).
    pub branch: String,
    /// Wave of this repository and how many there are.
    pub wave: usize,
    pub waves: usize,
    /// The rollout's status page, if served.
    pub status_url: Option<String>,
    /// The release being rolled out (notes, URL), if the forge has one.
    pub release: Option<Release>,
    /// The branch head we last pushed (the push is leased on it).
    pub expected_head: Option<String>,
    /// Other libraries moved in the same PR and commit (the cascade: a
    /// library target's release containing the bump): `(names, version)`.
    pub also: Vec<(LibraryNames, semver::Version)>,
    /// The other members of the repository's lockstep group, with their
    /// PRs where opened (named in the PR body).
    pub lockstep: Vec<crate::render::pr::PrSibling>,
}

/// What [`open_or_update`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BumpOutcome {
    /// The default branch already admits the version: nothing pushed.
    UpToDate,
    /// The PR now shows the change.
    Pr {
        pr: PullRequest,
        /// The branch head after the push.
        head: String,
        /// Whether the PR was created now (else found and updated).
        created: bool,
        /// Every requirement the PR moves (the library's, then the
        /// cascade's `also`).
        changes: Vec<PrTarget>,
    },
}

/// Where intents go: the store (engine), or nowhere (one-off CLI).
#[derive(Clone, Copy)]
pub enum Journal<'a> {
    Store {
        store: &'a Store,
        rollout_id: i64,
        now: Timestamp,
    },
    None,
}

impl Journal<'_> {
    async fn record(
        &self,
        repo: &str,
        kind: &str,
        key: &str,
        payload: serde_json::Value,
    ) -> Result<Option<i64>, EngineError> {
        match self {
            Journal::Store {
                store,
                rollout_id,
                now,
            } => Ok(Some(
                store
                    .record_intent(
                        &NewIntent {
                            rollout_id: *rollout_id,
                            repo: repo.to_owned(),
                            kind: kind.to_owned(),
                            key: key.to_owned(),
                            payload: payload.to_string(),
                        },
                        *now,
                    )
                    .await?,
            )),
            Journal::None => Ok(None),
        }
    }

    async fn confirm(&self, id: Option<i64>, outcome: &str) -> Result<(), EngineError> {
        if let (Journal::Store { store, now, .. }, Some(id)) = (self, id) {
            store.confirm_intent(id, outcome, *now).await?;
        }
        Ok(())
    }
}

/// The head branch of a repository's PR: the configured template (empty:
/// `fallback`) expanded and made a valid git branch name.
pub fn branch_for(
    template: &str,
    fallback: &str,
    library_short: &str,
    version: &str,
    repo: &str,
    wave: usize,
) -> String {
    if template.is_empty() {
        return fallback.to_owned();
    }
    let ctx = PrContext {
        library: library_short.to_owned(),
        to: version.to_owned(),
        repo: repo.to_owned(),
        wave,
        ..PrContext::default()
    };
    branch_name(template, &ctx)
}

/// The release of `library_repo` for `version` (tag `vX.Y.Z`, `X.Y.Z`,
/// `name-vX.Y.Z` or `name@X.Y.Z`), if listed; a forge failure means no
/// notes, not a failed PR.
pub async fn find_release<F: ForgeWrite>(
    forge: &F,
    library_repo: &str,
    version: &str,
) -> Option<Release> {
    let releases = forge.releases(library_repo).await.ok()?;
    releases
        .into_iter()
        .find(|r| tag_is_version(&r.tag, version))
}

/// Does tag `tag` name `version`?
pub fn tag_is_version(tag: &str, version: &str) -> bool {
    let t = tag.trim();
    t == version
        || t.strip_prefix(['v', 'V']) == Some(version)
        || t.ends_with(&format!("-v{version}"))
        || t.ends_with(&format!("@{version}"))
        || t.ends_with(&format!("/v{version}"))
}

/// A prepared change: the push and the texts' context.
pub struct Prepared {
    pub push: BranchPush,
    pub ctx: PrContext,
}

/// Re-scan the repository at its default branch and prepare the push;
/// `None` when nothing needs to change.
pub async fn prepare<F: ForgeWrite>(
    forge: &F,
    req: &BumpRequest,
) -> Result<Option<Prepared>, EngineError> {
    let tree = forge.read_tree(&req.repo).await?;
    let scanned = scan(&tree, &req.library, &req.version);
    let wanted = |path: &str| {
        req.manifests
            .as_ref()
            .is_none_or(|m| m.iter().any(|w| w == path))
    };
    let mut splices = Vec::new();
    let mut lock_refresh = Vec::new();
    let mut targets = Vec::new();
    let mut classification = Classification::UpToDate;
    let mut from = String::new();
    for t in scanned
        .targets
        .iter()
        .filter(|t| wanted(&t.requirement.path))
    {
        if t.splices.is_empty() && t.lock_refresh.is_none() {
            continue;
        }
        splices.extend(t.splices.iter().cloned());
        if let Some(l) = t
            .lock_refresh
            .as_ref()
            .filter(|l| !lock_refresh.contains(*l))
        {
            lock_refresh.push(l.clone());
        }
        classification = stronger(classification, t.judgement.classification);
        let was = t
            .locked_version
            .clone()
            .unwrap_or_else(|| t.requirement.requirement.clone());
        if from.is_empty() {
            from = was.clone();
        }
        targets.push(PrTarget {
            path: t.requirement.path.clone(),
            from: t.requirement.requirement.clone(),
            to: t
                .judgement
                .new_requirement
                .clone()
                .unwrap_or_else(|| format!("{} (lockfile)", req.version)),
        });
    }
    for (names, version) in &req.also {
        let other = scan(&tree, names, version);
        for t in other
            .targets
            .iter()
            .filter(|t| wanted(&t.requirement.path) && !t.splices.is_empty())
        {
            splices.extend(t.splices.iter().cloned());
            if let Some(l) = t
                .lock_refresh
                .as_ref()
                .filter(|l| !lock_refresh.contains(*l))
            {
                lock_refresh.push(l.clone());
            }
            targets.push(PrTarget {
                path: t.requirement.path.clone(),
                from: t.requirement.requirement.clone(),
                to: t
                    .judgement
                    .new_requirement
                    .clone()
                    .unwrap_or_else(|| version.to_string()),
            });
        }
    }
    if splices.is_empty() && lock_refresh.is_empty() {
        return Ok(None);
    }
    let files = apply_splices(&tree, &splices).map_err(|message| ForgeError::Repo {
        repo: req.repo.clone(),
        message: message.to_string(),
    })?;
    let ctx = PrContext {
        library: req.library_short.clone(),
        from,
        to: req.version.to_string(),
        classification,
        repo: req.repo.clone(),
        targets,
        release_notes: req.release.as_ref().map(|r| r.notes.clone()),
        release_url: req.release.as_ref().and_then(|r| r.url.clone()),
        compare_url: None,
        wave: req.wave,
        waves: req.waves.max(1),
        status_url: req.status_url.clone(),
        lock_notes: Vec::new(),
        title_template: req.pr.title.clone(),
        commit_template: req.pr.commit_message.clone(),
        lockstep: req.lockstep.clone(),
        automerge: req.pr.automerge,
    };
    let texts = texts(&ctx, req.pr.templates_dir.as_ref())?;
    Ok(Some(Prepared {
        push: BranchPush {
            branch: req.branch.clone(),
            base_branch: req.base_branch.clone(),
            files: files.into_iter().collect(),
            message: texts.commit_message,
            expected_head: req.expected_head.clone(),
            lock_refresh,
        },
        ctx,
    }))
}

fn texts(ctx: &PrContext, dir: Option<&PathBuf>) -> Result<PrTexts, EngineError> {
    // A broken template fails this repository (its targets go to `error`),
    // not the tick.
    render_pr(ctx, dir.map(PathBuf::as_path)).map_err(|e| {
        EngineError::Forge(ForgeError::Repo {
            repo: ctx.repo.clone(),
            message: format!("PR texts: {e}"),
        })
    })
}

/// The stronger of two classifications (major > rewrite > lockfile > none).
fn stronger(a: Classification, b: Classification) -> Classification {
    let rank = |c| match c {
        Classification::Major => 3,
        Classification::Rewrite => 2,
        Classification::LockfileOnly => 1,
        Classification::UpToDate => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// Push `push` under an intent.
pub async fn push<F: ForgeWrite>(
    forge: &F,
    repo: &str,
    push: &BranchPush,
    journal: Journal<'_>,
) -> Result<PushOutcome, EngineError> {
    let paths: Vec<&str> = push.files.iter().map(|(p, _)| p.as_str()).collect();
    let intent = journal
        .record(
            repo,
            "push_branch",
            &push.branch,
            serde_json::json!({ "files": paths, "expected_head": push.expected_head }),
        )
        .await?;
    match forge.push_branch(repo, push).await {
        Ok(outcome) => {
            journal
                .confirm(intent, &format!("pushed {}", outcome.head_sha))
                .await?;
            Ok(outcome)
        }
        Err(e) => {
            journal.confirm(intent, &format!("failed: {e}")).await?;
            Err(e.into())
        }
    }
}

/// Open the repository's bump PR, or bring the open one up to date (same
/// branch, same PR): the one code path for the engine and `pr open`.
pub async fn open_or_update<F: ForgeWrite>(
    forge: &F,
    req: &BumpRequest,
    journal: Journal<'_>,
) -> Result<BumpOutcome, EngineError> {
    let Some(Prepared { push: change, ctx }) = prepare(forge, req).await? else {
        return Ok(BumpOutcome::UpToDate);
    };
    let outcome = push(forge, &req.repo, &change, journal).await?;
    let changes = ctx.targets.clone();
    let ctx = PrContext {
        lock_notes: outcome.lock_notes.clone(),
        ..ctx
    };
    let text = texts(&ctx, req.pr.templates_dir.as_ref())?;
    let intent = journal
        .record(
            &req.repo,
            "create_pr",
            &req.branch,
            serde_json::json!({ "title": text.title, "base": req.base_branch }),
        )
        .await?;
    let result = match forge.find_open_pr(&req.repo, &req.branch).await {
        Ok(Some(pr)) => forge
            .update_pr(&req.repo, pr.number, &text.title, &text.body)
            .await
            .map(|()| (pr, false)),
        Ok(None) => forge
            .create_pr(
                &req.repo,
                &NewPullRequest {
                    head_branch: req.branch.clone(),
                    base_branch: req.base_branch.clone(),
                    title: text.title,
                    body: text.body,
                    draft: req.pr.draft,
                    labels: req.pr.labels.clone(),
                    reviewers: req.pr.reviewers.clone(),
                    team_reviewers: req.pr.team_reviewers.clone(),
                },
            )
            .await
            .map(|pr| (pr, true)),
        Err(e) => Err(e),
    };
    let (pr, created) = match result {
        Ok(found) => found,
        Err(e) => {
            journal.confirm(intent, &format!("failed: {e}")).await?;
            return Err(e.into());
        }
    };
    journal
        .confirm(intent, &format!("PR #{}", pr.number))
        .await?;
    Ok(BumpOutcome::Pr {
        head: outcome.head_sha,
        pr,
        created,
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_versions() {
        for (tag, version, want) in [
            ("v2.0.0", "2.0.0", true),
            ("2.0.0", "2.0.0", true),
            ("core-utils-v2.0.0", "2.0.0", true),
            ("@acme/core-utils@2.0.0", "2.0.0", true),
            ("go/v2.0.0", "2.0.0", true),
            ("v2.0.01", "2.0.0", false),
            ("v12.0.0", "2.0.0", false),
        ] {
            assert_eq!(tag_is_version(tag, version), want, "{tag} {version}");
        }
    }

    #[test]
    fn branches_follow_the_template() {
        assert_eq!(
            branch_for(
                "wavebump/{library}-{version}",
                "x",
                "core-utils",
                "2.0.0",
                "acme/a",
                1
            ),
            "wavebump/core-utils-2.0.0"
        );
        assert_eq!(
            branch_for("", "stored", "core-utils", "2.0.0", "a", 0),
            "stored"
        );
        assert_eq!(
            branch_for("bump/{repo} x", "", "l", "1.0.0", "acme/a", 0),
            "bump/acme/a-x"
        );
    }
}
