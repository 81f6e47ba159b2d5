//! One JSON records file of the local forge (`pulls.json`, `statuses.json`).
//!
//! Invariants: the file is only replaced whole (written to a temporary file
//! in the same directory, synced, then renamed), so a crash leaves the old
//! or the new version, never a torn one; every read-modify-write holds a
//! per-file lock shared by every `LocalForge` of the process; a file of a
//! newer format or one that does not parse is refused with its path, line
//! and column, and never overwritten.

use std::collections::HashMap;
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::forge::ForgeError;

/// The contents of one records file.
pub trait RecordsFile: Clone + PartialEq + Serialize + DeserializeOwned + Send + 'static {
    /// The format version this code reads and writes.
    const FORMAT: u32;
    /// What the file holds, for errors ("pull-request records").
    const WHAT: &'static str;
    /// An empty file of the current format (what an absent file reads as).
    fn empty() -> Self;
    /// The format the file says it has.
    fn format(&self) -> u32;
}

/// Per-file locks of the process.
static LOCKS: LazyLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The records file at `path`.
#[derive(Debug)]
pub struct Records<T> {
    path: PathBuf,
    lock: Arc<Mutex<()>>,
    kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Records<T> {
    fn clone(&self) -> Self {
        Records {
            path: self.path.clone(),
            lock: Arc::clone(&self.lock),
            kind: PhantomData,
        }
    }
}

fn other(path: &Path, what: &str, e: impl std::fmt::Display) -> ForgeError {
    ForgeError::Other(format!("{}: {what}: {e}", path.display()))
}

impl<T: RecordsFile> Records<T> {
    pub fn new(path: PathBuf) -> Self {
        let lock = {
            let mut locks = LOCKS.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(locks.entry(path.clone()).or_default())
        };
        Records {
            path,
            lock,
            kind: PhantomData,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read the file (an absent file is an empty one).
    pub fn read(&self) -> Result<T, ForgeError> {
        let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.load()
    }

    /// Read, change with `f`, and write back if `f` succeeded and changed
    /// something.
    pub fn update<R>(
        &self,
        f: impl FnOnce(&mut T) -> Result<R, ForgeError>,
    ) -> Result<R, ForgeError> {
        let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut file = self.load()?;
        let before = file.clone();
        let out = f(&mut file)?;
        if file != before {
            self.store(&file)?;
        }
        Ok(out)
    }

    fn load(&self) -> Result<T, ForgeError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::empty()),
            Err(e) => return Err(other(&self.path, "read", e)),
        };
        let file: T = serde_json::from_str(&text).map_err(|e| {
            ForgeError::Other(format!(
                "{}:{}:{}: expected the local forge's {} (JSON object with `format` and `repos`): {e}",
                self.path.display(),
                e.line(),
                e.column(),
                T::WHAT
            ))
        })?;
        if file.format() > T::FORMAT {
            return Err(ForgeError::Other(format!(
                "{}: format {} is newer than this wavebump reads ({}); left untouched",
                self.path.display(),
                file.format(),
                T::FORMAT
            )));
        }
        Ok(file)
    }

    /// Replace the file atomically: temporary file, sync, rename.
    fn store(&self, file: &T) -> Result<(), ForgeError> {
        let dir = self
            .path
            .parent()
            .ok_or_else(|| other(&self.path, "write", "no parent directory"))?;
        std::fs::create_dir_all(dir).map_err(|e| other(dir, "create directory", e))?;
        let mut text =
            serde_json::to_vec_pretty(file).map_err(|e| other(&self.path, "encode", e))?;
        text.push(b'\n');
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            self.path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("records.json"),
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            other(&self.path, "write", e)
        })
    }
}
