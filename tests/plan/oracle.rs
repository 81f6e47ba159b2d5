//! The invariant oracle: recomputes, by brute force from the input and the
//! policy's documented semantics, what any plan must satisfy, and asserts it.
//! Quadratic and more; meant for graphs of tens (properties) or, through
//! [`check_light`], thousands of repositories.

use std::collections::{BTreeMap, BTreeSet};

use wavebump::plan::{Plan, PlanInput, Policy, WaveSizes};

/// Repository names and the consumer graph, as the oracle sees them.
struct Model {
    names: Vec<String>,
    planned: Vec<bool>,
    adj: Vec<BTreeSet<usize>>,
}

fn model(input: &PlanInput, policy: &Policy) -> Model {
    let mut set = BTreeSet::new();
    for r in &input.repos {
        set.insert(r.name.clone());
    }
    for e in &input.edges {
        set.insert(e.from.clone());
        set.insert(e.to.clone());
    }
    let names: Vec<String> = set.into_iter().collect();
    let id = |n: &str| names.binary_search_by(|x| x.as_str().cmp(n)).unwrap();
    let mut planned = vec![false; names.len()];
    for r in &input.repos {
        planned[id(&r.name)] |= r.needs_pr;
    }
    let mut adj = vec![BTreeSet::new(); names.len()];
    if policy.order_by_graph {
        for e in &input.edges {
            let (a, b) = (id(&e.from), id(&e.to));
            if a != b {
                adj[a].insert(b);
            }
        }
    }
    Model {
        names,
        planned,
        adj,
    }
}

/// Transitive closure (excluding the trivial path) of `adj`.
fn closure(adj: &[BTreeSet<usize>]) -> Vec<BTreeSet<usize>> {
    (0..adj.len())
        .map(|s| {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<usize> = adj[s].iter().copied().collect();
            while let Some(x) = stack.pop() {
                if seen.insert(x) {
                    stack.extend(adj[x].iter().copied());
                }
            }
            seen
        })
        .collect()
}

/// The expected classes: configured groups (planned members) and mutually
/// reachable nodes merged to a fixpoint on the quotient graph. Returns the
/// class of each node and the class-level closure.
fn classes(m: &Model, policy: &Policy) -> (Vec<usize>, Vec<BTreeSet<usize>>) {
    let n = m.names.len();
    let mut class: Vec<usize> = (0..n).collect();
    let id = |name: &str| m.names.binary_search_by(|x| x.as_str().cmp(name)).ok();
    for group in &policy.lockstep {
        let ids: Vec<usize> = group
            .iter()
            .filter_map(|g| id(g))
            .filter(|&i| m.planned[i])
            .collect();
        if let Some(&first) = ids.first() {
            let target = class[first];
            for &i in &ids {
                let old = class[i];
                for c in class.iter_mut() {
                    if *c == old {
                        *c = target;
                    }
                }
            }
        }
    }
    loop {
        // Quotient graph over current class labels.
        let mut qadj = vec![BTreeSet::new(); n];
        for a in 0..n {
            for &b in &m.adj[a] {
                if class[a] != class[b] {
                    qadj[class[a]].insert(class[b]);
                }
            }
        }
        let reach = closure(&qadj);
        let mut changed = false;
        for a in 0..n {
            for b in 0..n {
                let (ca, cb) = (class[a], class[b]);
                if ca != cb && reach[ca].contains(&cb) && reach[cb].contains(&ca) {
                    for c in class.iter_mut() {
                        if *c == cb {
                            *c = ca;
                        }
                    }
                    changed = true;
                }
            }
        }
        if !changed {
            return (class, reach);
        }
    }
}

/// The documented repository glob, written independently of
/// `wavebump::names::Glob` (recursive, no compilation): ASCII case ignored;
/// `*` any run of characters other than `/`, `?` one such character,
/// `[a-z]` / `[!a-z]` one character of (not of) a class; a pattern without
/// `/` is matched against the name part of `owner/name`.
pub fn glob_matches(pattern: &str, repo: &str) -> bool {
    let subject = if pattern.contains('/') {
        repo
    } else {
        repo.rsplit('/').next().unwrap()
    };
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let t: Vec<char> = subject.chars().map(|c| c.to_ascii_lowercase()).collect();
    glob(&p, &t)
}

fn glob(p: &[char], t: &[char]) -> bool {
    match (p.first(), t.first()) {
        (None, None) => true,
        (Some('*'), _) => {
            glob(&p[1..], t) || (t.first().is_some_and(|&c| c != '/') && glob(p, &t[1..]))
        }
        (Some('?'), Some(&c)) => c != '/' && glob(&p[1..], &t[1..]),
        (Some('['), Some(&c)) => {
            let negated = matches!(p.get(1), Some('!' | '^'));
            let start = 1 + usize::from(negated);
            // The first character of a class may be `]`.
            let close = start + 1 + p[start + 1..].iter().position(|&x| x == ']').unwrap();
            let body = &p[start..close];
            let mut hit = false;
            let mut k = 0;
            while k < body.len() {
                if k + 2 < body.len() && body[k + 1] == '-' {
                    hit |= (body[k]..=body[k + 2]).contains(&c);
                    k += 3;
                } else {
                    hit |= body[k] == c;
                    k += 1;
                }
            }
            c != '/' && hit != negated && glob(&p[close + 1..], &t[1..])
        }
        (Some(a), Some(b)) if a == b => glob(&p[1..], &t[1..]),
        _ => false,
    }
}

/// The documented tier of a repository: the first tier with a pattern
/// matching it.
pub fn tier_of(policy: &Policy, name: &str) -> Option<usize> {
    policy
        .tiers
        .iter()
        .position(|t| t.patterns.iter().any(|p| glob_matches(p, name)))
}

/// The documented rank of a repository: untiered -> 0, first matching tier
/// `t` -> `t + 1` (so the last, critical tier goes last).
fn member_rank(policy: &Policy, name: &str) -> usize {
    tier_of(policy, name).map_or(0, |t| t + 1)
}

/// The documented capacity of sized wave `j`.
pub fn capacity(policy: &Policy, j: usize, placed: usize, total: usize) -> usize {
    let raw = match &policy.wave_sizes {
        WaveSizes::Counts(c) => c[j.min(c.len() - 1)],
        WaveSizes::CumulativePercent(p) => {
            let last = *p.last().unwrap();
            let prev = if p.len() >= 2 { p[p.len() - 2] } else { 0.0 };
            let cum = if j < p.len() {
                p[j]
            } else {
                (last + (last - prev) * (j + 1 - p.len()) as f64).min(100.0)
            };
            let target = (cum * total as f64 / 100.0 - 1e-9).ceil() as usize;
            target.saturating_sub(placed)
        }
    };
    policy.max_wave_size.map_or(raw, |m| raw.min(m)).max(1)
}

/// Structural checks every plan must pass: each planned repository exactly
/// once, nothing else, indices, ordering, reason prefixes, ETA. Returns each
/// repository's wave.
pub fn check_shape(input: &PlanInput, policy: &Policy, plan: &Plan) -> BTreeMap<String, usize> {
    let mut planned = BTreeSet::new();
    for r in input.repos.iter().filter(|r| r.needs_pr) {
        planned.insert(r.name.clone());
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let per_wave = policy.ci_duration + policy.soak;
    for (i, wave) in plan.waves.iter().enumerate() {
        assert_eq!(wave.index, i, "wave index");
        assert!(!wave.units.is_empty(), "wave {i} is empty");
        assert_eq!(wave.eta, per_wave * (i as u32 + 1), "eta of wave {i}");
        let firsts: Vec<&String> = wave.units.iter().map(|u| &u.repos[0]).collect();
        assert!(
            firsts.windows(2).all(|w| w[0] < w[1]),
            "units of wave {i} in name order: {firsts:?}"
        );
        for unit in &wave.units {
            assert!(!unit.repos.is_empty());
            assert!(
                unit.repos.windows(2).all(|w| w[0] < w[1]),
                "repos sorted: {:?}",
                unit.repos
            );
            let prefix = format!("wave {i}: {} -- ", unit.repos.join(", "));
            assert!(
                unit.reason.starts_with(&prefix),
                "reason {:?} starts with {prefix:?}",
                unit.reason
            );
            for r in &unit.repos {
                assert!(planned.contains(r), "{r} is in the plan but needs no PR");
                assert!(seen.insert(r.clone(), i).is_none(), "{r} is planned twice");
            }
        }
    }
    let missing: Vec<_> = planned.iter().filter(|r| !seen.contains_key(*r)).collect();
    assert!(missing.is_empty(), "not planned: {missing:?}");
    seen
}

/// Every invariant of the planner, by brute force.
pub fn check(input: &PlanInput, policy: &Policy, plan: &Plan) {
    let wave_of = check_shape(input, policy, plan);
    let m = model(input, policy);
    let (class, reach) = classes(&m, policy);
    let n = m.names.len();
    let wave = |i: usize| wave_of[&m.names[i]];
    for (r, w) in &wave_of {
        assert_eq!(plan.wave_of(r), Some(*w));
    }

    // Units are exactly the expected classes' planned members.
    let mut expected: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for i in (0..n).filter(|&i| m.planned[i]) {
        expected
            .entry(class[i])
            .or_default()
            .push(m.names[i].clone());
    }
    let mut want: Vec<Vec<String>> = expected.values().cloned().collect();
    let mut got: Vec<Vec<String>> = plan.units().map(|u| u.repos.clone()).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "units");

    // Planned classes, their rank, canary status and dependencies.
    let pclasses: BTreeSet<usize> = (0..n).filter(|&i| m.planned[i]).map(|i| class[i]).collect();
    let canary_set: BTreeSet<&str> = policy.canaries.iter().map(String::as_str).collect();
    let (class_ref, m_ref) = (&class, &m);
    let members = |c: usize| (0..n).filter(move |&i| class_ref[i] == c && m_ref.planned[i]);
    let is_canary = |c: usize| members(c).any(|i| canary_set.contains(m.names[i].as_str()));
    let cwave = |c: usize| wave(members(c).next().unwrap());
    let own = |c: usize| {
        if is_canary(c) {
            0
        } else {
            members(c)
                .map(|i| member_rank(policy, &m.names[i]))
                .max()
                .unwrap()
        }
    };
    let deps = |c: usize| {
        reach[c]
            .iter()
            .copied()
            .filter(|d| pclasses.contains(d))
            .collect::<Vec<_>>()
    };

    // Dependency order (through unplanned repositories and groups too).
    for &c in &pclasses {
        for d in deps(c) {
            assert!(
                cwave(d) < cwave(c),
                "{} (wave {}) depends on {} (wave {})",
                m.names[c],
                cwave(c),
                m.names[d],
                cwave(d)
            );
        }
    }

    // Canaries.
    let canaries: Vec<usize> = pclasses.iter().copied().filter(|&c| is_canary(c)).collect();
    let free: BTreeSet<usize> = canaries
        .iter()
        .copied()
        .filter(|&c| deps(c).is_empty())
        .collect();
    let wave0: BTreeSet<usize> = pclasses
        .iter()
        .copied()
        .filter(|&c| cwave(c) == 0)
        .collect();
    if !free.is_empty() {
        assert_eq!(
            wave0, free,
            "wave 0 is exactly the canaries that depend on nothing planned"
        );
    }
    // Canaries and their providers go ahead of everything else: between the
    // first wave their dependencies allow and their own, only such units.
    let boosted = |c: usize| is_canary(c) || canaries.iter().any(|&k| reach[k].contains(&c));
    let first_sized = usize::from(!free.is_empty());
    for &c in pclasses
        .iter()
        .filter(|&&c| boosted(c) && !free.contains(&c))
    {
        let earliest = deps(c)
            .iter()
            .map(|&d| cwave(d) + 1)
            .max()
            .unwrap_or(first_sized);
        for &o in &pclasses {
            if (earliest..cwave(c)).contains(&cwave(o)) {
                assert!(
                    boosted(o),
                    "canary-related {} waits in wave {} behind {} which is not canary-related",
                    m.names[c],
                    cwave(c),
                    m.names[o]
                );
            }
        }
    }

    // Tiers: effective ranks order the waves.
    let eff = |c: usize| {
        pclasses
            .iter()
            .copied()
            .filter(|&v| reach[v].contains(&c))
            .map(own)
            .chain([own(c)])
            .min()
            .unwrap()
    };
    let effs: BTreeMap<usize, usize> = pclasses.iter().map(|&c| (c, eff(c))).collect();
    for (&a, &ea) in &effs {
        for (&b, &eb) in &effs {
            if ea < eb {
                assert!(
                    cwave(a) < cwave(b),
                    "rank {ea} unit {} (wave {}) before rank {eb} unit {} (wave {})",
                    m.names[a],
                    cwave(a),
                    m.names[b],
                    cwave(b)
                );
            }
        }
    }

    // Sizes.
    let canary_wave = !free.is_empty();
    let total: usize = plan.repo_count();
    let first = usize::from(canary_wave);
    let sized_total = total
        - if canary_wave {
            plan.waves[0].repo_count()
        } else {
            0
        };
    let mut placed = 0;
    for (j, w) in plan.waves.iter().skip(first).enumerate() {
        let cap = capacity(policy, j, placed, sized_total);
        let count = w.repo_count();
        if count > cap {
            assert_eq!(
                w.units.len(),
                1,
                "wave {} has {count} repos, capacity {cap}",
                w.index
            );
            assert!(
                w.units[0].reason.contains("kept whole"),
                "{}",
                w.units[0].reason
            );
        }
        placed += count;
    }
}

/// The checks that stay cheap at thousands of repositories: shape, direct
/// edges in dependency order, and sizes under a count policy.
pub fn check_light(input: &PlanInput, policy: &Policy, plan: &Plan) {
    let wave_of = check_shape(input, policy, plan);
    let index = plan.wave_index();
    assert_eq!(index.len(), wave_of.len());
    let unit: BTreeMap<&str, usize> = plan
        .units()
        .enumerate()
        .flat_map(|(i, u)| u.repos.iter().map(move |r| (r.as_str(), i)))
        .collect();
    for e in &input.edges {
        if let (Some(a), Some(b)) = (wave_of.get(&e.from), wave_of.get(&e.to)) {
            let same = unit.get(e.from.as_str()) == unit.get(e.to.as_str());
            assert!(
                same || b < a,
                "{} (wave {a}) consumes {} (wave {b})",
                e.from,
                e.to
            );
        }
    }
}
