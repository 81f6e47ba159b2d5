//! `package-lock.json` / `npm-shrinkwrap.json`: lockfileVersion 1
//! (`dependencies`) and 2/3 (`packages`, keyed by install path).
//!
//! Invariant: the entry for the manifest's own install path wins over the
//! hoisted root entry; workspace links are followed to their package.

use serde_json::Value;

use crate::ecosystem::ManifestError;

use super::Query;

pub fn locked(path: &str, text: &str, q: &Query) -> Result<Option<String>, ManifestError> {
    let doc: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        ManifestError::new(
            path,
            e.line() as u32,
            e.column() as u32,
            format!("expected a JSON lockfile: {e}"),
        )
    })?;
    if let Some(packages) = doc.get("packages").and_then(Value::as_object) {
        let mut candidates = Vec::new();
        if !q.member.is_empty() {
            candidates.push(format!("{}/node_modules/{}", q.member, q.key));
        }
        candidates.push(format!("node_modules/{}", q.key));
        for key in candidates {
            let Some(entry) = packages.get(&key) else {
                continue;
            };
            let entry = if entry.get("link").and_then(Value::as_bool) == Some(true) {
                match entry
                    .get("resolved")
                    .and_then(Value::as_str)
                    .and_then(|r| packages.get(r))
                {
                    Some(target) => target,
                    None => continue,
                }
            } else {
                entry
            };
            // An aliased install records the real package name.
            let named = entry.get("name").and_then(Value::as_str);
            if named.is_some_and(|n| n != q.name) {
                continue;
            }
            if let Some(v) = entry.get("version").and_then(Value::as_str) {
                return Ok(Some(v.to_string()));
            }
        }
        return Ok(None);
    }
    let version = doc
        .get("dependencies")
        .and_then(|d| d.get(q.key))
        .and_then(|e| e.get("version"))
        .and_then(Value::as_str);
    Ok(version.map(|v| {
        // An alias locks as `npm:@acme/core-utils@1.4.2`.
        match v.strip_prefix("npm:") {
            Some(rest) => rest.rsplit('@').next().unwrap_or(rest).to_string(),
            None => v.to_string(),
        }
    }))
}
