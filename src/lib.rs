//! wavebump: carries a new release of a shared library into every repository
//! that consumes it, in CI-gated, dependency-ordered waves.
//!
//! See `ARCHITECTURE.md` for the module map.

pub mod cli;
pub mod cli_demo;
pub mod cli_plan;
pub mod cli_rollout;
pub mod cli_serve;
pub mod cli_status;
pub mod config;
pub mod demo;
pub mod discover;
pub mod ecosystem;
pub mod forge;
/// Checks shared by the fuzz targets (`fuzz/`) and the corpus tests; not a
/// public API.
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod inspect;
pub mod plan;
pub mod planning;
pub mod render;
pub mod report;
pub mod rollout;
pub mod server;
pub mod status;
pub mod store;
