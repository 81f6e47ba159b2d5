//! The validation pass after deserialising: everything the types alone cannot
//! say (ranges, consistent wave kinds, unique names, valid globs, templates,
//! URLs). Each check names the key path; the position comes from the node
//! tree, or from the nearest enclosing key when the value is a default.
//!
//! Invariant: `validate` only reads; the first problem found (in file order
//! of sections) is returned.

use std::collections::BTreeSet;

mod integrations;

use crate::config::error::{ConfigError, ConfigErrorKind, one_of};
use crate::config::node::{Node, Seg, path_string};
use crate::config::schema::{Config, RolloutConfig};
use crate::config::values::{FailureBudget, WaveSize};
use crate::names::{GLOB_EXPECTED, Glob, RepoName};

pub(super) type Check = Result<(), ConfigError>;

pub(super) struct Ctx<'a> {
    root: &'a Node,
    origin: &'a str,
}

impl Ctx<'_> {
    pub(super) fn err(&self, path: &[Seg<'_>], message: impl Into<String>) -> ConfigError {
        let pos = self.root.nearest_pos(path);
        ConfigError {
            origin: self.origin.to_owned(),
            line: pos.line,
            column: pos.column,
            path: path_string(path),
            kind: ConfigErrorKind::InvalidValue,
            message: message.into(),
        }
    }

    pub(super) fn fail(&self, path: &[Seg<'_>], message: impl Into<String>) -> Check {
        Err(self.err(path, message))
    }
}

pub(super) use Seg::{Index as I, Key as K};

/// Checks a deserialised config against the rules the types cannot express.
pub(crate) fn validate(config: &Config, root: &Node, origin: &str) -> Check {
    let cx = Ctx { root, origin };
    library(&cx, config)?;
    repositories(&cx, config)?;
    rollout(&cx, &config.rollout)?;
    integrations::pull_requests(&cx, &config.pull_requests)?;
    integrations::github(&cx, &config.github)?;
    integrations::server(&cx, &config.server)?;
    Ok(())
}

pub(super) fn found(s: &str) -> String {
    format!("`{}`", super::node::shorten(s))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn valid_owner_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((o, n)) => {
            !o.is_empty()
                && !n.is_empty()
                && o.chars().all(is_name_char)
                && n.chars().all(is_name_char)
        }
        None => false,
    }
}

fn valid_repo_ref(s: &str) -> bool {
    match s.split_once('/') {
        Some(_) => valid_owner_name(s),
        None => !s.is_empty() && s.chars().all(is_name_char),
    }
}

const REPO_EXPECTED: &str = "a repository name such as `billing-lib` or `acme/billing-lib`";

fn library(cx: &Ctx<'_>, c: &Config) -> Check {
    let lib = &c.library;
    if !valid_owner_name(&lib.repository) {
        return cx.fail(
            &[K("library"), K("repository")],
            format!(
                "expected `owner/name` such as `acme/core-utils`, found {}",
                found(&lib.repository)
            ),
        );
    }
    let p = &lib.packages;
    let named = [
        ("cargo", &p.cargo),
        ("npm", &p.npm),
        ("go", &p.go),
        ("python", &p.python),
        ("ruby", &p.ruby),
    ];
    if named.iter().all(|(_, v)| v.is_none()) {
        return cx.fail(
            &[K("library"), K("packages")],
            format!(
                "expected the library's package name for at least one of {}, found none",
                one_of(&["cargo", "npm", "go", "python", "ruby"])
            ),
        );
    }
    for (eco, name) in named {
        let Some(name) = name else { continue };
        let path = [K("library"), K("packages"), K(eco)];
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return cx.fail(
                &path,
                format!(
                    "expected a package name without spaces, found {}",
                    found(name)
                ),
            );
        }
        if eco == "npm" && name.starts_with('@') && !name.contains('/') {
            return cx.fail(
                &path,
                format!(
                    "expected a scoped name such as `@acme/core-utils`, found {}",
                    found(name)
                ),
            );
        }
        if eco == "go" && major_suffix(name) {
            return cx.fail(
                &path,
                format!(
                    "expected the module path without its `/vN` major suffix, found {}",
                    found(name)
                ),
            );
        }
    }
    let pattern = &lib.tag_pattern;
    let placeholders = placeholders(pattern);
    if placeholders.as_deref() != Some(&["version"][..]) {
        return cx.fail(
            &[K("library"), K("tag_pattern")],
            format!(
                "expected a tag pattern with `{{version}}` once and no other placeholder, such as `v{{version}}`, found {}",
                found(pattern)
            ),
        );
    }
    Ok(())
}

fn major_suffix(module: &str) -> bool {
    module
        .rsplit('/')
        .next()
        .and_then(|last| last.strip_prefix('v'))
        .and_then(|n| n.parse::<u64>().ok())
        .is_some_and(|n| n >= 2)
}

/// The `{name}` placeholders of a template, in order; `None` if braces are unbalanced.
pub(super) fn placeholders(template: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        let after = rest.get(open + 1..)?;
        if rest.get(open..open + 1) == Some("}") {
            return None;
        }
        let close = after.find('}')?;
        let name = after.get(..close)?;
        if name.contains('{') {
            return None;
        }
        out.push(name);
        rest = after.get(close + 1..)?;
    }
    Some(out)
}

fn globs(cx: &Ctx<'_>, list: &[String], path: &[Seg<'_>]) -> Check {
    for (i, g) in list.iter().enumerate() {
        if Glob::new(g).is_none() {
            let mut p = path.to_vec();
            p.push(I(i));
            return cx.fail(&p, format!("expected {GLOB_EXPECTED}, found {}", found(g)));
        }
    }
    Ok(())
}

fn repositories(cx: &Ctx<'_>, c: &Config) -> Check {
    let r = &c.repositories;
    if r.include.is_empty() {
        return cx.fail(
            &[K("repositories"), K("include")],
            "expected at least one glob (`\"*\"` for all repositories), found an empty list",
        );
    }
    globs(cx, &r.include, &[K("repositories"), K("include")])?;
    globs(cx, &r.exclude, &[K("repositories"), K("exclude")])
}

fn repo_list(cx: &Ctx<'_>, list: &[String], path: &[Seg<'_>]) -> Check {
    let mut seen = BTreeSet::new();
    for (i, name) in list.iter().enumerate() {
        let mut p = path.to_vec();
        p.push(I(i));
        if !valid_repo_ref(name) {
            return cx.fail(
                &p,
                format!("expected {REPO_EXPECTED}, found {}", found(name)),
            );
        }
        if !seen.insert(RepoName::new(name.as_str())) {
            return cx.fail(
                &p,
                format!("expected each repository once, found {} again", found(name)),
            );
        }
    }
    Ok(())
}

fn rollout(cx: &Ctx<'_>, r: &RolloutConfig) -> Check {
    repo_list(cx, &r.canaries, &[K("rollout"), K("canaries")])?;
    waves(cx, &r.waves)?;
    if r.max_wave_size == 0 {
        return cx.fail(
            &[K("rollout"), K("max_wave_size")],
            "expected a whole number of at least 1, found `0`",
        );
    }
    let mut names = BTreeSet::new();
    for (i, tier) in r.tiers.iter().enumerate() {
        let base = [K("rollout"), K("tiers"), I(i)];
        if tier.name.trim().is_empty() {
            return cx.fail(
                &[K("rollout"), K("tiers"), I(i), K("name")],
                "expected a tier name, found an empty string",
            );
        }
        if !names.insert(tier.name.as_str()) {
            return cx.fail(
                &[K("rollout"), K("tiers"), I(i), K("name")],
                format!(
                    "expected unique tier names, found {} twice",
                    found(&tier.name)
                ),
            );
        }
        if tier.repos.is_empty() {
            return cx.fail(
                &[K("rollout"), K("tiers"), I(i), K("repos")],
                "expected at least one repository glob, found an empty list",
            );
        }
        let mut p = base.to_vec();
        p.push(K("repos"));
        globs(cx, &tier.repos, &p)?;
    }
    globs(cx, &r.critical, &[K("rollout"), K("critical")])?;
    if !r.critical.is_empty() && names.contains("critical") {
        return cx.fail(
            &[K("rollout"), K("critical")],
            "expected either a tier named `critical` or the `critical` list, found both",
        );
    }
    let mut grouped = BTreeSet::new();
    for (g, group) in r.lockstep.iter().enumerate() {
        let path = [K("rollout"), K("lockstep"), I(g)];
        if group.len() < 2 {
            return cx.fail(
                &path,
                format!(
                    "expected a group of at least 2 repositories, found {}",
                    group.len()
                ),
            );
        }
        repo_list(cx, group, &path)?;
        for (i, name) in group.iter().enumerate() {
            if !grouped.insert(RepoName::new(name.as_str())) {
                return cx.fail(
                    &[K("rollout"), K("lockstep"), I(g), I(i)],
                    format!(
                        "expected each repository in one lockstep group, found {} in two",
                        found(name)
                    ),
                );
            }
        }
    }
    let gate = &r.gate;
    let ratio = gate.success_ratio;
    if !(0.0..=1.0).contains(&ratio) {
        return cx.fail(
            &[K("rollout"), K("gate"), K("success_ratio")],
            format!("expected a number from 0 to 1 (e.g. 0.9), found `{ratio}`"),
        );
    }
    if let FailureBudget::Percent(p) = gate.failure_budget
        && !(0.0..=100.0).contains(&p)
    {
        return cx.fail(
            &[K("rollout"), K("gate"), K("failure_budget")],
            format!("expected a percentage from 0% to 100%, found `{p}%`"),
        );
    }
    Ok(())
}

fn waves(cx: &Ctx<'_>, waves: &[WaveSize]) -> Check {
    let Some(first) = waves.first() else {
        return cx.fail(
            &[K("rollout"), K("waves")],
            "expected at least one wave size, such as `[1, 5, 10]` or `[\"5%\", \"25%\", \"100%\"]`, found an empty list",
        );
    };
    let mut previous = 0.0_f64;
    for (i, w) in waves.iter().enumerate() {
        let path = [K("rollout"), K("waves"), I(i)];
        match (first, w) {
            (WaveSize::Count(_), WaveSize::Percent(p)) => {
                return cx.fail(
                    &path,
                    format!("expected a count like the first wave size (all counts or all percentages), found `{p}%`"),
                );
            }
            (WaveSize::Percent(_), WaveSize::Count(n)) => {
                return cx.fail(
                    &path,
                    format!("expected a percentage like the first wave size (all counts or all percentages), found `{n}`"),
                );
            }
            (_, WaveSize::Count(0)) => {
                return cx.fail(&path, "expected a count of at least 1, found `0`");
            }
            (_, WaveSize::Percent(p)) => {
                if !(*p > 0.0 && *p <= 100.0) {
                    return cx.fail(
                        &path,
                        format!("expected a percentage above 0% and at most 100%, found `{p}%`"),
                    );
                }
                if *p <= previous {
                    return cx.fail(
                        &path,
                        format!("expected cumulative percentages that grow, found `{p}%` after `{previous}%`"),
                    );
                }
                previous = *p;
            }
            _ => {}
        }
    }
    if let Some(WaveSize::Percent(last)) = waves.last()
        && *last < 100.0
    {
        let path = [K("rollout"), K("waves"), I(waves.len().saturating_sub(1))];
        return cx.fail(
            &path,
            format!("expected the last cumulative percentage to be `100%`, found `{last}%`"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_parsing() {
        assert_eq!(placeholders("v{version}"), Some(vec!["version"]));
        assert_eq!(placeholders("{a}-{b}"), Some(vec!["a", "b"]));
        assert_eq!(placeholders("plain"), Some(vec![]));
        assert_eq!(placeholders("{a"), None);
        assert_eq!(placeholders("a}"), None);
        assert_eq!(placeholders("{{a}}"), None);
    }
}
