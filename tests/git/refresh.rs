//! Lockfile refreshes during a push: a fake tool on a test `PATH`, a
//! failing one, a missing one, a slow one, and the scrubbed environment.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use wavebump::git::{self, PushOptions};

use super::*;

/// A directory with executable shell scripts `name → body`.
fn tools(dir: &Path, scripts: &[(&str, &str)]) -> OsString {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    for (name, body) in scripts {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::env::join_paths([dir.to_path_buf(), "/usr/bin".into(), "/bin".into()]).unwrap()
}

fn options(path: OsString, timeout: Duration) -> PushOptions {
    PushOptions {
        refresh_timeout: timeout,
        refresh_path: Some(path),
        ..PushOptions::default()
    }
}

#[test]
fn refresh_outcomes_table() {
    let w = World::new();
    let bin = tempfile::tempdir().unwrap();
    let path = tools(
        bin.path(),
        &[
            (
                "fake-lock",
                "printf 'locked %s in %s\\n' \"$1\" \"$(basename \"$PWD\")\" > Cargo.lock",
            ),
            ("noop-lock", "exit 0"),
            (
                "broken-lock",
                "echo 'first line' >&2; echo 'error: no matching package core-utils' >&2; exit 101",
            ),
            ("slow-lock", "exec sleep 30"),
        ],
    );
    // (name, refresh, expected note, expected lockfile on the branch)
    let cases: Vec<(&str, wavebump::ecosystem::LockRefresh, &str, &str)> = vec![
        (
            "ran and updated",
            refresh("svc", "svc/Cargo.lock", &[&["fake-lock", "2.0.0"]]),
            "ran `fake-lock 2.0.0`: `svc/Cargo.lock` updated",
            "locked 2.0.0 in svc\n",
        ),
        (
            "ran, nothing to change",
            refresh("svc", "svc/Cargo.lock", &[&["noop-lock"]]),
            "ran `noop-lock`: `svc/Cargo.lock` already up to date",
            "old lock\n",
        ),
        (
            "two commands",
            refresh(
                "svc",
                "svc/Cargo.lock",
                &[&["noop-lock"], &["fake-lock", "x y"]],
            ),
            "ran `noop-lock`, then `fake-lock 'x y'`: `svc/Cargo.lock` updated",
            "locked x y in svc\n",
        ),
        (
            "tool fails",
            refresh("svc", "svc/Cargo.lock", &[&["broken-lock"]]),
            "`svc/Cargo.lock` not refreshed: `broken-lock` failed with status 101: first line / error: no matching package core-utils",
            "old lock\n",
        ),
        (
            "tool missing",
            refresh(
                "svc",
                "svc/Cargo.lock",
                &[&["cargo-not-installed", "update"]],
            ),
            "`svc/Cargo.lock` not refreshed: tool missing: `cargo-not-installed` is not on PATH",
            "old lock\n",
        ),
        (
            "tool too slow",
            refresh("svc", "svc/Cargo.lock", &[&["slow-lock"]]),
            "`svc/Cargo.lock` not refreshed: `slow-lock` timed out after 0.3s and was stopped",
            "old lock\n",
        ),
        (
            "program given as a path",
            refresh("svc", "svc/Cargo.lock", &[&["./fake-lock"]]),
            "`svc/Cargo.lock` not refreshed: `./fake-lock` not run: the program must be a bare name looked up on PATH",
            "old lock\n",
        ),
        (
            "directory outside",
            refresh("../..", "svc/Cargo.lock", &[&["fake-lock"]]),
            "`svc/Cargo.lock` not refreshed: check path: \"../..\": expected normal path components",
            "old lock\n",
        ),
    ];
    for (i, (name, refresh, note, lock)) in cases.into_iter().enumerate() {
        let remote = w.remote(
            &format!("r{i}"),
            &[
                ("svc/Cargo.toml", "core-utils = \"1\"\n"),
                ("svc/Cargo.lock", "old lock\n"),
            ],
        );
        let mut push = bump(&[("svc/Cargo.toml", "core-utils = \"2\"\n")], None);
        push.lock_refresh = vec![refresh];
        let out = git::push_branch_with(
            w.cache_dir(),
            &file_url(&remote),
            None,
            &push,
            &bot(),
            &options(path.clone(), Duration::from_millis(300)),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.lock_notes, [note], "{name}");
        assert_eq!(
            file_on(&remote, BRANCH, "svc/Cargo.lock").unwrap(),
            lock,
            "{name}"
        );
        assert_eq!(
            file_on(&remote, BRANCH, "svc/Cargo.toml").unwrap(),
            "core-utils = \"2\"\n",
            "{name}"
        );
    }
}

#[test]
fn refresh_sees_the_rewritten_manifest_and_a_scrubbed_environment() {
    let w = World::new();
    let bin = tempfile::tempdir().unwrap();
    let path = tools(
        bin.path(),
        &[(
            "env-lock",
            "{ cat Cargo.toml; env | cut -d= -f1 | sort; } > Cargo.lock",
        )],
    );
    let remote = w.remote(
        "api",
        &[("Cargo.toml", "old\n"), ("Cargo.lock", "old lock\n")],
    );
    let mut push = bump(&[("Cargo.toml", "new manifest\n")], None);
    push.lock_refresh = vec![refresh("", "Cargo.lock", &[&["env-lock"]])];
    let creds = git::Credentials::token("ghs_TOPSECRET");
    let out = git::push_branch_with(
        w.cache_dir(),
        &file_url(&remote),
        Some(&creds),
        &push,
        &bot(),
        &options(path, Duration::from_secs(20)),
    )
    .unwrap();
    assert_eq!(out.lock_notes, ["ran `env-lock`: `Cargo.lock` updated"]);
    let lock = file_on(&remote, BRANCH, "Cargo.lock").unwrap();
    let mut lines = lock.lines();
    assert_eq!(
        lines.next(),
        Some("new manifest"),
        "the tool ran on the rewritten files"
    );
    let allowed = [
        "PATH",
        "HOME",
        "USER",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "TZ",
        "TMPDIR",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
        "GOPATH",
        "GOMODCACHE",
        "GOCACHE",
        "GOFLAGS",
        "npm_config_cache",
        "BUNDLE_PATH",
        "GEM_HOME",
        "PIP_CACHE_DIR",
        "UV_CACHE_DIR",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        // set by /bin/sh itself
        "PWD",
        "OLDPWD",
        "SHLVL",
        "_",
    ];
    for var in lines {
        assert!(
            allowed.contains(&var),
            "unexpected variable {var} in the tool's environment"
        );
    }
    assert!(!lock.contains("ghs_TOPSECRET"));
}

#[test]
fn a_symlinked_lockfile_is_not_followed() {
    let w = World::new();
    let bin = tempfile::tempdir().unwrap();
    let secret = bin.path().join("host-secret");
    std::fs::write(&secret, "host secret\n").unwrap();
    let path = tools(
        bin.path(),
        &[(
            "link-lock",
            &format!("rm -f Cargo.lock; ln -s {} Cargo.lock", secret.display()),
        )],
    );
    let remote = w.remote(
        "api",
        &[("Cargo.toml", "x\n"), ("Cargo.lock", "old lock\n")],
    );
    let mut push = bump(&[("Cargo.toml", "y\n")], None);
    push.lock_refresh = vec![refresh("", "Cargo.lock", &[&["link-lock"]])];
    let out = git::push_branch_with(
        w.cache_dir(),
        &file_url(&remote),
        None,
        &push,
        &bot(),
        &options(path, Duration::from_secs(20)),
    )
    .unwrap();
    assert_eq!(
        out.lock_notes,
        ["ran `link-lock`, but `Cargo.lock` could not be read: not a regular file"]
    );
    assert_eq!(
        file_on(&remote, BRANCH, "Cargo.lock").unwrap(),
        "old lock\n"
    );
}

#[test]
fn a_human_push_during_the_refresh_wins_the_race() {
    let w = World::new();
    let remote = w.remote("api", &[("Cargo.toml", "v1\n"), ("Cargo.lock", "old\n")]);
    let url = file_url(&remote);
    let ours = git::push_branch(
        w.cache_dir(),
        &url,
        None,
        &bump(&[("Cargo.toml", "v2\n")], None),
        &bot(),
    )
    .unwrap();
    // Prepare a human commit on the branch, then put the branch back.
    let theirs = git::commit_on_branch(
        &remote,
        BRANCH,
        &[("fix".into(), b"fix\n".to_vec())],
        "fix",
        &HUMAN_AUTHOR,
    )
    .unwrap();
    let update_ref = |sha: &str| {
        format!(
            "git --git-dir={} update-ref refs/heads/{BRANCH} {sha}",
            remote.display()
        )
    };
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(update_ref(&ours.head_sha))
        .status()
        .unwrap();
    assert!(status.success());
    // The human pushes while our lockfile refresh runs (after our fetch and
    // check, before our push).
    let bin = tempfile::tempdir().unwrap();
    let path = tools(bin.path(), &[("racing-lock", &update_ref(&theirs))]);
    let mut push = bump(&[("Cargo.toml", "v3\n")], Some(&ours.head_sha));
    push.lock_refresh = vec![refresh("", "Cargo.lock", &[&["racing-lock"]])];
    // The "human" writes to the remote from inside the refresh, which the
    // sandbox would hide: this test runs unsandboxed.
    let unsandboxed = PushOptions {
        refresh_sandbox: git::RefreshSandbox::None,
        ..options(path, Duration::from_secs(20))
    };
    let err =
        git::push_branch_with(w.cache_dir(), &url, None, &push, &bot(), &unsandboxed).unwrap_err();
    assert!(err.is_rejected(), "{err}");
    assert!(err.to_string().contains("moved"), "{err}");
    assert_eq!(
        head_of(&remote, BRANCH).unwrap(),
        theirs,
        "the human's commit stays"
    );
}

/// A fake `bundle` that, like a malicious Gemfile, tries to read the App
/// key, the store and the git cache, and writes what it saw into the
/// lockfile.
fn snooping_bundle(bin: &Path, key: &Path, store: &Path, cache: &Path) -> OsString {
    tools(
        bin,
        &[(
            "bundle",
            &format!(
                "{{ echo ran; cat '{}' || echo no-key; ls '{}' || echo no-store; ls '{}' || echo no-cache; }} > Gemfile.lock 2>/dev/null",
                key.display(),
                store.display(),
                cache.display()
            ),
        )],
    )
}

/// The App key and store of a deployment, outside the checkout.
struct Secrets {
    _dir: tempfile::TempDir,
    key: std::path::PathBuf,
    store: std::path::PathBuf,
}

fn secrets() -> Secrets {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("wavebump-app.pem");
    std::fs::write(&key, "-----BEGIN PRIVATE KEY----- APPKEYSECRET\n").unwrap();
    let store = dir.path().join("store");
    std::fs::create_dir(&store).unwrap();
    std::fs::write(store.join("wavebump.db"), "STORESECRET").unwrap();
    Secrets {
        key,
        store,
        _dir: dir,
    }
}

fn ruby_push() -> wavebump::forge::BranchPush {
    let mut push = bump(&[("Gemfile", "gem \"core-utils\", \"~> 2.0\"\n")], None);
    push.lock_refresh = vec![refresh("", "Gemfile.lock", &[&["bundle", "lock"]])];
    push
}

fn ruby_remote(w: &World, name: &str) -> std::path::PathBuf {
    w.remote(
        name,
        &[
            ("Gemfile", "gem \"core-utils\", \"~> 1.0\"\n"),
            ("Gemfile.lock", "old lock\n"),
        ],
    )
}

#[test]
fn the_sandbox_hides_the_app_key_the_store_and_the_git_cache() {
    assert!(
        Path::new("/usr/bin/bwrap").is_file(),
        "bubblewrap is needed (scripts/test installs it)"
    );
    let w = World::new();
    let s = secrets();
    // The key is readable from here: only the sandbox stops the tool.
    assert!(
        std::fs::read_to_string(&s.key)
            .unwrap()
            .contains("APPKEYSECRET")
    );
    let bin = tempfile::tempdir().unwrap();
    let path = snooping_bundle(bin.path(), &s.key, &s.store, w.cache_dir());
    let remote = ruby_remote(&w, "gems");
    let out = git::push_branch_with(
        w.cache_dir(),
        &file_url(&remote),
        None,
        &ruby_push(),
        &bot(),
        &PushOptions {
            refresh_path: Some(path),
            refresh_sandbox: git::RefreshSandbox::Required,
            sandbox_program: Some("/usr/bin/bwrap".into()),
            ..PushOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        out.lock_notes,
        ["ran `bundle lock`: `Gemfile.lock` updated"]
    );
    let lock = file_on(&remote, BRANCH, "Gemfile.lock").unwrap();
    assert_eq!(lock, "ran\nno-key\nno-store\nno-cache\n");
    assert_eq!(
        file_on(&remote, BRANCH, "Gemfile").unwrap(),
        "gem \"core-utils\", \"~> 2.0\"\n"
    );
}

#[test]
fn without_the_sandbox_the_same_tool_reads_the_key() {
    // `refresh_sandbox: none` runs as before: the tool sees everything
    // (which is what the sandbox is for).
    let w = World::new();
    let s = secrets();
    let bin = tempfile::tempdir().unwrap();
    let path = snooping_bundle(bin.path(), &s.key, &s.store, w.cache_dir());
    let remote = ruby_remote(&w, "gems");
    let out = git::push_branch_with(
        w.cache_dir(),
        &file_url(&remote),
        None,
        &ruby_push(),
        &bot(),
        &PushOptions {
            refresh_path: Some(path),
            refresh_sandbox: git::RefreshSandbox::None,
            sandbox_program: Some("/no/such/bwrap".into()),
            ..PushOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        out.lock_notes,
        ["ran `bundle lock`: `Gemfile.lock` updated"]
    );
    let lock = file_on(&remote, BRANCH, "Gemfile.lock").unwrap();
    assert!(lock.contains("APPKEYSECRET"), "{lock}");
    assert!(lock.contains("wavebump.db"), "{lock}");
}

#[test]
fn no_sandbox_skips_the_refresh_with_a_note_or_fails_when_required() {
    let w = World::new();
    let s = secrets();
    let bin = tempfile::tempdir().unwrap();
    let path = snooping_bundle(bin.path(), &s.key, &s.store, w.cache_dir());
    // A PATH without bwrap (the tools' directory only), or a missing program.
    let only_tools: OsString = bin.path().as_os_str().to_owned();
    let cases: Vec<(&str, OsString, Option<std::path::PathBuf>, &str)> = vec![
        (
            "not on PATH",
            only_tools,
            None,
            "`Gemfile.lock` not refreshed: no sandbox: `bwrap` is not on PATH (install bubblewrap or set pull_requests.refresh_sandbox: none)",
        ),
        (
            "configured program missing",
            path.clone(),
            Some("/no/such/bwrap".into()),
            "`Gemfile.lock` not refreshed: no sandbox: `/no/such/bwrap` does not exist (install bubblewrap or set pull_requests.refresh_sandbox: none)",
        ),
    ];
    for (i, (name, path, program, note)) in cases.into_iter().enumerate() {
        let remote = ruby_remote(&w, &format!("gems{i}"));
        let out = git::push_branch_with(
            w.cache_dir(),
            &file_url(&remote),
            None,
            &ruby_push(),
            &bot(),
            &PushOptions {
                refresh_path: Some(path.clone()),
                sandbox_program: program.clone(),
                ..PushOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.lock_notes, [note], "{name}");
        assert_eq!(
            file_on(&remote, BRANCH, "Gemfile.lock").unwrap(),
            "old lock\n",
            "{name}: the tool did not run"
        );
        assert_eq!(
            file_on(&remote, BRANCH, "Gemfile").unwrap(),
            "gem \"core-utils\", \"~> 2.0\"\n",
            "{name}: the bump itself is pushed"
        );
        // `required` refuses the push instead.
        let remote = ruby_remote(&w, &format!("strict{i}"));
        let err = git::push_branch_with(
            w.cache_dir(),
            &file_url(&remote),
            None,
            &ruby_push(),
            &bot(),
            &PushOptions {
                refresh_path: Some(path),
                sandbox_program: program,
                refresh_sandbox: git::RefreshSandbox::Required,
                ..PushOptions::default()
            },
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("pull_requests.refresh_sandbox is `required` but no sandbox"),
            "{name}: {err}"
        );
        assert!(head_of(&remote, BRANCH).is_none(), "{name}: nothing pushed");
    }
}
