//! Signed requests through the real router, in-process
//! (`tower::ServiceExt::oneshot`): every acceptance and rejection case, with
//! the sink's state asserted after each.

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use wavebump::server::events;
use wavebump::server::webhook::{Outcome, WebhookState, webhook_router};

use super::harness::{Delivered, MemorySink, OLD_SECRET, bounded, fixture, state};

const CAP: usize = 64 * 1024;

async fn send(state: &WebhookState<MemorySink>, req: Request<Body>) -> (StatusCode, String) {
    let resp = webhook_router(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let body = to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn check_run() -> Delivered {
    Delivered::new(
        "check_run",
        "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        fixture("check_run.completed.json"),
    )
}

type Edit = fn(Delivered) -> Delivered;

#[tokio::test]
async fn acceptance_and_rejection_table() {
    let cases: Vec<(&str, Edit, StatusCode, &str, usize, Outcome)> = vec![
        (
            "valid",
            |d| d,
            StatusCode::ACCEPTED,
            "accepted",
            1,
            Outcome::Accepted,
        ),
        (
            "rotated: the previous secret still verifies",
            |d| d.signed_with(OLD_SECRET),
            StatusCode::ACCEPTED,
            "accepted",
            1,
            Outcome::Accepted,
        ),
        (
            "wrong secret",
            |d| d.signed_with("not-our-secret"),
            StatusCode::UNAUTHORIZED,
            "does not match",
            0,
            Outcome::Unauthorized,
        ),
        (
            "missing signature",
            |mut d| {
                d.signature = None;
                d
            },
            StatusCode::UNAUTHORIZED,
            "missing X-Hub-Signature-256",
            0,
            Outcome::Unauthorized,
        ),
        (
            "forged: signature of another body",
            |mut d| {
                d.signature = Delivered::new("check_run", "x", b"{}".to_vec()).signature;
                d
            },
            StatusCode::UNAUTHORIZED,
            "does not match",
            0,
            Outcome::Unauthorized,
        ),
        (
            "tampered body after signing",
            |mut d| {
                d.body = String::from_utf8(d.body)
                    .unwrap()
                    .replacen("\"success\"", "\"failure\"", 1)
                    .into_bytes();
                d
            },
            StatusCode::UNAUTHORIZED,
            "does not match",
            0,
            Outcome::Unauthorized,
        ),
        (
            "sha1 header only",
            |mut d| {
                d.signature = Some("sha1=7d38cdd689735b008b3c702edd92eea23791c5f6".into());
                d
            },
            StatusCode::UNAUTHORIZED,
            "malformed X-Hub-Signature-256",
            0,
            Outcome::Unauthorized,
        ),
        (
            "oversized body",
            |d| Delivered::new("check_run", &d.id, vec![b' '; CAP + 1]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than 65536 bytes",
            0,
            Outcome::TooLarge,
        ),
        (
            "form-encoded content type",
            |mut d| {
                d.content_type = Some("application/x-www-form-urlencoded".into());
                d
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "must be configured with content type application/json",
            0,
            Outcome::UnsupportedMediaType,
        ),
        (
            "no content type",
            |mut d| {
                d.content_type = None;
                d
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported content type `none`",
            0,
            Outcome::UnsupportedMediaType,
        ),
        (
            "missing X-GitHub-Delivery",
            |mut d| {
                d.send_id = false;
                d
            },
            StatusCode::BAD_REQUEST,
            "missing x-github-delivery header",
            0,
            Outcome::BadRequest,
        ),
        (
            "missing X-GitHub-Event",
            |mut d| {
                d.send_event = false;
                d
            },
            StatusCode::BAD_REQUEST,
            "missing x-github-event header",
            0,
            Outcome::BadRequest,
        ),
        (
            "malformed X-GitHub-Delivery",
            |mut d| {
                d.id = "has space".into();
                d
            },
            StatusCode::BAD_REQUEST,
            "malformed x-github-delivery header",
            0,
            Outcome::BadRequest,
        ),
        (
            "malformed JSON (signed): refused at receipt",
            |d| Delivered::new("check_run", &d.id, b"{\"action\": \"completed\",".to_vec()),
            StatusCode::BAD_REQUEST,
            "malformed JSON at line 1",
            0,
            Outcome::BadRequest,
        ),
        (
            "unknown event: dropped and counted",
            |d| Delivered::new("star", &d.id, fixture("star.created.json")),
            StatusCode::ACCEPTED,
            "ignored: wavebump does not handle `star` events",
            0,
            Outcome::Ignored,
        ),
        (
            "ping: answered, not stored",
            |d| Delivered::new("ping", &d.id, fixture("ping.json")),
            StatusCode::OK,
            "pong",
            0,
            Outcome::Ping,
        ),
    ];
    bounded(async {
        for (name, edit, status, text, stored, outcome) in cases {
            let (state, sink) = state(CAP);
            let d = edit(check_run());
            let (got, body) = send(&state, d.request()).await;
            assert_eq!(got, status, "{name}: {body}");
            assert!(body.contains(text), "{name}: {body:?} lacks {text:?}");
            let kept = sink.stored();
            assert_eq!(kept.len(), stored, "{name}");
            if let Some(first) = kept.first() {
                assert_eq!(
                    first.body.as_ref(),
                    d.body.as_slice(),
                    "{name}: bytes kept as signed"
                );
                assert_eq!(first.delivery_id.as_str(), d.id, "{name}");
                assert_eq!(first.event_name, d.event, "{name}");
            }
            assert_eq!(state.stats.total(outcome), 1, "{name}: counted once");
            assert_eq!(
                state
                    .stats
                    .snapshot()
                    .iter()
                    .map(|(_, _, n)| n)
                    .sum::<u64>(),
                1,
                "{name}: one counter moved"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn replayed_delivery_is_acknowledged_not_stored_twice() {
    bounded(async {
        let (state, sink) = state(CAP);
        let d = check_run();
        assert_eq!(
            send(&state, d.request()).await,
            (StatusCode::ACCEPTED, "accepted\n".into())
        );
        // A replay, even re-signed with the other valid secret.
        for again in [d.clone(), d.clone().signed_with(OLD_SECRET)] {
            let (status, body) = send(&state, again.request()).await;
            assert_eq!(
                (status, body.as_str()),
                (StatusCode::ACCEPTED, "already received\n")
            );
        }
        assert_eq!(sink.stored().len(), 1);
        assert_eq!(state.stats.get("check_run", Outcome::Duplicate), 2);
    })
    .await;
}

#[tokio::test]
async fn body_cap_applies_without_content_length() {
    bounded(async {
        let (state, sink) = state(CAP);
        let d = Delivered::new("check_run", "chunked-1", vec![b' '; CAP * 3]);
        let (parts, _) = d.request().into_parts();
        let mut req = Request::from_parts(parts, Body::empty());
        req.headers_mut().remove("content-length");
        // A streamed body: no length known in advance.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            d.body.chunks(4096).map(|c| Ok(c.to_vec())).collect();
        *req.body_mut() = Body::from_stream(futures::stream::iter(chunks));
        let (status, body) = send(&state, req).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert!(sink.stored().is_empty());
    })
    .await;
}

#[tokio::test]
async fn body_at_the_cap_is_accepted() {
    bounded(async {
        let (state, sink) = state(CAP);
        let mut body = b"{}".to_vec();
        body.resize(CAP, b' ');
        let (status, text) = send(&state, Delivered::new("status", "at-cap", body).request()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{text}");
        assert_eq!(sink.stored().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn sink_failure_is_503_and_a_redelivery_succeeds() {
    bounded(async {
        let (state, sink) = state(CAP);
        sink.fail_from_now();
        let (status, _) = send(&state, check_run().request()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(state.stats.total(Outcome::SinkFailed), 1);
        let (state2, sink2) = self::state(CAP);
        let (status, _) = send(&state2, check_run().request()).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(sink2.stored().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn only_post_is_routed() {
    bounded(async {
        let (state, sink) = state(CAP);
        let req = Request::get("/webhook").body(Body::empty()).unwrap();
        let (status, _) = send(&state, req).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(sink.stored().is_empty());
    })
    .await;
}

/// Every handled fixture goes through the router into the sink, and the
/// worker-side parser turns the stored bytes into the event.
#[tokio::test]
async fn every_fixture_is_stored_then_parses() {
    bounded(async {
        let (state, sink) = state(wavebump::server::webhook::DEFAULT_MAX_BODY_BYTES);
        let names = super::harness::fixture_names();
        let mut expected = 0;
        for (i, name) in names.iter().enumerate() {
            let event = super::harness::event_of(name);
            let d = Delivered::new(event, &format!("fixture-{i}"), fixture(name));
            let (status, body) = send(&state, d.request()).await;
            let handled = events::EventKind::from_name(event);
            match handled {
                Some(events::EventKind::Ping) => assert_eq!(status, StatusCode::OK, "{name}"),
                _ => assert_eq!(status, StatusCode::ACCEPTED, "{name}: {body}"),
            }
            if handled.is_some_and(|k| k != events::EventKind::Ping) {
                expected += 1;
            }
        }
        let stored = sink.stored();
        assert_eq!(stored.len(), expected);
        for d in stored {
            let event = events::parse(&d.event_name, &d.body)
                .unwrap_or_else(|e| panic!("{}: {e}", d.delivery_id));
            assert_eq!(event.kind().map(|k| k.name()), Some(d.event_name.as_str()));
        }
    })
    .await;
}
