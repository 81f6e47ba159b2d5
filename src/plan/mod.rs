//! Wave planning: a pure function from the repositories that need a PR, the
//! consumer graph and the rollout policy to ordered waves. No I/O, no clock.
//!
//! # Invariants of [`plan`]
//! - Every planned repository (`needs_pr`) is in exactly one unit of exactly
//!   one wave; no other repository is.
//! - Units: a repository, or a lockstep group. Configured groups, cycles of
//!   the consumer graph (warned about: the "distributed monolith" smell) and
//!   groups that a cycle through the graph joins are merged; a unit's
//!   repositories are always in the same wave.
//! - Dependency order beats everything: if a planned repository requires a
//!   package of another unit's planned repository, directly or through a
//!   path of unplanned repositories (`A -> X -> B`, `X` unplanned: `B` comes
//!   before `A`), the provider's wave is earlier.
//! - Canaries that depend on nothing planned form wave 0 and nothing else is
//!   in it. A canary that depends on a planned repository goes in the first
//!   wave its providers allow, ahead of other units (its providers, too, go
//!   ahead of other units), with a warning.
//! - Sized waves (all others) hold at most the policy's capacity in
//!   repositories, unless one lockstep unit alone exceeds it: it is kept
//!   whole and its reason says so.
//! - Tiers: a repository belongs to the first tier whose globs match it
//!   (see [`crate::names::Glob`]). Untiered units come first, then each
//!   tier's units in later waves than the previous tier's, the critical
//!   (last) tier last; a unit that an earlier tier (or an untiered unit)
//!   depends on is pulled forward to it (see [`Policy`]).
//! - Deterministic: the plan depends only on the set of repositories, edges
//!   and the policy, not on their order; ties are broken by repository name.
//! - ETA of wave `i`: `(i + 1) * (ci_duration + soak)` from the start (a
//!   wave's PRs run CI in parallel, then soak; the next opens after).
//!
//! Cost: O((V + E) log V) for V repositories and E edges, plus tier globs.

mod entries;
mod error;
mod graph;
mod input;
mod output;
mod policy;
mod schedule;
mod units;

pub use error::PlanError;
pub use input::{Edge, PlanInput, RepoInput};
pub use output::{Plan, PlannedUnit, Wave};
pub use policy::{Policy, Tier, WaveSizes};

/// Plan the waves of `input` under `policy`.
///
/// Errors: an invalid policy value, or a canary, lockstep member or literal
/// tier pattern naming no known repository (known: listed in `input.repos`
/// or at either end of an edge).
pub fn plan(input: &PlanInput, policy: &Policy) -> Result<Plan, PlanError> {
    policy.validate()?;
    let (graph, ignored_edges) = graph::Graph::build(input, policy.order_by_graph);
    let mut warnings = Vec::new();
    if ignored_edges > 0 {
        let s = if ignored_edges == 1 { "" } else { "s" };
        warnings.push(format!(
            "dependency order is off: {ignored_edges} edge{s} between planned repositories ignored"
        ));
    }
    let entries = entries::resolve(&graph, policy, &mut warnings)?;
    let units = units::build(&graph, &entries.lockstep, &mut warnings);
    Ok(schedule::schedule(
        &graph,
        &units,
        &entries,
        policy,
        &mut warnings,
    ))
}
