//! GitHub's JSON shapes, built from the model. Complete enough that
//! octocrab's own models decode them (a test checks that), with absolute URLs
//! under the fake's base URL.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::state::{
    CheckRun, Comment, Installation, Label, Pull, PullState, Release, Repo, State, Status,
};

/// RFC 3339 in UTC, second precision.
pub fn time(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn id_of(login: &str) -> u64 {
    login
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
        % 1_000_000
}

/// A user (or bot, or organisation) object with every URL octocrab wants.
pub fn user(base: &str, login: &str) -> Value {
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    let u = format!("{base}/users/{login}");
    json!({
        "login": login,
        "id": id_of(login),
        "node_id": format!("U_{login}"),
        "avatar_url": format!("{base}/avatars/{login}"),
        "gravatar_id": "",
        "url": u,
        "html_url": format!("{base}/{login}"),
        "followers_url": format!("{u}/followers"),
        "following_url": format!("{u}/following{{/other_user}}"),
        "gists_url": format!("{u}/gists{{/gist_id}}"),
        "starred_url": format!("{u}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{u}/subscriptions"),
        "organizations_url": format!("{u}/orgs"),
        "repos_url": format!("{u}/repos"),
        "events_url": format!("{u}/events{{/privacy}}"),
        "received_events_url": format!("{u}/received_events"),
        "type": kind,
        "site_admin": false,
    })
}

pub fn repo(base: &str, r: &Repo) -> Value {
    let full = r.full_name();
    let api = format!("{base}/repos/{full}");
    json!({
        "id": r.id,
        "node_id": format!("R_{}", r.id),
        "name": r.name,
        "full_name": full,
        "owner": user(base, &r.owner),
        "private": r.private,
        "html_url": format!("{base}/{full}"),
        "description": null,
        "fork": r.fork,
        "url": api,
        "archived": r.archived,
        "disabled": r.disabled,
        "default_branch": r.default_branch,
        "clone_url": format!("file://{}", r.git_dir.display()),
        "git_url": format!("file://{}", r.git_dir.display()),
        "ssh_url": format!("git@fake:{full}.git"),
        "visibility": if r.private { "private" } else { "public" },
        "pulls_url": format!("{api}/pulls{{/number}}"),
        "tags_url": format!("{api}/tags"),
        "releases_url": format!("{api}/releases{{/id}}"),
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "pushed_at": "2024-01-01T00:00:00Z",
    })
}

/// `given` completed with the fields `#/components/schemas/{schema}`
/// requires and the model does not hold (see `contract::Spec::complete`).
pub fn complete(schema: &str, given: Value, base: &str) -> Value {
    super::contract::SPEC.complete(schema, given, base)
}

/// A repository in a listing (GitHub's "minimal repository").
pub fn minimal_repo(base: &str, r: &Repo) -> Value {
    complete("minimal-repository", repo(base, r), base)
}

/// `GET /repos/{owner}/{repo}` ("full repository").
pub fn full_repo(base: &str, r: &Repo) -> Value {
    complete("full-repository", repo(base, r), base)
}

pub fn label(base: &str, full: &str, l: &Label) -> Value {
    complete(
        "label",
        json!({
            "id": l.id,
            "node_id": format!("L_{}", l.id),
            "url": format!("{base}/repos/{full}/labels/{}", l.name),
            "name": l.name,
            "color": l.color,
            "default": false,
            "description": "",
        }),
        base,
    )
}

fn branch_ref(base: &str, r: &Repo, branch: &str, sha: &str) -> Value {
    json!({
        "label": format!("{}:{branch}", r.owner),
        "ref": branch,
        "sha": sha,
        "user": user(base, &r.owner),
        "repo": repo(base, r),
    })
}

/// A pull request; `head_sha` / `base_sha` read from the bare repository.
pub fn pull(base: &str, r: &Repo, p: &Pull, head_sha: &str, base_sha: &str) -> Value {
    let full = r.full_name();
    let api = format!("{base}/repos/{full}/pulls/{}", p.number);
    let labels: Vec<Value> = p
        .labels
        .iter()
        .filter_map(|name| r.labels.get(name))
        .map(|l| label(base, &full, l))
        .collect();
    json!({
        "id": p.id,
        "node_id": format!("PR_{}", p.id),
        "number": p.number,
        "url": api,
        "html_url": format!("{base}/{full}/pull/{}", p.number),
        "diff_url": format!("{base}/{full}/pull/{}.diff", p.number),
        "patch_url": format!("{base}/{full}/pull/{}.patch", p.number),
        "issue_url": format!("{base}/repos/{full}/issues/{}", p.number),
        "commits_url": format!("{api}/commits"),
        "review_comments_url": format!("{api}/comments"),
        "comments_url": format!("{base}/repos/{full}/issues/{}/comments", p.number),
        "statuses_url": format!("{base}/repos/{full}/statuses/{head_sha}"),
        "state": if p.state == PullState::Open { "open" } else { "closed" },
        "locked": false,
        "title": p.title,
        "body": p.body,
        "user": user(base, &p.user),
        "labels": labels,
        "draft": p.draft,
        "merged_at": p.merged_at.map(time),
        "merge_commit_sha": p.merge_sha,
        "created_at": time(p.created_at),
    "updated_at": time(p.created_at + std::time::Duration::from_secs(p.revision)),
        "closed_at": if p.state == PullState::Open { None } else { Some(time(p.merged_at.unwrap_or(p.created_at))) },
        "requested_reviewers": p.reviewers.iter().map(|l| user(base, l)).collect::<Vec<_>>(),
        "requested_teams": [],
        "head": branch_ref(base, r, &p.head, head_sha),
        "base": branch_ref(base, r, &p.base, base_sha),
        "author_association": "NONE",
    })
}

/// A pull request as the issues API answers it.
pub fn issue(base: &str, r: &Repo, p: &Pull) -> Value {
    let full = r.full_name();
    let closed = p.state != PullState::Open;
    complete(
        "issue",
        json!({
            "id": p.id,
            "node_id": format!("I_{}", p.id),
            "url": format!("{base}/repos/{full}/issues/{}", p.number),
            "repository_url": format!("{base}/repos/{full}"),
            "labels_url": format!("{base}/repos/{full}/issues/{}/labels{{/name}}", p.number),
            "comments_url": format!("{base}/repos/{full}/issues/{}/comments", p.number),
            "events_url": format!("{base}/repos/{full}/issues/{}/events", p.number),
            "html_url": format!("{base}/{full}/pull/{}", p.number),
            "number": p.number,
            "state": if closed { "closed" } else { "open" },
            "title": p.title,
            "body": p.body,
            "user": user(base, &p.user),
            "labels": [],
            "assignee": null,
            "milestone": null,
            "locked": false,
            "comments": p.comments.len(),
            "closed_at": closed.then(|| time(p.merged_at.unwrap_or(p.created_at))),
            "closed_by": p.closed_by.as_deref().or(p.merged_by.as_deref()).map(|l| user(base, l)),
            "created_at": time(p.created_at),
            "updated_at": time(p.created_at + std::time::Duration::from_secs(p.revision)),
            "author_association": "NONE",
        }),
        base,
    )
}

/// One entry of a pull request's reviews.
pub fn review(base: &str, r: &Repo, p: &Pull, id: u64, login: &str, state: &str) -> Value {
    let full = r.full_name();
    let id = p.id * 1000 + id;
    complete(
        "pull-request-review",
        json!({
            "id": id,
            "node_id": format!("PRR_{id}"),
            "user": user(base, login),
            "body": "",
            "state": state,
            "html_url": format!("{base}/{full}/pull/{}#pullrequestreview-{id}", p.number),
            "pull_request_url": format!("{base}/repos/{full}/pulls/{}", p.number),
            "submitted_at": time(p.created_at),
            "author_association": "MEMBER",
        }),
        base,
    )
}

pub fn comment(base: &str, full: &str, number: u64, c: &Comment) -> Value {
    complete(
        "issue-comment",
        json!({
            "id": c.id,
            "node_id": format!("IC_{}", c.id),
            "url": format!("{base}/repos/{full}/issues/comments/{}", c.id),
            "html_url": format!("{base}/{full}/pull/{number}#issuecomment-{}", c.id),
            "issue_url": format!("{base}/repos/{full}/issues/{number}"),
            "body": c.body,
            "user": user(base, &c.user),
            "created_at": time(c.created_at),
            "updated_at": time(c.created_at),
            "author_association": "NONE",
        }),
        base,
    )
}

pub fn release(base: &str, r: &Repo, rel: &Release) -> Value {
    let full = r.full_name();
    let api = format!("{base}/repos/{full}/releases/{}", rel.id);
    complete(
        "release",
        json!({
            "url": api,
            "html_url": format!("{base}/{full}/releases/tag/{}", rel.tag),
            "assets_url": format!("{api}/assets"),
            "upload_url": format!("{base}/uploads/repos/{full}/releases/{}/assets{{?name,label}}", rel.id),
            "tarball_url": format!("{base}/repos/{full}/tarball/{}", rel.tag),
            "zipball_url": format!("{base}/repos/{full}/zipball/{}", rel.tag),
            "id": rel.id,
            "node_id": format!("RE_{}", rel.id),
            "tag_name": rel.tag,
            "target_commitish": r.default_branch,
            "name": rel.name,
            "body": rel.body,
            "draft": rel.draft,
            "prerelease": rel.prerelease,
            "created_at": time(rel.created_at),
            "published_at": if rel.draft { None } else { Some(time(rel.created_at)) },
            "author": user(base, "release-bot"),
            "assets": [],
        }),
        base,
    )
}

pub fn tag(base: &str, full: &str, name: &str, sha: &str) -> Value {
    complete(
        "tag",
        json!({
            "name": name,
            "commit": { "sha": sha, "url": format!("{base}/repos/{full}/commits/{sha}") },
            "zipball_url": format!("{base}/repos/{full}/zipball/refs/tags/{name}"),
            "tarball_url": format!("{base}/repos/{full}/tarball/refs/tags/{name}"),
            "node_id": format!("T_{name}"),
        }),
        base,
    )
}

pub fn status(base: &str, s: &Status) -> Value {
    json!({
        "id": s.id,
        "node_id": format!("S_{}", s.id),
        "url": format!("{base}/statuses/{}", s.id),
        "avatar_url": null,
        "state": s.state,
        "description": null,
        "target_url": s.target_url,
        "context": s.context,
        "created_at": time(s.created_at),
        "updated_at": time(s.created_at),
    })
}

pub fn combined_status(base: &str, r: &Repo, sha: &str, statuses: &[Value], state: &str) -> Value {
    complete(
        "combined-commit-status",
        json!({
            "state": state,
            "sha": sha,
            "total_count": statuses.len(),
            "statuses": statuses,
            "repository": repo(base, r),
            "commit_url": format!("{base}/repos/{}/commits/{sha}", r.full_name()),
            "url": format!("{base}/repos/{}/commits/{sha}/status", r.full_name()),
        }),
        base,
    )
}

pub fn check_run(base: &str, full: &str, c: &CheckRun) -> Value {
    complete(
        "check-run",
        json!({
            "id": c.id,
            "node_id": format!("CR_{}", c.id),
            "head_sha": c.head_sha,
            "external_id": "",
            "url": format!("{base}/repos/{full}/check-runs/{}", c.id),
            "html_url": format!("{base}/{full}/runs/{}", c.id),
            "details_url": format!("{base}/{full}/runs/{}", c.id),
            "status": c.status,
            "conclusion": c.conclusion,
            "started_at": "2024-01-01T00:00:00Z",
            "completed_at": if c.status == "completed" { Some("2024-01-01T00:05:00Z") } else { None },
            "output": { "title": null, "summary": null, "text": null, "annotations_count": 0,
                        "annotations_url": format!("{base}/repos/{full}/check-runs/{}/annotations", c.id) },
            "name": c.name,
            "check_suite": { "id": c.suite_id },
            "app": { "id": 1, "slug": c.app_slug, "name": c.app_slug },
            "pull_requests": [],
        }),
        base,
    )
}

pub fn installation(base: &str, state: &State, i: &Installation) -> Value {
    let (id, account) = (i.id, i.account.as_str());
    complete(
        "installation",
        json!({
            "id": id,
            "account": user(base, account),
            "access_tokens_url": format!("{base}/app/installations/{id}/access_tokens"),
            "repositories_url": format!("{base}/installation/repositories"),
            "html_url": format!("{base}/organizations/{account}/settings/installations/{id}"),
            "app_id": state.app.as_ref().map(|a| a.id).unwrap_or(0),
            "target_id": 1,
            "target_type": if i.user { "User" } else { "Organization" },
            "permissions": state.app_permissions,
            "events": ["pull_request", "check_run", "status", "release"],
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
            "single_file_name": null,
            "repository_selection": "all",
        }),
        base,
    )
}

pub fn error(message: &str) -> Value {
    json!({ "message": message, "documentation_url": "https://docs.github.com/rest" })
}
