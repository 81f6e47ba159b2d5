//! CI aggregation: commit statuses + check runs → one [`CiReport`], the way
//! branch protection sees it.
//!
//! Invariant (pure, no I/O): with required checks known, only they count and
//! a required check nobody reported yet is pending; without them every check
//! counts; wavebump's own checks never count; any failure → failed, else any
//! pending (or nothing reported at all) → pending, else passed.

use crate::forge::{Check, CiReport, CiState, first_line};

use super::wire;

/// The note of a report whose required checks could not be read.
pub const REQUIRED_UNKNOWN: &str = "required checks unknown: counting all checks";

/// Checks whose name starts with this are wavebump's own (its status
/// check), never counted for the commit's CI.
pub const OWN_CHECK_PREFIX: &str = "wavebump";

/// A commit status's state.
pub fn status_state(state: &str) -> CiState {
    match state {
        "success" => CiState::Passed,
        "failure" | "error" => CiState::Failed,
        _ => CiState::Pending,
    }
}

/// A check run's state: not completed is pending; success, neutral and
/// skipped pass; everything else fails.
pub fn check_run_state(status: &str, conclusion: Option<&str>) -> CiState {
    if status != "completed" {
        return CiState::Pending;
    }
    match conclusion {
        Some("success" | "neutral" | "skipped") => CiState::Passed,
        None => CiState::Pending,
        Some(_) => CiState::Failed,
    }
}

/// A failed check's first error line: the first non-blank line of the
/// first of `texts` that has one.
fn failed_line<'a>(
    state: CiState,
    texts: impl IntoIterator<Item = Option<&'a str>>,
) -> Option<String> {
    if state != CiState::Failed {
        return None;
    }
    texts.into_iter().flatten().find_map(first_line)
}

/// Aggregate. `required` is `None` when the required checks could not be
/// read (then every check counts, and the report's note says so); an empty
/// list (nothing required) counts every check too, silently.
pub fn aggregate(
    statuses: &[wire::Status],
    runs: &[wire::CheckRun],
    required: Option<&[String]>,
) -> CiReport {
    let note = required.is_none().then(|| REQUIRED_UNKNOWN.to_owned());
    let required = required.filter(|r| !r.is_empty());
    let is_required = |name: &str| required.is_some_and(|r| r.iter().any(|x| x == name));
    let mut checks: Vec<Check> = statuses
        .iter()
        .map(|s| {
            let state = status_state(&s.state);
            Check {
                name: s.context.clone(),
                state,
                url: s.target_url.clone(),
                required: is_required(&s.context),
                first_error: failed_line(state, [s.description.as_deref()]),
            }
        })
        .chain(runs.iter().map(|r| {
            let state = check_run_state(&r.status, r.conclusion.as_deref());
            let output = r.output.as_ref();
            Check {
                name: r.name.clone(),
                state,
                url: r.html_url.clone(),
                required: is_required(&r.name),
                first_error: failed_line(
                    state,
                    [
                        output.and_then(|o| o.summary.as_deref()),
                        output.and_then(|o| o.title.as_deref()),
                    ],
                ),
            }
        }))
        .filter(|c| !c.name.starts_with(OWN_CHECK_PREFIX))
        .collect();
    checks.sort_by(|a, b| a.name.cmp(&b.name));

    let mut counted: Vec<CiState> = match required {
        Some(_) => checks
            .iter()
            .filter(|c| c.required)
            .map(|c| c.state)
            .collect(),
        None => checks.iter().map(|c| c.state).collect(),
    };
    if let Some(required) = required {
        for name in required {
            if name.starts_with(OWN_CHECK_PREFIX) {
                continue;
            }
            if !checks.iter().any(|c| &c.name == name) {
                counted.push(CiState::Pending);
            }
        }
    }
    let state = if counted.contains(&CiState::Failed) {
        CiState::Failed
    } else if counted.is_empty() || counted.contains(&CiState::Pending) {
        CiState::Pending
    } else {
        CiState::Passed
    };
    CiReport {
        state,
        checks,
        note,
    }
}

/// The failed checks that make a commit's CI fail (counted as
/// [`aggregate`] counts them), by how they can run again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    /// Check suites to re-request, with the names of their failed runs.
    pub suites: Vec<(u64, Vec<String>)>,
    /// Failed check runs whose suite GitHub did not name.
    pub without_suite: Vec<String>,
    /// Failed commit statuses (external CI: no re-run API).
    pub statuses: Vec<String>,
}

/// See [`Failures`]; `required` as for [`aggregate`].
pub fn failures(
    statuses: &[wire::Status],
    runs: &[wire::CheckRun],
    required: Option<&[String]>,
) -> Failures {
    let required = required.filter(|r| !r.is_empty());
    let counts = |name: &str| {
        !name.starts_with(OWN_CHECK_PREFIX) && required.is_none_or(|r| r.iter().any(|x| x == name))
    };
    let mut out = Failures::default();
    for s in statuses {
        if counts(&s.context) && status_state(&s.state) == CiState::Failed {
            out.statuses.push(s.context.clone());
        }
    }
    for r in runs {
        if !counts(&r.name)
            || check_run_state(&r.status, r.conclusion.as_deref()) != CiState::Failed
        {
            continue;
        }
        match r.check_suite.as_ref().map(|s| s.id) {
            Some(id) => match out.suites.iter_mut().find(|(s, _)| *s == id) {
                Some((_, names)) => names.push(r.name.clone()),
                None => out.suites.push((id, vec![r.name.clone()])),
            },
            None => out.without_suite.push(r.name.clone()),
        }
    }
    out.suites.sort_by_key(|(id, _)| *id);
    out.statuses.sort();
    out.statuses.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(context: &str, state: &str) -> wire::Status {
        wire::Status {
            context: context.into(),
            state: state.into(),
            target_url: None,
            description: None,
        }
    }

    fn run(name: &str, status: &str, conclusion: Option<&str>) -> wire::CheckRun {
        wire::CheckRun {
            name: name.into(),
            status: status.into(),
            conclusion: conclusion.map(str::to_string),
            html_url: None,
            check_suite: None,
            output: None,
        }
    }

    #[test]
    fn failed_checks_carry_their_first_error_line() {
        let mut red = st("ci/jenkins", "failure");
        red.description = Some("\n  3 tests failed\nsee the log".into());
        let mut green = st("ci/other", "success");
        green.description = Some("all good".into());
        let mut summary = run("build", "completed", Some("failure"));
        summary.output = Some(wire::CheckOutput {
            title: Some("Build failed".into()),
            summary: Some("error[E0425]: cannot find `parse`\n --> src/main.rs".into()),
        });
        let mut title = run("lint", "completed", Some("failure"));
        title.output = Some(wire::CheckOutput {
            title: Some("2 warnings".into()),
            summary: Some("   ".into()),
        });
        let bare = run("test", "completed", Some("failure"));
        let ci = aggregate(&[red, green], &[summary, title, bare], None);
        let errors: Vec<(&str, Option<&str>)> = ci
            .checks
            .iter()
            .map(|c| (c.name.as_str(), c.first_error.as_deref()))
            .collect();
        assert_eq!(
            errors,
            vec![
                ("build", Some("error[E0425]: cannot find `parse`")),
                ("ci/jenkins", Some("3 tests failed")),
                ("ci/other", None),
                ("lint", Some("2 warnings")),
                ("test", None),
            ]
        );
    }

    #[test]
    fn check_run_states() {
        use CiState::*;
        let table = [
            ("queued", None, Pending),
            ("in_progress", None, Pending),
            ("completed", Some("success"), Passed),
            ("completed", Some("neutral"), Passed),
            ("completed", Some("skipped"), Passed),
            ("completed", Some("failure"), Failed),
            ("completed", Some("cancelled"), Failed),
            ("completed", Some("timed_out"), Failed),
            ("completed", Some("action_required"), Failed),
            ("completed", Some("stale"), Failed),
            ("completed", None, Pending),
            ("waiting", Some("success"), Pending),
        ];
        for (status, conclusion, want) in table {
            assert_eq!(
                check_run_state(status, conclusion),
                want,
                "{status} {conclusion:?}"
            );
        }
        for (state, want) in [
            ("success", Passed),
            ("failure", Failed),
            ("error", Failed),
            ("pending", Pending),
            ("weird", Pending),
        ] {
            assert_eq!(status_state(state), want, "{state}");
        }
    }

    #[test]
    fn aggregation_table() {
        use CiState::*;
        let req = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        struct Case {
            name: &'static str,
            statuses: Vec<wire::Status>,
            runs: Vec<wire::CheckRun>,
            required: Option<Vec<String>>,
            want: CiState,
        }
        let cases = vec![
            Case {
                name: "nothing reported",
                statuses: vec![],
                runs: vec![],
                required: None,
                want: Pending,
            },
            Case {
                name: "all green",
                statuses: vec![st("ci/jenkins", "success")],
                runs: vec![run("build", "completed", Some("success"))],
                required: None,
                want: Passed,
            },
            Case {
                name: "one status failed",
                statuses: vec![st("ci/jenkins", "failure")],
                runs: vec![run("build", "completed", Some("success"))],
                required: None,
                want: Failed,
            },
            Case {
                name: "a run in progress",
                statuses: vec![st("ci/jenkins", "success")],
                runs: vec![run("build", "in_progress", None)],
                required: None,
                want: Pending,
            },
            Case {
                name: "failure beats pending",
                statuses: vec![st("a", "pending")],
                runs: vec![run("b", "completed", Some("timed_out"))],
                required: None,
                want: Failed,
            },
            Case {
                name: "optional failure ignored when required known",
                statuses: vec![st("lint", "failure")],
                runs: vec![run("build", "completed", Some("success"))],
                required: Some(req(&["build"])),
                want: Passed,
            },
            Case {
                name: "required check missing is pending",
                statuses: vec![],
                runs: vec![run("build", "completed", Some("success"))],
                required: Some(req(&["build", "test"])),
                want: Pending,
            },
            Case {
                name: "required status failed",
                statuses: vec![st("test", "error")],
                runs: vec![run("build", "completed", Some("success"))],
                required: Some(req(&["build", "test"])),
                want: Failed,
            },
            Case {
                name: "own checks never count",
                statuses: vec![st("wavebump/rollout", "failure")],
                runs: vec![run("build", "completed", Some("success"))],
                required: None,
                want: Passed,
            },
            Case {
                name: "own check required is not waited for",
                statuses: vec![],
                runs: vec![run("build", "completed", Some("success"))],
                required: Some(req(&["build", "wavebump"])),
                want: Passed,
            },
            Case {
                name: "empty required list means all checks",
                statuses: vec![st("lint", "failure")],
                runs: vec![],
                required: Some(vec![]),
                want: Failed,
            },
            Case {
                name: "only own checks reported",
                statuses: vec![st("wavebump", "success")],
                runs: vec![],
                required: None,
                want: Pending,
            },
        ];
        for c in cases {
            let report = aggregate(&c.statuses, &c.runs, c.required.as_deref());
            assert_eq!(report.state, c.want, "{}", c.name);
            assert!(
                report
                    .checks
                    .iter()
                    .all(|k| !k.name.starts_with("wavebump"))
            );
        }
    }

    #[test]
    fn required_flags_are_set() {
        let r = aggregate(
            &[st("lint", "success")],
            &[run("build", "completed", Some("success"))],
            Some(&["build".to_string()]),
        );
        let flags: Vec<(&str, bool)> = r
            .checks
            .iter()
            .map(|c| (c.name.as_str(), c.required))
            .collect();
        assert_eq!(flags, vec![("build", true), ("lint", false)]);
    }

    #[test]
    fn failures_split_suites_from_statuses() {
        let mut a = run("build", "completed", Some("failure"));
        a.check_suite = Some(wire::SuiteRef { id: 7 });
        let mut b = run("lint", "completed", Some("failure"));
        b.check_suite = Some(wire::SuiteRef { id: 7 });
        let mut green = run("test", "completed", Some("success"));
        green.check_suite = Some(wire::SuiteRef { id: 8 });
        let orphan = run("docs", "completed", Some("timed_out"));
        let own = run("wavebump/gate", "completed", Some("failure"));
        let statuses = [
            st("ci/jenkins", "error"),
            st("ci/ok", "success"),
            st("ci/optional", "failure"),
        ];
        let runs = [a, b, green, orphan, own];
        let all = failures(&statuses, &runs, None);
        assert_eq!(
            all,
            Failures {
                suites: vec![(7, vec!["build".into(), "lint".into()])],
                without_suite: vec!["docs".into()],
                statuses: vec!["ci/jenkins".into(), "ci/optional".into()],
            }
        );
        let required = ["build".to_string(), "ci/jenkins".to_string()];
        let counted = failures(&statuses, &runs, Some(&required));
        assert_eq!(
            counted,
            Failures {
                suites: vec![(7, vec!["build".into()])],
                without_suite: vec![],
                statuses: vec!["ci/jenkins".into()],
            }
        );
    }
}
