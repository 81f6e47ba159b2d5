//! What the service refuses or fails at, classified twice: what the person
//! did wrong ([`ServiceError::is_user`], shown as is) apart from internal
//! failures (logged), and temporary failures ([`ServiceError::is_temporary`]:
//! network, 5xx, rate limit, a write that lost a race — a worker retries)
//! apart from permanent ones (bad input, unknown rollout — a worker parks).

use super::Verb;
use crate::forge::ForgeError;
use crate::planning::PlanningError;
use crate::rollout::{CommandError, EngineError};
use crate::store::StoreError;

/// Why a [`super::Request`] was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The engine refuses the command (wrong state, unknown repository,
    /// not a newer version, last wave, no such rollout).
    #[error(transparent)]
    Refused(CommandError),
    /// `retry` or `skip` without a repository.
    #[error("{verb} needs a repository (which one?)")]
    MissingRepo { verb: Verb },
    /// A version that does not parse.
    #[error("{text:?} is not a valid version ({message}); expected e.g. 2.0.0")]
    BadVersion { text: String, message: String },
    /// A new version was asked for while a rollout of the library is live
    /// and the version does not supersede it.
    #[error(
        "rollout {rollout} of {library} {current} is {state}; finish or abort it first, or supersede it with a newer --to"
    )]
    Live {
        rollout: i64,
        library: String,
        current: String,
        state: crate::rollout::RolloutState,
    },
    /// Planning failed (a usage error in the config or the version, or the
    /// forge while discovering).
    #[error("planning {version}: {source}")]
    Planning {
        version: String,
        #[source]
        source: PlanningError,
    },
    /// This service was built without a configuration, so it cannot plan.
    #[error("this rollout service has no configuration: new versions cannot be planned")]
    NoConfig,
    /// The engine, the store or the forge failed.
    #[error(transparent)]
    Engine(EngineError),
}

impl From<CommandError> for ServiceError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Engine(e) => ServiceError::Engine(e),
            refused => ServiceError::Refused(refused),
        }
    }
}

impl From<EngineError> for ServiceError {
    fn from(e: EngineError) -> Self {
        ServiceError::Engine(e)
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::Engine(e.into())
    }
}

impl ServiceError {
    /// Something the person asked for wrongly: the message is for them, as
    /// is (exit 2 in the CLI, 409 on the page, the answer to a comment).
    pub fn is_user(&self) -> bool {
        match self {
            ServiceError::Refused(_)
            | ServiceError::MissingRepo { .. }
            | ServiceError::BadVersion { .. }
            | ServiceError::Live { .. } => true,
            ServiceError::Planning { source, .. } => source.is_usage(),
            ServiceError::NoConfig | ServiceError::Engine(_) => false,
        }
    }

    /// A failure that may go away by itself (network, server errors, rate
    /// limits, a store write that lost a race): worth retrying later.
    /// Everything else (user errors, bad data) is permanent.
    pub fn is_temporary(&self) -> bool {
        match self {
            ServiceError::Engine(e) => engine_is_temporary(e),
            ServiceError::Planning {
                source: PlanningError::Forge(f),
                ..
            } => forge_is_temporary(f),
            _ => false,
        }
    }
}

/// Temporary engine failures: the forge's transient ones, and the store's
/// connection failures and lost races.
pub fn engine_is_temporary(e: &EngineError) -> bool {
    match e {
        EngineError::Forge(f) => forge_is_temporary(f),
        EngineError::Store(s) => store_is_temporary(s),
        EngineError::Illegal(_) | EngineError::Rollout { .. } => false,
    }
}

/// A forge failure worth retrying (see [`ForgeError::is_transient`]).
pub fn forge_is_temporary(e: &ForgeError) -> bool {
    e.is_transient()
}

/// A store failure worth retrying: a lost race or the database itself
/// (connection, lock timeout); a damaged row or schema is permanent.
pub fn store_is_temporary(e: &StoreError) -> bool {
    matches!(e, StoreError::Conflict(_) | StoreError::Db(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let refused = ServiceError::from(CommandError::NoSuchRollout(7));
        assert!(refused.is_user() && !refused.is_temporary());
        let missing = ServiceError::MissingRepo { verb: Verb::Skip };
        assert!(missing.is_user() && !missing.is_temporary());
        assert_eq!(missing.to_string(), "skip needs a repository (which one?)");
        let limited = ServiceError::from(EngineError::Forge(ForgeError::RateLimited {
            retry_after_secs: 3,
        }));
        assert!(!limited.is_user() && limited.is_temporary());
        let raced = ServiceError::from(StoreError::Conflict("moved".into()));
        assert!(!raced.is_user() && raced.is_temporary());
        let missing_repo =
            ServiceError::from(EngineError::Forge(ForgeError::NotFound("acme/x".into())));
        assert!(!missing_repo.is_user() && !missing_repo.is_temporary());
        let bad_row = ServiceError::from(StoreError::BadRow {
            table: "targets",
            column: "state",
            message: "??".into(),
        });
        assert!(!bad_row.is_temporary());
        let usage = ServiceError::Planning {
            version: "2.0.0".into(),
            source: PlanningError::Usage("no such tag".into()),
        };
        assert!(usage.is_user() && !usage.is_temporary());
        let down = ServiceError::Planning {
            version: "2.0.0".into(),
            source: PlanningError::Forge(ForgeError::Other("502".into())),
        };
        assert!(!down.is_user() && down.is_temporary());
    }
}
