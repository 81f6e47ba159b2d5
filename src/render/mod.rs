//! Rendering: the handlebars registry over `templates/` (embedded in the
//! binary) and the plan's output formats.
//!
//! Invariant: Markdown output escapes table-breaking characters of
//! user-controlled text; HTML output (later) uses handlebars' HTML escaping.

pub mod plan;
pub mod pr;

use handlebars::Handlebars;

/// A template that cannot be read, compiled or rendered, naming it (its
/// file, or `templates/NAME (built in)`).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("template {0} is not built in")]
    NotBuiltIn(String),
    #[error("{template}: {source}")]
    Compile {
        template: String,
        #[source]
        source: Box<handlebars::TemplateError>,
    },
    #[error("{template}: {source}")]
    Render {
        template: String,
        #[source]
        source: Box<handlebars::RenderError>,
    },
}

impl RenderError {
    /// `template` failed to render.
    pub fn render(template: impl Into<String>, e: handlebars::RenderError) -> RenderError {
        RenderError::Render {
            template: template.into(),
            source: Box::new(e),
        }
    }
}

/// Templates compiled into the binary, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("plan.md", include_str!("../../templates/plan.md.hbs")),
    ("pr_title", include_str!("../../templates/pr_title.hbs")),
    ("pr_body.md", include_str!("../../templates/pr_body.md.hbs")),
    (
        "commit_message",
        include_str!("../../templates/commit_message.hbs"),
    ),
];

/// Escape text for a Markdown table cell or line.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("\\`"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The registry for Markdown/plain-text templates.
pub fn markdown_registry() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(escape_markdown);
    for (name, text) in TEMPLATES {
        // The templates are compiled in and covered by tests; a broken one
        // is a build defect, reported at first use by `render`.
        if let Err(e) = hb.register_template_string(name, *text) {
            tracing::error!("template {name}: {e}");
        }
    }
    hb
}
