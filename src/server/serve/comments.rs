//! `/wavebump retry | skip [reason] | help` comments on wavebump's PRs:
//! checked, run through the engine, answered by one comment.
//!
//! Invariants: only a newly created comment on a PR of a rollout target
//! is read; comments by the bot itself are ignored (no loops); commands
//! run only for authors with write access as GitHub reports it
//! (`author_association` OWNER, MEMBER or COLLABORATOR) — anyone else gets
//! the refusal; each command is an operator request to the rollout service,
//! whose user errors (wrong state, wrong target state) are the answer; an
//! internal failure fails the delivery (retried when temporary). The answer
//! is posted last, after every command ran.

use crate::forge::ForgeWrite;
use crate::rollout::service::{OperatorRequest, Outcome, Request, RolloutService, matching};
use crate::server::commands::{Command, help_text};
use crate::server::events::{AuthorAssociation, CommentAction, IssueCommentEvent};
use crate::server::worker::{DeliveryError, Handled};

/// May this author run commands?
pub fn has_write_access(a: &AuthorAssociation) -> bool {
    matches!(
        a,
        AuthorAssociation::Owner | AuthorAssociation::Member | AuthorAssociation::Collaborator
    )
}

/// Runs the comment's commands through the rollout service and answers.
pub async fn handle<F: ForgeWrite>(
    service: &RolloutService<F>,
    c: &IssueCommentEvent,
    bot_login: &str,
) -> Result<Handled, DeliveryError> {
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
    let store = service.engine().store();
    let found = matching::by_pr(store, &c.repository.full_name, c.issue_number, false)
        .await
        .map_err(DeliveryError::Store)?;
    let Some(found) = found else {
        return Ok(Handled::Ignored(format!(
            "{}#{} is not a wavebump pull request",
            c.repository.full_name, c.issue_number
        )));
    };
    let login = &author.login;
    let mut answers = Vec::new();
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
                Ok(Command::Run { verb, reason }) => {
                    let request = Request::Operator(OperatorRequest {
                        actor: login.clone(),
                        rollout: found.rollout.id,
                        verb: *verb,
                        repo: Some(found.target.repo.clone()),
                        reason: reason.clone().unwrap_or_default(),
                    });
                    match service.handle(request).await {
                        Ok(Outcome::Acted { rollout, .. }) => match verb {
                            crate::rollout::Verb::Skip => format!(
                                "{} is skipped in rollout {rollout} (requested by @{login}).",
                                found.target.repo
                            ),
                            crate::rollout::Verb::Retry => {
                                format!("Retrying {} (requested by @{login}).", found.target.repo)
                            }
                            other => format!(
                                "{other}: done on rollout {rollout} (requested by @{login})."
                            ),
                        },
                        Ok(_) => format!("{verb}: done (requested by @{login})."),
                        Err(e) if e.is_user() => format!("Refused: {e}"),
                        Err(e) => return Err(e.into()),
                    }
                }
            };
            answers.push(answer);
        }
    }
    let body = answers.join("\n\n---\n\n");
    service
        .engine()
        .forge()
        .comment(&found.target.repo, c.issue_number, &body)
        .await
        .map_err(DeliveryError::answering)?;
    Ok(Handled::Done(format!(
        "{} command(s) from {login} on {}#{} answered",
        c.commands.len(),
        found.target.repo,
        c.issue_number
    )))
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
