//! The fuzz corpora as regression tests: every file under
//! `tests/data/fuzz/<target>/` (the minimised corpus of `fuzz/`, including
//! every input that once crashed) goes through the same check as the fuzz
//! target (`wavebump::fuzzing`), in the normal suite, on stable.

use std::path::{Path, PathBuf};

use wavebump::fuzzing::{TARGETS, check_for};

use crate::support::crate_root;

fn corpus_dir(target: &str) -> PathBuf {
    crate_root().join("tests/data/fuzz").join(target)
}

/// The files of one corpus directory, sorted.
fn corpus(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs one target's corpus; every violation and panic is collected so one
/// run names all failing files.
fn run_corpus(target: &str) {
    let check = check_for(target).unwrap();
    let files = corpus(&corpus_dir(target));
    assert!(!files.is_empty(), "{target}: empty corpus");
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        match std::panic::catch_unwind(|| check(&data)) {
            Ok(Ok(())) => {}
            Ok(Err(violation)) => failures.push(format!("{}: {violation}", file.display())),
            Err(_) => failures.push(format!("{}: panicked", file.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: {} of {} corpus files fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn config() {
    run_corpus("config");
}

#[test]
fn manifest_cargo() {
    run_corpus("manifest_cargo");
}

#[test]
fn manifest_npm() {
    run_corpus("manifest_npm");
}

#[test]
fn manifest_go() {
    run_corpus("manifest_go");
}

#[test]
fn manifest_python() {
    run_corpus("manifest_python");
}

#[test]
fn manifest_ruby() {
    run_corpus("manifest_ruby");
}

#[test]
fn webhook_event() {
    run_corpus("webhook_event");
}

#[test]
fn webhook_signature() {
    run_corpus("webhook_signature");
}

/// The corpus directories, the fuzz crate's targets and the checks are the
/// same set of names, so no target goes untested or unfuzzed.
#[test]
fn targets_corpora_and_fuzz_crate_agree() {
    let mut checks: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    checks.sort();
    let mut dirs: Vec<String> = std::fs::read_dir(crate_root().join("tests/data/fuzz"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    assert_eq!(dirs, checks, "tests/data/fuzz/ directories");
    let manifest = std::fs::read_to_string(crate_root().join("fuzz/Cargo.toml")).unwrap();
    let mut bins: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "wavebump-fuzz")
        .collect();
    bins.sort();
    assert_eq!(bins, checks, "fuzz/Cargo.toml [[bin]] targets");
    for name in &checks {
        let file = crate_root().join(format!("fuzz/fuzz_targets/{name}.rs"));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains(&format!("check_for(\"{name}\")")),
            "{}",
            file.display()
        );
    }
}
