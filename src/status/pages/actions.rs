//! The action forms' handlers: POST only, session + CSRF first, then an
//! operator request to the rollout service through `OperatorCommands` (it
//! settles and announces the change), then a redirect back to the rollout
//! (303, so a reload does not repeat it).

use std::collections::HashMap;

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;

use super::{message_page, refusal};
use crate::rollout::service::{OperatorRequest, Verb};
use crate::status::StatusState;
use crate::status::session;

/// Free-text fields (reasons, comments) are cut to this many characters.
pub const TEXT_LIMIT: usize = 500;

type Fields = HashMap<String, String>;

fn text(f: &Fields, key: &str) -> String {
    f.get(key)
        .map(|s| s.trim().chars().take(TEXT_LIMIT).collect())
        .unwrap_or_default()
}

/// The request the form asks for, or what is missing.
fn request(
    verb: Verb,
    rollout: i64,
    actor: &str,
    f: &Fields,
) -> Result<OperatorRequest, &'static str> {
    let repo = if verb.needs_repo() {
        let r = text(f, "repo");
        if r.is_empty() {
            return Err("which repository? the form has no `repo`");
        }
        Some(r)
    } else {
        None
    };
    let reason = match verb {
        Verb::Abort => {
            if f.get("confirm").map(String::as_str) != Some("yes") {
                return Err("abort needs the confirmation box ticked");
            }
            let comment = text(f, "comment");
            if comment.is_empty() {
                "aborted from the status page".to_owned()
            } else {
                comment
            }
        }
        Verb::Pause | Verb::Skip => text(f, "reason"),
        Verb::Resume | Verb::Advance | Verb::Retry => String::new(),
    };
    Ok(OperatorRequest {
        actor: actor.to_owned(),
        rollout,
        verb,
        repo,
        reason,
    })
}

async fn act(state: StatusState, id: &str, verb: Verb, headers: HeaderMap, f: Fields) -> Response {
    let who = match session::authorise(&state, &headers, f.get("csrf").map(String::as_str)).await {
        Ok(s) => s,
        Err(refused) => return refused.into_response(),
    };
    let Ok(id) = id.parse::<i64>() else {
        return refusal(StatusCode::NOT_FOUND, "expected a rollout number");
    };
    let back = format!("/rollouts/{id}");
    let request = match request(verb, id, &who.operator, &f) {
        Ok(r) => r,
        Err(why) => return message_page(StatusCode::BAD_REQUEST, why, Some(&back)),
    };
    // The service takes the engine lock, settles and announces the change.
    match state.commands.apply(request).await {
        Ok(_) => {
            let mut resp = Redirect::to(&format!("{back}?done={verb}")).into_response();
            *resp.status_mut() = StatusCode::SEE_OTHER;
            resp
        }
        Err(e) if e.is_user() => message_page(StatusCode::CONFLICT, &e.to_string(), Some(&back)),
        Err(e) => {
            tracing::error!(operator = %who.operator, rollout = id, action = %verb, error = %e, "operator action failed");
            message_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the {verb} failed: {e}"),
                Some(&back),
            )
        }
    }
}

macro_rules! action_route {
    ($verb:expr) => {
        post(
            |State(state): State<StatusState>,
             Path(id): Path<String>,
             headers: HeaderMap,
             Form(f): Form<Fields>| async move { act(state, &id, $verb, headers, f).await },
        )
    };
}

pub(super) fn routes() -> Router<StatusState> {
    Router::new()
        .route("/rollouts/{id}/pause", action_route!(Verb::Pause))
        .route("/rollouts/{id}/resume", action_route!(Verb::Resume))
        .route("/rollouts/{id}/advance", action_route!(Verb::Advance))
        .route("/rollouts/{id}/abort", action_route!(Verb::Abort))
        .route("/rollouts/{id}/retry", action_route!(Verb::Retry))
        .route("/rollouts/{id}/skip", action_route!(Verb::Skip))
}
