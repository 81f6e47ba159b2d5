//! Pushing a version-bump branch through the GitHub forge: real git pushes
//! to the fake's bare repositories, with the installation token as
//! credentials.

use wavebump::forge::{BranchPush, ForgeError, ForgeWrite};

use super::{ORG, app_options, pulls_new_pr, timed, tree};
use crate::support::fake_github::FakeGitHub;

fn bump(expected_head: Option<String>) -> BranchPush {
    BranchPush {
        branch: "wavebump/core-utils-2.0.0".into(),
        base_branch: "main".into(),
        files: vec![(
            "Cargo.toml".into(),
            b"[dependencies]\ncore-utils = \"2.0\"\n".to_vec(),
        )],
        message: "Bump core-utils to 2.0.0".into(),
        expected_head,
        lock_refresh: vec![],
    }
}

#[tokio::test]
async fn push_then_pr_then_a_human_commit_is_never_overwritten() {
    timed(async {
        let fake = FakeGitHub::start().await;
        fake.install(ORG);
        let cache = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(wavebump::forge::github::ManualClock::new());
        let mut options = app_options(&fake, clock);
        options.git_cache_dir = cache.path().to_path_buf();
        let forge = wavebump::forge::github::GitHubForge::connect(options)
            .await
            .unwrap();
        let full = fake.add_repo(
            ORG,
            "svc",
            &tree(&[("Cargo.toml", "[dependencies]\ncore-utils = \"1.4\"\n")]),
        );

        let first = forge.push_branch(&full, &bump(None)).await.expect("push");
        assert_eq!(
            fake.branch_sha(&full, "wavebump/core-utils-2.0.0"),
            Some(first.head_sha.clone())
        );
        let pr = forge
            .create_pr(&full, &pulls_new_pr("wavebump/core-utils-2.0.0"))
            .await
            .unwrap();
        assert_eq!(pr.head_sha, first.head_sha);

        // Pushing the same content again is a no-op with the same head.
        let again = forge
            .push_branch(&full, &bump(Some(first.head_sha.clone())))
            .await
            .unwrap();
        assert_eq!(again.head_sha, first.head_sha);

        // A human pushes to our branch: we refuse to overwrite it.
        let human = fake.push_commit(&full, "wavebump/core-utils-2.0.0", &[("NOTES.md", b"mine")]);
        let err = forge
            .push_branch(&full, &bump(Some(first.head_sha.clone())))
            .await
            .expect_err("must not overwrite");
        assert!(matches!(err, ForgeError::PushRejected { .. }), "{err}");
        assert_eq!(
            fake.branch_sha(&full, "wavebump/core-utils-2.0.0"),
            Some(human)
        );

        // The token never lands in the git cache.
        let token = forge.git_token().await.unwrap();
        for entry in walk(cache.path()) {
            let bytes = std::fs::read(&entry).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(token.expose()),
                "token found in {}",
                entry.display()
            );
        }
        assert_eq!(fake.pulls(&full).len(), 1);
    })
    .await
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
