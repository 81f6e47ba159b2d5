//! go.mod and go.work as directives: lines and `verb ( ... )` blocks from
//! the lexer, checked the way `golang.org/x/mod/modfile` checks them
//! (known verbs, argument counts, valid versions matching the path's major).
//!
//! Invariant: every directive keeps the tokens (and spans) it came from, so
//! callers edit bytes, never re-serialise.

use super::lexer::{self, Kind, Token};
use super::module;

/// Which file: the syntax is shared, the allowed verbs differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    GoMod,
    GoWork,
}

const GO_MOD_VERBS: [&str; 10] = [
    "module",
    "go",
    "toolchain",
    "godebug",
    "require",
    "exclude",
    "replace",
    "retract",
    "tool",
    "ignore",
];
const GO_WORK_VERBS: [&str; 5] = ["go", "toolchain", "godebug", "use", "replace"];

/// One `require` entry.
#[derive(Clone, Debug)]
pub struct Require<'a> {
    pub path: Token<'a>,
    pub version: Token<'a>,
    /// Marked `// indirect`.
    pub indirect: bool,
    pub line: u32,
}

/// One `replace old [v] => new [v]` entry.
#[derive(Clone, Debug)]
pub struct Replace<'a> {
    pub old: Token<'a>,
    pub old_version: Option<Token<'a>>,
    pub new: Token<'a>,
    /// `None` when `new` is a directory.
    pub new_version: Option<Token<'a>>,
    pub line: u32,
}

/// A parsed go.mod or go.work.
#[derive(Clone, Debug, Default)]
pub struct ModFile<'a> {
    pub module: Option<Token<'a>>,
    pub requires: Vec<Require<'a>>,
    pub replaces: Vec<Replace<'a>>,
    /// go.work `use` directories.
    pub uses: Vec<Token<'a>>,
}

/// A syntax or validity error at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

fn fail<T>(offset: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        offset,
        message: message.into(),
    })
}

/// One statement: its verb, arguments, trailing comment and line.
struct Stmt<'t, 'a> {
    verb: &'t Token<'a>,
    args: &'t [Token<'a>],
    comment: Option<&'t Token<'a>>,
    line: u32,
}

/// Parse a go.mod or go.work file.
pub fn parse(text: &str, kind: FileKind) -> Result<ModFile<'_>, ParseError> {
    let tokens = lexer::lex(text).map_err(|e| ParseError {
        offset: e.offset,
        message: e.message,
    })?;
    let mut file = ModFile::default();
    let mut line_no = 1u32;
    let mut block: Option<&Token> = None;
    let mut i = 0;
    while i < tokens.len() {
        // One physical line: tokens up to the newline, trailing comment apart.
        let start = i;
        while i < tokens.len() && tokens[i].kind != Kind::Newline {
            i += 1;
        }
        let mut words = &tokens[start..i];
        let mut comment = None;
        if let Some((last, rest)) = words.split_last()
            && last.kind == Kind::Comment
        {
            comment = Some(last);
            words = rest;
        }
        let line = line_no;
        line_no += 1;
        i += 1;
        let Some(first) = words.first() else {
            continue;
        };
        if let Some(verb) = block {
            if first.kind == Kind::Punct(b')') {
                if let Some(extra) = words.get(1) {
                    return fail(extra.span.start, "expected the end of the line after )");
                }
                block = None;
                continue;
            }
            add(
                &mut file,
                &Stmt {
                    verb,
                    args: words,
                    comment,
                    line,
                },
            )?;
            continue;
        }
        check_verb(first, kind)?;
        match words {
            [verb, open] if open.kind == Kind::Punct(b'(') => block = Some(verb),
            [_, open, close]
                if open.kind == Kind::Punct(b'(') && close.kind == Kind::Punct(b')') => {}
            [verb, args @ ..] => add(
                &mut file,
                &Stmt {
                    verb,
                    args,
                    comment,
                    line,
                },
            )?,
            [] => {}
        }
    }
    if let Some(verb) = block {
        return fail(
            verb.span.start,
            format!("expected ) to close the {} block", verb.value),
        );
    }
    Ok(file)
}

fn check_verb(verb: &Token, kind: FileKind) -> Result<(), ParseError> {
    let known: &[&str] = match kind {
        FileKind::GoMod => &GO_MOD_VERBS,
        FileKind::GoWork => &GO_WORK_VERBS,
    };
    if verb.kind != Kind::Ident || !known.contains(&verb.value.as_ref()) {
        return fail(
            verb.span.start,
            format!(
                "unknown directive {:?}: expected one of {}",
                verb.value,
                known.join(", ")
            ),
        );
    }
    Ok(())
}

/// Is `tok` a word or a string (not punctuation)?
fn is_word(tok: &Token) -> bool {
    matches!(tok.kind, Kind::Ident | Kind::Quoted | Kind::Raw)
}

fn add<'a>(file: &mut ModFile<'a>, s: &Stmt<'_, 'a>) -> Result<(), ParseError> {
    let at = s.args.first().map_or(s.verb.span.end, |t| t.span.start);
    if let Some(bad) = s
        .args
        .iter()
        .find(|t| t.kind == Kind::Punct(b'(') || t.kind == Kind::Punct(b')'))
    {
        return fail(
            bad.span.start,
            "unexpected parenthesis: a block opens with `verb (` at the end of a line",
        );
    }
    match s.verb.value.as_ref() {
        "module" => match s.args {
            [path] if is_word(path) => file.module = Some(path.clone()),
            _ => return fail(at, "expected one module path after module"),
        },
        "require" | "exclude" => {
            let [path, version] = s.args else {
                return fail(
                    at,
                    format!(
                        "expected a module path and a version after {}",
                        s.verb.value
                    ),
                );
            };
            check_version(path, version)?;
            if s.verb.value == "require" {
                file.requires.push(Require {
                    path: path.clone(),
                    version: version.clone(),
                    indirect: s.comment.is_some_and(is_indirect),
                    line: s.line,
                });
            }
        }
        "replace" => file.replaces.push(replace(s, at)?),
        "use" => match s.args {
            [dir] if is_word(dir) => file.uses.push(dir.clone()),
            _ => return fail(at, "expected one directory after use"),
        },
        _ => {}
    }
    Ok(())
}

/// The version of `path` must be valid and fit the path's major suffix.
fn check_version(path: &Token, version: &Token) -> Result<(), ParseError> {
    if !is_word(path) || !is_word(version) {
        return fail(path.span.start, "expected a module path and a version");
    }
    if module::canonical_version(&version.value).is_empty() {
        return fail(
            version.span.start,
            format!(
                "invalid version {:?}: expected the form v1.2.3",
                version.value
            ),
        );
    }
    let (_, major, ok) = module::split_path_version(&path.value);
    if !ok {
        return fail(
            path.span.start,
            format!("invalid module path {:?}", path.value),
        );
    }
    if !module::match_path_major(&version.value, major) {
        let want = if major.is_empty() {
            "v0 or v1"
        } else {
            &major[1..]
        };
        return fail(
            version.span.start,
            format!(
                "version {} does not match module path {}: expected {want}",
                version.value, path.value
            ),
        );
    }
    Ok(())
}

fn replace<'a>(s: &Stmt<'_, 'a>, at: usize) -> Result<Replace<'a>, ParseError> {
    let usage = "expected `replace module [version] => module version` or `=> ./directory`";
    let arrow = s
        .args
        .iter()
        .position(|t| t.kind == Kind::Ident && t.value == "=>");
    let (left, right) = match arrow {
        Some(a) => (&s.args[..a], &s.args[a + 1..]),
        None => return fail(at, usage),
    };
    let (old, old_version) = match left {
        [old] => (old, None),
        [old, v] => (old, Some(v)),
        _ => return fail(at, usage),
    };
    let (new, new_version) = match right {
        [new] => (new, None),
        [new, v] => (new, Some(v)),
        _ => return fail(at, usage),
    };
    for tok in [Some(old), old_version, Some(new), new_version]
        .into_iter()
        .flatten()
    {
        if !is_word(tok) {
            return fail(tok.span.start, usage);
        }
    }
    for v in [old_version, new_version].into_iter().flatten() {
        if module::canonical_version(&v.value).is_empty() {
            return fail(
                v.span.start,
                format!("invalid version {:?}: expected the form v1.2.3", v.value),
            );
        }
    }
    match new_version {
        None if !is_directory_path(&new.value) => {
            return fail(
                new.span.start,
                "replacement module without version must be a directory path (rooted or starting with ./ or ../)",
            );
        }
        Some(v) if is_directory_path(&new.value) => {
            return fail(
                v.span.start,
                "replacement directory must not have a version",
            );
        }
        _ => {}
    }
    Ok(Replace {
        old: old.clone(),
        old_version: old_version.cloned(),
        new: new.clone(),
        new_version: new_version.cloned(),
        line: s.line,
    })
}

/// `modfile.IsDirectoryPath`: rooted or `./`, `../` relative (either slash).
pub fn is_directory_path(p: &str) -> bool {
    let b = p.as_bytes();
    p == "."
        || p == ".."
        || ["./", "../", "/", ".\\", "..\\"]
            .iter()
            .any(|pre| p.starts_with(pre))
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// `// indirect` or `// indirect; other text`.
fn is_indirect(comment: &Token) -> bool {
    let body = comment.value.trim();
    body == "indirect" || body.starts_with("indirect;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GO_MOD: &str = "module example.com/app // the app\r\n\r\ngo 1.22\r\n\r\nrequire (\r\n\t// a comment line\r\n\tgithub.com/acme/core-utils v1.4.0 // indirect\r\n\t\"golang.org/x/text\" v0.14.0\r\n)\r\n\r\nrequire rsc.io/quote/v3 v3.1.0\r\nexclude rsc.io/quote/v3 v3.0.0\r\nreplace github.com/acme/core-utils v1.4.0 => ../core-utils\r\nreplace golang.org/x/text => golang.org/x/text v0.15.0\r\nretract [v1.0.0, v1.0.5]\r\n";

    #[test]
    fn parses_blocks_comments_and_replaces() {
        let f = parse(GO_MOD, FileKind::GoMod).unwrap();
        assert_eq!(f.module.unwrap().value, "example.com/app");
        let reqs: Vec<_> = f
            .requires
            .iter()
            .map(|r| {
                (
                    r.path.value.as_ref(),
                    r.version.value.as_ref(),
                    r.indirect,
                    r.line,
                )
            })
            .collect();
        assert_eq!(
            reqs,
            vec![
                ("github.com/acme/core-utils", "v1.4.0", true, 7),
                ("golang.org/x/text", "v0.14.0", false, 8),
                ("rsc.io/quote/v3", "v3.1.0", false, 11),
            ]
        );
        assert_eq!(f.replaces.len(), 2);
        assert!(f.replaces[0].new_version.is_none());
        assert_eq!(f.replaces[1].new_version.as_ref().unwrap().value, "v0.15.0");
    }

    #[test]
    fn errors_with_offsets() {
        let table = [
            ("require (\n a.b/c v1.0.0\n", "expected ) to close"),
            ("require a.b/c\n", "expected a module path and a version"),
            ("require a.b/c 1.0\n", "invalid version"),
            ("require a.b/c v2.0.0\n", "does not match module path"),
            ("require a.b/c/v1 v1.0.0\n", "invalid module path"),
            ("frobnicate x\n", "unknown directive"),
            ("replace a.b/c => d.e/f\n", "directory path"),
            ("replace a.b/c => ../d v1.0.0\n", "must not have a version"),
            ("replace a.b/c v1.0.0\n", "expected `replace"),
            ("require (\n) x\n", "end of the line"),
            ("require a.b/c ( v1\n", "unexpected parenthesis"),
            ("use ./a ./b\n", "unknown directive"),
        ];
        for (text, want) in table {
            let e = parse(text, FileKind::GoMod).unwrap_err();
            assert!(e.message.contains(want), "{text:?}: {}", e.message);
        }
    }

    #[test]
    fn go_work_uses() {
        let f = parse(
            "go 1.22\nuse (\n\t./api\n\t./svc // comment\n)\nuse ./tools\n",
            FileKind::GoWork,
        )
        .unwrap();
        let uses: Vec<_> = f.uses.iter().map(|u| u.value.as_ref()).collect();
        assert_eq!(uses, ["./api", "./svc", "./tools"]);
        assert!(parse("module x\n", FileKind::GoWork).is_err());
    }

    #[test]
    fn empty_block_and_incompatible() {
        let f = parse(
            "require ()\nrequire a.b/c v2.0.0+incompatible\n",
            FileKind::GoMod,
        )
        .unwrap();
        assert_eq!(f.requires.len(), 1);
    }
}
