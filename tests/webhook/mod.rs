//! Webhook receiving and event parsing (issue 6): fixtures with GitHub's
//! payload shapes, the real router driven in-process and over a socket, the
//! rejection cases, and robustness of the parsers.

mod fixtures;
mod harness;
mod limits;
mod manifest;
mod official;
mod receive;
mod robustness;
mod schema;
mod socket;
