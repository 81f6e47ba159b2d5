//! `wavebump inspect`: what the ecosystem scan finds in one checkout, as a
//! table, JSON or unified diffs.

use std::fmt::Write;

use serde_json::json;

use crate::ecosystem::{ReadError, ScanReport, SourceTree, Splice, SpliceError, apply_splices};

/// A fixed-width table, one row per target, then errors and a summary line.
pub fn render_text(report: &ScanReport, to: &semver::Version) -> String {
    let header = [
        "ECOSYSTEM",
        "MANIFEST",
        "SECTION",
        "REQUIREMENT",
        "LOCKED",
        "CLASSIFICATION",
        "REWRITE",
    ];
    let rows: Vec<[String; 7]> = report
        .targets
        .iter()
        .map(|t| {
            let r = &t.requirement;
            let rewrite = match (&t.judgement.new_requirement, &t.judgement.unrewritable) {
                (_, Some(reason)) => format!("cannot rewrite: {reason}"),
                (Some(new), None) => format!("→ {new}"),
                (None, None) => "-".to_string(),
            };
            [
                r.ecosystem.to_string(),
                format!("{}:{}", r.path, r.line),
                r.section.clone(),
                display_requirement(&r.requirement),
                t.locked_version.clone().unwrap_or_else(|| "-".into()),
                t.judgement.classification.to_string(),
                rewrite,
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                s.push_str(cell);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells);
    }
    for w in &report.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    for e in &report.errors {
        let _ = writeln!(out, "error: {e}");
    }
    let _ = writeln!(
        out,
        "{} target(s) for version {to}, {} manifest error(s)",
        report.targets.len(),
        report.errors.len()
    );
    out
}

fn display_requirement(req: &str) -> String {
    if req.is_empty() {
        "(any)".into()
    } else {
        req.to_string()
    }
}

/// The same as JSON: `{ "to": .., "targets": [..], "errors": [..] }`.
pub fn render_json(report: &ScanReport, to: &semver::Version) -> String {
    let value = json!({
        "to": to.to_string(),
        "targets": report.targets,
        "errors": report.errors,
        "warnings": report.warnings,
    });
    let mut s =
        serde_json::to_string_pretty(&value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// Why the diff of a report cannot be rendered: the ecosystem layer's
/// splice or read error, passed through with its message.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error(transparent)]
    Splice(#[from] SpliceError),
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// The unified diff of every rewrite in the report.
pub fn render_diff(tree: &dyn SourceTree, report: &ScanReport) -> Result<String, DiffError> {
    Ok(file_diffs(tree, report)?
        .into_iter()
        .map(|(_, diff)| diff)
        .collect())
}

/// The unified diff of every rewritten file: (path, diff), by path.
pub fn file_diffs(
    tree: &dyn SourceTree,
    report: &ScanReport,
) -> Result<Vec<(String, String)>, DiffError> {
    let splices: Vec<Splice> = report
        .targets
        .iter()
        .flat_map(|t| t.splices.iter().cloned())
        .collect();
    let new_files = apply_splices(tree, &splices)?;
    let mut out = Vec::with_capacity(new_files.len());
    for (path, new) in &new_files {
        let old = tree.read(path)?;
        out.push((path.clone(), unified_diff(path, &old, new)));
    }
    Ok(out)
}

/// Why the diffs cannot be added to a JSON report (our own rendering went
/// wrong: an internal error, not the user's).
#[derive(Debug, thiserror::Error)]
pub enum JsonDiffError {
    #[error("cannot add diffs to the JSON: {0}")]
    Parse(#[source] serde_json::Error),
    #[error("cannot add diffs: the JSON is not an object")]
    NotAnObject,
    #[error(transparent)]
    Render(serde_json::Error),
}

/// One JSON document: `json` (an object) with a `diffs` field holding
/// `[{"path": .., "diff": ..}]` — what `--json --diff` prints.
pub fn json_with_diffs(json: &str, diffs: &[(String, String)]) -> Result<String, JsonDiffError> {
    let mut value: serde_json::Value = serde_json::from_str(json).map_err(JsonDiffError::Parse)?;
    let list: Vec<serde_json::Value> = diffs
        .iter()
        .map(|(path, diff)| json!({ "path": path, "diff": diff }))
        .collect();
    match value.as_object_mut() {
        Some(object) => {
            object.insert("diffs".into(), serde_json::Value::Array(list));
        }
        None => return Err(JsonDiffError::NotAnObject),
    }
    let mut s = serde_json::to_string_pretty(&value).map_err(JsonDiffError::Render)?;
    s.push('\n');
    Ok(s)
}

/// Write `text` to standard output. A closed pipe (`wavebump inspect … |
/// head`) is not an error: output stops quietly and `false` is returned.
pub fn write_stdout(text: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => false,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            false
        }
    }
}

/// A `git diff`-style unified diff of one file.
pub fn unified_diff(path: &str, old: &[u8], new: &[u8]) -> String {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
