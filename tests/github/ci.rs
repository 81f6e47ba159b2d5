//! CI state of a commit through the API: statuses + check runs (paginated)
//! + required checks, and re-running failed checks.

use wavebump::forge::{CiState, ForgeWrite, Rerun};

use super::{ORG, setup, timed, tree};

type Setup = fn(&crate::support::fake_github::FakeGitHub, &str, &str);

#[tokio::test]
async fn aggregation_table() {
    timed(async {
        let cases: Vec<(&str, Setup, CiState)> = vec![
            ("nothing yet", |_, _, _| {}, CiState::Pending),
            (
                "status green",
                |f, r, s| f.set_status(r, s, "ci/jenkins", "success"),
                CiState::Passed,
            ),
            (
                "status replaced by a later failure",
                |f, r, s| {
                    f.set_status(r, s, "ci/jenkins", "success");
                    f.set_status(r, s, "ci/jenkins", "failure");
                },
                CiState::Failed,
            ),
            (
                "run in progress",
                |f, r, s| {
                    f.set_status(r, s, "ci/jenkins", "success");
                    f.add_check_run(r, s, "build", "in_progress", None);
                },
                CiState::Pending,
            ),
            (
                "run failed",
                |f, r, s| {
                    f.add_check_run(r, s, "build", "completed", Some("failure"));
                },
                CiState::Failed,
            ),
            (
                "optional failure with protection",
                |f, r, s| {
                    f.protect(r, &["build"], 0);
                    f.add_check_run(r, s, "build", "completed", Some("success"));
                    f.add_check_run(r, s, "lint", "completed", Some("failure"));
                },
                CiState::Passed,
            ),
            (
                "required check not reported yet",
                |f, r, s| {
                    f.protect(r, &["build", "ci/jenkins"], 0);
                    f.add_check_run(r, s, "build", "completed", Some("success"));
                },
                CiState::Pending,
            ),
            (
                "protection unreadable: every check counts",
                |f, r, s| {
                    f.protect(r, &["build"], 0);
                    f.with_repo(r, |repo| {
                        for p in repo.protection.values_mut() {
                            p.unreadable = true;
                        }
                    });
                    f.add_check_run(r, s, "build", "completed", Some("success"));
                    f.add_check_run(r, s, "lint", "completed", Some("failure"));
                },
                CiState::Failed,
            ),
            (
                "wavebump's own check ignored",
                |f, r, s| {
                    f.set_status(r, s, "wavebump", "pending");
                    f.add_check_run(r, s, "build", "completed", Some("skipped"));
                },
                CiState::Passed,
            ),
            (
                "many runs over several pages",
                |f, r, s| {
                    f.set_max_per_page(2);
                    for i in 0..5 {
                        f.add_check_run(r, s, &format!("job-{i}"), "completed", Some("success"));
                    }
                    f.add_check_run(r, s, "job-last", "completed", Some("timed_out"));
                },
                CiState::Failed,
            ),
        ];
        for (name, prepare, want) in cases {
            let (fake, forge, _clock) = setup().await;
            let full = fake.add_repo(ORG, "svc", &tree(&[("Cargo.toml", "x")]));
            let sha = fake.branch_sha(&full, "main").unwrap();
            prepare(&fake, &full, &sha);
            let report = forge.ci_state(&full, &sha).await.unwrap();
            assert_eq!(report.state, want, "{name}: {report:?}");
            assert!(
                report
                    .checks
                    .iter()
                    .all(|c| !c.name.starts_with("wavebump")),
                "{name}"
            );
        }
    })
    .await
}

#[tokio::test]
async fn paginated_runs_are_all_read() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        let full = fake.add_repo(ORG, "svc", &tree(&[("a", "x")]));
        let sha = fake.branch_sha(&full, "main").unwrap();
        fake.set_max_per_page(2);
        for i in 0..5 {
            fake.add_check_run(
                &full,
                &sha,
                &format!("job-{i}"),
                "completed",
                Some("success"),
            );
        }
        let report = forge.ci_state(&full, &sha).await.unwrap();
        assert_eq!(report.checks.len(), 5);
        assert_eq!(fake.count(|r| r.path.ends_with("/check-runs")), 3);
    })
    .await
}

#[tokio::test]
async fn failed_runs_are_rerun_once_per_suite() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        let full = fake.add_repo(ORG, "svc", &tree(&[("a", "x")]));
        let sha = fake.branch_sha(&full, "main").unwrap();
        let rerun = |sha: String| {
            let (forge, full) = (&forge, &full);
            async move { forge.rerun_failed_checks(full, &sha).await.unwrap() }
        };
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            rerun(sha.clone()).await,
            Rerun::default(),
            "nothing to rerun"
        );
        fake.set_status(&full, &sha, "ci/jenkins", "failure");
        assert_eq!(
            rerun(sha.clone()).await,
            Rerun {
                rerequested: vec![],
                not_rerunnable: names(&["ci/jenkins"]),
            },
            "statuses cannot be rerun"
        );
        let suite = fake.add_check_run(&full, &sha, "build", "completed", Some("failure"));
        fake.add_check_run(&full, &sha, "lint", "completed", Some("success"));
        assert_eq!(
            rerun(sha.clone()).await,
            Rerun {
                rerequested: names(&["build"]),
                not_rerunnable: names(&["ci/jenkins"]),
            }
        );
        assert_eq!(
            fake.with_repo(&full, |r| r.rerequested.clone()),
            vec![suite]
        );
        let report = forge.ci_state(&full, &sha).await.unwrap();
        assert_eq!(report.state, CiState::Failed, "the status still fails");
        // A suite the App may not re-run.
        let sha2 = fake.push_commit(&full, "main", &[("b", b"y")]);
        fake.add_check_run(&full, &sha2, "ext", "completed", Some("failure"));
        fake.with_repo(&full, |r| {
            r.check_runs.last_mut().unwrap().rerunnable = false
        });
        assert_eq!(
            rerun(sha2.clone()).await,
            Rerun {
                rerequested: vec![],
                not_rerunnable: names(&["ext"]),
            }
        );
        assert!(forge.ci_state(&full, "not a sha").await.is_err());
    })
    .await
}
