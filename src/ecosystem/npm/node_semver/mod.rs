//! node-semver, reimplemented: versions, ranges, `satisfies`, `gtr` and
//! `minVersion` with the `loose` and `includePrerelease` options.
//!
//! Invariant: answers equal node-semver 7.x's for the same inputs; the
//! conformance data in `../shared/conformance/npm.json` checks it.

mod desugar;
mod range;
mod version;

pub use range::{Comparator, Op, Range};
pub use version::{Ident, Version};

/// node-semver's options (`{ loose, includePrerelease }`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub loose: bool,
    pub include_prerelease: bool,
}

/// `semver.satisfies(version, range, options)`: false for an invalid
/// version or range.
pub fn satisfies(version: &str, range: &str, opts: Options) -> bool {
    let Some(range) = Range::parse(range, opts) else {
        return false;
    };
    match Version::parse(version, opts.loose) {
        Ok(v) => range.test(&v),
        Err(_) => false,
    }
}

/// `semver.gtr(version, range, options)`: is `version` above every version
/// the range admits? `None` where node-semver throws (invalid input).
pub fn gtr(version: &str, range: &str, opts: Options) -> Option<bool> {
    let v = Version::parse(version, opts.loose).ok()?;
    let range = Range::parse(range, opts)?;
    Some(range.is_below(&v))
}
