//! The write side (`ForgeWrite`): releases, pull requests (find before
//! create; labels and reviewers on create), comments, CI state of a commit,
//! merges that respect branch protection, re-runs of failed check suites
//! (commit statuses have no re-run API: reported as such), and branch
//! pushes, empty commits included (delegated to the `git` module with the
//! installation token).
//!
//! Invariant: `create_pr` never opens a second PR for a head branch: GitHub's
//! "already exists" answer is resolved to the existing PR.

use http::Method;
use serde_json::json;

use super::api::{ApiError, Request, decode};
use super::{GitHubForge, ci, repo_error, to_forge_error, wire};
use crate::forge::{
    BranchPush, CiReport, ForgeError, ForgeReview, ForgeWrite, MergeOutcome, PrState, PrStatus,
    PullRequest, PushOutcome, Release, Rerun, ReviewVerdict,
};

fn to_pull(p: wire::Pull) -> PullRequest {
    let merged = p.merged.unwrap_or(false) || p.merged_at.is_some();
    let state = match (p.state.as_str(), merged) {
        (_, true) => PrState::Merged,
        ("open", _) => PrState::Open,
        _ => PrState::Closed,
    };
    PullRequest {
        number: p.number,
        url: p.html_url,
        head_branch: p.head.branch,
        head_sha: p.head.sha,
        state,
        title: p.title,
        draft: p.draft.unwrap_or(false),
    }
}

/// Percent-encode one path segment (a branch name may hold `/`).
fn path_segment(v: &str) -> String {
    query_value(v).replace('/', "%2F")
}

fn to_status(mut p: wire::Pull) -> PrStatus {
    let merged_by = p.merged_by.take().map(|u| u.login);
    let merged_at = p.merged_at.clone();
    let updated_at = p.updated_at.take();
    let pull = to_pull(p);
    PrStatus {
        number: pull.number,
        state: pull.state,
        head_sha: pull.head_sha,
        merged_by,
        merged_at,
        updated_at,
    }
}

/// A listed review in the forge's terms; `None` for a pending (unsent)
/// review or one by a deleted account.
fn to_review(r: wire::Review) -> Option<ForgeReview> {
    let verdict = match r.state.to_ascii_uppercase().as_str() {
        "APPROVED" => ReviewVerdict::Approved,
        "CHANGES_REQUESTED" => ReviewVerdict::ChangesRequested,
        "COMMENTED" => ReviewVerdict::Commented,
        "DISMISSED" => ReviewVerdict::Dismissed,
        _ => return None,
    };
    Some(ForgeReview {
        login: r.user?.login,
        verdict,
        submitted_at: r.submitted_at,
    })
}

/// Percent-encode a query value (branch names may hold `/`, `+`, `#`...).
fn query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl GitHubForge {
    async fn send_write(
        &self,
        full: &str,
        method: Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<super::api::Answer, ForgeError> {
        self.api
            .send(&Request::with(method, path, body))
            .await
            .map_err(|e| repo_error(full, e))
    }

    /// Required check names of the default branch, from the rules that
    /// apply to it (`GET /repos/{o}/{r}/rules/branches/{b}`: rulesets'
    /// `required_status_checks`; needs only Metadata: read, where classic
    /// branch protection needs Administration: read, which wavebump does not
    /// ask for). `None` when GitHub refuses the lookup (403/404): the
    /// caller then counts every check and says so.
    async fn required_checks(&self, full: &str) -> Result<Option<Vec<String>>, ForgeError> {
        let meta = self.meta(full).await?;
        let path = format!(
            "/repos/{full}/rules/branches/{}?per_page=100",
            path_segment(&meta.default_branch)
        );
        match self
            .api
            .get_pages(&path, |p: Vec<wire::BranchRule>| p)
            .await
        {
            Ok(rules) => {
                let mut names = Vec::new();
                for rule in rules {
                    if rule.kind != "required_status_checks" {
                        continue;
                    }
                    let params = rule.parameters.unwrap_or_default();
                    let checks: wire::RequiredStatusChecks = serde_json::from_value(params)
                        .map_err(|e| ForgeError::BadAnswer {
                            endpoint: format!("GET {path}"),
                            message: format!("required_status_checks rule: {e}"),
                        })?;
                    names.extend(checks.required_status_checks.into_iter().map(|c| c.context));
                }
                names.sort();
                names.dedup();
                Ok(Some(names))
            }
            Err(e) if matches!(e.status(), Some(403 | 404)) => {
                tracing::warn!(repo = full, error = %e, "{}", ci::REQUIRED_UNKNOWN);
                Ok(None)
            }
            Err(e) => Err(repo_error(full, e)),
        }
    }

    async fn check_runs(&self, full: &str, sha: &str) -> Result<Vec<wire::CheckRun>, ForgeError> {
        self.api
            .get_pages(
                &format!("/repos/{full}/commits/{sha}/check-runs?per_page=100"),
                |p: wire::CheckRuns| p.check_runs,
            )
            .await
            .map_err(|e| repo_error(full, e))
    }

    fn check_sha(sha: &str) -> Result<(), ForgeError> {
        if sha.len() >= 4 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(())
        } else {
            Err(ForgeError::Other(format!("{sha:?} is not a commit SHA")))
        }
    }
}

impl ForgeWrite for GitHubForge {
    async fn releases(&self, repo: &str) -> Result<Vec<Release>, ForgeError> {
        let full = self.full_name(repo)?;
        let releases = self
            .api
            .get_pages(
                &format!("/repos/{full}/releases?per_page=100"),
                |p: Vec<wire::Release>| p,
            )
            .await
            .map_err(|e| repo_error(&full, e))?;
        Ok(releases
            .into_iter()
            .map(|r| Release {
                tag: r.tag_name,
                name: r.name,
                notes: r.body.unwrap_or_default(),
                prerelease: r.prerelease,
                draft: r.draft,
                published_at: r.published_at,
                url: r.html_url,
            })
            .collect())
    }

    async fn find_open_pr(
        &self,
        repo: &str,
        branch: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        let full = self.full_name(repo)?;
        let owner = full.split('/').next().unwrap_or_default();
        let path = format!(
            "/repos/{full}/pulls?state=open&head={}&per_page=100",
            query_value(&format!("{owner}:{branch}"))
        );
        let pulls = self
            .api
            .get_pages(&path, |p: Vec<wire::Pull>| p)
            .await
            .map_err(|e| repo_error(&full, e))?;
        Ok(pulls
            .into_iter()
            .map(to_pull)
            .find(|p| p.head_branch == branch && p.state == PrState::Open))
    }

    async fn pull_request(&self, repo: &str, number: u64) -> Result<PullRequest, ForgeError> {
        let full = self.full_name(repo)?;
        let pull: wire::Pull = self
            .api
            .get_json(&format!("/repos/{full}/pulls/{number}"))
            .await
            .map_err(|e| repo_error(&full, e))?;
        Ok(to_pull(pull))
    }

    async fn pr_status(&self, repo: &str, number: u64) -> Result<PrStatus, ForgeError> {
        let full = self.full_name(repo)?;
        let pull: wire::Pull = self
            .api
            .get_json(&format!("/repos/{full}/pulls/{number}"))
            .await
            .map_err(|e| repo_error(&full, e))?;
        Ok(to_status(pull))
    }

    async fn push_branch(&self, repo: &str, push: &BranchPush) -> Result<PushOutcome, ForgeError> {
        let full = self.full_name(repo)?;
        self.push_with_git(&full, push).await
    }

    async fn closed_by(&self, repo: &str, number: u64) -> Result<Option<String>, ForgeError> {
        let full = self.full_name(repo)?;
        let issue: wire::Issue = self
            .api
            .get_json(&format!("/repos/{full}/issues/{number}"))
            .await
            .map_err(|e| repo_error(&full, e))?;
        Ok(issue.closed_by.map(|u| u.login))
    }

    async fn pr_reviews(&self, repo: &str, number: u64) -> Result<Vec<ForgeReview>, ForgeError> {
        let full = self.full_name(repo)?;
        let reviews = self
            .api
            .get_pages(
                &format!("/repos/{full}/pulls/{number}/reviews?per_page=100"),
                |r: Vec<wire::Review>| r,
            )
            .await
            .map_err(|e| repo_error(&full, e))?;
        Ok(reviews.into_iter().filter_map(to_review).collect())
    }

    async fn create_pr(
        &self,
        repo: &str,
        pr: &crate::forge::NewPullRequest,
    ) -> Result<PullRequest, ForgeError> {
        let full = self.full_name(repo)?;
        if let Some(existing) = self.find_open_pr(&full, &pr.head_branch).await? {
            return Ok(existing);
        }
        let path = format!("/repos/{full}/pulls");
        let body = json!({
            "title": pr.title,
            "head": pr.head_branch,
            "base": pr.base_branch,
            "body": pr.body,
            "draft": pr.draft,
        });
        let created = match self
            .api
            .send(&Request::with(Method::POST, &path, &body))
            .await
        {
            Ok(answer) => to_pull(
                decode::<wire::Pull>(&format!("POST {path}"), &answer.body)
                    .map_err(to_forge_error)?,
            ),
            // A retried POST whose first attempt did land, or a race.
            Err(ApiError::Status {
                status: 422,
                ref message,
                ..
            }) if message.to_ascii_lowercase().contains("already exists") => {
                return self
                    .find_open_pr(&full, &pr.head_branch)
                    .await?
                    .ok_or_else(|| ForgeError::Repo {
                        repo: full.clone(),
                        message: format!("POST {path}: {message}, but no open PR was found"),
                    });
            }
            Err(e) => return Err(repo_error(&full, e)),
        };
        let n = created.number;
        if !pr.labels.is_empty() {
            let labels = json!({ "labels": pr.labels });
            if let Err(e) = self
                .send_write(
                    &full,
                    Method::POST,
                    &format!("/repos/{full}/issues/{n}/labels"),
                    &labels,
                )
                .await
            {
                tracing::warn!(repo = %full, pr = n, error = %e, "could not label the PR");
            }
        }
        if !pr.reviewers.is_empty() || !pr.team_reviewers.is_empty() {
            let reviewers =
                json!({ "reviewers": pr.reviewers, "team_reviewers": pr.team_reviewers });
            if let Err(e) = self
                .send_write(
                    &full,
                    Method::POST,
                    &format!("/repos/{full}/pulls/{n}/requested_reviewers"),
                    &reviewers,
                )
                .await
            {
                tracing::warn!(repo = %full, pr = n, error = %e, "could not request reviewers");
            }
        }
        Ok(created)
    }

    async fn update_pr(
        &self,
        repo: &str,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<(), ForgeError> {
        let full = self.full_name(repo)?;
        let patch = json!({ "title": title, "body": body });
        self.send_write(
            &full,
            Method::PATCH,
            &format!("/repos/{full}/pulls/{number}"),
            &patch,
        )
        .await
        .map(|_| ())
    }

    async fn close_pr(
        &self,
        repo: &str,
        number: u64,
        comment: Option<&str>,
    ) -> Result<(), ForgeError> {
        let full = self.full_name(repo)?;
        if let Some(text) = comment {
            self.comment(&full, number, text).await?;
        }
        let patch = json!({ "state": "closed" });
        self.send_write(
            &full,
            Method::PATCH,
            &format!("/repos/{full}/pulls/{number}"),
            &patch,
        )
        .await
        .map(|_| ())
    }

    async fn comment(&self, repo: &str, number: u64, body: &str) -> Result<(), ForgeError> {
        let full = self.full_name(repo)?;
        let payload = json!({ "body": body });
        self.send_write(
            &full,
            Method::POST,
            &format!("/repos/{full}/issues/{number}/comments"),
            &payload,
        )
        .await
        .map(|_| ())
    }

    async fn ci_state(&self, repo: &str, sha: &str) -> Result<CiReport, ForgeError> {
        let full = self.full_name(repo)?;
        Self::check_sha(sha)?;
        // octocrab's combined_status_for_ref takes a branch: call the route.
        let combined: wire::CombinedStatus = self
            .api
            .get_json(&format!("/repos/{full}/commits/{sha}/status?per_page=100"))
            .await
            .map_err(|e| repo_error(&full, e))?;
        let runs = self.check_runs(&full, sha).await?;
        let required = self.required_checks(&full).await?;
        Ok(ci::aggregate(
            &combined.statuses,
            &runs,
            required.as_deref(),
        ))
    }

    async fn merge_pr(
        &self,
        repo: &str,
        number: u64,
        sha: &str,
    ) -> Result<MergeOutcome, ForgeError> {
        let full = self.full_name(repo)?;
        Self::check_sha(sha)?;
        let path = format!("/repos/{full}/pulls/{number}/merge");
        let body = json!({ "sha": sha, "merge_method": "squash" });
        match self
            .api
            .send(&Request::with(Method::PUT, &path, &body))
            .await
        {
            Ok(answer) => {
                let result: wire::MergeResult =
                    decode(&format!("PUT {path}"), &answer.body).map_err(to_forge_error)?;
                if result.merged {
                    Ok(MergeOutcome::Merged)
                } else {
                    Ok(MergeOutcome::Blocked(
                        result.message.unwrap_or_else(|| "not merged".to_string()),
                    ))
                }
            }
            Err(ApiError::Status {
                status: 405 | 409 | 422,
                message,
                ..
            }) => {
                // Merging is idempotent: a merge that landed before we could
                // record it (a crash, a lost answer) is refused as "not
                // mergeable" the second time; the PR says it is merged.
                if self.pull_request(&full, number).await?.state == PrState::Merged {
                    Ok(MergeOutcome::Merged)
                } else {
                    Ok(MergeOutcome::Blocked(message))
                }
            }
            Err(e) => Err(repo_error(&full, e)),
        }
    }

    async fn rerun_failed_checks(&self, repo: &str, sha: &str) -> Result<Rerun, ForgeError> {
        let full = self.full_name(repo)?;
        Self::check_sha(sha)?;
        let combined: wire::CombinedStatus = self
            .api
            .get_json(&format!("/repos/{full}/commits/{sha}/status?per_page=100"))
            .await
            .map_err(|e| repo_error(&full, e))?;
        let runs = self.check_runs(&full, sha).await?;
        let required = self.required_checks(&full).await?;
        let failed = ci::failures(&combined.statuses, &runs, required.as_deref());
        // Commit statuses (external CI) have no re-run API.
        let mut out = Rerun {
            rerequested: Vec::new(),
            not_rerunnable: failed.statuses,
        };
        out.not_rerunnable.extend(failed.without_suite);
        for (id, names) in failed.suites {
            let path = format!("/repos/{full}/check-suites/{id}/rerequest");
            match self
                .api
                .send(&Request::with(Method::POST, &path, &json!({})))
                .await
            {
                Ok(_) => out.rerequested.extend(names),
                Err(e) if matches!(e.status(), Some(403 | 404 | 422)) => {
                    tracing::info!(repo = %full, suite = id, error = %e, "check suite cannot be re-run");
                    out.not_rerunnable.extend(names);
                }
                Err(e) => return Err(repo_error(&full, e)),
            }
        }
        out.rerequested.sort();
        out.not_rerunnable.sort();
        Ok(out)
    }

    async fn push_empty_commit(
        &self,
        repo: &str,
        branch: &str,
        expected_head: &str,
        message: &str,
    ) -> Result<Option<String>, ForgeError> {
        let full = self.full_name(repo)?;
        Self::check_sha(expected_head)?;
        self.empty_commit_with_git(&full, branch, expected_head, message)
            .await
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            query_value("acme:wavebump/core-utils-2.0.0"),
            "acme:wavebump/core-utils-2.0.0"
        );
        assert_eq!(query_value("a:b+c#d e&f"), "a:b%2Bc%23d%20e%26f");
    }

    #[test]
    fn pr_status_reads_who_merged_and_when() {
        let merged: wire::Pull = serde_json::from_value(json!({
            "number": 7, "html_url": "https://github.com/acme/svc/pull/7",
            "state": "closed", "title": "Bump", "draft": false,
            "merged": true, "merged_at": "2026-02-03T04:05:06Z",
            "merged_by": { "login": "bob", "id": 2, "type": "User" },
            "head": { "ref": "wavebump/core-utils-2.0.0", "sha": "abc123" }
        }))
        .unwrap();
        let s = to_status(merged);
        assert_eq!(s.state, PrState::Merged);
        assert_eq!(s.head_sha, "abc123");
        assert_eq!(s.merged_by.as_deref(), Some("bob"));
        assert_eq!(s.merged_at.as_deref(), Some("2026-02-03T04:05:06Z"));
        let closed: wire::Pull = serde_json::from_value(json!({
            "number": 8, "html_url": "u", "state": "closed", "title": "t",
            "merged_at": null, "merged_by": null,
            "head": { "ref": "b", "sha": "def456" }
        }))
        .unwrap();
        let s = to_status(closed);
        assert_eq!(
            (s.state, s.merged_by, s.merged_at),
            (PrState::Closed, None, None)
        );
    }
}
