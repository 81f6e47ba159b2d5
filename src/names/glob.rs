//! Repository globs: the one matcher behind `repositories.include` /
//! `exclude`, tiers and `critical`, used by config validation and by the
//! planner alike.
//!
//! A pattern with a `/` is matched against the full `owner/name`; a pattern
//! without one against the name part only, so `*-service` works for the
//! local forge (directory names) and for GitHub (`owner/name`) alike.
//! `*` matches any run of characters except `/`, `?` one such character,
//! `[abc]`, `[a-z]`, `[!a]` one character of (or not of) a class. Matching
//! ignores ASCII case, as GitHub's repository names do.
//!
//! Invariant: `Glob::new` refuses malformed patterns, so `matches_repo` is
//! total; matching is O(pattern × name) without recursion blow-up. Whoever
//! accepts a pattern (config validation) accepts exactly what whoever
//! matches with it (the planner) can use, because both call `Glob::new`.

/// One compiled glob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    tokens: Vec<Token>,
    full_name: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Char(char),
    Any,
    Star,
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

/// What a glob looks like, for messages.
pub const GLOB_EXPECTED: &str =
    "a repository glob such as `billing-*`, `acme/*` or `*-service` (with balanced `[...]`)";

impl Glob {
    /// Compiles a pattern; `None` for an empty pattern or an unclosed `[`.
    pub fn new(pattern: &str) -> Option<Glob> {
        if pattern.trim().is_empty() {
            return None;
        }
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' => {
                    while chars.peek() == Some(&'*') {
                        chars.next();
                    }
                    Token::Star
                }
                '?' => Token::Any,
                '[' => {
                    let negated = matches!(chars.peek(), Some('!') | Some('^'));
                    if negated {
                        chars.next();
                    }
                    let mut items = Vec::new();
                    let mut closed = false;
                    let mut first = true;
                    while let Some(c) = chars.next() {
                        if c == ']' && !first {
                            closed = true;
                            break;
                        }
                        first = false;
                        let lo = c.to_ascii_lowercase();
                        if chars.peek() == Some(&'-') {
                            chars.next();
                            match chars.next() {
                                Some(']') => {
                                    items.push((lo, lo));
                                    items.push(('-', '-'));
                                    closed = true;
                                    break;
                                }
                                Some(hi) => items.push((lo, hi.to_ascii_lowercase())),
                                None => return None,
                            }
                        } else {
                            items.push((lo, lo));
                        }
                    }
                    if !closed {
                        return None;
                    }
                    Token::Class { negated, items }
                }
                c => Token::Char(c.to_ascii_lowercase()),
            });
        }
        Some(Glob {
            tokens,
            full_name: pattern.contains('/'),
        })
    }

    /// Whether the pattern has no wildcard or class, i.e. names one
    /// repository.
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Char(_)))
    }

    /// Whether a repository (`owner/name` or a local name) matches.
    pub fn matches_repo(&self, repo: &str) -> bool {
        let subject = if self.full_name {
            repo
        } else {
            repo.rsplit('/').next().unwrap_or(repo)
        };
        let name: Vec<char> = subject.chars().map(|c| c.to_ascii_lowercase()).collect();
        self.matches_chars(&name)
    }

    /// Iterative wildcard matching with single-star backtracking.
    fn matches_chars(&self, name: &[char]) -> bool {
        let (mut p, mut n) = (0usize, 0usize);
        let mut backtrack: Option<(usize, usize)> = None;
        loop {
            let tok = self.tokens.get(p);
            let ch = name.get(n);
            match (tok, ch) {
                (Some(Token::Star), _) => {
                    backtrack = Some((p, n));
                    p += 1;
                    continue;
                }
                (Some(t), Some(&c)) if single(t, c) => {
                    p += 1;
                    n += 1;
                    continue;
                }
                (None, None) => return true,
                _ => {}
            }
            match backtrack {
                Some((bp, bn)) if name.get(bn).is_some_and(|&c| c != '/') => {
                    backtrack = Some((bp, bn + 1));
                    p = bp + 1;
                    n = bn + 1;
                }
                _ => return false,
            }
        }
    }
}

fn single(tok: &Token, c: char) -> bool {
    match tok {
        Token::Char(x) => *x == c,
        Token::Any => c != '/',
        Token::Class { negated, items } => {
            c != '/' && items.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
        }
        Token::Star => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for (pat, repo, want) in [
            ("*", "acme/billing", true),
            ("*", "billing", true),
            ("billing-*", "acme/billing-lib", true),
            ("billing-*", "billing-lib", true),
            ("billing-*", "acme/billing", false),
            ("acme/*", "acme/x", true),
            ("acme/*", "other/x", false),
            ("acme/*", "x", false),
            ("*-service", "acme/user-service", true),
            ("*-service", "acme/user-service-old", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("svc-?", "svc-1", true),
            ("svc-?", "svc-12", false),
            ("svc-[0-9]", "svc-7", true),
            ("svc-[!0-9]", "svc-7", false),
            ("svc-[!0-9]", "svc-x", true),
            ("svc-[a-]", "svc--", true),
            ("[]]x", "]x", true),
            ("Billing", "acme/billing", true),
            ("acme/*", "acme/x/y", false),
            ("payments-*", "payments-", true),
            ("*", "", true),
            ("a?c", "ac", false),
            ("a*b*c", "aXXbYYc", true),
            ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
            ("ünï*", "ünïcode", true),
            ("exact", "exactly", false),
            ("*-SERVICE", "Acme/Billing-Service", true),
            ("ACME/*", "acme/x", true),
        ] {
            let g = Glob::new(pat).unwrap();
            assert_eq!(g.matches_repo(repo), want, "{pat} vs {repo}");
        }
    }

    #[test]
    fn malformed() {
        for pat in ["", "  ", "svc-[0-9", "[", "[a-"] {
            assert_eq!(Glob::new(pat), None, "{pat}");
        }
    }

    #[test]
    fn literal() {
        assert!(Glob::new("billing-lib").unwrap().is_literal());
        assert!(Glob::new("acme/billing-lib").unwrap().is_literal());
        assert!(!Glob::new("billing-*").unwrap().is_literal());
        assert!(!Glob::new("billing-?").unwrap().is_literal());
        assert!(!Glob::new("billing-[ab]").unwrap().is_literal());
    }
}
