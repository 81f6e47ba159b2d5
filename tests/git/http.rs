//! Over smart HTTP with basic auth (`support::git_http`): shallow fetch,
//! credentials that work, and a token that appears nowhere but in the
//! `Authorization` header.

use wavebump::git::{self, Credentials, PushError};

use super::*;
use crate::support::git_http::{GitHttp, base64};

const TOKEN: &str = "ghs_S3CRET_installation_token";

fn served() -> (World, PathBuf, GitHttp) {
    let w = World::new();
    let remote = w.remote("api.git", &[("Cargo.toml", "v1\n"), ("src/lib.rs", "//\n")]);
    // Some history, so that a full fetch and a shallow one differ.
    for i in 0..3 {
        git::commit_on_branch(
            &remote,
            "main",
            &[("history.txt".into(), format!("{i}\n").into_bytes())],
            "history",
            &HUMAN_AUTHOR,
        )
        .unwrap();
    }
    let server = GitHttp::start(w.remotes.path(), Some(TOKEN));
    (w, remote, server)
}

#[test]
fn push_over_http_with_a_token_is_shallow_and_leaves_no_trace_of_it() {
    let (w, remote, server) = served();
    let creds = Credentials::token(TOKEN);
    let url = server.url("api.git");
    let out = git::push_branch(
        w.cache_dir(),
        &url,
        Some(&creds),
        &bump(&[("Cargo.toml", "v2\n")], None),
        &bot(),
    )
    .unwrap();
    assert_eq!(head_of(&remote, BRANCH).unwrap(), out.head_sha);
    assert_eq!(file_on(&remote, BRANCH, "Cargo.toml").unwrap(), "v2\n");
    let info = git::commit_info(&remote, &out.head_sha).unwrap();
    assert_eq!(info.parents, [head_of(&remote, "main").unwrap()]);

    let requests = server.requests();
    // The fetch asked for depth 1.
    assert!(
        requests.iter().any(|r| r.path.ends_with("git-upload-pack")
            && String::from_utf8_lossy(&r.body).contains("deepen 1")),
        "no shallow fetch in {:?}",
        requests
            .iter()
            .map(|r| (&r.method, &r.path, r.status))
            .collect::<Vec<_>>()
    );
    // The push went through receive-pack, authenticated.
    assert!(
        requests
            .iter()
            .any(|r| r.path.ends_with("git-receive-pack") && r.status == 200 && r.authorized)
    );
    // The token travelled only as basic auth for x-access-token.
    let header = format!(
        "Basic {}",
        base64(format!("x-access-token:{TOKEN}").as_bytes())
    );
    for r in &requests {
        assert!(r.authorization.is_none() || r.authorization.as_deref() == Some(header.as_str()));
        assert!(!r.path.contains(TOKEN) && !r.query.contains(TOKEN));
    }
    // The cache is shallow and holds the token nowhere (config, refs, logs).
    let caches: Vec<_> = std::fs::read_dir(w.cache_dir())
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(caches.len(), 1);
    assert!(
        caches[0].path().join("shallow").exists(),
        "cache is shallow"
    );
    for file in all_files(w.cache_dir()) {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(TOKEN), "token in {}", file.display());
        assert!(
            !text.contains(&base64(format!("x-access-token:{TOKEN}").as_bytes())),
            "token in {}",
            file.display()
        );
    }
    let config = std::fs::read_to_string(caches[0].path().join("config")).unwrap();
    assert!(!config.contains("http://"), "{config}");

    // Re-push through the same (shallow) cache, then an empty commit.
    let again = git::push_branch(
        w.cache_dir(),
        &url,
        Some(&creds),
        &bump(&[("Cargo.toml", "v3\n")], Some(&out.head_sha)),
        &bot(),
    )
    .unwrap();
    assert_eq!(file_on(&remote, BRANCH, "Cargo.toml").unwrap(), "v3\n");
    let retry = git::empty_commit_push(
        w.cache_dir(),
        &url,
        Some(&creds),
        BRANCH,
        &again.head_sha,
        "Retry CI",
        &bot(),
    )
    .unwrap();
    assert_eq!(
        git::commit_info(&remote, &retry).unwrap().parents,
        std::slice::from_ref(&again.head_sha)
    );
    assert_eq!(
        git::remote_branch_head(&url, Some(&creds), BRANCH).unwrap(),
        Some(retry)
    );
}

#[test]
fn a_human_commit_is_not_overwritten_over_http_either() {
    let (w, remote, server) = served();
    let creds = Credentials::token(TOKEN);
    let url = server.url("api.git");
    let ours = git::push_branch(
        w.cache_dir(),
        &url,
        Some(&creds),
        &bump(&[("Cargo.toml", "v2\n")], None),
        &bot(),
    )
    .unwrap();
    let theirs = git::commit_on_branch(
        &remote,
        BRANCH,
        &[("fix".into(), b"fix\n".to_vec())],
        "fix",
        &HUMAN_AUTHOR,
    )
    .unwrap();
    let err = git::push_branch(
        w.cache_dir(),
        &url,
        Some(&creds),
        &bump(&[("Cargo.toml", "v3\n")], Some(&ours.head_sha)),
        &bot(),
    )
    .unwrap_err();
    assert!(err.is_rejected(), "{err}");
    assert_eq!(head_of(&remote, BRANCH).unwrap(), theirs);
}

#[test]
fn missing_or_wrong_credentials_fail_without_quoting_the_token() {
    let (w, remote, server) = served();
    let url = server.url("api.git");
    let wrong = Credentials::token("ghs_WRONG_token_value");
    let cases: Vec<(&str, Option<&Credentials>)> = vec![("none", None), ("wrong", Some(&wrong))];
    for (name, creds) in cases {
        let err = git::push_branch(
            w.cache_dir(),
            &url,
            creds,
            &bump(&[("Cargo.toml", "v2\n")], None),
            &bot(),
        )
        .unwrap_err();
        assert!(matches!(err, PushError::Auth { .. }), "{name}: {err:?}");
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("ghs_WRONG_token_value") && !text.contains(TOKEN),
            "{name}: {text}"
        );
        assert!(
            !text.contains(&base64(b"x-access-token:ghs_WRONG_token_value")),
            "{name}: {text}"
        );
        assert_eq!(head_of(&remote, BRANCH), None, "{name}");
        let err = git::remote_branch_head(&url, creds, BRANCH).unwrap_err();
        assert!(matches!(err, PushError::Auth { .. }), "{name}: {err:?}");
    }
    assert_eq!(format!("{wrong:?}"), "Credentials(<redacted>)");
}

#[test]
fn a_token_in_the_url_is_scrubbed_from_errors() {
    let w = World::new();
    // Nothing listens on port 9 of 127.0.0.1 (discard): a network error
    // whose text would name the URL.
    let url = "http://x-access-token:ghs_IN_URL@127.0.0.1:9/acme/api.git";
    let creds = Credentials::token("ghs_IN_URL");
    let err = git::push_branch(
        w.cache_dir(),
        url,
        Some(&creds),
        &bump(&[("a", "b")], None),
        &bot(),
    )
    .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("ghs_IN_URL"), "{text}");
    assert!(text.contains("127.0.0.1:9"), "{text}");
    for file in all_files(w.cache_dir()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains("ghs_IN_URL"), "{}", file.display());
    }
}
