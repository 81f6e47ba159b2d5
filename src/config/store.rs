//! `store.url` → the backend to open, with a relative SQLite path resolved
//! next to the config file. A password in a Postgres URL never reaches
//! `Debug` output.
//!
//! Invariant: `resolve` is pure (no file system access) and total.

use std::fmt;
use std::path::{Path, PathBuf};

use super::schema::StoreConfig;

/// The database wavebump opens.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreBackend {
    /// A SQLite file; `url` is the resolved `sqlite://` URL for the driver.
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// `sqlite://<path>` plus any `?query` given in the config.
        url: String,
    },
    /// An in-memory SQLite database (`sqlite::memory:`), for tests and demos.
    Memory,
    /// PostgreSQL; the URL as written (it may hold a password).
    Postgres {
        /// `postgres://...`
        url: String,
    },
}

impl Default for StoreBackend {
    fn default() -> Self {
        StoreBackend::Sqlite {
            path: PathBuf::from("wavebump.db"),
            url: "sqlite://wavebump.db".to_owned(),
        }
    }
}

/// Why a store URL is refused (the caller adds location and key).
pub(crate) const STORE_EXPECTED: &str =
    "a URL such as `sqlite://wavebump.db`, `sqlite::memory:` or `postgres://host/db`";

/// Resolves a store URL; `None` when it is not one of the accepted forms.
pub(crate) fn resolve(url: &str, base_dir: &Path) -> Option<StoreBackend> {
    let url = url.trim();
    if url == "sqlite::memory:" || url == "sqlite://:memory:" {
        return Some(StoreBackend::Memory);
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let rest = url.split_once("://").map_or("", |(_, r)| r);
        return (!rest.is_empty()).then(|| StoreBackend::Postgres {
            url: url.to_owned(),
        });
    }
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (file, query) = match rest.split_once('?') {
        Some((f, q)) => (f, Some(q)),
        None => (rest, None),
    };
    if file.is_empty() {
        return None;
    }
    let file = Path::new(file);
    let path = if file.is_absolute() {
        file.to_path_buf()
    } else {
        base_dir.join(file)
    };
    let mut resolved = format!("sqlite://{}", path.display());
    if let Some(q) = query {
        resolved.push('?');
        resolved.push_str(q);
    }
    Some(StoreBackend::Sqlite {
        path,
        url: resolved,
    })
}

/// `scheme://user:password@host` → `scheme://user:<redacted>@host`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let redacted = if userinfo.contains(':') {
                format!("{user}:<redacted>")
            } else {
                user.to_owned()
            };
            format!("{scheme}://{redacted}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

impl fmt::Debug for StoreBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreBackend::Sqlite { path, url } => f
                .debug_struct("Sqlite")
                .field("path", path)
                .field("url", url)
                .finish(),
            StoreBackend::Memory => f.write_str("Memory"),
            StoreBackend::Postgres { url } => f
                .debug_struct("Postgres")
                .field("url", &redact_url(url))
                .finish(),
        }
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("url", &redact_url(&self.url))
            .field("backend", &self.backend)
            .field("inbox_retention", &self.inbox_retention)
            .field("etag_cache_entries", &self.etag_cache_entries)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves() {
        let base = Path::new("/etc/wavebump");
        let sqlite = |p: &str, u: &str| StoreBackend::Sqlite {
            path: PathBuf::from(p),
            url: u.to_owned(),
        };
        for (url, want) in [
            (
                "sqlite://wavebump.db",
                Some(sqlite(
                    "/etc/wavebump/wavebump.db",
                    "sqlite:///etc/wavebump/wavebump.db",
                )),
            ),
            (
                "sqlite:///var/lib/w.db?mode=rwc",
                Some(sqlite("/var/lib/w.db", "sqlite:///var/lib/w.db?mode=rwc")),
            ),
            (
                "sqlite:data/w.db",
                Some(sqlite(
                    "/etc/wavebump/data/w.db",
                    "sqlite:///etc/wavebump/data/w.db",
                )),
            ),
            ("sqlite::memory:", Some(StoreBackend::Memory)),
            (
                "postgres://u:p@db/wavebump",
                Some(StoreBackend::Postgres {
                    url: "postgres://u:p@db/wavebump".to_owned(),
                }),
            ),
            ("postgres://", None),
            ("sqlite://", None),
            ("mysql://db", None),
            ("", None),
        ] {
            assert_eq!(resolve(url, base), want, "{url}");
        }
    }

    #[test]
    fn redacts() {
        for (url, want) in [
            (
                "postgres://u:hunter2@db:5432/w",
                "postgres://u:<redacted>@db:5432/w",
            ),
            ("postgres://u@db/w", "postgres://u@db/w"),
            ("postgres://db/w", "postgres://db/w"),
            ("postgres://u:p@ss@db/w", "postgres://u:<redacted>@db/w"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(redact_url(url), want);
        }
    }
}
