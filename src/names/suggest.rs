//! "Did you mean `X`?": one edit distance and one rule for when a word is
//! close enough to a known one to be a typo of it. Used for config keys and
//! values, planner policy entries, repository names given to the CLI and
//! PR comment sub-commands.
//!
//! Comparison ignores case. A candidate written `owner/name` is also
//! compared by its name part when the given word has no `/`, so `billing`
//! finds `acme/billing`.

/// Edit distance (insert, delete, substitute) between `a` and `b`, counted
/// in characters, with one rolling row.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let value = (diagonal + usize::from(ca != *cb))
                .min(up.saturating_add(1))
                .min(left + 1);
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

/// The largest distance at which a candidate still counts as a typo of
/// `given`: a third of its length, at least 2.
pub fn tolerance(given: &str) -> usize {
    (given.chars().count() / 3).max(2)
}

/// The distance between `given` and `candidate` as this module compares
/// them (case ignored, `owner/` optional), or `None` when too far.
pub fn typo_distance(given: &str, candidate: &str) -> Option<usize> {
    let given = lower(given);
    let full = lower(candidate);
    let mut d = distance(&given, &full);
    if !given.contains('/')
        && let Some((_, short)) = full.rsplit_once('/')
    {
        d = d.min(distance(&given, short));
    }
    (d <= tolerance(&given)).then_some(d)
}

/// The candidates close enough to `given` to be a typo of it, closest
/// first, ties by candidate text; each candidate once.
pub fn ranked<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| typo_distance(given, c).map(|d| (d, c)))
        .collect();
    scored.sort_unstable();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().map(|(_, c)| c).collect()
}

/// The closest candidate, when one is close enough (see [`ranked`]).
pub fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    ranked(given, candidates).into_iter().next()
}

fn lower(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        for (a, b, d) in [
            ("", "", 0),
            ("abc", "", 3),
            ("", "abc", 3),
            ("abc", "abd", 1),
            ("kitten", "sitting", 3),
            ("flaw", "lawn", 2),
            ("pakages", "packages", 1),
            ("rety", "retry", 1),
            ("billing-lib", "biling-lib", 1),
        ] {
            assert_eq!(distance(a, b), d, "{a} {b}");
            assert_eq!(distance(b, a), d, "{b} {a}");
        }
    }

    #[test]
    fn suggestions() {
        let known = [
            "billing-lib",
            "billing-service",
            "acme/auth-service",
            "core-utils",
        ];
        for (given, want) in [
            ("biling-lib", Some("billing-lib")),
            ("Auth-Service", Some("acme/auth-service")),
            ("acme/auth-servic", Some("acme/auth-service")),
            ("payments", None),
            ("x", None),
            ("", None),
        ] {
            assert_eq!(closest(given, known), want, "{given}");
        }
        assert_eq!(
            ranked("billing-li", known),
            ["billing-lib"],
            "only candidates within the tolerance"
        );
        assert_eq!(
            ranked("svc-5", ["svc-15", "svc-05", "svc-05"]),
            ["svc-05", "svc-15"]
        );
    }
}
