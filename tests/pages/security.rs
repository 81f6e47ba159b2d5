//! Actions without a session, with a wrong or missing CSRF token, or as
//! GET are refused and change nothing; a correct one lands in the audit
//! log with the operator's name; tokens are never rendered; private pages
//! need a login.

use axum::http::StatusCode;

use super::fixture::{Fixture, IMG, SCRIPT, TOKEN, get, login, post};

/// What is tried, with which cookie and form, and the answer expected.
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    Vec<(&'a str, &'a str)>,
    StatusCode,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_actions_change_nothing() {
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let f = Fixture::new(true).await;
        let r = f.router();
        let id = f.id;
        let before = f.fingerprint().await;
        let (session, csrf) = login(&r, id).await;
        let pause = format!("/rollouts/{id}/pause");
        let cases: Vec<Case> = vec![
            (
                "no session",
                None,
                vec![("csrf", csrf.as_str()), ("reason", "x")],
                StatusCode::UNAUTHORIZED,
            ),
            (
                "bogus session",
                Some("wavebump_session=00ff"),
                vec![("csrf", csrf.as_str())],
                StatusCode::UNAUTHORIZED,
            ),
            (
                "wrong csrf",
                Some(session.as_str()),
                vec![("csrf", "0000")],
                StatusCode::FORBIDDEN,
            ),
            (
                "missing csrf",
                Some(session.as_str()),
                vec![("reason", "x")],
                StatusCode::FORBIDDEN,
            ),
            (
                "empty csrf",
                Some(session.as_str()),
                vec![("csrf", "")],
                StatusCode::FORBIDDEN,
            ),
        ];
        for (what, cookie, form, want) in cases {
            let (status, _, body) = post(&r, &pause, cookie, &form).await;
            assert_eq!(status, want, "{what}: {body}");
            assert_eq!(f.fingerprint().await, before, "{what} changed the store");
        }
        // Every action path, as GET, even with a session: 405, nothing done.
        for action in ["pause", "resume", "advance", "abort", "retry", "skip"] {
            let path = format!("/rollouts/{id}/{action}?csrf={csrf}&confirm=yes&repo=svc-a");
            let (status, _, _) = get(&r, &path, Some(&session)).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "GET {action}");
            assert_eq!(
                f.fingerprint().await,
                before,
                "GET {action} changed the store"
            );
        }
        // Abort without the confirmation box: refused.
        let (status, _, _) = post(
            &r,
            &format!("/rollouts/{id}/abort"),
            Some(&session),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(f.fingerprint().await, before);
        // Retry of a repository that did not fail: the engine's refusal, shown.
        let (status, _, body) = post(
            &r,
            &format!("/rollouts/{id}/retry"),
            Some(&session),
            &[("csrf", &csrf), ("repo", "svc-a")],
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body.contains("cannot retry svc-a"), "{body}");
        assert_eq!(f.fingerprint().await, before);

        // The right way: paused, audited with the operator's name.
        let (status, h, _) = post(
            &r,
            &pause,
            Some(&session),
            &[("csrf", &csrf), ("reason", "checking <b>logs</b>")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            h.get("location").unwrap(),
            &format!("/rollouts/{id}?done=pause")
        );
        let rollout = f.store.rollout(id).await.unwrap().unwrap();
        assert_eq!(rollout.state.as_str(), "paused");
        let audit = f.store.audit(id, 100).await.unwrap();
        let last = audit.last().unwrap();
        assert_eq!(last.entry.actor, "alice");
        assert_eq!(last.entry.reason, "checking <b>logs</b>");
        let (_, _, page) = get(&r, &format!("/rollouts/{id}"), None).await;
        assert!(page.contains("checking &lt;b&gt;logs&lt;/b&gt;"));

        // Logging out ends the session: its CSRF token no longer works.
        let (status, _, _) = post(&r, "/logout", Some(&session), &[("csrf", &csrf)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let before = f.fingerprint().await;
        let (status, _, _) = post(
            &r,
            &format!("/rollouts/{id}/resume"),
            Some(&session),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(f.fingerprint().await, before);
    })
    .await
    .expect("timed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_rules_and_tokens_never_rendered() {
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let f = Fixture::new(false).await;
        let r = f.router();
        let id = f.id;
        // Private pages: the HTML redirects to the login form, the API and
        // the event stream answer 401.
        let (status, h, _) = get(&r, &format!("/rollouts/{id}"), None).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            h.get("location").unwrap(),
            &format!("/login?next=/rollouts/{id}")
        );
        for path in [
            "/api/rollouts".to_owned(),
            format!("/api/rollouts/{id}"),
            format!("/rollouts/{id}/events"),
        ] {
            assert_eq!(
                get(&r, &path, None).await.0,
                StatusCode::UNAUTHORIZED,
                "{path}"
            );
        }
        // A login without the form's CSRF cookie, or with a wrong token.
        let (status, _, body) = post(&r, "/login", None, &[("token", TOKEN), ("csrf", "x")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(!body.contains(TOKEN));
        let (_, h, page) = get(&r, "/login", None).await;
        let cookie = super::fixture::set_cookie(&h, "wavebump_login").unwrap();
        let csrf = super::fixture::hidden(&page, "csrf").unwrap();
        let wrong = "not-the-token-<script>";
        let (status, h, body) = post(
            &r,
            "/login",
            Some(&cookie),
            &[("token", wrong), ("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            !body.contains("not-the-token"),
            "a wrong token is not echoed"
        );
        assert!(super::fixture::set_cookie(&h, "wavebump_session").is_none());
        // An open redirect is not followed.
        let (status, h, _) = post(
            &r,
            "/login",
            Some(&cookie),
            &[("token", TOKEN), ("csrf", &csrf), ("next", "//evil.test/")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(h.get("location").unwrap(), "/");
        let set = h
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>();
        let session_cookie = set
            .iter()
            .find(|c| c.starts_with("wavebump_session="))
            .unwrap();
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(session_cookie.contains(attr), "{session_cookie}");
        }
        // Logged in: every page and answer, searched for the token.
        let (session, _) = login(&r, id).await;
        for path in [
            "/".to_owned(),
            format!("/rollouts/{id}"),
            "/api/rollouts".to_owned(),
            format!("/api/rollouts/{id}"),
            "/login".to_owned(),
        ] {
            let (status, h, body) = get(&r, &path, Some(&session)).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(!body.contains(TOKEN), "{path} shows the token");
            assert!(h.get("content-security-policy").is_some());
        }
    })
    .await
    .expect("timed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payloads_are_escaped_in_html_and_svg() {
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let f = Fixture::new(true).await;
        let (status, _, page) = get(&f.router(), &format!("/rollouts/{}", f.id), None).await;
        assert_eq!(status, StatusCode::OK);
        for raw in [IMG, SCRIPT, "<img", "<script>window", "javascript:"] {
            assert!(!page.contains(raw), "raw {raw:?} in the page");
        }
        assert!(
            page.contains("&lt;img src&#x3D;x onerror&#x3D;window.__xss&#x3D;1&gt;"),
            "escaped payload shown"
        );
        // The payload repository is a graph node with its name escaped in
        // the SVG text and attribute alike.
        let svg = &page[page.find("<svg class=\"graph\"").unwrap()..];
        let svg = &svg[..svg.find("</svg>").unwrap()];
        assert!(svg.contains("data-repo=\"svc-&lt;img"), "attribute escaped");
        assert!(svg.contains("<title>svc-&lt;img"), "title escaped");
        // Exactly one script element: ours.
        assert_eq!(page.matches("<script").count(), 1);
    })
    .await
    .expect("timed out");
}
