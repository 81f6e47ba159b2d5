//! The demo's printed lines: what changed between two readings of the
//! store, per repository, in a fixed order; durations and simulated times.
//!
//! Invariant: lines depend only on stored state, the simulated CI and the
//! simulated clock (never commit ids, paths or the wall clock), and come
//! out sorted (phase, then repository), so a seed replays the same text.

use std::collections::BTreeMap;
use std::time::Duration;

use super::ci::{CheckTiming, SimCi};
use crate::forge::CiState;
use crate::rollout::{TargetState, Timestamp};
use crate::store::TargetRecord;

/// One repository as the demo sees it at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RepoView {
    pub states: Vec<TargetState>,
    pub pr: Option<u64>,
    pub head: Option<String>,
    pub retries: u32,
    /// `path from → to` of each target.
    pub changes: Vec<String>,
    pub reason: Option<String>,
    /// Who merged the PR, when a person did.
    pub merged_by: Option<String>,
}

/// Every repository of a rollout, by name.
pub(super) fn view(targets: &[TargetRecord]) -> BTreeMap<String, RepoView> {
    let mut out: BTreeMap<String, RepoView> = BTreeMap::new();
    for t in targets {
        let v = out.entry(t.repo.clone()).or_insert_with(|| RepoView {
            states: Vec::new(),
            pr: None,
            head: None,
            retries: 0,
            changes: Vec::new(),
            reason: None,
            merged_by: None,
        });
        v.states.push(t.state);
        v.pr = v.pr.or(t.pr_number);
        if v.head.is_none() {
            v.head.clone_from(&t.head_sha);
        }
        v.retries = v.retries.max(t.retries);
        v.changes.push(format!(
            "{} {} → {}",
            t.manifest_path,
            t.from_requirement,
            t.to_requirement.as_deref().unwrap_or("(lock only)")
        ));
        if t.last_reason.is_some() {
            v.reason.clone_from(&t.last_reason);
        }
        if t.activity.merged_by.is_some() {
            v.merged_by.clone_from(&t.activity.merged_by);
        }
    }
    out
}

/// `1m 12s`, `45s`, `2h 3m`.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

/// `[+01:02:03]`: simulated time since `start`.
pub(super) fn stamp(start: Timestamp, now: Timestamp) -> String {
    let secs = now.since(start).as_secs();
    format!(
        "[+{:02}:{:02}:{:02}]",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn checks(timings: &[CheckTiming]) -> String {
    let parts: Vec<String> = timings
        .iter()
        .map(|t| {
            let verb = match t.state {
                CiState::Passed => "passed",
                CiState::Failed => "FAILED",
                CiState::Pending => return format!("{} still running", t.name),
            };
            format!("{} {verb} in {}", t.name, duration(t.duration))
        })
        .collect();
    parts.join(", ")
}

/// The order lines of one tick come in: as the engine works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Opened,
    Ci,
    Merged,
    Other,
}

/// What happened to each repository between `before` and `after`.
pub(super) fn repo_events(
    before: &BTreeMap<String, RepoView>,
    after: &BTreeMap<String, RepoView>,
    ci: &SimCi,
    version: &str,
) -> Vec<String> {
    let mut lines: Vec<(Phase, &str, String)> = Vec::new();
    for (repo, a) in after {
        let Some(b) = before.get(repo) else { continue };
        if a.states == b.states && a.pr == b.pr {
            continue;
        }
        let changed: Vec<(TargetState, TargetState)> = b
            .states
            .iter()
            .zip(&a.states)
            .filter(|(x, y)| x != y)
            .map(|(x, y)| (*x, *y))
            .collect();
        let became = |s: TargetState| changed.iter().any(|(_, y)| *y == s);
        let timings = || {
            a.head
                .as_deref()
                .map(|h| ci.timings(repo, h))
                .unwrap_or_default()
        };
        if let (None, Some(n)) = (b.pr, a.pr) {
            let first = a.changes.first().cloned().unwrap_or_default();
            let more = match a.changes.len() {
                0 | 1 => String::new(),
                k => format!(" (+{} more)", k - 1),
            };
            lines.push((
                Phase::Opened,
                repo,
                format!("PR #{n} opened in {repo}: {first}{more}"),
            ));
        }
        let passed_now = changed.iter().any(|(x, y)| {
            matches!(y, TargetState::CiPassed | TargetState::Merged)
                && !matches!(x, TargetState::CiPassed | TargetState::Merged)
        });
        if passed_now && a.merged_by.is_none() {
            let retry = if a.retries > 0 { " on retry" } else { "" };
            lines.push((
                Phase::Ci,
                repo,
                format!("{repo}: CI passed{retry} ({})", checks(&timings())),
            ));
        }
        if became(TargetState::CiFailed) {
            lines.push((
                Phase::Ci,
                repo,
                format!("{repo}: CI failed ({})", checks(&timings())),
            ));
        }
        if became(TargetState::Merged) {
            lines.push((
                Phase::Merged,
                repo,
                match &a.merged_by {
                    Some(who) => format!("{repo}: PR #{} merged by {who}", a.pr.unwrap_or(0)),
                    None => format!("{repo}: merged PR #{}", a.pr.unwrap_or(0)),
                },
            ));
        }
        if became(TargetState::Superseded) {
            lines.push((
                Phase::Other,
                repo,
                format!("{repo}: the default branch already admits {version}; nothing to do"),
            ));
        }
        if changed
            .iter()
            .any(|(x, y)| matches!(y, TargetState::Error(_)) && !matches!(x, TargetState::Error(_)))
        {
            lines.push((
                Phase::Other,
                repo,
                format!(
                    "{repo}: error: {}",
                    a.reason.as_deref().unwrap_or("(no reason recorded)")
                ),
            ));
        }
    }
    lines.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
    lines.into_iter().map(|(_, _, l)| l).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_stamps() {
        for (secs, want) in [
            (0, "0s"),
            (45, "45s"),
            (60, "1m"),
            (72, "1m 12s"),
            (3600, "1h"),
            (3720, "1h 2m"),
        ] {
            assert_eq!(duration(Duration::from_secs(secs)), want, "{secs}");
        }
        assert_eq!(stamp(Timestamp(0), Timestamp(3_723_000)), "[+01:02:03]");
    }
}
