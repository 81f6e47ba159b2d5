//! The demo: the local forge's write side, and `wavebump demo` end to end
//! in-process on a small organisation.

mod cli;
mod forge;
mod forge_people;
mod run;
mod steer;
