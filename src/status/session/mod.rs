//! Operator sessions: the login form exchanges an operator token for a
//! session cookie (HttpOnly, SameSite=Strict, `Secure` over HTTPS); each
//! session has its own CSRF token, required on every form. Sessions live
//! in the store (`operator_sessions`, by the SHA-256 of their id), so
//! every replica serving the page knows them and a restart keeps them.
//!
//! Invariants: tokens are compared in constant time and never stored in a
//! session, rendered, or logged (a session keeps the operator's name);
//! session ids and CSRF tokens are 256-bit values from the OS generator;
//! the login form itself carries a CSRF value signed by the server
//! ([`guard`]) and bound to a short-lived cookie; failed logins are
//! rate-limited, logged and counted ([`guard`]); every form POST (login,
//! logout, actions) is refused when cross-site (`Origin`,
//! `Sec-Fetch-Site`), a second line behind the CSRF token; a session
//! expires after [`SESSION_TTL`].

pub mod guard;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::Extensions;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::StatusState;
use super::pages::{html_page, refusal};
use crate::store::{StoreError, StoredSession};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "wavebump_session";
/// The cookie that binds the login form's CSRF token.
pub const LOGIN_COOKIE: &str = "wavebump_login";
/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// A logged-in operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    pub operator: String,
    pub csrf: String,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What the store keeps of a session id: its SHA-256, never the id.
fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// Why no session could be created: internal and temporary either way (the
/// person is told to try again, the cause is logged).
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("no randomness available")]
    NoRandomness,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new session of `operator` in the store (every replica sees it);
/// its id, or why not.
async fn create_session(state: &StatusState, operator: &str) -> Result<String, SessionError> {
    let id = random_token().ok_or(SessionError::NoRandomness)?;
    let csrf = random_token().ok_or(SessionError::NoRandomness)?;
    let now = now_ms();
    let ttl = i64::try_from(SESSION_TTL.as_millis()).unwrap_or(i64::MAX);
    if let Err(e) = state.store.prune_sessions(now).await {
        tracing::warn!(error = %e, "cannot prune expired sessions");
    }
    let session = StoredSession {
        operator: operator.to_owned(),
        csrf,
    };
    state
        .store
        .create_session(&id_hash(&id), &session, now.saturating_add(ttl))
        .await?;
    Ok(id)
}

/// 32 random bytes as hex; `None` if the OS generator fails.
pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Constant-time comparison (time depends on the lengths only).
pub fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The session of the request, if live (a store failure counts as none,
/// logged).
pub async fn current(state: &StatusState, headers: &HeaderMap) -> Option<SessionInfo> {
    let id = cookie(headers, SESSION_COOKIE)?;
    match state.store.session(&id_hash(id), now_ms()).await {
        Ok(found) => found.map(|s| SessionInfo {
            operator: s.operator,
            csrf: s.csrf,
        }),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the session");
            None
        }
    }
}

/// Why an action was refused (nothing was changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    NoSession,
    BadCsrf,
    CrossSite,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::NoSession => refusal(
                StatusCode::UNAUTHORIZED,
                "log in with an operator token to act on a rollout",
            ),
            Refused::BadCsrf => refusal(
                StatusCode::FORBIDDEN,
                "the form's CSRF token is missing or wrong: reload the page and try again",
            ),
            Refused::CrossSite => refusal(
                StatusCode::FORBIDDEN,
                "cross-site form submissions are refused: use the status page itself",
            ),
        }
    }
}

/// The operator allowed to act: a same-site POST, a live session and its
/// CSRF token.
pub async fn authorise(
    state: &StatusState,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<SessionInfo, Refused> {
    if guard::cross_site(headers, state.public_url.as_deref()) {
        state.login.cross_site();
        tracing::warn!("cross-site form POST refused");
        return Err(Refused::CrossSite);
    }
    let session = current(state, headers).await.ok_or(Refused::NoSession)?;
    match csrf {
        Some(t) if ct_eq(t, &session.csrf) => Ok(session),
        _ => Err(Refused::BadCsrf),
    }
}

/// May this request read the pages?
pub async fn may_read(state: &StatusState, headers: &HeaderMap) -> bool {
    state.public_read || current(state, headers).await.is_some()
}

fn set_cookie(state: &StatusState, name: &str, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    // Values are hex tokens: always a valid header.
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("wavebump_invalid=1"))
}

/// Only local paths are followed after login (no open redirect).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Serialize)]
struct LoginPage {
    title: &'static str,
    login_csrf: String,
    next: String,
    error: Option<String>,
    session: Option<SessionInfo>,
    public_read: bool,
}

fn login_page(
    state: &StatusState,
    next: String,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let Some(token) = state.login.issue_form_token() else {
        return refusal(StatusCode::INTERNAL_SERVER_ERROR, "no randomness available");
    };
    let page = LoginPage {
        title: "Log in",
        login_csrf: token.clone(),
        next,
        error: error.map(str::to_owned),
        session: None,
        public_read: state.public_read,
    };
    let mut resp = html_page("status_login", &page, status);
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, &token, 1800),
    );
    resp
}

#[derive(serde::Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(State(state): State<StatusState>, Query(q): Query<NextQuery>) -> Response {
    login_page(&state, safe_next(q.next.as_deref()), None, StatusCode::OK)
}

#[derive(serde::Deserialize)]
struct LoginForm {
    token: Option<String>,
    csrf: Option<String>,
    next: Option<String>,
}

async fn login(
    State(state): State<StatusState>,
    extensions: Extensions,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    let client = guard::client_of(&extensions);
    if guard::cross_site(&headers, state.public_url.as_deref()) {
        state.login.cross_site();
        tracing::warn!(client = %client, "cross-site login POST refused");
        return Refused::CrossSite.into_response();
    }
    // The form's value must be one this server signed, and the cookie it
    // set with it: a pair made up by someone else fails.
    let bound = cookie(&headers, LOGIN_COOKIE);
    let csrf_ok = matches!((bound, f.csrf.as_deref()), (Some(b), Some(c))
        if ct_eq(b, c) && state.login.form_token_valid(c));
    if !csrf_ok {
        state.login.bad_form();
        tracing::warn!(client = %client, "login refused: missing, forged or expired form");
        return login_page(
            &state,
            next,
            Some("the login form expired: try again"),
            StatusCode::FORBIDDEN,
        );
    }
    if let Err(guard::LoginRefusal::Limited(wait)) = state.login.attempt(client) {
        tracing::warn!(client = %client, retry_after_s = wait.as_secs(), "login rate-limited");
        let mut resp = refusal(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed logins: wait a moment and try again",
        );
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return resp;
    }
    let given = f.token.unwrap_or_default();
    let given = given.trim();
    // Compare against every operator so the time does not tell which matched.
    let mut found: Option<&str> = None;
    for op in state.operators.iter() {
        if ct_eq(given, op.token.expose()) && !given.is_empty() {
            found = Some(&op.name);
        }
    }
    let Some(operator) = found else {
        state.login.failed();
        tracing::warn!(client = %client, "failed operator login: unknown token");
        return login_page(
            &state,
            next,
            Some("unknown operator token"),
            StatusCode::UNAUTHORIZED,
        );
    };
    state.login.succeeded(client);
    let id = match create_session(&state, operator).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "cannot create a session");
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot create a session now; try again",
            );
        }
    };
    tracing::info!(operator, client = %client, "operator logged in on the status page");
    let mut resp = Redirect::to(&next).into_response();
    *resp.status_mut() = StatusCode::SEE_OTHER;
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, &id, SESSION_TTL.as_secs()),
    );
    h.append(header::SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, "", 0));
    resp
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn logout(
    State(state): State<StatusState>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = authorise(&state, &headers, f.csrf.as_deref()).await {
        return refused.into_response();
    }
    if let Some(id) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = state.store.delete_session(&id_hash(id)).await
    {
        tracing::error!(error = %e, "cannot end the session");
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "cannot log out now; try again",
        );
    }
    let mut resp = Redirect::to("/login").into_response();
    *resp.status_mut() = StatusCode::SEE_OTHER;
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", 0),
    );
    resp
}

pub(crate) fn routes() -> Router<StatusState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_equality() {
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "abcd"));
        assert!(!ct_eq("", "a"));
        assert!(ct_eq("", ""));
    }

    #[test]
    fn next_is_local_only() {
        for (n, want) in [
            (Some("/rollouts/3"), "/rollouts/3"),
            (Some("//evil.example"), "/"),
            (Some("https://evil"), "/"),
            (Some("/\\evil"), "/"),
            (None, "/"),
        ] {
            assert_eq!(safe_next(n), want);
        }
    }

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
