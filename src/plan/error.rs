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

/// The known name closest to `name` by edit distance, if it is close enough
/// to be a plausible typo (at most a third of the name's length, at least 1;
/// a case-only difference always qualifies). Ties go to the smaller name.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let wanted: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    let limit = (wanted.len() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in known {
        let have: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
        if have.len().abs_diff(wanted.len()) > limit {
            continue;
        }
        let d = levenshtein(&wanted, &have);
        if d <= limit && best.is_none_or(|(bd, bn)| (d, candidate) < (bd, bn)) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, n)| n.to_string())
}

/// Edit distance (insert, delete, substitute) with one rolling row.
fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let cost = diagonal + usize::from(ca != cb);
            let value = cost.min(up.saturating_add(1)).min(left + 1);
            diagonal = up;
            if let Some(slot) = row.get_mut(j + 1) {
                *slot = value;
            }
            left = value;
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_table() {
        for (a, b, d) in [
            ("", "", 0),
            ("abc", "", 3),
            ("", "abc", 3),
            ("kitten", "sitting", 3),
            ("billing-lib", "biling-lib", 1),
            ("flaw", "lawn", 2),
        ] {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            assert_eq!(levenshtein(&a, &b), d, "{a:?} {b:?}");
        }
    }

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
