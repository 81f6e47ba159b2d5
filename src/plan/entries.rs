//! Resolve the policy's repository names (canaries, lockstep groups, tier
//! patterns) to node ids, rejecting names that match no known repository.
//!
//! Invariant: every id returned is a planned node of the graph; entries that
//! name a known but unplanned repository are dropped with a warning.

use super::error::closest;
use super::graph::Graph;
use super::{PlanError, Policy};
use crate::names::{GLOB_EXPECTED, Glob, RepoName};

/// The policy's entries as node ids.
#[derive(Debug, Clone)]
pub(crate) struct Entries {
    /// Per node: configured as a canary.
    pub canary: Vec<bool>,
    /// Configured lockstep groups, planned members only (sorted, unique).
    pub lockstep: Vec<Vec<usize>>,
    /// Per node: index of the first tier matching it.
    pub tier: Vec<Option<usize>>,
}

/// Resolve `policy`'s names against `graph`.
pub(crate) fn resolve(
    graph: &Graph,
    policy: &Policy,
    warnings: &mut Vec<String>,
) -> Result<Entries, PlanError> {
    let n = graph.names.len();
    // Collected apart and sorted, so list order in the policy does not show.
    let mut notes = Vec::new();
    // The name as written, else the one repository it names (case
    // ignored, owner optional: see `RepoName::refers`); several is an error.
    let lookup = |entry: String, name: &str| -> Result<usize, PlanError> {
        if let Some(id) = graph.id(name) {
            return Ok(id);
        }
        let named: Vec<usize> = (0..n)
            .filter(|&id| RepoName::refers(name, graph.name(id)))
            .collect();
        match named[..] {
            [id] => Ok(id),
            [] => Err(PlanError::UnknownRepo {
                entry,
                name: name.to_string(),
                suggestion: closest(name, graph.names.iter().map(String::as_str)),
            }),
            _ => Err(PlanError::AmbiguousRepo {
                entry,
                name: name.to_string(),
                candidates: named.iter().map(|&id| graph.name(id).to_owned()).collect(),
            }),
        }
    };

    let mut canary = vec![false; n];
    for (i, name) in policy.canaries.iter().enumerate() {
        let id = lookup(format!("canaries[{i}]"), name)?;
        if !graph.is_planned(id) {
            notes.push(format!("canary `{name}` needs no PR: ignored"));
        } else if let Some(slot) = canary.get_mut(id) {
            *slot = true;
        }
    }

    let mut lockstep = Vec::with_capacity(policy.lockstep.len());
    for (g, group) in policy.lockstep.iter().enumerate() {
        let mut ids = Vec::with_capacity(group.len());
        for (j, name) in group.iter().enumerate() {
            let id = lookup(format!("lockstep[{g}][{j}]"), name)?;
            if graph.is_planned(id) {
                ids.push(id);
            } else {
                notes.push(format!(
                    "lockstep member `{name}` needs no PR: left out of its group"
                ));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        lockstep.push(ids);
    }

    // Tiers in order; a node belongs to the first tier matching it, so a
    // later tier never takes a node an earlier one has. Literal patterns
    // must name a known repository; a glob may match nothing.
    let mut tier = vec![None; n];
    for (t, spec) in policy.tiers.iter().enumerate() {
        for (j, pattern) in spec.patterns.iter().enumerate() {
            let entry = || format!("tiers[{t}] `{}` patterns[{j}]", spec.name);
            let glob = Glob::new(pattern).ok_or_else(|| PlanError::InvalidPolicy {
                field: entry(),
                expected: GLOB_EXPECTED.to_string(),
                got: format!("`{pattern}`"),
            })?;
            if glob.is_literal() && !graph.names.iter().any(|k| glob.matches_repo(k)) {
                return Err(PlanError::UnknownRepo {
                    entry: entry(),
                    name: pattern.clone(),
                    suggestion: closest(pattern, graph.names.iter().map(String::as_str)),
                });
            }
            for (id, (name, slot)) in graph.names.iter().zip(tier.iter_mut()).enumerate() {
                if slot.is_none() && graph.is_planned(id) && glob.matches_repo(name) {
                    *slot = Some(t);
                }
            }
        }
    }
    notes.sort();
    notes.dedup();
    warnings.append(&mut notes);
    Ok(Entries {
        canary,
        lockstep,
        tier,
    })
}
