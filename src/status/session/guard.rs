//! The login's defences: failed logins rate-limited per client and
//! globally (token buckets), counted for `/metrics` and logged; the login
//! form's CSRF value signed by the server; the cross-site check of every
//! form POST (`Origin`, `Sec-Fetch-Site`).
//!
//! Rates (documented in the README): each client (peer IP address) may
//! fail [`PER_CLIENT_BURST`] logins at once and then one every
//! [`PER_CLIENT_INTERVAL`]; all clients together [`GLOBAL_BURST`] at once
//! and then one every [`GLOBAL_INTERVAL`]. An attempt beyond them is
//! answered 429 with `Retry-After` without looking at the token, so a
//! brute force learns nothing from it. A successful login gives its
//! attempt back.
//!
//! Invariants: the token of a limited attempt is never compared; the login
//! CSRF value is accepted only if this server (or a replica with the same
//! operator tokens) issued it, within [`LOGIN_FORM_TTL`]; the per-client
//! table is bounded ([`MAX_CLIENTS`]).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, header};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::config::secret::OperatorToken;

/// Failed logins a client may make at once.
pub const PER_CLIENT_BURST: f64 = 5.0;
/// Then one per this interval per client.
pub const PER_CLIENT_INTERVAL: Duration = Duration::from_secs(2);
/// Failed logins all clients together may make at once.
pub const GLOBAL_BURST: f64 = 20.0;
/// Then one per this interval across all clients.
pub const GLOBAL_INTERVAL: Duration = Duration::from_millis(200);
/// Clients remembered at most (the oldest full buckets are forgotten).
pub const MAX_CLIENTS: usize = 10_000;
/// How long a login form (its signed CSRF value) stays valid.
pub const LOGIN_FORM_TTL: Duration = Duration::from_secs(1800);

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(burst: f64, now: Instant) -> Self {
        Bucket {
            tokens: burst,
            at: now,
        }
    }

    fn refill(&mut self, burst: f64, interval: Duration, now: Instant) {
        let gained = now.duration_since(self.at).as_secs_f64() / interval.as_secs_f64();
        self.tokens = (self.tokens + gained).min(burst);
        self.at = now;
    }

    /// Time until one token is there.
    fn wait(&self, interval: Duration) -> Duration {
        interval.mul_f64((1.0 - self.tokens).max(0.0))
    }
}

/// What the login counts, for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginCounts {
    pub success: u64,
    pub bad_token: u64,
    pub rate_limited: u64,
    pub bad_form: u64,
    pub cross_site: u64,
}

/// Why an attempt or action was refused before any check of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Too many failed logins: wait this long.
    Limited(Duration),
}

/// The login's rate limits, counters and form key; one per server.
pub struct LoginGuard {
    clients: Mutex<HashMap<IpAddr, Bucket>>,
    global: Mutex<Option<Bucket>>,
    form_key: [u8; 32],
    success: AtomicU64,
    bad_token: AtomicU64,
    rate_limited: AtomicU64,
    bad_form: AtomicU64,
    cross_site: AtomicU64,
}

impl LoginGuard {
    /// A guard whose login-form key is derived from the operator tokens, so
    /// that every replica with the same operators accepts the others' forms.
    pub fn new(operators: &[OperatorToken]) -> Self {
        let mut h = Sha256::new();
        h.update(b"wavebump login form key\0");
        for op in operators {
            h.update(op.name.as_bytes());
            h.update(b"\0");
            h.update(op.token.expose().as_bytes());
            h.update(b"\0");
        }
        LoginGuard {
            clients: Mutex::new(HashMap::new()),
            global: Mutex::new(None),
            form_key: h.finalize().into(),
            success: AtomicU64::new(0),
            bad_token: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            bad_form: AtomicU64::new(0),
            cross_site: AtomicU64::new(0),
        }
    }

    /// Takes one attempt from the client's and the global bucket, or says
    /// how long to wait (nothing taken).
    pub fn attempt(&self, client: IpAddr) -> Result<(), LoginRefusal> {
        let now = Instant::now();
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let mut global = self.global.lock().unwrap_or_else(|p| p.into_inner());
        let g = global.get_or_insert(Bucket::full(GLOBAL_BURST, now));
        g.refill(GLOBAL_BURST, GLOBAL_INTERVAL, now);
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&client) {
            clients.retain(|_, b| {
                b.refill(PER_CLIENT_BURST, PER_CLIENT_INTERVAL, now);
                b.tokens < PER_CLIENT_BURST
            });
        }
        let c = clients
            .entry(client)
            .or_insert(Bucket::full(PER_CLIENT_BURST, now));
        c.refill(PER_CLIENT_BURST, PER_CLIENT_INTERVAL, now);
        if c.tokens < 1.0 || g.tokens < 1.0 {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
            let wait = c
                .wait(PER_CLIENT_INTERVAL)
                .max(g.wait(GLOBAL_INTERVAL))
                .max(Duration::from_secs(1));
            return Err(LoginRefusal::Limited(wait));
        }
        c.tokens -= 1.0;
        g.tokens -= 1.0;
        Ok(())
    }

    /// A login succeeded: its attempt is given back.
    pub fn succeeded(&self, client: IpAddr) {
        self.success.fetch_add(1, Ordering::Relaxed);
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = clients.get_mut(&client) {
            c.tokens = (c.tokens + 1.0).min(PER_CLIENT_BURST);
        }
        let mut global = self.global.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(g) = global.as_mut() {
            g.tokens = (g.tokens + 1.0).min(GLOBAL_BURST);
        }
    }

    /// A wrong token.
    pub fn failed(&self) {
        self.bad_token.fetch_add(1, Ordering::Relaxed);
    }

    /// A login form with a missing, forged or expired CSRF value.
    pub fn bad_form(&self) {
        self.bad_form.fetch_add(1, Ordering::Relaxed);
    }

    /// A cross-site form POST.
    pub fn cross_site(&self) {
        self.cross_site.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn counts(&self) -> LoginCounts {
        LoginCounts {
            success: self.success.load(Ordering::Relaxed),
            bad_token: self.bad_token.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            bad_form: self.bad_form.load(Ordering::Relaxed),
            cross_site: self.cross_site.load(Ordering::Relaxed),
        }
    }

    fn mac(&self, payload: &str) -> String {
        // HMAC accepts keys of any length.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.form_key) else {
            return String::new();
        };
        mac.update(payload.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A new login-form CSRF value: `nonce.expiry.mac`, signed by this
    /// server; `None` if the OS generator fails.
    pub fn issue_form_token(&self) -> Option<String> {
        let nonce = super::random_token()?;
        let expires = unix_now().saturating_add(LOGIN_FORM_TTL.as_secs());
        let payload = format!("{nonce}.{expires}");
        let mac = self.mac(&payload);
        Some(format!("{payload}.{mac}"))
    }

    /// Whether `value` was issued by [`Self::issue_form_token`] (same key)
    /// and has not expired.
    pub fn form_token_valid(&self, value: &str) -> bool {
        let Some((payload, mac)) = value.rsplit_once('.') else {
            return false;
        };
        let Some((_, expires)) = payload.split_once('.') else {
            return false;
        };
        let fresh = expires.parse::<u64>().is_ok_and(|e| e > unix_now());
        super::ct_eq(&self.mac(payload), mac) && fresh
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The client a request came from (its peer address; one shared key when
/// unknown, as in in-process tests). Behind a reverse proxy every client
/// shares the proxy's address: the global limit then does the work.
pub fn client_of(extensions: &axum::http::Extensions) -> IpAddr {
    crate::server::serve::listen::peer(extensions)
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip())
}

/// The cross-site check behind the CSRF token: a form POST whose
/// `Sec-Fetch-Site` is neither `same-origin` nor `none`, or whose `Origin`
/// is neither the public URL's origin nor this `Host`, is cross-site.
/// Without either header (old browsers, scripts) the CSRF token decides.
pub fn cross_site(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.as_bytes(), b"same-origin" | b"none")
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    let public = public_url.and_then(origin_of);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    let same_host =
        host.is_some_and(|h| origin == format!("http://{h}") || origin == format!("https://{h}"));
    !(same_host || public.is_some_and(|p| p == origin))
}

/// `scheme://host[:port]` of a URL, lower-cased.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    Some(format!("{scheme}://{authority}").to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::secret::Secret;
    use axum::http::HeaderValue;

    fn ops(token: &str) -> Vec<OperatorToken> {
        vec![OperatorToken {
            name: "alice".into(),
            token: Secret::new(token),
        }]
    }

    #[test]
    fn form_tokens_are_bound_to_the_key() {
        let a = LoginGuard::new(&ops("k1"));
        let same = LoginGuard::new(&ops("k1"));
        let other = LoginGuard::new(&ops("k2"));
        let t = a.issue_form_token().unwrap();
        assert!(a.form_token_valid(&t));
        assert!(same.form_token_valid(&t), "replicas share the key");
        assert!(!other.form_token_valid(&t));
        let (payload, _) = t.rsplit_once('.').unwrap();
        assert!(!a.form_token_valid(&format!("{payload}.{}", "0".repeat(64))));
        assert!(!a.form_token_valid(&crate::status::session::random_token().unwrap()));
        let (nonce, _) = payload.split_once('.').unwrap();
        let expired = format!("{nonce}.1");
        assert!(!a.form_token_valid(&format!("{expired}.{}", a.mac(&expired))));
    }

    #[test]
    fn per_client_then_global_limits() {
        let g = LoginGuard::new(&ops("k"));
        let ip = |n: u8| IpAddr::V4(Ipv4Addr::new(10, 0, 0, n));
        for _ in 0..5 {
            assert!(g.attempt(ip(1)).is_ok());
        }
        assert!(matches!(g.attempt(ip(1)), Err(LoginRefusal::Limited(_))));
        // Other clients still may, until the global burst is spent.
        let mut ok = 5;
        for n in 2..=10 {
            for _ in 0..5 {
                ok += usize::from(g.attempt(ip(n)).is_ok());
            }
        }
        assert_eq!(ok, 20);
        assert_eq!(g.counts().rate_limited, 1 + 45 - 15);
    }

    #[test]
    fn cross_site_checks() {
        let h = |pairs: &[(&'static str, &str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_str(v).unwrap());
            }
            m
        };
        let public = Some("https://wavebump.example/base");
        let cases = [
            (h(&[]), false),
            (h(&[("sec-fetch-site", "same-origin")]), false),
            (h(&[("sec-fetch-site", "cross-site")]), true),
            (h(&[("sec-fetch-site", "same-site")]), true),
            (h(&[("origin", "https://wavebump.example")]), false),
            (h(&[("origin", "https://evil.example")]), true),
            (h(&[("origin", "null")]), true),
            (
                h(&[
                    ("origin", "http://127.0.0.1:8080"),
                    ("host", "127.0.0.1:8080"),
                ]),
                false,
            ),
            (
                h(&[("origin", "http://127.0.0.1:9"), ("host", "127.0.0.1:8080")]),
                true,
            ),
        ];
        for (i, (headers, want)) in cases.into_iter().enumerate() {
            assert_eq!(cross_site(&headers, public), want, "case {i}");
        }
    }
}
