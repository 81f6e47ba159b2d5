//! `/rollouts/{id}`: the view model plus the targets table's filter
//! (state, name search, wave) and page, all from the query string so they
//! work without JavaScript.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{login_redirect, message_page, render};
use crate::rollout::TargetState;
use crate::status::StatusState;
use crate::status::load;
use crate::status::session::{self, SessionInfo};
use crate::status::view::states::{FILTERS, matches_filter};
use crate::status::view::{RolloutView, TargetView};

/// Table rows per page.
pub const PAGE_SIZE: usize = 100;

/// The table's query string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TableQuery {
    pub state: Option<String>,
    pub q: Option<String>,
    pub wave: Option<String>,
    pub page: Option<String>,
    pub done: Option<String>,
}

#[derive(Serialize)]
struct FilterOption {
    key: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct Table {
    rows: Vec<TargetView>,
    q: String,
    wave: Option<u32>,
    total: usize,
    matched: usize,
    page: usize,
    pages: usize,
    pages_more: bool,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Serialize)]
struct RolloutPage {
    title: String,
    session: Option<SessionInfo>,
    view: RolloutView,
    filters: Vec<FilterOption>,
    table: Table,
    notice: Option<&'static str>,
}

/// Percent-encode a query-string value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "pause" => "Paused.",
        "resume" => "Resumed.",
        "advance" => "The next wave is open.",
        "abort" => {
            "Abort recorded: nothing more opens or merges. The state below says whether pull requests are still to close."
        }
        "retry" => "Retry requested.",
        "skip" => "Skipped.",
        _ => return None,
    })
}

fn table(targets: Vec<TargetView>, q: &TableQuery) -> (Table, String) {
    let state = q.state.clone().unwrap_or_default();
    let state = FILTERS
        .iter()
        .find(|(k, _)| *k == state)
        .map_or("", |(k, _)| *k);
    let search = q.q.clone().unwrap_or_default().trim().to_owned();
    let needle = search.to_lowercase();
    let wave = q.wave.as_deref().and_then(|w| w.parse::<u32>().ok());
    let total = targets.len();
    let matched: Vec<TargetView> = targets
        .into_iter()
        .filter(|t| {
            TargetState::parse(t.state, t.retries).is_some_and(|s| matches_filter(s, state))
                && (needle.is_empty() || t.repo.to_lowercase().contains(&needle))
                && wave.is_none_or(|w| t.wave == w)
        })
        .collect();
    let count = matched.len();
    let pages = count.div_ceil(PAGE_SIZE).max(1);
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let link = |p: usize| {
        let mut s = format!("?state={}&q={}", encode(state), encode(&search));
        if let Some(w) = wave {
            s.push_str(&format!("&wave={w}"));
        }
        s.push_str(&format!("&page={p}"));
        s
    };
    let rows = matched
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    (
        Table {
            rows,
            q: search.clone(),
            wave,
            total,
            matched: count,
            page,
            pages,
            pages_more: pages > 1,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        },
        state.to_owned(),
    )
}

pub(super) fn page_html(
    mut view: RolloutView,
    q: &TableQuery,
    session: Option<SessionInfo>,
) -> Result<String, crate::render::RenderError> {
    let targets = std::mem::take(&mut view.targets);
    let (table, state) = table(targets, q);
    let ctx = RolloutPage {
        title: format!(
            "#{} {} {}",
            view.summary.id, view.summary.library, view.summary.to_version
        ),
        session,
        filters: FILTERS
            .iter()
            .map(|(key, label)| FilterOption {
                key,
                label,
                selected: *key == state,
            })
            .collect(),
        table,
        notice: notice(q.done.as_deref()),
        view,
    };
    render("status_rollout", &ctx)
}

pub(super) async fn page(
    State(state): State<StatusState>,
    Path(id): Path<String>,
    Query(q): Query<TableQuery>,
    headers: HeaderMap,
) -> Response {
    if !session::may_read(&state, &headers).await {
        return login_redirect(&format!("/rollouts/{}", encode(&id)));
    }
    let Ok(id) = id.parse::<i64>() else {
        return message_page(
            StatusCode::NOT_FOUND,
            "expected a rollout number",
            Some("/"),
        );
    };
    match load::rollout(&state, id).await {
        Ok(Some(view)) => match page_html(view, &q, session::current(&state, &headers).await) {
            Ok(html) => html_page_raw(html),
            Err(e) => message_page(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string(), None),
        },
        Ok(None) => message_page(
            StatusCode::NOT_FOUND,
            &format!("no rollout {id}"),
            Some("/"),
        ),
        Err(e) => message_page(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string(), None),
    }
}

fn html_page_raw(html: String) -> Response {
    use axum::response::IntoResponse;
    (StatusCode::OK, axum::response::Html(html)).into_response()
}
