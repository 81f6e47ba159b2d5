//! [`RepoName`]: a repository's name with GitHub's rules for "is this the
//! same repository".
//!
//! GitHub compares owner and repository names ignoring ASCII case
//! (`Acme/Billing` is `acme/billing`). The local forge names repositories
//! without an owner (a directory name), and configs may write either form,
//! so [`RepoName::names`] also accepts a name without owner for the same
//! name part.
//!
//! Invariant: equality, hashing and ordering agree (all on the ASCII
//! lowercase form), so a `RepoName` is a safe map key; the text as written
//! is kept for display.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A repository name (`owner/name`, or `name` on the local forge), compared
/// ignoring ASCII case.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct RepoName(String);

impl RepoName {
    /// The name as written.
    pub fn new(name: impl Into<String>) -> RepoName {
        RepoName(name.into())
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name part: `billing` for `acme/billing` and for `billing`.
    pub fn short(&self) -> &str {
        short(&self.0)
    }

    /// Whether `a` and `b` are the same repository: equal ignoring ASCII
    /// case. (`RepoName::new(a) == RepoName::new(b)`, without allocating.)
    pub fn same(a: &str, b: &str) -> bool {
        a.eq_ignore_ascii_case(b)
    }

    /// Whether `other` names this repository: the same repository, or,
    /// when one of the two is written without an owner, the same name part
    /// (`billing` names `acme/billing`; `other/billing` does not).
    pub fn names(&self, other: &str) -> bool {
        Self::refers(&self.0, other)
    }

    /// [`RepoName::names`] on two strings.
    pub fn refers(a: &str, b: &str) -> bool {
        if Self::same(a, b) {
            return true;
        }
        let one_is_short = !a.contains('/') || !b.contains('/');
        one_is_short && Self::same(short(a), short(b))
    }
}

fn short(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RepoName {
    fn from(s: &str) -> Self {
        RepoName::new(s)
    }
}

impl From<String> for RepoName {
    fn from(s: String) -> Self {
        RepoName(s)
    }
}

impl AsRef<str> for RepoName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq for RepoName {
    fn eq(&self, other: &Self) -> bool {
        Self::same(&self.0, &other.0)
    }
}

impl Eq for RepoName {}

impl PartialEq<str> for RepoName {
    fn eq(&self, other: &str) -> bool {
        Self::same(&self.0, other)
    }
}

impl PartialEq<&str> for RepoName {
    fn eq(&self, other: &&str) -> bool {
        Self::same(&self.0, other)
    }
}

impl Hash for RepoName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

impl Ord for RepoName {
    fn cmp(&self, other: &Self) -> Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}

impl PartialOrd for RepoName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;

    #[test]
    fn equality_ignores_ascii_case() {
        assert_eq!(RepoName::new("Acme/Billing"), RepoName::new("acme/billing"));
        assert_ne!(
            RepoName::new("acme/billing"),
            RepoName::new("acme/billing2")
        );
        assert!(RepoName::new("acme/Billing") == "ACME/billing");
        let set: HashSet<RepoName> = ["a/B", "A/b", "a/c"]
            .into_iter()
            .map(RepoName::from)
            .collect();
        assert_eq!(set.len(), 2);
        let set: BTreeSet<RepoName> = ["a/B", "A/b", "a/c"]
            .into_iter()
            .map(RepoName::from)
            .collect();
        assert_eq!(set.len(), 2);
        assert_eq!(RepoName::new("Acme/Billing").to_string(), "Acme/Billing");
    }

    #[test]
    fn ordering_agrees_with_equality() {
        let names = ["a", "B", "b", "a/b", "A/B", "a-b", "ab", ""];
        for x in names {
            for y in names {
                let (x, y) = (RepoName::new(x), RepoName::new(y));
                assert_eq!(x == y, x.cmp(&y) == Ordering::Equal, "{x} {y}");
            }
        }
    }

    #[test]
    fn names_table() {
        for (a, b, want) in [
            ("billing", "acme/billing", true),
            ("acme/billing", "acme/billing", true),
            ("acme/Billing", "ACME/billing", true),
            ("other/billing", "acme/billing", false),
            ("billing", "billing", true),
            ("bill", "acme/billing", false),
            ("acme/billing", "billing", true),
        ] {
            assert_eq!(RepoName::new(a).names(b), want, "{a} {b}");
            assert_eq!(RepoName::refers(b, a), want, "{b} {a}");
        }
    }
}
