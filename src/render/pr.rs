//! PR texts: title, body and commit message from handlebars templates
//! (`templates/pr_title.hbs`, `pr_body.md.hbs`, `commit_message.hbs`,
//! embedded; a directory may override any of them), and the config's
//! single-brace placeholders (`{library}`, `{version}`, …) for the branch
//! name, the title and the commit subject.
//!
//! Invariants: every user-controlled text in the body (release notes,
//! tool output in lock notes, paths, names) is neutralised — it pings
//! nobody and cross-references no issue — and Markdown-escaped or put in
//! code spans; nothing is HTML-escaped (the body is Markdown). The title
//! and commit message are plain text. The body stays under GitHub's
//! 65,536-character limit (release notes are cut first).

mod neutralise;

use std::path::Path;

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde::Serialize;
use serde_json::json;

pub use neutralise::{neutralise, truncate_markdown};

use super::RenderError;
use crate::ecosystem::Classification;

/// Longest release-notes quote, in characters.
const NOTES_MAX: usize = 20_000;
/// GitHub refuses longer PR bodies.
const BODY_MAX: usize = 65_000;

/// One manifest that moves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrTarget {
    /// Repository-relative manifest path.
    pub path: String,
    /// Requirement (or locked version) before.
    pub from: String,
    /// Requirement (or locked version) after.
    pub to: String,
}

/// Everything the PR texts say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrContext {
    /// The library's package name (`core-utils`).
    pub library: String,
    /// Version consumers move from (the oldest among the targets).
    pub from: String,
    /// The new release's version.
    pub to: String,
    pub classification: Classification,
    /// `owner/name` of the consumer repository.
    pub repo: String,
    pub targets: Vec<PrTarget>,
    /// Release notes as the library's maintainers wrote them (Markdown).
    pub release_notes: Option<String>,
    pub release_url: Option<String>,
    pub compare_url: Option<String>,
    /// The wave this repository is in (0 = canaries) and how many there are.
    pub wave: usize,
    pub waves: usize,
    /// The rollout's status page.
    pub status_url: Option<String>,
    /// One note per lockfile refresh (from the push).
    pub lock_notes: Vec<String>,
    /// The config's title template (single-brace placeholders).
    pub title_template: String,
    /// The config's commit-message template (its first line, the subject).
    pub commit_template: String,
    /// The other members of the repository's lockstep group: their PRs
    /// must be merged together with this one.
    pub lockstep: Vec<PrSibling>,
    /// wavebump merges (the group lands when every member passed).
    pub automerge: bool,
}

/// A lockstep sibling named in a PR body.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PrSibling {
    pub repo: String,
    /// Its PR, once opened.
    pub pr_url: Option<String>,
}

impl Default for PrContext {
    fn default() -> Self {
        PrContext {
            library: String::new(),
            from: String::new(),
            to: String::new(),
            classification: Classification::Rewrite,
            repo: String::new(),
            targets: Vec::new(),
            release_notes: None,
            release_url: None,
            compare_url: None,
            wave: 0,
            waves: 1,
            status_url: None,
            lock_notes: Vec::new(),
            title_template: "Bump {library} to {version}".to_string(),
            commit_template: "Bump {library} from {from} to {version}".to_string(),
            lockstep: Vec::new(),
            automerge: false,
        }
    }
}

impl PrContext {
    /// Values of the config's single-brace placeholders.
    pub fn placeholders(&self) -> Vec<(&'static str, String)> {
        vec![
            ("library", self.library.clone()),
            ("version", self.to.clone()),
            ("major", major_of(&self.to)),
            ("from", self.from.clone()),
            ("wave", self.wave.to_string()),
            ("repo", self.repo.clone()),
        ]
    }
}

/// The rendered texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrTexts {
    pub title: String,
    pub body: String,
    pub commit_message: String,
}

/// Replace each `{name}` of `template` whose name is in `values`; anything
/// else (unknown names, lone braces) is kept as written.
pub fn expand_placeholders(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (before, from_brace) = rest.split_at(open);
        out.push_str(before);
        let after = from_brace.get(1..).unwrap_or("");
        let value = after.find('}').and_then(|close| {
            let name = after.get(..close)?;
            values
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (close, v))
        });
        match value {
            Some((close, v)) => {
                out.push_str(v);
                rest = after.get(close + 1..).unwrap_or("");
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The head branch for `ctx` from the config's branch template, made a
/// valid git branch name (spaces, control and `~^:?*[\` become `-`, no
/// `..`, no leading `-` or `.`, no trailing `/`, `.` or `.lock`).
pub fn branch_name(template: &str, ctx: &PrContext) -> String {
    let raw = expand_placeholders(template, &ctx.placeholders());
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c) {
                '-'
            } else {
                c
            }
        })
        .collect();
    while name.contains("..") {
        name = name.replace("..", ".");
    }
    while name.contains("//") {
        name = name.replace("//", "/");
    }
    name = name.replace("@{", "-{").replace("/.", "/-");
    let mut name = name.trim_start_matches(['-', '.', '/']).to_string();
    loop {
        let before = name.len();
        name = name.trim_end_matches(['/', '.']).to_string();
        if let Some(stripped) = name.strip_suffix(".lock") {
            name = stripped.to_string();
        }
        if name.len() == before {
            break;
        }
    }
    if name.is_empty() {
        "wavebump/update".to_string()
    } else {
        name
    }
}

/// Render the title, body and commit message of `ctx`, from the embedded
/// templates or, for each file present there, from `templates_dir`.
pub fn render_pr(ctx: &PrContext, templates_dir: Option<&Path>) -> Result<PrTexts, RenderError> {
    let title_text = template_text("pr_title", "pr_title.hbs", templates_dir)?;
    let body_text = template_text("pr_body.md", "pr_body.md.hbs", templates_dir)?;
    let commit_text = template_text("commit_message", "commit_message.hbs", templates_dir)?;

    let values = ctx.placeholders();
    let title = one_line(&expand_placeholders(&ctx.title_template, &values));
    let subject = one_line(&expand_placeholders(&ctx.commit_template, &values));

    let mut plain = Handlebars::new();
    plain.set_strict_mode(true);
    plain.register_escape_fn(handlebars::no_escape);
    register(&mut plain, "pr_title.hbs", &title_text.1, &title_text.0)?;
    register(
        &mut plain,
        "commit_message.hbs",
        &commit_text.1,
        &commit_text.0,
    )?;

    let mut markdown = Handlebars::new();
    markdown.set_strict_mode(true);
    markdown.register_escape_fn(escape_inline);
    markdown.register_helper("code", Box::new(code_helper));
    register(&mut markdown, "pr_body.md.hbs", &body_text.1, &body_text.0)?;

    let mut data = data(ctx, &title, &subject, true);
    let title_out = plain
        .render("pr_title.hbs", &data)
        .map_err(|e| RenderError::render(&title_text.0, e))?;
    let commit_out = plain
        .render("commit_message.hbs", &data)
        .map_err(|e| RenderError::render(&commit_text.0, e))?;
    let mut body = markdown
        .render("pr_body.md.hbs", &data)
        .map_err(|e| RenderError::render(&body_text.0, e))?;
    if body.chars().count() > BODY_MAX {
        data = self::data(ctx, &title, &subject, false);
        body = markdown
            .render("pr_body.md.hbs", &data)
            .map_err(|e| RenderError::render(&body_text.0, e))?;
        if body.chars().count() > BODY_MAX {
            body = body.chars().take(BODY_MAX).collect();
        }
    }
    Ok(PrTexts {
        title: one_line(&title_out),
        body,
        commit_message: tidy_commit(&commit_out),
    })
}

/// The JSON the templates see.
fn data(ctx: &PrContext, title: &str, subject: &str, with_notes: bool) -> serde_json::Value {
    let notes = ctx
        .release_notes
        .as_deref()
        .filter(|n| with_notes && !n.trim().is_empty())
        .map(|n| {
            let (text, cut) = match truncate_markdown(n, NOTES_MAX) {
                Some(t) => (t, true),
                None => (n.to_string(), false),
            };
            json!({ "quoted": blockquote(&neutralise(&text)), "truncated": cut })
        });
    let omitted = !with_notes && ctx.release_notes.is_some();
    json!({
        "title": title,
        "commit_subject": subject,
        "library": ctx.library,
        "from": ctx.from,
        "to": ctx.to,
        "major": major_of(&ctx.to),
        "classification": ctx.classification.as_str(),
        "classification_text": classification_text(ctx.classification),
        "is_major": ctx.classification == Classification::Major,
        "repo": ctx.repo,
        "targets": ctx.targets,
        "release_notes": notes,
        "release_notes_omitted": omitted,
        "release_url": ctx.release_url,
        "compare_url": ctx.compare_url,
        "wave": ctx.wave,
        "waves": ctx.waves,
        "status_url": ctx.status_url,
        "lock_notes": ctx.lock_notes.iter().map(|n| neutralise(&one_line(n))).collect::<Vec<_>>(),
        "lockstep": ctx.lockstep.iter().map(|s| json!({
            "repo": neutralise(&one_line(&s.repo)),
            "pr_url": s.pr_url.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        })).collect::<Vec<_>>(),
        "automerge": ctx.automerge,
    })
}

fn classification_text(c: Classification) -> &'static str {
    match c {
        Classification::Major => "major update: the new version may break the build",
        Classification::Rewrite => "requirement update within the same major version",
        Classification::LockfileOnly => "lockfile update: the requirement already admits it",
        Classification::UpToDate => "already up to date",
    }
}

/// The first numeric component of a version (`v2.1.0` → `2`).
fn major_of(version: &str) -> String {
    let v = version.trim().trim_start_matches(['v', 'V']);
    v.split(['.', '-', '+']).next().unwrap_or("").to_string()
}

/// `(source name, text)` of a template: the override file when present.
fn template_text(
    name: &str,
    file: &str,
    dir: Option<&Path>,
) -> Result<(String, String), RenderError> {
    if let Some(dir) = dir {
        let path = dir.join(file);
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|source| RenderError::Read {
                path: path.display().to_string(),
                source,
            })?;
            return Ok((path.display().to_string(), text));
        }
    }
    super::TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| (format!("templates/{file} (built in)"), (*t).to_string()))
        .ok_or_else(|| RenderError::NotBuiltIn(file.to_owned()))
}

fn register(
    hb: &mut Handlebars<'_>,
    name: &str,
    text: &str,
    source: &str,
) -> Result<(), RenderError> {
    hb.register_template_string(name, text)
        .map_err(|e| RenderError::Compile {
            template: source.to_owned(),
            source: Box::new(e),
        })
}

/// Plain-text single line: newlines and tabs become spaces, trimmed.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A commit message: no trailing spaces, no runs of blank lines, one final
/// newline-free end.
fn tidy_commit(s: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in s.lines().map(str::trim_end) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// Every line of `text` as a Markdown blockquote line.
fn blockquote(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The body's escape for `{{value}}`: one line; a code span when the text
/// holds anything that could ping or link, else Markdown-active characters
/// backslash-escaped (no HTML entities: the body is Markdown).
pub fn escape_inline(s: &str) -> String {
    let text = one_line(s);
    if neutralise(&text) != text {
        return code_span(&text, false);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<>|#@!".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `{{code value}}`: a code span that holds any text (the fence is longer
/// than any backtick run inside); `{{code value cell=true}}` also escapes
/// `|` for a table cell. Code pings nobody and links nothing.
fn code_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("code", 0))?
        .value();
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let cell = h
        .hash_get("cell")
        .is_some_and(|v| v.value().as_bool() == Some(true));
    out.write(&code_span(&text, cell))?;
    Ok(())
}

/// `text` as an inline code span.
pub fn code_span(text: &str, cell: bool) -> String {
    let text = one_line(text);
    if text.is_empty() {
        return "(none)".to_string();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    let inner = if cell { text.replace('|', "\\|") } else { text };
    format!("{fence}{pad}{inner}{pad}{fence}")
}
