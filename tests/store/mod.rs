//! The store suite: every test runs against SQLite (a temp file) and
//! PostgreSQL (see `support::postgres`; fails when no server is available).

mod cases;
mod schema;
mod sessions;

use std::path::PathBuf;
use std::time::Duration;

use wavebump::config::StoreBackend;
use wavebump::store::Store;

/// A database that can be (re)opened.
pub enum Db {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        url: String,
    },
}

impl Db {
    pub async fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wavebump.db");
        Db::Sqlite { _dir: dir, path }
    }

    pub async fn postgres() -> Db {
        Db::Postgres {
            url: crate::support::postgres::fresh_database().await,
        }
    }

    pub fn backend(&self) -> StoreBackend {
        match self {
            Db::Sqlite { path, .. } => StoreBackend::Sqlite {
                path: path.clone(),
                url: format!("sqlite://{}", path.display()),
            },
            Db::Postgres { url } => StoreBackend::Postgres { url: url.clone() },
        }
    }

    pub async fn open(&self) -> Store {
        Store::open(&self.backend()).await.unwrap()
    }
}

/// Every async store test gets this long.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// `both!(name)`: `name::sqlite` and `name::postgres`, each running the
/// `async fn name(db: Db)` in scope with a timeout.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::store::Db::sqlite().await;
                tokio::time::timeout($crate::store::TIMEOUT, super::$name(db))
                    .await
                    .expect("timed out");
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = $crate::store::Db::postgres().await;
                tokio::time::timeout($crate::store::TIMEOUT, super::$name(db))
                    .await
                    .expect("timed out");
            }
        }
    )*};
}
