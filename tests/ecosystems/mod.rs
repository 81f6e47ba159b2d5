//! Per-ecosystem conformance and snapshot tests, plus robustness properties
//! shared by all of them.

mod cargo;
mod gomod;
mod npm;
mod python;
mod robustness;
mod ruby;
