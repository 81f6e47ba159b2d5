//! `wavebump inspect` end to end on the checked-in example monorepo.

use std::process::Command;

use crate::support::crate_root;

fn wavebump() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wavebump"))
}

#[test]
fn bad_version_is_a_usage_error() {
    let out = wavebump()
        .args(["inspect", "examples/monorepo", "--to", "two"])
        .current_dir(crate_root())
        .output()
        .expect("run wavebump");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--to \"two\" is not a version"), "{stderr}");
}

#[test]
fn inspect_reports_every_target_of_the_example_monorepo() {
    let out = wavebump()
        .args(["inspect", "examples/monorepo", "--to", "2.0.0", "--json"])
        .current_dir(crate_root())
        .output()
        .expect("run wavebump");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rows: Vec<String> = json["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| {
            format!(
                "{} {}:{} {} locked={} {} -> {}",
                t["ecosystem"].as_str().unwrap(),
                t["path"].as_str().unwrap(),
                t["line"],
                t["requirement"].as_str().unwrap(),
                t["locked_version"].as_str().unwrap_or("-"),
                t["classification"].as_str().unwrap(),
                t["new_requirement"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "cargo Cargo.toml:7 1.4 locked=1.4.2 major -> 2.0",
            "cargo libs/money/Cargo.toml:7 v1.4.0 locked=1.4.2 major -> v2.0.0",
            "cargo services/billing/Cargo.toml:7 1.4 locked=1.4.2 major -> 2.0",
            "cargo services/billing/Cargo.toml:11 =1.4.2 locked=1.4.2 major -> =2.0.0",
            "npm services/web/package.json:5 ^1.4.0 locked=1.4.2 major -> ^2.0.0",
            "npm services/web/package.json:9 ~1.4.2 locked=- major -> ~2.0.0",
            "go services/orders/go.mod:6 v1.4.2 locked=- major -> v2.0.0",
            "python services/reports/requirements.txt:2 >=1.4,<2 locked=- major -> >=1.4,<3",
            "ruby services/store/Gemfile:4 ~> 1.4 locked=1.4.2 major -> ~> 2.0",
        ]
    );
    assert_eq!(json["errors"].as_array().map(Vec::len), Some(0));

    // The table shows the same, and --diff the exact rewrites.
    let out = wavebump()
        .args(["inspect", "examples/monorepo", "--to", "1.4.5", "--diff"])
        .current_dir(crate_root())
        .output()
        .expect("run wavebump");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ECOSYSTEM  MANIFEST"), "{text}");
    assert!(
        text.contains("9 target(s) for version 1.4.5, 0 manifest error(s)"),
        "{text}"
    );
    assert!(text.contains("lockfile-only"), "{text}");
    assert!(text.contains("-cu-test = { package = \"core-utils\", version = \"=1.4.2\", features = [\"testing\"] }\n+cu-test = { package = \"core-utils\", version = \"=1.4.5\", features = [\"testing\"] }"), "{text}");
}

#[test]
fn completions_and_help_examples() {
    let out = wavebump()
        .args(["completions", "bash"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(script.contains("_wavebump()"), "{script}");
    for cmd in ["plan", "demo", "inspect", "completions"] {
        let out = wavebump().args([cmd, "--help"]).output().expect("run");
        assert_eq!(out.status.code(), Some(0), "{cmd}");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains("Example"),
            "{cmd} --help has no example:\n{help}"
        );
    }
}

/// `--json --diff` prints one JSON document with each diff in a field.
#[test]
fn json_and_diff_are_one_document() {
    let out = wavebump()
        .args([
            "inspect",
            "examples/monorepo",
            "--to",
            "2.0.0",
            "--json",
            "--diff",
        ])
        .current_dir(crate_root())
        .output()
        .expect("run wavebump");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let diffs = json["diffs"].as_array().expect("diffs");
    assert!(!diffs.is_empty());
    for d in diffs {
        let path = d["path"].as_str().expect("path");
        let diff = d["diff"].as_str().expect("diff");
        assert!(diff.contains(&format!("+++ b/{path}")), "{diff}");
    }
    assert!(json["targets"].as_array().is_some_and(|t| !t.is_empty()));
}

/// A closed pipe (`wavebump inspect … | head`) ends quietly: no panic.
#[test]
fn closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = crate::support::scratch::tempdir();
    for i in 0..1500 {
        let sub = dir.path().join(format!("pkg{i:04}"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(
            sub.join("package.json"),
            "{\"dependencies\": {\"@acme/core-utils\": \"^1.4.0\"}}",
        )
        .unwrap();
    }
    let mut child = wavebump()
        .args(["inspect", ".", "--to", "2.0.0", "--diff"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wavebump");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout); // the reader goes away, like `head`
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}
