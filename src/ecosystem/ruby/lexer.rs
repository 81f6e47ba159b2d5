//! A small lexer for the Ruby that Gemfiles and gemspecs are written in:
//! string literals (`'..'`, `".."` with `#{}`, `%q(..)`, heredocs), symbols,
//! `key:` labels, `=>`, identifiers, numbers, punctuation; comments (`#`,
//! `=begin`/`=end`, `__END__`) and backslash line continuations are skipped.
//!
//! Invariant: one linear pass, never panics; every token's spans lie on
//! char boundaries of the input. A string token's `content` is exactly the
//! bytes between its delimiters, and `value` is `Some` only when those bytes
//! are the string's value (no escape, no interpolation), so editing
//! `content` edits the value. Lexical errors (an unterminated string,
//! heredoc or comment) name the byte offset where the construct began.

use std::ops::Range;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind<'a> {
    /// A string literal; `Some(value)` when its content is its value.
    Str(Option<&'a str>),
    /// `:name` or `:"name"`.
    Sym(&'a str),
    /// `name:` (a hash key) or `"name":`.
    Label(&'a str),
    /// Identifiers, keywords, constants, `@ivars`, `$globals`.
    Ident(&'a str),
    Num,
    /// One of `( ) [ ] { } , . ; = | :`.
    Punct(u8),
    /// `=>`.
    Arrow,
    /// Any other operator.
    Op,
    /// A line end that is not continued with a backslash.
    Newline,
}

/// One token with its byte spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: Kind<'a>,
    /// The whole token, delimiters included.
    pub start: usize,
    pub end: usize,
    /// For strings: between the delimiters. Otherwise equal to the token.
    pub content_start: usize,
    pub content_end: usize,
}

impl Token<'_> {
    pub fn content(&self) -> Range<usize> {
        self.content_start..self.content_end
    }
}

/// A lexical error: the offset where the construct began, and what was
/// expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub offset: usize,
    pub message: String,
}

/// Keywords after which an expression (so a regex or `%` literal) starts.
const EXPR_KEYWORDS: [&str; 12] = [
    "if", "unless", "and", "or", "not", "when", "while", "until", "return", "then", "else", "do",
];

/// Tokenize `src`.
pub fn lex(src: &str) -> Result<Vec<Token<'_>>, LexError> {
    let mut lexer = Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        heredocs: Vec::new(),
        out: Vec::with_capacity(src.len() / 4),
    };
    lexer.skip_line_start()?;
    while lexer.pos < lexer.b.len() {
        if lexer.step()? {
            break;
        }
    }
    if let Some((_, _, offset)) = lexer.heredocs.first() {
        return Err(LexError {
            offset: *offset,
            message: "unterminated heredoc: expected its closing identifier line".into(),
        });
    }
    Ok(lexer.out)
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    /// Heredocs whose bodies start at the next line: (identifier, indented
    /// terminator allowed, offset of `<<`).
    heredocs: Vec<(String, bool, usize)>,
    out: Vec<Token<'a>>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

impl<'a> Lexer<'a> {
    fn peek(&self, ahead: usize) -> u8 {
        self.b.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn push(&mut self, kind: Kind<'a>, start: usize, end: usize) {
        self.out.push(Token {
            kind,
            start,
            end,
            content_start: start,
            content_end: end,
        });
    }

    fn err<T>(&self, offset: usize, message: &str) -> Result<T, LexError> {
        Err(LexError {
            offset,
            message: message.to_string(),
        })
    }

    /// Was the previous token a value (so `/` and `%` are operators)?
    fn after_value(&self) -> bool {
        match self.out.last().map(|t| t.kind) {
            Some(Kind::Ident(word)) => !EXPR_KEYWORDS.contains(&word),
            Some(Kind::Str(_) | Kind::Num | Kind::Sym(_)) => true,
            Some(Kind::Punct(c)) => matches!(c, b')' | b']' | b'}'),
            _ => false,
        }
    }

    /// Skip `=begin`..`=end` blocks; `true` at `__END__` (stop lexing).
    fn skip_line_start(&mut self) -> Result<bool, LexError> {
        let rest = &self.b[self.pos.min(self.b.len())..];
        let word_at = |r: &[u8], w: &[u8]| {
            r.starts_with(w) && r.get(w.len()).is_none_or(|c| c.is_ascii_whitespace())
        };
        if word_at(rest, b"__END__") {
            self.pos = self.b.len();
            return Ok(true);
        }
        if word_at(rest, b"=begin") {
            let start = self.pos;
            loop {
                match self.b[self.pos..].iter().position(|&c| c == b'\n') {
                    Some(i) => self.pos += i + 1,
                    None => return self.err(start, "unterminated =begin comment: expected =end"),
                }
                if word_at(&self.b[self.pos..], b"=end") {
                    let eol = self.b[self.pos..].iter().position(|&c| c == b'\n');
                    self.pos = eol.map_or(self.b.len(), |i| self.pos + i);
                    break;
                }
            }
        }
        Ok(false)
    }

    /// Lex one token or skip trivia; `true` when lexing must stop.
    fn step(&mut self) -> Result<bool, LexError> {
        let start = self.pos;
        let c = self.peek(0);
        match c {
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.pos += 1,
            b'\\' if self.peek(1) == b'\n' => self.pos += 2,
            b'\\' if self.peek(1) == b'\r' && self.peek(2) == b'\n' => self.pos += 3,
            b'\n' => {
                self.pos += 1;
                self.push(Kind::Newline, start, start + 1);
                self.heredoc_bodies()?;
                return self.skip_line_start();
            }
            b'#' => {
                let eol = self.b[self.pos..].iter().position(|&c| c == b'\n');
                self.pos = eol.map_or(self.b.len(), |i| self.pos + i);
            }
            b'"' | b'`' => self.quoted(c, c, true)?,
            b'\'' => self.quoted(b'\'', b'\'', false)?,
            b':' => self.colon()?,
            b'%' => self.percent()?,
            b'/' if !self.after_value() => self.regex()?,
            b'<' if self.heredoc_start()? => {}
            b'=' if self.peek(1) == b'>' => {
                self.pos += 2;
                self.push(Kind::Arrow, start, self.pos);
            }
            b'=' if matches!(self.peek(1), b'=' | b'~') => {
                self.pos += 2;
                self.push(Kind::Op, start, self.pos);
            }
            b'0'..=b'9' => {
                while is_ident_char(self.peek(0))
                    || (self.peek(0) == b'.' && self.peek(1).is_ascii_digit())
                {
                    self.pos += 1;
                }
                self.push(Kind::Num, start, self.pos);
            }
            b'@' | b'$' => {
                self.pos += 1;
                while is_ident_char(self.peek(0)) || self.peek(0) == b'@' {
                    self.pos += 1;
                }
                self.push(Kind::Ident(&self.src[start..self.pos]), start, self.pos);
            }
            c if is_ident_start(c) => self.ident(),
            b'(' | b')' | b'[' | b']' | b'{' | b'}' | b',' | b'.' | b';' | b'|' | b'=' => {
                self.pos += 1;
                self.push(Kind::Punct(c), start, self.pos);
            }
            _ => {
                // One character (whole, if multi-byte) of some operator.
                let len = self.src[start..].chars().next().map_or(1, char::len_utf8);
                self.pos += len;
                self.push(Kind::Op, start, self.pos);
            }
        }
        Ok(false)
    }

    fn ident(&mut self) {
        let start = self.pos;
        while is_ident_char(self.peek(0)) {
            self.pos += 1;
        }
        if matches!(self.peek(0), b'?' | b'!') && self.peek(1) != b'=' {
            self.pos += 1;
        }
        let word = &self.src[start..self.pos];
        if self.peek(0) == b':' && self.peek(1) != b':' {
            self.pos += 1;
            self.push(Kind::Label(word), start, self.pos);
        } else {
            self.push(Kind::Ident(word), start, self.pos);
        }
    }

    fn colon(&mut self) -> Result<(), LexError> {
        let start = self.pos;
        match self.peek(1) {
            b':' => {
                self.pos += 2;
                self.push(Kind::Op, start, self.pos);
            }
            c if is_ident_start(c) => {
                self.pos += 1;
                let name_start = self.pos;
                while is_ident_char(self.peek(0)) {
                    self.pos += 1;
                }
                if matches!(self.peek(0), b'?' | b'!' | b'=') && self.peek(1) != b'>' {
                    self.pos += 1;
                }
                self.push(Kind::Sym(&self.src[name_start..self.pos]), start, self.pos);
            }
            b'"' | b'\'' => {
                self.pos += 1;
                let q = self.peek(0);
                self.quoted(q, q, q == b'"')?;
                if let Some(last) = self.out.last_mut() {
                    last.kind = match last.kind {
                        Kind::Str(Some(v)) => Kind::Sym(v),
                        _ => Kind::Sym(""),
                    };
                    last.start = start;
                }
            }
            _ => {
                self.pos += 1;
                self.push(Kind::Punct(b':'), start, self.pos);
            }
        }
        Ok(())
    }

    /// A delimited string from `self.pos` (at the opening delimiter).
    fn quoted(&mut self, open: u8, close: u8, interpolates: bool) -> Result<(), LexError> {
        let start = self.pos;
        self.pos += 1;
        let content_start = self.pos;
        let (content_end, plain) = self.until_close(start, open, close, interpolates)?;
        let value = plain.then(|| &self.src[content_start..content_end]);
        let mut kind = Kind::Str(value);
        // `"key": value` in an argument list is a label.
        if self.peek(0) == b':'
            && self.peek(1) != b':'
            && self.peek(1).is_ascii_whitespace()
            && matches!(
                self.out.last().map(|t| t.kind),
                Some(Kind::Punct(b'(' | b',' | b'{'))
            )
            && let Some(v) = value
        {
            self.pos += 1;
            kind = Kind::Label(v);
        }
        self.out.push(Token {
            kind,
            start,
            end: self.pos,
            content_start,
            content_end,
        });
        Ok(())
    }

    /// Scan to the closing delimiter (nesting when `open != close`); returns
    /// where the content ends and whether it is plain (no escape or
    /// interpolation). Leaves `pos` after the delimiter.
    fn until_close(
        &mut self,
        start: usize,
        open: u8,
        close: u8,
        interpolates: bool,
    ) -> Result<(usize, bool), LexError> {
        let mut depth = 0usize;
        let mut plain = true;
        loop {
            let Some(&c) = self.b.get(self.pos) else {
                return self.err(start, "unterminated string: expected its closing quote");
            };
            if c == b'\\' {
                plain = false;
                self.pos += 2;
            } else if interpolates && c == b'#' && self.peek(1) == b'{' {
                plain = false;
                self.pos += 2;
                self.skip_interpolation(start)?;
            } else if interpolates && c == b'#' && matches!(self.peek(1), b'@' | b'$') {
                plain = false;
                self.pos += 1;
            } else if c == close && depth == 0 {
                let end = self.pos;
                self.pos += 1;
                return Ok((end, plain));
            } else {
                if open != close {
                    if c == open {
                        depth += 1;
                    } else if c == close {
                        depth -= 1;
                    }
                }
                self.pos += 1;
            }
        }
    }

    /// Skip the code of `#{ .. }` up to its closing brace, lexing it (so a
    /// `}` inside a nested string does not end it); the tokens are dropped.
    fn skip_interpolation(&mut self, start: usize) -> Result<(), LexError> {
        let keep = self.out.len();
        let mut depth = 0usize;
        loop {
            if self.pos >= self.b.len() {
                return self.err(start, "unterminated interpolation: expected `}`");
            }
            match self.peek(0) {
                b'}' if depth == 0 => {
                    self.pos += 1;
                    break;
                }
                b'{' => depth += 1,
                b'}' => depth -= 1,
                _ => {}
            }
            if self.step()? {
                return self.err(start, "unterminated interpolation: expected `}`");
            }
        }
        self.out.truncate(keep);
        Ok(())
    }

    /// `%q(..)`, `%w[..]`, `%(..)`, `%r{..}`; otherwise the `%` operator.
    fn percent(&mut self) -> Result<(), LexError> {
        let start = self.pos;
        let kind = self.peek(1);
        let (delim_at, ty) = if b"qQwWiIrsx".contains(&kind) && self.peek(2).is_ascii_punctuation()
        {
            (2, kind)
        } else if !self.after_value() && b"([{<|!/^".contains(&kind) {
            (1, b'Q')
        } else {
            self.pos += 1;
            self.push(Kind::Op, start, self.pos);
            return Ok(());
        };
        let open = self.peek(delim_at);
        let close = match open {
            b'(' => b')',
            b'[' => b']',
            b'{' => b'}',
            b'<' => b'>',
            c => c,
        };
        self.pos += delim_at + 1;
        let content_start = self.pos;
        let interpolates = matches!(ty, b'Q' | b'W' | b'I' | b'r' | b'x');
        let (content_end, plain) = self.until_close(start, open, close, interpolates)?;
        if ty == b'r' {
            while self.peek(0).is_ascii_alphabetic() {
                self.pos += 1;
            }
        }
        let value =
            (plain && matches!(ty, b'q' | b'Q')).then(|| &self.src[content_start..content_end]);
        self.out.push(Token {
            kind: Kind::Str(value),
            start,
            end: self.pos,
            content_start,
            content_end,
        });
        Ok(())
    }

    /// A `/regex/flags` literal (the caller checked it is not a division).
    fn regex(&mut self) -> Result<(), LexError> {
        let start = self.pos;
        self.pos += 1;
        let (end, _) = self.until_close(start, b'/', b'/', true)?;
        while self.peek(0).is_ascii_alphabetic() {
            self.pos += 1;
        }
        self.out.push(Token {
            kind: Kind::Str(None),
            start,
            end: self.pos,
            content_start: start + 1,
            content_end: end,
        });
        Ok(())
    }

    /// `<<~ID`, `<<-ID`, `<<ID`, `<<~'ID'`: register the heredoc and emit a
    /// string token. `false` (nothing consumed) when `<` is an operator.
    fn heredoc_start(&mut self) -> Result<bool, LexError> {
        if self.peek(1) != b'<' {
            return Ok(false);
        }
        let start = self.pos;
        let (indented, at) = match self.peek(2) {
            b'~' | b'-' => (true, 3),
            _ => (false, 2),
        };
        let first = self.peek(at);
        let quoted = matches!(first, b'\'' | b'"' | b'`');
        let bare_ok = if indented {
            is_ident_start(first)
        } else {
            first.is_ascii_uppercase() || first == b'_'
        };
        if !quoted && !bare_ok {
            return Ok(false);
        }
        let id_start = start + at + usize::from(quoted);
        let mut i = id_start;
        while i < self.b.len() && is_ident_char(self.b[i]) {
            i += 1;
        }
        let id = self.src[id_start..i].to_string();
        if quoted {
            if self.b.get(i) != Some(&first) || id.is_empty() {
                return self.err(
                    start,
                    "malformed heredoc: expected a closing quote after its identifier",
                );
            }
            i += 1;
        }
        self.pos = i;
        self.heredocs.push((id, indented, start));
        self.push(Kind::Str(None), start, self.pos);
        Ok(true)
    }

    /// Skip the bodies of the heredocs opened on the line just ended.
    fn heredoc_bodies(&mut self) -> Result<(), LexError> {
        for (id, indented, start) in std::mem::take(&mut self.heredocs) {
            loop {
                if self.pos >= self.b.len() {
                    return self.err(
                        start,
                        "unterminated heredoc: expected its closing identifier line",
                    );
                }
                let eol = self.b[self.pos..].iter().position(|&c| c == b'\n');
                let line_end = eol.map_or(self.b.len(), |i| self.pos + i);
                let line = self.src[self.pos..line_end].trim_end_matches('\r');
                let line = if indented { line.trim_start() } else { line };
                let done = line == id;
                self.pos = (line_end + 1).min(self.b.len());
                if done {
                    break;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Kind<'_>> {
        lex(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn gem_line() {
        use Kind::*;
        assert_eq!(
            kinds("gem 'a', \"~> 1\", git: :x, :tag => %q(v1) # c\n"),
            vec![
                Ident("gem"),
                Str(Some("a")),
                Punct(b','),
                Str(Some("~> 1")),
                Punct(b','),
                Label("git"),
                Sym("x"),
                Punct(b','),
                Sym("tag"),
                Arrow,
                Str(Some("v1")),
                Newline
            ]
        );
    }

    #[test]
    fn trivia_and_odd_literals() {
        use Kind::*;
        let src = "=begin\ngem 'x'\n=end\na = <<~EOS\n  gem 'y'\n  EOS\nb \\\n \"#{c(\"}\")}\" / 2\n__END__\ngem 'z'";
        assert_eq!(
            kinds(src),
            vec![
                Newline,
                Ident("a"),
                Punct(b'='),
                Str(None),
                Newline,
                Ident("b"),
                Str(None),
                Op,
                Num,
                Newline
            ]
        );
        assert_eq!(
            kinds("x =~ /'/\n"),
            vec![Ident("x"), Op, Str(None), Newline]
        );
    }

    #[test]
    fn errors_name_the_start() {
        for (src, offset) in [
            ("gem 'a", 4),
            ("x = <<~E\nbody", 4),
            ("=begin\n", 0),
            ("\"#{", 0),
        ] {
            assert_eq!(lex(src).unwrap_err().offset, offset, "{src:?}");
        }
    }
}
