//! Lockstep groups land together: with automerge on, no member of a group
//! is merged until every member passed. A pure rule over the targets.
//!
//! Invariant: a member is ready when each of its targets is passed,
//! merged, skipped or superseded; anything else (pending, CI running or
//! failed, declined, error) holds the whole group.

use super::engine::{Engine, EngineError};
use super::state::TargetState;
use crate::forge::ForgeWrite;
use crate::render::pr::PrSibling;
use crate::store::TargetRecord;

/// The members of `group` that hold it, with the state that holds each
/// (the first of its targets that is not ready), in group order. Empty:
/// the group may land. Members without targets in the rollout are left
/// out.
pub fn holders(group: &[String], targets: &[TargetRecord]) -> Vec<(String, TargetState)> {
    group
        .iter()
        .filter_map(|member| {
            targets
                .iter()
                .filter(|t| t.repo == *member)
                .map(|t| t.state)
                .find(|s| !ready(*s))
                .map(|s| (member.clone(), s))
        })
        .collect()
}

fn ready(state: TargetState) -> bool {
    matches!(
        state,
        TargetState::CiPassed
            | TargetState::Merged
            | TargetState::Skipped
            | TargetState::Superseded
    )
}

/// Why a ready member waits: `lockstep with b, c: waiting for c (ci_failed)`.
pub fn hold_text(repo: &str, group: &[String], holders: &[(String, TargetState)]) -> String {
    let others: Vec<&str> = group
        .iter()
        .map(String::as_str)
        .filter(|m| *m != repo)
        .collect();
    let waiting: Vec<String> = holders.iter().map(|(r, s)| format!("{r} ({s})")).collect();
    format!(
        "lockstep with {}: lands when all pass; waiting for {}",
        others.join(", "),
        waiting.join(", ")
    )
}

/// The other members of `repo`'s group among `groups`, with their PRs
/// where opened (for the PR body).
pub fn siblings(groups: &[Vec<String>], repo: &str, targets: &[TargetRecord]) -> Vec<PrSibling> {
    let Some(group) = groups.iter().find(|g| g.iter().any(|m| m == repo)) else {
        return Vec::new();
    };
    group
        .iter()
        .filter(|m| *m != repo)
        .map(|m| PrSibling {
            repo: m.clone(),
            pr_url: targets
                .iter()
                .find(|t| t.repo == *m && t.pr_url.is_some())
                .and_then(|t| t.pr_url.clone()),
        })
        .collect()
}

impl<F: ForgeWrite> Engine<F> {
    /// [`siblings`] of `repo` in rollout `rollout_id`'s stored graph.
    pub(super) async fn lockstep_siblings(
        &self,
        rollout_id: i64,
        repo: &str,
        targets: &[TargetRecord],
    ) -> Result<Vec<PrSibling>, EngineError> {
        let groups = self
            .store
            .rollout_graph(rollout_id)
            .await?
            .map(|g| g.lockstep)
            .unwrap_or_default();
        Ok(siblings(&groups, repo, targets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(repo: &str, state: TargetState) -> TargetRecord {
        TargetRecord {
            id: 0,
            rollout_id: 1,
            repo: repo.to_owned(),
            manifest_path: "Cargo.toml".into(),
            ecosystem: crate::ecosystem::Ecosystem::Cargo,
            from_requirement: "1".into(),
            to_requirement: None,
            classification: crate::ecosystem::Classification::Major,
            is_library: false,
            wave: 1,
            state,
            retries: 0,
            pr_number: None,
            pr_url: None,
            head_sha: None,
            ci_state: None,
            failing_checks: Vec::new(),
            merge_blocked: None,
            last_reason: None,
            state_since: Default::default(),
            ci_started_at: None,
            ci_finished_at: None,
            activity: Default::default(),
        }
    }

    #[test]
    fn a_group_lands_only_when_every_member_is_ready() {
        use TargetState::*;
        let group: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let all_passed = [t("a", CiPassed), t("b", Merged), t("c", CiPassed)];
        assert!(holders(&group, &all_passed).is_empty());
        let one_red = [
            t("a", CiPassed),
            t("b", CiFailed),
            t("c", CiPassed),
            t("c", CiPending),
        ];
        assert_eq!(
            holders(&group, &one_red),
            [("b".to_owned(), CiFailed), ("c".to_owned(), CiPending)]
        );
        assert_eq!(
            hold_text("a", &group, &holders(&group, &one_red)),
            "lockstep with b, c: lands when all pass; waiting for b (ci_failed), c (ci_pending)"
        );
        let declined = [t("a", CiPassed), t("b", Declined), t("c", Skipped)];
        assert_eq!(holders(&group, &declined), [("b".to_owned(), Declined)]);
        // A member the rollout has no target for does not hold it.
        assert!(holders(&group, &[t("a", CiPassed)]).is_empty());
    }
}
