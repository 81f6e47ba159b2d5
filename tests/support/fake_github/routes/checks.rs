//! Commit statuses (combined, latest per context) and check runs
//! (latest per name, paginated), and re-requesting a check suite.

use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Query, Shared, error, lock, ok, paginate};
use crate::support::fake_github::json;
use crate::support::fake_github::state::{Repo, Status};

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

/// Latest status per context for `sha`, newest first.
fn latest_statuses(r: &Repo, sha: &str) -> Vec<Status> {
    let mut out: Vec<Status> = Vec::new();
    for s in r.statuses.get(sha).into_iter().flatten().rev() {
        if !out.iter().any(|o| o.context == s.context) {
            out.push(s.clone());
        }
    }
    out
}

/// `success` / `failure` / `pending` of one named check (status or run) on
/// `sha`, as branch protection sees it.
pub fn check_state(r: &Repo, sha: &str, name: &str) -> Option<String> {
    if let Some(s) = latest_statuses(r, sha)
        .into_iter()
        .find(|s| s.context == name)
    {
        return Some(if s.state == "error" {
            "failure".into()
        } else {
            s.state
        });
    }
    let run = r
        .check_runs
        .iter()
        .rev()
        .find(|c| c.head_sha == sha && c.name == name)?;
    Some(match (run.status.as_str(), run.conclusion.as_deref()) {
        ("completed", Some("success" | "neutral" | "skipped")) => "success".into(),
        ("completed", _) => "failure".into(),
        _ => "pending".into(),
    })
}

pub async fn combined(
    AxState(sh): AxState<Shared>,
    Path((owner, name, sha)): Path<(String, String, String)>,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    let latest = latest_statuses(r, &sha);
    let state = if latest
        .iter()
        .any(|s| s.state == "failure" || s.state == "error")
    {
        "failure"
    } else if latest.is_empty() || latest.iter().any(|s| s.state == "pending") {
        "pending"
    } else {
        "success"
    };
    let statuses: Vec<Value> = latest
        .iter()
        .map(|s| json::status(&st.base_url, s))
        .collect();
    ok(
        StatusCode::OK,
        json::combined_status(&st.base_url, r, &sha, &statuses, state),
    )
}

pub async fn runs(
    AxState(sh): AxState<Shared>,
    Path((owner, name, sha)): Path<(String, String, String)>,
    q: Query,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    let full = r.full_name();
    let mut seen: Vec<&str> = Vec::new();
    let mut items = Vec::new();
    for c in r.check_runs.iter().rev().filter(|c| c.head_sha == sha) {
        if !seen.contains(&c.name.as_str()) {
            seen.push(&c.name);
            items.push(json::check_run(&st.base_url, &full, c));
        }
    }
    items.reverse();
    paginate(
        &st.base_url,
        &format!("/repos/{full}/commits/{sha}/check-runs"),
        &q,
        st.max_per_page,
        items,
        |p, total| json!({ "total_count": total, "check_runs": p }),
    )
}

pub async fn rerequest(
    AxState(sh): AxState<Shared>,
    Path((owner, name, id)): Path<(String, String, u64)>,
) -> Response {
    let mut st = lock(&sh.state);
    let Some(r) = st.repo_mut(&owner, &name) else {
        return not_found();
    };
    let runs: Vec<usize> = r
        .check_runs
        .iter()
        .enumerate()
        .filter(|(_, c)| c.suite_id == id)
        .map(|(i, _)| i)
        .collect();
    if runs.is_empty() {
        return not_found();
    }
    if runs.iter().any(|&i| !r.check_runs[i].rerunnable) {
        return error(
            StatusCode::FORBIDDEN,
            "Resource not accessible by integration",
        );
    }
    for i in runs {
        r.check_runs[i].status = "queued".into();
        r.check_runs[i].conclusion = None;
    }
    r.rerequested.push(id);
    ok(StatusCode::CREATED, json!({}))
}
