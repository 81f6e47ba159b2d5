//! Test support shared by every area.

#![allow(dead_code)]

pub mod browser;
pub mod conformance;
pub mod fake_github;
pub mod gh_rollout;
pub mod git_http;
pub mod memforge;
pub mod org;
pub mod people;
pub mod postgres;
pub mod scratch;
pub mod snapshot;

use std::path::{Path, PathBuf};

use wavebump::ecosystem::MemTree;

/// The crate's root directory.
pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file below `dir` as a tree (paths relative to `dir`).
pub fn load_tree(dir: &Path) -> MemTree {
    fn walk(root: &Path, dir: &Path, tree: &mut MemTree) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(root, &path, tree);
            } else {
                let rel = path.strip_prefix(root).expect("below root");
                let rel = rel.to_string_lossy().replace('\\', "/");
                tree.insert(rel, std::fs::read(&path).expect("read file"));
            }
        }
    }
    let mut tree = MemTree::new();
    if dir.exists() {
        walk(dir, dir, &mut tree);
    }
    tree
}
