//! Rollout engine tests.
