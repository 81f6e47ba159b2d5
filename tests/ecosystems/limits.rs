//! Bounded reading: a size cap per manifest (an error naming the file and
//! the cap) and a time budget per repository in discovery (the repository is
//! reported with the reason; the rest of the organisation is planned).

use std::time::{Duration, Instant};

use wavebump::discover::{DiscoverOptions, DiscoveryLimits, analyse_repo_within, discover_within};
use wavebump::ecosystem::{LibraryNames, MemTree, ScanAbort, ScanLimits, scan_within};
use wavebump::forge::{Forge, ForgeError, RepoInfo};

fn consumer() -> MemTree {
    MemTree::new()
        .with("Cargo.toml", "[package]\nname = \"a\"\nversion = \"0.1.0\"\n\n[dependencies]\ncore-utils = \"1.4\"\n")
        .with("web/package.json", "{\"dependencies\": {\"@acme/core-utils\": \"^1.4.0\"}}")
}

#[test]
fn a_manifest_over_the_cap_is_an_error_naming_file_and_cap() {
    let tree = consumer().with(
        "big/package.json",
        format!(
            "{{\"dependencies\": {{\"@acme/core-utils\": \"^1.4.0\"}}, \"x\": \"{}\"}}",
            "y".repeat(300)
        ),
    );
    let limits = ScanLimits {
        max_manifest_bytes: 256,
        deadline: None,
        ..ScanLimits::default()
    };
    let to = semver::Version::new(2, 0, 0);
    let report =
        scan_within(&tree, &LibraryNames::acme_core_utils(), &to, &limits).expect("no deadline");
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let e = &report.errors[0];
    assert_eq!(e.path, "big/package.json");
    assert!(e.message.contains("over the cap of 256 bytes"), "{e}");
    // The other manifests are still read.
    assert_eq!(report.targets.len(), 2);
}

#[test]
fn a_scan_past_its_deadline_stops_with_the_reason() {
    let to = semver::Version::new(2, 0, 0);
    let limits = ScanLimits {
        deadline: Some(Instant::now()),
        ..ScanLimits::default()
    };
    let err = analyse_repo_within(
        "svc",
        &consumer(),
        &LibraryNames::acme_core_utils(),
        "core-utils",
        &to,
        &limits,
    )
    .expect_err("over budget");
    let ScanAbort::OverBudget { read, next, .. } = &err;
    assert_eq!((*read, next.as_str()), (0, "Cargo.toml"));
}

/// Two repositories; reading `stuck` never finishes.
struct StuckForge;

impl Forge for StuckForge {
    async fn list_repos(&self) -> Result<Vec<RepoInfo>, ForgeError> {
        Ok(["ok-service", "stuck"]
            .iter()
            .map(|n| RepoInfo {
                name: n.to_string(),
                default_branch: "main".into(),
                archived: false,
                fork: false,
                unreadable: None,
            })
            .collect())
    }

    async fn read_tree(&self, repo: &str) -> Result<MemTree, ForgeError> {
        if repo == "stuck" {
            std::future::pending::<()>().await;
        }
        Ok(consumer())
    }

    async fn tags(&self, _repo: &str) -> Result<Vec<String>, ForgeError> {
        Ok(Vec::new())
    }
}

#[tokio::test]
async fn a_repository_over_its_budget_is_reported_and_the_rest_planned() {
    let library = LibraryNames::acme_core_utils();
    let to = semver::Version::new(2, 0, 0);
    let include = |_: &RepoInfo| true;
    let progress = |_: usize, _: usize| {};
    let opts = DiscoverOptions {
        library: &library,
        library_repo: "core-utils",
        to: &to,
        include: &include,
        concurrency: 2,
        progress: &progress,
    };
    let limits = DiscoveryLimits {
        repo_budget: Some(Duration::from_millis(200)),
        ..DiscoveryLimits::default()
    };
    let found = tokio::time::timeout(
        Duration::from_secs(120),
        discover_within(&StuckForge, &opts, &limits),
    )
    .await
    .expect("discovery ends")
    .expect("listing");
    assert_eq!(found.repos.len(), 1);
    assert_eq!(found.repos[0].repo, "ok-service");
    assert_eq!(found.repos[0].targets.len(), 2);
    assert_eq!(found.unreadable.len(), 1, "{:?}", found.unreadable);
    let (repo, reason) = &found.unreadable[0];
    assert_eq!(repo, "stuck");
    assert!(reason.contains("discovery budget of 200ms"), "{reason}");
}
