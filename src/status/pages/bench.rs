//! Bench harness (`bench-harness` feature). The rollout page for the benchmark: a synthetic rollout of any size
//! ([`BenchRollout::synthetic`]) and the page rendered from it exactly as
//! `/rollouts/{id}` renders it (view model, graph, table's first page,
//! handlebars), without the store or HTTP.
//!
//! Invariant: deterministic (same sizes, same page); the consumer graph is
//! drawn (edges between consumers, lockstep boxes) whenever there are at
//! most `view::graph::MAX_NODES` repositories, else omitted with its note,
//! as on the real page.

use super::rollout::{TableQuery, page_html};
use crate::config::Config;
use crate::ecosystem::{Classification, Ecosystem};
use crate::rollout::{RolloutPolicy, RolloutState, TargetState, Timestamp};
use crate::status::view::{self, RolloutRecords, Topology};
use crate::store::{Audit, AuditRecord, FailingCheck, RolloutRecord, TargetRecord, WaveRecord};

/// Waves of a synthetic rollout.
pub const BENCH_WAVES: u32 = 6;

/// The stored records of one rollout.
#[derive(Clone, Debug)]
pub struct BenchRollout {
    pub rollout: RolloutRecord,
    pub waves: Vec<WaveRecord>,
    pub targets: Vec<TargetRecord>,
    pub audit: Vec<AuditRecord>,
    pub topology: Topology,
}

/// When the synthetic rollout started; render it at `START + 2h`.
pub const BENCH_START: Timestamp = Timestamp(1_800_000_000_000);

impl BenchRollout {
    /// `targets` targets spread over `repos` repositories (several
    /// manifests per repository when `targets > repos`), in
    /// [`BENCH_WAVES`] waves, the third wave running; states mixed (merged,
    /// passed, failing with two failing checks, CI running, pending); every
    /// tenth repository a library consumed by two repositories of a later
    /// wave; lockstep groups
    /// of three; 200 audit entries.
    pub fn synthetic(targets: usize, repos: usize) -> BenchRollout {
        let repos = repos.clamp(1, targets.max(1));
        let name = |r: usize| format!("acme/service-{r:05}");
        let wave_of = |r: usize| ((r * BENCH_WAVES as usize) / repos) as u32;
        let current = 2;
        let policy = Config::embedded_example()
            .map(|c| RolloutPolicy::from_config(&c, "acme/core-utils").to_json())
            .unwrap_or_default();
        let rollout = RolloutRecord {
            id: 1,
            library: "acme/core-utils".to_owned(),
            from_version: Some("1.4.2".to_owned()),
            to_version: "2.0.0".to_owned(),
            state: RolloutState::Running,
            current_wave: current,
            wave_count: BENCH_WAVES,
            reason: None,
            branch: "wavebump/core-utils-2.0.0".to_owned(),
            policy,
            started_by: "release webhook".to_owned(),
            created_at: BENCH_START,
            state_since: BENCH_START,
            updated_at: BENCH_START,
        };
        let minute = |m: i64| Timestamp(BENCH_START.0 + m * 60_000);
        let waves = (0..BENCH_WAVES)
            .map(|i| WaveRecord {
                rollout_id: 1,
                index: i,
                opened_at: (i <= current).then(|| minute(i64::from(i) * 40)),
                met_at: (i < current).then(|| minute(i64::from(i) * 40 + 25)),
                done_at: (i < current).then(|| minute(i64::from(i) * 40 + 40)),
            })
            .collect();
        let targets = (0..targets)
            .map(|i| {
                let r = i % repos;
                let wave = wave_of(r);
                let state = if wave < current {
                    TargetState::Merged
                } else if wave > current {
                    TargetState::Pending
                } else {
                    match i % 7 {
                        0 => TargetState::CiFailed,
                        1 | 2 => TargetState::CiPending,
                        _ => TargetState::CiPassed,
                    }
                };
                let opened = wave <= current;
                TargetRecord {
                    id: i as i64 + 1,
                    rollout_id: 1,
                    repo: name(r),
                    manifest_path: match i / repos {
                        0 => "Cargo.toml".to_owned(),
                        k => format!("crates/part-{k}/Cargo.toml"),
                    },
                    ecosystem: Ecosystem::Cargo,
                    from_requirement: "1.4".to_owned(),
                    to_requirement: Some("2.0".to_owned()),
                    classification: Classification::Major,
                    is_library: r.is_multiple_of(10),
                    wave,
                    state,
                    retries: u32::from(state == TargetState::CiFailed),
                    pr_number: opened.then_some(r as u64 + 100),
                    pr_url: opened
                        .then(|| format!("https://github.com/{}/pull/{}", name(r), r + 100)),
                    head_sha: opened.then(|| format!("{:040x}", i + 1)),
                    ci_state: opened.then(|| "pending".to_owned()),
                    failing_checks: if state == TargetState::CiFailed {
                        ["build", "integration tests"]
                            .iter()
                            .map(|c| FailingCheck {
                                name: (*c).to_owned(),
                                url: Some(format!("https://github.com/{}/runs/{i}", name(r))),
                                first_error: None,
                            })
                            .collect()
                    } else {
                        Vec::new()
                    },
                    merge_blocked: None,
                    last_reason: Some("CI state read".to_owned()),
                    state_since: minute(90),
                    ci_started_at: opened.then(|| minute(85)),
                    ci_finished_at: None,
                    activity: Default::default(),
                }
            })
            .collect();
        let mut topology = Topology::default();
        // A consumer one wave later.
        let later = repos / BENCH_WAVES as usize + 1;
        for r in (0..repos).step_by(10) {
            for c in [r + later, r + later + 1] {
                if c < repos && wave_of(c) > wave_of(r) {
                    topology.edges.push((name(r), name(c)));
                }
            }
        }
        for r in (3..repos).step_by(10) {
            let group: Vec<usize> = (r..r + 3).filter(|g| *g < repos).collect();
            if group.len() == 3 && group.iter().all(|g| wave_of(*g) == wave_of(r)) {
                topology
                    .lockstep
                    .push(group.into_iter().map(name).collect());
            }
        }
        let audit = (0..200)
            .map(|i| AuditRecord {
                id: i + 1,
                entry: Audit {
                    rollout_id: Some(1),
                    repo: Some(name(i as usize % repos)),
                    actor: "engine".to_owned(),
                    action: "pr_open -> ci_pending".to_owned(),
                    reason: "CI started".to_owned(),
                    at: minute(i),
                },
            })
            .collect();
        BenchRollout {
            rollout,
            waves,
            targets,
            audit,
            topology,
        }
    }
}

/// `/rollouts/{id}` as served (no session, no filter) from `records`, at
/// `now`: the view model, the consumer graph and the handlebars render.
// `Err` is a message: a bench harness (feature `bench-harness`) prints it.
pub fn render_rollout_page_for_bench(
    records: &BenchRollout,
    now: Timestamp,
) -> Result<String, String> {
    let view = view::rollout_view(
        &RolloutRecords {
            rollout: &records.rollout,
            waves: &records.waves,
            targets: &records.targets,
            audit: &records.audit,
            topology: &records.topology,
        },
        now,
    );
    page_html(view, &TableQuery::default(), None).map_err(|e| e.to_string())
}
