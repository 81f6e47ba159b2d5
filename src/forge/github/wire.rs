//! The parts of GitHub's REST answers the forge reads, as serde structs.
//!
//! Invariant: only fields the forge uses are declared; a field GitHub always
//! sends is required here, so an answer missing it fails to decode and
//! becomes `ForgeError::BadAnswer` naming the endpoint (see `api::decode`).
//! Fields GitHub may omit or null are `Option` / `#[serde(default)]`.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Installation {
    pub id: u64,
}

#[derive(Debug, Deserialize)]
pub struct InstallationRepos {
    pub repositories: Vec<Repo>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Repo {
    pub full_name: String,
    /// Absent for a repository without any commit on some GHES versions.
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub fork: bool,
    #[serde(default)]
    pub disabled: bool,
    /// Optional in the "minimal repository" answers of `GET
    /// /orgs/{org}/repos` and `GET /users/{username}/repos`: see
    /// [`Repo::push_url`] for the fallback.
    #[serde(default)]
    pub clone_url: Option<String>,
    /// Required by every repository schema, but only a fallback here.
    #[serde(default)]
    pub html_url: Option<String>,
}

impl Repo {
    /// Where git pushes: `clone_url`; else `{html_url}.git`; else
    /// `{web}/{full_name}.git`, `web` being the web root of the API
    /// (`auth::web_base`): GitHub serves every repository at those URLs.
    pub fn push_url(&self, web: &str) -> String {
        match (&self.clone_url, &self.html_url) {
            (Some(url), _) => url.clone(),
            (None, Some(html)) => format!("{}.git", html.trim_end_matches('/')),
            (None, None) => format!("{}/{}.git", web.trim_end_matches('/'), self.full_name),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Tree {
    pub tree: Vec<TreeEntry>,
    #[serde(default)]
    pub truncated: bool,
}

#[derive(Debug, Deserialize)]
pub struct TreeEntry {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
}

#[derive(Debug, Deserialize)]
pub struct Blob {
    pub content: String,
    pub encoding: String,
}

#[derive(Debug, Deserialize)]
pub struct Tag {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct Release {
    pub tag_name: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    pub prerelease: bool,
    pub draft: bool,
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PullRef {
    #[serde(rename = "ref")]
    pub branch: String,
    pub sha: String,
}

#[derive(Debug, Deserialize)]
pub struct Pull {
    pub number: u64,
    pub html_url: String,
    pub state: String,
    pub title: String,
    #[serde(default)]
    pub draft: Option<bool>,
    #[serde(default)]
    pub merged_at: Option<String>,
    #[serde(default)]
    pub merged: Option<bool>,
    #[serde(default)]
    pub merged_by: Option<Login>,
    #[serde(default)]
    pub updated_at: Option<String>,
    pub head: PullRef,
}

/// `GET /repos/{o}/{r}/issues/{n}` (a pull request is an issue): who
/// closed it.
#[derive(Debug, Deserialize)]
pub struct Issue {
    #[serde(default)]
    pub closed_by: Option<Login>,
}

/// One entry of `GET /repos/{o}/{r}/pulls/{n}/reviews`.
#[derive(Debug, Deserialize)]
pub struct Review {
    /// Absent for a deleted account.
    #[serde(default)]
    pub user: Option<Login>,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`.
    pub state: String,
    #[serde(default)]
    pub submitted_at: Option<String>,
}

/// A user as an answer names them.
#[derive(Debug, Deserialize)]
pub struct Login {
    pub login: String,
}

#[derive(Debug, Deserialize)]
pub struct CombinedStatus {
    pub statuses: Vec<Status>,
}

#[derive(Debug, Deserialize)]
pub struct Status {
    pub context: String,
    pub state: String,
    #[serde(default)]
    pub target_url: Option<String>,
    /// A short description of the status ("3 tests failed").
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CheckRuns {
    pub check_runs: Vec<CheckRun>,
}

#[derive(Debug, Deserialize)]
pub struct CheckRun {
    pub name: String,
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub check_suite: Option<SuiteRef>,
    #[serde(default)]
    pub output: Option<CheckOutput>,
}

/// What a check run reports about itself.
#[derive(Debug, Default, Deserialize)]
pub struct CheckOutput {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SuiteRef {
    pub id: u64,
}

/// One rule of `GET /repos/{owner}/{repo}/rules/branches/{branch}`; only
/// `required_status_checks` rules are read (`parameters` is required for
/// them, optional for others).
#[derive(Debug, Deserialize)]
pub struct BranchRule {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub parameters: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct RequiredStatusChecks {
    pub required_status_checks: Vec<RequiredCheck>,
}

#[derive(Debug, Deserialize)]
pub struct RequiredCheck {
    pub context: String,
}

#[derive(Debug, Deserialize)]
pub struct MergeResult {
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub message: Option<String>,
}

/// GitHub's error body.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_repository_without_clone_url_decodes_and_derives_one() {
        // GitHub's "minimal repository" (GET /orgs/{org}/repos) does not
        // guarantee `clone_url`, `default_branch`, `archived`, `disabled`.
        let minimal: Repo = serde_json::from_str(
            r#"{"full_name":"acme/svc","fork":false,"html_url":"https://github.com/acme/svc"}"#,
        )
        .unwrap();
        assert_eq!(
            minimal.push_url("https://github.com"),
            "https://github.com/acme/svc.git"
        );
        assert_eq!(minimal.default_branch, None);
        assert!(!minimal.archived && !minimal.disabled);
        let bare: Repo = serde_json::from_str(r#"{"full_name":"acme/svc"}"#).unwrap();
        assert_eq!(
            bare.push_url("https://ghe.example/"),
            "https://ghe.example/acme/svc.git"
        );
        let full: Repo = serde_json::from_str(
            r#"{"full_name":"acme/svc","clone_url":"https://x/acme/svc.git","html_url":"https://y/acme/svc"}"#,
        )
        .unwrap();
        assert_eq!(
            full.push_url("https://github.com"),
            "https://x/acme/svc.git"
        );
    }
}
