//! Credentials and the octocrab client built from them: a GitHub App (app id
//! and private key → JWT → installation token, which octocrab caches and
//! re-mints 30 s before expiry or after a 401), or a plain token.
//!
//! Invariant: a key or token is held only as [`Secret`] (redacted `Debug`)
//! or inside octocrab (whose `SecretString` is redacted too); no error built
//! here contains one.

use octocrab::Octocrab;
use octocrab::models::{AppId, InstallationId};
use octocrab::service::middleware::retry::RetryConfig;

use crate::config::secret::Secret;
use crate::forge::ForgeError;

/// How the forge authenticates.
#[derive(Clone, Debug)]
pub enum GitHubAuth {
    /// A GitHub App; the installation is looked up from the organisation
    /// when not given.
    App {
        app_id: u64,
        private_key_pem: Secret,
        installation_id: Option<u64>,
    },
    /// A personal or fine-grained token (CLI use).
    Token(Secret),
}

/// Where and how long to wait for an answer.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// REST API root, e.g. `https://api.github.com` or
    /// `https://ghe.example/api/v3`.
    pub api_url: String,
    pub read_timeout: std::time::Duration,
    pub connect_timeout: std::time::Duration,
}

type Builder = octocrab::OctocrabBuilder<
    octocrab::NoSvc,
    octocrab::DefaultOctocrabBuilderConfig,
    octocrab::NoAuth,
    octocrab::NotLayerReady,
>;

fn builder(settings: &ClientSettings) -> Result<Builder, ForgeError> {
    let b = Octocrab::builder()
        .base_uri(settings.api_url.as_str())
        .map_err(|_| {
            ForgeError::Other(format!(
                "github.api_url {:?} is not a valid URL",
                settings.api_url
            ))
        })?
        // Retries are ours (`api.rs`): octocrab's would double-count and
        // ignore Retry-After.
        .add_retry_config(RetryConfig::None)
        .set_read_timeout(Some(settings.read_timeout))
        .set_connect_timeout(Some(settings.connect_timeout));
    Ok(b)
}

/// A client authenticated as the App itself (JWT), for installation lookup.
pub fn app_client(
    settings: &ClientSettings,
    app_id: u64,
    key: &Secret,
) -> Result<Octocrab, ForgeError> {
    builder(settings)?
        .app_from_rsa_pem(AppId(app_id), key.expose().as_bytes())
        .map_err(|_| {
            ForgeError::Other("the GitHub App private key is not a valid RSA PEM key".to_string())
        })?
        .build()
        .map_err(|_| ForgeError::Other("cannot build the GitHub client".to_string()))
}

/// A client acting as one installation (token minted and refreshed by
/// octocrab).
pub fn installation_client(app: &Octocrab, installation_id: u64) -> Result<Octocrab, ForgeError> {
    app.installation(InstallationId(installation_id))
        .map_err(|_| ForgeError::Other(format!("cannot act as installation {installation_id}")))
}

/// A client with a plain token.
pub fn token_client(settings: &ClientSettings, token: &Secret) -> Result<Octocrab, ForgeError> {
    builder(settings)?
        .personal_token(token.expose().to_string())
        .build()
        .map_err(|_| ForgeError::Other("cannot build the GitHub client".to_string()))
}

/// The path part of the API root (`/api/v3` for GHES, empty for github.com).
pub fn base_path(api_url: &str) -> String {
    let rest = api_url.split_once("://").map_or(api_url, |(_, r)| r);
    match rest.find('/') {
        Some(i) => rest[i..].trim_end_matches('/').to_string(),
        None => String::new(),
    }
}

/// The web root repositories are served under, derived from the API root:
/// `https://api.github.com` → `https://github.com` (likewise
/// `https://api.SUB.ghe.com` → `https://SUB.ghe.com`); GHES
/// `https://ghe.example/api/v3` → `https://ghe.example`; any other root
/// (a test server) → its scheme and host.
pub fn web_base(api_url: &str) -> String {
    let (scheme, rest) = api_url.split_once("://").unwrap_or(("https", api_url));
    let host = rest.split('/').next().unwrap_or(rest);
    let host = host.strip_prefix("api.").unwrap_or(host);
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_bases() {
        for (url, want) in [
            ("https://api.github.com", "https://github.com"),
            ("https://api.github.com/", "https://github.com"),
            ("https://api.acme.ghe.com", "https://acme.ghe.com"),
            ("https://ghe.example/api/v3", "https://ghe.example"),
            ("http://127.0.0.1:4000", "http://127.0.0.1:4000"),
        ] {
            assert_eq!(web_base(url), want, "{url}");
        }
    }

    #[test]
    fn base_paths() {
        for (url, want) in [
            ("https://api.github.com", ""),
            ("https://api.github.com/", ""),
            ("https://ghe.example/api/v3", "/api/v3"),
            ("https://ghe.example/api/v3/", "/api/v3"),
            ("http://127.0.0.1:4000", ""),
        ] {
            assert_eq!(base_path(url), want, "{url}");
        }
    }

    #[test]
    fn a_bad_key_error_does_not_echo_the_key() {
        let settings = ClientSettings {
            api_url: "http://127.0.0.1:1".into(),
            read_timeout: std::time::Duration::from_secs(1),
            connect_timeout: std::time::Duration::from_secs(1),
        };
        let key = Secret::new(
            "-----BEGIN RSA PRIVATE KEY-----\nsupersecretjunk\n-----END RSA PRIVATE KEY-----\n",
        );
        let err = app_client(&settings, 1, &key).unwrap_err().to_string();
        assert!(!err.contains("supersecret"), "{err}");
        assert!(format!("{:?}", GitHubAuth::Token(Secret::new("tok123"))).contains("redacted"));
    }
}
