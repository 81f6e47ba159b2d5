//! What the planner is given: repositories (planned or not) and the edges of
//! the consumer graph. Plain data; order carries no meaning.

/// One repository known to the planner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInput {
    /// The repository's name as the forge names it.
    pub name: String,
    /// Whether the repository needs a PR of its own (it requires the library
    /// directly and is not yet up to date). Only these are planned.
    pub needs_pr: bool,
}

impl RepoInput {
    /// A repository that needs a PR.
    pub fn planned(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            needs_pr: true,
        }
    }

    /// A repository that is known but needs no PR (affected transitively,
    /// already up to date, or the library itself).
    pub fn unplanned(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            needs_pr: false,
        }
    }
}

/// An edge of the consumer graph: `from` requires a package that `to`
/// publishes. Either end may name a repository absent from
/// [`PlanInput::repos`]; such a repository is known but not planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The consumer.
    pub from: String,
    /// The provider whose package `from` requires.
    pub to: String,
}

impl Edge {
    /// `from` consumes a package of `to`.
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
        }
    }
}

/// Everything the planner needs besides the policy.
///
/// A repository listed twice is planned if any of its entries needs a PR;
/// duplicate edges and self-edges (a repository consuming its own package)
/// are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanInput {
    /// Every repository considered.
    pub repos: Vec<RepoInput>,
    /// The consumer graph.
    pub edges: Vec<Edge>,
}
