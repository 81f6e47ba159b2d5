//! Reading the store into the view model (the one path shared by the
//! pages and the API).

use super::StatusState;
use super::view::{self, RolloutRecords, RolloutSummary, RolloutView, Topology};
use crate::store::StoreError;

/// Audit entries shown at most (the newest).
pub const AUDIT_LIMIT: u32 = 200;

/// Every rollout, active first.
pub async fn summaries(state: &StatusState) -> Result<Vec<RolloutSummary>, StoreError> {
    let now = state.now();
    let mut out = Vec::new();
    for r in state.store.rollouts().await? {
        let targets = state.store.targets(r.id).await?;
        out.push(view::summary(&r, &targets, now));
    }
    Ok(view::order_summaries(out))
}

/// The graph stored with the rollout plus whatever the state's topology
/// hook adds (edges and groups de-duplicated).
fn merge(stored: Option<Topology>, extra: Topology) -> Topology {
    let mut t = stored.unwrap_or_default();
    t.edges.extend(extra.edges);
    t.edges.sort();
    t.edges.dedup();
    for group in extra.lockstep {
        if !t.lockstep.contains(&group) {
            t.lockstep.push(group);
        }
    }
    t
}

/// One rollout's view, `None` when there is no such rollout.
pub async fn rollout(state: &StatusState, id: i64) -> Result<Option<RolloutView>, StoreError> {
    let Some(rollout) = state.store.rollout(id).await? else {
        return Ok(None);
    };
    let waves = state.store.waves(id).await?;
    let targets = state.store.targets(id).await?;
    let audit = state.store.audit(id, AUDIT_LIMIT).await?;
    let topology = merge(
        state.store.rollout_graph(id).await?,
        (state.topology)(&rollout),
    );
    Ok(Some(view::rollout_view(
        &RolloutRecords {
            rollout: &rollout,
            waves: &waves,
            targets: &targets,
            audit: &audit,
            topology: &topology,
        },
        state.now(),
    )))
}
