//! A 40-repository organisation in the in-memory forge, its config, and
//! helpers to drive an engine through time.

use std::time::Duration;

use wavebump::config::Config;
use wavebump::ecosystem::MemTree;
use wavebump::rollout::{Engine, EngineOptions, RolloutState, Timestamp, new_rollout};
use wavebump::store::{RolloutRecord, Store};

use crate::support::memforge::MemForge;

pub const CONFIG: &str = r#"
library:
  repository: acme/core-utils
  packages:
    cargo: core-utils
rollout:
  canaries: [svc-00]
  waves: [3, 10, 30]
  gate:
    success_ratio: 1.0
    soak: 10m
    failure_budget: 0
pull_requests:
  automerge: true
"#;

pub fn config() -> Config {
    Config::parse_in(CONFIG, "test.yaml", std::path::Path::new("/tmp")).unwrap()
}

fn cargo(name: &str, deps: &[(&str, &str)]) -> MemTree {
    let mut text = format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n[dependencies]\n");
    for (d, v) in deps {
        text.push_str(&format!("{d} = \"{v}\"\n"));
    }
    MemTree::new().with("Cargo.toml", text)
}

/// The library, one library consumer (`lib-a`) and 39 services, 10 of
/// which also use `lib-a`: 40 repositories to bump.
pub fn forge() -> MemForge {
    let forge = MemForge::new();
    forge.add_repo(
        "core-utils",
        cargo("core-utils", &[]),
        &["v1.4.0", "v2.0.0"],
    );
    forge.add_repo("lib-a", cargo("lib-a", &[("core-utils", "1.4")]), &[]);
    for i in 0..39 {
        let name = format!("svc-{i:02}");
        let tree = if (10..20).contains(&i) {
            cargo(&name, &[("core-utils", "1.4"), ("lib-a", "0.3")])
        } else {
            cargo(&name, &[("core-utils", "~1.4.2")])
        };
        forge.add_repo(&name, tree, &[]);
    }
    forge
}

pub const START: Timestamp = Timestamp(1_800_000_000_000);

/// Plan with the real planner against the forge, store and start it.
pub async fn start(engine: &Engine<MemForge>, now: Timestamp) -> i64 {
    let config = config();
    let noop = |_: usize, _: usize| {};
    let outcome = wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &noop)
        .await
        .unwrap();
    let new = new_rollout(&outcome, &config, "alice");
    assert_eq!(new.targets.len(), 40, "planned targets");
    let id = engine.create(&new, now).await.unwrap();
    engine.start(id, "alice", now).await.unwrap();
    id
}

pub fn engine(store: Store, forge: MemForge) -> Engine<MemForge> {
    Engine::new(
        store,
        forge,
        EngineOptions {
            pr_budget_per_tick: 15,
            max_error_retries: 3,
            lease: None,
        },
    )
}

/// Tick every 11 minutes until `done` holds (at most `max` ticks); the
/// rollout then.
pub async fn drive(
    engine: &Engine<MemForge>,
    id: i64,
    now: &mut Timestamp,
    max: usize,
    done: impl Fn(&RolloutRecord) -> bool,
) -> RolloutRecord {
    for _ in 0..max {
        engine.tick(*now).await.unwrap();
        *now = now.plus(Duration::from_secs(11 * 60));
        let r = engine.store().rollout(id).await.unwrap().unwrap();
        if done(&r) {
            return r;
        }
    }
    let r = engine.store().rollout(id).await.unwrap().unwrap();
    panic!("not done after {max} ticks: {r:?}");
}

pub fn is(state: RolloutState) -> impl Fn(&RolloutRecord) -> bool {
    move |r| r.state == state
}
