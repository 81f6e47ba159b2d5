//! Secrets the config points at (webhook secrets, operator tokens, the App's
//! private key, a plain API token). The config file itself never holds a
//! secret: it names environment variables and files; these loaders read them.
//!
//! Invariant: a [`Secret`]'s value is reachable only through
//! [`Secret::expose`]; `Debug` prints `<redacted>`, there is no `Display`
//! and no `Serialize`, and no [`SecretError`] message contains a value.

use std::fmt;
use std::path::{Path, PathBuf};

use super::schema::{GithubConfig, ServerConfig};

/// The environment variable that may hold the webhook secret.
pub const WEBHOOK_SECRET_ENV: &str = "WAVEBUMP_WEBHOOK_SECRET";

/// A secret string; redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that must use it (HMAC, auth header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// An operator allowed to act on the status page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorToken {
    /// The name recorded in the audit log.
    pub name: String,
    /// The token exchanged at the login form.
    pub token: Secret,
}

/// A secret that could not be loaded; names the variable or file, never the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretError {
    /// What went wrong, with the variable or `file:line`.
    pub message: String,
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SecretError {}

/// The least estimated entropy, in bits, of a webhook secret or operator
/// token that `serve` starts with.
pub const MIN_SECRET_BITS: f64 = 128.0;

/// A conservative entropy estimate: length × log2 of the smaller of the
/// alphabet its character classes span (hex digits only: 16; else 26 per
/// letter case, 10 digits, 32 symbols) and the number of distinct
/// characters in it. 32 random hex digits give 128 bits; `wavebump secret`
/// prints 64 (256 bits).
pub fn estimated_bits(value: &str) -> f64 {
    let chars: Vec<char> = value.chars().collect();
    let hex = chars.iter().all(char::is_ascii_hexdigit);
    let alphabet = if hex {
        16
    } else {
        let class = |f: fn(&char) -> bool, n: usize| if chars.iter().any(f) { n } else { 0 };
        class(char::is_ascii_lowercase, 26)
            + class(char::is_ascii_uppercase, 26)
            + class(char::is_ascii_digit, 10)
            + class(|c| !c.is_ascii_alphanumeric(), 32)
    };
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let base = alphabet.min(distinct.len());
    if base < 2 {
        return 0.0;
    }
    chars.len() as f64 * (base as f64).log2()
}

/// Refuses `value` when its [`estimated_bits`] are below [`MIN_SECRET_BITS`];
/// the error names `what` (never the value) and how to make a good one.
pub fn check_strength(what: &str, value: &Secret) -> Result<(), SecretError> {
    let bits = estimated_bits(value.expose());
    if bits < MIN_SECRET_BITS {
        return Err(SecretError {
            message: format!(
                "{what} is too weak: about {bits:.0} bits of entropy, at least {MIN_SECRET_BITS:.0} \
                 needed; generate one with `wavebump secret`"
            ),
        });
    }
    Ok(())
}

/// 32 bytes from the OS generator as 64 hex digits (256 bits), for
/// `wavebump secret`.
pub fn generate() -> Result<Secret, SecretError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| SecretError {
        message: format!("the OS random generator failed: {e}"),
    })?;
    Ok(Secret(hex::encode(bytes)))
}

/// Read a secret file. Like ssh with a private key, a file that group or
/// others may access (any of the mode bits `0o077`) is refused, with the
/// `chmod` that fixes it: anyone who can write an operator tokens file can
/// add an operator, anyone who can read a secret can forge with it. The mode
/// is checked on the opened file, so the file checked is the file read.
fn read(path: &Path, what: &str) -> Result<String, SecretError> {
    use std::io::Read;
    let cannot = |e: std::io::Error| SecretError {
        message: format!("{}: cannot read the {what}: {e}", path.display()),
    };
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(cannot)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(SecretError {
                message: format!(
                    "{}: the {what} is accessible by group or others (mode {:04o}); it must be readable by its owner only: run `chmod 600 {}`",
                    path.display(),
                    mode & 0o7777,
                    shell_quote(path)
                ),
            });
        }
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(cannot)?;
    Ok(text)
}

/// A path as a shell word: as is when it is made of safe characters,
/// single-quoted otherwise.
fn shell_quote(path: &Path) -> String {
    let text = path.display().to_string();
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl GithubConfig {
    /// The webhook secrets: the variable `WAVEBUMP_WEBHOOK_SECRET` (if set)
    /// first, then each non-empty line of `webhook_secret_file`. Several
    /// secrets allow rotation. `env` looks a variable up (`std::env::var(..).ok()`
    /// in production). None at all is an error.
    pub fn load_webhook_secrets(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<Secret>, SecretError> {
        let mut out: Vec<Secret> = non_empty(env(WEBHOOK_SECRET_ENV))
            .into_iter()
            .map(Secret)
            .collect();
        if let Some(path) = &self.webhook_secret_file {
            let text = read(path, "webhook secret file")?;
            out.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(Secret::new),
            );
        }
        if out.is_empty() {
            return Err(SecretError {
                message: format!(
                    "no webhook secret: set {WEBHOOK_SECRET_ENV} or `github.webhook_secret_file`"
                ),
            });
        }
        Ok(out)
    }

    /// The plain API token from the variable named by `token_env`, if set.
    pub fn load_token(&self, env: impl Fn(&str) -> Option<String>) -> Option<Secret> {
        non_empty(env(&self.token_env)).map(Secret)
    }

    /// The App's private key (PEM), when `private_key_path` is set.
    pub fn load_private_key(&self) -> Result<Option<Secret>, SecretError> {
        let Some(path) = &self.private_key_path else {
            return Ok(None);
        };
        let pem = read(path, "GitHub App private key")?;
        if !pem.contains("-----BEGIN") {
            return Err(SecretError {
                message: format!("{}: expected a PEM private key", path.display()),
            });
        }
        Ok(Some(Secret(pem)))
    }
}

impl ServerConfig {
    /// Operator tokens: each `operators` entry's variable (which must be
    /// set), then each `name:token` line of `operator_tokens_file` (blank
    /// lines and `#` comments skipped).
    pub fn load_operator_tokens(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<OperatorToken>, SecretError> {
        let mut out = Vec::new();
        for op in &self.operators {
            let token = non_empty(env(&op.token_env)).ok_or_else(|| SecretError {
                message: format!(
                    "operator `{}`: the environment variable {} is not set",
                    op.name, op.token_env
                ),
            })?;
            out.push(OperatorToken {
                name: op.name.clone(),
                token: Secret(token),
            });
        }
        if let Some(path) = &self.operator_tokens_file {
            out.extend(parse_tokens_file(
                &read(path, "operator tokens file")?,
                path,
            )?);
        }
        Ok(out)
    }
}

/// `name:token` lines; an error names `file:line`, never the line's content.
pub fn parse_tokens_file(text: &str, path: &Path) -> Result<Vec<OperatorToken>, SecretError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || SecretError {
            message: format!(
                "{}:{}: expected `name:token`",
                PathBuf::from(path).display(),
                i + 1
            ),
        };
        let (name, token) = line.split_once(':').ok_or_else(bad)?;
        let (name, token) = (name.trim(), token.trim());
        if name.is_empty() || token.is_empty() {
            return Err(bad());
        }
        out.push(OperatorToken {
            name: name.to_owned(),
            token: Secret::new(token),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod strength_tests {
    use super::*;

    #[test]
    fn entropy_estimates() {
        let generated = generate().unwrap();
        assert_eq!(generated.expose().len(), 64);
        assert!(check_strength("t", &generated).is_ok());
        for weak in [
            "x",
            "s3cret",
            "serve-test-secret",
            &"a".repeat(200),
            &"ab".repeat(40),
        ] {
            let err = check_strength("operator `alice`'s token", &Secret::new(weak)).unwrap_err();
            assert!(
                err.message.contains("operator `alice`'s token is too weak"),
                "{}",
                err.message
            );
            assert!(err.message.contains("wavebump secret"));
            assert!(
                !err.message.contains(weak) || weak.len() < 3,
                "{}",
                err.message
            );
        }
        // 32 hex digits: exactly 128 bits.
        assert!(check_strength("t", &Secret::new("0123456789abcdef0123456789abcdef")).is_ok());
        assert!(check_strength("t", &Secret::new("0123456789abcdef0123456789abcde")).is_err());
    }
}
