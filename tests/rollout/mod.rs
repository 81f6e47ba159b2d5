//! Rollout engine tests: the pure core (properties of the gate and of the
//! transition tables) and the engine against the in-memory forge, on SQLite
//! and PostgreSQL.

mod commands;
mod fleet;
mod gate_props;
mod ha;
mod journey;
mod quiet;
mod restart;
mod transitions;
