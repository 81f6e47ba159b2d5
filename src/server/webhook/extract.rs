//! The [`VerifiedDelivery`] axum extractor and its rejections.
//!
//! Invariant: the extractor reads at most `max_body_bytes` of the body (a
//! larger declared `Content-Length` is refused before reading anything), and
//! yields a delivery only after the HMAC matched one of the secrets; the
//! order of the checks is documented in [`super`].

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::delivery::{Delivery, DeliveryId, parse_event_name};
use super::signature::{self, SignatureError};
use crate::config::secret::Secret;

/// What the extractor needs: the secrets (any may match) and the body cap.
/// Put it in the router state and implement `FromRef` for the state.
#[derive(Clone, Debug)]
pub struct WebhookVerifier {
    secrets: Arc<[Secret]>,
    max_body_bytes: usize,
}

impl WebhookVerifier {
    /// A verifier with GitHub's 25 MB cap ([`super::DEFAULT_MAX_BODY_BYTES`]).
    pub fn new(secrets: Vec<Secret>) -> Self {
        WebhookVerifier {
            secrets: secrets.into(),
            max_body_bytes: super::DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Changes the body cap.
    pub fn with_max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The body cap in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// All checks on already-read parts, in the documented order after the
    /// body was read. Exposed for callers that are not axum handlers (and
    /// for the benchmark).
    pub fn check(&self, headers: &HeaderMap, body: Bytes) -> Result<Delivery, WebhookRejection> {
        let sig = headers
            .get(signature::SIGNATURE_HEADER)
            .map(|v| v.as_bytes());
        signature::verify(&self.secrets, sig, &body).map_err(WebhookRejection::Unauthorized)?;
        check_content_type(headers)?;
        let delivery_id = DeliveryId::parse(required(headers, DELIVERY_HEADER)?)
            .ok_or(WebhookRejection::MalformedHeader(DELIVERY_HEADER))?;
        let event_name = parse_event_name(required(headers, EVENT_HEADER)?)
            .ok_or(WebhookRejection::MalformedHeader(EVENT_HEADER))?;
        check_json_syntax(&body)?;
        Ok(Delivery {
            delivery_id,
            event_name,
            body,
        })
    }
}

/// The delivery id header.
pub const DELIVERY_HEADER: &str = "x-github-delivery";
/// The event name header.
pub const EVENT_HEADER: &str = "x-github-event";

/// A delivery whose signature verified; see [`super`] for the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedDelivery(pub Delivery);

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
            WebhookRejection::BodyRead(_)
            | WebhookRejection::MissingHeader(_)
            | WebhookRejection::MalformedHeader(_)
            | WebhookRejection::MalformedJson { .. } => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        (self.status(), format!("{self}\n")).into_response()
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
        let sig = parts.headers.get(signature::SIGNATURE_HEADER);
        sig.ok_or(SignatureError::Missing)
            .and_then(|s| signature::parse_signature(s.as_bytes()))
            .map_err(WebhookRejection::Unauthorized)?;
        let limit = verifier.max_body_bytes;
        if declared_length(&parts.headers).is_some_and(|n| n > limit as u64) {
            return Err(WebhookRejection::TooLarge { limit });
        }
        let body = read_capped(body, limit).await?;
        verifier.check(&parts.headers, body).map(VerifiedDelivery)
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

async fn read_capped(body: Body, limit: usize) -> Result<Bytes, WebhookRejection> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(WebhookRejection::TooLarge { limit })
        }
        Err(e) => Err(WebhookRejection::BodyRead(e.to_string())),
    }
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

/// A syntax check that builds no value (`IgnoredAny`): linear, allocation-free
/// apart from serde_json's reader state. Depth is bounded by serde_json's
/// recursion limit.
fn check_json_syntax(body: &[u8]) -> Result<(), WebhookRejection> {
    serde_json::from_slice::<serde::de::IgnoredAny>(body)
        .map(|_| ())
        .map_err(|e| WebhookRejection::MalformedJson {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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
}
