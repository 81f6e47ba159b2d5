//! Issue 13 item 7: sessions and live updates across replicas. Two `serve`
//! apps on one database (PostgreSQL, and SQLite for good measure), A
//! leading: an operator logs in through A, acts through B (the session is
//! in the store), and a page's event stream open on B hears of a target
//! that A's engine changed (the store's change feed, polled).

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use wavebump::config::secret::{OperatorToken, Secret};
use wavebump::forge::github::GitHubForge;
use wavebump::rollout::{LeaseOptions, TargetState};
use wavebump::server::serve::{self, ServeApp, ServeDeps, ServeOptions};
use wavebump::store::Store;

use super::{Hook, LIBRARY, SECRET, World, check_run, options, release, send, wait_for};
use crate::store::Db;

const TOKEN: &str = "replica-operator-token-6e1f0a9b3c7d25e84f0b6a1c9d3e7f52";

async fn replica(world: &World, store: Store, holder: &str) -> ServeApp<GitHubForge> {
    let mut opts = ServeOptions {
        lease_renew: Duration::from_millis(20),
        change_poll: Duration::from_millis(50),
        ..options()
    };
    opts.engine.lease = Some(LeaseOptions::new(holder, Duration::from_secs(30)));
    serve::app(ServeDeps {
        config: world.config.clone(),
        store,
        forge: world.forge().await,
        secrets: vec![Secret::new(SECRET)],
        operators: vec![OperatorToken {
            name: "alice".into(),
            token: Secret::new(TOKEN),
        }],
        options: opts,
    })
}

async fn request(
    router: &axum::Router,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<String>,
) -> (StatusCode, HeaderMap, String) {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    let body = match form {
        Some(f) => {
            b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(f)
        }
        None => Body::empty(),
    };
    let resp = router.clone().oneshot(b.body(body).unwrap()).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn cookie_of(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.starts_with(&format!("{name}=")) && kv.len() > name.len() + 1)
        .map(str::to_owned)
}

fn hidden(page: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let start = page.find(&key)? + key.len();
    Some(page[start..][..page[start..].find('"')?].to_owned())
}

async fn sessions_and_changes_cross_replicas(db: Db) {
    let world = World::new("").await;
    let store = db.open().await;
    let a = replica(&world, db.open().await, "a").await;
    let (a_router, a_lease) = (a.router.clone(), a.lease.clone());
    let a_running = a.background.start();
    wait_for("A to lead", || async { a_lease.is_leader().then_some(()) }).await;
    let b = replica(&world, db.open().await, "b").await;
    let (b_router, b_lease) = (b.router.clone(), b.lease.clone());
    let b_running = b.background.start();
    wait_for("B to try the lease", || async {
        (b_lease.attempts() >= 2).then_some(())
    })
    .await;
    assert!(!b_lease.is_leader());

    // A rollout, started by A (the leader) from a release sent to B.
    let hook = Hook::new(
        "release",
        "rep-release",
        &release(LIBRARY, "v2.0.0", "2020-01-01T00:00:00Z", false),
    );
    assert_eq!(send(&b_router, &hook).await.0, StatusCode::ACCEPTED);
    let id = wait_for("the rollout", || async {
        store
            .rollouts()
            .await
            .unwrap()
            .into_iter()
            .next()
            .map(|r| r.id)
    })
    .await;
    let canary = wait_for("the canary's PR", || async {
        let pulls = world.fake.pulls("acme/svc-a");
        world.fake.branch_sha("acme/svc-a", &pulls.first()?.head)
    })
    .await;

    // Log in through A.
    let (_, h, page) = request(&a_router, "GET", "/login", None, None).await;
    let login_cookie = cookie_of(&h, "wavebump_login").unwrap();
    let login_csrf = hidden(&page, "csrf").unwrap();
    let (status, h, _) = request(
        &a_router,
        "POST",
        "/login",
        Some(&login_cookie),
        Some(format!("token={TOKEN}&csrf={login_csrf}&next=%2F")),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = cookie_of(&h, "wavebump_session").unwrap();

    // Act through B with that session: pause, then resume.
    let page_path = format!("/rollouts/{id}");
    let (status, _, page) = request(&b_router, "GET", &page_path, Some(&session), None).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = hidden(&page, "csrf").expect("B knows the session made on A");
    for action in ["pause", "resume"] {
        let (status, _, body) = request(
            &b_router,
            "POST",
            &format!("/rollouts/{id}/{action}"),
            Some(&session),
            Some(format!("csrf={csrf}&reason=checking")),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{action} through B: {body}");
    }
    let audit = store.audit(id, 50).await.unwrap();
    assert!(
        audit.iter().any(|a| a.entry.actor == "alice"),
        "the actions are recorded as alice's"
    );

    // A page open on B: its event stream.
    let events = b_router
        .clone()
        .oneshot(
            Request::get(format!("/rollouts/{id}/events"))
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    let mut events = events.into_body();
    // A's engine changes the canary: its CI passed (delivered to A).
    world
        .fake
        .add_check_run("acme/svc-a", &canary, "test", "completed", Some("success"));
    let ci = Hook::new("check_run", "rep-check", &check_run("acme/svc-a", &canary));
    assert_eq!(send(&a_router, &ci).await.0, StatusCode::ACCEPTED);
    // Read events until one arrives after the canary changed in the store
    // (an earlier announcement may still be on its way).
    let want = format!("data: {{\"rollout\":{id}}}");
    let changed = || async {
        store.targets(id).await.unwrap().iter().any(|t| {
            t.repo.ends_with("svc-a")
                && matches!(t.state, TargetState::CiPassed | TargetState::Merged)
        })
    };
    tokio::time::timeout(Duration::from_secs(30), async {
        let mut text = String::new();
        while let Some(frame) = events.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
                if text.contains(&want) {
                    if changed().await {
                        return;
                    }
                    text.clear();
                }
            }
        }
        panic!("the stream ended: {text}")
    })
    .await
    .expect("B's page heard of A's change within 30 s");

    // Logging out through B ends the session on A as well.
    let (status, _, _) = request(
        &b_router,
        "POST",
        "/logout",
        Some(&session),
        Some(format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = request(&a_router, "GET", &page_path, Some(&session), None).await;
    assert!(
        hidden(&page, "csrf").is_none(),
        "the session ended everywhere"
    );

    b_running.stop().await;
    a_running.stop().await;
}

crate::both!(sessions_and_changes_cross_replicas);
