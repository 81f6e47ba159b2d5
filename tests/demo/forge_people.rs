//! The local forge seeing what people do with git: a merge pushed to the
//! base branch makes the PR merged (with who and when), a push to the bump
//! branch moves the PR's head, and reported commit statuses are its CI.

use std::path::{Path, PathBuf};

use wavebump::ecosystem::MemTree;
use wavebump::forge::local::{LocalForge, NewStatus, StatusState};
use wavebump::forge::{BranchPush, CiState, ForgeWrite, MergeOutcome, NewPullRequest, PrState};
use wavebump::git::{self, Author};

use crate::support::org;
use crate::support::people::Clone;

const BRANCH: &str = "wavebump/core-utils-2.0.0";
const OLD: &str = "[dependencies]\ncore-utils = \"1.4\"\n";
const NEW: &str = "[dependencies]\ncore-utils = \"2.0\"\n";

fn org_with_svc() -> (tempfile::TempDir, PathBuf) {
    org::isolate_git();
    let dir = tempfile::tempdir().unwrap();
    let files = MemTree::new()
        .with("Cargo.toml", OLD)
        .with("README.md", "# svc\n");
    let repo = dir.path().join("svc.git");
    let author = Author {
        name: "Init",
        email: "init@example.invalid",
        time: 1_767_225_600,
    };
    git::create_bare_repository(&repo, &files, "init", &author).unwrap();
    (dir, repo)
}

async fn open_pr(forge: &LocalForge) -> (u64, String) {
    let pushed = forge
        .push_branch(
            "svc",
            &BranchPush {
                branch: BRANCH.into(),
                base_branch: "main".into(),
                files: vec![("Cargo.toml".into(), NEW.as_bytes().to_vec())],
                message: "Bump core-utils to 2.0.0".into(),
                expected_head: None,
                lock_refresh: Vec::new(),
            },
        )
        .await
        .unwrap();
    let pr = forge
        .create_pr(
            "svc",
            &NewPullRequest {
                head_branch: BRANCH.into(),
                base_branch: "main".into(),
                title: "Bump core-utils to 2.0.0".into(),
                body: String::new(),
                draft: false,
                labels: Vec::new(),
                reviewers: Vec::new(),
                team_reviewers: Vec::new(),
            },
        )
        .await
        .unwrap();
    (pr.number, pushed.head_sha)
}

fn pulls_json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(".wavebump/pulls.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_merge_pushed_with_git_makes_the_pr_merged_with_who_and_when() {
    let (dir, repo) = org_with_svc();
    let forge = LocalForge::new(dir.path());
    let (number, head) = open_pr(&forge).await;
    let before = forge.pr_status("svc", number).await.unwrap();
    assert_eq!(before.state, PrState::Open);
    assert_eq!(before.head_sha, head);
    assert_eq!(before.merged_by, None);

    Clone::of(&repo, "Bob").merge_and_push(BRANCH);

    let status = forge.pr_status("svc", number).await.unwrap();
    assert_eq!(status.state, PrState::Merged, "{status:?}");
    assert_eq!(status.head_sha, head);
    assert_eq!(status.merged_by.as_deref(), Some("Bob"));
    assert_eq!(status.merged_at.as_deref(), Some("2026-02-03T04:05:06Z"));
    assert_eq!(
        forge.pull_request("svc", number).await.unwrap().state,
        PrState::Merged
    );
    assert_eq!(forge.find_open_pr("svc", BRANCH).await.unwrap(), None);
    // Recorded, so it survives the branch's deletion.
    let v = pulls_json(dir.path());
    let rec = &v["repos"]["svc"][0];
    assert_eq!(rec["state"], "merged");
    assert_eq!(rec["merged_by"], "Bob");
    assert_eq!(rec["final_head"], head.as_str());
    assert!(rec["merge_commit"].as_str().is_some_and(|c| c != head));
    // The engine's own merge of it is a no-op that says merged.
    assert_eq!(
        forge.merge_pr("svc", number, &head).await.unwrap(),
        MergeOutcome::Merged
    );
    // Closing a merged PR is refused.
    assert!(forge.close_pr("svc", number, None).await.is_err());
}

#[tokio::test]
async fn a_fast_forward_is_merged_with_no_known_merger() {
    let (dir, repo) = org_with_svc();
    let forge = LocalForge::new(dir.path());
    let (number, head) = open_pr(&forge).await;
    let person = Clone::of(&repo, "Carol");
    person.git(&["fetch", "-q", "origin"]);
    person.git(&["merge", "-q", "--ff-only", &format!("origin/{BRANCH}")]);
    person.git(&["push", "-q", "origin", "main"]);
    let status = forge.pr_status("svc", number).await.unwrap();
    assert_eq!(status.state, PrState::Merged);
    assert_eq!(status.head_sha, head);
    assert_eq!((status.merged_by, status.merged_at), (None, None));
    // A new PR for the same branch name may open afterwards.
    let v = pulls_json(dir.path());
    assert_eq!(v["repos"]["svc"][0]["merge_commit"], head.as_str());
}

#[tokio::test]
async fn a_push_to_the_bump_branch_moves_the_head_and_statuses_are_its_ci() {
    let (dir, repo) = org_with_svc();
    let forge = LocalForge::new(dir.path());
    let (number, head) = open_pr(&forge).await;
    let status = |state| NewStatus {
        context: "ci/test".into(),
        state,
        description: None,
    };
    assert_eq!(
        forge.ci_state("svc", &head).await.unwrap().state,
        CiState::Pending,
        "no record: no checks"
    );
    forge
        .record_status("svc", &head, status(StatusState::Failure))
        .await
        .unwrap();
    let ci = forge.ci_state("svc", &head).await.unwrap();
    assert_eq!(ci.state, CiState::Failed);
    assert_eq!(ci.checks[0].name, "ci/test");
    // A red required status blocks the forge's own merge.
    let blocked = forge.merge_pr("svc", number, &head).await.unwrap();
    assert!(
        matches!(&blocked, MergeOutcome::Blocked(why) if why.contains("ci/test")),
        "{blocked:?}"
    );

    let fixed = Clone::of(&repo, "Dan").push_fix(BRANCH, "README.md", "# svc on 2.0\n");
    assert_ne!(fixed, head);
    let moved = forge.pr_status("svc", number).await.unwrap();
    assert_eq!(
        (moved.state, moved.head_sha.as_str()),
        (PrState::Open, fixed.as_str())
    );
    assert_eq!(
        forge
            .find_open_pr("svc", BRANCH)
            .await
            .unwrap()
            .unwrap()
            .head_sha,
        fixed
    );
    assert_eq!(
        forge.ci_state("svc", &fixed).await.unwrap().state,
        CiState::Pending,
        "the new head has no status yet"
    );
    forge
        .record_status("svc", &fixed[..8], status(StatusState::Success))
        .await
        .unwrap();
    assert_eq!(
        forge.ci_state("svc", &fixed).await.unwrap().state,
        CiState::Passed
    );
    assert_eq!(
        forge.merge_pr("svc", number, &fixed).await.unwrap(),
        MergeOutcome::Merged
    );
    let merged = forge.pr_status("svc", number).await.unwrap();
    assert_eq!(merged.state, PrState::Merged);
    assert_eq!(merged.merged_by.as_deref(), Some("wavebump[bot]"));
    assert!(merged.merged_at.is_some());
}

/// The engine tests' in-memory forge answers `pr_status` the same way:
/// a person's merge with who and when, an open PR's head from its branch.
#[tokio::test]
async fn the_in_memory_forge_reports_a_persons_merge() {
    use crate::support::memforge::MemForge;
    let forge = MemForge::new();
    forge.add_repo("svc", MemTree::new().with("Cargo.toml", OLD), &[]);
    let pushed = forge
        .push_branch(
            "svc",
            &BranchPush {
                branch: BRANCH.into(),
                base_branch: "main".into(),
                files: vec![("Cargo.toml".into(), NEW.as_bytes().to_vec())],
                message: "bump".into(),
                expected_head: None,
                lock_refresh: Vec::new(),
            },
        )
        .await
        .unwrap();
    let pr = forge
        .create_pr(
            "svc",
            &NewPullRequest {
                head_branch: BRANCH.into(),
                base_branch: "main".into(),
                title: "bump".into(),
                body: String::new(),
                draft: false,
                labels: Vec::new(),
                reviewers: Vec::new(),
                team_reviewers: Vec::new(),
            },
        )
        .await
        .unwrap();
    let open = forge.pr_status("svc", pr.number).await.unwrap();
    assert_eq!(
        (open.state, open.head_sha),
        (PrState::Open, pushed.head_sha)
    );
    forge.merge_as("svc", pr.number, "erin", "2026-02-03T04:05:06Z");
    let merged = forge.pr_status("svc", pr.number).await.unwrap();
    assert_eq!(merged.state, PrState::Merged);
    assert_eq!(merged.merged_by.as_deref(), Some("erin"));
    assert_eq!(merged.merged_at.as_deref(), Some("2026-02-03T04:05:06Z"));
    assert!(forge.pr_status("svc", 99).await.is_err());
}
