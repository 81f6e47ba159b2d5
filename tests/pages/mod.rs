//! The status page (issue 7): rendering snapshots, security rules through
//! the real router, the graph layout, and the page in headless Chromium.

mod browser;
pub(crate) mod fixture;
mod graph;
mod live;
mod login_guard;
mod render;
mod security;
mod topology;
mod weight;
