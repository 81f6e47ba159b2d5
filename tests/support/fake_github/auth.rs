//! Authentication as GitHub does it: App JWTs (RS256, checked against the
//! App's public key, `iss` = app id) for `/app/...` endpoints, installation
//! tokens (minted by the fake, expiring) or configured plain tokens for the
//! rest.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::state::{IssuedToken, State};

#[derive(serde::Deserialize)]
struct Claims {
    iss: serde_json::Value,
}

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    App,
    Installation(u64),
    Token,
}

/// What the caller's token may do: `None` when not restricted (the App's
/// JWT, a plain token).
pub fn permissions_of(state: &State, header: Option<&str>) -> Option<BTreeMap<String, String>> {
    let token = header.and_then(|h| {
        h.strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("token "))
    })?;
    state.tokens.get(token).and_then(|t| t.permissions.clone())
}

/// Check `Authorization: Bearer ...` against the state.
pub fn identify(state: &State, header: Option<&str>) -> Result<Caller, &'static str> {
    let token = header
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("token "))
        })
        .ok_or("Requires authentication")?;
    if let Some(issued) = state.tokens.get(token) {
        if issued.expires_at <= SystemTime::now() {
            return Err("Bad credentials");
        }
        return Ok(match issued.installation {
            Some(id) => Caller::Installation(id),
            None => Caller::Token,
        });
    }
    let app = state.app.as_ref().ok_or("Bad credentials")?;
    let key =
        DecodingKey::from_rsa_pem(app.public_key_pem.as_bytes()).map_err(|_| "bad app key")?;
    let mut validation = Validation::new(Algorithm::RS256);
    // `iss` is a number for GitHub Apps; checked below.
    validation.set_required_spec_claims(&["exp", "iat"]);
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map_err(|_| "A JSON web token could not be decoded")?;
    let iss = match &data.claims.iss {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    };
    if iss != Some(app.id) {
        return Err("'Issuer' claim ('iss') must be an Integer");
    }
    Ok(Caller::App)
}

/// Mint an installation token.
pub fn mint(state: &mut State, installation: u64) -> (String, SystemTime) {
    let n = state.id();
    let token = format!("ghs_fake{n:020}");
    let expires_at = SystemTime::now() + state.token_lifetime;
    state.tokens.insert(
        token.clone(),
        IssuedToken {
            installation: Some(installation),
            expires_at,
            permissions: Some(state.app_permissions.clone()),
        },
    );
    (token, expires_at)
}

/// A plain token that never expires.
pub fn add_plain(state: &mut State, token: &str) {
    state.tokens.insert(
        token.to_string(),
        IssuedToken {
            installation: None,
            expires_at: SystemTime::now() + Duration::from_secs(86_400 * 365),
            permissions: None,
        },
    );
}
