//! Config loading: the example file, defaults, located errors, robustness,
//! secret redaction.

mod defaults;
mod errors;
mod example;
mod robustness;
mod secrets;

/// The smallest valid config (one ecosystem).
pub const MINIMAL: &str =
    "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n";
