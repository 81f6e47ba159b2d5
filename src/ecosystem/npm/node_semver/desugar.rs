//! node-semver's textual desugaring of range syntax into primitive
//! comparators: hyphen ranges, the operator/tilde/caret whitespace trims,
//! carets, tildes, x-ranges and stars.
//!
//! Invariant: each function returns the same text node-semver's
//! corresponding `replace*` step returns for the same input and options
//! (the regexes are emulated by hand-written matchers; no regex engine).

use super::Options;
use super::version::{Cursor, is_ident_byte};

/// The parts of an `XRANGEPLAIN` match: `[v=\s]*M(.m(.p(-pre)?(+build)?)?)?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XParts<'a> {
    pub major: &'a str,
    pub minor: Option<&'a str>,
    pub patch: Option<&'a str>,
    pub pre: Option<&'a str>,
}

/// Match `XRANGEPLAIN` (or its loose form) against all of `s`.
pub fn xrange_full(s: &str, loose: bool) -> Option<XParts<'_>> {
    let mut cur = Cursor::new(s);
    cur.take_while(|b| matches!(b, b'v' | b'=' | b' ' | b'\t'));
    let major = x_ident(&mut cur, loose)?;
    let mut parts = XParts {
        major,
        minor: None,
        patch: None,
        pre: None,
    };
    if cur.peek() == Some(b'.') {
        cur.pos += 1;
        parts.minor = Some(x_ident(&mut cur, loose)?);
        if cur.peek() == Some(b'.') {
            cur.pos += 1;
            parts.patch = Some(x_ident(&mut cur, loose)?);
            parts.pre = cur.prerelease(loose).ok()?;
            cur.build().ok()?;
        }
    }
    cur.at_end().then_some(parts)
}

/// `XRANGEIDENTIFIER`: strict `0|[1-9]\d*|x|X|\*`, loose `\d+|x|X|\*`.
fn x_ident<'a>(cur: &mut Cursor<'a>, loose: bool) -> Option<&'a str> {
    match cur.peek() {
        Some(b'x' | b'X' | b'*') => {
            let start = cur.pos;
            cur.pos += 1;
            cur.text.get(start..cur.pos)
        }
        Some(b) if b.is_ascii_digit() => Some(cur.numeric_text(loose)),
        _ => None,
    }
}

/// node-semver's `isX`: absent, `x`, `X` or `*`.
pub fn is_x(id: Option<&str>) -> bool {
    id.is_none_or(|s| s.eq_ignore_ascii_case("x") || s == "*")
}

/// JavaScript's `+n + 1` for a digit string, as text.
fn inc(n: &str) -> String {
    n.parse::<u128>()
        .ok()
        .and_then(|n| n.checked_add(1))
        .map_or_else(|| "NaN".to_string(), |n| n.to_string())
}

/// `HYPHENRANGE`: `A - B` over the whole (trimmed) set, or `None`.
pub fn hyphen(range: &str, opts: Options) -> Option<String> {
    let mut search = 0;
    while let Some(found) = range.get(search..).and_then(|r| r.find(" - ")) {
        let at = search + found;
        search = at + 1;
        let (Some(left), Some(right)) = (range.get(..at), range.get(at + 3..)) else {
            continue;
        };
        let (left, right) = (left.trim_start(), right.trim_end());
        let (Some(from), Some(to)) = (
            xrange_full(left, opts.loose),
            xrange_full(right, opts.loose),
        ) else {
            continue;
        };
        return Some(hyphen_replace(
            left,
            from,
            right,
            to,
            opts.include_prerelease,
        ));
    }
    None
}

fn hyphen_replace(from_raw: &str, f: XParts, to_raw: &str, t: XParts, inc_pr: bool) -> String {
    let z = if inc_pr { "-0" } else { "" };
    let from = if is_x(Some(f.major)) {
        String::new()
    } else if is_x(f.minor) {
        format!(">={}.0.0{z}", f.major)
    } else if is_x(f.patch) {
        format!(">={}.{}.0{z}", f.major, f.minor.unwrap_or(""))
    } else if f.pre.is_some() {
        format!(">={from_raw}")
    } else {
        format!(">={from_raw}{z}")
    };
    let to = if is_x(Some(t.major)) {
        String::new()
    } else if is_x(t.minor) {
        format!("<{}.0.0-0", inc(t.major))
    } else if is_x(t.patch) {
        format!("<{}.{}.0-0", t.major, inc(t.minor.unwrap_or("")))
    } else if let Some(pre) = t.pre {
        format!(
            "<={}.{}.{}-{pre}",
            t.major,
            t.minor.unwrap_or(""),
            t.patch.unwrap_or("")
        )
    } else if inc_pr {
        format!(
            "<{}.{}.{}-0",
            t.major,
            t.minor.unwrap_or(""),
            inc(t.patch.unwrap_or(""))
        )
    } else {
        format!("<={to_raw}")
    };
    format!("{from} {to}").trim().to_string()
}

/// The three whitespace trims: `> 1` → `>1` (`COMPARATORTRIM`), `~> 1` →
/// `~1` (`TILDETRIM`), `^ 1` → `^1` (`CARETTRIM`).
pub fn trims(range: &str) -> String {
    let comparator = comparator_trim(range);
    let tilde = lone_trim(&comparator, b'~');
    lone_trim(&tilde, b'^')
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn comparator_trim(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        let op_len = match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b'<' | b'>'), Some(b'=')) => 2,
            (Some(b'<' | b'>' | b'='), _) => 1,
            _ => 0,
        };
        if op_len == 0 {
            i += 1;
            continue;
        }
        let after_op = i + op_len;
        let mut k = after_op;
        while bytes.get(k).copied().is_some_and(is_space) {
            k += 1;
        }
        let mut v = k;
        while bytes
            .get(v)
            .is_some_and(|b| matches!(b, b'v' | b'=') || is_space(*b))
        {
            v += 1;
        }
        let starts_version = bytes
            .get(v)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'x' | b'X' | b'*'));
        if k > after_op && starts_version {
            out.push_str(s.get(copied..after_op).unwrap_or(""));
            copied = k;
        }
        i = k.max(i + 1);
    }
    out.push_str(s.get(copied..).unwrap_or(""));
    out
}

/// `(\s*)~>?\s+` → `$1~` (for `~`), `(\s*)\^\s+` → `$1^` (for `^`).
fn lone_trim(s: &str, op: u8) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) != Some(&op) {
            i += 1;
            continue;
        }
        let mut k = i + 1;
        if op == b'~'
            && bytes.get(k) == Some(&b'>')
            && bytes.get(k + 1).copied().is_some_and(is_space)
        {
            k += 1;
        }
        let ws_start = k;
        while bytes.get(k).copied().is_some_and(is_space) {
            k += 1;
        }
        if k > ws_start {
            out.push_str(s.get(copied..=i).unwrap_or(""));
            copied = k;
            i = k;
        } else {
            i += 1;
        }
    }
    out.push_str(s.get(copied..).unwrap_or(""));
    out
}

/// node-semver's `parseComparator`: one space-free token to primitive
/// comparators (space-separated; `""` means any).
pub fn parse_comparator(comp: &str, opts: Options) -> String {
    let comp = strip_build(comp);
    let comp = each_word(&comp, |w| replace_caret(w, opts));
    let comp = each_word(&comp, |w| replace_tilde(w, opts));
    let comp = each_word(&comp, |w| replace_xrange(w, opts));
    replace_stars(&comp)
}

/// `comp.trim().split(/\s+/).map(f).join(' ')`.
fn each_word(comp: &str, f: impl Fn(&str) -> String) -> String {
    let words: Vec<String> = js_split_ws(comp.trim()).into_iter().map(f).collect();
    words.join(" ")
}

/// JavaScript's `s.split(/\s+/)`: empty strings survive only at the ends.
pub fn js_split_ws(s: &str) -> Vec<&str> {
    let parts: Vec<&str> = s.split(|c: char| c.is_whitespace()).collect();
    let last = parts.len().saturating_sub(1);
    parts
        .into_iter()
        .enumerate()
        .filter(|(i, p)| !p.is_empty() || *i == 0 || *i == last)
        .map(|(_, p)| p)
        .collect()
}

/// Remove the first `+build` (node-semver strips build metadata first).
fn strip_build(comp: &str) -> String {
    let bytes = comp.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b != b'+' || !bytes.get(i + 1).copied().is_some_and(is_ident_byte) {
            continue;
        }
        let mut end = i + 1;
        loop {
            while bytes.get(end).copied().is_some_and(is_ident_byte) {
                end += 1;
            }
            if bytes.get(end) == Some(&b'.')
                && bytes.get(end + 1).copied().is_some_and(is_ident_byte)
            {
                end += 1;
            } else {
                break;
            }
        }
        return format!(
            "{}{}",
            comp.get(..i).unwrap_or(""),
            comp.get(end..).unwrap_or("")
        );
    }
    comp.to_string()
}

fn replace_caret(comp: &str, opts: Options) -> String {
    let Some(x) = comp
        .strip_prefix('^')
        .and_then(|r| xrange_full(r, opts.loose))
    else {
        return comp.to_string();
    };
    let z = if opts.include_prerelease { "-0" } else { "" };
    let (big, m, p) = (x.major, x.minor.unwrap_or(""), x.patch.unwrap_or(""));
    if is_x(Some(big)) {
        String::new()
    } else if is_x(x.minor) {
        format!(">={big}.0.0{z} <{}.0.0-0", inc(big))
    } else if is_x(x.patch) {
        if big == "0" {
            format!(">={big}.{m}.0{z} <{big}.{}.0-0", inc(m))
        } else {
            format!(">={big}.{m}.0{z} <{}.0.0-0", inc(big))
        }
    } else if let Some(pr) = x.pre {
        if big == "0" {
            if m == "0" {
                format!(">={big}.{m}.{p}-{pr} <{big}.{m}.{}-0", inc(p))
            } else {
                format!(">={big}.{m}.{p}-{pr} <{big}.{}.0-0", inc(m))
            }
        } else {
            format!(">={big}.{m}.{p}-{pr} <{}.0.0-0", inc(big))
        }
    } else if big == "0" {
        if m == "0" {
            format!(">={big}.{m}.{p} <{big}.{m}.{}-0", inc(p))
        } else {
            format!(">={big}.{m}.{p} <{big}.{}.0-0", inc(m))
        }
    } else {
        format!(">={big}.{m}.{p} <{}.0.0-0", inc(big))
    }
}

fn replace_tilde(comp: &str, opts: Options) -> String {
    let rest = comp.strip_prefix("~>").or_else(|| comp.strip_prefix('~'));
    let Some(x) = rest.and_then(|r| xrange_full(r, opts.loose)) else {
        return comp.to_string();
    };
    let z = if opts.include_prerelease { "-0" } else { "" };
    let (big, m, p) = (x.major, x.minor.unwrap_or(""), x.patch.unwrap_or(""));
    if is_x(Some(big)) {
        String::new()
    } else if is_x(x.minor) {
        format!(">={big}.0.0{z} <{}.0.0-0", inc(big))
    } else if is_x(x.patch) {
        format!(">={big}.{m}.0{z} <{big}.{}.0-0", inc(m))
    } else if let Some(pr) = x.pre {
        format!(">={big}.{m}.{p}-{pr} <{big}.{}.0-0", inc(m))
    } else {
        format!(">={big}.{m}.{p} <{big}.{}.0-0", inc(m))
    }
}

fn replace_xrange(comp: &str, opts: Options) -> String {
    let comp = comp.trim();
    let op_len = match (comp.as_bytes().first(), comp.as_bytes().get(1)) {
        (Some(b'<' | b'>'), Some(b'=')) => 2,
        (Some(b'<' | b'>' | b'='), _) => 1,
        _ => 0,
    };
    let (Some(op), Some(rest)) = (comp.get(..op_len), comp.get(op_len..)) else {
        return comp.to_string();
    };
    let Some(x) = xrange_full(rest.trim_start(), opts.loose) else {
        return comp.to_string();
    };
    let xmaj = is_x(Some(x.major));
    let xmin = xmaj || is_x(x.minor);
    let xpat = xmin || is_x(x.patch);
    let mut gtlt = if op == "=" && xpat { "" } else { op };
    let mut pr = if opts.include_prerelease { "-0" } else { "" };
    let (big, m) = (x.major, x.minor.unwrap_or(""));
    if xmaj {
        if gtlt == ">" || gtlt == "<" {
            "<0.0.0-0".to_string()
        } else {
            "*".to_string()
        }
    } else if !gtlt.is_empty() && xpat {
        let (mut new_big, mut new_minor) = (
            big.to_string(),
            if xmin { "0".to_string() } else { m.to_string() },
        );
        if gtlt == ">" {
            gtlt = ">=";
            if xmin {
                new_big = inc(big);
                new_minor = "0".into();
            } else {
                new_minor = inc(m);
            }
        } else if gtlt == "<=" {
            gtlt = "<";
            if xmin {
                new_big = inc(big);
            } else {
                new_minor = inc(m);
            }
        }
        if gtlt == "<" {
            pr = "-0";
        }
        format!("{gtlt}{new_big}.{new_minor}.0{pr}")
    } else if xmin {
        format!(">={big}.0.0{pr} <{}.0.0-0", inc(big))
    } else if xpat {
        format!(">={big}.{m}.0{pr} <{big}.{}.0-0", inc(m))
    } else {
        comp.to_string()
    }
}

/// `STAR`: the first `(<|>)?=?\s*\*` is removed.
fn replace_stars(comp: &str) -> String {
    let comp = comp.trim();
    let Some(star) = comp.find('*') else {
        return comp.to_string();
    };
    let bytes = comp.as_bytes();
    let mut start = star;
    while start > 0 && bytes.get(start - 1).copied().is_some_and(is_space) {
        start -= 1;
    }
    if start > 0 && bytes.get(start - 1) == Some(&b'=') {
        start -= 1;
    }
    if start > 0 && matches!(bytes.get(start - 1), Some(b'<' | b'>')) {
        start -= 1;
    }
    format!(
        "{}{}",
        comp.get(..start).unwrap_or(""),
        comp.get(star + 1..).unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: Options = Options {
        loose: false,
        include_prerelease: false,
    };

    #[test]
    fn desugars_like_node_semver() {
        let cases = [
            ("^1.2.3", ">=1.2.3 <2.0.0-0"),
            ("^0.1.2", ">=0.1.2 <0.2.0-0"),
            ("^0.0.1", ">=0.0.1 <0.0.2-0"),
            ("^1.2", ">=1.2.0 <2.0.0-0"),
            ("^0.1", ">=0.1.0 <0.2.0-0"),
            ("^x", ""),
            ("~1.2.3", ">=1.2.3 <1.3.0-0"),
            ("~>1", ">=1.0.0 <2.0.0-0"),
            ("1.x", ">=1.0.0 <2.0.0-0"),
            ("1.2", ">=1.2.0 <1.3.0-0"),
            ("<=0.7.x", "<0.8.0-0"),
            (">1", ">=2.0.0"),
            (">1.2", ">=1.3.0"),
            ("<1", "<1.0.0-0"),
            ("=0.7.x", ">=0.7.0 <0.8.0-0"),
            (">=*", ""),
            ("<*", "<0.0.0-0"),
            ("*", ""),
            ("1.2.3+build", "1.2.3"),
        ];
        for (input, want) in cases {
            assert_eq!(parse_comparator(input, STRICT), want, "{input}");
        }
    }

    #[test]
    fn trims_and_hyphens() {
        assert_eq!(trims("> 1.0.0 <=  2"), ">1.0.0 <=2");
        assert_eq!(trims("~> 1"), "~>1");
        assert_eq!(trims("~ 1"), "~1");
        assert_eq!(trims("^ 1.2 ~ 3"), "^1.2 ~3");
        assert_eq!(
            hyphen("1.2.3 - 2.3.4", STRICT).as_deref(),
            Some(">=1.2.3 <=2.3.4")
        );
        assert_eq!(hyphen("1 - 2", STRICT).as_deref(), Some(">=1.0.0 <3.0.0-0"));
        assert_eq!(hyphen("x - 1.x", STRICT).as_deref(), Some("<2.0.0-0"));
        assert_eq!(hyphen("1.2.3", STRICT), None);
        assert_eq!(js_split_ws(" a  b "), vec!["", "a", "b", ""]);
    }
}
