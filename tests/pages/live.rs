//! Live updates end to end in Chromium: `wavebump serve` in-process (real
//! router, inbox worker, engine) against the fake GitHub; a signed release
//! webhook starts a rollout; with the rollout page open, the canary's CI
//! passes and a signed `check_run` webhook says so; the open page turns the
//! canary green without a reload (SSE) and its polite live region names
//! the repository that changed.

use std::time::Duration;

use axum::http::StatusCode;
use fantoccini::{Client, Locator};

use crate::serve::{Hook, LIBRARY, World, check_run, options, release, send, wait_for};
use crate::support::browser::Browser;

const CANARY: &str = "acme/svc-a";

async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.unwrap()
}

async fn wait_css(c: &Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for {css}: {e}"));
}

async fn wait_xpath(c: &Client, xpath: &str) {
    let found = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(xpath))
        .await;
    if let Err(e) = found {
        let live = c.find(Locator::Id("live-status")).await.unwrap();
        panic!(
            "waiting for {xpath}: {e}; live region: {:?}",
            live.text().await
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_run_webhook_turns_the_open_page_green() {
    let world = World::new("server:\n  public_read: true\n").await;
    let (app, store) = world.app(options()).await;
    let router = app.router.clone();
    let engine = app.engine.clone();
    let running = app.background.start();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, router.clone()).into_future());
    let browser = Browser::start().await;
    let outcome = tokio::time::timeout(Duration::from_secs(120), async {
        // A release starts the rollout; the canary's PR opens.
        let hook = Hook::new(
            "release",
            "rel-live",
            &release(LIBRARY, "v2.0.0", "2020-01-01T00:00:00Z", false),
        );
        assert_eq!(send(&router, &hook).await.0, StatusCode::ACCEPTED);
        let id = wait_for("the rollout", || async {
            store.rollouts().await.unwrap().first().map(|r| r.id)
        })
        .await;
        let sha = wait_for("the canary's PR", || async {
            let pull = world.fake.pulls(CANARY).into_iter().next()?;
            world.fake.branch_sha(CANARY, &pull.head)
        })
        .await;

        let c = &browser.client;
        c.goto(&format!("{base}/rollouts/{id}")).await.unwrap();
        wait_css(c, "tr[data-target=\"acme/svc-a\"]:not([data-state=\"ci_passed\"])").await;
        wait_css(c, "html[data-live-ready]").await;
        js(c, "window.__marker = 7; return null").await;
        // Sync point: the page's event stream is subscribed.
        wait_for("the page's subscription", || async {
            (engine.changes().receiver_count() > 0).then_some(())
        })
        .await;

        // GitHub: the check run completes green, and the webhook says so.
        world
            .fake
            .add_check_run(CANARY, &sha, "test", "completed", Some("success"));
        let hook = Hook::new("check_run", "check-live", &check_run(CANARY, &sha));
        assert_eq!(send(&router, &hook).await.0, StatusCode::ACCEPTED);

        wait_css(c, "tr[data-target=\"acme/svc-a\"][data-state=\"ci_passed\"]").await;
        assert_eq!(
            js(c, "return window.__marker").await,
            serde_json::json!(7),
            "the page reloaded"
        );
        // The polite live region names what changed.
        let live = c.find(Locator::Id("live-status")).await.unwrap();
        assert_eq!(
            live.attr("aria-live").await.unwrap().as_deref(),
            Some("polite")
        );
        wait_xpath(
            c,
            "//p[@id='live-status'][starts-with(., 'Updated: ')][contains(., 'acme/svc-a: ✓ CI passed')]",
        )
        .await;
        // The graph on the open page follows too.
        wait_css(c, "g.node[data-repo=\"acme/svc-a\"][data-state=\"ci_passed\"]").await;
    })
    .await;
    browser.close().await;
    server.abort();
    running.stop().await;
    outcome.expect("live scenario timed out");
}
