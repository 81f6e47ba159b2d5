//! Read-only views of a repository's files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ManifestError;

/// Why a file of a tree cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no such file")]
    NoSuchFile,
    #[error("path leaves the tree")]
    LeavesTree,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A repository's files as wavebump sees them: a committed tree (forges) or a
/// directory on disk (`wavebump inspect`). Paths are relative and
/// `/`-separated.
pub trait SourceTree: Sync {
    /// Every file path, sorted.
    fn files(&self) -> Vec<String>;

    /// The bytes of one file.
    fn read(&self, path: &str) -> Result<Vec<u8>, ReadError>;

    /// Does the file exist?
    fn exists(&self, path: &str) -> bool {
        self.read(path).is_ok()
    }

    /// Relevant paths that are not UTF-8, escaped (`caf\xE9/package.json`):
    /// files that exist but cannot be read or named. Discovery reports each.
    fn non_utf8_paths(&self) -> Vec<String> {
        Vec::new()
    }

    /// One file as UTF-8 text, or an error naming it.
    fn read_text(&self, path: &str) -> Result<String, ManifestError> {
        let bytes = self
            .read(path)
            .map_err(|e| ManifestError::new(path, 0, 0, format!("cannot read file: {e}")))?;
        String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes());
            ManifestError::at_offset(path, &text, offset, "invalid UTF-8: expected a text file")
        })
    }
}

/// A tree held in memory (tests, generated organisations, forge snapshots).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemTree {
    files: BTreeMap<String, Vec<u8>>,
    /// Paths that are not UTF-8, escaped; see [`SourceTree::non_utf8_paths`].
    non_utf8: Vec<String>,
}

impl MemTree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), bytes.into());
    }

    pub fn with(mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        self.insert(path, bytes);
        self
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<u8>)> {
        self.files.iter()
    }

    /// Record a relevant path that is not UTF-8 (escaped).
    pub fn add_non_utf8(&mut self, escaped_path: String) {
        self.non_utf8.push(escaped_path);
    }
}

impl FromIterator<(String, Vec<u8>)> for MemTree {
    fn from_iter<I: IntoIterator<Item = (String, Vec<u8>)>>(iter: I) -> Self {
        MemTree {
            files: iter.into_iter().collect(),
            non_utf8: Vec::new(),
        }
    }
}

impl SourceTree for MemTree {
    fn files(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, ReadError> {
        self.files.get(path).cloned().ok_or(ReadError::NoSuchFile)
    }

    fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    fn non_utf8_paths(&self) -> Vec<String> {
        self.non_utf8.clone()
    }
}

/// A directory on disk. Skips `.git`, `node_modules` and `target`.
#[derive(Clone, Debug)]
pub struct DirTree {
    root: PathBuf,
    files: Vec<String>,
}

/// Directories never descended into: VCS data and build or install output.
const SKIPPED_DIRS: [&str; 3] = [".git", "node_modules", "target"];

impl DirTree {
    pub fn open(root: &Path) -> std::io::Result<Self> {
        let mut files = Vec::new();
        walk(root, "", &mut files)?;
        files.sort();
        Ok(DirTree {
            root: root.to_path_buf(),
            files,
        })
    }
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                walk(&entry.path(), &rel, out)?;
            }
        } else if kind.is_file() {
            out.push(rel);
        }
    }
    Ok(())
}

impl SourceTree for DirTree {
    fn files(&self) -> Vec<String> {
        self.files.clone()
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, ReadError> {
        if path.split('/').any(|part| part == "..") {
            return Err(ReadError::LeavesTree);
        }
        Ok(std::fs::read(self.root.join(path))?)
    }
}
