//! Go modules: `go.mod` files (every module of a multi-module repository)
//! and `go.work` workspaces, judged by Go's own rules (minimum versions,
//! semantic import versioning) and rewritten byte-exactly.
//!
//! Invariant: the library is matched by exact module path (`name` or
//! `name/vN`); a rewrite edits only version and module-path tokens (and on
//! a major, the library's import paths inside their quotes).
//!
//! Layout: `lexer` and `modfile` read the files; `semver`, `module` and
//! `pseudo` are Go's version rules (`golang.org/x/mod`); `find` matches the
//! library; `judge` decides; `rewrite` and `imports` edit; `gosum` reads
//! go.sum and names the refresh commands.

mod find;
mod gosum;
mod imports;
mod judge;
pub mod lexer;
pub mod modfile;
pub mod module;
pub mod pseudo;
mod rewrite;
pub mod semver;

pub use imports::{Import, imports};
pub use judge::{Move, plan_move};

use crate::ecosystem::{
    Ecosystem, Handler, Judgement, LockRefresh, ManifestError, PackageInfo, Requirement,
    RewriteError, SourceTree, Splice,
};

pub struct GoMod;

/// Directories the go command ignores; manifests there are fixtures or
/// copies, not modules of the repository.
fn ignored_dir(part: &str) -> bool {
    part == "vendor" || part == "testdata"
}

impl Handler for GoMod {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Go
    }

    fn is_manifest(&self, path: &str) -> bool {
        let mut parts = path.rsplit('/');
        let name = parts.next().unwrap_or_default();
        (name == "go.mod" || name == "go.work") && !parts.any(ignored_dir)
    }

    fn find(
        &self,
        _tree: &dyn SourceTree,
        path: &str,
        text: &str,
        name: &str,
    ) -> Result<Vec<Requirement>, ManifestError> {
        find::find(path, text, name)
    }

    fn judge(&self, req: &Requirement, to: &::semver::Version, locked: Option<&str>) -> Judgement {
        judge::judge(req, to, locked)
    }

    fn rewrite(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        to: &::semver::Version,
    ) -> Result<Vec<Splice>, RewriteError> {
        rewrite::rewrite(tree, req, to)
    }

    fn locked_version(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        _name: &str,
    ) -> Result<Option<String>, ManifestError> {
        gosum::locked_version(tree, req)
    }

    fn lock_refresh(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        _name: &str,
        to: &::semver::Version,
    ) -> Option<LockRefresh> {
        gosum::lock_refresh(tree, req, to)
    }

    fn package_info(&self, path: &str, text: &str) -> Result<PackageInfo, ManifestError> {
        find::package_info(path, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_by_name() {
        let table = [
            ("go.mod", true),
            ("svc/api/go.mod", true),
            ("go.work", true),
            ("go.sum", false),
            ("vendor/x/go.mod", false),
            ("pkg/testdata/go.mod", false),
            ("notgo.mod", false),
        ];
        for (path, want) in table {
            assert_eq!(GoMod.is_manifest(path), want, "{path}");
        }
    }
}
