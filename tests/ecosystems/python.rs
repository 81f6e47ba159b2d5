//! Python: snapshots, PEP 440 conformance against `packaging`'s own suite,
//! and tables of judge and rewrite rules.

use wavebump::ecosystem::python::specifier::{Specifier, SpecifierSet};
use wavebump::ecosystem::Ecosystem;

use crate::support::conformance::{load, Tally};
use crate::support::snapshot;

#[test]
fn snapshots() {
    let n = snapshot::check_all(Ecosystem::Python);
    println!("{n} python snapshot cases");
}

/// Cases we knowingly answer differently from `packaging`, with the reason.
const DECLINED: &[(&str, &str, &str)] = &[];

#[test]
fn pep440_conformance() {
    let data = load("pep440");
    let mut tally = Tally::new("pep440");
    let cases = data["cases"].as_array().expect("cases");
    for case in cases {
        let req = case["req"].as_str().expect("req");
        let version = case["version"].as_str().expect("version");
        let want = case["matches"].as_bool().expect("matches");
        let options = &case["options"];
        let api = options["api"].as_str().expect("api");
        let configured = options["prereleases"].as_bool();
        let call = options["contains_prereleases"].as_bool();
        let got = match api {
            "Specifier" => Specifier::parse(req).map(|s| s.contains(version, configured, call)),
            "SpecifierSet" => SpecifierSet::parse(req)
                .ok()
                .map(|s| s.contains(version, configured, call)),
            other => panic!("unknown api {other}"),
        };
        let label = format!("{api}({req:?}, prereleases={configured:?}).contains({version:?}, prereleases={call:?}) = {want}, got {got:?}");
        let declined = DECLINED
            .iter()
            .find(|(r, v, _)| *r == req && *v == version)
            .map(|(_, _, why)| *why);
        tally.case(label, got == Some(want), declined);
    }
    for case in data["invalid_reqs"].as_array().expect("invalid_reqs") {
        let req = case["req"].as_str().expect("req");
        let parsed = Specifier::parse(req).is_some();
        tally.case(format!("Specifier({req:?}) must be invalid"), !parsed, None);
    }
    tally.finish();
}
