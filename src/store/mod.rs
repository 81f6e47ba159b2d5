//! Persistence: rollouts, waves, targets, the audit log, the webhook inbox,
//! the API ETag cache, intents and leases, supersede and cascade bookkeeping
//! (`versions`), each rollout's consumer graph, in SQLite (default) or
//! PostgreSQL, through sqlx's `Any` driver so that one set of queries serves
//! both.
//!
//! Invariants:
//! - a database is opened only after [`migrate::migrate`] accepted it (see
//!   there: newer, unrelated or damaged databases are refused);
//! - every state change of a rollout or target is written in the same
//!   transaction as its audit entry, and only if the row is still in the
//!   state the caller read (optimistic concurrency: [`StoreError::Conflict`]);
//! - times are milliseconds since the epoch (`BIGINT`), JSON is `TEXT`.
//!
//! The store depends only on `rollout::state` (the pure vocabulary of
//! states), never on the engine.

mod graph;
mod inbox;
mod journal;
pub mod migrate;
mod model;
mod retention;
mod rollouts;
mod rows;
mod sessions;
mod versions;

use std::str::FromStr;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

use crate::config::store::{StoreBackend, redact_url};

pub use migrate::SCHEMA_VERSION;
pub use model::{
    Audit, AuditRecord, CascadeRelease, FailingCheck, InboxRecord, InboxState, IntentRecord,
    LeaseRecord, NewIntent, NewRollout, NewTarget, PrActivity, PrVersion, Review, ReviewState,
    RolloutGraph, RolloutRecord, TargetRecord, WaveRecord,
};
pub use retention::{PRUNED_PAYLOAD, Pruned, Retention};
pub use sessions::{FeedEntry, StoredSession};

/// Which database the store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A store failure, naming the database (password redacted) and what failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open store {what}: {message}")]
    Open { what: String, message: String },
    #[error(
        "store {what} has schema version {found}, newer than this wavebump knows ({known}): upgrade wavebump; the database was not changed"
    )]
    NewerSchema {
        what: String,
        found: i64,
        known: i64,
    },
    #[error(
        "store {what} is not a wavebump database (it holds table(s) {}, but no wavebump_schema); refusing to migrate it",
        tables.join(", ")
    )]
    NotWavebump { what: String, tables: Vec<String> },
    #[error("store {what} is damaged or not a database: {message}")]
    Corrupt { what: String, message: String },
    #[error("store: {table}.{column}: {message}")]
    BadRow {
        table: &'static str,
        column: &'static str,
        message: String,
    },
    /// The row changed under us (another process or a webhook moved it).
    #[error("store: {0}")]
    Conflict(String),
    #[error("store: {0}")]
    Db(#[from] sqlx::Error),
}

/// Create the SQLite file, empty, readable and writable by its owner only
/// (0600), when it does not exist yet: it holds the audit log and webhook
/// payloads. SQLite gives its `-wal` and `-shm` files the database file's
/// mode. An existing file is left as it is; a missing directory is left
/// for SQLite to report.
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::NotFound
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The database handle; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    what: String,
}

impl Store {
    /// Open (creating a SQLite file if needed) and migrate.
    pub async fn open(backend: &StoreBackend) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (url, kind, what, memory) = match backend {
            StoreBackend::Sqlite { path, url } => {
                let url = if url.contains("mode=") {
                    url.clone()
                } else if url.contains('?') {
                    format!("{url}&mode=rwc")
                } else {
                    format!("{url}?mode=rwc")
                };
                (url, Backend::Sqlite, path.display().to_string(), false)
            }
            StoreBackend::Memory => (
                "sqlite::memory:".to_owned(),
                Backend::Sqlite,
                "sqlite::memory:".to_owned(),
                true,
            ),
            StoreBackend::Postgres { url } => {
                (url.clone(), Backend::Postgres, redact_url(url), false)
            }
        };
        let open_err = |e: sqlx::Error| StoreError::Open {
            what: what.clone(),
            message: e.to_string(),
        };
        if let StoreBackend::Sqlite { path, .. } = backend {
            create_private(path).map_err(|e| StoreError::Open {
                what: what.clone(),
                message: e.to_string(),
            })?;
        }
        let options = AnyConnectOptions::from_str(&url).map_err(open_err)?;
        let mut pool = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        pool = if memory {
            // Each connection to `:memory:` is its own database: keep one.
            pool.max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            pool.max_connections(if kind == Backend::Sqlite { 4 } else { 8 })
        };
        let pool = pool.connect_with(options).await.map_err(open_err)?;
        if kind == Backend::Sqlite && !memory {
            sqlx::raw_sql("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(|e| StoreError::Corrupt {
                    what: what.clone(),
                    message: e.to_string(),
                })?;
        }
        migrate::migrate(&pool, kind, &what).await?;
        Ok(Store {
            pool,
            backend: kind,
            what,
        })
    }

    /// Open a store by URL (`sqlite://FILE`, `sqlite::memory:`,
    /// `postgres://...`); relative SQLite paths are taken from the current
    /// directory.
    pub async fn open_url(url: &str) -> Result<Store, StoreError> {
        let backend =
            crate::config::store::resolve(url, std::path::Path::new(".")).ok_or_else(|| {
                StoreError::Open {
                    what: redact_url(url),
                    message: format!("expected {}", crate::config::store::STORE_EXPECTED),
                }
            })?;
        Store::open(&backend).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database's name for messages (password redacted).
    pub fn describe(&self) -> &str {
        &self.what
    }

    /// The schema version recorded in the database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        use sqlx::Row;
        let row = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM wavebump_schema")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Is the database reachable and migrated (for `/readyz`)?
    pub async fn ready(&self) -> bool {
        matches!(self.schema_version().await, Ok(v) if v == SCHEMA_VERSION)
    }

    /// Close every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
