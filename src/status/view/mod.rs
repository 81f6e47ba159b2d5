//! The view model behind the status page and the JSON API: one builder from
//! the stored records and the clock, so the page and the API never disagree.
//!
//! Invariants: pure (records + `now` in, plain serialisable data out);
//! every user-controlled string is carried verbatim (escaping is the
//! renderer's job: handlebars HTML-escapes, JSON escapes); a URL is kept
//! only when it is `http(s)://` (no `javascript:` links); no token or
//! secret is ever part of a view.

pub mod graph;
pub mod states;
pub mod time;

use serde::Serialize;

use crate::rollout::gate::{Counts, GateDecision, evaluate_gate};
use crate::rollout::{FailureBudget, RolloutPolicy, RolloutState, TargetState, Timestamp};
use crate::store::{AuditRecord, RolloutRecord, TargetRecord, WaveRecord};

pub use graph::{GraphView, Topology};
pub use states::{StateLabel, target_label};
pub use time::TimeView;

/// Targets counted the way the page shows them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Progress {
    pub total: usize,
    pub merged: usize,
    pub passed: usize,
    /// `ci_failed` or `error`.
    pub failing: usize,
    /// Pending, PR open or CI running.
    pub pending: usize,
    /// Skipped, closed or superseded.
    pub other: usize,
    /// Merged + passed, in whole percent of `total`.
    pub percent_done: u32,
    /// Bar segments over a width of 100.
    pub bar: Vec<BarSegment>,
}

/// One coloured segment of a progress bar (always with its text elsewhere).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BarSegment {
    pub class: &'static str,
    pub x: f64,
    pub width: f64,
}

impl Progress {
    pub fn of<'a>(targets: impl IntoIterator<Item = &'a TargetRecord>) -> Progress {
        let mut p = Progress::default();
        for t in targets {
            p.total += 1;
            match t.state {
                TargetState::Merged => p.merged += 1,
                TargetState::CiPassed => p.passed += 1,
                TargetState::CiFailed | TargetState::Error(_) => p.failing += 1,
                TargetState::Pending | TargetState::PrOpen | TargetState::CiPending => {
                    p.pending += 1
                }
                TargetState::Skipped
                | TargetState::Closed
                | TargetState::Superseded
                | TargetState::Declined => p.other += 1,
            }
        }
        let done = p.merged + p.passed;
        p.percent_done = (done * 100)
            .checked_div(p.total)
            .map_or(0, |v| u32::try_from(v).unwrap_or(100));
        let mut x = 0.0;
        for (class, n) in [
            ("merged", p.merged),
            ("passed", p.passed),
            ("failing", p.failing),
            ("pending", p.pending),
            ("other", p.other),
        ] {
            if n == 0 || p.total == 0 {
                continue;
            }
            let width = (n as f64 * 100.0 / p.total as f64 * 100.0).round() / 100.0;
            p.bar.push(BarSegment { class, x, width });
            x = ((x + width) * 100.0).round() / 100.0;
        }
        p
    }
}

/// A rollout as listed on `/` and by `/api/rollouts`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RolloutSummary {
    pub id: i64,
    pub library: String,
    pub from_version: Option<String>,
    pub to_version: String,
    pub state: RolloutState,
    pub state_label: StateLabel,
    pub active: bool,
    pub current_wave: u32,
    pub wave_count: u32,
    pub progress: Progress,
    pub started_by: String,
    pub started: TimeView,
    pub updated: TimeView,
    /// Pause or halt reason, or why it aborted (none while running).
    pub reason: Option<String>,
}

pub fn summary(
    rollout: &RolloutRecord,
    targets: &[TargetRecord],
    now: Timestamp,
) -> RolloutSummary {
    RolloutSummary {
        id: rollout.id,
        library: rollout.library.clone(),
        from_version: rollout.from_version.clone(),
        to_version: rollout.to_version.clone(),
        state: rollout.state,
        state_label: states::rollout_label(rollout.state),
        active: rollout.state.is_active(),
        current_wave: rollout.current_wave,
        wave_count: rollout.wave_count,
        progress: Progress::of(targets),
        started_by: rollout.started_by.clone(),
        started: TimeView::new(rollout.created_at, now),
        updated: TimeView::new(rollout.updated_at, now),
        // A running rollout's reason is the gate's last wait message,
        // shown fresh as the gate status instead.
        reason: rollout
            .reason
            .clone()
            .filter(|_| !matches!(rollout.state, RolloutState::Running | RolloutState::Planned)),
    }
}

/// Active rollouts first (oldest first), then history (newest first).
pub fn order_summaries(mut list: Vec<RolloutSummary>) -> Vec<RolloutSummary> {
    list.sort_by(|a, b| {
        b.active.cmp(&a.active).then_with(|| match a.active {
            true => a.id.cmp(&b.id),
            false => b.id.cmp(&a.id),
        })
    });
    list
}

/// The failure budget and how much of it is used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BudgetView {
    pub failed: usize,
    /// `3 failed targets` or `10% of targets`.
    pub allowed: String,
    pub exceeded: bool,
}

/// A wave's gate: what it waits for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateView {
    /// `done`, `current`, `waiting`.
    pub phase: &'static str,
    /// What it waits for, in words.
    pub waits_for: String,
    pub ratio_percent: u32,
    pub threshold_percent: u32,
    pub ratio_met: bool,
    /// The soak time of the policy (`30m`).
    pub soak: String,
    /// Soak time left, when soaking.
    pub soak_left: Option<String>,
    pub soak_until: Option<TimeView>,
}

/// A target as the waves board lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoardTarget {
    pub repo: String,
    pub state: &'static str,
    pub label: StateLabel,
}

/// One wave of the board.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WaveView {
    pub index: u32,
    pub progress: Progress,
    pub gate: GateView,
    pub opened: Option<TimeView>,
    pub done: Option<TimeView>,
    pub eta: Option<TimeView>,
    /// The first targets (problems first), at most [`BOARD_TARGETS`].
    pub targets: Vec<BoardTarget>,
    pub more: usize,
}

/// Targets listed per wave on the board; the table has them all.
pub const BOARD_TARGETS: usize = 24;

/// A failing check with a safe link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckView {
    pub name: String,
    pub url: Option<String>,
}

/// One row of the targets table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetView {
    pub id: i64,
    pub repo: String,
    pub manifest: String,
    pub ecosystem: String,
    pub from: String,
    pub to: Option<String>,
    pub classification: String,
    pub wave: u32,
    pub state: &'static str,
    pub label: StateLabel,
    pub retries: u32,
    pub pr_number: Option<u64>,
    pub pr_url: Option<String>,
    pub ci_state: Option<String>,
    pub failing_checks: Vec<CheckView>,
    pub merge_blocked: Option<String>,
    /// Who merged its PR (when a person did, or the forge names them).
    pub merged_by: Option<String>,
    /// Who closed its PR without merging.
    pub closed_by: Option<String>,
    /// Reviewers who approved / asked for changes, in login order.
    pub approved_by: Vec<String>,
    pub changes_requested_by: Vec<String>,
    /// The other members of its lockstep group (their PRs must be merged
    /// together with this one), with their PR links where opened.
    pub lockstep_with: Vec<SiblingView>,
    pub in_state: TimeView,
    pub last_reason: Option<String>,
    /// Retry is possible (failed), skip is possible (not terminal).
    pub can_retry: bool,
    pub can_skip: bool,
}

/// A lockstep sibling of a target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SiblingView {
    pub repo: String,
    pub pr_number: Option<u64>,
    pub pr_url: Option<String>,
}

/// The other members of `t`'s lockstep group, with their PRs.
fn siblings(t: &TargetRecord, targets: &[TargetRecord], topology: &Topology) -> Vec<SiblingView> {
    let Some(group) = topology.lockstep.iter().find(|g| g.contains(&t.repo)) else {
        return Vec::new();
    };
    group
        .iter()
        .filter(|m| **m != t.repo)
        .map(|m| {
            let pr = targets
                .iter()
                .find(|s| s.repo == *m && s.pr_number.is_some());
            SiblingView {
                repo: m.clone(),
                pr_number: pr.and_then(|s| s.pr_number),
                pr_url: pr.and_then(|s| safe_url(s.pr_url.as_deref())),
            }
        })
        .collect()
}

/// Repositories of one wave failing the same way: a suspected library
/// regression (the gate halts on it), grouped for the page and the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClusterView {
    pub wave: u32,
    /// The check they all fail (none: differently named checks, same error).
    pub check: Option<String>,
    /// The first error line they share, where the forge gives one.
    pub first_error: Option<String>,
    pub repos: Vec<String>,
    /// How many repositories.
    pub count: usize,
    /// The gate's words for it ("suspected library regression: ...").
    pub text: String,
}

/// The failure clusters of a rollout's targets, largest first (the
/// gate's rule: `rollout::failure_clusters`).
pub fn failure_clusters(targets: &[TargetRecord]) -> Vec<ClusterView> {
    crate::rollout::failure_clusters(&crate::rollout::failures(targets))
        .into_iter()
        .map(|c| ClusterView {
            text: c.to_string(),
            wave: c.wave,
            check: c.check,
            first_error: c.first_error,
            count: c.repos.len(),
            repos: c.repos,
        })
        .collect()
}

/// One audit entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditView {
    pub at: TimeView,
    pub actor: String,
    pub action: String,
    pub reason: String,
    pub repo: Option<String>,
}

/// What an operator may do now (buttons shown; the engine decides anyway).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Allowed {
    pub pause: bool,
    pub resume: bool,
    pub advance: bool,
    pub abort: bool,
    pub retry: bool,
    pub skip: bool,
}

/// Everything `/rollouts/{id}` and `/api/rollouts/{id}` show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RolloutView {
    pub summary: RolloutSummary,
    pub branch: String,
    pub eta: Option<TimeView>,
    /// The ETA uses observed CI durations (else the policy's estimate).
    pub eta_observed: bool,
    pub budget: Option<BudgetView>,
    /// Failures shared by two or more repositories of a wave; a failure
    /// outside every cluster is its repository's own (its target row).
    pub failure_clusters: Vec<ClusterView>,
    /// What the current wave's gate waits for.
    pub gate_status: String,
    pub allowed: Allowed,
    pub waves: Vec<WaveView>,
    pub targets: Vec<TargetView>,
    pub graph: GraphView,
    pub audit: Vec<AuditView>,
    /// While `aborting`: the pull requests still to close (`repo #n`),
    /// which the engine retries at every tick.
    pub abort_left: Vec<String>,
}

/// Only `http://` and `https://` URLs become links.
pub fn safe_url(url: Option<&str>) -> Option<String> {
    let u = url?.trim();
    let lower = u.get(..8).unwrap_or(u).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| u.to_owned())
}

fn target_view(
    t: &TargetRecord,
    targets: &[TargetRecord],
    topology: &Topology,
    now: Timestamp,
) -> TargetView {
    TargetView {
        id: t.id,
        repo: t.repo.clone(),
        manifest: t.manifest_path.clone(),
        ecosystem: t.ecosystem.to_string(),
        from: t.from_requirement.clone(),
        to: t.to_requirement.clone(),
        classification: t.classification.to_string(),
        wave: t.wave,
        state: t.state.as_str(),
        label: target_label(t.state),
        retries: t.retries,
        pr_number: t.pr_number,
        pr_url: safe_url(t.pr_url.as_deref()),
        ci_state: t.ci_state.clone(),
        failing_checks: t
            .failing_checks
            .iter()
            .map(|c| CheckView {
                name: c.name.clone(),
                url: safe_url(c.url.as_deref()),
            })
            .collect(),
        merge_blocked: t.merge_blocked.clone(),
        merged_by: t.activity.merged_by.clone(),
        closed_by: t.activity.closed_by.clone(),
        approved_by: t
            .activity
            .approved()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        changes_requested_by: t
            .activity
            .changes_requested()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        lockstep_with: siblings(t, targets, topology),
        in_state: TimeView::new(t.state_since, now),
        last_reason: t.last_reason.clone(),
        can_retry: t.state.is_failure(),
        can_skip: !t.state.is_terminal(),
    }
}

fn allowed(state: RolloutState, targets: &[TargetRecord], last_wave: bool) -> Allowed {
    use RolloutState::*;
    Allowed {
        pause: state == Running,
        resume: matches!(state, Paused | Halted),
        advance: matches!(state, Running | Paused) && !last_wave,
        abort: !state.is_terminal(),
        retry: matches!(state, Running | Paused | Halted)
            && targets.iter().any(|t| t.state.is_failure()),
        skip: !state.is_terminal() && state != Aborting,
    }
}

fn budget_view(budget: FailureBudget, counts: &Counts) -> BudgetView {
    BudgetView {
        failed: counts.failed,
        allowed: match budget {
            FailureBudget::Count(n) => format!("{n} failed target(s)"),
            FailureBudget::Percent(p) => format!("{p}% of targets"),
        },
        exceeded: crate::rollout::gate::budget_exceeded(counts, budget),
    }
}

/// Rank for "problems first" on the board.
fn board_rank(s: TargetState) -> u8 {
    match s {
        TargetState::CiFailed | TargetState::Error(_) => 0,
        TargetState::CiPending | TargetState::PrOpen => 1,
        TargetState::Pending => 2,
        TargetState::CiPassed => 3,
        TargetState::Merged => 4,
        _ => 5,
    }
}

struct WaveInput<'a> {
    rollout: &'a RolloutRecord,
    record: Option<&'a WaveRecord>,
    targets: Vec<&'a TargetRecord>,
    policy: Option<&'a RolloutPolicy>,
    eta: Option<Timestamp>,
    now: Timestamp,
}

fn wave_view(index: u32, w: WaveInput<'_>) -> WaveView {
    let progress = Progress::of(w.targets.iter().copied());
    let phase = if w.record.and_then(|r| r.done_at).is_some() {
        "done"
    } else if index == w.rollout.current_wave && w.rollout.state.is_active() {
        "current"
    } else if index < w.rollout.current_wave {
        "done"
    } else {
        "waiting"
    };
    let (threshold, soak, counts) = match w.policy {
        Some(p) => (
            p.gate.success_ratio,
            p.gate.soak,
            Counts::of(w.targets.iter().map(|t| t.state), &p.gate),
        ),
        None => (1.0, std::time::Duration::ZERO, Counts::default()),
    };
    let ratio = counts.ratio();
    let ratio_met = ratio + 1e-9 >= threshold;
    let mut soak_left = None;
    let mut soak_until = None;
    let waits_for = match phase {
        "done" => "gate passed".to_owned(),
        "waiting" => match index.checked_sub(1) {
            Some(prev) => format!("waits for wave {prev} to pass its gate"),
            None => "waits for the rollout to start".to_owned(),
        },
        _ => {
            if ratio_met {
                if let Some(met) = w.record.and_then(|r| r.met_at) {
                    let until = met.plus(soak);
                    if until > w.now {
                        soak_left = Some(time::duration_text(until.since(w.now).as_secs()));
                        soak_until = Some(TimeView::new(until, w.now));
                    }
                }
                match &soak_left {
                    Some(left) => format!("soaking: {left} left"),
                    None => "ratio met, soak elapsed".to_owned(),
                }
            } else {
                format!(
                    "success ratio {:.0}% of {:.0}% needed",
                    ratio * 100.0,
                    threshold * 100.0
                )
            }
        }
    };
    let mut board: Vec<&TargetRecord> = w.targets.clone();
    board.sort_by(|a, b| {
        board_rank(a.state)
            .cmp(&board_rank(b.state))
            .then_with(|| a.repo.cmp(&b.repo))
    });
    let more = board.len().saturating_sub(BOARD_TARGETS);
    WaveView {
        index,
        gate: GateView {
            phase,
            waits_for,
            ratio_percent: (ratio * 100.0).floor() as u32,
            threshold_percent: (threshold * 100.0).round() as u32,
            ratio_met,
            soak: time::duration_text(soak.as_secs()),
            soak_left,
            soak_until,
        },
        opened: w
            .record
            .and_then(|r| r.opened_at)
            .map(|t| TimeView::new(t, w.now)),
        done: w
            .record
            .and_then(|r| r.done_at)
            .map(|t| TimeView::new(t, w.now)),
        eta: w.eta.map(|t| TimeView::new(t, w.now)),
        targets: board
            .into_iter()
            .take(BOARD_TARGETS)
            .map(|t| BoardTarget {
                repo: t.repo.clone(),
                state: t.state.as_str(),
                label: target_label(t.state),
            })
            .collect(),
        more,
        progress,
    }
}

/// The stored records of one rollout.
pub struct RolloutRecords<'a> {
    pub rollout: &'a RolloutRecord,
    pub waves: &'a [WaveRecord],
    pub targets: &'a [TargetRecord],
    pub audit: &'a [AuditRecord],
    pub topology: &'a Topology,
}

/// Build the view of one rollout.
pub fn rollout_view(r: &RolloutRecords<'_>, now: Timestamp) -> RolloutView {
    let rollout = r.rollout;
    let policy = RolloutPolicy::from_json(&rollout.policy).ok();
    let eta = policy
        .as_ref()
        .map(|p| crate::rollout::eta::eta(rollout, r.waves, r.targets, p, now));
    let last_wave = rollout.current_wave + 1 >= rollout.wave_count;
    let (budget, gate_status) = match &policy {
        Some(p) => {
            let counts = Counts::of(r.targets.iter().map(|t| t.state), &p.gate);
            let wave = r
                .waves
                .iter()
                .find(|w| w.index == rollout.current_wave)
                .cloned()
                .unwrap_or_default();
            let snap = crate::rollout::snapshot(rollout, &wave, r.targets, &p.gate);
            let status = match evaluate_gate(&snap, &p.gate, now) {
                // The page has no forge to read library targets' releases
                // (the cascade): the engine's stored reason says when the
                // advance waits on one.
                GateDecision::Advance => match rollout.reason.as_deref() {
                    Some(why) if crate::rollout::gate::is_release_wait(why) => why.to_owned(),
                    _ => "gate met: the next wave opens at the next tick".to_owned(),
                },
                GateDecision::Complete => {
                    "gate met: the rollout completes at the next tick".to_owned()
                }
                GateDecision::Halt(why) => why,
                GateDecision::Wait { reason, .. } => match reason {
                    crate::rollout::WaitReason::Soaking { .. } => "soaking".to_owned(),
                    other => other.to_string(),
                },
            };
            (Some(budget_view(p.gate.failure_budget, &counts)), status)
        }
        None => (None, "policy unreadable".to_owned()),
    };
    let waves = (0..rollout.wave_count)
        .map(|i| {
            wave_view(
                i,
                WaveInput {
                    rollout,
                    record: r.waves.iter().find(|w| w.index == i),
                    targets: r.targets.iter().filter(|t| t.wave == i).collect(),
                    policy: policy.as_ref(),
                    eta: eta.as_ref().and_then(|e| e.waves.get(i as usize).copied()),
                    now,
                },
            )
        })
        .collect();
    let library_repo = policy
        .as_ref()
        .map(|p| p.library_repo.clone())
        .unwrap_or_else(|| rollout.library.clone());
    let mut abort_left: Vec<String> = if rollout.state == RolloutState::Aborting {
        r.targets
            .iter()
            .filter(|t| !t.state.is_terminal())
            .filter_map(|t| t.pr_number.map(|n| format!("{} #{n}", t.repo)))
            .collect()
    } else {
        Vec::new()
    };
    abort_left.dedup();
    RolloutView {
        abort_left,
        summary: summary(rollout, r.targets, now),
        branch: rollout.branch.clone(),
        eta: eta
            .as_ref()
            .filter(|_| rollout.state.is_active())
            .map(|e| TimeView::new(e.rollout, now)),
        eta_observed: eta.as_ref().is_some_and(|e| e.observed),
        budget,
        failure_clusters: failure_clusters(r.targets),
        gate_status,
        allowed: allowed(rollout.state, r.targets, last_wave),
        waves,
        targets: r
            .targets
            .iter()
            .map(|t| target_view(t, r.targets, r.topology, now))
            .collect(),
        graph: graph::graph(&library_repo, r.targets, r.topology),
        audit: r
            .audit
            .iter()
            .rev()
            .map(|a| AuditView {
                at: TimeView::new(a.entry.at, now),
                actor: a.entry.actor.clone(),
                action: a.entry.action.clone(),
                reason: a.entry.reason.clone(),
                repo: a.entry.repo.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_are_links() {
        for (input, want) in [
            (Some("https://github.com/a/b/pull/1"), true),
            (Some("HTTP://x"), true),
            (Some("javascript:alert(1)"), false),
            (Some(" data:text/html,x"), false),
            (Some("//evil"), false),
            (None, false),
        ] {
            assert_eq!(safe_url(input).is_some(), want, "{input:?}");
        }
    }
}
