//! The HTML registry: handlebars over the embedded `templates/status_*`
//! files, strict mode, HTML escaping of every `{{value}}` (text and
//! attributes, SVG included); no template uses the unescaped `{{{ }}}`.

use std::sync::LazyLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use handlebars::Handlebars;
use serde::Serialize;

use crate::render::RenderError;

macro_rules! template {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../../templates/", $name, ".html.hbs")),
        )
    };
}

/// Templates compiled into the binary, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    template!("status_head"),
    template!("status_foot"),
    template!("status_time"),
    template!("status_bar"),
    template!("status_graph"),
    template!("status_index"),
    template!("status_rollout"),
    template!("status_login"),
    template!("status_message"),
];

/// The stylesheet and script, served under `/static/`.
pub const CSS: &str = include_str!("../../../templates/static/status.css");
pub const JS: &str = include_str!("../../../templates/static/status.js");

static REGISTRY: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    // The default escape function (`&<>"'`=` → entities) stays on.
    for (name, text) in TEMPLATES {
        if let Err(e) = hb.register_template_string(name, *text) {
            // Compiled in and covered by tests: a build defect, reported
            // when the template is used.
            tracing::error!("template {name}: {e}");
        }
    }
    hb
});

/// Render template `name` with `ctx`.
pub fn render<T: Serialize>(name: &str, ctx: &T) -> Result<String, RenderError> {
    REGISTRY
        .render(name, ctx)
        .map_err(|e| RenderError::render(format!("template {name}"), e))
}

/// A rendered page, or a plain 500 naming the template.
pub fn html_page<T: Serialize>(name: &str, ctx: &T, status: StatusCode) -> Response {
    match render(name, ctx) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("{e}");
            (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
    }
}

#[derive(Serialize)]
struct Message<'a> {
    title: &'a str,
    heading: &'a str,
    message: &'a str,
    back: Option<&'a str>,
    session: Option<()>,
}

/// A page explaining why a request was refused (escaped like the rest).
pub fn message_page(status: StatusCode, message: &str, back: Option<&str>) -> Response {
    let heading = match status {
        StatusCode::UNAUTHORIZED => "Log in first",
        StatusCode::FORBIDDEN => "Refused",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::CONFLICT => "The engine refused",
        _ => "Error",
    };
    let ctx = Message {
        title: heading,
        heading,
        message,
        back,
        session: None,
    };
    html_page("status_message", &ctx, status)
}

/// A refusal: nothing was changed.
pub fn refusal(status: StatusCode, message: &str) -> Response {
    message_page(status, message, Some("/"))
}
