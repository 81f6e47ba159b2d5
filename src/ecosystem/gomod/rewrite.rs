//! The splices that move a requirement: the version token; on a major also
//! the module path in go.mod and every import of the library in the
//! module's `.go` files (files of nested modules, `vendor/`, `testdata/`
//! and `_`/`.` directories excluded, as the go command does).
//!
//! Invariant: each splice spans one token's value (inside any quotes), and
//! the rewritten go.mod and `.go` files are re-read before being returned.

use std::ops::Range;

use super::find::{self, FORK_SECTION};
use super::imports;
use super::judge::{Move, plan_move};
use super::module;
use crate::ecosystem::{Requirement, RewriteError, SourceTree, Splice};

/// The splices moving `req` to `to`, or why none is safe.
pub fn rewrite(
    tree: &dyn SourceTree,
    req: &Requirement,
    to: &semver::Version,
) -> Result<Vec<Splice>, RewriteError> {
    let span = req
        .span
        .clone()
        .ok_or_else(|| RewriteError::refused("no version token to edit"))?;
    let file_path = req.span_path.as_str();
    let text = tree.read_text(file_path)?;
    if text.get(span.clone()) != Some(req.requirement.as_str()) {
        return Err(RewriteError::changed(format!(
            "{file_path}: the version at line {} is no longer {}",
            req.line, req.requirement
        )));
    }
    let mv = plan_move(&req.key, &req.requirement, to);
    let mut splices = vec![splice(file_path, span.clone(), &mv.version)];
    if mv.major {
        splices.extend(path_splices(req, &text, &span, &mv)?);
    }
    let new_text = apply(&text, &splices).map_err(|e| RewriteError::unverified(e.to_string()))?;
    find::parse(file_path, &new_text)
        .map_err(|e| RewriteError::unverified(format!("the rewritten file does not parse: {e}")))?;
    if mv.major && req.section.starts_with("require") {
        splices.extend(import_splices(tree, req, &mv)?);
    }
    Ok(splices)
}

fn splice(path: &str, span: Range<usize>, replacement: &str) -> Splice {
    Splice {
        path: path.to_string(),
        span,
        replacement: replacement.to_string(),
    }
}

/// The module path tokens of the directive holding the version at `span`.
fn path_splices(
    req: &Requirement,
    text: &str,
    span: &Range<usize>,
    mv: &Move,
) -> Result<Vec<Splice>, RewriteError> {
    let file = find::parse(&req.span_path, text)?;
    let plain = |tok: &super::lexer::Token| {
        if tok.is_plain(text) {
            Ok(splice(&req.span_path, tok.inner.clone(), &mv.path))
        } else {
            Err(RewriteError::refused(format!(
                "{}:{}: the module path is written with escapes: edit it by hand",
                req.span_path, req.line
            )))
        }
    };
    if req.section == FORK_SECTION {
        return Err(RewriteError::refused(
            "the library is replaced by another module",
        ));
    }
    if let Some(r) = file.requires.iter().find(|r| r.version.inner == *span) {
        let mut out = vec![plain(&r.path)?];
        // A directory replacement of the old path (`=> ../core-utils`)
        // follows the module to its new path; one pinning an old version
        // on its left side is left alone (it no longer applies).
        for dir in file.replaces.iter().filter(|d| {
            d.new_version.is_none() && d.old_version.is_none() && d.old.value == req.key
        }) {
            out.push(plain(&dir.old)?);
        }
        return Ok(out);
    }
    let r = file
        .replaces
        .iter()
        .find(|r| r.new_version.as_ref().is_some_and(|v| v.inner == *span))
        .ok_or_else(|| {
            RewriteError::changed(format!(
                "{}:{}: no directive holds this version",
                req.span_path, req.line
            ))
        })?;
    let mut out = vec![plain(&r.new)?];
    let prefix = module::split_path_version(&req.key).0;
    if module::split_path_version(&r.old.value).0 == prefix {
        if let Some(v) = &r.old_version {
            return Err(RewriteError::refused(format!(
                "the replace pins {} {} on its left side: a new major version needs a hand edit",
                r.old.value, v.value
            )));
        }
        out.push(plain(&r.old)?);
    }
    Ok(out)
}

/// Why splices of one file cannot be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
enum ApplyError {
    #[error("overlapping edits")]
    Overlap,
    #[error("edit outside the file")]
    Outside,
}

/// Apply splices of one file to its text.
fn apply(text: &str, splices: &[Splice]) -> Result<String, ApplyError> {
    let mut list: Vec<&Splice> = splices.iter().collect();
    list.sort_by_key(|s| s.span.start);
    let mut out = String::with_capacity(text.len() + 16);
    let mut cursor = 0;
    for s in list {
        let before = text.get(cursor..s.span.start).ok_or(ApplyError::Overlap)?;
        out.push_str(before);
        out.push_str(&s.replacement);
        cursor = s.span.end;
    }
    out.push_str(text.get(cursor..).ok_or(ApplyError::Outside)?);
    Ok(out)
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Is `file` (a `.go` file below `root`, `""` = repository root) part of
/// the module rooted there, given the directories of all go.mod files?
fn in_module(root: &str, file: &str, module_dirs: &[&str]) -> bool {
    let rel = if root.is_empty() {
        file
    } else {
        match file.strip_prefix(root).and_then(|r| r.strip_prefix('/')) {
            Some(rel) => rel,
            None => return false,
        }
    };
    let Some((dirs, _)) = rel.rsplit_once('/') else {
        return true;
    };
    let mut dir = String::from(root);
    for part in dirs.split('/') {
        if part == "vendor" || part == "testdata" || part.starts_with('.') || part.starts_with('_')
        {
            return false;
        }
        if !dir.is_empty() {
            dir.push('/');
        }
        dir.push_str(part);
        if module_dirs.contains(&dir.as_str()) {
            return false;
        }
    }
    true
}

/// Every import of the library's old path in the module's `.go` files,
/// moved to the new path.
fn import_splices(
    tree: &dyn SourceTree,
    req: &Requirement,
    mv: &Move,
) -> Result<Vec<Splice>, RewriteError> {
    let root = dir_of(&req.path);
    let files = tree.files();
    let module_dirs: Vec<&str> = files
        .iter()
        .filter(|f| f.rsplit('/').next() == Some("go.mod"))
        .map(|f| dir_of(f))
        .collect();
    let old = req.key.as_str();
    let old_has_major =
        module::path_major_number(old).is_some() || module::gopkg_major(old).is_some();
    let mut out = Vec::new();
    for file in files
        .iter()
        .filter(|f| f.ends_with(".go") && in_module(root, f, &module_dirs))
    {
        let src = tree.read_text(file)?;
        if !src.contains(old) {
            continue;
        }
        let found = imports::imports(&src).map_err(|e| RewriteError::Unparsable {
            path: file.clone(),
            message: format!("cannot read its imports: {e}"),
        })?;
        let mut edits = Vec::new();
        for imp in found {
            let Some(rest) = imp.path.strip_prefix(old) else {
                continue;
            };
            if !(rest.is_empty() || rest.starts_with('/')) {
                continue;
            }
            // `old/v3/...` belongs to another major of the library.
            let first = rest
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default();
            if !old_has_major
                && !rest.is_empty()
                && module::path_major_number(&format!("{old}/{first}")).is_some()
            {
                continue;
            }
            edits.push(splice(file, imp.span, &format!("{}{rest}", mv.path)));
        }
        if edits.is_empty() {
            continue;
        }
        let new_src = apply(&src, &edits).map_err(|e| RewriteError::unverified(e.to_string()))?;
        imports::imports(&new_src).map_err(|e| {
            RewriteError::unverified(format!("{file}: rewritten imports do not parse: {e}"))
        })?;
        out.extend(edits);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_membership() {
        let dirs = ["", "tools", "svc/api"];
        let table = [
            ("", "main.go", true),
            ("", "pkg/x/x.go", true),
            ("", "tools/gen.go", false),
            ("", "svc/api/h.go", false),
            ("", "svc/h.go", true),
            ("", "vendor/a/a.go", false),
            ("", "pkg/testdata/t.go", false),
            ("", "_old/o.go", false),
            ("", ".hidden/o.go", false),
            ("svc/api", "svc/api/h.go", true),
            ("svc/api", "svc/apix/h.go", false),
            ("tools", "main.go", false),
        ];
        for (root, file, want) in table {
            assert_eq!(in_module(root, file, &dirs), want, "{root} {file}");
        }
    }

    #[test]
    fn applies_in_order() {
        let s = |a, b, r: &str| splice("f", a..b, r);
        assert_eq!(
            apply("abcdef", &[s(4, 5, "E"), s(0, 1, "AA")]).unwrap(),
            "AAbcdEf"
        );
        assert!(apply("abc", &[s(0, 2, "x"), s(1, 3, "y")]).is_err());
        assert!(apply("abc", &[s(2, 9, "x")]).is_err());
    }
}
