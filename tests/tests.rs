//! The one integration-test binary (fast to link): one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod cli;
mod config;
mod demo;
mod ecosystems;
mod fuzz_corpus;
mod git;
mod github;
mod hardening;
mod org;
mod pages;
mod plan;
mod pr;
mod rollout;
mod scripts;
mod serve;
mod store;
mod webhook;
