//! Reason and warning texts on small hand-made organisations: each case's
//! whole rendered plan (reasons, sizes, ETAs, warnings) is compared exactly,
//! and every plan also passes the invariant oracle.

use wavebump::plan::{PlanInput, Policy, Tier, WaveSizes, plan};

use super::{input, oracle, strings};

fn tier(name: &str, patterns: &[&str]) -> Tier {
    Tier {
        name: name.into(),
        patterns: strings(patterns),
    }
}

fn render(input: &PlanInput, policy: &Policy) -> String {
    let p = plan(input, policy).unwrap();
    oracle::check(input, policy, &p);
    p.render()
}

struct Case {
    name: &'static str,
    input: PlanInput,
    policy: Policy,
    want: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "dependency chain below the library",
            input: input(
                &["web", "billing-service", "billing-lib"],
                &["core-utils"],
                &[("billing-lib", "core-utils"), ("billing-service", "billing-lib"), ("web", "billing-service")],
            ),
            policy: Policy::default(),
            want: "\
wave 0 (1 repo, done after 1h30m):
  wave 0: billing-lib -- no planned providers
wave 1 (1 repo, done after 3h):
  wave 1: billing-service -- after billing-lib (wave 0)
wave 2 (1 repo, done after 4h30m):
  wave 2: web -- after billing-service (wave 1)
",
        },
        Case {
            name: "configured lockstep trio",
            input: input(
                &["user-service", "auth-service", "billing-service", "billing-lib"],
                &["core-utils"],
                &[("billing-service", "billing-lib"), ("auth-service", "billing-lib"), ("billing-lib", "core-utils")],
            ),
            policy: Policy {
                lockstep: vec![strings(&["user-service", "auth-service", "billing-service"])],
                ..Policy::default()
            },
            want: "\
wave 0 (1 repo, done after 1h30m):
  wave 0: billing-lib -- no planned providers
wave 1 (3 repos, done after 3h):
  wave 1: auth-service, billing-service, user-service -- after billing-lib (wave 0); lockstep group (configured)
",
        },
        Case {
            name: "cycle trio kept whole in a wave of one",
            input: input(
                &["user-service", "auth-service", "billing-service"],
                &[],
                &[("user-service", "auth-service"), ("auth-service", "billing-service"), ("billing-service", "user-service")],
            ),
            policy: Policy::default(),
            want: "\
wave 0 (3 repos, done after 1h30m):
  wave 0: auth-service, billing-service, user-service -- no planned providers; lockstep group (dependency cycle); 3 repositories exceed the wave size 1: kept whole
warning: dependency cycle between auth-service, billing-service, user-service: they move as one lockstep unit (a \"distributed monolith\" smell)
",
        },
        Case {
            name: "canary in wave 0, delayed canary, its provider first",
            input: input(
                &["lib-a", "svc-b", "svc-c", "svc-d"],
                &[],
                &[("svc-b", "lib-a"), ("svc-c", "lib-a")],
            ),
            policy: Policy {
                canaries: strings(&["svc-d", "svc-b"]),
                wave_sizes: WaveSizes::Counts(vec![2]),
                ..Policy::default()
            },
            want: "\
wave 0 (1 repo, done after 1h30m):
  wave 0: svc-d -- canary
wave 1 (1 repo, done after 3h):
  wave 1: lib-a -- provider of canary svc-b; no planned providers
wave 2 (2 repos, done after 4h30m):
  wave 2: svc-b -- canary, delayed by its providers; after lib-a (wave 1)
  wave 2: svc-c -- after lib-a (wave 1)
warning: canary svc-b cannot be in wave 0: it depends on lib-a (wave 1); placed in wave 2
",
        },
        Case {
            name: "tiers: untiered first, then tiers in order, critical last, critical provider pulled forward",
            input: input(
                &["tool-x", "pay-core", "pay-api", "svc-a", "svc-b"],
                &[],
                &[("svc-b", "pay-core"), ("pay-api", "pay-core")],
            ),
            policy: Policy {
                tiers: vec![tier("internal", &["tool-*"]), tier("payments", &["pay-*"])],
                wave_sizes: WaveSizes::Counts(vec![10]),
                ..Policy::default()
            },
            want: "\
wave 0 (2 repos, done after 1h30m):
  wave 0: pay-core -- no planned providers; critical tier `payments`; pulled forward: svc-b depends on it
  wave 0: svc-a -- no planned providers
wave 1 (1 repo, done after 3h):
  wave 1: svc-b -- after pay-core (wave 0)
wave 2 (1 repo, done after 4h30m):
  wave 2: tool-x -- no planned providers; tier `internal`; after earlier tiers
wave 3 (1 repo, done after 6h):
  wave 3: pay-api -- after pay-core (wave 0); critical tier `payments`; after earlier tiers
",
        },
        Case {
            name: "a path through an unplanned repository still orders",
            input: input(&["reports", "billing-lib"], &["gateway"], &[("reports", "gateway"), ("gateway", "billing-lib")]),
            policy: Policy::default(),
            want: "\
wave 0 (1 repo, done after 1h30m):
  wave 0: billing-lib -- no planned providers
wave 1 (1 repo, done after 3h):
  wave 1: reports -- after billing-lib (wave 0, through unplanned gateway)
",
        },
        Case {
            name: "configured group joined by a cycle through the graph",
            input: input(&["a-svc", "b-lib", "c-svc"], &[], &[("a-svc", "b-lib"), ("b-lib", "c-svc")]),
            policy: Policy { lockstep: vec![strings(&["c-svc", "a-svc"])], ..Policy::default() },
            want: "\
wave 0 (3 repos, done after 1h30m):
  wave 0: a-svc, b-lib, c-svc -- no planned providers; lockstep group (configured and dependency cycle); 3 repositories exceed the wave size 1: kept whole
warning: (a-svc, c-svc) and b-lib depend on each other through the consumer graph: merged into one lockstep unit
",
        },
        Case {
            name: "dependency order off",
            input: input(&["a", "b"], &[], &[("a", "b")]),
            policy: Policy { order_by_graph: false, ..Policy::default() },
            want: "\
wave 0 (1 repo, done after 1h30m):
  wave 0: a -- no planned providers
wave 1 (1 repo, done after 3h):
  wave 1: b -- no planned providers; earlier waves full
warning: dependency order is off: 1 edge between planned repositories ignored
",
        },
        Case {
            name: "canary overrides the critical tier; custom durations",
            input: input(&["pay-api", "svc"], &[], &[]),
            policy: Policy {
                canaries: strings(&["pay-api"]),
                tiers: vec![tier("payments", &["pay-api"])],
                ci_duration: std::time::Duration::from_secs(20 * 60),
                soak: std::time::Duration::from_secs(25),
                ..Policy::default()
            },
            want: "\
wave 0 (1 repo, done after 20m25s):
  wave 0: pay-api -- canary; critical tier `payments`, overridden by canary
wave 1 (1 repo, done after 40m50s):
  wave 1: svc -- no planned providers
",
        },
        Case {
            name: "nothing to plan",
            input: input(&[], &["core-utils"], &[]),
            policy: Policy::default(),
            want: "",
        },
    ]
}

#[test]
fn reason_table() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let got = render(&case.input, &case.policy);
        if got != case.want {
            failures.push(format!(
                "{}:\n--- want\n{}--- got\n{}",
                case.name, case.want, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Cumulative percentages: 10 % then 50 %, then steps of 40 % (to 90 %,
/// then capped at 100 %), each rounded up.
#[test]
fn percent_wave_sizes() {
    let names: Vec<String> = (0..10).map(|i| format!("r{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let org = input(&refs, &[], &[]);
    let policy = Policy {
        wave_sizes: WaveSizes::CumulativePercent(vec![10.0, 50.0]),
        ..Policy::default()
    };
    let p = plan(&org, &policy).unwrap();
    oracle::check(&org, &policy, &p);
    let sizes: Vec<usize> = p.waves.iter().map(|w| w.repo_count()).collect();
    assert_eq!(sizes, [1, 4, 4, 1]);
    let capped = Policy {
        max_wave_size: Some(3),
        ..policy
    };
    let p = plan(&org, &capped).unwrap();
    let sizes: Vec<usize> = p.waves.iter().map(|w| w.repo_count()).collect();
    assert_eq!(sizes, [1, 3, 3, 3]);
}

/// The plan as JSON (what `wavebump plan --format json` builds on).
#[test]
fn json_snapshot() {
    let org = input(
        &[
            "billing-lib",
            "billing-service",
            "user-service",
            "auth-service",
            "web",
        ],
        &["core-utils", "gateway"],
        &[
            ("billing-lib", "core-utils"),
            ("billing-service", "billing-lib"),
            ("user-service", "auth-service"),
            ("auth-service", "user-service"),
            ("web", "gateway"),
            ("gateway", "billing-service"),
        ],
    );
    let policy = Policy {
        canaries: strings(&["auth-service"]),
        ..Policy::default()
    };
    let p = plan(&org, &policy).unwrap();
    oracle::check(&org, &policy, &p);
    insta::assert_snapshot!(serde_json::to_string_pretty(&p).unwrap());
}

#[test]
fn lookups() {
    let org = input(&["b", "a"], &["lib"], &[("b", "a")]);
    let p = plan(&org, &Policy::default()).unwrap();
    assert_eq!(p.wave_of("a"), Some(0));
    assert_eq!(p.wave_of("b"), Some(1));
    assert_eq!(p.wave_of("lib"), None);
    assert_eq!(
        p.unit_of("b").map(|u| u.repos.clone()),
        Some(strings(&["b"]))
    );
    assert_eq!(
        p.wave_index().into_iter().collect::<Vec<_>>(),
        [("a", 0), ("b", 1)]
    );
    assert_eq!(p.repo_count(), 2);
}
