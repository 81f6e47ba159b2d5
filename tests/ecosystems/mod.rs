//! Per-ecosystem conformance and snapshot tests, plus robustness properties
//! shared by all of them.

mod cargo;
mod gomod;
mod limits;
mod npm;
mod python;
mod robustness;
mod ruby;
