//! The fake's JSON decodes into octocrab's own models: its shapes are
//! GitHub's, not just what our forge happens to read.

use octocrab::models;

use super::{ORG, timed, tree};
use crate::support::fake_github::FakeGitHub;

async fn get(fake: &FakeGitHub, token: &str, path: &str) -> String {
    let crab = octocrab::Octocrab::builder()
        .base_uri(fake.url())
        .unwrap()
        .personal_token(token.to_string())
        .build()
        .unwrap();
    let resp = crab._get(path).await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    crab.body_to_string(resp).await.unwrap()
}

#[tokio::test]
async fn answers_decode_as_octocrab_models() {
    timed(async {
        let fake = FakeGitHub::start().await;
        fake.install(ORG);
        fake.add_token("tok");
        let full = fake.add_repo(
            ORG,
            "svc",
            &tree(&[("Cargo.toml", "[package]\nname='svc'\n")]),
        );
        fake.add_release(&full, "v1.0.0", "notes @someone #12", false);
        let sha = fake.branch_sha(&full, "main").unwrap();
        fake.push_commit(&full, "feature", &[("a.txt", b"x")]);
        fake.set_status(&full, &sha, "ci/jenkins", "success");
        fake.add_check_run(&full, &sha, "build", "completed", Some("success"));
        let crab = octocrab::Octocrab::builder()
            .base_uri(fake.url())
            .unwrap()
            .personal_token("tok".to_string())
            .build()
            .unwrap();
        let pr = crab
            .pulls(ORG, "svc")
            .create("t", "feature", "main")
            .body("b")
            .send()
            .await
            .expect("octocrab creates a PR on the fake");
        assert_eq!(pr.number, 1);
        let _: Vec<models::Repository> =
            serde_json::from_str(&get(&fake, "tok", "/orgs/acme/repos").await).unwrap();
        let _: models::Repository =
            serde_json::from_str(&get(&fake, "tok", "/repos/acme/svc").await).unwrap();
        let _: Vec<models::repos::Release> =
            serde_json::from_str(&get(&fake, "tok", "/repos/acme/svc/releases").await).unwrap();
        let _: Vec<models::repos::Tag> =
            serde_json::from_str(&get(&fake, "tok", "/repos/acme/svc/tags").await).unwrap();
        let _: Vec<models::pulls::PullRequest> =
            serde_json::from_str(&get(&fake, "tok", "/repos/acme/svc/pulls").await).unwrap();
        let _: models::CombinedStatus = serde_json::from_str(
            &get(
                &fake,
                "tok",
                &format!("/repos/acme/svc/commits/{sha}/status"),
            )
            .await,
        )
        .unwrap();
        let _: models::checks::ListCheckRuns = serde_json::from_str(
            &get(
                &fake,
                "tok",
                &format!("/repos/acme/svc/commits/{sha}/check-runs"),
            )
            .await,
        )
        .unwrap();
        let c = crab
            .issues(ORG, "svc")
            .create_comment(1, "hi")
            .await
            .expect("comment");
        assert_eq!(c.body.as_deref(), Some("hi"));
        let labels = crab
            .issues(ORG, "svc")
            .add_labels(1, &["x".to_string()])
            .await
            .expect("labels");
        assert_eq!(labels[0].name, "x");
    })
    .await
}
