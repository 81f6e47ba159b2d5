//! Crash safety of the real binary: `wavebump rollout run` against the fake
//! GitHub with instant CI is killed with SIGKILL at seeded random moments
//! 20 times and restarted each time; at the end every target is accounted
//! for (merged) and every repository has exactly one PR.
//!
//! The kill moments are spread over the whole 40-repository rollout (a
//! clean run makes about 460 API requests; each process is killed after
//! 1..=`MAX_REQUESTS_PER_RUN` of them, about 270 in all), so kills land in
//! every wave, not only the first. That also keeps every process below the
//! org-wide write budget (80 content-creating requests a minute, pushes
//! included; 3 per target): one process driving all 40 targets (120
//! writes) would have to wait a minute for the window, as the product
//! should.
//!
//! Mounted from `tests/rollout/mod.rs` (it shares `ghorg`).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::rollout::ghorg;

/// SplitMix64: the kill moments, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

const REPOS: usize = 40;
const KILLS: usize = 20;
/// A killed process makes 1..=this many API requests.
const MAX_REQUESTS_PER_RUN: u64 = 26;
const SEED: u64 = 0x5EED_0005;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_twenty_times_one_pr_per_target() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let t0 = Instant::now();
        let org = ghorg::org(REPOS, "[3, 8]", "").await;
        let start = org.run(&["rollout", "start", "--to", "2.0.0"]).await;
        assert!(start.status.success(), "{}", ghorg::text(&start).1);
        let _ci = org.instant_ci();
        let run_args = [
            "rollout",
            "run",
            "--interval",
            "0.02",
            "--until-done",
            "--holder",
            "crash-test",
            "--lease-ttl",
            "30",
        ];
        let mut rng = Rng(SEED);
        let mut killed = 0;
        for kill in 0..KILLS {
            let mut child = org
                .command(&run_args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // Killed after a random number of API requests: between any
            // two calls (a push done but no PR yet, a PR created but not
            // recorded, a merge not confirmed...).
            let after = 1 + (rng.next() % MAX_REQUESTS_PER_RUN) as usize;
            let base = org.fake.requests().len();
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut finished = false;
            while org.fake.requests().len() < base + after && Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    finished = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            if !finished {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
            }
            let _ = child.wait();
            println!(
                "kill {kill}: after {after} request(s){}",
                if finished { " (had finished)" } else { "" }
            );
        }
        assert_eq!(killed, KILLS, "every run was killed before it finished");
        let before_last = org.fake.requests().len();
        // The last start runs to completion.
        let mut last = org
            .command(&run_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while last.try_wait().unwrap().is_none() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if last.try_wait().unwrap().is_none() {
            last.kill().unwrap();
            let out = last.wait_with_output().unwrap();
            let status = org.run(&["rollout", "status"]).await;
            panic!(
                "the last run did not finish:\n{}{}\n{}",
                ghorg::text(&out).0,
                ghorg::text(&out).1,
                ghorg::text(&status).0
            );
        }
        let out = last.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", ghorg::text(&out).1);

        let status = org.run(&["rollout", "status", "--json", "1"]).await;
        let v: Value = serde_json::from_slice(&status.stdout).unwrap();
        let r = &v[0];
        assert_eq!(r["rollout"]["state"], "completed", "{r:#}");
        let targets = r["targets"].as_array().unwrap();
        assert_eq!(targets.len(), REPOS, "every target accounted for");
        for t in targets {
            assert_eq!(t["state"]["state"], "merged", "{t}");
            assert!(t["pr_number"].is_u64(), "{t}");
        }
        for full in &org.repos {
            let pulls = org.fake.pulls(full);
            assert_eq!(
                pulls.len(),
                1,
                "{full}: exactly one PR, got {}",
                pulls.len()
            );
        }
        println!(
            "crash test: {KILLS} kills over {before_last} requests, {} in the last run, {:?}",
            org.fake.requests().len() - before_last,
            t0.elapsed()
        );
    })
    .await
    .expect("the crash test took over 60 s");
}
