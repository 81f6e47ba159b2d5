//! Manifests of the five ecosystems: find the library's requirement, judge it
//! against a new release, rewrite it byte-exactly.
//!
//! Invariant: a rewrite changes only the bytes of the requirement (a version
//! range, a git tag, a Go module path) and keeps every other byte of the file.
//!
//! Each ecosystem is one submodule implementing [`Handler`]; [`scan`] drives
//! all of them over a [`SourceTree`].

pub mod cargo;
pub mod gomod;
pub mod npm;
pub mod python;
pub mod ruby;
mod scan;
mod tree;

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use scan::{
    DEFAULT_MAX_MANIFEST_BYTES, ScanAbort, ScanLimits, ScanReport, SpliceError, Target,
    apply_splices, read_manifest, scan, scan_within,
};
pub use tree::{DirTree, MemTree, ReadError, SourceTree};

/// The ecosystems wavebump understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Cargo,
    Npm,
    Go,
    Python,
    Ruby,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 5] = [
        Ecosystem::Cargo,
        Ecosystem::Npm,
        Ecosystem::Go,
        Ecosystem::Python,
        Ecosystem::Ruby,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "go",
            Ecosystem::Python => "python",
            Ecosystem::Ruby => "ruby",
        }
    }

    /// The handler implementing this ecosystem.
    pub fn handler(self) -> &'static dyn Handler {
        match self {
            Ecosystem::Cargo => &cargo::Cargo,
            Ecosystem::Npm => &npm::Npm,
            Ecosystem::Go => &gomod::GoMod,
            Ecosystem::Python => &python::Python,
            Ecosystem::Ruby => &ruby::Ruby,
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an npm `||` union admits a new version
/// (`pull_requests.npm_unions`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NpmUnions {
    /// One more alternative in the last one's style:
    /// `^0.27.0 || ^0.28.0` → `^0.27.0 || ^0.28.0 || ^1.0.0`.
    #[default]
    Add,
    /// The last alternative moved: `^0.27.0 || ^0.28.0` → `^0.27.0 || ^1.0.0`.
    ReplaceLast,
}

/// The configured rewrite styles, per ecosystem.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RewriteOptions {
    pub npm_unions: NpmUnions,
}

/// Lockfile names of every ecosystem.
pub const LOCKFILE_NAMES: &[&str] = &[
    "Cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "go.sum",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "Gemfile.lock",
    "gems.locked",
];

/// Is this path one the scan may read: a manifest, a lockfile, or Go source
/// (whose imports move with a Go major)? Lets forges fetch only these.
pub fn is_relevant_path(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    LOCKFILE_NAMES.contains(&file)
        || file.ends_with(".go")
        || Ecosystem::ALL
            .iter()
            .any(|eco| eco.handler().is_manifest(path))
}

/// Rounds of includes a forge follows (an include of an include...).
pub const INCLUDE_DEPTH: usize = 4;

/// The files the manifests of `tree` include that `tree` does not hold
/// (see [`Handler::included_paths`]), sorted: what a forge that fetched only
/// the relevant paths must fetch next.
pub fn missing_includes(tree: &MemTree) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for (path, bytes) in tree.iter() {
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        // A manifest, or a file fetched because one included it (its own
        // includes are followed too).
        let included = !is_relevant_path(path);
        for eco in Ecosystem::ALL {
            let handler = eco.handler();
            if !included && !handler.is_manifest(path) {
                continue;
            }
            for included in handler.included_paths(path, text) {
                if tree.get(&included).is_none() {
                    out.insert(included);
                }
            }
        }
    }
    out.into_iter().collect()
}

/// The watched library's package name in each ecosystem; `None` where the
/// library is not published in that ecosystem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryNames {
    pub cargo: Option<String>,
    pub npm: Option<String>,
    pub go: Option<String>,
    pub python: Option<String>,
    pub ruby: Option<String>,
}

impl LibraryNames {
    /// The names of the proverbial `acme/core-utils` (the embedded default).
    pub fn acme_core_utils() -> Self {
        LibraryNames {
            cargo: Some("core-utils".into()),
            npm: Some("@acme/core-utils".into()),
            go: Some("github.com/acme/core-utils".into()),
            python: Some("core-utils".into()),
            ruby: Some("core-utils".into()),
        }
    }

    /// The same name in every ecosystem (Go takes it as a module path only
    /// when it contains a `/`).
    pub fn uniform(name: &str) -> Self {
        LibraryNames {
            cargo: Some(name.into()),
            npm: Some(name.into()),
            go: name.contains('/').then(|| name.into()),
            python: Some(name.into()),
            ruby: Some(name.into()),
        }
    }

    pub fn get(&self, ecosystem: Ecosystem) -> Option<&str> {
        match ecosystem {
            Ecosystem::Cargo => self.cargo.as_deref(),
            Ecosystem::Npm => self.npm.as_deref(),
            Ecosystem::Go => self.go.as_deref(),
            Ecosystem::Python => self.python.as_deref(),
            Ecosystem::Ruby => self.ruby.as_deref(),
        }
    }
}

/// How a manifest expresses its requirement on the library.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// A version requirement resolved against a registry (`^1.4`, `~> 1.4`,
    /// `>=1.2,<2`, Go's `v1.4.0` minimum).
    Registry,
    /// A git dependency pinned by `reference`.
    Git { url: String, reference: GitRef },
    /// Inherited from a workspace root (`core-utils.workspace = true`): the
    /// requirement text and its edit live in the root manifest.
    Workspace { root: String },
    /// A local path dependency without a version: nothing to bump.
    Path { path: String },
}

/// What a git dependency is pinned to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum GitRef {
    Tag(String),
    Rev(String),
    Branch(String),
    /// npm's `#semver:^1.4.0`.
    Semver(String),
    /// No reference: the default branch.
    DefaultBranch,
}

/// A byte range of one file and the text that replaces it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Splice {
    pub path: String,
    pub span: Range<usize>,
    pub replacement: String,
}

/// One requirement of the library found in one manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub ecosystem: Ecosystem,
    /// Manifest path, relative to the repository root, `/`-separated.
    pub path: String,
    /// 1-based line of the requirement (of the dependency entry when the
    /// requirement is inherited or absent).
    pub line: u32,
    /// Where in the manifest: `dependencies`, `dev-dependencies`,
    /// `target.'cfg(unix)'.dependencies`, `require`, `replace`,
    /// `project.optional-dependencies.test`, `gemspec:add_dependency`, ...
    pub section: String,
    /// The dependency's key as written (a rename or alias: `cu`).
    pub key: String,
    /// The requirement exactly as written: `^1.4.2`, `~> 1.4`, `>=1.2,<2`,
    /// `v1.4.0`, or for a git dependency the reference (`v1.4.0`). Empty
    /// when the manifest states none (a bare `gem "core-utils"`).
    pub requirement: String,
    pub source: Source,
    /// Byte span of `requirement` in the file that holds it (the workspace
    /// root for an inherited requirement); `None` when there is nothing to
    /// edit (no requirement written, a path dependency).
    pub span: Option<Range<usize>>,
    /// File holding `span` (equal to `path` unless inherited).
    pub span_path: String,
}

/// How a target moves to the new release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    /// Locked (or minimally required) at or above the new version already.
    UpToDate,
    /// The requirement admits the new version: only the lockfile moves.
    LockfileOnly,
    /// The requirement must be rewritten, within the same major.
    Rewrite,
    /// The new version crosses a major (for Go also the module path).
    Major,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::UpToDate => "up-to-date",
            Classification::LockfileOnly => "lockfile-only",
            Classification::Rewrite => "rewrite",
            Classification::Major => "major",
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A handler's verdict on one requirement against a new version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    /// Does the requirement as written already admit the new version?
    pub admits: bool,
    pub classification: Classification,
    /// The new requirement text (same operator and precision), when a
    /// rewrite is needed and safe.
    pub new_requirement: Option<String>,
    /// Why no safe rewrite exists (`Some` only when one is needed).
    pub unrewritable: Option<String>,
}

/// A package a manifest publishes and the packages it requires, for the
/// consumer graph.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageInfo {
    /// The package this manifest publishes (crate name, npm name, Go module
    /// path, PyPI project, gem), if any.
    pub publishes: Option<String>,
    /// Every package it requires, by published name (renames resolved).
    pub requires: Vec<String>,
}

/// The commands that move a lockfile to the new version, as data for the PR
/// step (run in order; none is run by the scan).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRefresh {
    /// Directory to run in, relative to the repository root (`""` = root).
    pub dir: String,
    /// The lockfile that moves, relative to the repository root.
    pub lockfile: String,
    /// Each command as argv (no shell): e.g. `["cargo", "update", "-p",
    /// "core-utils", "--precise", "2.0.3"]`.
    pub commands: Vec<Vec<String>>,
}

/// An error in one manifest or lockfile, naming where and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct ManifestError {
    pub path: String,
    /// 1-based; 0 when the error is not tied to a line (unreadable file).
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// An entry a manifest's ecosystem accepts but wavebump skips (or reads
/// as a target of its own): same shape as [`ManifestError`], naming file,
/// line and why. The other requirements of the file stay targets.
pub type ManifestWarning = ManifestError;

/// What [`Handler::find_with_warnings`] found in one manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    pub requirements: Vec<Requirement>,
    pub warnings: Vec<ManifestWarning>,
}

impl ManifestError {
    pub fn new(path: &str, line: u32, column: u32, message: impl Into<String>) -> Self {
        ManifestError {
            path: path.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error at a byte offset of `text`.
    pub fn at_offset(path: &str, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_col(text, offset);
        ManifestError::new(path, line, column, message)
    }
}

/// Why [`Handler::rewrite`] gives no splices. Each variant displays the
/// reason a plan shows for the target (`Judgement::unrewritable`): the
/// manifest's owners read it, so it names the file and what to do. None is
/// temporary: the same tree gives the same answer, so nothing retries it.
/// All but `Unverified` are about the repository's files; `Unverified` is
/// wavebump's own edit failing its check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    /// A file the rewrite reads cannot be read or parsed.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A file the rewrite reads does not parse (a reader without positions).
    #[error("{path}: {message}")]
    Unparsable { path: String, message: String },
    /// The file no longer holds the requirement where it was found.
    #[error("{reason}")]
    Changed { reason: String },
    /// The requirement's form has no safe rewrite (a commit pin, a path
    /// dependency, escapes, hash pins...): a person edits it.
    #[error("{reason}")]
    Refused { reason: String },
    /// The rewritten text fails its re-read, so the rewrite is withheld.
    #[error("{reason}")]
    Unverified { reason: String },
}

impl RewriteError {
    pub fn changed(reason: impl Into<String>) -> Self {
        RewriteError::Changed {
            reason: reason.into(),
        }
    }

    pub fn refused(reason: impl Into<String>) -> Self {
        RewriteError::Refused {
            reason: reason.into(),
        }
    }

    pub fn unverified(reason: impl Into<String>) -> Self {
        RewriteError::Unverified {
            reason: reason.into(),
        }
    }
}

/// Line starts of one text, built once (linear) so that locating many
/// offsets costs a binary search each, not a scan from the start: a
/// manifest with many odd entries stays linear to read.
#[derive(Clone, Debug)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters), as [`line_col`].
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let idx = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.starts.get(idx).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (
            u32::try_from(idx + 1).unwrap_or(u32::MAX),
            u32::try_from(column + 1).unwrap_or(u32::MAX),
        )
    }

    pub fn line(&self, offset: usize) -> u32 {
        self.line_col(offset).0
    }

    /// An error (or warning) at a byte offset.
    pub fn error(&self, path: &str, offset: usize, message: impl Into<String>) -> ManifestError {
        let (line, column) = self.line_col(offset);
        ManifestError::new(path, line, column, message)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() as u32 + 1;
    (line, column)
}

/// One ecosystem's knowledge of its manifests and version rules.
///
/// Every method is pure over its inputs (the tree is read, never written) and
/// must not panic on any input.
pub trait Handler: Sync {
    fn ecosystem(&self) -> Ecosystem;

    /// Is `path` (repository-relative) a manifest this handler reads?
    fn is_manifest(&self, path: &str) -> bool;

    /// Files the manifest at `path` reads besides itself, whatever their
    /// names (`-r`/`-c` includes, `eval_gemfile` targets),
    /// repository-relative: a forge fetches them although
    /// [`is_relevant_path`] does not name them.
    fn included_paths(&self, path: &str, text: &str) -> Vec<String> {
        let _ = (path, text);
        Vec::new()
    }

    /// Every requirement of the library `name` in the manifest at `path`.
    /// The tree gives access to related files (workspace roots, `-r`
    /// includes). Look-alike names and commented-out lines are not matches.
    fn find(
        &self,
        tree: &dyn SourceTree,
        path: &str,
        text: &str,
        name: &str,
    ) -> Result<Vec<Requirement>, ManifestError>;

    /// [`Handler::find`], plus a warning for every entry skipped because it
    /// is odd but accepted by the ecosystem (one such entry never hides the
    /// rest of the file). The default has no warnings.
    fn find_with_warnings(
        &self,
        tree: &dyn SourceTree,
        path: &str,
        text: &str,
        name: &str,
    ) -> Result<Found, ManifestError> {
        Ok(Found {
            requirements: self.find(tree, path, text, name)?,
            warnings: Vec::new(),
        })
    }

    /// Judge a requirement against the new version `to` by this ecosystem's
    /// own semantics, with the version a lockfile pins if any.
    fn judge(&self, req: &Requirement, to: &semver::Version, locked: Option<&str>) -> Judgement;

    /// The splices that move `req` to `to` (for Go majors also every import
    /// path in `.go` files of the module). `Err` says why no safe rewrite
    /// exists.
    fn rewrite(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        to: &semver::Version,
    ) -> Result<Vec<Splice>, RewriteError>;

    /// [`Handler::judge`] under the configured rewrite styles; ecosystems
    /// with no option of their own judge as by default.
    fn judge_with(
        &self,
        req: &Requirement,
        to: &semver::Version,
        locked: Option<&str>,
        _options: &RewriteOptions,
    ) -> Judgement {
        self.judge(req, to, locked)
    }

    /// [`Handler::rewrite`] under the configured rewrite styles.
    fn rewrite_with(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        to: &semver::Version,
        _options: &RewriteOptions,
    ) -> Result<Vec<Splice>, RewriteError> {
        self.rewrite(tree, req, to)
    }

    /// The version of `name` a lockfile next to (or above) the manifest pins.
    fn locked_version(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        name: &str,
    ) -> Result<Option<String>, ManifestError>;

    /// The command that moves the lockfile to `to`, if the manifest has one.
    fn lock_refresh(
        &self,
        tree: &dyn SourceTree,
        req: &Requirement,
        name: &str,
        to: &semver::Version,
    ) -> Option<LockRefresh>;

    /// What the manifest publishes and requires (for the consumer graph).
    fn package_info(&self, path: &str, text: &str) -> Result<PackageInfo, ManifestError>;
}
