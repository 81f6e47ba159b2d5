//! Call arguments in the token stream: `name(..)` or a command call up to
//! the end of its statement, split at top-level commas and classified as a
//! string literal, an array, a `key: value` / `:key => value` pair, or
//! anything else.
//!
//! Invariant: an argument never spans a top-level comma; brackets nest;
//! only `Kind::Str(Some(..))` tokens become string literals.

use super::lexer::{Kind, Token};
use super::manifest::StrLit;

/// Words that end a command-call's arguments (statement modifiers, blocks).
const ARG_STOPS: [&str; 8] = ["if", "unless", "while", "until", "do", "end", "and", "or"];

/// One call argument.
pub enum Arg<'a, 't> {
    Str(StrLit<'a>),
    Array(&'t [Token<'a>]),
    Kw(&'a str, &'t [Token<'a>]),
    Other(&'t [Token<'a>]),
}

/// The arguments of a call whose name ends at `i - 1`: `name(..)` or a
/// command call up to the end of the statement (continued after a comma).
pub fn call_args<'a, 't>(toks: &'t [Token<'a>], i: usize) -> Vec<Arg<'a, 't>> {
    let parens = match (toks.get(i.wrapping_sub(1)), toks.get(i)) {
        (Some(name), Some(open)) => open.kind == Kind::Punct(b'(') && open.start == name.end,
        _ => false,
    };
    let first = if parens { i + 1 } else { i };
    let mut depth = 0usize;
    let mut end = first;
    while let Some(t) = toks.get(end) {
        match t.kind {
            Kind::Punct(b'(' | b'[' | b'{') => depth += 1,
            Kind::Punct(b')' | b']' | b'}') => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            Kind::Newline if depth == 0 && !parens => {
                let continued = end > first
                    && toks.get(end - 1).is_some_and(|p| {
                        matches!(
                            p.kind,
                            Kind::Punct(b',' | b'.') | Kind::Arrow | Kind::Label(_) | Kind::Op
                        )
                    });
                if !continued {
                    break;
                }
            }
            Kind::Punct(b';') if depth == 0 => break,
            Kind::Ident(w) if depth == 0 && !parens && ARG_STOPS.contains(&w) => break,
            _ => {}
        }
        end += 1;
    }
    split_args(toks.get(first..end).unwrap_or_default())
}

/// Split call arguments at depth-0 commas (arrays and nested calls stay
/// whole); newlines around an argument are dropped.
fn split_args<'a, 't>(body: &'t [Token<'a>]) -> Vec<Arg<'a, 't>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (k, t) in body.iter().enumerate() {
        match t.kind {
            Kind::Punct(b'(' | b'[' | b'{') => depth += 1,
            Kind::Punct(b')' | b']' | b'}') => depth = depth.saturating_sub(1),
            Kind::Punct(b',') if depth == 0 => {
                let arg = trim_newlines(body.get(start..k).unwrap_or_default());
                if !arg.is_empty() {
                    out.push(classify(arg));
                }
                start = k + 1;
            }
            _ => {}
        }
    }
    let arg = trim_newlines(body.get(start..).unwrap_or_default());
    if !arg.is_empty() {
        out.push(classify(arg));
    }
    out
}

fn trim_newlines<'a, 't>(arg: &'t [Token<'a>]) -> &'t [Token<'a>] {
    let s = arg
        .iter()
        .position(|t| t.kind != Kind::Newline)
        .unwrap_or(arg.len());
    let e = arg
        .iter()
        .rposition(|t| t.kind != Kind::Newline)
        .map_or(s, |i| i + 1);
    arg.get(s..e).unwrap_or_default()
}

pub fn lit<'a>(t: &Token<'a>) -> Option<StrLit<'a>> {
    match t.kind {
        Kind::Str(Some(value)) => Some(StrLit {
            value,
            content: t.content(),
        }),
        _ => None,
    }
}

fn classify<'a, 't>(arg: &'t [Token<'a>]) -> Arg<'a, 't> {
    match arg {
        [one] => match lit(one) {
            Some(s) => Arg::Str(s),
            None => Arg::Other(arg),
        },
        [key, rest @ ..] if matches!(key.kind, Kind::Label(_)) => match key.kind {
            Kind::Label(k) => Arg::Kw(k, rest),
            _ => Arg::Other(arg),
        },
        [key, arrow, rest @ ..] if arrow.kind == Kind::Arrow => match key.kind {
            Kind::Sym(k) | Kind::Str(Some(k)) => Arg::Kw(k, rest),
            _ => Arg::Other(arg),
        },
        [open, inner @ .., close]
            if open.kind == Kind::Punct(b'[') && close.kind == Kind::Punct(b']') =>
        {
            Arg::Array(inner)
        }
        _ => Arg::Other(arg),
    }
}

/// Symbol and string names among the arguments (`group :test, "dev"`).
pub fn names<'a>(args: &[Arg<'a, '_>]) -> Vec<&'a str> {
    let mut out = Vec::new();
    for a in args {
        match a {
            Arg::Str(s) => out.push(s.value),
            Arg::Other(toks) | Arg::Array(toks) => {
                out.extend(toks.iter().filter_map(|t| match t.kind {
                    Kind::Sym(s) | Kind::Str(Some(s)) => Some(s),
                    _ => None,
                }))
            }
            Arg::Kw(..) => {}
        }
    }
    out
}

pub fn kw<'a, 't>(args: &[Arg<'a, 't>], key: &str) -> Option<&'t [Token<'a>]> {
    args.iter().find_map(|a| match a {
        Arg::Kw(k, v) if *k == key => Some(*v),
        _ => None,
    })
}

/// The single string literal a keyword argument holds.
pub fn kw_str<'a>(args: &[Arg<'a, '_>], key: &str) -> Option<Result<StrLit<'a>, usize>> {
    kw(args, key).map(|v| match v {
        [one] => lit(one).ok_or(one.start),
        _ => Err(v.first().map_or(0, |t| t.start)),
    })
}
