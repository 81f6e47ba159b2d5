//! The one operator verb set and its one mapping onto the engine.
//!
//! Every front end names its verbs with [`Verb`]: the `rollout` CLI's
//! subcommands, the status page's action forms, the `/wavebump` comment
//! grammar and the demo's transcript. [`Verb::run`] is the only place a
//! verb becomes an engine command.

use std::fmt;

use super::ServiceError;
use crate::forge::ForgeWrite;
use crate::rollout::{CommandError, Engine, Timestamp};

/// What an operator can do to a rollout (or to one repository of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    /// Stop opening PRs and advancing waves.
    Pause,
    /// Continue a paused or halted rollout.
    Resume,
    /// Open the next wave now, whatever the gate says.
    Advance,
    /// Stop the rollout; open PRs are closed with the reason as comment.
    Abort,
    /// Retry one repository (re-run CI or push an empty commit, reopen).
    Retry,
    /// Leave one repository out of the rollout.
    Skip,
}

impl Verb {
    /// Every verb, in the order help texts list them.
    pub const ALL: [Verb; 6] = [
        Verb::Pause,
        Verb::Resume,
        Verb::Advance,
        Verb::Abort,
        Verb::Retry,
        Verb::Skip,
    ];

    /// The verb's name (`pause`, `retry`, ...), as CLI, page and comments
    /// spell it.
    pub fn name(self) -> &'static str {
        match self {
            Verb::Pause => "pause",
            Verb::Resume => "resume",
            Verb::Advance => "advance",
            Verb::Abort => "abort",
            Verb::Retry => "retry",
            Verb::Skip => "skip",
        }
    }

    /// The verb named `name` (ASCII case ignored).
    pub fn parse(name: &str) -> Option<Verb> {
        Verb::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(name))
    }

    /// Does the verb act on one repository (`retry`, `skip`)?
    pub fn needs_repo(self) -> bool {
        matches!(self, Verb::Retry | Verb::Skip)
    }

    /// Carries the verb out on rollout `id` at `now` as `actor`; `repo`
    /// for the per-repository verbs, `reason` recorded in the audit log
    /// (the abort comment for `abort`). The caller holds the engine lock.
    pub(super) async fn run<F: ForgeWrite>(
        self,
        engine: &Engine<F>,
        id: i64,
        repo: Option<&str>,
        actor: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<Option<String>, ServiceError> {
        let repo = || {
            repo.filter(|r| !r.trim().is_empty())
                .ok_or(ServiceError::MissingRepo { verb: self })
        };
        let none = |r: Result<(), CommandError>| r.map(|()| None);
        let done: Result<Option<String>, CommandError> = match self {
            Verb::Pause => none(engine.pause(id, actor, reason, now).await),
            Verb::Resume => none(engine.resume(id, actor, now).await),
            Verb::Advance => none(engine.advance(id, actor, now).await),
            // What was closed and what is still to close: the answer.
            Verb::Abort => engine
                .abort(id, actor, reason, now)
                .await
                .map(|outcome| Some(outcome.to_string())),
            // Which of re-requested checks / an empty commit happened.
            Verb::Retry => engine
                .retry(id, repo()?, actor, now)
                .await
                .map(|outcome| Some(outcome.to_string())),
            Verb::Skip => none(engine.skip(id, repo()?, actor, reason, now).await),
        };
        done.map_err(ServiceError::from)
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in Verb::ALL {
            assert_eq!(Verb::parse(v.name()), Some(v));
            assert_eq!(Verb::parse(&v.name().to_uppercase()), Some(v));
        }
        assert_eq!(Verb::parse("resume "), None);
        assert_eq!(Verb::parse("help"), None);
        assert!(Verb::Retry.needs_repo() && Verb::Skip.needs_repo());
        assert!(!Verb::Pause.needs_repo());
    }
}
