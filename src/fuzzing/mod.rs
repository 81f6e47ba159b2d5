//! The checks the fuzz targets (`fuzz/`) and the corpus regression tests
//! (`tests/fuzz_corpus/`) share: one function per target, taking the raw
//! fuzz input and returning `Err(what broke)` when an invariant fails.
//!
//! Invariant: a check never panics by itself; a panic during a check is a
//! panic of the code under test (libFuzzer reports it as a crash, the
//! corpus test as a failure). `Err` is an invariant violation and the fuzz
//! targets turn it into a panic.
//!
//! `Err` is a `String` by design, here and in every check of this module:
//! a broken invariant is reported to a person, never branched on.
//!
//! Input layouts are documented on each check; the first byte usually
//! selects a variant (file name, event name, version) so that one target
//! covers all of them and the corpus files stay plain files.

mod config;
mod manifest;
mod webhook;

pub use config::check_config;
pub use manifest::{SLOTS, Slot, VERSIONS, check_manifest};
pub use webhook::{check_signature, check_webhook};

use crate::ecosystem::Ecosystem;

/// One target's check: `Err` names the violated invariant.
pub type Check = fn(&[u8]) -> Result<(), String>;

/// Every fuzz target: its name (the `fuzz/fuzz_targets/<name>.rs` file and
/// the `tests/data/fuzz/<name>/` corpus directory) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("config", check_config),
    ("manifest_cargo", |d| check_manifest(Ecosystem::Cargo, d)),
    ("manifest_npm", |d| check_manifest(Ecosystem::Npm, d)),
    ("manifest_go", |d| check_manifest(Ecosystem::Go, d)),
    ("manifest_python", |d| check_manifest(Ecosystem::Python, d)),
    ("manifest_ruby", |d| check_manifest(Ecosystem::Ruby, d)),
    ("webhook_event", check_webhook),
    ("webhook_signature", check_signature),
];

/// The check of the target `name`, `None` for an unknown name.
pub fn check_for(name: &str) -> Option<Check> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
