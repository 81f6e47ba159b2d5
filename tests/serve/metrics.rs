//! `/metrics` shows the GitHub forge's API requests by method and outcome
//! and the rate limit GitHub last reported, scraped after requests against
//! the fake GitHub (whose own record is the reference).

use axum::http::StatusCode;
use wavebump::config::secret::Secret;
use wavebump::forge::Forge;
use wavebump::server::serve::{self, ServeDeps};

use super::{SECRET, World, get, options, timed};
use crate::support::fake_github::Fault;

/// The value of the sample `line_prefix` (`name{labels}`) in `text`.
fn sample(text: &str, line_prefix: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line_prefix)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_api_requests_and_the_rate_limit() {
    timed(async {
        let world = World::new("").await;
        let forge = world.forge().await;
        let mut opts = options();
        opts.api_stats = Some(forge.api_stats());
        let store = world.store().await;
        let app = serve::app(ServeDeps {
            config: world.config.clone(),
            store,
            forge,
            secrets: vec![Secret::new(SECRET)],
            operators: vec![],
            options: opts,
        });
        let before = get(&app.router, "/metrics").await.1;
        assert_eq!(sample(&before, "wavebump_leader"), Some(1), "{before}");

        {
            let engine = app.engine.lock().await;
            let forge = engine.forge();
            // 200, then 304 (ETag), then a 502 retried into a 200.
            forge.list_repos().await.unwrap();
            forge.list_repos().await.unwrap();
            world.fake.fault("/git/trees/", Fault::ServerError(502));
            forge.read_tree("acme/svc-a").await.unwrap();
            // A 404 is the repository's error, counted as a client error.
            assert!(forge.read_tree("acme/nope").await.is_err());
        }
        let (status, text) = get(&app.router, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        let fake = &world.fake;
        // Every request the forge made since it connected (the App's
        // installation lookup included) but the token exchanges, which
        // octocrab makes on its own.
        let api = |r: &crate::support::fake_github::Recorded| {
            !r.path.starts_with("/app/") && r.method == "GET"
        };
        let cases = [
            ("ok", fake.count(|r| api(r) && r.status == 200)),
            ("not_modified", fake.count(|r| api(r) && r.status == 304)),
            ("server_error", 1),
            ("client_error", fake.count(|r| api(r) && r.status == 404)),
        ];
        for (outcome, want) in cases {
            let prefix =
                format!("wavebump_github_requests_total{{method=\"GET\",outcome=\"{outcome}\"}}");
            assert_eq!(
                sample(&text, &prefix),
                Some(want as u64),
                "{prefix}\n{text}"
            );
        }
        assert_eq!(cases[1].1, 1, "the second listing was a 304");
        assert!(
            cases[0].1 >= 4,
            "lookup, listing, tree, blob: {}",
            cases[0].1
        );
        assert!(
            text.contains("# TYPE wavebump_github_rate_limit_remaining gauge"),
            "{text}"
        );
        // The fake counts down from 5000 for every request it does not
        // answer 304; the last one was ours.
        let counted = fake.count(|r| r.status != 304) as u64;
        assert_eq!(
            sample(
                &text,
                "wavebump_github_rate_limit_remaining{resource=\"core\"}"
            ),
            Some(5000 - counted),
            "{text}"
        );
        assert_eq!(
            sample(&text, "wavebump_github_rate_limit_limit{resource=\"core\"}"),
            Some(5000)
        );
        assert!(
            sample(
                &text,
                "wavebump_github_rate_limit_reset_seconds{resource=\"core\"}"
            )
            .is_some(),
            "{text}"
        );
        // The label set stays bounded: every sample of the family uses
        // known methods and outcomes.
        for line in text
            .lines()
            .filter(|l| l.starts_with("wavebump_github_requests_total{"))
        {
            assert!(
                [
                    "ok",
                    "not_modified",
                    "client_error",
                    "rate_limited",
                    "server_error",
                    "transport"
                ]
                .iter()
                .any(|o| line.contains(&format!("outcome=\"{o}\""))),
                "{line}"
            );
        }
    })
    .await;
}
