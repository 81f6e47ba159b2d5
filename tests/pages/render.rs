//! Snapshots of the rendered pages and the JSON API (fixed clock), the
//! page and the API agreeing, server-side filter and search.

use axum::http::StatusCode;

use super::fixture::{Fixture, get};

async fn page(f: &Fixture, path: &str) -> String {
    let (status, _, body) = get(&f.router(), path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots() {
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let f = Fixture::new(true).await;
        insta::assert_snapshot!(
            "rollout_page",
            page(&f, &format!("/rollouts/{}", f.id)).await
        );
        insta::assert_snapshot!("index_page", page(&f, "/").await);
        let api = page(&f, &format!("/api/rollouts/{}", f.id)).await;
        let json: serde_json::Value = serde_json::from_str(&api).unwrap();
        insta::assert_snapshot!("api_rollout", serde_json::to_string_pretty(&json).unwrap());
    })
    .await
    .expect("timed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_and_api_agree_and_filters_work() {
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let f = Fixture::new(true).await;
        f.pass("svc-a").await;
        let id = f.id;
        let html = page(&f, &format!("/rollouts/{id}")).await;
        let api: serde_json::Value =
            serde_json::from_str(&page(&f, &format!("/api/rollouts/{id}")).await).unwrap();
        let r = &api["rollout"];
        let p = &r["summary"]["progress"];
        let counts = format!(
            "{} merged · {} passed · {} failing · {} pending",
            p["merged"], p["passed"], p["failing"], p["pending"]
        );
        assert!(html.contains(&counts), "page shows {counts}");
        assert_eq!(p["passed"], 1);
        let targets = r["targets"].as_array().unwrap();
        assert_eq!(targets.len(), p["total"].as_u64().unwrap() as usize);
        for t in targets
            .iter()
            .filter(|t| !t["repo"].as_str().unwrap().contains('<'))
        {
            let row = format!(
                "<tr data-target=\"{}\" data-state=\"{}\">",
                t["repo"].as_str().unwrap(),
                t["state"].as_str().unwrap()
            );
            assert!(html.contains(&row), "page row {row}");
        }
        let list: serde_json::Value =
            serde_json::from_str(&page(&f, "/api/rollouts").await).unwrap();
        assert_eq!(list["rollouts"][0]["progress"], *p);

        // Server-side filter and search (no JavaScript needed).
        let rows = |html: &str| html.matches("<tr data-target=").count();
        for (query, want) in [
            ("?state=ci_passed", 1),
            ("?q=SVC-A", 1),
            ("?q=svc", 5),
            ("?state=merged", 0),
            ("?wave=0", 1),
            ("?state=nonsense", targets.len()),
        ] {
            let html = page(&f, &format!("/rollouts/{id}{query}")).await;
            assert_eq!(rows(&html), want, "{query}");
        }
        let (status, _, _) = get(&f.router(), "/rollouts/999", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = get(&f.router(), "/rollouts/abc", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await
    .expect("timed out");
}

/// Abort from the page while the forge cannot close PRs: the answer is no
/// failure (303 to the page, which says the abort is recorded), the page
/// shows `aborting` and the PRs still to close; once the forge is back, a
/// tick closes them and the page shows `aborted` with nothing left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abort_the_forge_cannot_finish_shows_what_is_left() {
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let f = Fixture::new(false).await;
        let r = f.router();
        let id = f.id;
        let open: Vec<(String, u64)> = f
            .store
            .targets(id)
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.state.has_open_pr())
            .map(|t| (t.repo, t.pr_number.unwrap()))
            .collect();
        assert!(!open.is_empty());
        f.engine.forge().fail_next("close_pr", 100);
        let (session, csrf) = super::fixture::login(&r, id).await;
        let (status, headers, body) = super::fixture::post(
            &r,
            &format!("/rollouts/{id}/abort"),
            Some(&session),
            &[
                ("csrf", &csrf),
                ("comment", "withdrawn"),
                ("confirm", "yes"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let to = headers[axum::http::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let (_, _, html) = get(&r, &to, Some(&session)).await;
        assert!(html.contains("Abort recorded"), "{html}");
        assert!(html.contains("aborting"), "{html}");
        assert!(html.contains("Still to close"), "{html}");
        for (repo, number) in &open {
            assert!(
                html.contains(&format!("{repo} #{number}")),
                "{repo} #{number}: {html}"
            );
        }
        assert!(!html.to_lowercase().contains("failed:"), "{html}");

        // The forge is back: the next tick closes them.
        f.engine.forge().fail_next("close_pr", 0);
        f.engine.tick(f.now()).await.unwrap();
        let (_, _, html) = get(&r, &format!("/rollouts/{id}"), Some(&session)).await;
        assert!(!html.contains("Still to close"), "{html}");
        assert_eq!(
            f.store.rollout(id).await.unwrap().unwrap().state,
            wavebump::rollout::RolloutState::Aborted
        );
    })
    .await
    .expect("timed out");
}
