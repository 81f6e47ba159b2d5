//! Bench harness (`bench-harness` feature). A bounded load generator for the benchmark: N signed `check_run`
//! deliveries over C keep-alive connections on loopback, against the real
//! serve app (router, SQLite inbox, worker) with a forge that is never
//! called (no rollout matches the deliveries, so the worker ignores them).
//!
//! Invariant: bounded in count (`deliveries`) and time (`time_limit`:
//! sending stops, waiting for the worker stops); every answer is checked
//! (a non-202 counts as lost), and "lost" also counts accepted deliveries
//! missing from the inbox afterwards.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{ServeDeps, ServeOptions, app};
use crate::config::Config;
use crate::config::secret::Secret;
use crate::ecosystem::MemTree;
use crate::forge::{
    BranchPush, CiReport, Forge, ForgeError, ForgeWrite, MergeOutcome, NewPullRequest, PrStatus,
    PullRequest, PushOutcome, Release, RepoInfo, Rerun,
};
use crate::server::webhook::sign;
use crate::store::{InboxState, Store};

/// What to send.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Deliveries to send.
    pub deliveries: usize,
    /// Concurrent connections.
    pub concurrency: usize,
    /// Upper bound on the whole run.
    pub time_limit: Duration,
}

/// What happened.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadReport {
    /// Deliveries answered 202 "accepted".
    pub accepted: usize,
    /// Sustained rate: accepted deliveries per second of sending.
    pub per_second: f64,
    /// Median request latency.
    pub p50: Duration,
    /// 99th percentile request latency.
    pub p99: Duration,
    /// Not answered 202, or answered but not in the inbox.
    pub lost: usize,
    /// Stored deliveries the worker had not finished when the run ended.
    pub unprocessed: i64,
    /// Time for the worker to drain the inbox after the last answer.
    pub drain: Duration,
}

/// A forge that is never needed: lists nothing, refuses every write.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullForge;

fn refused() -> ForgeError {
    ForgeError::Other("the load generator's forge does nothing".to_owned())
}

impl Forge for NullForge {
    async fn list_repos(&self) -> Result<Vec<RepoInfo>, ForgeError> {
        Ok(Vec::new())
    }
    async fn read_tree(&self, _: &str) -> Result<MemTree, ForgeError> {
        Err(refused())
    }
    async fn tags(&self, _: &str) -> Result<Vec<String>, ForgeError> {
        Ok(Vec::new())
    }
}

impl ForgeWrite for NullForge {
    async fn releases(&self, _: &str) -> Result<Vec<Release>, ForgeError> {
        Ok(Vec::new())
    }
    async fn find_open_pr(&self, _: &str, _: &str) -> Result<Option<PullRequest>, ForgeError> {
        Ok(None)
    }
    async fn pull_request(&self, _: &str, _: u64) -> Result<PullRequest, ForgeError> {
        Err(refused())
    }
    async fn pr_status(&self, _: &str, _: u64) -> Result<PrStatus, ForgeError> {
        Err(refused())
    }
    async fn push_branch(&self, _: &str, _: &BranchPush) -> Result<PushOutcome, ForgeError> {
        Err(refused())
    }
    async fn create_pr(&self, _: &str, _: &NewPullRequest) -> Result<PullRequest, ForgeError> {
        Err(refused())
    }
    async fn update_pr(&self, _: &str, _: u64, _: &str, _: &str) -> Result<(), ForgeError> {
        Err(refused())
    }
    async fn close_pr(&self, _: &str, _: u64, _: Option<&str>) -> Result<(), ForgeError> {
        Err(refused())
    }
    async fn comment(&self, _: &str, _: u64, _: &str) -> Result<(), ForgeError> {
        Err(refused())
    }
    async fn ci_state(&self, _: &str, _: &str) -> Result<CiReport, ForgeError> {
        Err(refused())
    }
    async fn merge_pr(&self, _: &str, _: u64, _: &str) -> Result<MergeOutcome, ForgeError> {
        Err(refused())
    }
    async fn rerun_failed_checks(&self, _: &str, _: &str) -> Result<Rerun, ForgeError> {
        Ok(Rerun::default())
    }
}

const SECRET: &str = "load-generator-secret";

fn payload(i: usize) -> String {
    format!(
        r#"{{"action":"completed","check_run":{{"id":{i},"name":"test","head_sha":"{i:040x}","status":"completed","conclusion":"success","check_suite":{{"id":{i}}},"pull_requests":[]}},"repository":{{"id":1,"full_name":"acme/svc-{n}"}},"sender":{{"login":"github-actions[bot]","id":2,"type":"Bot"}},"installation":{{"id":3}}}}"#,
        n = i % 50
    )
}

fn request(i: usize, secret: &Secret) -> Vec<u8> {
    let body = payload(i);
    let mut out = format!(
        "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         X-GitHub-Event: check_run\r\nX-GitHub-Delivery: load-{i}\r\n\
         X-Hub-Signature-256: {}\r\nContent-Length: {}\r\n\r\n",
        sign(secret, body.as_bytes()),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// Reads one HTTP/1.1 response (headers + `Content-Length` body); its
/// status code.
async fn read_response(conn: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(buf.get(..end).unwrap_or_default())
                .map_err(|_| bad("non-UTF-8 headers"))?;
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("no status"))?;
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())
                        .flatten()
                })
                .unwrap_or(0);
            let total = end + 4 + length;
            while buf.len() < total {
                let mut chunk = [0u8; 4096];
                let n = conn.read(&mut chunk).await?;
                if n == 0 {
                    return Err(bad("connection closed mid-body"));
                }
                buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            }
            buf.drain(..total);
            return Ok(status);
        }
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err(bad("connection closed"));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

/// One connection sending deliveries `ids` in turn; (accepted, latencies).
async fn client(
    addr: std::net::SocketAddr,
    ids: Vec<usize>,
    secret: Secret,
    until: Instant,
) -> (usize, Vec<Duration>) {
    let mut latencies = Vec::with_capacity(ids.len());
    let mut accepted = 0;
    let Ok(mut conn) = TcpStream::connect(addr).await else {
        return (0, latencies);
    };
    let _ = conn.set_nodelay(true);
    let mut buf = Vec::new();
    for i in ids {
        if Instant::now() > until {
            break;
        }
        let req = request(i, &secret);
        let t = Instant::now();
        if conn.write_all(&req).await.is_err() {
            break;
        }
        match read_response(&mut conn, &mut buf).await {
            Ok(202) => accepted += 1,
            Ok(_) => {}
            Err(_) => break,
        }
        latencies.push(t.elapsed());
    }
    (accepted, latencies)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted
        .get(i.min(sorted.len() - 1))
        .copied()
        .unwrap_or_default()
}

/// Runs the load against a fresh app over a SQLite store in `dir`.
// `Err` is a message: a test/bench harness (feature `bench-harness`) prints it.
pub async fn run(dir: &std::path::Path, options: &LoadOptions) -> Result<LoadReport, String> {
    let started = Instant::now();
    let until = started + options.time_limit;
    let config = Config::parse_in(
        "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n",
        "load.yaml",
        dir,
    )
    .map_err(|e| e.to_string())?;
    let url = format!("sqlite://{}", dir.join("load.db").display());
    let store = Store::open_url(&url).await.map_err(|e| e.to_string())?;
    let secret = Secret::new(SECRET);
    let mut serve_options = ServeOptions {
        tick_interval: Duration::from_secs(3600),
        ..ServeOptions::default()
    };
    serve_options.worker.poll_interval = Duration::from_millis(50);
    let built = app(ServeDeps {
        config: Arc::new(config),
        store: store.clone(),
        forge: NullForge,
        secrets: vec![secret.clone()],
        operators: Vec::new(),
        options: serve_options,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(super::serve(listener, built, async {
        let _ = stop_rx.await;
    }));

    let c = options.concurrency.max(1);
    let mut shares: Vec<Vec<usize>> = vec![Vec::new(); c];
    for i in 0..options.deliveries {
        if let Some(s) = shares.get_mut(i % c) {
            s.push(i);
        }
    }
    let send_start = Instant::now();
    let clients: Vec<_> = shares
        .into_iter()
        .map(|ids| tokio::spawn(client(addr, ids, secret.clone(), until)))
        .collect();
    let mut accepted = 0;
    let mut latencies = Vec::with_capacity(options.deliveries);
    for c in clients {
        let (a, l) = c.await.map_err(|e| e.to_string())?;
        accepted += a;
        latencies.extend(l);
    }
    let sending = send_start.elapsed();
    let drain_start = Instant::now();
    let mut unprocessed;
    loop {
        unprocessed = store
            .inbox_count(InboxState::Pending)
            .await
            .map_err(|e| e.to_string())?;
        if unprocessed == 0 || Instant::now() > until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain = drain_start.elapsed();
    let stored = store
        .count("webhook_inbox")
        .await
        .map_err(|e| e.to_string())?;
    let _ = stop_tx.send(());
    let _ = server.await;
    store.close().await;
    latencies.sort();
    let stored = usize::try_from(stored).unwrap_or(0);
    Ok(LoadReport {
        accepted,
        per_second: accepted as f64 / sending.as_secs_f64().max(1e-9),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        lost: options.deliveries.saturating_sub(accepted) + accepted.saturating_sub(stored),
        unprocessed,
        drain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&d, 0.5), Duration::from_millis(51));
        assert_eq!(percentile(&d, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn payloads_parse_as_check_runs() {
        for i in [0, 7, 123_456] {
            let e = crate::server::events::parse("check_run", payload(i).as_bytes()).unwrap();
            assert!(
                matches!(e, crate::server::events::Event::CheckRun(_)),
                "{e:?}"
            );
        }
    }
}
