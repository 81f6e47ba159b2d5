//! TEMPORARY: minimal PR title/body/commit message until
//! `crate::render::pr::render_pr` (gitpush branch) lands on main; replace
//! every caller then.
//!
//! Invariant: deterministic text from the policy's templates; no release
//! notes quoted (so nothing to neutralise yet).

use super::policy::{RolloutPolicy, fill};
use crate::store::{RolloutRecord, TargetRecord};

/// Title, body and commit message of the PR of one repository.
pub struct PrText {
    pub title: String,
    pub body: String,
    pub commit_message: String,
}

pub fn pr_text(
    rollout: &RolloutRecord,
    policy: &RolloutPolicy,
    targets: &[&TargetRecord],
) -> PrText {
    let library = rollout
        .library
        .rsplit('/')
        .next()
        .unwrap_or(&rollout.library);
    let from = targets.first().map_or("", |t| t.from_requirement.as_str());
    let mut body = format!(
        "This PR moves `{library}` to {} (wavebump rollout {}, wave {}).\n\n",
        rollout.to_version,
        rollout.id,
        targets.first().map_or(0, |t| t.wave)
    );
    for t in targets {
        body.push_str(&format!(
            "- `{}` ({}): `{}` -> `{}`\n",
            t.manifest_path,
            t.ecosystem,
            t.from_requirement,
            t.to_requirement.as_deref().unwrap_or("(lockfile only)")
        ));
    }
    PrText {
        title: fill(&policy.pr.title, library, &rollout.to_version, from),
        body,
        commit_message: fill(
            &policy.pr.commit_message,
            library,
            &rollout.to_version,
            from,
        ),
    }
}
