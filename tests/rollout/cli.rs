//! The real binary against the fake GitHub: `pr open` (the engine's code
//! path: opened once, then updated in place), and `rollout start / status /
//! pause / resume / tick / run / skip / retry / abort` with refusals
//! (exit 2, the state and what is allowed).

use std::time::Duration;

use serde_json::Value;

use super::ghorg::{self, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pr_open_opens_once_then_updates() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let org = ghorg::org(2, "[1]", "").await;
        let out = org
            .run(&["pr", "open", "--repo", "acme/svc-01", "--to", "2.0.0"])
            .await;
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(stdout.trim().ends_with("/pull/1"), "{stdout}");
        let pulls = org.fake.pulls("acme/svc-01");
        assert_eq!(pulls.len(), 1);
        let p = &pulls[0];
        assert_eq!(p.head, "wavebump/core-utils-2.0.0");
        assert_eq!(p.title, "Bump core-utils to 2.0.0");
        assert!(
            p.body.contains("`@someone`"),
            "notes neutralised:\n{}",
            p.body
        );
        assert!(p.body.contains("`#12`"), "{}", p.body);
        assert!(!stderr.contains(ghorg::TOKEN));
        // Again: the same PR, updated, no second one.
        let again = org
            .run(&["pr", "open", "--repo", "acme/svc-01", "--to", "2.0.0"])
            .await;
        let (stdout2, stderr2) = text(&again);
        assert!(again.status.success(), "{stderr2}");
        assert_eq!(stdout2, stdout);
        assert!(stderr2.contains("updated PR #1"), "{stderr2}");
        assert_eq!(org.fake.pulls("acme/svc-01").len(), 1);
        // An unknown repository: exit 2 with close matches.
        let bad = org
            .run(&["pr", "open", "--repo", "acme/svc-1", "--to", "2.0.0"])
            .await;
        assert_eq!(bad.status.code(), Some(2));
        assert!(
            text(&bad).1.contains("did you mean acme/svc-01"),
            "{}",
            text(&bad).1
        );
    })
    .await
    .expect("timed out");
}

fn status_json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_commands_end_to_end() {
    tokio::time::timeout(Duration::from_secs(90), async {
        let org = ghorg::org(6, "[2]", "").await;
        let out = org.run(&["rollout", "start", "--to", "2.0.0"]).await;
        assert!(out.status.success(), "{}", text(&out).1);
        assert!(
            text(&out).0.contains("rollout 1 started"),
            "{}",
            text(&out).0
        );
        // A second start is refused.
        let again = org.run(&["rollout", "start", "--to", "2.0.0"]).await;
        assert_eq!(again.status.code(), Some(2), "{}", text(&again).1);

        let paused = org.run(&["rollout", "pause", "--reason", "lunch"]).await;
        assert!(paused.status.success(), "{}", text(&paused).1);
        let refused = org.run(&["rollout", "pause"]).await;
        assert_eq!(refused.status.code(), Some(2));
        let err = text(&refused).1;
        assert!(
            err.contains("it is paused") && err.contains("running"),
            "{err}"
        );
        // Paused: a tick opens nothing.
        let tick = org.run(&["rollout", "tick"]).await;
        assert!(tick.status.success(), "{}", text(&tick).1);
        assert!(org.fake.pulls("acme/svc-00").is_empty());
        assert!(
            org.run(&["rollout", "resume", "--as", "carol"])
                .await
                .status
                .success()
        );

        let skip = org
            .run(&["rollout", "skip", "svc-05", "--reason", "frozen"])
            .await;
        assert!(skip.status.success(), "{}", text(&skip).1);
        let unknown = org.run(&["rollout", "retry", "svc-5"]).await;
        assert_eq!(unknown.status.code(), Some(2));
        assert!(
            text(&unknown).1.contains("did you mean"),
            "{}",
            text(&unknown).1
        );

        let _ci = org.instant_ci();
        let t0 = std::time::Instant::now();
        let run = org
            .run(&[
                "rollout",
                "run",
                "--interval",
                "0.05",
                "--until-done",
                "--lease-ttl",
                "5",
            ])
            .await;
        assert!(run.status.success(), "{}", text(&run).1);
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "run took {:?}",
            t0.elapsed()
        );

        let status = org.run(&["rollout", "status", "--json", "1"]).await;
        assert!(status.status.success(), "{}", text(&status).1);
        let v = status_json(&status);
        let r = &v[0];
        assert_eq!(r["rollout"]["state"], "completed", "{r:#}");
        let targets = r["targets"].as_array().unwrap();
        assert_eq!(targets.len(), 6);
        for t in targets {
            let want = if t["repo"] == "acme/svc-05" {
                "skipped"
            } else {
                "merged"
            };
            assert_eq!(t["state"]["state"], want, "{t}");
        }
        assert!(r["eta"]["observed"].as_bool().unwrap());
        for full in &org.repos[..5] {
            let pulls = org.fake.pulls(full);
            assert_eq!(pulls.len(), 1, "{full}");
            assert!(
                pulls[0]
                    .body
                    .contains("https://wavebump.example/rollouts/1"),
                "status link in {full}:\n{}",
                pulls[0].body
            );
        }
        assert!(org.fake.pulls("acme/svc-05").is_empty());
        // Finished: abort is refused with the state.
        let abort = org.run(&["rollout", "abort", "--rollout", "1"]).await;
        assert_eq!(abort.status.code(), Some(2));
        assert!(text(&abort).1.contains("completed"), "{}", text(&abort).1);
        let human = org.run(&["rollout", "status"]).await;
        assert!(text(&human).0.contains("completed"), "{}", text(&human).0);
    })
    .await
    .expect("timed out");
}
