//! npm: snapshots, node-semver conformance, rewrite and judgement tables.

use serde_json::Value;
use wavebump::ecosystem::npm::node_semver::{gtr, satisfies, Options};
use wavebump::ecosystem::Ecosystem;

use crate::support::conformance::{load, Tally};
use crate::support::snapshot;

#[test]
fn snapshots() {
    let n = snapshot::check_all(Ecosystem::Npm);
    println!("{n} npm snapshot cases");
}

/// node-semver's option normalisation: only truthy flags count.
fn options(case: &Value) -> Options {
    let flag = |k: &str| case["options"][k].as_bool().unwrap_or(false);
    Options {
        loose: flag("loose"),
        include_prerelease: flag("includePrerelease"),
    }
}

fn label(case: &Value) -> String {
    format!(
        "{:?} {:?} {}",
        case["req"].as_str().unwrap_or_default(),
        case["version"].as_str().unwrap_or_default(),
        case["options"]
    )
}

#[test]
fn conformance_satisfies() {
    let data = load("npm");
    let mut tally = Tally::new("npm satisfies");
    for case in data["cases"].as_array().expect("cases") {
        let req = case["req"].as_str().expect("req");
        let version = case["version"].as_str().expect("version");
        let want = case["matches"].as_bool().expect("matches");
        let got = satisfies(version, req, options(case));
        tally.case(label(case), got == want, None);
    }
    tally.finish();
}

#[test]
fn conformance_gtr() {
    let data = load("npm");
    let mut tally = Tally::new("npm gtr");
    for case in data["gtr_cases"].as_array().expect("gtr_cases") {
        let req = case["req"].as_str().expect("req");
        let version = case["version"].as_str().expect("version");
        let want = case["greater"].as_bool().expect("greater");
        let got = gtr(version, req, options(case));
        tally.case(label(case), got == Some(want), None);
    }
    tally.finish();
}
