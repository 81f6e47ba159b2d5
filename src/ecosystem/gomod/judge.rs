//! Go's verdict on a requirement: `require M vX` is a minimum (no ranges),
//! so it admits a release only when it already names that release or a
//! later one. Moving across v1 -> v2+ changes the module path (`/vN`).
//!
//! Invariant: `plan_move` is the single source of the new path and version,
//! shared by judge, rewrite and lock refresh.

use std::cmp::Ordering;

use super::find::FORK_SECTION;
use super::{module, semver};
use crate::ecosystem::{Classification, Judgement, Requirement};

/// Where a requirement moves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    /// The module path after the move (`/vN` added or changed on a major).
    pub path: String,
    pub version: String,
    /// Does the module path change?
    pub major: bool,
}

/// The move of module `key` at `current` to release `to`. A `+incompatible`
/// requirement (a library without go.mod) stays incompatible.
pub fn plan_move(key: &str, current: &str, to: &::semver::Version) -> Move {
    let mut version = semver::from_semver(to);
    if let Some((prefix, major)) = module::gopkg_major(key) {
        // gopkg.in: the major is `.vN` for every N, v0 and v1 included.
        return Move {
            path: if major == to.major {
                key.to_string()
            } else {
                format!("{prefix}.v{}", to.major)
            },
            version,
            major: major != to.major,
        };
    }
    let (prefix, _, _) = module::split_path_version(key);
    let current_major = module::path_major_number(key);
    let incompatible = semver::build(current) == "+incompatible" && current_major.is_none();
    if incompatible && to.major >= 2 {
        version.push_str("+incompatible");
        return Move {
            path: key.to_string(),
            version,
            major: false,
        };
    }
    let target_major = (to.major >= 2).then_some(to.major);
    if target_major == current_major {
        return Move {
            path: key.to_string(),
            version,
            major: false,
        };
    }
    let path = match target_major {
        Some(n) => format!("{prefix}/v{n}"),
        None => prefix.to_string(),
    };
    Move {
        path,
        version,
        major: true,
    }
}

/// Judge `req` against `to`, with the version go.sum records if any.
pub fn judge(req: &Requirement, to: &::semver::Version, locked: Option<&str>) -> Judgement {
    let to_go = semver::from_semver(to);
    let current = req.requirement.as_str();
    let admits = semver::is_valid(current) && semver::compare(current, &to_go) != Ordering::Less;
    let locked_ok =
        locked.is_some_and(|l| semver::is_valid(l) && semver::compare(l, &to_go) != Ordering::Less);
    if admits || locked_ok {
        return Judgement {
            admits,
            classification: Classification::UpToDate,
            new_requirement: None,
            unrewritable: None,
        };
    }
    let mv = plan_move(&req.key, current, to);
    let classification = if mv.major {
        Classification::Major
    } else {
        Classification::Rewrite
    };
    let unrewritable = if req.section == FORK_SECTION {
        Some(format!(
            "the library is replaced by {} {current}, another module: its versions are not the library's",
            req.key
        ))
    } else if !semver::is_valid(current) {
        Some(format!("{current:?} is not a Go module version"))
    } else if req.span.is_none() {
        Some("the version is written with escapes: edit it by hand".to_string())
    } else {
        None
    };
    Judgement {
        admits,
        classification,
        new_requirement: unrewritable.is_none().then_some(mv.version),
        unrewritable,
    }
}
