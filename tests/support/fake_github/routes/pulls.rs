//! Pull requests, their comments, labels and reviewers, and merging under
//! branch protection (required reviews and required checks). Head SHAs are
//! read from the bare repository on every answer.

use std::time::SystemTime;

use axum::Json;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::checks::check_state;
use super::{Query, Shared, error, lock, ok, paginate};
use crate::support::fake_github::state::{Comment, Label, Pull, PullState, Repo, State};
use crate::support::fake_github::{git, json};

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

/// A pull request as listings and the reviewers answer give it ("pull
/// request simple": no `merged`, no counts).
fn pull_simple(st: &State, r: &Repo, p: &Pull) -> Value {
    json::complete("pull-request-simple", pull_fields(st, r, p), &st.base_url)
}

/// A pull request as `GET`/`POST`/`PATCH` of one give it.
fn pull_json(st: &State, r: &Repo, p: &Pull) -> Value {
    let mut v = pull_fields(st, r, p);
    v["merged"] = Value::Bool(p.state == PullState::Merged);
    v["merged_by"] = p
        .merged_by
        .as_deref()
        .map_or(Value::Null, |l| json::user(&st.base_url, l));
    v["comments"] = Value::from(p.comments.len());
    // Computed by GitHub in the background; the fake never has.
    v["mergeable_state"] = Value::from("unknown");
    json::complete("pull-request", v, &st.base_url)
}

fn pull_fields(st: &State, r: &Repo, p: &Pull) -> Value {
    let head = git::branch_sha(&r.git_dir, &p.head)
        .or_else(|| p.merge_sha.clone())
        .unwrap_or_default();
    let base = git::branch_sha(&r.git_dir, &p.base).unwrap_or_default();
    json::pull(&st.base_url, r, p, &head, &base)
}

fn validation(message: &str) -> Response {
    error(StatusCode::UNPROCESSABLE_ENTITY, message)
}

pub async fn list(
    AxState(sh): AxState<Shared>,
    Path((owner, name)): Path<(String, String)>,
    q: Query,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    let state = q.get("state").map(String::as_str).unwrap_or("open");
    let head = q.get("head").cloned();
    let mut pulls: Vec<&Pull> = r
        .pulls
        .iter()
        .filter(|p| match state {
            "all" => true,
            "closed" => p.state != PullState::Open,
            _ => p.state == PullState::Open,
        })
        .filter(|p| {
            head.as_ref()
                .is_none_or(|h| *h == format!("{}:{}", r.owner, p.head))
        })
        .collect();
    pulls.sort_by_key(|p| std::cmp::Reverse(p.number));
    let items = pulls.iter().map(|p| pull_simple(&st, r, p)).collect();
    paginate(
        &st.base_url,
        &format!("/repos/{}/pulls", r.full_name()),
        &q,
        st.max_per_page,
        items,
        |p, _| Value::Array(p),
    )
}

pub async fn one(
    AxState(sh): AxState<Shared>,
    Path((owner, name, number)): Path<(String, String, u64)>,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    match r.pulls.iter().find(|p| p.number == number) {
        Some(p) => ok(StatusCode::OK, pull_json(&st, r, p)),
        None => not_found(),
    }
}

pub async fn create(
    AxState(sh): AxState<Shared>,
    Path((owner, name)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = lock(&sh.state);
    let id = st.id();
    let bot = st.bot_login.clone();
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    let (Some(title), Some(head), Some(base)) = (
        body["title"].as_str(),
        body["head"].as_str(),
        body["base"].as_str(),
    ) else {
        return validation("Validation Failed: title, head and base are required");
    };
    let head = head.rsplit(':').next().unwrap_or(head).to_string();
    if r.archived {
        return error(
            StatusCode::FORBIDDEN,
            "Repository was archived so is read-only.",
        );
    }
    if git::branch_sha(&r.git_dir, &head).is_none() || git::branch_sha(&r.git_dir, base).is_none() {
        return validation("Validation Failed: head or base invalid");
    }
    if r.pulls
        .iter()
        .any(|p| p.state == PullState::Open && p.head == head)
    {
        return validation(&format!(
            "Validation Failed: A pull request already exists for {owner}:{head}."
        ));
    }
    let number = r.pulls.iter().map(|p| p.number).max().unwrap_or(0) + 1;
    let pull = Pull {
        id,
        number,
        title: title.to_string(),
        body: body["body"].as_str().unwrap_or("").to_string(),
        head,
        base: base.to_string(),
        draft: body["draft"].as_bool().unwrap_or(false),
        state: PullState::Open,
        user: bot,
        labels: vec![],
        reviewers: vec![],
        team_reviewers: vec![],
        approvals: vec![],
        comments: vec![],
        created_at: SystemTime::now(),
        merged_at: None,
        merge_sha: None,
        merged_by: None,
        closed_by: None,
        reviews: vec![],
        revision: 0,
    };
    let Some(r) = st.repo_mut(&owner, &name) else {
        return not_found();
    };
    r.pulls.push(pull);
    let (st, r) = (&*st, st.repo(&owner, &name));
    match r.and_then(|r| r.pulls.last().map(|p| (r, p))) {
        Some((r, p)) => ok(StatusCode::CREATED, pull_json(st, r, p)),
        None => not_found(),
    }
}

pub async fn update(
    AxState(sh): AxState<Shared>,
    Path((owner, name, number)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = lock(&sh.state);
    let Some(r) = st.repo_mut(&owner, &name) else {
        return not_found();
    };
    let Some(p) = r.pulls.iter_mut().find(|p| p.number == number) else {
        return not_found();
    };
    if let Some(t) = body["title"].as_str() {
        p.title = t.to_string();
    }
    if let Some(b) = body["body"].as_str() {
        p.body = b.to_string();
    }
    match body["state"].as_str() {
        Some("closed") if p.state == PullState::Open => p.state = PullState::Closed,
        Some("open") if p.state == PullState::Closed => p.state = PullState::Open,
        _ => {}
    }
    let st = &*st;
    let r = st.repo(&owner, &name).expect("repo just seen");
    let p = r
        .pulls
        .iter()
        .find(|p| p.number == number)
        .expect("pull just seen");
    ok(StatusCode::OK, pull_json(st, r, p))
}

/// `GET /repos/{owner}/{repo}/issues/{number}`: the issue side of a pull
/// request (who closed it).
pub async fn issue(
    AxState(sh): AxState<Shared>,
    Path((owner, name, number)): Path<(String, String, u64)>,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    match r.pulls.iter().find(|p| p.number == number) {
        Some(p) => ok(StatusCode::OK, json::issue(&st.base_url, r, p)),
        None => not_found(),
    }
}

/// `GET /repos/{owner}/{repo}/pulls/{number}/reviews`.
pub async fn reviews(
    AxState(sh): AxState<Shared>,
    Path((owner, name, number)): Path<(String, String, u64)>,
    q: Query,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    let Some(p) = r.pulls.iter().find(|p| p.number == number) else {
        return not_found();
    };
    let items: Vec<Value> = p
        .reviews
        .iter()
        .enumerate()
        .map(|(i, (login, state))| json::review(&st.base_url, r, p, i as u64 + 1, login, state))
        .collect();
    paginate(
        &st.base_url,
        &format!("/repos/{}/pulls/{number}/reviews", r.full_name()),
        &q,
        st.max_per_page,
        items,
        |p, _| Value::Array(p),
    )
}

pub async fn reviewers(
    AxState(sh): AxState<Shared>,
    Path((owner, name, number)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = lock(&sh.state);
    let Some(r) = st.repo_mut(&owner, &name) else {
        return not_found();
    };
    let Some(p) = r.pulls.iter_mut().find(|p| p.number == number) else {
        return not_found();
    };
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    p.reviewers.extend(strings(&body["reviewers"]));
    p.team_reviewers.extend(strings(&body["team_reviewers"]));
    let st = &*st;
    let r = st.repo(&owner, &name).expect("repo just seen");
    let p = r
        .pulls
        .iter()
        .find(|p| p.number == number)
        .expect("pull just seen");
    ok(StatusCode::CREATED, pull_simple(st, r, p))
}

pub async fn add_labels(
    AxState(sh): AxState<Shared>,
    Path((owner, name, number)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = lock(&sh.state);
    let names: Vec<String> = body["labels"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let ids: Vec<u64> = names.iter().map(|_| st.id()).collect();
    let base = st.base_url.clone();
    let Some(r) = st.repo_mut(&owner, &name) else {
        return not_found();
    };
    let full = r.full_name();
    for (n, id) in names.iter().zip(ids) {
        r.labels.entry(n.clone()).or_insert(Label {
            id,
            name: n.clone(),
            color: "ededed".into(),
        });
    }
    let Some(p) = r.pulls.iter_mut().find(|p| p.number == number) else {
        return not_found();
    };
    for n in names {
        if !p.labels.contains(&n) {
            p.labels.push(n);
        }
    }
    let labels: Vec<Value> = p
        .labels
        .iter()
        .filter_map(|n| r.labels.get(n))
        .map(|l| json::label(&base, &full, l))
        .collect();
    ok(StatusCode::OK, Value::Array(labels))
}

pub async fn comments(
    AxState(sh): AxState<Shared>,
    Path((owner, name, number)): Path<(String, String, u64)>,
    q: Query,
) -> Response {
    let st = lock(&sh.state);
    let Some(r) = st.repo(&owner, &name) else {
        return not_found();
    };
    let Some(p) = r.pulls.iter().find(|p| p.number == number) else {
        return not_found();
    };
    let full = r.full_name();
    let items = p
        .comments
        .iter()
        .map(|c| json::comment(&st.base_url, &full, number, c))
        .collect();
    paginate(
        &st.base_url,
        &format!("/repos/{full}/issues/{number}/comments"),
        &q,
        st.max_per_page,
        items,
        |p, _| Value::Array(p),
    )
}

pub async fn add_comment(
    AxState(sh): AxState<Shared>,
    Path((owner, name, number)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = lock(&sh.state);
    let id = st.id();
    let bot = st.bot_login.clone();
    let base = st.base_url.clone();
    let Some(text) = body["body"].as_str() else {
        return validation("Validation Failed: body is required");
    };
    let Some(r) = st.repo_mut(&owner, &name) else {
        return not_found();
    };
    let full = r.full_name();
    let Some(p) = r.pulls.iter_mut().find(|p| p.number == number) else {
        return not_found();
    };
    let c = Comment {
        id,
        user: bot,
        body: text.to_string(),
        created_at: SystemTime::now(),
    };
    let v = json::comment(&base, &full, number, &c);
    p.comments.push(c);
    ok(StatusCode::CREATED, v)
}

pub async fn merge(
    AxState(sh): AxState<Shared>,
    Path((owner, name, number)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = lock(&sh.state);
    let bot = st.bot_login.clone();
    let Some(r) = st.repo_mut(&owner, &name) else {
        return not_found();
    };
    let dir = r.git_dir.clone();
    let protection = r
        .protection
        .get(&r.default_branch)
        .cloned()
        .unwrap_or_default();
    let Some(idx) = r.pulls.iter().position(|p| p.number == number) else {
        return not_found();
    };
    let p = &r.pulls[idx];
    if p.state != PullState::Open {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Pull Request is not mergeable",
        );
    }
    let head_sha = git::branch_sha(&dir, &p.head).unwrap_or_default();
    if let Some(sha) = body["sha"].as_str()
        && sha != head_sha
    {
        return error(
            StatusCode::CONFLICT,
            "Head branch was modified. Review and try the merge again.",
        );
    }
    if (p.approvals.len() as u32) < protection.required_reviews {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!(
                "At least {} approving review is required by reviewers with write access.",
                protection.required_reviews
            ),
        );
    }
    for check in &protection.required_checks {
        if check_state(r, &head_sha, check).as_deref() != Some("success") {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("Required status check \"{check}\" is expected."),
            );
        }
    }
    let (base, head, title) = (p.base.clone(), p.head.clone(), p.title.clone());
    let Some(merged) = git::squash_merge(&dir, &base, &head, &format!("{title} (#{number})"))
    else {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Pull Request is not mergeable",
        );
    };
    let p = &mut r.pulls[idx];
    p.state = PullState::Merged;
    p.merged_at = Some(SystemTime::now());
    p.merge_sha = Some(merged.clone());
    p.merged_by = Some(bot);
    p.revision += 1;
    ok(
        StatusCode::OK,
        json::complete(
            "pull-request-merge-result",
            json!({ "sha": merged, "merged": true, "message": "Pull Request successfully merged" }),
            &st.base_url,
        ),
    )
}
