//! Shared pieces: an in-memory [`DeliverySink`], signed request builders,
//! fixture loading, and a timeout for every async test.

use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use wavebump::config::secret::Secret;
use wavebump::server::webhook::{
    Acceptance, Delivery, DeliverySink, SinkError, WebhookState, WebhookVerifier, sign,
};

/// The secret the tests' "GitHub" signs with.
pub const SECRET: &str = "whsec-current-7f3a";
/// The previous secret, still accepted during a rotation.
pub const OLD_SECRET: &str = "whsec-previous-19c2";

/// Deliveries stored in memory, deduplicated by id like the real inbox.
#[derive(Clone, Default)]
pub struct MemorySink {
    inner: Arc<Mutex<SinkState>>,
}

#[derive(Default)]
struct SinkState {
    stored: Vec<Delivery>,
    seen: HashSet<String>,
    fail: bool,
}

impl MemorySink {
    /// What was stored, in order.
    pub fn stored(&self) -> Vec<Delivery> {
        self.inner.lock().unwrap().stored.clone()
    }

    /// Makes every following `accept` fail.
    pub fn fail_from_now(&self) {
        self.inner.lock().unwrap().fail = true;
    }
}

impl DeliverySink for MemorySink {
    async fn accept(&self, delivery: Delivery) -> Result<Acceptance, SinkError> {
        let mut s = self.inner.lock().unwrap();
        if s.fail {
            return Err(SinkError("disk full".into()));
        }
        if !s.seen.insert(delivery.delivery_id.as_str().to_owned()) {
            return Ok(Acceptance::Duplicate);
        }
        s.stored.push(delivery);
        Ok(Acceptance::Accepted)
    }
}

/// A state accepting [`SECRET`] and [`OLD_SECRET`], with `max` as body cap.
pub fn state(max: usize) -> (WebhookState<MemorySink>, MemorySink) {
    let sink = MemorySink::default();
    let verifier = WebhookVerifier::new(vec![Secret::new(OLD_SECRET), Secret::new(SECRET)])
        .with_max_body_bytes(max);
    (WebhookState::new(verifier, sink.clone()), sink)
}

/// The directory of payload fixtures.
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/webhook")
}

/// One fixture's bytes (`check_run.completed.json`).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every fixture file name, sorted.
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// The event name a fixture is for: the part before the first dot.
pub fn event_of(fixture: &str) -> &str {
    fixture.split('.').next().unwrap()
}

/// A request as GitHub sends it, with every header; tests then remove or
/// change what they are about.
#[derive(Clone, Debug)]
pub struct Delivered {
    pub event: String,
    pub id: String,
    pub body: Vec<u8>,
    pub signature: Option<String>,
    pub content_type: Option<String>,
    pub send_id: bool,
    pub send_event: bool,
}

impl Delivered {
    /// Signed with [`SECRET`].
    pub fn new(event: &str, id: &str, body: Vec<u8>) -> Self {
        let signature = Some(sign(&Secret::new(SECRET), &body));
        Delivered {
            event: event.to_owned(),
            id: id.to_owned(),
            body,
            signature,
            content_type: Some("application/json".to_owned()),
            send_id: true,
            send_event: true,
        }
    }

    /// Re-signs with another secret.
    pub fn signed_with(mut self, secret: &str) -> Self {
        self.signature = Some(sign(&Secret::new(secret), &self.body));
        self
    }

    /// The axum request.
    pub fn request(&self) -> Request<Body> {
        let mut b = Request::post("/webhook")
            .header("user-agent", "GitHub-Hookshot/5f4a1b2")
            .header("content-length", self.body.len().to_string())
            .header("x-github-hook-id", "512345678")
            .header("x-github-hook-installation-target-type", "integration");
        if let Some(ct) = &self.content_type {
            b = b.header("content-type", ct);
        }
        if let Some(sig) = &self.signature {
            b = b.header("x-hub-signature-256", sig);
        }
        if self.send_id {
            b = b.header("x-github-delivery", &self.id);
        }
        if self.send_event {
            b = b.header("x-github-event", &self.event);
        }
        b.body(Body::from(self.body.clone())).unwrap()
    }
}

/// Runs `f` with a 10-second bound: a hang fails the test, never stalls it.
pub async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("test took more than 10 s")
}
