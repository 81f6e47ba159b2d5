//! The status page in real headless Chromium: the waves of a running
//! rollout; a target turning green on the open page without reload; the
//! planted payloads inert; a screenshot; logging in and clicking pause.
//! One browser session for all of it (fast).

use std::time::Duration;

use fantoccini::{Client, Locator};
use wavebump::rollout::RolloutState;

use super::fixture::{Fixture, TOKEN, XSS_REPO};
use crate::support::browser::Browser;

async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.unwrap()
}

async fn wait_css(c: &Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for {css}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_page_in_chromium() {
    let f = Fixture::new(true).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, f.router()).into_future());
    let browser = Browser::start().await;
    let outcome = tokio::time::timeout(
        Duration::from_secs(120),
        scenario(&f, &browser.client, &base),
    )
    .await;
    browser.close().await;
    server.abort();
    outcome.expect("browser scenario timed out");
}

async fn scenario(f: &Fixture, c: &Client, base: &str) {
    let id = f.id;
    let url = format!("{base}/rollouts/{id}");
    c.goto(&url).await.unwrap();

    // The waves of the running rollout.
    let waves = c.find_all(Locator::Css("[data-wave]")).await.unwrap();
    let rollout = f.store.rollout(id).await.unwrap().unwrap();
    assert_eq!(waves.len(), rollout.wave_count as usize);
    let wave0 = c
        .find(Locator::Css("[data-wave=\"0\"]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        wave0.contains("svc-a") && wave0.contains("CI running"),
        "{wave0}"
    );

    // Planted payloads are inert: no script ran, no element was injected.
    let inert = js(c, "return [typeof window.__xss, document.images.length, document.scripts.length, document.body.innerText.includes('onerror=window.__xss=1')]").await;
    assert_eq!(
        inert,
        serde_json::json!(["undefined", 0, 1, true]),
        "payloads must show as text only"
    );

    // A target turns green through the engine; the open page follows
    // without reload (the marker survives) and says so politely.
    wait_css(c, "html[data-live-ready]").await;
    js(c, "window.__marker = 42; return null").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while f.changes.receiver_count() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the page never subscribed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f.pass("svc-a").await;
    wait_css(c, "tr[data-target=\"svc-a\"][data-state=\"ci_passed\"]").await;
    assert_eq!(
        js(c, "return window.__marker").await,
        serde_json::json!(42),
        "page reloaded"
    );
    let live = c
        .find(Locator::Id("live-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(live.starts_with("Updated:"), "{live}");
    assert_eq!(
        js(
            c,
            "return document.getElementById('live-status').getAttribute('aria-live')"
        )
        .await,
        "polite"
    );
    assert_eq!(js(c, "return typeof window.__xss").await, "undefined");

    // Screenshot for the README.
    let png = c.screenshot().await.unwrap();
    let out = crate::support::crate_root().join("docs/status-page.png");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, png).unwrap();

    // Log in, then pause with a reason: the engine pauses, audited as alice.
    c.goto(&format!("{base}/login?next=/rollouts/{id}"))
        .await
        .unwrap();
    c.find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(TOKEN)
        .await
        .unwrap();
    c.find(Locator::Css("form.login button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_css(c, "#pause").await;
    c.find(Locator::Css("input[name=reason]"))
        .await
        .unwrap()
        .send_keys("holding for <b>review</b>")
        .await
        .unwrap();
    c.find(Locator::Id("pause"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_css(c, "[data-rollout-state=\"paused\"]").await;
    let r = f.store.rollout(id).await.unwrap().unwrap();
    assert_eq!(r.state, RolloutState::Paused);
    let audit = f.store.audit(id, 100).await.unwrap();
    assert_eq!(audit.last().unwrap().entry.actor, "alice");
    let reason = c
        .find(Locator::Css("dd.reason"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(reason, "holding for <b>review</b>");
    assert_eq!(js(c, "return typeof window.__xss").await, "undefined");
    assert!(!c.source().await.unwrap().contains(TOKEN), "token rendered");
    let _ = XSS_REPO;
}
