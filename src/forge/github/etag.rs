//! Conditional-request cache: the last ETag and body of every GET the forge
//! made, so a re-scan sends `If-None-Match` and GitHub answers 304 (which it
//! does not count against the rate limit). Git blobs are content-addressed,
//! so a cached blob is reused without any request.
//!
//! Three homes: [`StoreEtagCache`] (the store's `etag_cache` table: `serve`
//! and `rollout`, wherever a store exists), [`JsonFileEtagCache`] (`plan
//! --github`, which has no store) and [`MemoryEtagCache`] (tests, one-offs).
//!
//! Why the trait is async rather than a write-behind memory copy of the
//! store: reading through to the store costs one indexed lookup per API
//! request (small next to the request itself), needs no flush (a `kill -9`
//! loses nothing), never loads the whole table into memory (blob bodies of
//! every manifest of an organisation), and replicas sharing one PostgreSQL
//! share one cache at once.
//!
//! Invariant: an entry is only ever the body GitHub sent with that ETag; a
//! cache that cannot be read or written only costs requests (the failure is
//! logged, the request goes out unconditionally), and no credential is ever
//! a key or a value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::rollout::state::Timestamp;
use crate::store::Store;

/// One cached answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedAnswer {
    pub etag: String,
    pub body: String,
}

/// Where cached answers live: [`StoreEtagCache`], [`JsonFileEtagCache`],
/// [`MemoryEtagCache`]. Async because the store is.
pub trait EtagCache: Send + Sync {
    /// The cached answer for a request key (`GET /path?query`, `blob SHA`).
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<CachedAnswer>>;
    /// Remember an answer.
    fn put<'a>(&'a self, key: &'a str, answer: CachedAnswer) -> BoxFuture<'a, ()>;
    /// Persist what was remembered (no-op for the memory and store caches).
    fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A cache that forgets everything when dropped.
#[derive(Debug, Default)]
pub struct MemoryEtagCache {
    entries: Mutex<BTreeMap<String, CachedAnswer>>,
}

impl MemoryEtagCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemoryEtagCache {
    fn get_now(&self, key: &str) -> Option<CachedAnswer> {
        lock(&self.entries).get(key).cloned()
    }

    fn put_now(&self, key: &str, answer: CachedAnswer) {
        lock(&self.entries).insert(key.to_string(), answer);
    }
}

impl EtagCache for MemoryEtagCache {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<CachedAnswer>> {
        Box::pin(std::future::ready(self.get_now(key)))
    }

    fn put<'a>(&'a self, key: &'a str, answer: CachedAnswer) -> BoxFuture<'a, ()> {
        self.put_now(key, answer);
        Box::pin(std::future::ready(()))
    }
}

/// A cache kept in memory and written to one JSON file by `flush`.
/// Bounded: `flush` keeps only the entries this process read or wrote, so
/// the file holds at most one run's answers and an entry nobody asks for
/// any more (a deleted repository, an old tree) is dropped.
#[derive(Debug)]
pub struct JsonFileEtagCache {
    path: PathBuf,
    memory: MemoryEtagCache,
    used: Mutex<std::collections::BTreeSet<String>>,
}

#[derive(Serialize, Deserialize)]
struct FileFormat {
    version: u32,
    entries: BTreeMap<String, CachedAnswer>,
}

impl JsonFileEtagCache {
    /// Load `path` if it exists and is a cache file of this version; start
    /// empty otherwise (a broken cache only costs requests).
    pub fn open(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<FileFormat>(&bytes).ok())
            .filter(|f| f.version == 1)
            .map(|f| f.entries)
            .unwrap_or_default();
        JsonFileEtagCache {
            path,
            memory: MemoryEtagCache {
                entries: Mutex::new(entries),
            },
            used: Mutex::new(Default::default()),
        }
    }

    fn mark(&self, key: &str) {
        lock(&self.used).insert(key.to_owned());
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> usize {
        self.memory.len()
    }

    pub fn is_empty(&self) -> bool {
        self.memory.is_empty()
    }
}

impl EtagCache for JsonFileEtagCache {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<CachedAnswer>> {
        self.mark(key);
        self.memory.get(key)
    }

    fn put<'a>(&'a self, key: &'a str, answer: CachedAnswer) -> BoxFuture<'a, ()> {
        self.mark(key);
        self.memory.put(key, answer)
    }

    /// Write atomically: a temporary file beside the target, then rename.
    /// Only the entries used by this process are written (see the type).
    fn flush(&self) -> std::io::Result<()> {
        let used = lock(&self.used).clone();
        let entries = lock(&self.memory.entries)
            .iter()
            .filter(|(k, _)| used.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let file = FileFormat {
            version: 1,
            entries,
        };
        let bytes = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &self.path)
    }
}

/// The cache in the store's `etag_cache` table, read and written through
/// (no memory copy, nothing to flush). Cheap to clone.
#[derive(Clone, Debug)]
pub struct StoreEtagCache {
    store: Store,
}

impl StoreEtagCache {
    pub fn new(store: Store) -> Self {
        StoreEtagCache { store }
    }
}

impl EtagCache for StoreEtagCache {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<CachedAnswer>> {
        Box::pin(async move {
            match self.store.etag_get(key).await {
                Ok(found) => found.map(|(etag, body)| CachedAnswer { etag, body }),
                Err(e) => {
                    tracing::warn!(error = %e, "ETag cache: cannot read the store; asking GitHub");
                    None
                }
            }
        })
    }

    fn put<'a>(&'a self, key: &'a str, answer: CachedAnswer) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let written = self
                .store
                .etag_put(key, &answer.etag, &answer.body, Timestamp::now())
                .await;
            if let Err(e) = written {
                tracing::warn!(error = %e, "ETag cache: cannot write the store; the answer is not cached");
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(etag: &str) -> CachedAnswer {
        CachedAnswer {
            etag: etag.into(),
            body: format!("{{\"e\":\"{etag}\"}}"),
        }
    }

    #[tokio::test]
    async fn file_cache_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/etags.json");
        let cache = JsonFileEtagCache::open(&path);
        assert!(cache.is_empty());
        cache.put("GET /a", answer("1")).await;
        cache.put("GET /b", answer("2")).await;
        cache.put("GET /a", answer("3")).await;
        cache.flush().unwrap();
        let again = JsonFileEtagCache::open(&path);
        assert_eq!(again.len(), 2);
        assert_eq!(again.get("GET /a").await, Some(answer("3")));
        assert_eq!(again.get("GET /c").await, None);
    }

    #[tokio::test]
    async fn file_cache_keeps_only_what_the_last_run_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("etags.json");
        let first = JsonFileEtagCache::open(&path);
        for key in ["GET /a", "GET /b", "GET /gone"] {
            first.put(key, answer(key)).await;
        }
        first.flush().unwrap();
        // The next run asks for /a (a hit) and writes /c; /b and /gone
        // are not asked for any more and leave the file.
        let second = JsonFileEtagCache::open(&path);
        assert_eq!(second.len(), 3);
        assert_eq!(second.get("GET /a").await, Some(answer("GET /a")));
        second.put("GET /c", answer("GET /c")).await;
        second.flush().unwrap();
        let third = JsonFileEtagCache::open(&path);
        assert_eq!(third.len(), 2);
        assert_eq!(third.get("GET /b").await, None);
        assert_eq!(third.get("GET /c").await, Some(answer("GET /c")));
    }

    #[test]
    fn broken_or_foreign_files_start_empty() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("garbage.json", "not json"),
            ("version.json", r#"{"version":9,"entries":{}}"#),
            ("shape.json", r#"{"version":1,"entries":{"k":1}}"#),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            assert!(JsonFileEtagCache::open(&path).is_empty(), "{name}");
        }
        assert!(JsonFileEtagCache::open(dir.path().join("missing.json")).is_empty());
    }

    #[tokio::test]
    async fn store_cache_round_trips_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let cache = StoreEtagCache::new(Store::open_url(&url).await.unwrap());
        assert_eq!(cache.get("GET /a").await, None);
        cache.put("GET /a", answer("1")).await;
        cache.put("GET /a", answer("2")).await;
        cache.put("blob abc", answer("abc")).await;
        let again = StoreEtagCache::new(Store::open_url(&url).await.unwrap());
        assert_eq!(again.get("GET /a").await, Some(answer("2")));
        assert_eq!(again.get("blob abc").await, Some(answer("abc")));
        // A closed store only costs requests.
        again.store.close().await;
        assert_eq!(again.get("GET /a").await, None);
        again.put("GET /b", answer("3")).await;
    }
}
