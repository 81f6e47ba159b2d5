//! Hardening (issue 9): the product under bad conditions, end to end.
//!
//! - `faults`: a 100-repository rollout against the fake GitHub with 10 %
//!   of API requests failing at random (5xx, 403 secondary limit and 429
//!   with `Retry-After`, answers slower than the client's timeout) and
//!   pushes rejected: it completes, one PR per target, every `Retry-After`
//!   waited for, a bounded number of requests.
//! - `serve_crash`: the real `wavebump serve` killed with SIGKILL 20 times
//!   during a rollout while signed webhooks keep arriving: no accepted
//!   delivery lost, the inbox drains after each restart, one PR per target.
//! - `secrets`: a full rollout with recognisable secret values; none of
//!   them appears in logs, the database, the git cache, PRs or pages.
//!
//! Scale figures (5,000 repositories) are in `benches/`, not here.

mod faults;
mod hostile;
mod secrets;
mod serve_bin;
mod serve_crash;

/// SplitMix64: reproducible choices from a seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// A Cargo manifest of `name`, on core-utils `req` if given.
pub fn cargo(name: &str, req: Option<&str>) -> wavebump::ecosystem::MemTree {
    let mut text = format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n[dependencies]\n");
    if let Some(v) = req {
        text.push_str(&format!("core-utils = \"{v}\"\n"));
    }
    wavebump::ecosystem::MemTree::new().with("Cargo.toml", text)
}

/// The head branch every target's PR uses (the default template).
pub const BRANCH: &str = "wavebump/core-utils-2.0.0";
