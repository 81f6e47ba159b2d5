//! What each endpoint the fake serves needs from the caller, as GitHub
//! documents it for GitHub Apps, and the check the gate runs with it.
//!
//! Source: GitHub Docs, "Permissions required for GitHub Apps"
//! (<https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps>),
//! and each operation's own page (its `externalDocs` in
//! `tests/data/github/openapi-subset.json`), section "Fine-grained access
//! tokens" / "GitHub App installation access tokens". The REST description
//! (`@octokit/openapi`) carries no permission metadata (its `x-github` has
//! only `enabledForGitHubApps`), so the table is written here by hand.
//! Where the docs accept either of two permissions (comments and labels:
//! "Issues" or "Pull requests"), a token with either passes.
//!
//! Webhook events need permissions too (an App receives an event only with
//! the permission the event's docs name): [`EVENTS`], from GitHub Docs,
//! "Webhook events and payloads"
//! (<https://docs.github.com/en/webhooks/webhook-events-and-payloads>).

use std::collections::BTreeMap;

/// `read` < `write`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Read,
    Write,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "read" => Some(Level::Read),
            "write" | "admin" => Some(Level::Write),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Write => "write",
        }
    }
}

/// Who may call an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// The App itself (a JWT), no installation permission.
    App,
    /// Any installation token: no permission beyond being installed.
    Installed,
    /// An installation token with one of these (permission, level).
    AnyOf(&'static [(&'static str, Level)]),
}

use Level::{Read, Write};

/// (method, path template as in the REST description, needs).
pub const TABLE: &[(&str, &str, Needs)] = &[
    ("GET", "/orgs/{org}/installation", Needs::App),
    ("GET", "/users/{username}/installation", Needs::App),
    (
        "POST",
        "/app/installations/{installation_id}/access_tokens",
        Needs::App,
    ),
    ("GET", "/installation/repositories", Needs::Installed),
    (
        "GET",
        "/orgs/{org}/repos",
        Needs::AnyOf(&[("metadata", Read)]),
    ),
    (
        "GET",
        "/users/{username}/repos",
        Needs::AnyOf(&[("metadata", Read)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}",
        Needs::AnyOf(&[("metadata", Read)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/git/trees/{tree_sha}",
        Needs::AnyOf(&[("contents", Read)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/git/blobs/{file_sha}",
        Needs::AnyOf(&[("contents", Read)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/tags",
        Needs::AnyOf(&[("metadata", Read)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/releases",
        Needs::AnyOf(&[("contents", Read)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/rules/branches/{branch}",
        Needs::AnyOf(&[("metadata", Read)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/pulls",
        Needs::AnyOf(&[("pull_requests", Read)]),
    ),
    (
        "POST",
        "/repos/{owner}/{repo}/pulls",
        Needs::AnyOf(&[("pull_requests", Write)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/pulls/{pull_number}",
        Needs::AnyOf(&[("pull_requests", Read)]),
    ),
    (
        "PATCH",
        "/repos/{owner}/{repo}/pulls/{pull_number}",
        Needs::AnyOf(&[("pull_requests", Write)]),
    ),
    (
        "PUT",
        "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
        Needs::AnyOf(&[("contents", Write)]),
    ),
    (
        "POST",
        "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        Needs::AnyOf(&[("pull_requests", Write)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        Needs::AnyOf(&[("pull_requests", Read)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}",
        Needs::AnyOf(&[("issues", Read), ("pull_requests", Read)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        Needs::AnyOf(&[("issues", Read), ("pull_requests", Read)]),
    ),
    (
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        Needs::AnyOf(&[("issues", Write), ("pull_requests", Write)]),
    ),
    (
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        Needs::AnyOf(&[("issues", Write), ("pull_requests", Write)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/commits/{ref}/status",
        Needs::AnyOf(&[("statuses", Read)]),
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/commits/{ref}/check-runs",
        Needs::AnyOf(&[("checks", Read)]),
    ),
    (
        "POST",
        "/repos/{owner}/{repo}/check-suites/{check_suite_id}/rerequest",
        Needs::AnyOf(&[("checks", Write)]),
    ),
];

/// Pushing over git with an installation token (GitHub Docs,
/// "Authenticating as a GitHub App installation": git access needs the
/// "Contents" permission; writing, `write`).
pub const GIT_PUSH: (&str, Level) = ("contents", Write);

/// The permission each webhook event wavebump subscribes to needs
/// (`installation*` and `ping` need none).
pub const EVENTS: &[(&str, &str, Level)] = &[
    ("release", "contents", Read),
    ("create", "contents", Read),
    ("push", "contents", Read),
    ("check_run", "checks", Read),
    ("check_suite", "checks", Read),
    ("status", "statuses", Read),
    ("pull_request", "pull_requests", Read),
    ("pull_request_review", "pull_requests", Read),
    ("issue_comment", "issues", Read),
];

/// Every App has `metadata: read` (GitHub grants it to every App).
pub const ALWAYS: (&str, Level) = ("metadata", Read);

/// What `method template` needs; `None` for an endpoint not in the table.
pub fn needs(method: &str, template: &str) -> Option<Needs> {
    TABLE
        .iter()
        .find(|(m, t, _)| *m == method && *t == template)
        .map(|(_, _, n)| *n)
}

/// Whether `granted` (permission → level) satisfies `needs`.
pub fn allows(granted: &BTreeMap<String, String>, needs: Needs) -> bool {
    match needs {
        Needs::App | Needs::Installed => true,
        Needs::AnyOf(options) => options.iter().any(|(name, level)| {
            granted
                .get(*name)
                .and_then(|l| Level::parse(l))
                .is_some_and(|have| have >= *level)
        }),
    }
}

/// The permissions `app.yml` (the crate's App manifest) requests.
pub fn manifest_permissions() -> BTreeMap<String, String> {
    let path = crate::support::crate_root().join("app.yml");
    let text = std::fs::read_to_string(&path).expect("app.yml");
    let v: serde_json::Value = serde_saphyr::from_str(&text).expect("app.yml is YAML");
    serde_json::from_value(v["default_permissions"].clone()).expect("default_permissions")
}
