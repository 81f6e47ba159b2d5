//! Units: what moves as one. Configured lockstep groups, dependency cycles
//! and groups joined by a cycle through the graph are merged into classes;
//! the classes form the condensed consumer graph, a DAG.
//!
//! Invariants of [`Units`]: every graph node is in exactly one class; class
//! ids are a topological order with providers first (`p < c` for every class
//! edge `c -> p`); a class's planned members are the repositories of one
//! unit (a class without any is a pass-through node: it orders but is not
//! planned); two planned repositories that reach each other in the graph, or
//! that share a configured lockstep group, are in the same class.

use super::graph::{Graph, UnionFind, strongly_connected};

/// One node of the condensed graph.
#[derive(Debug, Clone, Default)]
pub(crate) struct Class {
    /// Every member (node ids, sorted), planned or not.
    pub members: Vec<usize>,
    /// Planned members (node ids, sorted): the unit's repositories.
    pub planned: Vec<usize>,
    /// Classes this one requires packages of (sorted, unique).
    pub providers: Vec<usize>,
    /// Classes that require this one (sorted, unique).
    pub consumers: Vec<usize>,
    /// Formed (partly) by a dependency cycle.
    pub cycle: bool,
    /// Formed (partly) by a configured lockstep group of two or more.
    pub configured: bool,
}

impl Class {
    /// The unit's key for ordering: its smallest planned node id (i.e. its
    /// first repository name), or `usize::MAX` for a pass-through class.
    pub fn key(&self) -> usize {
        self.planned.first().copied().unwrap_or(usize::MAX)
    }

    pub fn is_planned(&self) -> bool {
        !self.planned.is_empty()
    }
}

/// The condensed graph.
#[derive(Debug, Clone)]
pub(crate) struct Units {
    pub classes: Vec<Class>,
}

/// Group `graph`'s nodes into classes; warn about every cycle that touches a
/// planned repository and every configured group merged through the graph.
pub(crate) fn build(graph: &Graph, lockstep: &[Vec<usize>], warnings: &mut Vec<String>) -> Units {
    let n = graph.names.len();
    let mut uf = UnionFind::new(n);
    let mut in_cycle = vec![false; n];

    // Pass 1: cycles of the consumer graph itself.
    let (comp, count) = strongly_connected(&graph.providers);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (node, &c) in comp.iter().enumerate() {
        if let Some(list) = members.get_mut(c) {
            list.push(node);
        }
    }
    let mut cycles: Vec<&Vec<usize>> = members
        .iter()
        .filter(|m| m.len() > 1 && m.iter().any(|&x| graph.is_planned(x)))
        .collect();
    cycles.sort();
    for cycle in cycles {
        warnings.push(format!(
            "dependency cycle between {}: they move as one lockstep unit (a \"distributed monolith\" smell)",
            names(graph, cycle)
        ));
    }
    for m in members.iter().filter(|m| m.len() > 1) {
        for w in m.windows(2) {
            if let [a, b] = w {
                uf.union(*a, *b);
            }
        }
        for &x in m {
            in_cycle[x] = true;
        }
    }

    // Configured groups (planned members only, resolved by the caller).
    let mut configured = vec![false; n];
    for group in lockstep.iter().filter(|g| g.len() > 1) {
        for w in group.windows(2) {
            if let [a, b] = w {
                uf.union(*a, *b);
            }
        }
        for &x in group {
            configured[x] = true;
        }
    }

    // Pass 2: the quotient graph may still have cycles (a group whose
    // members depend on each other through other repositories).
    let mut qid = vec![usize::MAX; n];
    let mut reps = 0;
    for (node, slot) in qid.iter_mut().enumerate() {
        if uf.find(node) == node {
            *slot = reps;
            reps += 1;
        }
    }
    let q_of: Vec<usize> = (0..n).map(|x| qid[uf.find(x)]).collect();
    let mut q_nodes: Vec<Vec<usize>> = vec![Vec::new(); reps];
    for (node, &q) in q_of.iter().enumerate() {
        q_nodes[q].push(node);
    }
    let mut qadj = vec![Vec::new(); reps];
    for (from, providers) in graph.providers.iter().enumerate() {
        for &to in providers {
            let (a, b) = (q_of[from], q_of[to]);
            if a != b {
                qadj[a].push(b);
            }
        }
    }
    for list in &mut qadj {
        list.sort_unstable();
        list.dedup();
    }
    let (qcomp, ccount) = strongly_connected(&qadj);
    let mut q_members: Vec<Vec<usize>> = vec![Vec::new(); ccount];
    for (q, &c) in qcomp.iter().enumerate() {
        q_members[c].push(q);
    }
    for qs in q_members.iter().filter(|qs| qs.len() > 1) {
        let parts: Vec<String> = qs
            .iter()
            .map(|&q| {
                let nodes = &q_nodes[q];
                if nodes.len() > 1 {
                    format!("({})", names(graph, nodes))
                } else {
                    names(graph, nodes)
                }
            })
            .collect();
        warnings.push(format!(
            "{} depend on each other through the consumer graph: merged into one lockstep unit",
            parts.join(" and ")
        ));
    }

    let mut classes: Vec<Class> = vec![Class::default(); ccount];
    for node in 0..n {
        let c = qcomp[q_of[node]];
        let class = &mut classes[c];
        class.members.push(node);
        if graph.is_planned(node) {
            class.planned.push(node);
        }
        class.cycle |= in_cycle[node] || q_members[c].len() > 1;
        class.configured |= configured[node];
    }
    for (from, providers) in graph.providers.iter().enumerate() {
        let a = qcomp[q_of[from]];
        for &to in providers {
            let b = qcomp[q_of[to]];
            if a != b {
                classes[a].providers.push(b);
                classes[b].consumers.push(a);
            }
        }
    }
    for class in &mut classes {
        class.providers.sort_unstable();
        class.providers.dedup();
        class.consumers.sort_unstable();
        class.consumers.dedup();
    }
    Units { classes }
}

/// `a, b, c` (names of sorted node ids).
pub(crate) fn names(graph: &Graph, ids: &[usize]) -> String {
    ids.iter()
        .map(|&i| graph.name(i))
        .collect::<Vec<_>>()
        .join(", ")
}
