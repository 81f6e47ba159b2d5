//! `wavebump demo --serve` steered from its status page, through the real
//! router with a session cookie and CSRF tokens: a release manager answers
//! every halt (skip, then resume) before the scripted operator would, the
//! scripted operator steps aside, and the demo completes with the human's
//! actions in its transcript, summary and audit log.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tokio::sync::broadcast::error::RecvError;
use wavebump::config::secret::{OperatorToken, Secret};
use wavebump::demo::{Demo, DemoOptions, GenerateOptions, PAGE_OPERATOR};
use wavebump::rollout::RolloutState;
use wavebump::status::status_router;

use crate::pages::fixture::{post, send};
use crate::support::org;

const TOKEN: &str = "demo-token-0123456789abcdef";

async fn get(router: &Router, path: &str, cookie: Option<&str>) -> (axum::http::HeaderMap, String) {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    let (status, headers, body) = send(router, b.body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    (headers, body)
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key).expect("hidden field") + key.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

fn cookie(headers: &axum::http::HeaderMap, name: &str) -> String {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .expect("cookie")
        .to_owned()
}

/// Log in through the form: the session cookie and the page's CSRF token.
async fn login(router: &Router, id: i64) -> (String, String) {
    let (h, page) = get(router, "/login", None).await;
    let login_cookie = cookie(&h, "wavebump_login");
    let (status, h, body) = post(
        router,
        "/login",
        Some(&login_cookie),
        &[
            ("token", TOKEN),
            ("csrf", &hidden(&page, "csrf")),
            ("next", "/"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let session = cookie(&h, "wavebump_session");
    let (_, page) = get(router, &format!("/rollouts/{id}"), Some(&session)).await;
    assert!(
        page.contains(PAGE_OPERATOR),
        "logged in as the page operator"
    );
    (session.clone(), hidden(&page, "csrf"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_steers_the_demo_and_the_scripted_operator_steps_aside() {
    org::isolate_git();
    let dir = tempfile::tempdir().unwrap();
    let options = DemoOptions {
        generate: GenerateOptions { repos: 1, seed: 3 },
        // Fast, but the scripted operator would take ~1000 s of real time
        // to answer a halt: the human (this test) always comes first.
        speed: Some(1e6),
        operator_pause: Duration::from_secs(1_000_000_000),
        // The owner who fixes a red PR would race this page's human, who
        // skips every failure at a halt: not in this story.
        faults: wavebump::demo::Faults {
            fixed_by_owner: Vec::new(),
            ..wavebump::demo::Faults::default()
        },
        ..DemoOptions::default()
    };
    let mut out = Vec::new();
    let demo = Demo::setup(dir.path(), options, &mut out).await.unwrap();
    let id = demo.rollout_id();
    let router = status_router(demo.status_state(vec![OperatorToken {
        name: PAGE_OPERATOR.into(),
        token: Secret::new(TOKEN),
    }]));
    let mut changes = demo.changes();
    let store = demo.store().clone();

    let human = async {
        // Without a session nothing happens.
        let (status, _, _) = post(
            &router,
            &format!("/rollouts/{id}/abort"),
            None,
            &[("csrf", "x"), ("confirm", "yes")],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (session, csrf) = login(&router, id).await;
        let mut acted = Vec::new();
        loop {
            match changes.recv().await {
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
            let r = store.rollout(id).await.unwrap().unwrap();
            match r.state {
                RolloutState::Completed | RolloutState::Aborted => break,
                RolloutState::Halted => {}
                _ => continue,
            }
            let failing: BTreeSet<String> = store
                .targets(id)
                .await
                .unwrap()
                .into_iter()
                .filter(|t| t.state.is_failure())
                .map(|t| t.repo)
                .collect();
            for repo in &failing {
                let (status, _, body) = post(
                    &router,
                    &format!("/rollouts/{id}/skip"),
                    Some(&session),
                    &[
                        ("csrf", &csrf),
                        ("repo", repo),
                        ("reason", "left to its owners"),
                    ],
                )
                .await;
                assert_eq!(status, StatusCode::SEE_OTHER, "skip {repo}: {body}");
                acted.push(format!("skip {repo}"));
            }
            let (status, _, body) = post(
                &router,
                &format!("/rollouts/{id}/resume"),
                Some(&session),
                &[("csrf", &csrf)],
            )
            .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "resume: {body}");
            acted.push("resume".to_owned());
        }
        acted
    };
    let (outcome, acted) = tokio::time::timeout(Duration::from_secs(120), async {
        tokio::join!(demo.run(&mut out), human)
    })
    .await
    .expect("the steered demo finishes");
    let text = String::from_utf8(out).unwrap();
    let outcome = outcome.unwrap_or_else(|e| panic!("{e}\n{text}"));
    let s = &outcome.summary;

    assert_eq!(s.state, RolloutState::Completed, "{text}");
    assert!(demo.taken_over());
    // The human skipped the flaky repository instead of retrying it, and
    // the real break; the scripted operator never acted.
    assert_eq!(
        s.skipped_repos,
        ["orders-service", "search-service"],
        "{text}"
    );
    assert!(s.passed_on_retry.is_empty(), "{text}");
    assert!(
        acted.contains(&"skip orders-service".to_owned()),
        "{acted:?}"
    );
    assert!(
        s.operator.iter().all(|o| o.ends_with("(release-manager)")),
        "{:?}\n{text}",
        s.operator
    );
    assert!(
        !text.contains(" demo-operator") && !text.contains(" operator: retry"),
        "{text}"
    );
    assert!(
        text.contains("release-manager (status page): skip orders-service (left to its owners)"),
        "{text}"
    );
    let audit = demo.store().audit(id, 10_000).await.unwrap();
    let by_human = audit
        .iter()
        .filter(|a| a.entry.actor == PAGE_OPERATOR)
        .count();
    assert!(by_human >= acted.len(), "{audit:#?}");
    assert!(
        !audit
            .iter()
            .any(|a| a.entry.actor == "demo-operator" && a.entry.action.contains("resumed")),
        "{audit:#?}"
    );
}
