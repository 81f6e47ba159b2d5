//! Faults: 5xx, secondary limits with Retry-After, 429, primary limit
//! exhaustion, slow answers, answers missing fields — recovered (or reported
//! precisely), with waits measured on the injected clock.

use std::sync::Arc;
use std::time::Duration;

use wavebump::forge::github::{GitHubForge, ManualClock, RetryPolicy};
use wavebump::forge::{Forge, ForgeError, ForgeWrite};

use super::{ORG, app_options, setup, timed, tree};
use crate::support::fake_github::{FakeGitHub, Fault};

fn repo(fake: &FakeGitHub) -> String {
    fake.add_repo(
        ORG,
        "svc",
        &tree(&[("Cargo.toml", "[package]\nname='svc'\n")]),
    )
}

#[tokio::test]
async fn rate_limits_are_waited_out_as_told() {
    timed(async {
        let cases = [
            (
                "403 secondary",
                Fault::SecondaryRateLimit { retry_after: 1 },
                1.0,
                1.0,
            ),
            ("429", Fault::TooManyRequests { retry_after: 1 }, 1.0, 1.0),
            (
                "primary exhausted",
                Fault::PrimaryExhausted { reset_in: 1 },
                1.0,
                3.5,
            ),
            ("500", Fault::ServerError(500), 0.25, 0.5),
            ("502", Fault::ServerError(502), 0.25, 0.5),
        ];
        for (name, fault, min, max) in cases {
            let (fake, forge, clock) = setup().await;
            let full = repo(&fake);
            forge.list_repos().await.unwrap();
            fake.fault("/git/trees/", fault);
            fake.clear_requests();
            let files = forge.read_tree(&full).await.unwrap();
            assert!(files.get("Cargo.toml").is_some(), "{name}");
            let waited = clock.slept().as_secs_f64();
            assert!(waited >= min && waited <= max, "{name}: waited {waited}s");
            let trees: Vec<u16> = fake
                .requests()
                .iter()
                .filter(|r| r.path.contains("/git/trees/"))
                .map(|r| r.status)
                .collect();
            assert_eq!(trees.len(), 2, "{name}: {trees:?}");
            assert_eq!(trees[1], 200, "{name}");
        }
    })
    .await
}

#[tokio::test]
async fn server_errors_give_up_after_bounded_retries() {
    timed(async {
        let fake = FakeGitHub::start().await;
        fake.install(ORG);
        let full = repo(&fake);
        let clock = Arc::new(ManualClock::new());
        let mut o = app_options(&fake, clock.clone());
        o.retry = RetryPolicy {
            max_retries: 3,
            ..RetryPolicy::default()
        };
        let forge = GitHubForge::connect(o).await.unwrap();
        forge.list_repos().await.unwrap();
        for _ in 0..10 {
            fake.fault("/git/trees/", Fault::ServerError(503));
        }
        fake.clear_requests();
        let err = forge.read_tree(&full).await.unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert!(err.to_string().contains("503"), "{err}");
        assert_eq!(fake.count(|r| r.path.contains("/git/trees/")), 4);
        let sleeps = clock.sleeps();
        assert_eq!(sleeps.len(), 3);
        // Exponential with jitter in [0.5, 1): 0.5s, 1s, 2s bases.
        for (i, s) in sleeps.iter().enumerate() {
            let base = 0.5 * f64::from(1u32 << i);
            let got = s.as_secs_f64();
            assert!(got >= base * 0.5 && got < base, "retry {i}: {got}");
        }
    })
    .await
}

#[tokio::test]
async fn slow_answers_time_out_and_are_retried() {
    timed(async {
        let fake = FakeGitHub::start().await;
        fake.install(ORG);
        let full = repo(&fake);
        let mut o = app_options(&fake, Arc::new(ManualClock::new()));
        o.read_timeout = Duration::from_millis(150);
        let forge = GitHubForge::connect(o).await.unwrap();
        forge.list_repos().await.unwrap();
        fake.fault("/git/trees/", Fault::Slow(Duration::from_millis(600)));
        assert!(forge.read_tree(&full).await.is_ok());
    })
    .await
}

#[tokio::test]
async fn an_answer_missing_fields_names_the_endpoint() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        let full = repo(&fake);
        forge.list_repos().await.unwrap();
        fake.fault("/git/trees/", Fault::MissingFields);
        match forge.read_tree(&full).await {
            Err(ForgeError::BadAnswer { endpoint, message }) => {
                assert_eq!(endpoint, "GET /repos/acme/svc/git/trees/main?recursive=1");
                assert!(message.contains("tree"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        fake.fault("/installation/repositories", Fault::MissingFields);
        assert!(matches!(
            forge.list_repos().await,
            Err(ForgeError::BadAnswer { .. })
        ));
    })
    .await
}

#[tokio::test]
async fn writes_are_budgeted_per_minute() {
    timed(async {
        let fake = FakeGitHub::start().await;
        fake.install(ORG);
        let full = repo(&fake);
        fake.push_commit(&full, "b", &[("x", b"y")]);
        let clock = Arc::new(ManualClock::new());
        let mut o = app_options(&fake, clock.clone());
        o.writes_per_minute = 2;
        let forge = GitHubForge::connect(o).await.unwrap();
        let mut pr = super::pulls_new_pr("b");
        pr.labels.clear();
        pr.reviewers.clear();
        pr.team_reviewers.clear();
        let pr = forge.create_pr(&full, &pr).await.unwrap();
        forge.comment(&full, pr.number, "one").await.unwrap();
        assert!(clock.sleeps().is_empty(), "two writes fit the minute");
        forge.comment(&full, pr.number, "two").await.unwrap();
        assert_eq!(clock.slept(), Duration::from_secs(60));
        assert_eq!(fake.pulls(&full)[0].comments.len(), 2);
    })
    .await
}

#[tokio::test]
async fn ten_percent_faults_still_open_each_pr_once() {
    timed(async {
        let (fake, forge, clock) = setup().await;
        let mut names = Vec::new();
        for i in 0..8 {
            let full = fake.add_repo(ORG, &format!("svc-{i}"), &tree(&[("Cargo.toml", "x")]));
            fake.push_commit(&full, "wavebump/core-utils-2.0.0", &[("Cargo.toml", b"y")]);
            names.push(full);
        }
        forge.list_repos().await.unwrap();
        fake.fault_rate(10, 7);
        for full in &names {
            let pr = super::pulls_new_pr("wavebump/core-utils-2.0.0");
            forge.create_pr(full, &pr).await.unwrap();
            // A second pass (as after a restart) opens nothing new.
            forge.create_pr(full, &pr).await.unwrap();
        }
        for full in &names {
            assert_eq!(fake.pulls(full).len(), 1, "{full}");
            assert_eq!(fake.pulls(full)[0].labels.len(), 2, "{full}");
        }
        assert!(fake.faults_injected() > 0);
        println!(
            "10% faults: {} injected, {:.1}s waited on the clock",
            fake.faults_injected(),
            clock.slept().as_secs_f64()
        );
    })
    .await
}
