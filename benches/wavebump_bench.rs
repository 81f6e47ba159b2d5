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
    if wanted("plan") {
        for repos in [1_000, 5_000] {
            plan_figures(repos);
        }
    }
}

/// Peak resident set size of the largest waited-for child, in MiB.
fn children_peak_rss_mib() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if rc != 0 {
        return f64::NAN;
    }
    usage.ru_maxrss as f64 / 1024.0
}

/// `wavebump plan` over a generated organisation: wall time and peak RSS of
/// the real binary, and the pure planning step alone.
fn plan_figures(repos: usize) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let gitconfig = scratch.path().join("gitconfig");
    std::fs::create_dir_all(&gitconfig).expect("mkdir");
    wavebump::git::isolate_global_config(&gitconfig).expect("isolate git config");
    let org = scratch.path().join("org");
    let start = Instant::now();
    wavebump::demo::generate(&org, &GenerateOptions { repos, seed: 42 }).expect("generate");
    let generated = start.elapsed();

    let start = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wavebump"))
        .args([
            "plan",
            "--config",
            "config.example.yaml",
            "--format",
            "json",
            "--local",
        ])
        .arg(&org)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run wavebump plan");
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rss = children_peak_rss_mib();

    // The pure planning step on the same organisation.
    let config = wavebump::config::Config::embedded_example().expect("config");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let forge = wavebump::forge::local::LocalForge::new(&org);
    let outcome = rt
        .block_on(wavebump::planning::run(&forge, &config, None, &|_, _| {}))
        .expect("plan");
    let input = wavebump::plan::PlanInput {
        repos: outcome
            .discovery
            .repos
            .iter()
            .map(|s| wavebump::plan::RepoInput {
                name: s.repo.clone(),
                needs_pr: s.targets.iter().any(wavebump::report::needs_pr),
            })
            .collect(),
        edges: outcome
            .discovery
            .edges
            .iter()
            .map(|e| wavebump::plan::Edge::new(e.from.clone(), e.to.clone()))
            .collect(),
    };
    let known: Vec<String> = outcome
        .discovery
        .repos
        .iter()
        .map(|s| s.repo.clone())
        .collect();
    let policy = wavebump::planning::policy(&config, &known);
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let plan = wavebump::plan::plan(&input, &policy).expect("plan");
        best = best.min(start.elapsed());
        std::hint::black_box(plan);
    }
    println!(
        "plan {repos} repos: wall {:.2} s, peak RSS {rss:.0} MiB (max over runs so far) (goal 5,000 < 2 s, < 200 MB); planning step alone {:.1} ms for {} units (goal < 50 ms at 5,000); generating the org took {:.1} s",
        wall.as_secs_f64(),
        best.as_secs_f64() * 1e3,
        input.repos.iter().filter(|r| r.needs_pr).count(),
        generated.as_secs_f64()
    );
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
