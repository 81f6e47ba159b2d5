//! App endpoints: the org's installation, minting installation tokens, the
//! installation's repositories.

use axum::Extension;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{Query, Shared, error, lock, ok, paginate};
use crate::support::fake_github::auth::{self, Caller};
use crate::support::fake_github::json;

/// `GET /orgs/{org}/installation`: an organisation's installation (404
/// for a user account).
pub async fn org_installation(AxState(sh): AxState<Shared>, Path(org): Path<String>) -> Response {
    installation_of(&sh, &org, false)
}

/// `GET /users/{username}/installation`: a user account's installation.
pub async fn user_installation(AxState(sh): AxState<Shared>, Path(user): Path<String>) -> Response {
    installation_of(&sh, &user, true)
}

fn installation_of(sh: &Shared, account: &str, user: bool) -> Response {
    let st = lock(&sh.state);
    match st
        .installations
        .iter()
        .find(|i| i.account.eq_ignore_ascii_case(account) && i.user == user)
    {
        Some(i) => ok(StatusCode::OK, json::installation(&st.base_url, &st, i)),
        None => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

pub async fn access_token(AxState(sh): AxState<Shared>, Path(id): Path<u64>) -> Response {
    let mut st = lock(&sh.state);
    if !st.installations.iter().any(|i| i.id == id) {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    let (token, expires) = auth::mint(&mut st, id);
    ok(
        StatusCode::CREATED,
        json::complete(
            "installation-token",
            json!({
                "token": token,
                "expires_at": json::time(expires),
                "permissions": st.app_permissions,
                "repository_selection": "all",
            }),
            &st.base_url,
        ),
    )
}

pub async fn installation_repos(
    AxState(sh): AxState<Shared>,
    Extension(caller): Extension<Caller>,
    q: Query,
) -> Response {
    let st = lock(&sh.state);
    let Caller::Installation(id) = caller else {
        return error(
            StatusCode::FORBIDDEN,
            "You must authenticate with an installation access token",
        );
    };
    let Some(inst) = st.installations.iter().find(|i| i.id == id) else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    let items = st
        .repos
        .values()
        .filter(|r| !r.hidden && r.owner.eq_ignore_ascii_case(&inst.account))
        .map(|r| json::complete("repository", json::repo(&st.base_url, r), &st.base_url))
        .collect();
    paginate(
        &st.base_url,
        "/installation/repositories",
        &q,
        st.max_per_page,
        items,
        |page, total| json!({ "total_count": total, "repository_selection": "all", "repositories": page }),
    )
}
