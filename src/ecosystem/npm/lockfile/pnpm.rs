//! `pnpm-lock.yaml` (lockfile v5, v6 and v9), read line by line: no YAML
//! library, only the block-mapping subset pnpm writes.
//!
//! Invariant: the version comes from the importer of the manifest's
//! directory (`importers.<dir>.<section>.<key>`, or the top-level sections
//! of a single-project v5/v6 lock), as a scalar (v5) or its `version:`
//! field (v6, v9), with peer suffixes and alias prefixes removed.

use std::collections::HashMap;

use crate::ecosystem::ManifestError;

use super::Query;

/// Sections pnpm records per importer.
const SECTIONS: [&str; 3] = ["dependencies", "devDependencies", "optionalDependencies"];

pub fn locked(path: &str, text: &str, q: &Query) -> Result<Option<String>, ManifestError> {
    let values = scan(path, text, q.key)?;
    let importer = if q.member.is_empty() { "." } else { q.member };
    let mut sections = vec![q.section];
    sections.extend(SECTIONS.iter().filter(|s| **s != q.section));
    for section in sections {
        let mut prefixes = vec![vec!["importers", importer, section, q.key]];
        if importer == "." {
            prefixes.push(vec![section, q.key]);
        }
        for prefix in prefixes {
            let direct = values.get(&prefix.join("\n"));
            let mut nested = prefix.clone();
            nested.push("version");
            let nested = values.get(&nested.join("\n"));
            if let Some(v) = nested.or(direct).filter(|v| !v.is_empty()) {
                return Ok(clean(v));
            }
        }
    }
    Ok(None)
}

/// Every `path → scalar` whose path mentions `key`, the path joined by
/// newlines (which no key contains).
fn scan(path: &str, text: &str, key: &str) -> Result<HashMap<String, String>, ManifestError> {
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut out = HashMap::new();
    let mut block_scalar: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if let Some(level) = block_scalar {
            if indent > level {
                continue;
            }
            block_scalar = None;
        }
        let lineno = i as u32 + 1;
        if content.starts_with('\t') {
            return Err(ManifestError::new(
                path,
                lineno,
                indent as u32 + 1,
                "expected spaces for indentation, found a tab",
            ));
        }
        if content == "-" || content.starts_with("- ") || content == "---" {
            continue;
        }
        let (k, value) = split_key(content).ok_or_else(|| {
            ManifestError::new(
                path,
                lineno,
                indent as u32 + 1,
                "expected `key:` or `key: value`",
            )
        })?;
        while stack.last().is_some_and(|(d, _)| *d >= indent) {
            stack.pop();
        }
        if value.starts_with('|') || value.starts_with('>') {
            block_scalar = Some(indent);
        }
        stack.push((indent, k));
        if stack.iter().any(|(_, s)| s == key) {
            let joined: Vec<&str> = stack.iter().map(|(_, s)| s.as_str()).collect();
            out.insert(joined.join("\n"), value.to_string());
        }
    }
    Ok(out)
}

/// `'quoted key': value`, `"key": value`, `key:` → (key, value).
fn split_key(content: &str) -> Option<(String, &str)> {
    let (key, rest) = match content.as_bytes().first() {
        Some(b'\'') => {
            let mut key = String::new();
            let mut chars = content.char_indices().skip(1).peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                        chars.next();
                        key.push('\'');
                    } else {
                        end = Some(i + 1);
                        break;
                    }
                } else {
                    key.push(c);
                }
            }
            (key, content.get(end?..)?)
        }
        Some(b'"') => {
            let close = content.get(1..)?.find('"')? + 1;
            (
                content.get(1..close)?.to_string(),
                content.get(close + 1..)?,
            )
        }
        _ => {
            let colon = content
                .find(": ")
                .or_else(|| content.ends_with(':').then(|| content.len() - 1))?;
            (content.get(..colon)?.to_string(), content.get(colon..)?)
        }
    };
    let value = rest.strip_prefix(':')?.trim();
    let value = value.split(" #").next().unwrap_or("").trim();
    Some((key, value))
}

/// `'1.4.2(react@18.0.0)'`, `1.4.2_react@18`, `/@acme/core-utils/1.4.2`,
/// `@acme/core-utils@1.4.2` → `1.4.2`; links → none.
fn clean(value: &str) -> Option<String> {
    let v = value.trim_matches(['\'', '"']);
    if v.starts_with("link:") || v.starts_with("file:") {
        return None;
    }
    let v = v.split('(').next().unwrap_or(v);
    let v = if v.starts_with(|c: char| c.is_ascii_digit()) {
        v
    } else if v.starts_with('/') {
        v.rsplit('/').next().unwrap_or(v)
    } else {
        v.rsplit('@').next().unwrap_or(v)
    };
    // v5 writes peers as `1.4.2_react@18.0.0`.
    let v = v.split('_').next().unwrap_or(v);
    Some(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query<'a>(member: &'a str, key: &'a str) -> Query<'a> {
        Query {
            member,
            section: "dependencies",
            key,
            spec: "^1.4.0",
            name: "@acme/core-utils",
        }
    }

    #[test]
    fn reads_v5_v6_v9() {
        let v5 = "lockfileVersion: 5.4\n\nspecifiers:\n  '@acme/core-utils': ^1.4.0\n\ndependencies:\n  '@acme/core-utils': 1.4.2_react@18.0.0\n";
        let v6 = "lockfileVersion: '6.0'\n\ndependencies:\n  '@acme/core-utils':\n    specifier: ^1.4.0\n    version: 1.4.3(react@18.0.0)\n";
        let v9 = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      '@acme/core-utils':\n        specifier: ^1.4.0\n        version: 1.4.1\n  packages/web:\n    dependencies:\n      cu:\n        specifier: npm:@acme/core-utils@^1.4.0\n        version: '@acme/core-utils@1.4.4'\n";
        let q = query("", "@acme/core-utils");
        assert_eq!(locked("l", v5, &q).unwrap().as_deref(), Some("1.4.2"));
        assert_eq!(locked("l", v6, &q).unwrap().as_deref(), Some("1.4.3"));
        assert_eq!(locked("l", v9, &q).unwrap().as_deref(), Some("1.4.1"));
        let q = query("packages/web", "cu");
        assert_eq!(locked("l", v9, &q).unwrap().as_deref(), Some("1.4.4"));
    }

    #[test]
    fn malformed_lines_are_errors() {
        let e = locked("l", "importers:\n  .:\n    oops\n", &query("", "x")).unwrap_err();
        assert_eq!((e.line, e.column), (3, 5));
    }
}
