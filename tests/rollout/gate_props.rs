//! Properties of the gate (pure): a halted or paused rollout never
//! advances, completion only when every target is settled, halt exactly when
//! the budget is spent, no advance below the ratio or before the soak ends,
//! never an advance while a library target's release is awaited (the
//! cascade), which changes nothing else; failures clustering in one wave
//! (same check name or same first error line in two or more repositories)
//! halt as a suspected library regression, a lone failure within the
//! budget does not.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use proptest::prelude::*;
use wavebump::rollout::gate::{budget_exceeded, is_settled};
use wavebump::rollout::{
    AwaitedRelease, Counts, FailedCheck, FailureBudget, GateDecision, GatePolicy, GateSnapshot,
    OnDeclined, Require, RolloutState, TargetFailure, TargetState, Timestamp, WaitReason,
    evaluate_gate, failure_clusters,
};

fn target_state() -> impl Strategy<Value = TargetState> {
    prop_oneof![
        Just(TargetState::Pending),
        Just(TargetState::PrOpen),
        Just(TargetState::CiPending),
        Just(TargetState::CiPassed),
        Just(TargetState::CiFailed),
        Just(TargetState::Merged),
        Just(TargetState::Closed),
        Just(TargetState::Skipped),
        Just(TargetState::Superseded),
        (0u32..4).prop_map(TargetState::Error),
    ]
}

fn policy() -> impl Strategy<Value = GatePolicy> {
    (
        0.0f64..=1.0,
        0u64..7200,
        prop_oneof![Just(Require::CiPassed), Just(Require::Merged)],
        prop_oneof![
            (0u32..6).prop_map(FailureBudget::Count),
            (0.0f64..50.0).prop_map(FailureBudget::Percent)
        ],
        any::<bool>(),
        prop_oneof![Just(OnDeclined::Fail), Just(OnDeclined::Skip)],
    )
        .prop_map(
            |(success_ratio, soak, require, failure_budget, automerge, on_declined)| GatePolicy {
                success_ratio,
                soak: Duration::from_secs(soak),
                require,
                failure_budget,
                automerge,
                on_declined,
            },
        )
}

#[derive(Debug, Clone)]
struct Case {
    state: RolloutState,
    wave: Vec<TargetState>,
    others: Vec<TargetState>,
    last: bool,
    met_since: Option<i64>,
    now: i64,
    awaiting: Vec<AwaitedRelease>,
    failures: Vec<TargetFailure>,
}

fn failed_check() -> impl Strategy<Value = FailedCheck> {
    (
        proptest::sample::select(vec!["test", "build", "ci/lint"]),
        proptest::sample::select(vec![
            None,
            Some("error[E0425]: cannot find `parse`"),
            Some("  undefined: coreutils.Parse  "),
            Some("\n  undefined: coreutils.Parse\nat main.go:3"),
            Some(""),
        ]),
    )
        .prop_map(|(name, first_error)| FailedCheck {
            name: name.to_owned(),
            first_error: first_error.map(str::to_owned),
        })
}

fn failure() -> impl Strategy<Value = TargetFailure> {
    (
        0u32..3,
        proptest::sample::select(vec!["svc-a", "svc-b", "svc-c", "acme/svc-d", "lib-e"]),
        proptest::collection::vec(failed_check(), 0..3),
    )
        .prop_map(|(wave, repo, checks)| TargetFailure {
            wave,
            repo: repo.to_owned(),
            checks,
        })
}

/// The clustering rule as a plain oracle: per wave, per check name and per
/// (trimmed, non-empty) first error line, the distinct repositories.
fn shared_failures(failures: &[TargetFailure]) -> BTreeMap<(u32, String), BTreeSet<String>> {
    let mut groups: BTreeMap<(u32, String), BTreeSet<String>> = BTreeMap::new();
    for f in failures {
        for c in &f.checks {
            groups
                .entry((f.wave, format!("check {}", c.name)))
                .or_default()
                .insert(f.repo.clone());
            // The first non-blank line, trimmed.
            let first = c
                .first_error
                .as_deref()
                .and_then(|e| e.lines().map(str::trim).find(|l| !l.is_empty()));
            if let Some(e) = first {
                groups
                    .entry((f.wave, format!("error {e}")))
                    .or_default()
                    .insert(f.repo.clone());
            }
        }
    }
    groups
}

fn awaited() -> impl Strategy<Value = AwaitedRelease> {
    (
        proptest::sample::select(vec!["billing-lib", "auth-lib", "a/b"]),
        any::<bool>(),
    )
        .prop_map(|(repo, merged)| AwaitedRelease {
            repo: repo.to_owned(),
            library: "core-utils".to_owned(),
            version: "2.0.0".to_owned(),
            merged,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::sample::select(RolloutState::ALL.to_vec()),
        proptest::collection::vec(target_state(), 0..30),
        proptest::collection::vec(target_state(), 0..30),
        any::<bool>(),
        proptest::option::of(0i64..10_000_000),
        0i64..10_000_000,
        proptest::collection::vec(awaited(), 0..3),
        proptest::collection::vec(failure(), 0..4),
    )
        .prop_map(
            |(state, wave, others, last, met_since, now, awaiting, failures)| Case {
                state,
                wave,
                others,
                last,
                met_since,
                now,
                awaiting,
                failures,
            },
        )
}

fn snapshot(c: &Case, p: &GatePolicy) -> GateSnapshot {
    GateSnapshot {
        state: c.state,
        wave: 0,
        last_wave: c.last,
        wave_counts: Counts::of(c.wave.iter().copied(), p),
        rollout_counts: Counts::of(c.wave.iter().chain(&c.others).copied(), p),
        met_since: c.met_since.map(Timestamp),
        awaiting: c.awaiting.clone(),
        failures: c.failures.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn gate_properties(c in case(), p in policy()) {
        let s = snapshot(&c, &p);
        let d = evaluate_gate(&s, &p, Timestamp(c.now));
        // Deterministic.
        prop_assert_eq!(&d, &evaluate_gate(&s, &p, Timestamp(c.now)));
        if c.state != RolloutState::Running {
            prop_assert!(matches!(d, GateDecision::Wait { reason: WaitReason::NotRunning(_), .. }), "{:?}", d);
            return Ok(());
        }
        let exceeded = budget_exceeded(&s.rollout_counts, p.failure_budget);
        let clustered = shared_failures(&c.failures).values().any(|r| r.len() >= 2);
        prop_assert_eq!(matches!(d, GateDecision::Halt(_)), exceeded || clustered);
        if let GateDecision::Halt(why) = &d {
            prop_assert_eq!(why.starts_with("suspected library regression: "), clustered, "{}", why);
        }
        match d {
            GateDecision::Advance => {
                prop_assert!(!c.last);
                prop_assert!(c.awaiting.is_empty(), "advanced while awaiting a release");
                prop_assert!(s.wave_counts.ratio() + 1e-9 >= p.success_ratio);
                let since = c.met_since.unwrap_or(c.now).min(c.now);
                prop_assert!(Timestamp(c.now) >= Timestamp(since).plus(p.soak));
            }
            GateDecision::Complete => {
                prop_assert!(c.last);
                prop_assert!(c.wave.iter().chain(&c.others).all(|t| is_settled(*t, &p)));
            }
            GateDecision::Wait { until: Some(until), .. } => {
                prop_assert!(until > Timestamp(c.now));
            }
            _ => {}
        }
    }

    #[test]
    fn the_cascade_only_holds_an_advance(c in case(), p in policy()) {
        let mut without = c.clone();
        without.awaiting.clear();
        let free = evaluate_gate(&snapshot(&without, &p), &p, Timestamp(c.now));
        let held = evaluate_gate(&snapshot(&c, &p), &p, Timestamp(c.now));
        match (&free, c.awaiting.first()) {
            (GateDecision::Advance, Some(first)) => {
                let want = GateDecision::Wait {
                    reason: WaitReason::Release(first.clone()),
                    until: None,
                };
                prop_assert_eq!(&held, &want);
                let text = match &held {
                    GateDecision::Wait { reason, .. } => reason.to_string(),
                    _ => String::new(),
                };
                prop_assert!(text.contains(&first.repo) && text.contains("core-utils 2.0.0"), "{}", text);
            }
            _ => prop_assert_eq!(&held, &free),
        }
    }

    #[test]
    fn clusters_are_exactly_the_shared_failures(failures in proptest::collection::vec(failure(), 0..8)) {
        let clusters = failure_clusters(&failures);
        let groups = shared_failures(&failures);
        // Found iff some check name or error line is shared by two
        // repositories of one wave.
        prop_assert_eq!(!clusters.is_empty(), groups.values().any(|r| r.len() >= 2));
        for k in &clusters {
            prop_assert!(k.repos.len() >= 2, "{:?}", k);
            prop_assert!(k.repos.windows(2).all(|w| w[0] < w[1]), "sorted, distinct: {:?}", k);
            let key = match (&k.check, &k.first_error) {
                (Some(check), _) => format!("check {check}"),
                (None, Some(error)) => format!("error {error}"),
                (None, None) => return Err(TestCaseError::fail("a cluster names nothing")),
            };
            let want: Vec<String> = groups[&(k.wave, key)].iter().cloned().collect();
            prop_assert_eq!(&k.repos, &want);
            let text = k.to_string();
            prop_assert!(text.starts_with("suspected library regression: "), "{}", text);
            let count = format!(" in {} repositories (", k.repos.len());
            prop_assert!(text.contains(&count), "{}", text);
        }
        // Every shared check name is a cluster of its own.
        for ((wave, key), repos) in &groups {
            if let (Some(name), true) = (key.strip_prefix("check "), repos.len() >= 2) {
                prop_assert!(clusters.iter().any(|k| k.wave == *wave && k.check.as_deref() == Some(name)));
            }
        }
        // Largest first.
        prop_assert!(clusters.windows(2).all(|w| w[0].repos.len() >= w[1].repos.len()));
        // Order-free, and a monorepo's second target adds nothing.
        let mut shuffled = failures.clone();
        shuffled.reverse();
        shuffled.extend(failures.first().cloned());
        prop_assert_eq!(failure_clusters(&shuffled), clusters);
    }

    #[test]
    fn a_lone_failure_within_budget_does_not_halt(c in case(), p in policy()) {
        // At most one repository fails per wave: each is its own problem.
        let mut c = c;
        let mut seen = BTreeSet::new();
        c.failures.retain(|f| seen.insert(f.wave));
        prop_assert!(failure_clusters(&c.failures).is_empty());
        let mut without = c.clone();
        without.failures.clear();
        prop_assert_eq!(
            evaluate_gate(&snapshot(&c, &p), &p, Timestamp(c.now)),
            evaluate_gate(&snapshot(&without, &p), &p, Timestamp(c.now))
        );
    }

    #[test]
    fn soak_counts_from_first_met(c in case(), p in policy()) {
        let mut c = c;
        c.state = RolloutState::Running;
        c.wave = vec![TargetState::Merged; c.wave.len().max(1)];
        c.others.clear();
        // The soak alone: a cascade wait has its own property above.
        c.awaiting.clear();
        c.failures.clear();
        c.met_since = Some(c.now);
        let s = snapshot(&c, &p);
        let d = evaluate_gate(&s, &p, Timestamp(c.now));
        if p.soak > Duration::ZERO {
            let waiting = matches!(d, GateDecision::Wait { reason: WaitReason::Soaking { .. }, .. });
            prop_assert!(waiting, "{:?}", d);
        } else {
            prop_assert!(matches!(d, GateDecision::Advance | GateDecision::Complete), "{:?}", d);
        }
    }
}

#[test]
fn gate_table() {
    let p = GatePolicy {
        success_ratio: 0.5,
        soak: Duration::from_secs(60),
        require: Require::CiPassed,
        failure_budget: FailureBudget::Count(1),
        automerge: false,
        on_declined: OnDeclined::Fail,
    };
    let case = |wave: Vec<TargetState>, last, met: Option<i64>, now| {
        let c = Case {
            state: RolloutState::Running,
            wave,
            others: vec![],
            last,
            met_since: met,
            now,
            awaiting: vec![],
            failures: vec![],
        };
        evaluate_gate(&snapshot(&c, &p), &p, Timestamp(now))
    };
    use TargetState::*;
    assert_eq!(
        case(vec![CiPassed, CiPending], false, Some(0), 60_000),
        GateDecision::Advance
    );
    assert!(matches!(
        case(vec![CiPassed, CiPending], false, Some(0), 59_999),
        GateDecision::Wait {
            until: Some(Timestamp(60_000)),
            ..
        }
    ));
    assert!(matches!(
        case(vec![CiPending, CiPending], false, None, 0),
        GateDecision::Wait {
            reason: WaitReason::Ratio { .. },
            ..
        }
    ));
    assert!(matches!(
        case(vec![CiFailed, CiFailed, Merged, Merged], false, None, 0),
        GateDecision::Halt(_)
    ));
    assert!(matches!(
        case(vec![CiPassed, CiPending], true, Some(0), 60_000),
        GateDecision::Wait {
            reason: WaitReason::Unsettled { count: 1 },
            ..
        }
    ));
    assert_eq!(
        case(vec![CiPassed, Skipped], true, Some(0), 60_000),
        GateDecision::Complete
    );
    assert_eq!(
        case(vec![], true, None, 0),
        GateDecision::Wait {
            reason: WaitReason::Soaking {
                since: Timestamp(0)
            },
            until: Some(Timestamp(60_000))
        }
    );
}

#[test]
fn cascade_wait_reasons_name_the_library() {
    let p = GatePolicy {
        success_ratio: 0.5,
        soak: Duration::ZERO,
        require: Require::CiPassed,
        failure_budget: FailureBudget::Count(1),
        automerge: false,
        on_declined: OnDeclined::Fail,
    };
    let lib = |merged| AwaitedRelease {
        repo: "billing-lib".into(),
        library: "core-utils".into(),
        version: "2.0.0".into(),
        merged,
    };
    let case = |last, awaiting: Vec<AwaitedRelease>| {
        let c = Case {
            state: RolloutState::Running,
            wave: vec![TargetState::Merged],
            others: vec![],
            last,
            met_since: Some(0),
            now: 0,
            awaiting,
            failures: vec![],
        };
        evaluate_gate(&snapshot(&c, &p), &p, Timestamp(0))
    };
    let text = |d: GateDecision| match d {
        GateDecision::Wait { reason, .. } => reason.to_string(),
        other => format!("{other:?}"),
    };
    assert_eq!(
        text(case(false, vec![lib(true)])),
        "waiting for billing-lib to release a version containing core-utils 2.0.0"
    );
    assert_eq!(
        text(case(false, vec![lib(false)])),
        "waiting for billing-lib's PR to merge and a release of it containing core-utils 2.0.0"
    );
    // The last wave has no consumers to hold: it completes.
    assert_eq!(case(true, vec![lib(true)]), GateDecision::Complete);
    assert_eq!(case(false, vec![]), GateDecision::Advance);
}

#[test]
fn failure_clusters_name_the_check_and_the_repositories() {
    let p = GatePolicy {
        success_ratio: 0.5,
        soak: Duration::ZERO,
        require: Require::CiPassed,
        failure_budget: FailureBudget::Count(5),
        automerge: false,
        on_declined: OnDeclined::Fail,
    };
    let fail = |wave, repo: &str, name: &str, error: Option<&str>| TargetFailure {
        wave,
        repo: repo.into(),
        checks: vec![FailedCheck {
            name: name.into(),
            first_error: error.map(str::to_owned),
        }],
    };
    let gate = |failures: Vec<TargetFailure>| {
        let c = Case {
            state: RolloutState::Running,
            wave: vec![TargetState::Merged, TargetState::CiFailed],
            others: vec![],
            last: false,
            met_since: Some(0),
            now: 0,
            awaiting: vec![],
            failures,
        };
        evaluate_gate(&snapshot(&c, &p), &p, Timestamp(0))
    };
    // Three repositories of wave 1 fail `test` (a monorepo twice).
    assert_eq!(
        gate(vec![
            fail(1, "svc-c", "test", None),
            fail(1, "svc-a", "test", None),
            fail(1, "svc-b", "test", None),
            fail(1, "svc-a", "test", None),
        ]),
        GateDecision::Halt(
            "suspected library regression: check `test` failed in 3 repositories (svc-a, svc-b, svc-c)"
                .into()
        )
    );
    // Same check, same first error: the error is quoted too.
    let e = "error[E0425]: cannot find function `parse` in crate `core_utils`";
    assert_eq!(
        gate(vec![
            fail(0, "a", "test", Some(e)),
            fail(0, "b", "test", Some(e))
        ]),
        GateDecision::Halt(format!(
            "suspected library regression: check `test` failed in 2 repositories (a, b): `{e}`"
        ))
    );
    // Checks named differently, same first error line.
    assert_eq!(
        gate(vec![
            fail(0, "a", "build", Some(e)),
            fail(0, "b", "ci/test", Some(&format!("  {e}\n"))),
        ]),
        GateDecision::Halt(format!(
            "suspected library regression: error `{e}` in 2 repositories (a, b)"
        ))
    );
    // Two lone failures: different waves, or different checks and errors.
    for failures in [
        vec![fail(0, "a", "test", None), fail(1, "b", "test", None)],
        vec![
            fail(0, "a", "test", Some("x")),
            fail(0, "b", "lint", Some("y")),
        ],
        vec![fail(0, "a", "test", None)],
    ] {
        assert_eq!(
            gate(failures.clone()),
            GateDecision::Advance,
            "{failures:?}"
        );
    }
    // Two clusters: the larger is named, the other counted.
    let d = gate(vec![
        fail(0, "a", "test", None),
        fail(0, "b", "test", None),
        fail(0, "c", "test", None),
        fail(1, "d", "lint", None),
        fail(1, "e", "lint", None),
    ]);
    assert_eq!(
        d,
        GateDecision::Halt(
            "suspected library regression: check `test` failed in 3 repositories (a, b, c) \
             (and 1 more failure cluster(s))"
                .into()
        )
    );
}

/// `rollout.on_declined`: a PR a person closed unmerged is a failure
/// (`fail`: it spends the budget and lowers the ratio) or left out like a
/// skip (`skip`); either way it is settled (the last wave can complete).
#[test]
fn declined_counts_per_policy() {
    use TargetState::*;
    let states = [Merged, Merged, Merged, Declined];
    for (on_declined, failed, excluded, ratio) in [
        (OnDeclined::Fail, 1, 0, 0.75),
        (OnDeclined::Skip, 0, 1, 1.0),
    ] {
        let p = GatePolicy {
            require: Require::Merged,
            on_declined,
            ..GatePolicy::default()
        };
        let c = Counts::of(states, &p);
        assert_eq!(
            (c.failed, c.excluded, c.unsettled),
            (failed, excluded, 0),
            "{on_declined:?}"
        );
        assert!(
            (c.ratio() - ratio).abs() < 1e-9,
            "{on_declined:?}: {}",
            c.ratio()
        );
        assert!(is_settled(Declined, &p));
    }
}
