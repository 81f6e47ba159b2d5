//! Credentials for fetch and push, handed to libgit2 through its
//! credentials callback only.
//!
//! Invariant: the token is reachable only here and in the callback: it is
//! never put into a remote URL (remotes are anonymous), `.git/config`, a
//! log line or an error message; every error text that leaves the `git`
//! module goes through [`scrub`], which removes the token (raw and base64
//! of the basic-auth pair) and any `user:password@` of a URL.

use std::cell::Cell;
use std::fmt;

use git2::{Cred, CredentialType, RemoteCallbacks};

/// The user name GitHub expects with an installation token over HTTPS.
const TOKEN_USER: &str = "x-access-token";

/// A token, sent as HTTP basic `x-access-token:<token>`. `Debug` is
/// redacted; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    token: String,
}

impl Credentials {
    /// Credentials from an installation (or personal) token.
    pub fn token(token: impl Into<String>) -> Self {
        Credentials {
            token: token.into(),
        }
    }

    /// Every form in which the secret could show up in a message: the raw
    /// token and the base64 of the basic-auth pair.
    fn secret_forms(&self) -> Vec<String> {
        if self.token.is_empty() {
            return Vec::new();
        }
        vec![
            base64(format!("{TOKEN_USER}:{}", self.token).as_bytes()),
            self.token.clone(),
        ]
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

/// `text` with the token (if any) replaced by `***` and the user-info part
/// of every URL removed.
pub(crate) fn scrub(text: &str, creds: Option<&Credentials>) -> String {
    let mut out = strip_userinfo(text);
    if let Some(creds) = creds {
        for secret in creds.secret_forms() {
            out = out.replace(&secret, "***");
        }
    }
    out
}

/// A URL without `user:password@` (for messages).
pub(crate) fn strip_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (before, after) = rest.split_at(pos + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(at) => out.push_str(&authority[at + 1..]),
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

/// Records whether the remote refused the credentials we offered, so the
/// error can say "authentication failed" without quoting anything.
#[derive(Default)]
pub(crate) struct AuthState {
    attempts: Cell<u32>,
}

impl AuthState {
    /// The server asked again after we answered once: our token was refused.
    pub(crate) fn refused(&self) -> bool {
        self.attempts.get() > 1
    }

    /// The server asked for credentials at least once.
    pub(crate) fn asked(&self) -> bool {
        self.attempts.get() > 0
    }
}

/// Install the credentials callback on `callbacks`. It answers once with
/// the token; a second request (the token was refused) or a request without
/// credentials fails, so libgit2 never loops.
pub(crate) fn install<'a>(
    callbacks: &mut RemoteCallbacks<'a>,
    creds: Option<&'a Credentials>,
    state: &'a AuthState,
) {
    callbacks.credentials(move |_url, _user_from_url, allowed| {
        let n = state.attempts.get().saturating_add(1);
        state.attempts.set(n);
        let Some(creds) = creds else {
            return Err(git2::Error::from_str(
                "the remote asks for credentials and none were given",
            ));
        };
        if n > 1 {
            return Err(git2::Error::from_str("the remote refused the credentials"));
        }
        if !allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            return Err(git2::Error::from_str(
                "the remote asks for a credential type other than a token",
            ));
        }
        Cred::userpass_plaintext(TOKEN_USER, &creds.token)
    });
}

/// Standard base64 (with padding): only to recognise the basic-auth header
/// value in messages.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                let idx = ((n >> shift) & 63) as usize;
                out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'=')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_known_values() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("x-access-token:abc", "eC1hY2Nlc3MtdG9rZW46YWJj"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn scrub_removes_token_and_userinfo() {
        let creds = Credentials::token("ghs_SECRET");
        let text = "failed https://x-access-token:ghs_SECRET@host/o/r.git: \
                    header Basic eC1hY2Nlc3MtdG9rZW46Z2hzX1NFQ1JFVA== token ghs_SECRET";
        let out = scrub(text, Some(&creds));
        assert!(!out.contains("ghs_SECRET"), "{out}");
        assert!(
            !out.contains("eC1hY2Nlc3MtdG9rZW46Z2hzX1NFQ1JFVA=="),
            "{out}"
        );
        assert!(out.contains("https://host/o/r.git"), "{out}");
    }

    #[test]
    fn strip_userinfo_table() {
        for (input, want) in [
            ("plain text", "plain text"),
            ("https://h/p", "https://h/p"),
            ("a https://u:p@h/p b", "a https://h/p b"),
            ("file:///tmp/x", "file:///tmp/x"),
            ("x://u@h", "x://h"),
            ("mail a@b.c", "mail a@b.c"),
            ("://", "://"),
        ] {
            assert_eq!(strip_userinfo(input), want, "{input:?}");
        }
    }

    #[test]
    fn debug_is_redacted() {
        let creds = Credentials::token("ghs_SECRET");
        assert_eq!(format!("{creds:?}"), "Credentials(<redacted>)");
    }
}
