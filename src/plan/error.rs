//! Planner errors: a policy entry that names no known repository (with the
//! closest known name as a hint) and a policy that cannot be satisfied.

use thiserror::Error;

/// Why no plan could be made. Both variants name the offending policy entry
/// by its path (`canaries[1]`, `lockstep[0][2]`, `wave_sizes[3]`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// A canary, lockstep or tier entry names a repository that is neither
    /// in the input nor at either end of an edge.
    #[error(
        "policy entry {entry} names repository `{name}`, which does not exist{}",
        suggestion.as_deref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default()
    )]
    UnknownRepo {
        /// The entry's path in the policy, e.g. `canaries[1]`.
        entry: String,
        /// The name as written.
        name: String,
        /// The closest known repository name, when one is close enough.
        suggestion: Option<String>,
    },
    /// A canary or lockstep entry written without owner (or in another
    /// case) that fits several repositories.
    #[error(
        "policy entry {entry} names `{name}`, which fits several repositories ({}); write it as owner/name",
        candidates.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
    )]
    AmbiguousRepo {
        /// The entry's path in the policy, e.g. `canaries[1]`.
        entry: String,
        /// The name as written.
        name: String,
        /// The repositories it fits, in name order.
        candidates: Vec<String>,
    },
    /// A policy value outside its domain.
    #[error("invalid policy: {field}: expected {expected}, got {got}")]
    InvalidPolicy {
        /// The entry's path in the policy, e.g. `wave_sizes[2]`.
        field: String,
        /// What a valid value looks like.
        expected: String,
        /// The value found.
        got: String,
    },
}

/// The known name closest to `name`, when it is close enough to be a
/// plausible typo (see [`crate::names::suggest`]).
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    crate::names::suggest::closest(name, known).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_table() {
        let known = [
            "billing-lib",
            "billing-service",
            "auth-service",
            "core-utils",
        ];
        for (name, want) in [
            ("biling-lib", Some("billing-lib")),
            ("Auth-Service", Some("auth-service")),
            ("auth-servic", Some("auth-service")),
            ("payments", None),
            ("x", None),
        ] {
            assert_eq!(closest(name, known).as_deref(), want, "{name}");
        }
    }
}
