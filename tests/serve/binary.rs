//! The `wavebump serve` binary: refuses to start without a webhook secret
//! (exit 2); with one, serves /healthz and /webhook, and exits 0 on SIGTERM.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Hook, LIBRARY, World, release, timed};

fn write_config(world: &World) -> std::path::PathBuf {
    let key = crate::support::private_key_file(world.dir.path());
    let text = format!(
        "{}  app_id: {}\n  private_key_path: {}\nstore:\n  url: sqlite://serve-bin.db\n",
        super::config_text(world.fake.url(), ""),
        crate::support::fake_github::APP_ID,
        key.display()
    );
    let path = world.dir.path().join("config.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request over a fresh connection; the raw answer.
fn http(port: u16, request: &[u8]) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(request)?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_to_start_without_a_secret() {
    timed(async {
        let world = World::new("").await;
        let config = write_config(&world);
        let out = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_wavebump"))
                .args(["serve", "--config"])
                .arg(&config)
                .env_remove("WAVEBUMP_WEBHOOK_SECRET")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("WAVEBUMP_WEBHOOK_SECRET"), "{stderr}");
        assert!(stderr.contains("refusing to start"), "{stderr}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_flags_are_refused_with_what_was_expected() {
    timed(async {
        let world = World::new("").await;
        let config = write_config(&world);
        let cases: &[(&[&str], &str)] = &[
            (
                &["--lease-ttl", "0s"],
                "--lease-ttl \"0s\": expected a positive duration",
            ),
            (&["--lease-ttl", "soon"], "--lease-ttl \"soon\""),
            (
                &["--lease-holder", " "],
                "--lease-holder: expected a non-empty name",
            ),
            (&["--tick-interval", "0"], "--tick-interval \"0\""),
            (
                &["--max-attempts", "0"],
                "--max-attempts must be at least 1",
            ),
            (
                &["--max-connections", "0"],
                "--max-connections must be at least 1",
            ),
            (
                &["--webhook-body-budget", "24"],
                "--webhook-body-budget must be at least 25 (MiB)",
            ),
        ];
        for (flags, want) in cases {
            let config = config.clone();
            let args: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
            let out = tokio::task::spawn_blocking(move || {
                Command::new(env!("CARGO_BIN_EXE_wavebump"))
                    .args(["serve", "--config"])
                    .arg(&config)
                    .args(&args)
                    .env("WAVEBUMP_WEBHOOK_SECRET", super::SECRET)
                    .output()
                    .unwrap()
            })
            .await
            .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
            assert!(stderr.contains(want), "{flags:?}: {stderr}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_and_exits_zero_on_sigterm() {
    timed(async {
        let world = World::new("").await;
        let config = write_config(&world);
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_wavebump"))
            .args(["serve", "--config"])
            .arg(&config)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--tick-interval", "1h"])
            .env("WAVEBUMP_WEBHOOK_SECRET", format!("old-one-e04b7d2a9c61f385b0d9e7a2c4f61b38, {}", super::SECRET))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let health = loop {
            match http(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") {
                Ok(a) if a.starts_with("HTTP/1.1 200") => break a,
                _ => {}
            }
            assert!(Instant::now() < deadline, "serve did not come up");
            if let Ok(Some(status)) = child.try_wait() {
                panic!("serve exited early: {status}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(health.ends_with("ok\n"), "{health}");

        let hook = Hook::new(
            "release",
            "bin-1",
            &release(LIBRARY, "v2.0.0", "2020-01-01T00:00:00Z", false),
        );
        let mut req = format!(
            "POST /webhook HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\n\
             X-GitHub-Event: release\r\nX-GitHub-Delivery: bin-1\r\nX-Hub-Signature-256: {}\r\nContent-Length: {}\r\n\r\n",
            hook.signature.as_deref().unwrap(),
            hook.body.len()
        )
        .into_bytes();
        req.extend_from_slice(&hook.body);
        let answer = http(port, &req).unwrap();
        assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");

        // The rollout starts: the canary's PR appears on the fake.
        let deadline = Instant::now() + Duration::from_secs(30);
        while world.fake.pulls("acme/svc-a").is_empty() {
            assert!(Instant::now() < deadline, "no PR opened");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        let pid = i32::try_from(child.id()).unwrap();
        // SAFETY: sending a signal to our own child process.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let (status, stderr) = tokio::task::spawn_blocking(move || {
            let status = child.wait().unwrap();
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            (status, err)
        })
        .await
        .unwrap();
        assert_eq!(status.code(), Some(0), "{stderr}");
        // JSON logs (stderr is a pipe) with the delivery id on the work it caused.
        let lines: Vec<serde_json::Value> = stderr
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert!(!lines.is_empty(), "{stderr}");
        assert!(
            lines.iter().any(|l| {
                l["span"]["delivery"] == "bin-1"
                    && l["fields"]["message"] == "delivery processed"
            }),
            "{stderr}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l["fields"]["message"] == "SIGTERM: shutting down"),
            "{stderr}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_secrets_are_refused_and_wavebump_secret_makes_good_ones() {
    timed(async {
        let world = World::new("").await;
        let config = write_config(&world);
        let with_operator = world.dir.path().join("operators.yaml");
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(
            &with_operator,
            text.replace(
                "store:\n",
                "server:\n  operators:\n    - name: alice\n      token_env: WB_BIN_OPERATOR\nstore:\n",
            ),
        )
        .unwrap();
        let generated = |()| {
            let out = Command::new(env!("CARGO_BIN_EXE_wavebump"))
                .arg("secret")
                .output()
                .unwrap();
            assert!(out.status.success());
            let s = String::from_utf8(out.stdout).unwrap().trim().to_owned();
            assert_eq!(s.len(), 64, "{s}");
            assert!(s.bytes().all(|b| b.is_ascii_hexdigit()));
            s
        };
        let (good, good_token) = (generated(()), generated(()));
        assert_ne!(good, good_token);
        let cases = [
            (&config, "x".to_owned(), None, Some("webhook secret 1 of 1 is too weak")),
            (&config, format!("{good},short-old"), None, Some("webhook secret 2 of 2 is too weak")),
            (&with_operator, good.clone(), Some("1"), Some("operator `alice`'s token is too weak")),
            (&with_operator, good.clone(), Some(good_token.as_str()), None),
        ];
        for (config, secret, operator, want) in cases {
            let (config, op) = (config.clone(), operator.map(str::to_owned));
            let port = free_port();
            let out = tokio::task::spawn_blocking(move || {
                let mut cmd = Command::new(env!("CARGO_BIN_EXE_wavebump"));
                cmd.args(["serve", "--config"])
                    .arg(&config)
                    .args(["--listen", &format!("127.0.0.1:{port}"), "--tick-interval", "1h"])
                    .env("WAVEBUMP_WEBHOOK_SECRET", &secret)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped());
                if let Some(op) = op {
                    cmd.env("WB_BIN_OPERATOR", op);
                }
                let mut child = cmd.spawn().unwrap();
                let deadline = Instant::now() + Duration::from_secs(30);
                // Exits at once (refused), or serves: then stop it.
                loop {
                    if child.try_wait().unwrap().is_some() {
                        break;
                    }
                    if http(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .is_ok_and(|a| a.starts_with("HTTP/1.1 200"))
                    {
                        let _ = child.kill();
                        break;
                    }
                    assert!(Instant::now() < deadline, "serve neither refused nor served");
                    std::thread::sleep(Duration::from_millis(20));
                }
                child.wait_with_output().unwrap()
            })
            .await
            .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            match want {
                Some(want) => {
                    assert_eq!(out.status.code(), Some(2), "{stderr}");
                    assert!(stderr.contains(want), "{stderr}");
                    assert!(stderr.contains("wavebump secret"), "{stderr}");
                }
                None => assert_ne!(out.status.code(), Some(2), "{stderr}"),
            }
        }
    })
    .await;
}
