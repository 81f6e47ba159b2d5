//! Errors: unknown repositories in policy entries (with a suggestion) and
//! invalid policy values, as a table of exact messages.

use wavebump::plan::{PlanError, Policy, Tier, WaveSizes, plan};

use super::{input, strings};

#[test]
fn error_table() {
    let org = input(
        &["billing-lib", "billing-service", "auth-service"],
        &["core-utils"],
        &[
            ("billing-lib", "core-utils"),
            ("billing-service", "billing-lib"),
            ("reporting", "billing-lib"),
        ],
    );
    let cases: Vec<(&str, Policy, &str)> = vec![
        (
            "misspelt canary",
            Policy {
                canaries: strings(&["auth-service", "biling-lib"]),
                ..Policy::default()
            },
            "policy entry canaries[1] names repository `biling-lib`, which does not exist; did you mean `billing-lib`?",
        ),
        (
            "unknown canary, nothing close",
            Policy {
                canaries: strings(&["payments"]),
                ..Policy::default()
            },
            "policy entry canaries[0] names repository `payments`, which does not exist",
        ),
        (
            "lockstep member",
            Policy {
                lockstep: vec![strings(&["auth-service", "user-service"])],
                ..Policy::default()
            },
            "policy entry lockstep[0][1] names repository `user-service`, which does not exist; did you mean `auth-service`?",
        ),
        (
            "literal tier pattern",
            Policy {
                tiers: vec![Tier {
                    name: "payments".into(),
                    patterns: strings(&["pay-*", "Biling-Service"]),
                }],
                ..Policy::default()
            },
            "policy entry tiers[0] `payments` patterns[1] names repository `Biling-Service`, which does not exist; did you mean `billing-service`?",
        ),
        (
            "malformed tier glob",
            Policy {
                tiers: vec![Tier {
                    name: "payments".into(),
                    patterns: strings(&["pay-[0-9"]),
                }],
                ..Policy::default()
            },
            "invalid policy: tiers[0] `payments` patterns[0]: expected a repository glob such as `billing-*`, `acme/*` or `*-service` (with balanced `[...]`), got `pay-[0-9`",
        ),
        (
            "zero count",
            Policy {
                wave_sizes: WaveSizes::Counts(vec![1, 0]),
                ..Policy::default()
            },
            "invalid policy: wave_sizes[1]: expected a count of at least 1, got 0",
        ),
        (
            "percent not increasing",
            Policy {
                wave_sizes: WaveSizes::CumulativePercent(vec![10.0, 50.0, 40.0]),
                ..Policy::default()
            },
            "invalid policy: wave_sizes[2]: expected a cumulative percentage above the previous one (50), got 40",
        ),
        (
            "percent above 100",
            Policy {
                wave_sizes: WaveSizes::CumulativePercent(vec![10.0, 120.0]),
                ..Policy::default()
            },
            "invalid policy: wave_sizes[1]: expected a percentage above 0 and at most 100, got 120",
        ),
        (
            "zero max",
            Policy {
                max_wave_size: Some(0),
                ..Policy::default()
            },
            "invalid policy: max_wave_size: expected at least 1, got 0",
        ),
    ];
    for (what, policy, want) in cases {
        let err = plan(&org, &policy).expect_err(what);
        assert_eq!(err.to_string(), want, "{what}");
    }
}

#[test]
fn unknown_repo_error_is_structured() {
    let org = input(&["billing-lib"], &[], &[]);
    let policy = Policy {
        canaries: strings(&["biling-lib"]),
        ..Policy::default()
    };
    assert_eq!(
        plan(&org, &policy),
        Err(PlanError::UnknownRepo {
            entry: "canaries[0]".into(),
            name: "biling-lib".into(),
            suggestion: Some("billing-lib".into()),
        })
    );
}

/// Repositories known only through an edge exist; globs may match nothing.
#[test]
fn known_through_edges_and_empty_globs_are_fine() {
    let org = input(
        &["billing-service"],
        &[],
        &[
            ("billing-service", "billing-lib"),
            ("reporting", "billing-lib"),
        ],
    );
    let policy = Policy {
        canaries: strings(&["reporting"]),
        lockstep: vec![strings(&["billing-lib", "billing-service"])],
        tiers: vec![Tier {
            name: "payments".into(),
            patterns: strings(&["payments-*"]),
        }],
        ..Policy::default()
    };
    let p = plan(&org, &policy).unwrap();
    assert_eq!(p.wave_of("billing-service"), Some(0));
    assert_eq!(
        p.warnings,
        [
            "canary `reporting` needs no PR: ignored",
            "lockstep member `billing-lib` needs no PR: left out of its group",
        ]
    );
}

/// Policy entries name repositories as GitHub does: case ignored, owner
/// optional; a name that fits several repositories is refused.
#[test]
fn entries_name_repositories_ignoring_case_and_owner() {
    let org = input(&["acme/billing-lib", "acme/Web", "other/web"], &[], &[]);
    let policy = Policy {
        canaries: strings(&["Billing-Lib"]),
        lockstep: vec![strings(&["ACME/web", "billing-lib"])],
        ..Policy::default()
    };
    let p = plan(&org, &policy).unwrap();
    assert_eq!(p.wave_of("acme/billing-lib"), Some(0));
    assert_eq!(p.wave_of("acme/Web"), Some(0));
    let ambiguous = Policy {
        canaries: strings(&["web"]),
        ..Policy::default()
    };
    let err = plan(&org, &ambiguous).unwrap_err();
    assert_eq!(
        err.to_string(),
        "policy entry canaries[0] names `web`, which fits several repositories (`acme/Web`, `other/web`); write it as owner/name"
    );
}
