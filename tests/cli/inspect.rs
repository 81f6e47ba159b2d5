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
