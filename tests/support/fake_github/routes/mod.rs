//! The HTTP side: one router, and one middleware (`gate`) that does what
//! every GitHub endpoint does — injected faults, authentication, rate-limit
//! headers, ETags / `If-None-Match` → 304, and recording — so handlers only
//! read and change the model.

mod apps;
mod checks;
mod pulls;
mod repos;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::Value;

use super::auth::{self, Caller};
use super::contract;
use super::faults::{Fault, Faults};
use super::json;
use super::permissions;
use super::recorder::{Recorded, Recorder};
use super::state::State;

/// Everything the server shares.
#[derive(Debug)]
pub struct Inner {
    pub state: Mutex<State>,
    pub recorder: Mutex<Recorder>,
    pub faults: Mutex<Faults>,
    /// Primary rate limit left (decremented by every counted request).
    pub remaining: Mutex<u64>,
    /// Departures from GitHub's REST description (`contract` layer).
    pub violations: Mutex<Vec<String>>,
}

/// Marks an answer the fake made up on purpose (an injected fault): the
/// contract layer does not hold it to the description.
#[derive(Clone, Copy, Debug)]
pub struct Injected;

pub type Shared = Arc<Inner>;

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json::error(message))).into_response()
}

pub fn ok(status: StatusCode, v: Value) -> Response {
    (status, Json(v)).into_response()
}

pub type Query = axum::extract::Query<HashMap<String, String>>;

/// One page of `items` (`per_page`, `page` from the query) with a `Link`
/// header; `wrap` turns the page into the body (array or object).
pub fn paginate(
    base: &str,
    path: &str,
    q: &HashMap<String, String>,
    max_per_page: usize,
    items: Vec<Value>,
    wrap: impl Fn(Vec<Value>, usize) -> Value,
) -> Response {
    let per_page = q
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, max_per_page.clamp(1, 100));
    let page = q
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let chunk: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let link_for = |n: usize| {
        let mut params: Vec<(String, String)> = q
            .iter()
            .filter(|(k, _)| k.as_str() != "page")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        params.sort();
        params.push(("page".into(), n.to_string()));
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("<{base}{path}?{}>", query.join("&"))
    };
    let mut links = Vec::new();
    if page < last {
        links.push(format!("{}; rel=\"next\"", link_for(page + 1)));
        links.push(format!("{}; rel=\"last\"", link_for(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", link_for(1)));
        links.push(format!("{}; rel=\"prev\"", link_for(page - 1)));
    }
    let mut resp = ok(StatusCode::OK, wrap(chunk, total));
    if let (false, Ok(v)) = (links.is_empty(), HeaderValue::from_str(&links.join(", "))) {
        resp.headers_mut().insert("link", v);
    }
    resp
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/' | b':') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/orgs/{org}/installation", get(apps::org_installation))
        .route(
            "/users/{username}/installation",
            get(apps::user_installation),
        )
        .route("/users/{username}/repos", get(repos::user_repos))
        .route(
            "/app/installations/{id}/access_tokens",
            post(apps::access_token),
        )
        .route("/installation/repositories", get(apps::installation_repos))
        .route("/orgs/{org}/repos", get(repos::org_repos))
        .route("/repos/{owner}/{repo}", get(repos::repo))
        .route("/repos/{owner}/{repo}/git/trees/{*rev}", get(repos::tree))
        .route("/repos/{owner}/{repo}/git/blobs/{sha}", get(repos::blob))
        .route("/repos/{owner}/{repo}/tags", get(repos::tags))
        .route("/repos/{owner}/{repo}/releases", get(repos::releases))
        .route(
            "/repos/{owner}/{repo}/rules/branches/{branch}",
            get(repos::branch_rules),
        )
        .route(
            "/repos/{owner}/{repo}/pulls",
            get(pulls::list).post(pulls::create),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}",
            get(pulls::one).patch(pulls::update),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/merge",
            put(pulls::merge),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers",
            post(pulls::reviewers),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/reviews",
            get(pulls::reviews),
        )
        .route("/repos/{owner}/{repo}/issues/{number}", get(pulls::issue))
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(pulls::comments).post(pulls::add_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/labels",
            post(pulls::add_labels),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{sha}/status",
            get(checks::combined),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{sha}/check-runs",
            get(checks::runs),
        )
        .route(
            "/repos/{owner}/{repo}/check-suites/{id}/rerequest",
            post(checks::rerequest),
        )
        .layer(axum::middleware::from_fn_with_state(shared.clone(), gate))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            contract_layer,
        ))
        .with_state(shared)
}

/// Holds every request and every answer to GitHub's REST description
/// (`contract.rs`); outermost, so no route and no 404 escapes it.
/// Departures are recorded in `Inner::violations` (the fake panics on
/// drop when any are left).
async fn contract_layer(AxState(sh): AxState<Shared>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 64 << 20).await.unwrap_or_default();
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let spec = &*contract::SPEC;
    let checked = spec.check_request(&contract::Seen {
        method: &method,
        path: &path,
        query: &query,
        body: &bytes,
    });
    let op = match checked {
        Ok(op) => Some(op),
        Err(errors) => {
            lock(&sh.violations).extend(errors);
            None
        }
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let Some(op) = op else { return resp };
    if resp.extensions().get::<Injected>().is_some() {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = to_bytes(body, 64 << 20).await.unwrap_or_default();
    let errors = spec.check_response(op, parts.status.as_u16(), &bytes);
    lock(&sh.violations).extend(errors);
    Response::from_parts(parts, Body::from(bytes))
}

fn fault_response(fault: &Fault) -> Option<Response> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut resp = match fault {
        Fault::ServerError(code) => error(
            StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "Server Error",
        ),
        Fault::SecondaryRateLimit { retry_after } => {
            let mut r = error(
                StatusCode::FORBIDDEN,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            );
            r.headers_mut()
                .insert("retry-after", HeaderValue::from(*retry_after));
            r
        }
        Fault::TooManyRequests { retry_after } => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            r.headers_mut()
                .insert("retry-after", HeaderValue::from(*retry_after));
            r
        }
        Fault::PrimaryExhausted { reset_in } => {
            let mut r = error(
                StatusCode::FORBIDDEN,
                "API rate limit exceeded for installation.",
            );
            r.headers_mut()
                .insert("x-ratelimit-remaining", HeaderValue::from(0u64));
            r.headers_mut()
                .insert("x-ratelimit-reset", HeaderValue::from(now + reset_in));
            r
        }
        Fault::MissingFields => ok(StatusCode::OK, serde_json::json!({ "unexpected": true })),
        Fault::Slow(_) | Fault::Hold(_) => return None,
    };
    resp.headers_mut()
        .insert("x-ratelimit-limit", HeaderValue::from(5000u64));
    Some(resp)
}

/// FNV-1a over the body: the same representation, the same ETag.
fn etag_of(bytes: &[u8]) -> String {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    format!("W/\"{h:016x}\"")
}

fn needs_app(path: &str) -> bool {
    path.starts_with("/app/")
        || ((path.starts_with("/orgs/") || path.starts_with("/users/"))
            && path.ends_with("/installation"))
}

/// GitHub's answer to an installation token without the permission the
/// endpoint needs.
fn not_accessible(docs: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(serde_json::json!({
            "message": "Resource not accessible by integration",
            "documentation_url": docs,
            "status": "403",
        })),
    )
        .into_response()
}

async fn gate(AxState(sh): AxState<Shared>, mut req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let if_none_match = req
        .headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let operation = contract::SPEC
        .find(&method, &path)
        .map(|(op, _)| op.clone());
    let fault = lock(&sh.faults).take(&method, &path);
    match &fault {
        Some(Fault::Slow(d)) => tokio::time::sleep(*d).await,
        Some(Fault::Hold(gate)) => gate.pass().await,
        _ => {}
    }
    let mut resp = match fault.as_ref().and_then(fault_response) {
        Some(mut r) => {
            r.extensions_mut().insert(Injected);
            r
        }
        None => {
            let header = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let (caller, granted) = {
                let st = lock(&sh.state);
                (
                    auth::identify(&st, header.as_deref()),
                    auth::permissions_of(&st, header.as_deref()),
                )
            };
            let needs = operation
                .as_ref()
                .and_then(|op| permissions::needs(&op.method, &op.template));
            let refused = match (&caller, &granted, needs) {
                (Ok(Caller::Installation(_)), Some(granted), Some(needs)) => {
                    !permissions::allows(granted, needs)
                }
                // An endpoint missing from the table: refused, so that a
                // new route cannot go unchecked.
                (Ok(Caller::Installation(_)), Some(_), None) => true,
                _ => false,
            };
            // A repository the installation lost access to.
            let forbidden = {
                let mut parts = path.trim_start_matches('/').split('/');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some("repos"), Some(owner), Some(name)) => {
                        let st = lock(&sh.state);
                        st.repos
                            .get(&format!("{owner}/{name}"))
                            .is_some_and(|r| r.forbidden)
                    }
                    _ => false,
                }
            };
            let refused = refused || (forbidden && matches!(caller, Ok(Caller::Installation(_))));
            match caller {
                Ok(Caller::Installation(_)) if refused => not_accessible(
                    operation
                        .as_ref()
                        .map_or("https://docs.github.com/rest", |o| o.docs.as_str()),
                ),
                Err(msg) => error(StatusCode::UNAUTHORIZED, msg),
                Ok(Caller::App) if !needs_app(&path) => error(
                    StatusCode::FORBIDDEN,
                    "A JSON web token cannot be used to access this endpoint",
                ),
                Ok(c) if c != Caller::App && needs_app(&path) => error(
                    StatusCode::UNAUTHORIZED,
                    "A JSON web token is required to access this endpoint",
                ),
                Ok(c) => {
                    req.extensions_mut().insert(c);
                    next.run(req).await
                }
            }
        }
    };
    if method == "GET" && resp.status() == StatusCode::OK {
        let (mut parts, body) = resp.into_parts();
        let bytes = to_bytes(body, 64 << 20).await.unwrap_or_default();
        let tag = etag_of(&bytes);
        if if_none_match.as_deref() == Some(tag.as_str()) {
            parts.status = StatusCode::NOT_MODIFIED;
            parts.headers.remove("content-type");
            parts.headers.remove("content-length");
            resp = Response::from_parts(parts, Body::empty());
        } else {
            resp = Response::from_parts(parts, Body::from(bytes));
        }
        if let Ok(v) = HeaderValue::from_str(&tag) {
            resp.headers_mut().insert("etag", v);
        }
    }
    let status = resp.status().as_u16();
    if !resp.headers().contains_key("x-ratelimit-remaining") {
        let mut remaining = lock(&sh.remaining);
        if status != 304 {
            *remaining = remaining.saturating_sub(1);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let h = resp.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from(5000u64));
        h.insert("x-ratelimit-remaining", HeaderValue::from(*remaining));
        h.insert("x-ratelimit-reset", HeaderValue::from(now + 3600));
    }
    lock(&sh.recorder).requests.push(Recorded {
        method,
        path,
        query,
        status,
        at: std::time::Instant::now(),
        operation: operation.map(|op| op.template),
    });
    resp
}
