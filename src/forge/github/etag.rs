//! Conditional-request cache: the last ETag and body of every GET the forge
//! made, so a re-scan sends `If-None-Match` and GitHub answers 304 (which it
//! does not count against the rate limit). Git blobs are content-addressed,
//! so a cached blob is reused without any request.
//!
//! Invariant: an entry is only ever the body GitHub sent with that ETag; a
//! cache that cannot be read starts empty (it only costs requests), and no
//! credential is ever a key or a value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One cached answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedAnswer {
    pub etag: String,
    pub body: String,
}

/// Where cached answers live. The store implements it later; until then
/// [`JsonFileEtagCache`] and [`MemoryEtagCache`].
pub trait EtagCache: Send + Sync {
    /// The cached answer for a request key (`GET /path?query`).
    fn get(&self, key: &str) -> Option<CachedAnswer>;
    /// Remember an answer.
    fn put(&self, key: &str, answer: CachedAnswer);
    /// Persist what was remembered (no-op for memory caches).
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

impl EtagCache for MemoryEtagCache {
    fn get(&self, key: &str) -> Option<CachedAnswer> {
        lock(&self.entries).get(key).cloned()
    }

    fn put(&self, key: &str, answer: CachedAnswer) {
        lock(&self.entries).insert(key.to_string(), answer);
    }
}

/// A cache kept in memory and written to one JSON file by `flush`.
#[derive(Debug)]
pub struct JsonFileEtagCache {
    path: PathBuf,
    memory: MemoryEtagCache,
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
        }
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
    fn get(&self, key: &str) -> Option<CachedAnswer> {
        self.memory.get(key)
    }

    fn put(&self, key: &str, answer: CachedAnswer) {
        self.memory.put(key, answer);
    }

    /// Write atomically: a temporary file beside the target, then rename.
    fn flush(&self) -> std::io::Result<()> {
        let file = FileFormat {
            version: 1,
            entries: lock(&self.memory.entries).clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(etag: &str) -> CachedAnswer {
        CachedAnswer {
            etag: etag.into(),
            body: format!("{{\"e\":\"{etag}\"}}"),
        }
    }

    #[test]
    fn file_cache_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/etags.json");
        let cache = JsonFileEtagCache::open(&path);
        assert!(cache.is_empty());
        cache.put("GET /a", answer("1"));
        cache.put("GET /b", answer("2"));
        cache.put("GET /a", answer("3"));
        cache.flush().unwrap();
        let again = JsonFileEtagCache::open(&path);
        assert_eq!(again.len(), 2);
        assert_eq!(again.get("GET /a"), Some(answer("3")));
        assert_eq!(again.get("GET /c"), None);
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
}
