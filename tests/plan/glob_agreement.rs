//! One glob for config and planner: whatever `wavebump.yaml` accepts as a
//! repository glob the planner accepts, whatever it refuses the planner
//! refuses, and a glob selects the same repositories in
//! `repositories.include` (config side, `planning::considers`) as in a tier
//! (planner side, through `planning::policy` as `wavebump plan` runs it).

use proptest::prelude::*;

use wavebump::config::Config;
use wavebump::forge::RepoInfo;
use wavebump::plan::{PlanError, PlanInput, Policy, RepoInput, Tier, plan};
use wavebump::planning;

use super::oracle;

fn config(pattern: &str) -> Result<Config, wavebump::config::ConfigError> {
    // A JSON string is a valid YAML double-quoted scalar.
    let quoted = serde_json::to_string(pattern).unwrap();
    let text = format!(
        "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n\
         repositories:\n  include: [{quoted}]\n\
         rollout:\n  tiers:\n    - name: chosen\n      repos: [{quoted}]\n"
    );
    Config::parse(&text, "wavebump.yaml")
}

fn info(name: &str) -> RepoInfo {
    RepoInfo {
        name: name.to_owned(),
        default_branch: "main".to_owned(),
        archived: false,
        fork: false,
        unreadable: None,
    }
}

/// Patterns over an alphabet rich in glob syntax, and names over a small
/// alphabet, so that matches are frequent.
fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        "[abAB/*?\\[\\]!^ -]{0,7}",
        "(acme/)?[ab]{0,2}[*?]?(\\[!?[ab]-?[bc]?\\])?[ab-]{0,2}\\*?",
    ]
}

fn names() -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set("(acme/|other/|x/y/)?[abAB-]{1,4}", 1..6)
        .prop_map(|s| s.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn config_and_planner_agree(pattern in pattern(), names in names()) {
        let input = PlanInput {
            repos: names.iter().map(|n| RepoInput::planned(n.clone())).collect(),
            edges: Vec::new(),
        };
        match config(&pattern) {
            Err(e) => {
                // Refused by the config: refused by the planner as well.
                prop_assert!(e.path.contains("include"), "{e}");
                let policy = Policy {
                    tiers: vec![Tier { name: "chosen".into(), patterns: vec![pattern.clone()] }],
                    ..Policy::default()
                };
                let refused = matches!(plan(&input, &policy), Err(PlanError::InvalidPolicy { .. }));
                prop_assert!(refused, "config refuses {pattern:?} ({e}), planner does not");
            }
            Ok(config) => {
                let selected: Vec<&String> =
                    names.iter().filter(|n| planning::considers(&config, &info(n))).collect();
                for n in &names {
                    prop_assert_eq!(
                        planning::considers(&config, &info(n)),
                        oracle::glob_matches(&pattern, n),
                        "config vs the documented glob: {:?} on {:?}", pattern, n
                    );
                }
                let policy = planning::policy(&config, &names);
                match plan(&input, &policy) {
                    Ok(p) => {
                        for n in &names {
                            let unit = p.units().find(|u| u.repos.contains(n)).unwrap();
                            prop_assert_eq!(
                                unit.reason.contains("tier `chosen`"),
                                selected.contains(&n),
                                "planner vs config: {:?} on {:?}: {}", pattern, n, unit.reason
                            );
                        }
                    }
                    // A literal naming no repository: the config selects none.
                    Err(PlanError::UnknownRepo { .. }) => prop_assert!(selected.is_empty()),
                    Err(e) => prop_assert!(false, "planner refuses {pattern:?}, config accepts: {e}"),
                }
            }
        }
    }
}
