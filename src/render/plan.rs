//! `wavebump plan` output formats: text, json, markdown, dot, mermaid.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::json;

use super::markdown_registry;
use crate::report::{PlanReport, TargetRow};

/// A duration in seconds as `1h 30m` / `45m` / `20s`.
pub fn human_duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60, secs % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 && d == 0 && h == 0 {
        parts.push(format!("{s}s"));
    }
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

fn to_text(t: &TargetRow) -> String {
    match (&t.new_requirement, &t.unrewritable) {
        (_, Some(reason)) => format!("(cannot rewrite: {reason})"),
        (Some(new), None) => new.clone(),
        (None, None) => t.requirement.clone(),
    }
}

fn display_req(req: &str) -> &str {
    if req.is_empty() { "(any)" } else { req }
}

/// The reason of the unit holding `repo`.
fn reasons(report: &PlanReport) -> BTreeMap<&str, &str> {
    let mut out = BTreeMap::new();
    for w in &report.waves {
        for u in &w.units {
            for r in &u.repos {
                out.insert(r.as_str(), u.reason.as_str());
            }
        }
    }
    out
}

/// Rows of one wave: every target of its repositories.
fn wave_rows(report: &PlanReport, index: usize) -> Vec<&TargetRow> {
    report
        .targets
        .iter()
        .filter(|t| t.wave == Some(index))
        .collect()
}

/// A readable table per wave and a summary line.
pub fn text(report: &PlanReport) -> String {
    let mut out = String::new();
    let what_if = if report.library.what_if {
        " (what-if: not a tag of the library yet)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "Plan: {} → {}{what_if}\n",
        report.library.repo, report.library.version
    );
    let reasons = reasons(report);
    for w in &report.waves {
        let _ = writeln!(
            out,
            "Wave {} — {} {}, done in ~{}",
            w.index,
            w.repos.len(),
            if w.repos.len() == 1 {
                "repository"
            } else {
                "repositories"
            },
            human_duration(w.eta_seconds)
        );
        let rows: Vec<[String; 5]> = wave_rows(report, w.index)
            .into_iter()
            .map(|t| {
                [
                    t.repo.clone(),
                    format!("{}:{}", t.path, t.line),
                    format!("{} → {}", display_req(&t.requirement), to_text(t)),
                    t.classification.to_string(),
                    reasons
                        .get(t.repo.as_str())
                        .copied()
                        .unwrap_or("")
                        .to_string(),
                ]
            })
            .collect();
        let mut widths = [0usize; 5];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in &rows {
            let mut line = String::from("  ");
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < row.len() {
                    line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out.push('\n');
    }
    if !report.up_to_date.is_empty() {
        let _ = writeln!(out, "Up to date: {}", report.up_to_date.join(", "));
    }
    if !report.affected.is_empty() {
        let _ = writeln!(
            out,
            "Affected only transitively: {}",
            report.affected.join(", ")
        );
    }
    for w in &report.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    for e in &report.errors {
        let _ = writeln!(out, "error: {}: {}", e.repo, e.message);
    }
    let s = &report.summary;
    let classes: Vec<String> = s
        .by_classification
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    let _ = writeln!(
        out,
        "{} targets in {} repositories over {} waves ({}); {} affected, {} up to date, {} unrewritable, {} errors; {} repositories scanned",
        s.targets,
        s.planned_repos,
        s.waves,
        if classes.is_empty() {
            "none".to_string()
        } else {
            classes.join(", ")
        },
        report.affected.len(),
        report.up_to_date.len(),
        s.unrewritable,
        report.errors.len(),
        s.repos_scanned
    );
    out
}

/// Schema 1 JSON (see `report`).
pub fn json(report: &PlanReport) -> String {
    let mut s = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": {}}}", json!(e.to_string())));
    s.push('\n');
    s
}

/// Markdown for an issue or PR, from `templates/plan.md.hbs`.
pub fn markdown(report: &PlanReport) -> Result<String, super::RenderError> {
    let reasons = reasons(report);
    let waves: Vec<_> = report
        .waves
        .iter()
        .map(|w| {
            let rows: Vec<_> = wave_rows(report, w.index)
                .into_iter()
                .map(|t| {
                    json!({
                        "repo": t.repo, "path": t.path, "line": t.line,
                        "ecosystem": t.ecosystem, "from": display_req(&t.requirement),
                        "to": to_text(t), "classification": t.classification,
                        "reason": reasons.get(t.repo.as_str()).copied().unwrap_or(""),
                    })
                })
                .collect();
            json!({ "index": w.index, "eta": human_duration(w.eta_seconds), "rows": rows })
        })
        .collect();
    let data = json!({
        "library": report.library, "summary": report.summary, "waves": waves,
        "affected": report.affected, "up_to_date": report.up_to_date,
        "warnings": report.warnings, "errors": report.errors,
    });
    markdown_registry()
        .render("plan.md", &data)
        .map_err(|e| super::RenderError::render("rendering plan.md", e))
}

/// Fill colours by wave index (cycled).
const PALETTE: &[&str] = &[
    "#fde68a", "#bbf7d0", "#bfdbfe", "#e9d5ff", "#fecaca", "#c7d2fe", "#a5f3fc", "#fed7aa",
];

fn dot_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Graphviz: nodes coloured by wave, edges provider → consumer.
pub fn dot(report: &PlanReport) -> String {
    let mut out = String::from(
        "digraph consumers {\n  rankdir=LR;\n  node [shape=box, style=filled, fillcolor=\"#f3f4f6\"];\n",
    );
    let _ = writeln!(
        out,
        "  {} [shape=doubleoctagon, fillcolor=\"#fca5a5\", label={}];",
        dot_quote(&report.library.repo),
        dot_quote(&format!(
            "{}\\n{}",
            report.library.repo, report.library.version
        ))
    );
    for w in &report.waves {
        let colour = PALETTE[w.index % PALETTE.len()];
        let _ = writeln!(
            out,
            "  subgraph cluster_wave{} {{\n    label=\"wave {}\";",
            w.index, w.index
        );
        for r in &w.repos {
            let _ = writeln!(out, "    {} [fillcolor=\"{colour}\"];", dot_quote(r));
        }
        out.push_str("  }\n");
    }
    for a in &report.affected {
        let _ = writeln!(out, "  {} [style=dashed];", dot_quote(a));
    }
    for e in &report.edges {
        let _ = writeln!(out, "  {} -> {};", dot_quote(&e.to), dot_quote(&e.from));
    }
    out.push_str("}\n");
    out
}

fn mermaid_id(s: &str) -> String {
    let mut id = String::from("n_");
    for c in s.chars() {
        id.push(if c.is_ascii_alphanumeric() { c } else { '_' });
    }
    id
}

fn mermaid_label(s: &str) -> String {
    s.replace('"', "#quot;")
}

/// Mermaid flowchart: nodes coloured by wave, edges provider → consumer.
pub fn mermaid(report: &PlanReport) -> String {
    let mut out = String::from("graph LR\n");
    let _ = writeln!(
        out,
        "  {}{{{{\"{} {}\"}}}}",
        mermaid_id(&report.library.repo),
        mermaid_label(&report.library.repo),
        mermaid_label(&report.library.version)
    );
    for w in &report.waves {
        let _ = writeln!(out, "  subgraph wave{}[\"wave {}\"]", w.index, w.index);
        for r in &w.repos {
            let _ = writeln!(
                out,
                "    {}[\"{}\"]:::wave{}",
                mermaid_id(r),
                mermaid_label(r),
                w.index % PALETTE.len()
            );
        }
        out.push_str("  end\n");
    }
    for a in &report.affected {
        let _ = writeln!(
            out,
            "  {}[\"{}\"]:::affected",
            mermaid_id(a),
            mermaid_label(a)
        );
    }
    for e in &report.edges {
        let _ = writeln!(out, "  {} --> {}", mermaid_id(&e.to), mermaid_id(&e.from));
    }
    for (i, colour) in PALETTE.iter().enumerate() {
        let _ = writeln!(out, "  classDef wave{i} fill:{colour}");
    }
    out.push_str("  classDef affected stroke-dasharray: 5 5\n");
    out
}
