//! Properties of the gate (pure): a halted or paused rollout never
//! advances, completion only when every target is settled, halt exactly when
//! the budget is spent, no advance below the ratio or before the soak ends,
//! never an advance while a library target's release is awaited (the
//! cascade), which changes nothing else.

use std::time::Duration;

use proptest::prelude::*;
use wavebump::rollout::gate::{budget_exceeded, is_settled};
use wavebump::rollout::{
    AwaitedRelease, Counts, FailureBudget, GateDecision, GatePolicy, GateSnapshot, Require,
    RolloutState, TargetState, Timestamp, WaitReason, evaluate_gate,
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
    )
        .prop_map(
            |(success_ratio, soak, require, failure_budget, automerge)| GatePolicy {
                success_ratio,
                soak: Duration::from_secs(soak),
                require,
                failure_budget,
                automerge,
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
    )
        .prop_map(
            |(state, wave, others, last, met_since, now, awaiting)| Case {
                state,
                wave,
                others,
                last,
                met_since,
                now,
                awaiting,
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
        prop_assert_eq!(matches!(d, GateDecision::Halt(_)), exceeded);
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
    fn soak_counts_from_first_met(c in case(), p in policy()) {
        let mut c = c;
        c.state = RolloutState::Running;
        c.wave = vec![TargetState::Merged; c.wave.len().max(1)];
        c.others.clear();
        // The soak alone: a cascade wait has its own property above.
        c.awaiting.clear();
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
