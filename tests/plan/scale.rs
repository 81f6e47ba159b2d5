//! 5,000 units: correctness only (timing belongs to the benchmark). A
//! layered organisation: libraries consuming lower layers, services
//! consuming libraries, a few unplanned intermediaries, lockstep groups,
//! canaries, a critical tier.

use wavebump::plan::{Edge, PlanInput, Policy, RepoInput, Tier, WaveSizes, plan};

use super::oracle;

fn org(n: usize) -> (PlanInput, Policy) {
    let mut seed = 0x5eed_u64;
    let mut next = move |m: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % m
    };
    let name = |i: usize| {
        if i.is_multiple_of(10) {
            format!("payments-{i:05}")
        } else {
            format!("svc-{i:05}")
        }
    };
    let mut repos: Vec<RepoInput> = (0..n)
        .map(|i| RepoInput {
            name: name(i),
            needs_pr: i % 97 != 5,
        })
        .collect();
    repos.push(RepoInput::unplanned("core-utils"));
    let mut edges = Vec::new();
    for i in 0..n {
        edges.push(Edge::new(name(i), "core-utils"));
        // Each repository consumes up to three lower-numbered ones.
        for _ in 0..next(4) {
            if i > 0 {
                edges.push(Edge::new(name(i), name(next(i))));
            }
        }
    }
    // A few cycles.
    for k in 0..5 {
        let (a, b) = (k * 900 + 11, k * 900 + 13);
        edges.push(Edge::new(name(a), name(b)));
        edges.push(Edge::new(name(b), name(a)));
    }
    let policy = Policy {
        canaries: vec![name(1), name(2), name(3)],
        lockstep: vec![
            vec![name(4001), name(4002), name(4003)],
            vec![name(4503), name(4507)],
        ],
        tiers: vec![Tier {
            name: "payments".into(),
            patterns: vec!["payments-*".into()],
        }],
        wave_sizes: WaveSizes::CumulativePercent(vec![1.0, 5.0, 25.0]),
        max_wave_size: Some(500),
        ..Policy::default()
    };
    (PlanInput { repos, edges }, policy)
}

#[test]
fn five_thousand_units_keep_the_invariants() {
    let (input, policy) = org(5_000);
    let p = plan(&input, &policy).unwrap();
    oracle::check_light(&input, &policy, &p);
    let planned = input.repos.iter().filter(|r| r.needs_pr).count();
    assert_eq!(p.repo_count(), planned);
    let cap = 500;
    for w in &p.waves {
        assert!(
            w.repo_count() <= cap || w.units.len() == 1,
            "wave {} too large",
            w.index
        );
    }
    assert!(
        p.warnings
            .iter()
            .filter(|w| w.starts_with("dependency cycle"))
            .count()
            >= 5
    );
}
