//! PEP 508 requirement strings (`name[extras] (specifiers) ; marker`,
//! `name @ url ; marker`), PEP 503 names and VCS URLs.
//!
//! Invariant: every span returned is a byte range of the parsed string and
//! covers exactly the text it names (the name, the trimmed specifier list,
//! the git reference), so it can be spliced without touching anything else.

use std::ops::Range;

use crate::ecosystem::GitRef;

/// A parsed requirement string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pep508 {
    /// The name as written.
    pub name: String,
    /// The specifier list, trimmed, and its span (empty text when none).
    pub spec: String,
    pub spec_span: Range<usize>,
    /// A direct reference `@ url`.
    pub url: Option<(String, Range<usize>)>,
}

/// A syntax error at a byte offset of the requirement string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub expected: &'static str,
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

/// Do two names denote the same project?
pub fn same_name(a: &str, b: &str) -> bool {
    // Cheap reject before allocating.
    let alnum = |s: &str| s.bytes().filter(u8::is_ascii_alphanumeric).count();
    alnum(a) == alnum(b) && normalize(a) == normalize(b)
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// Parse a requirement string.
pub fn parse(text: &str) -> Result<Pep508, SyntaxError> {
    let s = text.as_bytes();
    let err = |offset, expected| SyntaxError { offset, expected };
    let mut i = skip_ws(s, 0);
    let name_start = i;
    while s
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        i += 1;
    }
    let name = text.get(name_start..i).unwrap_or_default();
    let ends_ok = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    if name.is_empty() || !ends_ok(s.get(name_start)) || !ends_ok(s.get(i - 1)) {
        return Err(err(name_start, "a project name"));
    }
    i = skip_ws(s, i);
    if s.get(i) == Some(&b'[') {
        match text.get(i..).and_then(|t| t.find(']')) {
            Some(close) => i = skip_ws(s, i + close + 1),
            None => return Err(err(i, "`]` closing the extras")),
        }
    }
    let marker_at = |from: usize| -> usize {
        text.get(from..)
            .and_then(|t| t.find(';'))
            .map_or(s.len(), |k| from + k)
    };
    if s.get(i) == Some(&b'@') {
        let url_start = skip_ws(s, i + 1);
        let mut end = url_start;
        while s.get(end).is_some_and(|b| !b.is_ascii_whitespace()) {
            end += 1;
        }
        if end == url_start {
            return Err(err(url_start, "a URL after `@`"));
        }
        let rest = skip_ws(s, end);
        if rest < s.len() && s.get(rest) != Some(&b';') {
            return Err(err(rest, "`;` and an environment marker after the URL"));
        }
        let url = text.get(url_start..end).unwrap_or_default().to_string();
        return Ok(Pep508 {
            name: name.to_string(),
            spec: String::new(),
            spec_span: end..end,
            url: Some((url, url_start..end)),
        });
    }
    let (spec_start, spec_end) = if s.get(i) == Some(&b'(') {
        let close = text
            .get(i..)
            .and_then(|t| t.find(')'))
            .ok_or(err(i, "`)` closing the version specifiers"))?;
        let after = skip_ws(s, i + close + 1);
        if after < s.len() && s.get(after) != Some(&b';') {
            return Err(err(after, "`;` or the end after `)`"));
        }
        (i + 1, i + close)
    } else {
        (i, marker_at(i))
    };
    let raw = text.get(spec_start..spec_end).unwrap_or_default();
    let lead = raw.len() - raw.trim_start().len();
    let spec = raw.trim();
    let start = spec_start + lead;
    if !spec.is_empty() && !spec.starts_with(['<', '>', '=', '!', '~']) {
        return Err(err(
            start,
            "a version specifier (`>=`, `==`, `~=`, ...), `@ url` or `;`",
        ));
    }
    Ok(Pep508 {
        name: name.to_string(),
        spec: spec.to_string(),
        spec_span: start..start + spec.len(),
        url: None,
    })
}

/// A VCS direct reference `git+https://host/path@ref#frag`: the URL without
/// the reference, and the reference with its span in the URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VcsUrl {
    pub url: String,
    pub reference: Option<(String, Range<usize>)>,
    /// `#egg=name` fragment.
    pub egg: Option<String>,
}

/// Parse a `git+` URL; `None` for anything else (plain archives, paths).
pub fn parse_vcs(url: &str) -> Option<VcsUrl> {
    let lower = url.get(..4)?.to_ascii_lowercase();
    if lower != "git+" {
        return None;
    }
    let (base, fragment) = match url.find('#') {
        Some(k) => (url.get(..k)?, url.get(k + 1..)),
        None => (url, None),
    };
    let base = base.split('?').next().unwrap_or(base);
    let egg = fragment.and_then(|f| {
        f.split('&')
            .find_map(|kv| kv.strip_prefix("egg="))
            .map(str::to_string)
    });
    // The path starts after `scheme://authority`; a `@` in the authority is
    // a user, the last `@` in the path is the reference.
    let path_start = match base.find("://") {
        Some(k) => base
            .get(k + 3..)?
            .find('/')
            .map_or(base.len(), |p| k + 3 + p),
        None => base.find(':').map_or(0, |k| k + 1),
    };
    let reference = base.get(path_start..)?.rfind('@').and_then(|k| {
        let at = path_start + k;
        let r = base.get(at + 1..)?;
        (!r.is_empty()).then(|| (r.to_string(), at + 1..base.len()))
    });
    let url_only = match &reference {
        Some((_, span)) => base.get(..span.start - 1)?,
        None => base,
    };
    Some(VcsUrl {
        url: url_only.to_string(),
        reference,
        egg,
    })
}

/// Classify a VCS reference: a hex string of 7 to 40 digits is a commit,
/// one holding a version is a tag, anything else a branch.
pub fn classify_ref(reference: &str) -> GitRef {
    let hex = reference.len() >= 7
        && reference.len() <= 40
        && reference.bytes().all(|b| b.is_ascii_hexdigit());
    if hex {
        GitRef::Rev(reference.to_string())
    } else if super::tag::split(reference).is_some() {
        GitRef::Tag(reference.to_string())
    } else {
        GitRef::Branch(reference.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise() {
        assert_eq!(normalize("Core_Utils"), "core-utils");
        assert!(same_name("core.utils", "core-utils"));
        assert!(same_name("CORE__utils", "core-utils"));
        assert!(!same_name("core-utils-extra", "core-utils"));
        assert!(!same_name("coreutils", "core-utils"));
    }

    #[test]
    fn requirement_strings() {
        let r = parse("core-utils[async] >=1.4, <2 ; python_version>='3.8'").expect("ok");
        assert_eq!(r.name, "core-utils");
        assert_eq!(r.spec, ">=1.4, <2");
        assert_eq!(
            &"core-utils[async] >=1.4, <2 ; x"[r.spec_span.clone()],
            ">=1.4, <2"
        );
        let r = parse("core-utils (>=1.4)").expect("ok");
        assert_eq!(r.spec, ">=1.4");
        let r = parse("core-utils").expect("ok");
        assert_eq!(r.spec, "");
        let r = parse("core-utils @ git+https://github.com/acme/core-utils@v1.4.0 ; os_name=='nt'")
            .expect("ok");
        assert_eq!(
            r.url.map(|u| u.0).as_deref(),
            Some("git+https://github.com/acme/core-utils@v1.4.0")
        );
        for bad in [
            "",
            "-core",
            "core-utils[x",
            "core-utils (>=1",
            "core-utils 1.4",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn vcs_urls() {
        let v = parse_vcs("git+ssh://git@github.com/acme/core-utils.git@v1.4.0#egg=core-utils")
            .expect("vcs");
        assert_eq!(v.url, "git+ssh://git@github.com/acme/core-utils.git");
        assert_eq!(v.reference.as_ref().map(|r| r.0.as_str()), Some("v1.4.0"));
        assert_eq!(v.egg.as_deref(), Some("core-utils"));
        let v = parse_vcs("git+https://github.com/acme/core-utils").expect("vcs");
        assert_eq!(v.reference, None);
        assert!(parse_vcs("https://example.com/core_utils-1.4.0.whl").is_none());
        assert_eq!(classify_ref("v1.4.0"), GitRef::Tag("v1.4.0".into()));
        assert_eq!(classify_ref("a1b2c3d4"), GitRef::Rev("a1b2c3d4".into()));
        assert_eq!(classify_ref("main"), GitRef::Branch("main".into()));
    }
}
