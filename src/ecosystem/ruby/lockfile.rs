//! `Gemfile.lock` / `gems.locked`: the version a `specs:` entry pins.
//!
//! Invariant: only the four-space-indented `name (version)` lines under
//! `specs:` of a `GEM`, `GIT` or `PATH` section are read; a line there that
//! is not of that form (or a merge-conflict marker anywhere) is an error with
//! its line number.

/// The lockfile that belongs to a manifest path (`dir/Gemfile` ->
/// `dir/Gemfile.lock`, `dir/gems.rb` -> `dir/gems.locked`, a gemspec -> the
/// Gemfile.lock beside it): every candidate, in order of preference.
pub fn candidates(manifest: &str) -> Vec<String> {
    let (dir, file) = match manifest.rfind('/') {
        Some(i) => (&manifest[..=i], &manifest[i + 1..]),
        None => ("", manifest),
    };
    match file {
        "gems.rb" => vec![format!("{dir}gems.locked")],
        "Gemfile" => vec![format!("{dir}Gemfile.lock")],
        _ => vec![format!("{dir}Gemfile.lock"), format!("{dir}gems.locked")],
    }
}

/// The version `name` is locked at; `Err((line, message))` when malformed.
pub fn locked_version(text: &str, name: &str) -> Result<Option<String>, (u32, String)> {
    let mut in_source = false;
    let mut in_specs = false;
    let mut found = None;
    // A malformed spec line hides nothing when the gem is found elsewhere.
    let mut malformed = None;
    for (n, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let line = raw.trim_end_matches('\r');
        if line.starts_with("<<<<<<<") || line.starts_with(">>>>>>>") || line == "=======" {
            return Err((
                line_no,
                "merge conflict marker: expected a resolved lockfile".into(),
            ));
        }
        if line.is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            in_source = matches!(line, "GEM" | "GIT" | "PATH");
            in_specs = false;
            continue;
        }
        if !in_source {
            continue;
        }
        if let Some(rest) = line.strip_prefix("  ")
            && !rest.starts_with(' ')
        {
            in_specs = rest == "specs:";
            continue;
        }
        if !in_specs {
            continue;
        }
        let Some(entry) = line.strip_prefix("    ") else {
            continue;
        };
        if entry.starts_with(' ') {
            continue; // a dependency of the spec above
        }
        let Some((spec_name, version)) = parse_entry(entry) else {
            malformed = malformed.or(Some((
                line_no,
                format!("expected a spec line like `    name (1.2.3)`, found {entry:?}"),
            )));
            continue;
        };
        if spec_name == name && found.is_none() {
            found = Some(version.to_string());
        }
    }
    match (found, malformed) {
        (Some(v), _) => Ok(Some(v)),
        (None, Some(e)) => Err(e),
        (None, None) => Ok(None),
    }
}

/// `name (version[-platform])` -> (name, version).
fn parse_entry(entry: &str) -> Option<(&str, &str)> {
    let (name, rest) = entry.split_once(" (")?;
    let inner = rest.strip_suffix(')')?;
    let version = inner.split('-').next().unwrap_or(inner);
    if name.is_empty() || name.contains(' ') || version.is_empty() {
        return None;
    }
    Some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "GIT\n  remote: https://github.com/acme/x.git\n  revision: abc\n  specs:\n    x (0.1.0)\n      core-utils (~> 1.4)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    core-utils-extra (9.0.0)\n    core-utils (1.4.2-x86_64-linux)\n    rake (13.0.6)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  core-utils (~> 1.4)\n";

    #[test]
    fn finds_the_exact_name() {
        assert_eq!(
            locked_version(LOCK, "core-utils").unwrap().as_deref(),
            Some("1.4.2")
        );
        assert_eq!(locked_version(LOCK, "core_utils").unwrap(), None);
        assert_eq!(
            locked_version(&LOCK.replace('\n', "\r\n"), "rake")
                .unwrap()
                .as_deref(),
            Some("13.0.6")
        );
    }

    #[test]
    fn malformed_lines_are_errors_only_when_they_hide_the_gem() {
        let bad = LOCK.replace("    rake (13.0.6)", "    rake 13.0.6");
        // The library is found on a good line: the bad one hides nothing.
        assert_eq!(
            locked_version(&bad, "core-utils").unwrap().as_deref(),
            Some("1.4.2")
        );
        // Not found: the malformed line might have been it, so it is named.
        assert_eq!(locked_version(&bad, "rake").unwrap_err().0, 13);
        let conflict = format!("{LOCK}<<<<<<< HEAD\n");
        assert!(locked_version(&conflict, "core-utils").is_err());
    }

    #[test]
    fn candidates_by_manifest() {
        assert_eq!(candidates("a/Gemfile"), ["a/Gemfile.lock"]);
        assert_eq!(candidates("gems.rb"), ["gems.locked"]);
        assert_eq!(candidates("x.gemspec"), ["Gemfile.lock", "gems.locked"]);
    }
}
