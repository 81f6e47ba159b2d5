//! The one integration-test binary (fast to link): one module per area.

mod support;

mod ecosystems;
mod cli;
mod plan;
