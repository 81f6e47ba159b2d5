//! `push_branch`, `empty_commit_push` and `remote_branch_head` over
//! `file://` remotes.

use wavebump::git::{self, PushError};

use super::*;

#[test]
fn push_creates_the_branch_as_one_bot_commit_on_main() {
    let w = World::new();
    let remote = w.remote(
        "api",
        &[
            ("Cargo.toml", "core-utils = \"1.4\"\n"),
            ("src/main.rs", "fn main() {}\n"),
        ],
    );
    let base = head_of(&remote, "main").unwrap();
    let push = bump(&[("Cargo.toml", "core-utils = \"2.0\"\n")], None);
    let out = git::push_branch(w.cache_dir(), &file_url(&remote), None, &push, &bot()).unwrap();
    assert_eq!(
        head_of(&remote, BRANCH).as_deref(),
        Some(out.head_sha.as_str())
    );
    assert!(out.lock_notes.is_empty());
    let info = git::commit_info(&remote, &out.head_sha).unwrap();
    assert_eq!(info.parents, [base]);
    assert_eq!(
        (info.author_name.as_str(), info.author_email.as_str()),
        (BOT, BOT_EMAIL)
    );
    assert_eq!(info.committer_email, BOT_EMAIL);
    assert_eq!(info.message, "Bump core-utils from 1.4.0 to 2.0.0");
    assert_eq!(
        file_on(&remote, BRANCH, "Cargo.toml").unwrap(),
        "core-utils = \"2.0\"\n"
    );
    assert_eq!(
        file_on(&remote, BRANCH, "src/main.rs").unwrap(),
        "fn main() {}\n"
    );
    // main did not move.
    assert_eq!(head_of(&remote, "main").unwrap(), info.parents[0]);
}

#[test]
fn nested_new_files_and_executable_modes_are_kept() {
    let w = World::new();
    let remote = w.remote("mono", &[("a/b/package.json", "{}\n"), ("README", "x\n")]);
    let push = bump(
        &[
            ("a/b/package.json", "{\"v\":2}\n"),
            ("c/d/new.txt", "new\n"),
        ],
        None,
    );
    let out = git::push_branch(w.cache_dir(), &file_url(&remote), None, &push, &bot()).unwrap();
    assert_eq!(
        file_on(&remote, BRANCH, "a/b/package.json").unwrap(),
        "{\"v\":2}\n"
    );
    assert_eq!(file_on(&remote, BRANCH, "c/d/new.txt").unwrap(), "new\n");
    assert_eq!(file_on(&remote, BRANCH, "README").unwrap(), "x\n");
    assert_eq!(
        git::commit_info(&remote, &out.head_sha)
            .unwrap()
            .parents
            .len(),
        1
    );
}

#[test]
fn repush_with_expected_head_replaces_the_bot_commit() {
    let w = World::new();
    let remote = w.remote("api", &[("Cargo.toml", "v1\n")]);
    let url = file_url(&remote);
    let first = git::push_branch(
        w.cache_dir(),
        &url,
        None,
        &bump(&[("Cargo.toml", "v2\n")], None),
        &bot(),
    )
    .unwrap();
    let second = git::push_branch(
        w.cache_dir(),
        &url,
        None,
        &bump(&[("Cargo.toml", "v3\n")], Some(&first.head_sha)),
        &bot(),
    )
    .unwrap();
    assert_ne!(first.head_sha, second.head_sha);
    assert_eq!(head_of(&remote, BRANCH).unwrap(), second.head_sha);
    assert_eq!(file_on(&remote, BRANCH, "Cargo.toml").unwrap(), "v3\n");
    // Replaced, not stacked: the new commit sits on main.
    let info = git::commit_info(&remote, &second.head_sha).unwrap();
    assert_eq!(info.parents, [head_of(&remote, "main").unwrap()]);
}

#[test]
fn a_new_base_moves_the_branch_onto_it() {
    let w = World::new();
    let remote = w.remote("api", &[("Cargo.toml", "v1\n"), ("x", "1\n")]);
    let url = file_url(&remote);
    let first = git::push_branch(
        w.cache_dir(),
        &url,
        None,
        &bump(&[("Cargo.toml", "v2\n")], None),
        &bot(),
    )
    .unwrap();
    git::commit_on_branch(
        &remote,
        "main",
        &[("x".into(), b"2\n".to_vec())],
        "human work",
        &HUMAN_AUTHOR,
    )
    .unwrap();
    // Even without the recorded head, the old head is the bot's own commit
    // on an ancestor of main: replaced.
    let second = git::push_branch(
        w.cache_dir(),
        &url,
        None,
        &bump(&[("Cargo.toml", "v2\n")], None),
        &bot(),
    )
    .unwrap();
    assert_ne!(first.head_sha, second.head_sha);
    assert_eq!(
        git::commit_info(&remote, &second.head_sha).unwrap().parents,
        [head_of(&remote, "main").unwrap()]
    );
    assert_eq!(file_on(&remote, BRANCH, "x").unwrap(), "2\n");
}

#[test]
fn identical_content_pushed_twice_is_one_commit() {
    let w = World::new();
    let remote = w.remote("api", &[("Cargo.toml", "v1\n")]);
    let url = file_url(&remote);
    let push = bump(&[("Cargo.toml", "v2\n")], None);
    let first = git::push_branch(w.cache_dir(), &url, None, &push, &bot()).unwrap();
    let again = git::push_branch(w.cache_dir(), &url, None, &push, &bot()).unwrap();
    assert_eq!(
        first.head_sha, again.head_sha,
        "no second commit, no CI re-run"
    );
    let with_expected = bump(&[("Cargo.toml", "v2\n")], Some(&first.head_sha));
    let third = git::push_branch(w.cache_dir(), &url, None, &with_expected, &bot()).unwrap();
    assert_eq!(first.head_sha, third.head_sha);
    // A fresh cache (another machine) comes to the same answer.
    let other_cache = tempfile::tempdir().unwrap();
    let fourth = git::push_branch(other_cache.path(), &url, None, &push, &bot()).unwrap();
    assert_eq!(first.head_sha, fourth.head_sha);
}

#[test]
fn a_human_commit_on_top_is_never_overwritten() {
    let w = World::new();
    let remote = w.remote("api", &[("Cargo.toml", "v1\n")]);
    let url = file_url(&remote);
    let ours = git::push_branch(
        w.cache_dir(),
        &url,
        None,
        &bump(&[("Cargo.toml", "v2\n")], None),
        &bot(),
    )
    .unwrap();
    let theirs = git::commit_on_branch(
        &remote,
        BRANCH,
        &[("fix.rs".into(), b"// human fix\n".to_vec())],
        "Fix the build",
        &HUMAN_AUTHOR,
    )
    .unwrap();
    for expected in [Some(ours.head_sha.as_str()), None] {
        let err = git::push_branch(
            w.cache_dir(),
            &url,
            None,
            &bump(&[("Cargo.toml", "v3\n")], expected),
            &bot(),
        )
        .unwrap_err();
        assert!(err.is_rejected(), "{err}");
        let PushError::Rejected { message } = &err else {
            unreachable!()
        };
        assert!(
            message.contains(&theirs) && message.contains("ada@example.com"),
            "{message}"
        );
        assert_eq!(
            head_of(&remote, BRANCH).unwrap(),
            theirs,
            "human commit still there"
        );
        assert_eq!(
            file_on(&remote, BRANCH, "fix.rs").unwrap(),
            "// human fix\n"
        );
    }
}

#[test]
fn a_branch_replaced_by_a_human_is_left_alone() {
    let w = World::new();
    let remote = w.remote("api", &[("Cargo.toml", "v1\n")]);
    let url = file_url(&remote);
    let ours = git::push_branch(
        w.cache_dir(),
        &url,
        None,
        &bump(&[("Cargo.toml", "v2\n")], None),
        &bot(),
    )
    .unwrap();
    // A human force-pushes their own version (parent main, human author).
    let theirs = git::push_branch(
        tempfile::tempdir().unwrap().path(),
        &url,
        None,
        &bump(&[("Cargo.toml", "v2-human\n")], Some(&ours.head_sha)),
        &human(),
    )
    .unwrap();
    for expected in [Some(ours.head_sha.as_str()), None] {
        let err = git::push_branch(
            w.cache_dir(),
            &url,
            None,
            &bump(&[("Cargo.toml", "v2\n")], expected),
            &bot(),
        )
        .unwrap_err();
        assert!(err.is_rejected(), "{err}");
        assert_eq!(head_of(&remote, BRANCH).unwrap(), theirs.head_sha);
    }
    // The forge-level error is PushRejected naming the repository and branch.
    let err = git::push_branch(
        w.cache_dir(),
        &url,
        None,
        &bump(&[("Cargo.toml", "v2\n")], None),
        &bot(),
    )
    .unwrap_err();
    match err.into_forge("acme/api", BRANCH) {
        wavebump::forge::ForgeError::PushRejected { repo, branch, .. } => {
            assert_eq!((repo.as_str(), branch.as_str()), ("acme/api", BRANCH));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_requests_are_errors_not_pushes() {
    let w = World::new();
    let remote = w.remote("api", &[("Cargo.toml", "v1\n")]);
    let url = file_url(&remote);
    let cases: Vec<(&str, wavebump::forge::BranchPush, &str)> = vec![
        (
            "dotdot path",
            bump(&[("../evil", "x")], None),
            "expected normal path components",
        ),
        (
            "absolute path",
            bump(&[("/etc/passwd", "x")], None),
            "expected a relative path",
        ),
        (
            "git dir",
            bump(&[(".git/config", "x")], None),
            "inside .git",
        ),
        (
            "bad expected",
            bump(&[("a", "x")], Some("not-a-sha")),
            "40-hex",
        ),
        (
            "onto main",
            {
                let mut p = bump(&[("a", "x")], None);
                p.branch = "main".into();
                p
            },
            "base branch",
        ),
        (
            "bad branch",
            {
                let mut p = bump(&[("a", "x")], None);
                p.branch = "a..b".into();
                p
            },
            "not a valid branch name",
        ),
        (
            "missing base",
            {
                let mut p = bump(&[("a", "x")], None);
                p.base_branch = "trunk".into();
                p
            },
            "not found on the remote",
        ),
    ];
    for (name, push, want) in cases {
        let err = git::push_branch(w.cache_dir(), &url, None, &push, &bot()).unwrap_err();
        assert!(!err.is_rejected(), "{name}: {err}");
        assert!(err.to_string().contains(want), "{name}: {err}");
        assert_eq!(head_of(&remote, BRANCH), None, "{name}: nothing pushed");
    }
}

#[test]
fn a_missing_remote_is_a_failure_naming_it() {
    let w = World::new();
    let url = file_url(&w.remotes.path().join("nope.git"));
    let err = git::push_branch(
        w.cache_dir(),
        &url,
        None,
        &bump(&[("a", "x")], None),
        &bot(),
    )
    .unwrap_err();
    assert!(
        matches!(err, PushError::Failed { .. } | PushError::Network { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("nope.git"), "{err}");
}

#[test]
fn empty_commit_push_retriggers_ci_on_top_of_the_expected_head() {
    let w = World::new();
    let remote = w.remote("api", &[("Cargo.toml", "v1\n")]);
    let url = file_url(&remote);
    let ours = git::push_branch(
        w.cache_dir(),
        &url,
        None,
        &bump(&[("Cargo.toml", "v2\n")], None),
        &bot(),
    )
    .unwrap();
    let new = git::empty_commit_push(
        w.cache_dir(),
        &url,
        None,
        BRANCH,
        &ours.head_sha,
        "Retry CI",
        &bot(),
    )
    .unwrap();
    let info = git::commit_info(&remote, &new).unwrap();
    assert_eq!(info.parents, std::slice::from_ref(&ours.head_sha));
    assert_eq!(
        info.tree,
        git::commit_info(&remote, &ours.head_sha).unwrap().tree
    );
    assert_eq!(head_of(&remote, BRANCH).unwrap(), new);
    // Stale expectation: refused, nothing moves.
    let err = git::empty_commit_push(
        w.cache_dir(),
        &url,
        None,
        BRANCH,
        &ours.head_sha,
        "Retry CI",
        &bot(),
    )
    .unwrap_err();
    assert!(err.is_rejected(), "{err}");
    assert_eq!(head_of(&remote, BRANCH).unwrap(), new);
    let err = git::empty_commit_push(
        w.cache_dir(),
        &url,
        None,
        "wavebump/gone",
        &new,
        "Retry",
        &bot(),
    )
    .unwrap_err();
    assert!(err.is_rejected(), "{err}");
}

#[test]
fn remote_branch_head_reads_the_advertisement() {
    let w = World::new();
    let remote = w.remote("api", &[("Cargo.toml", "v1\n")]);
    let url = file_url(&remote);
    assert_eq!(git::remote_branch_head(&url, None, BRANCH).unwrap(), None);
    let ours = git::push_branch(
        w.cache_dir(),
        &url,
        None,
        &bump(&[("Cargo.toml", "v2\n")], None),
        &bot(),
    )
    .unwrap();
    assert_eq!(
        git::remote_branch_head(&url, None, BRANCH).unwrap(),
        Some(ours.head_sha)
    );
    assert_eq!(
        git::remote_branch_head(&url, None, "main").unwrap(),
        head_of(&remote, "main")
    );
}

#[test]
fn the_cache_is_reused_and_holds_no_remote_config() {
    let w = World::new();
    let remote = w.remote("api", &[("Cargo.toml", "v1\n")]);
    let url = file_url(&remote);
    for text in ["v2\n", "v3\n"] {
        let expected = head_of(&remote, BRANCH);
        git::push_branch(
            w.cache_dir(),
            &url,
            None,
            &bump(&[("Cargo.toml", text)], expected.as_deref()),
            &bot(),
        )
        .unwrap();
    }
    let entries: Vec<_> = std::fs::read_dir(w.cache_dir())
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(entries.len(), 1, "one cache repository per remote");
    let config = std::fs::read_to_string(entries[0].path().join("config")).unwrap();
    assert!(!config.contains("[remote"), "{config}");
    assert!(!config.contains("file://"), "{config}");
}
