//! Neutralising quoted Markdown (release notes, tool output) so a PR body
//! pings nobody and cross-references nothing.
//!
//! The chosen technique is a code span: GitHub never resolves a mention or
//! an issue reference inside code, and the text stays visible and
//! copyable (an invisible joiner would not be). Outside fenced code blocks
//! and inline code spans, these are wrapped in backticks:
//!
//! - mentions `@login` and `@org/team` — an `@` preceded by a letter,
//!   digit or one of `.` `_` `+` `-` `/` is part of an e-mail address or a
//!   path, not a mention, and is left alone;
//! - issue references `#123`, `GH-123` and `owner/repo#123`;
//! - issue, pull-request and discussion URLs
//!   (`https://HOST/owner/repo/issues/123`, any host: GitHub Enterprise
//!   too); a Markdown link to one keeps its text and shows the URL as code
//!   after it, since a link would create the cross-reference.
//!
//! Fenced blocks and code spans are copied byte for byte (nothing in them
//! pings). Nothing is HTML-escaped: the result is Markdown.
//!
//! Invariant: linear in the input, no panic on any input (all slicing is
//! at ASCII positions found by the scanner).

/// `text` with every mention and issue reference outside code neutralised.
pub fn neutralise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut fence: Option<Fence> = None;
    for line in text.split_inclusive('\n') {
        match &fence {
            Some(open) => {
                if open.closed_by(line) {
                    fence = None;
                }
                out.push_str(line);
            }
            None => {
                if let Some(open) = Fence::opened_by(line) {
                    fence = Some(open);
                    out.push_str(line);
                } else {
                    neutralise_line(line, &mut out);
                }
            }
        }
    }
    out
}

/// The first `max_chars` characters' worth of whole lines of `text`, with
/// an open code fence closed; `None` when nothing was cut.
pub fn truncate_markdown(text: &str, max_chars: usize) -> Option<String> {
    if text.chars().count() <= max_chars {
        return None;
    }
    let mut out = String::new();
    let mut used = 0usize;
    let mut fence: Option<Fence> = None;
    for line in text.split_inclusive('\n') {
        let n = line.chars().count();
        if used + n > max_chars {
            break;
        }
        used += n;
        out.push_str(line);
        match &fence {
            Some(open) if open.closed_by(line) => fence = None,
            Some(_) => {}
            None => fence = Fence::opened_by(line),
        }
    }
    if let Some(open) = fence {
        if !out.ends_with('\n') && !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&open.marker());
        out.push('\n');
    }
    Some(out)
}

/// An open fenced code block: its character and length.
struct Fence {
    ch: u8,
    len: usize,
}

impl Fence {
    /// A line that opens a fence: up to three spaces, then three or more
    /// backticks or tildes (a backtick fence's info string has none).
    fn opened_by(line: &str) -> Option<Fence> {
        let rest = strip_indent(line)?;
        let ch = *rest.as_bytes().first()?;
        if ch != b'`' && ch != b'~' {
            return None;
        }
        let len = rest.bytes().take_while(|&b| b == ch).count();
        if len < 3 {
            return None;
        }
        let info = rest.get(len..).unwrap_or("");
        if ch == b'`' && info.contains('`') {
            return None;
        }
        Some(Fence { ch, len })
    }

    /// A line that closes this fence: the same character, at least as many,
    /// nothing else but spaces.
    fn closed_by(&self, line: &str) -> bool {
        let Some(rest) = strip_indent(line) else {
            return false;
        };
        let len = rest.bytes().take_while(|&b| b == self.ch).count();
        len >= self.len && rest.get(len..).is_some_and(|t| t.trim().is_empty())
    }

    fn marker(&self) -> String {
        String::from(char::from(self.ch)).repeat(self.len)
    }
}

/// The line without up to three leading spaces (and without a blockquote
/// marker, so quoted fences count); `None` when indented further.
fn strip_indent(line: &str) -> Option<&str> {
    let mut rest = line;
    loop {
        let spaces = rest.bytes().take_while(|&b| b == b' ').count();
        if spaces > 3 {
            return None;
        }
        rest = rest.get(spaces..)?;
        match rest.strip_prefix('>') {
            Some(after) => rest = after,
            None => return Some(rest),
        }
    }
}

/// One line outside fenced code.
fn neutralise_line(line: &str, out: &mut String) {
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    // Right after an inserted code span a new text node starts: what
    // follows is judged as if at the start of the line.
    let mut fresh = 0;
    while i < bytes.len() {
        let before = if i == fresh { None } else { prev(bytes, i) };
        let b = bytes[i];
        // (start, end, replacement) of a token to neutralise at `i`.
        let replaced: Option<(usize, usize, String)> = match b {
            // A backslash escape: the next punctuation is literal.
            b'\\' if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) => {
                i += 2;
                continue;
            }
            b'`' => {
                let run = bytes[i..].iter().take_while(|&&c| c == b'`').count();
                match closing_backticks(bytes, i + run, run) {
                    // A code span: copied whole, untouched.
                    Some(close) => {
                        i = close + run;
                        continue;
                    }
                    // A run that closes nothing on this line: escaped, so it
                    // cannot pair with a backtick we add later.
                    None => Some((i, i + run, "\\`".repeat(run))),
                }
            }
            b'@' if !before.is_some_and(blocks_mention) => {
                mention_end(bytes, i + 1).map(|end| (i, end, code(&line[i..end])))
            }
            b'#' => number_end(bytes, i + 1).and_then(|end| {
                let start = if before.is_some_and(is_word) {
                    repo_ref_start(bytes, i, copied)?
                } else if before == Some(b'&') {
                    return None;
                } else {
                    i
                };
                Some((start, end, code(&line[start..end])))
            }),
            b'G' | b'g' if !before.is_some_and(is_word) && starts_with_ci(&bytes[i..], b"gh-") => {
                number_end(bytes, i + 3).map(|end| (i, end, code(&line[i..end])))
            }
            b'h' if !before.is_some_and(is_word) => {
                issue_url_end(bytes, i).map(|end| (i, end, code(&line[i..end])))
            }
            b'[' => link_to_issue(line, i).map(|(end, text)| (i, end, text)),
            _ => None,
        };
        match replaced {
            Some((start, end, text)) => {
                out.push_str(&line[copied..start]);
                out.push_str(&text);
                copied = end;
                i = end;
                fresh = end;
            }
            None => i += 1,
        }
    }
    out.push_str(&line[copied..]);
}

/// Wrap a token (no backticks in it) in a code span.
fn code(token: &str) -> String {
    format!("`{token}`")
}

fn prev(bytes: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).and_then(|p| bytes.get(p).copied())
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// E-mail local parts and paths put these before an `@`.
fn blocks_mention(b: u8) -> bool {
    is_word(b) || matches!(b, b'.' | b'+' | b'-' | b'/' | b'@')
}

fn starts_with_ci(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len()
        && bytes
            .iter()
            .zip(prefix)
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
}

/// The end of a run of `run` backticks closing a span opened before
/// `from`, on this line.
fn closing_backticks(bytes: &[u8], from: usize, run: usize) -> Option<usize> {
    let mut j = from;
    while j < bytes.len() {
        if bytes[j] == b'`' {
            let n = bytes[j..].iter().take_while(|&&c| c == b'`').count();
            if n == run {
                return Some(j);
            }
            j += n;
        } else {
            j += 1;
        }
    }
    None
}

/// `login` or `org/team` after an `@`: where it ends.
fn mention_end(bytes: &[u8], start: usize) -> Option<usize> {
    let login = |from: usize| {
        let n = bytes
            .get(from..)?
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            .count();
        (n > 0 && bytes.get(from).is_some_and(u8::is_ascii_alphanumeric)).then_some(from + n)
    };
    let end = login(start)?;
    if bytes.get(end) == Some(&b'/')
        && let Some(team_end) = login(end + 1)
    {
        return Some(team_end);
    }
    Some(end)
}

/// Digits from `start`, not followed by a word character.
fn number_end(bytes: &[u8], start: usize) -> Option<usize> {
    let n = bytes
        .get(start..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let end = start + n;
    (n > 0 && !bytes.get(end).is_some_and(|&b| is_word(b))).then_some(end)
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// The start of `owner/repo` right before the `#` at `hash`, not before
/// `min` (text already written out).
fn repo_ref_start(bytes: &[u8], hash: usize, min: usize) -> Option<usize> {
    let name_start = |end: usize| {
        let n = bytes
            .get(min..end)?
            .iter()
            .rev()
            .take_while(|&&b| is_name_byte(b))
            .count();
        (n > 0).then_some(end - n)
    };
    let repo = name_start(hash)?;
    let slash = repo.checked_sub(1)?;
    if bytes.get(slash) != Some(&b'/') {
        return None;
    }
    name_start(slash)
}

/// Characters that end a bare URL.
fn ends_url(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'<' | b'>' | b'"' | b'\'' | b'`' | b')' | b']')
}

/// An issue/PR/discussion URL starting at `start`: where it ends (trailing
/// sentence punctuation excluded).
fn issue_url_end(bytes: &[u8], start: usize) -> Option<usize> {
    let rest = bytes.get(start..)?;
    let scheme = if rest.starts_with(b"https://") {
        8
    } else if rest.starts_with(b"http://") {
        7
    } else {
        return None;
    };
    let mut len = rest.iter().take_while(|&&b| !ends_url(b)).count();
    while len > scheme
        && matches!(
            rest.get(len - 1),
            Some(b'.' | b',' | b';' | b':' | b'!' | b'?')
        )
    {
        len -= 1;
    }
    let url = std::str::from_utf8(rest.get(scheme..len)?).ok()?;
    let mut parts = url.split('/');
    let _host = parts.next()?;
    let (owner, repo, kind, number) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let number = number.split(['#', '?']).next().unwrap_or("");
    let is_issue = !owner.is_empty()
        && !repo.is_empty()
        && matches!(kind, "issues" | "pull" | "pulls" | "discussions")
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit());
    is_issue.then_some(start + len)
}

/// `[text](issue URL)` at `start`: the text (neutralised) followed by the
/// URL as code, so no link and no cross-reference remain.
fn link_to_issue(line: &str, start: usize) -> Option<(usize, String)> {
    let bytes = line.as_bytes();
    let close = start + 1 + bytes.get(start + 1..)?.iter().position(|&b| b == b']')?;
    if bytes.get(close + 1) != Some(&b'(') {
        return None;
    }
    let dest_start = close + 2;
    let dest_end = dest_start + bytes.get(dest_start..)?.iter().position(|&b| b == b')')?;
    let dest = line.get(dest_start..dest_end)?.trim();
    let url = dest.split_whitespace().next().unwrap_or("");
    let url = url.trim_start_matches('<').trim_end_matches('>');
    if url.contains('`') || issue_url_end(url.as_bytes(), 0) != Some(url.len()) {
        return None;
    }
    let mut text = String::new();
    neutralise_line(line.get(start + 1..close)?, &mut text);
    Some((dest_end + 1, format!("{text} ({})", code(url))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str)] = &[
            ("thanks @alice!", "thanks `@alice`!"),
            ("(@bob-x) and @org/team-1.", "(`@bob-x`) and `@org/team-1`."),
            ("mail a@b.c or a.b@c.d", "mail a@b.c or a.b@c.d"),
            ("npm i @acme/core-utils", "npm i `@acme/core-utils`"),
            ("path x/@y", "path x/@y"),
            ("@", "@"),
            ("@-x", "@-x"),
            ("fixes #123.", "fixes `#123`."),
            ("(#9)", "(`#9`)"),
            ("abc#12 &#123; #x #", "abc#12 &#123; #x #"),
            ("GH-42 and gh-7", "`GH-42` and `gh-7`"),
            ("XGH-42", "XGH-42"),
            ("acme/api#5 fixed", "`acme/api#5` fixed"),
            ("a/b/c#5", "a/`b/c#5`"),
            (
                "see https://github.com/acme/api/issues/12.",
                "see `https://github.com/acme/api/issues/12`.",
            ),
            (
                "https://ghe.corp/acme/api/pull/3#issuecomment-1",
                "`https://ghe.corp/acme/api/pull/3#issuecomment-1`",
            ),
            (
                "https://github.com/acme/api/releases/tag/v2",
                "https://github.com/acme/api/releases/tag/v2",
            ),
            (
                "<https://github.com/a/b/issues/1>",
                "<`https://github.com/a/b/issues/1`>",
            ),
            (
                "[fix @bob](https://github.com/a/b/pull/7) ok",
                "fix `@bob` (`https://github.com/a/b/pull/7`) ok",
            ),
            (
                "[docs](https://docs.rs/x) @c",
                "[docs](https://docs.rs/x) `@c`",
            ),
            (
                "`@inline` and ``#1 ` @x`` @y",
                "`@inline` and ``#1 ` @x`` `@y`",
            ),
            ("unclosed ` @z", "unclosed \\` `@z`"),
            ("\\`@x\\` \\#1", "\\``@x`\\` \\#1"),
            ("`a`@b", "`a``@b`"),
            ("@a@a #1@x", "`@a``@a` `#1``@x`"),
            ("é@x #1é", "é@x #1é"),
            ("<b>&amp; stays</b>", "<b>&amp; stays</b>"),
        ];
        for (input, want) in cases {
            assert_eq!(neutralise(input), *want, "{input:?}");
        }
    }

    #[test]
    fn fenced_blocks_are_copied() {
        let text =
            "before @a\n```rust\n@b #1\n```\n~~~~\n@c\n~~~\nstill fenced @d\n~~~~\nafter #2\n";
        let want =
            "before `@a`\n```rust\n@b #1\n```\n~~~~\n@c\n~~~\nstill fenced @d\n~~~~\nafter `#2`\n";
        assert_eq!(neutralise(text), want);
        // Quoted fence, indented four spaces (not a fence).
        assert_eq!(neutralise("> ```\n> @x\n> ```\n"), "> ```\n> @x\n> ```\n");
        // Indented four spaces is no fence: its lone run is escaped.
        assert_eq!(neutralise("    ```\n@x\n"), "    \\`\\`\\`\n`@x`\n");
    }

    proptest::proptest! {
        #[test]
        fn one_pass_is_enough(text in "[a-z@#/`\\\\\\[\\]()~:. \n0-9hGH-]{0,60}") {
            let once = neutralise(&text);
            proptest::prop_assert_eq!(neutralise(&once), once);
        }
    }

    #[test]
    fn truncation_closes_an_open_fence() {
        assert_eq!(truncate_markdown("short", 10), None);
        let text = "a\n```\ncode line\nmore code\n```\nend\n";
        assert_eq!(
            truncate_markdown(text, 18).as_deref(),
            Some("a\n```\ncode line\n```\n")
        );
        assert_eq!(truncate_markdown("éééé", 2).as_deref(), Some(""));
    }
}
