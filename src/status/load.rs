//! Reading the store into the view model (the one path shared by the
//! pages and the API).

use super::StatusState;
use super::view::{self, RolloutRecords, RolloutSummary, RolloutView};
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

/// One rollout's view, `None` when there is no such rollout.
pub async fn rollout(state: &StatusState, id: i64) -> Result<Option<RolloutView>, StoreError> {
    let Some(rollout) = state.store.rollout(id).await? else {
        return Ok(None);
    };
    let waves = state.store.waves(id).await?;
    let targets = state.store.targets(id).await?;
    let audit = state.store.audit(id, AUDIT_LIMIT).await?;
    let topology = (state.topology)(&rollout);
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
