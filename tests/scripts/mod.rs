//! `scripts/test` (the README's test command) on simulated machines: a
//! PATH of stub commands that log their arguments. Everything present: no
//! install, straight to `cargo test --locked ARGS`; something missing: the
//! Debian packages installed with apt-get (through sudo when not root);
//! neither root nor sudo, or no apt-get: a message naming the packages and
//! exit 1 without running the tests.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// Commands of a complete machine (before the case removes some).
const ALL: &[&str] = &[
    "git",
    "cc",
    "pkg-config",
    "chromium",
    "chromedriver",
    "bwrap",
    "apt-get",
    "sudo",
];

struct Case {
    name: &'static str,
    /// Commands absent from the machine.
    without: &'static [&'static str],
    root: bool,
    postgres: bool,
    /// Exit status, and the log of stub calls it must produce.
    code: i32,
    log: &'static [&'static str],
    stderr: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "everything present",
        without: &[],
        root: false,
        postgres: true,
        code: 0,
        log: &["cargo test --locked pages demo"],
        stderr: "",
    },
    Case {
        name: "root installs what is missing",
        without: &["chromedriver", "git", "bwrap"],
        root: true,
        postgres: false,
        code: 0,
        log: &[
            "apt-get update -qq",
            "apt-get install -y -qq git postgresql chromium-driver bubblewrap",
            "cargo test --locked pages demo",
        ],
        stderr: "installing git postgresql chromium-driver bubblewrap",
    },
    Case {
        name: "sudo when not root",
        without: &["chromium", "pkg-config"],
        root: false,
        postgres: true,
        code: 0,
        log: &[
            "sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
            "apt-get update -qq",
            "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pkg-config libssl-dev chromium",
            "apt-get install -y -qq pkg-config libssl-dev chromium",
            "cargo test --locked pages demo",
        ],
        stderr: "",
    },
    Case {
        name: "neither root nor sudo",
        without: &["sudo", "cc"],
        root: false,
        postgres: true,
        code: 1,
        log: &[],
        stderr: "not root and no sudo: as root run\n  apt-get install build-essential",
    },
    Case {
        name: "no apt-get",
        without: &["apt-get", "chromedriver"],
        root: true,
        postgres: true,
        code: 1,
        log: &[],
        stderr: "missing: chromium-driver; this is not a Debian-like system",
    },
];

fn stub(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn scripts_test_installs_what_is_missing_then_runs_cargo_test() {
    let root = crate::support::crate_root();
    for case in CASES {
        let tmp = tempfile::tempdir().unwrap();
        let bin = tmp.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let log = tmp.path().join("log");
        let record = format!("echo \"$(basename \"$0\") $*\" >> '{}'", log.display());
        for name in ALL.iter().filter(|n| !case.without.contains(n)) {
            let body = match *name {
                "sudo" => format!("{record}\nexec \"$@\""),
                "pkg-config" => "exit 0".to_owned(),
                "apt-get" => record.clone(),
                _ => "exit 0".to_owned(),
            };
            stub(&bin, name, &body);
        }
        stub(&bin, "cargo", &record);
        stub(&bin, "id", if case.root { "echo 0" } else { "echo 1000" });
        for tool in ["env", "basename"] {
            std::os::unix::fs::symlink(format!("/usr/bin/{tool}"), bin.join(tool)).unwrap();
        }
        let pg = tmp.path().join("postgresql");
        if case.postgres {
            let b = pg.join("16/bin");
            std::fs::create_dir_all(&b).unwrap();
            stub(&b, "initdb", "exit 0");
            stub(&b, "pg_ctl", "exit 0");
        }
        let out = Command::new("/bin/sh")
            .arg(root.join("scripts/test"))
            .args(["pages", "demo"])
            .env_clear()
            .env("PATH", &bin)
            .env("WAVEBUMP_POSTGRES_LIB", &pg)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(case.code),
            "{}: {stderr}",
            case.name
        );
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        let logged: Vec<&str> = logged.lines().collect();
        assert_eq!(logged, case.log, "{}: {stderr}", case.name);
        assert!(stderr.contains(case.stderr), "{}: {stderr}", case.name);
    }
}
