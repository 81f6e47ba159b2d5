//! Every request the fake answered: method, path, query, status, and when
//! (so tests count API calls and measure waits between them).

use std::time::Instant;

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub at: Instant,
    /// The operation's path template in GitHub's REST description, when
    /// the request is one.
    pub operation: Option<String>,
}

impl Recorded {
    /// A write: anything but GET/HEAD.
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD")
    }

    /// Counted against the primary rate limit (GitHub does not count 304s).
    pub fn is_counted(&self) -> bool {
        self.status != 304
    }

    /// Token exchanges and App endpoints (auth, not API work).
    pub fn is_auth(&self) -> bool {
        self.path.starts_with("/app/") || self.path.ends_with("/installation")
    }
}

#[derive(Debug, Default)]
pub struct Recorder {
    pub requests: Vec<Recorded>,
}
