//! Discovery: repository listing with skips, one tree request per repository,
//! one blob request per relevant file, and warm re-scans that cost only 304s.

use std::sync::Arc;

use wavebump::forge::github::{GitHubForge, JsonFileEtagCache, ManualClock};
use wavebump::forge::{Forge, ForgeError};

use super::{ORG, app_options, setup, timed, tree};
use crate::support::fake_github::FakeGitHub;

fn fill(fake: &FakeGitHub) {
    fake.add_repo(
        ORG,
        "svc-a",
        &tree(&[
            (
                "Cargo.toml",
                "[package]\nname = \"svc-a\"\n[dependencies]\ncore-utils = \"1\"\n",
            ),
            ("src/main.rs", "fn main() {}\n"),
            ("README.md", "# a\n"),
        ]),
    );
    fake.add_repo(
        ORG,
        "web",
        &tree(&[
            (
                "package.json",
                "{\"dependencies\":{\"@acme/core-utils\":\"^1.0.0\"}}\n",
            ),
            ("packages/x/package.json", "{\"name\":\"x\"}\n"),
            ("docs/a.md", "x"),
        ]),
    );
    fake.add_repo(ORG, "empty", &tree(&[]));
    for (name, flag) in [("old", "archived"), ("forked", "fork"), ("off", "disabled")] {
        let full = fake.add_repo(ORG, name, &tree(&[("Cargo.toml", "[package]\nname='x'\n")]));
        fake.with_repo(&full, |r| match flag {
            "archived" => r.archived = true,
            "fork" => r.fork = true,
            _ => r.disabled = true,
        });
    }
    // Another organisation's repository is never listed.
    fake.add_repo("other", "theirs", &tree(&[]));
}

async fn scan(forge: &GitHubForge) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for repo in forge.list_repos().await.unwrap() {
        let files = forge.read_tree(&repo.name).await.unwrap();
        out.push((repo.name, files.iter().map(|(p, _)| p.clone()).collect()));
    }
    out
}

#[tokio::test]
async fn cold_and_warm_scans_cost_what_they_should() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        fill(&fake);
        fake.clear_requests();
        let cold = scan(&forge).await;
        let names: Vec<&str> = cold.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["acme/empty", "acme/svc-a", "acme/web"]);
        assert_eq!(cold[1].1, ["Cargo.toml"]);
        assert_eq!(cold[2].1, ["package.json", "packages/x/package.json"]);
        let api = |r: &crate::support::fake_github::Recorded| !r.is_auth();
        let cold_requests = fake.count(api);
        let manifests = 3;
        let repos = 3;
        // 1 listing + 1 tree per repository + 1 blob per manifest.
        assert_eq!(cold_requests, 1 + repos + manifests);
        assert!(cold_requests <= repos * 2 + manifests);
        println!(
            "discovery cold: {cold_requests} requests for {repos} repositories, {manifests} manifests ({:.2}/repo)",
            cold_requests as f64 / repos as f64
        );

        fake.clear_requests();
        let warm = scan(&forge).await;
        assert_eq!(warm, cold);
        let counted = fake.count(|r| api(r) && r.is_counted());
        let not_modified = fake.count(|r| api(r) && r.status == 304);
        println!("discovery warm: {counted} counted, {not_modified} answered 304");
        assert_eq!(counted, 1, "only the empty repository's tree (409) is counted");
        assert_eq!(not_modified, 1 + 2, "listing + the two trees");

        // A changed file costs its tree and its one blob.
        fake.push_commit("acme/web", "main", &[("package.json", b"{\"dependencies\":{}}\n")]);
        fake.clear_requests();
        scan(&forge).await;
        assert_eq!(fake.count(|r| r.path.contains("/git/blobs/")), 1);
    })
    .await
}

#[tokio::test]
async fn archived_and_forks_are_listed_on_request() {
    timed(async {
        let fake = FakeGitHub::start().await;
        fake.install(ORG);
        fill(&fake);
        let mut o = app_options(&fake, Arc::new(ManualClock::new()));
        o.include_archived = true;
        o.include_forks = true;
        let forge = GitHubForge::connect(o).await.unwrap();
        let repos = forge.list_repos().await.unwrap();
        let flags: Vec<(&str, bool, bool)> = repos
            .iter()
            .map(|r| (r.name.as_str(), r.archived, r.fork))
            .collect();
        assert_eq!(
            flags,
            [
                ("acme/empty", false, false),
                ("acme/forked", false, true),
                ("acme/old", true, false),
                ("acme/svc-a", false, false),
                ("acme/web", false, false),
            ],
            "disabled repositories are never listed"
        );
    })
    .await
}

#[tokio::test]
async fn listing_follows_pagination() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        for i in 0..7 {
            fake.add_repo(ORG, &format!("r{i}"), &tree(&[]));
        }
        // The forge asks for 100 per page; pages of 3 force pagination.
        fake.set_max_per_page(3);
        let repos = forge.list_repos().await.unwrap();
        assert_eq!(repos.len(), 7);
        assert_eq!(fake.count(|r| r.path == "/installation/repositories"), 3);
    })
    .await
}

#[tokio::test]
async fn a_missing_repository_is_reported_alone() {
    timed(async {
        let (fake, forge, _clock) = setup().await;
        fill(&fake);
        let repos = forge.list_repos().await.unwrap();
        fake.with_repo("acme/svc-a", |r| r.hidden = true);
        let mut ok = 0;
        let mut missing = Vec::new();
        for r in &repos {
            match forge.read_tree(&r.name).await {
                Ok(_) => ok += 1,
                Err(ForgeError::NotFound(name)) => missing.push(name),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!((ok, missing), (2, vec!["acme/svc-a".to_string()]));
        assert!(matches!(
            forge.tags("acme/nope").await,
            Err(ForgeError::NotFound(_))
        ));
        assert!(matches!(
            forge.read_tree("../etc").await,
            Err(ForgeError::NotFound(_))
        ));
    })
    .await
}

#[tokio::test]
async fn the_file_cache_survives_a_restart() {
    timed(async {
        let fake = FakeGitHub::start().await;
        fake.install(ORG);
        fill(&fake);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("etags.json");
        let connect = || {
            let mut o = app_options(&fake, Arc::new(ManualClock::new()));
            o.cache = Arc::new(JsonFileEtagCache::open(&path));
            GitHubForge::connect(o)
        };
        let forge = connect().await.unwrap();
        let cold = scan(&forge).await;
        forge.flush_cache().unwrap();
        drop(forge);
        let forge = connect().await.unwrap();
        fake.clear_requests();
        assert_eq!(scan(&forge).await, cold);
        assert_eq!(
            fake.count(|r| !r.is_auth() && r.path.contains("/git/blobs/")),
            0
        );
        assert_eq!(fake.count(|r| !r.is_auth() && r.status == 200), 0);
    })
    .await
}

#[tokio::test]
async fn tags_and_releases() {
    use wavebump::forge::ForgeWrite;
    timed(async {
        let (fake, forge, _clock) = setup().await;
        let full = fake.add_repo(
            ORG,
            "core-utils",
            &tree(&[("Cargo.toml", "[package]\nname='core-utils'\n")]),
        );
        fake.add_release(&full, "v1.0.0", "first", false);
        fake.add_release(&full, "v2.0.0-rc.1", "rc", true);
        let mut tags = forge.tags(&full).await.unwrap();
        tags.sort();
        assert_eq!(tags, ["v1.0.0", "v2.0.0-rc.1"]);
        let rel = forge.releases("core-utils").await.unwrap();
        assert_eq!(rel.len(), 2);
        assert_eq!(rel[0].tag, "v2.0.0-rc.1", "newest first");
        assert!(rel[0].prerelease);
        assert_eq!(rel[1].notes, "first");
        assert!(
            rel[1]
                .url
                .as_deref()
                .unwrap()
                .starts_with("http://127.0.0.1")
        );
    })
    .await
}
