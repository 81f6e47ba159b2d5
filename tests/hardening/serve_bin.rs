//! The real `wavebump serve` binary over an organisation on the fake
//! GitHub (App installed): config, process start/stop, plain HTTP/1.1 on
//! loopback, signed deliveries, and a read-only look at its SQLite inbox.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use wavebump::config::secret::Secret;
use wavebump::server::webhook::sign;

use super::cargo;
use crate::support::fake_github::{self, FakeGitHub};

/// An organisation on the fake and a directory holding the config, the
/// store, the git cache (`TMPDIR` of the child) and the logs.
pub struct ServeOrg {
    pub fake: FakeGitHub,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub repos: Vec<String>,
    pub port: u16,
    /// Environment of every start (secrets).
    pub env: Vec<(String, String)>,
}

/// `n` services `svc-NN` on core-utils 1.4; svc-00 is the canary, then
/// waves of `wave`; `server_extra` is appended to the `server:` section.
pub async fn org(n: usize, wave: usize, server_extra: &str) -> ServeOrg {
    let fake = FakeGitHub::start().await;
    fake.install("acme");
    fake.add_repo("acme", "core-utils", &cargo("core-utils", None));
    fake.add_release(
        "acme/core-utils",
        "v2.0.0",
        "Faster. Thanks @someone, fixes #12",
        false,
    );
    let repos = (0..n)
        .map(|i| {
            let name = format!("svc-{i:02}");
            fake.add_repo("acme", &name, &cargo(&name, Some("1.4")))
        })
        .collect();
    let dir = crate::support::scratch::tempdir();
    std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
    let key = crate::support::private_key_file(dir.path());
    let text = format!(
        "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n\
         rollout:\n  canaries: [svc-00]\n  waves: [{wave}]\n  gate:\n    success_ratio: 1.0\n    soak: 0s\n    failure_budget: 0\n\
         pull_requests:\n  automerge: true\n\
         github:\n  api_url: {}\n  app_id: {}\n  private_key_path: {}\n  writes_per_minute: 80\n\
         server:\n  public_url: https://wavebump.example\n{server_extra}\
         store:\n  url: sqlite://wavebump.db\n",
        fake.url(),
        fake_github::APP_ID,
        key.display()
    );
    let config = dir.path().join("wavebump.yaml");
    std::fs::write(&config, text).unwrap();
    ServeOrg {
        fake,
        dir,
        config,
        repos,
        port: free_port(),
        env: Vec::new(),
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl ServeOrg {
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("wavebump.db")
    }

    /// The child's temporary directory (its git cache is below it).
    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// Start `wavebump serve`, logs appended to `log`; returns once
    /// `/healthz` answers (at most 30 s).
    pub async fn start(&self, log: &Path, rust_log: &str) -> ServeChild {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_wavebump"))
            .args(["serve", "--config"])
            .arg(&self.config)
            .args([
                "--listen",
                &format!("127.0.0.1:{}", self.port),
                "--tick-interval",
                "1s",
                "--max-attempts",
                "3",
            ])
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("TMPDIR", self.tmp())
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _, _)) = self.get("/healthz") {
                return ServeChild(child);
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "serve exited early ({status}):\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "serve did not come up");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn get(&self, path: &str) -> std::io::Result<(u16, BTreeMap<String, Vec<String>>, String)> {
        self.request("GET", path, &[], b"")
    }

    /// One request over a fresh connection (`Connection: close`).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<(u16, BTreeMap<String, Vec<String>>, String)> {
        http(self.port, method, path, headers, body)
    }

    /// Send a delivery signed with `secret`; the status code.
    pub fn deliver(
        &self,
        secret: &str,
        event: &str,
        id: &str,
        body: &Value,
    ) -> std::io::Result<u16> {
        let bytes = serde_json::to_vec(body).unwrap();
        let signature = sign(&Secret::new(secret), &bytes);
        let (status, _, _) = self.request(
            "POST",
            "/webhook",
            &[
                ("Content-Type", "application/json"),
                ("X-GitHub-Event", event),
                ("X-GitHub-Delivery", id),
                ("X-Hub-Signature-256", &signature),
            ],
            &bytes,
        )?;
        Ok(status)
    }

    /// `(delivery id, state)` of every inbox row, read-only.
    pub async fn inbox(&self) -> Vec<(String, String)> {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(self.db())
            .read_only(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT delivery_id, state FROM webhook_inbox ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap_or_default();
        pool.close().await;
        rows
    }
}

/// A running `serve`, killed when dropped (a failing test leaves no
/// process behind).
pub struct ServeChild(pub Child);

impl std::ops::Deref for ServeChild {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for ServeChild {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for ServeChild {
    fn drop(&mut self) {
        kill9(&mut self.0);
    }
}

/// SIGKILL (no clean-up of any kind) and reap.
pub fn kill9(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// SIGTERM and wait (at most 30 s); the exit code.
pub fn terminate(child: &mut Child) -> Option<i32> {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    kill9(child);
    None
}

/// A plain HTTP/1.1 exchange: status, headers (lower-case names), body.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, BTreeMap<String, Vec<String>>, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    s.write_all(&bytes)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = &raw[split + 4..];
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {head:?}")))?;
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            map.entry(k.trim().to_ascii_lowercase())
                .or_default()
                .push(v.trim().to_owned());
        }
    }
    let chunked = map
        .get("transfer-encoding")
        .is_some_and(|v| v.iter().any(|e| e.eq_ignore_ascii_case("chunked")));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    Ok((status, map, String::from_utf8_lossy(&body).into_owned()))
}

/// The payload of a chunked body (sizes in hex, each chunk then CRLF).
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..eol]).trim().to_owned();
        let Ok(n) = usize::from_str_radix(&size, 16) else {
            break;
        };
        let after = &rest[eol + 2..];
        if n == 0 || after.len() < n {
            break;
        }
        out.extend_from_slice(&after[..n]);
        rest = after[n..].strip_prefix(b"\r\n").unwrap_or(&after[n..]);
    }
    out
}
