//! `cargo bench --bench wavebump-bench`: prints every performance figure
//! wavebump tracks. Figures, not pass/fail: the README's table is this
//! output.

use std::time::{Duration, Instant};

use wavebump::demo::{GenerateOptions, fleet};
use wavebump::ecosystem::{self, Ecosystem, LibraryNames, SourceTree, apply_splices};

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects figures.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    println!("wavebump-bench (release build, one core unless stated)");
    if wanted("manifests") {
        manifests_per_second();
    }
}

/// Find, judge and rewrite the manifests of a generated mixed fleet.
fn manifests_per_second() {
    let opts = GenerateOptions {
        repos: 10_000,
        seed: 42,
    };
    let repos = fleet(&opts);
    let library = LibraryNames::acme_core_utils();
    let to = semver::Version::new(2, 0, 3);
    let manifests: usize = repos
        .iter()
        .map(|r| {
            let tree = r.history.last().map(|(_, t)| t).unwrap_or(&r.files);
            tree.files()
                .iter()
                .filter(|p| Ecosystem::ALL.iter().any(|e| e.handler().is_manifest(p)))
                .count()
        })
        .sum();
    let mut best = Duration::MAX;
    let mut targets = 0;
    for _ in 0..3 {
        let start = Instant::now();
        targets = 0;
        for r in &repos {
            let report = ecosystem::scan(&r.files, &library, &to);
            let splices: Vec<_> = report
                .targets
                .iter()
                .flat_map(|t| t.splices.iter().cloned())
                .collect();
            if let Ok(files) = apply_splices(&r.files, &splices) {
                std::hint::black_box(files);
            }
            targets += report.targets.len();
        }
        best = best.min(start.elapsed());
    }
    let per_second = manifests as f64 / best.as_secs_f64();
    println!(
        "manifests: {manifests} manifests ({targets} targets) found+judged+rewritten in {:.1} ms: {per_second:.0} manifests/s (goal >= 20000)",
        best.as_secs_f64() * 1e3
    );
}
