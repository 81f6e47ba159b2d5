//! `yarn.lock`, classic (v1) and berry: entries headed by their
//! descriptors (`"@acme/core-utils@^1.4.0", "@acme/core-utils@^1.2.0":`)
//! with an indented `version`.
//!
//! Invariant: an entry whose descriptor is exactly the manifest's
//! `key@spec` (berry: `key@npm:spec`) wins; otherwise the only entry for
//! the key, if there is just one; otherwise none.

use crate::ecosystem::ManifestError;

use super::Query;

pub fn locked(path: &str, text: &str, q: &Query) -> Result<Option<String>, ManifestError> {
    let berry_spec = format!("npm:{}", q.spec);
    let mut exact = None;
    let mut by_key: Vec<String> = Vec::new();
    // The current entry: (exact match?, key match?).
    let mut current: Option<(bool, bool)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let lineno = i as u32 + 1;
        if !line.starts_with([' ', '\t']) {
            let Some(header) = line.strip_suffix(':') else {
                return Err(ManifestError::new(
                    path,
                    lineno,
                    1,
                    "expected an entry header ending in `:` (descriptors of one package)",
                ));
            };
            let mut is_exact = false;
            let mut is_key = false;
            for descriptor in header.split(',') {
                let descriptor = descriptor.trim().trim_matches('"');
                let Some((key, spec)) = split_descriptor(descriptor) else {
                    continue;
                };
                if key == q.key {
                    is_key = true;
                    is_exact |= spec == q.spec || spec == berry_spec;
                }
            }
            current = Some((is_exact, is_key));
            continue;
        }
        let Some((is_exact, is_key)) = current else {
            return Err(ManifestError::new(
                path,
                lineno,
                1,
                "expected an entry header before indented fields",
            ));
        };
        if line.len() - trimmed.len() > 2 || !(is_exact || is_key) {
            continue;
        }
        let Some(value) = trimmed
            .strip_prefix("version:")
            .or_else(|| trimmed.strip_prefix("version "))
        else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_string();
        if value == "0.0.0-use.local" {
            // Berry's marker for a workspace package: no registry version.
            continue;
        }
        if value.is_empty() {
            return Err(ManifestError::new(
                path,
                lineno,
                line.len() as u32 + 1,
                "expected a version after `version`",
            ));
        }
        if is_exact && exact.is_none() {
            exact = Some(value.clone());
        }
        if !by_key.contains(&value) {
            by_key.push(value);
        }
    }
    Ok(exact.or_else(|| (by_key.len() == 1).then(|| by_key.swap_remove(0))))
}

/// `@scope/name@spec` → (`@scope/name`, `spec`).
fn split_descriptor(d: &str) -> Option<(&str, &str)> {
    let at = d.get(1..)?.find('@')? + 1;
    Some((d.get(..at)?, d.get(at + 1..)?))
}
