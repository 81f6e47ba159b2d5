//! Issue 17's hostile load on the real `wavebump serve` binary, all at once
//! on loopback: 300 stalled connections (half a request head each, reopened
//! when the server cuts them off), 16 forged 24 MB chunked bodies (streamed
//! from one 64 KiB buffer, never held by the test), a login brute force
//! from one client, and 2,000 valid signed deliveries (8 senders; a 503 is
//! retried after 50 ms where GitHub would redeliver later).
//!
//! It must show: `/healthz` answers every probe; the server's peak RSS
//! (`VmHWM`) stays under 150 MB; every valid delivery is stored; the brute
//! force is held to the documented rate; the login counters reach
//! `/metrics`. The figures are printed for the README.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wavebump::config::secret::Secret;
use wavebump::server::webhook::sign;
use wavebump::status::session::guard::{GLOBAL_BURST, PER_CLIENT_BURST, PER_CLIENT_INTERVAL};

use super::serve_bin::{http, org};

const SECRET: &str = "hostile-webhook-secret-3f9a0c7e5b1d82a6c4e0f7b9d3a15c8e";
const OPERATOR: &str = "hostile-operator-token-b71e04d9a2c6f83e5d1b09a7c4f2e6d8";
const STALLED: usize = 300;
const FORGED: usize = 16;
const FORGED_BYTES: usize = 24 * 1024 * 1024;
const VALID: usize = 2_000;
const SENDERS: usize = 8;
const MAX_PEAK_RSS_KB: u64 = 150 * 1024;

fn vm_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

fn half_head(port: u16) -> Option<TcpStream> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.write_all(b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Hub-Signature-256: sha256=")
        .ok()?;
    s.set_nonblocking(true).ok()?;
    Some(s)
}

/// Still open (the server has not closed it)?
fn open(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 1];
    match s.read(&mut b) {
        // EOF (0) or the start of an error answer: the server let go.
        Ok(0 | 1) => false,
        Ok(_) => unreachable!("a one-byte buffer"),
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
    }
}

/// One forged 24 MB chunked delivery; the status the server answered
/// (0 when it cut the connection before answering).
fn forged(port: u16, i: usize, chunk: &[u8]) -> u16 {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         X-GitHub-Event: push\r\nX-GitHub-Delivery: forged-{i}\r\n\
         X-Hub-Signature-256: sha256={}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        "ab".repeat(32)
    );
    let mut ok = s.write_all(head.as_bytes()).is_ok();
    let mut sent = 0;
    let size = format!("{:x}\r\n", chunk.len());
    while ok && sent < FORGED_BYTES {
        ok = s.write_all(size.as_bytes()).is_ok()
            && s.write_all(chunk).is_ok()
            && s.write_all(b"\r\n").is_ok();
        sent += chunk.len();
    }
    if ok {
        let _ = s.write_all(b"0\r\n\r\n");
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn login_form(port: u16) -> (String, String) {
    let (status, h, page) = http(port, "GET", "/login", &[], b"").unwrap();
    assert_eq!(status, 200);
    let cookie = h["set-cookie"]
        .iter()
        .find_map(|c| {
            c.split(';')
                .next()
                .filter(|kv| kv.starts_with("wavebump_login="))
        })
        .unwrap()
        .to_owned();
    let key = "name=\"csrf\" value=\"";
    let start = page.find(key).unwrap() + key.len();
    let csrf = page[start..][..page[start..].find('"').unwrap()].to_owned();
    (cookie, csrf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_holds_under_hostile_load() {
    let mut o = org(
        2,
        1,
        "  operators:\n    - name: alice\n      token_env: WB_HOSTILE_OPERATOR\n",
    )
    .await;
    o.env
        .push(("WAVEBUMP_WEBHOOK_SECRET".into(), SECRET.into()));
    o.env.push(("WB_HOSTILE_OPERATOR".into(), OPERATOR.into()));
    let log = o.dir.path().join("serve.log");
    let child = o.start(&log, "warn").await;
    let (pid, port) = (child.id(), o.port);
    let baseline_kb = vm_kb(pid, "VmRSS:");
    let payload = std::fs::read_to_string(
        crate::support::crate_root().join("tests/data/webhook/check_run.completed.json"),
    )
    .unwrap();

    let report = tokio::task::spawn_blocking(move || {
        let stop = AtomicBool::new(false);
        let (checked, limited) = (AtomicU64::new(0), AtomicU64::new(0));
        let retried_503 = AtomicU64::new(0);
        let health = Mutex::new((0u32, Vec::<String>::new(), Duration::ZERO));
        let forged_statuses = Mutex::new(Vec::new());
        let stored = AtomicU64::new(0);
        let started = Instant::now();
        let (cookie, csrf) = login_form(port);
        let brute_time = std::thread::scope(|scope| {
            // 300 stalled connections, kept at 300 until the end.
            scope.spawn(|| {
                let mut conns: Vec<Option<TcpStream>> =
                    (0..STALLED).map(|_| half_head(port)).collect();
                while !stop.load(Ordering::Relaxed) {
                    for c in conns.iter_mut() {
                        if !c.as_mut().is_some_and(open) {
                            *c = half_head(port);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            });
            // /healthz every 100 ms.
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let answer = http(port, "GET", "/healthz", &[], b"");
                    let took = t.elapsed();
                    let mut h = health.lock().unwrap();
                    h.0 += 1;
                    h.2 = h.2.max(took);
                    match answer {
                        Ok((200, _, _)) => {}
                        other => h.1.push(format!("{other:?} after {took:?}")),
                    }
                    drop(h);
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
            // The login brute force, sequential from one client.
            let brute = scope.spawn(|| {
                let t = Instant::now();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let form = format!("token=guess-{i:032x}&csrf={csrf}");
                    let (status, _, _) = http(
                        port,
                        "POST",
                        "/login",
                        &[
                            ("Cookie", &cookie),
                            ("Content-Type", "application/x-www-form-urlencoded"),
                        ],
                        form.as_bytes(),
                    )
                    .unwrap();
                    match status {
                        401 => checked.fetch_add(1, Ordering::Relaxed),
                        429 => limited.fetch_add(1, Ordering::Relaxed),
                        s => panic!("brute force attempt answered {s}"),
                    };
                }
                t.elapsed()
            });
            // 16 forged chunked bodies of 24 MB.
            let forgers: Vec<_> = (0..FORGED)
                .map(|i| {
                    let statuses = &forged_statuses;
                    scope.spawn(move || {
                        let chunk = vec![b' '; 64 * 1024];
                        let status = forged(port, i, &chunk);
                        statuses.lock().unwrap().push(status);
                    })
                })
                .collect();
            // 2,000 valid deliveries.
            let senders: Vec<_> = (0..SENDERS)
                .map(|k| {
                    let (payload, retried_503, stored) = (&payload, &retried_503, &stored);
                    scope.spawn(move || {
                        let secret = Secret::new(SECRET);
                        for n in (k..VALID).step_by(SENDERS) {
                            let body = payload.replace(
                                "42000000001",
                                &format!("{}", 43_000_000_000u64 + n as u64),
                            );
                            let sig = sign(&secret, body.as_bytes());
                            let id = format!("valid-{n:05}");
                            let deadline = Instant::now() + Duration::from_secs(60);
                            loop {
                                let answer = http(
                                    port,
                                    "POST",
                                    "/webhook",
                                    &[
                                        ("Content-Type", "application/json"),
                                        ("X-GitHub-Event", "check_run"),
                                        ("X-GitHub-Delivery", &id),
                                        ("X-Hub-Signature-256", &sig),
                                    ],
                                    body.as_bytes(),
                                );
                                match answer {
                                    Ok((202, _, _)) => break,
                                    Ok((503, _, _)) | Err(_) => {
                                        retried_503.fetch_add(1, Ordering::Relaxed);
                                        assert!(Instant::now() < deadline, "{id} never stored");
                                        std::thread::sleep(Duration::from_millis(50));
                                    }
                                    Ok(other) => panic!("{id}: answered {other:?}"),
                                }
                            }
                            stored.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            for t in forgers.into_iter().chain(senders) {
                t.join().unwrap();
            }
            // Let the brute force run at least 10 s to measure its rate.
            while started.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(50));
            }
            stop.store(true, Ordering::Relaxed);
            brute.join().unwrap()
        });
        let health = health.into_inner().unwrap();
        (
            started.elapsed(),
            brute_time,
            checked.into_inner(),
            limited.into_inner(),
            retried_503.into_inner(),
            stored.into_inner(),
            forged_statuses.into_inner().unwrap(),
            health,
        )
    })
    .await
    .unwrap();
    let (elapsed, brute_time, checked, limited, retried, accepted, forged_statuses, health) =
        report;
    let peak_kb = vm_kb(pid, "VmHWM:");
    let (probes, health_failures, slowest) = health;
    let rate = checked as f64 / brute_time.as_secs_f64();
    let allowed =
        PER_CLIENT_BURST + brute_time.as_secs_f64() / PER_CLIENT_INTERVAL.as_secs_f64() + 1.0;
    eprintln!(
        "hostile load: {elapsed:.1?}; peak RSS {:.1} MB (baseline {:.1} MB); \
         {accepted} valid deliveries accepted ({retried} retries after 503); \
         forged answers {forged_statuses:?}; brute force: {checked} tokens checked and {limited} refused \
         unchecked in {brute_time:.1?} = {rate:.2} checked/s; /healthz {probes} probes, slowest {slowest:?}",
        peak_kb as f64 / 1024.0,
        baseline_kb as f64 / 1024.0,
    );
    assert!(
        health_failures.is_empty(),
        "/healthz failed: {health_failures:?}"
    );
    assert!(probes >= 20, "only {probes} health probes");
    assert!(
        peak_kb < MAX_PEAK_RSS_KB,
        "peak RSS {peak_kb} kB, over {MAX_PEAK_RSS_KB} kB"
    );
    assert_eq!(accepted, VALID as u64);
    assert_eq!(forged_statuses.len(), FORGED);
    assert!(
        forged_statuses.iter().all(|s| [0, 401, 503].contains(s)),
        "{forged_statuses:?}"
    );
    assert!(
        (checked as f64) <= allowed.min(GLOBAL_BURST + brute_time.as_secs_f64() * 5.0),
        "{checked} tokens checked in {brute_time:?}: more than the documented rate"
    );
    assert!(limited > 0);
    // Every valid delivery is in the inbox: none lost.
    let inbox = o.inbox().await;
    let valid: std::collections::BTreeSet<&str> = inbox
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| id.starts_with("valid-"))
        .collect();
    assert_eq!(valid.len(), VALID, "valid deliveries stored");
    assert!(!inbox.iter().any(|(id, _)| id.starts_with("forged-")));
    // The brute force reached /metrics.
    let (_, _, metrics) = o.get("/metrics").unwrap();
    let count = |outcome: &str| -> u64 {
        let key = format!("wavebump_login_attempts_total{{outcome=\"{outcome}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{key} not in /metrics"))
    };
    assert_eq!(count("bad_token"), checked);
    assert_eq!(count("rate_limited"), limited);
    drop(child);
}
