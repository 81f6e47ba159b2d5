//! A verified delivery as it is stored: the id, the event name and the raw
//! body bytes, exactly as GitHub signed them.
//!
//! Invariant: a [`DeliveryId`] is 1 to 128 visible ASCII characters and an
//! event name 1 to 64 characters of `[a-z0-9_]`, so both are safe as store
//! keys, metric labels and log fields.

use std::fmt;

use axum::body::Bytes;

/// The `X-GitHub-Delivery` header: GitHub sends a GUID; redeliveries keep it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryId(String);

impl DeliveryId {
    /// Validates a header value: 1–128 visible ASCII characters.
    pub fn parse(raw: &[u8]) -> Option<DeliveryId> {
        let ok = !raw.is_empty() && raw.len() <= 128 && raw.iter().all(u8::is_ascii_graphic);
        if !ok {
            return None;
        }
        std::str::from_utf8(raw)
            .ok()
            .map(|s| DeliveryId(s.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeliveryId({:?})", self.0)
    }
}

/// Validates an `X-GitHub-Event` value: 1–64 characters of `[a-z0-9_]`.
pub fn parse_event_name(raw: &[u8]) -> Option<String> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_');
    if !ok {
        return None;
    }
    std::str::from_utf8(raw).ok().map(str::to_owned)
}

/// One verified delivery, ready to be stored and parsed later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// `X-GitHub-Delivery`.
    pub delivery_id: DeliveryId,
    /// `X-GitHub-Event`, e.g. `check_run`.
    pub event_name: String,
    /// The raw body: verified against the signature, syntactically JSON.
    pub body: Bytes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_ids() {
        let cases: &[(&[u8], bool)] = &[
            (b"72d3162e-cc78-11e3-81ab-4c9367dc0958", true),
            (b"x", true),
            (b"", false),
            (b"has space", false),
            (b"tab\there", false),
            ("caf\u{e9}".as_bytes(), false),
            (&[b'a'; 128], true),
            (&[b'a'; 129], false),
        ];
        for (raw, ok) in cases {
            assert_eq!(DeliveryId::parse(raw).is_some(), *ok, "{raw:?}");
        }
    }

    #[test]
    fn event_names() {
        let cases: &[(&[u8], bool)] = &[
            (b"check_run", true),
            (b"installation_repositories", true),
            (b"Check_Run", false),
            (b"", false),
            (b"a-b", false),
            (&[b'a'; 65], false),
        ];
        for (raw, ok) in cases {
            assert_eq!(parse_event_name(raw).is_some(), *ok, "{raw:?}");
        }
    }
}
