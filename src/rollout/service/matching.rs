//! Finding the rollout target an event is about: by repository and commit
//! (CI events) or by repository and PR number (pull requests, comments).
//!
//! Invariant: a repository matches when the names are equal ignoring case,
//! or when one is `owner/name` and the other is `name` (the local forge
//! names repositories without owner); nothing else matches.

use crate::names::RepoName;
use crate::rollout::{RolloutState, TargetState};
use crate::store::{RolloutRecord, Store, StoreError, TargetRecord};

/// A target and its rollout.
#[derive(Clone, Debug)]
pub struct Found {
    /// The rollout.
    pub rollout: RolloutRecord,
    /// The first matching target (a repository has one PR for all its
    /// manifests).
    pub target: TargetRecord,
}

/// Is the target's repository the event's `full_name`?
pub fn same_repo(target_repo: &str, full_name: &str) -> bool {
    RepoName::refers(target_repo, full_name)
}

async fn find(
    store: &Store,
    active_only: bool,
    matches: impl Fn(&TargetRecord) -> bool,
) -> Result<Option<Found>, StoreError> {
    let mut rollouts = if active_only {
        store.active_rollouts().await?
    } else {
        store.rollouts().await?
    };
    // Newest first: a PR number is reused by no other rollout, but a
    // repository may appear in several.
    rollouts.sort_by_key(|r| std::cmp::Reverse(r.id));
    for rollout in rollouts {
        let targets = store.targets(rollout.id).await?;
        if let Some(target) = targets.into_iter().find(|t| matches(t)) {
            return Ok(Some(Found { rollout, target }));
        }
    }
    Ok(None)
}

/// The active target whose PR head is `sha` in `repo`, or whose PR number
/// is one of `prs`.
pub async fn by_commit(
    store: &Store,
    repo: &str,
    sha: &str,
    prs: &[u64],
) -> Result<Option<Found>, StoreError> {
    find(store, true, |t| {
        same_repo(&t.repo, repo)
            && (t.head_sha.as_deref() == Some(sha) || t.pr_number.is_some_and(|n| prs.contains(&n)))
    })
    .await
}

/// A target in `repo` whose PR the engine is due to open but has not
/// recorded yet: its rollout is running, its wave is open, it is pending
/// without a PR number. CI seen for such a repository may be for that PR.
pub async fn awaiting_pr(store: &Store, repo: &str) -> Result<Option<Found>, StoreError> {
    for rollout in store.active_rollouts().await? {
        if rollout.state != RolloutState::Running {
            continue;
        }
        let targets = store.targets(rollout.id).await?;
        let waiting = targets.into_iter().find(|t| {
            same_repo(&t.repo, repo)
                && t.wave <= rollout.current_wave
                && t.state == TargetState::Pending
                && t.pr_number.is_none()
        });
        if let Some(target) = waiting {
            return Ok(Some(Found { rollout, target }));
        }
    }
    Ok(None)
}

/// The target whose PR is `number` in `repo`; any rollout when
/// `active_only` is false (a command on a finished rollout is answered
/// with the engine's refusal).
pub async fn by_pr(
    store: &Store,
    repo: &str,
    number: u64,
    active_only: bool,
) -> Result<Option<Found>, StoreError> {
    find(store, active_only, |t| {
        same_repo(&t.repo, repo) && t.pr_number == Some(number)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names() {
        for (a, b, want) in [
            ("acme/svc", "acme/svc", true),
            ("acme/svc", "ACME/Svc", true),
            ("svc", "acme/svc", true),
            ("acme/svc", "svc", true),
            ("acme/svc", "other/svc", false),
            ("acme/svc", "acme/svc-2", false),
            ("svc", "acme/svc-2", false),
        ] {
            assert_eq!(same_repo(a, b), want, "{a} vs {b}");
        }
    }
}
