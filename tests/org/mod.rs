//! The demo organisation generator and the local forge over it.

use wavebump::discover::latest_version;
use wavebump::ecosystem::SourceTree;
use wavebump::forge::Forge;
use wavebump::forge::local::LocalForge;
use wavebump::git;

use crate::support::org;

#[tokio::test]
async fn local_forge_lists_and_reads_committed_trees() {
    let org = org::generate(40, 1);
    let forge = LocalForge::new(org.path());
    let repos = forge.list_repos().await.expect("list");
    assert_eq!(repos.len(), 40);
    let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "listed in name order");
    assert!(repos.iter().all(|r| r.default_branch == "main"));

    let tree = forge.read_tree("platform-monorepo").await.expect("read");
    assert_eq!(
        tree.files(),
        vec![
            "Cargo.lock",
            "Cargo.toml",
            "crates/gateway/Cargo.toml",
            "crates/scheduler/Cargo.toml"
        ]
    );

    // The committed tree, not the work tree: an uncommitted edit is unseen.
    let manifest = org.path().join("billing-lib/Cargo.toml");
    std::fs::write(&manifest, "garbage").expect("write");
    let tree = forge.read_tree("billing-lib").await.expect("read");
    let text = tree.read_text("Cargo.toml").expect("text");
    assert!(text.contains("core-utils = \"1.4\""), "{text}");

    // README.md is not relevant to the scan and is not read.
    assert!(!tree.exists("README.md"));
}

#[tokio::test]
async fn library_tags_give_the_latest_version() {
    let org = org::generate(30, 1);
    let forge = LocalForge::new(org.path());
    let tags = forge.tags("core-utils").await.expect("tags");
    assert_eq!(
        latest_version(&tags, "v{version}", false),
        Some(semver::Version::new(2, 0, 0))
    );
    let tree = forge.read_tree("core-utils").await.expect("read");
    let gomod = tree.read_text("go/go.mod").expect("go.mod");
    assert!(
        gomod.starts_with("module github.com/acme/core-utils/v2\n"),
        "{gomod}"
    );
}

#[tokio::test]
async fn unknown_repository_is_not_found() {
    let org = org::generate(30, 1);
    let forge = LocalForge::new(org.path());
    let err = forge.read_tree("../etc").await.expect_err("escape");
    assert!(err.to_string().contains("not found"), "{err}");
    let err = forge.read_tree("no-such-repo").await.expect_err("missing");
    assert_eq!(err.to_string(), "repository \"no-such-repo\" not found");
}

#[test]
fn generation_is_deterministic() {
    let a = org::generate(45, 3);
    let b = org::generate(45, 3);
    for spec in &a.specs {
        let ra = git::refs(&a.path().join(&spec.name)).expect("refs a");
        let rb = git::refs(&b.path().join(&spec.name)).expect("refs b");
        assert_eq!(ra, rb, "{} differs between two generations", spec.name);
    }
}

#[tokio::test]
async fn bare_repositories_and_non_repositories() {
    org::isolate_git();
    let dir = tempfile::tempdir().expect("tempdir");
    let bare = dir.path().join("lib-bare.git");
    std::process::Command::new("git")
        .args(["init", "--bare", "-q", "-b", "trunk"])
        .arg(&bare)
        .status()
        .expect("git init --bare");
    let files = wavebump::ecosystem::MemTree::new()
        .with("Cargo.toml", "[dependencies]\ncore-utils = \"1\"\n");
    let author = git::Author {
        name: "t",
        email: "t@example.invalid",
        time: 1_767_225_600,
    };
    git::commit_tree(&bare, &files, "init", &author).expect("commit to bare");
    std::fs::create_dir_all(dir.path().join("not-a-repo")).expect("mkdir");
    std::fs::write(dir.path().join("stray-file"), "x").expect("write");

    let forge = LocalForge::new(dir.path());
    let repos = forge.list_repos().await.expect("list");
    assert_eq!(repos.len(), 1, "{repos:?}");
    assert_eq!(repos[0].name, "lib-bare");
    assert_eq!(repos[0].default_branch, "trunk");
    let tree = forge.read_tree("lib-bare").await.expect("read bare");
    assert_eq!(tree.files(), vec!["Cargo.toml"]);
}
