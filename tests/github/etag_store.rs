//! The ETag cache in the store: a warm re-scan by a NEW forge (a process
//! restart) over the same store costs only 304s, on SQLite and PostgreSQL.

use std::sync::Arc;

use wavebump::forge::Forge;
use wavebump::forge::github::{GitHubForge, ManualClock, StoreEtagCache};

use super::{ORG, app_options, tree};
use crate::store::Db;
use crate::support::fake_github::{FakeGitHub, Recorded};

async fn scan(forge: &GitHubForge) -> Vec<(String, Vec<(String, Vec<u8>)>)> {
    let mut out = Vec::new();
    for repo in forge.list_repos().await.unwrap() {
        let files = forge.read_tree(&repo.name).await.unwrap();
        let files = files.iter().map(|(p, c)| (p.clone(), c.to_vec())).collect();
        out.push((repo.name, files));
    }
    out
}

fn api(r: &Recorded) -> bool {
    !r.is_auth()
}

async fn a_restart_rescans_with_304s_only(db: Db) {
    let fake = FakeGitHub::start().await;
    fake.install(ORG);
    for i in 0..4 {
        fake.add_repo(
            ORG,
            &format!("svc-{i}"),
            &tree(&[
                (
                    "Cargo.toml",
                    &format!("[package]\nname = \"svc-{i}\"\n[dependencies]\ncore-utils = \"1\"\n"),
                ),
                (
                    "web/package.json",
                    &format!("{{\"name\":\"web-{i}\",\"dependencies\":{{\"@acme/core-utils\":\"^1\"}}}}\n"),
                ),
                ("src/main.rs", "fn main() {}\n"),
            ]),
        );
    }
    let connect = |store: wavebump::store::Store| {
        let mut o = app_options(&fake, Arc::new(ManualClock::new()));
        o.cache = Arc::new(StoreEtagCache::new(store));
        GitHubForge::connect(o)
    };
    // First process: a cold scan fills the store's cache.
    let store = db.open().await;
    let forge = connect(store.clone()).await.unwrap();
    fake.clear_requests();
    let cold = scan(&forge).await;
    assert_eq!(cold.len(), 4);
    let cold_requests = fake.count(api);
    // 1 listing + 1 tree per repository + 1 blob per manifest.
    assert_eq!(cold_requests, 1 + 4 + 8);
    assert!(store.count("etag_cache").await.unwrap() >= 1 + 4 + 8);
    drop(forge);
    store.close().await;

    // Second process: a new forge over the same database.
    let store = db.open().await;
    let forge = connect(store.clone()).await.unwrap();
    fake.clear_requests();
    let warm = scan(&forge).await;
    assert_eq!(warm, cold);
    let counted = fake.count(|r| api(r) && r.is_counted());
    let not_modified = fake.count(|r| api(r) && r.status == 304);
    assert_eq!(counted, 0, "{:#?}", fake.requests());
    assert_eq!(
        not_modified,
        1 + 4,
        "the listing and one tree per repository"
    );
    assert_eq!(fake.count(|r| r.path.contains("/git/blobs/")), 0);
    // The forge's own counters agree with the fake's.
    let stats = forge.api_stats().snapshot();
    // The App's installation lookup is cached as well.
    assert_eq!(stats.total("not_modified"), 1 + 5);
    assert_eq!(stats.total("ok"), 0);
}

crate::both!(a_restart_rescans_with_304s_only);
