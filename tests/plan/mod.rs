//! The wave planner (`wavebump::plan`): invariants as property tests, reason
//! and warning texts on small hand-made graphs, errors, and a 5,000-unit
//! correctness run. `check` is the invariant oracle every test shares: it
//! recomputes what the plan must satisfy from the input alone (reachability
//! by brute force), independent of the planner's algorithm.

mod errors;
mod glob_agreement;
mod oracle;
mod properties;
mod reasons;
mod scale;
mod tiers;

use wavebump::plan::{Edge, PlanInput, RepoInput};

/// Input from planned names, unplanned names and `consumer -> provider`
/// edges.
pub fn input(planned: &[&str], unplanned: &[&str], edges: &[(&str, &str)]) -> PlanInput {
    PlanInput {
        repos: planned
            .iter()
            .map(|n| RepoInput::planned(*n))
            .chain(unplanned.iter().map(|n| RepoInput::unplanned(*n)))
            .collect(),
        edges: edges.iter().map(|(a, b)| Edge::new(*a, *b)).collect(),
    }
}

/// Owned string list.
pub fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}
