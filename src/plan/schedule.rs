//! Wave assignment over the condensed graph: Kahn's algorithm, one wave at
//! a time, with an ordered ready set per rank.
//!
//! Ranks: a canary unit has rank 0; otherwise a unit takes the highest rank
//! of its repositories: untiered repositories have rank 0, tier `t` (its
//! first matching tier, counted from 0) rank `t + 1`, so the last (critical)
//! tier goes last. A unit's *effective* rank is the least rank among itself and
//! everything that depends on it (so a provider never waits for a later
//! tier than its consumers). Ranks are phases: every unit of effective rank
//! `r` is placed, in waves of its own, before any unit of a higher one. As
//! effective ranks never decrease from provider to consumer, each phase's
//! providers are placed by the time it starts.
//!
//! Within a phase a unit is ready once every provider is in a closed wave;
//! ready units are taken by (canary or provider of a canary first, then
//! repository name) until the wave's capacity is reached. Pass-through
//! classes (no planned repository) are resolved as soon as their providers
//! are, and carry the latest wave above them, so a path through an unplanned
//! repository still orders.
//!
//! Class ids index the per-class vectors; all are `< classes.len()` by
//! construction of [`Units`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::entries::Entries;
use super::graph::Graph;
use super::units::{Units, names};
use super::{Plan, PlannedUnit, Policy, Wave};

/// The latest planned wave a class must follow.
#[derive(Debug, Clone)]
struct Dep {
    wave: usize,
    /// Planned classes in that wave it (transitively) depends on, with the
    /// pass-through class the dependency goes through, by key.
    after: Vec<(usize, Option<usize>)>,
}

/// Ready-set key: (not boosted, unit key, class).
type ReadyKey = (bool, usize, usize);

struct Scheduler<'a> {
    graph: &'a Graph,
    units: &'a Units,
    policy: &'a Policy,
    tier_of: Vec<Option<usize>>,
    own: Vec<Option<usize>>,
    eff: Vec<usize>,
    witness: Vec<usize>,
    canary: Vec<bool>,
    canary_for: Vec<Option<usize>>,
    indeg: Vec<usize>,
    wave: Vec<Option<usize>>,
    level: Vec<Option<(usize, usize)>>,
    dep: Vec<Option<Dep>>,
    ready: BTreeMap<usize, BTreeSet<ReadyKey>>,
}

const NONE: usize = usize::MAX;

/// Place every unit of `units` in a wave.
pub(crate) fn schedule(
    graph: &Graph,
    units: &Units,
    entries: &Entries,
    policy: &Policy,
    warnings: &mut Vec<String>,
) -> Plan {
    let mut s = Scheduler::new(graph, units, entries, policy);
    let n = units.classes.len();
    let initial: Vec<usize> = (0..n).filter(|&c| s.indeg[c] == 0).collect();
    s.release(initial);

    let per_wave = policy.ci_duration.saturating_add(policy.soak);
    let mut waves: Vec<Wave> = Vec::new();

    // Wave 0: the canaries that depend on nothing planned.
    let canary_now: Vec<ReadyKey> = s
        .ready
        .get(&0)
        .map(|set| set.iter().filter(|k| s.canary[k.2]).copied().collect())
        .unwrap_or_default();
    let canary_wave = !canary_now.is_empty();
    let mut canary_repos = 0;
    if canary_wave {
        if let Some(set) = s.ready.get_mut(&0) {
            for key in &canary_now {
                set.remove(key);
            }
        }
        let members: Vec<usize> = canary_now.iter().map(|k| k.2).collect();
        canary_repos = members.iter().map(|&c| s.size(c)).sum();
        if let Some(max) = policy.max_wave_size.filter(|&m| canary_repos > m) {
            warnings.push(format!(
                "the canary wave has {canary_repos} repositories, more than max_wave_size {max}"
            ));
        }
        let reasons = Context {
            wave: 0,
            cap: canary_repos,
            phase_start: 0,
            first_sized: 0,
        };
        waves.push(s.close_wave(&members, &reasons, eta(per_wave, 0)));
    }

    let first_sized = usize::from(canary_wave);
    let total: usize = units.classes.iter().map(|c| c.planned.len()).sum();
    let sized_total = total - canary_repos;
    let mut placed = 0;
    while let Some((&rank, _)) = s.ready.iter().find(|(_, set)| !set.is_empty()) {
        let phase_start = waves.len();
        loop {
            let k = waves.len();
            let cap = policy.wave_capacity(k.saturating_sub(first_sized), placed, sized_total);
            let Some(set) = s.ready.get_mut(&rank) else {
                break;
            };
            let mut members = Vec::new();
            let mut count = 0;
            while let Some(&(_, _, c)) = set.first() {
                let size = s.units.classes[c].planned.len();
                if count > 0 && count + size > cap {
                    break;
                }
                set.pop_first();
                members.push(c);
                count += size;
                if count >= cap {
                    break;
                }
            }
            if members.is_empty() {
                break;
            }
            placed += count;
            let ctx = Context {
                wave: k,
                cap,
                phase_start,
                first_sized,
            };
            waves.push(s.close_wave(&members, &ctx, eta(per_wave, k)));
        }
        s.ready.remove(&rank);
    }
    debug_assert_eq!(
        placed + canary_repos,
        total,
        "every planned repository is placed"
    );

    for c in (0..n).filter(|&c| s.canary[c]) {
        if let (Some(w), Some(dep)) = (s.wave[c], &s.dep[c]) {
            warnings.push(format!(
                "canary {} cannot be in wave 0: it depends on {}; placed in wave {w}",
                s.label(c),
                s.after_list(dep),
            ));
        }
    }
    Plan {
        waves,
        warnings: std::mem::take(warnings),
    }
}

/// `(index + 1) * per_wave`, saturating.
fn eta(per_wave: Duration, index: usize) -> Duration {
    u32::try_from(index + 1)
        .ok()
        .and_then(|k| per_wave.checked_mul(k))
        .unwrap_or(Duration::MAX)
}

/// What the reasons of one wave need to know.
struct Context {
    wave: usize,
    cap: usize,
    phase_start: usize,
    first_sized: usize,
}

impl<'a> Scheduler<'a> {
    fn new(graph: &'a Graph, units: &'a Units, entries: &'a Entries, policy: &'a Policy) -> Self {
        let classes = &units.classes;
        let n = classes.len();
        let member_rank = |t: Option<usize>| t.map_or(0, |t| t + 1);
        let tier_at = |x: usize| entries.tier.get(x).copied().flatten();
        let canary: Vec<bool> = classes
            .iter()
            .map(|c| {
                c.planned
                    .iter()
                    .any(|&x| entries.canary.get(x).copied().unwrap_or(false))
            })
            .collect();
        let mut own = vec![None; n];
        let mut tier_of = vec![None; n];
        for (c, class) in classes.iter().enumerate() {
            let Some(rank) = class.planned.iter().map(|&x| member_rank(tier_at(x))).max() else {
                continue;
            };
            tier_of[c] = class
                .planned
                .iter()
                .filter_map(|&x| tier_at(x))
                .filter(|&t| member_rank(Some(t)) == rank)
                .max();
            own[c] = Some(if canary[c] { 0 } else { rank });
        }

        // Consumers have higher ids: walk down so they are done first.
        let mut eff = vec![NONE; n];
        let mut witness = vec![NONE; n];
        let mut canary_for: Vec<Option<usize>> = vec![None; n];
        for c in (0..n).rev() {
            let mut best: Option<(usize, usize, usize)> = None;
            let mut nearest: Option<(usize, usize)> = None;
            for &d in &classes[c].consumers {
                if eff[d] != NONE {
                    let w = witness[d];
                    let cand = (eff[d], classes[w].key(), w);
                    best = Some(best.map_or(cand, |b| b.min(cand)));
                }
                if let Some(cw) = if canary[d] { Some(d) } else { canary_for[d] } {
                    let cand = (classes[cw].key(), cw);
                    nearest = Some(nearest.map_or(cand, |b| b.min(cand)));
                }
            }
            canary_for[c] = nearest.map(|x| x.1);
            (eff[c], witness[c]) = match (own[c], best) {
                (Some(r), Some((e, _, w))) if e < r => (e, w),
                (Some(r), _) => (r, c),
                (None, Some((e, _, w))) => (e, w),
                (None, None) => (NONE, NONE),
            };
        }

        Self {
            graph,
            units,
            policy,
            tier_of,
            own,
            eff,
            witness,
            canary,
            canary_for,
            indeg: classes.iter().map(|c| c.providers.len()).collect(),
            wave: vec![None; n],
            level: vec![None; n],
            dep: vec![None; n],
            ready: BTreeMap::new(),
        }
    }

    fn size(&self, c: usize) -> usize {
        self.units.classes[c].planned.len()
    }

    /// Resolve classes whose providers are all placed: planned ones become
    /// ready, pass-through ones pass their level on at once.
    fn release(&mut self, mut work: Vec<usize>) {
        let classes = &self.units.classes;
        while let Some(c) = work.pop() {
            let mut best: Option<Dep> = None;
            for &p in &classes[c].providers {
                let (w, wit, via) = if classes[p].is_planned() {
                    match self.wave[p] {
                        Some(w) => (w, p, None),
                        None => continue,
                    }
                } else {
                    match self.level[p] {
                        Some((w, wit)) => (w, wit, Some(p)),
                        None => continue,
                    }
                };
                match &mut best {
                    Some(b) if w < b.wave => {}
                    Some(b) if w == b.wave => {
                        if !b.after.iter().any(|a| a.0 == wit) {
                            b.after.push((wit, via));
                        }
                    }
                    _ => {
                        best = Some(Dep {
                            wave: w,
                            after: vec![(wit, via)],
                        })
                    }
                }
            }
            if let Some(b) = &mut best {
                b.after.sort_by_key(|a| (classes[a.0].key(), a.1));
            }
            if classes[c].is_planned() {
                let boosted = self.canary[c] || self.canary_for[c].is_some();
                self.dep[c] = best;
                self.ready
                    .entry(self.eff[c])
                    .or_default()
                    .insert((!boosted, classes[c].key(), c));
            } else {
                self.level[c] = best.and_then(|b| b.after.first().map(|a| (b.wave, a.0)));
                for &d in &classes[c].consumers {
                    self.indeg[d] -= 1;
                    if self.indeg[d] == 0 {
                        work.push(d);
                    }
                }
            }
        }
    }

    /// Record `members` as wave `ctx.wave`, release their consumers and
    /// return the wave with every unit's reason.
    fn close_wave(&mut self, members: &[usize], ctx: &Context, eta: Duration) -> Wave {
        for &c in members {
            self.wave[c] = Some(ctx.wave);
        }
        let mut units: Vec<(usize, PlannedUnit)> = members
            .iter()
            .map(|&c| {
                let repos = self.units.classes[c]
                    .planned
                    .iter()
                    .map(|&x| self.graph.name(x).to_string())
                    .collect();
                let reason = self.reason(c, ctx, members.len() == 1);
                (self.units.classes[c].key(), PlannedUnit { repos, reason })
            })
            .collect();
        units.sort_by_key(|u| u.0);
        let mut work = Vec::new();
        for &c in members {
            for &d in &self.units.classes[c].consumers {
                self.indeg[d] -= 1;
                if self.indeg[d] == 0 {
                    work.push(d);
                }
            }
        }
        self.release(work);
        Wave {
            index: ctx.wave,
            units: units.into_iter().map(|u| u.1).collect(),
            eta,
        }
    }

    /// `a, b, c` for up to three repositories, `a, b, c and N more` beyond.
    fn label(&self, c: usize) -> String {
        let class = &self.units.classes[c];
        let list = if class.planned.is_empty() {
            &class.members
        } else {
            &class.planned
        };
        shorten(list.iter().map(|&x| self.graph.name(x)).collect())
    }

    /// `billing-lib (wave 1)`, `a, b (wave 1, through unplanned gateway)`.
    fn after_list(&self, dep: &Dep) -> String {
        let labels: Vec<String> = dep.after.iter().map(|a| self.label(a.0)).collect();
        let list = shorten(labels.iter().map(String::as_str).collect());
        match dep.after.first() {
            Some((_, Some(via))) => format!(
                "{list} (wave {}, through unplanned {})",
                dep.wave,
                self.label(*via)
            ),
            _ => format!("{list} (wave {})", dep.wave),
        }
    }

    fn reason(&self, c: usize, ctx: &Context, alone: bool) -> String {
        let class = &self.units.classes[c];
        let mut clauses: Vec<String> = Vec::new();
        if self.canary[c] {
            clauses.push(if self.dep[c].is_none() {
                "canary".to_string()
            } else {
                "canary, delayed by its providers".to_string()
            });
        } else if let Some(cf) = self.canary_for[c] {
            clauses.push(format!("provider of canary {}", self.label(cf)));
        }
        let earliest = match &self.dep[c] {
            Some(dep) => {
                clauses.push(format!("after {}", self.after_list(dep)));
                (dep.wave + 1).max(ctx.first_sized)
            }
            None => {
                if !self.canary[c] {
                    clauses.push("no planned providers".to_string());
                }
                ctx.first_sized
            }
        };
        let own = self.own[c].unwrap_or(0);
        let pulled = (!self.canary[c] && self.eff[c] < own).then(|| self.label(self.witness[c]));
        if let Some(t) = self.tier_of[c] {
            let name = self.policy.tiers.get(t).map_or("", |t| t.name.as_str());
            let kind = if t + 1 == self.policy.tiers.len() {
                "critical tier"
            } else {
                "tier"
            };
            let mut clause = format!("{kind} `{name}`");
            if self.canary[c] {
                clause.push_str(", overridden by canary");
            }
            clauses.push(clause);
        }
        if let Some(by) = pulled {
            clauses.push(format!("pulled forward: {by} depends on it"));
        }
        if ctx.phase_start > earliest {
            clauses.push("after earlier tiers".to_string());
        }
        if ctx.wave > earliest.max(ctx.phase_start) {
            clauses.push("earlier waves full".to_string());
        }
        if class.planned.len() > 1 {
            let why = match (class.configured, class.cycle) {
                (true, true) => "configured and dependency cycle",
                (true, false) => "configured",
                _ => "dependency cycle",
            };
            clauses.push(format!("lockstep group ({why})"));
            if alone && class.planned.len() > ctx.cap {
                clauses.push(format!(
                    "{} repositories exceed the wave size {}: kept whole",
                    class.planned.len(),
                    ctx.cap
                ));
            }
        }
        format!(
            "wave {}: {} -- {}",
            ctx.wave,
            self.label_full(c),
            clauses.join("; ")
        )
    }

    /// Every repository of the unit.
    fn label_full(&self, c: usize) -> String {
        names(self.graph, &self.units.classes[c].planned)
    }
}

fn shorten(list: Vec<&str>) -> String {
    match list.len() {
        0..=3 => list.join(", "),
        n => format!(
            "{} and {} more",
            list.get(..3).unwrap_or_default().join(", "),
            n - 3
        ),
    }
}
