//! Issue 17: the login form's CSRF value must be one the server signed;
//! failed logins are rate-limited (the token of a limited attempt is not
//! even compared) and counted; every form POST is refused cross-site
//! (`Origin`, `Sec-Fetch-Site`) even with a valid session and CSRF token.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use wavebump::status::session::guard::{LoginCounts, PER_CLIENT_BURST};

use super::fixture::{Fixture, TOKEN, get, hidden, login, send, set_cookie};

async fn post_with(
    r: &axum::Router,
    path: &str,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
    form: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut b =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    send(r, b.body(Body::from(form.to_owned())).unwrap()).await
}

#[tokio::test]
async fn a_login_form_value_not_issued_by_the_server_is_refused() {
    let f = Fixture::new(false).await;
    let r = f.router();
    // The attacker's own matching pair (cookie planted, same value posted).
    for forged in [
        "attacker-chosen".to_owned(),
        format!("{}.9999999999.{}", "ab".repeat(32), "0".repeat(64)),
    ] {
        let (status, h, _) = post_with(
            &r,
            "/login",
            Some(&format!("wavebump_login={forged}")),
            &[],
            &format!("token={TOKEN}&csrf={forged}"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{forged}");
        assert!(set_cookie(&h, "wavebump_session").is_none());
    }
    // The server's own form works.
    let (_, h, page) = get(&r, "/login", None).await;
    let cookie = set_cookie(&h, "wavebump_login").unwrap();
    let csrf = hidden(&page, "csrf").unwrap();
    let (status, h, _) = post_with(
        &r,
        "/login",
        Some(&cookie),
        &[],
        &format!("token={TOKEN}&csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(set_cookie(&h, "wavebump_session").is_some());
    assert_eq!(f.state.login.counts().bad_form, 2);
}

#[tokio::test]
async fn failed_logins_are_limited_and_counted() {
    let f = Fixture::new(false).await;
    let r = f.router();
    let (_, h, page) = get(&r, "/login", None).await;
    let cookie = set_cookie(&h, "wavebump_login").unwrap();
    let csrf = hidden(&page, "csrf").unwrap();
    let attempt = |token: &'static str| {
        let (r, cookie, csrf) = (r.clone(), cookie.clone(), csrf.clone());
        async move {
            post_with(
                &r,
                "/login",
                Some(&cookie),
                &[],
                &format!("token={token}&csrf={csrf}"),
            )
            .await
        }
    };
    for _ in 0..PER_CLIENT_BURST as usize {
        let (status, _, _) = attempt("wrong-guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, h, body) = attempt("wrong-guess").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let wait: u64 = h
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    // While limited even the right token is not looked at.
    let (status, h, _) = attempt(TOKEN).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(set_cookie(&h, "wavebump_session").is_none());
    assert_eq!(
        f.state.login.counts(),
        LoginCounts {
            success: 0,
            bad_token: 5,
            rate_limited: 2,
            bad_form: 0,
            cross_site: 0
        }
    );
    // After the interval, one more attempt: the right token logs in.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, _, _) = attempt(TOKEN).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn cross_site_posts_are_refused_even_with_a_valid_csrf_token() {
    let f = Fixture::new(false).await;
    let r = f.router();
    let (session, csrf) = login(&r, f.id).await;
    let before = f.fingerprint().await;
    let pause = format!("/rollouts/{}/pause", f.id);
    let form = format!("csrf={csrf}&reason=x");
    for headers in [
        &[("origin", "https://evil.example")][..],
        &[("origin", "null")][..],
        &[("sec-fetch-site", "cross-site")][..],
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "https://wavebump.example"),
        ][..],
    ] {
        let (status, _, body) = post_with(&r, &pause, Some(&session), headers, &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
        assert!(body.contains("cross-site"), "{body}");
        assert_eq!(
            f.fingerprint().await,
            before,
            "nothing changed: {headers:?}"
        );
    }
    // The login form itself, too.
    let (_, h, page) = get(&r, "/login", None).await;
    let cookie = set_cookie(&h, "wavebump_login").unwrap();
    let login_csrf = hidden(&page, "csrf").unwrap();
    let (status, _, _) = post_with(
        &r,
        "/login",
        Some(&cookie),
        &[("origin", "https://evil.example")],
        &format!("token={TOKEN}&csrf={login_csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(f.state.login.counts().cross_site, 5);
    // Same origin (by Host, as a browser sends it) goes through.
    let (status, _, _) = post_with(
        &r,
        &pause,
        Some(&session),
        &[
            ("origin", "http://status.local:8080"),
            ("host", "status.local:8080"),
            ("sec-fetch-site", "same-origin"),
        ],
        &form,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_ne!(f.fingerprint().await, before);
}
