//! Rollout engine tests: the pure core (properties of the gate and of the
//! transition tables) and the engine against the in-memory forge, on SQLite
//! and PostgreSQL.

mod abort;
mod cascade;
mod cli;
mod cli_local;
mod cli_local_retry;
mod cli_people;
mod clustering;
mod commands;
mod fleet;
mod gate_props;
pub mod ghorg;
mod github_journey;
mod github_quiet;
mod ha;
mod journey;
mod local_failures;
mod lockstep;
mod owners;
mod people_page;
mod quiet;
mod restart;
mod retry_ci;
mod supersede;
mod supersede_webhook;
mod transitions;

// The crash area (`tests/crash/`) shares this module's helpers; it is
// mounted here so `tests/tests.rs` needs no new line.
#[path = "../crash/mod.rs"]
mod crash;
