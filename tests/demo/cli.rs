//! `wavebump demo` as a command: a run kept in `--dir`, `--generate`, and
//! the refusals of bad options.

use std::process::{Command, Output};

fn wavebump(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wavebump"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run wavebump")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_kept_run_completes_and_leaves_its_records() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = wavebump(&[
        "demo",
        "--repos",
        "1",
        "--speed",
        "1e9",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.starts_with("Plan: core-utils → 2.0.0\n"), "{stdout}");
    assert!(stdout.contains("COMPLETED"), "{stdout}");
    assert!(stdout.contains("\n  real time: "), "{stdout}");
    assert!(
        text(&out.stderr).contains(dir.to_str().unwrap()),
        "paths go to stderr"
    );
    assert!(
        stdout
            .lines()
            .filter(|l| l.contains(tmp.path().to_str().unwrap()))
            .all(|l| l.contains("kept in")),
        "the transcript holds no path: {stdout}"
    );
    for kept in ["wavebump.db", ".wavebump/pulls.json", "core-utils.git/HEAD"] {
        assert!(dir.join(kept).exists(), "{kept}");
    }
    // A second run into the same directory is refused.
    let again = wavebump(&["demo", "--dir", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("expected an empty or new directory"));
}

#[test]
fn generate_writes_bare_repositories_and_bad_speeds_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let org = tmp.path().join("org");
    let out = wavebump(&["demo", "--generate", org.to_str().unwrap(), "--repos", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(org.join("core-utils.git/HEAD").is_file(), "bare");
    assert!(!org.join("core-utils").exists());
    for speed in ["0", "-5", "inf", "NaN"] {
        let out = wavebump(&["demo", &format!("--speed={speed}")]);
        assert_eq!(out.status.code(), Some(2), "--speed {speed}");
        assert!(text(&out.stderr).contains("--speed"), "{speed}");
    }
    let both = wavebump(&["demo", "--generate", "x", "--dir", "y"]);
    assert_eq!(both.status.code(), Some(2));
}
