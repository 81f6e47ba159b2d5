//! `X-Hub-Signature-256` verification: HMAC-SHA256 of the raw body, compared
//! in constant time against every configured secret (rotation: any match).
//!
//! Invariant: a body is accepted only if some secret's HMAC equals the
//! signature byte for byte; the comparison time does not depend on where the
//! bytes differ (`hmac`'s `verify_slice`, built on `subtle`). No secret and
//! no computed MAC ever appears in an error.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The header GitHub signs deliveries with.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// Why a signature was refused. Every variant answers 401.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header.
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("malformed X-Hub-Signature-256 header: expected `sha256=` and 64 hex digits")]
    Malformed,
    /// Well-formed, but no configured secret produces it.
    #[error("X-Hub-Signature-256 does not match the body")]
    Mismatch,
}

/// Decodes `sha256=<64 hex digits>` (hex case-insensitive) into the 32-byte MAC.
pub fn parse_signature(header: &[u8]) -> Result<[u8; 32], SignatureError> {
    let hex_part = header
        .strip_prefix(b"sha256=")
        .ok_or(SignatureError::Malformed)?;
    let mut mac = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut mac).map_err(|_| SignatureError::Malformed)?;
    Ok(mac)
}

/// Checks `header` (the raw header value, `None` when absent) against the
/// HMAC of `body` under each secret in turn. An empty secret list accepts
/// nothing.
pub fn verify(
    secrets: &[Secret],
    header: Option<&[u8]>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let expected = parse_signature(header.ok_or(SignatureError::Missing)?)?;
    let mut matched = false;
    // Every secret is tried even after a match, so the time taken does not
    // reveal which secret (old or new) signed the delivery.
    for secret in secrets {
        let mut mac = new_mac(secret);
        mac.update(body);
        matched |= mac.verify_slice(&expected).is_ok();
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// An HMAC check fed while the body streams in: [`parse_signature`] first
/// (the header arrives before the body), then [`StreamingCheck::update`]
/// per chunk, then [`StreamingCheck::finish`]. Same result as [`verify`]
/// on the whole body, without needing the whole body at once.
pub struct StreamingCheck {
    expected: [u8; 32],
    macs: Vec<HmacSha256>,
}

impl StreamingCheck {
    /// A check of `header` (the raw header value) against every secret.
    pub fn new(secrets: &[Secret], header: Option<&[u8]>) -> Result<Self, SignatureError> {
        let expected = parse_signature(header.ok_or(SignatureError::Missing)?)?;
        Ok(StreamingCheck {
            expected,
            macs: secrets.iter().map(new_mac).collect(),
        })
    }

    /// Feeds the next bytes of the body.
    pub fn update(&mut self, chunk: &[u8]) {
        for mac in &mut self.macs {
            mac.update(chunk);
        }
    }

    /// Whether some secret signed the body fed so far. Every secret is
    /// compared (constant time per secret, as in [`verify`]).
    pub fn finish(self) -> Result<(), SignatureError> {
        let mut matched = false;
        for mac in self.macs {
            matched |= mac.verify_slice(&self.expected).is_ok();
        }
        if matched {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

/// The header value GitHub would send for `body` signed with `secret`:
/// `sha256=<lowercase hex>`. Used by tests and the load generator.
pub fn sign(secret: &Secret, body: &[u8]) -> String {
    let mut mac = new_mac(secret);
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn new_mac(secret: &Secret) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(secret.expose().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Secret {
        Secret::new(v)
    }

    #[test]
    fn github_documented_example() {
        // The example from GitHub's "Validating webhook deliveries" page.
        let sig = sign(&s("It's a Secret to Everybody"), b"Hello, World!");
        assert_eq!(
            sig,
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn table() {
        let body = b"{\"zen\":\"Keep it logically awesome.\"}";
        let good = sign(&s("new"), body);
        let upper = format!("sha256={}", good["sha256=".len()..].to_uppercase());
        let flipped = {
            let mut b = good.clone().into_bytes();
            let last = b.len() - 1;
            b[last] = if b[last] == b'0' { b'1' } else { b'0' };
            String::from_utf8(b).unwrap()
        };
        let long = format!("{good}00");
        let short = &good.as_bytes()[..good.len() - 2];
        type Case<'a> = (&'a [&'a str], Option<&'a [u8]>, Result<(), SignatureError>);
        let cases: Vec<Case> = vec![
            (&[], Some(good.as_bytes()), Err(SignatureError::Mismatch)),
            (&["new"], None, Err(SignatureError::Missing)),
            (&["new"], Some(good.as_bytes()), Ok(())),
            (&["old", "new"], Some(good.as_bytes()), Ok(())),
            (&["new", "old"], Some(good.as_bytes()), Ok(())),
            (
                &["old"],
                Some(good.as_bytes()),
                Err(SignatureError::Mismatch),
            ),
            (&["new"], Some(upper.as_bytes()), Ok(())),
            (
                &["new"],
                Some(flipped.as_bytes()),
                Err(SignatureError::Mismatch),
            ),
            (
                &["new"],
                Some(b"sha1=abcdef"),
                Err(SignatureError::Malformed),
            ),
            (&["new"], Some(b"sha256="), Err(SignatureError::Malformed)),
            (&["new"], Some(short), Err(SignatureError::Malformed)),
            (&["new"], Some(b"sha256=zz"), Err(SignatureError::Malformed)),
            (
                &["new"],
                Some(long.as_bytes()),
                Err(SignatureError::Malformed),
            ),
            (&["new"], Some(b""), Err(SignatureError::Malformed)),
        ];
        for (i, (names, header, want)) in cases.into_iter().enumerate() {
            let secrets: Vec<Secret> = names.iter().map(|n| s(n)).collect();
            assert_eq!(verify(&secrets, header, body), want, "case {i}");
        }
    }

    #[test]
    fn streaming_agrees_with_verify() {
        let body = b"{\"zen\":\"Design for failure.\"}";
        let secrets = [s("old"), s("new")];
        for signer in ["old", "new", "other"] {
            let sig = sign(&s(signer), body);
            for split in [0, 1, 7, body.len()] {
                let mut check = StreamingCheck::new(&secrets, Some(sig.as_bytes())).unwrap();
                check.update(&body[..split]);
                check.update(&body[split..]);
                assert_eq!(
                    check.finish(),
                    verify(&secrets, Some(sig.as_bytes()), body),
                    "{signer} split at {split}"
                );
            }
        }
        assert_eq!(
            StreamingCheck::new(&secrets, None).err(),
            Some(SignatureError::Missing)
        );
    }

    #[test]
    fn body_change_is_detected() {
        let sig = sign(&s("k"), b"{}");
        assert_eq!(
            verify(&[s("k")], Some(sig.as_bytes()), b"{} "),
            Err(SignatureError::Mismatch)
        );
    }
}
