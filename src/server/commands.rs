//! The `/wavebump ...` comment-command grammar. Pure: text in, commands out.
//!
//! Grammar (one command per line; a comment may hold several):
//!
//! ```text
//! line    := ws* "/wavebump" (ws+ command)? ws*
//! command := "retry" | "help" | "skip" (ws+ reason)?
//! ```
//!
//! - The prefix and the sub-command are matched case-insensitively; the
//!   prefix must be followed by whitespace or the end of the line
//!   (`/wavebumpy` is not a command).
//! - Lines inside fenced code blocks (```` ``` ```` or `~~~`) and quoted
//!   lines (`> ...`) are ignored, so quoting a command does not run it.
//! - `retry` and `help` take no argument; `skip` takes an optional free-text
//!   reason (the rest of the line, at most [`MAX_REASON_CHARS`] characters).
//!
//! Invariant: parsing never panics and never fails as a whole: each
//! command line yields a [`Command`] or a [`CommandError`] whose message is
//! meant to be posted back to the person as a comment.

use crate::rollout::service::Verb;

/// The command prefix.
pub const PREFIX: &str = "/wavebump";
/// A longer `skip` reason is cut to this many characters.
pub const MAX_REASON_CHARS: usize = 500;

/// The sub-commands, for help and suggestions.
pub const SUBCOMMANDS: [&str; 3] = ["retry", "skip", "help"];

/// A command on one of wavebump's PRs: an operator verb of the rollout
/// service's one verb set ([`Verb`]; on a PR: `retry` and `skip`, acting
/// on the PR's repository), or help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Carry `verb` out on this PR's target.
    Run {
        /// `Verb::Retry` or `Verb::Skip`.
        verb: Verb,
        /// The rest of the line, trimmed (`skip` only); `None` when empty.
        reason: Option<String>,
    },
    /// Answer with the list of commands.
    Help,
}

/// A line that starts with `/wavebump` but is not a valid command; the
/// message is written for the person who typed it (a user error, never
/// retried).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct CommandError {
    /// The 1-based line of the comment.
    pub line: usize,
    /// What is wrong and what would be right.
    pub problem: LineError,
}

/// What is wrong with one `/wavebump` line, said to the person who wrote it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// `/wavebump` alone.
    #[error("`{PREFIX}` needs a command: {}. Try `{PREFIX} help`.", list())]
    NoCommand,
    /// `retry` or `help` followed by text.
    #[error("`{PREFIX} {command}` takes no arguments (found `{found}`).")]
    TakesNoArguments {
        /// The sub-command, lower-cased.
        command: String,
        /// The arguments, clipped for the answer.
        found: String,
    },
    /// A word that is no sub-command.
    #[error(
        "unknown command `{PREFIX} {word}`.{} Known commands: {}.",
        hint(*.suggestion),
        list()
    )]
    Unknown {
        /// The word, clipped for the answer.
        word: String,
        /// The sub-command it looks like a typo of.
        suggestion: Option<&'static str>,
    },
}

/// The help text wavebump answers `/wavebump help` with (Markdown).
pub fn help_text() -> &'static str {
    "wavebump understands these commands, one per line, from people with write access:\n\
     \n\
     - `/wavebump retry`: retry this pull request (refresh the branch, rerun CI)\n\
     - `/wavebump skip [reason]`: leave this repository out of the rollout\n\
     - `/wavebump help`: this message\n"
}

/// Every command line of a comment body, in order.
pub fn parse_commands(body: &str) -> Vec<Result<Command, CommandError>> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for (i, line) in body.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") {
            fence = Some("```");
            continue;
        }
        if trimmed.starts_with("~~~") {
            fence = Some("~~~");
            continue;
        }
        if trimmed.starts_with('>') {
            continue;
        }
        if let Some(rest) = strip_prefix(trimmed) {
            out.push(parse_line(rest).map_err(|problem| CommandError {
                line: i + 1,
                problem,
            }));
        }
    }
    out
}

/// The text after `/wavebump` when the line is a command line.
fn strip_prefix(line: &str) -> Option<&str> {
    let head = line.get(..PREFIX.len())?;
    if !head.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    let rest = line.get(PREFIX.len()..)?;
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_whitespace() => Some(rest),
        Some(_) => None,
    }
}

fn parse_line(rest: &str) -> Result<Command, LineError> {
    let rest = rest.trim();
    let (word, args) = match rest.split_once(char::is_whitespace) {
        Some((w, a)) => (w, a.trim()),
        None => (rest, ""),
    };
    if word.is_empty() {
        return Err(LineError::NoCommand);
    }
    let lower = word.to_lowercase();
    let no_args = |cmd: Command| {
        if args.is_empty() {
            Ok(cmd)
        } else {
            Err(LineError::TakesNoArguments {
                command: lower.clone(),
                found: clip(args, 60),
            })
        }
    };
    match lower.as_str() {
        "retry" => no_args(Command::Run {
            verb: Verb::Retry,
            reason: None,
        }),
        "help" => no_args(Command::Help),
        "skip" => Ok(Command::Run {
            verb: Verb::Skip,
            reason: (!args.is_empty()).then(|| args.chars().take(MAX_REASON_CHARS).collect()),
        }),
        _ => Err(LineError::Unknown {
            word: clip(word, 40),
            suggestion: suggestion(&lower),
        }),
    }
}

fn list() -> String {
    SUBCOMMANDS
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The "did you mean" sentence of an unknown command, if any.
fn hint(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!(" Did you mean `{PREFIX} {s}`?"))
        .unwrap_or_default()
}

fn clip(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    // Backticks would break the inline code span of the answer.
    out.replace('`', "'")
}

/// The closest sub-command, when the word looks like a typo of one.
fn suggestion(word: &str) -> Option<&'static str> {
    if word.chars().count() > 32 {
        return None;
    }
    crate::names::suggest::closest(word, SUBCOMMANDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETRY: Command = Command::Run {
        verb: Verb::Retry,
        reason: None,
    };

    fn one(body: &str) -> Result<Command, LineError> {
        let mut all = parse_commands(body);
        assert_eq!(all.len(), 1, "{body:?} -> {all:?}");
        all.remove(0).map_err(|e| e.problem)
    }

    #[test]
    fn valid_commands() {
        let skip = |r: Option<&str>| Command::Run {
            verb: Verb::Skip,
            reason: r.map(str::to_owned),
        };
        let cases = [
            ("/wavebump retry", RETRY),
            ("/wavebump help", Command::Help),
            ("/wavebump skip", skip(None)),
            ("/wavebump skip   ", skip(None)),
            (
                "/wavebump skip flaky integration suite",
                skip(Some("flaky integration suite")),
            ),
            ("  /wavebump   retry  ", RETRY),
            ("/WaveBump RETRY", RETRY),
            ("/wavebump\tretry", RETRY),
            ("/wavebump retry\r\n", RETRY),
            ("Thanks!\n/wavebump retry\nbye", RETRY),
        ];
        for (body, want) in cases {
            assert_eq!(one(body), Ok(want), "{body:?}");
        }
    }

    #[test]
    fn not_commands() {
        let cases = [
            "",
            "please retry",
            "run /wavebump retry",
            "/wavebumpy retry",
            "/wavebump-retry",
            "> /wavebump retry",
            "```\n/wavebump retry\n```",
            "~~~sh\n/wavebump skip\n~~~",
            "`/wavebump retry`",
            "/wave",
            "é/wavebump retry",
        ];
        for body in cases {
            assert_eq!(parse_commands(body), vec![], "{body:?}");
        }
    }

    #[test]
    fn errors() {
        let cases = [
            ("/wavebump", "`/wavebump` needs a command"),
            ("/wavebump   ", "`/wavebump` needs a command"),
            ("/wavebump rety", "Did you mean `/wavebump retry`?"),
            ("/wavebump skp", "Did you mean `/wavebump skip`?"),
            (
                "/wavebump merge",
                "unknown command `/wavebump merge`. Known commands: `retry`, `skip`, `help`.",
            ),
            (
                "/wavebump retry now",
                "`/wavebump retry` takes no arguments (found `now`).",
            ),
            ("/wavebump help me", "`/wavebump help` takes no arguments"),
            ("/wavebump `rm`", "unknown command `/wavebump 'rm'`"),
        ];
        for (body, want) in cases {
            let err = one(body).unwrap_err().to_string();
            assert!(err.contains(want), "{body:?}: {err}");
        }
    }

    #[test]
    fn several_commands_and_lines() {
        let body =
            "/wavebump retry\n```\n/wavebump skip\n```\ntext\n/wavebump nope\n/wavebump help";
        let got = parse_commands(body);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], Ok(RETRY));
        assert_eq!(got[1].as_ref().unwrap_err().line, 6);
        assert_eq!(got[2], Ok(Command::Help));
    }

    #[test]
    fn long_reason_is_cut() {
        let body = format!("/wavebump skip {}", "x".repeat(2000));
        let Ok(Command::Run {
            verb: Verb::Skip,
            reason: Some(r),
        }) = one(&body)
        else {
            panic!("not a skip");
        };
        assert_eq!(r.chars().count(), MAX_REASON_CHARS);
    }

    #[test]
    fn edit_distance() {
        assert_eq!(suggestion("retry"), Some("retry"));
        assert_eq!(suggestion("rety"), Some("retry"));
        assert_eq!(suggestion("sikp"), Some("skip"));
        assert_eq!(suggestion("zzzzzz"), None);
    }
}
