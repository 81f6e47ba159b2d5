//! Validation of the sections that talk to the outside: pull request
//! templates and reviewers, GitHub settings, the server.
//!
//! Invariant: like the parent module, only reads and returns the first problem.

use std::collections::BTreeSet;

use super::{Check, Ctx, I, K, found, placeholders};
use crate::config::error::one_of;
use crate::config::schema::{GithubConfig, PullRequestsConfig, ServerConfig};

const BRANCH_PLACEHOLDERS: &[&str] = &["library", "version", "major"];
const TEXT_PLACEHOLDERS: &[&str] = &["library", "version", "from", "major", "wave", "repo"];

fn template(cx: &Ctx<'_>, key: &str, text: &str, allowed: &[&str]) -> Check {
    let path = [K("pull_requests"), K(key)];
    if text.trim().is_empty() {
        return cx.fail(&path, "expected a template, found an empty string");
    }
    let Some(names) = placeholders(text) else {
        return cx.fail(
            &path,
            format!(
                "expected balanced `{{placeholder}}` braces, found {}",
                found(text)
            ),
        );
    };
    if let Some(bad) = names.iter().find(|n| !allowed.contains(n)) {
        let mut message = format!(
            "expected placeholders among {}, found `{{{bad}}}`",
            one_of(allowed)
        );
        if let Some(hint) = crate::config::error::did_you_mean(bad, allowed) {
            message.push_str(&format!("; did you mean `{{{hint}}}`?"));
        }
        return cx.fail(&path, message);
    }
    Ok(())
}

/// Whether `name` (with placeholders filled) is a valid git branch name.
fn valid_branch(name: &str) -> bool {
    let filled = name
        .replace("{library}", "lib")
        .replace("{version}", "1.0.0")
        .replace("{major}", "1");
    !filled.is_empty()
        && !filled.starts_with(['/', '-', '.'])
        && !filled.ends_with(['/', '.'])
        && !filled.ends_with(".lock")
        && !filled.contains("..")
        && !filled.contains("//")
        && !filled.contains("@{")
        && !filled
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c))
}

fn names(
    cx: &Ctx<'_>,
    list: &[String],
    key: &str,
    expected: &str,
    ok: impl Fn(&str) -> bool,
) -> Check {
    for (i, v) in list.iter().enumerate() {
        if !ok(v) {
            return cx.fail(
                &[K("pull_requests"), K(key), I(i)],
                format!("expected {expected}, found {}", found(v)),
            );
        }
    }
    Ok(())
}

pub(super) fn pull_requests(cx: &Ctx<'_>, p: &PullRequestsConfig) -> Check {
    template(cx, "branch", &p.branch, BRANCH_PLACEHOLDERS)?;
    if !valid_branch(&p.branch) {
        return cx.fail(
            &[K("pull_requests"), K("branch")],
            format!(
                "expected a valid git branch name (no spaces, `..`, `~^:?*[\\`), found {}",
                found(&p.branch)
            ),
        );
    }
    template(cx, "title", &p.title, TEXT_PLACEHOLDERS)?;
    template(cx, "commit_message", &p.commit_message, TEXT_PLACEHOLDERS)?;
    names(
        cx,
        &p.labels,
        "labels",
        "a label of 1 to 50 characters",
        |l| !l.trim().is_empty() && l.chars().count() <= 50,
    )?;
    let login = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    names(
        cx,
        &p.reviewers,
        "reviewers",
        "a GitHub login such as `octocat` (no `@`)",
        login,
    )?;
    names(
        cx,
        &p.team_reviewers,
        "team_reviewers",
        "a team slug such as `platform` (no organisation, no `@`)",
        |s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        },
    )
}

fn http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split('/').next().unwrap_or("");
        !host.is_empty() && !r.chars().any(char::is_whitespace)
    })
}

fn env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

const ENV_EXPECTED: &str = "an environment variable name such as `GITHUB_TOKEN`";

pub(super) fn github(cx: &Ctx<'_>, g: &GithubConfig) -> Check {
    let at = |k: &'static str| [K("github"), K(k)];
    if !http_url(&g.api_url) {
        return cx.fail(
            &at("api_url"),
            format!(
                "expected an http(s) URL such as `https://api.github.com`, found {}",
                found(&g.api_url)
            ),
        );
    }
    match (g.app_id, &g.private_key_path) {
        (Some(_), None) => {
            return cx.fail(&at("app_id"), "expected `github.private_key_path` as well: App mode needs the App id and its private key");
        }
        (None, Some(_)) => {
            return cx.fail(
                &at("private_key_path"),
                "expected `github.app_id` as well: App mode needs the App id and its private key",
            );
        }
        _ => {}
    }
    if g.installation_id.is_some() && g.app_id.is_none() {
        return cx.fail(
            &at("installation_id"),
            "expected `github.app_id` as well: an installation belongs to a GitHub App",
        );
    }
    if !env_name(&g.token_env) {
        return cx.fail(
            &at("token_env"),
            format!("expected {ENV_EXPECTED}, found {}", found(&g.token_env)),
        );
    }
    if !(1..=64).contains(&g.max_concurrency) {
        return cx.fail(
            &at("max_concurrency"),
            format!(
                "expected a whole number from 1 to 64, found `{}`",
                g.max_concurrency
            ),
        );
    }
    if g.requests_per_hour == 0 {
        return cx.fail(
            &at("requests_per_hour"),
            "expected a whole number of at least 1, found `0`",
        );
    }
    if !(1..=80).contains(&g.writes_per_minute) {
        return cx.fail(
            &at("writes_per_minute"),
            format!("expected a whole number from 1 to 80 (GitHub's content-creation limit), found `{}`", g.writes_per_minute),
        );
    }
    Ok(())
}

pub(super) fn server(cx: &Ctx<'_>, s: &ServerConfig) -> Check {
    if let Some(url) = &s.public_url
        && !http_url(url)
    {
        return cx.fail(
            &[K("server"), K("public_url")],
            format!(
                "expected an http(s) URL such as `https://wavebump.acme.dev`, found {}",
                found(url)
            ),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, op) in s.operators.iter().enumerate() {
        if op.name.trim().is_empty() || !seen.insert(op.name.as_str()) {
            return cx.fail(
                &[K("server"), K("operators"), I(i), K("name")],
                format!(
                    "expected a unique, non-empty operator name, found {}",
                    found(&op.name)
                ),
            );
        }
        if !env_name(&op.token_env) {
            return cx.fail(
                &[K("server"), K("operators"), I(i), K("token_env")],
                format!("expected {ENV_EXPECTED}, found {}", found(&op.token_env)),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches() {
        for (b, ok) in [
            ("wavebump/{library}-{version}", true),
            ("a b", false),
            ("a..b", false),
            ("/a", false),
            ("a.lock", false),
            ("a:b", false),
            ("x/{version}", true),
        ] {
            assert_eq!(valid_branch(b), ok, "{b}");
        }
    }
}
