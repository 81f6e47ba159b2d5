//! Pull requests: find before create, labels and reviewers, update, close
//! with a comment, merges blocked by protection.

use wavebump::forge::{ForgeWrite, MergeOutcome, NewPullRequest, PrState};

use super::{ORG, setup, timed, tree};

fn new_pr(branch: &str) -> NewPullRequest {
    NewPullRequest {
        head_branch: branch.into(),
        base_branch: "main".into(),
        title: "Bump core-utils to 2.0.0".into(),
        body: "body".into(),
        draft: false,
        labels: vec!["dependencies".into(), "wavebump".into()],
        reviewers: vec!["alice".into()],
        team_reviewers: vec!["platform".into()],
    }
}

#[tokio::test]
async fn create_is_idempotent_and_sets_labels_and_reviewers() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        let full = fake.add_repo(ORG, "svc", &tree(&[("Cargo.toml", "x")]));
        let branch = "wavebump/core-utils-2.0.0";
        fake.push_commit(&full, branch, &[("Cargo.toml", b"y")]);
        assert_eq!(forge.find_open_pr(&full, branch).await.unwrap(), None);
        fake.clear_requests();
        let pr = forge.create_pr(&full, &new_pr(branch)).await.unwrap();
        let opening = fake.count(|r| !r.is_auth());
        println!("opening one PR: {opening} API requests (find, create, labels, reviewers)");
        assert!(opening <= 6, "{opening}");
        assert_eq!(pr.number, 1);
        assert_eq!(pr.state, PrState::Open);
        assert_eq!(pr.head_sha, fake.branch_sha(&full, branch).unwrap());
        let again = forge.create_pr(&full, &new_pr(branch)).await.unwrap();
        assert_eq!(again, pr);
        let pulls = fake.pulls(&full);
        assert_eq!(pulls.len(), 1, "exactly one PR");
        assert_eq!(pulls[0].labels, ["dependencies", "wavebump"]);
        assert_eq!(pulls[0].reviewers, ["alice"]);
        assert_eq!(pulls[0].team_reviewers, ["platform"]);
        assert_eq!(
            forge.find_open_pr(&full, branch).await.unwrap(),
            Some(pr.clone())
        );
        assert_eq!(forge.pull_request(&full, 1).await.unwrap(), pr);

        forge
            .update_pr(&full, 1, "New title", "New body")
            .await
            .unwrap();
        assert_eq!(fake.pulls(&full)[0].title, "New title");
        forge
            .close_pr(&full, 1, Some("Rollout aborted."))
            .await
            .unwrap();
        let closed = &fake.pulls(&full)[0];
        assert_eq!(closed.state, crate::support::fake_github::PullState::Closed);
        assert_eq!(closed.comments[0].body, "Rollout aborted.");
        assert_eq!(forge.find_open_pr(&full, branch).await.unwrap(), None);
        assert_eq!(
            forge.pull_request(&full, 1).await.unwrap().state,
            PrState::Closed
        );
    })
    .await
}

#[tokio::test]
async fn a_failed_create_is_retried_into_one_pr() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        let full = fake.add_repo(ORG, "svc", &tree(&[("Cargo.toml", "x")]));
        fake.push_commit(&full, "b", &[("Cargo.toml", b"y")]);
        // The create answers 502 once: the retry opens exactly one PR.
        fake.fault_on(
            "POST",
            "/pulls",
            crate::support::fake_github::Fault::ServerError(502),
        );
        let pr = forge.create_pr(&full, &new_pr("b")).await.unwrap();
        assert_eq!(pr.number, 1);
        assert_eq!(fake.pulls(&full).len(), 1);
    })
    .await
}

#[tokio::test]
async fn merge_respects_protection() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        let full = fake.add_repo(ORG, "svc", &tree(&[("Cargo.toml", "x")]));
        let head = fake.push_commit(&full, "b", &[("Cargo.toml", b"y")]);
        fake.protect(&full, &["build"], 1);
        let pr = forge.create_pr(&full, &new_pr("b")).await.unwrap();

        let blocked = forge.merge_pr(&full, pr.number, &head).await.unwrap();
        assert!(
            matches!(&blocked, MergeOutcome::Blocked(m) if m.contains("approving review")),
            "{blocked:?}"
        );
        fake.approve(&full, pr.number, "alice");
        let blocked = forge.merge_pr(&full, pr.number, &head).await.unwrap();
        assert!(
            matches!(&blocked, MergeOutcome::Blocked(m) if m.contains("build")),
            "{blocked:?}"
        );
        fake.add_check_run(&full, &head, "build", "completed", Some("success"));
        let stale = forge
            .merge_pr(&full, pr.number, "0123456789abcdef0123456789abcdef01234567")
            .await
            .unwrap();
        assert!(
            matches!(&stale, MergeOutcome::Blocked(m) if m.contains("modified")),
            "{stale:?}"
        );
        assert_eq!(
            forge.merge_pr(&full, pr.number, &head).await.unwrap(),
            MergeOutcome::Merged
        );
        assert_eq!(
            forge.pull_request(&full, pr.number).await.unwrap().state,
            PrState::Merged
        );
        let status = forge.pr_status(&full, pr.number).await.unwrap();
        assert_eq!(
            (status.state, status.head_sha.as_str()),
            (PrState::Merged, head.as_str())
        );
        assert!(status.merged_at.is_some(), "{status:?}");
        let main = fake.branch_sha(&full, "main").unwrap();
        assert_ne!(main, head, "a squash commit landed on main");
    })
    .await
}

/// A merge that landed but whose answer was lost (a crash) is refused as
/// "not mergeable" the second time; the forge reports it merged, so the
/// engine never waits on it forever.
#[tokio::test]
async fn merging_twice_reports_merged() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        let full = fake.add_repo(ORG, "svc", &tree(&[("Cargo.toml", "x")]));
        let branch = "wavebump/core-utils-2.0.0";
        let head = fake.push_commit(&full, branch, &[("Cargo.toml", b"y")]);
        let pr = forge.create_pr(&full, &new_pr(branch)).await.unwrap();
        assert_eq!(
            forge.merge_pr(&full, pr.number, &head).await.unwrap(),
            MergeOutcome::Merged
        );
        assert_eq!(
            forge.merge_pr(&full, pr.number, &head).await.unwrap(),
            MergeOutcome::Merged
        );
        assert_eq!(
            forge.pull_request(&full, pr.number).await.unwrap().state,
            PrState::Merged
        );
    })
    .await
}
