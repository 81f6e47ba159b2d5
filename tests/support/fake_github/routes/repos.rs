//! Repository reads: listing, one repository, git trees and blobs (from the
//! bare repository), tags, releases, the rules of a branch.

use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};

use super::{Query, Shared, error, lock, ok, paginate};
use crate::support::fake_github::{git, json};

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

pub async fn org_repos(
    AxState(sh): AxState<Shared>,
    Path(org): Path<String>,
    q: Query,
) -> Response {
    let st = lock(&sh.state);
    if st.is_user(&org) {
        return not_found();
    }
    let items: Vec<Value> = st
        .repos
        .values()
        .filter(|r| !r.hidden && r.owner.eq_ignore_ascii_case(&org))
        .map(|r| json::minimal_repo(&st.base_url, r))
        .collect();
    if items.is_empty() && !st.installations.iter().any(|i| i.account == org) {
        return not_found();
    }
    paginate(
        &st.base_url,
        &format!("/orgs/{org}/repos"),
        &q,
        st.max_per_page,
        items,
        |p, _| Value::Array(p),
    )
}

/// `GET /users/{username}/repos`: the repositories an account owns (for an
/// organisation too, as GitHub does).
pub async fn user_repos(
    AxState(sh): AxState<Shared>,
    Path(user): Path<String>,
    q: Query,
) -> Response {
    let st = lock(&sh.state);
    let items: Vec<Value> = st
        .repos
        .values()
        .filter(|r| !r.hidden && r.owner.eq_ignore_ascii_case(&user))
        .map(|r| json::minimal_repo(&st.base_url, r))
        .collect();
    let known = st.is_user(&user) || st.installations.iter().any(|i| i.account == user);
    if items.is_empty() && !known {
        return not_found();
    }
    paginate(
        &st.base_url,
        &format!("/users/{user}/repos"),
        &q,
        st.max_per_page,
        items,
        |p, _| Value::Array(p),
    )
}

pub async fn repo(
    AxState(sh): AxState<Shared>,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let st = lock(&sh.state);
    match st.repo(&owner, &name) {
        Some(r) => ok(StatusCode::OK, json::full_repo(&st.base_url, r)),
        None => not_found(),
    }
}

pub async fn tree(
    AxState(sh): AxState<Shared>,
    Path((owner, name, rev)): Path<(String, String, String)>,
    q: Query,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    if git::branch_sha(&r.git_dir, &r.default_branch).is_none()
        && git::resolve(&r.git_dir, &rev).is_none()
    {
        return error(StatusCode::CONFLICT, "Git Repository is empty.");
    }
    let recursive = q
        .get("recursive")
        .is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let Some((sha, entries)) = git::tree(&r.git_dir, &rev, recursive) else {
        return not_found();
    };
    let full = r.full_name();
    let base = &st.base_url;
    let tree: Vec<Value> = entries
        .iter()
        .map(|e| {
            let kind = if e.kind == "tree" { "trees" } else { "blobs" };
            let mut v = json!({
                "path": e.path, "mode": e.mode, "type": e.kind, "sha": e.sha,
                "url": format!("{base}/repos/{full}/git/{kind}/{}", e.sha),
            });
            if let Some(size) = e.size {
                v["size"] = json!(size);
            }
            v
        })
        .collect();
    ok(
        StatusCode::OK,
        json::complete(
            "git-tree",
            json!({ "sha": sha, "url": format!("{base}/repos/{full}/git/trees/{sha}"), "tree": tree, "truncated": false }),
            base,
        ),
    )
}

pub async fn blob(
    AxState(sh): AxState<Shared>,
    Path((owner, name, sha)): Path<(String, String, String)>,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    let Some(bytes) = git::blob(&r.git_dir, &sha) else {
        return not_found();
    };
    // GitHub wraps base64 at 60 columns with newlines.
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let wrapped: Vec<&str> = encoded
        .as_bytes()
        .chunks(60)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect();
    ok(
        StatusCode::OK,
        json::complete(
            "blob",
            json!({
                "sha": sha, "node_id": format!("B_{sha}"), "size": bytes.len(),
                "url": format!("{}/repos/{}/git/blobs/{sha}", st.base_url, r.full_name()),
                "content": wrapped.join("\n") + "\n", "encoding": "base64",
            }),
            &st.base_url,
        ),
    )
}

pub async fn tags(
    AxState(sh): AxState<Shared>,
    Path((owner, name)): Path<(String, String)>,
    q: Query,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    let full = r.full_name();
    let items = git::tags(&r.git_dir)
        .iter()
        .map(|(n, sha)| json::tag(&st.base_url, &full, n, sha))
        .collect();
    paginate(
        &st.base_url,
        &format!("/repos/{full}/tags"),
        &q,
        st.max_per_page,
        items,
        |p, _| Value::Array(p),
    )
}

pub async fn releases(
    AxState(sh): AxState<Shared>,
    Path((owner, name)): Path<(String, String)>,
    q: Query,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    let mut rels: Vec<_> = r.releases.iter().collect();
    rels.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let items = rels
        .iter()
        .map(|rel| json::release(&st.base_url, r, rel))
        .collect();
    paginate(
        &st.base_url,
        &format!("/repos/{}/releases", r.full_name()),
        &q,
        st.max_per_page,
        items,
        |p, _| Value::Array(p),
    )
}

/// `GET /repos/{owner}/{repo}/rules/branches/{branch}`: the rules that
/// apply to the branch, here one ruleset's `required_status_checks` (and
/// nothing for an unprotected branch).
pub async fn branch_rules(
    AxState(sh): AxState<Shared>,
    Path((owner, name, branch)): Path<(String, String, String)>,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    match r.protection.get(&branch) {
        None => ok(StatusCode::OK, json!([])),
        Some(p) if p.unreadable => error(
            StatusCode::FORBIDDEN,
            "Resource not accessible by integration",
        ),
        Some(p) if p.required_checks.is_empty() => ok(StatusCode::OK, json!([])),
        Some(p) => ok(
            StatusCode::OK,
            json!([{
                "type": "required_status_checks",
                "parameters": {
                    "required_status_checks": p.required_checks.iter().map(|c| json!({ "context": c })).collect::<Vec<_>>(),
                    "strict_required_status_checks_policy": false,
                },
                "ruleset_source_type": "Repository",
                "ruleset_source": r.full_name(),
                "ruleset_id": 1,
            }]),
        ),
    }
}
