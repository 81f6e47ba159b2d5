//! Operator commands: create, start, pause, resume, advance, abort, skip
//! (`retry` and `supersede` in their own modules). Each is refused, with the rollout's state and the states that allow
//! it, when the rollout is elsewhere; an unknown repository is refused with
//! close matches. Every command lands in the audit log with the operator.

use super::engine::{Engine, EngineError, by_repo};
use super::state::{RolloutState, TargetState, Timestamp};
use crate::forge::{ForgeError, ForgeWrite};
use crate::names::{RepoName, suggest};
use crate::store::{NewRollout, RolloutRecord, StoreError, TargetRecord};

use RolloutState::*;

/// A command the engine refuses, or could not carry out.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("no rollout {0}")]
    NoSuchRollout(i64),
    #[error(
        "cannot {command} rollout {rollout}: it is {state}; {command} is allowed when the rollout is {}",
        names(allowed)
    )]
    WrongState {
        command: &'static str,
        rollout: i64,
        state: RolloutState,
        allowed: &'static [RolloutState],
    },
    #[error(
        "rollout {rollout} has no target in repository {repo:?}{}",
        suggest(suggestions)
    )]
    UnknownRepo {
        rollout: i64,
        repo: String,
        suggestions: Vec<String>,
    },
    #[error("cannot {command} {repo}: its target(s) are {states}; {command} needs {needs}")]
    TargetState {
        command: &'static str,
        repo: String,
        states: String,
        needs: &'static str,
    },
    #[error(
        "cannot supersede rollout {rollout}: {offered} is not newer than {current}, the version it rolls out"
    )]
    NotNewer {
        rollout: i64,
        current: String,
        offered: String,
    },
    #[error("cannot advance rollout {rollout}: wave {wave} is its last")]
    LastWave { rollout: i64, wave: u32 },
    /// `retry` can neither re-run the failed checks nor push a commit that
    /// runs them again; nothing was changed.
    #[error("cannot retry {repo}: {why}; nothing was changed")]
    CannotRerun { repo: String, why: String },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        CommandError::Engine(e.into())
    }
}

impl From<ForgeError> for CommandError {
    fn from(e: ForgeError) -> Self {
        CommandError::Engine(e.into())
    }
}

fn names(states: &[RolloutState]) -> String {
    let n: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    n.join(" or ")
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", s.join(", "))
    }
}

/// Up to three known names close to `wanted` (see [`suggest`]), or
/// containing it, closest first.
pub fn close_matches(wanted: &str, known: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = suggest::ranked(wanted, known.iter().copied())
        .into_iter()
        .map(str::to_owned)
        .collect();
    let w = wanted.to_ascii_lowercase();
    if !w.is_empty() {
        for k in known {
            if k.to_ascii_lowercase().contains(&w) && !out.iter().any(|o| o == k) {
                out.push((*k).to_owned());
            }
        }
    }
    out.truncate(3);
    out
}

impl<F: ForgeWrite> Engine<F> {
    pub(super) async fn load(
        &self,
        id: i64,
        command: &'static str,
        allowed: &'static [RolloutState],
    ) -> Result<RolloutRecord, CommandError> {
        let rollout = self
            .store
            .rollout(id)
            .await?
            .ok_or(CommandError::NoSuchRollout(id))?;
        if !allowed.contains(&rollout.state) {
            return Err(CommandError::WrongState {
                command,
                rollout: id,
                state: rollout.state,
                allowed,
            });
        }
        Ok(rollout)
    }

    /// The targets of `repo` in a rollout (case-insensitive, `owner/` may
    /// be left out), or the refusal with close matches.
    pub(super) async fn repo_targets(
        &self,
        rollout: &RolloutRecord,
        repo: &str,
    ) -> Result<(Vec<TargetRecord>, Vec<usize>), CommandError> {
        let targets = self.store.targets(rollout.id).await?;
        let same = |name: &str| RepoName::refers(name, repo);
        let ix: Vec<usize> = (0..targets.len())
            .filter(|&i| same(&targets[i].repo))
            .collect();
        if ix.is_empty() {
            let known: Vec<&str> = by_repo(&targets).into_keys().collect();
            return Err(CommandError::UnknownRepo {
                rollout: rollout.id,
                repo: repo.to_owned(),
                suggestions: close_matches(repo, &known),
            });
        }
        Ok((targets, ix))
    }

    /// Store a rollout made from a plan (state `planned`); its id.
    pub async fn create(&self, new: &NewRollout, now: Timestamp) -> Result<i64, CommandError> {
        Ok(self.store.create_rollout(new, now).await?)
    }

    /// `planned → running`: wave 0 opens at the next tick.
    pub async fn start(&self, id: i64, operator: &str, now: Timestamp) -> Result<(), CommandError> {
        let rollout = self.load(id, "start", &[Planned]).await?;
        self.set_state(rollout, Running, operator, "started", "wave 0 opens", now)
            .await?;
        let mut waves = self.store.waves(id).await?;
        if let Some(w) = waves.first_mut() {
            w.opened_at = Some(now);
            self.store.update_wave(w).await?;
        }
        Ok(())
    }

    pub async fn pause(
        &self,
        id: i64,
        operator: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let rollout = self.load(id, "pause", &[Running]).await?;
        let why = if reason.is_empty() {
            "paused by operator"
        } else {
            reason
        };
        self.set_state(rollout, Paused, operator, "paused", why, now)
            .await?;
        Ok(())
    }

    /// `paused | halted → running`. A halted rollout whose failures still
    /// exceed the budget halts again at the next gate.
    pub async fn resume(
        &self,
        id: i64,
        operator: &str,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let rollout = self.load(id, "resume", &[Paused, Halted]).await?;
        self.set_state(
            rollout,
            Running,
            operator,
            "resumed",
            "resumed by operator",
            now,
        )
        .await?;
        Ok(())
    }

    /// Open the next wave now, whatever the gate says.
    pub async fn advance(
        &self,
        id: i64,
        operator: &str,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let rollout = self.load(id, "advance", &[Running, Paused]).await?;
        if rollout.current_wave + 1 >= rollout.wave_count {
            return Err(CommandError::LastWave {
                rollout: id,
                wave: rollout.current_wave,
            });
        }
        let why = format!("forced by {operator}");
        self.advance_wave(rollout, operator, &why, now).await?;
        Ok(())
    }

    /// Leave a repository out of the rollout (its PR, if any, stays open).
    pub async fn skip(
        &self,
        id: i64,
        repo: &str,
        operator: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let rollout = self
            .load(id, "skip", &[Planned, Running, Paused, Halted])
            .await?;
        let (mut targets, ix) = self.repo_targets(&rollout, repo).await?;
        let live: Vec<usize> = ix
            .iter()
            .copied()
            .filter(|&i| !targets[i].state.is_terminal())
            .collect();
        if live.is_empty() {
            return Err(CommandError::TargetState {
                command: "skip",
                repo: repo.to_owned(),
                states: states(&targets, &ix),
                needs: "a target that is not merged, closed, skipped or superseded",
            });
        }
        for i in live {
            let why = if reason.is_empty() {
                format!("skipped by {operator}")
            } else {
                format!("skipped by {operator}: {reason}")
            };
            self.apply(
                &mut targets[i],
                TargetState::Skipped,
                operator,
                &why,
                now,
                |_| {},
            )
            .await?;
        }
        Ok(())
    }
}

pub(super) fn states(targets: &[TargetRecord], ix: &[usize]) -> String {
    let mut s: Vec<String> = ix.iter().map(|&i| targets[i].state.to_string()).collect();
    s.dedup();
    s.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_matches_use_short_names() {
        let known = ["acme/svc-05", "acme/svc-15", "acme/api"];
        assert_eq!(
            close_matches("svc-5", &known),
            ["acme/svc-05", "acme/svc-15"]
        );
        assert_eq!(close_matches("acme/apj", &known), ["acme/api"]);
    }

    #[test]
    fn close_matches_table() {
        let known = ["billing-service", "billing-lib", "api-gateway", "auth"];
        for (wanted, want) in [
            ("billing-servce", vec!["billing-service"]),
            ("biling-lib", vec!["billing-lib"]),
            ("gateway", vec!["api-gateway"]),
            ("zzzzzz", vec![]),
            ("svc-5", vec![]),
        ] {
            assert_eq!(close_matches(wanted, &known), want, "{wanted}");
        }
    }
}
