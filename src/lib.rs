//! wavebump: carries a new release of a shared library into every repository
//! that consumes it, in CI-gated, dependency-ordered waves.
//!
//! See `ARCHITECTURE.md` for the module map.

// `[lints.clippy]` denies unwrap/expect/panic in product code; unit tests
// may use them.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod cli;
pub mod cli_demo;
pub mod cli_plan;
pub mod cli_rollout;
pub mod cli_serve;
pub mod cli_status;
pub mod clock;
pub mod config;
pub mod demo;
pub mod discover;
pub mod ecosystem;
pub mod forge;
/// Checks shared by the fuzz targets (`fuzz/`) and the corpus tests; not a
/// public API. Test harness: only with the `fuzzing` feature.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod inspect;
pub mod names;
pub mod plan;
pub mod planning;
pub mod render;
pub mod report;
pub mod rollout;
pub mod server;
pub mod status;
pub mod store;
