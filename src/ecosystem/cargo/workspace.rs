//! Finding a member's workspace root: the `package.workspace` path if the
//! member names one, else the nearest `Cargo.toml` at or above the member
//! that has a `[workspace]` table -- as Cargo does.
//!
//! Invariant: only files of the tree are read; a root that does not parse is
//! an error naming that root, not a silent miss.

use toml_edit::Document;

use super::{manifest, paths};
use crate::ecosystem::{ManifestError, SourceTree};

/// The workspace root of the member at `member` (`doc` is its parsed
/// manifest): its path and text, or `None` when there is none in the tree.
pub fn find_root(
    tree: &dyn SourceTree,
    member: &str,
    doc: &Document<&str>,
) -> Result<Option<(String, String)>, ManifestError> {
    let dir = paths::dir_of(member);
    let explicit = doc
        .get("package")
        .and_then(|p| p.get("workspace"))
        .and_then(|w| w.as_str());
    if let Some(rel) = explicit {
        let Some(root_dir) = paths::resolve(dir, rel) else {
            return Ok(None);
        };
        let path = paths::join(&root_dir, "Cargo.toml");
        return read_root(tree, &path);
    }
    if doc.contains_key("workspace") {
        return Ok(Some((member.to_string(), doc.raw().to_string())));
    }
    for ancestor in paths::ancestors(dir).skip(1) {
        let path = paths::join(ancestor, "Cargo.toml");
        if let Some(found) = read_root(tree, &path)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The manifest at `path` if it exists and declares `[workspace]`.
fn read_root(tree: &dyn SourceTree, path: &str) -> Result<Option<(String, String)>, ManifestError> {
    if !tree.exists(path) {
        return Ok(None);
    }
    let text = tree.read_text(path)?;
    let is_root = manifest::parse(path, &text)?.contains_key("workspace");
    Ok(is_root.then(|| (path.to_string(), text)))
}
