//! `wavebump serve`'s HTTP side (issue 6).
//!
//! - [`webhook`]: receiving GitHub deliveries — signature check, body cap,
//!   the [`webhook::VerifiedDelivery`] axum extractor and the `POST /webhook`
//!   router that hands verified deliveries to a [`webhook::DeliverySink`].
//!   Nothing there parses a payload beyond a JSON syntax check.
//! - [`events`]: wavebump's own closed enum of GitHub events and the parsers
//!   that turn a stored delivery's bytes into it (run by the worker, later).
//! - [`commands`]: the pure `/wavebump ...` comment-command grammar.
//! - [`inbox`]: the store-backed sink (the durable inbox).
//! - [`worker`]: the one worker draining the inbox (retries, parking).
//! - [`serve`]: the whole `wavebump serve` app (router + background work).
//! - [`lease`]: which replica (of several on one database) drains the
//!   inbox and ticks.
//! - [`health`], [`metrics`]: `/healthz`, `/readyz`, `/metrics`.
//!
//! Invariant: receiving and processing are separate. The handler verifies,
//! hands the raw bytes to the sink and answers; parsing happens afterwards,
//! so a delivery is never lost to a parser bug and never processed unverified.

pub mod commands;
pub mod events;
pub mod health;
pub mod inbox;
pub mod lease;
pub mod metrics;
pub mod retention;
pub mod serve;
pub mod webhook;
pub mod worker;
