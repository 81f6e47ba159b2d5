//! Repository-name globs for tiers: `*` matches any run of characters
//! (including `/`, so `acme/*` and `*-service` both work), `?` exactly one
//! character; everything else matches itself. Matching is linear in practice
//! (greedy with one backtrack point) and never allocates per call.

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    chars: Vec<char>,
}

impl Glob {
    /// Compile `pattern`.
    pub fn new(pattern: &str) -> Self {
        Self {
            chars: pattern.chars().collect(),
        }
    }

    /// Whether the pattern has no wildcard, i.e. names one repository.
    pub fn is_literal(&self) -> bool {
        !self.chars.iter().any(|c| matches!(c, '*' | '?'))
    }

    /// Whether `text` (as chars) matches the whole pattern.
    pub fn matches(&self, text: &[char]) -> bool {
        let p = &self.chars;
        let (mut pi, mut ti) = (0usize, 0usize);
        // After a `*`: the pattern position just past it and the text
        // position it is currently assumed to stretch to.
        let mut star: Option<(usize, usize)> = None;
        while let Some(&tc) = text.get(ti) {
            match p.get(pi) {
                Some('*') => {
                    pi += 1;
                    star = Some((pi, ti));
                }
                Some(&pc) if pc == '?' || pc == tc => {
                    pi += 1;
                    ti += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        pi = sp;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        p.get(pi..)
            .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_table() {
        for (pattern, text, want) in [
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "a", false),
            ("payments-*", "payments-api", true),
            ("payments-*", "payments-", true),
            ("payments-*", "payment-api", false),
            ("*-service", "billing-service", true),
            ("*-service", "billing-service-2", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("acme/*", "acme/core", true),
            ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
            ("ünï*", "ünïcode", true),
            ("exact", "exact", true),
            ("exact", "exactly", false),
        ] {
            let text: Vec<char> = text.chars().collect();
            assert_eq!(
                Glob::new(pattern).matches(&text),
                want,
                "{pattern} vs {text:?}"
            );
        }
    }

    #[test]
    fn literal() {
        assert!(Glob::new("billing-lib").is_literal());
        assert!(!Glob::new("billing-*").is_literal());
        assert!(!Glob::new("billing-?").is_literal());
    }
}
