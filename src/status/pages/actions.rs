//! The action forms' handlers: POST only, session + CSRF first, then the
//! engine through `OperatorCommands`, then a broadcast of the change and a
//! redirect back to the rollout (303, so a reload does not repeat it).

use std::collections::HashMap;

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;

use super::{message_page, refusal};
use crate::status::session;
use crate::status::{OperatorAction, StatusState};

/// Free-text fields (reasons, comments) are cut to this many characters.
pub const TEXT_LIMIT: usize = 500;

type Fields = HashMap<String, String>;

fn text(f: &Fields, key: &str) -> String {
    f.get(key)
        .map(|s| s.trim().chars().take(TEXT_LIMIT).collect())
        .unwrap_or_default()
}

/// The action asked for, or what is missing.
fn action(kind: &str, f: &Fields) -> Result<OperatorAction, &'static str> {
    let repo = || {
        let r = text(f, "repo");
        if r.is_empty() {
            Err("which repository? the form has no `repo`")
        } else {
            Ok(r)
        }
    };
    Ok(match kind {
        "pause" => OperatorAction::Pause {
            reason: text(f, "reason"),
        },
        "resume" => OperatorAction::Resume,
        "advance" => OperatorAction::Advance,
        "abort" => {
            if f.get("confirm").map(String::as_str) != Some("yes") {
                return Err("abort needs the confirmation box ticked");
            }
            let comment = text(f, "comment");
            OperatorAction::Abort {
                comment: if comment.is_empty() {
                    "aborted from the status page".to_owned()
                } else {
                    comment
                },
            }
        }
        "retry" => OperatorAction::Retry { repo: repo()? },
        "skip" => OperatorAction::Skip {
            repo: repo()?,
            reason: text(f, "reason"),
        },
        _ => return Err("unknown action"),
    })
}

async fn act(
    state: StatusState,
    id: &str,
    kind: &'static str,
    headers: HeaderMap,
    f: Fields,
) -> Response {
    let who = match session::authorise(&state, &headers, f.get("csrf").map(String::as_str)).await {
        Ok(s) => s,
        Err(refused) => return refused.into_response(),
    };
    let Ok(id) = id.parse::<i64>() else {
        return refusal(StatusCode::NOT_FOUND, "expected a rollout number");
    };
    let back = format!("/rollouts/{id}");
    let action = match action(kind, &f) {
        Ok(a) => a,
        Err(why) => return message_page(StatusCode::BAD_REQUEST, why, Some(&back)),
    };
    match state.commands.apply(id, action, &who.operator).await {
        Ok(()) => {
            tracing::info!(operator = %who.operator, rollout = id, action = kind, "operator action");
            // No page open is fine: nobody to tell.
            let _ = state.changes.send(id);
            let mut resp = Redirect::to(&format!("{back}?done={kind}")).into_response();
            *resp.status_mut() = StatusCode::SEE_OTHER;
            resp
        }
        Err(message) => message_page(StatusCode::CONFLICT, &message, Some(&back)),
    }
}

macro_rules! action_route {
    ($kind:literal) => {
        post(
            |State(state): State<StatusState>,
             Path(id): Path<String>,
             headers: HeaderMap,
             Form(f): Form<Fields>| async move { act(state, &id, $kind, headers, f).await },
        )
    };
}

pub(super) fn routes() -> Router<StatusState> {
    Router::new()
        .route("/rollouts/{id}/pause", action_route!("pause"))
        .route("/rollouts/{id}/resume", action_route!("resume"))
        .route("/rollouts/{id}/advance", action_route!("advance"))
        .route("/rollouts/{id}/abort", action_route!("abort"))
        .route("/rollouts/{id}/retry", action_route!("retry"))
        .route("/rollouts/{id}/skip", action_route!("skip"))
}
