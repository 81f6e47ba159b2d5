//! The library cascade on the local forge (real git): `billing-lib` is a
//! target that publishes a crate `billing-service` consumes. After its PR
//! merges, the gate holds `billing-service`'s wave until `billing-lib` tags
//! a release above the one it had (a prerelease does not count), and
//! `billing-service`'s PR then moves both requirements in one commit. A
//! library target that has never tagged a release holds nobody (and the
//! audit log says why).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use wavebump::config::Config;
use wavebump::ecosystem::MemTree;
use wavebump::forge::local::{CiProvider, LocalForge};
use wavebump::forge::{Check, CiReport, CiState};
use wavebump::git::{self, Author};
use wavebump::rollout::{Engine, EngineOptions, RolloutState, TargetState, new_rollout};

use wavebump::store::RolloutRecord;

use super::fleet::{START, is};
use crate::store::Db;
use crate::support::org;

const CONFIG: &str = r#"
library:
  repository: acme/core-utils
  packages:
    cargo: core-utils
rollout:
  waves: [10]
  gate:
    success_ratio: 1.0
    soak: 0s
    failure_budget: 0
pull_requests:
  automerge: true
"#;

const AUTHOR: Author<'static> = Author {
    name: "Maintainer",
    email: "maintainer@example.invalid",
    time: 1_767_225_600,
};

/// Every commit passes its one required check.
struct Green;

impl CiProvider for Green {
    fn state(&self, _repo: &str, _sha: &str) -> CiReport {
        CiReport {
            state: CiState::Passed,
            checks: vec![Check {
                name: "test".into(),
                state: CiState::Passed,
                url: None,
                required: true,
                first_error: None,
            }],
            note: None,
        }
    }
}

fn krate(name: &str, version: &str, deps: &[(&str, &str)]) -> MemTree {
    let mut text =
        format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\n\n[dependencies]\n");
    for (d, v) in deps {
        text.push_str(&format!("{d} = \"{v}\"\n"));
    }
    MemTree::new().with("Cargo.toml", text)
}

fn repo(root: &Path, name: &str, files: &MemTree, tags: &[&str]) {
    let dir = root.join(format!("{name}.git"));
    git::create_bare_repository(&dir, files, "init", &AUTHOR).unwrap();
    for t in tags {
        git::tag_head(&dir, t).unwrap();
    }
}

fn file_on(root: &Path, name: &str, branch: &str) -> String {
    let tree = git::read_branch(&root.join(format!("{name}.git")), branch, &|_| true)
        .unwrap()
        .unwrap();
    String::from_utf8(tree.get("Cargo.toml").unwrap().to_vec()).unwrap()
}

/// Tick every 10 minutes until `done` holds (at most `max` ticks).
async fn drive(
    engine: &Engine<LocalForge>,
    id: i64,
    now: &mut wavebump::rollout::Timestamp,
    max: usize,
    done: impl Fn(&RolloutRecord) -> bool,
) -> RolloutRecord {
    for _ in 0..max {
        engine.tick(*now).await.unwrap();
        *now = now.plus(Duration::from_secs(600));
        let r = engine.store().rollout(id).await.unwrap().unwrap();
        if done(&r) {
            return r;
        }
    }
    let r = engine.store().rollout(id).await.unwrap().unwrap();
    panic!("not done after {max} ticks: {r:?}");
}

async fn cascade(db: Db) {
    org::isolate_git();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    repo(
        root,
        "core-utils",
        &krate("core-utils", "2.0.0", &[]),
        &["v1.4.0", "v2.0.0"],
    );
    repo(
        root,
        "billing-lib",
        &krate("billing-lib", "1.4.0", &[("core-utils", "1.4")]),
        &["v1.3.0", "v1.4.0"],
    );
    repo(
        root,
        "billing-service",
        &krate(
            "billing-service",
            "0.1.0",
            &[("core-utils", "1.4"), ("billing-lib", "~1.4.0")],
        ),
        &[],
    );
    repo(
        root,
        "path-lib",
        &krate("path-lib", "0.1.0", &[("core-utils", "1.4")]),
        &[],
    );
    repo(
        root,
        "path-service",
        &krate(
            "path-service",
            "0.1.0",
            &[("core-utils", "1.4"), ("path-lib", "0.1")],
        ),
        &[],
    );
    let service_base = git::commit_info(&root.join("billing-service.git"), "main").unwrap();
    let forge = LocalForge::new(root).with_ci(Arc::new(Green));
    let config = Config::parse_in(CONFIG, "t.yaml", Path::new("/tmp")).unwrap();
    let engine = Engine::new(db.open().await, forge, EngineOptions::default());
    let noop = |_: usize, _: usize| {};
    let outcome = wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &noop)
        .await
        .unwrap();
    let new = new_rollout(&outcome, &config, "alice");
    let mut now = START;
    let id = engine.create(&new, now).await.unwrap();
    engine.start(id, "alice", now).await.unwrap();
    let store = engine.store().clone();
    let wave_of = |repo: &str| new.targets.iter().find(|t| t.repo == repo).unwrap().wave;
    assert_eq!(wave_of("billing-lib"), 0);
    assert_eq!(wave_of("billing-service"), 1);
    assert_eq!(wave_of("path-service"), 1);
    let branch = store.rollout(id).await.unwrap().unwrap().branch;

    // Wave 0 opens, passes and merges; the gate then waits for billing-lib.
    let waiting = "waiting for billing-lib to release a version containing core-utils 2.0.0";
    let r = drive(&engine, id, &mut now, 5, |r| {
        r.reason.as_deref() == Some(waiting)
    })
    .await;
    assert_eq!(r.current_wave, 0);
    let targets = store.targets(id).await.unwrap();
    for t in targets.iter().filter(|t| t.wave == 0) {
        assert_eq!(t.state, TargetState::Merged, "{}", t.repo);
    }
    // Held: more ticks change nothing; a prerelease does not count.
    git::tag_head(&root.join("billing-lib.git"), "v1.5.0-rc.1").unwrap();
    for _ in 0..3 {
        engine.tick(now).await.unwrap();
        now = now.plus(Duration::from_secs(600));
    }
    let r = store.rollout(id).await.unwrap().unwrap();
    assert_eq!((r.current_wave, r.reason.as_deref()), (0, Some(waiting)));
    // The status page says what the wave waits for, not "gate met".
    let page = page_view(&store, id, now).await;
    assert_eq!(page.gate_status, waiting);
    assert!(
        store
            .targets(id)
            .await
            .unwrap()
            .iter()
            .all(|t| t.wave == 0 || t.state == TargetState::Pending)
    );
    let rows = store.cascade_releases(id).await.unwrap();
    let row = |repo: &str| rows.iter().find(|r| r.repo == repo).unwrap().clone();
    assert_eq!(row("billing-lib").floor.as_deref(), Some("1.4.0"));
    assert_eq!(row("billing-lib").release_version, None);
    assert_eq!(
        row("path-lib").floor,
        None,
        "never released: nothing to wait for"
    );

    // billing-lib releases (its main now holds the merge): wave 1 opens.
    git::tag_head(&root.join("billing-lib.git"), "v1.5.0").unwrap();
    let done = drive(&engine, id, &mut now, 10, is(RolloutState::Completed)).await;
    assert_eq!(done.current_wave, 1);
    let rows = store.cascade_releases(id).await.unwrap();
    let lib = rows.iter().find(|r| r.repo == "billing-lib").unwrap();
    assert_eq!(
        (lib.release_tag.as_deref(), lib.release_version.as_deref()),
        (Some("v1.5.0"), Some("1.5.0"))
    );

    // billing-service's PR moved both requirements, in one commit on main.
    let service = file_on(root, "billing-service", &branch);
    assert!(service.contains("core-utils = \"2.0\""), "{service}");
    assert!(service.contains("billing-lib = \"~1.5.0\""), "{service}");
    let info = git::commit_info(&root.join("billing-service.git"), &branch).unwrap();
    assert_eq!(
        info.parents,
        [service_base.id],
        "one commit on the old main"
    );
    // path-service: only core-utils (path-lib never released).
    let path_service = file_on(root, "path-service", &branch);
    assert!(
        path_service.contains("core-utils = \"2.0\""),
        "{path_service}"
    );
    assert!(
        path_service.contains("path-lib = \"0.1\""),
        "{path_service}"
    );

    let audit = store.audit(id, 1000).await.unwrap();
    let has = |action: &str, reason: &str| {
        audit
            .iter()
            .any(|a| a.entry.action.contains(action) && a.entry.reason.contains(reason))
    };
    assert!(has(
        "library target merged",
        "billing-lib last released 1.4.0"
    ));
    assert!(has(
        "library target merged",
        "path-lib has never tagged a release"
    ));
    assert!(has(
        "library target released v1.5.0",
        "billing-service will require it"
    ));
    assert!(has("wave 1 opened", "gate met"));
}

crate::both!(cascade);

/// The status page's view of a rollout at `now` (read-only page state).
async fn page_view(
    store: &wavebump::store::Store,
    id: i64,
    now: wavebump::rollout::Timestamp,
) -> wavebump::status::view::RolloutView {
    use wavebump::status::{OperatorCommands, StatusState};
    struct ReadOnly;
    impl OperatorCommands for ReadOnly {
        fn apply(
            &self,
            request: wavebump::rollout::OperatorRequest,
        ) -> futures::future::BoxFuture<
            '_,
            Result<wavebump::rollout::Outcome, wavebump::rollout::ServiceError>,
        > {
            // Read-only: every action is refused.
            let refused = wavebump::rollout::CommandError::NoSuchRollout(request.rollout);
            Box::pin(async move { Err(wavebump::rollout::ServiceError::Refused(refused)) })
        }
    }
    let (changes, _) = tokio::sync::broadcast::channel(4);
    let state = StatusState::new(
        store.clone(),
        Arc::new(ReadOnly),
        changes,
        vec![],
        true,
        None,
    )
    .with_clock(wavebump::clock::from_fn(move || now));
    wavebump::status::load::rollout(&state, id)
        .await
        .unwrap()
        .expect("the rollout")
}
