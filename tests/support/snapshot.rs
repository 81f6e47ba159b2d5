//! Directory snapshot tests: `tests/data/<ecosystem>/<case>/{in,out}`.
//!
//! Each case holds `in/` (a repository tree), `out/` (the same tree after
//! the rewrite), `to` (the new version, one line) and `expected.txt` (what
//! `wavebump inspect` prints for `in/`). The test asserts byte equality with
//! `out/` and that only requirement bytes changed. `UPDATE_SNAPSHOTS=1`
//! rewrites `out/` and `expected.txt` from the current code.

use std::path::Path;

use wavebump::ecosystem::{self, Ecosystem, LibraryNames, SourceTree, apply_splices};
use wavebump::inspect;

use super::{crate_root, load_tree};

/// Run every case of one ecosystem; returns how many ran (at least one).
pub fn check_all(eco: Ecosystem) -> usize {
    let dir = crate_root().join("tests/data").join(eco.as_str());
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no snapshot cases in {}", dir.display());
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = check_case(case) {
            failures.push(format!("{}: {e}", case.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "snapshot failures:\n{}",
        failures.join("\n\n")
    );
    cases.len()
}

fn check_case(case: &Path) -> Result<(), String> {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let to_text = std::fs::read_to_string(case.join("to")).map_err(|e| format!("to: {e}"))?;
    let to = semver::Version::parse(to_text.trim()).map_err(|e| format!("to: {e}"))?;
    let input = load_tree(&case.join("in"));
    let report = ecosystem::scan(&input, &LibraryNames::acme_core_utils(), &to);

    // The table `inspect` prints.
    let text = inspect::render_text(&report, &to);
    let expected_path = case.join("expected.txt");
    if update {
        std::fs::write(&expected_path, &text).map_err(|e| e.to_string())?;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    if text != expected {
        return Err(format!(
            "inspect output differs from expected.txt:\n--- expected\n{expected}\n--- actual\n{text}"
        ));
    }

    // Only requirement bytes are replaced.
    let splices: Vec<_> = report
        .targets
        .iter()
        .flat_map(|t| t.splices.clone())
        .collect();
    for s in &splices {
        let old = input
            .read(&s.path)
            .map_err(|e| format!("{}: {e}", s.path))?;
        let replaced = old
            .get(s.span.clone())
            .ok_or_else(|| format!("{}: span {:?} outside file", s.path, s.span))?;
        let replaced = String::from_utf8_lossy(replaced);
        if replaced.is_empty()
            || replaced.contains(['\n', '\r', '#', '"', '\'', ',', '{', '}', '[', ']'])
            || s.replacement.contains(['\n', '\r', '#', '"', '\''])
        {
            return Err(format!(
                "{}: splice {:?} replaces {replaced:?} with {:?}: more than a requirement",
                s.path, s.span, s.replacement
            ));
        }
    }
    let rewritten = apply_splices(&input, &splices).map_err(|e| e.to_string())?;
    let mut actual = input.clone();
    for (path, bytes) in rewritten {
        actual.insert(path, bytes);
    }
    // Reparse: the rewritten tree scans with no new error, and every
    // rewritten requirement is found again, now admitting the new version.
    let again = ecosystem::scan(&actual, &LibraryNames::acme_core_utils(), &to);
    for e in &again.errors {
        if !report.errors.iter().any(|old| old.path == e.path) {
            return Err(format!("the rewritten tree no longer parses: {e}"));
        }
    }
    for t in report.targets.iter().filter(|t| !t.splices.is_empty()) {
        let r = &t.requirement;
        let found = again.targets.iter().any(|n| {
            n.requirement.path == r.path && n.requirement.section == r.section && n.judgement.admits
        });
        if !found {
            return Err(format!(
                "{}:{} ({}): after the rewrite the requirement is not found admitting {to}",
                r.path, r.line, r.section
            ));
        }
    }
    let out_dir = case.join("out");
    if update {
        if out_dir.exists() {
            std::fs::remove_dir_all(&out_dir).map_err(|e| e.to_string())?;
        }
        for (path, bytes) in actual.iter() {
            let dest = out_dir.join(path);
            std::fs::create_dir_all(dest.parent().expect("parent")).map_err(|e| e.to_string())?;
            std::fs::write(dest, bytes).map_err(|e| e.to_string())?;
        }
    }
    let expected_out = load_tree(&out_dir);
    if expected_out != actual {
        let mut diffs = String::new();
        for path in actual.files().into_iter().chain(expected_out.files()) {
            let a = actual.get(&path).unwrap_or_default();
            let b = expected_out.get(&path).unwrap_or_default();
            if a != b {
                diffs.push_str(&inspect::unified_diff(&path, b, a));
            }
        }
        return Err(format!(
            "rewritten tree differs from out/ (expected → actual):\n{diffs}"
        ));
    }
    Ok(())
}
