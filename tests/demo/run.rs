//! `wavebump demo` end to end, in-process, on the hand-written core of the
//! organisation (no filler), without pacing.

use std::collections::BTreeMap;

use wavebump::demo::{Demo, DemoOptions, GenerateOptions};
use wavebump::forge::{Forge, PrState};
use wavebump::rollout::{RolloutState, TargetState};

use crate::support::org;

fn options(seed: u64) -> DemoOptions {
    DemoOptions {
        generate: GenerateOptions { repos: 1, seed },
        speed: None,
        ..DemoOptions::default()
    }
}

async fn run(seed: u64) -> (tempfile::TempDir, Demo, wavebump::demo::DemoOutcome, String) {
    org::isolate_git();
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    let demo = Demo::setup(dir.path(), options(seed), &mut out)
        .await
        .unwrap();
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(120), demo.run(&mut out))
        .await
        .expect("demo finishes")
        .unwrap();
    (dir, demo, outcome, String::from_utf8(out).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_story_completes_with_a_retry_and_a_skip() {
    let (_dir, demo, outcome, text) = run(3).await;
    let s = &outcome.summary;
    assert_eq!(s.state, RolloutState::Completed, "{text}");
    assert_eq!(s.passed_on_retry, vec!["orders-service"], "{text}");
    assert_eq!(s.skipped_repos, vec!["search-service"], "{text}");
    assert_eq!(s.failed, 0);
    assert!(
        s.halts >= 2,
        "flaky halt and the real break's halts: {text}"
    );
    assert_eq!(
        s.operator
            .iter()
            .filter(|o| o.starts_with("skip"))
            .collect::<Vec<_>>(),
        vec!["skip search-service"]
    );

    // The break halted the rollout before the operator skipped it.
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines
        .iter()
        .position(|l| l.contains("operator: skip search-service"))
        .expect("a skip");
    let failed = lines[..skip]
        .iter()
        .rposition(|l| l.contains("search-service: CI failed"))
        .expect("the break failed before the skip");
    assert!(
        lines[failed..skip].iter().any(|l| l.contains("HALTED")),
        "the break halted the rollout: {text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("orders-service: CI passed on retry")),
        "{text}"
    );
    // The owners the story plays: one merged a canary's PR with git before
    // CI finished (the engine saw who), one fixed a red PR by pushing to
    // it, which then passed and was merged without any retry.
    assert_eq!(s.merged_by_people, vec!["ml-pipeline (Priya)"], "{text}");
    assert_eq!(s.fixed_by_owners, vec!["reporting-service"], "{text}");
    let fix = lines
        .iter()
        .position(|l| l.contains("Sam (reporting-service's owner): pushes a fix"))
        .expect("the owner's fix");
    assert!(
        lines[..fix]
            .iter()
            .any(|l| l.contains("reporting-service: CI failed")),
        "{text}"
    );
    assert!(
        lines[fix..]
            .iter()
            .any(|l| l.contains("reporting-service: CI passed (")),
        "{text}"
    );
    assert!(
        text.contains("ml-pipeline: PR #1 merged by Priya"),
        "{text}"
    );
    assert!(!s.operator.iter().any(|o| o.contains("reporting-service")));

    // Exactly one PR per repository with targets (none for repositories
    // already up to date), merged except the skipped one.
    let store = demo.store();
    let targets = store.targets(outcome.rollout_id).await.unwrap();
    let mut states: BTreeMap<&str, Vec<TargetState>> = BTreeMap::new();
    for t in &targets {
        states.entry(t.repo.as_str()).or_default().push(t.state);
    }
    let pulls = demo.forge().all_pulls().await.unwrap();
    let mut per_repo: BTreeMap<&str, Vec<PrState>> = BTreeMap::new();
    for (repo, p) in &pulls {
        per_repo.entry(repo.as_str()).or_default().push(p.state);
    }
    assert!(s.duplicate_prs.is_empty());
    for (repo, st) in &states {
        let want: Vec<PrState> = if st.iter().all(|s| *s == TargetState::Superseded) {
            vec![]
        } else if *repo == "search-service" {
            vec![PrState::Open]
        } else {
            vec![PrState::Merged]
        };
        assert_eq!(
            per_repo.get(repo).cloned().unwrap_or_default(),
            want,
            "{repo}: {st:?}"
        );
    }
    assert_eq!(s.prs, per_repo.values().map(Vec::len).sum::<usize>());

    // Merges really moved the default branches.
    let tree = demo.forge().read_tree("notifications").await.unwrap();
    let pkg = String::from_utf8(tree.get("package.json").unwrap().to_vec()).unwrap();
    assert!(pkg.contains("^2.0.0"), "{pkg}");
    let tree = demo.forge().read_tree("search-service").await.unwrap();
    let cargo = String::from_utf8(tree.get("Cargo.toml").unwrap().to_vec()).unwrap();
    assert!(cargo.contains("v1.4.0"), "skipped: untouched: {cargo}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_seed_one_transcript() {
    let (_a, _, _, first) = run(5).await;
    let (_b, _, _, second) = run(5).await;
    assert_eq!(first, second);
    insta::assert_snapshot!("demo_transcript_seed_5", first);
}

/// The summary the demo prints and the status page (its JSON API, the same
/// view model as the HTML) tell the same story.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_matches_what_the_page_shows() {
    use tower::ServiceExt;
    use wavebump::status::{OperatorCommands, StatusState, status_router};

    struct NoActions;
    impl OperatorCommands for NoActions {
        fn apply(
            &self,
            request: wavebump::rollout::OperatorRequest,
        ) -> futures::future::BoxFuture<
            '_,
            Result<wavebump::rollout::Outcome, wavebump::rollout::ServiceError>,
        > {
            // Read-only: every action is refused.
            let refused = wavebump::rollout::CommandError::NoSuchRollout(request.rollout);
            Box::pin(async move { Err(wavebump::rollout::ServiceError::Refused(refused)) })
        }
    }

    let (_dir, demo, outcome, text) = run(2).await;
    let (changes, _) = tokio::sync::broadcast::channel(4);
    let state = StatusState::new(
        demo.store().clone(),
        std::sync::Arc::new(NoActions),
        changes,
        Vec::new(),
        true,
        None,
    );
    let answer = status_router(state)
        .oneshot(
            axum::http::Request::get(format!("/api/rollouts/{}", demo.rollout_id()))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let bytes = axum::body::to_bytes(answer.into_body(), 1 << 24)
        .await
        .unwrap();
    let page: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let rollout = &page["rollout"];
    let s = &outcome.summary;
    assert_eq!(rollout["summary"]["state"], "completed", "{text}");
    let progress = &rollout["summary"]["progress"];
    assert_eq!(
        progress["merged"].as_u64(),
        Some(s.merged as u64),
        "{progress}\n{text}"
    );
    assert_eq!(
        progress["total"].as_u64(),
        Some(s.targets as u64),
        "{progress}\n{text}"
    );
    assert_eq!(
        rollout["waves"].as_array().map(Vec::len),
        Some(s.waves as usize),
        "{text}"
    );
    let skipped: Vec<&str> = rollout["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] == "skipped")
        .map(|t| t["repo"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = s.skipped_repos.iter().map(String::as_str).collect();
    expected.dedup();
    let mut skipped_repos = skipped.clone();
    skipped_repos.dedup();
    assert_eq!(skipped_repos, expected, "{text}");
    assert_eq!(skipped.len(), s.skipped, "{text}");
}
