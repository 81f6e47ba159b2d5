//! Databases the store must refuse: newer schema, unrelated, damaged.

use sqlx::Connection;
use wavebump::config::StoreBackend;
use wavebump::store::{Store, StoreError};

use super::Db;

fn url(db: &Db) -> String {
    match db.backend() {
        StoreBackend::Sqlite { url, .. } => format!("{url}?mode=rwc"),
        StoreBackend::Postgres { url } => url,
        StoreBackend::Memory => unreachable!(),
    }
}

async fn raw(db: &Db, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url(db)).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

async fn newer_schema_refused(db: Db) {
    db.open().await.close().await;
    raw(
        &db,
        "INSERT INTO wavebump_schema (version, description, applied_at) VALUES (99, 'future', 0)",
    )
    .await;
    let err = Store::open(&db.backend()).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NewerSchema {
                found: 99,
                known: wavebump::store::SCHEMA_VERSION,
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("newer than this wavebump knows") && text.contains("upgrade"),
        "{text}"
    );
}

async fn unrelated_database_refused(db: Db) {
    raw(&db, "CREATE TABLE customers (id BIGINT)").await;
    let err = Store::open(&db.backend()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotWavebump { .. }), "{err}");
    assert!(err.to_string().contains("customers"), "{err}");
    // Nothing was created in it.
    raw(&db, "SELECT * FROM customers").await;
}

async fn missing_tables_refused(db: Db) {
    db.open().await.close().await;
    raw(&db, "DROP TABLE intents").await;
    let err = Store::open(&db.backend()).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("intents"), "{err}");
}

/// Eight processes starting at once on an empty database: every open
/// succeeds and the schema is applied exactly once (the migration lock).
async fn concurrent_migrations_apply_once(db: Db) {
    let backend = db.backend();
    let opens: Vec<_> = (0..8)
        .map(|_| {
            let backend = backend.clone();
            tokio::spawn(async move { Store::open(&backend).await })
        })
        .collect();
    for open in opens {
        let store = open.await.unwrap().unwrap_or_else(|e| panic!("open: {e}"));
        assert_eq!(
            store.schema_version().await.unwrap(),
            wavebump::store::SCHEMA_VERSION
        );
        store.close().await;
    }
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url(&db)).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM wavebump_schema")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, wavebump::store::SCHEMA_VERSION, "one row per migration");
    conn.close().await.unwrap();
}

crate::both!(
    newer_schema_refused,
    unrelated_database_refused,
    missing_tables_refused,
    concurrent_migrations_apply_once
);

#[tokio::test]
async fn garbage_file_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wavebump.db");
    std::fs::write(
        &path,
        b"this is not a database at all, just text padding padding padding",
    )
    .unwrap();
    let backend = StoreBackend::Sqlite {
        path: path.clone(),
        url: format!("sqlite://{}", path.display()),
    };
    let err = tokio::time::timeout(super::TIMEOUT, Store::open(&backend))
        .await
        .unwrap()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("not a database"), "{text}");
    // The file is untouched.
    assert!(
        std::fs::read(&path)
            .unwrap()
            .starts_with(b"this is not a database")
    );
}

#[tokio::test]
async fn memory_store_works() {
    let store = Store::open(&StoreBackend::Memory).await.unwrap();
    let id = store
        .create_rollout(
            &super::cases::new_rollout(5, 2),
            wavebump::rollout::Timestamp(0),
        )
        .await
        .unwrap();
    assert_eq!(store.targets(id).await.unwrap().len(), 5);
}

/// The SQLite file (it holds the audit log and webhook payloads) is
/// created readable and writable by its owner only, and so are its WAL
/// files.
#[tokio::test]
async fn a_new_sqlite_file_is_created_0600() {
    use std::os::unix::fs::PermissionsExt;
    let db = Db::sqlite().await;
    let Db::Sqlite { path, .. } = &db else {
        unreachable!()
    };
    let store = db.open().await;
    for file in [path.clone(), path.with_extension("db-wal")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}: mode {mode:o}", file.display());
    }
    store.close().await;
}
