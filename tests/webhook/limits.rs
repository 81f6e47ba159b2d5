//! Issue 17: the intake refuses JSON GitHub could not have sent, and the
//! global body budget bounds the memory of webhook bodies in flight
//! (forged chunked bodies are dropped without being held whole).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use wavebump::config::secret::Secret;
use wavebump::server::webhook::budget::Reservation;
use wavebump::server::webhook::{BodyBudget, WebhookState, WebhookVerifier, sign, webhook_router};

use super::harness::{Delivered, MemorySink, SECRET, bounded};

const MB: usize = 1024 * 1024;

fn budgeted(budget: &BodyBudget) -> (WebhookState<MemorySink>, MemorySink) {
    let sink = MemorySink::default();
    let verifier = WebhookVerifier::new(vec![Secret::new(SECRET)])
        .with_max_body_bytes(25 * MB)
        .with_budget(budget.clone());
    (WebhookState::new(verifier, sink.clone()), sink)
}

async fn send(
    state: &WebhookState<MemorySink>,
    req: Request<Body>,
) -> (StatusCode, Option<String>, String) {
    let resp = webhook_router(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, retry, String::from_utf8_lossy(&body).into_owned())
}

fn push(id: &str, body: Vec<u8>) -> Delivered {
    Delivered::new("push", id, body)
}

#[tokio::test]
async fn deep_nesting_and_out_of_range_numbers_are_refused_before_storing() {
    bounded(async {
        let budget = BodyBudget::new(64 * MB);
        let (state, sink) = budgeted(&budget);
        let deep = |n: usize| {
            format!(
                "{{\"ref\":\"refs/heads/main\",\"x\":{}1{}}}",
                "[".repeat(n),
                "]".repeat(n)
            )
        };
        let cases = [
            (deep(100_000), StatusCode::BAD_REQUEST, "recursion limit"),
            (deep(200), StatusCode::BAD_REQUEST, "recursion limit"),
            (
                "{\"ref\":\"refs/heads/main\",\"size\":1e999999}".to_owned(),
                StatusCode::BAD_REQUEST,
                "number out of range",
            ),
            (
                "{\"ref\":\"refs/heads/main\",\"n\":[0,-1e400]}".to_owned(),
                StatusCode::BAD_REQUEST,
                "number out of range",
            ),
            (deep(100), StatusCode::ACCEPTED, "accepted"),
        ];
        for (i, (body, status, text)) in cases.into_iter().enumerate() {
            let (got, _, answer) =
                send(&state, push(&format!("d-{i}"), body.into_bytes()).request()).await;
            assert_eq!(got, status, "case {i}: {answer}");
            assert!(answer.contains(text), "case {i}: {answer}");
        }
        let stored: Vec<String> = sink
            .stored()
            .iter()
            .map(|d| d.delivery_id.as_str().to_owned())
            .collect();
        assert_eq!(stored, ["d-4"], "only the sane delivery is stored");
        assert_eq!(budget.available(), 64 * MB, "every byte given back");
    })
    .await
}

/// A chunked body of `len` bytes of JSON-ish filler sent in 64 KiB chunks,
/// generated as it is read (the test never holds it whole).
fn chunked(len: usize) -> Body {
    let chunk = Bytes::from(vec![b' '; 64 * 1024]);
    let n = len.div_ceil(chunk.len());
    Body::from_stream(futures::stream::iter(
        (0..n).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    ))
}

fn forged_chunked(id: &str, len: usize) -> Request<Body> {
    Request::post("/webhook")
        .header("content-type", "application/json")
        .header("x-github-delivery", id)
        .header("x-github-event", "push")
        .header("x-hub-signature-256", sign(&Secret::new("guess"), b"{}"))
        .body(chunked(len))
        .unwrap()
}

#[tokio::test]
async fn forged_chunked_bodies_cannot_pass_the_budget() {
    bounded(async {
        let budget = BodyBudget::new(4 * MB).with_retry_after(Duration::from_secs(7));
        let (state, sink) = budgeted(&budget);
        // Larger than the budget: refused with 503 as soon as it would pass
        // it, long before its end; the bytes held are released.
        let (status, retry, _) = send(&state, forged_chunked("f-1", 24 * MB)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("7"));
        assert_eq!(budget.available(), 4 * MB);
        // Within the budget: read whole, then its HMAC fails: 401, released.
        let (status, _, text) = send(&state, forged_chunked("f-2", 3 * MB)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
        assert_eq!(budget.available(), 4 * MB);
        // 16 at once: together they never hold more than the budget.
        let all = (0..16).map(|i| send(&state, forged_chunked(&format!("f-x{i}"), 24 * MB)));
        for (status, _, _) in futures::future::join_all(all).await {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        }
        assert_eq!(budget.available(), 4 * MB);
        assert!(sink.stored().is_empty());
    })
    .await
}

#[tokio::test]
async fn a_spent_budget_answers_503_and_the_redelivery_is_stored() {
    bounded(async {
        let budget = BodyBudget::new(MB);
        let (state, sink) = budgeted(&budget);
        let mut hog = Reservation::default();
        assert!(budget.reserve(&mut hog, MB - 10));
        let valid = push(
            "d-valid",
            b"{\"ref\":\"refs/heads/main\",\"pad\":\"..\"}".to_vec(),
        );
        // The declared length does not fit: refused before reading.
        let (status, retry, _) = send(&state, valid.request()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("30"));
        assert!(sink.stored().is_empty());
        drop(hog);
        // GitHub's redelivery (same id) goes through.
        let (status, _, _) = send(&state, valid.request()).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(sink.stored().len(), 1);
        assert_eq!(budget.available(), MB);
    })
    .await
}
