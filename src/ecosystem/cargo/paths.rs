//! Repository-relative, `/`-separated paths: directories, joins and the
//! chain of ancestors a workspace root or lockfile is looked for in.
//!
//! Invariant: every path produced stays inside the repository (no leading
//! `/`, no `..` left after normalisation); a path that would leave it is
//! `None`.

/// The directory of a file (`""` for the repository root).
pub fn dir_of(path: &str) -> &str {
    path.rfind('/').and_then(|i| path.get(..i)).unwrap_or("")
}

/// `dir/file`, or `file` at the root.
pub fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_string()
    } else {
        format!("{dir}/{file}")
    }
}

/// `dir` and each of its ancestors up to the root (`""`), nearest first.
pub fn ancestors(dir: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(dir);
    std::iter::from_fn(move || {
        let current = next?;
        next = if current.is_empty() {
            None
        } else {
            Some(dir_of(current))
        };
        Some(current)
    })
}

/// `rel` (which may hold `.` and `..`) resolved against `dir`; `None` when
/// it leaves the repository or is absolute.
pub fn resolve(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') || rel.contains('\\') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_end_at_the_root() {
        assert_eq!(ancestors("a/b").collect::<Vec<_>>(), ["a/b", "a", ""]);
        assert_eq!(ancestors("").collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn resolve_stays_inside() {
        assert_eq!(resolve("a/b", "../..").as_deref(), Some(""));
        assert_eq!(resolve("a/b", "./c").as_deref(), Some("a/b/c"));
        assert_eq!(resolve("a", "../.."), None);
        assert_eq!(resolve("a", "/etc"), None);
        assert_eq!(dir_of("Cargo.toml"), "");
        assert_eq!(join("", "Cargo.lock"), "Cargo.lock");
    }
}
