//! Gemfiles (`Gemfile`, `gems.rb`) and gemspecs read as token streams: every
//! `gem` call and `add_*dependency` call with its literal arguments, the
//! `group`/`git`/`path` block it sits in, and the gemspec's `name`.
//!
//! Invariant: only calls in code count (comments, strings and heredocs never
//! do); every declaration keeps the byte spans of its name and requirement
//! strings; brackets must balance. A declaration whose arguments are not
//! literals carries a `problem` instead of a guess: the caller turns it into
//! an error only for the library's own declaration.

use std::collections::HashMap;
use std::ops::Range;

use super::args::{Arg, call_args, kw, kw_str, lit, names};
use super::lexer::{Kind, Token, lex};

/// A plain string literal: its value and the byte span of its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrLit<'a> {
    pub value: &'a str,
    pub content: Range<usize>,
}

/// What a git dependency is pinned to, with the literal that says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefLit<'a> {
    Tag(StrLit<'a>),
    Ref(StrLit<'a>),
    Branch(StrLit<'a>),
    Default,
}

/// Where a declared gem comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeclSource<'a> {
    Registry,
    Git { url: String, reference: RefLit<'a> },
    Path(&'a str),
}

/// One `gem "x", ...` or `spec.add_dependency "x", ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GemDecl<'a> {
    pub name: &'a str,
    /// Byte offset of the name literal.
    pub name_offset: usize,
    /// `Gemfile`, `Gemfile group test`, `gemspec:add_dependency`, ...
    pub section: String,
    /// The requirement strings, in order.
    pub strings: Vec<StrLit<'a>>,
    pub source: DeclSource<'a>,
    /// A non-literal argument: where it is and what was expected.
    pub problem: Option<(usize, String)>,
    /// The source text of a requirement that is not a literal (a variable,
    /// an expression).
    pub expr: Option<&'a str>,
}

/// Everything read from one manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest<'a> {
    pub decls: Vec<GemDecl<'a>>,
    /// `spec.name = "x"` in a gemspec.
    pub publishes: Option<&'a str>,
    /// `eval_gemfile "path"`: files whose gems belong to this Gemfile.
    pub includes: Vec<StrLit<'a>>,
}

/// Local variables assigned so far: the literal string, or `None` when the
/// value is computed (`File.read(…)`, a method call).
type Vars<'a> = HashMap<&'a str, Option<StrLit<'a>>>;

/// A syntax error: byte offset and what was expected.
pub type SyntaxError = (usize, String);

const DEP_METHODS: [&str; 3] = [
    "add_dependency",
    "add_runtime_dependency",
    "add_development_dependency",
];

/// Keywords that open a block closed by `end` when they start a statement.
const BLOCK_KEYWORDS: [&str; 10] = [
    "if", "unless", "while", "until", "case", "begin", "def", "class", "module", "for",
];

/// A block opened by `do` (or a keyword) and closed by `end`.
#[derive(Clone, Debug)]
enum Block<'a> {
    Group(Vec<&'a str>),
    Git { url: String, reference: RefLit<'a> },
    Path(&'a str),
    Other,
}

/// Parse a Gemfile (`gemspec == false`) or a gemspec.
pub fn parse(text: &str, gemspec: bool) -> Result<Manifest<'_>, SyntaxError> {
    let toks = lex(text).map_err(|e| (e.offset, e.message))?;
    let mut m = Manifest::default();
    let mut blocks: Vec<Block> = Vec::new();
    let mut brackets: Vec<(u8, usize)> = Vec::new();
    let mut pending: Option<Block> = None;
    let mut stmt_start = true;
    let mut loop_header = false;
    let mut vars: Vars<'_> = HashMap::new();
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        let at_start = std::mem::replace(&mut stmt_start, false);
        match t.kind {
            Kind::Newline | Kind::Punct(b';') => {
                stmt_start = true;
                loop_header = false;
            }
            Kind::Punct(open @ (b'(' | b'[' | b'{')) => {
                brackets.push((open, t.start));
                if open == b'{' {
                    stmt_start = true;
                    i = skip_block_params(&toks, i + 1);
                    continue;
                }
            }
            Kind::Punct(close @ (b')' | b']' | b'}')) => {
                let want = match close {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                match brackets.pop() {
                    Some((open, _)) if open == want => {}
                    Some((open, at)) => {
                        return Err((
                            t.start,
                            format!(
                                "expected the `{}` opened at byte {at} to close before `{}`",
                                closer(open),
                                close as char
                            ),
                        ));
                    }
                    None => return Err((t.start, format!("unexpected `{}`", close as char))),
                }
            }
            Kind::Ident("do") => {
                if loop_header {
                    loop_header = false;
                } else {
                    blocks.push(pending.take().unwrap_or(Block::Other));
                }
                stmt_start = true;
                i = skip_block_params(&toks, i + 1);
                continue;
            }
            Kind::Ident("end") => {
                blocks.pop();
            }
            Kind::Ident("then" | "else" | "begin" | "rescue" | "ensure") if !at_start => {
                stmt_start = true;
            }
            Kind::Ident(word) if at_start && BLOCK_KEYWORDS.contains(&word) => {
                blocks.push(Block::Other);
                loop_header = matches!(word, "while" | "until" | "for");
                stmt_start = matches!(word, "begin");
            }
            Kind::Ident(word)
                if at_start
                    && toks.get(i + 1).map(|t| t.kind) == Some(Kind::Punct(b'='))
                    && word.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') =>
            {
                // `version = "7.1.0"` (a literal) or `version = File.read(…)`.
                let value = toks.get(i + 2).and_then(lit).filter(|_| {
                    matches!(
                        toks.get(i + 3).map(|t| t.kind),
                        None | Some(Kind::Newline | Kind::Punct(b';'))
                    )
                });
                vars.insert(word, value);
            }
            Kind::Ident(word) if at_start && !gemspec && is_call(&toks, i) => {
                let args = call_args(&toks, i + 1);
                match word {
                    "gem" => {
                        if let Some(d) = gem_decl(text, &args, &blocks, "gem", &vars) {
                            m.decls.push(d);
                        }
                    }
                    "eval_gemfile" => {
                        if let Some(Arg::Str(p)) = args.first() {
                            m.includes.push(p.clone());
                        }
                    }
                    "group" => pending = Some(Block::Group(names(&args))),
                    "path" => {
                        if let Some(Arg::Str(p)) = args.first() {
                            pending = Some(Block::Path(p.value));
                        }
                    }
                    "git" | "github" | "gitlab" | "bitbucket" | "gist" => {
                        if let Some(Arg::Str(u)) = args.first() {
                            let (reference, _) = git_ref(&args);
                            pending = Some(Block::Git {
                                url: git_url(word, u.value),
                                reference,
                            });
                        }
                    }
                    _ => {}
                }
            }
            Kind::Ident(word)
                if DEP_METHODS.contains(&word) && (at_start || after_dot(&toks, i)) =>
            {
                let args = call_args(&toks, i + 1);
                let section = format!("gemspec:{word}");
                if let Some(mut d) = gem_decl(text, &args, &[], word, &vars) {
                    d.section = section;
                    m.decls.push(d);
                }
            }
            Kind::Ident("name") if gemspec && after_dot(&toks, i) && m.publishes.is_none() => {
                if let (Some(Kind::Punct(b'=')), Some(Kind::Str(Some(v)))) = (
                    toks.get(i + 1).map(|t| t.kind),
                    toks.get(i + 2).map(|t| t.kind),
                ) {
                    m.publishes = Some(v);
                }
            }
            _ => {}
        }
        i += 1;
    }
    if let Some((open, at)) = brackets.pop() {
        return Err((
            at,
            format!("unclosed `{}`: expected `{}`", open as char, closer(open)),
        ));
    }
    Ok(m)
}

fn closer(open: u8) -> char {
    match open {
        b'(' => ')',
        b'[' => ']',
        _ => '}',
    }
}

/// Skip `|a, b|` after `do` or `{`; returns the index after it.
fn skip_block_params(toks: &[Token], mut i: usize) -> usize {
    if toks.get(i).map(|t| t.kind) == Some(Kind::Punct(b'|')) {
        i += 1;
        while let Some(t) = toks.get(i) {
            i += 1;
            if matches!(t.kind, Kind::Punct(b'|') | Kind::Newline) {
                break;
            }
        }
    }
    i
}

fn after_dot(toks: &[Token], i: usize) -> bool {
    i > 0 && toks.get(i - 1).map(|t| t.kind) == Some(Kind::Punct(b'.'))
}

/// Is the identifier at `i` a method call (not `gem = ..`, `gem.x`)?
fn is_call(toks: &[Token], i: usize) -> bool {
    !matches!(
        toks.get(i + 1).map(|t| t.kind),
        Some(Kind::Punct(b'=' | b'.') | Kind::Op | Kind::Arrow)
    )
}

/// `tag:`, `ref:` or `branch:`; a problem when its value is not a literal.
fn git_ref<'a>(args: &[Arg<'a, '_>]) -> (RefLit<'a>, Option<(usize, String)>) {
    type Make<'a> = fn(StrLit<'a>) -> RefLit<'a>;
    let forms: [(&str, Make<'a>); 4] = [
        ("tag", RefLit::Tag),
        ("ref", RefLit::Ref),
        ("revision", RefLit::Ref),
        ("branch", RefLit::Branch),
    ];
    for (key, make) in forms {
        match kw_str(args, key) {
            Some(Ok(s)) => return (make(s), None),
            Some(Err(at)) => {
                return (
                    RefLit::Default,
                    Some((at, format!("expected a string literal after `{key}:`"))),
                );
            }
            None => {}
        }
    }
    (RefLit::Default, None)
}

/// The URL Bundler derives from `github:` and friends.
fn git_url(key: &str, value: &str) -> String {
    let repo = if value.contains('/') {
        value.to_string()
    } else {
        format!("{value}/{value}")
    };
    match key {
        "github" => format!("https://github.com/{repo}.git"),
        "gitlab" => format!("https://gitlab.com/{repo}.git"),
        "bitbucket" => format!("https://bitbucket.org/{repo}.git"),
        "gist" => format!("https://gist.github.com/{value}.git"),
        _ => value.to_string(),
    }
}

/// A declaration from a call's arguments; `None` when the first argument is
/// not a literal name.
fn gem_decl<'a>(
    text: &'a str,
    args: &[Arg<'a, '_>],
    blocks: &[Block<'a>],
    method: &str,
    vars: &Vars<'a>,
) -> Option<GemDecl<'a>> {
    let Some(Arg::Str(name)) = args.first() else {
        return None;
    };
    let mut strings = Vec::new();
    let mut problem = None;
    let mut computed = None;
    let expected = "expected a version requirement string like \"~> 1.4\"";
    for a in args.iter().skip(1) {
        match a {
            Arg::Str(s) => strings.push(s.clone()),
            Arg::Array(inner) => {
                for t in inner
                    .iter()
                    .filter(|t| !matches!(t.kind, Kind::Punct(b',') | Kind::Newline))
                {
                    match lit(t) {
                        Some(s) => strings.push(s),
                        None => problem = problem.or(Some((t.start, expected.to_string()))),
                    }
                }
            }
            Arg::Other(toks) => {
                let start = toks.first().map_or(0, |t| t.start);
                let end = toks.last().map_or(start, |t| t.end);
                let expr = text.get(start..end).unwrap_or_default();
                computed = computed.or(Some(expr));
                match toks {
                    [
                        Token {
                            kind: Kind::Ident(var),
                            ..
                        },
                    ] => match vars.get(var) {
                        Some(Some(value)) => strings.push(value.clone()),
                        Some(None) => {
                            problem = problem.or(Some((
                                start,
                                format!(
                                    "the requirement is the variable `{var}`, computed in this file, not a string literal"
                                ),
                            )));
                        }
                        None => {
                            problem = problem.or(Some((
                                start,
                                format!(
                                    "the requirement is `{var}`, not a string literal assigned in this file"
                                ),
                            )));
                        }
                    },
                    _ => {
                        problem = problem.or(Some((start, format!("{expected}, found `{expr}`"))));
                    }
                }
            }
            Arg::Kw(..) => {}
        }
    }
    let mut source = DeclSource::Registry;
    for key in ["git", "github", "gitlab", "bitbucket", "gist"] {
        match kw_str(args, key) {
            Some(Ok(u)) => {
                let (reference, p) = git_ref(args);
                problem = problem.or(p);
                source = DeclSource::Git {
                    url: git_url(key, u.value),
                    reference,
                };
                break;
            }
            Some(Err(at)) => {
                problem = problem.or(Some((
                    at,
                    format!("expected a string literal after `{key}:`"),
                )));
                break;
            }
            None => {}
        }
    }
    if source == DeclSource::Registry
        && let Some(p) = kw(args, "path")
    {
        let path = p.first().and_then(lit).map_or("", |s| s.value);
        source = DeclSource::Path(path);
    }
    if source == DeclSource::Registry {
        for b in blocks.iter().rev() {
            match b {
                Block::Git { url, reference } => {
                    source = DeclSource::Git {
                        url: url.clone(),
                        reference: reference.clone(),
                    };
                    break;
                }
                Block::Path(p) => {
                    source = DeclSource::Path(p);
                    break;
                }
                _ => {}
            }
        }
    }
    let mut groups: Vec<&str> = ["group", "groups"]
        .iter()
        .filter_map(|k| kw(args, k))
        .flat_map(|v| {
            v.iter().filter_map(|t| match t.kind {
                Kind::Sym(s) | Kind::Str(Some(s)) => Some(s),
                _ => None,
            })
        })
        .collect();
    if groups.is_empty() {
        groups = blocks
            .iter()
            .rev()
            .find_map(|b| match b {
                Block::Group(g) => Some(g.clone()),
                _ => None,
            })
            .unwrap_or_default();
    }
    let section = if method != "gem" {
        format!("gemspec:{method}")
    } else if groups.is_empty() {
        "Gemfile".to_string()
    } else {
        format!("Gemfile group {}", groups.join(", "))
    };
    Some(GemDecl {
        name: name.value,
        name_offset: name.content.start,
        section,
        strings,
        source,
        problem,
        expr: computed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn blocks_sections_and_sources() {
        let text = "source 'x' do\n  gem 'a'\nend\nif ENV['CI']\n  group :ci do\n    gem 'b', '1'\n  end\nend\nwhile false do end\ngit 'u', branch: 'dev' do\n  gem 'c'\nend\ngem 'd', path: '.'\n";
        let m = parse(text, false).unwrap();
        let got: Vec<(&str, &str)> = m
            .decls
            .iter()
            .map(|d| (d.name, d.section.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "Gemfile"),
                ("b", "Gemfile group ci"),
                ("c", "Gemfile"),
                ("d", "Gemfile")
            ]
        );
        assert!(matches!(
            m.decls[2].source,
            DeclSource::Git {
                reference: RefLit::Branch(_),
                ..
            }
        ));
        assert_eq!(m.decls[3].source, DeclSource::Path("."));
    }

    #[test]
    fn multibyte_and_odd_delimiters() {
        for text in [
            "gem 'é', %q€x€\n",
            "%w€ €",
            "gem '☃' if x ? 'a': :b\n",
            "a = \"\\é\" # ü\n",
            "%q\u{80}",
        ] {
            let _ = parse(text, false);
            let _ = parse(text, true);
        }
        assert_eq!(parse("gem 'ü', '1'\n", false).unwrap().decls[0].name, "ü");
    }

    proptest! {
        #[test]
        fn never_panics(parts in prop::collection::vec(prop::sample::select(vec![
            "gem", " ", "'", "\"", "core-utils", ",", "(", ")", "[", "]", "{", "}", "\n", "#", "#{",
            "\\", ":", "tag:", "=>", "%q(", "%w[", "<<~E", "<<-'X'", "E", "X", "/", "do", "end",
            "group", ":test", "é", "€", "1.4", "~>", "=begin", "=end", "__END__", "|", ".", "add_dependency",
            "s.name", "=", "?", "`", "\r\n", "\t",
        ]), 0..40)) {
            let text: String = parts.concat();
            let _ = parse(&text, false);
            let _ = parse(&text, true);
        }
    }
}
