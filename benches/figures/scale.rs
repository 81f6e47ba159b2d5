//! Scale figures of `wavebump-bench` (issue 9, item 5): a 5,000-repository
//! organisation on the fake GitHub — discovery requests per repository cold
//! and warm and their wall time; then the real `wavebump serve` (release
//! build) runs a rollout over it: peak RSS (`VmHWM` of the child) and the
//! status page's answer time over HTTP at 5,000 targets.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wavebump::config::secret::Secret;
use wavebump::ecosystem::MemTree;

use super::support::fake_github::{self, FakeGitHub};
use super::{Figures, support};

/// Strong enough for `serve` (it refuses secrets under 128 bits).
const SECRET: &str = "5be1c4f09a2d7e8b3c6f1a0d9e4b7c2a8f5d3e6b1c9a0f7e2d4b8c5a1f3e6d90";

fn cargo(name: &str, req: Option<&str>) -> MemTree {
    let mut text = format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n[dependencies]\n");
    if let Some(v) = req {
        text.push_str(&format!("core-utils = \"{v}\"\n"));
    }
    MemTree::new().with("Cargo.toml", text)
}

const LIBRARY: &str =
    "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n";

pub fn scale(rt: &tokio::runtime::Runtime, n: usize, figures: &mut Figures) {
    use wavebump::forge::github::{GitHubAuth, GitHubForge, GitHubOptions, MemoryEtagCache};
    let fake = rt.block_on(FakeGitHub::start());
    fake.install("acme");
    let built = Instant::now();
    fake.add_repo("acme", "core-utils", &cargo("core-utils", None));
    fake.add_release("acme/core-utils", "v2.0.0", "Faster.", false);
    for i in 0..n {
        let name = format!("svc-{i:05}");
        fake.add_repo("acme", &name, &cargo(&name, Some("1.4")));
    }
    let built = built.elapsed();
    let dir = support::scratch::tempdir();
    // A cold discovery of 5,000 repositories needs more requests than the
    // fake's (and an installation's smallest) hourly budget of 5,000: lift
    // it to measure the work; the count printed is what GitHub would bill.
    fake.set_rate_limit_remaining(10_000_000);

    // Discovery, cold then warm.
    let mut o = GitHubOptions::new(
        fake.url(),
        "acme",
        GitHubAuth::App {
            app_id: fake_github::APP_ID,
            private_key_pem: Secret::new(fake_github::app_private_key()),
            installation_id: None,
        },
    );
    o.cache = Arc::new(MemoryEtagCache::new());
    o.git_cache_dir = dir.path().join("git-cache");
    let forge = rt.block_on(GitHubForge::connect(o)).expect("connect");
    let config =
        wavebump::config::Config::parse_in(LIBRARY, "scale.yaml", dir.path()).expect("config");
    let mut cells = Vec::new();
    for pass in ["cold", "warm"] {
        fake.clear_requests();
        let t = Instant::now();
        rt.block_on(wavebump::planning::run(&forge, &config, None, &|_, _| {}))
            .expect("plan");
        let wall = t.elapsed();
        let all = fake.count(|r| !r.is_auth());
        let counted = fake.count(|r| !r.is_auth() && r.is_counted());
        println!(
            "scale discovery {pass}, {n} repos on the fake: {all} requests ({counted} counted, the rest 304): {:.2}/repo, {:.2} counted/repo, {:.1} s",
            all as f64 / n as f64,
            counted as f64 / n as f64,
            wall.as_secs_f64()
        );
        cells.push(format!(
            "{pass}: {:.2} requests/repo ({:.2} counted), {:.1} s",
            all as f64 / n as f64,
            counted as f64 / n as f64,
            wall.as_secs_f64()
        ));
    }
    figures.row(
        format!("GitHub discovery of {n} repositories (fake GitHub): requests per repository and wall time, cold / warm"),
        "cold <= 3 + manifests, warm <= 0.1 counted",
        cells.join("; "),
    );
    drop(forge);

    // `wavebump serve` over the same organisation.
    // `serve` refuses a key file that group or others may read: a 0600 copy.
    let key = dir.path().join("app-private-key.pem");
    std::fs::copy(
        support::crate_root().join("tests/data/github/app-private-key.pem"),
        &key,
    )
    .expect("copy the key");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 600 the key");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let config_path = dir.path().join("serve.yaml");
    std::fs::write(
        &config_path,
        format!(
            "{LIBRARY}rollout:\n  canaries: [svc-00000]\n  waves: [\"2%\", \"100%\"]\n  max_wave_size: 100\n  gate:\n    success_ratio: 1.0\n    soak: 0s\n    failure_budget: 0\n\
             pull_requests:\n  automerge: true\n\
             github:\n  api_url: {}\n  app_id: {}\n  private_key_path: {}\n  writes_per_minute: 80\n\
             server:\n  public_read: true\n\
             store:\n  url: sqlite://serve.db\n",
            fake.url(),
            fake_github::APP_ID,
            key.display()
        ),
    )
    .expect("config");
    std::fs::create_dir_all(dir.path().join("tmp")).expect("tmp");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wavebump"))
        .args(["serve", "--config"])
        .arg(&config_path)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--tick-interval",
            "1s",
        ])
        .env("WAVEBUMP_WEBHOOK_SECRET", SECRET)
        .env("TMPDIR", dir.path().join("tmp"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http(port, "GET", "/healthz", &[], b"").map(|(s, _)| s) != Some(200) {
        assert!(Instant::now() < deadline, "serve did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut release: serde_json::Value = serde_json::from_slice(
        &std::fs::read(support::crate_root().join("tests/data/webhook/release.published.json"))
            .expect("fixture"),
    )
    .expect("json");
    release["repository"]["full_name"] = "acme/core-utils".into();
    release["release"]["tag_name"] = "v2.0.0".into();
    release["release"]["published_at"] = "2020-01-01T00:00:00Z".into();
    release["release"]["prerelease"] = false.into();
    let body = serde_json::to_vec(&release).expect("body");
    let sig = wavebump::server::webhook::sign(&Secret::new(SECRET), &body);
    let started = Instant::now();
    let status = http(
        port,
        "POST",
        "/webhook",
        &[
            ("Content-Type", "application/json"),
            ("X-GitHub-Event", "release"),
            ("X-GitHub-Delivery", "bench-release"),
            ("X-Hub-Signature-256", &sig),
        ],
        &body,
    )
    .map(|(s, _)| s);
    assert_eq!(status, Some(202), "release delivery");
    // Green CI on every PR; the rollout runs until 20 PRs of its second
    // wave are open (paced by the 80 writes/minute budget), or two minutes.
    let mut peak_kib = 0u64;
    let mut green = std::collections::BTreeSet::new();
    let canary = "acme/svc-00000".to_owned();
    let watched: Vec<String> = (0..n.min(101))
        .map(|i| format!("acme/svc-{i:05}"))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut opened = 0;
    while Instant::now() < deadline {
        peak_kib = peak_kib.max(vm_hwm_kib(pid).unwrap_or(0));
        opened = 0;
        for full in &watched {
            for p in fake.pulls(full) {
                opened += 1;
                if green.insert(full.clone())
                    && let Some(sha) = fake.branch_sha(full, &p.head)
                {
                    fake.set_status(full, &sha, "ci", "success");
                }
            }
        }
        if opened > 20 && fake.pulls(&canary).len() == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let to_wave = started.elapsed();
    // The status page at n targets, through the running server.
    let mut best = Duration::MAX;
    let mut bytes = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let answer = http(port, "GET", "/rollouts/1", &[], b"");
        best = best.min(t.elapsed());
        if let Some((200, b)) = answer {
            bytes = b;
        }
        peak_kib = peak_kib.max(vm_hwm_kib(pid).unwrap_or(0));
    }
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let _ = child.wait();
    println!(
        "scale serve, {n} repos: release to {opened} PRs open in {:.1} s; peak RSS (VmHWM) {:.0} MiB; GET /rollouts/1 over HTTP {:.1} ms, {} KB",
        to_wave.as_secs_f64(),
        peak_kib as f64 / 1024.0,
        best.as_secs_f64() * 1e3,
        bytes / 1024
    );
    figures.row(
        format!("`wavebump serve` rollout over {n} repositories: peak RSS (VmHWM)"),
        "< 200 MB",
        format!(
            "{:.0} MiB (release webhook to {opened} PRs open: {:.1} s)",
            peak_kib as f64 / 1024.0,
            to_wave.as_secs_f64()
        ),
    );
    figures.row(
        format!("status page of that {n}-target rollout, over HTTP from `serve`"),
        "< 50 ms",
        format!("{:.1} ms, {} KB", best.as_secs_f64() * 1e3, bytes / 1024),
    );
    println!(
        "(scale organisation of {n} repositories built on the fake in {:.1} s)",
        built.as_secs_f64()
    );
}

/// `VmHWM` (peak resident set) of a process, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One HTTP/1.1 exchange: status and body length.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<(u16, usize)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    s.write_all(&bytes).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, raw.len() - head_end - 4))
}
