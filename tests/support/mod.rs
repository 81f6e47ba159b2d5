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

/// Write a secret file (webhook secret, operator tokens, private key) the
/// way an operator must: mode 0600, readable by its owner only.
pub fn write_secret(path: &Path, contents: impl AsRef<[u8]>) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    file.write_all(contents.as_ref())
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// A copy of the fake GitHub App's private key in `dir`, mode 0600 (the
/// checked-in file's mode is whatever the checkout gave it; a key file
/// others may read is refused).
pub fn private_key_file(dir: &Path) -> PathBuf {
    let path = dir.join("app-private-key.pem");
    write_secret(&path, fake_github::app_private_key());
    path
}

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
