//! Tiers as `config.example.yaml` documents them: a repository belongs to
//! the *first* tier whose globs match it, repositories matching no tier come
//! first, and dependency order still beats tiers. The example from issue 13
//! plus property tests over random graphs and overlapping tiers.

use std::collections::BTreeSet;

use proptest::prelude::*;

use wavebump::plan::{Edge, Plan, PlanInput, Policy, RepoInput, Tier, WaveSizes, plan};

use super::{input, oracle, strings};

fn tier(name: &str, patterns: &[&str]) -> Tier {
    Tier {
        name: name.into(),
        patterns: strings(patterns),
    }
}

fn reason<'a>(p: &'a Plan, repo: &str) -> &'a str {
    p.units()
        .find(|u| u.repos.iter().any(|r| r == repo))
        .map(|u| u.reason.as_str())
        .unwrap()
}

/// Tried as a new user would: `billing-service` matches both tiers and
/// belongs to the first; the untiered `web` goes before every tier.
#[test]
fn first_matching_tier_and_untiered_first() {
    let org = input(
        &["billing-service", "billing-lib", "web", "auth-service"],
        &[],
        &[],
    );
    let policy = Policy {
        tiers: vec![
            tier("services", &["*-service"]),
            tier("billing", &["billing-*"]),
        ],
        wave_sizes: WaveSizes::Counts(vec![10]),
        ..Policy::default()
    };
    let p = plan(&org, &policy).unwrap();
    oracle::check(&org, &policy, &p);
    assert_eq!(p.wave_of("web"), Some(0));
    assert_eq!(p.wave_of("billing-service"), Some(1));
    assert_eq!(p.wave_of("auth-service"), Some(1));
    assert_eq!(p.wave_of("billing-lib"), Some(2));
    assert!(
        reason(&p, "billing-service").contains("tier `services`"),
        "{p:?}"
    );
    assert!(
        reason(&p, "billing-lib").contains("critical tier `billing`"),
        "{p:?}"
    );
}

/// The planner matches tier globs like the config does: ignoring case, a
/// pattern without `/` against the name part, `*` not crossing `/`.
#[test]
fn tier_globs_match_like_the_config() {
    let org = input(
        &["acme/Billing-Service", "acme/web", "acme/tools/x"],
        &[],
        &[],
    );
    let policy = Policy {
        tiers: vec![tier("services", &["*-service"]), tier("owner", &["acme/*"])],
        wave_sizes: WaveSizes::Counts(vec![10]),
        ..Policy::default()
    };
    let p = plan(&org, &policy).unwrap();
    assert_eq!(
        p.wave_of("acme/tools/x"),
        Some(0),
        "`acme/*` does not cross `/`"
    );
    assert_eq!(p.wave_of("acme/Billing-Service"), Some(1));
    assert_eq!(p.wave_of("acme/web"), Some(2));
    // A literal pattern names a repository the same way.
    let policy = Policy {
        tiers: vec![tier("one", &["BILLING-SERVICE"])],
        wave_sizes: WaveSizes::Counts(vec![10]),
        ..Policy::default()
    };
    let p = plan(&org, &policy).unwrap();
    assert_eq!(p.wave_of("acme/Billing-Service"), Some(1));
}

/// Dependency order beats tiers: an untiered consumer of a tiered provider
/// waits for it, and the provider is pulled forward.
#[test]
fn dependency_order_beats_tiers() {
    let org = input(&["web", "billing-lib"], &[], &[("web", "billing-lib")]);
    let policy = Policy {
        tiers: vec![tier("libs", &["*-lib"])],
        wave_sizes: WaveSizes::Counts(vec![10]),
        ..Policy::default()
    };
    let p = plan(&org, &policy).unwrap();
    oracle::check(&org, &policy, &p);
    assert_eq!(p.wave_of("billing-lib"), Some(0));
    assert_eq!(p.wave_of("web"), Some(1));
    assert!(reason(&p, "billing-lib").contains("pulled forward: web depends on it"));
}

const STEMS: [&str; 4] = ["billing", "auth", "web", "core"];
const KINDS: [&str; 4] = ["service", "lib", "api", "Service"];

/// A repository name: mixed case, sometimes with an owner.
fn name(i: usize) -> String {
    let base = format!("{}-{}{i}", STEMS[i % 4], KINDS[(i / 4) % 4]);
    if i.is_multiple_of(3) {
        format!("acme/{base}")
    } else {
        base
    }
}

/// Overlapping globs: by stem, by kind, by owner, case-shifted.
fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..4usize).prop_map(|s| format!("{}-*", STEMS[s])),
        (0..4usize).prop_map(|k| format!("*-{}*", KINDS[k])),
        (0..4usize).prop_map(|s| format!("{}-*", STEMS[s].to_uppercase())),
        Just("acme/*".to_owned()),
        Just("*-[ab]*".to_owned()),
        Just("*e*".to_owned()),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    input: PlanInput,
    policy: Policy,
}

/// Random DAGs (`consumer > provider` by index), overlapping tiers, no
/// canaries and no lockstep groups, so each repository is its own unit.
fn case() -> impl Strategy<Value = Case> {
    (2usize..20).prop_flat_map(|n| {
        (
            prop::collection::vec((0..n, 0..n), 0..n),
            prop::collection::vec(prop::collection::vec(pattern(), 1..3), 1..4),
            prop::collection::vec(1usize..5, 1..3),
        )
            .prop_map(move |(pairs, tiers, sizes)| Case {
                input: PlanInput {
                    repos: (0..n).map(|i| RepoInput::planned(name(i))).collect(),
                    edges: pairs
                        .iter()
                        .filter(|(a, b)| a != b)
                        .map(|&(a, b)| Edge::new(name(a.max(b)), name(a.min(b))))
                        .collect(),
                },
                policy: Policy {
                    tiers: tiers
                        .into_iter()
                        .enumerate()
                        .map(|(t, patterns)| Tier {
                            name: format!("tier{t}"),
                            patterns,
                        })
                        .collect(),
                    wave_sizes: WaveSizes::Counts(sizes),
                    ..Policy::default()
                },
            })
    })
}

/// Planned repositories that `repo` reaches through edges (its providers,
/// transitively).
fn providers(input: &PlanInput, repo: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![repo.to_owned()];
    while let Some(r) = todo.pop() {
        for e in input.edges.iter().filter(|e| e.from == r) {
            if seen.insert(e.to.clone()) {
                todo.push(e.to.clone());
            }
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// A repository's reason names the first tier whose globs match it (as
    /// the independent oracle glob computes), and an untiered one names none.
    #[test]
    fn a_repository_belongs_to_the_first_matching_tier(c in case()) {
        let p = plan(&c.input, &c.policy).unwrap();
        oracle::check(&c.input, &c.policy, &p);
        let last = c.policy.tiers.len() - 1;
        for r in &c.input.repos {
            let why = reason(&p, &r.name);
            match oracle::tier_of(&c.policy, &r.name) {
                Some(t) => {
                    let kind = if t == last { "critical tier" } else { "tier" };
                    let want = format!("; {kind} `tier{t}`");
                    prop_assert!(why.contains(&want), "{} should say {want}: {why}", r.name);
                }
                None => prop_assert!(!why.contains("tier `"), "{} is untiered: {why}", r.name),
            }
        }
    }

    /// Untiered repositories come before every tiered one, unless
    /// dependency order says otherwise (a tiered repository that an
    /// untiered one needs is pulled forward); dependency order always holds.
    #[test]
    fn untiered_repositories_come_first(c in case()) {
        let p = plan(&c.input, &c.policy).unwrap();
        let untiered: Vec<&str> = c
            .input
            .repos
            .iter()
            .map(|r| r.name.as_str())
            .filter(|r| oracle::tier_of(&c.policy, r).is_none())
            .collect();
        let needed_by_untiered: BTreeSet<String> =
            untiered.iter().flat_map(|u| providers(&c.input, u)).collect();
        for r in &c.input.repos {
            if oracle::tier_of(&c.policy, &r.name).is_none() || needed_by_untiered.contains(&r.name) {
                continue;
            }
            for u in &untiered {
                prop_assert!(
                    p.wave_of(u) < p.wave_of(&r.name),
                    "untiered {u} (wave {:?}) after tiered {} (wave {:?})",
                    p.wave_of(u),
                    r.name,
                    p.wave_of(&r.name)
                );
            }
        }
        for e in &c.input.edges {
            prop_assert!(p.wave_of(&e.to) < p.wave_of(&e.from), "{} before {}", e.to, e.from);
        }
    }
}
