//! The [`VerifiedDelivery`] axum extractor and its rejections.
//!
//! Invariant: the extractor reads at most `max_body_bytes` of the body (a
//! larger declared `Content-Length` is refused before reading anything), and
//! yields a delivery only after the HMAC matched one of the secrets; the
//! order of the checks is documented in [`super`].

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::budget::{BodyBudget, DEFAULT_BODY_BUDGET_BYTES, Reservation};
use super::delivery::{Delivery, DeliveryId, parse_event_name};
use super::signature::{self, SignatureError, StreamingCheck};
use crate::config::secret::Secret;

/// What the extractor needs: the secrets (any may match), the body cap and
/// the global body budget. Put it in the router state and implement
/// `FromRef` for the state.
#[derive(Clone, Debug)]
pub struct WebhookVerifier {
    secrets: Arc<[Secret]>,
    max_body_bytes: usize,
    budget: BodyBudget,
}

impl WebhookVerifier {
    /// A verifier with GitHub's 25 MB cap ([`super::DEFAULT_MAX_BODY_BYTES`])
    /// and the default budget ([`DEFAULT_BODY_BUDGET_BYTES`]) of its own.
    pub fn new(secrets: Vec<Secret>) -> Self {
        WebhookVerifier {
            secrets: secrets.into(),
            max_body_bytes: super::DEFAULT_MAX_BODY_BYTES,
            budget: BodyBudget::new(DEFAULT_BODY_BUDGET_BYTES),
        }
    }

    /// Changes the body cap.
    pub fn with_max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Shares `budget` (all requests' bodies together) with this verifier.
    pub fn with_budget(mut self, budget: BodyBudget) -> Self {
        self.budget = budget;
        self
    }

    /// The body cap in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// The global body budget.
    pub fn budget(&self) -> &BodyBudget {
        &self.budget
    }

    /// All checks on already-read parts, in the documented order after the
    /// body was read. Exposed for callers that are not axum handlers (and
    /// for the benchmark).
    pub fn check(&self, headers: &HeaderMap, body: Bytes) -> Result<Delivery, WebhookRejection> {
        let sig = headers
            .get(signature::SIGNATURE_HEADER)
            .map(|v| v.as_bytes());
        signature::verify(&self.secrets, sig, &body).map_err(WebhookRejection::Unauthorized)?;
        after_signature(headers, body)
    }
}

/// The checks after the signature verified: content type, the two GitHub
/// headers, then the JSON ([`check_json`]).
fn after_signature(headers: &HeaderMap, body: Bytes) -> Result<Delivery, WebhookRejection> {
    check_content_type(headers)?;
    let delivery_id = DeliveryId::parse(required(headers, DELIVERY_HEADER)?)
        .ok_or(WebhookRejection::MalformedHeader(DELIVERY_HEADER))?;
    let event_name = parse_event_name(required(headers, EVENT_HEADER)?)
        .ok_or(WebhookRejection::MalformedHeader(EVENT_HEADER))?;
    check_json(&body)?;
    Ok(Delivery {
        delivery_id,
        event_name,
        body,
    })
}

/// The delivery id header.
pub const DELIVERY_HEADER: &str = "x-github-delivery";
/// The event name header.
pub const EVENT_HEADER: &str = "x-github-event";

/// A delivery whose signature verified (see [`super`] for the checks), and
/// its body's bytes held against the global budget until it is dropped
/// (after the delivery is stored).
#[derive(Debug)]
pub struct VerifiedDelivery(pub Delivery, pub Reservation);

/// Why a request was refused; each maps to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum WebhookRejection {
    /// 401: missing, malformed or non-matching signature.
    #[error("{0}")]
    Unauthorized(SignatureError),
    /// 413: the body is larger than the cap.
    #[error("payload larger than {limit} bytes")]
    TooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// 503: the global budget of webhook bodies in memory is spent; the
    /// answer carries `Retry-After` (GitHub redelivers).
    #[error("too many webhook bodies in flight; retry after {} s", retry_after.as_secs())]
    Busy {
        /// What the caller is told to wait.
        retry_after: Duration,
    },
    /// 400: the body could not be read (connection error, bad framing).
    #[error("could not read the request body: {0}")]
    BodyRead(String),
    /// 415: not `application/json`.
    #[error(
        "unsupported content type `{found}`: the GitHub App's webhook must be configured \
         with content type application/json"
    )]
    UnsupportedContentType {
        /// The `Content-Type` received (`none` when absent).
        found: String,
    },
    /// 400: a required header is absent.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// 400: a header is present but not well-formed.
    #[error("malformed {0} header")]
    MalformedHeader(&'static str),
    /// 400: the body is not syntactically valid JSON.
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    MalformedJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description.
        message: String,
    },
}

impl WebhookRejection {
    /// The status this rejection answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookRejection::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebhookRejection::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            WebhookRejection::UnsupportedContentType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebhookRejection::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            WebhookRejection::BodyRead(_)
            | WebhookRejection::MissingHeader(_)
            | WebhookRejection::MalformedHeader(_)
            | WebhookRejection::MalformedJson { .. } => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let mut resp = (self.status(), format!("{self}\n")).into_response();
        if let WebhookRejection::Busy { retry_after } = &self {
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after.as_secs()),
            );
        }
        resp
    }
}

impl<S> FromRequest<S> for VerifiedDelivery
where
    WebhookVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = WebhookVerifier::from_ref(state);
        let (parts, body) = req.into_parts();
        // Refuse what cannot possibly verify before reading a single byte.
        let sig = parts
            .headers
            .get(signature::SIGNATURE_HEADER)
            .map(|v| v.as_bytes());
        let mut check =
            StreamingCheck::new(&verifier.secrets, sig).map_err(WebhookRejection::Unauthorized)?;
        let limit = verifier.max_body_bytes;
        let declared = declared_length(&parts.headers);
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(WebhookRejection::TooLarge { limit });
        }
        let mut held = Reservation::default();
        let busy = || WebhookRejection::Busy {
            retry_after: verifier.budget.retry_after(),
        };
        // A declared length is reserved whole before reading.
        let declared = declared.map_or(0, |n| n as usize);
        if !verifier.budget.reserve(&mut held, declared) {
            return Err(busy());
        }
        let body = read_streaming(body, limit, &mut check, &verifier.budget, &mut held)
            .await
            .map_err(|e| e.unwrap_or_else(busy))?;
        // Known only now: a forged body is dropped here, its bytes released.
        check.finish().map_err(WebhookRejection::Unauthorized)?;
        after_signature(&parts.headers, body).map(|d| VerifiedDelivery(d, held))
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads the body chunk by chunk, feeding the HMAC, keeping the chunks
/// only while the budget has room for them (`Err(None)`: over budget) and
/// the cap is not passed. The chunks are joined once at the end.
async fn read_streaming(
    mut body: Body,
    limit: usize,
    check: &mut StreamingCheck,
    budget: &BodyBudget,
    held: &mut Reservation,
) -> Result<Bytes, Option<WebhookRejection>> {
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Some(WebhookRejection::BodyRead(e.to_string())))?;
        let Ok(chunk) = frame.into_data() else {
            continue; // trailers carry nothing we use
        };
        total = total.saturating_add(chunk.len());
        if total > limit {
            return Err(Some(WebhookRejection::TooLarge { limit }));
        }
        if total > held.bytes() && !budget.reserve(held, total - held.bytes()) {
            return Err(None);
        }
        check.update(&chunk);
        chunks.push(chunk);
    }
    Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.pop().unwrap_or_default(),
        _ => {
            let mut joined = Vec::with_capacity(total);
            for c in &chunks {
                joined.extend_from_slice(c);
            }
            Bytes::from(joined)
        }
    })
}

fn required<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h [u8], WebhookRejection> {
    headers
        .get(name)
        .map(|v| v.as_bytes())
        .ok_or(WebhookRejection::MissingHeader(name))
}

/// `application/json`, parameters (`; charset=utf-8`) and case ignored.
fn check_content_type(headers: &HeaderMap) -> Result<(), WebhookRejection> {
    let raw = headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes());
    let essence = raw.map(|r| {
        let end = r.iter().position(|b| *b == b';').unwrap_or(r.len());
        r.get(..end).unwrap_or(r).trim_ascii()
    });
    match essence {
        Some(e) if e.eq_ignore_ascii_case(b"application/json") => Ok(()),
        _ => Err(WebhookRejection::UnsupportedContentType {
            found: raw
                .map(|r| String::from_utf8_lossy(r).chars().take(100).collect())
                .unwrap_or_else(|| "none".to_owned()),
        }),
    }
}

/// The JSON GitHub could have sent: well-formed, nested at most
/// [`MAX_JSON_DEPTH`] deep, every number finite as an `f64`, every string
/// valid (no lone surrogate escapes): what a `serde_json::Value` parse
/// accepts. Builds no value (strings are borrowed where possible); linear
/// in the body.
fn check_json(body: &[u8]) -> Result<(), WebhookRejection> {
    serde_json::from_slice::<Validated>(body)
        .map(|_| ())
        .map_err(|e| WebhookRejection::MalformedJson {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
}

/// How deep arrays and objects may nest in a delivery: serde_json's
/// recursion limit, which `deserialize_any` enforces (GitHub's payloads
/// nest a dozen levels).
pub const MAX_JSON_DEPTH: usize = 128;

/// Any JSON value, visited and thrown away. Unlike `IgnoredAny` (which
/// skips values without a depth limit or a number check) every value goes
/// through `deserialize_any`: serde_json then counts the depth and refuses
/// numbers out of `f64` range (`1e999999`).
struct Validated;

impl<'de> serde::Deserialize<'de> for Validated {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValidatedVisitor)
    }
}

struct ValidatedVisitor;

impl<'de> serde::de::Visitor<'de> for ValidatedVisitor {
    type Value = Validated;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Validated, E> {
        Ok(Validated)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Validated, E> {
        Ok(Validated)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Validated, E> {
        Ok(Validated)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Validated, E> {
        if v.is_finite() {
            Ok(Validated)
        } else {
            Err(E::custom("number out of range"))
        }
    }
    fn visit_str<E>(self, _: &str) -> Result<Validated, E> {
        Ok(Validated)
    }
    fn visit_unit<E>(self) -> Result<Validated, E> {
        Ok(Validated)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Validated, A::Error> {
        while seq.next_element::<Validated>()?.is_some() {}
        Ok(Validated)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Validated, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, Validated>()?
            .is_some()
        {}
        Ok(Validated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn content_types() {
        let cases = [
            (Some("application/json"), true),
            (Some("application/json; charset=utf-8"), true),
            (Some("Application/JSON"), true),
            (Some("application/x-www-form-urlencoded"), false),
            (Some("application/jsonp"), false),
            (Some("text/plain"), false),
            (None, false),
        ];
        for (ct, ok) in cases {
            let h = match ct {
                Some(ct) => headers(&[("content-type", ct)]),
                None => HeaderMap::new(),
            };
            assert_eq!(check_content_type(&h).is_ok(), ok, "{ct:?}");
        }
    }

    #[test]
    fn form_encoded_error_says_to_use_json() {
        let h = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        let msg = check_content_type(&h).unwrap_err().to_string();
        assert!(
            msg.contains("must be configured with content type application/json"),
            "{msg}"
        );
    }

    #[test]
    fn check_order_and_statuses() {
        let secret = Secret::new("s3cret");
        let v = WebhookVerifier::new(vec![secret.clone()]);
        let body = Bytes::from_static(b"{\"zen\":\"x\"}");
        let sig = signature::sign(&secret, &body);
        let full = [
            ("x-hub-signature-256", sig.as_str()),
            ("content-type", "application/json"),
            ("x-github-delivery", "d-1"),
            ("x-github-event", "ping"),
        ];
        let ok = v.check(&headers(&full), body.clone()).unwrap();
        assert_eq!(ok.delivery_id.as_str(), "d-1");
        assert_eq!(ok.event_name, "ping");
        for (drop, status) in [
            (0, StatusCode::UNAUTHORIZED),
            (1, StatusCode::UNSUPPORTED_MEDIA_TYPE),
            (2, StatusCode::BAD_REQUEST),
            (3, StatusCode::BAD_REQUEST),
        ] {
            let partial: Vec<_> = full
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != drop)
                .map(|(_, p)| *p)
                .collect();
            let err = v.check(&headers(&partial), body.clone()).unwrap_err();
            assert_eq!(err.status(), status, "without header {drop}: {err}");
        }
        let bad = Bytes::from_static(b"{\"zen\":");
        let bad_sig = signature::sign(&secret, &bad);
        let mut h = headers(&full);
        h.insert(
            "x-hub-signature-256",
            HeaderValue::from_str(&bad_sig).unwrap(),
        );
        let err = v.check(&h, bad).unwrap_err();
        assert!(
            matches!(err, WebhookRejection::MalformedJson { line: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn json_github_could_not_have_sent() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let deep_obj = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
        let ok = [
            deep(MAX_JSON_DEPTH - 1),
            deep_obj(MAX_JSON_DEPTH - 1),
            "{\"n\":1e300,\"m\":-12345678901234567890123,\"s\":\"\\u00e9\"}".to_owned(),
        ];
        for body in ok {
            assert!(
                check_json(body.as_bytes()).is_ok(),
                "{}",
                &body[..40.min(body.len())]
            );
        }
        let bad = [
            (deep(MAX_JSON_DEPTH + 1), "recursion limit"),
            (deep(100_000), "recursion limit"),
            (deep_obj(100_000), "recursion limit"),
            ("{\"n\":1e999999}".to_owned(), "out of range"),
            ("[-1e400]".to_owned(), "out of range"),
            ("{\"a\":1,}".to_owned(), "trailing comma"),
        ];
        for (body, want) in bad {
            let err = check_json(body.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
    }
}
