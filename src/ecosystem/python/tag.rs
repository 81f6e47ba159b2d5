//! Git tags that name a version: `v1.4.0`, `1.4.0`, `core-utils-v1.4.0`.
//!
//! Invariant: a tag splits into a prefix and a PEP 440 version suffix; the
//! new tag keeps the prefix and the number of release components.

use super::version::Version;

/// `(prefix, version, release components as written)`.
pub fn split(tag: &str) -> Option<(&str, Version, usize)> {
    let bytes = tag.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let starts_number = b.is_ascii_digit()
            && (i == 0 || !bytes.get(i - 1).is_some_and(u8::is_ascii_alphanumeric) || {
                // `v1.4.0`: a `v` that itself starts a word.
                matches!(bytes.get(i - 1), Some(b'v' | b'V'))
                    && (i == 1 || !bytes.get(i - 2).is_some_and(u8::is_ascii_alphanumeric))
            });
        if !starts_number {
            continue;
        }
        let rest = tag.get(i..)?;
        if let Some(v) = Version::parse(rest) {
            if v.local.is_some() {
                return None;
            }
            let written = v.release.len();
            return Some((tag.get(..i)?, v, written));
        }
        return None;
    }
    None
}

/// The tag for `to` in the style of `old`, or `None` when `old` names no
/// version.
pub fn retag(old: &str, to: &Version) -> Option<String> {
    let (prefix, _, written) = split(old)?;
    Some(format!(
        "{prefix}{}",
        super::judge::format_full(to, written)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retags_in_the_same_style() {
        let to = Version::parse("2.0.3").expect("v");
        for (old, new) in [
            ("v1.4.0", Some("v2.0.3")),
            ("1.4.0", Some("2.0.3")),
            ("core-utils-v1.4.0", Some("core-utils-v2.0.3")),
            ("release/1.4", Some("release/2.0.3")),
            ("main", None),
            ("py3-compat", None),
        ] {
            assert_eq!(retag(old, &to).as_deref(), new, "{old}");
        }
    }
}
