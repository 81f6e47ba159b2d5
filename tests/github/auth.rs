//! App JWT → installation token, refresh, bad keys, plain tokens.

use std::sync::Arc;
use std::time::Duration;

use wavebump::config::secret::Secret;
use wavebump::forge::Forge;
use wavebump::forge::github::{GitHubAuth, GitHubForge, GitHubOptions, ManualClock};

use super::{ORG, app_options, setup, timed, tree};
use crate::support::fake_github::FakeGitHub;

fn token_mints(fake: &FakeGitHub) -> usize {
    fake.count(|r| r.method == "POST" && r.path.ends_with("/access_tokens") && r.status == 201)
}

#[tokio::test]
async fn app_jwt_finds_the_installation_and_mints_one_token() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        fake.add_repo(ORG, "a", &tree(&[("README.md", "x")]));
        assert!(forge.installation_id().is_some());
        for _ in 0..3 {
            assert_eq!(forge.list_repos().await.unwrap().len(), 1);
        }
        assert_eq!(
            fake.count(|r| r.path == "/orgs/acme/installation" && r.status == 200),
            1
        );
        assert_eq!(token_mints(&fake), 1, "one token serves many requests");
        assert!(fake.requests().iter().all(|r| r.status != 401));
    })
    .await
}

#[tokio::test]
async fn short_lived_tokens_are_refreshed_before_expiry() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        // Tokens living less than octocrab's 30 s margin are re-minted
        // before every request rather than used until they fail.
        fake.set_token_lifetime(Duration::from_secs(20));
        fake.add_repo(ORG, "a", &tree(&[]));
        for _ in 0..3 {
            forge.list_repos().await.unwrap();
        }
        assert_eq!(token_mints(&fake), 3);
        assert_eq!(fake.count(|r| r.status == 401), 0);
    })
    .await
}

#[tokio::test]
async fn an_expired_token_is_replaced_after_one_401() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        fake.add_repo(ORG, "a", &tree(&[]));
        forge.list_repos().await.unwrap();
        fake.expire_tokens();
        assert_eq!(forge.list_repos().await.unwrap().len(), 1);
        assert_eq!(token_mints(&fake), 2);
        assert_eq!(fake.count(|r| r.status == 401), 1);
    })
    .await
}

#[tokio::test]
async fn a_wrong_key_is_refused_without_leaking_it() {
    timed(async {
        let fake = FakeGitHub::start().await;
        fake.install(ORG);
        let other = rsa_pem_of_another_app();
        let mut o = app_options(&fake, Arc::new(ManualClock::new()));
        o.auth = GitHubAuth::App {
            app_id: crate::support::fake_github::APP_ID,
            private_key_pem: Secret::new(other.clone()),
            installation_id: None,
        };
        let err = GitHubForge::connect(o).await.unwrap_err().to_string();
        assert!(
            err.contains("401") || err.contains("JSON web token"),
            "{err}"
        );
        assert!(!err.contains("PRIVATE KEY"), "{err}");
    })
    .await
}

/// A second, different RSA key (the public half of the fake's own key is
/// not its pair).
fn rsa_pem_of_another_app() -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.pem");
    let ok = std::process::Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&path)
        .arg("2048")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "openssl genrsa");
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test]
async fn plain_tokens_work_and_bad_ones_are_refused() {
    timed(async {
        let fake = FakeGitHub::start().await;
        fake.install(ORG);
        fake.add_token("ghp_good");
        fake.add_repo(ORG, "a", &tree(&[]));
        let clock = Arc::new(ManualClock::new());
        let mut o = GitHubOptions::new(fake.url(), ORG, GitHubAuth::Token(Secret::new("ghp_good")));
        o.clock = clock.clone();
        let forge = GitHubForge::connect(o).await.unwrap();
        assert_eq!(forge.list_repos().await.unwrap()[0].name, "acme/a");
        assert!(fake.requests().iter().any(|r| r.path == "/orgs/acme/repos"));

        let mut o = GitHubOptions::new(
            fake.url(),
            ORG,
            GitHubAuth::Token(Secret::new("ghp_wrong_secret")),
        );
        o.clock = clock;
        let forge = GitHubForge::connect(o).await.unwrap();
        let err = forge.list_repos().await.unwrap_err().to_string();
        assert!(err.contains("401"), "{err}");
        assert!(!err.contains("ghp_wrong_secret"), "{err}");
    })
    .await
}

#[tokio::test]
async fn options_from_config_pick_app_or_token() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::write_secret(
        &dir.path().join("key.pem"),
        crate::support::fake_github::app_private_key(),
    );
    let yaml = format!(
        "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\ngithub:\n  app_id: 7\n  private_key_path: {}\n  writes_per_minute: 5\n",
        dir.path().join("key.pem").display()
    );
    let config = wavebump::config::Config::parse(&yaml, "t.yaml").unwrap();
    let o = GitHubForge::options_from_config(&config, |_| None).unwrap();
    assert_eq!(o.org, "acme");
    assert_eq!(o.writes_per_minute, 5);
    assert!(matches!(o.auth, GitHubAuth::App { app_id: 7, .. }));
    assert_eq!(
        o.push_options.refresh_sandbox,
        wavebump::git::RefreshSandbox::Bwrap
    );

    let yaml = "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n";
    let config = wavebump::config::Config::parse(yaml, "t.yaml").unwrap();
    let o = GitHubForge::options_from_config(&config, |k| {
        (k == "GITHUB_TOKEN").then(|| "t0k".to_string())
    })
    .unwrap();
    assert!(matches!(o.auth, GitHubAuth::Token(_)));
    let strict = format!("{yaml}pull_requests:\n  refresh_sandbox: required\n");
    let config = wavebump::config::Config::parse(&strict, "t.yaml").unwrap();
    let o = GitHubForge::options_from_config(&config, |_| Some("t0k".to_string())).unwrap();
    assert_eq!(
        o.push_options.refresh_sandbox,
        wavebump::git::RefreshSandbox::Required,
        "pull_requests.refresh_sandbox reaches the pushes"
    );
    let config = wavebump::config::Config::parse(yaml, "t.yaml").unwrap();
    let err = GitHubForge::options_from_config(&config, |_| None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("GITHUB_TOKEN"), "{err}");
}
