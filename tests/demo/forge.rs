//! The local forge's write side: branches, PR records, merges, releases,
//! CI through a pluggable provider (pushes need bare repositories).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use wavebump::ecosystem::MemTree;
use wavebump::forge::local::{CiProvider, LocalForge, STATE_DIR};
use wavebump::forge::{
    BranchPush, Check, CiReport, CiState, Forge, ForgeError, ForgeWrite, MergeOutcome,
    NewPullRequest, PrState,
};
use wavebump::git::{self, Author};

use crate::support::org;

const BRANCH: &str = "wavebump/core-utils-2.0.0";
const OLD: &str = "[package]\nname = \"svc\"\n\n[dependencies]\ncore-utils = \"1.4\"\n";
const NEW: &str = "[package]\nname = \"svc\"\n\n[dependencies]\ncore-utils = \"2.0\"\n";

const HUMAN: Author<'static> = Author {
    name: "Alice",
    email: "alice@example.invalid",
    time: 1_767_225_600,
};

/// A CI whose answer the test sets: one required check `test`.
#[derive(Default)]
struct SetCi {
    state: Mutex<Option<CiState>>,
    pushed: Mutex<Vec<String>>,
}

impl CiProvider for SetCi {
    fn pushed(&self, repo: &str, branch: &str, sha: &str) {
        self.pushed
            .lock()
            .unwrap()
            .push(format!("{repo} {branch} {sha}"));
    }

    fn state(&self, _repo: &str, _sha: &str) -> CiReport {
        let state = self.state.lock().unwrap().unwrap_or(CiState::Pending);
        CiReport {
            state,
            checks: vec![Check {
                name: "test".into(),
                state,
                url: None,
                required: true,
                first_error: None,
            }],
            note: None,
        }
    }
}

/// An organisation of one repository `svc` (bare or not) plus a README.
fn org_with_svc(bare: bool) -> (tempfile::TempDir, PathBuf) {
    org::isolate_git();
    let dir = tempfile::tempdir().unwrap();
    let files = MemTree::new()
        .with("Cargo.toml", OLD)
        .with("README.md", "# svc\n");
    let repo = if bare {
        let p = dir.path().join("svc.git");
        git::create_bare_repository(&p, &files, "init", &HUMAN).unwrap();
        p
    } else {
        let p = dir.path().join("svc");
        git::create_repository(&p, &files, "init", &HUMAN).unwrap();
        p
    };
    git::tag_head(&repo, "v1.0.0").unwrap();
    (dir, repo)
}

fn push(expected_head: Option<String>) -> BranchPush {
    BranchPush {
        branch: BRANCH.into(),
        base_branch: "main".into(),
        files: vec![("Cargo.toml".into(), NEW.as_bytes().to_vec())],
        message: "Bump core-utils to 2.0.0".into(),
        expected_head,
        lock_refresh: Vec::new(),
    }
}

fn new_pr() -> NewPullRequest {
    NewPullRequest {
        head_branch: BRANCH.into(),
        base_branch: "main".into(),
        title: "Bump core-utils to 2.0.0".into(),
        body: "body".into(),
        draft: false,
        labels: vec!["dependencies".into()],
        reviewers: Vec::new(),
        team_reviewers: Vec::new(),
    }
}

fn file_on(repo: &Path, branch: &str, path: &str) -> Option<String> {
    let tree = git::read_branch(repo, branch, &|_| true).unwrap()?;
    tree.get(path)
        .map(|b| String::from_utf8(b.to_vec()).unwrap())
}

fn branch_head(repo: &Path, branch: &str) -> Option<String> {
    let want = format!("refs/heads/{branch}");
    git::refs(repo)
        .unwrap()
        .into_iter()
        .find(|(n, _)| *n == want)
        .map(|(_, id)| id)
}

#[tokio::test]
async fn a_repository_with_a_work_tree_is_refused_up_front() {
    let (dir, repo) = org_with_svc(false);
    let forge = LocalForge::new(dir.path());
    let err = forge.push_branch("svc", &push(None)).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("bare") && text.contains("git clone --bare"),
        "{text}"
    );
    assert_eq!(branch_head(&repo, BRANCH), None);
}

#[tokio::test]
async fn push_find_create_merge() {
    {
        let bare = true;
        let (dir, repo) = org_with_svc(bare);
        let ci = Arc::new(SetCi::default());
        let forge = LocalForge::new(dir.path()).with_ci(ci.clone());

        // Push creates the branch with the change, on top of main.
        let pushed = forge.push_branch("svc", &push(None)).await.unwrap();
        assert_eq!(
            branch_head(&repo, BRANCH).as_deref(),
            Some(pushed.head_sha.as_str())
        );
        assert_eq!(file_on(&repo, BRANCH, "Cargo.toml").as_deref(), Some(NEW));
        assert_eq!(file_on(&repo, "main", "Cargo.toml").as_deref(), Some(OLD));
        assert_eq!(ci.pushed.lock().unwrap().len(), 1, "CI told about the push");
        let info = git::commit_info(&repo, &pushed.head_sha).unwrap();
        assert_eq!(info.author_name, "wavebump[bot]");

        // The same push again changes nothing.
        let again = forge
            .push_branch("svc", &push(Some(pushed.head_sha.clone())))
            .await
            .unwrap();
        assert_eq!(
            again.head_sha, pushed.head_sha,
            "identical content not pushed twice"
        );

        // Find before create; create once; a second create is refused.
        assert_eq!(forge.find_open_pr("svc", BRANCH).await.unwrap(), None);
        let pr = forge.create_pr("svc", &new_pr()).await.unwrap();
        assert_eq!((pr.number, pr.state), (1, PrState::Open));
        assert_eq!(pr.head_sha, pushed.head_sha);
        let found = forge.find_open_pr("svc", BRANCH).await.unwrap().unwrap();
        assert_eq!(found, pr);
        let err = forge.create_pr("svc", &new_pr()).await.unwrap_err();
        assert!(err.to_string().contains("already open (#1)"), "{err}");

        // Merge is refused while a required check is not green, or at
        // another head.
        let blocked = forge.merge_pr("svc", 1, &pushed.head_sha).await.unwrap();
        assert_eq!(
            blocked,
            MergeOutcome::Blocked("required checks not passed: test (pending)".into())
        );
        *ci.state.lock().unwrap() = Some(CiState::Passed);
        let other = "0".repeat(40);
        assert!(matches!(
            forge.merge_pr("svc", 1, &other).await.unwrap(),
            MergeOutcome::Blocked(why) if why.contains("not 0000")
        ));

        // Merge moves main to a commit with the PR's tree.
        let main_before = branch_head(&repo, "main").unwrap();
        assert_eq!(
            forge.merge_pr("svc", 1, &pushed.head_sha).await.unwrap(),
            MergeOutcome::Merged
        );
        let main_after = branch_head(&repo, "main").unwrap();
        assert_ne!(main_after, main_before);
        let merged = git::commit_info(&repo, &main_after).unwrap();
        assert_eq!(merged.parents, vec![main_before]);
        assert_eq!(merged.tree, info.tree, "squash commit has the PR's tree");
        assert!(merged.message.starts_with("Bump core-utils to 2.0.0 (#1)"));
        assert_eq!(
            file_on(&repo, "main", "README.md").as_deref(),
            Some("# svc\n")
        );
        let (_, tree) = git::read_default_branch(&repo, &|_| true).unwrap();
        assert_eq!(tree.get("Cargo.toml"), Some(NEW.as_bytes()));
        // Merging again is idempotent.
        assert_eq!(
            forge.merge_pr("svc", 1, &pushed.head_sha).await.unwrap(),
            MergeOutcome::Merged
        );
        assert_eq!(branch_head(&repo, "main").unwrap(), main_after);

        // The forge's own directory is never a repository.
        assert!(dir.path().join(STATE_DIR).join("pulls.json").is_file());
        let names: Vec<String> = forge
            .list_repos()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, vec!["svc"], "bare = {bare}");
    }
}

#[tokio::test]
async fn a_human_commit_on_the_branch_is_not_overwritten() {
    let (dir, repo) = org_with_svc(true);
    let forge = LocalForge::new(dir.path());
    let pushed = forge.push_branch("svc", &push(None)).await.unwrap();
    let human = git::commit_on_branch(
        &repo,
        BRANCH,
        &[("NOTES.md".into(), b"fix for 2.0\n".to_vec())],
        "Adapt to 2.0",
        &HUMAN,
    )
    .unwrap();
    for expected in [Some(pushed.head_sha.clone()), None] {
        let err = forge
            .push_branch("svc", &push(expected.clone()))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ForgeError::PushRejected { .. }),
            "{expected:?}: {err}"
        );
        assert_eq!(branch_head(&repo, BRANCH).as_deref(), Some(human.as_str()));
    }
    // A PR over the human's head merges (main is its first-parent ancestor).
    forge.create_pr("svc", &new_pr()).await.unwrap();
    assert_eq!(
        forge.merge_pr("svc", 1, &human).await.unwrap(),
        MergeOutcome::Merged
    );
    assert_eq!(
        file_on(&repo, "main", "NOTES.md").as_deref(),
        Some("fix for 2.0\n")
    );
}

#[tokio::test]
async fn records_survive_reopening_the_forge() {
    let (dir, repo) = org_with_svc(true);
    {
        let forge = LocalForge::new(dir.path());
        forge.push_branch("svc", &push(None)).await.unwrap();
        forge.create_pr("svc", &new_pr()).await.unwrap();
        forge.comment("svc", 1, "wave 1 opened").await.unwrap();
        forge
            .update_pr("svc", 1, "Bump core-utils to 2.0.1", "new body")
            .await
            .unwrap();
    }
    let forge = LocalForge::new(dir.path());
    let pr = forge.find_open_pr("svc", BRANCH).await.unwrap().unwrap();
    assert_eq!(
        (pr.number, pr.title.as_str()),
        (1, "Bump core-utils to 2.0.1")
    );
    assert_eq!(pr.url, "local://svc/pull/1");
    forge
        .close_pr("svc", 1, Some("rollout aborted"))
        .await
        .unwrap();
    forge.close_pr("svc", 1, None).await.unwrap();
    let reopened = LocalForge::new(dir.path());
    assert_eq!(reopened.find_open_pr("svc", BRANCH).await.unwrap(), None);
    let closed = reopened.pull_request("svc", 1).await.unwrap();
    assert_eq!(closed.state, PrState::Closed);
    let all = reopened.all_pulls().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].1.comments, vec!["wave 1 opened", "rollout aborted"]);
    // A new PR for the same branch gets the next number.
    let second = reopened.create_pr("svc", &new_pr()).await.unwrap();
    assert_eq!(second.number, 2);
    assert!(matches!(
        reopened.merge_pr("svc", 1, &closed.head_sha).await.unwrap(),
        MergeOutcome::Blocked(why) if why.contains("closed")
    ));
    let _ = repo;
}

#[tokio::test]
async fn refusals_name_what_is_wrong() {
    let (dir, _repo) = org_with_svc(false);
    let forge = LocalForge::new(dir.path());
    // No branch, no PR, no repository.
    let no_branch = forge.create_pr("svc", &new_pr()).await.unwrap_err();
    assert!(
        no_branch.to_string().contains("does not exist"),
        "{no_branch}"
    );
    let no_pr = forge.pull_request("svc", 9).await.unwrap_err();
    assert!(no_pr.to_string().contains("#9 not found"), "{no_pr}");
    assert!(matches!(
        forge.find_open_pr("nope", BRANCH).await.unwrap_err(),
        ForgeError::NotFound(_)
    ));
    // A damaged records file is refused with its place, and left alone.
    let path = dir.path().join(STATE_DIR).join("pulls.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{\n  \"format\": 1,\n  \"repos\": [\n").unwrap();
    let err = forge.find_open_pr("svc", BRANCH).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("pulls.json:3:11: expected"), "{text}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\n  \"format\": 1,\n  \"repos\": [\n"
    );
    std::fs::write(&path, "{\"format\": 99, \"repos\": {}}").unwrap();
    let err = forge.find_open_pr("svc", BRANCH).await.unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
}

#[tokio::test]
async fn releases_are_tags_newest_first_and_no_ci_means_pending() {
    let (dir, repo) = org_with_svc(false);
    for tag in ["v1.10.0", "v2.0.0-rc.1", "v1.9.2", "nightly"] {
        git::tag_head(&repo, tag).unwrap();
    }
    let forge = LocalForge::new(dir.path());
    let releases = forge.releases("svc").await.unwrap();
    let tags: Vec<(&str, bool)> = releases
        .iter()
        .map(|r| (r.tag.as_str(), r.prerelease))
        .collect();
    assert_eq!(
        tags,
        vec![
            ("v2.0.0-rc.1", true),
            ("v1.10.0", false),
            ("v1.9.2", false),
            ("v1.0.0", false),
            ("nightly", false),
        ]
    );
    assert!(releases.iter().all(|r| r.notes.is_empty()));
    let ci = forge.ci_state("svc", &"1".repeat(40)).await.unwrap();
    assert_eq!((ci.state, ci.checks.len()), (CiState::Pending, 0));
    assert_eq!(
        forge.rerun_failed_checks("svc", "x").await.unwrap(),
        wavebump::forge::Rerun::default(),
        "nothing failed: nothing to re-run"
    );
}
