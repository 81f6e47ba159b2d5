//! The read side (`Forge`): repositories of the organisation, the default
//! branch's tree in one recursive request, then only the blobs of relevant
//! paths (cached by blob SHA, so unchanged files cost nothing), and tags.
//!
//! Cost per repository: cold = 1 tree + 1 per relevant file (+ the shared
//! listing); warm and unchanged = one 304 for the tree.

use std::sync::atomic::Ordering;

use base64::Engine;
use futures::stream::{self, StreamExt, TryStreamExt};

use super::api::{ApiError, decode};
use super::etag::CachedAnswer;
use super::{GitHubForge, RepoMeta, repo_error, to_forge_error, wire};
use crate::ecosystem::{MemTree, is_relevant_path};
use crate::forge::{Forge, ForgeError, RepoInfo};

/// Blobs fetched at once for one repository.
const BLOB_CONCURRENCY: usize = 4;

impl GitHubForge {
    async fn list_all(&self) -> Result<Vec<wire::Repo>, ForgeError> {
        if self.installation.is_some() {
            self.api
                .get_pages(
                    "/installation/repositories?per_page=100",
                    |p: wire::InstallationRepos| p.repositories,
                )
                .await
                .map_err(to_forge_error)
        } else {
            // An organisation's repositories, or, when GitHub knows no such
            // organisation, a user account's (`type=owner`: the ones it owns).
            if !self.user_owner.load(Ordering::Relaxed) {
                match self
                    .api
                    .get_pages(
                        &format!("/orgs/{}/repos?type=all&per_page=100", self.org),
                        |p: Vec<wire::Repo>| p,
                    )
                    .await
                {
                    Ok(repos) => return Ok(repos),
                    Err(e) if e.status() == Some(404) => {}
                    Err(e) => return Err(to_forge_error(e)),
                }
            }
            let repos = self
                .api
                .get_pages(
                    &format!("/users/{}/repos?type=owner&per_page=100", self.org),
                    |p: Vec<wire::Repo>| p,
                )
                .await
                .map_err(|e| match e.status() {
                    Some(404) => ForgeError::Other(format!(
                        "no organisation or user {:?} on GitHub",
                        self.org
                    )),
                    _ => to_forge_error(e),
                })?;
            self.user_owner.store(true, Ordering::Relaxed);
            Ok(repos)
        }
    }

    async fn blob(&self, full: &str, path: &str, sha: &str) -> Result<Vec<u8>, ForgeError> {
        let key = format!("blob {sha}");
        let cache = self.api.cache();
        let content = match cache.get(&key).await {
            Some(hit) => hit.body,
            None => {
                let endpoint = format!("/repos/{full}/git/blobs/{sha}");
                let answer = self
                    .api
                    .send(&super::api::Request {
                        conditional: false,
                        ..super::api::Request::get(&endpoint)
                    })
                    .await
                    .map_err(|e| repo_error(full, e))?;
                let blob: wire::Blob =
                    decode(&format!("GET {endpoint}"), &answer.body).map_err(to_forge_error)?;
                if blob.encoding != "base64" {
                    return Err(ForgeError::BadAnswer {
                        endpoint: format!("GET {endpoint}"),
                        message: format!("blob encoding {:?}, expected base64", blob.encoding),
                    });
                }
                cache
                    .put(
                        &key,
                        CachedAnswer {
                            etag: sha.to_string(),
                            body: blob.content.clone(),
                        },
                    )
                    .await;
                blob.content
            }
        };
        let compact: String = content.split_ascii_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| ForgeError::BadAnswer {
                endpoint: format!("GET /repos/{full}/git/blobs/{sha}"),
                message: format!("{path}: content is not base64: {e}"),
            })
    }
}

impl Forge for GitHubForge {
    async fn list_repos(&self) -> Result<Vec<RepoInfo>, ForgeError> {
        let mut out = Vec::new();
        for repo in self.list_all().await? {
            let owner = repo.full_name.split('/').next().unwrap_or_default();
            if !owner.eq_ignore_ascii_case(&self.org)
                || repo.disabled
                || (repo.archived && !self.include_archived)
                || (repo.fork && !self.include_forks)
            {
                continue;
            }
            let default_branch = repo
                .default_branch
                .clone()
                .unwrap_or_else(|| "main".to_string());
            self.remember(
                &repo.full_name,
                RepoMeta {
                    default_branch: default_branch.clone(),
                    clone_url: repo.push_url(&self.web),
                },
            );
            out.push(RepoInfo {
                name: repo.full_name,
                default_branch,
                archived: repo.archived,
                fork: repo.fork,
                unreadable: None,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out.dedup_by(|a, b| a.name == b.name);
        Ok(out)
    }

    async fn read_tree(&self, repo: &str) -> Result<MemTree, ForgeError> {
        let full = self.full_name(repo)?;
        let meta = self.meta(&full).await?;
        let endpoint = format!(
            "/repos/{full}/git/trees/{}?recursive=1",
            meta.default_branch
        );
        let tree: wire::Tree = match self.api.get_json(&endpoint).await {
            Ok(tree) => tree,
            // An empty repository has no tree yet.
            Err(ApiError::Status { status: 409, .. }) => return Ok(MemTree::new()),
            Err(e) => return Err(repo_error(&full, e)),
        };
        if tree.truncated {
            return Err(ForgeError::Repo {
                repo: full,
                message: format!(
                    "GET {endpoint}: tree truncated by GitHub (more than 100,000 entries)"
                ),
            });
        }
        let blobs: std::collections::BTreeMap<String, String> = tree
            .tree
            .into_iter()
            .filter(|e| e.kind == "blob")
            .map(|e| (e.path, e.sha))
            .collect();
        let mut wanted: Vec<(String, String)> = blobs
            .iter()
            .filter(|(path, _)| is_relevant_path(path))
            .map(|(p, s)| (p.clone(), s.clone()))
            .collect();
        let mut out = MemTree::new();
        // The relevant files, then what they include under other names
        // (`-r ci/pins.in`, `eval_gemfile "gems/extra.rb"`), a few rounds.
        for _ in 0..=crate::ecosystem::INCLUDE_DEPTH {
            if wanted.is_empty() {
                break;
            }
            let files: Vec<(String, Vec<u8>)> = stream::iter(std::mem::take(&mut wanted))
                .map(|(path, sha)| {
                    let full = &full;
                    async move {
                        let bytes = self.blob(full, &path, &sha).await?;
                        Ok::<_, ForgeError>((path, bytes))
                    }
                })
                .buffer_unordered(BLOB_CONCURRENCY)
                .try_collect()
                .await?;
            for (path, bytes) in files {
                out.insert(path, bytes);
            }
            wanted = crate::ecosystem::missing_includes(&out)
                .into_iter()
                .filter_map(|p| blobs.get(&p).map(|sha| (p, sha.clone())))
                .collect();
        }
        Ok(out)
    }

    async fn tags(&self, repo: &str) -> Result<Vec<String>, ForgeError> {
        let full = self.full_name(repo)?;
        self.api
            .get_pages(
                &format!("/repos/{full}/tags?per_page=100"),
                |p: Vec<wire::Tag>| p.into_iter().map(|t| t.name).collect(),
            )
            .await
            .map_err(|e| repo_error(&full, e))
    }
}
