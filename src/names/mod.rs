//! Names people write and how they are compared: repository names
//! ([`RepoName`]), repository globs ([`Glob`]) and the one "did you mean"
//! ([`suggest`]).
//!
//! Invariant: a leaf; it depends on nothing else in the crate. Every rule
//! about "is this the same repository", "does this pattern match this
//! repository" and "which known word did the person mean" lives here once.

pub mod glob;
pub mod repo;
pub mod suggest;

pub use glob::{GLOB_EXPECTED, Glob};
pub use repo::RepoName;
