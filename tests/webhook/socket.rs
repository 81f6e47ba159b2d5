//! The real router behind a real socket (127.0.0.1, port 0), driven by
//! hyper's client (already in the tree through octocrab).

use axum::body::Bytes;
use axum::http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use wavebump::server::events::{self, Event};
use wavebump::server::webhook::webhook_router;

use super::harness::{Delivered, OLD_SECRET, bounded, fixture, state};

const CAP: usize = 64 * 1024;

fn to_hyper(d: &Delivered, addr: std::net::SocketAddr) -> Request<Full<Bytes>> {
    let (mut parts, _) = d.request().into_parts();
    parts.uri = format!("http://{addr}/webhook").parse().unwrap();
    Request::from_parts(parts, Full::new(Bytes::from(d.body.clone())))
}

#[tokio::test]
async fn deliveries_over_a_socket() {
    bounded(async {
        let (state, sink) = state(CAP);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(
            axum::serve(listener, webhook_router(state.clone()))
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .into_future(),
        );
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();

        let release = Delivered::new("release", "d-release-1", fixture("release.published.json"));
        let forged = release.clone().signed_with("guess");
        let mut other_id = release.clone();
        other_id.id = "d-release-2".into();
        let rotated = Delivered::new(
            "check_run",
            "d-check-1",
            fixture("check_run.completed.json"),
        )
        .signed_with(OLD_SECRET);
        let bad_json = Delivered::new("push", "d-push-1", b"{\"ref\": }".to_vec());
        let ping = Delivered::new("ping", "d-ping-1", fixture("ping.json"));
        let too_big = Delivered::new("push", "d-push-2", vec![b' '; CAP + 1]);

        let cases = [
            (&release, StatusCode::ACCEPTED, "accepted\n"),
            (&release, StatusCode::ACCEPTED, "already received\n"),
            (
                &forged,
                StatusCode::UNAUTHORIZED,
                "X-Hub-Signature-256 does not match the body\n",
            ),
            (&other_id, StatusCode::ACCEPTED, "accepted\n"),
            (&rotated, StatusCode::ACCEPTED, "accepted\n"),
            (
                &bad_json,
                StatusCode::BAD_REQUEST,
                "malformed JSON at line 1, column 9",
            ),
            (&ping, StatusCode::OK, "pong\n"),
            (
                &too_big,
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload larger than 65536 bytes\n",
            ),
        ];
        for (d, status, text) in cases {
            let resp = client.request(to_hyper(d, addr)).await.unwrap();
            assert_eq!(resp.status(), status, "{}", d.id);
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            let body = String::from_utf8_lossy(&body);
            assert!(body.starts_with(text), "{}: {body:?}", d.id);
        }

        let stored = sink.stored();
        let ids: Vec<&str> = stored.iter().map(|d| d.delivery_id.as_str()).collect();
        assert_eq!(ids, ["d-release-1", "d-release-2", "d-check-1"]);
        let Ok(Event::Release(r)) = events::parse(&stored[0].event_name, &stored[0].body) else {
            panic!("stored release does not parse");
        };
        assert_eq!(
            (r.repository.full_name.as_str(), r.tag.as_str()),
            ("acme/core-utils", "v2.4.0")
        );

        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    })
    .await;
}
