//! Module paths and their versions (`golang.org/x/mod/module`): path
//! validity for modules, imports and files, the major-version suffix
//! (`/v2`, `gopkg.in/yaml.v2`) and whether a version fits it.
//!
//! Invariant: pure, total functions; `Err` carries a message in Go's words.

use super::semver;

/// The three kinds of path Go checks, each with its own character set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Module,
    Import,
    File,
}

/// Reserved file names on Windows, refused as a path element's stem.
const BAD_WINDOWS_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

fn mod_path_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

fn import_path_ok(c: char) -> bool {
    mod_path_ok(c) || c == '+'
}

/// File names also allow Unicode letters (Go's `unicode.IsLetter`,
/// approximated by `char::is_alphabetic`) and more punctuation.
fn file_name_ok(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || "!#$%&()+,-.=@[]^_{}~ ".contains(c)
    } else {
        c.is_alphabetic()
    }
}

/// Why a module, import or file path is malformed (Go's wording).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathFault {
    #[error("empty string")]
    Empty,
    #[error("leading dash")]
    LeadingDash,
    #[error("double slash")]
    DoubleSlash,
    #[error("trailing slash")]
    TrailingSlash,
    #[error("empty path element")]
    EmptyElement,
    #[error("invalid path element {0:?}")]
    DotsOnly(String),
    #[error("leading dot in path element")]
    LeadingDot,
    #[error("trailing dot in path element")]
    TrailingDot,
    #[error("invalid char {0:?}")]
    InvalidChar(char),
    #[error("{0:?} disallowed as path element component on Windows")]
    WindowsName(String),
    #[error("trailing tilde and digits in path element")]
    ShortName,
    #[error("leading slash")]
    LeadingSlash,
    #[error("missing dot in first path element")]
    FirstNoDot,
    #[error("leading dash in first path element")]
    FirstLeadingDash,
    #[error("invalid char {0:?} in first path element")]
    FirstInvalidChar(char),
    #[error("invalid version")]
    InvalidVersion,
}

/// A module path or version Go's `module` package rejects.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModuleError {
    #[error("malformed module path {path:?}: {why}")]
    ModulePath { path: String, why: PathFault },
    #[error("malformed import path {path:?}: {why}")]
    ImportPath { path: String, why: PathFault },
    #[error("malformed file path {path:?}: {why}")]
    FilePath { path: String, why: PathFault },
    #[error("malformed semantic version {0:?}")]
    Version(String),
    #[error("mismatched module path {path} and version {version} (want {want})")]
    Mismatch {
        path: String,
        version: String,
        want: String,
    },
}

fn first_path_ok(c: char) -> bool {
    c == '-' || c == '.' || c.is_ascii_digit() || c.is_ascii_lowercase()
}

fn check_path_kind(path: &str, kind: Kind) -> Result<(), PathFault> {
    if path.is_empty() {
        return Err(PathFault::Empty);
    }
    if path.starts_with('-') && kind != Kind::File {
        return Err(PathFault::LeadingDash);
    }
    if path.contains("//") {
        return Err(PathFault::DoubleSlash);
    }
    if path.ends_with('/') {
        return Err(PathFault::TrailingSlash);
    }
    path.split('/').try_for_each(|elem| check_elem(elem, kind))
}

fn check_elem(elem: &str, kind: Kind) -> Result<(), PathFault> {
    if elem.is_empty() {
        return Err(PathFault::EmptyElement);
    }
    if elem.bytes().all(|b| b == b'.') {
        return Err(PathFault::DotsOnly(elem.to_string()));
    }
    if elem.starts_with('.') && kind == Kind::Module {
        return Err(PathFault::LeadingDot);
    }
    if elem.ends_with('.') {
        return Err(PathFault::TrailingDot);
    }
    let ok = match kind {
        Kind::Module => mod_path_ok,
        Kind::Import => import_path_ok,
        Kind::File => file_name_ok,
    };
    if let Some(c) = elem.chars().find(|&c| !ok(c)) {
        return Err(PathFault::InvalidChar(c));
    }
    let short = elem.split('.').next().unwrap_or(elem);
    if BAD_WINDOWS_NAMES
        .iter()
        .any(|bad| bad.eq_ignore_ascii_case(short))
    {
        return Err(PathFault::WindowsName(short.to_string()));
    }
    if kind == Kind::File {
        return Ok(());
    }
    // Windows short names: a tilde followed by digits only.
    if let Some(tilde) = short.rfind('~') {
        let suffix = &short[tilde + 1..];
        if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PathFault::ShortName);
        }
    }
    Ok(())
}

/// `module.CheckPath`: a valid module path (lower-case domain-like first
/// element with a dot, a well-formed major suffix).
pub fn check_path(path: &str) -> Result<(), ModuleError> {
    let malformed = |why: PathFault| ModuleError::ModulePath {
        path: path.to_string(),
        why,
    };
    check_path_kind(path, Kind::Module).map_err(malformed)?;
    let first = path.split('/').next().unwrap_or_default();
    if first.is_empty() {
        return Err(malformed(PathFault::LeadingSlash));
    }
    if !first.contains('.') {
        return Err(malformed(PathFault::FirstNoDot));
    }
    if first.starts_with('-') {
        return Err(malformed(PathFault::FirstLeadingDash));
    }
    if let Some(c) = first.chars().find(|&c| !first_path_ok(c)) {
        return Err(malformed(PathFault::FirstInvalidChar(c)));
    }
    if !split_path_version(path).2 {
        return Err(malformed(PathFault::InvalidVersion));
    }
    Ok(())
}

/// `module.CheckImportPath`.
pub fn check_import_path(path: &str) -> Result<(), ModuleError> {
    check_path_kind(path, Kind::Import).map_err(|why| ModuleError::ImportPath {
        path: path.to_string(),
        why,
    })
}

/// `module.CheckFilePath`.
pub fn check_file_path(path: &str) -> Result<(), ModuleError> {
    check_path_kind(path, Kind::File).map_err(|why| ModuleError::FilePath {
        path: path.to_string(),
        why,
    })
}

/// `module.SplitPathVersion`: `(prefix, path_major, ok)` with
/// `prefix + path_major == path`; `path_major` is `""`, `/vN` (N >= 2) or
/// for gopkg.in `.vN`.
pub fn split_path_version(path: &str) -> (&str, &str, bool) {
    if path.starts_with("gopkg.in/") {
        return split_gopkg_in(path);
    }
    let bytes = path.as_bytes();
    let mut i = bytes.len();
    let mut dot = false;
    while i > 0 && (bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b'.') {
        dot |= bytes[i - 1] == b'.';
        i -= 1;
    }
    if i <= 1 || i == bytes.len() || bytes[i - 1] != b'v' || bytes[i - 2] != b'/' {
        return (path, "", true);
    }
    let (prefix, major) = path.split_at(i - 2);
    if dot || major.len() <= 2 || major.as_bytes()[2] == b'0' || major == "/v1" {
        return (path, "", false);
    }
    (prefix, major, true)
}

fn split_gopkg_in(path: &str) -> (&str, &str, bool) {
    let bytes = path.as_bytes();
    let mut i = bytes.len();
    if path.ends_with("-unstable") {
        i -= "-unstable".len();
    }
    while i > 0 && bytes[i - 1].is_ascii_digit() {
        i -= 1;
    }
    if i <= 1 || bytes[i - 1] != b'v' || bytes[i - 2] != b'.' {
        return (path, "", false);
    }
    let (prefix, major) = path.split_at(i - 2);
    if major.len() <= 2 || (major.as_bytes()[2] == b'0' && major != ".v0") {
        return (path, "", false);
    }
    (prefix, major, true)
}

/// `module.MatchPathMajor`: does version `v` fit the path's major suffix?
pub fn match_path_major(v: &str, path_major: &str) -> bool {
    let mut path_major = path_major;
    if path_major.starts_with(".v") {
        path_major = path_major.strip_suffix("-unstable").unwrap_or(path_major);
    }
    if v.starts_with("v0.0.0-") && path_major == ".v1" {
        // Go allows the old pseudo-versions generated for gopkg.in .v1.
        return true;
    }
    let m = semver::major(v);
    if path_major.is_empty() {
        return m == "v0" || m == "v1" || semver::build(v) == "+incompatible";
    }
    (path_major.starts_with('/') || path_major.starts_with('.')) && m == path_major[1..]
}

/// `module.Check`: a valid module path and version that correspond.
pub fn check(path: &str, version: &str) -> Result<(), ModuleError> {
    check_path(path)?;
    if !semver::is_valid(version) {
        return Err(ModuleError::Version(version.to_string()));
    }
    let (_, path_major, _) = split_path_version(path);
    if !match_path_major(version, path_major) {
        let want = match path_major {
            "" => "v0 or v1",
            m => &m[1..],
        };
        return Err(ModuleError::Mismatch {
            path: path.to_string(),
            version: version.to_string(),
            want: want.to_string(),
        });
    }
    Ok(())
}

/// `module.CanonicalVersion`: `semver::canonical` keeping `+incompatible`.
pub fn canonical_version(v: &str) -> String {
    let mut c = semver::canonical(v);
    if !c.is_empty() && semver::build(v) == "+incompatible" {
        c.push_str("+incompatible");
    }
    c
}

/// A `gopkg.in` path's prefix and major: `gopkg.in/yaml.v2` → (`gopkg.in/yaml`,
/// 2). gopkg.in writes every major, v0 and v1 included, as `.vN`.
pub fn gopkg_major(path: &str) -> Option<(&str, u64)> {
    if !path.starts_with("gopkg.in/") {
        return None;
    }
    let (prefix, major, ok) = split_gopkg_in(path);
    if !ok || major.is_empty() || major.ends_with("-unstable") {
        return None;
    }
    Some((prefix, major.strip_prefix(".v")?.parse().ok()?))
}

/// The major version a path's suffix implies: 2 for `/v2`, `None` for no
/// suffix (v0 or v1) or a gopkg.in path.
pub fn path_major_number(path: &str) -> Option<u64> {
    let (_, major, ok) = split_path_version(path);
    if !ok {
        return None;
    }
    major.strip_prefix("/v")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gopkg_in_majors() {
        assert_eq!(gopkg_major("gopkg.in/yaml.v2"), Some(("gopkg.in/yaml", 2)));
        assert_eq!(
            gopkg_major("gopkg.in/acme/core-utils.v1"),
            Some(("gopkg.in/acme/core-utils", 1))
        );
        assert_eq!(gopkg_major("gopkg.in/yaml"), None);
        assert_eq!(gopkg_major("github.com/a/b.v2"), None);
    }

    #[test]
    fn path_majors() {
        assert_eq!(path_major_number("github.com/acme/core-utils/v2"), Some(2));
        assert_eq!(path_major_number("github.com/acme/core-utils"), None);
        assert_eq!(path_major_number("gopkg.in/yaml.v3"), None);
        assert_eq!(path_major_number("x.y/v1"), None);
    }

    #[test]
    fn canonical_keeps_incompatible() {
        assert_eq!(
            canonical_version("v2.0.0+incompatible"),
            "v2.0.0+incompatible"
        );
        assert_eq!(canonical_version("v2+meta"), "");
        assert_eq!(canonical_version("v2.1"), "v2.1.0");
    }

    #[test]
    fn never_panics_on_odd_paths() {
        for p in [
            "/",
            "v",
            "/v",
            "a/v",
            "/v2",
            "gopkg.in/",
            "gopkg.in/.v",
            "é/v2",
            "-",
            ".",
        ] {
            let _ = check_path(p);
            let _ = split_path_version(p);
            let _ = check_import_path(p);
            let _ = check_file_path(p);
        }
    }
}
