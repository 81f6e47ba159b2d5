//! GitHub's real contract (issue 15): the fake's contract checker catches
//! departures; App permissions are enforced and `app.yml` grants exactly
//! what wavebump's calls need; required checks come from the branch rules
//! and say so when unknown; user-owned accounts work in App and token mode.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};
use wavebump::config::secret::Secret;
use wavebump::forge::github::{GitHubAuth, GitHubForge, GitHubOptions, ManualClock};
use wavebump::forge::{BranchPush, CiState, Forge, ForgeWrite};

use super::{ORG, app_options, pulls_new_pr, setup, timed, tree};
use crate::support::fake_github::contract::SPEC;
use crate::support::fake_github::permissions::{self, Level, Needs};
use crate::support::fake_github::{FakeGitHub, json as fake_json};

/// A bare client for requests the forge would not send.
fn raw_client(fake: &FakeGitHub, token: &str) -> octocrab::Octocrab {
    octocrab::Octocrab::builder()
        .base_uri(fake.url())
        .unwrap()
        .personal_token(token.to_string())
        .build()
        .unwrap()
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn violations(name: &str, v: &Value) -> Vec<String> {
    let mut e = Vec::new();
    SPEC.validate(&schema(name), v, "", &mut e);
    e
}

#[tokio::test]
async fn the_checker_catches_what_the_fake_used_to_invent() {
    timed(async {
        let (fake, forge, _) = setup().await;
        let full = format!("{ORG}/svc");
        fake.add_repo(
            ORG,
            "svc",
            &tree(&[("Cargo.toml", "[package]\nname = \"svc\"\n")]),
        );
        forge
            .push_branch(
                &full,
                &BranchPush {
                    branch: "wavebump/x".into(),
                    base_branch: "main".into(),
                    files: vec![("a.txt".into(), b"a".to_vec())],
                    message: "m".into(),
                    expected_head: None,
                    lock_refresh: vec![],
                },
            )
            .await
            .unwrap();
        forge
            .create_pr(&full, &pulls_new_pr("wavebump/x"))
            .await
            .unwrap();
        let sha = fake.branch_sha(&full, "main").unwrap();
        fake.set_status(&full, &sha, "ci/jenkins", "success");
        // The fake's own answers fit...
        let (st, pull, status) = fake.state(|s| {
            let r = s.repos[&full].clone();
            let p = r.pulls[0].clone();
            let st = r.statuses[&sha][0].clone();
            (s.base_url.clone(), (r, p), st)
        });
        let simple = fake_json::complete(
            "pull-request-simple",
            fake_json::pull(&st, &pull.0, &pull.1, &sha, &sha),
            &st,
        );
        assert_eq!(
            violations("pull-request-simple", &simple),
            Vec::<String>::new()
        );
        let combined = fake_json::complete(
            "combined-commit-status",
            fake_json::combined_status(
                &st,
                &pull.0,
                &sha,
                &[fake_json::status(&st, &status)],
                "success",
            ),
            &st,
        );
        assert_eq!(
            violations("combined-commit-status", &combined),
            Vec::<String>::new()
        );
        // ... and what it used to invent does not.
        let mut invented = simple.clone();
        invented["merged"] = json!(false);
        assert_eq!(
            violations("pull-request-simple", &invented),
            vec![".merged: not in the schema".to_owned()]
        );
        let mut invented = combined.clone();
        invented["statuses"][0]["creator"] = fake_json::user(&st, "ci-bot");
        assert_eq!(
            violations("combined-commit-status", &invented),
            vec![".statuses[0].creator: not in the schema".to_owned()]
        );
        let mut missing = simple.clone();
        missing.as_object_mut().unwrap().remove("number");
        missing["draft"] = json!("no");
        let got = violations("pull-request-simple", &missing);
        assert!(
            got.contains(&".number: required, missing".to_owned()),
            "{got:?}"
        );
        assert!(
            got.contains(&".draft: expected boolean, found a string".to_owned()),
            "{got:?}"
        );
        let mut nulled = simple;
        nulled["title"] = Value::Null;
        assert_eq!(
            violations("pull-request-simple", &nulled),
            vec![".title: null, and the schema is not nullable".to_owned()]
        );

        // Requests: an undeclared parameter and an unknown endpoint are
        // recorded (and would fail the test when the fake is dropped).
        let client = raw_client(&fake, "nope");
        for path in [
            "/orgs/acme/repos?type=all&bogus=1",
            "/repos/acme/svc/nonsense",
        ] {
            client._get(path).await.unwrap();
        }
        let seen = fake.take_violations();
        assert!(
            seen.iter()
                .any(|v| v.contains("query parameter `bogus` is not in the operation")),
            "{seen:?}"
        );
        assert!(
            seen.iter()
                .any(|v| v.contains("GET /repos/acme/svc/nonsense: no such operation")),
            "{seen:?}"
        );
        assert_eq!(seen.len(), 2, "{seen:?}");
    })
    .await;
}

#[test]
fn every_operation_the_fake_serves_has_a_documented_permission() {
    let mut missing = Vec::new();
    for op in SPEC.operations() {
        if permissions::needs(&op.method, &op.template).is_none() {
            missing.push(format!("{} {}", op.method, op.template));
        }
    }
    assert!(
        missing.is_empty(),
        "no permission in the table for {missing:?}"
    );
    assert_eq!(SPEC.operations().len(), permissions::TABLE.len());
}

/// Exercises every call the engine makes through `ForgeWrite` as the App.
async fn every_call(fake: &FakeGitHub, forge: &GitHubForge) {
    let full = format!("{ORG}/svc");
    fake.add_repo(
        ORG,
        "svc",
        &tree(&[("Cargo.toml", "[package]\nname = \"svc\"\n")]),
    );
    fake.add_release(&full, "v1.0.0", "notes", false);
    fake.protect(&full, &["build"], 0);
    // Before the listing: the repository is looked up on its own.
    forge.read_tree(&full).await.unwrap();
    forge.list_repos().await.unwrap();
    forge.tags(&full).await.unwrap();
    forge.releases(&full).await.unwrap();
    forge.find_open_pr(&full, "wavebump/x").await.unwrap();
    forge
        .push_branch(
            &full,
            &BranchPush {
                branch: "wavebump/x".into(),
                base_branch: "main".into(),
                files: vec![("a.txt".into(), b"a".to_vec())],
                message: "m".into(),
                expected_head: None,
                lock_refresh: vec![],
            },
        )
        .await
        .unwrap();
    let pr = forge
        .create_pr(&full, &pulls_new_pr("wavebump/x"))
        .await
        .unwrap();
    forge.pull_request(&full, pr.number).await.unwrap();
    forge.pr_status(&full, pr.number).await.unwrap();
    assert_eq!(forge.closed_by(&full, pr.number).await.unwrap(), None);
    fake.review_as(&full, pr.number, "carol", "APPROVED");
    let reviews = forge.pr_reviews(&full, pr.number).await.unwrap();
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(reviews[0].login, "carol");
    forge
        .update_pr(&full, pr.number, "Bump core-utils to 2.0.1", "body")
        .await
        .unwrap();
    forge.comment(&full, pr.number, "hello").await.unwrap();
    let sha = fake.branch_sha(&full, "wavebump/x").unwrap();
    fake.add_check_run(&full, &sha, "build", "completed", Some("failure"));
    forge.ci_state(&full, &sha).await.unwrap();
    let rerun = forge.rerun_failed_checks(&full, &sha).await.unwrap();
    assert_eq!(rerun.rerequested, ["build"]);
    fake.add_check_run(&full, &sha, "build", "completed", Some("success"));
    forge.merge_pr(&full, pr.number, &sha).await.unwrap();
}

#[tokio::test]
async fn app_yml_grants_exactly_what_wavebumps_calls_need() {
    timed(async {
        let (fake, forge, _) = setup().await;
        every_call(&fake, &forge).await;
        // What the calls needed, by the documented table.
        let mut needed: BTreeMap<String, Level> = BTreeMap::new();
        let mut need = |name: &str, level: Level| {
            let e = needed.entry(name.to_owned()).or_insert(level);
            *e = (*e).max(level);
        };
        let mut called = std::collections::BTreeSet::new();
        for r in fake.requests() {
            let op = r
                .operation
                .clone()
                .unwrap_or_else(|| panic!("{} {} is no operation", r.method, r.path));
            assert_ne!(r.status, 403, "{} {} was refused", r.method, r.path);
            called.insert((r.method.clone(), op.clone()));
            match permissions::needs(&r.method, &op).unwrap() {
                Needs::App | Needs::Installed => {}
                // Either permission would do: the first one the App asks
                // for anyway, else the first listed.
                Needs::AnyOf(options) => {
                    let (name, level) = options[options.len() - 1];
                    let (name, level) = options
                        .iter()
                        .copied()
                        .find(|(n, _)| *n == "pull_requests")
                        .unwrap_or((name, level));
                    need(name, level);
                }
            }
        }
        need(permissions::GIT_PUSH.0, permissions::GIT_PUSH.1);
        need(permissions::ALWAYS.0, permissions::ALWAYS.1);
        let manifest: Value = serde_saphyr::from_str(
            &std::fs::read_to_string(crate::support::crate_root().join("app.yml")).unwrap(),
        )
        .unwrap();
        for event in manifest["default_events"].as_array().unwrap() {
            let event = event.as_str().unwrap();
            let (_, name, level) = permissions::EVENTS
                .iter()
                .find(|(e, _, _)| *e == event)
                .unwrap_or_else(|| panic!("no permission known for the event {event}"));
            need(name, *level);
        }
        let needed: BTreeMap<String, String> = needed
            .into_iter()
            .map(|(k, v)| (k, v.as_str().to_owned()))
            .collect();
        assert_eq!(permissions::manifest_permissions(), needed);
        // Every installation endpoint of the table was exercised, but the
        // listings a plain token uses and what only tests read.
        let not_wavebumps = [
            ("GET", "/orgs/{org}/repos"),
            ("GET", "/users/{username}/repos"),
            (
                "GET",
                "/repos/{owner}/{repo}/issues/{issue_number}/comments",
            ),
        ];
        for (method, template, needs) in permissions::TABLE {
            if matches!(needs, Needs::App) || not_wavebumps.contains(&(*method, *template)) {
                continue;
            }
            assert!(
                called.contains(&(method.to_string(), template.to_string())),
                "{method} {template} was not exercised"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_token_without_the_permission_is_refused_as_github_does() {
    timed(async {
        let fake = FakeGitHub::start().await;
        fake.install(ORG);
        // The permissions app.yml asked for before issue 15: checks: read.
        fake.set_app_permissions(&[
            ("contents", "write"),
            ("pull_requests", "write"),
            ("checks", "read"),
            ("statuses", "read"),
            ("metadata", "read"),
            ("issues", "write"),
        ]);
        let forge = GitHubForge::connect(app_options(&fake, Arc::new(ManualClock::new())))
            .await
            .unwrap();
        let full = format!("{ORG}/svc");
        fake.add_repo(ORG, "svc", &tree(&[("Cargo.toml", "x")]));
        let sha = fake.branch_sha(&full, "main").unwrap();
        fake.add_check_run(&full, &sha, "build", "completed", Some("failure"));
        // Refused: the forge cannot re-run (the engine then pushes an empty
        // commit instead).
        let rerun = forge.rerun_failed_checks(&full, &sha).await.unwrap();
        assert_eq!(
            (rerun.rerequested.len(), rerun.not_rerunnable),
            (0, vec!["build".to_owned()])
        );
        let refused: Vec<_> = fake
            .requests()
            .into_iter()
            .filter(|r| r.status == 403)
            .map(|r| (r.method, r.operation.unwrap()))
            .collect();
        assert_eq!(
            refused,
            vec![(
                "POST".to_owned(),
                "/repos/{owner}/{repo}/check-suites/{check_suite_id}/rerequest".to_owned()
            )]
        );
        // The answer's shape: GitHub's.
        let token = fake.state(|s| {
            let id = s.installations[0].id;
            crate::support::fake_github::auth::mint(s, id).0
        });
        let client = raw_client(&fake, &token);
        let resp = client
            ._post(
                format!("/repos/{full}/check-suites/1/rerequest"),
                None::<&()>,
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), 403);
        let answer: Value =
            serde_json::from_str(&client.body_to_string(resp).await.unwrap()).unwrap();
        assert_eq!(answer["message"], "Resource not accessible by integration");
        assert_eq!(
            answer["documentation_url"],
            "https://docs.github.com/rest/checks/suites#rerequest-a-check-suite"
        );
        assert_eq!(answer["status"], "403");
    })
    .await;
}

#[tokio::test]
async fn required_checks_come_from_the_branch_rules_or_are_said_unknown() {
    timed(async {
        let (fake, forge, _) = setup().await;
        let full = format!("{ORG}/svc");
        fake.add_repo(ORG, "svc", &tree(&[("Cargo.toml", "x")]));
        let sha = fake.branch_sha(&full, "main").unwrap();
        fake.add_check_run(&full, &sha, "build", "completed", Some("success"));
        fake.add_check_run(&full, &sha, "lint", "completed", Some("failure"));
        // A ruleset requires `build` only: the failing optional lint does
        // not fail the commit.
        fake.protect(&full, &["build"], 0);
        let ci = forge.ci_state(&full, &sha).await.unwrap();
        assert_eq!(ci.state, CiState::Passed);
        assert_eq!(ci.note, None);
        assert!(fake.count(|r| r.path == format!("/repos/{full}/rules/branches/main")) >= 1);
        // Unreadable rules: every check counts, and the report says so.
        fake.with_repo(&full, |r| {
            r.protection.get_mut("main").unwrap().unreadable = true;
        });
        let ci = forge.ci_state(&full, &sha).await.unwrap();
        assert_eq!(ci.state, CiState::Failed);
        assert_eq!(
            ci.note.as_deref(),
            Some("required checks unknown: counting all checks")
        );
    })
    .await;
}

#[tokio::test]
async fn a_user_owned_account_works_as_an_app_and_with_a_token() {
    timed(async {
        let fake = FakeGitHub::start().await;
        fake.add_user_account("alice");
        fake.install("alice");
        fake.add_repo("alice", "core-utils", &tree(&[("Cargo.toml", "x")]));
        fake.add_repo("alice", "svc", &tree(&[("Cargo.toml", "y")]));
        fake.add_token("ghp_alice");

        // As the App: the installation is the user's.
        let mut app = app_options(&fake, Arc::new(ManualClock::new()));
        app.org = "alice".into();
        let forge = GitHubForge::connect(app).await.unwrap();
        let names: Vec<String> = forge
            .list_repos()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["alice/core-utils", "alice/svc"]);
        assert_eq!(
            fake.count(|r| r.path == "/orgs/alice/installation" && r.status == 404),
            1
        );
        assert_eq!(
            fake.count(|r| r.path == "/users/alice/installation" && r.status == 200),
            1
        );
        assert_eq!(
            forge
                .read_tree("alice/svc")
                .await
                .unwrap()
                .get("Cargo.toml"),
            Some(&b"y"[..])
        );

        // With a token: the user's repositories.
        fake.clear_requests();
        let mut token = GitHubOptions::new(
            fake.url(),
            "alice",
            GitHubAuth::Token(Secret::new("ghp_alice")),
        );
        token.read_timeout = std::time::Duration::from_secs(5);
        let forge = GitHubForge::connect(token).await.unwrap();
        let names: Vec<String> = forge
            .list_repos()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["alice/core-utils", "alice/svc"]);
        // The second listing goes straight to the user's repositories.
        forge.list_repos().await.unwrap();
        assert_eq!(fake.count(|r| r.path == "/orgs/alice/repos"), 1);
        assert_eq!(fake.count(|r| r.path == "/users/alice/repos"), 2);

        // Nobody of that name: a clear error.
        let mut nobody = GitHubOptions::new(
            fake.url(),
            "nobody",
            GitHubAuth::Token(Secret::new("ghp_alice")),
        );
        nobody.read_timeout = std::time::Duration::from_secs(5);
        let forge = GitHubForge::connect(nobody).await.unwrap();
        let err = forge.list_repos().await.unwrap_err().to_string();
        assert!(err.contains("no organisation or user \"nobody\""), "{err}");
        let mut app = app_options(&fake, Arc::new(ManualClock::new()));
        app.org = "nobody".into();
        let err = GitHubForge::connect(app).await.unwrap_err().to_string();
        assert!(err.contains("not installed on nobody"), "{err}");
    })
    .await;
}
