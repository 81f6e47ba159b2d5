//! A tick on a 5,000-target rollout with nothing to do makes no write and
//! reads only the CI of the one open PR (timing is the bench's job).

use std::time::Duration;

use wavebump::ecosystem::{Classification, Ecosystem, LibraryNames, MemTree};
use wavebump::forge::CiState;
use wavebump::rollout::{GatePolicy, PrPolicy, RolloutPolicy, TargetState};
use wavebump::store::{NewRollout, NewTarget};

use super::fleet::{self, START};
use crate::store::Db;
use crate::support::memforge::MemForge;

async fn quiet_tick(db: Db) {
    let forge = MemForge::new();
    forge.add_repo(
        "canary",
        MemTree::new().with("Cargo.toml", "[dependencies]\ncore-utils = \"1.4\"\n"),
        &[],
    );
    let policy = RolloutPolicy {
        gate: GatePolicy::default(),
        library: LibraryNames::acme_core_utils(),
        library_repo: "core-utils".into(),
        pr: PrPolicy {
            title: "Bump {library} to {version}".into(),
            commit_message: "Bump".into(),
            labels: vec![],
            reviewers: vec![],
            team_reviewers: vec![],
            draft: false,
            automerge: false,
            branch: String::new(),
            branch_version: None,
            templates_dir: None,
            public_url: None,
        },
        ci_duration: Duration::from_secs(600),
    };
    let target = |repo: String, wave| NewTarget {
        repo,
        manifest_path: "Cargo.toml".into(),
        ecosystem: Ecosystem::Cargo,
        from_requirement: "1.4".into(),
        to_requirement: Some("2.0".into()),
        classification: Classification::Major,
        is_library: false,
        wave,
    };
    let mut targets = vec![target("canary".into(), 0)];
    targets.extend((0..5_000).map(|i| target(format!("repo-{i:05}"), 1)));
    let engine = fleet::engine(db.open().await, forge);
    let id = engine
        .create(
            &NewRollout {
                library: "acme/core-utils".into(),
                from_version: None,
                to_version: "2.0.0".into(),
                wave_count: 2,
                branch: "wavebump/core-utils-2.0.0".into(),
                policy: policy.to_json(),
                started_by: "test".into(),
                graph: Default::default(),
                targets,
            },
            START,
        )
        .await
        .unwrap();
    engine.start(id, "test", START).await.unwrap();
    engine.tick(START).await.unwrap();
    engine.forge().set_default_ci(CiState::Pending);
    engine.tick(START).await.unwrap();
    let (writes, reads) = (engine.forge().writes().len(), engine.forge().reads());
    let report = engine.tick(START).await.unwrap();
    assert_eq!(engine.forge().writes().len(), writes, "no write");
    assert_eq!(
        engine.forge().reads() - reads,
        2,
        "only the canary's PR and its CI are read"
    );
    assert_eq!(report.opened + report.ci_changes + report.merged, 0);
    let targets = engine.store().targets(id).await.unwrap();
    assert_eq!(targets.len(), 5_001);
    assert_eq!(
        targets
            .iter()
            .filter(|t| t.state == TargetState::Pending)
            .count(),
        5_000
    );
}

crate::both!(quiet_tick);
