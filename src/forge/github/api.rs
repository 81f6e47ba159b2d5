//! One request to GitHub, done right: the limiter's permit, `If-None-Match`
//! from the ETag cache, rate-limit headers read, `Retry-After` honoured on
//! 403/429, a wait for the reset when the primary limit is exhausted, bounded
//! jittered back-off on 5xx and transport errors; and `Link` pagination.
//!
//! [`ApiStats`] counts every attempt by method and outcome and keeps the
//! last `x-ratelimit-*` seen per resource, for `/metrics`.
//!
//! Invariant: every request the forge makes goes through [`Api::send`];
//! paths passed to octocrab are relative (octocrab adds the credentials only
//! to requests without an authority), and no error text carries a header or
//! a credential.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, StatusCode};
use octocrab::Octocrab;
use serde::de::DeserializeOwned;

use super::etag::{CachedAnswer, EtagCache};
use super::limiter::Limiter;
use super::wire::ErrorBody;
use crate::clock::Clock;

/// How hard to retry.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt (5xx, transport errors, rate limits).
    pub max_retries: u32,
    /// First back-off for 5xx; doubles per retry, with jitter.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the request
    /// fails with `RateLimited` and the caller schedules it.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_wait: Duration::from_secs(15 * 60),
        }
    }
}

/// An answer: status, body, and the next page if any.
#[derive(Debug)]
pub struct Answer {
    pub body: String,
    pub next: Option<String>,
}

/// Why a request failed for good.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// GitHub answered with an error status (after any retries).
    #[error("{endpoint}: HTTP {status}: {message}")]
    Status {
        endpoint: String,
        status: u16,
        message: String,
    },
    /// Still rate limited after the retries, or asked to wait too long.
    #[error("{endpoint}: rate limited, retry after {retry_after_secs}s")]
    RateLimited {
        endpoint: String,
        retry_after_secs: u64,
    },
    /// No answer (connection, timeout) after the retries.
    #[error("{endpoint}: {message}")]
    Transport { endpoint: String, message: String },
    /// An answer without what it must have.
    #[error("{endpoint}: unexpected answer: {message}")]
    BadAnswer { endpoint: String, message: String },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The primary rate limit as GitHub last reported it for one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// `x-ratelimit-limit`.
    pub limit: Option<u64>,
    /// `x-ratelimit-remaining`.
    pub remaining: u64,
    /// `x-ratelimit-reset` (epoch seconds).
    pub reset: Option<u64>,
}

/// What the forge's requests did so far: attempts by method and outcome,
/// and the last rate limit per resource. Label values come from fixed
/// sets, so a metrics exposition of them is bounded.
#[derive(Debug, Default)]
pub struct ApiStats {
    requests: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    rate_limits: Mutex<BTreeMap<&'static str, RateLimit>>,
}

/// A copy of [`ApiStats`] at one moment, sorted by labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiStatsSnapshot {
    /// `(method, outcome, attempts)`; outcomes: `ok`, `not_modified`,
    /// `client_error`, `rate_limited`, `server_error`, `transport`.
    pub requests: Vec<(&'static str, &'static str, u64)>,
    /// `(resource, limit)`: `core`, `search`, `graphql`, ... or `other`.
    pub rate_limits: Vec<(&'static str, RateLimit)>,
}

impl ApiStatsSnapshot {
    /// Attempts with this outcome, over every method.
    pub fn total(&self, outcome: &str) -> u64 {
        self.requests
            .iter()
            .filter(|(_, o, _)| *o == outcome)
            .map(|(_, _, n)| n)
            .sum()
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        _ => "other",
    }
}

/// GitHub's `x-ratelimit-resource` values, else `other` (bounded labels).
fn resource_label(headers: &HeaderMap) -> &'static str {
    const KNOWN: &[&str] = &[
        "core",
        "search",
        "code_search",
        "graphql",
        "integration_manifest",
        "source_import",
        "code_scanning_upload",
        "actions_runner_registration",
        "scim",
        "dependency_snapshots",
    ];
    match headers
        .get("x-ratelimit-resource")
        .and_then(|v| v.to_str().ok())
    {
        None => "core",
        Some(r) => KNOWN
            .iter()
            .find(|k| k.eq_ignore_ascii_case(r.trim()))
            .copied()
            .unwrap_or("other"),
    }
}

/// The outcome label of an answered attempt.
fn outcome_label(status: StatusCode, headers: &HeaderMap, body: &str) -> &'static str {
    let code = status.as_u16();
    if status == StatusCode::NOT_MODIFIED {
        "not_modified"
    } else if status.is_success() {
        "ok"
    } else if status.is_server_error() {
        "server_error"
    } else if code == 429
        || (code == 403
            && (headers.contains_key("retry-after")
                || header_u64(headers, "x-ratelimit-remaining") == Some(0)
                || body.to_ascii_lowercase().contains("rate limit")))
    {
        "rate_limited"
    } else {
        "client_error"
    }
}

impl ApiStats {
    fn count(&self, method: &Method, outcome: &'static str) {
        let mut m = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry((method_label(method), outcome)).or_insert(0) += 1;
    }

    fn rate_limit(&self, headers: &HeaderMap) {
        let Some(remaining) = header_u64(headers, "x-ratelimit-remaining") else {
            return;
        };
        let limit = RateLimit {
            limit: header_u64(headers, "x-ratelimit-limit"),
            remaining,
            reset: header_u64(headers, "x-ratelimit-reset"),
        };
        let mut m = self.rate_limits.lock().unwrap_or_else(|p| p.into_inner());
        m.insert(resource_label(headers), limit);
    }

    /// The counters now.
    pub fn snapshot(&self) -> ApiStatsSnapshot {
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|((m, o), n)| (*m, *o, *n))
            .collect();
        let rate_limits = self
            .rate_limits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(r, l)| (*r, *l))
            .collect();
        ApiStatsSnapshot {
            requests,
            rate_limits,
        }
    }
}

/// The forge's HTTP side: an octocrab client plus budgets and caches.
pub struct Api {
    client: Octocrab,
    limiter: Arc<Limiter>,
    clock: Arc<dyn Clock>,
    cache: Arc<dyn EtagCache>,
    retry: RetryPolicy,
    /// The path of the API root (`/api/v3` on GHES), stripped from `Link`
    /// URLs so requests stay relative.
    base_path: String,
    rng: Mutex<u64>,
    stats: Arc<ApiStats>,
}

/// What a request carries.
pub struct Request<'a> {
    pub method: Method,
    pub path: &'a str,
    pub body: Option<&'a serde_json::Value>,
    /// Send `If-None-Match` and keep the answer in the ETag cache.
    pub conditional: bool,
}

impl<'a> Request<'a> {
    pub fn get(path: &'a str) -> Self {
        Request {
            method: Method::GET,
            path,
            body: None,
            conditional: true,
        }
    }

    pub fn with(method: Method, path: &'a str, body: &'a serde_json::Value) -> Self {
        Request {
            method,
            path,
            body: Some(body),
            conditional: false,
        }
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| url.to_string())
    })
}

/// `https://host/api/v3/repos/x?page=2` → `/repos/x?page=2` for base path
/// `/api/v3`; relative URLs are kept.
pub fn relative_path(url: &str, base_path: &str) -> String {
    let after_scheme = url.split_once("://").map(|(_, rest)| rest);
    let path = match after_scheme {
        Some(rest) => match rest.find('/') {
            Some(i) => &rest[i..],
            None => "/",
        },
        None => url,
    };
    let base = base_path.trim_end_matches('/');
    match path.strip_prefix(base) {
        Some(stripped) if !base.is_empty() && stripped.starts_with('/') => stripped.to_string(),
        _ => path.to_string(),
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

/// One attempt's verdict.
enum Verdict {
    Done(Answer),
    Retry { wait: Duration, why: ApiError },
    Fail(ApiError),
}

impl Api {
    pub fn new(
        client: Octocrab,
        limiter: Arc<Limiter>,
        clock: Arc<dyn Clock>,
        cache: Arc<dyn EtagCache>,
        retry: RetryPolicy,
        base_path: String,
        stats: Arc<ApiStats>,
    ) -> Self {
        let seed = clock.unix_millis() | 1;
        Api {
            client,
            limiter,
            clock,
            cache,
            retry,
            base_path,
            rng: Mutex::new(seed),
            stats,
        }
    }

    pub fn client(&self) -> &Octocrab {
        &self.client
    }

    /// A content-creating slot of the org-wide budget, for work that is not
    /// an API request (a git push).
    pub async fn write_permit(&self) -> super::limiter::Permit {
        self.limiter.acquire(true).await
    }

    pub fn cache(&self) -> &Arc<dyn EtagCache> {
        &self.cache
    }

    /// The request counters (shared: they keep counting).
    pub fn stats(&self) -> &Arc<ApiStats> {
        &self.stats
    }

    /// A factor in [0.5, 1.0) (xorshift64*).
    fn jitter(&self) -> f64 {
        let mut s = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let mut x = *s;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *s = x;
        let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        0.5 + (r as f64 / (1u64 << 53) as f64) * 0.5
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .retry
            .base_backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.retry.max_backoff);
        exp.mul_f64(self.jitter())
    }

    /// Send a request, retrying what is worth retrying.
    pub async fn send(&self, req: &Request<'_>) -> Result<Answer, ApiError> {
        let endpoint = format!("{} {}", req.method, req.path);
        let mut attempt = 0u32;
        loop {
            let verdict = self.attempt(req, &endpoint, attempt).await;
            match verdict {
                Verdict::Done(answer) => return Ok(answer),
                Verdict::Fail(e) => return Err(e),
                Verdict::Retry { wait, why } => {
                    if attempt >= self.retry.max_retries || wait > self.retry.max_wait {
                        return Err(why);
                    }
                    tracing::debug!(%endpoint, ?wait, attempt, "retrying GitHub request");
                    if !wait.is_zero() {
                        self.clock.sleep(wait).await;
                    }
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&self, req: &Request<'_>, endpoint: &str, attempt: u32) -> Verdict {
        let key = format!("GET {}", req.path);
        let cached = if req.conditional && req.method == Method::GET {
            self.cache.get(&key).await
        } else {
            None
        };
        let permit = self.limiter.acquire(is_write(&req.method)).await;
        let sent = self.raw(req, cached.as_ref()).await;
        drop(permit);
        let (status, headers, body) = match sent {
            Ok(parts) => parts,
            Err(octocrab::Error::GitHub { source, .. })
                if !source.status_code.is_server_error() =>
            {
                self.stats.count(&req.method, "client_error");
                // Only the installation-token exchange surfaces this way.
                return Verdict::Fail(ApiError::Status {
                    endpoint: format!("{endpoint} (installation token)"),
                    status: source.status_code.as_u16(),
                    message: source.message.clone(),
                });
            }
            Err(e) => {
                self.stats.count(&req.method, "transport");
                return Verdict::Retry {
                    wait: self.backoff(attempt),
                    why: ApiError::Transport {
                        endpoint: endpoint.to_string(),
                        message: transport_message(&e),
                    },
                };
            }
        };
        self.stats
            .count(&req.method, outcome_label(status, &headers, &body));
        self.stats.rate_limit(&headers);
        let remaining = header_u64(&headers, "x-ratelimit-remaining");
        let reset = header_u64(&headers, "x-ratelimit-reset");
        if let (Some(0), Some(reset)) = (remaining, reset) {
            self.limiter.pause_until(reset);
        }
        let next = next_link(&headers).map(|u| relative_path(&u, &self.base_path));

        if let (StatusCode::NOT_MODIFIED, Some(hit)) = (status, cached) {
            return Verdict::Done(Answer {
                body: hit.body,
                next,
            });
        }
        if status.is_success() {
            let etag = headers.get("etag").and_then(|v| v.to_str().ok());
            if let (true, Some(etag)) = (req.conditional && req.method == Method::GET, etag) {
                self.cache
                    .put(
                        &key,
                        CachedAnswer {
                            etag: etag.to_string(),
                            body: body.clone(),
                        },
                    )
                    .await;
            }
            return Verdict::Done(Answer { body, next });
        }
        let message = serde_json::from_str::<ErrorBody>(&body)
            .map(|e| e.message)
            .unwrap_or_default();
        let message = if message.is_empty() {
            status.canonical_reason().unwrap_or("error").to_string()
        } else {
            message
        };
        let code = status.as_u16();
        if code == 403 || code == 429 {
            if let Some(secs) = header_u64(&headers, "retry-after") {
                return Verdict::Retry {
                    wait: Duration::from_secs(secs),
                    why: ApiError::RateLimited {
                        endpoint: endpoint.to_string(),
                        retry_after_secs: secs,
                    },
                };
            }
            if remaining == Some(0) {
                let now_secs = self.clock.unix_millis() / 1000;
                let secs = reset.unwrap_or(now_secs + 60).saturating_sub(now_secs) + 1;
                // The limiter holds the next attempt until the reset.
                return Verdict::Retry {
                    wait: Duration::ZERO,
                    why: ApiError::RateLimited {
                        endpoint: endpoint.to_string(),
                        retry_after_secs: secs,
                    },
                };
            }
            if code == 429 || message.to_ascii_lowercase().contains("rate limit") {
                // Secondary limit without a hint: GitHub asks for a minute.
                return Verdict::Retry {
                    wait: Duration::from_secs(60),
                    why: ApiError::RateLimited {
                        endpoint: endpoint.to_string(),
                        retry_after_secs: 60,
                    },
                };
            }
        }
        let error = ApiError::Status {
            endpoint: endpoint.to_string(),
            status: code,
            message,
        };
        if status.is_server_error() {
            Verdict::Retry {
                wait: self.backoff(attempt),
                why: error,
            }
        } else {
            Verdict::Fail(error)
        }
    }

    async fn raw(
        &self,
        req: &Request<'_>,
        cached: Option<&CachedAnswer>,
    ) -> octocrab::Result<(StatusCode, HeaderMap, String)> {
        let c = &self.client;
        let response = match req.method {
            Method::GET => {
                let mut headers = HeaderMap::new();
                if let Some(v) = cached.and_then(|h| HeaderValue::from_str(&h.etag).ok()) {
                    headers.insert(http::header::IF_NONE_MATCH, v);
                }
                c._get_with_headers(req.path, Some(headers)).await
            }
            Method::POST => c._post(req.path, req.body).await,
            Method::PATCH => c._patch(req.path, req.body).await,
            Method::PUT => c._put(req.path, req.body).await,
            _ => c._delete(req.path, req.body).await,
        }?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = c.body_to_string(response).await?;
        Ok((status, headers, body))
    }

    /// GET and decode.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let answer = self.send(&Request::get(path)).await?;
        decode(&format!("GET {path}"), &answer.body)
    }

    /// GET every page (following `Link: rel="next"`), decoding each with
    /// `items`.
    pub async fn get_pages<T: DeserializeOwned, I>(
        &self,
        first: &str,
        items: impl Fn(T) -> Vec<I>,
    ) -> Result<Vec<I>, ApiError> {
        let mut out = Vec::new();
        let mut path = first.to_string();
        // A server that links pages in a cycle must not keep us forever.
        for _ in 0..1000 {
            let answer = self.send(&Request::get(&path)).await?;
            out.extend(items(decode(&format!("GET {path}"), &answer.body)?));
            match answer.next {
                Some(next) if next != path => path = next,
                _ => return Ok(out),
            }
        }
        Err(ApiError::BadAnswer {
            endpoint: format!("GET {first}"),
            message: "more than 1000 pages".to_string(),
        })
    }
}

/// Decode a JSON answer, naming the endpoint when it lacks something.
pub fn decode<T: DeserializeOwned>(endpoint: &str, body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::BadAnswer {
        endpoint: endpoint.to_string(),
        message: e.to_string(),
    })
}

/// A transport error's text, without anything that could carry a header.
fn transport_message(e: &octocrab::Error) -> String {
    match e {
        octocrab::Error::Hyper { .. } => "connection failed".to_string(),
        octocrab::Error::GitHub { source, .. } => {
            format!("HTTP {}: {}", source.status_code.as_u16(), source.message)
        }
        octocrab::Error::Service { source, .. } => {
            let text = source.to_string();
            if text.to_ascii_lowercase().contains("timed out")
                || text.to_ascii_lowercase().contains("timeout")
            {
                "timed out".to_string()
            } else {
                "no answer (connection failed)".to_string()
            }
        }
        _ => "request failed".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last""#,
                Some("https://api.github.com/x?page=2"),
            ),
            (
                r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#,
                None,
            ),
            (
                r#"<http://127.0.0.1:9/x?page=3>;rel="next""#,
                Some("http://127.0.0.1:9/x?page=3"),
            ),
            ("garbage", None),
            ("", None),
        ];
        for (value, want) in cases {
            let mut h = HeaderMap::new();
            h.insert("link", HeaderValue::from_str(value).unwrap());
            assert_eq!(next_link(&h).as_deref(), *want, "{value}");
        }
    }

    #[test]
    fn outcome_and_resource_labels() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        type Case = (
            u16,
            &'static [(&'static str, &'static str)],
            &'static str,
            &'static str,
        );
        let cases: &[Case] = &[
            (200, &[], "", "ok"),
            (201, &[], "", "ok"),
            (304, &[], "", "not_modified"),
            (404, &[], "", "client_error"),
            (
                403,
                &[],
                "{\"message\":\"Resource not accessible\"}",
                "client_error",
            ),
            (403, &[("retry-after", "3")], "", "rate_limited"),
            (403, &[("x-ratelimit-remaining", "0")], "", "rate_limited"),
            (
                403,
                &[],
                "You have exceeded a secondary rate limit",
                "rate_limited",
            ),
            (429, &[], "", "rate_limited"),
            (502, &[], "", "server_error"),
        ];
        for (code, headers, body, want) in cases {
            let status = StatusCode::from_u16(*code).unwrap();
            assert_eq!(
                outcome_label(status, &h(headers), body),
                *want,
                "{code} {body}"
            );
        }
        assert_eq!(resource_label(&h(&[])), "core");
        assert_eq!(
            resource_label(&h(&[("x-ratelimit-resource", "search")])),
            "search"
        );
        assert_eq!(
            resource_label(&h(&[("x-ratelimit-resource", "x\"y")])),
            "other"
        );
        let stats = ApiStats::default();
        stats.count(&Method::GET, "ok");
        stats.count(&Method::GET, "ok");
        stats.count(&Method::OPTIONS, "transport");
        stats.rate_limit(&h(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "4998"),
        ]));
        stats.rate_limit(&h(&[("x-ratelimit-limit", "oops")]));
        let snap = stats.snapshot();
        assert_eq!(snap.requests, [("GET", "ok", 2), ("other", "transport", 1)]);
        assert_eq!(snap.total("ok"), 2);
        assert_eq!(
            snap.rate_limits,
            [(
                "core",
                RateLimit {
                    limit: Some(5000),
                    remaining: 4998,
                    reset: None
                }
            )]
        );
    }

    #[test]
    fn relative_paths() {
        let cases = [
            (
                "https://api.github.com/repos/a/b?page=2",
                "",
                "/repos/a/b?page=2",
            ),
            (
                "https://ghe.example/api/v3/repos/a?page=2",
                "/api/v3",
                "/repos/a?page=2",
            ),
            (
                "https://ghe.example/api/v3/repos/a?page=2",
                "/api/v3/",
                "/repos/a?page=2",
            ),
            ("/repos/a", "", "/repos/a"),
            ("http://127.0.0.1:8080", "", "/"),
            ("https://h/api/v3x/y", "/api/v3", "/api/v3x/y"),
        ];
        for (url, base, want) in cases {
            assert_eq!(relative_path(url, base), want, "{url} {base}");
        }
    }
}
