//! Issue 17: the listener's limits on a real socket — the request head,
//! an idle connection and a stalled body are cut off by their timeouts,
//! and past the connection cap new connections wait for a free slot
//! instead of using up file descriptors.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use wavebump::config::secret::Secret;
use wavebump::server::serve::{Limits, listen};
use wavebump::server::webhook::{WebhookState, WebhookVerifier, webhook_router};

use super::SECRET;

fn limits() -> Limits {
    Limits {
        header_timeout: Duration::from_millis(600),
        body_idle_timeout: Duration::from_millis(600),
        request_timeout: Duration::from_secs(5),
        max_connections: 4,
        shutdown_grace: Duration::from_secs(1),
        ..Limits::default()
    }
}

#[derive(Clone)]
struct NoSink;

impl wavebump::server::webhook::DeliverySink for NoSink {
    async fn accept(
        &self,
        _: wavebump::server::webhook::Delivery,
    ) -> Result<wavebump::server::webhook::Acceptance, wavebump::server::webhook::SinkError> {
        Ok(wavebump::server::webhook::Acceptance::Accepted)
    }
}

async fn start() -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = WebhookState::new(WebhookVerifier::new(vec![Secret::new(SECRET)]), NoSink);
    let router = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .merge(webhook_router(state));
    let limits = limits();
    let router = listen::with_request_timeout(router, &limits);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        listen::run(listener, router, &limits, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop, task)
}

/// Blocks until the server closes `s` (read returns 0 or an error); the
/// time it took, at most `within`.
fn closed_within(mut s: TcpStream, within: Duration) -> Duration {
    let start = Instant::now();
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return start.elapsed(),
            Ok(_) => continue, // an error answer before the close
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!("connection still open after {within:?}")
            }
            Err(_) => return start.elapsed(),
        }
    }
}

fn healthz(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_are_cut_off_and_the_cap_holds() {
    let (addr, stop, task) = start().await;
    tokio::task::spawn_blocking(move || {
        // Half a request head.
        let mut half = TcpStream::connect(addr).unwrap();
        half.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
            .unwrap();
        // Nothing at all.
        let idle = TcpStream::connect(addr).unwrap();
        // A body that stops after 10 of 1,000 bytes.
        let mut body = TcpStream::connect(addr).unwrap();
        body.write_all(
            format!(
                "POST /webhook HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                 X-Hub-Signature-256: sha256={}\r\nContent-Length: 1000\r\n\r\n{{\"ref\":\"x",
                "0".repeat(64)
            )
            .as_bytes(),
        )
        .unwrap();
        // A kept-alive connection after one answered request.
        let mut kept = TcpStream::connect(addr).unwrap();
        kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 512];
        let n = kept.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        // All four slots are taken: a fifth connection waits for a timeout.
        let start = Instant::now();
        let answer = healthz(addr);
        let waited = start.elapsed();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            waited >= Duration::from_millis(300),
            "answered after {waited:?}: the cap of 4 did not hold"
        );
        for (what, s) in [
            ("half head", half),
            ("idle", idle),
            ("stalled body", body),
            ("kept alive", kept),
        ] {
            let t = closed_within(s, Duration::from_secs(5));
            eprintln!("{what}: closed {t:?} after the check began");
        }
        // Everything is free again.
        assert!(healthz(addr).starts_with("HTTP/1.1 200"));
    })
    .await
    .unwrap();
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("shutdown within the grace")
        .unwrap();
}
