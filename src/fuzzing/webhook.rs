//! The webhook side over arbitrary bytes: payload parsing into the closed
//! events enum, and the signature check.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::secret::Secret;
use crate::server::events::{self, Event, EventKind};
use crate::server::webhook::extract::{DELIVERY_HEADER, EVENT_HEADER};
use crate::server::webhook::signature::{self, SIGNATURE_HEADER, SignatureError};
use crate::server::webhook::{WebhookRejection, WebhookVerifier};

/// Event names the selector byte picks from: every handled kind, an
/// unhandled one, an empty and a wrongly cased name.
const EVENT_NAMES: &[&str] = &[
    "release",
    "create",
    "push",
    "check_run",
    "check_suite",
    "status",
    "pull_request",
    "installation",
    "installation_repositories",
    "issue_comment",
    "ping",
    "star",
    "",
    "Release",
];

/// Input: one selector byte (event name, modulo the list above), then the
/// body. Checks: `events::parse` returns; a handled name gives its own
/// kind or an error naming the event, an unhandled name `Unknown` without
/// reading the body; the webhook extractor, given a correctly signed
/// delivery of the same bytes, accepts exactly the bodies that are JSON.
pub fn check_webhook(data: &[u8]) -> Result<(), String> {
    let Some((&selector, body)) = data.split_first() else {
        return Ok(());
    };
    let name = EVENT_NAMES
        .get(usize::from(selector) % EVENT_NAMES.len())
        .copied()
        .unwrap_or("ping");
    let kind = EventKind::from_name(name);
    match (events::parse(name, body), kind) {
        (Ok(Event::Unknown { name: got }), None) if got == name => {}
        (Ok(event), Some(kind)) if event.kind() == Some(kind) => {
            let _ = format!("{event:?}");
        }
        (Err(e), Some(kind)) => {
            let text = e.to_string();
            if !text.starts_with(&format!("{}: .", kind.name())) {
                return Err(format!("{name}: error names no event and path: {text}"));
            }
        }
        (other, _) => return Err(format!("{name}: parsed as {other:?}")),
    }
    let secret = Secret::new("fuzz-secret");
    let verifier = WebhookVerifier::new(vec![secret.clone()]);
    let mut headers = HeaderMap::new();
    let signed =
        HeaderValue::from_str(&signature::sign(&secret, body)).map_err(|e| e.to_string())?;
    headers.insert(SIGNATURE_HEADER, signed);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(DELIVERY_HEADER, HeaderValue::from_static("fuzz-delivery"));
    headers.insert(EVENT_HEADER, HeaderValue::from_static("check_run"));
    // JSON GitHub could have sent: what a full `Value` parse accepts (depth
    // at most 128, numbers in range, no lone surrogates).
    let is_json = serde_json::from_slice::<serde_json::Value>(body).is_ok();
    match verifier.check(&headers, Bytes::copy_from_slice(body)) {
        Ok(delivery) if is_json && delivery.body == body => Ok(()),
        Err(WebhookRejection::MalformedJson { .. }) if !is_json => Ok(()),
        other => Err(format!("signed delivery (JSON: {is_json}) gave {other:?}")),
    }
}

/// Input: `n` (low two bits of the first byte: 0–3 secrets), then each
/// secret as a length byte and its bytes (lossily UTF-8), then a length byte
/// and the `X-Hub-Signature-256` value, then the body. Checks: `verify`
/// returns; it accepts only when the header is `sha256=` and the hex (any
/// case) of HMAC-SHA256(secret, body) for some secret, computed here
/// independently; without a header it is `Missing`; the correct signature
/// of each secret (lower and upper case) is accepted and one with its last
/// digit changed refused.
pub fn check_signature(data: &[u8]) -> Result<(), String> {
    let mut input = Reader(data);
    let count = input.byte() & 0x03;
    let secrets: Vec<Secret> = (0..count)
        .map(|_| {
            let len = usize::from(input.byte());
            Secret::new(String::from_utf8_lossy(input.take(len)).into_owned())
        })
        .collect();
    let len = usize::from(input.byte());
    let header = input.take(len);
    let body = input.0;

    let accepted = signature::verify(&secrets, Some(header), body).is_ok();
    let correct = secrets.iter().any(|s| is_correct(s, header, body));
    if accepted != correct {
        return Err(format!(
            "verify accepted={accepted} but the header is correct={correct}: {:?}",
            String::from_utf8_lossy(header)
        ));
    }
    if signature::verify(&secrets, None, body) != Err(SignatureError::Missing) {
        return Err("no header but not `Missing`".into());
    }
    for secret in &secrets {
        let good = signature::sign(secret, body);
        if !is_correct(secret, good.as_bytes(), body) {
            return Err(format!("sign() gives a wrong signature {good}"));
        }
        for variant in [
            good.clone(),
            good.to_uppercase().replacen("SHA256=", "sha256=", 1),
        ] {
            if signature::verify(&secrets, Some(variant.as_bytes()), body).is_err() {
                return Err(format!("a correct signature was refused: {variant}"));
            }
        }
        let mut bad = good.into_bytes();
        if let Some(last) = bad.last_mut() {
            *last = if *last == b'0' { b'1' } else { b'0' };
        }
        let bad_ok = signature::verify(&secrets, Some(&bad), body).is_ok();
        if bad_ok && !secrets.iter().any(|s| is_correct(s, &bad, body)) {
            return Err("a signature with a changed digit was accepted".into());
        }
    }
    Ok(())
}

/// Is `header` exactly `sha256=` + hex(HMAC-SHA256(secret, body)), hex in
/// any case? Computed without the code under test.
fn is_correct(secret: &Secret, header: &[u8], body: &[u8]) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
        return false;
    };
    mac.update(body);
    let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    header.eq_ignore_ascii_case(want.as_bytes()) && header.starts_with(b"sha256=")
}

/// Reads a fuzz input front to back; past the end it yields zeros and empty
/// slices.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        b
    }

    fn take(&mut self, len: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(len.min(self.0.len()));
        self.0 = rest;
        head
    }
}
