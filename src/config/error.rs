//! The config error a user sees, and the config's "did you mean `X`?"
//! (aliases such as `pypi` → `python`, `-` for `_`, then
//! [`crate::names::suggest`]).
//!
//! Invariant: every [`ConfigError`] built from config text has a 1-based
//! `line` and `column`; only a file that cannot be read at all (`Io`) has
//! `line == 0`, and then `Display` prints just the file name.

use std::fmt;

/// What kind of problem a [`ConfigError`] reports (for callers that branch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The file could not be read.
    Io,
    /// The bytes are not UTF-8.
    Encoding,
    /// The text is not valid YAML (or is empty).
    Syntax,
    /// A key the schema does not know.
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value of the wrong type (a list where a string belongs, ...).
    InvalidType,
    /// A value of the right type that the schema or validation refuses.
    InvalidValue,
}

/// A refused config: where, which key, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file name (or the origin name given to [`super::Config::parse`]).
    pub origin: String,
    /// 1-based line (0 only for [`ConfigErrorKind::Io`]).
    pub line: u32,
    /// 1-based column (0 only for [`ConfigErrorKind::Io`]).
    pub column: u32,
    /// The key path, e.g. `rollout.gate.success_ratio` or `rollout.tiers[1].name`;
    /// empty for the document itself.
    pub path: String,
    /// The kind of problem.
    pub kind: ConfigErrorKind,
    /// What was expected and what was found, plus any suggestion.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: {}", self.origin, self.message);
        }
        let path = if self.path.is_empty() {
            "(top level)"
        } else {
            &self.path
        };
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.origin, self.line, self.column, path, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// Common misnamings that edit distance would not catch.
const ALIASES: &[(&str, &str)] = &[
    ("pypi", "python"),
    ("pip", "python"),
    ("gem", "ruby"),
    ("rubygems", "ruby"),
    ("crate", "cargo"),
    ("crates", "cargo"),
    ("rust", "cargo"),
    ("golang", "go"),
    ("gomod", "go"),
    ("node", "npm"),
    ("yarn", "npm"),
];

/// The valid name closest to `given`, when it is close enough to be a typo.
pub fn did_you_mean<'a>(given: &str, valid: &[&'a str]) -> Option<&'a str> {
    let lower = given.to_ascii_lowercase();
    if let Some(hit) = valid.iter().find(|v| v.eq_ignore_ascii_case(given)) {
        return Some(hit);
    }
    if let Some((_, to)) = ALIASES.iter().find(|(from, _)| *from == lower)
        && let Some(hit) = valid.iter().find(|v| *v == to)
    {
        return Some(hit);
    }
    let normalised = lower.replace('-', "_");
    crate::names::suggest::closest(&normalised, valid.iter().copied())
}

/// "`a`, `b` or `c`".
pub(crate) fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => "nothing".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let valid = ["repository", "packages", "release_source", "prereleases"];
        assert_eq!(did_you_mean("pakages", &valid), Some("packages"));
        assert_eq!(
            did_you_mean("release-source", &valid),
            Some("release_source")
        );
        assert_eq!(did_you_mean("Repository", &valid), Some("repository"));
        assert_eq!(did_you_mean("zzz", &valid), None);
        assert_eq!(did_you_mean("pypi", &["cargo", "python"]), Some("python"));
    }
}
