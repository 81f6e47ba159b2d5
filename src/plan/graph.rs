//! The consumer graph with dense ids, strongly connected components and a
//! union-find, all over `usize` node ids.
//!
//! Invariant: node ids follow repository-name order (id `i` < id `j` iff
//! name `i` < name `j`), adjacency lists are sorted and free of duplicates
//! and self-edges, so every traversal below is independent of input order.
//! Every id stored in the graph is `< names.len()`.

use std::collections::BTreeMap;

use super::PlanInput;

/// The consumer graph over every repository the input mentions.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    /// Sorted, unique repository names; the index is the node id.
    pub names: Vec<String>,
    /// Whether the repository needs a PR.
    pub planned: Vec<bool>,
    /// For each consumer, the providers it requires (sorted, unique).
    pub providers: Vec<Vec<usize>>,
}

impl Graph {
    /// Intern every name of `input`. With `with_edges` off the graph has no
    /// edges; the number of distinct edges dropped between two planned repositories
    /// is returned.
    pub fn build(input: &PlanInput, with_edges: bool) -> (Self, usize) {
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &input.repos {
            ids.insert(&r.name, 0);
        }
        for e in &input.edges {
            ids.insert(&e.from, 0);
            ids.insert(&e.to, 0);
        }
        for (i, id) in ids.values_mut().enumerate() {
            *id = i;
        }
        let names: Vec<String> = ids.keys().map(|n| n.to_string()).collect();
        let mut planned = vec![false; names.len()];
        for r in &input.repos {
            if let Some(slot) = ids.get(r.name.as_str()).and_then(|&i| planned.get_mut(i)) {
                *slot |= r.needs_pr;
            }
        }
        let mut providers = vec![Vec::new(); names.len()];
        let mut dropped = std::collections::BTreeSet::new();
        for e in &input.edges {
            let (Some(&from), Some(&to)) = (ids.get(e.from.as_str()), ids.get(e.to.as_str()))
            else {
                continue;
            };
            if from == to {
                continue;
            }
            if !with_edges {
                let both = planned.get(from).copied().unwrap_or(false)
                    && planned.get(to).copied().unwrap_or(false);
                if both {
                    dropped.insert((from, to));
                }
                continue;
            }
            if let Some(list) = providers.get_mut(from) {
                list.push(to);
            }
        }
        for list in &mut providers {
            list.sort_unstable();
            list.dedup();
        }
        (
            Self {
                names,
                planned,
                providers,
            },
            dropped.len(),
        )
    }

    /// The node id of `name`.
    pub fn id(&self, name: &str) -> Option<usize> {
        self.names.binary_search_by(|n| n.as_str().cmp(name)).ok()
    }

    /// The repository name of node `id`.
    pub fn name(&self, id: usize) -> &str {
        self.names.get(id).map_or("", String::as_str)
    }

    /// Whether node `id` needs a PR.
    pub fn is_planned(&self, id: usize) -> bool {
        self.planned.get(id).copied().unwrap_or(false)
    }
}

/// Strongly connected components of `adj` (edges from a node to the nodes
/// in its list; every listed id must be `< adj.len()`), by Tarjan's
/// algorithm without recursion. Returns the component of each node;
/// components are numbered so that an edge `u -> v` between two components
/// has `comp[v] < comp[u]` (a component is finished after everything it
/// reaches), i.e. providers before consumers.
pub(crate) fn strongly_connected(adj: &[Vec<usize>]) -> (Vec<usize>, usize) {
    const UNSEEN: usize = usize::MAX;
    let n = adj.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![UNSEEN; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut frames: Vec<(usize, usize)> = Vec::new();
    let (mut next, mut count) = (0usize, 0usize);
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        frames.push((root, 0));
        while let Some(frame) = frames.last_mut() {
            let v = frame.0;
            let child = adj[v].get(frame.1).copied();
            if let Some(w) = child {
                frame.1 += 1;
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    frames.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = count;
                    if w == v {
                        break;
                    }
                }
                count += 1;
            }
        }
    }
    (comp, count)
}

/// Union-find whose representative is always the smallest id of the set.
#[derive(Debug, Clone)]
pub(crate) struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    /// The representative (smallest member) of `x`'s set.
    pub fn find(&mut self, x: usize) -> usize {
        let mut root = x;
        while let Some(&p) = self.parent.get(root) {
            if p == root {
                break;
            }
            root = p;
        }
        let mut cur = x;
        while let Some(slot) = self.parent.get_mut(cur) {
            let next = *slot;
            if next == root {
                break;
            }
            *slot = root;
            cur = next;
        }
        root
    }

    pub fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        let (keep, drop) = if ra < rb { (ra, rb) } else { (rb, ra) };
        if let Some(slot) = self.parent.get_mut(drop) {
            *slot = keep;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scc_cycle_and_order() {
        // 0 -> 1 -> 2 -> 1, 3 -> 0
        let adj = vec![vec![1], vec![2], vec![1], vec![0]];
        let (comp, count) = strongly_connected(&adj);
        assert_eq!(count, 3);
        assert_eq!(comp[1], comp[2]);
        assert!(comp[1] < comp[0] && comp[0] < comp[3]);
    }

    #[test]
    fn scc_deep_chain_does_not_recurse() {
        let n = 200_000;
        let adj: Vec<Vec<usize>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![0] })
            .collect();
        let (_, count) = strongly_connected(&adj);
        assert_eq!(count, 1);
    }

    #[test]
    fn union_find_keeps_smallest() {
        let mut uf = UnionFind::new(5);
        uf.union(4, 2);
        uf.union(2, 3);
        assert_eq!(uf.find(4), 2);
        uf.union(3, 1);
        assert_eq!(uf.find(4), 1);
        assert_eq!(uf.find(0), 0);
    }
}
