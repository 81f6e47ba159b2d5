//! Npm manifests (scaffold: to be implemented).

pub mod node_semver;

use crate::ecosystem::{
    Classification, Ecosystem, Handler, Judgement, LockRefresh, ManifestError, PackageInfo,
    Requirement, SourceTree, Splice,
};

pub struct Npm;

impl Handler for Npm {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Npm
    }

    fn is_manifest(&self, _path: &str) -> bool {
        false
    }

    fn find(
        &self,
        _tree: &dyn SourceTree,
        _path: &str,
        _text: &str,
        _name: &str,
    ) -> Result<Vec<Requirement>, ManifestError> {
        Ok(Vec::new())
    }

    fn judge(&self, _req: &Requirement, _to: &semver::Version, _locked: Option<&str>) -> Judgement {
        Judgement {
            admits: false,
            classification: Classification::Rewrite,
            new_requirement: None,
            unrewritable: Some("not implemented".into()),
        }
    }

    fn rewrite(
        &self,
        _tree: &dyn SourceTree,
        _req: &Requirement,
        _to: &semver::Version,
    ) -> Result<Vec<Splice>, String> {
        Err("not implemented".into())
    }

    fn locked_version(
        &self,
        _tree: &dyn SourceTree,
        _req: &Requirement,
        _name: &str,
    ) -> Result<Option<String>, ManifestError> {
        Ok(None)
    }

    fn lock_refresh(
        &self,
        _tree: &dyn SourceTree,
        _req: &Requirement,
        _name: &str,
        _to: &semver::Version,
    ) -> Option<LockRefresh> {
        None
    }

    fn package_info(&self, _path: &str, _text: &str) -> Result<PackageInfo, ManifestError> {
        Ok(PackageInfo::default())
    }
}
