//! Property tests: random graphs (DAG edges plus a few back edges that make
//! cycles, repositories known only through edges, unplanned repositories),
//! random lockstep groups, canaries, tiers and wave sizes; every plan must
//! pass the oracle, and any permutation of the input must give the same plan.

use proptest::prelude::*;

use wavebump::plan::{Edge, PlanInput, Policy, RepoInput, Tier, WaveSizes, plan};

use super::oracle;

const WORDS: [&str; 6] = ["web", "api", "billing", "core", "auth", "pay"];

/// A repository name whose order differs from its index (so name order is
/// not topological order).
fn name(i: usize) -> String {
    format!("{}-{}", WORDS[(i * 7 + 3) % WORDS.len()], i)
}

#[derive(Debug, Clone)]
struct Case {
    input: PlanInput,
    policy: Policy,
}

fn sizes() -> impl Strategy<Value = WaveSizes> {
    prop_oneof![
        prop::collection::vec(1usize..6, 1..4).prop_map(WaveSizes::Counts),
        (prop::collection::btree_set(1u32..=100, 1..4), any::<bool>()).prop_map(|(set, full)| {
            let mut v: Vec<f64> = set.into_iter().map(f64::from).collect();
            if full && v.last() != Some(&100.0) {
                v.push(100.0);
            }
            WaveSizes::CumulativePercent(v)
        }),
    ]
}

/// A tier pattern: a known name (literal) or a glob.
fn pattern(n: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        (0..n).prop_map(name),
        (0..WORDS.len()).prop_map(|w| format!("{}-*", WORDS[w])),
        (0..10usize).prop_map(|d| format!("*-{d}")),
        (0..WORDS.len()).prop_map(|w| format!("{}-?", WORDS[w])),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (2usize..28).prop_flat_map(|n| {
        let graph = (
            prop::collection::vec((0..n, 0..n), 0..2 * n),
            prop::collection::vec((0..n, 0..n), 0..3),
            prop::collection::vec(prop::bool::weighted(0.8), n),
            prop::collection::vec(prop::bool::weighted(0.9), n),
        );
        let policy = (
            prop::collection::vec(0..n, 0..3),
            prop::collection::vec(prop::collection::vec(0..n, 1..4), 0..3),
            prop::collection::vec(prop::collection::vec(pattern(n), 1..3), 0..4),
            sizes(),
            prop::option::of(1usize..8),
            prop::bool::weighted(0.9),
        );
        (graph, policy).prop_map(
            move |(
                (dag, back, needs, listed),
                (canaries, groups, tiers, wave_sizes, max, ordered),
            )| {
                let mut edges: Vec<Edge> = dag
                    .iter()
                    .filter(|(a, b)| a != b)
                    .map(|&(a, b)| Edge::new(name(a.max(b)), name(a.min(b))))
                    .collect();
                edges.extend(
                    back.iter()
                        .map(|&(a, b)| Edge::new(name(a.min(b)), name(a.max(b)))),
                );
                // A node absent from `repos` is known only through an edge; if
                // it has none it does not exist at all, so keep policy entries
                // to listed nodes or edge ends.
                let mut known: Vec<bool> = listed.clone();
                for &(a, b) in dag.iter().chain(&back) {
                    if a != b {
                        known[a] = true;
                        known[b] = true;
                    }
                }
                let repos = (0..n)
                    .filter(|&i| listed[i])
                    .map(|i| RepoInput {
                        name: name(i),
                        needs_pr: needs[i],
                    })
                    .collect();
                let pick = |ids: &[usize]| {
                    ids.iter()
                        .filter(|&&i| known[i])
                        .map(|&i| name(i))
                        .collect::<Vec<_>>()
                };
                let policy = Policy {
                    canaries: pick(&canaries),
                    lockstep: groups
                        .iter()
                        .map(|g| pick(g))
                        .filter(|g| !g.is_empty())
                        .collect(),
                    tiers: tiers
                        .iter()
                        .enumerate()
                        .map(|(t, pats)| Tier {
                            name: format!("tier{t}"),
                            patterns: pats
                                .iter()
                                .filter(|p| {
                                    p.contains(['*', '?'])
                                        || known
                                            .iter()
                                            .enumerate()
                                            .any(|(i, k)| *k && name(i) == **p)
                                })
                                .cloned()
                                .collect(),
                        })
                        .collect(),
                    wave_sizes,
                    max_wave_size: max,
                    order_by_graph: ordered,
                    ..Policy::default()
                };
                Case {
                    input: PlanInput { repos, edges },
                    policy,
                }
            },
        )
    })
}

/// Deterministic Fisher-Yates driven by `seed`.
fn shuffle<T>(v: &mut [T], seed: &mut u64) {
    for i in (1..v.len()).rev() {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (*seed >> 33) as usize % (i + 1);
        v.swap(i, j);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Exactly once, units, dependency order, lockstep, canaries, tiers,
    /// sizes, ETA: the whole oracle.
    #[test]
    fn every_plan_keeps_the_invariants(c in case()) {
        let p = plan(&c.input, &c.policy).unwrap();
        oracle::check(&c.input, &c.policy, &p);
    }

    /// The same repositories, edges and policy in any order, with duplicates,
    /// give the same plan, warnings included.
    #[test]
    fn permutation_gives_the_same_plan(c in case(), seed in any::<u64>()) {
        let p = plan(&c.input, &c.policy).unwrap();
        let mut seed = seed;
        let mut input = c.input.clone();
        let mut policy = c.policy.clone();
        if let Some(e) = input.edges.first().cloned() {
            input.edges.push(e);
        }
        if let Some(r) = input.repos.iter().find(|r| !r.needs_pr).cloned() {
            input.repos.push(r);
        }
        shuffle(&mut input.repos, &mut seed);
        shuffle(&mut input.edges, &mut seed);
        shuffle(&mut policy.canaries, &mut seed);
        for g in &mut policy.lockstep {
            shuffle(g, &mut seed);
        }
        shuffle(&mut policy.lockstep, &mut seed);
        for t in &mut policy.tiers {
            shuffle(&mut t.patterns, &mut seed);
        }
        let q = plan(&input, &policy).unwrap();
        prop_assert_eq!(p, q);
    }
}
