//! `/wavebump retry | skip [reason] | help` comments on wavebump's PRs:
//! checked, run through the engine, answered by one comment.
//!
//! Invariants: only a newly created comment on a PR of a rollout target
//! is read; comments by the bot itself are ignored (no loops); commands
//! run only for authors with write access as GitHub reports it
//! (`author_association` OWNER, MEMBER or COLLABORATOR) — anyone else gets
//! the refusal; the engine's refusals (wrong state, wrong target state) are
//! the answer; an engine or forge failure fails the delivery (retried).
//! The answer is posted last, after every command ran.

use crate::forge::ForgeWrite;
use crate::rollout::{CommandError, Engine, Timestamp};
use crate::server::commands::{Command, help_text};
use crate::server::events::{AuthorAssociation, CommentAction, IssueCommentEvent};
use crate::server::metrics::TickTrigger;
use crate::server::worker::Handled;

use super::engine::{TickContext, settle};
use super::matching;

/// May this author run commands?
pub fn has_write_access(a: &AuthorAssociation) -> bool {
    matches!(
        a,
        AuthorAssociation::Owner | AuthorAssociation::Member | AuthorAssociation::Collaborator
    )
}

/// Runs the comment's commands and answers.
pub async fn handle<F: ForgeWrite>(
    engine: &Engine<F>,
    c: &IssueCommentEvent,
    bot_login: &str,
    now: Timestamp,
    ctx: &TickContext,
) -> Result<Handled, String> {
    if c.action != CommentAction::Created {
        return Ok(Handled::Ignored(format!("comment {}", c.action.as_str())));
    }
    if !c.is_pull_request || c.commands.is_empty() {
        return Ok(Handled::Ignored("no /wavebump command on a PR".to_owned()));
    }
    let Some(author) = &c.author else {
        return Ok(Handled::Ignored(
            "comment by a deleted account (no `comment.user`)".to_owned(),
        ));
    };
    if author.is(bot_login) {
        return Ok(Handled::Ignored("wavebump's own comment".to_owned()));
    }
    let found = matching::by_pr(
        engine.store(),
        &c.repository.full_name,
        c.issue_number,
        false,
    )
    .await
    .map_err(|e| e.to_string())?;
    let Some(found) = found else {
        return Ok(Handled::Ignored(format!(
            "{}#{} is not a wavebump pull request",
            c.repository.full_name, c.issue_number
        )));
    };
    let login = &author.login;
    let mut answers = Vec::new();
    let mut ran = false;
    if !has_write_access(&c.author_association) {
        answers.push(format!(
            "@{login}: only people with write access to this repository (owner, member, collaborator) \
             can run wavebump commands; your association is {}.",
            c.author_association.as_str()
        ));
    } else {
        for command in &c.commands {
            let answer = match command {
                Err(e) => format!("`/wavebump`: {e}\n\n{}", help_text()),
                Ok(Command::Help) => help_text().to_owned(),
                Ok(Command::Retry) => {
                    ran = true;
                    let done = engine
                        .retry(found.rollout.id, &found.target.repo, login, now)
                        .await;
                    answer(done, || {
                        format!("Retrying {} (requested by @{login}).", found.target.repo)
                    })?
                }
                Ok(Command::Skip { reason }) => {
                    ran = true;
                    let why = reason.clone().unwrap_or_default();
                    let done = engine
                        .skip(found.rollout.id, &found.target.repo, login, &why, now)
                        .await;
                    answer(done, || {
                        format!(
                            "{} is skipped in rollout {} (requested by @{login}).",
                            found.target.repo, found.rollout.id
                        )
                    })?
                }
            };
            answers.push(answer);
        }
    }
    if ran {
        ctx.announce(found.rollout.id);
        settle(engine, now, TickTrigger::Delivery, ctx)
            .await
            .map_err(|e| e.to_string())?;
    }
    let body = answers.join("\n\n---\n\n");
    engine
        .forge()
        .comment(&found.target.repo, c.issue_number, &body)
        .await
        .map_err(|e| format!("answering the comment: {e}"))?;
    Ok(Handled::Done(format!(
        "{} command(s) from {login} on {}#{} answered",
        c.commands.len(),
        found.target.repo,
        c.issue_number
    )))
}

/// The answer to a command: the success text, the engine's refusal, or a
/// failure (`Err`, the delivery is retried).
fn answer(done: Result<(), CommandError>, ok: impl FnOnce() -> String) -> Result<String, String> {
    match done {
        Ok(()) => Ok(ok()),
        Err(CommandError::Engine(e)) => Err(e.to_string()),
        Err(refused) => Ok(format!("Refused: {refused}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_access() {
        for (a, want) in [
            ("OWNER", true),
            ("MEMBER", true),
            ("COLLABORATOR", true),
            ("CONTRIBUTOR", false),
            ("FIRST_TIME_CONTRIBUTOR", false),
            ("NONE", false),
            ("SOMETHING_NEW", false),
        ] {
            assert_eq!(has_write_access(&AuthorAssociation::parse(a)), want, "{a}");
        }
    }
}
