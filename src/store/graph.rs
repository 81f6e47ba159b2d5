//! Each rollout's consumer graph (`rollout_graph`): written once, in the
//! transaction that creates the rollout, read by the status page.
//!
//! Invariant: one row per rollout, JSON text; a rollout stored before the
//! table existed simply has none (`None`), and a damaged row is a
//! `BadRow` naming the column, never a panic.

use sqlx::Row;

use super::model::RolloutGraph;
use super::{Store, StoreError};

pub(super) async fn insert_graph(
    conn: &mut sqlx::AnyConnection,
    rollout_id: i64,
    graph: &RolloutGraph,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO rollout_graph (rollout_id, edges, lockstep) VALUES ($1, $2, $3)")
        .bind(rollout_id)
        .bind(to_json(&graph.edges))
        .bind(to_json(&graph.lockstep))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// JSON text of a list of names (cannot fail for strings; `[]` if it did).
fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}

fn column<T: serde::de::DeserializeOwned>(
    row: &sqlx::any::AnyRow,
    name: &'static str,
) -> Result<T, StoreError> {
    let bad = |message: String| StoreError::BadRow {
        table: "rollout_graph",
        column: name,
        message,
    };
    let text: String = row.try_get(name).map_err(|e| bad(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| bad(format!("expected a JSON list: {e}")))
}

impl Store {
    /// The consumer graph stored with rollout `id` (`None` for rollouts
    /// stored before graphs were kept).
    pub async fn rollout_graph(&self, id: i64) -> Result<Option<RolloutGraph>, StoreError> {
        let row = sqlx::query("SELECT edges, lockstep FROM rollout_graph WHERE rollout_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(RolloutGraph {
            edges: column(&row, "edges")?,
            lockstep: column(&row, "lockstep")?,
        }))
    }
}
