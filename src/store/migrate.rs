//! Schema versions: embedded migrations per backend, applied in order, each
//! in a transaction, recorded in `wavebump_schema`.
//!
//! Invariant: a database is migrated only when it is empty or already a
//! wavebump database of an older or equal version whose tables are all
//! present. A newer schema, an unrelated database (tables but no
//! `wavebump_schema`) or a wavebump database missing tables is refused.
//!
//! Concurrent migrators (several processes starting on one database) are
//! serialised: on PostgreSQL by a session advisory lock held from the first
//! look at the schema to the last migration, on SQLite by one `BEGIN
//! IMMEDIATE` transaction around the whole check-and-migrate (the write lock
//! is taken before anything is read).

use sqlx::{AnyConnection, AnyPool, Connection, Row};

use super::{Backend, StoreError};

/// `(version, description, SQLite text, PostgreSQL text)`.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "initial schema",
        include_str!("../../migrations/sqlite/0001_init.sql"),
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "supersede and library cascade",
        include_str!("../../migrations/sqlite/0002_supersede_cascade.sql"),
        include_str!("../../migrations/postgres/0002_supersede_cascade.sql"),
    ),
    (
        3,
        "rollout graph",
        include_str!("../../migrations/sqlite/0003_rollout_graph.sql"),
        include_str!("../../migrations/postgres/0003_rollout_graph.sql"),
    ),
    (
        4,
        "operator sessions and the change feed",
        include_str!("../../migrations/sqlite/0004_sessions_changes.sql"),
        include_str!("../../migrations/postgres/0004_sessions_changes.sql"),
    ),
    (
        5,
        "what people do on the pull requests",
        include_str!("../../migrations/sqlite/0005_pr_activity.sql"),
        include_str!("../../migrations/postgres/0005_pr_activity.sql"),
    ),
];

/// Tables a database of a schema version holds: `(table, since version)`.
const TABLES: &[(&str, i64)] = &[
    ("audit_log", 1),
    ("etag_cache", 1),
    ("intents", 1),
    ("leases", 1),
    ("rollouts", 1),
    ("targets", 1),
    ("waves", 1),
    ("webhook_inbox", 1),
    ("cascade_releases", 2),
    ("pr_versions", 2),
    ("rollout_graph", 3),
    ("change_feed", 4),
    ("operator_sessions", 4),
];

/// The newest schema version this binary knows.
pub const SCHEMA_VERSION: i64 = 5;

/// The PostgreSQL advisory-lock key of migrations (`wavebump` in ASCII).
const MIGRATION_LOCK: i64 = 0x7761_7665_6275_6d70;

async fn tables(pool: &mut AnyConnection, backend: Backend) -> Result<Vec<String>, sqlx::Error> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1"
        }
    };
    let rows = sqlx::query(sql).fetch_all(pool).await?;
    rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
}

/// Check the database and bring it to [`SCHEMA_VERSION`] under the
/// migration lock; the version found.
pub async fn migrate(pool: &AnyPool, backend: Backend, what: &str) -> Result<i64, StoreError> {
    let mut conn = pool.acquire().await?;
    match backend {
        Backend::Postgres => {
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await?;
            let result = migrate_locked(&mut conn, backend, what, false).await;
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await;
            if unlocked.is_err() {
                // Never hand a connection that may still hold the lock back
                // to the pool.
                let _ = conn.detach().close().await;
            }
            let found = result?;
            unlocked?;
            Ok(found)
        }
        Backend::Sqlite => {
            let mut tx = (*conn).begin_with("BEGIN IMMEDIATE").await?;
            let found = migrate_locked(&mut tx, backend, what, true).await?;
            tx.commit().await?;
            Ok(found)
        }
    }
}

/// The check and the migrations, on a connection that holds the lock
/// (`in_tx`: inside the caller's transaction, so no nested ones).
async fn migrate_locked(
    pool: &mut AnyConnection,
    backend: Backend,
    what: &str,
    in_tx: bool,
) -> Result<i64, StoreError> {
    let corrupt = |e: sqlx::Error| StoreError::Corrupt {
        what: what.to_owned(),
        message: e.to_string(),
    };
    let present = tables(pool, backend).await.map_err(corrupt)?;
    let has_schema = present.iter().any(|t| t == "wavebump_schema");
    if !has_schema && !present.is_empty() {
        return Err(StoreError::NotWavebump {
            what: what.to_owned(),
            tables: present,
        });
    }
    let found: i64 = if has_schema {
        sqlx::query("SELECT COALESCE(MAX(version), 0) FROM wavebump_schema")
            .fetch_one(&mut *pool)
            .await
            .and_then(|r| r.try_get::<i64, _>(0))
            .map_err(corrupt)?
    } else {
        sqlx::raw_sql(
            "CREATE TABLE wavebump_schema (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *pool)
        .await?;
        0
    };
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            what: what.to_owned(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    if found > 0 {
        let missing: Vec<&str> = TABLES
            .iter()
            .filter(|(_, since)| *since <= found)
            .map(|(t, _)| *t)
            .filter(|t| !present.iter().any(|p| p == t))
            .collect();
        if !missing.is_empty() {
            return Err(StoreError::Corrupt {
                what: what.to_owned(),
                message: format!(
                    "schema version {found} recorded but table(s) {} missing",
                    missing.join(", ")
                ),
            });
        }
    }
    for (version, description, sqlite, postgres) in MIGRATIONS {
        if *version <= found {
            continue;
        }
        let sql = match backend {
            Backend::Sqlite => *sqlite,
            Backend::Postgres => *postgres,
        };
        if in_tx {
            apply(pool, sql, *version, description).await?;
        } else {
            let mut tx = pool.begin().await?;
            apply(&mut tx, sql, *version, description).await?;
            tx.commit().await?;
        }
    }
    Ok(found)
}

/// Run one migration and record it.
async fn apply(
    conn: &mut AnyConnection,
    sql: &'static str,
    version: i64,
    description: &str,
) -> Result<(), StoreError> {
    {
        let tx = conn;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO wavebump_schema (version, description, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(version)
        .bind(description)
        .bind(crate::rollout::state::Timestamp::now().0)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
