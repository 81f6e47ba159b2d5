//! A light pass over YAML text that guesses the key path at a line, for
//! errors raised before a tree exists (syntax errors, duplicate keys). It
//! understands block mappings and `- ` list items, which is how config files
//! are written; for anything else it returns what it could find.
//!
//! Invariant: total and linear in the text before `line`; it only reads.

/// The key path (`rollout.gate.soak`, `rollout.tiers[].name`) of `line` (1-based).
pub(crate) fn path_at(text: &str, line: u32) -> String {
    let Some(idx) = usize::try_from(line).ok().and_then(|l| l.checked_sub(1)) else {
        return String::new();
    };
    let lines: Vec<&str> = text.lines().take(idx.saturating_add(1)).collect();
    let Some(current) = lines.get(idx) else {
        return String::new();
    };
    // Segments from the innermost outwards; `true` marks "inside a list item".
    let mut parts: Vec<(String, bool)> = Vec::new();
    let cur = shape(current);
    let mut indent = cur.dash.unwrap_or(cur.key_col);
    if let Some(k) = cur.key {
        parts.push((k, cur.dash.is_some()));
    }
    for l in lines.iter().take(idx).rev() {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') || indent == 0 {
            continue;
        }
        let sh = shape(l);
        if let Some(k) = sh.key.filter(|_| sh.key_col < indent) {
            parts.push((k, sh.dash.is_some()));
            indent = sh.dash.unwrap_or(sh.key_col);
        } else if let Some(d) = sh.dash.filter(|d| *d < indent) {
            if let Some(last) = parts.last_mut() {
                last.1 = true;
            }
            indent = d;
        }
    }
    // Outermost first; a key inside a list item follows `[]`.
    let mut rendered = String::new();
    for (key, item) in parts.iter().rev() {
        if !rendered.is_empty() || *item {
            rendered.push_str(if *item { "[]." } else { "." });
        }
        rendered.push_str(key);
    }
    rendered.trim_start_matches('.').to_owned()
}

struct Shape {
    /// Column of the innermost `- ` marker, if the line starts a list item.
    dash: Option<usize>,
    /// Column of the key (or of the content).
    key_col: usize,
    key: Option<String>,
}

fn shape(line: &str) -> Shape {
    let mut col = line.len() - line.trim_start_matches(' ').len();
    let mut rest = line.trim_start_matches(' ');
    let mut dash = None;
    while let Some(r) = rest
        .strip_prefix("- ")
        .or_else(|| (rest == "-").then_some(""))
    {
        dash = Some(col);
        let r2 = r.trim_start_matches(' ');
        col += rest.len() - r2.len();
        rest = r2;
    }
    let colon = rest
        .find(": ")
        .or_else(|| rest.strip_suffix(':').map(str::len));
    let key = colon
        .and_then(|c| rest.get(..c))
        .map(|k| k.trim().trim_matches(['"', '\'']))
        .filter(|k| !k.is_empty() && !k.contains(['{', '[', '#']))
        .map(str::to_owned);
    Shape {
        dash,
        key_col: col,
        key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let text = "library:\n  repository: x\nrollout:\n  gate:\n    # c\n    soak: 1h\n  tiers:\n    - name: a\n      repos: [x]\n";
        for (line, want) in [
            (1, "library"),
            (2, "library.repository"),
            (6, "rollout.gate.soak"),
            (8, "rollout.tiers[].name"),
            (9, "rollout.tiers[].repos"),
            (99, ""),
            (0, ""),
        ] {
            assert_eq!(path_at(text, line), want, "line {line}");
        }
    }
}
